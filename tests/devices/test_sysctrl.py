"""System control port B (61h) and port A (92h)."""

from __future__ import annotations

import random

import pytest

from devices.pit import PIT, ns_to_ticks, ticks_to_ns
from devices.sysctrl import SystemControlA, SystemControlB
from tests.devices.conftest import FakeTime, IrqRecorder


@pytest.fixture
def board(fake_time: FakeTime, irqs: IrqRecorder) -> tuple[PIT, SystemControlB]:
    pit = PIT(fake_time.clock, irqs.line(0))
    return pit, SystemControlB(fake_time.clock, pit)


# --- port 61h --------------------------------------------------------------------------------
def test_port61_decode_and_readback(board: tuple[PIT, SystemControlB]) -> None:
    _, port61 = board
    assert port61.port_ranges() == [(0x61, 1)]
    for v in range(16):
        port61.io_write(0x61, 1, v | 0xF0)                 # bits 4-7 are status: writes ignored
        got = port61.io_read(0x61, 1)
        assert got & 0x0F == v                             # bits 0-3 read back as written
        assert got & 0xC0 == 0                             # no IOCHK# / parity errors


def test_port61_gate2_drives_timer2_and_bit5_is_out2(fake_time: FakeTime,
                                                     board: tuple[PIT, SystemControlB]) -> None:
    pit, port61 = board
    pit.io_write(0x43, 1, 0xB6)                            # counter 2, RW=11, mode 3
    pit.io_write(0x42, 1, 4)
    pit.io_write(0x42, 1, 0)
    t = ns_to_ticks(fake_time.clock.now)
    fake_time.advance(ticks_to_ns(t + 3) + 200 - fake_time.clock.now)
    pit.io_write(0x43, 1, 0x80)
    assert pit.io_read(0x42, 1) == 4                       # GATE2 low (port 61h bit 0 = 0): loaded, held
    pit.io_read(0x42, 1)
    port61.io_write(0x61, 1, 0x01)                         # gate on: trigger, square wave runs
    t = ns_to_ticks(fake_time.clock.now)
    seen = []
    for k in range(1, 9):
        fake_time.advance(ticks_to_ns(t + k) + 200 - fake_time.clock.now)
        v = port61.io_read(0x61, 1)
        assert (v >> 5) & 1 == pit.output(2)
        seen.append((v >> 5) & 1)
    assert seen == [1, 1, 0, 0, 1, 1, 0, 0]
    port61.io_write(0x61, 1, 0x00)                         # gate off: OUT2 forced high in mode 3
    assert port61.io_read(0x61, 1) & 0x20


def test_port61_speaker_on(board: tuple[PIT, SystemControlB]) -> None:
    _, port61 = board
    for v, on in [(0, False), (1, False), (2, False), (3, True), (0xFF, True), (0x0E, False)]:
        port61.io_write(0x61, 1, v)
        assert port61.speaker_on is on


def test_port61_refresh_toggle_timing(fake_time: FakeTime, board: tuple[PIT, SystemControlB]) -> None:
    _, port61 = board

    def bit4() -> int:
        return (port61.io_read(0x61, 1) >> 4) & 1

    assert bit4() == 0
    fake_time.advance(15_084)
    assert bit4() == 0
    fake_time.advance(1)                                   # 15.085 us
    assert bit4() == 1
    fake_time.advance(15_085)
    assert bit4() == 0
    flips, last = 0, bit4()
    for _ in range(1000):                                  # 1 ms in 1 us steps
        fake_time.advance(1000)
        b = bit4()
        flips += b != last
        last = b
    assert flips == 66                                     # 1 ms / 15.085 us


def test_port61_reset_and_state(fake_time: FakeTime, board: tuple[PIT, SystemControlB]) -> None:
    pit, port61 = board
    port61.io_write(0x61, 1, 0x0B)
    state = port61.save_state()
    assert state == {"control": 0x0B}
    port61.reset()
    assert port61.io_read(0x61, 1) & 0x0F == 0
    pit.io_write(0x43, 1, 0x90)                            # counter 2, mode 0: counts only with GATE2
    pit.io_write(0x42, 1, 5)
    fake_time.advance(10_000)
    assert pit.io_read(0x42, 1) == 5                       # reset left GATE2 low
    fresh = SystemControlB(fake_time.clock, pit)
    fresh.load_state(state, SystemControlB.STATE_VERSION)
    assert fresh.io_read(0x61, 1) & 0x0F == 0x0B and fresh.speaker_on


# --- port 92h --------------------------------------------------------------------------------
class Calls:
    def __init__(self) -> None:
        self.a20: list[bool] = []
        self.resets = 0

    def on_a20(self, on: bool) -> None:
        self.a20.append(on)

    def on_reset(self) -> None:
        self.resets += 1


def test_port92_a20_gate() -> None:
    calls = Calls()
    p = SystemControlA(calls.on_a20, calls.on_reset)
    assert p.port_ranges() == [(0x92, 1)]
    assert p.io_read(0x92, 1) == 0 and not p.a20
    p.io_write(0x92, 1, 0x02)
    assert calls.a20 == [True] and p.io_read(0x92, 1) == 0x02 and p.a20
    p.io_write(0x92, 1, 0x02)                              # no change: no call
    p.io_write(0x92, 1, 0xC2)                              # other bits stored, A20 unchanged
    assert calls.a20 == [True] and p.io_read(0x92, 1) == 0xC2
    p.io_write(0x92, 1, 0x00)
    assert calls.a20 == [True, False] and calls.resets == 0


def test_port92_fast_reset_on_rising_bit0() -> None:
    calls = Calls()
    p = SystemControlA(calls.on_a20, calls.on_reset)
    p.io_write(0x92, 1, 0x01)
    assert calls.resets == 1 and p.io_read(0x92, 1) == 0x01  # reads back as written
    p.io_write(0x92, 1, 0x03)                              # bit 0 already 1: no new reset
    assert calls.resets == 1 and calls.a20 == [True]
    p.io_write(0x92, 1, 0x02)
    p.io_write(0x92, 1, 0x03)
    assert calls.resets == 2


def test_port92_reset_callback_may_reset_the_device() -> None:
    calls = Calls()
    p: SystemControlA

    def machine_reset() -> None:
        calls.on_reset()
        p.reset()

    p = SystemControlA(calls.on_a20, machine_reset)
    p.io_write(0x92, 1, 0x03)                              # A20 on, then CPU reset
    assert calls.a20 == [True, False] and calls.resets == 1
    assert p.io_read(0x92, 1) == 0


def test_port92_state_round_trip_without_callbacks() -> None:
    calls = Calls()
    p = SystemControlA(calls.on_a20, calls.on_reset)
    p.io_write(0x92, 1, 0x42)
    q_calls = Calls()
    q = SystemControlA(q_calls.on_a20, q_calls.on_reset)
    q.load_state(p.save_state(), SystemControlA.STATE_VERSION)
    assert q.io_read(0x92, 1) == 0x42 and q_calls.a20 == [] and q_calls.resets == 0
    q.io_write(0x92, 1, 0x40)                              # behaves as the saved latch
    assert q_calls.a20 == [False]


# --- robustness --------------------------------------------------------------------------------
def test_fuzz_ports_never_raise(fake_time: FakeTime, board: tuple[PIT, SystemControlB]) -> None:
    pit, port61 = board
    calls = Calls()
    port92 = SystemControlA(calls.on_a20, calls.on_reset)
    rnd = random.Random(61)
    for _ in range(5000):
        op = rnd.randrange(6)
        if op == 0:
            port61.io_write(0x61, 1, rnd.randrange(256))
        elif op == 1:
            v = port61.io_read(0x61, 1)
            assert 0 <= v <= 0xFF and v & 0xC0 == 0 and (v >> 5) & 1 == pit.output(2)
        elif op == 2:
            port92.io_write(0x92, 1, rnd.randrange(256))
        elif op == 3:
            assert port92.io_read(0x92, 1) == port92.value
        elif op == 4:
            pit.io_write(0x40 + rnd.randrange(4), 1, rnd.randrange(256))
        else:
            fake_time.advance(rnd.randrange(30_000))
    assert calls.resets > 0 and calls.a20
