"""The text renderer (emulator.screen) on a machine after our BIOS's POST.

Characters and attributes are written into the text buffer, the modes and the
cursor are set through INT 10h, and the rendered pixels are compared with the
BIOS font bitmaps and the standard RGBI colours.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest

from bios import font as F
from emulator import screen as SC
from tests.bios_harness import BiosBox

RGB = tuple[int, int, int]
BLACK, BLUE, RED, BROWN = (0, 0, 0), (0, 0, 0xAA), (0xAA, 0, 0), (0xAA, 0x55, 0)
GREY, YELLOW, WHITE = (0xAA, 0xAA, 0xAA), (0xFF, 0xFF, 0x55), (0xFF, 0xFF, 0xFF)
BRIGHT_RED = (0xFF, 0x55, 0x55)
COLOUR, MONO = 0xB8000, 0xB0000
CURSOR_OFF_NS = 9 * 1_000_000_000 // 60       # frame 9: cursor hidden, characters shown
CHARS_OFF_NS = 17 * 1_000_000_000 // 60       # frame 17: blinking characters hidden


@pytest.fixture(scope="module")
def shared_box() -> BiosBox:
    return BiosBox()


@pytest.fixture
def box(shared_box: BiosBox) -> BiosBox:
    """The POSTed machine in mode 3 (80x25, cleared), cursor at 0,0."""
    shared_box.call(0x10, ax=0x0003)
    return shared_box


def put(box: BiosBox, row: int, col: int, text: bytes, attr: int, base: int = COLOUR, cols: int = 80) -> None:
    addr = base + (row * cols + col) * 2
    box.ram[addr:addr + 2 * len(text):2] = list(text)
    box.ram[addr + 1:addr + 2 * len(text):2] = attr


def cell(frame: np.ndarray, row: int, col: int, height: int = 16, dots: int = 9) -> np.ndarray:
    """The first 8 dots of a character cell (the glyph; a 9-dot cell's ninth dot is left out)."""
    return frame[row * height:(row + 1) * height, col * dots:col * dots + 8]


def ink(code: int, height: int = 16) -> np.ndarray:
    """The glyph of ``code`` in the BIOS font as a (height, 8) bool array (True: ink)."""
    rows = F.glyph_rows(F.font(height), code, height)
    return np.array([[c == "#" for c in r] for r in rows])


def assert_cell(pixels: np.ndarray, mask: np.ndarray, fg: RGB, bg: RGB) -> None:
    assert mask.any() and (~mask).any()
    assert (pixels[mask] == fg).all(), "ink colour"
    assert (pixels[~mask] == bg).all(), "paper colour"


def test_character_cell_colours(box: BiosBox) -> None:
    put(box, 2, 3, b"A", 0x1E)                       # yellow on blue
    put(box, 2, 4, b"\xdb", 0x06)                    # full block in brown
    frame = SC.render_text(box.machine, now_ns=CURSOR_OFF_NS)
    assert frame.shape == (400, 720, 3) and frame.dtype == np.uint8     # 80 9-dot characters
    assert_cell(cell(frame, 2, 3), ink(0x41), YELLOW, BLUE)
    assert (cell(frame, 2, 4)[ink(0xDB)] == BROWN).all()
    assert (cell(frame, 0, 79) == BLACK).all()     # a blank 07h cell


def test_all_sixteen_colours(box: BiosBox) -> None:
    for colour in range(16):
        put(box, 1, colour, b"\xdb", colour)
    frame = SC.render_text(box.machine, now_ns=CURSOR_OFF_NS)
    got = [tuple(int(v) for v in cell(frame, 1, c)[4, 3]) for c in range(16)]
    assert got == [tuple(c) for c in SC.PALETTE_16]


def test_cursor_at_bda_position_and_shape(box: BiosBox) -> None:
    box.call(0x10, ax=0x0200, bx=0, dx=0x050A)        # row 5, column 10
    put(box, 5, 10, b" ", 0x1E)
    frame = SC.render_text(box.machine, now_ns=0)
    pixels = cell(frame, 5, 10)
    lines = np.zeros((16, 8), bool)
    lines[13:15] = True                              # 06h-07h emulated in 16-line cells: 0Dh-0Eh
    assert_cell(pixels, lines, YELLOW, BLUE)
    # blink phase off: no cursor
    assert (cell(SC.render_text(box.machine, now_ns=CURSOR_OFF_NS), 5, 10) == BLUE).all()
    # block cursor 00h-07h, then hidden by start bit 5, then start > end
    box.call(0x10, ax=0x0100, cx=0x0007)
    pixels = cell(SC.render_text(box.machine, now_ns=0), 5, 10)
    assert (pixels[:15] == YELLOW).all() and (pixels[15] == BLUE).all()
    for shape in (0x2007, 0x0706):
        box.call(0x10, ax=0x0100, cx=shape)
        assert (cell(SC.render_text(box.machine, now_ns=0), 5, 10) == BLUE).all()


def test_cursor_lines() -> None:
    assert SC.cursor_lines(0x06, 0x07, 16, True) == (13, 14)
    assert SC.cursor_lines(0x06, 0x07, 14, True) == (11, 12)
    assert SC.cursor_lines(0x06, 0x07, 8, True) == (6, 7)
    assert SC.cursor_lines(0x06, 0x07, 16, False) == (6, 7)
    assert SC.cursor_lines(0x0E, 0x0F, 16, True) == (14, 15)
    assert SC.cursor_lines(0x04, 0x07, 16, True) == (8, 14)
    assert SC.cursor_lines(0x0B, 0x1F, 14, True) == (11, 13)
    assert SC.cursor_lines(0x26, 0x07, 16, True) is None
    assert SC.cursor_lines(0x07, 0x06, 16, True) is None


def test_cursor_of_the_active_page(box: BiosBox) -> None:
    box.call(0x10, ax=0x0200, bx=0x0100, dx=0x0102)   # page 1 cursor at 1,2
    box.call(0x10, ax=0x0501)                        # show page 1 (starts 1000h bytes in)
    put(box, 0, 0, b"P", 0x0F, base=COLOUR + 0x1000)
    screen = SC.read_text_screen(box.machine)
    assert screen is not None and screen.cursor == SC.Cursor(1, 2, 13, 14)
    frame = SC.render_text(box.machine, now_ns=CURSOR_OFF_NS)
    assert_cell(cell(frame, 0, 0), ink(ord("P")), WHITE, BLACK)
    box.call(0x10, ax=0x0500)


def test_blink_attribute(box: BiosBox) -> None:
    put(box, 3, 0, b"X", 0xCF)                       # blinking white on red (bit 7 blinks)
    on = SC.render_text(box.machine, now_ns=CURSOR_OFF_NS)
    assert_cell(cell(on, 3, 0), ink(ord("X")), WHITE, RED)
    off = SC.render_text(box.machine, now_ns=CHARS_OFF_NS)
    assert (cell(off, 3, 0) == RED).all()
    box.call(0x10, ax=0x1003, bx=0x0000)              # bit 7: bright background instead
    for now in (CURSOR_OFF_NS, CHARS_OFF_NS):
        assert_cell(cell(SC.render_text(box.machine, now_ns=now), 3, 0), ink(ord("X")), WHITE, BRIGHT_RED)


def test_mode7_monochrome(box: BiosBox) -> None:
    box.call(0x10, ax=0x0007)
    for col, attr in enumerate((0x07, 0x0F, 0x01, 0x70, 0x00)):
        put(box, 0, col, b"A", attr, base=MONO)
    put(box, 10, 0, b"X", 0xCF, base=MONO)            # outside the cursor: blinking, intense
    screen = SC.read_text_screen(box.machine)
    assert screen is not None and screen.mono
    h = screen.char_height
    frame = SC.render_text(box.machine, now_ns=CURSOR_OFF_NS)
    assert frame.shape == (25 * h, 720, 3)
    glyph = ink(0x41, h)
    assert_cell(cell(frame, 0, 0, h), glyph, GREY, BLACK)
    assert_cell(cell(frame, 0, 1, h), glyph, WHITE, BLACK)
    under = glyph.copy()
    under[box.machine.vga.crtc[0x14] & 0x1F] = True           # the CRTC underline location
    assert_cell(cell(frame, 0, 2, h), under, GREY, BLACK)
    assert_cell(cell(frame, 0, 3, h), glyph, BLACK, GREY)    # reverse video
    assert (cell(frame, 0, 4, h) == BLACK).all()               # non-display
    assert (cell(frame, 10, 0, h)[ink(ord("X"), h)] == WHITE).all()
    assert (cell(SC.render_text(box.machine, now_ns=CHARS_OFF_NS), 10, 0, h) == BLACK).all()


def test_50_rows_with_the_8x8_font(box: BiosBox) -> None:
    box.call(0x10, ax=0x1112, bx=0)                  # load the 8x8 font: 50 rows on 400 lines
    screen = SC.read_text_screen(box.machine)
    assert screen is not None and (screen.rows, screen.char_height) == (50, 8)
    put(box, 49, 79, b"Z", 0x1E)
    frame = SC.render_text(box.machine, now_ns=CURSOR_OFF_NS)
    assert frame.shape == (400, 720, 3)
    assert_cell(cell(frame, 49, 79, 8), ink(ord("Z"), 8), YELLOW, BLUE)


def test_40_columns(box: BiosBox) -> None:
    box.call(0x10, ax=0x0001)
    put(box, 24, 39, b"W", 0x1E, cols=40)
    frame = SC.render_text(box.machine, now_ns=CURSOR_OFF_NS)
    assert frame.shape == (400, 720, 3)                       # 40 9-dot characters, doubled
    assert (frame[:, 0::2] == frame[:, 1::2]).all()
    assert_cell(cell(frame[:, ::2], 24, 39), ink(ord("W")), YELLOW, BLUE)


def test_graphics_mode_gives_a_placeholder_frame(box: BiosBox) -> None:
    box.call(0x10, ax=0x0013)
    assert SC.read_text_screen(box.machine) is None
    frame = SC.render_text(box.machine)
    assert frame.shape == (400, 640, 3)
    assert (frame[:12 * 16] == 0).all() and frame.any()      # black but for the note on row 12


def test_screendump_png(box: BiosBox, tmp_path: Path) -> None:
    os.environ.setdefault("PYGAME_HIDE_SUPPORT_PROMPT", "1")
    import pygame

    put(box, 0, 0, b"\xdb", 0x0C)
    path = tmp_path / "shot.png"
    SC.screendump(box.machine, path)
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    image = pygame.image.load(str(path))
    assert image.get_size() == (720, 400)
    assert tuple(image.get_at((3, 3)))[:3] == BRIGHT_RED
    frame = SC.render_text(box.machine)
    assert (pygame.surfarray.array3d(image).swapaxes(0, 1) == frame).all()
    ppm = tmp_path / "shot.ppm"
    SC.screendump(box.machine, ppm)
    assert ppm.read_bytes().startswith(b"P6\n720 400\n255\n")


def test_crtc_cursor_and_start_address_programmed_directly(box: BiosBox) -> None:
    """A program that writes the CRT controller itself moves the cursor and scrolls the page."""
    bus = box.machine.bus
    bus.write(0x3D4, 2, 0x010E)                  # cursor location 0109h = row 3, column 25
    bus.write(0x3D4, 2, 0x090F)
    screen = SC.read_text_screen(box.machine)
    assert screen is not None and screen.cursor is not None
    assert (screen.cursor.row, screen.cursor.col) == (3, 25)
    box.ram[0xB8000 + 2 * 80] = ord("Z")         # first cell of row 1
    bus.write(0x3D4, 2, 0x000C)
    bus.write(0x3D4, 2, 0x500D)                  # start address 80: row 1 is now at the top
    screen = SC.read_text_screen(box.machine)
    assert screen.cells[0] == ord("Z")
    assert (screen.cursor.row, screen.cursor.col) == (2, 25)
    bus.write(0x3D4, 2, 0x200A)                  # cursor disabled
    assert SC.read_text_screen(box.machine).cursor is None


# --- the VGA text path: 9-dot cells, fonts in plane 2, split screen, panning ----------------------
def vga_out(box: BiosBox, port: int, index: int, value: int) -> None:
    box.machine.bus.write(port, 1, index)
    box.machine.bus.write(port + 1, 1, value)


def attr_out(box: BiosBox, index: int, value: int) -> None:
    box.machine.bus.read(0x3DA, 1)
    box.machine.bus.write(0x3C0, 1, index | 0x20)
    box.machine.bus.write(0x3C0, 1, value)


def ninth_column(frame: np.ndarray, row: int, col: int) -> np.ndarray:
    return frame[row * 16:(row + 1) * 16, col * 9 + 8]


def test_ninth_dot_line_graphics(box: BiosBox) -> None:
    put(box, 1, 0, b"\xc4\xdb\xb3A\xdf", 0x1E)      # in C0h-DFh: C4h, DBh, DFh; not: B3h, 'A'
    frame = SC.render_text(box.machine, now_ns=CURSOR_OFF_NS)
    c4 = ink(0xC4)
    assert (ninth_column(frame, 1, 0)[c4[:, 7]] == YELLOW).all()          # repeats the 8th dot
    assert (ninth_column(frame, 1, 0)[~c4[:, 7]] == BLUE).all()
    assert (ninth_column(frame, 1, 1) == YELLOW).all()                     # full block
    for col in (2, 3):                                                     # background
        assert (ninth_column(frame, 1, col) == BLUE).all()
    attr_out(box, 0x10, box.machine.vga.attr[0x10] & ~0x04)               # line graphics off
    frame = SC.render_text(box.machine, now_ns=CURSOR_OFF_NS)
    for col in range(5):
        assert (ninth_column(frame, 1, col) == BLUE).all()
    assert_cell(cell(frame, 1, 3), ink(0x41), YELLOW, BLUE)
    vga_out(box, 0x3C4, 1, box.machine.vga.seq[1] | 0x01)                 # SR01 bit 0: 8-dot
    frame = SC.render_text(box.machine, now_ns=CURSOR_OFF_NS)
    assert frame.shape == (400, 640, 3)
    assert_cell(cell(frame, 1, 3, dots=8), ink(0x41), YELLOW, BLUE)


def test_font_drawn_from_plane_2(box: BiosBox) -> None:
    put(box, 0, 0, b"AA", 0x07)
    put(box, 0, 1, b"A", 0x0F)                       # attribute bit 3 set
    plane2 = box.cpu.vga_planes[2]
    glyph = np.array([0x81, 0x42, 0x24, 0x18] * 4, dtype=np.uint8)        # an X, 16 lines
    plane2[0x41 * 32:0x41 * 32 + 16] = glyph
    mask = np.unpackbits(glyph[:, None], axis=1).astype(bool)
    frame = SC.render_text(box.machine, now_ns=CURSOR_OFF_NS)
    assert_cell(cell(frame, 0, 0), mask, GREY, BLACK)
    assert_cell(cell(frame, 0, 1), mask, WHITE, BLACK)
    # a second font in map 1 (16 KiB) for attribute bit 3 set: 512 characters
    plane2[0x4000 + 0x41 * 32:0x4000 + 0x41 * 32 + 16] = 0xF0
    vga_out(box, 0x3C4, 3, 0x04)                     # bits 3-2 = 1: map 1 for bit 3 set
    frame = SC.render_text(box.machine, now_ns=CURSOR_OFF_NS)
    assert_cell(cell(frame, 0, 0), mask, GREY, BLACK)
    left = np.zeros((16, 8), bool)
    left[:, :4] = True
    assert_cell(cell(frame, 0, 1), left, WHITE, BLACK)
    vga_out(box, 0x3C4, 3, 0x00)
    box.call(0x10, ax=0x0003)                        # the mode set reloads the BIOS font
    put(box, 0, 0, b"A", 0x07)
    assert_cell(cell(SC.render_text(box.machine, now_ns=CURSOR_OFF_NS), 0, 0), ink(0x41), GREY, BLACK)


def test_font_map_bases() -> None:
    assert SC.font_map_bases(0x00) == (0, 0)
    assert SC.font_map_bases(0x04) == (0x4000, 0)    # bits 3-2 for attribute bit 3 set
    assert SC.font_map_bases(0x01) == (0, 0x4000)    # bits 1-0 for it clear
    assert SC.font_map_bases(0x20) == (0x2000, 0)    # bit 5: the upper 8 KiB (map 4)
    assert SC.font_map_bases(0x1F) == (0xC000, 0xE000)


def test_user_font_through_int10(box: BiosBox) -> None:
    """AX=1110h loads a font from ES:BP into plane 2 and sets the character height."""
    glyphs = bytes([0xFF, 0x00] * 4 + [0x3C] * 8) * 2        # two 16-line characters
    box.ram[0x5000:0x5000 + len(glyphs)] = list(glyphs)
    box.call(0x10, ax=0x1110, bx=0x1000, cx=2, dx=0x61, es=0x0500, bp=0)   # 'a' and 'b'
    put(box, 0, 0, b"abc", 0x07)
    frame = SC.render_text(box.machine, now_ns=CURSOR_OFF_NS)
    mask = np.unpackbits(np.frombuffer(glyphs[:16], dtype=np.uint8)[:, None], axis=1).astype(bool)
    assert_cell(cell(frame, 0, 0), mask, GREY, BLACK)
    assert_cell(cell(frame, 0, 1), mask, GREY, BLACK)
    assert_cell(cell(frame, 0, 2), ink(0x63), GREY, BLACK)   # 'c' still the BIOS font
    box.call(0x10, ax=0x0003)


def test_text_split_screen_and_panning(box: BiosBox) -> None:
    put(box, 0, 0, b"T", 0x07)                       # address 0: the lower part's first row
    put(box, 10, 0, b"U", 0x07)
    vga_out(box, 0x3D4, 0x0C, (80 * 10) >> 8)
    vga_out(box, 0x3D4, 0x0D, (80 * 10) & 0xFF)      # the upper part starts at row 10
    crtc = box.machine.vga.crtc
    vga_out(box, 0x3D4, 0x18, 191)                   # split after scan line 191 (12 rows)
    vga_out(box, 0x3D4, 0x07, crtc[0x07] & ~0x10)
    vga_out(box, 0x3D4, 0x09, crtc[0x09] & ~0x40)
    frame = SC.render_text(box.machine, now_ns=CURSOR_OFF_NS)
    assert frame.shape == (400, 720, 3)
    assert_cell(cell(frame, 0, 0), ink(ord("U")), GREY, BLACK)
    assert_cell(cell(frame, 12, 0), ink(ord("T")), GREY, BLACK)
    # pixel panning (9-dot: 8 = none, 0-7 = 1-8 dots) moves both parts, AR10 bit 5 only the upper
    attr_out(box, 0x13, 2)                           # 3 dots
    frame = SC.render_text(box.machine, now_ns=CURSOR_OFF_NS)
    for row, ch in ((0, "U"), (12, "T")):
        shifted = frame[row * 16:(row + 1) * 16, 0:5]
        assert ((shifted == GREY).all(axis=2) == ink(ord(ch))[:, 3:]).all()
    attr_out(box, 0x10, box.machine.vga.attr[0x10] | 0x20)
    frame = SC.render_text(box.machine, now_ns=CURSOR_OFF_NS)
    assert_cell(cell(frame, 12, 0), ink(ord("T")), GREY, BLACK)
    attr_out(box, 0x10, box.machine.vga.attr[0x10] & ~0x20)
    attr_out(box, 0x13, 8)
    # preset row scan: the upper part starts 5 lines into its first row
    vga_out(box, 0x3D4, 0x08, 5)
    frame = SC.render_text(box.machine, now_ns=CURSOR_OFF_NS)
    assert ((frame[0:11, 0:8] == GREY).all(axis=2) == ink(ord("U"))[5:]).all()
    assert_cell(cell(frame, 12, 0), ink(ord("T")), GREY, BLACK)         # the lower part is not
    vga_out(box, 0x3D4, 0x08, 0)
    box.call(0x10, ax=0x0003)


def test_frame_watch(box: BiosBox) -> None:
    """The window's redraw test: registers, text memory, planes (dirty flag or a direct write)."""
    from emulator.cpu import state as S

    box.call(0x10, ax=0x0100, cx=0x2000)             # cursor off: nothing blinks
    watch = SC.FrameWatch()
    assert watch.changed(box.machine, 0)
    assert not watch.changed(box.machine, 0)
    box.ram[0xB8000 + 2 * 100] ^= 1                  # text memory
    assert watch.changed(box.machine, 0) and not watch.changed(box.machine, 0)
    box.cpu.vga_planes[2, 5] ^= 1                    # a direct (BIOS) write to the font plane
    assert watch.changed(box.machine, 0) and not watch.changed(box.machine, 0)
    box.cpu.vga_regs[S.VGA_DIRTY] = 1                # the CPU wrote display memory
    assert watch.changed(box.machine, 0)
    assert watch.changed(box.machine, 0)             # the planes are looked at again once
    assert not watch.changed(box.machine, 0)
    box.cpu.vga_planes[2, 5] ^= 1
    assert watch.changed(box.machine, 0)
    box.call(0x10, ax=0x1010, bx=0x0007, dx=0x0100, cx=0x0203)   # a DAC entry
    assert watch.changed(box.machine, 0) and not watch.changed(box.machine, 0)
    box.call(0x10, ax=0x0100, cx=0x0607)             # cursor on: the blink phase matters
    watch.changed(box.machine, 0)
    assert watch.changed(box.machine, 9 * 1_000_000_000 // 60)


def test_frame_watch_in_a_vbe_mode(box: BiosBox) -> None:
    """In a VBE mode the frame changes with the framebuffer (written on the fast path, no
    dirty flag) and the palette, and not otherwise; leaving the mode is a change."""
    assert box.call(0x10, ax=0x4F02, bx=0x4101)["ax"] == 0x004F     # 640x480x8, linear
    watch = SC.FrameWatch()
    assert watch.changed(box.machine, 0)
    assert not watch.changed(box.machine, 0)
    box.machine.vbe.vram[640 * 10 + 3] = 7
    assert watch.changed(box.machine, 0) and not watch.changed(box.machine, 0)
    box.call(0x10, ax=0x1010, bx=0x0007, dx=0x0100, cx=0x0203)       # DAC entry 7
    assert watch.changed(box.machine, 0) and not watch.changed(box.machine, 0)
    box.call(0x10, ax=0x0003)
    assert watch.changed(box.machine, 0)
