"""System control ports: port B at 61h (AT) and port A at 92h (PS/2 "fast A20 / fast reset").

Port 61h follows the IBM PC AT Technical Reference (port 61h bit assignments) and
the Intel PIIX "NMI Status and Control Register" (NMISC): bits 0-3 are read/write
controls (timer 2 gate, speaker data, parity/SERR# and IOCHK# NMI enables) and
bits 4-7 are status (refresh toggle, OUT2, IOCHK#, parity/SERR#).

Port 92h follows the IBM PS/2 "System Control Port A" and the PIIX "Port 92
Register": bit 0 is the fast (alternate) CPU reset, bit 1 the alternate A20 gate.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from devices.base import Device
from emulator.clock import Clock

if TYPE_CHECKING:
    from devices.pit import PIT

#: period of the refresh request toggle (DRAM refresh every 15.085 us on the AT)
REFRESH_HALF_PERIOD_NS = 15_085


class SystemControlB(Device):
    """Port 61h: speaker / timer 2 gate control and NMI status (NMISC)."""

    NAME = "port61"
    STATE_VERSION = 1
    STATE_FIELDS = ("control",)
    IO_WIDTHS = (1,)

    def __init__(self, clock: Clock, pit: PIT) -> None:
        self._clock = clock
        self._pit = pit
        #: bits 0-3 as last written: TIM2 gate, speaker data, parity/SERR# NMI off, IOCHK# NMI off
        self.control = 0
        self.reset()

    def reset(self) -> None:
        """All control bits 0 at reset: timer 2 gated off, speaker off, NMI sources enabled."""
        self.control = 0
        self._pit.set_gate(2, 0)

    def port_ranges(self) -> list[tuple[int, int]]:
        return [(0x61, 1)]

    @property
    def speaker_on(self) -> bool:
        """Whether the speaker sounds OUT2: timer 2 gate (bit 0) and speaker data (bit 1) both set."""
        return self.control & 3 == 3

    @property
    def refresh_toggle(self) -> int:
        """Bit 4, refresh request: flips every 15.085 us of virtual time."""
        return (self._clock.now // REFRESH_HALF_PERIOD_NS) & 1

    def io_read(self, port: int, size: int) -> int:
        """Bits 0-3 read back as written; bit 4 refresh toggle; bit 5 OUT2 of the 8254;
        bits 6 (IOCHK#) and 7 (parity / SERR#) NMI status: no such errors occur, so 0."""
        return self.control | (self.refresh_toggle << 4) | ((self._pit.output(2) & 1) << 5)

    def io_write(self, port: int, size: int, value: int) -> None:
        """Store bits 0-3 (bits 4-7 are read-only status) and drive GATE2 from bit 0."""
        self.control = value & 0x0F
        self._pit.set_gate(2, self.control & 1)

    def state_loaded(self) -> None:
        """GATE2 is restored with the PIT's own state; nothing to re-drive here."""


class SystemControlA(Device):
    """Port 92h: PS/2 System Control Port A (alternate A20 gate and fast reset)."""

    NAME = "port92"
    STATE_VERSION = 1
    STATE_FIELDS = ("value",)
    IO_WIDTHS = (1,)

    def __init__(self, on_a20: Callable[[bool], None], on_reset: Callable[[], None]) -> None:
        self._on_a20 = on_a20
        self._on_reset = on_reset
        #: the port's latch as last written (all 8 bits read back)
        self.value = 0

    @property
    def a20(self) -> bool:
        """Bit 1, alternate A20 gate: 1 lets address line 20 through."""
        return bool(self.value & 2)

    def reset(self) -> None:
        """Latch cleared at reset; a set A20 bit is reported as dropped through ``on_a20``."""
        was_on = self.a20
        self.value = 0
        if was_on:
            self._on_a20(False)

    def port_ranges(self) -> list[tuple[int, int]]:
        return [(0x92, 1)]

    def io_read(self, port: int, size: int) -> int:
        """The latch as written: bit 1 shows this port's own A20 gate, bit 0 the reset bit."""
        return self.value

    def io_write(self, port: int, size: int, value: int) -> None:
        """Bit 1 changes the A20 gate (``on_a20``); bit 0 going from 0 to 1 pulses the CPU
        reset (``on_reset``).  Callbacks run after the latch is stored, A20 first, so a
        machine reset they cause sees (and may clear) the new value."""
        old, new = self.value, value & 0xFF
        self.value = new
        if (old ^ new) & 2:
            self._on_a20(bool(new & 2))
        if new & 1 and not old & 1:
            self._on_reset()
