"""INT 10h on the VGA: mode register programming, pixels, graphics text, scrolling, palette, DAC, fonts."""

from __future__ import annotations

import numpy as np
import pytest

from bios import font as F
from bios import vga_modes as V

from .bios_harness import BiosBox


@pytest.fixture(scope="module")
def box() -> BiosBox:
    return BiosBox()


def planes(box: BiosBox) -> np.ndarray:
    return box.machine.cpu.vga_planes


def test_mode_13h_registers_and_dac(box: BiosBox) -> None:
    box.call(0x10, ax=0x0013)
    vga = box.machine.vga
    assert vga.misc == 0x63 and vga.seq[4] == 0x0E and vga.gc[5] == 0x40 and vga.gc[6] == 0x05
    assert vga.seq[2] == 0x0F and vga.attr[0x10] == 0x41 and vga.crtc[0x11] == V.MODE_REGS[0x13].crtc[0x11]
    assert vga.crtc[:0x19] == list(V.MODE_REGS[0x13].crtc)
    assert vga.attr_index & 0x20                                  # display re-enabled
    assert tuple(vga.dac[1]) == (0, 0, 0x2A) and tuple(vga.dac[6]) == (0x2A, 0x15, 0)
    assert tuple(vga.dac[31]) == (0x3F, 0x3F, 0x3F) and tuple(vga.dac[255]) == (0, 0, 0)
    out = box.call(0x10, ax=0x1015, bx=1)
    assert (out["dh"], out["ch"], out["cl"]) == (0, 0, 0x2A)


def test_pixels_mode_13h(box: BiosBox) -> None:
    box.call(0x10, ax=0x0013)
    box.call(0x10, ax=0x0C8A, bx=0, cx=5, dx=3)                  # colour 8Ah, no XOR in 13h
    o = 3 * 320 + 5
    assert planes(box)[o & 3, o & ~3] == 0x8A
    assert box.call(0x10, ax=0x0D00, bx=0, cx=5, dx=3)["al"] == 0x8A
    assert box.call(0x10, ax=0x0D00, bx=0, cx=6, dx=3)["al"] == 0


def test_pixels_mode_12h_and_xor(box: BiosBox) -> None:
    box.call(0x10, ax=0x0012)
    vga = box.machine.vga
    assert vga.misc == 0xE3 and vga.seq[4] == 0x06 and vga.gc[6] == 0x05 and vga.gc[5] == 0
    box.call(0x10, ax=0x0C05, bx=0, cx=10, dx=2)                 # colour 0101b at (10, 2)
    off, bit = 2 * 80 + 1, 0x80 >> 2
    assert [int(planes(box)[p, off]) for p in range(4)] == [bit, 0, bit, 0]
    assert box.call(0x10, ax=0x0D00, bx=0, cx=10, dx=2)["al"] == 5
    box.call(0x10, ax=0x0C83, bx=0, cx=10, dx=2)                 # XOR 0011b: 0110b
    assert [int(planes(box)[p, off]) for p in range(4)] == [0, bit, bit, 0]
    assert box.call(0x10, ax=0x0D00, bx=0, cx=10, dx=2)["al"] == 6
    box.call(0x10, ax=0x0C00, bx=0, cx=10, dx=2)
    assert not planes(box)[:, off].any()


def test_pixels_cga_modes(box: BiosBox) -> None:
    box.call(0x10, ax=0x0004)
    assert box.machine.vga.seq[4] & 0x0C == 0 and box.machine.vga.gc[5] == 0x30
    box.call(0x10, ax=0x0C02, cx=1, dx=0)                        # even line: B8000h, bits 5-4
    assert box.ram[0xB8000] == 0b00100000
    box.call(0x10, ax=0x0C03, cx=4, dx=1)                        # odd line: BA000h, next byte
    assert box.ram[0xBA001] == 0b11000000
    box.call(0x10, ax=0x0C81, cx=4, dx=1)                        # XOR 01: 10
    assert box.ram[0xBA001] == 0b10000000
    assert box.call(0x10, ax=0x0D00, cx=4, dx=1)["al"] == 2
    box.call(0x10, ax=0x0006)
    box.call(0x10, ax=0x0C01, cx=9, dx=3)                        # odd line 3: BA000h + 80
    assert box.ram[0xBA000 + 80 + 1] == 0b01000000
    assert box.call(0x10, ax=0x0D00, cx=9, dx=3)["al"] == 1
    box.call(0x10, ax=0x0C81, cx=9, dx=3)
    assert box.ram[0xBA000 + 80 + 1] == 0


def test_teletype_and_scroll_in_mode_12h(box: BiosBox) -> None:
    box.call(0x10, ax=0x0012)
    box.call(0x10, ax=0x0E41, bx=0x000E)                         # 'A' in yellow (1110b)
    glyph = F.font8x16()[ord("A") * 16:ord("A") * 16 + 16]
    column = planes(box)[:, 0:16 * 80:80]                        # byte 0 of lines 0-15
    assert bytes(column[0]) == bytes(16) and bytes(column[1]) == glyph and bytes(column[3]) == glyph
    assert box.ram[0x450] == 1
    out = box.call(0x10, ax=0x0800, bx=0)                        # read back: the character
    assert out["al"] == 0
    box.call(0x10, ax=0x0200, bx=0, dx=0x0000)
    assert box.call(0x10, ax=0x0800, bx=0)["al"] == ord("A")
    # scroll the whole screen up one row: the glyph leaves, the fill colour BH comes in
    box.call(0x10, ax=0x0200, bx=0, dx=0x0100)
    box.call(0x10, ax=0x0E42, bx=0x0001)
    box.call(0x10, ax=0x0601, bx=0x0300, cx=0, dx=0x1D4F)
    glyph_b = F.font8x16()[ord("B") * 16:ord("B") * 16 + 16]
    assert bytes(planes(box)[0, 0:16 * 80:80]) == glyph_b
    bottom = 29 * 16 * 80
    assert planes(box)[0, bottom] == 0xFF and planes(box)[1, bottom] == 0xFF and planes(box)[2, bottom] == 0
    # teletype at the bottom scrolls the graphics screen
    box.call(0x10, ax=0x0200, bx=0, dx=0x1D00)
    box.call(0x10, ax=0x0E0A, bx=0x0001)
    assert box.ram[0x451] == 29 and planes(box)[0, bottom - 16 * 80] == 0xFF
    assert planes(box)[0, bottom] == 0


def test_xor_character_in_mode_13h_and_cga(box: BiosBox) -> None:
    box.call(0x10, ax=0x0004)
    box.call(0x10, ax=0x0200, bx=0, dx=0x0000)
    box.call(0x10, ax=0x0948, bx=0x0003, cx=1)                   # 'H' colour 3
    glyph = F.font8x8()[ord("H") * 8:ord("H") * 8 + 8]
    first = glyph[0]
    expect = sum((0b11 << (14 - 2 * i)) for i in range(8) if first & (0x80 >> i))
    assert int(box.ram[0xB8000]) << 8 | int(box.ram[0xB8001]) == expect
    box.call(0x10, ax=0x0948, bx=0x0083, cx=1)                   # XOR the same: gone
    assert not box.ram[0xB8000:0xB8002].any() and not box.ram[0xBA000:0xBA002].any()


def test_dac_and_palette_registers(box: BiosBox) -> None:
    box.call(0x10, ax=0x0012)
    vga = box.machine.vga
    box.call(0x10, ax=0x1010, bx=0x0020, dx=0x1100, cx=0x2233)
    assert tuple(vga.dac[0x20]) == (0x11, 0x22, 0x33)
    out = box.call(0x10, ax=0x1015, bx=0x0020)
    assert (out["dh"], out["ch"], out["cl"]) == (0x11, 0x22, 0x33)
    box.cpu.write_phys(0x6000, bytes(range(1, 10)))
    box.call(0x10, ax=0x1012, bx=0x0040, cx=3, es=0x0600, dx=0)
    assert vga.dac[0x40:0x43].tolist() == [[1, 2, 3], [4, 5, 6], [7, 8, 9]]
    box.call(0x10, ax=0x1017, bx=0x0040, cx=3, es=0x0610, dx=0)
    assert bytes(box.ram[0x6100:0x6109]) == bytes(range(1, 10))
    box.call(0x10, ax=0x101B, bx=0x0041, cx=1)                   # grey summing of (4, 5, 6)
    assert len(set(vga.dac[0x41].tolist())) == 1 and vga.dac[0x41][0] == 5
    box.call(0x10, ax=0x1018, bx=0x000F)
    assert vga.pel_mask == 0x0F and box.call(0x10, ax=0x1019)["bl"] == 0x0F
    box.call(0x10, ax=0x1018, bx=0x00FF)
    # palette registers
    box.call(0x10, ax=0x1000, bx=0x2A03)
    assert vga.attr[3] == 0x2A and vga.attr_index & 0x20
    assert box.call(0x10, ax=0x1007, bx=0x0003)["bh"] == 0x2A
    box.call(0x10, ax=0x1001, bx=0x0500)
    assert vga.attr[0x11] == 5 and box.call(0x10, ax=0x1008)["bh"] == 5
    table = bytes(range(0x10, 0x20)) + b"\x07"
    box.cpu.write_phys(0x6200, table)
    box.call(0x10, ax=0x1002, es=0x0620, dx=0)
    assert vga.attr[:16] == list(range(0x10, 0x20)) and vga.attr[0x11] == 7
    box.call(0x10, ax=0x1009, es=0x0630, dx=0)
    assert bytes(box.ram[0x6300:0x6311]) == table
    box.call(0x10, ax=0x1003, bx=0x0001)
    assert vga.attr[0x10] & 0x08 and box.ram[0x465] & 0x20
    box.call(0x10, ax=0x1003, bx=0x0000)
    assert not vga.attr[0x10] & 0x08
    assert box.call(0x10, ax=0x1013, bx=0x0001)["ax"] == 0x1013
    assert box.call(0x10, ax=0x101A, bx=0xFFFF)["bx"] == 0


def test_back_to_text_mode_and_cursor_crtc(box: BiosBox) -> None:
    box.call(0x10, ax=0x0013)
    box.call(0x10, ax=0x0003)
    vga = box.machine.vga
    assert vga.gc[6] == 0x0E and vga.seq[4] == 0x02 and vga.misc == 0x67 and vga.attr[0x10] == 0x0C
    assert box.screen_row(0) == " " * 80 and box.ram[0xB8001] == 0x07
    box.call(0x10, ax=0x0200, bx=0, dx=0x0205)                   # row 2, column 5
    assert (vga.crtc[0x0E] << 8 | vga.crtc[0x0F]) == 2 * 80 + 5
    box.call(0x10, ax=0x0100, cx=0x2000)
    assert vga.crtc[0x0A] & 0x20
    box.call(0x10, ax=0x0100, cx=0x0D0E)
    assert vga.crtc[0x0A] & 0x3F == 0x0D and vga.crtc[0x0B] & 0x1F == 0x0E
    # a text mode set loads the ROM font into plane 2, 32 bytes a character
    glyph = F.font8x16()[ord("A") * 16:ord("A") * 16 + 16]
    assert bytes(planes(box)[2, ord("A") * 32:ord("A") * 32 + 16]) == glyph


def test_font_load_writes_plane_2(box: BiosBox) -> None:
    box.call(0x10, ax=0x0003)
    user = bytes(range(0x80, 0x90)) * 2                          # two characters of 16 bytes
    box.cpu.write_phys(0x6400, user)
    box.call(0x10, ax=0x1100, bx=0x1001, cx=2, dx=0x41, es=0x0640, bp=0)   # block 1, from 'A'
    base = 0x4000 + 0x41 * 32
    assert bytes(planes(box)[2, base:base + 16]) == user[:16]
    assert bytes(planes(box)[2, base + 32:base + 48]) == user[16:]
    assert not planes(box)[2, base + 16:base + 32].any()
    box.call(0x10, ax=0x1112, bx=0)                              # 8x8 ROM font, 50 rows
    glyph = F.font8x8()[ord("Z") * 8:ord("Z") * 8 + 8]
    assert bytes(planes(box)[2, ord("Z") * 32:ord("Z") * 32 + 8]) == glyph
    assert box.machine.vga.crtc[9] & 0x1F == 7
    box.call(0x10, ax=0x1103, bx=0x0005)
    assert box.machine.vga.seq[3] == 5
    box.call(0x10, ax=0x0003)


def test_save_restore_state(box: BiosBox) -> None:
    box.call(0x10, ax=0x0012)
    size = box.call(0x10, ax=0x1C00, cx=7)["bx"]
    assert size * 64 >= 0x20 + 65 + 0x25 + 769
    box.call(0x10, ax=0x1C01, cx=7, es=0x0700, bx=0)
    box.call(0x10, ax=0x0003)
    assert box.call(0x10, ax=0x1C02, cx=7, es=0x0700, bx=0)["al"] == 0x1C
    vga = box.machine.vga
    assert vga.seq[4] == 0x06 and vga.misc == 0xE3 and box.ram[0x449] == 0x12
    box.call(0x10, ax=0x0003)


def test_guest_memory_path_agrees_with_bios_pixels(box: BiosBox) -> None:
    cpu = box.machine.cpu
    box.call(0x10, ax=0x0013)
    cpu.vga_write(0xA0000 + 7 * 320 + 9, 0x2C)                  # chain 4, as a guest's MOV would
    assert box.call(0x10, ax=0x0D00, cx=9, dx=7)["al"] == 0x2C
    box.call(0x10, ax=0x0C11, cx=2, dx=1)
    assert cpu.vga_read(0xA0000 + 320 + 2) == 0x11
    box.call(0x10, ax=0x0012)                                    # planar: write mode 0, all planes
    cpu.vga_write(0xA0000 + 80 * 4 + 3, 0x81)
    assert box.call(0x10, ax=0x0D00, cx=24, dx=4)["al"] == 0x0F
    assert box.call(0x10, ax=0x0D00, cx=25, dx=4)["al"] == 0
    box.call(0x10, ax=0x0003)


def test_text_mode_scan_line_variants(box: BiosBox) -> None:
    vga = box.machine.vga
    box.call(0x10, ax=0x1201, bx=0x0030)                         # 350 lines
    box.call(0x10, ax=0x0003)
    assert vga.misc == 0xA3 and vga.crtc[9] & 0x1F == 13 and vga.crtc[0x12] == 0x5D and vga.seq[1] & 1
    box.call(0x10, ax=0x1202, bx=0x0030)                         # back to 400 lines
    box.call(0x10, ax=0x0003)
    assert vga.misc == 0x67 and vga.crtc[9] == 0x4F and vga.crtc[0x12] == 0x8F
