"""The VGA graphics modes as pixels: display memory and registers to an RGB frame.

Follows the display path of the IBM VGA Technical Reference (CRT controller,
attribute controller and DAC chapters):

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

Frames are drawn scan line by scan line as the CRT controller walks memory
(the loops are compiled, :mod:`emulator.vga_kernels`): the displayed height is
the vertical display end (CR12 with overflow bits 8 and 9 in CR07 bits 1 and 6)
plus one; a memory line lasts (CR09 bits 0-4) + 1 scan lines, twice that with
double scan (CR09 bit 7), the first one shortened by the preset row scan (CR08
bits 0-4).  The 256-colour widths are (CR01 + 1) * 4.

* **Split screen**: after the scan line numbered by the line compare value
  (CR18, bit 8 in CR07 bit 4, bit 9 in CR09 bit 6) display memory restarts at
  address 0; with attribute mode control (AR10) bit 5 set the lower part is
  not panned.
* **Panning**: the byte panning (CR08 bits 5-6) adds to the start address;
  horizontal pixel panning (AR13) shifts the picture 0-7 pixels left, in
  256-colour mode (AR10 bit 6) 0-3 pixels for the values 0, 2, 4 and 6.

When the CRTC has not been programmed (CR01 or CR13 zero) the BIOS mode's
standard geometry is used.  Frames at most 360 wide are doubled horizontally
and frames of at most 300 lines vertically, so 320x200 shows as 640x400.

Not modelled: the palette address source blanking, CRTC address wrap in word
mode, the CRTC's CGA/Hercules address substitution (CR17 bits 0-1) in the
planar modes, mode 0Fh/11h as real monochrome (they render like the
16-colour modes).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from emulator import vga_kernels as K

if TYPE_CHECKING:
    from emulator.machine import Machine

VIDEO_MODE = 0x449              # BDA: current video mode
CGA_PALETTE = 0x466             # BDA: CGA colour select register value
CGA_BASE = 0xB8000
CGA_ODD_BANK = 0x2000
CGA_MODES = (4, 5, 6)
MAX_LINES = 1200                # scan lines drawn at most (a CRTC programmed beyond any VGA timing)

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


# --- the CRT controller's walk through memory ---------------------------------------------------
def line_compare(crtc: list[int]) -> int:
    """Line compare: CR18 with bit 8 in CR07 bit 4 and bit 9 in CR09 bit 6."""
    return crtc[0x18] | (crtc[0x07] >> 4 & 1) << 8 | (crtc[0x09] >> 6 & 1) << 9


def vertical_lines(crtc: list[int]) -> int:
    """Displayed scan lines: vertical display end (CR12, CR07 bits 1 and 6) plus one."""
    return (crtc[0x12] | (crtc[0x07] >> 1 & 1) << 8 | (crtc[0x07] >> 6 & 1) << 9) + 1


def pixel_shift(pan: int, text9: bool = False, eight_bit: bool = False) -> int:
    """Pixels the picture moves left for horizontal pixel panning ``pan`` (AR13 bits 0-3):
    9-dot text 8, 0-7 give 0, 1-8; 256-colour (AR10 bit 6) 0, 2, 4, 6 give 0-3;
    otherwise 0-7 give 0-7 (undefined values show unpanned)."""
    pan &= 0x0F
    if text9:
        return pan + 1 if pan < 8 else 0
    if eight_bit:
        return (pan >> 1) & 3
    return pan if pan < 8 else 0


def panning(machine: Machine, text9: bool = False) -> tuple[int, int, int, int]:
    """(pixel shift above, below the split; byte pan above, below): AR13 and CR08 bits 5-6; with
    AR10 bit 5 set both are zero below the line compare split."""
    attr, crtc = machine.vga.attr, machine.vga.crtc
    shift = pixel_shift(attr[0x13], text9, bool(attr[0x10] & 0x40))
    byte_pan = crtc[0x08] >> 5 & 3
    if attr[0x10] & 0x20:
        return shift, 0, byte_pan, 0
    return shift, shift, byte_pan, byte_pan


def scan_table(machine: Machine, lines: int, start: int, pitch: int,
               byte_pans: tuple[int, int] = (0, 0)) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(address, row scan, below split) of each of ``lines`` scan lines (see
    :func:`emulator.vga_kernels.scan_lines`): start address, offset, maximum scan line, double
    scan (CR09 bit 7), preset row scan (CR08 bits 0-4) and line compare."""
    crtc = machine.vga.crtc
    addr = np.empty(lines, dtype=np.int64)
    scan = np.empty(lines, dtype=np.int64)
    lower = np.empty(lines, dtype=np.uint8)
    K.scan_lines(lines, start + byte_pans[0], byte_pans[1], pitch, crtc[0x09] & 0x1F,
                 bool(crtc[0x09] & 0x80), crtc[0x08] & 0x1F, line_compare(crtc), addr, scan, lower)
    return addr, scan, lower


def repeat_for(width: int) -> int:
    """Horizontal repeat of a frame ``width`` pixels wide: 2 up to 360 (halved dot clock)."""
    return 2 if width <= 360 else 1


_DAC_CACHE: dict[bytes, np.ndarray] = {}


def dac_rgb(machine: Machine) -> np.ndarray:
    """The 256 DAC entries as 8-bit RGB after the PEL mask (:meth:`devices.vga.VGA.palette_rgb`),
    remembered for the last few DAC contents (most frames see an unchanged DAC)."""
    vga = machine.vga
    key = vga.dac.tobytes() + bytes([vga.pel_mask, vga.dac_8bit])
    rgb = _DAC_CACHE.get(key)
    if rgb is None:
        if len(_DAC_CACHE) >= 8:
            _DAC_CACHE.clear()
        rgb = _DAC_CACHE[key] = vga.palette_rgb()
    return rgb


def planar_palette(machine: Machine) -> np.ndarray:
    """(16, 3) RGB of the 4-bit values: colour plane enable (AR12), attribute map, DAC."""
    enable = machine.vga.attr[0x12] & 0x0F
    return dac_rgb(machine)[attribute_map(machine)[np.arange(16) & enable]]


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
    vga = machine.vga
    crtc = vga.crtc
    width, _, pitch = geometry(machine, kind)
    lines = min(vertical_lines(crtc), MAX_LINES)
    programmed = crtc[0x01] != 0 and crtc[0x13] != 0 and lines > 1
    if programmed:
        if kind != "planar":
            width = (crtc[0x01] + 1) * 4
        shift_top, shift_low, pan_top, pan_low = panning(machine)
        addr, _, lower = scan_table(machine, lines, start_address(machine), crtc[0x13] * 2,
                                    (pan_top, pan_low))
    else:                              # an unprogrammed CRTC: the BIOS mode's rows, unpanned
        lines = DEFAULT_GEOMETRY.get(int(machine.cpu.ram[VIDEO_MODE]) & 0x7F, (0, 200, 0))[1]
        units = pitch // 4 if kind == "chain4" else pitch
        addr = start_address(machine) + np.arange(lines, dtype=np.int64) * units
        lower = np.zeros(lines, dtype=np.uint8)
        shift_top = shift_low = 0
    repeat = repeat_for(width)
    out = np.empty((len(addr), width * repeat, 3), dtype=np.uint8)
    planes = machine.cpu.vga_planes
    if kind == "planar":
        K.planar_rows(planes, addr, lower, width, shift_top, shift_low, planar_palette(machine),
                      repeat, K.SPREAD, out)
    else:
        kernel = K.chain4_rows if kind == "chain4" else K.unchained_rows
        kernel(planes, addr, lower, width, shift_top, shift_low, dac_rgb(machine), repeat, out)
    if len(addr) <= 300:
        out = np.repeat(out, 2, axis=0)
    return out
