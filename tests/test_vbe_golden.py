"""Golden images of VBE modes: a guest sets the mode through INT 10h AX=4F02h, draws a known
pattern and halts; the frame of :func:`emulator.screen.render` is compared with
``tests/golden/vbe_*.png`` and with a picture computed here from the pattern's definition.

* ``vbe_8bpp``: mode 101h (640x480x8), window A at A000h moved with function
  05h, DAC switched to 8 bits (function 08h) and loaded with function 09h;
* ``vbe_16bpp``: mode 111h (640x480, R5 G6 B5) and ``vbe_32bpp``: mode 142h
  (800x600, x8 R8 G8 B8) drawn through the linear framebuffer at the
  PhysBasePtr of function 01h, from flat 32-bit protected mode.

The guests boot from a floppy built in ``tmp_path`` with the loader of
:mod:`tests.test_video_golden`; ``PYX86_UPDATE_GOLDEN=1`` rewrites the goldens.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from emulator import screen as SC
from emulator.machine import STATUS_HALTED
from emulator.session import Session
from tests.guests import assemble16, flat32_program
from tests.test_video_golden import (
    LOAD_ADDRESS,
    check_golden,
    data_bytes,
    floppy_image,
)

PM_OFFSET = 0x400                # the 32-bit part's offset in the program
GDT_OFFSET = 0x3E0
MODE_INFO = 0x9000               # where the guest asks for the ModeInfoBlock


def run_floppy(tmp_path: Path, code: bytes) -> np.ndarray:
    """Boot ``code`` and run it until it halts; the rendered frame."""
    path = tmp_path / "vbe.img"
    path.write_bytes(floppy_image(code))
    with Session("-fda", str(path), "-snapshot") as pc:
        stop = pc.run(seconds=30)
        assert stop is not None and stop.status == STATUS_HALTED, f"guest did not halt: {stop}"
        return SC.render(pc.machine).copy()


def lfb_program(mode: int, body32: str) -> bytes:
    """Set VBE ``mode`` with the linear framebuffer, enter flat 32-bit protected mode and run
    ``body32`` (``;`` comments allowed) with EDI = PhysBasePtr (from function 01h); CLI; HLT after it."""
    prelude = f"""
        mov ax, 0x4F01
        mov cx, {mode:#x}
        mov di, {MODE_INFO:#x}
        int 0x10
        cmp ax, 0x004F
        jne failed
        mov ax, 0x4F02
        mov bx, {0x4000 | mode:#x}
        int 0x10
        cmp ax, 0x004F
        jne failed
    """
    body = f"cld\nmov edi, dword ptr [{MODE_INFO + 0x28:#x}]\n{body32}"
    return flat32_program(LOAD_ADDRESS, body, prelude, GDT_OFFSET, PM_OFFSET)


def widen(value: np.ndarray, bits: int) -> np.ndarray:
    """A ``bits``-wide colour component as 8 bits (its top bits repeated below it)."""
    value = value.astype(np.uint16)
    return ((value << (8 - bits)) | (value >> (2 * bits - 8))).astype(np.uint8)


# --- 8 bpp, banked ---------------------------------------------------------------------------------
def palette_8bit() -> np.ndarray:
    """(256, 3) RGB the guest loads: red i, green 255 - i, blue 4i (mod 256), all 8-bit."""
    i = np.arange(256)
    return np.stack([i, 255 - i, (4 * i) & 0xFF], axis=1).astype(np.uint8)


def test_vbe_8bpp_banked_with_8bit_dac(tmp_path: Path) -> None:
    pal = palette_8bit()
    table = bytes(v for r, g, b in pal.tolist() for v in (b, g, r, 0))
    program = f"""
        cld
        mov ax, 0x4F02
        mov bx, 0x0101          ; 640x480x8, windowed
        int 0x10
        mov ax, 0x4F08
        mov bx, 0x0800          ; BL=0 set, BH=8 bits
        int 0x10
        mov ax, 0x4F09
        xor bl, bl
        mov cx, 256
        xor dx, dx
        mov di, palette         ; ES = 0 from the loader
        int 0x10
        mov ax, 0xA000
        mov es, ax
        xor bp, bp              ; bank
    bank_loop:
        mov ax, 0x4F05
        xor bx, bx
        mov dx, bp
        int 0x10
        xor di, di
    pixel_loop:
        mov dx, bp              ; DX:AX = offset in video memory
        mov ax, di
        mov cx, 640
        div cx                  ; AX = y, DX = x
        shr dx, 2
        xor ax, dx              ; colour = (x / 4) ^ y
        stosb
        cmp bp, 4               ; 640 * 480 = 4B000h
        jne next
        cmp di, 0xB000
        je done
    next:
        test di, di
        jnz pixel_loop
        inc bp
        jmp bank_loop
    done:
        cli
        hlt
    palette:
{data_bytes(table)}
    """
    frame = run_floppy(tmp_path, assemble16(program, LOAD_ADDRESS))
    y, x = np.mgrid[0:480, 0:640]
    expect = pal[((x >> 2) ^ y) & 0xFF]
    assert frame.shape == (480, 640, 3)
    assert (frame == expect).all()
    check_golden("vbe_8bpp", frame)


# --- 16 and 32 bpp, linear framebuffer ---------------------------------------------------------------
def test_vbe_16bpp_linear(tmp_path: Path) -> None:
    body = """
        xor edx, edx            ; y
    yloop:
        xor ecx, ecx            ; x
    xloop:
        mov eax, ecx
        shr eax, 5
        shl eax, 11             ; red = x / 32
        mov ebx, edx
        shr ebx, 3
        shl ebx, 5
        or eax, ebx             ; green = y / 8
        mov ebx, ecx
        shr ebx, 3
        mov esi, edx
        shr esi, 3
        xor ebx, esi
        and ebx, 31
        or eax, ebx             ; blue = ((x / 8) ^ (y / 8)) & 31
        stosw
        inc ecx
        cmp ecx, 640
        jb xloop
        inc edx
        cmp edx, 480
        jb yloop
    """
    frame = run_floppy(tmp_path, lfb_program(0x111, body))
    y, x = np.mgrid[0:480, 0:640]
    expect = np.stack([widen(x >> 5, 5), widen(y >> 3, 6), widen(((x >> 3) ^ (y >> 3)) & 31, 5)], axis=2)
    assert frame.shape == (480, 640, 3)
    assert (frame == expect).all()
    check_golden("vbe_16bpp", frame)


def test_vbe_32bpp_linear(tmp_path: Path) -> None:
    body = """
        xor edx, edx            ; y
    yloop:
        xor ecx, ecx            ; x
    xloop:
        mov eax, ecx
        shr eax, 2              ; red = x / 4
        shl eax, 8
        mov ebx, edx
        shr ebx, 2
        mov al, bl              ; green = y / 4
        shl eax, 8
        mov ebx, ecx
        shr ebx, 5
        mov esi, edx
        shr esi, 5
        xor ebx, esi
        shl ebx, 4
        mov al, bl              ; blue = ((x / 32) ^ (y / 32)) * 16, low 8 bits
        stosd
        inc ecx
        cmp ecx, 800
        jb xloop
        inc edx
        cmp edx, 600
        jb yloop
    """
    frame = run_floppy(tmp_path, lfb_program(0x142, body))
    y, x = np.mgrid[0:600, 0:800]
    expect = np.stack([x >> 2, y >> 2, (((x >> 5) ^ (y >> 5)) << 4) & 0xFF], axis=2).astype(np.uint8)
    assert frame.shape == (600, 800, 3)
    assert (frame == expect).all()
    check_golden("vbe_32bpp", frame)


# --- the other depths and the redraw check, straight from video memory ------------------------------
def test_15_and_24bpp_frames_and_virtual_width() -> None:
    from tests.bios_harness import BiosBox

    box = BiosBox()
    vram = box.machine.vbe.vram
    y, x = np.mgrid[0:480, 0:640]
    r, g, b = (x >> 5) & 31, (y >> 4) & 31, (x ^ y) & 31
    assert box.call(0x10, ax=0x4F02, bx=0x4110)["ax"] == 0x004F            # 640x480x15
    words = (r << 10 | g << 5 | b | 0x8000).astype("<u2")                   # bit 15 is ignored
    vram[:640 * 480 * 2] = words.view(np.uint8).reshape(-1)
    expect = np.stack([widen(r, 5), widen(g, 5), widen(b, 5)], axis=2)
    assert (SC.render(box.machine) == expect).all()
    assert box.call(0x10, ax=0x4F02, bx=0x4112)["ax"] == 0x004F            # 640x480x24
    assert box.call(0x10, ax=0x4F06, bx=0x0000, cx=700)["ax"] == 0x004F    # 700 pixels a line
    rgb = np.stack([x & 0xFF, y & 0xFF, (x + y) & 0xFF], axis=2).astype(np.uint8)
    lines = np.zeros((480, 700, 3), dtype=np.uint8)
    lines[:, :640] = rgb[:, :, ::-1]                                        # B, G, R in memory
    vram[:480 * 700 * 3] = lines.reshape(-1)
    assert (SC.render(box.machine) == rgb).all()


def test_unchanged_frames_are_not_redrawn_and_lfb_writes_are_seen() -> None:
    from tests.bios_harness import BiosBox

    box = BiosBox()
    assert box.call(0x10, ax=0x4F02, bx=0x4142)["ax"] == 0x004F            # 800x600x32
    first = SC.render(box.machine)
    assert SC.render(box.machine) is first                                  # nothing changed
    box.machine.vbe.vram[(599 * 800 + 799) * 4 + 1] = 0x80                  # no dirty flag here
    second = SC.render(box.machine)
    assert second is not first and second[599, 799].tolist() == [0, 0x80, 0]
    assert box.call(0x10, ax=0x4F07, bx=0x0000, cx=0, dx=1)["ax"] == 0x004F
    assert SC.render(box.machine)[598, 799].tolist() == [0, 0x80, 0]        # display start moved
