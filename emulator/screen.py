"""The text screen as pixels: characters, attributes and the cursor drawn with the BIOS fonts.

There is no video card yet (see :mod:`bios.video`): a text mode is the
character/attribute pairs in RAM at B8000h (mode 7: B0000h) and the screen
geometry and cursor in the BIOS data area.  Rendering is split in two so the
VGA device can later supply the input instead of the BIOS data area:

* :func:`read_text_screen` gathers everything a frame depends on into a
  :class:`TextScreen` (comparable, so a display redraws only when it changed);
* :func:`draw_text` turns one into an ``H x W x 3`` ``uint8`` RGB frame, with
  numpy only (a glyph table indexed by the characters; about 1 ms for 80x25).

:func:`render_text` does both; :func:`screendump` writes the frame as PNG.

What is modelled (IBM CGA/EGA/VGA text mode behaviour):

* 8-pixel wide cells (no 9th column) in the BIOS font of the BDA character
  height (485h: 8, 14 or 16; other heights crop or pad the 8x16 font), any
  columns x rows the BDA gives (40x25, 80x25/43/50, ...);
* the 16 RGBI colours (colour 6 brown); attribute bit 7 blinks (465h bit 5
  set) or selects a bright background (bit 5 clear); blinking characters are
  shown for 16 and hidden for 16 frames of 60 Hz (about 1.9 Hz);
* mode 7 monochrome attributes: foreground 001b underlined, 0x8 intense,
  background 111b with foreground 000b reverse (70h), foreground 000b hidden;
* the cursor of the active page, at the CRTC cursor shape the BIOS would
  program: BDA 460h/461h (end, start), hidden by start bit 5 or start > end
  (as a VGA CRTC), scaled from 8-line values to taller cells when cursor
  emulation is on (487h bit 0 clear); it blinks 8 frames on, 8 off in the
  colour of the cell's foreground.

:func:`render_text` alone shows a graphics mode (04h-06h, 0Dh-13h) as a 640x400
black frame with one dim line saying so; :func:`render` picks the text renderer
or :func:`emulator.vga_render.render_graphics` and is what displays should use.
"""

from __future__ import annotations

import functools
import struct
import zlib
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from bios import font as F
from bios import video as V
from emulator import vga_render

if TYPE_CHECKING:
    from emulator.machine import Machine

FRAME_HZ = 60                  # the blink clock: frames per second of (virtual) time
CHAR_BLINK_FRAMES = 16         # blinking characters: 16 frames shown, 16 hidden
CURSOR_BLINK_FRAMES = 8        # the cursor: 8 frames shown, 8 hidden
GRAPHICS_FRAME = (400, 640)    # height, width of the frame shown in a graphics mode
CELL_WIDTH = F.WIDTH

#: the 16 colours of a CGA/EGA/VGA text mode (RGBI; colour 6 is brown, not dark yellow)
PALETTE_16 = (
    (0x00, 0x00, 0x00), (0x00, 0x00, 0xAA), (0x00, 0xAA, 0x00), (0x00, 0xAA, 0xAA),
    (0xAA, 0x00, 0x00), (0xAA, 0x00, 0xAA), (0xAA, 0x55, 0x00), (0xAA, 0xAA, 0xAA),
    (0x55, 0x55, 0x55), (0x55, 0x55, 0xFF), (0x55, 0xFF, 0x55), (0x55, 0xFF, 0xFF),
    (0xFF, 0x55, 0x55), (0xFF, 0x55, 0xFF), (0xFF, 0xFF, 0x55), (0xFF, 0xFF, 0xFF),
)
#: monochrome mode 7: off, normal and intense (grey, as a VGA shows mode 7)
MONO_BLACK, MONO_NORMAL, MONO_BRIGHT = 16, 17, 18
PALETTE = np.array(PALETTE_16 + ((0, 0, 0), (0xAA, 0xAA, 0xAA), (0xFF, 0xFF, 0xFF)), dtype=np.uint8)


@dataclass(frozen=True)
class Cursor:
    """The hardware cursor: cell and the scan lines it covers (inclusive)."""

    row: int
    col: int
    start: int
    end: int


@dataclass(frozen=True)
class TextScreen:
    """Everything a text frame depends on, except the blink phase.  Equal screens draw equally."""

    columns: int
    rows: int
    char_height: int
    cells: bytes               # rows * columns character/attribute pairs
    mono: bool = False
    blink: bool = True         # attribute bit 7 blinks (else it selects a bright background)
    cursor: Cursor | None = None


# --- attribute decoding ----------------------------------------------------------------------
def _attribute_tables() -> np.ndarray:
    """[mono][blink enabled] -> (4, 256) uint8: foreground, background, blinks, underline."""
    tables = np.zeros((2, 2, 4, 256), dtype=np.uint8)
    for blink in (0, 1):
        for a in range(256):
            hi = bool(a & 0x80)
            blinks = hi and bool(blink)
            # colour: low nibble foreground, high nibble (3 bits when bit 7 blinks) background
            bg = (a >> 4) & (0x07 if blink else 0x0F)
            tables[0, blink, :, a] = (a & 0x0F, bg, blinks, 0)
            # monochrome (IBM MDA attribute rules)
            fgb, bgb = a & 0x07, (a >> 4) & 0x07
            if bgb == 0x07 and fgb == 0:                   # reverse video
                mfg, mbg, ul = MONO_BLACK, MONO_BRIGHT if hi and not blink else MONO_NORMAL, 0
            elif fgb == 0:                                 # non-display
                mfg, mbg, ul = MONO_BLACK, MONO_BLACK, 0
            else:
                mfg, mbg, ul = MONO_BRIGHT if a & 0x08 else MONO_NORMAL, MONO_BLACK, int(fgb == 1)
            tables[1, blink, :, a] = (mfg, mbg, blinks, ul)
    return tables


_ATTR = _attribute_tables()


@functools.cache
def glyph_masks(height: int) -> np.ndarray:
    """(256, height, 8) uint8 of the BIOS font of ``height`` lines: 1 ink, 0 paper."""
    base = height if height in F.CELLS else 16
    bits = np.unpackbits(np.frombuffer(F.font(base), dtype=np.uint8).reshape(256, base), axis=1)
    bits = bits.reshape(256, base, CELL_WIDTH)
    if height <= base:
        return np.ascontiguousarray(bits[:, :height])
    out = np.zeros((256, height, CELL_WIDTH), dtype=np.uint8)
    out[:, :base] = bits
    return out


def underline_line(height: int) -> int:
    """The scan line of the monochrome underline (CRTC underline location: line 13, or the last)."""
    return min(13, height - 1)


# --- reading the screen from the machine --------------------------------------------------------
def cursor_lines(start: int, end: int, height: int, emulation: bool) -> tuple[int, int] | None:
    """The scan lines (first, last) the CRTC draws for BDA cursor start/end, or None if hidden.

    Start bit 5 turns the cursor off; a start after the end shows nothing (VGA).
    With cursor emulation, a shape given for 8-line cells (both values < 8) is
    mapped to ``height``-line cells: lines in the lower part keep their distance
    from the cell bottom (06h-07h becomes 0Dh-0Eh in 16 lines, 0Bh-0Ch in 14),
    lines in the upper part scale with the cell.
    """
    if start & 0x20:
        return None
    start &= 0x1F
    end &= 0x1F
    if emulation and height > 8 and start < 8 and end < 8:
        shift = height - 9
        start = start + shift if start >= 5 else start * height // 8
        end = end + shift if end >= 5 else (end + 1) * height // 8 - 1
    if start > end or start >= height:
        return None
    return start, min(end, height - 1)


def read_text_screen(machine: Machine) -> TextScreen | None:
    """The active text page as the BIOS data area describes it; None in a graphics mode."""
    ram = machine.cpu.ram
    mode = int(ram[V.VIDEO_MODE]) & 0x7F
    if mode not in V.TEXT_MODES:
        return None
    info = V.MODES[mode]
    cols = (int(ram[V.COLUMNS]) | int(ram[V.COLUMNS + 1]) << 8) or info.columns
    rows = int(ram[V.ROWS_MINUS_1]) + 1 if ram[V.ROWS_MINUS_1] else info.rows
    height = int(ram[V.CHAR_HEIGHT]) or info.char_height
    cols, rows, height = min(cols, 255), min(rows, 128), min(height, 32)
    start = int(ram[V.PAGE_START]) | int(ram[V.PAGE_START + 1]) << 8
    crtc = machine.vga.crtc
    programmed = crtc[0x01] != 0                 # a mode was set through the VGA registers
    if programmed:
        # the CRT controller is what the monitor follows: start address and cursor location
        # count character cells (IBM VGA Technical Reference, CRTC registers 0Ch-0Fh)
        start = (crtc[0x0C] << 8 | crtc[0x0D]) * 2
    size = rows * cols * 2
    if start % V.TEXT_WINDOW + size <= V.TEXT_WINDOW:
        offset = info.memory + start % V.TEXT_WINDOW
        cells = ram[offset:offset + size].tobytes()
    else:                                   # the page wraps around the end of the text window
        index = info.memory + (start + np.arange(size)) % V.TEXT_WINDOW
        cells = ram[index].tobytes()
    blink = bool(ram[V.MODE_SELECT] & V.MODE_SELECT_BLINK)
    cursor = None
    row, col = V.cursor_position(machine)
    if programmed:
        where = (crtc[0x0E] << 8 | crtc[0x0F]) - start // 2
        row, col = divmod(where, cols) if 0 <= where < rows * cols else (rows, cols)
        if crtc[0x0A] & 0x20:                    # cursor off (CRTC 0Ah bit 5)
            row = rows
    if row < rows and col < cols:
        lines = cursor_lines(int(ram[V.CURSOR_SHAPE + 1]), int(ram[V.CURSOR_SHAPE]), height,
                             not ram[V.VIDEO_CONTROL] & V.CTL_NO_CURSOR_EMULATION)
        if lines is not None:
            cursor = Cursor(row, col, *lines)
    return TextScreen(cols, rows, height, cells, info.mono, blink, cursor)


# --- drawing ------------------------------------------------------------------------------------
def blink_phases(now_ns: int) -> tuple[bool, bool]:
    """(blinking characters shown, cursor shown) at time ``now_ns``."""
    frame = now_ns * FRAME_HZ // 1_000_000_000
    return (frame // CHAR_BLINK_FRAMES) % 2 == 0, (frame // CURSOR_BLINK_FRAMES) % 2 == 0


def draw_text(screen: TextScreen, chars_on: bool = True, cursor_on: bool = True) -> np.ndarray:
    """The RGB frame (rows*height x columns*8 x 3, uint8) of ``screen``.

    ``chars_on`` / ``cursor_on``: the blink phases (blinking characters and the cursor shown).
    """
    rows, cols, height = screen.rows, screen.columns, screen.char_height
    pairs = np.frombuffer(screen.cells, dtype=np.uint8).reshape(rows, cols, 2)
    chars, attrs = pairs[..., 0], pairs[..., 1]
    table = _ATTR[int(screen.mono), int(screen.blink)]
    fg, bg = table[0][attrs], table[1][attrs]
    mask = glyph_masks(height)[chars]                    # (rows, cols, height, 8), a copy
    if screen.mono:
        under = table[3][attrs].astype(bool)
        if under.any():
            mask[under, underline_line(height)] = 1
    if not chars_on:
        hidden = table[2][attrs].astype(bool)
        if hidden.any():
            mask[hidden] = 0
    cur = screen.cursor
    if cur is not None and cursor_on:
        mask[cur.row, cur.col, cur.start:cur.end + 1] = 1
    # pixel rows in screen order: (rows, height, cols, 8) -> colour index -> RGB
    index = np.where(mask.transpose(0, 2, 1, 3), fg[:, None, :, None], bg[:, None, :, None])
    return np.take(PALETTE, index.reshape(rows * height, cols * CELL_WIDTH), axis=0)


def graphics_screen(mode: int) -> TextScreen:
    """The stand-in for a graphics mode: 80x25 blank cells with one dark grey note."""
    note = f"graphics mode {mode:02X}h: no video card yet".center(80).encode("ascii")
    cells = bytearray(b"\x20\x00" * (80 * 25))
    row = 12 * 80 * 2
    cells[row:row + 160:2] = note
    cells[row + 1:row + 160:2] = b"\x08" * 80
    return TextScreen(80, 25, 16, bytes(cells))


def current_screen(machine: Machine) -> TextScreen:
    """What the machine shows: its text page, or the graphics-mode stand-in."""
    screen = read_text_screen(machine)
    if screen is None:
        screen = graphics_screen(int(machine.cpu.ram[V.VIDEO_MODE]) & 0x7F)
    return screen


def render_text(machine: Machine, now_ns: int | None = None) -> np.ndarray:
    """The current screen as an ``H x W x 3`` uint8 RGB array (blink phase at ``now_ns``,
    default the machine's virtual time).  A graphics mode gives a 640x400 frame that says so."""
    screen = current_screen(machine)
    chars_on, cursor_on = blink_phases(machine.clock.now if now_ns is None else now_ns)
    return draw_text(screen, chars_on, cursor_on)


def is_graphics(machine: Machine) -> bool:
    """Whether a graphics mode is shown: VGA graphics controller register 6 bit 0 (graphics),
    or, when it is clear, a BDA video mode (449h) that is not a text mode."""
    if machine.vga.gc[6] & 1:
        return True
    return int(machine.cpu.ram[V.VIDEO_MODE]) & 0x7F not in V.TEXT_MODES


def render(machine: Machine, now_ns: int | None = None) -> np.ndarray:
    """The current screen as an ``H x W x 3`` uint8 RGB array: :func:`render_text` in a text mode,
    :func:`emulator.vga_render.render_graphics` in a graphics mode."""
    if is_graphics(machine):
        return vga_render.render_graphics(machine)
    return render_text(machine, now_ns)


# --- image files -------------------------------------------------------------------------------
def png_bytes(frame: np.ndarray) -> bytes:
    """An RGB frame as a PNG file (8-bit truecolour, no filtering, zlib level 6)."""
    height, width, _ = frame.shape
    raw = np.zeros((height, width * 3 + 1), dtype=np.uint8)     # filter byte 0 per line
    raw[:, 1:] = np.ascontiguousarray(frame, dtype=np.uint8).reshape(height, width * 3)

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header)
            + chunk(b"IDAT", zlib.compress(raw.tobytes(), 6)) + chunk(b"IEND", b""))


def ppm_bytes(frame: np.ndarray) -> bytes:
    """An RGB frame as a binary PPM (P6) file, the format of QEMU's ``screendump``."""
    height, width, _ = frame.shape
    return f"P6\n{width} {height}\n255\n".encode("ascii") + np.ascontiguousarray(frame).tobytes()


def screendump(machine: Machine, path: str | Path) -> None:
    """Write the current screen to ``path``: PNG, or PPM when the name ends in ``.ppm``."""
    path = Path(path)
    frame = render(machine)
    data = ppm_bytes(frame) if path.suffix.lower() == ".ppm" else png_bytes(frame)
    path.write_bytes(data)
