"""Segment registers and descriptors (Intel SDM Vol. 3, chapters 3 and 5).

A descriptor is read as two little-endian dwords ``lo``, ``hi``.  The cached
attributes (``st[ATTR + seg]``) keep descriptor bits 40..55 (``hi >> 8``:
type, S, DPL, P, AVL, D/B, G).  Every change of a segment cache also sets the
fast read/write limits (``RLIM``/``WLIM``) the memory fast path compares
against; -1 sends every access of that kind to the checked path, which raises
the architected fault.

Real-address and virtual-8086 mode loads only change selector and base (and,
in virtual-8086 mode, give the 64 KiB ring-3 data segment of SDM Vol. 3,
20.1.1).  Protected-mode loads check the selector as SDM Vol. 2 "MOV", "POP"
and "LDS/LES/LFS/LGS/LSS" list, set the accessed bit and raise #GP/#SS/#NP
with the selector as error code.
"""

from .farcall import OP_IO_BITMAP, OP_LOAD_SEG, slow
from .jit import cold, njit
from .memory import is_protected, lin_rd, lin_wr, raise_fault
from .state import (
    ATTR,
    BASE,
    CPL,
    CR0,
    CS,
    EFLAGS,
    FAULT,
    GDTR_BASE,
    GDTR_LIMIT,
    IOPL,
    LDTR_BASE,
    LDTR_LIMIT,
    LDTR_SEL,
    LIMIT,
    RLIM,
    SEL,
    SS,
    TLB_USER,
    TR_ATTR,
    TR_BASE,
    TR_LIMIT,
    TR_SEL,
    VEC_GP,
    VEC_NP,
    VEC_SS,
    VM,
    WLIM,
)

A_P = 0x80        # present
A_S = 0x10        # code/data (not system)
A_CODE = 0x08
A_CONFORM = 0x04  # code: conforming; data: expand-down
A_RW = 0x02       # code: readable; data: writable
A_ACCESSED = 0x01


@njit
def set_cpl(st, cpl):
    st[CPL] = cpl
    st[TLB_USER] = 2 if cpl == 3 else 0


@njit
def set_fast_limits(st, seg):
    """RLIM/WLIM of ``seg`` from its cache (see the module docstring)."""
    attr = st[ATTR + seg]
    lim = st[LIMIT + seg]
    r = lim
    w = lim
    if is_protected(st):
        if (attr & A_P) == 0 or (attr & (A_CODE | A_CONFORM)) == A_CONFORM:
            r = -1  # unusable, or expand-down: the checked path decides
            w = -1
        elif attr & A_CODE:
            w = -1
            if (attr & A_RW) == 0:
                r = -1
        elif (attr & A_RW) == 0:
            w = -1
    st[RLIM + seg] = r
    st[WLIM + seg] = w


@njit
def refresh_fast_limits(st):
    """Recompute every segment's fast limits (after CR0.PE or EFLAGS.VM change)."""
    for seg in range(6):
        set_fast_limits(st, seg)


@njit
def set_cache(st, seg, sel, base, limit, attr):
    st[SEL + seg] = sel & 0xFFFF
    st[BASE + seg] = base & 0xFFFFFFFF
    st[LIMIT + seg] = limit & 0xFFFFFFFF
    st[ATTR + seg] = attr
    set_fast_limits(st, seg)


@njit
def load_seg_real(st, seg, sel):
    """Real-mode segment load: selector and base change, the cached limit and attributes stay."""
    sel &= 0xFFFF
    st[SEL + seg] = sel
    st[BASE + seg] = sel << 4
    if st[EFLAGS] & VM:  # virtual-8086: a 64 KiB read/write ring-3 segment (SDM Vol. 3, 20.1.1)
        st[LIMIT + seg] = 0xFFFF
        st[ATTR + seg] = 0xF3 if seg != CS else 0xFB
    set_fast_limits(st, seg)


# --- descriptors ----------------------------------------------------------------------------
@njit
def desc_base(lo, hi):
    return ((lo >> 16) & 0xFFFF) | ((hi & 0xFF) << 16) | (hi & 0xFF000000)


@njit
def desc_limit(lo, hi):
    lim = (lo & 0xFFFF) | (hi & 0xF0000)
    if hi & 0x800000:  # G: 4 KiB granularity
        lim = (lim << 12) | 0xFFF
    return lim


@njit
def desc_attr(hi):
    return (hi >> 8) & 0xF0FF


@njit
def desc_addr(st, sel):
    """Linear address of the descriptor ``sel`` names, or -1 when it lies outside its table."""
    idx = sel & 0xFFF8
    if sel & 4:
        if (st[LDTR_SEL] & 0xFFFC) == 0 or idx + 7 > st[LDTR_LIMIT]:
            return -1
        return (st[LDTR_BASE] + idx) & 0xFFFFFFFF
    if idx + 7 > st[GDTR_LIMIT]:
        return -1
    return (st[GDTR_BASE] + idx) & 0xFFFFFFFF


@njit
def read_desc(st, mem, sel):
    """(address, lo, hi) of descriptor ``sel``; address -1 when outside the table (no fault raised)."""
    a = desc_addr(st, sel)
    if a < 0:
        return a, 0, 0
    return a, lin_rd(st, mem, a, 4), lin_rd(st, mem, a + 4, 4)


@njit
def set_accessed(st, mem, addr, hi):
    """Set the accessed bit of a code/data descriptor (SDM Vol. 3, 3.4.5.1)."""
    if (hi & 0x100) == 0:
        lin_wr(st, mem, addr + 5, 1, (hi >> 8) | 1)


@njit
def sel_fault(st, vector, sel):
    raise_fault(st, vector, sel & 0xFFFC)


@njit
def load_data_seg(st, mem, seg, sel):
    """MOV/POP/LxS into DS, ES, FS, GS or SS; False after raising the fault."""
    sel &= 0xFFFF
    if not is_protected(st):
        load_seg_real(st, seg, sel)
        return True
    return slow(st, mem, OP_LOAD_SEG, seg, sel, 0, 0) != 0


@cold
def load_data_seg_pm(st, mem, seg, sel):
    """The protected-mode checks of :func:`load_data_seg`."""
    cpl = st[CPL]
    rpl = sel & 3
    if (sel & 0xFFFC) == 0:
        if seg == SS:
            raise_fault(st, VEC_GP, 0)
            return False
        set_cache(st, seg, sel, 0, 0, 0)  # a null selector makes the register unusable
        return True
    addr, lo, hi = read_desc(st, mem, sel)
    if addr < 0:
        sel_fault(st, VEC_GP, sel)
        return False
    attr = (hi >> 8) & 0xFF
    dpl = (attr >> 5) & 3
    if seg == SS:
        if rpl != cpl or dpl != cpl or (attr & (A_S | A_CODE | A_RW)) != (A_S | A_RW):
            sel_fault(st, VEC_GP, sel)
            return False
        if (attr & A_P) == 0:
            sel_fault(st, VEC_SS, sel)
            return False
    else:
        if (attr & A_S) == 0 or (attr & (A_CODE | A_RW)) == A_CODE:
            sel_fault(st, VEC_GP, sel)
            return False
        if (attr & (A_CODE | A_CONFORM)) != (A_CODE | A_CONFORM) and (rpl > dpl or cpl > dpl):
            sel_fault(st, VEC_GP, sel)
            return False
        if (attr & A_P) == 0:
            sel_fault(st, VEC_NP, sel)
            return False
    set_accessed(st, mem, addr, hi)
    if st[FAULT] >= 0:
        return False
    set_cache(st, seg, sel, desc_base(lo, hi), desc_limit(lo, hi), desc_attr(hi | 0x100))
    return True


@njit
def null_outer_segments(st):
    """After a return to an outer ring: DS/ES/FS/GS not usable at the new CPL become null
    (SDM Vol. 2, RET and IRET: "FOR each SegReg IN (ES, FS, GS, DS)")."""
    cpl = st[CPL]
    for seg in (0, 3, 4, 5):
        attr = st[ATTR + seg]
        dpl = (attr >> 5) & 3
        data_or_nc = (attr & A_CODE) == 0 or (attr & A_CONFORM) == 0
        if (st[SEL + seg] & 0xFFFC) != 0 and data_or_nc and dpl < cpl:
            set_cache(st, seg, 0, 0, 0, 0)


@cold
def load_system_seg(st, mem, sel, is_tr):
    """LLDT / LTR: load LDTR or TR from a GDT system descriptor (SDM Vol. 2, LLDT and LTR)."""
    sel &= 0xFFFF
    if (sel & 0xFFFC) == 0:
        if is_tr:
            raise_fault(st, VEC_GP, 0)
            return False
        st[LDTR_SEL] = sel
        st[LDTR_BASE] = 0
        st[LDTR_LIMIT] = 0
        return True
    if sel & 4:
        sel_fault(st, VEC_GP, sel)
        return False
    addr, lo, hi = read_desc(st, mem, sel)
    if addr < 0:
        sel_fault(st, VEC_GP, sel)
        return False
    typ = (hi >> 8) & 0x1F
    if (is_tr and typ != 1 and typ != 9) or (not is_tr and typ != 2):
        sel_fault(st, VEC_GP, sel)
        return False
    if (hi & 0x8000) == 0:
        sel_fault(st, VEC_NP, sel)
        return False
    if is_tr:
        lin_wr(st, mem, addr + 5, 1, (hi >> 8) | 2)  # mark the TSS busy
        st[TR_SEL] = sel
        st[TR_BASE] = desc_base(lo, hi)
        st[TR_LIMIT] = desc_limit(lo, hi)
        st[TR_ATTR] = desc_attr(hi | 0x200)
    else:
        st[LDTR_SEL] = sel
        st[LDTR_BASE] = desc_base(lo, hi)
        st[LDTR_LIMIT] = desc_limit(lo, hi)
    return True


@njit
def io_allowed(st, mem, port, size):
    """Whether IN/OUT/INS/OUTS may touch ``size`` ports from ``port`` (SDM Vol. 1, 19.5).

    In protected mode with CPL > IOPL, and always in virtual-8086 mode, every
    port's bit in the TSS I/O permission bitmap must be clear; otherwise #GP(0).
    """
    if (st[CR0] & 1) == 0:
        return True
    if (st[EFLAGS] & VM) == 0 and st[CPL] <= ((st[EFLAGS] & IOPL) >> 12):
        return True
    return slow(st, mem, OP_IO_BITMAP, port, size, 0, 0) != 0


@cold
def io_bitmap_allows(st, mem, port, size):
    """The TSS I/O permission bitmap check of :func:`io_allowed` (#GP(0) when denied)."""
    ok = (st[TR_ATTR] & 0x0F) == 0x0B and st[TR_LIMIT] >= 0x67  # a busy 32-bit TSS with a bitmap
    if ok:
        off = lin_rd(st, mem, st[TR_BASE] + 0x66, 2) + (port >> 3)
        ok = off + 1 <= st[TR_LIMIT]
        if ok:
            bits = lin_rd(st, mem, st[TR_BASE] + off, 2)
            ok = ((bits >> (port & 7)) & ((1 << size) - 1)) == 0
    if not ok:
        raise_fault(st, VEC_GP, 0)
    return ok
