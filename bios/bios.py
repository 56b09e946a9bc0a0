"""pyx86's own BIOS: builds the ROM, dispatches BIOS calls to Python services.

:class:`Bios` is the machine's ``bios_service``: the CPU core exits on the
``0F 04 nn`` instruction of a ROM stub (see :mod:`bios.rom`) and the machine
calls ``bios(machine, nn)``.  A service reads and writes the guest registers
(``bios.cpu['ax']`` ...) and memory, and reports results the way IBM's BIOS
does: CF in the FLAGS image the INT pushed (so the stub's IRET returns it),
AH as the status.  A service that must wait (a key, a delay) calls
:meth:`Bios.wait`: the stub halts with interrupts on and calls it again.

Guest-visible BIOS state lives in guest memory (the BIOS data area at 400h,
the EBDA); the Python objects hold only configuration (disk images, back
ends), so a machine snapshot covers the BIOS too.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from emulator.cpu import state as S

from . import rom as R

if TYPE_CHECKING:
    from emulator.machine import Machine

Service = Callable[[], None]

BDA = 0x400
FLAG_BITS = {"cf": S.CF, "zf": S.ZF, "if": S.IF}


class Bios:
    """The BIOS of one machine: ROM image, service table and register helpers."""

    def __init__(self, machine: Machine) -> None:
        self.machine = machine
        self.cpu = machine.cpu
        self.services: dict[int, Service] = {}
        self.vectors: list[int] = []          # vectors whose handler is a plain service stub
        self.tables: dict[str, bytes] = {}
        self.layout: R.RomLayout | None = None
        self.post_hooks: list[Callable[[], None]] = []
        #: writes text on the screen at POST (set by the video service)
        self.console_write: Callable[[str], None] | None = None

    # --- building ----------------------------------------------------------------------
    def register(self, service: int, handler: Service, vector: bool = True) -> None:
        """Route BIOS call ``service`` to ``handler``; ``vector``: INT ``service`` gets a stub."""
        self.services[service] = handler
        if vector and service not in self.vectors:
            self.vectors.append(service)

    def install(self) -> None:
        """Build the ROM and map it at F0000h (and at the top of 4 GiB)."""
        image, self.layout = R.build_rom(sorted(self.vectors), self.tables)
        self.machine.load_bios(image)

    def table_addr(self, name: str) -> int:
        """Physical address of ROM table ``name``."""
        assert self.layout is not None
        return R.ROM_BASE + self.layout.tables[name]

    def vector_addr(self, vector: int) -> tuple[int, int]:
        """(segment, offset) of the ROM handler for ``vector`` (the default IRET if none)."""
        assert self.layout is not None
        return R.ROM_SEG, self.layout.vectors.get(vector, self.layout.vectors[-1])

    # --- the machine's entry point -----------------------------------------------------
    def __call__(self, machine: Machine, service: int) -> None:
        handler = self.services.get(service)
        if handler is None:
            machine.log(f"BIOS call {service:#04x} has no service (at {self.cpu.exit_location()})")
            return
        handler()

    # --- register and flag helpers -----------------------------------------------------
    def __getitem__(self, reg: str) -> int:
        return self.cpu[reg]

    def __setitem__(self, reg: str, value: int) -> None:
        self.cpu[reg] = value

    def _frame_flags_addr(self) -> int:
        st = self.cpu.st
        sp = (int(st[S.ESP]) + 4) & 0xFFFF
        return (int(st[S.BASE + S.SS]) + sp) & 0xFFFFF

    def set_flag(self, name: str, on: bool) -> None:
        """Set or clear a flag in the FLAGS image the INT pushed (what the IRET restores)."""
        bit = FLAG_BITS[name]
        addr = self._frame_flags_addr()
        flags = self.rd16(addr)
        self.wr16(addr, flags | bit if on else flags & ~bit)

    def set_cf(self, on: bool) -> None:
        """CF as the caller will see it after the IRET."""
        self.set_flag("cf", on)

    def ok(self, ah: int | None = 0) -> None:
        """Success: CF clear, AH = ``ah`` (None leaves AH alone)."""
        self.set_cf(False)
        if ah is not None:
            self.cpu["ah"] = ah

    def fail(self, ah: int) -> None:
        """Failure: CF set, AH = error code."""
        self.set_cf(True)
        self.cpu["ah"] = ah

    def caller_if(self) -> bool:
        """Whether the caller had interrupts enabled (IF in the pushed FLAGS)."""
        return bool(self.rd16(self._frame_flags_addr()) & S.IF)

    def wait(self, service: int) -> None:
        """Return into the stub's wait path: STI; HLT; call ``service`` again."""
        assert self.layout is not None
        self.cpu["ip"] = self.layout.stubs[service] + R.STUB_WAIT

    def far_jump(self, seg: int, off: int) -> None:
        """Continue the guest at ``seg:off`` (real mode)."""
        self.cpu["cs"] = seg
        self.cpu["ip"] = off

    # --- guest memory (physical, real-mode addresses) -----------------------------------
    def rd8(self, addr: int) -> int:
        return int(self.cpu.ram[addr])

    def rd16(self, addr: int) -> int:
        ram = self.cpu.ram
        return int(ram[addr]) | int(ram[addr + 1]) << 8

    def rd32(self, addr: int) -> int:
        return self.rd16(addr) | self.rd16(addr + 2) << 16

    def wr8(self, addr: int, value: int) -> None:
        self.cpu.ram[addr] = value & 0xFF

    def wr16(self, addr: int, value: int) -> None:
        self.cpu.ram[addr] = value & 0xFF
        self.cpu.ram[addr + 1] = (value >> 8) & 0xFF

    def wr32(self, addr: int, value: int) -> None:
        self.wr16(addr, value)
        self.wr16(addr + 2, value >> 16)

    def read(self, addr: int, n: int) -> bytes:
        return self.cpu.read_phys(addr, n)

    def write(self, addr: int, data: bytes) -> None:
        """Guest memory write from a service: RAM pages take it, ROM and holes do not."""
        pmap = self.cpu.pmap
        end = addr + len(data)
        if all(pmap[p] == S.PG_RAM for p in range(addr >> S.PAGE_SHIFT, ((end - 1) >> S.PAGE_SHIFT) + 1)):
            self.cpu.write_phys(addr, data)
            return
        for i, byte in enumerate(data):
            if pmap[(addr + i) >> S.PAGE_SHIFT] == S.PG_RAM:
                self.cpu.ram[addr + i] = byte

    @staticmethod
    def linear(seg: int, off: int) -> int:
        """Real-mode address ``seg:off`` (20 bits, as with A20 off for wrap-around safety)."""
        return ((seg << 4) + off) & 0xFFFFF

    def set_vector(self, vector: int, seg: int, off: int) -> None:
        """Write interrupt vector ``vector`` in the IVT."""
        self.wr16(vector * 4, off)
        self.wr16(vector * 4 + 2, seg)
