"""The Bochs-style display interface (devices/vbe.py): ports 01CEh/01CFh/01D0h and its registers."""

from __future__ import annotations

import numpy as np
import pytest

from devices import vbe as D
from devices.vga import VGA
from emulator.cpu import state as S
from emulator.portbus import PortBus

VRAM = 2 << 20                       # a small video memory keeps the tests quick


class Windows:
    """Records the windows the VGA asks the machine to route."""

    def __init__(self) -> None:
        self.calls: list[tuple[int, int]] = []

    def __call__(self, start: int, end: int) -> None:
        self.calls.append((start, end))


@pytest.fixture
def box(fake_time):
    regs = np.zeros(32, dtype=np.uint8)
    windows = Windows()
    vga = VGA(fake_time.clock, regs, windows)
    vram = np.zeros(VRAM, dtype=np.uint8)
    dev = D.DisplayInterface(regs, vram, vga)
    bus = PortBus()
    bus.attach(vga)
    bus.attach(dev)
    dev.bus = bus
    dev.windows = windows
    return dev


def wr(dev, index: int, value: int, port: int = D.DATA_PORT) -> None:
    dev.bus.write(D.INDEX_PORT, 2, index)
    dev.bus.write(port, 2, value)


def rd(dev, index: int, port: int = D.DATA_PORT) -> int:
    dev.bus.write(D.INDEX_PORT, 2, index)
    return dev.bus.read(port, 2)


def set_mode(dev, x: int, y: int, bpp: int, flags: int = D.ENABLED | D.LFB_ENABLED) -> None:
    wr(dev, D.ENABLE, 0)
    wr(dev, D.XRES, x)
    wr(dev, D.YRES, y)
    wr(dev, D.BPP, bpp)
    wr(dev, D.ENABLE, flags)


def test_id_and_memory_size(box):
    assert rd(box, D.ID) == 0xB0C5
    wr(box, D.ID, 0xB0C0)
    assert rd(box, D.ID) == 0xB0C0
    wr(box, D.ID, 0x1234)                       # not an interface ID: ignored
    assert rd(box, D.ID) == 0xB0C0
    wr(box, D.ID, 0xB0C6)
    assert rd(box, D.ID) == 0xB0C0
    assert rd(box, D.VIDEO_MEMORY_64K) == VRAM >> 16
    wr(box, D.VIDEO_MEMORY_64K, 5)              # read-only
    assert rd(box, D.VIDEO_MEMORY_64K) == VRAM >> 16
    assert box.bus.read(D.INDEX_PORT, 2) == D.VIDEO_MEMORY_64K
    assert rd(box, 0x0F) == 0                   # no such register


def test_alternate_data_port_and_byte_access(box):
    wr(box, D.XRES, 800, port=D.DATA_PORT_ALT)
    assert rd(box, D.XRES) == 800 and rd(box, D.XRES, port=D.DATA_PORT_ALT) == 800
    box.bus.write(D.INDEX_PORT, 1, D.YRES)      # byte OUTs reach the 16-bit registers
    box.bus.write(D.DATA_PORT, 1, 200)
    assert rd(box, D.YRES) == 200
    assert box.bus.read(D.DATA_PORT, 1) == 200


def test_resolution_and_depth_checks(box):
    wr(box, D.XRES, 0)
    wr(box, D.XRES, D.MAX_XRES + 1)
    assert rd(box, D.XRES) == 640
    wr(box, D.YRES, D.MAX_YRES + 8)
    assert rd(box, D.YRES) == 480
    for bpp, expect in ((16, 16), (4, 16), (12, 16), (0, 8), (15, 15), (24, 24), (32, 32)):
        wr(box, D.BPP, bpp)
        assert rd(box, D.BPP) == expect, bpp


def test_getcaps_reports_the_maximum(box):
    wr(box, D.ENABLE, D.GETCAPS)
    assert (rd(box, D.XRES), rd(box, D.YRES), rd(box, D.BPP)) == (D.MAX_XRES, D.MAX_YRES, 32)
    assert rd(box, D.ENABLE) == D.GETCAPS
    wr(box, D.ENABLE, 0)
    assert (rd(box, D.XRES), rd(box, D.YRES), rd(box, D.BPP)) == (640, 480, 8)


def test_enable_sets_the_mode_clears_memory_and_routes_the_window(box):
    box.vram[:] = 0x5A
    set_mode(box, 640, 480, 32)
    assert box.enabled and box.lfb
    assert rd(box, D.ENABLE) == D.ENABLED | D.LFB_ENABLED
    assert not box.vram.any()
    assert box.regs[S.VGA_VBE] == 1
    assert box.windows.calls[-1] == (0xA0000, 0xB0000)
    assert rd(box, D.VIRT_WIDTH) == 640
    assert rd(box, D.VIRT_HEIGHT) == VRAM // (640 * 4)
    wr(box, D.XRES, 800)                        # locked while enabled
    wr(box, D.BPP, 8)
    assert (rd(box, D.XRES), rd(box, D.BPP)) == (640, 32)
    wr(box, D.ENABLE, 0)
    assert box.regs[S.VGA_VBE] == 0 and box.windows.calls[-1] == (0, 0)


def test_noclearmem_keeps_the_picture(box):
    box.vram[:16] = 7
    set_mode(box, 320, 200, 8, D.ENABLED | D.NOCLEARMEM)
    assert box.enabled and not box.lfb
    assert (box.vram[:16] == 7).all()
    assert rd(box, D.ENABLE) == D.ENABLED          # NOCLEARMEM does not read back


def test_a_mode_too_big_for_memory_is_refused(box):
    set_mode(box, 1024, 768, 32)                    # 3 MiB > 2 MiB
    assert not box.enabled and box.regs[S.VGA_VBE] == 0


def test_bank_register(box):
    set_mode(box, 640, 480, 8, D.ENABLED)
    wr(box, D.BANK, 3)
    assert rd(box, D.BANK) == 3
    assert box.regs[S.VGA_VBE_BANK] == 3 and box.regs[S.VGA_VBE_BANK + 1] == 0
    wr(box, D.BANK, VRAM >> 16)                     # past the memory: ignored
    assert rd(box, D.BANK) == 3


def test_virtual_size_and_offsets(box):
    set_mode(box, 640, 480, 16)
    wr(box, D.VIRT_WIDTH, 1024)
    assert rd(box, D.VIRT_WIDTH) == 1024 and rd(box, D.VIRT_HEIGHT) == VRAM // 2048
    assert box.pitch == 2048
    wr(box, D.VIRT_WIDTH, 320)                      # narrower than the screen: ignored
    assert rd(box, D.VIRT_WIDTH) == 1024
    wr(box, D.VIRT_WIDTH, 2200)                     # 480 lines of 4400 bytes do not fit in 2 MiB
    assert rd(box, D.VIRT_WIDTH) == 1024
    wr(box, D.VIRT_HEIGHT, 300)                     # clamped to YRES ...
    assert rd(box, D.VIRT_HEIGHT) == 480
    wr(box, D.VIRT_HEIGHT, 0xFFFF)                  # ... and to the memory
    assert rd(box, D.VIRT_HEIGHT) == VRAM // 2048
    wr(box, D.X_OFFSET, 8)
    wr(box, D.Y_OFFSET, 10)
    assert (rd(box, D.X_OFFSET), rd(box, D.Y_OFFSET)) == (8, 10)
    assert box.display_start == 10 * 2048 + 16
    set_mode(box, 640, 480, 16)                     # enabling again starts from scratch
    assert (rd(box, D.VIRT_WIDTH), rd(box, D.X_OFFSET), rd(box, D.Y_OFFSET)) == (640, 0, 0)


def test_dac_width_flag(box):
    set_mode(box, 640, 480, 8, D.ENABLED)
    assert not box.dac_8bit
    wr(box, D.ENABLE, D.ENABLED | D.DAC_8BIT)       # already on: flags only, memory kept
    box.vram[0] = 1
    wr(box, D.ENABLE, D.ENABLED | D.DAC_8BIT)
    assert box.dac_8bit and box.vram[0] == 1 and rd(box, D.ENABLE) == D.ENABLED | D.DAC_8BIT
    # the VGA DAC keeps 8 bits through its data port and shows them unscaled
    box.bus.write(0x3C8, 1, 7)
    for value in (0xFF, 0x80, 0x41):
        box.bus.write(0x3C9, 1, value)
    box.bus.write(0x3C7, 1, 7)
    assert [box.bus.read(0x3C9, 1) for _ in range(3)] == [0xFF, 0x80, 0x41]
    assert list(box.vga.palette_rgb()[7]) == [0xFF, 0x80, 0x41]
    wr(box, D.ENABLE, D.ENABLED)                    # back to 6 bits
    box.bus.write(0x3C8, 1, 7)
    box.bus.write(0x3C9, 1, 0xFF)
    box.bus.write(0x3C7, 1, 7)
    assert box.bus.read(0x3C9, 1) == 0x3F


def test_state_round_trip_and_reset(box):
    set_mode(box, 800, 600, 8, D.ENABLED)
    wr(box, D.BANK, 2)
    box.vram[100] = 42
    saved = box.save_state()
    box.reset()
    assert not box.enabled and box.regs[S.VGA_VBE] == 0 and box.vram[100] == 0
    box.load_state(saved, D.DisplayInterface.STATE_VERSION)
    assert box.enabled and (box.xres, box.yres, box.bank) == (800, 600, 2)
    assert box.regs[S.VGA_VBE] == 1 and box.regs[S.VGA_VBE_BANK] == 2
    assert box.vram[100] == 42
    assert box.windows.calls[-1] == (0xA0000, 0xB0000)
