"""The VGA display-memory path: CPU reads and writes in the A0000-BFFFF window.

Physical pages of kind ``PG_VGA`` reach these functions instead of RAM.  They
model the memory side of the VGA as the IBM VGA Technical Reference describes
its sequencer and graphics controller:

* the graphics controller's memory map select (GC 6 bits 2-3) places the
  window at A0000h (128 or 64 KiB), B0000h or B8000h (32 KiB each);
* chain 4 (sequencer 4 bit 3): address bits 0-1 select the plane, the byte
  lands at the same address with those bits clear (mode 13h uses every fourth
  byte of each plane, which is why unchained "mode X" reaches all 256 KiB);
* odd/even (sequencer 4 bit 2 clear): address bit 0 selects plane 0/1 (and
  2/3 for reads through the read map select), the page bit of the
  miscellaneous output register replaces it in the plane address;
* planar: every read loads the four latches; read mode 0 returns the plane
  the read map select names, read mode 1 the colour compare result (GC 2, GC 7);
  write modes 0-3 with data rotate, set/reset and enable set/reset, the
  logical function (replace, AND, OR, XOR with the latches), the bit mask and
  the sequencer's map mask;
* VBE banked window: while a VBE mode is on (``VGA_VBE`` bit 0), A0000-AFFFF
  shows 64 KiB of the VBE video memory at bank ``VGA_VBE_BANK`` (VBE 2.0,
  function 05h), byte for byte.

The register bytes live at ``mem[VGA_REGS + i]`` (names in :mod:`.state`), the
planes at ``mem[VGA_PLANES + plane * 64 KiB]``.  Every write sets ``VGA_DIRTY``.
"""

from __future__ import annotations

import numpy as np

from .jit import njit
from .state import (
    VGA_DIRTY,
    VGA_GC,
    VGA_LATCH,
    VGA_MISC_OUT,
    VGA_PLANE_SIZE,
    VGA_PLANES,
    VGA_REGS,
    VGA_SEQ_MAP_MASK,
    VGA_SEQ_MEM_MODE,
    VGA_VBE,
    VGA_VBE_BANK,
    VRAM_OFF,
    VRAM_SIZE,
)

_GC = VGA_REGS + VGA_GC
_LATCH = VGA_REGS + VGA_LATCH


@njit
def _window_offset(mem, pa):
    """Offset of ``pa`` in the window the memory map select opens, or -1 outside it."""
    sel = (np.int64(mem[_GC + 6]) >> 2) & 3
    if sel == 0:
        base, size = 0xA0000, 0x20000
    elif sel == 1:
        base, size = 0xA0000, 0x10000
    elif sel == 2:
        base, size = 0xB0000, 0x8000
    else:
        base, size = 0xB8000, 0x8000
    off = pa - base
    if off < 0 or off >= size:
        return np.int64(-1)
    return off & 0xFFFF


@njit
def _bank_index(mem, pa):
    """Index in ``mem`` of ``pa`` in the VBE bank window, or -1 (past the video memory)."""
    bank = np.int64(mem[VGA_REGS + VGA_VBE_BANK]) | (np.int64(mem[VGA_REGS + VGA_VBE_BANK + 1]) << 8)
    off = bank * 0x10000 + ((pa - 0xA0000) & 0xFFFF)
    if off >= VRAM_SIZE:
        return np.int64(-1)
    return VRAM_OFF + off


@njit
def _plane_index(plane, addr):
    return np.uint64(VGA_PLANES + plane * VGA_PLANE_SIZE + (addr & 0xFFFF))


@njit
def _load_latches(mem, addr):
    for p in range(4):
        mem[np.uint64(_LATCH + p)] = mem[_plane_index(p, addr)]


@njit
def vga_rd8(mem, pa):
    """A CPU byte read at physical ``pa`` in the VGA window."""
    if mem[VGA_REGS + VGA_VBE] & 1:
        i = _bank_index(mem, pa)
        return np.int64(mem[np.uint64(i)]) if i >= 0 else np.int64(0xFF)
    off = _window_offset(mem, pa)
    if off < 0:
        return np.int64(0xFF)
    mode = np.int64(mem[VGA_REGS + VGA_SEQ_MEM_MODE])
    if mode & 8:                                      # chain 4
        addr = off & ~3
        _load_latches(mem, addr)
        return np.int64(mem[_plane_index(off & 3, addr)])
    if not mode & 4:                                  # odd/even
        addr = (off & ~1) | ((np.int64(mem[VGA_REGS + VGA_MISC_OUT]) >> 5) & 1)
        _load_latches(mem, addr)
        plane = (np.int64(mem[_GC + 4]) & 2) | (off & 1)
        return np.int64(mem[_plane_index(plane, addr)])
    _load_latches(mem, off)
    if np.int64(mem[_GC + 5]) & 8:                    # read mode 1: colour compare
        compare = np.int64(mem[_GC + 2])
        care = np.int64(mem[_GC + 7])
        result = np.int64(0xFF)
        for p in range(4):
            if care & (1 << p):
                want = 0xFF if compare & (1 << p) else 0
                result &= ~(np.int64(mem[_LATCH + p]) ^ want) & 0xFF
        return result
    return np.int64(mem[_plane_index(np.int64(mem[_GC + 4]) & 3, off)])


@njit
def vga_wr8(mem, pa, v):
    """A CPU byte write of ``v`` at physical ``pa`` in the VGA window."""
    if mem[VGA_REGS + VGA_VBE] & 1:
        i = _bank_index(mem, pa)
        if i >= 0:
            mem[np.uint64(i)] = v & 0xFF
        return
    off = _window_offset(mem, pa)
    if off < 0:
        return
    v &= 0xFF
    mem[VGA_REGS + VGA_DIRTY] = 1
    mode = np.int64(mem[VGA_REGS + VGA_SEQ_MEM_MODE])
    map_mask = np.int64(mem[VGA_REGS + VGA_SEQ_MAP_MASK]) & 0xF
    if mode & 8:                                      # chain 4
        if map_mask & (1 << (off & 3)):
            mem[_plane_index(off & 3, off & ~3)] = v
        return
    if not mode & 4:                                  # odd/even
        plane = off & 1
        addr = (off & ~1) | ((np.int64(mem[VGA_REGS + VGA_MISC_OUT]) >> 5) & 1)
        if map_mask & (1 << plane):
            mem[_plane_index(plane, addr)] = v
        return
    gc_mode = np.int64(mem[_GC + 5]) & 3
    rotate = np.int64(mem[_GC + 3])
    count = rotate & 7
    func = (rotate >> 3) & 3
    set_reset = np.int64(mem[_GC + 0])
    enable_sr = np.int64(mem[_GC + 1])
    bit_mask = np.int64(mem[_GC + 8])
    rotated = ((v >> count) | (v << (8 - count))) & 0xFF
    if gc_mode == 3:
        bit_mask &= rotated
    for p in range(4):
        if not map_mask & (1 << p):
            continue
        latch = np.int64(mem[_LATCH + p])
        if gc_mode == 1:
            mem[_plane_index(p, off)] = latch
            continue
        if gc_mode == 2:
            data = 0xFF if v & (1 << p) else 0
        elif gc_mode == 3 or enable_sr & (1 << p):
            data = 0xFF if set_reset & (1 << p) else 0
        else:
            data = rotated
        if func == 1:
            data &= latch
        elif func == 2:
            data |= latch
        elif func == 3:
            data ^= latch
        mem[_plane_index(p, off)] = (data & bit_mask) | (latch & ~bit_mask & 0xFF)
