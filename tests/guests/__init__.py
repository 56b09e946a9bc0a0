"""Test guest programs written in this repository (assembled with keystone when a test runs)."""

from __future__ import annotations

import struct
from pathlib import Path

GUEST_DIR = Path(__file__).resolve().parent
ROM_SIZE = 0x10000


def assemble16(source: str, origin: int = 0) -> bytes:
    """Assemble Intel-syntax 16-bit ``source`` (``;`` comments allowed) at offset ``origin``."""
    from keystone import KS_ARCH_X86, KS_MODE_16, Ks

    encoding, _ = Ks(KS_ARCH_X86, KS_MODE_16).asm(_strip_comments(source), origin)
    return bytes(encoding or b"")


def _strip_comments(source: str) -> str:
    """keystone reads ';' as a statement separator: drop the comments first."""
    return "\n".join(line.split(";", 1)[0] for line in source.splitlines())


# a null descriptor, flat 4 GiB code (08h) and flat 4 GiB data (10h) (SDM Vol. 3, 3.4.5)
FLAT_GDT = bytes(8) + bytes.fromhex("FFFF0000009ACF00") + bytes.fromhex("FFFF00000092CF00")


def flat32_program(origin: int, body32: str, prelude16: str = "", gdt_offset: int = 0xE0,
                   pm_offset: int = 0x100) -> bytes:
    """A program loaded at ``origin`` that runs the real-mode ``prelude16`` (it may jump to
    ``failed``: CLI; HLT), enters flat 32-bit protected mode (CS=08h, data segments 10h,
    ESP=7000h) and runs ``body32`` (both ``;`` comments allowed); CLI; HLT after it.

    The GDT sits at ``origin + gdt_offset``, the 32-bit part at ``origin + pm_offset``.
    """
    from keystone import KS_ARCH_X86, KS_MODE_32, Ks

    gdt = origin + gdt_offset
    head = assemble16(f"""
        {prelude16}
        cli
        lgdt [{gdt + len(FLAT_GDT):#x}]
        mov eax, cr0
        or al, 1
        mov cr0, eax
        .byte 0x66, 0xEA
        .long {origin + pm_offset:#x}
        .word 0x08
    failed:
        cli
        hlt
    """, origin)
    if len(head) > gdt_offset:
        raise ValueError(f"the real-mode part ({len(head)} bytes) overlaps the GDT")
    table = FLAT_GDT + struct.pack("<HI", len(FLAT_GDT) - 1, gdt)
    text = (f"mov ax, 0x10\nmov ds, ax\nmov es, ax\nmov ss, ax\nmov esp, 0x7000\n"
            f"{_strip_comments(body32)}\ncli\nhlt")
    body = bytes(Ks(KS_ARCH_X86, KS_MODE_32).asm(text, origin + pm_offset)[0])
    code = bytearray(pm_offset + len(body))
    code[:len(head)] = head
    code[gdt_offset:gdt_offset + len(table)] = table
    code[pm_offset:] = body
    return bytes(code)


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
