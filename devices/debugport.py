"""Debug ports that are not chips: POST codes (80h), the E9h console, QEMU's isa-debug-exit.

* Port 80h is the ISA "manufacturing test" port: BIOSes write a progress code
  to it at each POST step.  Nothing decodes reads on a real board (the bus
  floats): they read FFh here.  The last ``LOG_SIZE`` codes are kept.
* Port E9h is the Bochs/QEMU debug console: each byte written goes to a host
  character back end (``-debugcon``); a read returns E9h so a guest can detect it.
* ``isa-debug-exit`` (QEMU's ``-device isa-debug-exit,iobase=0xf4,iosize=0x04``):
  a write of ``v`` ends the emulator with exit status ``(v << 1) | 1``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, ClassVar

from .base import Device


class PostCodePort(Device):
    """Port 80h: keeps the POST codes the firmware writes."""

    NAME = "port80"
    STATE_FIELDS = ("codes",)
    LOG_SIZE: ClassVar[int] = 256

    def __init__(self) -> None:
        self.codes: list[int] = []

    def port_ranges(self) -> list[tuple[int, int]]:
        return [(0x80, 1)]

    @property
    def last(self) -> int | None:
        """The most recent POST code, or None."""
        return self.codes[-1] if self.codes else None

    def io_read(self, port: int, size: int) -> int:
        return 0xFF

    def io_write(self, port: int, size: int, value: int) -> None:
        self.codes.append(value & 0xFF)
        del self.codes[:-self.LOG_SIZE]


class DebugConsole(Device):
    """Port E9h: bytes written go to ``sink`` (a host back end's ``write``)."""

    NAME = "debugcon"

    def __init__(self, sink: Callable[[bytes], Any] | None, port: int = 0xE9) -> None:
        self.sink = sink
        self.port = port

    def port_ranges(self) -> list[tuple[int, int]]:
        return [(self.port, 1)]

    def io_read(self, port: int, size: int) -> int:
        return 0xE9

    def io_write(self, port: int, size: int, value: int) -> None:
        if self.sink is not None:
            self.sink(bytes((value & 0xFF,)))


class DebugExit(Device):
    """QEMU's isa-debug-exit: a write of ``v`` calls ``on_exit((v << 1) | 1)``.

    The port range is ``iosize`` bytes from ``iobase``; a wider write passes its
    whole value (as QEMU's device does for ``iosize=4``); reads return 0.
    """

    NAME = "isa-debug-exit"
    IO_WIDTHS = (1, 2, 4)

    def __init__(self, on_exit: Callable[[int], None], iobase: int = 0x501, iosize: int = 2) -> None:
        if iosize not in (1, 2, 4):
            raise ValueError(f"isa-debug-exit: iosize must be 1, 2 or 4, not {iosize}")
        self.on_exit = on_exit
        self.iobase = iobase
        self.iosize = iosize

    def port_ranges(self) -> list[tuple[int, int]]:
        return [(self.iobase, self.iosize)]

    def io_read(self, port: int, size: int) -> int:
        return 0

    def io_write(self, port: int, size: int, value: int) -> None:
        self.on_exit(((value << 1) | 1) & 0xFFFFFFFF)
