"""Linear-to-physical translation: the software TLB and the 32-bit page walk.

The TLB is direct-mapped (``state.TLB_ENTRIES`` slots after the registers in
``st``).  An entry caches one 4 KiB linear page: its page number as a tag, the
index in ``mem`` of the page frame, and four "fast" bits saying which accesses
(supervisor/user read/write) may go straight to ``mem``.  A fast bit is set
only when the paging permissions allow the access *and* the frame is plain
memory (RAM or the linear framebuffer; ROM for reads) *and*, for writes, the
page's dirty bit is already set, so every access the fast path takes needs no
further bookkeeping.  Any
other access takes the walk below, which sets accessed/dirty bits and raises
#PF with the error code and CR2 of SDM Vol. 3, 4.7.

With paging off the same TLB maps linear pages to physical ones through the
A20 mask, so real mode and paged mode share one fast path.  The TLB is flushed
as SDM Vol. 3, 4.10.4 requires (MOV CR3 keeps global pages, MOV CR0/CR4 and
INVLPG) and whenever the host changes the memory map or the A20 gate.
"""

import numpy as np

from .debug import page_has_data_bp
from .jit import cold, njit
from .state import (
    A20_MASK,
    CR0,
    CR0_PG,
    CR0_WP,
    CR2,
    CR3,
    CR4,
    CR4_PGE,
    CR4_PSE,
    FAULT,
    FAULT_CODE,
    LFB_PHYS,
    PG_BIOS_ALIAS,
    PG_LFB,
    PG_RAM,
    PG_ROM,
    RAM_OFF,
    TLB,
    TLB_ENTRIES,
    TLB_GLOBAL,
    TLB_SR,
    TLB_SW,
    TLB_UR,
    TLB_UW,
    VEC_PF,
    VRAM_OFF,
)

PF_P, PF_W, PF_U = 1, 2, 4   # #PF error code bits (SDM Vol. 3, Figure 4-12)
PG_DIRTY = 0x40              # the D bit of a PTE or 4 MiB PDE


@njit
def tlb_slot(la):
    """Index in ``st`` of the TLB entry for linear ``la`` (unsigned: no wrap-around check)."""
    return np.uint64(TLB + ((la >> 12) & (TLB_ENTRIES - 1)))


@cold
def tlb_flush(st, keep_global):
    """Drop every cached translation (but global pages when ``keep_global``)."""
    for i in range(TLB, TLB + TLB_ENTRIES):
        if not keep_global or (st[i] & TLB_GLOBAL) == 0:
            st[i] = 0


@njit
def tlb_invlpg(st, la):
    """INVLPG: drop the translation of the page holding ``la`` (global or not)."""
    i = tlb_slot(la)
    if (st[i] >> 32) == (la >> 12):
        st[i] = 0


@njit
def tlb_fill(st, mem, la, frame, perm, glob):
    """Cache linear page ``la`` -> physical ``frame`` with the permission bits ``perm``."""
    kind = mem[np.uint64(frame >> 12)]
    if kind == PG_RAM:
        idx = RAM_OFF + frame
    elif kind == PG_ROM:
        idx = RAM_OFF + frame
        perm &= TLB_SR | TLB_UR
    elif kind == PG_BIOS_ALIAS:
        idx = RAM_OFF + (frame & 0xFFFFF)
        perm &= TLB_SR | TLB_UR
    elif kind == PG_LFB:
        idx = VRAM_OFF + (frame - LFB_PHYS)
    else:
        return  # VGA window and holes always take the checked path
    if page_has_data_bp(st, la):
        return  # its accesses must reach the breakpoint check
    st[tlb_slot(la)] = ((la >> 12) << 32) | idx | perm | glob


@njit
def pt_read(mem, pa):
    """A page-directory or page-table entry (page tables live in RAM; anything else reads 0)."""
    kind = mem[np.uint64(pa >> 12)]
    if kind == PG_RAM or kind == PG_ROM:
        u = np.uint64(RAM_OFF + pa)
        return (np.int64(mem[u]) | (np.int64(mem[u + np.uint64(1)]) << 8)
                | (np.int64(mem[u + np.uint64(2)]) << 16) | (np.int64(mem[u + np.uint64(3)]) << 24))
    return np.int64(0)


@njit
def pt_set_bits(mem, pa, entry, bits):
    """Set accessed/dirty ``bits`` in the entry at ``pa`` (only the low byte changes)."""
    if (entry & bits) != bits and mem[np.uint64(pa >> 12)] == PG_RAM:
        mem[np.uint64(RAM_OFF + pa)] = (entry | bits) & 0xFF


@njit
def page_fault(st, la, code):
    """Raise #PF for linear ``la`` with error ``code`` (CR2 gets the address)."""
    if st[FAULT] < 0:
        st[FAULT] = VEC_PF
        st[FAULT_CODE] = code
        st[CR2] = la & 0xFFFFFFFF


@cold
def translate(st, mem, la, write, user, report):
    """Physical address of linear ``la`` for a ``write``/read by ``user`` (CPL 3) code.

    Fills the TLB.  On a paging violation returns -1, after raising #PF when
    ``report`` is set (instruction prefetch probes without reporting).
    """
    la &= 0xFFFFFFFF
    mask = st[A20_MASK]
    if (st[CR0] & CR0_PG) == 0:
        pa = la & mask
        tlb_fill(st, mem, la, pa & ~0xFFF, TLB_SR | TLB_SW | TLB_UR | TLB_UW, 0)
        return pa
    code = (PF_W if write else 0) | (PF_U if user else 0)
    pde_at = ((st[CR3] & 0xFFFFF000) | ((la >> 20) & 0xFFC)) & mask
    pde = pt_read(mem, pde_at)
    if (pde & 1) == 0:
        if report:
            page_fault(st, la, code)
        return -1
    big = (pde & 0x80) != 0 and (st[CR4] & CR4_PSE) != 0
    if big:
        entry = pde
        rw = pde & 2
        us = pde & 4
        frame = (pde & 0xFFC00000) | (la & 0x3FF000)
    else:
        pte_at = ((pde & 0xFFFFF000) | ((la >> 10) & 0xFFC)) & mask
        entry = pt_read(mem, pte_at)
        if (entry & 1) == 0:
            if report:
                page_fault(st, la, code)
            return -1
        rw = pde & entry & 2
        us = pde & entry & 4
        frame = entry & 0xFFFFF000
    wp = (st[CR0] & CR0_WP) != 0
    ok = True
    if user:
        ok = us != 0 and (not write or rw != 0)
    elif write:
        ok = rw != 0 or not wp
    if not ok:
        if report:
            page_fault(st, la, code | PF_P)
        return -1
    # accessed bits (SDM Vol. 3, 4.8): the PDE always, the PTE (or 4 MiB PDE) dirty on a write
    dirty = PG_DIRTY if write else 0
    if big:
        pt_set_bits(mem, pde_at, pde, 0x20 | dirty)
    else:
        pt_set_bits(mem, pde_at, pde, 0x20)
        pt_set_bits(mem, pte_at, entry, 0x20 | dirty)
    perm = TLB_SR
    if rw != 0 or not wp:
        perm |= TLB_SW
    if us != 0:
        perm |= TLB_UR
        if rw != 0:
            perm |= TLB_UW
    if not write and (entry & PG_DIRTY) == 0:
        perm &= ~(TLB_SW | TLB_UW)  # the first write must come back here to set D
    glob = TLB_GLOBAL if (entry & 0x100) != 0 and (st[CR4] & CR4_PGE) != 0 else 0
    frame &= mask
    tlb_fill(st, mem, la, frame, perm, glob)
    return frame | (la & 0xFFF)

