"""Differential streams in 32-bit protected mode with paging on (issue 6).

The paged world
    Physical memory below ``world.WORLD_END`` holds the same random data as
    the flat mode, but the linear pages the generator uses (``LO32`` ..
    ``WORLD_END``) map to a seeded *permutation* of the physical world pages,
    so a page-crossing access touches two unrelated physical pages.  Each
    linear page below the stack is, per seed, present and writable, present
    and read-only, or not present (CR0.WP = 1, so CPL-0 writes to read-only
    pages fault).  A 4 MiB PSE page (CR4.PSE) at ``ALIAS`` maps physical 0
    again (writable or, in some seeds, read-only), so some accesses reach the
    world through a second, large-page translation.  The page directory entry
    for ``HOLE`` is not present, so accesses there fault at the directory
    level.  The page directory and table entries start with seeded
    A, D, U/S, PWT, PCD and G bits; the CPUs' A/D updates are compared like
    any other memory write (the paging structures lie in the compared area).

System area (physical = linear, above the world)
    ``PD``/``PT`` (not mapped), the GDT (null, flat code 08h, flat data 10h),
    the IDT (256 interrupt or trap gates, vector v -> ``HANDLERS + v``) and the
    one-byte handlers (HLT), all on read-only pages.  The PTEs of these pages
    and of the stack pages start with A and D set, so an exception delivered by
    our core (but only reported by Unicorn) changes no paging entry.

Exceptions
    Unicorn reports an exception through ``UC_HOOK_INTR`` without delivering
    it; our core delivers it through the IDT.  After a #PF both must agree on
    the vector, CR2 and the registers; our core must have pushed EFLAGS (with
    RF set, for a fault: SDM Vol. 3, 17.3.1.1), CS, EIP of the faulting
    instruction and the error code.  Unicorn cannot show an error code, so the
    reference error code is P from the page tables at CR2, U/S = 0 (CPL 0)
    and W/R from the kind of the first access Unicorn makes to the faulting
    page, found by re-running the instruction with that page made present
    (:meth:`PagedReference.first_access`).  A read-modify-write instruction
    reads first, so on a not-present page its W/R is 0, as QEMU reports it
    (the SDM does not say which the hardware reports).  Both sides then
    continue after the instruction, as if the handler had fixed things up and
    skipped it.  The other exceptions (#DE, #BR, #UD, INT n, INT3, INTO) are
    checked the same way, without CR2 and error code.

Harness artefacts, not differences
    * Instruction fetches always stay on present pages: Unicorn translates
      the code at the next EIP within the same ``emu_start``, so a fetch fault
      would be reported one instruction early.
    * That early translation also sets the accessed bit of the next EIP's
      page one instruction before our core does; the harness gives our core
      that bit (:meth:`PagedStream.next_fetch_accessed`).
    * Code written by the host is made visible to Unicorn by dropping all its
      translations (``ctl_remove_cache`` would walk the page tables and set
      A bits).
    * A CMPS never has both operands on not-present pages (the order of its
      two reads is not architectural).
"""

from __future__ import annotations

import random
import struct
import time
from dataclasses import dataclass

import numpy as np
from unicorn import UC_HOOK_MEM_READ, UcError
from unicorn import x86_const as X

from . import world as W
from .generator import DF, ECX, EDI, ESI, FLAGS_RANDOM, Generator, Retry, State
from .harness import (
    I_EFLAGS,
    I_EIP,
    I_ES,
    NAMES,
    PAD,
    VEC_UD,
    Core,
    Mismatch,
    StreamResult,
    disasm,
    flag_text,
)
from .known_differences import explain
from .reference import Reference
from .undefined_flags import undefined_mask

PAGE = 0x1000
ALIAS = 0x400000                      # linear base of the 4 MiB PSE page (physical 0)
HOLE = 0x800000                       # linear 4 MiB whose page directory entry is not present
PROBE_RAM = 0x400000                  # Unicorn only: where the probe maps HOLE (physical)
PD, PT, GDT, IDT, HANDLERS = 0x50000, 0x51000, 0x52000, 0x53000, 0x54000
SYS_END = 0x55000                     # physical bytes compared after every instruction
STACK_PAGES = range(0x40, 0x50)       # always present and writable (ESP stays in STACK32)
WORLD_PAGES = range(W.LO32 // PAGE, W.WORLD_END // PAGE)
P, RW, US, PWT, PCD, A, D, PS, G = 0x1, 0x2, 0x4, 0x8, 0x10, 0x20, 0x40, 0x80, 0x100
CR0_PE, CR0_WP, CR0_PG, CR4_PSE = 0x1, 0x10000, 0x80000000, 0x10
CODE_SEL, DATA_SEL = 0x08, 0x10
VEC_PF = 14
RF = 0x10000
GATE_CLEARS = 0x100 | 0x4000 | RF | 0x20000   # TF NT RF VM (and IF, through an interrupt gate)
IF = 0x200
ERROR_CODE = frozenset((8, 10, 11, 12, 13, 14, 17))   # exceptions that push an error code
FETCH_SPAN = 17                       # longest instruction + landing pad must be on present pages
P_NOT_PRESENT, P_READ_ONLY = 0.15, 0.15


def insn_prefixes(code: bytes) -> bytes:
    """The legacy prefix bytes at the start of ``code``."""
    i = 0
    while i < len(code) and code[i] in (0x26, 0x2E, 0x36, 0x3E, 0x64, 0x65, 0x66, 0x67, 0xF0, 0xF2, 0xF3):
        i += 1
    return code[:i]


def _descriptor(base: int, limit: int, access: int, flags: int) -> bytes:
    return struct.pack("<HHBBBB", limit & 0xFFFF, base & 0xFFFF, (base >> 16) & 0xFF, access,
                       ((limit >> 16) & 0xF) | (flags << 4), base >> 24)


def _gate(offset: int, trap: bool) -> bytes:
    """A present 32-bit interrupt gate (type 0Eh) or trap gate (0Fh), DPL 0, to CODE_SEL:offset."""
    return struct.pack("<HHBBH", offset & 0xFFFF, CODE_SEL, 0, 0x8F if trap else 0x8E, offset >> 16)


@dataclass
class Layout:
    """One seed's page tables: what each linear page is and the system area image."""

    kind: dict[int, str]          # linear page -> "rw" | "ro" | "np" (pages not listed: unmapped)
    frame: dict[int, int]         # linear page -> physical page (also for "np": where it would go)
    system: bytes                 # physical [PD, SYS_END)
    trap_gates: frozenset[int]    # vectors whose IDT entry is a trap gate (IF stays as it was)

    def phys(self, lin: int) -> int | None:
        """Physical address of linear ``lin``, or None if it is not mapped."""
        if ALIAS <= lin < ALIAS + W.WORLD_END:
            return lin - ALIAS
        page = lin >> 12
        if self.kind.get(page, "np") == "np":
            return None
        return (self.frame[page] << 12) | (lin & 0xFFF)

    def present(self, lin: int, n: int) -> bool:
        """Whether every byte of [lin, lin+n) is mapped."""
        return all(self.phys(page << 12 | (lin & 0xFFF if page == lin >> 12 else 0)) is not None
                   for page in range(lin >> 12, ((lin + n - 1) >> 12) + 1))

    def touches(self, pa: int, size: int, page: int) -> bool:
        """Whether an access Unicorn's memory hooks report at *physical* ``pa`` (its first byte) of
        ``size`` bytes touches linear ``page`` (the part past the end of the first page is on the
        linear page that follows the first byte's one).  ``HOLE`` pages are probed at
        ``PROBE_RAM``, which nothing else uses."""
        if page >= HOLE >> 12:
            frame = (PROBE_RAM >> 12) + page - (HOLE >> 12)
            return pa >> 12 == frame or ((pa & 0xFFF) + size > PAGE and (pa >> 12) + 1 == frame)
        frame = self.frame[page]
        if pa >> 12 == frame:
            return True
        if (pa & 0xFFF) + size <= PAGE:
            return False
        lin_page = next((p for p, f in self.frame.items() if f == pa >> 12), None)
        return lin_page is not None and lin_page + 1 == page

    def chunks(self, lin: int, n: int) -> list[tuple[int, int, int]]:
        """(linear, physical, length) pieces of [lin, lin+n) on present pages (others are left out)."""
        out = []
        while n > 0:
            k = min(n, PAGE - (lin & 0xFFF))
            pa = self.phys(lin)
            if pa is not None:
                out.append((lin, pa, k))
            lin, n = lin + k, n - k
        return out


def make_layout(seed: int) -> Layout:
    """The seeded page tables, GDT, IDT and handlers."""
    rng = random.Random(seed * 7919 + 6)
    pages = list(WORLD_PAGES)
    frames = list(pages)
    rng.shuffle(frames)
    kind, frame = {}, dict(zip(pages, frames))
    for page in pages:
        r = rng.random()
        if page in STACK_PAGES or r >= P_NOT_PRESENT + P_READ_ONLY:
            kind[page] = "rw"
        else:
            kind[page] = "np" if r < P_NOT_PRESENT else "ro"
    for page in range(GDT >> 12, SYS_END >> 12):
        kind[page], frame[page] = "ro", page
    sysmem = bytearray(SYS_END - PD)
    pt = np.zeros(1024, dtype=np.uint32)
    for page, k in kind.items():
        extra = rng.choice((0, A, A | D, A | D, US | A, PWT | PCD, G | A | D, D))
        if page in STACK_PAGES or page >= GDT >> 12:
            # delivering an exception reads the IDT and GDT and pushes the frame, which Unicorn
            # does not do: start with the A and D bits those accesses would set
            extra |= A | D
        if k == "np":
            pt[page] = (rng.getrandbits(20) << 12) | (rng.getrandbits(12) & ~P)
        else:
            pt[page] = (frame[page] << 12) | P | (RW if k == "rw" else 0) | extra
    pd = np.zeros(1024, dtype=np.uint32)
    pd[0] = PT | P | RW | A | rng.choice((0, US, PWT))   # A: see the stack pages above
    pd[ALIAS >> 22] = P | PS | rng.choice((0, A, A | D)) | (RW if rng.random() < 0.7 else 0)
    pd[HOLE >> 22] = (rng.getrandbits(32) & ~P) & 0xFFFFFFFF
    sysmem[0:PAGE] = pd.tobytes()
    sysmem[PAGE:2 * PAGE] = pt.tobytes()
    gdt = _descriptor(0, 0, 0, 0) + _descriptor(0, 0xFFFFF, 0x9B, 0xC) + _descriptor(0, 0xFFFFF, 0x93, 0xC)
    sysmem[GDT - PD:GDT - PD + len(gdt)] = gdt
    trap_gates = frozenset(v for v in range(256) if rng.random() < 0.5)
    idt = b"".join(_gate(HANDLERS + v, v in trap_gates) for v in range(256))
    sysmem[IDT - PD:IDT - PD + len(idt)] = idt
    sysmem[HANDLERS - PD:HANDLERS - PD + 256] = b"\xf4" * 256
    return Layout(kind, frame, bytes(sysmem), trap_gates)


# ---------------------------------------------------------------------------------------- generator
class PagedGenerator(Generator):
    """The 32-bit generator, with data addresses spread over the paged world's good and bad pages."""

    def __init__(self, seed: int, read, layout: Layout) -> None:
        self.layout = layout
        super().__init__(32, seed, read, exceptions=True)
        page_kind = layout.kind
        # page boundaries with a not-present or read-only page on at least one side
        self.edges = [p << 12 for p in WORLD_PAGES
                      if p > WORLD_PAGES[0] and (page_kind[p - 1], page_kind[p]) != ("rw", "rw")]

    def _table(self):
        table = super()._table()
        return table + [(1, "int", self.t_int, (32,)), (1, "invalid", self.t_invalid_pm, (32,))]

    def t_invalid_pm(self) -> bytes:
        """Opcodes that raise #UD in protected mode too (UD2, LOCK with a register destination,
        MOV CS): ARPL, LAR, LSL and the 0F 00 group are valid here."""
        self.expect = VEC_UD
        form = self.rng.randrange(3)
        if form == 0:
            return b"\x0f\x0b"
        if form == 1:
            self.pfx["lock"] = 0xF0
            modrm = 0xC0 | (self.rng.randrange(8) << 3) | self.rng.randrange(8)
            return bytes([self.rng.randrange(6) * 8 + self.rng.randrange(2), modrm])
        return b"\x8e" + bytes([0xC8 | self.rng.randrange(8)])

    def t_string(self) -> bytes:
        """As the flat mode's, but a CMPS never has both operands on not-present pages: which of
        its two reads comes first is not architectural (QEMU reads ES:EDI first, Bochs DS:ESI),
        so the fault address would be a matter of implementation."""
        body = super().t_string()
        if body[0] & 0xFE == 0xA6:
            size = 1 if body[0] == 0xA6 else (2 if "osz" in self.pfx else 4)
            amask = 0xFFFF if "asz" in self.pfx else 0xFFFFFFFF
            count = (self.st.regs[ECX] & amask) if self.rep else 1
            n = max(count, 1) * size
            spans = []
            for r in (ESI, EDI):
                p = self.st.regs[r] & amask
                spans.append((p - n + size, n) if self.st.eflags & DF else (p, n))
            if not any(self.layout.present(*span) for span in spans):
                raise Retry
        return body

    def next(self, state: State):
        """An instruction whose landing pads (next EIP, branch targets) lie on present pages."""
        for _ in range(100):
            insn = super().next(state)
            if all(self.layout.present(p, 2) for p in insn.pads):
                return insn
        raise RuntimeError("generator could not make an instruction on present pages")

    def sanitize(self) -> None:
        super().sanitize()
        if not self.layout.present(self.st.eip, FETCH_SPAN):
            self.set_eip(self.code_target())

    def code_ok(self, target: int, cs: int | None = None) -> bool:
        if not super().code_ok(target, cs) or not self.layout.present(target, FETCH_SPAN):
            return False
        if self.m and self.m[2] >= ALIAS:  # the access may alias the landing pad physically
            return not self._phys_overlap(self.m[2], self.m[3], target - 2, 6)
        return True

    def _phys_overlap(self, lin_a: int, n_a: int, lin_b: int, n_b: int) -> bool:
        a = [(pa, pa + k) for _, pa, k in self.layout.chunks(lin_a, n_a)]
        b = [(pa, pa + k) for _, pa, k in self.layout.chunks(lin_b, n_b)]
        return any(x0 < y1 and y0 < x1 for x0, x1 in a for y0, y1 in b)

    def ea_ok(self, ea: int, size: int, asz: int, seg: int) -> bool:
        if asz == 4 and ea >= HOLE:
            return HOLE + W.LO32 <= ea <= HOLE + W.WORLD_END - size
        if asz == 4 and ea >= ALIAS:
            if not ALIAS + W.LO32 <= ea <= ALIAS + W.WORLD_END - size:
                return False
            code = self.code_lin()
            return not self._phys_overlap(ea, size, code - 8, 32)
        return super().ea_ok(ea, size, asz, seg)

    def target(self, size: int, asz: int) -> int:
        r = self.rng.random()
        if r < 0.2 and self.edges:  # straddle (or just touch) a boundary next to a bad page
            edge = self.rng.choice(self.edges)
            if asz == 2 and edge >= 0x10000:
                return super().target(size, asz)
            return edge - self.rng.randrange(0, max(size, 2))
        if r < 0.28 and asz == 4:
            return ALIAS + super().target(size, asz)
        if r < 0.31 and asz == 4:
            return HOLE + super().target(size, asz)
        return super().target(size, asz)


# ---------------------------------------------------------------------------------------- reference
class PagedReference(Reference):
    """Unicorn in protected mode with the layout's GDT and paging on."""

    def __init__(self, layout: Layout) -> None:
        super().__init__(32)
        self.layout = layout
        self.mem[PD:SYS_END] = np.frombuffer(layout.system, dtype=np.uint8)
        uc = self.uc
        uc.reg_write(X.UC_X86_REG_GDTR, (0, GDT, 0x17, 0))
        uc.reg_write(X.UC_X86_REG_IDTR, (0, IDT, 0x7FF, 0))
        for reg in (X.UC_X86_REG_CS, X.UC_X86_REG_SS, X.UC_X86_REG_DS, X.UC_X86_REG_ES,
                    X.UC_X86_REG_FS, X.UC_X86_REG_GS):
            uc.reg_write(reg, CODE_SEL if reg == X.UC_X86_REG_CS else DATA_SEL)
        uc.reg_write(X.UC_X86_REG_CR4, CR4_PSE)
        uc.reg_write(X.UC_X86_REG_CR3, PD)
        uc.reg_write(X.UC_X86_REG_CR0, uc.reg_read(X.UC_X86_REG_CR0) | CR0_PE | CR0_WP | CR0_PG)
        self.reads: list[tuple[int, int, int]] | None = None   # recorded only while probing
        uc.mem_map(PROBE_RAM, 4 << 20)
        uc.hook_add(UC_HOOK_MEM_READ, self._on_read)

    def _on_read(self, uc, access, addr, size, value, user):
        if self.reads is not None:
            self.reads.append((len(self.writes), addr, size))

    @property
    def cr2(self) -> int:
        return self.uc.reg_read(X.UC_X86_REG_CR2)

    @cr2.setter
    def cr2(self, value: int) -> None:
        self.uc.reg_write(X.UC_X86_REG_CR2, value)

    def flush_tlb(self) -> None:
        self.uc.reg_write(X.UC_X86_REG_CR3, PD)   # a CR3 load flushes QEMU's TLB

    def write_linear(self, lin: int, data: bytes) -> None:
        """Host store through the page tables (bytes on not-present pages are dropped).  Stale
        translations are not dropped here: see :meth:`code_written`."""
        for la, pa, k in self.layout.chunks(lin, len(data)):
            self.mem[pa:pa + k] = np.frombuffer(data[la - lin:la - lin + k], dtype=np.uint8)

    def code_written(self) -> None:
        """Drop every translation after the host wrote code.  (``ctl_remove_cache`` takes a linear
        address and walks the page tables for it, which sets the PTE's accessed bit behind the
        guest's back.)"""
        self.uc.ctl_flush_tb()

    def read_linear(self, lin: int, n: int) -> bytes:
        out = bytearray(n)
        for la, pa, k in self.layout.chunks(lin, n):
            out[la - lin:la - lin + k] = self.mem[pa:pa + k].tobytes()
        return bytes(out)

    def step(self, lin: int) -> str | None:
        # 'until' must be a linear address whose page is not touched: with 0xFFFFFFFF Unicorn's
        # exit check walks the page tables for it and leaves CR2 = FFFFFFFEh behind
        try:
            self.uc.emu_start(lin, 0, count=1)
        except UcError as e:
            return str(e)
        return None

    def first_access(self, ctx, lin: int, fault_page: int) -> str:
        """Re-run the instruction from ``ctx`` with the faulting (not-present) page made present and
        writable; return "write", "read" or "none" for the first access that touches the page (a
        read followed by a write of the same bytes -- a read-modify-write -- is "rmw"), with
        " split" added when that access started on the page before.  (Unicorn's memory hooks
        report physical addresses while paging is on.)"""
        saved_mem = self.mem[:SYS_END].copy()
        saved_writes = list(self.writes)
        if fault_page >= HOLE >> 12:   # a 4 MiB page at PROBE_RAM
            entry_at, entry = PD + 4 * (HOLE >> 22), PROBE_RAM | P | RW | A | D | PS
        else:
            entry_at, entry = PT + 4 * fault_page, (self.layout.frame[fault_page] << 12) | P | RW | A | D
        self.mem[entry_at:entry_at + 4] = np.frombuffer(entry.to_bytes(4, "little"), dtype=np.uint8)
        self.flush_tlb()
        self.uc.context_restore(ctx)
        self.writes.clear()
        self.reads = []
        self.exception = None
        try:
            self.step(lin)
            reads, writes = self.reads, list(self.writes)
        finally:
            self.reads = None
            self.mem[:SYS_END] = saved_mem
            self.writes[:] = saved_writes
            self.flush_tlb()
        touches = self.layout.touches
        first_write = next((i for i, (a, s, _) in enumerate(writes) if touches(a, s, fault_page)), None)
        kind, where = "none", None
        for before_writes, a, s in reads:
            if touches(a, s, fault_page):
                if first_write is not None and first_write < before_writes:
                    break
                rmw = any(w_a == a and w_s == s for w_a, w_s, _ in writes[before_writes:])
                kind, where = ("rmw" if rmw else "read"), a
                break
        if where is None and first_write is not None:
            kind, where = "write", writes[first_write][0]
        split = where is not None and not touches(where, 1, fault_page)
        return kind + (" split" if split else "")


class PagedCore(Core):
    """Our core in protected mode (``set_flat32(protected=True)``) with the layout's paging on."""

    def __init__(self, layout: Layout) -> None:
        super().__init__(16)   # real-mode construction; switched to protected mode below
        self.mode = 32
        cpu, S = self.cpu, self.S
        cpu.set_flat32(protected=True)
        cpu.write_phys(PD, layout.system)
        cpu.st[S.GDTR_BASE], cpu.st[S.GDTR_LIMIT] = GDT, 0x17
        cpu.st[S.IDTR_BASE], cpu.st[S.IDTR_LIMIT] = IDT, 0x7FF
        cpu.write_cr(4, CR4_PSE)
        cpu.write_cr(3, PD)
        cpu.write_cr(0, int(cpu.st[S.CR0]) | CR0_PE | CR0_WP | CR0_PG)

    @property
    def cr2(self) -> int:
        return int(self.st[self.S.CR2])

    @cr2.setter
    def cr2(self, value: int) -> None:
        self.st[self.S.CR2] = value

    def set_reg(self, i: int, value: int) -> None:
        if i >= I_ES:
            raise ValueError("segments are fixed in the paged mode")
        self.st[i] = value


# ---------------------------------------------------------------------------------------- stream
class PagedMismatch(Mismatch):
    """A :class:`Mismatch` of the paged mode (reports show linear and physical addresses)."""

    def report(self) -> str:
        text = super().report().replace("differential mismatch: mode=32", "differential mismatch: mode=paged")
        if self.mem or self.writes:
            text += "\n  (mem[] and unicorn-write addresses are physical; fixups and CR2 are linear)"
        return text


@dataclass
class Fault:
    """What Unicorn reported for one instruction that raised an exception."""

    vector: int
    page_fault: bool = False          # a #PF (not an INT 0Eh)
    cr2: int = 0
    error_code: int = 0               # #PF only: the reference error code (see module docstring)
    access: str = ""


class PagedStream:
    """One seeded stream in the paged world; ``core=False`` runs the reference alone."""

    mode = 32

    def __init__(self, seed: int, core: bool = True) -> None:
        self.seed = seed
        self.layout = make_layout(seed)
        self.ref = PagedReference(self.layout)
        self.core = PagedCore(self.layout) if core else None
        init = random.Random(seed * 1_000_003 + 6)
        data = np.random.default_rng(seed * 31 + 6).integers(0, 256, W.WORLD_END, dtype=np.uint8)
        self.ref.mem[:W.WORLD_END] = data
        if self.core:
            self.core.mem[:W.WORLD_END] = data
        regs = [init.getrandbits(32) for _ in range(8)]
        regs[4] = init.randrange(*W.STACK32)
        flags = (init.getrandbits(32) & FLAGS_RANDOM) | 2
        self.gen = PagedGenerator(seed, self.ref.read_linear, self.layout)
        eip = self.gen.rng.randrange(0x10000, 0x20000)
        while not self.layout.present(eip, FETCH_SPAN):
            eip = self.gen.rng.randrange(0x10000, 0x20000)
        for i, v in enumerate(regs + [eip, flags]):
            self.ref.set_reg(i, v)
            if self.core:
                self.core.set_reg(i, v)
        self.ref_view = self.ref.mem[:SYS_END].view(np.uint64)
        if self.core:
            self.core_view = self.core.mem[:SYS_END].view(np.uint64)
        self.faults: dict[str, int] = {}     # kind of fault -> count (for the test's coverage check)

    # ------------------------------------------------------------------ fixups and state copies
    def write_both(self, lin: int, data: bytes) -> None:
        self.ref.write_linear(lin, data)
        if self.core:
            for la, pa, k in self.layout.chunks(lin, len(data)):
                self.core.mem[pa:pa + k] = np.frombuffer(data[la - lin:la - lin + k], dtype=np.uint8)

    def apply(self, fixups, regs: list[int]) -> None:
        for f in fixups:
            kind = f[0]
            if kind == "mem":
                self.write_both(f[1], f[2])
                continue
            i, v = {"reg": (f[1], f[-1]), "eip": (I_EIP, f[1]), "flags": (I_EFLAGS, f[1])}[kind]
            regs[i] = v
            self.ref.set_reg(i, v)
            if self.core:
                self.core.set_reg(i, v)

    def resync(self) -> None:
        """Make our core's state equal to the reference's (after an exception or a difference)."""
        if not self.core:
            return
        for i, v in enumerate(self.ref.regs()[:I_ES]):
            self.core.set_reg(i, v)
        self.core.cr2 = self.ref.cr2
        self.core.mem[:] = self.ref.mem
        self.core.cpu.flush_tlb()

    def adopt_core(self, mm: Mismatch) -> None:
        """After a known Unicorn error: give Unicorn our core's (correct) differing values."""
        for name, (core_value, _) in mm.fields.items():
            if name == "cr2":
                self.ref.cr2 = core_value
            elif name in NAMES:
                self.ref.set_reg(NAMES.index(name), core_value)
        for pa, core_byte, _ in mm.mem:
            self.ref.mem[pa] = core_byte
        self.ref.flush_tlb()
        self.ref.uc.ctl_flush_tb()

    # ------------------------------------------------------------------ run
    def run(self, count: int, stop_at_first: bool = True, check_decode: bool = False) -> StreamResult:
        res = StreamResult(32, self.seed)
        t0 = time.perf_counter()
        ref, core, gen = self.ref, self.core, self.gen
        regs = ref.regs()
        insn = before = None
        for index in range(count):
            insn = gen.next(State(regs[0:8], regs[I_EIP], regs[I_EFLAGS], regs[I_ES:]))
            self.apply(insn.fixups, regs)
            before = list(regs)
            eip = regs[I_EIP]
            code = insn.code
            self.write_both(eip, code)
            for p in insn.pads:
                if p + 2 <= eip or p >= eip + len(code):
                    self.write_both(p, PAD)
            ref.code_written()
            if check_decode and insn.expect != VEC_UD and "capstone" in disasm(code, 32):
                raise AssertionError(f"generated {code.hex(' ')} ({insn.kind}): {disasm(code, 32)}")
            # a CS override may make our core raise #GP where Unicorn writes (known difference):
            # keep what is needed to undo Unicorn's instruction
            undo = (ref.mem[:SYS_END].copy(), ref.uc.context_save()) if core and 0x2E in insn_prefixes(code) \
                else None
            fault, err, after, ctx = self.run_reference(eip, insn)
            res.executed += 1
            res.kinds[insn.kind] = res.kinds.get(insn.kind, 0) + 1
            if fault is not None:
                key = f"#PF {fault.access}" if fault.page_fault else f"#{fault.vector}"
                self.faults[key] = self.faults.get(key, 0) + 1
            if core is None:
                if err or (fault and fault.vector not in (insn.expect, VEC_PF)) or (
                        insn.expect is not None and fault is None):
                    raise AssertionError(f"reference stopped ({err or fault}) on {code.hex(' ')} "
                                         f"{disasm(code, 32)} ({insn.kind})")
                if fault is not None:
                    self.continue_after(ctx, after, eip + len(code), fault)
                regs = ref.regs()
                continue
            exit_reason = core.step()
            got = core.regs()
            if insn.rep:
                n = 0
                while exit_reason == 0 and got[I_EIP] == eip and n < 0x10000:
                    exit_reason = core.step()
                    got = core.regs()
                    n += 1
            mm = self.compare(index, insn, before, after, got, err, exit_reason, fault)
            if fault is not None:
                self.continue_after(ctx, after, eip + len(code), fault)
                if mm is None:
                    res.exceptions_checked += 1
                    self.resync()
            if mm is not None:
                mm.explained = explain(mm)
                if mm.explained:
                    key = mm.explained.split(":")[0]
                    res.explained[key] = res.explained.get(key, 0) + 1
                    if HANDLERS <= got[I_EIP] < HANDLERS + 256:
                        self.skip_on_reference(undo, fault, eip + len(code))
                    else:
                        self.adopt_core(mm)
                else:
                    res.mismatches.append(mm)
                    if stop_at_first:
                        break
                    self.resync()
            elif fault is None and got[I_EFLAGS] != after[I_EFLAGS]:
                core.set_reg(I_EFLAGS, after[I_EFLAGS])   # only undefined flags differ
            regs = ref.regs()
        else:
            if core is not None and count and not np.array_equal(ref.mem, core.mem):
                res.mismatches.append(self.mismatch(count - 1, insn, before, regs, core.regs(), {},
                                                    "memory outside the compared area differs at the end",
                                                    self.mem_diff(len(ref.mem))))
        res.seconds = time.perf_counter() - t0
        return res

    def run_reference(self, eip: int, insn):
        """Step Unicorn over the instruction (all iterations of a REP one); return
        (fault or None, error text or None, registers after, context saved before the last step)."""
        ref = self.ref
        ref.writes.clear()
        ref.exception = None
        ctx = ref.uc.context_save()
        err = ref.step(eip)
        after = ref.regs()
        n = 0
        while insn.rep and err is None and ref.exception is None and after[I_EIP] == eip and n < 0x10000:
            ctx = ref.uc.context_save()
            err = ref.step(eip)
            after = ref.regs()
            n += 1
        if err is not None and "INSN_INVALID" in err:
            err, ref.exception = None, VEC_UD   # Unicorn stops on #UD instead of reporting it
        if ref.exception is None:
            return None, err, after, ctx
        fault = Fault(ref.exception)
        if fault.vector == VEC_PF and not (insn.trap and insn.expect == VEC_PF):
            fault.page_fault = True
            fault.cr2 = ref.cr2
            page = fault.cr2 >> 12
            if self.layout.phys(fault.cr2) is not None:
                fault.error_code, fault.access = 0b011, "protection"   # present: only writes fault
            elif page not in self.layout.frame and not HOLE <= fault.cr2 < HOLE + W.WORLD_END:
                fault.access = "outside the world"                    # (the generator prevents it)
            else:
                kind = ref.first_access(ctx, eip, page)
                fault.access = ("PDE not-present " if fault.cr2 >= HOLE else "not-present ") + kind
                fault.error_code = 0b010 if kind.startswith("write") else 0b000
        return fault, err, after, ctx

    def skip_on_reference(self, undo, fault: Fault | None, next_eip: int) -> None:
        """Our core (rightly) raised an exception Unicorn did not: undo the instruction on Unicorn
        and let both go on after it, as after any exception."""
        if fault is None:
            self.ref.mem[:SYS_END] = undo[0]
            self.ref.uc.context_restore(undo[1])
            self.ref.set_reg(I_EIP, next_eip)
            self.ref.flush_tlb()
            self.ref.uc.ctl_flush_tb()
        self.resync()

    def continue_after(self, ctx, after: list[int], next_eip: int, fault: Fault) -> None:
        """Undo QEMU's memory of the undelivered exception (it would turn the next one into #DF),
        keep what the instruction did before it faulted, and go on after the instruction."""
        ref = self.ref
        ref.uc.context_restore(ctx)
        for i, v in enumerate(after[:I_ES]):
            ref.set_reg(i, v)
        ref.set_reg(I_EIP, next_eip)
        if fault.page_fault:
            ref.cr2 = fault.cr2

    # ------------------------------------------------------------------ compare
    def mismatch(self, index, insn, before, after, got, fields, problem="", mem=None) -> Mismatch:
        return PagedMismatch(32, self.seed, index, insn, before, after, got, fields, mem or [],
                             list(self.ref.writes), problem)

    def mem_diff(self, end: int = SYS_END):
        a, b = self.core.mem[:end], self.ref.mem[:end]
        idx = np.nonzero(a != b)[0]
        return [(int(i), int(a[i]), int(b[i])) for i in idx[:256]]

    def next_fetch_accessed(self, after_eip: int) -> None:
        """Unicorn translates the code at the next EIP before it stops (the landing pad), which
        sets the accessed bit of that page's PTE one instruction before our core fetches there:
        give our core that A bit (our core's TLB cannot hold the page, as its A bit was clear)."""
        for page in {after_eip >> 12, (after_eip + 1) >> 12}:
            if self.layout.kind.get(page, "np") == "np":
                continue
            pte = PT + 4 * page
            r = int(self.ref.mem[pte:pte + 4].view(np.uint32)[0])
            c = int(self.core.mem[pte:pte + 4].view(np.uint32)[0])
            if r ^ c == A and r & A:
                self.core.mem[pte] |= A

    def compare(self, index, insn, before, after, got, err, exit_reason, fault) -> Mismatch | None:
        S = self.core.S
        self.next_fetch_accessed(after[I_EIP])
        core_vec = got[I_EIP] - HANDLERS if HANDLERS <= got[I_EIP] < HANDLERS + 256 else None
        if exit_reason != S.EXIT_BUDGET:
            name = S.EXIT_NAMES[exit_reason] if exit_reason < len(S.EXIT_NAMES) else str(exit_reason)
            return self.mismatch(index, insn, before, after, got, {}, f"core: exit {name} ({exit_reason})")
        if err is not None:
            core_did = "no exception" if core_vec is None else f"exception {core_vec}"
            return self.mismatch(index, insn, before, after, got, {}, f"unicorn: {err}; core: {core_did}")
        if fault is None and core_vec is None:
            if insn.expect is not None:
                return self.mismatch(index, insn, before, after, got, {},
                                     f"expected exception {insn.expect}; neither CPU raised it")
            return self.compare_state(index, insn, before, after, got)
        return self.check_exception(index, insn, before, after, got, fault, core_vec)

    def compare_state(self, index, insn, before, after, got) -> Mismatch | None:
        fields = {}
        if after != got:
            umask = undefined_mask(insn.uclass)
            for i, (u, c) in enumerate(zip(after, got)):
                if u != c and not (i == I_EFLAGS and not ((u ^ c) & ~umask)):
                    fields[NAMES[i]] = (c, u)
        if self.core.cr2 != self.ref.cr2:
            fields["cr2"] = (self.core.cr2, self.ref.cr2)
        same_mem = np.array_equal(self.ref_view, self.core_view)
        if fields or not same_mem:
            return self.mismatch(index, insn, before, after, got, fields, mem=self.mem_diff())
        if index % 512 == 511 and not np.array_equal(self.ref.mem, self.core.mem):
            return self.mismatch(index, insn, before, after, got, {},
                                 "memory outside the compared area differs (written at most 512 "
                                 "instructions earlier)", self.mem_diff(len(self.ref.mem)))
        return None

    def read_stack(self, sp: int, n: int) -> bytes:
        """``n`` bytes of our core's memory at linear ``sp``."""
        out = bytearray(n)
        for la, pa, k in self.layout.chunks(sp, n):
            out[la - sp:la - sp + k] = self.core.mem[pa:pa + k].tobytes()
        return bytes(out)

    def check_exception(self, index, insn, before, after, got, fault, core_vec) -> Mismatch | None:
        ref_vec = fault.vector if fault else None
        if ref_vec != core_vec:
            fields = {}
            if core_vec is None:
                fields = {NAMES[i]: (c, u) for i, (u, c) in enumerate(zip(after, got)) if u != c}
            text = f"unicorn raised {ref_vec}, core delivered {core_vec}"
            if core_vec in ERROR_CODE:
                frame = self.read_stack(got[4], 8)
                code_, pushed_eip = struct.unpack("<II", frame)
                eip_ok = "ok" if pushed_eip == before[I_EIP] else "wrong"
                text += f" (error code {code_:X}, pushed EIP {eip_ok})"
            if fault and fault.page_fault:
                text += f" ({fault.access}); CR2 {fault.cr2:08X}"
            return self.mismatch(index, insn, before, after, got, fields, text)
        if insn.expect is not None and ref_vec not in (insn.expect, VEC_PF):
            return self.mismatch(index, insn, before, after, got, {},
                                 f"generator: both CPUs raised exception {ref_vec}, expected {insn.expect}")
        problems, details, fields = [], [], {}
        soft = insn.trap and ref_vec == insn.expect          # INT n / INT3 / INTO: a trap
        has_code = ref_vec in ERROR_CODE and not soft      # INT n pushes no error code
        frame_size = 16 if has_code else 12
        # registers: everything the instruction did before it faulted (REP progress), ESP less the
        # frame, the same selectors; EFLAGS less TF, NT, RF, VM and, through an interrupt gate, IF
        # (SDM Vol. 3, 6.12.1.3)
        for i in range(8):
            want = (after[i] - frame_size) & 0xFFFFFFFF if i == 4 else after[i]
            if got[i] != want:
                fields[NAMES[i]] = (got[i], want)
        for i in range(I_ES, len(NAMES)):
            if got[i] != after[i]:
                fields[NAMES[i]] = (got[i], after[i])
        want_flags = after[I_EFLAGS] & ~(GATE_CLEARS | (0 if ref_vec in self.layout.trap_gates else IF))
        if got[I_EFLAGS] != want_flags:
            fields["eflags"] = (got[I_EFLAGS], want_flags)
        sp = got[4]
        words = struct.unpack(f"<{frame_size // 4}I", self.read_stack(sp, frame_size))
        if has_code:
            code_, words = words[0], words[1:]
            if fault.page_fault and code_ != fault.error_code:
                problems.append("error code")
                details.append(f"error code {code_:X}, expected {fault.error_code:X}")
        pushed_eip, pushed_cs, pushed_fl = words
        want_eip = after[I_EIP] if not soft else (before[I_EIP] + len(insn.code)) & 0xFFFFFFFF
        want_fl = after[I_EFLAGS] | (0 if soft else RF)
        frame_problems = []
        if pushed_eip != want_eip:
            frame_problems.append("pushed EIP")
        if pushed_cs & 0xFFFF != CODE_SEL:
            frame_problems.append("pushed CS")
        if pushed_fl != want_fl:
            frame_problems.append("pushed EFLAGS " + flag_text(pushed_fl ^ want_fl).replace(" ", ","))
        if frame_problems:
            problems += frame_problems
            details.append(f"pushed EIP:CS:EFLAGS {pushed_eip:08X}:{pushed_cs:08X}:{pushed_fl:08X}, "
                           f"expected {want_eip:08X}:{CODE_SEL:04X}:{want_fl:08X}")
        if fault.page_fault and self.core.cr2 != fault.cr2:
            fields["cr2"] = (self.core.cr2, fault.cr2)
        if not soft and after[I_EIP] != before[I_EIP]:
            problems.append("unicorn EIP")
            details.append(f"unicorn EIP {after[I_EIP]:X} is not the faulting instruction")
        # memory: all equal except the frame our core pushed
        for _, pa, k in self.layout.chunks(sp, frame_size):
            self.core.mem[pa:pa + k] = self.ref.mem[pa:pa + k]
        mem = [] if np.array_equal(self.ref_view, self.core_view) else self.mem_diff()
        if problems or fields or mem:
            what = f"exception {ref_vec}" + (f" ({fault.access})" if fault.page_fault else "")
            if fault.page_fault:
                details.insert(0, f"CR2 {fault.cr2:08X}")
            text = f"{what}: {', '.join(problems) or 'state differs'}; {'; '.join(details)}"
            return self.mismatch(index, insn, before, after, got, fields, text, mem)
        return None
