"""Intel 8254 PIT: count sequences and OUT waveforms against the datasheet's mode figures."""

from __future__ import annotations

import random

import pytest

from devices.base import IrqLine, StateError
from devices.pit import PIT, ns_to_ticks, ticks_to_ns
from emulator.clock import NS_PER_SEC
from tests.devices.conftest import FakeTime


class Rig:
    """A PIT on a FakeTime, with an IRQ0 recorder that notes the time of each level change."""

    def __init__(self, ft: FakeTime) -> None:
        self.ft = ft
        self.events: list[tuple[int, int]] = []
        self.line = IrqLine(lambda irq, lv: self.events.append((ft.clock.now, lv)), 0)
        self.pit = PIT(ft.clock, self.line)

    @property
    def tick(self) -> int:
        return ns_to_ticks(self.ft.clock.now)

    def to_tick(self, k: int, frac: int = 300) -> None:
        """Move to ``frac`` ns after CLK pulse ``k`` (well before pulse k+1)."""
        target = ticks_to_ns(k) + frac
        assert target >= self.ft.clock.now
        self.ft.advance(target - self.ft.clock.now)

    def cw(self, v: int) -> None:
        self.pit.io_write(0x43, 1, v)

    def wr(self, ch: int, v: int) -> None:
        self.pit.io_write(0x40 + ch, 1, v)

    def rd(self, ch: int) -> int:
        return self.pit.io_read(0x40 + ch, 1)

    def latch16(self, ch: int) -> int:
        """Counter latch command, then LSB and MSB (the counter must be in RW=11)."""
        self.cw(ch << 6)
        return self.rd(ch) | (self.rd(ch) << 8)

    def trace(self, ch: int, t0: int, n: int, two_bytes: bool = False) -> list[tuple[int, int]]:
        """(count, OUT) at ticks t0 .. t0+n-1."""
        out = []
        for k in range(t0, t0 + n):
            self.to_tick(k)
            value = self.latch16(ch) if two_bytes else self.rd(ch)
            out.append((value, self.pit.output(ch)))
        return out

    def rising(self) -> list[int]:
        return [t for t, lv in self.events if lv]


@pytest.fixture
def rig(fake_time: FakeTime) -> Rig:
    r = Rig(fake_time)
    r.to_tick(10)
    return r


# --- time base -----------------------------------------------------------------------------
def test_tick_conversion_is_exact() -> None:
    assert ns_to_ticks(NS_PER_SEC) == 1_193_181           # 1193181.818... pulses a second
    assert ns_to_ticks(3600 * NS_PER_SEC) == 4_295_454_545  # an hour: 105/88 MHz exactly, no drift
    for k in (1, 2, 3, 1000, 65536, 10**9 + 7, 4_295_454_545):
        ns = ticks_to_ns(k)
        assert ns_to_ticks(ns) == k and ns_to_ticks(ns - 1) == k - 1


def test_ports_and_control_register_read(rig: Rig) -> None:
    assert rig.pit.port_ranges() == [(0x40, 4)]
    assert rig.pit.io_read(0x43, 1) == 0xFF               # A1A0=11 read: no-operation


# --- mode 0: interrupt on terminal count --------------------------------------------------
def test_mode0_sequence_and_irq_edge(rig: Rig) -> None:
    rig.cw(0x10)                                           # counter 0, LSB only, mode 0, binary
    assert rig.pit.output(0) == 0                          # OUT low right after the CW
    t = rig.tick
    rig.wr(0, 3)
    # loaded on the next pulse (not decremented), OUT high when the count reaches 0
    assert rig.trace(0, t + 1, 6) == [(3, 0), (2, 0), (1, 0), (0, 1), (0xFF, 1), (0xFE, 1)]
    assert rig.rising() == [ticks_to_ns(t + 4)]            # IRQ0 edge exactly at terminal count
    rig.to_tick(t + 70000)                                 # wraps past 0 again: OUT stays high
    assert rig.pit.output(0) == 1 and len(rig.rising()) == 1


def test_mode0_gate_suspends_counting(rig: Rig) -> None:
    rig.cw(0x90)                                           # counter 2, LSB, mode 0
    rig.pit.set_gate(2, 1)
    t = rig.tick
    rig.wr(2, 3)
    assert rig.trace(2, t + 1, 2) == [(3, 0), (2, 0)]
    rig.pit.set_gate(2, 0)                                 # during pulse t+2: t+3, t+4 do not count
    assert rig.trace(2, t + 3, 2) == [(2, 0), (2, 0)]
    rig.pit.set_gate(2, 1)
    assert rig.trace(2, t + 5, 3) == [(1, 0), (0, 1), (0xFF, 1)]


def test_mode0_count_written_with_gate_low_loads_then_waits(rig: Rig) -> None:
    rig.cw(0x90)
    t = rig.tick
    rig.wr(2, 2)                                           # GATE2 low: loaded, but not counting
    assert rig.trace(2, t + 1, 3) == [(2, 0)] * 3
    rig.pit.set_gate(2, 1)
    assert rig.trace(2, t + 4, 3) == [(1, 0), (0, 1), (0xFF, 1)]


def test_mode0_new_count_mid_count(rig: Rig) -> None:
    rig.cw(0x10)
    t = rig.tick
    rig.wr(0, 3)
    assert rig.trace(0, t + 1, 2) == [(3, 0), (2, 0)]
    rig.wr(0, 2)                                           # during t+2: loaded at t+3, restarts
    assert rig.trace(0, t + 3, 4) == [(2, 0), (1, 0), (0, 1), (0xFF, 1)]
    rig.wr(0, 2)                                           # after terminal count: OUT low again
    assert rig.pit.output(0) == 0
    assert rig.trace(0, t + 7, 3) == [(2, 0), (1, 0), (0, 1)]
    assert len(rig.rising()) == 2


def test_mode0_two_byte_write_first_byte_stops_counting(rig: Rig) -> None:
    rig.cw(0x30)                                           # counter 0, LSB then MSB, mode 0
    t = rig.tick
    rig.wr(0, 0x05)
    rig.wr(0, 0x00)
    rig.to_tick(t + 10)                                    # count 5 expired at t+6: OUT high
    assert rig.pit.output(0) == 1
    held = rig.latch16(0)
    rig.wr(0, 0x03)                                        # first byte: OUT low at once, CE holds
    assert rig.pit.output(0) == 0
    rig.to_tick(t + 13)
    assert rig.latch16(0) == held
    rig.wr(0, 0x00)                                        # second byte: loaded on next pulse
    assert rig.trace(0, t + 14, 4, two_bytes=True) == [(3, 0), (2, 0), (1, 0), (0, 1)]


# --- mode 1: hardware retriggerable one-shot --------------------------------------------
def test_mode1_one_shot_and_retrigger(rig: Rig) -> None:
    rig.cw(0x92)                                           # counter 2, LSB, mode 1
    assert rig.pit.output(2) == 1
    rig.wr(2, 3)
    t = rig.tick
    rig.to_tick(t + 5)
    assert rig.pit.output(2) == 1                          # nothing happens without a trigger
    t = rig.tick
    rig.pit.set_gate(2, 1)                                 # trigger: OUT low on the next pulse
    assert rig.pit.output(2) == 1
    assert rig.trace(2, t + 1, 5) == [(3, 0), (2, 0), (1, 0), (0, 1), (0xFF, 1)]
    # GATE level does not matter in mode 1; a new rising edge retriggers mid-count
    rig.pit.set_gate(2, 0)
    t = rig.tick
    rig.pit.set_gate(2, 1)
    assert rig.trace(2, t + 1, 2) == [(3, 0), (2, 0)]
    rig.pit.set_gate(2, 0)
    rig.pit.set_gate(2, 1)                                 # retrigger during t+2
    assert rig.trace(2, t + 3, 4) == [(3, 0), (2, 0), (1, 0), (0, 1)]


def test_mode1_new_count_waits_for_next_trigger(rig: Rig) -> None:
    rig.cw(0x92)
    rig.wr(2, 4)
    t = rig.tick
    rig.pit.set_gate(2, 1)
    rig.to_tick(t + 2)
    rig.wr(2, 2)                                           # does not disturb the running one-shot
    assert rig.trace(2, t + 3, 3) == [(2, 0), (1, 0), (0, 1)]
    rig.pit.set_gate(2, 0)
    t = rig.tick
    rig.pit.set_gate(2, 1)
    assert rig.trace(2, t + 1, 3) == [(2, 0), (1, 0), (0, 1)]


# --- mode 2: rate generator -------------------------------------------------------------
@pytest.mark.parametrize("n", [3, 4])
def test_mode2_waveform(rig: Rig, n: int) -> None:
    rig.cw(0x14)                                           # counter 0, LSB, mode 2
    assert rig.pit.output(0) == 1                          # (a rising edge of OUT0 from reset)
    assert rig.rising() == [rig.ft.clock.now]
    rig.events.clear()
    t = rig.tick
    rig.wr(0, n)
    got = rig.trace(0, t + 1, 3 * n)
    want = [(v, 0 if v == 1 else 1) for v in list(range(n, 0, -1)) * 3]
    assert got == want
    # IRQ0 follows OUT0: low while the count is 1, rising edge on each reload
    assert rig.rising() == [ticks_to_ns(t + 1 + k * n) for k in range(1, 3)]
    falls = [ts for ts, lv in rig.events if not lv]
    assert falls == [ticks_to_ns(t + k * n) for k in range(1, 4)]


def test_mode2_new_count_takes_effect_at_end_of_period(rig: Rig) -> None:
    rig.cw(0x14)
    t = rig.tick
    rig.wr(0, 4)
    rig.to_tick(t + 2)                                     # count 3
    rig.wr(0, 2)
    assert rig.trace(0, t + 3, 6) == [(2, 1), (1, 0), (2, 1), (1, 0), (2, 1), (1, 0)]


def test_mode2_gate(rig: Rig) -> None:
    rig.cw(0x94)                                           # counter 2, LSB, mode 2
    rig.pit.set_gate(2, 1)
    t = rig.tick
    rig.wr(2, 3)
    assert rig.trace(2, t + 1, 3) == [(3, 1), (2, 1), (1, 0)]
    rig.pit.set_gate(2, 0)                                 # OUT high at once, counting stops
    assert rig.pit.output(2) == 1
    assert rig.trace(2, t + 4, 2) == [(1, 1), (1, 1)]
    rig.pit.set_gate(2, 1)                                 # trigger: reload on next pulse
    assert rig.trace(2, t + 6, 4) == [(3, 1), (2, 1), (1, 0), (3, 1)]


# --- mode 3: square wave -----------------------------------------------------------------
def test_mode3_even_count(rig: Rig) -> None:
    rig.cw(0x16)                                           # counter 0, LSB, mode 3
    rig.events.clear()
    t = rig.tick
    rig.wr(0, 4)
    assert rig.trace(0, t + 1, 8) == [(4, 1), (2, 1), (4, 0), (2, 0)] * 2
    assert rig.rising() == [ticks_to_ns(t + 5)]


def test_mode3_odd_count(rig: Rig) -> None:
    rig.cw(0x16)
    rig.events.clear()
    t = rig.tick
    rig.wr(0, 5)
    # N-1 loaded and stepped by 2: high for (N+1)/2 = 3 pulses, low for (N-1)/2 = 2
    assert rig.trace(0, t + 1, 10) == [(4, 1), (2, 1), (0, 1), (4, 0), (2, 0)] * 2
    assert rig.rising() == [ticks_to_ns(t + 6)]


def test_mode3_new_count_at_end_of_half_cycle_and_gate(rig: Rig) -> None:
    rig.cw(0x96)                                           # counter 2, LSB, mode 3
    rig.pit.set_gate(2, 1)
    t = rig.tick
    rig.wr(2, 8)
    rig.to_tick(t + 2)                                     # high half, count 6
    rig.wr(2, 4)
    assert rig.trace(2, t + 3, 6) == [(4, 1), (2, 1), (4, 0), (2, 0), (4, 1), (2, 1)]
    rig.to_tick(t + 9)                                     # low half
    assert rig.pit.output(2) == 0
    rig.pit.set_gate(2, 0)                                 # GATE low while OUT low: OUT high at once
    assert rig.pit.output(2) == 1
    rig.to_tick(t + 12)
    t = rig.tick
    rig.pit.set_gate(2, 1)                                 # trigger reloads on the next pulse
    assert rig.trace(2, t + 1, 4) == [(4, 1), (2, 1), (4, 0), (2, 0)]


def test_mode3_count_zero_is_65536(rig: Rig) -> None:
    rig.cw(0x36)                                           # the BIOS setting: counter 0, RW=11, mode 3
    t = rig.tick
    rig.wr(0, 0)
    rig.wr(0, 0)
    rig.to_tick(t + 1)
    assert rig.latch16(0) == 0
    rig.to_tick(t + 2)
    assert rig.latch16(0) == 0xFFFE
    rig.to_tick(t + 32768)
    assert rig.pit.output(0) == 1
    rig.to_tick(t + 32769)
    assert rig.pit.output(0) == 0 and rig.latch16(0) == 0
    rig.to_tick(t + 65537)
    assert rig.pit.output(0) == 1


# --- modes 4 and 5: strobes --------------------------------------------------------------
def test_mode4_software_strobe(rig: Rig) -> None:
    rig.cw(0x18)                                           # counter 0, LSB, mode 4
    assert rig.pit.output(0) == 1
    rig.events.clear()
    t = rig.tick
    rig.wr(0, 3)
    assert rig.trace(0, t + 1, 6) == [(3, 1), (2, 1), (1, 1), (0, 0), (0xFF, 1), (0xFE, 1)]
    assert rig.rising() == [ticks_to_ns(t + 5)]
    rig.to_tick(t + 3 * 65536)                             # strobes once per count written
    assert len(rig.rising()) == 1


def test_mode4_gate_inhibits_counting(rig: Rig) -> None:
    rig.cw(0x98)                                           # counter 2, LSB, mode 4
    t = rig.tick
    rig.wr(2, 2)
    assert rig.trace(2, t + 1, 3) == [(2, 1)] * 3          # GATE2 low
    rig.pit.set_gate(2, 1)
    assert rig.trace(2, t + 4, 4) == [(1, 1), (0, 0), (0xFF, 1), (0xFE, 1)]


def test_mode5_hardware_strobe_retrigger(rig: Rig) -> None:
    rig.cw(0x9A)                                           # counter 2, LSB, mode 5
    rig.wr(2, 3)
    t = rig.tick
    rig.to_tick(t + 6)
    assert rig.pit.output(2) == 1
    t = rig.tick
    rig.pit.set_gate(2, 1)
    assert rig.trace(2, t + 1, 2) == [(3, 1), (2, 1)]
    rig.pit.set_gate(2, 0)
    rig.pit.set_gate(2, 1)                                 # retrigger during t+2
    assert rig.trace(2, t + 3, 5) == [(3, 1), (2, 1), (1, 1), (0, 0), (0xFF, 1)]


# --- reading: latch, flip-flops, read-back ------------------------------------------------
def test_counter_latch_holds_value_and_second_latch_is_ignored(rig: Rig) -> None:
    rig.cw(0x34)                                           # counter 0, RW=11, mode 2
    t = rig.tick
    rig.wr(0, 0x00)
    rig.wr(0, 0x10)                                        # 1000h
    rig.to_tick(t + 0x11)
    rig.cw(0x00)                                           # latch: CE = 1000h - 10h
    rig.to_tick(t + 0x40)
    rig.cw(0x00)                                           # ignored: previous latch unread
    assert rig.rd(0) == 0xF0
    rig.to_tick(t + 0x50)
    assert rig.rd(0) == 0x0F                               # still the first latched value
    assert rig.latch16(0) == 0x1000 - 0x4F                 # latch released: a new one works
    assert rig.rd(0) | (rig.rd(0) << 8) == 0x1000 - 0x4F   # unlatched read: live CE


def test_reprogramming_drops_latch(rig: Rig) -> None:
    rig.cw(0x34)
    rig.wr(0, 0)
    rig.wr(0, 0x10)
    rig.to_tick(rig.tick + 5)
    rig.cw(0x00)
    rig.cw(0x34)                                           # new control word: latch discarded
    rig.wr(0, 0x34)
    rig.wr(0, 0x12)
    rig.to_tick(rig.tick + 1)
    assert rig.latch16(0) == 0x1234


def test_read_and_write_flip_flops_are_independent(rig: Rig) -> None:
    rig.cw(0xB0)                                           # counter 2, RW=11, mode 0, GATE2 low
    rig.wr(2, 0x34)
    rig.wr(2, 0x12)
    rig.to_tick(rig.tick + 2)
    assert rig.rd(2) == 0x34                               # read LSB
    rig.wr(2, 0x78)                                        # write LSB
    assert rig.rd(2) == 0x12                               # read MSB
    rig.wr(2, 0x56)                                        # write MSB
    rig.to_tick(rig.tick + 1)
    assert rig.rd(2) == 0x78 and rig.rd(2) == 0x56


def test_msb_only_mode(rig: Rig) -> None:
    rig.cw(0xA0)                                           # counter 2, MSB only, mode 0
    rig.wr(2, 0x12)
    rig.to_tick(rig.tick + 1)
    assert rig.rd(2) == 0x12 and rig.rd(2) == 0x12
    rig.cw(0x80)
    assert rig.rd(2) == 0x12                               # latched, MSB only


def test_read_back_command_table(rig: Rig) -> None:
    rig.pit.set_gate(2, 1)
    for ch in range(3):
        rig.cw((ch << 6) | 0x34)                           # RW=11, mode 2
        rig.wr(ch, 0x00)
        rig.wr(ch, 0x01)                                   # 0100h
    t = rig.tick
    rig.to_tick(t + 2)
    rig.cw(0xC2)                                           # count and status, counter 0
    rig.cw(0xE4)                                           # status, counter 1
    rig.cw(0xEC)                                           # status, counters 2 and 1 (1 ignored)
    rig.cw(0xD8)                                           # count, counter 2
    rig.cw(0xC4)                                           # count and status, counter 1: status ignored
    rig.cw(0xE2)                                           # status, counter 0: ignored
    rig.to_tick(t + 40)
    status = 0x80 | 0x34                                   # OUT high, count loaded, CW bits
    for ch in range(3):
        assert rig.rd(ch) == status                        # status comes first
        assert rig.rd(ch) | (rig.rd(ch) << 8) == 0x0100 - 1
    assert rig.rd(0) | (rig.rd(0) << 8) == 0x0100 - 39     # nothing latched any more


def test_status_null_count_and_output(rig: Rig) -> None:
    def status(ch: int) -> int:
        rig.cw(0xE0 | (2 << ch))
        return rig.rd(ch)

    rig.cw(0x30)                                           # counter 0, RW=11, mode 0
    assert status(0) == 0x40 | 0x30                        # OUT low, NULL COUNT after CW
    t = rig.tick
    rig.wr(0, 3)
    assert status(0) & 0x40                                # first byte only: still null
    rig.wr(0, 0)
    assert status(0) == 0x70                               # written, not yet loaded into CE
    rig.to_tick(t + 1)
    assert status(0) == 0x30                               # loaded on this pulse
    rig.to_tick(t + 4)
    assert status(0) == 0xB0                               # terminal count: OUT high
    rig.cw(0x9B)                                           # counter 2, LSB, mode 5, BCD
    rig.wr(2, 5)
    rig.to_tick(rig.tick + 3)
    assert status(2) == 0xC0 | 0x1B                        # mode 5 waits for a trigger: still null
    rig.pit.set_gate(2, 1)
    rig.to_tick(rig.tick + 1)
    assert status(2) == 0x80 | 0x1B
    rig.cw(0x96)                                           # mode 3 written as 011
    rig.cw(0x9C)                                           # ... and mode 2 written as 110
    assert status(2) & 0x3F == 0x1C                        # status shows the CW bits as written


def test_status_and_count_latched_both(rig: Rig) -> None:
    rig.cw(0x10)
    rig.wr(0, 9)
    rig.to_tick(rig.tick + 3)
    rig.cw(0xD2)                                           # count only
    rig.cw(0xE2)                                           # then status
    assert rig.rd(0) == 0x10                               # status first regardless of order
    assert rig.rd(0) == 7


# --- BCD ------------------------------------------------------------------------------------
def test_bcd_counting(rig: Rig) -> None:
    rig.cw(0x11)                                           # counter 0, LSB, mode 0, BCD
    t = rig.tick
    rig.wr(0, 0x12)
    assert [v for v, _ in rig.trace(0, t + 1, 4)] == [0x12, 0x11, 0x10, 0x09]
    rig.cw(0x31)                                           # RW=11, BCD, count 0 = 10000
    t = rig.tick
    rig.wr(0, 0)
    rig.wr(0, 0)
    assert [v for v, _ in rig.trace(0, t + 1, 3, two_bytes=True)] == [0x0000, 0x9999, 0x9998]
    rig.to_tick(t + 10000)
    assert rig.pit.output(0) == 0
    rig.to_tick(t + 10001)
    assert rig.pit.output(0) == 1 and rig.latch16(0) == 0
    rig.to_tick(t + 10002)
    assert rig.latch16(0) == 0x9999                        # wraps to 9999 in BCD


def test_bcd_rate_generator_period(rig: Rig) -> None:
    rig.cw(0x35)                                           # counter 0, RW=11, mode 2, BCD, count 0
    rig.wr(0, 0)
    rig.wr(0, 0)
    start = len(rig.rising())
    rig.ft.advance(NS_PER_SEC)                             # 1193181 pulses / 10000
    assert len(rig.rising()) - start == 119


# --- IRQ0 -----------------------------------------------------------------------------------
def test_irq0_bios_rate(rig: Rig) -> None:
    rig.cw(0x36)
    rig.wr(0, 0)
    rig.wr(0, 0)
    rig.events.clear()
    rig.ft.advance(NS_PER_SEC)
    assert len(rig.rising()) == 18                          # 18.2065 Hz
    rig.ft.advance(9 * NS_PER_SEC)
    r = rig.rising()
    assert len(r) == 182
    gaps = {ns_to_ticks(b) - ns_to_ticks(a) for a, b in zip(r, r[1:])}
    assert gaps == {65536}
    # the line follows OUT0: one falling edge per period too
    assert sum(1 for _, lv in rig.events if not lv) in (182, 183)


@pytest.mark.parametrize("cw", [0x34, 0x36])
def test_irq0_1000hz(rig: Rig, cw: int) -> None:
    rig.cw(cw)
    rig.wr(0, 1193 & 0xFF)
    rig.wr(0, 1193 >> 8)
    rig.events.clear()
    rig.ft.advance(NS_PER_SEC)
    assert len(rig.rising()) == 1000                        # 1193181.8 / 1193 = 1000.15


def test_irq0_edge_delivered_when_timer_runs_late(fake_time: FakeTime) -> None:
    rig = Rig(fake_time)
    rig.cw(0x14)                                           # mode 2, count 3: low pulse of one CLK
    rig.wr(0, 3)
    rig.to_tick(rig.tick + 2)
    rig.events.clear()
    fake_time.icount += 5000                               # run far past the pulse, timers unrun
    fake_time.clock.run_due()
    assert len(rig.rising()) == 1 and rig.line.level == rig.pit.output(0)


@pytest.mark.parametrize("cw", [0x14, 0x16])
def test_illegal_count_1_in_modes_2_and_3_is_steady(rig: Rig, cw: int) -> None:
    rig.cw(cw)
    rig.wr(0, 1)                                           # minimum count is 2 in modes 2 and 3
    rig.to_tick(rig.tick + 5)
    level = rig.pit.output(0)
    assert rig.ft.clock.next_deadline() is None            # steady OUT: no timer storm
    rig.events.clear()
    rig.ft.advance(100_000)
    assert rig.pit.output(0) == level and not rig.events


def test_reset_and_idle_state(rig: Rig) -> None:
    rig.cw(0x36)
    rig.wr(0, 0)
    rig.wr(0, 0)
    assert rig.line.level == 1
    rig.pit.reset()
    assert rig.line.level == 0 and rig.pit.output(0) == 0
    assert rig.ft.clock.next_deadline() is None
    rig.ft.advance(NS_PER_SEC // 10)
    assert rig.line.level == 0


# --- save / restore ---------------------------------------------------------------------------
def _script(rig: Rig, rnd: random.Random, steps: int) -> list[int]:
    log = []
    for _ in range(steps):
        op = rnd.randrange(5)
        if op == 0:
            log.append(rig.rd(rnd.randrange(3)))
        elif op == 1:
            rig.cw(rnd.choice([0x00, 0x80, 0xC2, 0xDE, 0xEE]))
        elif op == 2:
            rig.pit.set_gate(2, rnd.randrange(2))
        else:
            rig.ft.advance(rnd.randrange(20_000))
        log.append(rig.pit.output(0) | rig.pit.output(2) << 1 | rig.line.level << 2)
    return log


def test_save_restore_mid_count(fake_time: FakeTime) -> None:
    a = Rig(fake_time)
    a.to_tick(123)
    a.cw(0x34)                                             # counter 0: mode 2, 1000
    a.wr(0, 1000 & 0xFF)
    a.wr(0, 1000 >> 8)
    a.cw(0xB7)                                             # counter 2: mode 3, BCD 15
    a.wr(2, 0x15)
    a.pit.set_gate(2, 1)
    a.cw(0x70)                                             # counter 1: mode 0, half-written count
    a.wr(1, 0x22)
    fake_time.advance(2_345_677)                           # mid-period, mid-tick
    a.cw(0x00)                                             # counter 0 latched, LSB read only
    a.rd(0)
    a.rd(2)                                                # counter 2 read flip-flop at MSB

    ft2 = FakeTime()
    b = Rig(ft2)
    ft2.icount = fake_time.icount                          # the CPU's instruction count
    ft2.clock.load_state(fake_time.clock.save_state())
    b.pit.load_state(a.pit.save_state(), PIT.STATE_VERSION)
    assert b.line.level == a.line.level and not b.events   # wire restored without an edge
    assert ft2.clock.next_deadline() == fake_time.clock.next_deadline()

    a.events.clear()
    a.wr(1, 0x01)
    b.wr(1, 0x01)
    la = _script(a, random.Random(5), 3000)
    lb = _script(b, random.Random(5), 3000)
    assert la == lb
    assert a.events == b.events and a.rising()


def test_load_state_rejects_mismatched_counters(fake_time: FakeTime) -> None:
    pit = Rig(fake_time).pit
    state = pit.save_state()
    state["counters"] = state["counters"][:2]
    with pytest.raises(StateError):
        pit.load_state(state)


# --- cross-check against a pulse-by-pulse model -------------------------------------------
class StepModel:
    """One counter stepped CLK pulse by CLK pulse, straight from the datasheet's mode
    definitions (binary counting, counts written LSB only)."""

    def __init__(self) -> None:
        self.mode = 0
        self.cr = self.ce = self.out = self.gate = 0
        self.idle, self.running, self.null = True, False, False
        self.load = self.trigger = self.armed = self.strobe = False
        self.half_n = 0

    def control(self, mode: int) -> None:
        self.mode = mode
        self.out = 0 if mode == 0 else 1
        self.idle, self.running, self.null = True, False, True
        self.load = self.trigger = self.armed = self.strobe = False

    def write(self, cr: int) -> None:
        self.cr, self.null = cr, True
        if self.mode == 0:
            self.out = 0
        if self.mode in (0, 4) or (self.mode in (2, 3) and self.idle):
            self.load = True
        self.idle = False

    def set_gate(self, g: int) -> None:
        if g and not self.gate and not self.idle and self.mode in (1, 2, 3, 5):
            self.trigger = True
        if not g and self.mode in (2, 3):
            self.out = 1
        self.gate = g

    def pulse(self) -> None:
        n = self.cr or 65536
        if self.strobe:
            self.out, self.strobe = 1, False
        if self.idle:
            return
        m = self.mode
        if self.load or self.trigger:
            self.load = self.trigger = False
            self.null, self.running, self.armed = False, True, True
            if m in (0, 1, 4, 5):
                self.ce = n
                if m == 1:
                    self.out = 0
            elif m == 2:
                self.ce, self.out = n, 1
            else:
                self.half_n, self.ce, self.out = n, n - (n & 1), 1
            return
        if not self.running or (m in (0, 2, 3, 4) and not self.gate):
            return
        if m in (0, 1, 4, 5):
            self.ce = (self.ce - 1) % 65536
            if self.ce == 0 and self.armed:
                self.armed = False
                if m in (0, 1):
                    self.out = 1
                else:
                    self.out, self.strobe = 0, True
        elif m == 2:
            if self.ce == 1:
                self.ce, self.out, self.null = n, 1, False
            else:
                self.ce -= 1
                if self.ce == 1:
                    self.out = 0
        else:
            odd_high = self.half_n & 1 and self.out
            if self.ce == 0 and odd_high:          # the 0 of an odd high half is seen one pulse
                self.out = 0
            else:
                self.ce -= 2
                if self.ce != 0 or odd_high:
                    return
                self.out ^= 1
            self.half_n, self.null = n, False
            self.ce = n - (n & 1)


@pytest.mark.parametrize("ch", [0, 2])
@pytest.mark.parametrize("seed", range(4))
def test_matches_pulse_by_pulse_model(fake_time: FakeTime, seed: int, ch: int) -> None:
    rig = Rig(fake_time)
    rig.pit.set_gate(ch, 0)
    ref = StepModel()
    rnd = random.Random(seed)
    t0 = rig.tick + 1
    ref_edges, prev = 0, 0
    for k in range(t0, t0 + 2500):
        rig.to_tick(k)
        ev = rnd.randrange(12) if k > t0 else 0
        if ev == 0:
            mode = rnd.randrange(6)
            rig.cw((ch << 6) | 0x10 | (mode << 1) | (8 if mode >= 2 and rnd.randrange(2) else 0))
            ref.control(mode)
        elif ev == 1:
            n = rnd.choice([0, 2, 3, 4, 5, 6, 7, 8, 9, 12, 13])
            rig.wr(ch, n)
            ref.write(n)
        elif ev == 2:
            g = 1 - ref.gate
            rig.pit.set_gate(ch, g)
            ref.set_gate(g)
        rig.cw(0xC0 | (2 << ch))                   # read back count and status
        status, count = rig.rd(ch), rig.rd(ch)
        got = (count, status >> 7, (status >> 6) & 1)
        want = (ref.ce % 65536 & 0xFF, ref.out, int(ref.null))
        assert got == want, f"tick {k - t0} mode {ref.mode}"
        if ch == 0:                                # IRQ0 follows OUT0 edge for edge
            assert rig.line.level == ref.out
        ref_edges += ref.out and not prev          # edges from the CW or a GATE change
        prev = ref.out
        ref.pulse()
        ref_edges += ref.out and not prev          # edges on CLK pulses
        prev = ref.out
    rig.to_tick(t0 + 2500)
    if ch == 0:
        assert sum(1 for ts, lv in rig.events if lv and ts >= ticks_to_ns(t0)) == ref_edges


# --- robustness --------------------------------------------------------------------------------
def _fuzz(seed: int) -> tuple[list[int], list[tuple[int, int]]]:
    ft = FakeTime()
    rig = Rig(ft)
    rnd = random.Random(seed)
    reads = []
    for _ in range(6000):
        op = rnd.randrange(10)
        port = 0x40 + rnd.randrange(4)
        if op < 4:
            rig.pit.io_write(port, 1, rnd.randrange(256))
        elif op < 7:
            v = rig.pit.io_read(port, 1)
            assert 0 <= v <= 0xFF
            reads.append(v)
        elif op == 7:
            rig.pit.set_gate(rnd.randrange(3), rnd.randrange(2))
        elif op == 8:
            reads.append(rig.pit.output(rnd.randrange(3)))
        else:
            ft.advance(rnd.choice([1, 500, 838, 5_000, 50_000]))
        assert rig.line.level == rig.pit.irq_level == rig.pit.output(0)
    return reads, rig.events


def test_fuzz_never_raises_and_is_deterministic() -> None:
    first = _fuzz(1234)
    assert first == _fuzz(1234)
    _fuzz(99)
