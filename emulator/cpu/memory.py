"""Guest memory access for the core: physical pages, segmentation, the stack.

Physical addresses go through the page map (one kind byte per 4 KiB page at the
front of ``mem``): RAM is read and written directly, ROM ignores writes, empty
space reads all-ones, and the top of the 4 GiB space aliases the BIOS ROM.  The
A20 gate is the ``A20_MASK`` applied to every linear address (IBM PC/AT
Technical Reference, "Address line 20").  Segment limit checks follow the 286
and 386 rules (a word at offset FFFFh raises #GP, or #SS for the stack
segment), with the 8086's in-segment wrap as a model quirk.

A fault sets ``st[FAULT]`` and the access returns 0 (reads) or does nothing
(writes, also every write after the fault), so the instruction's remaining
work is harmless and the run loop restarts it through the exception vector.
"""

import numpy as np

from .jit import hot, njit
from .state import (
    A20_MASK,
    ATTR,
    ATTR_DB,
    BASE,
    CS,
    ESP,
    FAULT,
    FAULT_CODE,
    FETCH_AVAIL,
    FETCH_STOP,
    LIMIT,
    PG_BIOS_ALIAS,
    PG_RAM,
    PG_ROM,
    PG_VGA,
    Q_HAS_386,
    Q_SEG_WRAP,
    RAM_OFF,
    SCRATCH,
    SS,
)
from .vgamem import vga_rd8, vga_wr8

VEC_GP = 13
VEC_SS = 12


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
    return np.int64(0xFF)


@njit
def phys_wr8(mem, pa, v):
    kind = page_kind(mem, pa)
    if kind == PG_RAM:
        st8(mem, RAM_OFF + pa, v)
    elif kind == PG_VGA:
        vga_wr8(mem, pa, v)


@njit
def lin_rd_slow(st, mem, la, size):
    """Read ``size`` bytes at linear ``la`` one byte at a time (page crossings, ROM, holes)."""
    v = np.int64(0)
    mask = st[A20_MASK]
    for k in range(size):
        v |= phys_rd8(mem, ((la + k) & 0xFFFFFFFF) & mask) << (8 * k)
    return v


@njit
def lin_wr_slow(st, mem, la, size, v):
    if st[FAULT] >= 0:
        return
    mask = st[A20_MASK]
    for k in range(size):
        phys_wr8(mem, ((la + k) & 0xFFFFFFFF) & mask, v >> (8 * k))


@njit
def lin_rd(st, mem, la, size):
    """Read at a linear address (no segment checks): used by descriptor tables and the IVT."""
    pa = la & st[A20_MASK]
    if (pa & 0xFFF) <= 0x1000 - size and page_kind(mem, pa) <= PG_ROM:
        return ram_load(mem, RAM_OFF + pa, size)
    return lin_rd_slow(st, mem, la, size)


@njit
def lin_wr(st, mem, la, size, v):
    pa = la & st[A20_MASK]
    if (pa & 0xFFF) <= 0x1000 - size and page_kind(mem, pa) == PG_RAM and st[FAULT] < 0:
        ram_store(mem, RAM_OFF + pa, size, v)
    else:
        lin_wr_slow(st, mem, la, size, v)


# --- segmented access --------------------------------------------------------------------
@njit
def limit_fault(st, seg):
    """#SS for the stack segment on the 386+; the 286 in real mode raises 13 for every segment."""
    raise_fault(st, VEC_SS if seg == SS and st[Q_HAS_386] != 0 else VEC_GP, 0)


@njit
def seg_wrap_rd(st, mem, seg, off, size):
    """8086: the bytes of a word at offset FFFFh come from FFFFh and 0000h of the segment."""
    if st[Q_SEG_WRAP] == 0:
        limit_fault(st, seg)
        return np.int64(0)
    v = np.int64(0)
    for k in range(size):
        v |= lin_rd(st, mem, (st[BASE + seg] + ((off + k) & 0xFFFF)) & 0xFFFFFFFF, 1) << (8 * k)
    return v


@njit
def seg_wrap_wr(st, mem, seg, off, size, v):
    if st[Q_SEG_WRAP] == 0:
        limit_fault(st, seg)
        return
    for k in range(size):
        lin_wr(st, mem, (st[BASE + seg] + ((off + k) & 0xFFFF)) & 0xFFFFFFFF, 1, v >> (8 * k))


@njit
def rd_slow(st, mem, seg, off, size):
    """``rd`` off its fast path: limit wrap/fault, page crossing, ROM alias, holes."""
    if off + size - 1 > st[LIMIT + seg]:
        return seg_wrap_rd(st, mem, seg, off, size)
    return lin_rd_slow(st, mem, (st[BASE + seg] + off) & 0xFFFFFFFF, size)


@njit
def rd(st, mem, seg, off, size):
    """Read ``size`` (1, 2, 4) bytes at ``seg``:``off`` (the uncommon cases in ``rd_slow``)."""
    pa = ((st[BASE + seg] + off) & 0xFFFFFFFF) & st[A20_MASK]
    if (off + size - 1 <= st[LIMIT + seg] and (pa & 0xFFF) <= 0x1000 - size
            and page_kind(mem, pa) <= PG_ROM):
        return ram_load(mem, RAM_OFF + pa, size)
    return rd_slow(st, mem, seg, off, size)


@njit
def wr_slow(st, mem, seg, off, size, v):
    if off + size - 1 > st[LIMIT + seg]:
        seg_wrap_wr(st, mem, seg, off, size, v)
    else:
        lin_wr_slow(st, mem, (st[BASE + seg] + off) & 0xFFFFFFFF, size, v)


@njit
def wr(st, mem, seg, off, size, v):
    """Write the low ``size`` bytes of ``v`` at ``seg``:``off`` (nothing once a fault is pending)."""
    pa = ((st[BASE + seg] + off) & 0xFFFFFFFF) & st[A20_MASK]
    if (off + size - 1 <= st[LIMIT + seg] and (pa & 0xFFF) <= 0x1000 - size
            and page_kind(mem, pa) == PG_RAM and st[FAULT] < 0):
        ram_store(mem, RAM_OFF + pa, size, v)
    else:
        wr_slow(st, mem, seg, off, size, v)


@njit
def check_limit(st, seg, off, size):
    """Raise the limit fault an access of ``size`` bytes at ``seg``:``off`` would raise."""
    if off + size - 1 > st[LIMIT + seg] and st[Q_SEG_WRAP] == 0:
        limit_fault(st, seg)


# --- the stack ------------------------------------------------------------------------------
@njit
def stack32(st):
    return (st[ATTR + SS] & ATTR_DB) != 0


@njit
def push(st, mem, v, size):
    """PUSH ``size`` bytes; SS's B bit picks SP or ESP."""
    if stack32(st):
        sp = (st[ESP] - size) & 0xFFFFFFFF
        wr(st, mem, SS, sp, size, v)
        st[ESP] = sp
    else:
        sp = (st[ESP] - size) & 0xFFFF
        wr(st, mem, SS, sp, size, v)
        st[ESP] = (st[ESP] & 0xFFFF0000) | sp


@njit
def pop(st, mem, size):
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
@njit
def fetch_slow(st, mem, eip, code32):
    """Copy up to 16 instruction bytes at CS:``eip`` into the scratch area.

    Used where the fast path cannot read straight from RAM: near a page end, the
    CS limit, a ROM alias or a hole.  ``FETCH_AVAIL`` says how many bytes are real
    and ``FETCH_STOP`` why the copy stopped (0 the CS limit, 1 no memory).
    """
    lim = st[LIMIT + CS]
    base = st[BASE + CS]
    mask = st[A20_MASK]
    avail = 16
    stop = 0
    for k in range(16):
        off = eip + k
        if not code32 and st[Q_SEG_WRAP] != 0:
            off &= 0xFFFF
        if off > lim or off > 0xFFFFFFFF:
            avail = k
            stop = 0
            break
        pa = ((base + off) & 0xFFFFFFFF) & mask
        kind = page_kind(mem, pa)
        if kind > PG_ROM and kind != PG_BIOS_ALIAS:
            avail = k
            stop = 1
            break
        mem[SCRATCH + k] = phys_rd8(mem, pa)
    for k in range(avail, 17):
        mem[SCRATCH + k] = 0
    st[FETCH_AVAIL] = avail
    st[FETCH_STOP] = stop
    return SCRATCH


@hot
def fetch_start(st, mem, eip, code32):
    """Index in ``mem`` of the instruction at CS:``eip`` (fast path: straight into RAM).

    A result of ``SCRATCH`` means the slow path copied the bytes (see ``fetch_slow``).
    """
    la = (st[BASE + CS] + eip) & 0xFFFFFFFF
    pa = la & st[A20_MASK]
    if (pa & 0xFFF) <= 0x1000 - 16 and eip + 15 <= st[LIMIT + CS] and page_kind(mem, pa) <= PG_ROM:
        return RAM_OFF + pa
    return fetch_slow(st, mem, eip, code32)
