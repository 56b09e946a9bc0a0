"""The port bus (width splitting, unclaimed ports, conflicts) and the virtual clock."""

from __future__ import annotations

import pytest

from devices.base import Device
from emulator.clock import Clock
from emulator.portbus import PortBus, PortConflictError


class ByteRegs(Device):
    NAME = "bytes"

    def __init__(self, first: int, count: int) -> None:
        self.first, self.count = first, count
        self.regs = [0] * count
        self.log: list[tuple[str, int, int, int]] = []

    def port_ranges(self):
        return [(self.first, self.count)]

    def io_read(self, port, size):
        self.log.append(("r", port, size, 0))
        return self.regs[port - self.first]

    def io_write(self, port, size, value):
        self.log.append(("w", port, size, value))
        self.regs[port - self.first] = value


class WordPort(ByteRegs):
    NAME = "words"
    IO_WIDTHS = (2,)


def test_wide_access_to_a_byte_device_is_split_low_byte_first():
    bus = PortBus()
    dev = ByteRegs(0x100, 4)
    bus.attach(dev)
    bus.write(0x100, 4, 0x44332211)
    assert dev.regs == [0x11, 0x22, 0x33, 0x44]
    assert [e[1] for e in dev.log] == [0x100, 0x101, 0x102, 0x103]
    assert bus.read(0x102, 2) == 0x4433
    # a word straddling the end: the high byte comes from an unclaimed port
    assert bus.read(0x103, 2) == 0xFF44


def test_unclaimed_ports_float_high_and_are_traced_once():
    seen: list[str] = []
    bus = PortBus(trace_unclaimed=seen.append)
    assert bus.read(0x1234, 1) == 0xFF and bus.read(0x1234, 4) == 0xFFFFFFFF
    bus.write(0x1234, 2, 0xABCD)
    assert len([s for s in seen if "read 0x1234" in s]) == 1
    assert any("write 0x1234" in s for s in seen)


def test_word_device_answers_byte_access():
    bus = PortBus()
    dev = WordPort(0x1F0, 2)
    bus.attach(dev)
    bus.write(0x1F0, 2, 0xBEEF)
    assert dev.log[-1] == ("w", 0x1F0, 2, 0xBEEF)
    assert bus.read(0x1F0, 1) == 0xEF


def test_port_conflict_is_an_error():
    bus = PortBus()
    bus.attach(ByteRegs(0x60, 1))
    other = ByteRegs(0x5F, 2)
    other.NAME = "other"
    with pytest.raises(PortConflictError, match="0x0060 is claimed by both bytes and other"):
        bus.attach(other)
    assert bus.owner(0x5F) is None          # nothing of the refused device was attached


def test_clock_timers_fire_in_deadline_order():
    icount = [0]
    clock = Clock(lambda: icount[0], ns_per_insn=10)
    fired: list[tuple[str, int]] = []
    a = clock.timer("a", lambda now: fired.append(("a", now)))
    b = clock.timer("b", lambda now: fired.append(("b", now)))
    a.arm(500)
    b.arm(200)
    assert clock.next_deadline() == 200 and clock.insns_until(200) == 20
    icount[0] = 60                            # 600 ns: both are due
    assert clock.run_due() == 2
    assert fired == [("b", 600), ("a", 600)]
    clock.advance_to(1000)                    # idle time: the offset grows, icount does not
    assert clock.now == 1000 and clock.offset_ns == 400
    with pytest.raises(ValueError):
        clock.timer("a", lambda now: None)


def test_clock_state_round_trip():
    icount = [7]
    clock = Clock(lambda: icount[0])
    t = clock.timer("t", lambda now: None)
    t.arm(12345)
    clock.advance_to(1000)
    saved = clock.save_state()
    other = Clock(lambda: icount[0])
    other.timer("t", lambda now: None)
    other.load_state(saved)
    assert other.now == clock.now and other.next_deadline() == 12345
