"""The IBM VGA's register file: sequencer, CRT controller, graphics controller, attribute
controller, DAC, miscellaneous output and the input status registers.

Register behaviour follows the IBM VGA Technical Reference (and the same
chapters of the IBM PS/2 Hardware Interface Technical Reference):

* 3C4h/3C5h sequencer, 3CEh/3CFh graphics controller, 3B4h/3B5h or 3D4h/3D5h
  CRT controller: index/data pairs; the CRTC and input status 1 answer at 3Bxh
  or 3Dxh as miscellaneous output bit 0 (I/O address select) says, the other
  set reads FFh; CRTC register 11h bit 7 write-protects registers 0-7 (except
  the line compare bit 4 of register 7);
* 3C0h attribute controller: one port for index and data, told apart by a
  flip-flop that a read of input status 1 resets; index bit 5 is the palette
  address source; 3C1h reads the data;
* 3C2h writes the miscellaneous output register (3CCh reads it back); a read
  of 3C2h is input status 0 (switch sense);
* 3C6h-3C9h DAC: the PEL mask, the read and write indexes and the data port
  that steps through red, green and blue (6 bits each) and then the next entry;
  3C7h reads the DAC state (3 after a read index was set, 0 after a write index);
* input status 1 (3BAh/3DAh): bit 3 vertical retrace, bit 0 display disabled,
  both from virtual time with the 640x480-class timing (31.469 kHz lines, 449
  or 525 lines a frame), so programs that wait for retrace run.

The sequencer map mask and memory mode, the graphics controller registers,
the miscellaneous output and the latches are also kept, as bytes, where the
CPU core's VGA memory path reads them (``CPU.vga_regs``, see
:mod:`emulator.cpu.vgamem`); display memory is ``CPU.vga_planes``.

Where the window goes (a pyx86 design choice, for speed): while the
sequencer addresses memory odd/even (memory mode bit 2 clear: the text modes
and the CGA-compatible modes 4-6) the window is plain RAM, so text and CGA
pixels are ordinary memory at B8000h/B0000h and the text renderer reads it
there.  With sequential or chain-4 addressing (modes 0Dh-13h, "mode X", and a
font load into plane 2) the window the graphics controller maps (GC 6 bits
2-3) goes through the core's VGA memory path (``on_window(start, end)``
switches those pages to ``PG_VGA``).  A program that reads text-mode memory
expecting the plane layout therefore sees RAM instead.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import ClassVar

import numpy as np

from emulator.clock import Clock
from emulator.cpu import state as S

from .base import Device

LINE_NS = 31_778                 # one scan line at 31.469 kHz
H_ACTIVE_NS = 25_422             # 640 dots at 25.175 MHz; the rest of the line is blanking
V_RETRACE_LINES = 2


class VGA(Device):
    """The VGA registers; ``regs`` is the core's register byte view (``CPU.vga_regs``)."""

    NAME = "vga"
    STATE_VERSION = 1
    STATE_FIELDS: ClassVar[tuple[str, ...]] = (
        "misc", "feature", "seq_index", "seq", "crtc_index", "crtc", "gc_index", "gc",
        "attr_index", "attr_flipflop", "attr", "dac", "dac_write_index", "dac_read_index",
        "dac_component", "dac_state", "pel_mask", "subsystem_enable")

    def __init__(self, clock: Clock, regs: np.ndarray,
                 on_window: Callable[[int, int], None] | None = None) -> None:
        self.clock = clock
        self.regs = regs
        self.on_window = on_window
        self.window = (0, 0)
        #: the DAC holds 8-bit values (set by the VBE display interface, whose state it is)
        self.dac_8bit = False
        self.dac = np.zeros((256, 3), dtype=np.uint8)
        self.reset()

    def port_ranges(self) -> list[tuple[int, int]]:
        return [(0x3B4, 2), (0x3BA, 1), (0x3C0, 16), (0x3D4, 2), (0x3DA, 1)]

    def reset(self) -> None:
        """Power-on: colour I/O addresses and 400-line timing (misc 67h, as in text mode 3);
        everything else zero until the BIOS programs a mode."""
        self.misc = 0x67
        self.feature = 0
        self.subsystem_enable = 1
        self.seq_index = 0
        self.seq = [0] * 5
        self.crtc_index = 0
        self.crtc = [0] * 25
        self.gc_index = 0
        self.gc = [0] * 9
        self.attr_index = 0
        self.attr_flipflop = 0
        self.attr = [0] * 21
        self.dac[:] = 0
        self.dac_write_index = 0
        self.dac_read_index = 0
        self.dac_component = 0
        self.dac_state = 0
        self.pel_mask = 0xFF
        self.state_loaded()

    def state_loaded(self) -> None:
        """Copy the registers the core's memory path uses into its byte view."""
        regs = self.regs
        regs[S.VGA_SEQ_MAP_MASK] = self.seq[2]
        regs[S.VGA_SEQ_MEM_MODE] = self.seq[4]
        regs[S.VGA_GC : S.VGA_GC + 9] = self.gc
        regs[S.VGA_MISC_OUT] = self.misc
        self.window = (-1, -1)
        self.update_window()

    def planar_window(self) -> tuple[int, int]:
        """The physical range routed to the VGA memory path, or (0, 0) (see the module doc).
        While a VBE mode is on (``VGA_VBE`` bit 0) it is the 64 KiB bank window at A0000h."""
        if self.regs[S.VGA_VBE] & 1:
            return (0xA0000, 0xB0000)
        if not self.seq[4] & 0x0C:                        # odd/even: text and CGA modes
            return (0, 0)
        return {0: (0xA0000, 0xC0000), 1: (0xA0000, 0xB0000),
                2: (0xB0000, 0xB8000), 3: (0xB8000, 0xC0000)}[(self.gc[6] >> 2) & 3]

    def update_window(self) -> None:
        """Tell the machine when the routed window changes."""
        window = self.planar_window()
        if window != self.window:
            self.window = window
            if self.on_window is not None:
                self.on_window(*window)

    # --- helpers -----------------------------------------------------------------------
    @property
    def colour_ports(self) -> bool:
        """Miscellaneous output bit 0: CRTC and status at 3Dxh (1) or 3Bxh (0)."""
        return bool(self.misc & 1)

    def _ours(self, port: int) -> bool:
        """Whether a 3Bxh/3Dxh port is the currently selected one."""
        return (port >= 0x3D0) == self.colour_ports

    def input_status_1(self) -> int:
        """Bit 3 vertical retrace, bit 0 display disabled, from virtual time."""
        lines = 449 if (self.misc >> 6) & 3 in (1, 3) else 525    # 400-line or 480-line frame
        now = self.clock.now
        line = (now // LINE_NS) % lines
        in_vretrace = line >= lines - V_RETRACE_LINES
        blank = in_vretrace or line >= lines - 45 or now % LINE_NS >= H_ACTIVE_NS
        return (0x08 if in_vretrace else 0) | (0x01 if blank else 0)

    # --- ports -----------------------------------------------------------------------
    def io_read(self, port: int, size: int) -> int:
        if port in (0x3BA, 0x3DA):
            if not self._ours(port):
                return 0xFF
            self.attr_flipflop = 0
            return self.input_status_1()
        if port in (0x3B4, 0x3D4):
            return self.crtc_index if self._ours(port) else 0xFF
        if port in (0x3B5, 0x3D5):
            if not self._ours(port):
                return 0xFF
            return self.crtc[self.crtc_index] if self.crtc_index < len(self.crtc) else 0xFF
        if port == 0x3C0:
            return self.attr_index
        if port == 0x3C1:
            return self.attr[self.attr_index & 0x1F] if (self.attr_index & 0x1F) < 21 else 0
        if port == 0x3C2:
            return 0x10                                   # input status 0: switch sense
        if port == 0x3C3:
            return self.subsystem_enable
        if port == 0x3C4:
            return self.seq_index
        if port == 0x3C5:
            return self.seq[self.seq_index] if self.seq_index < 5 else 0xFF
        if port == 0x3C6:
            return self.pel_mask
        if port == 0x3C7:
            return self.dac_state
        if port == 0x3C8:
            return self.dac_write_index
        if port == 0x3C9:
            value = int(self.dac[self.dac_read_index, self.dac_component])
            self._step_dac("read")
            return value
        if port == 0x3CA:
            return self.feature
        if port == 0x3CC:
            return self.misc
        if port == 0x3CE:
            return self.gc_index
        if port == 0x3CF:
            return self.gc[self.gc_index] if self.gc_index < 9 else 0xFF
        return 0xFF

    def io_write(self, port: int, size: int, value: int) -> None:
        value &= 0xFF
        regs = self.regs
        if port in (0x3B4, 0x3D4):
            if self._ours(port):
                self.crtc_index = value & 0x3F
        elif port in (0x3B5, 0x3D5):
            if self._ours(port) and self.crtc_index < len(self.crtc):
                i = self.crtc_index
                if self.crtc[0x11] & 0x80 and i <= 7:
                    if i != 7:
                        return
                    value = (self.crtc[7] & ~0x10) | (value & 0x10)   # only line compare bit 8
                self.crtc[i] = value
        elif port in (0x3BA, 0x3DA):
            if self._ours(port):
                self.feature = value
        elif port == 0x3C0:
            if self.attr_flipflop == 0:
                self.attr_index = value & 0x3F
            elif (self.attr_index & 0x1F) < 21:
                self.attr[self.attr_index & 0x1F] = value
            self.attr_flipflop ^= 1
        elif port == 0x3C2:
            self.misc = value
            regs[S.VGA_MISC_OUT] = value
        elif port == 0x3C3:
            self.subsystem_enable = value & 1
        elif port == 0x3C4:
            self.seq_index = value & 7
        elif port == 0x3C5:
            if self.seq_index < 5:
                self.seq[self.seq_index] = value
                if self.seq_index == 2:
                    regs[S.VGA_SEQ_MAP_MASK] = value
                elif self.seq_index == 4:
                    regs[S.VGA_SEQ_MEM_MODE] = value
                    self.update_window()
        elif port == 0x3C6:
            self.pel_mask = value
        elif port == 0x3C7:
            self.dac_read_index = value
            self.dac_component = 0
            self.dac_state = 3
        elif port == 0x3C8:
            self.dac_write_index = value
            self.dac_component = 0
            self.dac_state = 0
        elif port == 0x3C9:
            self.dac[self.dac_write_index, self.dac_component] = value & (0xFF if self.dac_8bit else 0x3F)
            self._step_dac("write")
        elif port == 0x3CA:
            pass                                          # feature control is written at 3xAh
        elif port == 0x3CE:
            self.gc_index = value & 0x0F
        elif port == 0x3CF:
            if self.gc_index < 9:
                self.gc[self.gc_index] = value
                regs[S.VGA_GC + self.gc_index] = value
                if self.gc_index == 6:
                    self.update_window()

    def _step_dac(self, direction: str) -> None:
        """After each colour component: the next one, and after blue the next entry."""
        self.dac_component += 1
        if self.dac_component == 3:
            self.dac_component = 0
            if direction == "read":
                self.dac_read_index = (self.dac_read_index + 1) & 0xFF
            else:
                self.dac_write_index = (self.dac_write_index + 1) & 0xFF

    def palette_rgb(self) -> np.ndarray:
        """The 256 DAC entries as 8-bit RGB (6-bit values scaled), after the PEL mask.

        At 6 bits only the low 6 bits count, also of entries written while the VBE
        8-bit DAC flag was on."""
        if self.dac_8bit:
            return self.dac[np.arange(256) & self.pel_mask]
        rgb = ((self.dac.astype(np.uint16) & 0x3F) * 255 + 31) // 63
        return rgb.astype(np.uint8)[np.arange(256) & self.pel_mask]
