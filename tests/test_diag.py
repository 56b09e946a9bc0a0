"""The built-in diagnostics disk (disk_images/diag.img): its recipe, and a headless run through its menu."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

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
        assert pc.run_until_text("Keyboard echo", seconds=5)

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
        assert pc.run_until(lambda: _bda_mode(pc) == 0x03, seconds=10, what="mode 3")
        assert not pc.machine.vga.attr[0x10] & 1
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
