"""Test guest programs written in this repository (assembled with keystone when a test runs)."""

from __future__ import annotations

from pathlib import Path

GUEST_DIR = Path(__file__).resolve().parent
ROM_SIZE = 0x10000


def assemble16(source: str, origin: int = 0) -> bytes:
    """Assemble Intel-syntax 16-bit ``source`` (``;`` comments allowed) at offset ``origin``."""
    from keystone import KS_ARCH_X86, KS_MODE_16, Ks

    # keystone reads ';' as a statement separator: drop the comments first
    text = "\n".join(line.split(";", 1)[0] for line in source.splitlines())
    encoding, _ = Ks(KS_ARCH_X86, KS_MODE_16).asm(text, origin)
    return bytes(encoding or b"")


def rom_from_source(source: str) -> bytes:
    """A 64 KiB ROM for F0000h: the program at F000:0000, a far jump to it at the reset vector."""
    code = assemble16(source)
    if len(code) > 0xFFF0:
        raise ValueError(f"{len(code)} bytes do not fit below the reset vector")
    rom = bytearray(b"\xff" * ROM_SIZE)
    rom[: len(code)] = code
    rom[0xFFF0:0xFFF5] = bytes((0xEA, 0x00, 0x00, 0x00, 0xF0))   # JMP F000:0000
    return bytes(rom)


def rom_image(name: str) -> bytes:
    """:func:`rom_from_source` of ``tests/guests/<name>.asm``."""
    return rom_from_source((GUEST_DIR / f"{name}.asm").read_text())
