"""Golden images of the video modes: a guest draws a known pattern, the frame is compared pixel for pixel.

Each test boots a small program of its own from a floppy built in ``tmp_path``
(a one-sector loader at 0000:7C00 reads the program to 0000:7E00), which sets
a mode through INT 10h AH=00h, draws its pattern mostly by writing video
memory directly, and halts (``cli; hlt``).  The host renders the screen with
:func:`emulator.screen.render` and compares it with ``tests/golden/<name>.png``.

The goldens are stored at the mode's native resolution: the renderer doubles
320-wide frames horizontally and frames of at most 300 lines vertically, and
the test checks that doubling before it takes every other pixel.

Besides the golden comparison every test checks the frame against an
expectation computed here from the pattern's definition and the standard
colours (the 16 RGBI colours, CGA palette 1, the mode 13h DAC read back
through the DAC ports), so the goldens are not only self-referential.

``PYX86_UPDATE_GOLDEN=1`` (re)writes the golden files; the tests then skip
with a message instead of passing.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest

from emulator import screen as SC
from emulator.machine import STATUS_HALTED, Machine
from emulator.session import Session
from tests.guests import assemble16

GOLDEN_DIR = Path(__file__).resolve().parent / "golden"
UPDATE_VARIABLE = "PYX86_UPDATE_GOLDEN"
FLOPPY_SIZE = 1474560
SECTOR = 512
LOAD_ADDRESS = 0x7E00
MAX_SECTORS = 17                 # sectors 2-18 of track 0, head 0

#: the 16 RGBI colours as 8-bit RGB (IBM CGA/EGA; colour 6 is brown)
RGBI = np.array([
    (0x00, 0x00, 0x00), (0x00, 0x00, 0xAA), (0x00, 0xAA, 0x00), (0x00, 0xAA, 0xAA),
    (0xAA, 0x00, 0x00), (0xAA, 0x00, 0xAA), (0xAA, 0x55, 0x00), (0xAA, 0xAA, 0xAA),
    (0x55, 0x55, 0x55), (0x55, 0x55, 0xFF), (0x55, 0xFF, 0x55), (0x55, 0xFF, 0xFF),
    (0xFF, 0x55, 0x55), (0xFF, 0x55, 0xFF), (0xFF, 0xFF, 0x55), (0xFF, 0xFF, 0xFF),
], dtype=np.uint8)


# --- guest programs ----------------------------------------------------------------------------
LOADER = f"""
    cli
    xor ax, ax
    mov ds, ax
    mov es, ax
    mov ss, ax
    mov sp, 0x7C00
    sti
    mov ax, 0x0200 + {{sectors}}   ; AH=02h read AL sectors
    mov cx, 0x0002                 ; cylinder 0, sector 2
    xor dh, dh                     ; head 0, DL = boot drive
    mov bx, {LOAD_ADDRESS:#x}
    int 0x13
    jc failed
    .byte 0xEA, 0x00, 0x7E, 0x00, 0x00   ; jmp 0000:7E00
failed:
    cli
    hlt
"""

DONE = """
    cli
    hlt
"""


def data_bytes(data: bytes) -> str:
    """``data`` as ``.byte`` lines of assembler source."""
    return "\n".join("    .byte " + ", ".join(f"{b:#04x}" for b in data[i:i + 16])
                     for i in range(0, len(data), 16))


def floppy(program: str) -> bytes:
    """A 1.44 MB floppy: the loader in the boot sector, ``program`` (origin 7E00h) after it."""
    code = assemble16(program, LOAD_ADDRESS)
    assert code, "the program did not assemble"
    return floppy_image(code)


def floppy_image(code: bytes) -> bytes:
    """A 1.44 MB floppy: the loader, then the machine ``code`` (origin 7E00h)."""
    sectors = -(-len(code) // SECTOR)
    assert sectors <= MAX_SECTORS, f"{len(code)} bytes is too long for the loader"
    boot = assemble16(LOADER.format(sectors=sectors), 0x7C00)
    image = bytearray(FLOPPY_SIZE)
    image[:len(boot)] = boot
    image[510:512] = b"\x55\xaa"
    image[SECTOR:SECTOR + len(code)] = code
    return bytes(image)


def run_guest(tmp_path: Path, program: str,
              probe: Callable[[Machine], object] | None = None) -> tuple[np.ndarray, object]:
    """Boot ``program``, run it until it halts; its rendered frame and ``probe(machine)``."""
    path = tmp_path / "guest.img"
    path.write_bytes(floppy(program))
    with Session("-fda", str(path), "-snapshot") as pc:
        stop = pc.run(seconds=30)
        assert stop is not None and stop.status == STATUS_HALTED, f"guest did not halt: {stop}"
        assert pc.machine.cpu["cs"] == 0 and pc.machine.cpu["ip"] > LOAD_ADDRESS, "the loader failed"
        frame = SC.render(pc.machine, now_ns=0)
        probed = probe(pc.machine) if probe is not None else None
    return frame, probed


# --- frames and golden files ------------------------------------------------------------------
def undouble(frame: np.ndarray, x: bool, y: bool) -> np.ndarray:
    """The native frame of one the renderer doubled horizontally (``x``) and/or vertically."""
    if x:
        assert (frame[:, 0::2] == frame[:, 1::2]).all(), "columns are not doubled"
        frame = frame[:, 0::2]
    if y:
        assert (frame[0::2] == frame[1::2]).all(), "lines are not doubled"
        frame = frame[0::2]
    return frame


def read_png(path: Path) -> np.ndarray:
    """A PNG file as an ``H x W x 3`` uint8 array (decoded by pygame)."""
    os.environ.setdefault("PYGAME_HIDE_SUPPORT_PROMPT", "1")
    import pygame

    surface = pygame.image.load(str(path))
    return np.ascontiguousarray(pygame.surfarray.array3d(surface).transpose(1, 0, 2))


def check_golden(name: str, frame: np.ndarray) -> None:
    """Compare ``frame`` with ``golden/<name>.png`` pixel for pixel (or write it, see the module doc)."""
    path = GOLDEN_DIR / f"{name}.png"
    if os.environ.get(UPDATE_VARIABLE) == "1":
        GOLDEN_DIR.mkdir(exist_ok=True)
        path.write_bytes(SC.png_bytes(frame))
        assert (read_png(path) == frame).all()
        pytest.skip(f"{UPDATE_VARIABLE}=1: wrote {path.relative_to(GOLDEN_DIR.parent.parent)}")
    assert path.is_file(), f"missing golden image {path} (run with {UPDATE_VARIABLE}=1 to create it)"
    golden = read_png(path)
    assert golden.shape == frame.shape, f"frame {frame.shape} but golden {golden.shape}"
    diff = np.argwhere((golden != frame).any(axis=2))
    if len(diff):
        y, x = diff[0]
        got, want = frame[y, x].tolist(), golden[y, x].tolist()
        pytest.fail(f"{len(diff)} pixels differ from {path.name}; first at x={x} y={y}: "
                    f"frame {got} golden {want}", pytrace=False)


def six_to_eight(rgb: np.ndarray) -> np.ndarray:
    """6-bit DAC components to 8 bits (0 -> 0, 63 -> 255, rounded)."""
    return np.rint(np.asarray(rgb, dtype=np.float64) * 255 / 63).astype(np.uint8)


# --- text modes ---------------------------------------------------------------------------------
BOX_LINES = (
    "╔═══════╦═══════╗ ┌───────┬───────┐",
    "║ pyx86 ║ 03h   ║ │ ░░▒▒▓ │ ▓▒▒░░ │",
    "╠═══════╬═══════╣ ├───────┼───────┤",
    "║ ▀▀▄▄█ ║ █▄▄▀▀ ║ │ ▌▐▌▐▌ │ ▐▌▐▌▐ │",
    "╚═══════╩═══════╝ └───────┴───────┘",
    "╓───────╥───────╖ ╒═══════╤═══════╕",
    "╙───────╨───────╜ ╘═══════╧═══════╛",
)
BOX_ROW, BOX_COL, BOX_ATTR = 18, 22, 0x1E      # yellow on blue


def text_program(mode: int, columns: int, title: str, grid_col: int, box: tuple[str, ...],
                 box_col: int) -> str:
    """Mode ``mode``: a title (row 0), the 256 attributes in a 16x16 grid (attribute ``a`` at row
    2 + a / 16, column ``grid_col`` + (a % 16) * ``cell``: 80 columns the cells ``' ', DBh, 'g'``,
    40 columns ``DBh, 'g'``), and the lines of ``box`` (from row :data:`BOX_ROW`)."""
    cell = 4 if columns == 80 else 2
    pitch = columns * 2
    width = len(box[0])
    box_data = data_bytes(b"".join(line.encode("cp437") + b"\x00" for line in box) + b"\xff")
    title_data = data_bytes(title.encode("cp437") + b"\x00")
    grid_chars = "mov al, 0x20\n stosw\n mov al, 0xDB\n stosw\n mov al, 0x67\n stosw" if cell == 4 \
        else "mov al, 0xDB\n stosw\n mov al, 0x67\n stosw"
    return f"""
    mov ax, {mode:#06x}
    int 0x10
    mov ax, 0x1003          ; attribute bit 7: bright background
    xor bx, bx
    int 0x10
    mov ah, 0x01            ; cursor off
    mov cx, 0x2000
    int 0x10
    mov ax, 0xB800
    mov es, ax
    cld
    mov si, title
    xor di, di
    mov ah, 0x0F
title_loop:
    lodsb
    test al, al
    jz title_done
    stosw
    jmp title_loop
title_done:
    xor bx, bx              ; bx = attribute 0..255
grid:
    mov ax, bx
    shr ax, 4
    add ax, 2
    mov dx, {pitch}
    mul dx
    mov di, ax
    mov ax, bx
    and ax, 15
    imul ax, ax, {cell * 2}
    add di, ax
    add di, {grid_col * 2}
    mov ah, bl
    {grid_chars}
    inc bx
    cmp bx, 256
    jb grid
    mov si, box
    mov di, {(BOX_ROW * columns + box_col) * 2}
    mov ah, {BOX_ATTR:#x}
box_loop:
    lodsb
    cmp al, 0xFF
    je box_done
    test al, al
    jnz box_char
    add di, {(columns - width) * 2}
    jmp box_loop
box_char:
    stosw
    jmp box_loop
box_done:
    {DONE}
title:
{title_data}
box:
{box_data}
"""


def cell_pixels(frame: np.ndarray, row: int, col: int) -> np.ndarray:
    """A whole 9x16 character cell (the VGA text modes at 400 lines use 9-dot characters)."""
    return frame[row * 16:(row + 1) * 16, col * 9:(col + 1) * 9]


def check_attribute_grid(frame: np.ndarray, grid_col: int, cell: int) -> None:
    """Every attribute: a space cell is all background, a full block (DBh) all foreground."""
    for a in range(256):
        row, col = 2 + a // 16, grid_col + (a % 16) * cell
        fg, bg = RGBI[a & 15], RGBI[a >> 4]
        if cell == 4:
            assert (cell_pixels(frame, row, col) == bg).all(), f"attribute {a:02X}h: background"
            col += 1
        block = cell_pixels(frame, row, col)
        assert (block == fg).all(), f"attribute {a:02X}h: full block not in colour {a & 15}"
        letter = cell_pixels(frame, row, col + 1)
        ink = (letter == fg).all(axis=2)
        assert ink.any() and ((letter[~ink] == bg).all()), f"attribute {a:02X}h: 'g'"


def check_box_lines(frame: np.ndarray, box: tuple[str, ...], box_col: int) -> None:
    """Box-drawing characters reach the cell edges: a horizontal line is one full scan line of
    ink in its cell, the ninth dot included (line graphics, AR10 bit 2, for C0h-DFh), a vertical
    line one full column of ink."""
    fg, bg = RGBI[BOX_ATTR & 15], RGBI[BOX_ATTR >> 4]
    for r, line in enumerate(box):
        for c, ch in enumerate(line):
            cell = cell_pixels(frame, BOX_ROW + r, box_col + c)
            ink = (cell == fg).all(axis=2)
            assert (ink | (cell == bg).all(axis=2)).all(), f"box cell {r},{c}: colours"
            if ch in "─═":
                assert ink.all(axis=1).any(), f"box cell {r},{c} {ch!r}: no full horizontal line"
                assert not ink.all(axis=0).any()
            elif ch in "│║":
                assert ink.all(axis=0).any(), f"box cell {r},{c} {ch!r}: no full vertical line"
                assert not ink.all(axis=1).any()
            elif ch == "█":
                assert ink.all()
            elif ch == " ":
                assert not ink.any()


def test_text_mode_03h(tmp_path: Path) -> None:
    title = "pyx86 golden: mode 03h, 80x25, 16 colours on 16 backgrounds"
    frame, _ = run_guest(tmp_path, text_program(0x03, 80, title, 8, BOX_LINES, BOX_COL))
    assert frame.shape == (400, 720, 3)                     # 80 characters of 9 dots
    check_attribute_grid(frame, 8, 4)
    check_box_lines(frame, BOX_LINES, BOX_COL)
    assert (cell_pixels(frame, 0, 60) == 0).all()           # past the title: blank, black
    check_golden("text_03h", frame)


SMALL_BOX = ("╔══╦══╗┌──┬──┐", "║▓▒║░█║│▒░│▀▄│", "╚══╩══╝└──┴──┘")


def test_text_mode_01h_40_columns(tmp_path: Path) -> None:
    frame, _ = run_guest(tmp_path, text_program(0x01, 40, "pyx86 golden: mode 01h 40x25", 4, SMALL_BOX, 13))
    assert frame.shape == (400, 720, 3)                     # 40 9-dot characters, dot clock / 2
    frame = undouble(frame, x=True, y=False)
    check_attribute_grid(frame, 4, 2)
    check_box_lines(frame, SMALL_BOX, 13)
    check_golden("text_01h", frame)


# --- CGA modes ----------------------------------------------------------------------------------
def cga_line_start() -> str:
    """DI := the offset of line DX in CGA memory (even lines at 0, odd lines at 2000h)."""
    return """
    mov di, dx
    shr di, 1
    imul di, di, 80
    test dl, 1
    jz even_line
    add di, 0x2000
even_line:
"""


CGA4_PROGRAM = f"""
    mov ax, 0x0004
    int 0x10
    mov ax, 0x0B00          ; background blue, normal intensity (BL bit 4 clear)
    mov bx, 0x0001
    int 0x10
    mov ax, 0x0B00          ; palette 1: cyan, magenta, white
    mov bx, 0x0101
    int 0x10
    mov ax, 0xB800
    mov es, ax
    cld
    xor dx, dx              ; y
scanline:
    {cga_line_start()}
    xor bx, bx              ; byte of the line
column:
    mov al, bl
    shr al, 2
    mov ah, dl
    shr ah, 3
    xor al, ah
    and al, 3
    mov ah, 0x55            ; four pixels of colour al
    mul ah
    stosb
    inc bx
    cmp bx, 80
    jb column
    inc dx
    cmp dx, 200
    jb scanline
    {DONE}
"""


def test_cga_mode_04h(tmp_path: Path) -> None:
    frame, _ = run_guest(tmp_path, CGA4_PROGRAM)
    native = undouble(frame, x=True, y=True)
    assert native.shape == (200, 320, 3)
    # colour select 01h: background blue; palette 1 at normal intensity: cyan, magenta, light grey
    colours = RGBI[[1, 3, 5, 7]]
    y, x = np.mgrid[0:200, 0:320]
    expected = colours[((x >> 4) ^ (y >> 3)) & 3]
    assert (native == expected).all()
    check_golden("cga_04h", native)


CGA6_PROGRAM = f"""
    mov ax, 0x0006
    int 0x10
    mov ax, 0xB800
    mov es, ax
    cld
    xor dx, dx              ; y
scanline:
    {cga_line_start()}
    mov cl, dl
    and cl, 7
    mov ah, 0x80
    shr ah, cl              ; ah = the hatch byte of this line
    mov bl, dl
    shr bl, 3               ; bl = y / 8
    xor si, si              ; byte of the line
column:
    mov cx, si
    mov al, cl
    add al, bl
    test al, 1
    mov al, 0xFF
    jnz store
    mov al, ah
store:
    stosb
    inc si
    cmp si, 80
    jb column
    inc dx
    cmp dx, 200
    jb scanline
    {DONE}
"""


def test_cga_mode_06h(tmp_path: Path) -> None:
    frame, _ = run_guest(tmp_path, CGA6_PROGRAM)
    native = undouble(frame, x=False, y=True)
    assert native.shape == (200, 640, 3)
    y, x = np.mgrid[0:200, 0:640]
    solid = ((x >> 3) + (y >> 3)) & 1 == 1
    hatch = (x & 7) == (y & 7)
    expected = np.where((solid | hatch)[..., None], RGBI[15], RGBI[0])
    assert (native == expected).all()
    check_golden("cga_06h", native)


# --- EGA and VGA planar modes -----------------------------------------------------------------
def gc(index: int, value: int) -> str:
    """Graphics controller register ``index`` := ``value`` (one word OUT to 3CEh)."""
    return f"    mov dx, 0x3CE\n    mov ax, {value << 8 | index:#06x}\n    out dx, ax\n"


def seq(index: int, value: int) -> str:
    """Sequencer register ``index`` := ``value`` (one word OUT to 3C4h)."""
    return f"    mov dx, 0x3C4\n    mov ax, {value << 8 | index:#06x}\n    out dx, ax\n"


def crtc(index: int, value: int) -> str:
    """CRT controller register ``index`` := ``value`` (one word OUT to 3D4h)."""
    return f"    mov dx, 0x3D4\n    mov ax, {value << 8 | index:#06x}\n    out dx, ax\n"


VIDEO_SEGMENT = """
    mov ax, 0xA000
    mov es, ax
    cld
"""

EGA_0D_PROGRAM = f"""
    mov ax, 0x000D
    int 0x10
{VIDEO_SEGMENT}
{gc(5, 0x02)}               ; write mode 2: the CPU byte is the colour of all 8 pixels
    xor di, di
    xor dx, dx              ; y
scanline:
    xor bx, bx              ; byte of the line
column:
    mov al, dl
    shr al, 3
    add al, bl
    and al, 15
    stosb
    inc bx
    cmp bx, 40
    jb column
    inc dx
    cmp dx, 200
    jb scanline
{gc(5, 0x00)}
{DONE}
"""


def test_ega_mode_0dh(tmp_path: Path) -> None:
    """Write mode 2, 8x8 blocks of the 16 colours (the 200-line modes use the BIOS's
    CGA-compatible DAC table: brown for 6, the bright colours for 10h-17h)."""
    frame, _ = run_guest(tmp_path, EGA_0D_PROGRAM)
    native = undouble(frame, x=True, y=True)
    assert native.shape == (200, 320, 3)
    y, x = np.mgrid[0:200, 0:320]
    expected = RGBI[((x >> 3) + (y >> 3)) & 15]
    assert (native == expected).all()
    check_golden("ega_0dh", native)


EGA_10_PROGRAM = f"""
    mov ax, 0x0010
    int 0x10
{VIDEO_SEGMENT}
    xor cl, cl              ; plane
plane:
    mov dx, 0x3C4           ; map mask: this plane only
    mov al, 2
    mov ah, 1
    shl ah, cl
    out dx, ax
    xor di, di
    xor dx, dx              ; y
scanline:
    xor bx, bx              ; byte of the line
column:
    mov ax, dx
    shr ax, 4
    xor al, bl
    shr al, cl
    and al, 1
    neg al                  ; 00h or FFh: bit 'plane' of (x / 8) ^ (y / 16) for all 8 pixels
    stosb
    inc bx
    cmp bx, 80
    jb column
    inc dx
    cmp dx, 350
    jb scanline
    inc cl
    cmp cl, 4
    jb plane
{seq(2, 0x0F)}
{DONE}
"""


def test_ega_mode_10h(tmp_path: Path) -> None:
    frame, _ = run_guest(tmp_path, EGA_10_PROGRAM)
    assert frame.shape == (350, 640, 3)
    y, x = np.mgrid[0:350, 0:640]
    expected = RGBI[((x >> 3) ^ (y >> 4)) & 15]
    assert (frame == expected).all()
    check_golden("ega_10h", frame)


VGA_12_PROGRAM = f"""
    mov ax, 0x0012
    int 0x10
{VIDEO_SEGMENT}
; band 1, lines 0-119: write mode 0 with set/reset on all planes, 16 bars of 40 pixels
{gc(1, 0x0F)}
    xor bx, bx              ; bar = colour
bar:
    mov dx, 0x3CE
    mov al, 0
    mov ah, bl
    out dx, ax              ; set/reset := bar
    imul di, bx, 5
    mov si, 120
bar_line:
    mov cx, 5
    rep stosb
    add di, 75
    dec si
    jnz bar_line
    inc bx
    cmp bx, 16
    jb bar
; ... and a rectangle XORed with colour 15 (lines 40-79, x 160-479; the latches loaded first)
{gc(0, 0x0F)}
{gc(3, 0x18)}
    mov di, 40 * 80 + 20
    mov si, 40
xor_line:
    mov cx, 40
xor_byte:
    mov al, es:[di]
    stosb
    loop xor_byte
    add di, 40
    dec si
    jnz xor_line
{gc(3, 0x00)}
{gc(1, 0x00)}
; band 2, lines 120-239: write mode 2 through the bit mask; left 4 pixels colour (x / 8) & 15,
; right 4 pixels colour (y / 8) & 15 (a latch load before each masked write)
{gc(5, 0x02)}
    mov di, 120 * 80
    mov bp, 120             ; y
wm2_line:
    xor bx, bx              ; byte of the line
wm2_byte:
    mov al, es:[di]
    mov dx, 0x3CE
    mov ax, 0xF008
    out dx, ax
    mov al, bl
    and al, 15
    mov es:[di], al
    mov al, es:[di]
    mov ax, 0x0F08
    out dx, ax
    mov ax, bp
    shr ax, 3
    and al, 15
    stosb
    inc bx
    cmp bx, 80
    jb wm2_byte
    inc bp
    cmp bp, 240
    jb wm2_line
{gc(8, 0xFF)}
; band 3, lines 240-359: blue background (set/reset), then write mode 3 draws diagonals in
; colour 8 + (y / 8) & 7 (set/reset value; the CPU byte 80h >> (y & 7) is the bit mask)
{gc(5, 0x00)}
{gc(1, 0x0F)}
{gc(0, 0x01)}
    mov di, 240 * 80
    mov cx, 120 * 80
    rep stosb
{gc(1, 0x00)}
{gc(5, 0x03)}
    mov di, 240 * 80
    mov bp, 240             ; y
wm3_line:
    mov ax, bp
    shr ax, 3
    and al, 7
    or al, 8
    mov ah, al
    mov al, 0
    mov dx, 0x3CE
    out dx, ax              ; set/reset := 8 + (y / 8) & 7
    mov cx, bp
    and cl, 7
    mov ah, 0x80
    shr ah, cl
    mov cx, 80
wm3_byte:
    mov al, es:[di]
    mov al, ah
    stosb
    loop wm3_byte
    inc bp
    cmp bp, 360
    jb wm3_line
{gc(5, 0x00)}
{gc(0, 0x00)}
; band 4, lines 360-419: write mode 0, CPU data through the map mask, one plane at a time
    mov si, plane_bytes
    mov cl, 0
plane:
    mov dx, 0x3C4
    mov al, 2
    mov ah, 1
    shl ah, cl
    out dx, ax
    mov al, [si]
    inc si
    mov di, 360 * 80
    push cx
    mov cx, 60 * 80
    rep stosb
    pop cx
    inc cl
    cmp cl, 4
    jb plane
{seq(2, 0x0F)}
; band 5, lines 420-479: write mode 1 (latch copy) of lines 120-179, bytes 0-69, to bytes 10-79
{gc(5, 0x01)}
    push ds
    push es
    pop ds
    mov si, 120 * 80
    mov di, 420 * 80 + 10
    mov dx, 60
copy_line:
    mov cx, 70
    rep movsb
    add si, 10
    add di, 10
    dec dx
    jnz copy_line
    pop ds
{gc(5, 0x00)}
{DONE}
plane_bytes:
    .byte 0xFF, 0xF0, 0xCC, 0xAA
"""


def vga_12h_pattern() -> np.ndarray:
    """The 640x480 colour numbers VGA_12_PROGRAM draws, from its definition."""
    y, x = np.mgrid[0:480, 0:640]
    c = np.zeros((480, 640), dtype=np.int64)
    band1 = y < 120
    c[band1] = (x // 40)[band1]
    box = (y >= 40) & (y < 80) & (x >= 160) & (x < 480)
    c[box] ^= 15
    band2 = (y >= 120) & (y < 240)
    c[band2] = np.where((x & 7) < 4, (x >> 3) & 15, (y >> 3) & 15)[band2]
    band3 = (y >= 240) & (y < 360)
    c[band3] = np.where((x & 7) == (y & 7), 8 + ((y >> 3) & 7), 1)[band3]
    band4 = (y >= 360) & (y < 420)
    k = x & 7
    bits = 1 | (k < 4) << 1 | (((k >> 1) & 1) == 0) << 2 | ((k & 1) == 0) << 3
    c[band4] = bits[band4]
    band5 = (y >= 420) & (x >= 80)
    c[band5] = c[y[band5] - 300, x[band5] - 80]
    c[(y >= 420) & (x < 80)] = 0
    return c


def test_vga_mode_12h_write_modes(tmp_path: Path) -> None:
    frame, _ = run_guest(tmp_path, VGA_12_PROGRAM)
    assert frame.shape == (480, 640, 3)
    expected = RGBI[vga_12h_pattern()]
    wrong = np.argwhere((frame != expected).any(axis=2))
    assert not len(wrong), f"{len(wrong)} pixels wrong, first (y, x) {tuple(wrong[0])}"
    check_golden("vga_12h", frame)


def read_dac(machine: Machine) -> np.ndarray:
    """The 256 DAC entries (6-bit) read back through ports 3C7h/3C9h."""
    bus = machine.bus
    bus.write(0x3C7, 1, 0)
    values = [bus.read(0x3C9, 1) for _ in range(256 * 3)]
    return np.array(values, dtype=np.int64).reshape(256, 3)


def check_default_256_dac(dac: np.ndarray) -> None:
    """Entries 0-15 of the mode 13h DAC are the 16 RGBI colours, 16-31 a grey ramp up to white."""
    assert (six_to_eight(dac[:16]) == RGBI).all()
    greys = dac[16:32]
    assert (greys[:, 0] == greys[:, 1]).all() and (greys[:, 0] == greys[:, 2]).all()
    assert greys[0, 0] == 0 and greys[-1, 0] == 63 and (np.diff(greys[:, 0]) > 0).all()


VGA_13_PROGRAM = f"""
    mov ax, 0x0013
    int 0x10
{VIDEO_SEGMENT}
    xor di, di
    xor dx, dx              ; y
scanline:
    xor bx, bx              ; x
column:
    mov al, bl
    xor al, dl
    stosb
    inc bx
    cmp bx, 320
    jb column
    inc dx
    cmp dx, 200
    jb scanline
{DONE}
"""


def test_vga_mode_13h(tmp_path: Path) -> None:
    frame, dac = run_guest(tmp_path, VGA_13_PROGRAM, read_dac)
    check_default_256_dac(dac)
    native = undouble(frame, x=True, y=True)
    assert native.shape == (200, 320, 3)
    y, x = np.mgrid[0:200, 0:320]
    assert (native == six_to_eight(dac)[(x ^ y) & 255]).all()
    assert tuple(native[0, 15]) == (0xFF, 0xFF, 0xFF) and tuple(native[0, 1]) == (0, 0, 0xAA)
    check_golden("vga_13h", native)


MODE_X_PROGRAM = f"""
    mov ax, 0x0013
    int 0x10
{VIDEO_SEGMENT}
; unchain: sequencer memory mode 06h (chain 4 off), CRTC underline 00h (no doubleword
; addressing), mode control E3h (byte mode)
{seq(4, 0x06)}
{crtc(0x14, 0x00)}
{crtc(0x17, 0xE3)}
; 480-line vertical timing (double scanned: 240 rows), the values of the 640x480 modes
    mov dx, 0x3C2
    mov al, 0xE3
    out dx, al
{crtc(0x11, 0x0C)}          ; registers 0-7 writable
{crtc(0x06, 0x0B)}
{crtc(0x07, 0x3E)}
{crtc(0x10, 0xEA)}
{crtc(0x12, 0xDF)}
{crtc(0x15, 0xE7)}
{crtc(0x16, 0x04)}
{crtc(0x11, 0x8C)}
; pixel (x, y) := (x + y) & 255: plane x & 3, byte y * 80 + x / 4
    xor cl, cl              ; plane
plane:
    mov dx, 0x3C4
    mov al, 2
    mov ah, 1
    shl ah, cl
    out dx, ax
    xor di, di
    xor dx, dx              ; y
scanline:
    mov al, dl
    add al, cl              ; x + y for x = plane
    mov bx, 80
column:
    stosb
    add al, 4
    dec bx
    jnz column
    inc dx
    cmp dx, 240
    jb scanline
    inc cl
    cmp cl, 4
    jb plane
{seq(2, 0x0F)}
{DONE}
"""


def test_vga_mode_x_320x240(tmp_path: Path) -> None:
    frame, dac = run_guest(tmp_path, MODE_X_PROGRAM, read_dac)
    check_default_256_dac(dac)
    native = undouble(frame, x=True, y=True)
    assert native.shape == (240, 320, 3)
    y, x = np.mgrid[0:240, 0:320]
    assert (native == six_to_eight(dac)[(x + y) & 255]).all()
    assert tuple(native[239, 0]) == tuple(six_to_eight(dac)[239])        # the lines past 200 show
    check_golden("vga_mode_x", native)


# --- fonts the guest loads ---------------------------------------------------------------------
#: the guest's own glyphs: 'A' (written into plane 2 directly) and 'B' (INT 10h AX=1100h)
GUEST_GLYPH_A = bytes([0xFF, 0x81, 0xBD, 0xA5, 0xA5, 0xBD, 0x81, 0xFF] * 2)
GUEST_GLYPH_B = bytes([0xAA, 0x55] * 8)

FONT_PROGRAM = f"""
    mov ax, 0x0003
    int 0x10
    mov ah, 0x01            ; cursor off
    mov cx, 0x2000
    int 0x10
    cli
{seq(0, 0x01)}              ; plane 2 addressable at A0000h: sequential, map mask 4,
{seq(2, 0x04)}              ; read map 2, write mode 0, A0000h-AFFFFh
{seq(4, 0x06)}
{seq(0, 0x03)}
{gc(4, 0x02)}
{gc(5, 0x00)}
{gc(6, 0x04)}
    mov ax, 0xA000
    mov es, ax
    cld
    mov si, glyph_a
    mov di, 0x41 * 32
    mov cx, 16
    rep movsb
{seq(0, 0x01)}              ; back to the text mode's odd/even addressing
{seq(2, 0x03)}
{seq(4, 0x02)}
{seq(0, 0x03)}
{gc(4, 0x00)}
{gc(5, 0x10)}
{gc(6, 0x0E)}
    sti
    push ds
    pop es
    mov ax, 0x1100          ; 'B' from ES:BP: 1 character of 16 bytes into map 0
    mov bx, 0x1000
    mov cx, 1
    mov dx, 0x42
    mov bp, glyph_b
    int 0x10
    mov ax, 0x1100          ; the same glyph as 'C' in map 1 (16 KiB)
    mov bx, 0x1001
    mov cx, 1
    mov dx, 0x43
    mov bp, glyph_b
    int 0x10
    mov ax, 0x1103          ; map 1 for attribute bit 3 set, map 0 for clear
    mov bl, 0x04
    int 0x10
    mov ax, 0xB800
    mov es, ax
    xor di, di
    mov ax, 0x0741          ; A B C with attribute 07h, then C with 0Fh
    stosw
    mov al, 0x42
    stosw
    mov al, 0x43
    stosw
    mov ax, 0x0F43
    stosw
{DONE}
glyph_a:
{data_bytes(GUEST_GLYPH_A)}
glyph_b:
{data_bytes(GUEST_GLYPH_B)}
"""


def test_guest_loaded_fonts(tmp_path: Path) -> None:
    """A guest's own glyphs in plane 2 are on the screen: one written through the planar memory
    path, one loaded with INT 10h AX=1100h; AX=1103h makes attribute bit 3 pick map 1."""
    from bios import font as F

    frame, sr03 = run_guest(tmp_path, FONT_PROGRAM, lambda m: m.vga.seq[3])
    assert sr03 == 0x04 and frame.shape == (400, 720, 3)
    grey, white = RGBI[7], RGBI[15]

    def mask(glyph: bytes) -> np.ndarray:
        return np.unpackbits(np.frombuffer(glyph, dtype=np.uint8)[:, None], axis=1).astype(bool)

    for col, glyph, ink in ((0, GUEST_GLYPH_A, grey), (1, GUEST_GLYPH_B, grey),
                            (2, F.font(16)[0x43 * 16:0x44 * 16], grey), (3, GUEST_GLYPH_B, white)):
        pixels = cell_pixels(frame, 0, col)[:, :8]
        expected = np.where(mask(glyph)[..., None], ink, RGBI[0])
        assert (pixels == expected).all(), f"column {col}"
