"""The VGA graphics modes as pixels: display memory and registers to an RGB frame.

Follows the display path of the IBM VGA Technical Reference (CRT controller,
attribute controller and DAC chapters), vectorised with numpy:

* **256-colour chain 4** (mode 13h; sequencer 4 bit 3 set): the CRTC counts in
  doubleword mode, so each start address unit (CR0C/CR0D) is 4 bytes of the
  chained address space and a line is CR13 * 8 chained bytes (CR13 = 28h: 320).
  Chained byte ``o`` is plane ``o & 3``, address ``o & ~3`` (see
  :mod:`emulator.cpu.vgamem`).  The 8-bit pixel goes through the DAC.
* **unchained 256-colour "mode X"** (chain 4 clear, GC5 bit 6 set): byte mode;
  pixel ``x`` of a line is plane ``x & 3`` at address ``line_start + x // 4``,
  ``line_start = start + y * CR13 * 2``; 320 pixels wide.
* **16-colour planar** (0Dh, 0Eh, 0Fh, 10h, 11h, 12h): each plane gives one bit
  of the pixel (bit 7 of a byte is the leftmost pixel); the 4-bit value is
  masked by the colour plane enable (attribute 12h), mapped by the palette
  registers (attribute 0-0Fh) and the colour select (attribute 14h; attribute
  10h bit 7 chooses whether its bits 0-1 replace palette bits 4-5), then the
  DAC.  Width (CR01 + 1) * 8, a line is CR13 * 2 bytes from the start address.
* **CGA 4/5 and 6** keep their memory in RAM at B8000h (even lines there, odd
  lines at BA000h, 80 bytes a line), 2 or 1 bits a pixel; colours from the CGA
  colour select value the BIOS keeps at 466h (IBM CGA colour select register).

The displayed height is the CRTC vertical display end (CR12 with overflow bits
8 and 9 in CR07 bits 1 and 6) plus one, divided by the scan lines per row
(CR09 bits 0-4, plus one) and by two when CR09 bit 7 (double scan) is set.
When the CRTC has not been programmed (width or height 0) the BIOS mode's
standard geometry is used.  320-wide frames are doubled horizontally and
frames of at most 300 lines vertically, so 320x200 shows as 640x400.

Not modelled: line compare (split screen), horizontal pixel panning, the
palette address source blanking, CRTC address wrap in word mode, mode 0Fh/11h
as real monochrome (they render like the 16-colour modes).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from emulator.machine import Machine

VIDEO_MODE = 0x449              # BDA: current video mode
CGA_PALETTE = 0x466             # BDA: CGA colour select register value
CGA_BASE = 0xB8000
CGA_ODD_BANK = 0x2000
CGA_MODES = (4, 5, 6)

#: standard geometry (width, height, bytes a line) of the graphics modes, for an unprogrammed CRTC
DEFAULT_GEOMETRY = {
    0x0D: (320, 200, 40), 0x0E: (640, 200, 80), 0x0F: (640, 350, 80), 0x10: (640, 350, 80),
    0x11: (640, 480, 80), 0x12: (640, 480, 80), 0x13: (320, 200, 320),
}

#: the 16 RGBI colours of the CGA (colour 6 brown)
RGBI = np.array([
    (0x00, 0x00, 0x00), (0x00, 0x00, 0xAA), (0x00, 0xAA, 0x00), (0x00, 0xAA, 0xAA),
    (0xAA, 0x00, 0x00), (0xAA, 0x00, 0xAA), (0xAA, 0x55, 0x00), (0xAA, 0xAA, 0xAA),
    (0x55, 0x55, 0x55), (0x55, 0x55, 0xFF), (0x55, 0xFF, 0x55), (0x55, 0xFF, 0xFF),
    (0xFF, 0x55, 0x55), (0xFF, 0x55, 0xFF), (0xFF, 0xFF, 0x55), (0xFF, 0xFF, 0xFF),
], dtype=np.uint8)


def _pair_table() -> np.ndarray:
    """(65536, 8) uint8: for plane bytes ``lo | hi << 8`` the 2-bit values of 8 pixels, leftmost first."""
    bits = np.unpackbits(np.arange(256, dtype=np.uint8)[:, None], axis=1)       # (256, 8)
    return (bits[:, None, :] << 1 | bits[None, :, :]).reshape(65536, 8)


_PAIRS = _pair_table()
_PAIRS_HI = _PAIRS << 2
#: 2-bit CGA pixels: byte -> 4 values, leftmost in bits 7-6
_CGA2 = (np.arange(256, dtype=np.uint8)[:, None] >> np.array([6, 4, 2, 0], dtype=np.uint8)) & 3
_CGA1 = np.unpackbits(np.arange(256, dtype=np.uint8)[:, None], axis=1)


# --- register decoding --------------------------------------------------------------------------
def display_kind(machine: Machine) -> str:
    """Which memory organisation the frame comes from: chain4, modex, planar or cga."""
    vga = machine.vga
    mode = int(machine.cpu.ram[VIDEO_MODE]) & 0x7F
    if vga.seq[4] & 0x08:
        return "chain4"
    if vga.gc[5] & 0x40:
        return "modex"
    if mode in CGA_MODES:
        return "cga"
    if not vga.gc[6] & 1 and mode == 0x13:
        return "chain4"
    return "planar"


def start_address(machine: Machine) -> int:
    """CRTC start address (CR0C high, CR0D low)."""
    crtc = machine.vga.crtc
    return crtc[0x0C] << 8 | crtc[0x0D]


def display_lines(machine: Machine) -> int:
    """Displayed rows of pixels: (vertical display end + 1) / scan lines a row / 2 if double scan."""
    crtc = machine.vga.crtc
    end = crtc[0x12] | (crtc[0x07] >> 1 & 1) << 8 | (crtc[0x07] >> 6 & 1) << 9
    per_row = (crtc[0x09] & 0x1F) + 1
    if crtc[0x09] & 0x80:
        per_row *= 2
    return (end + 1) // per_row


def geometry(machine: Machine, kind: str) -> tuple[int, int, int]:
    """(width in pixels, height, line offset in bytes of the kind's address space)."""
    crtc = machine.vga.crtc
    if kind == "chain4":
        width, pitch = 320, crtc[0x13] * 8
    elif kind == "modex":
        width, pitch = 320, crtc[0x13] * 2
    else:
        width, pitch = (crtc[0x01] + 1) * 8, crtc[0x13] * 2
    height = display_lines(machine)
    if crtc[0x01] == 0 or height == 0 or pitch == 0:
        mode = int(machine.cpu.ram[VIDEO_MODE]) & 0x7F
        default = DEFAULT_GEOMETRY.get(mode, DEFAULT_GEOMETRY[0x13 if kind == "chain4" else 0x12])
        width, height, pitch = default
        if kind == "modex":
            width, pitch = 320, 80
    return width, min(height, 600), pitch


def attribute_map(machine: Machine) -> np.ndarray:
    """The 16 DAC indexes of the 4-bit planar colours (attribute controller, IBM VGA TR)."""
    attr = machine.vga.attr
    index = np.array(attr[:16], dtype=np.uint8) & 0x3F
    select = attr[0x14]
    if attr[0x10] & 0x80:                               # P5/P4 from the colour select bits 1-0
        index = (index & 0x0F) | ((select & 3) << 4)
    return (index | ((select & 0x0C) << 4)).astype(np.uint8)


# --- the memory organisations -------------------------------------------------------------------
def _chain4(machine: Machine, width: int, height: int, pitch: int) -> np.ndarray:
    """(height, width) 8-bit pixels of chained 256-colour memory."""
    planes = machine.cpu.vga_planes
    start = start_address(machine) * 4
    chained = (start + np.arange(height)[:, None] * pitch + np.arange(width)[None, :]) & 0xFFFF
    return planes[chained & 3, chained & 0xFFFC]


def _modex(machine: Machine, width: int, height: int, pitch: int) -> np.ndarray:
    """(height, width) 8-bit pixels of unchained 256-colour memory (x & 3 is the plane)."""
    planes = machine.cpu.vga_planes
    x = np.arange(width)
    addr = (start_address(machine) + np.arange(height)[:, None] * pitch + (x >> 2)[None, :]) & 0xFFFF
    return planes[(x & 3)[None, :], addr]


def _planar(machine: Machine, width: int, height: int, pitch: int) -> np.ndarray:
    """(height, width) 4-bit pixel values of the four planes (bit 7 leftmost)."""
    planes = machine.cpu.vga_planes
    cols = width // 8
    addr = (start_address(machine) + np.arange(height)[:, None] * pitch + np.arange(cols)[None, :]) & 0xFFFF
    lo = planes[0, addr].astype(np.uint16) | planes[1, addr].astype(np.uint16) << 8
    hi = planes[2, addr].astype(np.uint16) | planes[3, addr].astype(np.uint16) << 8
    return (_PAIRS[lo] | _PAIRS_HI[hi]).reshape(height, cols * 8)


def _cga_lines(machine: Machine, height: int = 200) -> np.ndarray:
    """(200, 80) bytes of CGA graphics memory in display order (even lines B8000h, odd BA000h)."""
    ram = machine.cpu.ram
    y = np.arange(height)
    addr = CGA_BASE + (y & 1)[:, None] * CGA_ODD_BANK + (y >> 1)[:, None] * 80 + np.arange(80)[None, :]
    return ram[addr]


def cga_colours(select: int, mode: int) -> np.ndarray:
    """(4, 3) or (2, 3) RGB of the CGA pixel values for colour select value ``select``."""
    if mode == 6:
        return RGBI[[0, select & 0x0F]]
    base = (3, 5, 7) if select & 0x20 else (2, 4, 6)
    bright = 8 if select & 0x10 else 0
    return RGBI[[select & 0x0F, *(c | bright for c in base)]]


def _render_cga(machine: Machine) -> np.ndarray:
    mode = int(machine.cpu.ram[VIDEO_MODE]) & 0x7F
    select = int(machine.cpu.ram[CGA_PALETTE])
    data = _cga_lines(machine)
    if mode == 6:
        pixels = _CGA1[data].reshape(200, 640)
    else:
        pixels = _CGA2[data].reshape(200, 320)
    return np.take(cga_colours(select, mode), pixels, axis=0)


# --- the frame -----------------------------------------------------------------------------------
def scale(frame: np.ndarray) -> np.ndarray:
    """Double narrow (<= 360) frames horizontally and short (<= 300) ones vertically."""
    height, width = frame.shape[:2]
    if width <= 360:
        frame = np.repeat(frame, 2, axis=1)
    if height <= 300:
        frame = np.repeat(frame, 2, axis=0)
    return frame


def render_graphics(machine: Machine) -> np.ndarray:
    """The current graphics frame as an ``H x W x 3`` uint8 RGB array (320x200 shown as 640x400)."""
    kind = display_kind(machine)
    if kind == "cga":
        return scale(_render_cga(machine))
    width, height, pitch = geometry(machine, kind)
    palette = machine.vga.palette_rgb()
    if kind == "chain4":
        pixels = _chain4(machine, width, height, pitch)
    elif kind == "modex":
        pixels = _modex(machine, width, height, pitch)
    else:
        pixels = _planar(machine, width, height, pitch) & (machine.vga.attr[0x12] & 0x0F)
        palette = palette[attribute_map(machine)]
    return scale(np.take(palette, pixels, axis=0))
