"""Fixtures for device unit tests: a hand-driven virtual clock and IRQ recorders."""

from __future__ import annotations

import pytest

from devices.base import IrqLine
from emulator.clock import Clock


class FakeTime:
    """A clock at 1 ns per instruction whose time the test moves by hand."""

    def __init__(self) -> None:
        self.icount = 0
        self.clock = Clock(lambda: self.icount, ns_per_insn=1)

    def advance(self, ns: int) -> None:
        """Move time forward ``ns`` nanoseconds, firing each timer at its own deadline."""
        target = self.clock.now + ns
        while True:
            d = self.clock.next_deadline()
            if d is None or d > target:
                break
            self.icount += max(0, d - self.clock.now)
            self.clock.run_due()
        self.icount += target - self.clock.now
        self.clock.run_due()


class IrqRecorder:
    """Stands in for the PIC: records every level change per IRQ number."""

    def __init__(self) -> None:
        self.levels: dict[int, int] = {}
        self.history: list[tuple[int, int]] = []

    def __call__(self, irq: int, level: int) -> None:
        self.levels[irq] = level
        self.history.append((irq, level))

    def line(self, irq: int) -> IrqLine:
        return IrqLine(self, irq)

    def rising_edges(self, irq: int) -> int:
        return sum(1 for n, lv in self.history if n == irq and lv)


@pytest.fixture
def fake_time() -> FakeTime:
    return FakeTime()


@pytest.fixture
def irqs() -> IrqRecorder:
    return IrqRecorder()
