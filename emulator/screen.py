"""The text screen as pixels: characters, attributes and the cursor drawn as the VGA does.

Two text renderers:

* :func:`render_vga_text` (used once a mode was set through the VGA registers,
  that is after POST) draws from the registers and display memory as the IBM
  VGA Technical Reference describes the display path: CRTC geometry, start
  address, offset, preset row scan, byte and pixel panning, the line compare
  split screen, 9-dot characters (SR01 bit 0 clear; the ninth dot repeats the
  eighth for C0h-DFh when AR10 bit 2 is set), glyphs read from plane 2 at the
  font maps the character map select (SR03) picks for attribute bit 3 (fonts
  the guest loads show at once; two maps give 512 characters), attribute
  blinking (AR10 bit 3), the CRTC cursor (CR0A/CR0B/CR0E/CR0F) and the
  colours through the attribute controller and the DAC.  The 80x25 mode at 400
  lines is 720x400; 40-column modes are doubled horizontally (halved dot
  clock), so also 720 wide.  The loops are compiled (:mod:`emulator.vga_kernels`).
* :func:`draw_text` of a :class:`TextScreen` read from the BIOS data area
  (:func:`read_text_screen`): the fallback while the VGA registers are not
  programmed, with 8-pixel cells and the ROM fonts.  :class:`TextScreen` is also
  what the automation API reads the screen's characters from.

What :func:`draw_text` models (IBM CGA/EGA/VGA text mode behaviour):

* 8-pixel wide cells (no 9th column) in the BIOS font of the BDA character
  height (485h: 8, 14 or 16; other heights crop or pad the 8x16 font), any
  columns x rows the BDA gives (40x25, 80x25/43/50, ...);
* the 16 RGBI colours (colour 6 brown); attribute bit 7 blinks (465h bit 5
  set) or selects a bright background (bit 5 clear); blinking characters are
  shown for 16 and hidden for 16 frames of 60 Hz (about 1.9 Hz; both renderers);
* mode 7 monochrome attributes: foreground 001b underlined, 0x8 intense,
  background 111b with foreground 000b reverse (70h), foreground 000b hidden
  (the VGA renderer uses these rules too when AR10 bit 1 is set, with the
  underline on the CRTC underline location, CR14);
* the cursor of the active page, at the CRTC cursor shape the BIOS would
  program: BDA 460h/461h (end, start), hidden by start bit 5 or start > end
  (as a VGA CRTC), scaled from 8-line values to taller cells when cursor
  emulation is on (487h bit 0 clear); it blinks 8 frames on, 8 off in the
  colour of the cell's foreground.

:func:`render_text` alone shows a graphics mode (04h-06h, 0Dh-13h) as a 640x400
black frame with one dim line saying so; :func:`render` picks the text renderer
or :func:`emulator.vga_render.render_graphics` and is what displays should use.
:class:`FrameWatch` tells a display when a new frame is worth drawing;
:func:`screendump` writes the frame as PNG.
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
from emulator import vbe_render, vga_kernels, vga_render
from emulator.cpu import state as S

if TYPE_CHECKING:
    from emulator.machine import Machine

FRAME_HZ = 60                  # the blink clock: frames per second of (virtual) time
CHAR_BLINK_FRAMES = 16         # blinking characters: 16 frames shown, 16 hidden
CURSOR_BLINK_FRAMES = 8        # the cursor: 8 frames shown, 8 hidden
GRAPHICS_FRAME = (400, 640)    # height, width of the frame shown in a graphics mode
CELL_WIDTH = F.WIDTH
TEXT_CELL_MASK = V.TEXT_WINDOW // 2 - 1     # character addresses wrap in the 32 KiB text window

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
    With cursor emulation the shape is mapped as :func:`bios.video.emulated_cursor`
    does for the CRTC.
    """
    if start & 0x20:
        return None
    start &= 0x1F
    end &= 0x1F
    if emulation:
        start, end = V.emulated_cursor(start, end, height)
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


# --- the VGA text path ------------------------------------------------------------------------
def font_map_bases(sr03: int) -> tuple[int, int]:
    """Plane 2 offsets of the fonts for attribute bit 3 set and clear (character map select,
    SR03: bits 2, 3 and 5 pick the map for bit 3 set, bits 0, 1 and 4 for bit 3 clear; map
    n & 3 is at 16 KiB * (n & 3), plus 8 KiB for n >= 4)."""
    def base(low2: int, high: int) -> int:
        return (low2 & 3) * 0x4000 + (high & 1) * 0x2000
    return base(sr03 >> 2, sr03 >> 5), base(sr03, sr03 >> 4)


@functools.cache
def _colour_tables(blink: bool) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Colour text per attribute byte: foreground, background, blinks, underlined (foreground
    001b on background 000b, the VGA underline rule)."""
    a = np.arange(256)
    fg = (a & 0x0F).astype(np.uint8)
    bg = ((a >> 4) & (0x07 if blink else 0x0F)).astype(np.uint8)
    blinks = ((a & 0x80 != 0) & blink).astype(np.uint8)
    underlined = ((a & 0x77) == 0x01).astype(np.uint8)
    return fg, bg, blinks, underlined


def text_palette(machine: Machine) -> np.ndarray:
    """(19, 3) RGB: the 16 text colours through the colour plane enable (AR12), the attribute
    palette and the DAC, then the three monochrome levels (see :data:`PALETTE`)."""
    out = PALETTE.copy()
    out[:16] = vga_render.planar_palette(machine)
    return out


def _text_window(gc6: int) -> int:
    """Where the graphics controller maps the text memory (GC06 bits 2-3)."""
    return (0xA0000, 0xA0000, 0xB0000, 0xB8000)[(gc6 >> 2) & 3]


def render_vga_text(machine: Machine, now_ns: int | None = None) -> np.ndarray:
    """A text frame as the VGA draws it from its registers (IBM VGA Technical Reference:
    sequencer, CRT controller and attribute controller chapters):

    * columns CR01 + 1, character clocks of 9 dots (SR01 bit 0 clear) or 8; the ninth dot
      repeats the eighth for C0h-DFh when AR10 bit 2 (line graphics) is set;
    * scan lines CR12/CR07 + 1, character height CR09 bits 0-4 + 1 (double scan CR09 bit 7),
      start address, offset, preset row scan, byte and pixel panning and the line compare
      split as in :mod:`emulator.vga_render`;
    * glyph row r of character c from plane 2 at the map SR03 selects for attribute bit 3,
      + 32 * c + r (so fonts the guest loads show at once);
    * attribute bit 7 blinks when AR10 bit 3 is set (else bright background); AR10 bit 1
      (monochrome) uses the MDA attribute rules of :func:`draw_text`, with the underline on
      CR14's scan line; colours through AR12, the palette registers and the DAC;
    * the cursor at CR0E/CR0F on row scans CR0A-CR0B (CR0A bit 5: off; start > end: none).
    """
    vga = machine.vga
    crtc, attr, seq = vga.crtc, vga.attr, vga.seq
    columns = crtc[0x01] + 1
    dots = 8 if seq[1] & 1 else 9
    lines = min(vga_render.vertical_lines(crtc), vga_render.MAX_LINES)
    shift_top, shift_low, pan_top, pan_low = vga_render.panning(machine, text9=dots == 9)
    start = crtc[0x0C] << 8 | crtc[0x0D]
    addr, scan, lower = vga_render.scan_table(machine, lines, start, crtc[0x13] * 2, (pan_top, pan_low))
    chars_on, cursor_on = blink_phases(machine.clock.now if now_ns is None else now_ns)
    blink = bool(attr[0x10] & 0x08)
    mono = bool(attr[0x10] & 0x02)
    if mono:
        table = _ATTR[1, int(blink)]
        fg, bg, blinks, underlined = table[0], table[1], table[2], table[3]
    else:
        fg, bg, blinks, underlined = _colour_tables(blink)
    cursor = -1
    if cursor_on and not crtc[0x0A] & 0x20:
        cursor = (crtc[0x0E] << 8 | crtc[0x0F]) & TEXT_CELL_MASK
    map_set, map_clear = font_map_bases(seq[3])
    base = _text_window(vga.gc[6])
    cells = machine.cpu.ram[base:base + V.TEXT_WINDOW]
    width = columns * dots
    repeat = vga_render.repeat_for(width)
    out = np.empty((lines, width * repeat, 3), dtype=np.uint8)
    vga_kernels.text_rows(cells, TEXT_CELL_MASK, addr, scan, lower, columns, dots,
                          bool(attr[0x10] & 0x04), shift_top, shift_low, machine.cpu.vga_planes[2],
                          map_set, map_clear, fg, bg, blinks, underlined, crtc[0x14] & 0x1F, chars_on,
                          cursor, crtc[0x0A] & 0x1F, crtc[0x0B] & 0x1F, text_palette(machine),
                          repeat, out)
    if lines <= 300:
        out = np.repeat(out, 2, axis=0)
    return out


def vga_text_programmed(machine: Machine) -> bool:
    """Whether the VGA registers describe a text display (a mode was set through them)."""
    crtc = machine.vga.crtc
    return crtc[0x01] != 0 and crtc[0x13] != 0 and (crtc[0x09] & 0x1F) != 0


def render_text(machine: Machine, now_ns: int | None = None) -> np.ndarray:
    """The current screen as an ``H x W x 3`` uint8 RGB array (blink phase at ``now_ns``,
    default the machine's virtual time): :func:`render_vga_text` once the VGA registers were
    programmed, else :func:`draw_text` of the BIOS data area.  A graphics mode gives a 640x400
    frame that says so."""
    mode = int(machine.cpu.ram[V.VIDEO_MODE]) & 0x7F
    if mode in V.TEXT_MODES and vga_text_programmed(machine):
        return render_vga_text(machine, now_ns)
    screen = current_screen(machine)
    chars_on, cursor_on = blink_phases(machine.clock.now if now_ns is None else now_ns)
    return draw_text(screen, chars_on, cursor_on)


def is_graphics(machine: Machine) -> bool:
    """Whether a graphics mode is shown: a VBE mode (the display interface enabled), VGA
    graphics controller register 6 bit 0 (graphics), or, when it is clear, a BDA video mode
    (449h) that is not a text mode."""
    if _vbe_on(machine) or machine.vga.gc[6] & 1:
        return True
    return int(machine.cpu.ram[V.VIDEO_MODE]) & 0x7F not in V.TEXT_MODES


def _vbe_on(machine: Machine) -> bool:
    vbe = getattr(machine, "vbe", None)
    return vbe is not None and vbe.enabled


def render(machine: Machine, now_ns: int | None = None) -> np.ndarray:
    """The current screen as an ``H x W x 3`` uint8 RGB array: :func:`render_text` in a text mode,
    :func:`emulator.vga_render.render_graphics` in a graphics mode,
    :func:`emulator.vbe_render.render` while a VBE mode is on (the frame at the mode's size)."""
    if _vbe_on(machine):
        return vbe_render.render(machine)
    if is_graphics(machine):
        return vga_render.render_graphics(machine)
    return render_text(machine, now_ns)


# --- redraw scheduling ------------------------------------------------------------------------
class FrameWatch:
    """Tells a display whether the picture may have changed since the frame it last drew.

    A frame depends on the VGA registers (sequencer, CRTC, graphics and attribute
    controllers, miscellaneous output, DAC and PEL mask), the BIOS data area's video
    bytes (449h-466h and 484h-48Ah, for the BIOS-described fallbacks), display memory (the four
    planes and the RAM behind the A0000h-BFFFFh window) and, in text modes, the blink
    phases.  All of it is compared with a copy taken at the last frame (about 0.4 MiB,
    tens of microseconds), except that the planes count as changed without a look
    while the CPU's display memory writes set their dirty flag (``VGA_DIRTY``, cleared
    here); the planes are compared otherwise, as the BIOS writes them directly.  In a VBE
    mode the frame of :func:`emulator.vbe_render.render` decides: it is the same object
    while memory, registers and palette are unchanged.
    """

    def __init__(self) -> None:
        self._vbe_frame: np.ndarray | None = None
        self._regs: bytes | None = None
        self._planes: np.ndarray | None = None
        self._window: np.ndarray | None = None
        self._phases: tuple[bool, bool] | None = None

    def registers(self, machine: Machine) -> bytes:
        """The register state a frame depends on, as bytes."""
        vga = machine.vga
        head = bytes([*vga.seq, *vga.crtc, *vga.gc, *vga.attr, vga.misc, vga.pel_mask])
        ram = machine.cpu.ram
        return head + vga.dac.tobytes() + ram[0x449:0x467].tobytes() + ram[0x484:0x48B].tobytes()

    def changed(self, machine: Machine, now_ns: int) -> bool:
        """Whether the frame at ``now_ns`` (blink clock) may differ from the last one; the
        state seen becomes the new reference."""
        cpu = machine.cpu
        dirty = bool(cpu.vga_regs[S.VGA_DIRTY])
        cpu.vga_regs[S.VGA_DIRTY] = 0
        if _vbe_on(machine):
            self._regs = None
            frame = vbe_render.render(machine)
            if frame is self._vbe_frame:
                return False
            self._vbe_frame = frame
            return True
        self._vbe_frame = None
        regs = self.registers(machine)
        phases = (True, True)
        if not is_graphics(machine):              # only what blinks: AR10 bit 3, CR0A bit 5
            chars_on, cursor_on = blink_phases(now_ns)
            vga = machine.vga
            phases = (chars_on or not vga.attr[0x10] & 0x08, cursor_on or bool(vga.crtc[0x0A] & 0x20))
        planes, window = cpu.vga_planes, cpu.ram[0xA0000:0xC0000]
        if dirty:                                 # the CPU wrote the planes: no need to compare,
            self._planes = None                   # nor to keep a copy while it goes on writing
        same = (regs == self._regs and phases == self._phases and self._planes is not None
                and self._window is not None
                and np.array_equal(window, self._window) and np.array_equal(planes, self._planes))
        if same:
            return False
        self._regs, self._phases = regs, phases
        if self._window is None:
            self._window = window.copy()
        else:
            np.copyto(self._window, window)
        if not dirty:
            if self._planes is None:
                self._planes = planes.copy()
            else:
                np.copyto(self._planes, planes)
        return True


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
