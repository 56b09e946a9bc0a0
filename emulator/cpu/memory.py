"""Guest memory access for the core: segmentation, the TLB fast paths, the stack, fetch.

Every access first checks the segment's fast limit (``RLIM``/``WLIM``, -1 when
only the checked path may decide) and the software TLB (:mod:`.paging`): a hit
with the right fast bit reads or writes ``mem`` directly.  Everything else goes
through small ``noinline`` miss wrappers to the checked paths behind the
rare-path boundary (:mod:`.farcall`): protected-mode segment checks (SDM Vol. 3,
5.3-5.5), the page walk, page crossings (both pages are checked before a byte
is written), the physical page map (ROM ignores writes, holes read all-ones,
the top of 4 GiB aliases the BIOS ROM, the VGA window goes through the graphics
controller), data breakpoints.  The A20 gate (IBM PC/AT Technical Reference,
"Address line 20") is applied when a translation is made.  Real-mode limit
checks follow the 286 and 386 rules (a word at offset FFFFh raises #GP, or #SS
for the stack segment), with the 8086's in-segment wrap as a model quirk.

A fault sets ``st[FAULT]`` and the access returns 0 (reads) or does nothing
(writes, also every write after the fault), so the instruction's remaining
work is harmless and the run loop restarts it through the exception vector.
"""

import numpy as np

from .debug import data_breakpoints
from .farcall import OP_FETCH, OP_LIN_RD, OP_LIN_WR, OP_RD, OP_WR, slow
from .jit import cold, hot, njit
from .paging import tlb_slot, translate
from .state import (
    ATTR,
    ATTR_DB,
    BASE,
    CR0,
    CS,
    EFLAGS,
    ESP,
    FAULT,
    FAULT_CODE,
    FETCH_AVAIL,
    FETCH_LA,
    FETCH_STOP,
    LFB_PHYS,
    LIMIT,
    PG_BIOS_ALIAS,
    PG_LFB,
    PG_RAM,
    PG_ROM,
    PG_VGA,
    Q_HAS_386,
    Q_SEG_WRAP,
    RAM_OFF,
    RLIM,
    SCRATCH,
    SS,
    TLB_SR,
    TLB_SW,
    TLB_USER,
    VEC_GP,
    VEC_SS,
    VM,
    VRAM_OFF,
    WLIM,
)
from .thincall import data_ptr, mem_view, st_view
from .vgamem import vga_rd8, vga_wr8


# --- raw little-endian loads and stores on the memory array ---------------------
# An unsigned index spares numba's negative-index wrap-around check on every access.
@njit
def ld8(mem, i):
    return np.int64(mem[np.uint64(i)])


@njit
def ld16(mem, i):
    u = np.uint64(i)
    return np.int64(mem[u]) | (np.int64(mem[u + np.uint64(1)]) << 8)


@njit
def ld32(mem, i):
    u = np.uint64(i)
    return (np.int64(mem[u]) | (np.int64(mem[u + np.uint64(1)]) << 8)
            | (np.int64(mem[u + np.uint64(2)]) << 16) | (np.int64(mem[u + np.uint64(3)]) << 24))


@njit
def st8(mem, i, v):
    mem[np.uint64(i)] = v & 0xFF


@njit
def st16(mem, i, v):
    u = np.uint64(i)
    mem[u] = v & 0xFF
    mem[u + np.uint64(1)] = (v >> 8) & 0xFF


@njit
def st32(mem, i, v):
    u = np.uint64(i)
    mem[u] = v & 0xFF
    mem[u + np.uint64(1)] = (v >> 8) & 0xFF
    mem[u + np.uint64(2)] = (v >> 16) & 0xFF
    mem[u + np.uint64(3)] = (v >> 24) & 0xFF


@njit
def ram_load(mem, i, size):
    """Little-endian load of ``size`` (1, 2, 4) bytes at ``mem[i]``."""
    if size == 1:
        return ld8(mem, i)
    if size == 2:
        return ld16(mem, i)
    return ld32(mem, i)


@njit
def ram_store(mem, i, size, v):
    if size == 1:
        st8(mem, i, v)
    elif size == 2:
        st16(mem, i, v)
    else:
        st32(mem, i, v)


@njit
def page_kind(mem, pa):
    """The page map's kind byte (``PG_*``) for physical address ``pa``."""
    return mem[np.uint64(pa >> 12)]


# --- faults -------------------------------------------------------------------------
@njit
def raise_fault(st, vector, code):
    """Record exception ``vector`` (error ``code`` or -1) unless one is already pending."""
    if st[FAULT] < 0:
        st[FAULT] = vector
        st[FAULT_CODE] = code


# --- physical memory ------------------------------------------------------------------
@njit
def phys_rd8(mem, pa):
    kind = page_kind(mem, pa)
    if kind <= PG_ROM:
        return ld8(mem, RAM_OFF + pa)
    if kind == PG_BIOS_ALIAS:
        return ld8(mem, RAM_OFF + (pa & 0xFFFFF))
    if kind == PG_VGA:
        return vga_rd8(mem, pa)
    if kind == PG_LFB:
        return ld8(mem, VRAM_OFF + (pa - LFB_PHYS))
    return np.int64(0xFF)


@njit
def phys_wr8(mem, pa, v):
    kind = page_kind(mem, pa)
    if kind == PG_RAM:
        st8(mem, RAM_OFF + pa, v)
    elif kind == PG_VGA:
        vga_wr8(mem, pa, v)
    elif kind == PG_LFB:
        st8(mem, VRAM_OFF + (pa - LFB_PHYS), v)


@njit
def tlb_hit(st, la, bit):
    """The TLB entry for ``la`` when it allows the fast access ``bit`` (shifted for CPL 3), else 0."""
    e = st[tlb_slot(la)]
    if (e >> 32) == (la >> 12) and (e & bit) != 0:
        return e
    return np.int64(0)


@cold
def lin_rd_slow(st, mem, la, size, user):
    """Read ``size`` bytes at linear ``la`` through the page walk, byte by byte (page crossings,
    ROM, the VGA window, holes); 0 after a page fault."""
    la &= 0xFFFFFFFF
    pa = translate(st, mem, la, False, user, True)
    if pa < 0:
        return np.int64(0)
    first = min(size, 0x1000 - (la & 0xFFF))
    pa2 = pa
    if first < size:
        pa2 = translate(st, mem, la + first, False, user, True) - first
        if pa2 < -first:
            return np.int64(0)
    data_breakpoints(st, la, size, False)
    v = np.int64(0)
    for k in range(size):
        v |= phys_rd8(mem, (pa if k < first else pa2) + k) << (8 * k)
    return v


@cold
def lin_wr_slow(st, mem, la, size, v, user):
    """Write through the page walk; both pages are checked before any byte is written."""
    if st[FAULT] >= 0:
        return
    la &= 0xFFFFFFFF
    pa = translate(st, mem, la, True, user, True)
    if pa < 0:
        return
    first = min(size, 0x1000 - (la & 0xFFF))
    pa2 = pa
    if first < size:
        pa2 = translate(st, mem, la + first, True, user, True) - first
        if pa2 < -first:
            return
    data_breakpoints(st, la, size, True)
    for k in range(size):
        phys_wr8(mem, (pa if k < first else pa2) + k, v >> (8 * k))


@cold
def rd_miss(st, mem, seg, off, size):
    """An access the fast path could not do, behind the rare-path boundary (``seg`` -1: a
    supervisor access at linear ``off``).  Not inlined: a call site per access kept the
    inlined fast paths large, which cost about 30% of the speed (measured)."""
    if seg < 0:
        return slow(st, mem, OP_LIN_RD, off, size, 0, 0)
    return slow(st, mem, OP_RD, seg, off, size, 0)


@cold
def wr_miss(st, mem, seg, off, size, v):
    if seg < 0:
        slow(st, mem, OP_LIN_WR, off, size, v, 0)
    else:
        slow(st, mem, OP_WR, seg, off, size, v)


@njit
def lin_rd(st, mem, la, size):
    """Supervisor read at a linear address (descriptor tables, IDT, TSS, the IVT)."""
    e = tlb_hit(st, la, TLB_SR)
    if e != 0 and (la & 0xFFF) <= 0x1000 - size:
        return ram_load(mem, (e & 0xFFFFF000) + (la & 0xFFF), size)
    return rd_miss(st, mem, -1, la, size)


@njit
def lin_wr(st, mem, la, size, v):
    e = tlb_hit(st, la, TLB_SW)
    if e != 0 and (la & 0xFFF) <= 0x1000 - size and st[FAULT] < 0:
        ram_store(mem, (e & 0xFFFFF000) + (la & 0xFFF), size, v)
    else:
        wr_miss(st, mem, -1, la, size, v)


# --- segmented access --------------------------------------------------------------------
@njit
def limit_fault(st, seg):
    """#SS for the stack segment on the 386+; the 286 in real mode raises 13 for every segment."""
    raise_fault(st, VEC_SS if seg == SS and st[Q_HAS_386] != 0 else VEC_GP, 0)


@cold
def seg_wrap_rd(st, mem, seg, off, size):
    """8086: the bytes of a word at offset FFFFh come from FFFFh and 0000h of the segment."""
    if st[Q_SEG_WRAP] == 0:
        limit_fault(st, seg)
        return np.int64(0)
    v = np.int64(0)
    for k in range(size):
        v |= lin_rd(st, mem, (st[BASE + seg] + ((off + k) & 0xFFFF)) & 0xFFFFFFFF, 1) << (8 * k)
    return v


@cold
def seg_wrap_wr(st, mem, seg, off, size, v):
    if st[Q_SEG_WRAP] == 0:
        limit_fault(st, seg)
        return
    for k in range(size):
        lin_wr(st, mem, (st[BASE + seg] + ((off + k) & 0xFFFF)) & 0xFFFFFFFF, 1, v >> (8 * k))


@njit
def is_protected(st):
    """Protected mode proper (CR0.PE set, EFLAGS.VM clear): segments follow its rules."""
    return (st[CR0] & 1) != 0 and (st[EFLAGS] & VM) == 0


@njit
def seg_access_ok(st, seg, off, size, write):
    """Protected-mode checks of an access to ``seg``:``off`` (SDM Vol. 3, 5.3 and 5.5).

    Unusable (null) segments, writes to code or read-only data, reads of
    execute-only code, and offsets outside the limit (expand-down segments
    allow limit+1 up to FFFFh or FFFFFFFFh by the B bit) raise #GP(0), or
    #SS(0) for the stack segment.
    """
    attr = st[ATTR + seg]
    ok = (attr & 0x80) != 0
    if write:
        ok = ok and (attr & 0x0A) == 0x02
    else:
        ok = ok and (attr & 0x0A) != 0x08
    if ok:
        end = off + size - 1
        if (attr & 0x0C) == 0x04:  # expand-down data
            upper = 0xFFFFFFFF if attr & ATTR_DB else 0xFFFF
            ok = off > st[LIMIT + seg] and end <= upper
        else:
            ok = end <= st[LIMIT + seg]
    if not ok:
        raise_fault(st, VEC_SS if seg == SS else VEC_GP, 0)
    return ok


@cold
def rd_slow(st, mem, seg, off, size):
    """``rd`` off its fast path: segment checks, page walk, page crossing, ROM alias, holes."""
    if off + size - 1 > st[RLIM + seg]:
        if not is_protected(st):
            if off + size - 1 > st[LIMIT + seg]:
                return seg_wrap_rd(st, mem, seg, off, size)
        elif not seg_access_ok(st, seg, off, size, False):
            return np.int64(0)
    return lin_rd_slow(st, mem, st[BASE + seg] + off, size, st[TLB_USER] != 0)


@njit
def rd(st, mem, seg, off, size):
    """Read ``size`` (1, 2, 4) bytes at ``seg``:``off`` (the uncommon cases in ``rd_slow``)."""
    la = (st[BASE + seg] + off) & 0xFFFFFFFF
    e = st[tlb_slot(la)]
    if (off + size - 1 <= st[RLIM + seg] and (la & 0xFFF) <= 0x1000 - size
            and (e >> 32) == (la >> 12) and ((e >> st[TLB_USER]) & TLB_SR) != 0):
        return ram_load(mem, (e & 0xFFFFF000) + (la & 0xFFF), size)
    return rd_miss(st, mem, seg, off, size)


@cold
def wr_slow(st, mem, seg, off, size, v):
    if off + size - 1 > st[WLIM + seg]:
        if not is_protected(st):
            if off + size - 1 > st[LIMIT + seg]:
                seg_wrap_wr(st, mem, seg, off, size, v)
                return
        elif not seg_access_ok(st, seg, off, size, True):
            return
    lin_wr_slow(st, mem, st[BASE + seg] + off, size, v, st[TLB_USER] != 0)


@njit
def wr(st, mem, seg, off, size, v):
    """Write the low ``size`` bytes of ``v`` at ``seg``:``off`` (nothing once a fault is pending)."""
    la = (st[BASE + seg] + off) & 0xFFFFFFFF
    e = st[tlb_slot(la)]
    if (off + size - 1 <= st[WLIM + seg] and (la & 0xFFF) <= 0x1000 - size
            and (e >> 32) == (la >> 12) and ((e >> st[TLB_USER]) & TLB_SW) != 0 and st[FAULT] < 0):
        ram_store(mem, (e & 0xFFFFF000) + (la & 0xFFF), size, v)
    else:
        wr_miss(st, mem, seg, off, size, v)


@cold
def probe_write(st, mem, seg, off, size):
    """Raise the fault a write of ``size`` bytes at ``seg``:``off`` would raise, writing
    nothing (for instructions whose stores must all succeed or none); True if none."""
    end = off + size - 1
    if end > st[WLIM + seg]:
        if not is_protected(st):
            if end > st[LIMIT + seg] and st[Q_SEG_WRAP] == 0:
                limit_fault(st, seg)
                return False
        elif not seg_access_ok(st, seg, off, size, True):
            return False
    la = (st[BASE + seg] + off) & 0xFFFFFFFF
    user = st[TLB_USER] != 0
    if translate(st, mem, la, True, user, True) < 0:
        return False
    last = (la + size - 1) & 0xFFFFFFFF
    # the part on the next page is accessed from its first byte (CR2 names that byte)
    return (last >> 12) == (la >> 12) or translate(st, mem, last & ~0xFFF, True, user, True) >= 0


@njit
def check_limit(st, seg, off, size):
    """Raise the limit fault an access of ``size`` bytes at ``seg``:``off`` would raise."""
    if off + size - 1 > st[LIMIT + seg] and st[Q_SEG_WRAP] == 0:
        limit_fault(st, seg)


# --- the stack ------------------------------------------------------------------------------
@njit
def stack32(st):
    return (st[ATTR + SS] & ATTR_DB) != 0


@hot
def push(st, mem, v, size):
    """PUSH ``size`` bytes; SS's B bit picks SP or ESP."""
    return _push(data_ptr(st), data_ptr(mem), v, size)


@njit
def _push(stp, memp, v, size):
    st = st_view(stp)
    mem = mem_view(memp)
    if stack32(st):
        sp = (st[ESP] - size) & 0xFFFFFFFF
        wr(st, mem, SS, sp, size, v)
        st[ESP] = sp
    else:
        sp = (st[ESP] - size) & 0xFFFF
        wr(st, mem, SS, sp, size, v)
        st[ESP] = (st[ESP] & 0xFFFF0000) | sp


@hot
def pop(st, mem, size):
    """POP ``size`` bytes; SS's B bit picks SP or ESP."""
    return _pop(data_ptr(st), data_ptr(mem), size)


@njit
def _pop(stp, memp, size):
    st = st_view(stp)
    mem = mem_view(memp)
    if stack32(st):
        sp = st[ESP]
        v = rd(st, mem, SS, sp, size)
        st[ESP] = (sp + size) & 0xFFFFFFFF
    else:
        sp = st[ESP] & 0xFFFF
        v = rd(st, mem, SS, sp, size)
        st[ESP] = (st[ESP] & 0xFFFF0000) | ((sp + size) & 0xFFFF)
    return v


@njit
def stack_peek(st, mem, depth, size):
    """Read the stack ``depth`` bytes above SP without popping."""
    if stack32(st):
        return rd(st, mem, SS, (st[ESP] + depth) & 0xFFFFFFFF, size)
    return rd(st, mem, SS, (st[ESP] + depth) & 0xFFFF, size)


# --- instruction fetch -------------------------------------------------------------------------
@cold
def fetch_slow(st, mem, eip, code32):
    """Copy up to 16 instruction bytes at CS:``eip`` into the scratch area.

    Used where the fast path cannot read straight from memory: near a page end,
    the CS limit, a TLB miss, a ROM alias or a hole.  ``FETCH_AVAIL`` says how
    many bytes are real and ``FETCH_STOP`` why the copy stopped (0 the CS limit,
    1 no memory, 2 a page fault at linear ``FETCH_LA``).
    """
    lim = st[LIMIT + CS]
    base = st[BASE + CS]
    user = st[TLB_USER] != 0
    avail = 16
    stop = 0
    page = np.int64(-1)
    pa = np.int64(0)
    for k in range(16):
        off = eip + k
        if not code32 and st[Q_SEG_WRAP] != 0:
            off &= 0xFFFF
        if off > lim or off > 0xFFFFFFFF:
            avail = k
            stop = 0
            break
        la = (base + off) & 0xFFFFFFFF
        if k == 0 or (la >> 12) != page:
            page = la >> 12
            pa = translate(st, mem, la, False, user, False)
            if pa < 0:
                avail = k
                stop = 2
                st[FETCH_LA] = la
                break
            pa -= la & 0xFFF
        kind = page_kind(mem, pa)
        if kind > PG_ROM and kind != PG_BIOS_ALIAS:
            avail = k
            stop = 1
            break
        mem[SCRATCH + k] = phys_rd8(mem, pa + (la & 0xFFF))
    for k in range(avail, 17):
        mem[SCRATCH + k] = 0
    st[FETCH_AVAIL] = avail
    st[FETCH_STOP] = stop
    return SCRATCH


@cold
def fetch_miss(st, mem, eip, code32):
    """Instruction bytes the fast path could not point at.  The common case, an instruction
    near the end of a page whose next page is in the TLB too, is copied to the scratch
    area here; the rest (TLB misses, limits, holes) goes behind the rare-path boundary."""
    la = (st[BASE + CS] + eip) & 0xFFFFFFFF
    bit = TLB_SR << st[TLB_USER]
    e0 = tlb_hit(st, la, bit)
    e1 = tlb_hit(st, (la + 16) & 0xFFFFFFFF, bit)
    if e0 != 0 and e1 != 0 and eip + 15 <= st[LIMIT + CS] and (code32 or st[Q_SEG_WRAP] == 0):
        first = 0x1000 - (la & 0xFFF)
        for k in range(16):
            if k < first:
                mem[SCRATCH + k] = mem[np.uint64((e0 & 0xFFFFF000) + (la & 0xFFF) + k)]
            else:
                mem[SCRATCH + k] = mem[np.uint64((e1 & 0xFFFFF000) + k - first)]
        mem[SCRATCH + 16] = 0
        st[FETCH_AVAIL] = 16
        st[FETCH_STOP] = 0
        return SCRATCH
    return slow(st, mem, OP_FETCH, eip, 1 if code32 else 0, 0, 0)


@hot
def fetch_start(st, mem, eip, code32):
    """Index in ``mem`` of the instruction at CS:``eip`` (fast path: straight into memory).

    A result of ``SCRATCH`` means the slow path copied the bytes (see ``fetch_slow``).
    """
    la = (st[BASE + CS] + eip) & 0xFFFFFFFF
    e = st[tlb_slot(la)]
    if ((la & 0xFFF) <= 0x1000 - 16 and eip + 15 <= st[LIMIT + CS] and (e >> 32) == (la >> 12)
            and ((e >> st[TLB_USER]) & TLB_SR) != 0):
        return (e & 0xFFFFF000) + (la & 0xFFF)
    return fetch_miss(st, mem, eip, code32)
