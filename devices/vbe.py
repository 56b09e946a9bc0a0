"""The Bochs-style VBE display interface ("dispi"): an index/data register pair that
switches the VGA card to a linear, packed-pixel mode of any size in its 16 MiB of video memory.

This is the interface the Bochs VBE BIOS, QEMU's std VGA and the Linux
``bochs`` DRM driver program (register numbers and bits as the interface's
public description, "VBE Display API", gives them):

* port 01CEh: register index (16 bits); port 01CFh: register data (16 bits);
  01D0h is also decoded as the data port (the interface's alternative data
  address for hosts where 01CFh is unaligned; 01D1h, its high byte, is
  otherwise unused).  Byte accesses reach the 16-bit registers with the byte
  as the value.

====  ===============  =====================================================
index name             behaviour here
====  ===============  =====================================================
0     ID               reads the interface version, B0C5h (the highest one
                       modelled); writes of B0C0h-B0C5h are accepted and
                       read back, other values are ignored
1     XRES             horizontal resolution, 1-MAX_XRES (others ignored)
2     YRES             vertical resolution, 1-MAX_YRES
3     BPP              bits a pixel: 8, 15, 16, 24 or 32; 0 means 8; others
                       (4 included: no planar VBE modes) are ignored
4     ENABLE           bit 0 enabled, bit 1 GETCAPS (XRES/YRES/BPP then read
                       MAX_XRES, MAX_YRES, 32), bit 5 8-bit DAC, bit 6 the
                       linear framebuffer is used, bit 7 do not clear the
                       video memory when enabling (reads back bits 0-6)
5     BANK             the 64 KiB bank shown at A0000h, 0-255 (others ignored)
6     VIRT_WIDTH       pixels a scan line in memory; at least XRES and the
                       YRES lines must fit in the video memory, else ignored
7     VIRT_HEIGHT      scan lines in memory; writes are clamped between YRES
                       and what fits in the video memory
8     X_OFFSET         first displayed pixel of a line (display start)
9     Y_OFFSET         first displayed line
0Ah   VIDEO_MEMORY_64K video memory size in 64 KiB units (256), read-only
====  ===============  =====================================================

XRES, YRES and BPP cannot change while the interface is enabled (writes are
ignored).  Enabling (a write with bit 0 set while disabled) starts the mode:
the virtual width becomes XRES, the virtual height what fits in memory, the
offsets and the bank 0, and the video memory is cleared unless bit 7 is set;
a mode that does not fit in the video memory is refused (stays disabled).
While enabled, ``CPU.vga_regs[VGA_VBE]`` bit 0 is set and the VGA device
routes A0000-AFFFF through the core's bank window
(``VGA.planar_window``), at bank ``VGA_VBE_BANK``.  The linear framebuffer is
always at physical ``LFB_PHYS`` (E0000000h).

8-bit DAC: the flag is kept here and handed to the VGA device, whose DAC data
port 3C9h then keeps all 8 bits of what a guest writes and whose palette is
shown unscaled (as :mod:`emulator.vbe_render` does); the VBE BIOS (function
09h) stores 8-bit entries directly.

The whole video memory is part of this device's saved state (``vram``), so a
snapshot restores the picture.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar

import numpy as np

from emulator.cpu import state as S

from .base import Device

if TYPE_CHECKING:
    from .vga import VGA

INDEX_PORT = 0x1CE
DATA_PORT = 0x1CF
DATA_PORT_ALT = 0x1D0

# register indexes
ID, XRES, YRES, BPP, ENABLE, BANK, VIRT_WIDTH, VIRT_HEIGHT, X_OFFSET, Y_OFFSET, VIDEO_MEMORY_64K = range(11)

ID0 = 0xB0C0
ID5 = 0xB0C5                       # 16 MiB of video memory, VIDEO_MEMORY_64K register

# ENABLE bits
ENABLED = 0x01
GETCAPS = 0x02
DAC_8BIT = 0x20
LFB_ENABLED = 0x40
NOCLEARMEM = 0x80
ENABLE_KEPT = ENABLED | GETCAPS | DAC_8BIT | LFB_ENABLED   # what ENABLE holds and reads back

MAX_XRES = 2560
MAX_YRES = 1600
MAX_BPP = 32
BPP_VALUES = (8, 15, 16, 24, 32)
BANK_SIZE = 0x10000


def bytes_per_pixel(bpp: int) -> int:
    """Bytes one pixel takes in video memory (15 bits: 2)."""
    return (bpp + 7) // 8


class DisplayInterface(Device):
    """The dispi registers; ``regs`` is ``CPU.vga_regs``, ``vram`` ``CPU.vram``."""

    NAME = "vbe"
    STATE_VERSION = 1
    STATE_FIELDS: ClassVar[tuple[str, ...]] = (
        "index", "id", "xres", "yres", "bpp", "enable", "bank", "virt_width", "virt_height",
        "x_offset", "y_offset", "vram")
    IO_WIDTHS: ClassVar[tuple[int, ...]] = (2,)

    def __init__(self, regs: np.ndarray, vram: np.ndarray, vga: VGA | None = None) -> None:
        self.regs = regs
        self.vram = vram
        self.vga = vga
        self.reset()

    def port_ranges(self) -> list[tuple[int, int]]:
        return [(INDEX_PORT, 4)]                  # 1D1h: the high byte of the 01D0h data word

    def reset(self) -> None:
        """Power-on: disabled, 640x480x8, bank 0, video memory cleared."""
        self.index = 0
        self.id = ID5
        self.xres, self.yres, self.bpp = 640, 480, 8
        self.enable = 0
        self.bank = 0
        self.virt_width, self.virt_height = 640, 480
        self.x_offset = self.y_offset = 0
        self.vram[:] = 0
        self.state_loaded()

    def state_loaded(self) -> None:
        """Mirror the enable bit and the bank into the core's register bytes; re-route the window."""
        self.regs[S.VGA_VBE] = 1 if self.enabled else 0
        self.regs[S.VGA_VBE_BANK] = self.bank & 0xFF
        self.regs[S.VGA_VBE_BANK + 1] = self.bank >> 8
        if self.vga is not None:
            self.vga.dac_8bit = self.dac_8bit
            self.vga.update_window()

    # --- derived values ----------------------------------------------------------------
    @property
    def enabled(self) -> bool:
        """Whether a dispi mode is on."""
        return bool(self.enable & ENABLED)

    @property
    def lfb(self) -> bool:
        """ENABLE bit 6: the mode was set for the linear framebuffer."""
        return bool(self.enable & LFB_ENABLED)

    @property
    def dac_8bit(self) -> bool:
        """ENABLE bit 5: the DAC is 8 bits wide."""
        return bool(self.enable & DAC_8BIT)

    @property
    def pitch(self) -> int:
        """Bytes a scan line in video memory (virtual width)."""
        return self.virt_width * bytes_per_pixel(self.bpp)

    def lines_that_fit(self, width: int) -> int:
        """Scan lines of ``width`` pixels the video memory holds (at most FFFFh)."""
        return min(len(self.vram) // max(1, width * bytes_per_pixel(self.bpp)), 0xFFFF)

    @property
    def display_start(self) -> int:
        """Byte offset in video memory of the first displayed pixel."""
        return self.y_offset * self.pitch + self.x_offset * bytes_per_pixel(self.bpp)

    # --- ports -------------------------------------------------------------------------
    def io_read(self, port: int, size: int) -> int:
        if port == INDEX_PORT:
            return self.index
        if port == DATA_PORT_ALT + 1:
            return 0xFFFF
        return self.read_register(self.index)

    def io_write(self, port: int, size: int, value: int) -> None:
        value &= 0xFFFF
        if port == INDEX_PORT:
            self.index = value
        elif port != DATA_PORT_ALT + 1:
            self.write_register(self.index, value)

    # --- registers ---------------------------------------------------------------------
    def read_register(self, index: int) -> int:
        """The value of register ``index`` (unknown registers read 0)."""
        caps = bool(self.enable & GETCAPS)
        if index == ID:
            return self.id
        if index == XRES:
            return MAX_XRES if caps else self.xres
        if index == YRES:
            return MAX_YRES if caps else self.yres
        if index == BPP:
            return MAX_BPP if caps else self.bpp
        if index == ENABLE:
            return self.enable
        if index == BANK:
            return self.bank
        if index == VIRT_WIDTH:
            return self.virt_width
        if index == VIRT_HEIGHT:
            return self.virt_height
        if index == X_OFFSET:
            return self.x_offset
        if index == Y_OFFSET:
            return self.y_offset
        if index == VIDEO_MEMORY_64K:
            return len(self.vram) // BANK_SIZE
        return 0

    def write_register(self, index: int, value: int) -> None:
        """Write register ``index`` with the checks the module docstring lists."""
        if index == ID:
            if ID0 <= value <= ID5:
                self.id = value
        elif index in (XRES, YRES, BPP):
            if self.enabled:
                return
            if index == XRES and 0 < value <= MAX_XRES:
                self.xres = value
            elif index == YRES and 0 < value <= MAX_YRES:
                self.yres = value
            elif index == BPP:
                value = value or 8
                if value in BPP_VALUES:
                    self.bpp = value
        elif index == ENABLE:
            self._write_enable(value)
        elif index == BANK:
            if value < len(self.vram) // BANK_SIZE:
                self.bank = value
                self.state_loaded()
        elif index == VIRT_WIDTH:
            if value >= self.xres and self.lines_that_fit(value) >= self.yres:
                self.virt_width = value
                self.virt_height = self.lines_that_fit(value)
        elif index == VIRT_HEIGHT:
            self.virt_height = max(self.yres, min(value, self.lines_that_fit(self.virt_width)))
        elif index == X_OFFSET:
            self.x_offset = value
        elif index == Y_OFFSET:
            self.y_offset = value

    def _write_enable(self, value: int) -> None:
        was_enabled = self.enabled
        if value & ENABLED and not was_enabled:
            if self.lines_that_fit(self.xres) < self.yres:
                value &= ~ENABLED                     # does not fit: stays disabled
            else:
                self.virt_width = self.xres
                self.virt_height = self.lines_that_fit(self.xres)
                self.x_offset = self.y_offset = 0
                self.bank = 0
                if not value & NOCLEARMEM:
                    self.vram[:] = 0
        self.enable = value & ENABLE_KEPT
        self.state_loaded()
