"""Disassembly for messages and logs: capstone when it is installed, hex bytes otherwise.

capstone is only a test dependency, so every caller must cope with the
fallback, which cannot tell where an instruction ends::

    >>> describe(b"\\x0f\\x0b", 0x0123)            # with capstone
    '0F 0B (ud2)'
    >>> disassemble(b"\\xb8\\x34\\x12\\x90", 0x100, count=2)
    ['mov ax, 0x1234', 'nop']

In 16-bit code pass the offset (IP) as ``address``, not the linear address,
so branch targets read as offsets in the same segment.
"""

from __future__ import annotations

from functools import cache
from typing import Any

MAX_INSN_LEN = 15    # the architectural limit of one x86 instruction
FALLBACK_BYTES = 8   # bytes shown when capstone cannot split the instructions


def hex_bytes(code: bytes) -> str:
    """``b"\\x0f\\x0b"`` -> ``"0F 0B"``."""
    return " ".join(f"{b:02X}" for b in code)


@cache
def _capstone(bits: int) -> Any:
    """A capstone disassembler for ``bits``-bit code, or None when capstone is not installed."""
    try:
        import capstone
    except ImportError:
        return None
    mode = capstone.CS_MODE_16 if bits == 16 else capstone.CS_MODE_32
    return capstone.Cs(capstone.CS_ARCH_X86, mode)


def _check_bits(bits: int) -> None:
    if bits not in (16, 32):
        raise ValueError(f"bits must be 16 or 32, not {bits}")


def disassemble(code: bytes, address: int, bits: int = 16, count: int = 1) -> list[str]:
    """Up to ``count`` instructions from the start of ``code`` as Intel-syntax text.

    Bytes capstone cannot decode end the listing with ``"(bad) XX"``.  Without
    capstone the result is one line with the first bytes in hex.
    """
    _check_bits(bits)
    code = bytes(code)
    cs = _capstone(bits)
    if cs is None:
        return [hex_bytes(code[:FALLBACK_BYTES])] if code else []
    lines: list[str] = []
    offset = 0
    for insn in cs.disasm(code, address, count):
        lines.append(f"{insn.mnemonic} {insn.op_str}".rstrip())
        offset += insn.size
    if len(lines) < count and offset < len(code):
        lines.append(f"(bad) {code[offset]:02X}")
    return lines


def describe(code: bytes, address: int, bits: int = 16) -> str:
    """The first instruction's bytes and text for an error message: ``"0F 0B (ud2)"``.

    Where the length is unknown (undecodable bytes, or no capstone) the first
    bytes are shown: ``"0F FF 00 (bad)"``, or without capstone ``"0F FF 00"``.
    """
    _check_bits(bits)
    code = bytes(code)
    cs = _capstone(bits)
    if cs is None:
        return hex_bytes(code[:FALLBACK_BYTES])
    for insn in cs.disasm(code[:MAX_INSN_LEN], address, 1):
        return f"{hex_bytes(insn.bytes)} ({insn.mnemonic} {insn.op_str})".replace(" )", ")")
    return f"{hex_bytes(code[:FALLBACK_BYTES])} (bad)" if code else "(no bytes)"
