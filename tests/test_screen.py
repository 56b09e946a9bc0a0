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


def cell(frame: np.ndarray, row: int, col: int, height: int = 16) -> np.ndarray:
    return frame[row * height:(row + 1) * height, col * 8:(col + 1) * 8]


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
    assert frame.shape == (400, 640, 3) and frame.dtype == np.uint8
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
    assert frame.shape == (25 * h, 640, 3)
    glyph = ink(0x41, h)
    assert_cell(cell(frame, 0, 0, h), glyph, GREY, BLACK)
    assert_cell(cell(frame, 0, 1, h), glyph, WHITE, BLACK)
    under = glyph.copy()
    under[SC.underline_line(h)] = True
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
    assert frame.shape == (400, 640, 3)
    assert_cell(cell(frame, 49, 79, 8), ink(ord("Z"), 8), YELLOW, BLUE)


def test_40_columns(box: BiosBox) -> None:
    box.call(0x10, ax=0x0001)
    put(box, 24, 39, b"W", 0x1E, cols=40)
    frame = SC.render_text(box.machine, now_ns=CURSOR_OFF_NS)
    assert frame.shape == (400, 320, 3)
    assert_cell(cell(frame, 24, 39), ink(ord("W")), YELLOW, BLUE)


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
    assert image.get_size() == (640, 400)
    assert tuple(image.get_at((3, 3)))[:3] == BRIGHT_RED
    frame = SC.render_text(box.machine)
    assert (pygame.surfarray.array3d(image).swapaxes(0, 1) == frame).all()
    ppm = tmp_path / "shot.ppm"
    SC.screendump(box.machine, ppm)
    assert ppm.read_bytes().startswith(b"P6\n640 400\n255\n")


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
