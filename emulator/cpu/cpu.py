"""The Python face of the CPU core: state arrays, register names, running slices.

Everything guest-visible lives in two numpy arrays (``st`` and ``mem``, see
:mod:`emulator.cpu.state`); this class only names and wraps them.  ``run``
calls the compiled core, which returns an exit reason (``state.EXIT_*``).
"""

from __future__ import annotations

import numpy as np

from ..disasm import describe
from . import state as S
from .interp import run as _run
from .interrupts import deliver_interrupt as _deliver
from .models import DEFAULT_MODEL, Model, apply_model, get_model
from .ops_system import write_cr0 as _write_cr0
from .paging import tlb_flush as _tlb_flush
from .segments import refresh_fast_limits as _refresh_fast_limits
from .segments import set_fast_limits as _set_fast_limits
from .warmup import compile_in_parallel

compile_in_parallel()  # a cold cache: the rare paths compile in a child meanwhile (before importing them)

from .fpu import fpu_reset as _fpu_reset  # noqa: E402
from .fpuentry import install as _install_fpu_entry  # noqa: E402
from .slowpath import install as _install_slow_entry  # noqa: E402
from .vgamem import vga_rd8, vga_wr8  # noqa: E402

_SEG_INDEX = {name: i for i, name in enumerate(S.SEG_NAMES)}
_R32 = {n: i for i, n in enumerate(S.REG32)}
_R16 = {n: i for i, n in enumerate(S.REG16)}
_R8 = {n: i for i, n in enumerate(S.REG8)}
MIN_RAM = 0x110000  # 1 MiB + 64 KiB: what real mode can address with A20 on


class CPU:
    """One x86 CPU with its physical memory.

    ``ram_size`` bytes of RAM start at physical address 0 (at least 1 MiB +
    64 KiB are always backed).  ``model`` is a ``-cpu`` name (see
    :mod:`emulator.cpu.models`).
    """

    def __init__(self, ram_size: int = 16 << 20, model: str | Model = DEFAULT_MODEL) -> None:
        self.model = get_model(model) if isinstance(model, str) else model
        self.ram_size = ram_size
        backed = max(ram_size, MIN_RAM)
        self.st = np.zeros(S.STATE_SIZE, dtype=np.int64)
        self.mem = np.zeros(S.RAM_OFF + backed + 64, dtype=np.uint8)
        self.pmap = self.mem[: S.PMAP_SIZE]
        #: VGA display memory (4 planes of 64 KiB) and the register bytes its memory path uses
        self.vga_planes = self.mem[S.VGA_PLANES : S.VRAM_OFF].reshape(4, S.VGA_PLANE_SIZE)
        self.vga_regs = self.mem[S.VGA_REGS : S.VGA_REGS + 32]
        #: VBE video memory, the linear framebuffer at physical ``state.LFB_PHYS`` (pages of kind PG_LFB)
        self.vram = self.mem[S.VRAM_OFF : S.VRAM_OFF + S.VRAM_SIZE]
        self.ram = self.mem[S.RAM_OFF : S.RAM_OFF + backed]
        self.pmap[:] = S.PG_NONE
        self.pmap[: backed >> S.PAGE_SHIFT] = S.PG_RAM
        self.reset()

    # --- reset and memory map ------------------------------------------------
    def reset(self) -> None:
        """Put the CPU in its power-on state (Intel SDM Vol. 3, 9.1.1); RAM is kept."""
        st = self.st
        keep = st[S.RAM_SIZE]
        st[:] = 0
        apply_model(st, self.model)
        st[S.RAM_SIZE] = keep or self.ram_size
        st[S.FAULT] = -1
        st[S.FAULT_CODE] = -1
        _install_slow_entry(st)
        _install_fpu_entry(st)
        st[S.EFLAGS] = self.model.flags_fixed1
        st[S.A20_MASK] = (1 << self.model.address_bits) - 1
        st[S.CR0] = 0x60000010 if self.model.has_386 else 0
        st[S.IDTR_LIMIT] = 0x3FF
        st[S.DR0 + 6] = 0xFFFF0FF0 if self.model.has_386 else 0
        st[S.DR0 + 7] = 0x400 if self.model.has_386 else 0
        st[S.GDTR_LIMIT] = 0xFFFF
        st[S.EDX] = self.model.cpuid_signature or (0x0300 if self.model.has_386 else 0)
        _fpu_reset(st)
        for seg in range(6):
            self.load_segment(seg, 0)
        if self.model.name == "8086":
            self.load_segment(S.CS, 0xFFFF)
            st[S.EIP] = 0
        else:
            # CS base FFFF0000h: the first fetch comes from the top of the 4 GiB space
            st[S.SEL + S.CS] = 0xF000
            st[S.BASE + S.CS] = 0xFFFF0000 & st[S.A20_MASK]
            st[S.EIP] = 0xFFF0

    def set_page_kind(self, start: int, end: int, kind: int) -> None:
        """Mark physical pages covering [start, end) as ``state.PG_*`` ``kind``."""
        self.pmap[start >> S.PAGE_SHIFT : (end + 0xFFF) >> S.PAGE_SHIFT] = kind
        self.flush_tlb()

    def flush_tlb(self) -> None:
        """Drop every cached translation (after the host edits page tables or the memory map)."""
        _tlb_flush(self.st, False)

    def write_cr(self, n: int, value: int) -> None:
        """Write CR0, CR3 or CR4 as the MOV CRn instruction does (mode and TLB follow)."""
        st = self.st
        value = int(value) & 0xFFFFFFFF
        if n == 0:
            fault = int(st[S.FAULT])
            _write_cr0(st, value)
            if int(st[S.FAULT]) != fault:
                st[S.FAULT] = fault
                raise ValueError(f"CR0 value {value:#x} is invalid (PG without PE, or NW without CD)")
        elif n == 3:
            st[S.CR3] = value & 0xFFFFF018
            _tlb_flush(st, True)
        elif n == 4:
            st[S.CR4] = value
            _tlb_flush(st, False)
        else:
            raise ValueError(f"no control register CR{n} to write")

    @property
    def a20(self) -> bool:
        """Whether address line 20 is enabled."""
        return bool(self.st[S.A20_MASK] & (1 << 20))

    @a20.setter
    def a20(self, on: bool) -> None:
        full = (1 << self.model.address_bits) - 1
        mask = full if on or self.model.address_bits <= 20 else full & ~(1 << 20)
        if int(self.st[S.A20_MASK]) != mask:
            self.st[S.A20_MASK] = mask
            self.flush_tlb()

    def write_phys(self, addr: int, data: bytes) -> None:
        """Store ``data`` at physical ``addr`` (host access: ROM pages are written too)."""
        self.ram[addr : addr + len(data)] = np.frombuffer(bytes(data), dtype=np.uint8)

    def vga_read(self, addr: int) -> int:
        """A byte read at physical ``addr`` through the VGA memory path (latches load)."""
        return int(vga_rd8(self.mem, addr))

    def vga_write(self, addr: int, value: int) -> None:
        """A byte write at physical ``addr`` through the VGA memory path (write modes apply)."""
        vga_wr8(self.mem, addr, value & 0xFF)

    def read_phys(self, addr: int, n: int) -> bytes:
        """Return ``n`` bytes from physical ``addr``."""
        return self.ram[addr : addr + n].tobytes()

    # --- registers -------------------------------------------------------------
    def load_segment(self, seg: int | str, selector: int) -> None:
        """Load a segment register the real-mode way: base = selector * 16, limit 64 KiB."""
        i = _SEG_INDEX[seg] if isinstance(seg, str) else seg
        st = self.st
        st[S.SEL + i] = selector & 0xFFFF
        st[S.BASE + i] = (selector & 0xFFFF) << 4
        st[S.LIMIT + i] = 0xFFFF
        st[S.ATTR + i] = 0x93 if i != S.CS else 0x9B
        _set_fast_limits(st, i)

    def set_flat32(self, protected: bool = False) -> None:
        """Give every segment base 0, a 4 GiB limit and 32-bit default size (test harness mode).

        ``protected``: also set CR0.PE at CPL 0 with selectors 08h (code) and 10h (data), as a
        flat GDT would give (only the caches are set; the GDT itself is the caller's).
        """
        st = self.st
        if protected:
            st[S.CR0] = int(st[S.CR0]) | S.CR0_PE
            st[S.CPL] = 0
            st[S.TLB_USER] = 0
        for i in range(6):
            st[S.SEL + i] = (0x08 if i == S.CS else 0x10) if protected else 0
            st[S.BASE + i] = 0
            st[S.LIMIT + i] = 0xFFFFFFFF
            st[S.ATTR + i] = (0x9B if i == S.CS else 0x93) | S.ATTR_DB | (0x8000 if protected else 0)
        _refresh_fast_limits(st)

    def __getitem__(self, name: str) -> int:
        st = self.st
        if name in _R32:
            return int(st[_R32[name]])
        if name in _R16:
            return int(st[_R16[name]]) & 0xFFFF
        if name in _R8:
            r = _R8[name]
            return (int(st[r & 3]) >> (8 if r >= 4 else 0)) & 0xFF
        if name in _SEG_INDEX:
            return int(st[S.SEL + _SEG_INDEX[name]])
        if name == "eip":
            return int(st[S.EIP])
        if name == "ip":
            return int(st[S.EIP]) & 0xFFFF
        if name == "eflags":
            return int(st[S.EFLAGS])
        if name == "flags":
            return int(st[S.EFLAGS]) & 0xFFFF
        raise KeyError(name)

    def __setitem__(self, name: str, value: int) -> None:
        st = self.st
        value = int(value)
        if name in _R32:
            st[_R32[name]] = value & 0xFFFFFFFF
        elif name in _R16:
            r = _R16[name]
            st[r] = (int(st[r]) & 0xFFFF0000) | (value & 0xFFFF)
        elif name in _R8:
            r = _R8[name]
            shift = 8 if r >= 4 else 0
            st[r & 3] = (int(st[r & 3]) & ~(0xFF << shift)) | ((value & 0xFF) << shift)
        elif name in _SEG_INDEX:
            self.load_segment(name, value)
        elif name in ("eip", "ip"):
            st[S.EIP] = value & (0xFFFFFFFF if name == "eip" else 0xFFFF)
        elif name in ("eflags", "flags"):
            v = value & (0xFFFFFFFF if name == "eflags" else 0xFFFF)
            st[S.EFLAGS] = (v & self.model.flags_writable) | self.model.flags_fixed1
        else:
            raise KeyError(name)

    # --- running ---------------------------------------------------------------
    def run(self, budget: int) -> int:
        """Execute up to ``budget`` instructions; return the exit reason (``state.EXIT_*``)."""
        _install_slow_entry(self.st)  # the entries' addresses are per process (snapshots carry old ones)
        _install_fpu_entry(self.st)
        return int(_run(self.st, self.mem, budget))

    def step(self) -> int:
        """Execute one instruction (a whole REP string instruction counts per iteration)."""
        return self.run(1)

    @property
    def icount(self) -> int:
        """Instructions retired since reset."""
        return int(self.st[S.ICOUNT])

    def complete_in(self, value: int) -> None:
        """Answer the pending IN/INS (after ``EXIT_IO_IN``); the next ``run`` finishes it."""
        self.st[S.IO_VALUE] = value & ((1 << (8 * int(self.st[S.IO_SIZE]))) - 1)
        self.st[S.IO_READY] = 1

    def deliver_interrupt(self, vector: int) -> None:
        """Take hardware interrupt ``vector`` now (after ``EXIT_INTR``), as the CPU does on INTA."""
        _install_slow_entry(self.st)
        _install_fpu_entry(self.st)
        _deliver(self.st, self.mem, vector & 0xFF)

    def exit_location(self) -> str:
        """``CS:EIP`` of the instruction that caused the last exit, as text."""
        return f"{int(self.st[S.SEL + S.CS]):04X}:{int(self.st[S.EXIT_EIP]):08X}"

    def code_bytes(self, n: int = 16, eip: int | None = None) -> bytes:
        """Up to ``n`` bytes at CS:``eip`` (default: the last exit's EIP), as the CPU reads them."""
        st = self.st
        eip = int(st[S.EXIT_EIP]) if eip is None else eip
        out = bytearray()
        for k in range(n):
            pa = self.linear_to_physical((int(st[S.BASE + S.CS]) + eip + k) & 0xFFFFFFFF)
            if pa is None:
                break
            kind = int(self.pmap[pa >> S.PAGE_SHIFT])
            if kind == S.PG_BIOS_ALIAS:
                pa &= 0xFFFFF
            elif kind not in (S.PG_RAM, S.PG_ROM):
                break
            out.append(int(self.ram[pa]))
        return bytes(out)

    def linear_to_physical(self, la: int) -> int | None:
        """Physical address of linear ``la`` by the current page tables (None: not mapped).

        A debugger's view: no accessed bits are set and the TLB is not consulted.
        """
        st = self.st
        mask = int(st[S.A20_MASK])
        if not int(st[S.CR0]) & S.CR0_PG:
            return la & mask

        def entry(pa: int) -> int:
            pa &= mask
            if pa + 4 > len(self.ram) or self.pmap[pa >> S.PAGE_SHIFT] not in (S.PG_RAM, S.PG_ROM):
                return 0
            return int.from_bytes(self.ram[pa : pa + 4].tobytes(), "little")

        pde = entry((int(st[S.CR3]) & 0xFFFFF000) | ((la >> 20) & 0xFFC))
        if not pde & 1:
            return None
        if pde & 0x80 and int(st[S.CR4]) & S.CR4_PSE:
            return ((pde & 0xFFC00000) | (la & 0x3FFFFF)) & mask
        pte = entry((pde & 0xFFFFF000) | ((la >> 10) & 0xFFC))
        if not pte & 1:
            return None
        return ((pte & 0xFFFFF000) | (la & 0xFFF)) & mask

    def fault_chain(self) -> str:
        """The exceptions that led to the last shutdown (triple fault): vector, error code, CS:EIP."""
        st = self.st
        parts = []
        for i in range(int(st[S.FAULT_CHAIN])):
            vec, code, cs, eip = (int(st[S.FAULT_CHAIN + 1 + 4 * i + k]) for k in range(4))
            err = f"({code:04X})" if code >= 0 else ""
            parts.append(f"#{vec:02X}{err} at {cs:04X}:{eip:08X}")
        return " -> ".join(parts) + " -> shutdown" if parts else "shutdown"

    def describe_next(self) -> str:
        """``CS:EIP  bytes (disassembly)`` of the instruction about to execute (for traces)."""
        eip = int(self.st[S.EIP])
        bits = 32 if int(self.st[S.ATTR + S.CS]) & S.ATTR_DB else 16
        code = self.code_bytes(15, eip)
        where = f"{int(self.st[S.SEL + S.CS]):04X}:{eip:08X}"
        return f"{where}  {describe(code, eip, bits) if code else '(no memory)'}"

    def describe_registers(self) -> str:
        """One line of the general, segment and flags registers (for ``-d cpu``)."""
        regs = " ".join(f"{n.upper()}={self[n]:08X}" for n in S.REG32)
        segs = " ".join(f"{n.upper()}={self[n]:04X}" for n in S.SEG_NAMES)
        return f"{regs} EIP={self['eip']:08X} EFL={self['eflags']:08X} {segs}"

    def describe_exit(self, reason: int) -> str:
        """One line for a user: what stopped the CPU, where (CS:EIP), the bytes and their disassembly."""
        name = S.EXIT_NAMES[reason] if 0 <= reason < len(S.EXIT_NAMES) else f"exit {reason}"
        code = self.code_bytes(15)
        bits = 32 if int(self.st[S.ATTR + S.CS]) & S.ATTR_DB else 16
        where = self.exit_location()
        if not code:
            return f"{name} at {where}: no memory at this address"
        return f"{name} at {where}: {describe(code, int(self.st[S.EXIT_EIP]), bits)}"
