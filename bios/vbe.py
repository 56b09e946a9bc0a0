"""INT 10h AH=4Fh: the VESA BIOS Extensions (VBE Core Functions 3.0) on the Bochs-style
display interface (:mod:`devices.vbe`).

Every function returns its status in AX (VBE 3.0, "VBE Return Status"):
AL = 4Fh the function is supported, AH = 00h success, 01h failed, 02h not
supported in the current hardware configuration, 03h invalid in the current
video mode.  Function numbers not listed below return with AX unchanged (AL is
then not 4Fh: "not supported").

=====  ==========================================================================
AL     function
=====  ==========================================================================
00h    controller information: the 256-byte VbeInfoBlock, or the 512-byte VBE 2.0
       one when the caller puts 'VBE2' in the signature; version 0300h, DAC
       width switchable (capabilities bit 0), 256 blocks of 64 KiB.  The mode
       list is written into the block's reserved area (offset 22h) and, for a
       'VBE2' caller, the OEM, vendor, product and revision strings into its
       OemData area (offset 100h), as VBE 2.0 allows; a VBE 1.x caller gets the
       OEM string of the BIOS ROM (F000:0000, the ROM's banner).
01h    mode information (256-byte ModeInfoBlock, VBE 3.0 fields): every mode is
       colour graphics, not VGA-compatible, with window A (A000h, 64 KiB,
       granularity 64 KiB, readable and writeable; WinFuncPtr is a far routine
       in the ROM doing function 05h with the caller's BX and DX) and the linear
       framebuffer at PhysBasePtr = E0000000h; memory model 4 (packed pixel,
       8 bpp) or 6 (direct colour) with the RGB field sizes and positions.
02h    set mode BX: bits 0-8 mode, bit 14 linear framebuffer, bit 15 keep the
       video memory; bit 11 (CRTC timings) is ignored.  Mode numbers below 100h
       are standard VGA modes set as INT 10h AH=00h does.
03h    current mode (bits 14 and 15 as at the set; a VGA mode's number else).
04h    save/restore state: DL=00h size (BX, 64-byte blocks), 01h save, 02h
       restore at ES:BX; CX bit 0 VGA registers, 1 BIOS data, 2 DAC, 3 the
       display interface registers.  The buffer layout is pyx86's own: a
       32-byte header of four section offsets (0: absent), then the sections.
05h    window control: BH=00h set window A to bank DX (64 KiB units), 01h get;
       fails with 034Fh in a linear framebuffer mode (VBE 2.0).
06h    logical scan line length: BL=00h set in pixels (CX), 01h get, 02h set in
       bytes, 03h get the maximum; BX bytes, CX pixels, DX scan lines.  A line
       too long for the video memory fails with 024Fh.
07h    display start: BL=00h/80h set (CX pixel, DX line; 80h "during retrace"
       is the same here, frames are drawn from memory), 01h get, 02h/82h set
       by byte address ECX, 04h scheduled flip status (always done).
08h    DAC palette format: BL=00h set BH bits (8 or more: 8, else 6), 01h get.
09h    palette data: BL=00h/80h set, 01h get CX entries from DX at ES:DI
       (blue, green, red, alignment bytes; 6 or 8 bits as function 08h set);
       secondary palettes (02h, 03h) are not supported (024Fh).
0Ah    protected-mode interface: not provided (014Fh).
=====  ==========================================================================

Modes (the VESA numbers of VBE 1.2; the 8 bpp 320x200 and the 32 bpp ones are
pyx86's own numbers, as VBE 2.0 leaves new modes to the OEM and has callers
find them through functions 00h and 01h):

=========  =====  =====  =====  =====  =====
size       8 bpp  15     16     24     32
=========  =====  =====  =====  =====  =====
320x200    140h   10Dh   10Eh   10Fh   143h
640x400    100h
640x480    101h   110h   111h   112h   141h
800x600    103h   113h   114h   115h   142h
1024x768   105h   116h   117h   118h   144h
=========  =====  =====  =====  =====  =====

Setting a VBE mode programs the VGA as for mode 13h (its registers, the
standard 256-colour DAC table, the BIOS data area: 449h reads 13h) and then
the display interface; INT 10h AH=00h turns the interface off (and the DAC
back to 6 bits) before it sets a standard mode, so text mode 3 after a VBE
mode is plain text again, whoever turned the interface on.  Functions 05h-08h
(08h: setting) answer 034Fh while no VBE mode is on.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from devices import vbe as D
from emulator.cpu import state as S

from . import video as V
from .rom import ROM_SEG

if TYPE_CHECKING:
    from devices.vbe import DisplayInterface

    from .bios import Bios
    from .video import Video

VBE_VERSION = 0x0300
OEM_SOFTWARE_REV = 0x0100
OK = 0x004F
FAILED = 0x014F
NOT_SUPPORTED = 0x024F          # not supported in the current hardware configuration
INVALID_IN_MODE = 0x034F        # invalid in the current video mode

LFB_BIT = 0x4000                # mode number bit 14: use the linear framebuffer
KEEP_MEMORY_BIT = 0x8000        # bit 15: do not clear the video memory
MODE_MASK = 0x01FF

MODE_LIST_OFFSET = 0x22         # VbeInfoBlock reserved area
OEM_DATA_OFFSET = 0x100         # VbeInfoBlock OemData area (VBE 2.0 block)
OEM_STRINGS = (b"pyx86 VBE", b"pyx86", b"pyx86 VGA with Bochs-style display interface", b"1.0")

STATE_HEADER = 32
STATE_SVGA = 18                 # nine 16-bit display interface registers


@dataclass(frozen=True)
class VbeMode:
    """One VBE mode: number, resolution and bits a pixel."""

    number: int
    width: int
    height: int
    bpp: int

    @property
    def bytes_per_pixel(self) -> int:
        return D.bytes_per_pixel(self.bpp)

    @property
    def pitch(self) -> int:
        return self.width * self.bytes_per_pixel

    @property
    def memory_model(self) -> int:
        """ModeInfoBlock MemoryModel: 4 packed pixel, 6 direct colour."""
        return 4 if self.bpp == 8 else 6

    def fields(self) -> tuple[tuple[int, int], ...]:
        """(size, position) of the red, green, blue and reserved fields (zeros at 8 bpp)."""
        return {8: ((0, 0), (0, 0), (0, 0), (0, 0)),
                15: ((5, 10), (5, 5), (5, 0), (1, 15)),
                16: ((5, 11), (6, 5), (5, 0), (0, 0)),
                24: ((8, 16), (8, 8), (8, 0), (0, 0)),
                32: ((8, 16), (8, 8), (8, 0), (8, 24))}[self.bpp]


MODES: dict[int, VbeMode] = {m.number: m for m in (
    VbeMode(0x100, 640, 400, 8), VbeMode(0x101, 640, 480, 8), VbeMode(0x103, 800, 600, 8),
    VbeMode(0x105, 1024, 768, 8),
    VbeMode(0x10D, 320, 200, 15), VbeMode(0x10E, 320, 200, 16), VbeMode(0x10F, 320, 200, 24),
    VbeMode(0x110, 640, 480, 15), VbeMode(0x111, 640, 480, 16), VbeMode(0x112, 640, 480, 24),
    VbeMode(0x113, 800, 600, 15), VbeMode(0x114, 800, 600, 16), VbeMode(0x115, 800, 600, 24),
    VbeMode(0x116, 1024, 768, 15), VbeMode(0x117, 1024, 768, 16), VbeMode(0x118, 1024, 768, 24),
    VbeMode(0x140, 320, 200, 8), VbeMode(0x141, 640, 480, 32), VbeMode(0x142, 800, 600, 32),
    VbeMode(0x143, 320, 200, 32), VbeMode(0x144, 1024, 768, 32),
)}


def find_mode(width: int, height: int, bpp: int) -> VbeMode | None:
    """The VBE mode of this geometry, if there is one."""
    for mode in MODES.values():
        if (mode.width, mode.height, mode.bpp) == (width, height, bpp):
            return mode
    return None


def mode_info_block(mode: VbeMode, vram_size: int, win_func: tuple[int, int] = (0, 0)) -> bytes:
    """The 256-byte ModeInfoBlock of ``mode`` (VBE 3.0, function 01h); ``win_func`` is the
    (segment, offset) of the window function."""
    info = bytearray(256)

    def put16(offset: int, value: int) -> None:
        info[offset:offset + 2] = value.to_bytes(2, "little")

    # attributes: supported, reserved (1), colour, graphics, not VGA compatible, LFB available
    put16(0x00, 0x0001 | 0x0002 | 0x0008 | 0x0010 | 0x0020 | 0x0080)
    info[0x02] = 0x07                             # window A: exists, readable, writeable
    info[0x03] = 0x00                             # no window B
    put16(0x04, 64)                               # granularity, KiB
    put16(0x06, 64)                               # size, KiB
    put16(0x08, 0xA000)
    put16(0x0A, 0x0000)
    put16(0x0C, win_func[1])                      # WinFuncPtr (offset, segment)
    put16(0x0E, win_func[0])
    put16(0x10, mode.pitch)
    put16(0x12, mode.width)
    put16(0x14, mode.height)
    info[0x16], info[0x17] = 8, 16                # character cell
    info[0x18] = 1                                # planes
    info[0x19] = mode.bpp
    info[0x1A] = 1                                # banks
    info[0x1B] = mode.memory_model
    info[0x1C] = 0                                # bank size (no CGA-style banks)
    pages = min(vram_size // (mode.pitch * mode.height), 256) - 1
    info[0x1D] = pages                            # image pages - 1
    info[0x1E] = 1                                # reserved, 1
    fields = mode.fields()
    field_bytes = bytes(v for field in fields for v in field)
    info[0x1F:0x27] = field_bytes
    info[0x27] = 0x02 if fields[3][0] else 0x00   # reserved field usable by the application
    info[0x28:0x2C] = S.LFB_PHYS.to_bytes(4, "little")
    # 2Ch-31h: OffScreenMemOffset/Size, reserved (0) in VBE 3.0
    put16(0x32, mode.pitch)                       # LinBytesPerScanLine
    info[0x34] = pages                            # BnkNumberOfImagePages
    info[0x35] = pages                            # LinNumberOfImagePages
    info[0x36:0x3E] = field_bytes                 # the Lin* copies of the field sizes and positions
    info[0x3E:0x42] = bytes(4)                    # MaxPixelClock: not reported
    return bytes(info)


# The window function (VBE 3.0, 4.8 "Direct Window Function Call"): BH, BL and DX as for
# function 05h, AX and DX not preserved: MOV AX,4F05h; INT 10h; RETF
WINDOW_FUNCTION = bytes([0xB8, 0x05, 0x4F, 0xCD, 0x10, 0xCB])


def install(bios: Bios, video: Video) -> VbeService:
    """INT 10h AH=4Fh and the AH=00h hook on ``video``; the window function in the ROM."""
    bios.tables["vbe_window"] = WINDOW_FUNCTION
    return VbeService(video)


class VbeService:
    """INT 10h AH=4Fh for one machine; its state is the display interface's registers and the
    BIOS data area, so a snapshot holds it."""

    def __init__(self, video: Video) -> None:
        self.video = video
        self.bios = video.bios
        self.dev: DisplayInterface = video.bios.machine.vbe
        self.functions: dict[int, Callable[[], None]] = {
            0x00: self.controller_info, 0x01: self.mode_info, 0x02: self.set_mode,
            0x03: self.current_mode, 0x04: self.save_restore, 0x05: self.window,
            0x06: self.scan_line_length, 0x07: self.display_start, 0x08: self.dac_format,
            0x09: self.palette_data, 0x0A: self.protected_mode_interface,
        }
        video.functions[0x4F] = self.call
        # INT 10h AH=00h: a standard VGA mode set turns the display interface off first
        self._set_vga_mode = video.functions[0x00]
        video.functions[0x00] = self.set_vga_mode

    # --- helpers -------------------------------------------------------------------------
    def call(self) -> None:
        """Dispatch on AL."""
        fn = self.functions.get(self.bios["al"])
        if fn is not None:
            fn()

    def status(self, ax: int) -> None:
        self.bios["ax"] = ax

    def vbe_mode_on(self) -> bool:
        """Whether a VBE mode is on; if not, AX = 034Fh (not valid in the current mode)."""
        if not self.dev.enabled:
            self.status(INVALID_IN_MODE)
            return False
        return True

    def write_register(self, index: int, value: int) -> None:
        """A display interface register, through its ports."""
        bus = self.video.bus
        bus.write(D.INDEX_PORT, 2, index)
        bus.write(D.DATA_PORT, 2, value & 0xFFFF)

    def read_register(self, index: int) -> int:
        bus = self.video.bus
        bus.write(D.INDEX_PORT, 2, index)
        return bus.read(D.DATA_PORT, 2)

    def dispi_off(self) -> None:
        """Turn the display interface off (8-bit DAC off too)."""
        if self.read_register(D.ENABLE) & (D.ENABLED | D.DAC_8BIT):
            self.write_register(D.ENABLE, 0)

    def current(self) -> VbeMode | None:
        """The VBE mode on, or None (a VGA mode, or a geometry of no listed mode)."""
        dev = self.dev
        if not dev.enabled:
            return None
        return find_mode(dev.xres, dev.yres, dev.bpp)

    def set_vga_mode(self) -> None:
        """INT 10h AH=00h with the display interface turned off first."""
        self.dispi_off()
        self._set_vga_mode()

    # --- 00h, 01h ------------------------------------------------------------------------
    def controller_info(self) -> None:
        """00h: the VbeInfoBlock at ES:DI (VBE 3.0 section 4.3)."""
        b = self.bios
        es, di = b["es"], b["di"]
        addr = b.linear(es, di)
        vbe2 = b.read(addr, 4) == b"VBE2"
        info = bytearray(512 if vbe2 else 256)

        def put16(offset: int, value: int) -> None:
            info[offset:offset + 2] = value.to_bytes(2, "little")

        def far(offset: int, seg: int, off: int) -> None:
            put16(offset, off)
            put16(offset + 2, seg)

        info[0:4] = b"VESA"
        put16(0x04, VBE_VERSION)
        info[0x0A:0x0E] = (1).to_bytes(4, "little")        # DAC width switchable
        modes = b"".join(n.to_bytes(2, "little") for n in MODES) + b"\xff\xff"
        info[MODE_LIST_OFFSET:MODE_LIST_OFFSET + len(modes)] = modes
        far(0x0E, es, (di + MODE_LIST_OFFSET) & 0xFFFF)
        put16(0x12, len(self.dev.vram) // D.BANK_SIZE)
        put16(0x14, OEM_SOFTWARE_REV)
        if vbe2:
            at = OEM_DATA_OFFSET
            for field, text in zip((0x06, 0x16, 0x1A, 0x1E), OEM_STRINGS, strict=True):
                info[at:at + len(text) + 1] = text + b"\0"
                far(field, es, (di + at) & 0xFFFF)
                at += len(text) + 1
        else:
            far(0x06, ROM_SEG, 0)                           # the ROM's banner
        b.write(addr, bytes(info))
        self.status(OK)

    def mode_info(self) -> None:
        """01h: the ModeInfoBlock of mode CX at ES:DI (VBE 3.0 section 4.4)."""
        b = self.bios
        mode = MODES.get(b["cx"] & 0x3FFF)
        if mode is None:
            self.status(FAILED)
            return
        info = mode_info_block(mode, len(self.dev.vram), self.video.rom_pointer("vbe_window"))
        b.write(b.linear(b["es"], b["di"]), info)
        self.status(OK)

    # --- 02h, 03h ------------------------------------------------------------------------
    def set_mode(self) -> None:
        """02h: set mode BX (VBE 3.0 section 4.5)."""
        b = self.bios
        bx = b["bx"]
        number = bx & MODE_MASK
        if number < 0x100:
            if number & 0x7F not in V.MODES:
                self.status(FAILED)
                return
            b["al"] = number | (0x80 if bx & KEEP_MEMORY_BIT else 0)
            self.set_vga_mode()
            self.status(OK)
            return
        mode = MODES.get(number)
        if mode is None:
            self.status(FAILED)
            return
        keep = bool(bx & KEEP_MEMORY_BIT)
        self.dispi_off()
        self.video.apply_mode(V.MODES[0x13], clear=False)     # VGA registers, DAC, BIOS data
        ctl = b.rd8(V.VIDEO_CONTROL) & ~V.CTL_NO_CLEAR
        b.wr8(V.VIDEO_CONTROL, ctl | (V.CTL_NO_CLEAR if keep else 0))
        self.write_register(D.XRES, mode.width)
        self.write_register(D.YRES, mode.height)
        self.write_register(D.BPP, mode.bpp)
        self.write_register(D.ENABLE, D.ENABLED | (D.LFB_ENABLED if bx & LFB_BIT else 0)
                            | (D.NOCLEARMEM if keep else 0))
        self.status(OK if self.dev.enabled else FAILED)

    def current_mode(self) -> None:
        """03h: BX = the current mode (VBE 3.0 section 4.6)."""
        b = self.bios
        keep = KEEP_MEMORY_BIT if b.rd8(V.VIDEO_CONTROL) & V.CTL_NO_CLEAR else 0
        if not self.dev.enabled:
            b["bx"] = (b.rd8(V.VIDEO_MODE) & 0x7F) | keep
            self.status(OK)
            return
        mode = self.current()
        if mode is None:
            self.status(FAILED)
            return
        b["bx"] = mode.number | (LFB_BIT if self.dev.lfb else 0) | keep
        self.status(OK)

    # --- 04h -----------------------------------------------------------------------------
    def save_restore(self) -> None:
        """04h: save or restore the video state (VBE 3.0 section 4.7)."""
        b = self.bios
        dl, cx = b["dl"], b["cx"] & 0x0F
        sizes = ((0, "hw", V.STATE_HW), (1, "bda", V.STATE_BDA), (2, "dac", V.STATE_DAC),
                 (3, "svga", STATE_SVGA))
        chosen = [(bit, name, size) for bit, name, size in sizes if cx & (1 << bit)]
        if dl == 0x00:
            b["bx"] = (STATE_HEADER + sum(size for _bit, _name, size in chosen) + 63) // 64
        elif dl == 0x01:
            header, body = bytearray(STATE_HEADER), bytearray()
            for bit, name, _size in chosen:
                header[2 * bit:2 * bit + 2] = (STATE_HEADER + len(body)).to_bytes(2, "little")
                body += self._save_svga() if name == "svga" else self.video._save_section(name)
            b.write(b.linear(b["es"], b["bx"]), bytes(header + body))
        elif dl == 0x02:
            addr = b.linear(b["es"], b["bx"])
            header = b.read(addr, STATE_HEADER)
            for bit, name, size in chosen:
                off = int.from_bytes(header[2 * bit:2 * bit + 2], "little")
                if not off:
                    continue
                data = b.read(addr + off, size)
                if name == "svga":
                    self._restore_svga(data)
                else:
                    self.video._restore_section(name, data)
        else:
            self.status(FAILED)
            return
        self.status(OK)

    _SVGA_REGS = (D.XRES, D.YRES, D.BPP, D.ENABLE, D.BANK, D.VIRT_WIDTH, D.VIRT_HEIGHT,
                  D.X_OFFSET, D.Y_OFFSET)

    def _save_svga(self) -> bytes:
        dev = self.dev
        values = (dev.xres, dev.yres, dev.bpp, dev.enable, dev.bank, dev.virt_width,
                  dev.virt_height, dev.x_offset, dev.y_offset)
        return b"".join(v.to_bytes(2, "little") for v in values)

    def _restore_svga(self, data: bytes) -> None:
        values = dict(zip(self._SVGA_REGS, (int.from_bytes(data[i:i + 2], "little")
                                            for i in range(0, STATE_SVGA, 2)), strict=True))
        self.write_register(D.ENABLE, 0)
        for index in (D.XRES, D.YRES, D.BPP):
            self.write_register(index, values[index])
        self.write_register(D.ENABLE, (values[D.ENABLE] & ~D.GETCAPS) | D.NOCLEARMEM)
        for index in (D.VIRT_WIDTH, D.VIRT_HEIGHT, D.X_OFFSET, D.Y_OFFSET, D.BANK):
            self.write_register(index, values[index])
        self.write_register(D.ENABLE, values[D.ENABLE])

    # --- 05h-07h -------------------------------------------------------------------------
    def window(self) -> None:
        """05h: set or get the position of window A (VBE 3.0 section 4.8)."""
        b = self.bios
        bh, bl = b["bh"], b["bl"]
        if not self.dev.enabled or self.dev.lfb:
            self.status(INVALID_IN_MODE)
            return
        if bl != 0 or bh not in (0, 1):
            self.status(FAILED)
            return
        if bh == 0:
            if b["dx"] >= len(self.dev.vram) // D.BANK_SIZE:
                self.status(FAILED)
                return
            self.write_register(D.BANK, b["dx"])
        else:
            b["dx"] = self.dev.bank
        self.status(OK)

    def scan_line_length(self) -> None:
        """06h: set or get the logical scan line length (VBE 3.0 section 4.9)."""
        b = self.bios
        dev = self.dev
        bl = b["bl"]
        if not self.vbe_mode_on():
            return
        bpp = D.bytes_per_pixel(dev.bpp)
        if bl == 0x03:
            pixels = min(len(dev.vram) // (dev.yres * bpp), 0xFFFF // bpp)
            b["bx"], b["cx"] = pixels * bpp, pixels
            self.status(OK)
            return
        if bl in (0x00, 0x02):
            pixels = b["cx"] if bl == 0x00 else -(-b["cx"] // bpp)
            if pixels < dev.xres:
                self.status(FAILED)
                return
            self.write_register(D.VIRT_WIDTH, pixels)
            if dev.virt_width != pixels:
                self.status(NOT_SUPPORTED)
                return
        elif bl != 0x01:
            self.status(FAILED)
            return
        b["bx"], b["cx"], b["dx"] = dev.pitch, dev.virt_width, dev.virt_height
        self.status(OK)

    def display_start(self) -> None:
        """07h: set or get the display start (VBE 3.0 section 4.10)."""
        b = self.bios
        dev = self.dev
        bl = b["bl"]
        if not self.vbe_mode_on():
            return
        bpp = D.bytes_per_pixel(dev.bpp)
        if bl in (0x00, 0x80, 0x02, 0x82):
            if bl & 0x7F == 0x02:
                y, rest = divmod(b["ecx"], dev.pitch)
                x = rest // bpp
            else:
                x, y = b["cx"], b["dx"]
            end = (y + dev.yres - 1) * dev.pitch + (x + dev.xres) * bpp     # past the last pixel
            if x > 0xFFFF or y > 0xFFFF or end > len(dev.vram):
                self.status(FAILED)
                return
            self.write_register(D.X_OFFSET, x)
            self.write_register(D.Y_OFFSET, y)
        elif bl == 0x01:
            b["bh"] = 0
            b["cx"], b["dx"] = dev.x_offset, dev.y_offset
        elif bl == 0x04:
            b["cx"] = 1                                    # the last flip has happened
        else:
            self.status(FAILED)
            return
        self.status(OK)

    # --- 08h-0Ah -------------------------------------------------------------------------
    def dac_format(self) -> None:
        """08h: set or get the DAC palette width (VBE 3.0 section 4.11)."""
        b = self.bios
        bl = b["bl"]
        dev = self.dev
        if bl == 0x00:
            if not self.vbe_mode_on():
                return
            flags = dev.enable & ~D.DAC_8BIT
            self.write_register(D.ENABLE, flags | (D.DAC_8BIT if b["bh"] >= 8 else 0))
        elif bl != 0x01:
            self.status(FAILED)
            return
        b["bh"] = 8 if dev.dac_8bit else 6
        self.status(OK)

    def palette_data(self) -> None:
        """09h: set or get DAC entries (VBE 3.0 section 4.12); the DAC is written directly
        so that 8-bit entries keep all their bits."""
        b = self.bios
        bl, first, count = b["bl"], b["dx"], b["cx"]
        if bl in (0x02, 0x03):
            self.status(NOT_SUPPORTED)
            return
        if bl not in (0x00, 0x01, 0x80) or first + count > 256:
            self.status(FAILED)
            return
        dac = b.machine.vga.dac
        addr = b.linear(b["es"], b["di"])
        if bl == 0x01:
            table = bytearray(4 * count)
            for i in range(count):
                r, g, bb = (int(c) for c in dac[first + i])
                table[4 * i:4 * i + 3] = bytes((bb, g, r))
            b.write(addr, bytes(table))
        else:
            mask = 0xFF if self.dev.dac_8bit else 0x3F
            table = b.read(addr, 4 * count)
            for i in range(count):
                bb, g, r = table[4 * i:4 * i + 3]
                dac[first + i] = (r & mask, g & mask, bb & mask)
        self.status(OK)

    def protected_mode_interface(self) -> None:
        """0Ah: no protected-mode interface is provided (VBE 3.0 section 4.13: AX = 014Fh)."""
        self.status(FAILED)
