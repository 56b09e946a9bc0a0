"""8042 keyboard controller, PS/2 keyboard and PS/2 mouse, checked against the IBM PS/2 reference."""

from __future__ import annotations

import random

import pytest

from devices.i8042 import I8042
from devices.ps2kbd import SET2_TO_SET1, PS2Keyboard, set2_to_set1
from devices.ps2mouse import PS2Mouse
from tests.devices.conftest import FakeTime, IrqRecorder

DATA, CMD = 0x60, 0x64
DELAY = I8042.BYTE_DELAY_NS


class Rig:
    """A controller wired to recorders for IRQs, A20 and CPU resets."""

    def __init__(self, ft: FakeTime, irqs: IrqRecorder) -> None:
        self.ft = ft
        self.irqs = irqs
        self.a20: list[bool] = []
        self.resets = 0
        self.kbc = I8042(ft.clock, irqs.line(1), irqs.line(12), self.a20.append, self._reset)

    def _reset(self) -> None:
        self.resets += 1

    def cmd(self, c: int, data: int | None = None) -> None:
        self.kbc.io_write(CMD, 1, c)
        if data is not None:
            self.kbc.io_write(DATA, 1, data)

    def out(self, v: int) -> None:
        self.kbc.io_write(DATA, 1, v)

    def status(self) -> int:
        return self.kbc.io_read(CMD, 1)

    def read(self) -> int:
        assert self.status() & 1, "output buffer empty"
        return self.kbc.io_read(DATA, 1)

    def drain(self, limit: int = 64) -> list[int]:
        """Read every byte that arrives, advancing virtual time between bytes."""
        got: list[int] = []
        for _ in range(limit):
            if not self.status() & 1:
                self.ft.advance(DELAY)
                if not self.status() & 1:
                    break
            got.append(self.kbc.io_read(DATA, 1))
        return got

    def init(self, cb: int = 0x47) -> None:
        self.cmd(0xAA)
        assert self.read() == 0x55
        self.cmd(0x60, cb)
        self.ft.advance(DELAY)                        # let the byte spacing after the read pass


@pytest.fixture
def rig(fake_time: FakeTime, irqs: IrqRecorder) -> Rig:
    return Rig(fake_time, irqs)


# --- controller --------------------------------------------------------------------------
def test_power_on_status(rig: Rig) -> None:
    st = rig.status()
    assert st & 0x01 == 0 and st & 0x02 == 0          # OBF, IBF clear
    assert st & 0x04 == 0                             # system flag clear after power on
    assert st & 0x10                                  # keyboard not inhibited
    assert rig.kbc.a20


def test_bios_self_test_and_init(rig: Rig) -> None:
    rig.cmd(0xAA)
    st = rig.status()
    assert st & 0x01 and st & 0x08                    # OBF, last write was a command
    assert rig.kbc.io_read(DATA, 1) == 0x55
    assert rig.status() & 0x04                        # system flag after a passed self-test
    rig.cmd(0x60)
    assert rig.status() & 0x08
    rig.out(0x45)
    assert rig.status() & 0x08 == 0                   # A2 clear after a data write
    rig.cmd(0x20)
    assert rig.read() == 0x45
    rig.cmd(0x60, 0x47)
    rig.cmd(0x20)
    assert rig.read() == 0x47
    rig.cmd(0xAB)
    assert rig.read() == 0x00
    rig.cmd(0xA9)
    assert rig.read() == 0x00
    rig.cmd(0xA4)
    assert rig.read() == 0xF1                         # no password installed


def test_keyboard_reset_ack_then_bat_with_delay(rig: Rig) -> None:
    rig.init(0x45)
    rig.out(0xFF)
    assert rig.irqs.levels[1] == 1
    assert rig.read() == 0xFA
    assert rig.irqs.levels[1] == 0
    rig.ft.advance(DELAY - 1)
    assert rig.status() & 1 == 0                      # next byte only after the fixed delay
    rig.ft.advance(1)
    assert rig.status() & 1
    assert rig.irqs.levels[1] == 1
    assert rig.read() == 0xAA
    assert rig.irqs.rising_edges(1) == 2              # one edge per byte
    rig.ft.advance(10 * DELAY)
    assert rig.status() & 1 == 0


def test_set_leds_and_typematic(rig: Rig) -> None:
    rig.init()
    rig.out(0xED)
    assert rig.drain() == [0xFA]
    rig.out(0x07)
    assert rig.drain() == [0xFA]
    assert rig.kbc.keyboard.leds == 7
    rig.out(0xF3)
    rig.out(0x20)
    assert rig.drain() == [0xFA, 0xFA]
    assert rig.kbc.keyboard.typematic == 0x20
    # a command in place of the option byte cancels the pending command and runs
    rig.out(0xED)
    rig.out(0xEE)
    assert rig.drain() == [0xFA, 0xEE]
    assert rig.kbc.keyboard.leds == 7


def test_keyboard_id_translated_and_raw(rig: Rig) -> None:
    rig.init(0x45)
    rig.out(0xF2)
    assert rig.drain() == [0xFA, 0xAB, 0x41]          # 83h read through the translation
    rig.cmd(0x60, 0x05)
    rig.out(0xF2)
    assert rig.drain() == [0xFA, 0xAB, 0x83]


def test_scan_set_get_and_set1_without_translation(rig: Rig) -> None:
    rig.init(0x05)
    rig.out(0xF0)
    rig.out(0x00)
    assert rig.drain() == [0xFA, 0xFA, 0x02]
    rig.out(0xF0)
    rig.out(0x01)
    assert rig.drain() == [0xFA, 0xFA]
    kb = rig.kbc.keyboard
    kb.key_event(0x1C, True)
    kb.key_event(0x1C, False)
    kb.key_event(0x75, False, extended=True)
    assert rig.drain() == [0x1E, 0x9E, 0xE0, 0xC8]
    rig.out(0xF0)
    rig.out(0x00)
    assert rig.drain() == [0xFA, 0xFA, 0x01]
    rig.out(0xF0)
    rig.out(0x09)
    assert rig.drain() == [0xFA, 0xFE]                # invalid set
    rig.cmd(0x60, 0x45)
    rig.out(0xF0)
    rig.out(0x00)
    assert rig.drain() == [0xFA, 0xFA, 0x43]          # set 1 report through translation


def test_translation_set2_to_set1(rig: Rig) -> None:
    rig.init(0x45)
    kb = rig.kbc.keyboard
    kb.key_event(0x1C, True)                          # A
    kb.key_event(0x1C, False)
    assert rig.drain() == [0x1E, 0x9E]
    kb.key_event(0x75, True, extended=True)           # up arrow
    kb.key_event(0x75, False, extended=True)
    assert rig.drain() == [0xE0, 0x48, 0xE0, 0xC8]
    kb.key_event(0x76, True)                          # Esc
    kb.key_event(0x5A, True, extended=True)           # keypad Enter
    kb.key_event(0x83, True)                          # F7 (code above 7Fh)
    assert rig.drain() == [0x01, 0xE0, 0x1C, 0x41]
    kb.send_pause()
    assert rig.drain() == [0xE1, 0x1D, 0x45, 0xE1, 0x9D, 0xC5]
    kb.send_print_screen(True)
    kb.send_print_screen(False)
    assert rig.drain() == [0xE0, 0x2A, 0xE0, 0x37, 0xE0, 0xB7, 0xE0, 0xAA]


def test_no_translation_passes_set2(rig: Rig) -> None:
    rig.init(0x05)
    kb = rig.kbc.keyboard
    kb.key_event(0x1C, True)
    kb.key_event(0x1C, False)
    kb.key_event(0x75, False, extended=True)
    assert rig.drain() == [0x1C, 0xF0, 0x1C, 0xE0, 0xF0, 0x75]


def test_translation_table_spot_checks() -> None:
    # Microsoft Scan Code Specification: set 2 -> set 1 per key
    pairs = {0x16: 0x02, 0x66: 0x0E, 0x0D: 0x0F, 0x5A: 0x1C, 0x14: 0x1D, 0x12: 0x2A,
             0x59: 0x36, 0x11: 0x38, 0x29: 0x39, 0x58: 0x3A, 0x05: 0x3B, 0x07: 0x58,
             0x77: 0x45, 0x7E: 0x46, 0x71: 0x53, 0x61: 0x56, 0x78: 0x57, 0x1F: 0x5B}
    for s2, s1 in pairs.items():
        assert SET2_TO_SET1[s2] == s1
    for b in (0xE0, 0xE1, 0xFA, 0xAA, 0xEE, 0xFE):
        assert SET2_TO_SET1[b] == b
    assert set2_to_set1([0xE0, 0xF0, 0x6B]) == [0xE0, 0xCB]       # left arrow break
    # one set-1 code per distinct key: the table is injective on the keys
    keys = [i for i in range(256) if SET2_TO_SET1[i] != i and i != 0x02]
    assert len({SET2_TO_SET1[i] for i in keys}) == len(keys)


def test_irq1_one_edge_per_byte_at_fixed_delay(rig: Rig) -> None:
    rig.init(0x45)
    kb = rig.kbc.keyboard
    for code in (0x1C, 0x32, 0x21):                   # A B C make codes
        kb.key_event(code, True)
    assert rig.irqs.rising_edges(1) == 1
    got = []
    times = []
    while True:
        if rig.status() & 1:
            times.append(rig.ft.clock.now)
            got.append(rig.kbc.io_read(DATA, 1))
            assert rig.irqs.levels[1] == 0
        else:
            if rig.ft.clock.next_deadline() is None:
                break
            rig.ft.advance(rig.ft.clock.next_deadline() - rig.ft.clock.now)
    assert got == [0x1E, 0x30, 0x2E]
    assert [b - a for a, b in zip(times, times[1:])] == [DELAY, DELAY]
    assert rig.irqs.rising_edges(1) == 3
    assert rig.irqs.rising_edges(12) == 0


def test_irq_disabled_in_command_byte(rig: Rig) -> None:
    rig.init(0x44)
    rig.kbc.keyboard.key_event(0x1C, True)
    assert rig.status() & 1
    assert rig.irqs.levels.get(1, 0) == 0
    rig.cmd(0x60, 0x45)                               # enabling the interrupt with OBF set raises it
    assert rig.irqs.levels[1] == 1
    assert rig.kbc.io_read(DATA, 1) == 0x1E
    assert rig.irqs.levels[1] == 0


def test_disable_keyboard_interface(rig: Rig) -> None:
    rig.init(0x45)
    kb = rig.kbc.keyboard
    rig.cmd(0xAD)
    rig.cmd(0x20)
    assert rig.read() & 0x10                          # AD sets command byte bit 4
    kb.key_event(0x1C, True)
    rig.ft.advance(5 * DELAY)
    assert rig.status() & 1 == 0                      # held in the keyboard while inhibited
    rig.cmd(0xAE)
    assert rig.drain() == [0x1E]
    rig.cmd(0x60, 0x55)                               # bit 4 through the command byte
    kb.key_event(0x1C, False)
    rig.ft.advance(5 * DELAY)
    assert rig.status() & 1 == 0
    rig.cmd(0x60, 0x45)
    assert rig.drain() == [0x9E]
    rig.cmd(0xE0)
    assert rig.read() == 0x03                         # both clocks released


def test_keyboard_disable_command_drops_keys(rig: Rig) -> None:
    rig.init(0x45)
    kb = rig.kbc.keyboard
    rig.out(0xF5)
    assert rig.drain() == [0xFA]
    kb.key_event(0x1C, True)
    assert rig.drain() == []
    rig.out(0xF4)
    kb.key_event(0x1C, True)
    assert rig.drain() == [0xFA, 0x1E]


def test_write_to_keyboard_enables_interface(rig: Rig) -> None:
    rig.init(0x45)
    rig.cmd(0xAD)
    rig.out(0xEE)
    assert rig.drain() == [0xEE]
    rig.cmd(0x20)
    assert rig.read() & 0x10 == 0


def test_keyboard_overrun(rig: Rig) -> None:
    rig.init(0x45)
    rig.cmd(0xAD)
    kb = rig.kbc.keyboard
    for _ in range(20):
        kb.key_event(0x1C, True)
    assert len(kb.queue) == 16 and kb.queue[-1] == 0x00
    rig.cmd(0xAE)
    got = rig.drain()
    assert got == [0x1E] * 15 + [0xFF]                # set-2 overrun 00h reads FFh translated


def test_keyboard_commands_misc() -> None:
    kb = PS2Keyboard()
    kb.receive(0xEE)
    kb.receive(0x55)                                  # invalid command
    assert kb.queue == [0xEE, 0xFE]
    assert kb.take() == 0xEE
    kb.receive(0xFE)                                  # resend the last byte transmitted
    assert kb.queue == [0xFE, 0xEE]
    kb.queue.clear()
    kb.receive(0xF6)
    kb.receive(0xFB)
    kb.receive(0x1C)
    assert kb.queue == [0xFA, 0xFA, 0xFA]
    kb.receive(0xF4)
    assert kb.queue == [0xFA]                         # F4h cleared the buffer, then ACKed
    kb.receive(0xFF)
    assert kb.queue == [0xFA, 0xAA]
    assert kb.scan_set == 2 and kb.enabled and kb.leds == 0


def test_ram_bytes_and_output_port(rig: Rig) -> None:
    rig.cmd(0x65, 0x99)
    rig.cmd(0x7F, 0x12)
    rig.cmd(0x25)
    assert rig.read() == 0x99
    rig.cmd(0x3F)
    assert rig.read() == 0x12
    rig.cmd(0xC0)
    assert rig.read() & 0x80                          # keyboard not inhibited
    rig.cmd(0xC2)
    assert rig.status() >> 4 == I8042.INPUT_PORT >> 4
    rig.cmd(0xC1)
    assert rig.status() >> 4 == I8042.INPUT_PORT & 0x0F
    rig.cmd(0x20)
    assert rig.status() & 0x10                        # polling ends with the next command
    rig.read()


def test_a20_through_output_port(rig: Rig) -> None:
    rig.cmd(0xD0)
    assert rig.read() & 0x03 == 0x03                  # power on: A20 on, not in reset
    rig.cmd(0xD1, 0xDD)
    assert rig.a20 == [False] and not rig.kbc.a20
    rig.cmd(0xD0)
    assert rig.read() & 0x02 == 0
    rig.cmd(0xD1, 0xDF)
    assert rig.a20 == [False, True]
    rig.cmd(0xD1, 0xDF)                               # unchanged: no callback
    assert rig.a20 == [False, True]
    rig.cmd(0xDD)
    rig.cmd(0xDF)
    assert rig.a20 == [False, True, False, True]
    assert rig.resets == 0


def test_cpu_reset(rig: Rig) -> None:
    rig.cmd(0xFE)
    assert rig.resets == 1
    rig.cmd(0xFF)                                     # no line pulsed
    rig.cmd(0xF3)                                     # bit 0 set: reset not pulsed
    assert rig.resets == 1
    rig.cmd(0xF0)
    assert rig.resets == 2
    rig.cmd(0xD1, 0xDE)                               # bit 0 = 0: reset, A20 left on
    assert rig.resets == 3 and rig.a20 == []
    rig.cmd(0xD0)
    assert rig.read() & 0x01                          # reads back out of reset


def test_output_port_reflects_obf_lines(rig: Rig) -> None:
    rig.init(0x47)
    rig.cmd(0xD3, 0x11)
    rig.cmd(0xD0)                                     # D0h result overwrites the AUX byte
    v = rig.read()
    assert v & 0x20 and not v & 0x10                  # the aux byte was pending when D0h ran


def test_d2_d3_loopback(rig: Rig) -> None:
    rig.init(0x47)
    rig.cmd(0xD3, 0x5A)
    st = rig.status()
    assert st & 0x21 == 0x21                          # OBF with AUXB
    assert rig.irqs.levels[12] == 1 and rig.irqs.levels.get(1, 0) == 0
    assert rig.kbc.io_read(DATA, 1) == 0x5A
    assert rig.irqs.levels[12] == 0
    rig.cmd(0xD2, 0xF0)                               # not translated
    assert rig.status() & 0x21 == 0x01
    assert rig.irqs.levels[1] == 1
    assert rig.kbc.io_read(DATA, 1) == 0xF0


def test_aux_enable_disable_bits(rig: Rig) -> None:
    rig.init(0x47)
    rig.cmd(0xA7)
    rig.cmd(0x20)
    assert rig.read() & 0x20
    rig.cmd(0xA8)
    rig.cmd(0x20)
    assert rig.read() & 0x20 == 0


# --- mouse through the controller -----------------------------------------------------------
def aux(rig: Rig, *data: int) -> list[int]:
    """Send bytes to the mouse (D4h each) and collect what comes back, all flagged AUXB."""
    got: list[int] = []
    for d in data:
        rig.cmd(0xD4, d)
        for _ in range(8):
            if not rig.status() & 1:
                rig.ft.advance(DELAY)
                if not rig.status() & 1:
                    break
            assert rig.status() & 0x20
            got.append(rig.kbc.io_read(DATA, 1))
    return got


def test_aux_path_ack_with_auxb_and_irq12(rig: Rig) -> None:
    rig.init(0x47)
    rig.cmd(0xD4, 0xF4)
    assert rig.status() & 0x21 == 0x21
    assert rig.irqs.levels[12] == 1 and rig.irqs.levels.get(1, 0) == 0
    assert rig.kbc.io_read(DATA, 1) == 0xFA
    assert rig.irqs.levels[12] == 0
    assert aux(rig, 0xFF) == [0xFA, 0xAA, 0x00]
    assert rig.irqs.rising_edges(12) == 4
    assert rig.irqs.rising_edges(1) == 0


def test_aux_disabled_holds_mouse_bytes(rig: Rig) -> None:
    rig.init(0x47)
    assert aux(rig, 0xF4) == [0xFA]
    rig.cmd(0xA7)
    rig.kbc.mouse.move(1, 1)
    rig.ft.advance(5 * DELAY)
    assert rig.status() & 1 == 0
    rig.cmd(0xA8)
    assert rig.drain() == [0x08, 0x01, 0x01]


def test_mouse_packet_format(rig: Rig) -> None:
    rig.init(0x47)
    m = rig.kbc.mouse
    m.move(5, 5)
    assert rig.drain() == []                          # reporting disabled after power on
    assert aux(rig, 0xF4) == [0xFA]
    m.move(5, -3, buttons=1)
    assert rig.drain() == [0x29, 0x05, 0xFD]          # Y sign, bit 3, left button
    m.move(-1, 2, buttons=6)
    assert rig.drain() == [0x1E, 0xFF, 0x02]          # X sign, right + middle
    m.move(-256, 255)
    assert rig.drain() == [0x18, 0x00, 0xFF]          # extremes without overflow
    m.move(300, -400)
    assert rig.drain() == [0xE8, 0xFF, 0x00]          # X and Y overflow, clamped
    m.move(0, 0, dz=3)
    assert rig.drain() == [0x08, 0x00, 0x00]          # no wheel byte for ID 00h


def test_intellimouse_knock(rig: Rig) -> None:
    rig.init(0x47)
    assert aux(rig, 0xF2) == [0xFA, 0x00]
    assert aux(rig, 0xF3, 200, 0xF3, 100, 0xF3, 80) == [0xFA] * 6
    assert aux(rig, 0xF2) == [0xFA, 0x03]
    assert aux(rig, 0xF4) == [0xFA]
    rig.kbc.mouse.move(1, 0, dz=-1)
    assert rig.drain() == [0x08, 0x01, 0x00, 0xFF]
    rig.kbc.mouse.move(0, 0, dz=20)
    assert rig.drain() == [0x08, 0x00, 0x00, 0x07]     # wheel clamped to 4-bit range
    assert aux(rig, 0xFF) == [0xFA, 0xAA, 0x00]
    assert aux(rig, 0xF2) == [0xFA, 0x00]             # reset returns to the standard ID


def test_mouse_status_modes_and_errors() -> None:
    m = PS2Mouse()
    for b in (0xF3, 40, 0xE8, 3, 0xE7, 0xF4):
        m.receive(b)
    m.move(0, 0, buttons=5)                           # left + middle
    m.queue.clear()
    m.receive(0xE9)
    assert m.queue == [0xFA, 0x20 | 0x10 | 0x04 | 0x02, 3, 40]
    def send(*data: int) -> list[int]:
        m.queue.clear()
        for b in data:
            m.receive(b)
        return list(m.queue)

    assert send(0xE6) == [0xFA]
    assert send(0xF3, 33) == [0xFA, 0xFE]             # not a valid rate
    assert send(0xE8, 9) == [0xFA, 0xFE]              # not a valid resolution
    assert send(0x42) == [0xFE]                       # unknown command
    assert m.rate == 40 and m.resolution == 3
    # remote mode: movement accumulates until Read Data
    assert send(0xF0) == [0xFA]
    m.move(3, 4, buttons=2)
    m.move(2, -10, buttons=2)
    assert m.queue == [0xFA]
    assert send(0xEB) == [0xFA, 0x2A, 0x05, 0xFA]
    assert send(0xEB) == [0xFA, 0x0A, 0x00, 0x00]
    assert send(0xFE) == [0x0A, 0x00, 0x00]           # resend the last report, no ACK
    assert send(0xE9)[1] & 0x40                       # remote mode bit
    # wrap mode echoes everything but ECh and FFh
    assert send(0xEE, 0x12, 0xF4) == [0xFA, 0x12, 0xF4]
    assert send(0xEC, 0xF2) == [0xFA, 0x00]           # the F2h command cleared the queue
    m.receive(0xF6)                                   # defaults: stream mode, disabled
    assert not m.remote and not m.enabled and m.rate == 100 and m.resolution == 2


def test_mouse_scaling_2_to_1() -> None:
    m = PS2Mouse()
    m.receive(0xE7)
    m.receive(0xF4)
    m.queue.clear()
    for d, want in ((1, 1), (2, 1), (3, 3), (4, 6), (5, 9), (7, 14), (-4, -6)):
        m.move(d, 0)
        assert m.queue[1] == want & 0xFF
        m.queue.clear()


# --- save / restore ---------------------------------------------------------------------------
def _script(rig: Rig) -> list[object]:
    """A deterministic mixture of guest and host activity; returns everything observed."""
    seen: list[object] = []
    for step in range(40):
        if step % 7 == 0:
            rig.kbc.keyboard.key_event(0x1C + step % 5, step % 2 == 0)
        if step % 11 == 3:
            rig.kbc.mouse.move(step, -step, step % 3, step % 8)
        if step == 20:
            rig.cmd(0xD4, 0xE9)
        seen.append(rig.status())
        if rig.status() & 1:
            seen.append(rig.kbc.io_read(DATA, 1))
        rig.ft.advance(DELAY // 3)
    seen.append(list(rig.irqs.history))
    return seen


def test_save_restore_round_trip(fake_time: FakeTime, irqs: IrqRecorder) -> None:
    a = Rig(fake_time, irqs)
    a.init(0x47)
    assert aux(a, 0xF3, 200, 0xF3, 100, 0xF3, 80, 0xF4) == [0xFA] * 7
    a.out(0xED)
    a.out(0x05)
    kb = a.kbc.keyboard
    for code in (0x1C, 0x1B, 0x23):
        kb.key_event(code, True)
    kb.key_event(0x1C, False)                         # F0 prefix queued behind
    a.kbc.mouse.move(-3, 7, 1, 1)
    assert a.kbc.io_read(DATA, 1) == 0xFA             # the LED ACK; next byte pending on the timer
    a.ft.advance(DELAY // 2)
    saved_dev = a.kbc.save_state()
    saved_clock = a.ft.clock.save_state()
    saved_icount = a.ft.icount

    ft2, irqs2 = FakeTime(), IrqRecorder()
    b = Rig(ft2, irqs2)
    b.kbc.load_state(saved_dev, I8042.STATE_VERSION)
    ft2.icount = saved_icount
    ft2.clock.load_state(saved_clock)
    assert b.kbc.irq1.level == a.kbc.irq1.level and b.kbc.irq12.level == a.kbc.irq12.level
    assert b.kbc.save_state() == saved_dev
    assert b.kbc.keyboard.leds == 5 and b.kbc.mouse.device_id == 3

    irqs.history.clear()
    assert _script(a) == _script(b)


def test_load_state_rejects_foreign_state(rig: Rig) -> None:
    state = rig.kbc.save_state()
    del state["mouse"]
    with pytest.raises(ValueError):
        rig.kbc.load_state(state)


def test_reset_returns_to_power_on(rig: Rig) -> None:
    rig.init(0x47)
    rig.kbc.keyboard.key_event(0x1C, True)
    rig.cmd(0xD1, 0xDD)
    rig.kbc.reset()
    assert rig.status() & 0x05 == 0
    assert rig.kbc.command_byte == I8042.POWER_ON_COMMAND and rig.kbc.a20
    assert rig.kbc.keyboard.queue == [] and rig.irqs.levels.get(1, 0) == 0


# --- robustness -----------------------------------------------------------------------------
def test_fuzz_ports_never_raise(fake_time: FakeTime, irqs: IrqRecorder) -> None:
    rng = random.Random(8042)
    rig = Rig(fake_time, irqs)
    kbc = rig.kbc
    for _ in range(20000):
        r = rng.random()
        port = rng.choice((DATA, CMD))
        if r < 0.45:
            kbc.io_write(port, 1, rng.randrange(256))
        elif r < 0.85:
            v = kbc.io_read(port, 1)
            assert 0 <= v <= 0xFF
        elif r < 0.92:
            kbc.keyboard.key_event(rng.randrange(256), rng.random() < 0.5, rng.random() < 0.3)
        elif r < 0.96:
            kbc.mouse.move(rng.randrange(-600, 600), rng.randrange(-600, 600),
                           rng.randrange(-20, 20), rng.randrange(256))
        else:
            fake_time.advance(rng.randrange(2 * DELAY))
        assert len(kbc.keyboard.queue) <= PS2Keyboard.RESPONSE_LIMIT
        assert len(kbc.mouse.queue) <= PS2Mouse.QUEUE_LIMIT
        assert all(0 <= b <= 0xFF for b in kbc.ram)
    # whatever the guest did, the state still round-trips
    state = kbc.save_state()
    kbc.load_state(state, I8042.STATE_VERSION)
    assert kbc.save_state() == state
