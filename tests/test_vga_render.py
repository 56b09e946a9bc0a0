"""The VGA graphics renderer (emulator/vga_render.py) from registers set through the ports."""

from __future__ import annotations

import numpy as np
import pytest

from devices import vbe as D
from emulator import screen as SC
from emulator import vga_render as VR
from tests.bios_harness import BiosBox


@pytest.fixture(scope="module")
def shared() -> BiosBox:
    return BiosBox()


@pytest.fixture
def box(shared: BiosBox) -> BiosBox:
    shared.machine.vga.reset()
    shared.cpu.vga_planes[:] = 0
    shared.ram[0xB8000:0xC0000] = 0
    return shared


def out(box: BiosBox, port: int, *values: int) -> None:
    for v in values:
        box.machine.bus.write(port, 1, v)


def seq(box: BiosBox, index: int, value: int) -> None:
    out(box, 0x3C4, index)
    out(box, 0x3C5, value)


def gc(box: BiosBox, index: int, value: int) -> None:
    out(box, 0x3CE, index)
    out(box, 0x3CF, value)


def crtc(box: BiosBox, index: int, value: int) -> None:
    out(box, 0x3D4, index)
    out(box, 0x3D5, value)


def attr(box: BiosBox, index: int, value: int) -> None:
    box.machine.bus.read(0x3DA, 1)              # reset the flip-flop
    out(box, 0x3C0, index | 0x20, value)


def dac(box: BiosBox, index: int, rgb: tuple[int, int, int]) -> None:
    out(box, 0x3C8, index)
    out(box, 0x3C9, *rgb)


def six(rgb: tuple[int, int, int]) -> tuple[int, ...]:
    return tuple((c * 255 + 31) // 63 for c in rgb)


def set_mode(box: BiosBox, mode: int) -> None:
    box.ram[0x449] = mode


def crtc_geometry(box: BiosBox, hdisp: int, vdisp_end: int, max_scan: int, offset: int) -> None:
    crtc(box, 0x01, hdisp)
    crtc(box, 0x12, vdisp_end & 0xFF)
    crtc(box, 0x07, (vdisp_end >> 8 & 1) << 1 | (vdisp_end >> 9 & 1) << 6)
    crtc(box, 0x09, max_scan)
    crtc(box, 0x13, offset)


def mode13(box: BiosBox) -> None:
    set_mode(box, 0x13)
    seq(box, 4, 0x0E)
    gc(box, 5, 0x40)
    gc(box, 6, 0x05)
    crtc_geometry(box, 0x4F, 399, 0x41, 0x28)
    crtc(box, 0x14, 0x40)


def planar(box: BiosBox, mode: int, hdisp: int, vdisp_end: int, max_scan: int, offset: int) -> None:
    set_mode(box, mode)
    seq(box, 4, 0x06)
    gc(box, 5, 0x00)
    gc(box, 6, 0x05)
    crtc_geometry(box, hdisp, vdisp_end, max_scan, offset)
    for i in range(16):
        attr(box, i, i)
    attr(box, 0x12, 0x0F)


def test_chain4_pixel_through_dac(box: BiosBox) -> None:
    mode13(box)
    dac(box, 0x42, (63, 32, 1))
    x, y = 17, 123
    o = y * 320 + x
    box.cpu.vga_planes[o & 3, o & ~3] = 0x42
    frame = VR.render_graphics(box.machine)
    assert frame.shape == (400, 640, 3)
    assert tuple(frame[2 * y, 2 * x]) == six((63, 32, 1))
    assert tuple(frame[2 * y + 1, 2 * x + 1]) == six((63, 32, 1))
    assert not frame[2 * y, 2 * x + 2].any() and not frame[2 * y - 1, 2 * x].any()
    assert (SC.render(box.machine) == frame).all()


def test_dac_width_flag_in_a_vga_mode(box: BiosBox) -> None:
    """The VBE 8-bit DAC flag (ENABLE bit 5, written through the dispi ports) applies to VGA
    modes too; back at 6 bits only the low 6 bits of each entry count."""
    def enable(flags: int) -> None:
        box.machine.bus.write(D.INDEX_PORT, 2, D.ENABLE)
        box.machine.bus.write(D.DATA_PORT, 2, flags)

    mode13(box)
    box.cpu.vga_planes[0, 0] = 0x42
    dac(box, 0x42, (32, 16, 1))
    assert tuple(VR.render_graphics(box.machine)[0, 0]) == six((32, 16, 1))
    enable(D.DAC_8BIT)                              # the same DAC contents, now 8 bits wide
    assert tuple(VR.render_graphics(box.machine)[0, 0]) == (32, 16, 1)
    dac(box, 0x42, (0xC1, 0x80, 0xFF))
    assert tuple(VR.render_graphics(box.machine)[0, 0]) == (0xC1, 0x80, 0xFF)
    enable(0)
    assert tuple(VR.render_graphics(box.machine)[0, 0]) == six((0x01, 0x00, 0x3F))


def test_chain4_start_address_scrolls(box: BiosBox) -> None:
    mode13(box)
    dac(box, 7, (10, 20, 30))
    o = 5 * 320 + 8                                  # pixel (8, 5)
    box.cpu.vga_planes[o & 3, o & ~3] = 7
    crtc(box, 0x0C, 0)
    crtc(box, 0x0D, 80)                              # 80 doublewords = one line of 320 bytes
    frame = VR.render_graphics(box.machine)
    assert tuple(frame[2 * 4, 2 * 8]) == six((10, 20, 30))
    crtc(box, 0x0D, 82)                              # and 8 bytes (pixels) further
    frame = VR.render_graphics(box.machine)
    assert tuple(frame[2 * 4, 0]) == six((10, 20, 30))


def test_pel_mask_applies(box: BiosBox) -> None:
    mode13(box)
    dac(box, 0x02, (63, 63, 63))
    box.cpu.vga_planes[0, 0] = 0x12
    out(box, 0x3C6, 0x0F)
    assert tuple(VR.render_graphics(box.machine)[0, 0]) == (255, 255, 255)


def test_mode_x_320x240(box: BiosBox) -> None:
    mode13(box)
    seq(box, 4, 0x06)                                # chain 4 off
    crtc(box, 0x14, 0x00)
    crtc(box, 0x17, 0xE3)
    crtc_geometry(box, 0x4F, 479, 0x41, 0x28)        # 480 lines, double scanned: 240 rows
    dac(box, 9, (0, 63, 0))
    dac(box, 10, (0, 0, 63))
    x, y = 203, 239
    box.cpu.vga_planes[x & 3, y * 80 + x // 4] = 9
    box.cpu.vga_planes[(x + 1) & 3, y * 80 + (x + 1) // 4] = 10
    frame = VR.render_graphics(box.machine)
    assert frame.shape == (480, 640, 3)
    assert tuple(frame[2 * y, 2 * x]) == (0, 255, 0)
    assert tuple(frame[2 * y, 2 * x + 2]) == (0, 0, 255)
    crtc(box, 0x0D, 80)                              # start one line down (byte mode)
    frame = VR.render_graphics(box.machine)
    assert tuple(frame[2 * (y - 1), 2 * x]) == (0, 255, 0)


def test_planar_640x480_attribute_palette_and_dac(box: BiosBox) -> None:
    planar(box, 0x12, 0x4F, 479, 0x40, 0x28)
    attr(box, 0x05, 0x3A)                            # colour 5 -> DAC 3Ah
    dac(box, 0x3A, (1, 2, 3))
    y, byte = 300, 10
    box.cpu.vga_planes[0, y * 80 + byte] = 0b0100_0000   # pixel 1 of the byte: planes 0 and 2
    box.cpu.vga_planes[2, y * 80 + byte] = 0b0100_0000
    box.cpu.vga_planes[3, y * 80 + byte] = 0b0000_0001   # last pixel: colour 8
    attr(box, 0x08, 0x08)
    dac(box, 0x08, (63, 0, 0))
    frame = SC.render(box.machine)
    assert frame.shape == (480, 640, 3)
    assert tuple(frame[y, byte * 8 + 1]) == six((1, 2, 3))
    assert tuple(frame[y, byte * 8 + 7]) == (255, 0, 0)
    assert not frame[y, byte * 8].any() and not frame[y + 1, byte * 8 + 1].any()
    attr(box, 0x12, 0x07)                            # colour plane 3 disabled
    assert not VR.render_graphics(box.machine)[y, byte * 8 + 7].any()


def test_planar_colour_select(box: BiosBox) -> None:
    planar(box, 0x12, 0x4F, 479, 0x40, 0x28)
    box.cpu.vga_planes[0, 0] = 0x80                  # pixel (0, 0) colour 1 -> palette 01h
    attr(box, 0x14, 0x0D)                            # bits 3-2 -> DAC bits 7-6, bits 1-0 -> 5-4
    dac(box, 0xC1, (5, 5, 5))
    dac(box, 0xD1, (9, 9, 9))
    assert tuple(VR.render_graphics(box.machine)[0, 0]) == six((5, 5, 5))
    attr(box, 0x10, 0x81)
    assert tuple(VR.render_graphics(box.machine)[0, 0]) == six((9, 9, 9))


def test_planar_320x200_doubled_and_scrolled(box: BiosBox) -> None:
    planar(box, 0x0D, 0x27, 399, 0xC0, 0x14)         # 400 lines double scanned: 200 rows, 40 bytes
    dac(box, 0x0F, (63, 63, 63))
    box.cpu.vga_planes[:, 40 * 100 + 3] = 0x01       # pixel (31, 100), colour 15
    frame = VR.render_graphics(box.machine)
    assert frame.shape == (400, 640, 3)
    assert (frame[200:202, 62:64] == 255).all()
    assert not frame[200, 60].any()
    crtc(box, 0x0C, (40 * 10) >> 8)                  # start 10 rows down
    crtc(box, 0x0D, (40 * 10) & 0xFF)
    assert (VR.render_graphics(box.machine)[180, 62] == 255).all()


def test_planar_640x350_and_640x200(box: BiosBox) -> None:
    planar(box, 0x10, 0x4F, 349, 0x00, 0x28)
    assert VR.render_graphics(box.machine).shape == (350, 640, 3)
    planar(box, 0x0E, 0x4F, 399, 0xC0, 0x28)
    assert VR.render_graphics(box.machine).shape == (400, 640, 3)


def test_unprogrammed_crtc_uses_mode_geometry(box: BiosBox) -> None:
    set_mode(box, 0x12)
    assert SC.is_graphics(box.machine)
    assert SC.render(box.machine).shape == (480, 640, 3)


@pytest.mark.parametrize(("select", "colours"), [
    (0x30, [(0, 0, 0), (0x55, 0xFF, 0xFF), (0xFF, 0x55, 0xFF), (0xFF, 0xFF, 0xFF)]),
    (0x01, [(0, 0, 0xAA), (0, 0xAA, 0), (0xAA, 0, 0), (0xAA, 0x55, 0)]),
    (0x10, [(0, 0, 0), (0x55, 0xFF, 0x55), (0xFF, 0x55, 0x55), (0xFF, 0xFF, 0x55)]),
])
def test_cga_320x200_palettes(box: BiosBox, select: int, colours: list[tuple[int, int, int]]) -> None:
    set_mode(box, 0x04)
    box.ram[0x466] = select
    box.ram[0xB8000 + 80 * 2 + 1] = 0b00_01_10_11   # even line 4, pixels 4-7
    box.ram[0xBA000 + 80 * 2 + 1] = 0b11_00_00_00   # odd line 5, pixel 4
    frame = SC.render(box.machine)
    assert frame.shape == (400, 640, 3)
    for i in range(4):
        assert tuple(frame[8, 2 * (4 + i)]) == colours[i]
    assert tuple(frame[10, 8]) == colours[3]


def test_cga_640x200(box: BiosBox) -> None:
    set_mode(box, 0x06)
    box.ram[0x466] = 0x3F
    box.ram[0xBA000 + 80 * 99 + 79] = 0x01          # line 199, pixel 639
    frame = SC.render(box.machine)
    assert frame.shape == (400, 640, 3)
    assert tuple(frame[398, 639]) == (255, 255, 255) and tuple(frame[399, 639]) == (255, 255, 255)
    assert not frame[398, 638].any()
    box.ram[0x466] = 0x0C
    assert tuple(SC.render(box.machine)[399, 639]) == (0xFF, 0x55, 0x55)


def test_text_mode_still_text(box: BiosBox) -> None:
    set_mode(box, 0x03)
    assert not SC.is_graphics(box.machine)
    assert (SC.render(box.machine, 0) == SC.render_text(box.machine, 0)).all()


def test_bios_mode_13h_renders(box: BiosBox) -> None:
    box.call(0x10, ax=0x0013)
    frame = SC.render(box.machine)
    assert frame.shape == (400, 640, 3)
    assert np.asarray(frame).dtype == np.uint8


# --- line compare, panning, preset row scan -------------------------------------------------------
def line_compare(box: BiosBox, value: int) -> None:
    """CR18 and the overflow bits: bit 8 in CR07 bit 4, bit 9 in CR09 bit 6."""
    crtc(box, 0x18, value & 0xFF)
    regs = box.machine.vga.crtc
    crtc(box, 0x07, (regs[0x07] & ~0x10) | (value >> 8 & 1) << 4)
    crtc(box, 0x09, (regs[0x09] & ~0x40) | (value >> 9 & 1) << 6)


def planar_stripes(box: BiosBox) -> None:
    """Mode 12h registers; memory line n (80 bytes) all colour (n % 15) + 1; DAC = identity greys."""
    planar(box, 0x12, 0x4F, 479, 0x00, 0x28)
    line_compare(box, 0x3FF)
    for c in range(16):
        dac(box, c, (c * 4, c * 4, c * 4))
    for n in range(0x10000 // 80):
        colour = n % 15 + 1
        for p in range(4):
            box.cpu.vga_planes[p, n * 80:(n + 1) * 80] = 0xFF if colour >> p & 1 else 0


def grey(frame: np.ndarray, y: int, x: int) -> int:
    """The colour number of a pixel of :func:`planar_stripes` (its grey level / 4)."""
    value = int(frame[y, x, 0])
    return next(c for c in range(16) if six((c * 4,) * 3)[0] == value)


def test_planar_split_screen(box: BiosBox) -> None:
    planar_stripes(box)
    crtc(box, 0x0C, (80 * 100) >> 8)
    crtc(box, 0x0D, (80 * 100) & 0xFF)              # the upper part starts at memory line 100
    line_compare(box, 299)                           # scan lines 0-299 above, 300- from address 0
    frame = VR.render_graphics(box.machine)
    assert frame.shape == (480, 640, 3)
    assert [grey(frame, y, 5) for y in (0, 299)] == [100 % 15 + 1, 399 % 15 + 1]
    assert [grey(frame, y, 5) for y in (300, 301, 479)] == [1, 2, 179 % 15 + 1]
    line_compare(box, 0x3FF)                         # beyond the display: no split
    assert grey(VR.render_graphics(box.machine), 300, 5) == 400 % 15 + 1


def test_planar_split_in_double_scan_counts_scan_lines(box: BiosBox) -> None:
    planar_stripes(box)
    crtc(box, 0x09, 0x80)                            # double scan: each memory line twice
    line_compare(box, 100)
    frame = VR.render_graphics(box.machine)
    assert [grey(frame, y, 0) for y in (98, 99, 100)] == [49 % 15 + 1] * 2 + [50 % 15 + 1]
    assert [grey(frame, y, 0) for y in (101, 102, 103)] == [1, 1, 2]   # lower part from line 101


def test_planar_pixel_and_byte_panning(box: BiosBox) -> None:
    planar(box, 0x12, 0x4F, 479, 0x00, 0x28)
    line_compare(box, 0x3FF)
    dac(box, 0x0F, (63, 63, 63))
    box.cpu.vga_planes[:, 2] = 0x80                  # pixel 16 of memory line 0
    frame = VR.render_graphics(box.machine)
    assert (frame[0, 16] == 255).all() and not frame[0, 15].any()
    for pan in range(8):
        attr(box, 0x13, pan)
        frame = VR.render_graphics(box.machine)
        assert (frame[0, 16 - pan] == 255).all() and frame[0].any(axis=1).sum() == 1, pan
    attr(box, 0x13, 3)
    crtc(box, 0x08, 0x20)                            # byte panning 1: 8 pixels more
    assert (VR.render_graphics(box.machine)[0, 16 - 8 - 3] == 255).all()
    crtc(box, 0x08, 0x40)                            # byte panning 2: 16 + 3 pixels, off the left
    assert not VR.render_graphics(box.machine)[0].any()
    attr(box, 0x13, 0)
    assert (VR.render_graphics(box.machine)[0, 0] == 255).all()


def test_panning_below_the_split_follows_ar10_bit5(box: BiosBox) -> None:
    planar(box, 0x12, 0x4F, 479, 0x00, 0x28)
    dac(box, 0x0F, (63, 63, 63))
    box.cpu.vga_planes[:, 2] = 0x80                  # pixel 16 of memory line 0
    line_compare(box, 199)                           # memory line 0 again from scan line 200
    attr(box, 0x13, 5)
    crtc(box, 0x08, 0x20)                            # byte panning 1 and pixel panning 5
    frame = VR.render_graphics(box.machine)
    for y in (0, 200):                               # AR10 bit 5 clear: both parts panned
        assert (frame[y, 16 - 8 - 5] == 255).all() and frame[y].any(axis=1).sum() == 1, y
    attr(box, 0x10, 0x21)                            # set: the lower part is not panned
    frame = VR.render_graphics(box.machine)
    assert (frame[0, 3] == 255).all()
    assert (frame[200, 16] == 255).all() and frame[200].any(axis=1).sum() == 1


def test_planar_preset_row_scan(box: BiosBox) -> None:
    planar_stripes(box)
    crtc(box, 0x09, 0x03)                            # 4 scan lines a memory line
    frame = VR.render_graphics(box.machine)
    assert [grey(frame, y, 0) for y in (0, 3, 4)] == [1, 1, 2]
    crtc(box, 0x08, 0x02)                            # preset row scan 2: the first row is 2 lines
    frame = VR.render_graphics(box.machine)
    assert [grey(frame, y, 0) for y in (0, 1, 2, 5, 6)] == [1, 1, 2, 2, 3]


def test_chain4_split_and_panning(box: BiosBox) -> None:
    mode13(box)
    attr(box, 0x10, 0x41)                            # 8-bit colour: panning in half pixels
    line_compare(box, 0x3FF)
    for c in range(4):
        dac(box, c, (0, 0, 0) if c == 0 else (63, 0, 0) if c == 1 else (0, 63, 0) if c == 2 else (0, 0, 63))
    for x in range(320):                             # line 0: x % 4 == 1 -> 1; line 150: all 2
        o = x
        box.cpu.vga_planes[o & 3, o & ~3] = 1 if x % 4 == 1 else 0
        o = 150 * 320 + x
        box.cpu.vga_planes[o & 3, o & ~3] = 2
    crtc(box, 0x0C, (150 * 80) >> 8)
    crtc(box, 0x0D, (150 * 80) & 0xFF)               # the upper part shows line 150
    line_compare(box, 199)                           # lower part from scan line 200 (row 100)
    frame = VR.render_graphics(box.machine)
    assert tuple(frame[0, 0]) == (0, 255, 0) and tuple(frame[1, 639]) == (0, 255, 0)
    assert tuple(frame[200, 2]) == (255, 0, 0) and not frame[200, 0].any()
    attr(box, 0x13, 2)                               # 256 colours: 2 -> one pixel
    frame = VR.render_graphics(box.machine)
    assert tuple(frame[200, 0]) == (255, 0, 0) and not frame[200, 2].any()
    attr(box, 0x10, 0x61)                            # ... not below the split with AR10 bit 5
    assert tuple(VR.render_graphics(box.machine)[200, 2]) == (255, 0, 0)


def test_mode_x_pixel_panning(box: BiosBox) -> None:
    mode13(box)
    seq(box, 4, 0x06)
    crtc(box, 0x14, 0x00)
    crtc(box, 0x17, 0xE3)
    attr(box, 0x10, 0x41)
    line_compare(box, 0x3FF)
    dac(box, 9, (0, 63, 0))
    box.cpu.vga_planes[2, 1] = 9                     # pixel 6 of line 0
    assert tuple(VR.render_graphics(box.machine)[0, 12]) == (0, 255, 0)
    attr(box, 0x13, 4)                               # 2 pixels
    frame = VR.render_graphics(box.machine)
    assert tuple(frame[0, 8]) == (0, 255, 0) and not frame[0, 12].any()
