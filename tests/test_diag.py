"""The built-in diagnostics disk (disk_images/diag.img): its recipe, and a headless run through its menu."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import numpy as np
import pytest

from emulator import screen
from emulator.session import Session

ROOT = Path(__file__).resolve().parent.parent
IMAGE = ROOT / "disk_images" / "diag.img"
COUNTS = {"alu": 3000151, "mem": 2400121, "str": 2460001}     # documented in disk_images/diag/diag.asm


def _recipe():
    spec = importlib.util.spec_from_file_location("build_diag", ROOT / "disk_images" / "build_diag.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_committed_image_matches_recipe():
    pytest.importorskip("keystone")
    built = _recipe().build()
    assert len(built) == 163840
    assert built[510:512] == b"\x55\xaa"
    assert IMAGE.read_bytes() == built, "run: python disk_images/build_diag.py"


def _bda_mode(pc: Session) -> int:
    return int(pc.machine.cpu.ram[0x449])


def test_diag_menu_headless():
    e9 = bytearray()
    with Session("-fda", str(IMAGE), "-snapshot", "-device", "isa-debug-exit,iobase=0xf4,iosize=4") as pc:
        pc.machine.debugcon.sink = e9.extend
        assert pc.run_until_text("pyx86 diagnostics", seconds=30)
        assert pc.run_until_text("Mouse echo", seconds=5)

        # 1: CPU speed
        pc.type("1")
        assert pc.run_until(lambda: e9.count(b" end ") == 3, seconds=120, what="three BENCH end lines")
        lines = bytes(e9).decode().splitlines()
        assert lines == [f"BENCH {name} {what}" for name in COUNTS
                         for what in ("start", f"end {COUNTS[name]}")]
        assert pc.run_until_text("Press a key", seconds=5)
        assert pc.screen_contains(f"alu: {COUNTS['alu']} instructions")
        pc.type(" ")
        assert pc.run_until_text("Choose:", seconds=5)

        # 2: video tour, mode 13h, 12h, 04h and back to 3
        pc.type("2")
        for mode in (0x13, 0x12, 0x04):
            assert pc.run_until(lambda m=mode: _bda_mode(pc) == m, seconds=30, what=f"mode {mode:02X}h")
            pc.run(seconds=1.0)                  # let it draw
            vga = pc.machine.vga
            assert vga.attr[0x10] & 1, "the attribute controller is in graphics mode"
            assert bool(vga.seq[4] & 0x08) == (mode == 0x13), "chain-4 only in mode 13h"
            assert vga.gc[1] == 0, "set/reset is off again after the drawing"
            pc.type(" ")

        # then VBE mode 101h: the 16 x 16 grid of the 256 colours, drawn through the bank window
        vbe = pc.machine.vbe
        assert pc.run_until(lambda: vbe.enabled, seconds=10, what="a VBE mode")
        assert (vbe.xres, vbe.yres, vbe.bpp) == (640, 480, 8) and not vbe.lfb
        assert pc.run_until(lambda: vbe.vram[640 * 480 - 1] == 255, seconds=60, what="the last cell")
        frame = screen.render(pc.machine)
        assert frame.shape == (480, 640, 3)
        palette = pc.machine.vga.palette_rgb()            # the default 256-colour DAC
        for py, px, colour in ((0, 0, 0), (15, 60, 1), (100, 300, 55), (250, 639, 143),
                               (479, 0, 240), (400, 639, 223)):
            assert tuple(frame[py, px]) == tuple(palette[colour]), (py, px)
        y, x = np.mgrid[0:480, 0:640]
        assert np.array_equal(frame, palette[(y // 30) * 16 + x // 40]), "every pixel, all five banks"
        assert len({tuple(c) for c in frame[::30, ::40].reshape(-1, 3)}) > 200, "the DAC's colours"
        pc.type(" ")
        assert pc.run_until(lambda: _bda_mode(pc) == 0x03, seconds=10, what="mode 3")
        assert not pc.machine.vga.attr[0x10] & 1
        assert not vbe.enabled, "mode 3 turned the display interface off"
        assert pc.run_until_text("Choose:", seconds=5)

        # 3: keyboard echo, one key, then Esc
        pc.type("3")
        assert pc.run_until_text("Esc returns", seconds=5)
        pc.type("a")
        assert pc.run_until_text("scan 1E  ascii 61 'a'", seconds=5)
        pc.key("esc")
        assert pc.run_until_text("Choose:", seconds=5)

        # Q: quit through isa-debug-exit
        e9.clear()
        pc.type("q")
        stop = pc.run(seconds=10)
        assert stop is not None and stop.status == 1
        assert bytes(e9) == b"BENCH quit\n"


def test_diag_video_tour_without_vbe():
    """A BIOS without INT 10h AH=4Fh: the tour shows the 4F00h status in text mode and goes on."""
    with Session("-fda", str(IMAGE), "-snapshot") as pc:
        assert pc.run_until_text("Choose:", seconds=30)
        video = pc.machine.bios.services[0x10].__self__
        del video.functions[0x4F]                 # AX comes back unchanged: 4F00h
        pc.type("2")
        for mode in (0x13, 0x12, 0x04):
            assert pc.run_until(lambda m=mode: _bda_mode(pc) == m, seconds=30, what=f"mode {mode:02X}h")
            pc.type(" ")
        assert pc.run_until_text("returned AX=4F00", seconds=10)
        assert _bda_mode(pc) == 0x03 and not pc.machine.vbe.enabled
        assert pc.screen_contains("Press a key for the menu")
        pc.type(" ")
        assert pc.run_until_text("Choose:", seconds=5)


def _attribute(pc: Session, row: int, col: int) -> int:
    """The attribute byte of a cell of the mode-3 text page 0."""
    return int(pc.machine.cpu.ram[0xB8000 + (row * 80 + col) * 2 + 1])


def _mouse_handler_installed(pc: Session) -> bool:
    """The [PS2] EBDA flag (offset 27h, bit 7) that the BIOS keeps for a C207h handler."""
    ram = pc.machine.cpu.ram
    ebda = (int(ram[0x40E]) | int(ram[0x40F]) << 8) << 4
    return bool(ram[ebda + 0x27] & 0x80)


def test_diag_mouse_echo():
    """Menu key 4: INT 15h C2xxh handler; packets move the position, the pointer cell, the buttons."""
    with Session("-fda", str(IMAGE), "-snapshot") as pc:
        mouse = pc.machine.kbc.mouse
        assert pc.run_until_text("Choose:", seconds=30)
        pc.type("4")
        assert pc.run_until_text("packets      0", seconds=5)
        assert pc.screen_contains("Device ID 00h")
        assert pc.screen_contains("position     X 320   Y 200")
        assert mouse.enabled and _mouse_handler_installed(pc)
        assert _attribute(pc, 12, 40) == 0x70, "the pointer cell starts in the middle"

        mouse.move(40, 32)                        # right and up: Y (downwards) 200 - 32
        assert pc.run_until_text("position     X 360   Y 168", seconds=5)
        assert pc.screen_contains("last packet  dx +40   dy +32   status 08")
        assert pc.screen_contains("packets      1")
        assert _attribute(pc, 12, 40) == 0x07 and _attribute(pc, 168 // 16, 360 // 8) == 0x70

        mouse.move(-7, -3, buttons=1)             # left button, a little left and down
        assert pc.run_until_text("position     X 353   Y 171", seconds=5)
        assert pc.screen_contains("last packet  dx -7    dy -3    status 39")
        assert pc.screen_contains("buttons      left down middle up   right up")
        mouse.move(0, 0, buttons=6)               # right and middle
        assert pc.run_until_text("buttons      left up   middle down right down", seconds=5)
        assert pc.screen_contains("last packet  dx 0     dy 0     status 0E")

        for _ in range(3):                        # far left and down: clamped to the screen
            mouse.move(-255, -255)
        assert pc.run_until_text("position     X 0     Y 399", seconds=5)
        assert pc.screen_contains("packets      6")
        assert _attribute(pc, 24, 0) == 0x70
        assert sum(_attribute(pc, r, c) == 0x70 for r in range(1, 25) for c in range(80)) == 1

        pc.key("esc")
        assert pc.run_until_text("Choose:", seconds=5)
        assert not mouse.enabled, "C200h BH=0 turned data reporting off"
        assert not _mouse_handler_installed(pc), "C207h ES:BX=0:0 removed the handler"
        mouse.move(10, 10)                        # ignored by the disabled mouse
        pc.type("3")                              # the keyboard still works
        assert pc.run_until_text("Esc returns", seconds=5)
        pc.type("z")
        assert pc.run_until_text("scan 2C  ascii 7A 'z'", seconds=5)
