"""INT 10h AH=4Fh (bios/vbe.py) against the VESA BIOS Extensions 3.0 core functions.

Each function is called through the real INT 10h vector of a machine that ran
POST (:class:`tests.bios_harness.BiosBox`); small guest programs check what a
caller does with the answers: bank switching through A000h, writes through the
linear framebuffer in 32-bit protected mode, display start and the 8-bit DAC
as the renderer shows them.
"""

from __future__ import annotations

import struct

import numpy as np
import pytest

from bios import vbe as VB
from bios.rom import ROM_BASE
from devices import vbe as D
from emulator import screen as SC
from emulator.cpu import state as S
from tests.bios_harness import CALL_ADDR, BiosBox
from tests.guests import assemble16, flat32_program

BUF = 0x2000                     # segment of the callers' buffers (physical 20000h)
BUF_ADDR = BUF << 4
OK, FAILED, NOT_SUPPORTED, INVALID = 0x004F, 0x014F, 0x024F, 0x034F


@pytest.fixture(scope="module")
def shared() -> BiosBox:
    return BiosBox()


@pytest.fixture
def box(shared: BiosBox) -> BiosBox:
    """The module's machine, back in text mode 3 with a clean buffer."""
    shared.call(0x10, ax=0x0003)
    shared.ram[BUF_ADDR:BUF_ADDR + 0x1000] = 0
    return shared


def vbe(box: BiosBox, al: int, **regs: int) -> dict:
    return box.call(0x10, ax=0x4F00 | al, **regs)


def u16(box: BiosBox, addr: int) -> int:
    return int(box.ram[addr]) | int(box.ram[addr + 1]) << 8


def far(box: BiosBox, addr: int) -> int:
    """The physical address of the real-mode far pointer stored at ``addr``."""
    return (u16(box, addr + 2) << 4) + u16(box, addr)


def c_string(box: BiosBox, addr: int) -> bytes:
    data = bytes(box.ram[addr:addr + 256])
    return data[:data.index(b"\0")]


def run_program(box: BiosBox, code: bytes, max_ns: int = 2_000_000_000) -> None:
    """Run ``code`` (loaded at 0000:7C00, ending in CLI; HLT) until it halts."""
    box.cpu.write_phys(CALL_ADDR, code)
    box.cpu["cs"], box.cpu["ip"], box.cpu["ss"], box.cpu["sp"] = 0, CALL_ADDR, 0, 0x7000
    box.cpu.st[S.HALTED] = 0
    stop = box.machine.run(max_insns=100_000_000, max_ns=max_ns)
    assert stop is not None and "halted" in stop.message, stop


# --- 00h ------------------------------------------------------------------------------------
def test_controller_info_vesa_block(box):
    out = vbe(box, 0x00, es=BUF, di=0x10)
    assert out["ax"] == OK
    addr = BUF_ADDR + 0x10
    info = bytes(box.ram[addr:addr + 256])
    assert info[0:4] == b"VESA"
    assert u16(box, addr + 4) == 0x0300
    assert struct.unpack_from("<I", info, 0x0A)[0] == 1          # DAC switchable
    assert u16(box, addr + 0x12) == S.VRAM_SIZE >> 16          # 64 KiB blocks
    oem = far(box, addr + 6)
    assert ROM_BASE <= oem < ROM_BASE + 0x10000                 # in the BIOS ROM
    assert c_string(box, oem) == b"pyx86 BIOS"
    modes_at = far(box, addr + 0x0E)
    assert addr + 0x22 <= modes_at < addr + 0x100               # in the block's reserved area
    modes = []
    while u16(box, modes_at + 2 * len(modes)) != 0xFFFF:
        modes.append(u16(box, modes_at + 2 * len(modes)))
    assert modes == list(VB.MODES)
    for number in (0x101, 0x103, 0x105, *range(0x110, 0x119), 0x141, 0x142, 0x144):
        assert number in modes
    assert not box.ram[addr + 256:addr + 512].any()              # a 256-byte block only


def test_controller_info_vbe2_block(box):
    box.ram[BUF_ADDR:BUF_ADDR + 4] = list(b"VBE2")
    assert vbe(box, 0x00, es=BUF, di=0)["ax"] == OK
    assert bytes(box.ram[BUF_ADDR:BUF_ADDR + 4]) == b"VESA"
    assert u16(box, BUF_ADDR + 0x14) == VB.OEM_SOFTWARE_REV
    strings = [far(box, BUF_ADDR + off) for off in (0x06, 0x16, 0x1A, 0x1E)]
    assert [c_string(box, a) for a in strings] == list(VB.OEM_STRINGS)
    assert all(BUF_ADDR + 0x100 <= a < BUF_ADDR + 0x200 for a in strings)   # OemData area


# --- 01h ------------------------------------------------------------------------------------
@pytest.mark.parametrize("number", sorted(VB.MODES))
def test_mode_info_block(box, number):
    mode = VB.MODES[number]
    assert vbe(box, 0x01, cx=number, es=BUF, di=0)["ax"] == OK
    info = bytes(box.ram[BUF_ADDR:BUF_ADDR + 256])
    f = struct.unpack_from("<HBBHHHHIHHHBBBBBBBB", info, 0)
    (attr, win_a, win_b, gran, size, seg_a, seg_b, func, pitch, width, height,
     xchar, ychar, planes, bpp, banks, model, bank_size, pages) = f
    assert attr == 0xBB                 # supported, colour graphics, not VGA compatible, LFB
    assert (win_a, win_b, gran, size, seg_a, seg_b) == (7, 0, 64, 64, 0xA000, 0)
    assert ROM_BASE <= far(box, BUF_ADDR + 0x0C) < ROM_BASE + 0x10000       # WinFuncPtr in the ROM
    bytes_pp = (mode.bpp + 7) // 8
    assert (pitch, width, height, bpp) == (mode.width * bytes_pp, mode.width, mode.height, mode.bpp)
    assert (xchar, ychar, planes, banks, bank_size) == (8, 16, 1, 1, 0)
    assert model == (4 if mode.bpp == 8 else 6)
    assert pages == min(S.VRAM_SIZE // (pitch * height), 256) - 1
    assert info[0x1E] == 1
    masks = {8: (0, 0, 0, 0, 0, 0, 0, 0), 15: (5, 10, 5, 5, 5, 0, 1, 15),
             16: (5, 11, 6, 5, 5, 0, 0, 0), 24: (8, 16, 8, 8, 8, 0, 0, 0),
             32: (8, 16, 8, 8, 8, 0, 8, 24)}[mode.bpp]
    assert tuple(info[0x1F:0x27]) == masks
    assert info[0x27] == (2 if mode.bpp in (15, 32) else 0)
    assert struct.unpack_from("<I", info, 0x28)[0] == S.LFB_PHYS
    assert u16(box, BUF_ADDR + 0x32) == pitch                    # LinBytesPerScanLine
    assert info[0x34] == pages and info[0x35] == pages
    assert tuple(info[0x36:0x3E]) == masks
    assert not any(info[0x42:])


def test_mode_info_of_an_unknown_mode_fails(box):
    for number in (0x102, 0x104, 0x17F, 0x1FF):
        assert vbe(box, 0x01, cx=number, es=BUF, di=0)["ax"] == FAILED


# --- 02h, 03h -------------------------------------------------------------------------------
def test_set_mode_and_current_mode(box):
    dev = box.machine.vbe
    assert vbe(box, 0x02, bx=0x4111)["ax"] == OK
    assert dev.enabled and dev.lfb and (dev.xres, dev.yres, dev.bpp) == (640, 480, 16)
    assert box.cpu.vga_regs[S.VGA_VBE] == 1
    assert box.ram[0x449] == 0x13 and not box.ram[0x487] & 0x80
    out = vbe(box, 0x03)
    assert (out["ax"], out["bx"]) == (OK, 0x4111)
    assert SC.is_graphics(box.machine) and SC.render(box.machine).shape == (480, 640, 3)
    dev.vram[:4] = 9
    assert vbe(box, 0x02, bx=0x8103)["ax"] == OK                 # banked, keep the memory
    assert not dev.lfb and (dev.vram[:4] == 9).all() and box.ram[0x487] & 0x80
    assert vbe(box, 0x03)["bx"] == 0x8103
    assert vbe(box, 0x02, bx=0x0103)["ax"] == OK                 # cleared this time
    assert not dev.vram[:4].any()


def test_set_mode_refuses_unknown_modes(box):
    for bx in (0x0102, 0x0120, 0x41FF, 0x0014):
        assert vbe(box, 0x02, bx=bx)["ax"] == FAILED, hex(bx)
    assert not box.machine.vbe.enabled


def test_standard_modes_through_4f02_and_back_to_text_with_ah00(box):
    dev = box.machine.vbe
    assert vbe(box, 0x02, bx=0x0013)["ax"] == OK
    assert box.ram[0x449] == 0x13 and not dev.enabled
    assert vbe(box, 0x03)["bx"] == 0x0013
    assert vbe(box, 0x02, bx=0x4142)["ax"] == OK
    assert dev.enabled
    box.call(0x10, ax=0x0003)                                    # INT 10h AH=00h: text again
    assert not dev.enabled and box.cpu.vga_regs[S.VGA_VBE] == 0
    assert box.ram[0x449] == 3 and not SC.is_graphics(box.machine)
    box.call(0x10, ax=0x0E41)
    assert box.screen_row(0).startswith("A")
    assert vbe(box, 0x03)["bx"] == 0x0003
    assert vbe(box, 0x02, bx=0x4142)["ax"] == OK
    assert vbe(box, 0x02, bx=0x0003)["ax"] == OK                 # 4F02 with a VGA mode
    assert not dev.enabled and box.ram[0x449] == 3


# --- 04h ------------------------------------------------------------------------------------
def test_save_and_restore_state(box):
    dev = box.machine.vbe
    out = vbe(box, 0x04, dl=0, cx=0x0F)
    assert out["ax"] == OK
    assert out["bx"] == -(-(32 + 65 + 0x25 + 769 + 18) // 64)
    assert vbe(box, 0x02, bx=0x4101)["ax"] == OK
    assert vbe(box, 0x06, bl=0, cx=1024)["ax"] == OK
    assert vbe(box, 0x07, bl=0, bh=0, cx=16, dx=20)["ax"] == OK
    assert vbe(box, 0x04, dl=1, cx=0x0F, es=BUF, bx=0)["ax"] == OK
    box.call(0x10, ax=0x0003)
    assert not dev.enabled
    assert vbe(box, 0x04, dl=2, cx=0x0F, es=BUF, bx=0)["ax"] == OK
    assert dev.enabled and dev.lfb and (dev.xres, dev.yres, dev.bpp) == (640, 480, 8)
    assert (dev.virt_width, dev.x_offset, dev.y_offset) == (1024, 16, 20)
    assert box.ram[0x449] == 0x13 and box.machine.vga.gc[6] & 1
    assert vbe(box, 0x04, dl=3, cx=0x0F)["ax"] == FAILED


# --- 05h ------------------------------------------------------------------------------------
def test_bank_switching_then_writing_through_a000(box):
    assert vbe(box, 0x05, bx=0x0000, dx=0)["ax"] == INVALID       # no VBE mode on
    assert vbe(box, 0x02, bx=0x0101)["ax"] == OK
    code = assemble16("""
        mov ax, 0x4F05
        xor bx, bx
        mov dx, 2
        int 0x10
        mov si, ax
        mov ax, 0xA000
        mov es, ax
        mov byte ptr es:[5], 0xAB
        mov word ptr es:[0xFFFE], 0x1234
        mov al, byte ptr es:[6]
        mov ah, 0
        mov di, ax
        cli
        hlt
    """, CALL_ADDR)
    box.machine.vbe.vram[2 * 0x10000 + 6] = 0x77
    run_program(box, code)
    vram = box.machine.vbe.vram
    assert box.cpu["si"] == OK and box.cpu["di"] == 0x77
    assert vram[2 * 0x10000 + 5] == 0xAB and vram[0x10000 + 5] == 0
    assert vram[3 * 0x10000 - 2] == 0x34 and vram[3 * 0x10000 - 1] == 0x12
    out = vbe(box, 0x05, bx=0x0100)
    assert (out["ax"], out["dx"]) == (OK, 2)
    assert vbe(box, 0x05, bx=0x0001, dx=1)["ax"] == FAILED         # no window B
    assert vbe(box, 0x05, bx=0x0000, dx=256)["ax"] == FAILED       # past 16 MiB
    assert vbe(box, 0x02, bx=0x4101)["ax"] == OK
    assert vbe(box, 0x05, bx=0x0000, dx=1)["ax"] == INVALID        # linear mode (VBE 2.0)


def test_window_function_switches_banks(box):
    """WinFuncPtr (VBE 3.0, 4.8): a far call with BH=00h, BL=window, DX=bank, as function 05h."""
    assert vbe(box, 0x01, cx=0x101, es=BUF, di=0)["ax"] == OK
    func_off, func_seg = u16(box, BUF_ADDR + 0x0C), u16(box, BUF_ADDR + 0x0E)
    assert vbe(box, 0x02, bx=0x0101)["ax"] == OK
    code = assemble16(f"""
        xor bx, bx
        mov dx, 5
        .byte 0x9A
        .word {func_off:#x}, {func_seg:#x}
        mov ax, 0xA000
        mov es, ax
        mov byte ptr es:[0x10], 0x5C
        cli
        hlt
    """, CALL_ADDR)
    run_program(box, code)
    assert box.machine.vbe.vram[5 * 0x10000 + 0x10] == 0x5C
    out = vbe(box, 0x05, bx=0x0100)
    assert (out["ax"], out["dx"]) == (OK, 5)


def test_mode_set_through_the_ports_is_undone_by_ah00(box):
    """A guest that turned the display interface on itself gets VGA text back from AH=00h."""
    dev = box.machine.vbe
    bus = box.machine.bus
    for index, value in ((D.XRES, 640), (D.YRES, 480), (D.BPP, 8), (D.ENABLE, D.ENABLED)):
        bus.write(D.INDEX_PORT, 2, index)
        bus.write(D.DATA_PORT, 2, value)
    assert dev.enabled and box.cpu.vga_regs[S.VGA_VBE] & 1
    box.call(0x10, ax=0x0003)
    assert not dev.enabled and not box.cpu.vga_regs[S.VGA_VBE] & 1
    assert not SC.is_graphics(box.machine)


# --- the linear framebuffer ---------------------------------------------------------------------
def test_lfb_writes_at_physbaseptr_in_protected_mode(box):
    assert vbe(box, 0x01, cx=0x142, es=BUF, di=0)["ax"] == OK
    base = struct.unpack_from("<I", bytes(box.ram[BUF_ADDR + 0x28:BUF_ADDR + 0x2C]))[0]
    assert vbe(box, 0x02, bx=0x4142)["ax"] == OK
    # the pixel at (x=10, y=3): red; the whole last line: white
    run_program(box, flat32_program(CALL_ADDR, f"""
        mov dword ptr [{base + (3 * 800 + 10) * 4:#x}], 0x00FF0000
        mov edi, {base + 599 * 800 * 4:#x}
        mov ecx, 800
        mov eax, 0x00FFFFFF
        cld
        rep stosd
    """))
    frame = SC.render(box.machine)
    assert frame.shape == (600, 800, 3)
    assert frame[3, 10].tolist() == [255, 0, 0] and frame[3, 11].tolist() == [0, 0, 0]
    assert (frame[599] == 255).all() and not frame[598].any()


# --- 06h, 07h -------------------------------------------------------------------------------
def test_scan_line_length(box):
    assert vbe(box, 0x06, bl=1)["ax"] == INVALID
    assert vbe(box, 0x02, bx=0x4111)["ax"] == OK                 # 640x480x16
    out = vbe(box, 0x06, bl=1)
    assert (out["ax"], out["bx"], out["cx"], out["dx"]) == (OK, 1280, 640, S.VRAM_SIZE // 1280)
    out = vbe(box, 0x06, bl=0, cx=1000)
    assert (out["ax"], out["bx"], out["cx"], out["dx"]) == (OK, 2000, 1000, S.VRAM_SIZE // 2000)
    out = vbe(box, 0x06, bl=2, cx=4096)                           # in bytes
    assert (out["ax"], out["bx"], out["cx"]) == (OK, 4096, 2048)
    out = vbe(box, 0x06, bl=3)
    assert (out["ax"], out["cx"]) == (OK, S.VRAM_SIZE // (480 * 2)) and out["bx"] == 2 * out["cx"]
    assert vbe(box, 0x06, bl=0, cx=320)["ax"] == FAILED           # narrower than the screen
    assert vbe(box, 0x02, bx=0x4144)["ax"] == OK                 # 1024x768x32
    out = vbe(box, 0x06, bl=3)
    assert out["cx"] == S.VRAM_SIZE // (768 * 4) and out["bx"] == out["cx"] * 4
    assert vbe(box, 0x06, bl=0, cx=out["cx"] + 1)["ax"] == NOT_SUPPORTED
    assert vbe(box, 0x06, bl=0, cx=out["cx"])["ax"] == OK


def test_display_start_moves_the_picture(box):
    assert vbe(box, 0x07, bl=1)["ax"] == INVALID
    assert vbe(box, 0x02, bx=0x4101)["ax"] == OK                 # 640x480x8
    dev = box.machine.vbe
    assert vbe(box, 0x06, bl=0, cx=800)["ax"] == OK
    dev.vram[100 * 800 + 700] = 15                                # white in the default DAC,
    assert not SC.render(box.machine).any()                       # right of the screen
    assert vbe(box, 0x07, bl=0x80, bh=0, cx=700, dx=100)["ax"] == OK
    frame = SC.render(box.machine)
    assert frame[0, 0].tolist() == [255, 255, 255] and frame[:, 1:].sum() == 0
    out = vbe(box, 0x07, bl=1)
    assert (out["ax"], out["bh"], out["cx"], out["dx"]) == (OK, 0, 700, 100)
    assert vbe(box, 0x07, bl=2, ecx=800 * 7 + 3)["ax"] == OK      # by byte address
    out = vbe(box, 0x07, bl=1)
    assert (out["cx"], out["dx"]) == (3, 7)
    assert vbe(box, 0x07, bl=4)["cx"] != 0                        # the flip happened
    assert vbe(box, 0x07, bl=0, cx=0, dx=0xFFF0)["ax"] == FAILED  # past the memory
    assert vbe(box, 0x07, bl=5)["ax"] == FAILED


# --- 08h, 09h -------------------------------------------------------------------------------
def test_dac_width_and_palette_data(box):
    assert vbe(box, 0x08, bl=0, bh=8)["ax"] == INVALID           # not in a VGA mode
    out = vbe(box, 0x08, bl=1)
    assert (out["ax"], out["bh"]) == (OK, 6)
    assert vbe(box, 0x02, bx=0x4101)["ax"] == OK
    dev = box.machine.vbe
    dev.vram[0:3] = [1, 2, 3]
    # 6-bit DAC: entries 1-2 as blue, green, red, alignment
    box.ram[BUF_ADDR:BUF_ADDR + 8] = [0x3F, 0x00, 0x20, 0, 0x01, 0x02, 0x03, 0]
    assert vbe(box, 0x09, bl=0, cx=2, dx=1, es=BUF, di=0)["ax"] == OK
    frame = SC.render(box.machine)
    assert frame[0, 0].tolist() == [130, 0, 255]                 # 20h, 0, 3Fh scaled
    assert frame[0, 1].tolist() == [12, 8, 4]
    out = vbe(box, 0x08, bl=0, bh=8)
    assert (out["ax"], out["bh"]) == (OK, 8) and dev.dac_8bit
    box.ram[BUF_ADDR:BUF_ADDR + 4] = [0x80, 0xC1, 0xFE, 0]
    assert vbe(box, 0x09, bl=0x80, cx=1, dx=3, es=BUF, di=0)["ax"] == OK
    assert SC.render(box.machine)[0, 2].tolist() == [0xFE, 0xC1, 0x80]
    assert vbe(box, 0x09, bl=1, cx=3, dx=1, es=BUF, di=0x100)["ax"] == OK
    got = bytes(box.ram[BUF_ADDR + 0x100:BUF_ADDR + 0x10C])
    assert got == bytes([0x3F, 0, 0x20, 0, 1, 2, 3, 0, 0x80, 0xC1, 0xFE, 0])
    assert vbe(box, 0x08, bl=1)["bh"] == 8
    assert vbe(box, 0x08, bl=0, bh=6)["bh"] == 6 and not dev.dac_8bit
    # the same DAC at 6 bits: only the low 6 bits of the entry written at 8 bits count
    assert SC.render(box.machine)[0, 2].tolist() == [251, 4, 0]  # 3Eh, 01h, 00h scaled
    assert vbe(box, 0x09, bl=2, cx=1, dx=0, es=BUF, di=0)["ax"] == NOT_SUPPORTED
    assert vbe(box, 0x09, bl=0, cx=2, dx=255, es=BUF, di=0)["ax"] == FAILED
    assert vbe(box, 0x08, bl=0, bh=8)["bh"] == 8
    box.call(0x10, ax=0x0013)                                     # a VGA mode set: 6 bits again
    assert not dev.dac_8bit and vbe(box, 0x08, bl=1)["bh"] == 6


# --- 0Ah and the rest ---------------------------------------------------------------------------
def test_protected_mode_interface_and_unknown_functions(box):
    assert vbe(box, 0x0A, bl=0)["ax"] == FAILED
    assert vbe(box, 0x0B)["ax"] == 0x4F0B                        # AL != 4Fh: not supported
    assert vbe(box, 0x15, bl=0)["ax"] == 0x4F15


def test_snapshot_keeps_the_vbe_mode_and_picture():
    first = BiosBox()
    assert vbe(first, 0x02, bx=0x4114)["ax"] == OK               # 800x600x16
    first.machine.vbe.vram[:1600] = np.arange(1600) % 256
    frame = SC.render(first.machine).copy()
    data = first.machine.save_state()
    second = BiosBox()
    second.machine.load_state(data)
    dev = second.machine.vbe
    assert dev.enabled and (dev.xres, dev.yres, dev.bpp) == (800, 600, 16)
    assert second.cpu.vga_regs[S.VGA_VBE] == 1
    assert (SC.render(second.machine) == frame).all()
    assert second.cpu.pmap[0xA0000 >> S.PAGE_SHIFT] == S.PG_VGA


def test_dispi_ports_from_a_guest(box):
    """A guest (as Linux's bochs driver does) programs the interface through the ports."""
    code = assemble16(f"""
        mov dx, {D.INDEX_PORT:#x}
        mov ax, {D.ID}
        out dx, ax
        inc dx
        in ax, dx
        mov si, ax
        dec dx
        mov ax, {D.XRES}
        out dx, ax
        inc dx
        mov ax, 1024
        out dx, ax
        dec dx
        mov ax, {D.YRES}
        out dx, ax
        inc dx
        mov ax, 768
        out dx, ax
        dec dx
        mov ax, {D.BPP}
        out dx, ax
        inc dx
        mov ax, 32
        out dx, ax
        dec dx
        mov ax, {D.ENABLE}
        out dx, ax
        inc dx
        mov ax, {D.ENABLED | D.LFB_ENABLED}
        out dx, ax
        cli
        hlt
    """, CALL_ADDR)
    run_program(box, code)
    assert box.cpu["si"] == 0xB0C5
    assert SC.render(box.machine).shape == (768, 1024, 3)
    assert vbe(box, 0x03)["bx"] == 0x4144


# --- a real guest -----------------------------------------------------------------------------
def test_linux_setup_reads_the_mode_list_at_vga_ask(images_dir):
    """ISOLINUX passes ``vga=ask`` to the tiny Linux's real-mode setup, which probes VBE:
    function 00h, then 01h for every mode of the list it found through VideoModePtr.  (This
    kernel has no boot framebuffer support, CONFIG_FB_BOOT_VESA_SUPPORT, so its menu lists
    only VESA text modes, of which there are none: the VGA text modes are listed.)"""
    from emulator.session import Session

    iso = images_dir / "linux" / "tiny-linux.iso"
    assert iso.is_file(), f"missing {iso}"
    with Session("-cdrom", str(iso), "-boot", "d", "-m", "32") as pc:
        calls: list[tuple[int, int, int]] = []
        int10 = pc.machine.bios.services[0x10]
        cpu = pc.machine.cpu

        def recording() -> None:
            ax, cx = cpu["ax"], cpu["cx"]
            int10()
            if ax >> 8 == 0x4F:
                calls.append((ax, cx, cpu["ax"]))

        pc.machine.bios.services[0x10] = recording
        assert pc.run_until_text("boot:", seconds=30), pc.screen()
        pc.type("linux vga=ask\n")
        assert pc.run_until_text("Press <ENTER> to see video modes", seconds=30), pc.screen()
        pc.type("\n")
        assert pc.run_until_text("Enter a video mode", seconds=20), pc.screen()
        screen = "\n".join(pc.screen())
    assert "80x25      VGA" in screen and "80x50      VGA" in screen
    assert calls[0] == (0x4F00, calls[0][1], OK)
    probed = [cx for ax, cx, _ in calls[1:] if ax == 0x4F01]
    assert probed == list(VB.MODES)
    assert all(result == OK for _ax, _cx, result in calls)
