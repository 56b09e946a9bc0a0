"""INT 10h video services for the text modes, the text screen reader, and the BIOS fonts in the ROM.

The interface follows the IBM PC AT Technical Reference (BIOS listing, INT 10h),
the IBM VGA Technical Reference ("BIOS interface": functions 10h-1Bh) and Ralf
Brown's Interrupt List for details several BIOSes agree on.  All state a guest
can see lives in the BIOS data area (IBM PC AT Technical Reference, "BIOS data
area"; the EGA/VGA additions at 484h-48Ah):

====  ======================================================================
449h  current mode                     44Ah  columns (word)
44Ch  bytes per page (word)            44Eh  offset of the active page (word)
450h  cursor (column, row) of pages 0-7 460h  cursor end line, start line
462h  active page                      463h  CRT controller port (3D4h/3B4h)
465h  mode select register value       466h  CGA colour select value
484h  rows - 1                         485h  scan lines per character (word)
487h  video control (bit 7: last set-mode did not clear; bit 0: no cursor
      emulation)                       488h  feature bits / switch settings
489h  mode set options (bits 7, 4: 200/350/400 lines; 3: no palette load;
      1: grey summing)
====  ======================================================================

A mode set programs the VGA registers through the ports (:mod:`bios.vga_modes`,
values from the IBM VGA Technical Reference) and the BIOS data area.  Text modes
0-3 and 7 and the CGA modes 4-6 keep their memory in plain RAM at B8000h/B0000h
(CGA layout: even lines at B8000h, odd lines at BA000h, 80 bytes a line); the
modes 0Dh-13h use the VGA planes (``cpu.vga_planes``; planar: byte o of the
window is byte o of every plane; 13h: chain 4).  Pixels, characters drawn
from the BIOS fonts and scrolling work in every graphics mode; the cursor
position and shape are kept in the BIOS data area (where
:func:`cursor_position` reads them) and in CRTC registers 0Ah/0Bh/0Eh/0Fh.
AH=10h palette and DAC calls go to the attribute controller and the DAC;
AH=11h font loads store the glyphs in plane 2 as a VGA BIOS does.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from . import font as F
from . import vga_modes as V
from .rom import ROM_BASE, ROM_SEG

if TYPE_CHECKING:
    from emulator.machine import Machine

    from .bios import Bios

# --- BIOS data area -------------------------------------------------------------------------
EQUIPMENT = 0x410
VIDEO_MODE = 0x449
COLUMNS = 0x44A
PAGE_SIZE = 0x44C
PAGE_START = 0x44E
CURSOR_POS = 0x450            # 8 words: low byte column, high byte row
CURSOR_SHAPE = 0x460          # low byte end line, high byte start line
ACTIVE_PAGE = 0x462
CRTC_BASE = 0x463
MODE_SELECT = 0x465
CGA_PALETTE = 0x466
ROWS_MINUS_1 = 0x484
CHAR_HEIGHT = 0x485
VIDEO_CONTROL = 0x487
SWITCHES = 0x488
MODESET_OPTIONS = 0x489

EQUIP_VIDEO_MASK = 0x30
EQUIP_80X25_COLOUR = 0x20     # initial video mode bits 4-5 = 10b
CTL_NO_CLEAR = 0x80           # 487h bit 7
CTL_NO_CURSOR_EMULATION = 0x01
OPT_400 = 0x10                # 489h bit 4 (with bit 7 clear): 400 scan lines
OPT_200 = 0x80                # 489h bit 7: 200 scan lines; neither: 350
OPT_NO_PALETTE_LOAD = 0x08
OPT_GREY_SUMMING = 0x02
OPT_VGA_ACTIVE = 0x01
MODE_SELECT_BLINK = 0x20      # 465h bit 5: attribute bit 7 blinks (else bright background)

COLOUR_TEXT = 0xB8000
MONO_TEXT = 0xB0000
TEXT_WINDOW = 0x8000          # 32 KiB of text memory at either base
BLANK_ATTR = 0x07
DCC_VGA_COLOUR = 0x08         # display combination code: VGA with analogue colour display
FEATURES_SWITCHES = 0x09      # 488h: no feature bits, switches 1001b (colour display, 80x25)
ROM_FONT_TABLES = {8: "font8x8", 14: "font8x14", 16: "font8x16"}

TEXT_MODES = (0, 1, 2, 3, 7)
CGA_EVEN, CGA_ODD = 0xB8000, 0xBA000
STATE_HEADER, STATE_HW, STATE_BDA, STATE_DAC = 0x20, 65, 0x25, 769    # AH=1Ch section sizes
CGA_LINE = 80
#: graphics modes: (width, height, layout); layout "cga2"/"cga1" (RAM, bits a pixel),
#: "planar" (four planes, one bit a pixel a plane) or "chain4" (mode 13h)
GEOMETRY: dict[int, tuple[int, int, str]] = {
    0x04: (320, 200, "cga2"), 0x05: (320, 200, "cga2"), 0x06: (640, 200, "cga1"),
    0x0D: (320, 200, "planar"), 0x0E: (640, 200, "planar"), 0x0F: (640, 350, "planar"),
    0x10: (640, 350, "planar"), 0x11: (640, 480, "planar"), 0x12: (640, 480, "planar"),
    0x13: (320, 200, "chain4"),
}


@dataclass(frozen=True)
class Mode:
    """A video mode as the BIOS data area describes it."""

    number: int
    text: bool
    columns: int
    rows: int
    char_height: int          # scan lines per character (text: at 400 lines)
    memory: int               # physical base of the video memory
    page_size: int
    pages: int
    mode_select: int | None   # value of the CGA/MDA mode select register (465h)
    colours: int              # 0 for monochrome

    @property
    def mono(self) -> bool:
        return self.memory == MONO_TEXT


MODES: dict[int, Mode] = {m.number: m for m in (
    Mode(0x00, True, 40, 25, 16, COLOUR_TEXT, 0x0800, 8, 0x2C, 16),
    Mode(0x01, True, 40, 25, 16, COLOUR_TEXT, 0x0800, 8, 0x28, 16),
    Mode(0x02, True, 80, 25, 16, COLOUR_TEXT, 0x1000, 8, 0x2D, 16),
    Mode(0x03, True, 80, 25, 16, COLOUR_TEXT, 0x1000, 8, 0x29, 16),
    Mode(0x04, False, 40, 25, 8, COLOUR_TEXT, 0x4000, 1, 0x2A, 4),
    Mode(0x05, False, 40, 25, 8, COLOUR_TEXT, 0x4000, 1, 0x2E, 4),
    Mode(0x06, False, 80, 25, 8, COLOUR_TEXT, 0x4000, 1, 0x1E, 2),
    Mode(0x07, True, 80, 25, 16, MONO_TEXT, 0x1000, 8, 0x29, 0),
    Mode(0x0D, False, 40, 25, 8, 0xA0000, 0x2000, 8, None, 16),
    Mode(0x0E, False, 80, 25, 8, 0xA0000, 0x4000, 4, None, 16),
    Mode(0x0F, False, 80, 25, 14, 0xA0000, 0x8000, 2, None, 0),
    Mode(0x10, False, 80, 25, 14, 0xA0000, 0x8000, 2, None, 16),
    Mode(0x11, False, 80, 30, 16, 0xA0000, 0xA000, 1, None, 2),
    Mode(0x12, False, 80, 30, 16, 0xA0000, 0xA000, 1, None, 16),
    Mode(0x13, False, 40, 25, 8, 0xA0000, 0xFA00, 1, None, 256),
)}


def _crtc_table() -> bytes:
    """The INT 1Dh table: 6845 CRTC values per CGA/MDA mode group, then per-mode sizes.

    Layout of the IBM PC BIOS video parameter table (IBM PC AT Technical
    Reference, INT 1Dh): four 16-byte groups of CRTC registers R0-R15 (40x25
    text, 80x25 text, graphics, monochrome), the page length of each group,
    the columns of modes 0-7 and their mode select register values.  The CRTC
    values are the timings of the CGA (14.318 MHz dot clock; 912 dots and 262
    lines a frame) and MDA (16.257 MHz; 882 dots and 370 lines) monitors.
    """
    def crtc(htotal: int, hdisp: int, hsync: int, hwidth: int, vtotal: int, vadj: int, vdisp: int,
             vsync: int, max_scan: int, cur_start: int, cur_end: int) -> bytes:
        return bytes((htotal - 1, hdisp, hsync, hwidth, vtotal - 1, vadj, vdisp, vsync, 0x02,
                      max_scan - 1, cur_start, cur_end, 0, 0, 0, 0))
    text40 = crtc(57, 40, 45, 10, 32, 6, 25, 28, 8, 6, 7)       # 57 x 8 dots / 14.318 MHz / 2 = 63.7 us
    text80 = crtc(114, 80, 90, 10, 32, 6, 25, 28, 8, 6, 7)      # 114 x 8 dots a line, 32 x 8 + 6 lines
    graphics = crtc(57, 40, 45, 10, 128, 6, 100, 112, 2, 6, 7)  # 128 rows of 2 lines + 6 = 262
    mono = crtc(98, 80, 82, 15, 26, 6, 25, 25, 14, 11, 12)     # 98 x 9 dots, 26 x 14 + 6 = 370 lines
    lengths = b"".join(n.to_bytes(2, "little") for n in (0x0800, 0x1000, 0x4000, 0x4000))
    columns = bytes(MODES[m].columns for m in range(8))
    selects = bytes(MODES[m].mode_select or 0 for m in range(8))
    return text40 + text80 + graphics + mono + lengths + columns + selects


def _static_functionality() -> bytes:
    """The static functionality table INT 10h AX=1B00h points to (IBM VGA Technical Reference)."""
    modes = 0
    for m in MODES:
        modes |= 1 << m
    return bytes((modes & 0xFF, (modes >> 8) & 0xFF, (modes >> 16) & 0xFF, 0, 0, 0, 0,
                  0x07,          # 200, 350 and 400 scan lines in text modes
                  8, 2,          # character blocks: 8 loadable, 2 active at a time
                  0xFF,          # all modes on all displays, grey summing, font and palette loading,
                                 # cursor emulation, EGA palette, colour registers, colour paging
                  0x0C,          # blink / intensity toggle, display combination code
                  0, 0, 0, 0))


# --- the text screen, for the automation layer and tests -------------------------------------
_DECODE = " " + F.CP437[1:]


def _screen_geometry(ram: np.ndarray) -> tuple[int, int, int, int] | None:
    """(mode, columns, rows, address of the active page) of a text mode, else None."""
    mode = int(ram[VIDEO_MODE]) & 0x7F
    if mode not in TEXT_MODES:
        return None
    cols = int(ram[COLUMNS]) | int(ram[COLUMNS + 1]) << 8 or MODES[mode].columns
    rows = int(ram[ROWS_MINUS_1]) + 1 if ram[ROWS_MINUS_1] else MODES[mode].rows
    start = int(ram[PAGE_START]) | int(ram[PAGE_START + 1]) << 8
    return mode, cols, rows, MODES[mode].memory + start


def scroll_window(top: int, left: int, bottom: int, right: int, lines: int, rows: int,
                  cols: int) -> tuple[int, int, int] | None:
    """INT 10h AH=06h/07h window rules: clip to the page, None when empty; (bottom, right,
    lines) with 0 lines or more than the window's height meaning the whole window."""
    bottom, right = min(bottom, rows - 1), min(right, cols - 1)
    if top > bottom or left > right:
        return None
    height = bottom - top + 1
    return bottom, right, height if lines == 0 or lines > height else lines


def decode_cp437(chars: bytes) -> str:
    """Character codes as text (code page 437 glyphs; NUL shows as a space)."""
    return "".join(_DECODE[b] for b in chars)


def screen_text(machine: Machine) -> list[str]:
    """The rows of the active text page as str (code page 437 glyphs; NUL shows as a space).

    Uses the mode, columns, rows and page start of the BIOS data area; returns
    [] in a graphics mode.
    """
    ram = machine.cpu.ram
    geo = _screen_geometry(ram)
    if geo is None:
        return []
    _mode, cols, rows, addr = geo
    chars = decode_cp437(ram[addr:addr + rows * cols * 2:2].tobytes())
    return [chars[r * cols:(r + 1) * cols] for r in range(rows)]


def emulated_cursor(start: int, end: int, height: int) -> tuple[int, int]:
    """Cursor emulation (IBM VGA BIOS, INT 10h AH=01h): a shape given for 8-line cells (both
    values below 8) mapped to ``height``-line cells.  Lines in the lower part keep their
    distance from the cell bottom (06h-07h becomes 0Dh-0Eh in 16 lines, 0Bh-0Ch in 14), lines
    in the upper part scale with the cell."""
    if height > 8 and start < 8 and end < 8:
        shift = height - 9
        start = start + shift if start >= 5 else start * height // 8
        end = end + shift if end >= 5 else (end + 1) * height // 8 - 1
    return start, end


def cursor_position(machine: Machine) -> tuple[int, int]:
    """(row, column) of the cursor of the active page, from the BIOS data area."""
    ram = machine.cpu.ram
    page = int(ram[ACTIVE_PAGE]) & 7
    return int(ram[CURSOR_POS + 2 * page + 1]), int(ram[CURSOR_POS + 2 * page])


# --- the service ------------------------------------------------------------------------------
class Video:
    """INT 10h for one machine; its state is the BIOS data area and the video memory."""

    def __init__(self, bios: Bios) -> None:
        self.bios = bios
        self.ram = bios.cpu.ram
        self._graphics_noted: set[int] = set()
        self.functions = {
            0x00: self.set_mode, 0x01: self.set_cursor_shape, 0x02: self.set_cursor,
            0x03: self.get_cursor, 0x04: self.light_pen, 0x05: self.select_page,
            0x06: self.scroll_up, 0x07: self.scroll_down, 0x08: self.read_char,
            0x09: self.write_char_attr, 0x0A: self.write_char, 0x0B: self.cga_palette,
            0x0C: self.write_pixel, 0x0D: self.read_pixel, 0x0E: self.teletype_call,
            0x0F: self.get_mode, 0x10: self.palette, 0x11: self.character_generator,
            0x12: self.alternate_select, 0x13: self.write_string, 0x1A: self.display_combination,
            0x1B: self.state_information, 0x1C: self.save_restore,
        }

    # --- BIOS data area views -----------------------------------------------------------
    @property
    def mode(self) -> Mode:
        return MODES.get(self.bios.rd8(VIDEO_MODE) & 0x7F, MODES[3])

    @property
    def columns(self) -> int:
        return self.bios.rd16(COLUMNS) or self.mode.columns

    @property
    def rows(self) -> int:
        return self.bios.rd8(ROWS_MINUS_1) + 1

    @property
    def page_size(self) -> int:
        return self.bios.rd16(PAGE_SIZE) or self.mode.page_size

    @property
    def active_page(self) -> int:
        return self.bios.rd8(ACTIVE_PAGE) & 7

    def pages(self) -> int:
        """Pages that fit in the mode's memory (text: 32 KiB)."""
        mode = self.mode
        if not mode.text:
            return mode.pages
        return max(1, min(8, TEXT_WINDOW // self.page_size))

    def page_of(self, reg_bh: int) -> int:
        """The page a caller names in BH (one that does not exist: the active page)."""
        return reg_bh if reg_bh < self.pages() else self.active_page

    def cursor(self, page: int) -> tuple[int, int]:
        pos = self.bios.rd16(CURSOR_POS + 2 * (page & 7))
        return pos >> 8, pos & 0xFF

    def set_cursor_pos(self, page: int, row: int, col: int) -> None:
        self.bios.wr16(CURSOR_POS + 2 * (page & 7), (row & 0xFF) << 8 | (col & 0xFF))
        if page & 7 == self.active_page:
            self.sync_cursor_location()

    def page_cells(self, page: int) -> np.ndarray:
        """The character/attribute pairs of text page ``page`` as a (rows, columns, 2) view."""
        cols, rows = self.columns, self.rows
        start = self.mode.memory + page * self.page_size
        end = min(start + rows * cols * 2, self.mode.memory + TEXT_WINDOW)
        rows = max(0, (end - start) // (cols * 2))
        return self.ram[start:start + rows * cols * 2].reshape(rows, cols, 2)

    def note_graphics(self) -> None:
        """Log the first set of each graphics mode."""
        mode = self.mode.number
        if mode not in self._graphics_noted:
            self._graphics_noted.add(mode)
            self.bios.machine.log(f"INT 10h: graphics mode {mode:02X}h set")

    # --- VGA registers ------------------------------------------------------------------------
    @property
    def bus(self) -> V.PortIO:
        return self.bios.machine.bus

    def crtc_write(self, index: int, value: int) -> None:
        port = V.crtc_port(self.bus)
        self.bus.write(port, 1, index)
        self.bus.write(port + 1, 1, value & 0xFF)

    def crtc_read(self, index: int) -> int:
        port = V.crtc_port(self.bus)
        self.bus.write(port, 1, index)
        return self.bus.read(port + 1, 1)

    def sync_cursor_shape(self) -> None:
        """CRTC 0Ah/0Bh from the shape in the BIOS data area (start bit 5: cursor off; text modes),
        through cursor emulation unless 487h bit 0 turns it off."""
        if not self.mode.text:
            return
        b = self.bios
        shape = b.rd16(CURSOR_SHAPE)
        start, end = (shape >> 8) & 0x1F, shape & 0x1F
        if not b.rd8(VIDEO_CONTROL) & CTL_NO_CURSOR_EMULATION:
            start, end = emulated_cursor(start, end, b.rd16(CHAR_HEIGHT) or 16)
        self.crtc_write(0x0A, (self.crtc_read(0x0A) & 0xC0) | ((shape >> 8) & 0x20) | (start & 0x1F))
        self.crtc_write(0x0B, (self.crtc_read(0x0B) & 0xE0) | (end & 0x1F))

    def sync_cursor_location(self) -> None:
        """CRTC 0Eh/0Fh: the cursor of the active page as a character address (text modes)."""
        if not self.mode.text:
            return
        page = self.active_page
        row, col = self.cursor(page)
        loc = (page * self.page_size) // 2 + row * self.columns + col
        self.crtc_write(0x0E, (loc >> 8) & 0xFF)
        self.crtc_write(0x0F, loc & 0xFF)

    def sync_display_start(self) -> None:
        """CRTC 0Ch/0Dh: the start of the active page (text: in characters, else in bytes)."""
        start = self.bios.rd16(PAGE_START)
        if self.mode.text:
            start //= 2
        self.crtc_write(0x0C, (start >> 8) & 0xFF)
        self.crtc_write(0x0D, start & 0xFF)
        self.sync_cursor_location()

    # --- the entry point ----------------------------------------------------------------
    def int10(self) -> None:
        """INT 10h: dispatch on AH; functions not listed return with the registers unchanged."""
        fn = self.functions.get(self.bios["ah"])
        if fn is not None:
            fn()

    # --- AH=00h ---------------------------------------------------------------------------
    def set_mode(self) -> None:
        """AH=00h set mode AL (bit 7: keep the video memory); AL returns the CRT mode byte."""
        b = self.bios
        al = b["al"]
        mode = MODES.get(al & 0x7F)
        if mode is None:
            b.machine.log(f"INT 10h: set mode {al & 0x7F:02X}h: no such mode, left unchanged")
            return
        self.apply_mode(mode, clear=not al & 0x80)
        b["al"] = 0x3F if mode.number == 6 else (0x20 if mode.number > 7 else 0x30)

    def apply_mode(self, mode: Mode, clear: bool = True) -> None:
        """Program the BIOS data area for ``mode``, point INT 43h at its font, clear its memory."""
        b = self.bios
        height = mode.char_height
        if mode.text:
            lines = self.scan_lines()
            if mode.mono:
                height = 14 if lines == 350 else 16
            else:
                height = {200: 8, 350: 14}.get(lines, 16)
        b.wr8(VIDEO_MODE, mode.number)
        b.wr16(COLUMNS, mode.columns)
        b.wr16(PAGE_SIZE, mode.page_size)
        b.wr16(PAGE_START, 0)
        b.write(CURSOR_POS, bytes(16))
        b.wr16(CURSOR_SHAPE, 0x0B0C if mode.mono else 0x0607)
        b.wr8(ACTIVE_PAGE, 0)
        b.wr16(CRTC_BASE, 0x3B4 if mode.mono else 0x3D4)
        if mode.mode_select is not None:
            b.wr8(MODE_SELECT, mode.mode_select)
        b.wr8(CGA_PALETTE, 0x3F if mode.number == 6 else 0x30)
        b.wr8(ROWS_MINUS_1, mode.rows - 1)
        b.wr16(CHAR_HEIGHT, height)
        ctl = b.rd8(VIDEO_CONTROL) & ~CTL_NO_CLEAR
        b.wr8(VIDEO_CONTROL, ctl | (0 if clear else CTL_NO_CLEAR))
        # INT 43h: the font graphics modes draw characters with (text modes: the 8x8 font)
        graphics_font = ROM_FONT_TABLES[8 if mode.text else mode.char_height]
        b.set_vector(0x43, *self.rom_pointer(graphics_font))
        opts = b.rd8(MODESET_OPTIONS)
        lines = {8: 200, 14: 350}.get(height, 400) if mode.text else 400
        V.program_mode(self.bus, mode.number, load_dac=not opts & OPT_NO_PALETTE_LOAD,
                       grey=bool(opts & OPT_GREY_SUMMING), lines=lines)
        if mode.text:
            self.load_font(F.font(height), height, 0, 256, 0)
        if clear:
            if mode.text:
                cells = self.ram[mode.memory:mode.memory + TEXT_WINDOW]
                cells[0::2] = 0x20
                cells[1::2] = BLANK_ATTR
            elif mode.memory == COLOUR_TEXT:
                self.ram[COLOUR_TEXT:COLOUR_TEXT + 0x4000] = 0
            else:
                self.bios.cpu.vga_planes[:] = 0
        self.sync_cursor_shape()
        self.sync_display_start()
        if not mode.text:
            self.note_graphics()

    def scan_lines(self) -> int:
        """Scan lines the next text mode uses (489h, set by AH=12h BL=30h)."""
        opts = self.bios.rd8(MODESET_OPTIONS)
        if opts & OPT_200:
            return 200
        return 400 if opts & OPT_400 else 350

    def rom_pointer(self, table: str, offset: int = 0) -> tuple[int, int]:
        return ROM_SEG, self.bios.table_addr(table) - ROM_BASE + offset

    # --- cursor and pages ----------------------------------------------------------------
    def set_cursor_shape(self) -> None:
        """AH=01h: CH = start line (bit 5: cursor off), CL = end line (also CRTC 0Ah/0Bh)."""
        self.bios.wr16(CURSOR_SHAPE, self.bios["cx"])
        self.sync_cursor_shape()

    def set_cursor(self) -> None:
        """AH=02h: cursor of page BH to row DH, column DL."""
        b = self.bios
        self.set_cursor_pos(b["bh"] & 7, b["dh"], b["dl"])

    def get_cursor(self) -> None:
        """AH=03h: DH, DL = row, column of page BH's cursor; CH, CL = cursor start and end lines."""
        b = self.bios
        row, col = self.cursor(b["bh"] & 7)
        b["dx"] = row << 8 | col
        b["cx"] = b.rd16(CURSOR_SHAPE)

    def light_pen(self) -> None:
        """AH=04h: no light pen (AH = 0: not triggered)."""
        self.bios["ah"] = 0

    def select_page(self) -> None:
        """AH=05h: show page AL (a page the mode does not have is ignored)."""
        b = self.bios
        page = b["al"]
        if page < self.pages():
            b.wr8(ACTIVE_PAGE, page)
            b.wr16(PAGE_START, page * self.page_size)
            self.sync_display_start()

    # --- scrolling ---------------------------------------------------------------------------
    def scroll_up(self) -> None:
        """AH=06h: scroll the window CH,CL-DH,DL of the active page up AL lines (0: clear), blanks BH."""
        self._scroll_call(up=True)

    def scroll_down(self) -> None:
        """AH=07h: the same, downwards."""
        self._scroll_call(up=False)

    def _scroll_call(self, up: bool) -> None:
        b = self.bios
        if not self.mode.text:
            self.scroll_graphics(self.active_page, b["ch"], b["cl"], b["dh"], b["dl"], b["al"], b["bh"], up)
            return
        self.scroll(self.active_page, b["ch"], b["cl"], b["dh"], b["dl"], b["al"], b["bh"], up)

    def scroll(self, page: int, top: int, left: int, bottom: int, right: int, lines: int, attr: int,
               up: bool = True) -> None:
        """Scroll a window of a text page by ``lines`` (0 or more than its height: blank it)."""
        cells = self.page_cells(page)
        rows, cols = cells.shape[:2]
        window = scroll_window(top, left, bottom, right, lines, rows, cols)
        if window is None:
            return
        bottom, right, lines = window
        height = bottom - top + 1
        win = cells[top:bottom + 1, left:right + 1]
        if up:
            win[:height - lines] = win[lines:].copy()
            blank = win[height - lines:]
        else:
            win[lines:] = win[:height - lines].copy()
            blank = win[:lines]
        blank[..., 0] = 0x20
        blank[..., 1] = attr

    # --- characters -------------------------------------------------------------------------
    def read_char(self) -> None:
        """AH=08h: AL = character, AH = attribute at the cursor of page BH."""
        b = self.bios
        if not self.mode.text:
            page = self.page_of(b["bh"])
            b["ax"] = self.read_graphics_char(page, *self.cursor(page))
            return
        page = self.page_of(b["bh"])
        row, col = self.cursor(page)
        cells = self.page_cells(page)
        if row < cells.shape[0] and col < cells.shape[1]:
            b["al"], b["ah"] = int(cells[row, col, 0]), int(cells[row, col, 1])

    def write_char_attr(self) -> None:
        """AH=09h: CX copies of AL with attribute BL from the cursor of page BH (the cursor stays)."""
        b = self.bios
        self._write_run(b["al"], b["bl"], b["cx"])

    def write_char(self) -> None:
        """AH=0Ah: CX copies of AL from the cursor of page BH, attributes unchanged."""
        b = self.bios
        self._write_run(b["al"], None, b["cx"])

    def _write_run(self, ch: int, attr: int | None, count: int) -> None:
        b = self.bios
        page = self.page_of(b["bh"])
        row, col = self.cursor(page)
        if not self.mode.text:                   # graphics: BL is the colour for 09h and 0Ah
            cols, rows = self.columns, self.rows
            for i in range(min(count, cols * rows)):
                r, c = divmod(row * cols + col + i, cols)
                if r >= rows:
                    break
                self.draw_char(page, r, c, ch, b["bl"])
            return
        mode = self.mode
        start = mode.memory + page * self.page_size + (row * self.columns + col) * 2
        count = max(0, min(count, (mode.memory + TEXT_WINDOW - start) // 2))
        self.ram[start:start + 2 * count:2] = ch
        if attr is not None:
            self.ram[start + 1:start + 2 * count:2] = attr

    def teletype_call(self) -> None:
        """AH=0Eh: write AL as a terminal would on page BH (BEL, BS, CR, LF act; wraps and scrolls).

        In graphics modes BL is the foreground colour (bit 7: XOR)."""
        b = self.bios
        self.teletype(b["al"], self.page_of(b["bh"]), None if self.mode.text else b["bl"])

    def teletype(self, ch: int, page: int, attr: int | None = None) -> None:
        """One character of teletype output; ``attr`` None keeps the attribute in memory."""
        row, col = self.cursor(page)
        cols, rows = self.columns, self.rows
        text = self.mode.text
        if ch == 0x07:                       # bell: there is no speaker tone to sound here
            return
        if ch == 0x08:
            col = max(col - 1, 0)
        elif ch == 0x0D:
            col = 0
        elif ch == 0x0A:
            row += 1
        else:
            if text:
                cells = self.page_cells(page)
                if row < cells.shape[0] and col < cells.shape[1]:
                    cells[row, col, 0] = ch
                    if attr is not None:
                        cells[row, col, 1] = attr
            else:
                self.draw_char(page, row, col, ch, 0x0F if attr is None else attr)
            col += 1
            if col >= cols:
                col = 0
                row += 1
        if row >= rows:
            row = rows - 1
            if text:
                cells = self.page_cells(page)
                fill = int(cells[min(row, cells.shape[0] - 1), min(col, cols - 1), 1])
                self.scroll(page, 0, 0, rows - 1, cols - 1, 1, fill)
            else:
                self.scroll_graphics(page, 0, 0, rows - 1, cols - 1, 1, 0)
        self.set_cursor_pos(page, row, col)

    def write_string(self) -> None:
        """AH=13h: CX characters at ES:BP from row DH, column DL of page BH.

        AL bit 1: the string holds character/attribute pairs (else BL is the
        attribute); bit 0: the cursor stays after the string (else it is put back).
        BEL, BS, CR and LF act as in teletype output.
        """
        b = self.bios
        al = b["al"]
        if al > 3:
            return
        page = self.page_of(b["bh"])
        saved = self.cursor(page)
        self.set_cursor_pos(page, b["dh"], b["dl"])
        step = 2 if al & 2 else 1
        data = b.read(b.linear(b["es"], b["bp"]), b["cx"] * step)
        attr = b["bl"]
        for i in range(0, len(data), step):
            self.teletype(data[i], page, data[i + 1] if step == 2 else attr)
        if not al & 1:
            self.set_cursor_pos(page, *saved)

    def console_write(self, text: str) -> None:
        """Teletype ``text`` on the active page (the BIOS's own messages)."""
        page = self.active_page
        for ch in text.encode("cp437", errors="replace"):
            self.teletype(ch, page)

    # --- mode information -------------------------------------------------------------------
    def get_mode(self) -> None:
        """AH=0Fh: AH = columns, AL = mode (bit 7 if it was set without clearing), BH = active page."""
        b = self.bios
        b["ah"] = self.columns & 0xFF
        b["al"] = (b.rd8(VIDEO_MODE) & 0x7F) | (b.rd8(VIDEO_CONTROL) & CTL_NO_CLEAR)
        b["bh"] = self.active_page

    def cga_palette(self) -> None:
        """AH=0Bh: CGA colour select (BH=0: background/border BL, BH=1: palette BL) kept at 466h."""
        b = self.bios
        value = b.rd8(CGA_PALETTE)
        if b["bh"] == 0:
            value = (value & 0xE0) | (b["bl"] & 0x1F)
        elif b["bh"] == 1:
            value = (value & ~0x20) | (b["bl"] & 1) << 5
        b.wr8(CGA_PALETTE, value)

    # --- graphics ---------------------------------------------------------------------------
    def write_pixel(self) -> None:
        """AH=0Ch: pixel CX, DX of page BH := colour AL (bit 7: XOR, except in mode 13h)."""
        b = self.bios
        if self.mode.number in GEOMETRY:
            self.put_pixel(self.page_of(b["bh"]), b["cx"], b["dx"], b["al"])

    def read_pixel(self) -> None:
        """AH=0Dh: AL = colour of pixel CX, DX of page BH (0 outside the screen or in text modes)."""
        b = self.bios
        in_graphics = self.mode.number in GEOMETRY
        b["al"] = self.get_pixel(self.page_of(b["bh"]), b["cx"], b["dx"]) if in_graphics else 0

    def _colour_mask(self, layout: str) -> int:
        return {"cga2": 3, "cga1": 1, "planar": 0x0F, "chain4": 0xFF}[layout]

    def _plane_base(self, page: int) -> int:
        return page * self.page_size if self.pages() > 1 else 0

    def put_pixel(self, page: int, x: int, y: int, colour: int) -> None:
        """One pixel in the current graphics mode (CGA: RAM at B8000h; 0Dh-13h: the planes)."""
        width, height, layout = GEOMETRY[self.mode.number]
        if not (0 <= x < width and 0 <= y < height):
            return
        xor = bool(colour & 0x80) and layout != "chain4"
        colour &= self._colour_mask(layout)
        planes = self.bios.cpu.vga_planes
        if layout == "chain4":
            o = y * width + x
            planes[o & 3, o & ~3] = colour
        elif layout == "planar":
            off = self._plane_base(page) + y * (width // 8) + (x >> 3)
            bit = 0x80 >> (x & 7)
            for p in range(4):
                on = (colour >> p) & 1
                if xor:
                    if on:
                        planes[p, off] ^= bit
                else:
                    old = int(planes[p, off])
                    planes[p, off] = (old | bit) if on else (old & ~bit & 0xFF)
        else:
            bpp = 2 if layout == "cga2" else 1
            addr = (CGA_ODD if y & 1 else CGA_EVEN) + (y >> 1) * CGA_LINE + (x * bpp >> 3)
            shift = 8 - bpp - (x * bpp & 7)
            mask = ((1 << bpp) - 1) << shift
            old = int(self.ram[addr])
            self.ram[addr] = old ^ (colour << shift) if xor else (old & ~mask) | (colour << shift)

    def get_pixel(self, page: int, x: int, y: int) -> int:
        """The colour of one pixel in the current graphics mode (0 outside the screen)."""
        width, height, layout = GEOMETRY[self.mode.number]
        if not (0 <= x < width and 0 <= y < height):
            return 0
        planes = self.bios.cpu.vga_planes
        if layout == "chain4":
            o = y * width + x
            return int(planes[o & 3, o & ~3])
        if layout == "planar":
            off = self._plane_base(page) + y * (width // 8) + (x >> 3)
            shift = 7 - (x & 7)
            return sum(((int(planes[p, off]) >> shift) & 1) << p for p in range(4))
        bpp = 2 if layout == "cga2" else 1
        addr = (CGA_ODD if y & 1 else CGA_EVEN) + (y >> 1) * CGA_LINE + (x * bpp >> 3)
        shift = 8 - bpp - (x * bpp & 7)
        return (int(self.ram[addr]) >> shift) & ((1 << bpp) - 1)

    def read_block(self, page: int, x: int, y: int, w: int, h: int) -> np.ndarray:
        """Colours of a (h, w) pixel rectangle; ``x`` and ``w`` are multiples of 8."""
        width, _height, layout = GEOMETRY[self.mode.number]
        planes = self.bios.cpu.vga_planes
        if layout == "chain4":
            lin = planes[:, 0:64000:4].T.reshape(200, 320)
            return lin[y:y + h, x:x + w].copy()
        if layout == "planar":
            bpl = width // 8
            base = self._plane_base(page) + y * bpl
            view = planes[:, base:base + h * bpl].reshape(4, h, bpl)[:, :, x // 8:(x + w) // 8]
            bits = np.unpackbits(view, axis=2).astype(np.uint8)
            return bits[0] | bits[1] << 1 | bits[2] << 2 | bits[3] << 3
        bits = np.unpackbits(self.ram[self._cga_index(x, y, w, h, layout)], axis=1)
        if layout == "cga2":
            return (bits[:, 0::2] << 1 | bits[:, 1::2]).astype(np.uint8)
        return bits

    def write_block(self, page: int, x: int, y: int, block: np.ndarray) -> None:
        """Store a (h, w) rectangle of colours (the inverse of :meth:`read_block`)."""
        width, _height, layout = GEOMETRY[self.mode.number]
        h, w = block.shape
        block = block.astype(np.uint8) & self._colour_mask(layout)
        planes = self.bios.cpu.vga_planes
        if layout == "chain4":
            lin = planes[:, 0:64000:4].T.reshape(200, 320).copy()
            lin[y:y + h, x:x + w] = block
            planes[:, 0:64000:4] = lin.reshape(-1, 4).T
        elif layout == "planar":
            bpl = width // 8
            base = self._plane_base(page) + y * bpl
            for p in range(4):
                view = planes[p, base:base + h * bpl].reshape(h, bpl)
                view[:, x // 8:(x + w) // 8] = np.packbits((block >> p) & 1, axis=1)
        else:
            if layout == "cga2":
                bits = np.empty((h, 2 * w), dtype=np.uint8)
                bits[:, 0::2] = (block >> 1) & 1
                bits[:, 1::2] = block & 1
            else:
                bits = block
            self.ram[self._cga_index(x, y, w, h, layout)] = np.packbits(bits, axis=1)

    @staticmethod
    def _cga_index(x: int, y: int, w: int, h: int, layout: str) -> np.ndarray:
        """RAM addresses of a CGA rectangle's bytes as an (h, bytes) index array."""
        bpp = 2 if layout == "cga2" else 1
        rows = np.arange(y, y + h)
        starts = np.where(rows & 1, CGA_ODD, CGA_EVEN) + (rows >> 1) * CGA_LINE + (x * bpp >> 3)
        return starts[:, None] + np.arange(w * bpp >> 3)[None, :]

    def graphics_char_height(self) -> int:
        height = self.bios.rd16(CHAR_HEIGHT)
        return height if 1 <= height <= 32 else self.mode.char_height

    def glyph(self, ch: int, height: int) -> np.ndarray:
        """Character ``ch`` of the graphics font INT 43h points to, as a (height, 8) 0/1 array."""
        b = self.bios
        addr = b.linear(b.rd16(0x43 * 4 + 2), b.rd16(0x43 * 4)) + ch * height
        data = np.frombuffer(b.read(addr, height), dtype=np.uint8)
        return np.unpackbits(data).reshape(height, 8)

    def draw_char(self, page: int, row: int, col: int, ch: int, colour: int) -> None:
        """Draw character ``ch`` in cell (row, col) of a graphics page: foreground ``colour`` on
        colour 0, or with bit 7 (not mode 13h) XORed onto the screen (IBM VGA Technical Reference)."""
        width, height, layout = GEOMETRY[self.mode.number]
        h = self.graphics_char_height()
        x, y = col * 8, row * h
        if x + 8 > width or y + h > height:
            return
        bits = self.glyph(ch, h)
        if colour & 0x80 and layout != "chain4":
            block = self.read_block(page, x, y, 8, h) ^ (bits * (colour & 0x7F)).astype(np.uint8)
        else:
            block = (bits * colour).astype(np.uint8)
        self.write_block(page, x, y, block)

    def read_graphics_char(self, page: int, row: int, col: int) -> int:
        """The character whose glyph matches the non-zero pixels of a cell, else 0."""
        width, height, _layout = GEOMETRY[self.mode.number]
        h = self.graphics_char_height()
        x, y = col * 8, row * h
        if x + 8 > width or y + h > height:
            return 0
        ink = np.packbits(self.read_block(page, x, y, 8, h) != 0, axis=1).reshape(-1).tobytes()
        b = self.bios
        font = b.read(b.linear(b.rd16(0x43 * 4 + 2), b.rd16(0x43 * 4)), 256 * h)
        for code in range(256):
            if font[code * h:(code + 1) * h] == ink:
                return code
        return 0

    def scroll_graphics(self, page: int, top: int, left: int, bottom: int, right: int, lines: int,
                        colour: int, up: bool = True) -> None:
        """Scroll a window of character cells of a graphics page by ``lines`` character rows,
        filling with ``colour`` (0 lines or more than the window: clear it)."""
        width, height, _layout = GEOMETRY[self.mode.number]
        h = self.graphics_char_height()
        window = scroll_window(top, left, bottom, right, lines, height // h, width // 8)
        if window is None:
            return
        bottom, right, lines = window
        span = bottom - top + 1
        x, y, w, hh, n = left * 8, top * h, (right - left + 1) * 8, span * h, lines * h
        block = self.read_block(page, x, y, w, hh)
        if up:
            block[:hh - n] = block[n:].copy()
            block[hh - n:] = colour
        else:
            block[n:] = block[:hh - n].copy()
            block[:n] = colour
        self.write_block(page, x, y, block)

    # --- AH=10h palette -------------------------------------------------------------------
    def palette(self) -> None:
        """AH=10h palette and DAC functions (IBM VGA Technical Reference, "BIOS interface"):

        00h palette register BL := BH; 01h overscan := BH; 02h the 16 palette registers and
        the overscan from ES:DX (17 bytes); 03h BL=0 intensity, 1 blink; 07h BH = palette
        register BL; 08h BH = overscan; 09h all 17 to ES:DX; 10h DAC register BX := DH, CH, CL;
        12h CX DAC registers from BX out of ES:DX (3 bytes each); 13h colour page (accepted);
        15h DH, CH, CL = DAC register BX; 17h CX registers from BX to ES:DX; 18h / 19h write /
        read the PEL mask (BL); 1Ah BH = colour page, BL = paging mode; 1Bh sum CX registers
        from BX to greys.
        """
        b = self.bios
        bus = self.bus
        al = b["al"]
        if al == 0x00:
            if b["bl"] < 0x10:
                V.attr_write(bus, b["bl"], b["bh"])
        elif al == 0x01:
            V.attr_write(bus, 0x11, b["bh"])
        elif al == 0x02:
            data = b.read(b.linear(b["es"], b["dx"]), 17)
            for reg in range(16):
                V.attr_write(bus, reg, data[reg])
            V.attr_write(bus, 0x11, data[16])
        elif al == 0x03:                                 # BL=0: bright backgrounds, BL=1: blink
            value = b.rd8(MODE_SELECT)
            blink = bool(b["bl"])
            b.wr8(MODE_SELECT, value | MODE_SELECT_BLINK if blink else value & ~MODE_SELECT_BLINK)
            control = V.attr_read(bus, 0x10)
            V.attr_write(bus, 0x10, control | 0x08 if blink else control & ~0x08)
        elif al == 0x07:                                 # read palette register BL
            if b["bl"] < 0x15:
                b["bh"] = V.attr_read(bus, b["bl"])
        elif al == 0x08:                                 # read overscan
            b["bh"] = V.attr_read(bus, 0x11)
        elif al == 0x09:                                 # read all palette registers + overscan to ES:DX
            data = bytes(V.attr_read(bus, reg) for reg in (*range(16), 0x11))
            b.write(b.linear(b["es"], b["dx"]), data)
        elif al == 0x10:
            V.dac_write(bus, b["bx"], [(b["dh"], b["ch"], b["cl"])])
        elif al == 0x12:
            first, count = b["bx"] & 0xFF, min(b["cx"], 256 - (b["bx"] & 0xFF))
            data = b.read(b.linear(b["es"], b["dx"]), 3 * count)
            V.dac_write(bus, first, [(data[i], data[i + 1], data[i + 2]) for i in range(0, len(data), 3)])
        elif al == 0x13:                                 # colour page selection: one page only
            pass
        elif al == 0x15:
            b["dh"], b["ch"], b["cl"] = V.dac_read(bus, b["bx"], 1)[0]
        elif al == 0x17:
            first, count = b["bx"] & 0xFF, min(b["cx"], 256 - (b["bx"] & 0xFF))
            entries = V.dac_read(bus, first, count)
            b.write(b.linear(b["es"], b["dx"]), bytes(c for rgb in entries for c in rgb))
        elif al == 0x18:
            bus.write(0x3C6, 1, b["bl"])
        elif al == 0x19:
            b["bl"] = bus.read(0x3C6, 1)
        elif al == 0x1A:                                 # colour page state: paging mode 0, page 0
            b["bx"] = 0
        elif al == 0x1B:
            first, count = b["bx"] & 0xFF, min(b["cx"], 256 - (b["bx"] & 0xFF))
            V.dac_write(bus, first, [V.grey_sum(rgb) for rgb in V.dac_read(bus, first, count)])

    # --- AH=11h character generator ------------------------------------------------------
    def character_generator(self) -> None:
        """AH=11h: font information (AL=30h) and font loads.

        Text font loads store the glyphs in plane 2 as a VGA BIOS does (IBM VGA
        Technical Reference: 32 bytes a character; block BL at 16 KiB * (BL & 3)
        + 8 KiB * (BL >> 2)): AL=00h/10h user font at ES:BP (CX characters from
        DX, BH bytes each), 01h/11h 8x14, 02h/12h 8x8, 04h/14h 8x16 from the ROM;
        03h selects the blocks (sequencer 3 := BL).  The loads that set the
        screen geometry (AL=11h, 12h, 14h, 10h: rows from the scan lines and the
        new character height; AL=21h-24h: the graphics font and rows) update the
        BIOS data area and the CRTC, so an 80x50 text screen (AX=1112h) works.
        """
        b = self.bios
        al = b["al"]
        if al in (0x00, 0x10):
            height = b["bh"] or 16
            data = b.read(b.linear(b["es"], b["bp"]), b["cx"] * height)
            self.load_font(data, height, b["dx"], b["cx"], b["bl"])
        elif al & 0xEF in (0x01, 0x02, 0x04):
            height = {1: 14, 2: 8, 4: 16}[al & 0x0F]
            self.load_font(F.font(height), height, 0, 256, b["bl"])
        elif al == 0x03:
            self.bus.write(0x3C4, 1, 3)
            self.bus.write(0x3C5, 1, b["bl"] & 0x3F)
        if al == 0x30:
            self.font_info()
        elif al in (0x11, 0x12, 0x14) and self.mode.text:
            self.set_text_height({0x11: 14, 0x12: 8, 0x14: 16}[al])
        elif al == 0x10 and self.mode.text and b["bh"]:
            self.set_text_height(b["bh"])
        elif al == 0x20:                                 # INT 1Fh = ES:BP
            b.set_vector(0x1F, b["es"], b["bp"])
        elif al in (0x21, 0x22, 0x23, 0x24):
            if al == 0x21:
                b.set_vector(0x43, b["es"], b["bp"])
                height = b["cx"]
            else:
                height = {0x22: 14, 0x23: 8, 0x24: 16}[al]
                b.set_vector(0x43, *self.rom_pointer(ROM_FONT_TABLES[height]))
            rows = {0: b["dl"] + 1, 1: 14, 2: 25, 3: 43}.get(b["bl"], 25)
            b.wr16(CHAR_HEIGHT, height)
            b.wr8(ROWS_MINUS_1, rows - 1)

    def load_font(self, data: bytes, height: int, first: int, count: int, block: int) -> None:
        """Store ``count`` glyphs of ``height`` bytes from character ``first`` in plane 2."""
        base = (block & 3) * 0x4000 + ((block >> 2) & 1) * 0x2000
        height = max(1, min(height, 32))
        count = max(0, min(count, 256 - first, len(data) // height))
        if count == 0:
            return
        glyphs = np.frombuffer(data[:count * height], dtype=np.uint8).reshape(count, height)
        cells = self.bios.cpu.vga_planes[2, base:base + 0x2000].reshape(256, 32)
        cells[first:first + count, :height] = glyphs
        cells[first:first + count, height:] = 0

    def set_text_height(self, height: int) -> None:
        """Rows of the current text mode for ``height``-line characters on the same scan lines."""
        b = self.bios
        lines = self.rows * (b.rd16(CHAR_HEIGHT) or 16)
        rows = max(1, min(lines // height, 0x100))
        b.wr16(CHAR_HEIGHT, height)
        b.wr8(ROWS_MINUS_1, rows - 1)
        size = (rows * self.columns * 2 + 0xFF) & ~0xFF          # a page, rounded up to 256 bytes
        b.wr16(PAGE_SIZE, size)
        b.wr16(PAGE_START, self.active_page * size)
        b.wr16(CURSOR_SHAPE, (height - 2) << 8 | (height - 1) if height > 8 else 0x0607)
        self.crtc_write(0x09, (self.crtc_read(0x09) & 0xE0) | ((height - 1) & 0x1F))
        self.sync_cursor_shape()
        self.sync_display_start()

    def font_info(self) -> None:
        """AX=1130h: ES:BP = font BH (0: INT 1Fh, 1: INT 43h, 2: 8x14, 3: 8x8, 4: 8x8 upper half,
        5: 9x14 alternates, 6: 8x16, 7: 9x16 alternates), CX = character height, DL = rows - 1."""
        b = self.bios
        bh = b["bh"]
        pointer: tuple[int, int] | None = None
        if bh in (0, 1):
            vec = 0x1F if bh == 0 else 0x43
            pointer = b.rd16(vec * 4 + 2), b.rd16(vec * 4)
        elif bh <= 7:
            table, offset = {2: ("font8x14", 0), 3: ("font8x8", 0), 4: ("font8x8", 0x400),
                             5: ("font9x14alt", 0), 6: ("font8x16", 0), 7: ("font9x16alt", 0)}[bh]
            pointer = self.rom_pointer(table, offset)
        if pointer is not None:
            b["es"], b["bp"] = pointer
        b["cx"] = b.rd16(CHAR_HEIGHT)
        b["dl"] = b.rd8(ROWS_MINUS_1)

    # --- AH=12h alternate select ----------------------------------------------------------
    def alternate_select(self) -> None:
        """AH=12h: BL=10h EGA information; BL=30h-36h configuration (AL = 12h: done)."""
        b = self.bios
        bl, al = b["bl"], b["al"]
        opts = b.rd8(MODESET_OPTIONS)
        if bl == 0x10:
            switches = b.rd8(SWITCHES)
            b["bh"] = 1 if b.rd16(CRTC_BASE) == 0x3B4 else 0
            b["bl"] = 3                                  # 256 KiB of video memory
            b["ch"] = switches >> 4                      # feature connector bits
            b["cl"] = switches & 0x0F                    # configuration switches
        elif bl == 0x30:                                 # scan lines of the next text mode
            if al > 2:
                return
            opts = (opts & ~(OPT_200 | OPT_400)) | (OPT_200, 0, OPT_400)[al]
            b.wr8(MODESET_OPTIONS, opts)
            b["al"] = 0x12
        elif bl in (0x31, 0x33):                         # palette loading / grey summing on set mode
            bit = OPT_NO_PALETTE_LOAD if bl == 0x31 else OPT_GREY_SUMMING
            on = bool(al) if bl == 0x31 else not al
            b.wr8(MODESET_OPTIONS, opts | bit if on else opts & ~bit)
            b["al"] = 0x12
        elif bl == 0x34:                                 # cursor emulation: AL=0 on, 1 off
            ctl = b.rd8(VIDEO_CONTROL)
            b.wr8(VIDEO_CONTROL, ctl | CTL_NO_CURSOR_EMULATION if al else ctl & ~CTL_NO_CURSOR_EMULATION)
            b["al"] = 0x12
        elif bl in (0x32, 0x36):                         # video addressing / refresh on or off
            b["al"] = 0x12

    # --- AH=1Ah, 1Bh, 4Fh -------------------------------------------------------------------
    def display_combination(self) -> None:
        """AH=1Ah: AL=00h read (BL = active display: VGA colour, BH = none), AL=01h write (accepted)."""
        b = self.bios
        al = b["al"]
        if al == 0x00:
            b["bx"] = DCC_VGA_COLOUR
            b["al"] = 0x1A
        elif al == 0x01:
            b["al"] = 0x1A

    def state_information(self) -> None:
        """AH=1Bh, BX=0: the 64-byte video state at ES:DI (IBM VGA Technical Reference); AL = 1Bh."""
        b = self.bios
        if b["bx"] != 0:
            return
        mode = self.mode
        seg, off = self.rom_pointer("video_static")
        lines = self.rows * b.rd16(CHAR_HEIGHT)
        code = {200: 0, 350: 1, 400: 2, 480: 3}.get(lines, 2)
        opts, ctl = b.rd8(MODESET_OPTIONS), b.rd8(VIDEO_CONTROL)
        flags = ((2 if opts & OPT_GREY_SUMMING else 0) | (4 if mode.mono else 0)
                 | (8 if opts & OPT_NO_PALETTE_LOAD else 0)
                 | (0 if ctl & CTL_NO_CURSOR_EMULATION else 0x10)
                 | (0x20 if b.rd8(MODE_SELECT) & MODE_SELECT_BLINK else 0))
        info = bytearray(64)
        info[0:4] = off.to_bytes(2, "little") + seg.to_bytes(2, "little")
        info[4] = b.rd8(VIDEO_MODE)
        info[5:7] = self.columns.to_bytes(2, "little")
        info[7:9] = self.page_size.to_bytes(2, "little")
        info[9:11] = b.rd16(PAGE_START).to_bytes(2, "little")
        info[0x0B:0x1B] = b.read(CURSOR_POS, 16)
        info[0x1B:0x1D] = b.rd16(CURSOR_SHAPE).to_bytes(2, "little")
        info[0x1D] = self.active_page
        info[0x1E:0x20] = b.rd16(CRTC_BASE).to_bytes(2, "little")
        info[0x20] = b.rd8(MODE_SELECT)
        info[0x21] = b.rd8(CGA_PALETTE)
        info[0x22] = self.rows
        info[0x23:0x25] = b.rd16(CHAR_HEIGHT).to_bytes(2, "little")
        info[0x25] = DCC_VGA_COLOUR
        info[0x27:0x29] = mode.colours.to_bytes(2, "little")
        info[0x29] = self.pages()
        info[0x2A] = code
        info[0x2D] = flags
        info[0x31] = 3                                   # 256 KiB of video memory
        b.write(b.linear(b["es"], b["di"]), bytes(info))
        b["al"] = 0x1B

    # --- AH=1Ch save / restore ------------------------------------------------------------------
    def _state_sections(self, cx: int) -> list[tuple[str, int]]:
        return [(name, size) for bit, name, size in ((1, "hw", STATE_HW), (2, "bda", STATE_BDA),
                                                      (4, "dac", STATE_DAC)) if cx & bit]

    def save_restore(self) -> None:
        """AH=1Ch: AL=00h BX = buffer size in 64-byte blocks for the states in CX; 01h save to,
        02h restore from ES:BX.  CX bit 0: the VGA registers, bit 1: the BIOS data area video
        fields, bit 2: the DAC.  AL = 1Ch.  The buffer layout is pyx86's own: a 32-byte header
        of three section offsets (0: absent), then the sections."""
        b = self.bios
        al, cx = b["al"], b["cx"]
        sections = self._state_sections(cx)
        if al == 0x00:
            size = STATE_HEADER + sum(n for _name, n in sections)
            b["bx"] = (size + 63) // 64
        elif al in (0x01, 0x02):
            addr = b.linear(b["es"], b["bx"])
            if al == 0x01:
                header = bytearray(STATE_HEADER)
                body = bytearray()
                for i, name in enumerate(("hw", "bda", "dac")):
                    if name in dict(sections):
                        header[2 * i:2 * i + 2] = (STATE_HEADER + len(body)).to_bytes(2, "little")
                        body += self._save_section(name)
                b.write(addr, bytes(header + body))
            else:
                header = b.read(addr, STATE_HEADER)
                for i, (name, size) in enumerate((("hw", STATE_HW), ("bda", STATE_BDA), ("dac", STATE_DAC))):
                    off = int.from_bytes(header[2 * i:2 * i + 2], "little")
                    if off and cx & (1 << i):
                        self._restore_section(name, b.read(addr + off, size))
        else:
            return
        b["al"] = 0x1C

    def _save_section(self, name: str) -> bytes:
        vga = self.bios.machine.vga
        if name == "hw":
            return bytes([vga.misc, *vga.seq, *vga.crtc, *vga.attr, *vga.gc, vga.seq_index, vga.crtc_index,
                          vga.gc_index, vga.attr_index])
        if name == "bda":
            return self.bios.read(VIDEO_MODE, 0x1E) + self.bios.read(ROWS_MINUS_1, 7)
        dac = V.dac_read(self.bus, 0, 256)
        return bytes([self.bus.read(0x3C6, 1)]) + bytes(c for rgb in dac for c in rgb)

    def _restore_section(self, name: str, data: bytes) -> None:
        bus = self.bus
        if name == "hw":
            misc, seq, crtc, attr, gc = data[0], data[1:6], data[6:31], data[31:52], data[52:61]
            bus.write(0x3C4, 1, 0)
            bus.write(0x3C5, 1, 0x01)
            bus.write(0x3C2, 1, misc)
            for i in (1, 2, 3, 4, 0):
                bus.write(0x3C4, 1, i)
                bus.write(0x3C5, 1, seq[i])
            for i in (0x11, *range(len(crtc))):
                self.crtc_write(i, crtc[i] & 0x7F if i == 0x11 else crtc[i])
            for i, value in enumerate(gc):
                bus.write(0x3CE, 1, i)
                bus.write(0x3CF, 1, value)
            for i, value in enumerate(attr):
                V.attr_write(bus, i, value)
            bus.write(0x3C4, 1, data[61])
            bus.write(V.crtc_port(bus), 1, data[62])
            bus.write(0x3CE, 1, data[63])
        elif name == "bda":
            self.bios.write(VIDEO_MODE, data[:0x1E])
            self.bios.write(ROWS_MINUS_1, data[0x1E:0x25])
        else:
            bus.write(0x3C6, 1, data[0])
            V.dac_write(bus, 0, [(data[i], data[i + 1], data[i + 2]) for i in range(1, 769, 3)])

    # --- power-on ----------------------------------------------------------------------------
    def post(self) -> None:
        """POST: equipment word says 80x25 colour, mode 3 set and cleared, the font vectors."""
        b = self.bios
        equip = b.rd16(EQUIPMENT)
        b.wr16(EQUIPMENT, (equip & ~EQUIP_VIDEO_MASK) | EQUIP_80X25_COLOUR)
        b.wr8(VIDEO_CONTROL, 0x60)                      # 256 KiB, cursor emulation on
        b.wr8(SWITCHES, FEATURES_SWITCHES)
        b.wr8(MODESET_OPTIONS, OPT_400 | OPT_VGA_ACTIVE)
        b.set_vector(0x1D, *self.rom_pointer("video_params"))
        b.set_vector(0x1F, *self.rom_pointer("font8x8", 0x400))
        self.apply_mode(MODES[3])


def install(bios: Bios) -> Video:
    """INT 10h, the video tables and fonts in the ROM, the POST hook and the BIOS console
    (AH=4Fh, VBE, is added by :func:`bios.vbe.install`)."""
    video = Video(bios)
    bios.register(0x10, video.int10)
    bios.tables["video_params"] = _crtc_table()
    bios.tables["video_static"] = _static_functionality()
    bios.tables["font8x8"] = F.font8x8()
    bios.tables["font8x14"] = F.font8x14()
    bios.tables["font8x16"] = F.font8x16()
    bios.tables["font9x14alt"] = b"\x00"          # no 9-dot alternates: the lists end at once
    bios.tables["font9x16alt"] = b"\x00"
    bios.post_hooks.append(video.post)
    bios.console_write = video.console_write
    return video
