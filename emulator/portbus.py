"""The ISA I/O port space: 65536 byte ports, each decoded by at most one device.

A device registers the port ranges it decodes (:meth:`PortBus.attach`) and
states which access widths it implements (``Device.IO_WIDTHS``).  A word or
dword access to a device that only implements bytes is split into byte
accesses at consecutive ports, low byte first, as the ISA bus does for an
8-bit device; each byte goes to whichever device decodes that port.  Ports no
device claims read as all ones (the floating data bus) and ignore writes; with
tracing on (``-d unimp``) each such access is reported once per port.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Protocol


class PortDevice(Protocol):
    NAME: str
    IO_WIDTHS: tuple[int, ...]

    def port_ranges(self) -> list[tuple[int, int]]: ...
    def io_read(self, port: int, size: int) -> int: ...
    def io_write(self, port: int, size: int, value: int) -> None: ...


class PortConflictError(ValueError):
    """Two devices claim the same I/O port."""


class PortBus:
    """Port-number → device table with default width splitting."""

    def __init__(self, trace_unclaimed: Callable[[str], None] | None = None) -> None:
        self._owner: list[PortDevice | None] = [None] * 0x10000
        self.trace_unclaimed = trace_unclaimed
        self._traced: set[tuple[str, int]] = set()

    def attach(self, device: PortDevice, ranges: list[tuple[int, int]] | None = None) -> None:
        """Claim ``ranges`` (default ``device.port_ranges()``) for ``device``."""
        ranges = device.port_ranges() if ranges is None else ranges
        for first, count in ranges:
            if not (0 <= first and count > 0 and first + count <= 0x10000):
                raise ValueError(f"{device.NAME}: bad port range {first:#x}+{count}")
            for port in range(first, first + count):
                other = self._owner[port]
                if other is not None and other is not device:
                    raise PortConflictError(
                        f"I/O port {port:#06x} is claimed by both {other.NAME} and {device.NAME}")
        for first, count in ranges:
            for port in range(first, first + count):
                self._owner[port] = device

    def owner(self, port: int) -> PortDevice | None:
        """The device decoding ``port``, or None."""
        return self._owner[port & 0xFFFF]

    def read(self, port: int, size: int) -> int:
        """An IN of ``size`` bytes (1, 2 or 4) from ``port``."""
        port &= 0xFFFF
        dev = self._owner[port]
        if dev is not None and size in dev.IO_WIDTHS and (
                size == 1 or all(self._owner[(port + i) & 0xFFFF] is dev for i in range(1, size))):
            return dev.io_read(port, size) & ((1 << (8 * size)) - 1)
        if size == 1:
            if dev is None:
                self._unclaimed("read", port)
                return 0xFF
            # a device with only wider ports (a 16-bit data register) answers a byte read
            width = min(dev.IO_WIDTHS)
            return dev.io_read(port, width) & 0xFF
        value = 0
        for i in range(size):
            value |= self.read((port + i) & 0xFFFF, 1) << (8 * i)
        return value

    def write(self, port: int, size: int, value: int) -> None:
        """An OUT of ``size`` bytes (1, 2 or 4) of ``value`` to ``port``."""
        port &= 0xFFFF
        value &= (1 << (8 * size)) - 1
        dev = self._owner[port]
        if dev is not None and size in dev.IO_WIDTHS and (
                size == 1 or all(self._owner[(port + i) & 0xFFFF] is dev for i in range(1, size))):
            dev.io_write(port, size, value)
            return
        if size == 1:
            if dev is None:
                self._unclaimed("write", port, value)
                return
            dev.io_write(port, min(dev.IO_WIDTHS), value)
            return
        for i in range(size):
            self.write((port + i) & 0xFFFF, 1, (value >> (8 * i)) & 0xFF)

    def _unclaimed(self, what: str, port: int, value: int | None = None) -> None:
        if self.trace_unclaimed is None or (what, port) in self._traced:
            return
        self._traced.add((what, port))
        shown = "" if value is None else f" value {value:#04x}"
        self.trace_unclaimed(f"unclaimed I/O port {what} {port:#06x}{shown}")
