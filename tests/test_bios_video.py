"""INT 10h text-mode services, the screen reader and the BIOS fonts (bios/video.py, bios/font.py)."""

from __future__ import annotations

import time

import pytest

from bios import font as F
from bios.video import cursor_position, screen_text
from tests.bios_harness import BiosBox

SIZES = {8: F.font8x8, 14: F.font8x14, 16: F.font8x16}


# --- fonts ---------------------------------------------------------------------------------------
def glyph(height: int, code: int) -> list[int]:
    data = SIZES[height]()
    return list(data[code * height:(code + 1) * height])


def test_font_sizes_and_cache() -> None:
    t = time.perf_counter()
    assert len(F.font8x8()) == 2048 and len(F.font8x14()) == 3584 and len(F.font8x16()) == 4096
    assert time.perf_counter() - t < 1.0
    assert F.font8x16() is F.font8x16()                 # built once per process
    assert F.font(14) == F.font8x14()
    with pytest.raises(ValueError):
        F.font(10)


@pytest.mark.parametrize("height", SIZES)
def test_printable_ascii_glyphs_are_distinct(height: int) -> None:
    glyphs = [bytes(glyph(height, c)) for c in range(0x21, 0x7F)]
    assert len(set(glyphs)) == len(glyphs)
    assert all(any(g) for g in glyphs)
    assert not any(glyph(height, 0x20)) and not any(glyph(height, 0x00)) and not any(glyph(height, 0xFF))


@pytest.mark.parametrize("height", SIZES)
def test_letter_a_has_ink_in_its_middle_rows(height: int) -> None:
    rows = glyph(height, ord("A"))
    mid = F.CELLS[height]
    middle = rows[mid.cap_top + 2:mid.baseline - 1]
    assert middle and all(middle)
    assert not any(rows[mid.baseline:])                # sits on the baseline
    assert all(r & 0x01 == 0 for r in glyph(height, ord("M")))    # letters leave the 8th column blank


@pytest.mark.parametrize("height", SIZES)
def test_box_drawing_joins_at_the_cell_edges(height: int) -> None:
    line = F.CELLS[height].line
    col = F.BOX_COL
    expect_cols = {0: set(), 1: {col}, 2: {col - 1, col + 1}}
    expect_rows = {0: set(), 1: {line}, 2: {line - 1, line + 1}}
    for code in range(0xB3, 0xDB):
        arms = F.box_arms(code)
        assert arms is not None
        up, down, left, right = arms
        rows = glyph(height, code)
        ink_cols = [{x for x in range(8) if r & (0x80 >> x)} for r in rows]
        assert ink_cols[0] == expect_cols[up], hex(code)
        assert ink_cols[-1] == expect_cols[down], hex(code)
        assert {y for y in range(height) if 0 in ink_cols[y]} == expect_rows[left], hex(code)
        assert {y for y in range(height) if 7 in ink_cols[y]} == expect_rows[right], hex(code)


def test_double_frame_corner_and_cross() -> None:
    corner = F.glyph_rows(F.font8x16(), 0xC9, 16)      # ╔: outer and inner corner
    assert corner[6:9] == ["..######", "..#.....", "..#.####"] and corner[15] == "..#.#..."
    cross = F.glyph_rows(F.font8x16(), 0xCE, 16)       # ╬: four corners, an open middle
    assert cross[0] == "..#.#..." and cross[6:9] == ["###.####", "........", "###.####"]
    tee = F.glyph_rows(F.font8x16(), 0xB6, 16)         # ╢: the single line stops at the double one
    assert tee[7] == "###.#..." and tee[6] == "..#.#..."


def test_shades_and_blocks() -> None:
    data = F.font8x16()

    def lit(code: int) -> int:
        return sum(bin(b).count("1") for b in data[code * 16:(code + 1) * 16])
    assert (lit(0xB0), lit(0xB1), lit(0xB2), lit(0xDB)) == (32, 64, 96, 128)
    assert glyph(16, 0xDC) == [0] * 8 + [0xFF] * 8
    assert glyph(16, 0xDF) == [0xFF] * 8 + [0] * 8
    assert glyph(16, 0xDD) == [0xF0] * 16 and glyph(16, 0xDE) == [0x0F] * 16


def test_symbols_have_ink() -> None:
    for height in SIZES:
        for code in list(range(0x01, 0x20)) + [0x7F, 0x9E, 0xA9, 0xEC, 0xEF, 0xF0, 0xF4, 0xF5, 0xF7,
                                               0xF9, 0xFC, 0xFE]:
            assert any(glyph(height, code)), (height, hex(code))
    # ⌠ and ⌡ stack: the stem reaches the bottom and the top edge on the same column
    assert glyph(16, 0xF4)[-1] == glyph(16, 0xF5)[0] != 0


# --- INT 10h ----------------------------------------------------------------------------------------
@pytest.fixture
def box() -> BiosBox:
    return BiosBox()


def word(box: BiosBox, addr: int) -> int:
    return int(box.ram[addr]) | int(box.ram[addr + 1]) << 8


def cell(box: BiosBox, row: int, col: int, base: int = 0xB8000, cols: int = 80) -> tuple[int, int]:
    addr = base + (row * cols + col) * 2
    return int(box.ram[addr]), int(box.ram[addr + 1])


def type_text(box: BiosBox, text: str, page: int = 0) -> None:
    for ch in text.encode("cp437"):
        box.call(0x10, ax=0x0E00 | ch, bx=page << 8)


def test_post_sets_mode_3_and_prints_the_banner(box: BiosBox) -> None:
    ram = box.ram
    assert ram[0x449] == 3 and ram[0x44A] == 80 and ram[0x484] == 24 and ram[0x485] == 16
    assert word(box, 0x44C) == 0x1000 and ram[0x462] == 0
    assert word(box, 0x463) == 0x3D4
    assert (ram[0x410] & 0x30) == 0x20
    assert box.screen_row(0).startswith("pyx86 BIOS")
    assert all(box.screen_row(r) == " " * 80 for r in range(1, 25))
    assert all(ram[0xB8001:0xB8000 + 4000:2] == 0x07)
    assert cursor_position(box.machine) == (1, 0)
    # font and parameter vectors point into the ROM
    def vector(n: int) -> int:
        return word(box, n * 4 + 2) * 16 + word(box, n * 4)
    assert bytes(ram[vector(0x43):vector(0x43) + 2048]) == F.font8x8()
    assert bytes(ram[vector(0x1F):vector(0x1F) + 1024]) == F.font8x8()[1024:]
    assert ram[vector(0x1D) + 16 + 1] == 80                 # 80x25 CRTC: 80 characters displayed


def test_teletype_controls_wrap_and_scroll(box: BiosBox) -> None:
    box.call(0x10, ax=0x0200, bx=0, dx=0x0000)
    type_text(box, "AB\bC\rD")
    assert box.screen_row(0).startswith("DC")
    assert cursor_position(box.machine) == (0, 1)
    box.call(0x10, ax=0x0E07)                               # BEL: nothing written
    assert cursor_position(box.machine) == (0, 1)
    box.call(0x10, ax=0x0200, bx=0, dx=0x004F)              # last column: wraps
    type_text(box, "xy")
    assert box.screen_row(0)[79] == "x" and box.screen_row(1)[0] == "y"
    # at the bottom: LF scrolls the page up, the new line takes the attribute at the cursor
    box.call(0x10, ax=0x0200, bx=0, dx=0x1800)
    box.call(0x10, ax=0x0900 | ord("Z"), bx=0x001E, cx=1)
    box.call(0x10, ax=0x0E0A)
    assert box.screen_row(23).startswith("Z") and box.screen_row(24) == " " * 80
    assert cell(box, 24, 0) == (0x20, 0x1E)
    assert box.screen_row(0)[0] == "y"                      # everything moved up a row
    assert cursor_position(box.machine) == (24, 0)
    type_text(box, "\r\n" * 3 + "end")
    assert screen_text(box.machine)[24].startswith("end")


def test_scroll_window_up_and_down(box: BiosBox) -> None:
    for r in range(5):
        box.call(0x10, ax=0x0200, bx=0, dx=r << 8)
        box.call(0x10, ax=0x0900 | ord("a") + r, bx=0x0007, cx=10)
    box.call(0x10, ax=0x0602, bx=0x4F00, cx=0x0002, dx=0x0405)   # rows 0-4, columns 2-5, up 2
    assert box.screen_row(0)[:10] == "aaccccaaaa"
    assert box.screen_row(2)[:10] == "cceeeecccc"
    assert box.screen_row(3)[:10] == "dd    dddd" and cell(box, 3, 2) == (0x20, 0x4F)
    assert cell(box, 3, 6) == (ord("d"), 0x07)
    box.call(0x10, ax=0x0701, bx=0x1700, cx=0x0000, dx=0x0409)   # rows 0-4, columns 0-9, down 1
    assert box.screen_row(0)[:10] == " " * 10 and cell(box, 0, 0) == (0x20, 0x17)
    assert box.screen_row(1)[:10] == "aaccccaaaa"
    box.call(0x10, ax=0x0600, bx=0x7000, cx=0x0000, dx=0x184F)   # AL=0: clear the whole screen
    assert all(box.screen_row(r) == " " * 80 for r in range(25)) and cell(box, 12, 40) == (0x20, 0x70)
    box.call(0x10, ax=0x0603, bx=0x0700, cx=0x0000, dx=0xFFFF)   # a window past the screen is clipped
    assert cell(box, 24, 79) == (0x20, 0x07)


def test_write_and_read_char_attr(box: BiosBox) -> None:
    box.call(0x10, ax=0x0200, bx=0, dx=0x0A4E)              # row 10, column 78
    box.call(0x10, ax=0x0900 | ord("#"), bx=0x0031, cx=5)   # runs on into the next row
    assert box.screen_row(10)[78:] == "##" and box.screen_row(11)[:3] == "###"
    assert cell(box, 11, 2) == (ord("#"), 0x31) and cell(box, 11, 3) == (0x20, 0x07)
    assert cursor_position(box.machine) == (10, 78)          # the cursor stays
    box.call(0x10, ax=0x0A00 | ord("+"), bx=0x00FF, cx=2)   # character only
    assert cell(box, 10, 78) == (ord("+"), 0x31)
    out = box.call(0x10, ax=0x0800, bx=0)
    assert (out["al"], out["ah"]) == (ord("+"), 0x31)


def test_cursor_per_page_and_active_page(box: BiosBox) -> None:
    box.call(0x10, ax=0x0200, bx=0x0300, dx=0x0507)
    box.call(0x10, ax=0x0200, bx=0x0000, dx=0x0102)
    out = box.call(0x10, ax=0x0300, bx=0x0300)
    assert (out["dh"], out["dl"]) == (5, 7) and out["cx"] == 0x0607
    out = box.call(0x10, ax=0x0300, bx=0)
    assert (out["dh"], out["dl"]) == (1, 2)
    box.call(0x10, ax=0x0120, cx=0x2000)                    # cursor off
    assert box.call(0x10, ax=0x0300, bx=0)["cx"] == 0x2000
    # page 3: writes there, shown once selected
    box.call(0x10, ax=0x0E00 | ord("P"), bx=0x0300)
    assert box.ram[0xB8000 + 3 * 0x1000 + (5 * 80 + 7) * 2] == ord("P")
    assert cursor_position(box.machine) == (1, 2)
    box.call(0x10, ax=0x0503)
    assert box.ram[0x462] == 3 and word(box, 0x44E) == 0x3000
    assert screen_text(box.machine)[5][7] == "P" and cursor_position(box.machine) == (5, 8)
    assert box.call(0x10, ax=0x0F00)["bh"] == 3
    box.call(0x10, ax=0x0509)                               # no page 9: ignored
    assert box.ram[0x462] == 3


def test_set_mode_7_and_3_and_get_mode(box: BiosBox) -> None:
    out = box.call(0x10, ax=0x0007)
    assert out["al"] == 0x30
    ram = box.ram
    assert ram[0x449] == 7 and word(box, 0x463) == 0x3B4
    out = box.call(0x10, ax=0x0F00)
    assert (out["ah"], out["al"], out["bh"]) == (80, 7, 0)
    type_text(box, "mono")
    assert box.screen_row(0, base=0xB0000) == "mono" + " " * 76
    assert screen_text(box.machine)[0].startswith("mono")
    box.call(0x10, ax=0x0001)                               # 40x25
    assert box.call(0x10, ax=0x0F00)["ah"] == 40
    type_text(box, "x" * 41)
    assert screen_text(box.machine)[1] == "x" + " " * 39 and len(screen_text(box.machine)) == 25
    box.call(0x10, ax=0x0083)                               # mode 3, memory kept
    assert box.call(0x10, ax=0x0F00)["al"] == 0x83
    assert box.screen_row(0, cols=80)[:40] == "x" * 40
    box.call(0x10, ax=0x0003)
    assert box.call(0x10, ax=0x0F00)["al"] == 0x03 and box.screen_row(0) == " " * 80
    box.call(0x10, ax=0x0009)                               # no such mode: unchanged
    assert box.ram[0x449] == 3


def test_graphics_mode_is_recorded_and_logged_once(box: BiosBox) -> None:
    assert box.call(0x10, ax=0x0013)["al"] == 0x20
    assert box.ram[0x449] == 0x13 and box.ram[0x44A] == 40 and screen_text(box.machine) == []
    box.call(0x10, ax=0x0E41)
    box.call(0x10, ax=0x0E41)
    assert cursor_position(box.machine) == (0, 2)
    assert sum("graphics mode 13h" in line for line in box.log) == 1
    assert box.call(0x10, ax=0x1130, bx=0)["cx"] == 8


def test_write_string_modes(box: BiosBox) -> None:
    text = b"Hi\r\nthere"
    box.cpu.write_phys(0x6000, text)
    box.call(0x10, ax=0x0200, bx=0, dx=0x1410)
    box.call(0x10, ax=0x1300, bx=0x002F, cx=len(text), dx=0x0203, es=0x0600, bp=0)
    assert box.screen_row(2)[3:5] == "Hi" and box.screen_row(3)[:5] == "there"
    assert cell(box, 2, 3) == (ord("H"), 0x2F)
    assert cursor_position(box.machine) == (20, 16)          # AL=0: cursor put back
    box.call(0x10, ax=0x1301, bx=0x0070, cx=2, dx=0x0500, es=0x0600, bp=0)
    assert cursor_position(box.machine) == (5, 2) and cell(box, 5, 1) == (ord("i"), 0x70)
    pairs = bytes((ord("o"), 0x1F, ord("k"), 0x4E))
    box.cpu.write_phys(0x6100, pairs)
    box.call(0x10, ax=0x1302, bx=0, cx=2, dx=0x0600, es=0x0610, bp=0)
    assert cell(box, 6, 0) == (ord("o"), 0x1F) and cell(box, 6, 1) == (ord("k"), 0x4E)
    assert cursor_position(box.machine) == (5, 2)
    box.call(0x10, ax=0x1303, bx=0, cx=2, dx=0x184F, es=0x0610, bp=0)  # wraps at the end and scrolls
    assert cell(box, 23, 79) == (ord("o"), 0x1F) and cell(box, 24, 0) == (ord("k"), 0x4E)
    assert cursor_position(box.machine) == (24, 1)


def test_font_information(box: BiosBox) -> None:
    expect = {2: F.font8x14(), 3: F.font8x8(), 4: F.font8x8()[1024:], 6: F.font8x16()}
    for bh, data in expect.items():
        out = box.call(0x10, ax=0x1130, bx=bh << 8)
        addr = out["es"] * 16 + out["bp"]
        assert out["es"] == 0xF000
        assert bytes(box.ram[addr:addr + len(data)]) == data, bh
        assert out["cx"] == 16 and out["dl"] == 24
    for bh in (5, 7):                                       # 9-dot alternates: an empty list
        out = box.call(0x10, ax=0x1130, bx=bh << 8)
        assert box.ram[out["es"] * 16 + out["bp"]] == 0
    out = box.call(0x10, ax=0x1130, bx=0x0100)              # INT 43h
    assert bytes(box.ram[out["es"] * 16 + out["bp"]:][:2048]) == F.font8x8()
    # 8x8 font: an 80x50 screen
    box.call(0x10, ax=0x1112, bx=0)
    assert box.ram[0x484] == 49 and box.ram[0x485] == 8
    assert len(screen_text(box.machine)) == 50
    box.call(0x10, ax=0x0200, bx=0, dx=0x3100)
    type_text(box, "\nbottom")
    assert screen_text(box.machine)[49].startswith("bottom")


def test_alternate_select_dcc_state_and_vbe(box: BiosBox) -> None:
    out = box.call(0x10, ax=0x1200, bx=0x0010, cx=0xFFFF)
    assert (out["bh"], out["bl"], out["cx"]) == (0, 3, 0x0009)
    out = box.call(0x10, ax=0x1A00)
    assert out["al"] == 0x1A and out["bx"] == 0x0008
    assert box.call(0x10, ax=0x4F00, es=0x0600, di=0)["ax"] == 0x004F      # VBE (tests/test_bios_vbe.py)
    out = box.call(0x10, ax=0x1B00, bx=0, es=0x0700, di=0)
    assert out["al"] == 0x1B
    info = bytes(box.ram[0x7000:0x7040])
    assert info[4] == 3 and info[5] == 80 and info[0x22] == 25 and info[0x23] == 16
    static = int.from_bytes(info[2:4], "little") * 16 + int.from_bytes(info[0:2], "little")
    assert box.ram[static] == 0xFF and box.ram[static + 7] == 0x07
    # blink toggle lives in the mode select byte
    box.call(0x10, ax=0x1003, bx=0x0000)
    assert box.ram[0x465] & 0x20 == 0
    box.call(0x10, ax=0x1003, bx=0x0001)
    assert box.ram[0x465] & 0x20
    out = box.call(0x10, ax=0x1015, bx=0x0007)              # default DAC of a grey
    assert (out["dh"], out["ch"], out["cl"]) == (0x2A, 0x2A, 0x2A)
    # 200 scan lines: the next text mode uses the 8x8 font
    assert box.call(0x10, ax=0x1200, bx=0x0030)["al"] == 0x12
    box.call(0x10, ax=0x0003)
    assert box.ram[0x485] == 8 and box.ram[0x484] == 24


# --- text modes on the VGA: character clocks, fonts in plane 2, the frames -----------------------
@pytest.mark.parametrize(("mode", "lines", "height", "nine", "frame"), [
    (0x01, 400, 16, True, (400, 720)), (0x03, 400, 16, True, (400, 720)),
    (0x07, 400, 16, True, (400, 720)), (0x01, 350, 14, False, (350, 640)),
    (0x03, 350, 14, False, (350, 640)), (0x07, 350, 14, True, (350, 720)),
    (0x01, 200, 8, False, (400, 640)), (0x03, 200, 8, False, (400, 640)),
])
def test_text_mode_character_clock_and_font(box: BiosBox, mode: int, lines: int, height: int,
                                            nine: bool, frame: tuple[int, int]) -> None:
    """IBM VGA mode table: 400-line text modes (and mode 7 at 350 lines) use 9-dot characters,
    the 200/350-line colour forms 8-dot; the mode set leaves its font in plane 2 (map 0)."""
    from emulator import screen as SC

    vga = box.machine.vga
    box.call(0x10, ax=0x1200 | {200: 0, 350: 1, 400: 2}[lines], bx=0x0030)
    box.cpu.vga_planes[2, :0x2000] = 0x55                        # so the mode set must reload it
    box.call(0x10, ax=mode)
    try:
        assert bool(vga.seq[1] & 1) is not nine
        assert bool(vga.attr[0x10] & 0x04) is nine and vga.attr[0x13] == (8 if nine else 0)
        assert (vga.crtc[0x09] & 0x1F) + 1 == height == box.ram[0x485]
        fonts = box.cpu.vga_planes[2, :0x2000].reshape(256, 32)
        assert bytes(fonts[:, :height]) == F.font(height)
        assert not fonts[:, height:].any()
        assert SC.render(box.machine, 0).shape[:2] == frame
    finally:
        box.call(0x10, ax=0x1202, bx=0x0030)
        box.call(0x10, ax=0x0003)
