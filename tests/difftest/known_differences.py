"""Differences where Unicorn (QEMU's x86 emulation) is known to disagree with Intel hardware.

Our core follows the Intel SDM and real Intel processors.  A mismatch that
matches an entry here is counted, not failed; anything else is either a bug
in our core or a new entry that must come with its reason.  Keep this list
tiny: flags that Intel documents as undefined belong in
:mod:`.undefined_flags`, not here.

Each entry: a name, the reason (with the SDM reference that says what Intel
hardware does) and a predicate over a :class:`harness.Mismatch`.  Every entry
is a case where our core is right, so after an explained difference the
harness copies our core's differing values into Unicorn and goes on (or, when
our core rightly raised an exception Unicorn did not, undoes the instruction
on Unicorn and both go on after it: the paged mode).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

from .undefined_flags import undefined_mask


@dataclass(frozen=True)
class KnownDifference:
    name: str
    reason: str
    matches: Callable[[object], bool]


PF, AF, ZF, SF, OF, CF = 0x4, 0x10, 0x40, 0x80, 0x800, 0x1
EFLAGS_SLOT = 9   # index of EFLAGS in harness.NAMES (Mismatch.before)
ARITH = CF | PF | AF | ZF | SF | OF


def _opcode(code: bytes) -> tuple[bytes, int]:
    """(legacy prefixes, index of the opcode byte) of ``code``."""
    i = 0
    while i < len(code) and code[i] in (0x26, 0x2E, 0x36, 0x3E, 0x64, 0x65, 0x66, 0x67, 0xF0, 0xF2, 0xF3):
        i += 1
    return code[:i], i


def _neg_flags(result: int, bits: int) -> int:
    """Arithmetic flags of NEG producing ``result`` (SDM Vol. 2B, NEG: flags set by the result;
    CF = 0 only for a zero source; AF = borrow out of bit 3)."""
    f = 0
    if result:
        f |= CF
    if result & 0xF:
        f |= AF
    if result == 0:
        f |= ZF
    if result >> (bits - 1):
        f |= SF
    if result == 1 << (bits - 1):
        f |= OF
    if bin(result & 0xFF).count("1") % 2 == 0:
        f |= PF
    return f


def _lock_neg(mm) -> bool:
    """LOCK NEG m8/m16/m32: Unicorn's flags differ; ours must be the flags the SDM gives for the result."""
    pfx, i = _opcode(mm.insn.code)
    code = mm.insn.code
    if 0xF0 not in pfx or code[i] not in (0xF6, 0xF7) or (code[i + 1] >> 3) & 7 != 3:
        return False
    if set(mm.fields) != {"eflags"} or mm.mem or len(mm.writes) != 1:
        return False
    addr, size, value = mm.writes[0]
    if size not in (1, 2, 4):
        return False
    core_flags = mm.fields["eflags"][0]
    return core_flags & ARITH == _neg_flags(value, 8 * size)


RF = 0x10000


def _rf_kept(mm) -> bool:
    """Only RF differs: clear on our side, still set on Unicorn's, and it was set before."""
    if set(mm.fields) != {"eflags"} or not mm.before[9] & RF:
        return False
    core, uni = mm.fields["eflags"]
    return (core ^ uni) & ~undefined_mask(mm.insn.uclass) == RF and uni & RF


def _pushfd_rf_image(mm) -> bool:
    """The memory difference is exactly RF in a PUSHFD image (Intel stores it clear)."""
    pfx, i = _opcode(mm.insn.code)
    osz32 = (0x66 in pfx) != (mm.mode == 32)
    if mm.insn.code[i] != 0x9C or not osz32 or len(mm.mem) != 1 or len(mm.writes) != 1:
        return False
    if not mm.before[9] & RF:
        return False
    addr, size, value = mm.writes[0]
    lin, core_byte, uni_byte = mm.mem[0]
    return size == 4 and lin == addr + 2 and uni_byte == core_byte | 1 and bool(value & RF)


def _enter32_bp_only(mm) -> bool:
    """66h ENTER on a 16-bit stack: only EBP differs; ours is the full FrameTemp (= ESP after the
    push of EBP), Unicorn's replaced only BP."""
    pfx, i = _opcode(mm.insn.code)
    if mm.mode != 16 or mm.insn.code[i] != 0xC8 or 0x66 not in pfx:
        return False
    if set(mm.fields) != {"ebp"} or mm.mem:
        return False
    esp, ebp = mm.before[4], mm.before[5]
    frame_temp = (esp & 0xFFFF0000) | ((esp - 4) & 0xFFFF)
    core, uni = mm.fields["ebp"]
    return core == frame_temp and uni == (ebp & 0xFFFF0000) | (frame_temp & 0xFFFF)


def _write_through_cs(mm) -> bool:
    """Paged mode: our core raised #GP(0) (pushing the faulting EIP) for an instruction with a CS
    override that writes memory; Unicorn wrote, or took the page fault of the write."""
    pfx, _ = _opcode(mm.insn.code)
    if 0x2E not in pfx or mm.fields or mm.mem:
        return False
    if mm.problem.startswith("unicorn raised None, core delivered 13 (error code 0, pushed EIP ok)"):
        return bool(mm.writes)
    return mm.problem.startswith("unicorn raised 14, core delivered 13 (error code 0, pushed EIP ok)") and \
        any(kind in mm.problem for kind in ("(protection)", "not-present write", "not-present rmw"))


def _rcl_rcr_flags_before_fault(mm) -> bool:
    """Paged mode: RCL/RCR on memory whose store page-faults; our core pushes the EFLAGS the
    instruction started with (plus RF), Unicorn the flags the rotate would have produced."""
    pfx, i = _opcode(mm.insn.code)
    code = mm.insn.code
    if i + 1 >= len(code) or code[i] not in (0xC0, 0xC1, 0xD0, 0xD1, 0xD2, 0xD3):
        return False
    modrm = code[i + 1]
    if modrm >= 0xC0 or (modrm >> 3) & 7 not in (2, 3) or not mm.problem.startswith("exception 14"):
        return False
    m = re.search(r"pushed EIP:CS:EFLAGS [0-9A-F]+:[0-9A-F]+:([0-9A-F]+), expected", mm.problem)
    before = mm.before[EFLAGS_SLOT]
    return bool(m) and int(m.group(1), 16) == (before | 0x10000) & 0xFFFFFFFF


KNOWN_DIFFERENCES: list[KnownDifference] = [
    KnownDifference(
        "unicorn-lock-neg-flags",
        "Unicorn computes the flags of LOCK NEG m8/m16/m32 from a wider value (its non-LOCK "
        "NEG of the same operand gives the right flags); SDM Vol. 2B NEG: 'The CF flag set to 0 if "
        "the source operand is 0; otherwise it is set to 1. The OF, SF, ZF, AF, and PF flags are set "
        "according to the result.'  The check verifies our flags against the written result.",
        _lock_neg,
    ),
    KnownDifference(
        "unicorn-enter32-bp-only",
        "ENTER with a 32-bit operand size on a 16-bit stack (66 C8 in real mode): SDM Vol. 2A ENTER, "
        "Operation: 'ELSE IF OperandSize = 32 THEN Push(EBP); FrameTemp := ESP' ... 'EBP := "
        "FrameTemp' (only the OperandSize = 16 form keeps bits 16 and above).  Unicorn pushes the "
        "32-bit FrameTemp but writes only BP.",
        _enter32_bp_only,
    ),
    KnownDifference(
        "unicorn-rf-kept",
        "An instruction that starts with RF set (only a real-mode IRETD sets it here) must clear RF "
        "when it completes (SDM Vol. 3, 17.3.1.1: the processor clears RF after the next instruction "
        "completes; IRET and POPF load/clear it themselves).  Unicorn clears RF only where a "
        "translation block ends, so when single-stepped it keeps RF after most instructions.",
        lambda mm: _rf_kept(mm) and (not mm.mem or _pushfd_rf_image(mm)),
    ),
    KnownDifference(
        "unicorn-pushfd-rf",
        "Unicorn's PUSHFD stores RF as it is; SDM Vol. 2B PUSHF/PUSHFD: 'push (EFLAGS AND 00FCFFFFH)' "
        "(VM and RF cleared in the image).  In these streams only a real-mode IRETD sets RF.",
        lambda mm: _pushfd_rf_image(mm) and (not mm.fields or _rf_kept(mm)),
    ),
    KnownDifference(
        "unicorn-writes-code-segment",
        "Protected mode (paged streams): a write through a CS override must raise #GP(0) -- SDM "
        "Vol. 3, 5.4 'Type checking': 'No instruction may write into an executable segment'; Vol. 2, "
        "e.g. ADD, Protected Mode Exceptions: '#GP(0) If the destination is located in a "
        "non-writable segment' -- and segment checks come before paging (Vol. 3, 3.1).  QEMU's TCG "
        "does not check segment types on data accesses, so Unicorn writes (or page-faults on the "
        "write).  The harness undoes the instruction on Unicorn and both go on after it.",
        _write_through_cs,
    ),
    KnownDifference(
        "unicorn-rcl-rcr-flags-on-page-fault",
        "Protected mode (paged streams): RCL/RCR on a memory operand whose store raises #PF.  A "
        "fault leaves the processor state as it was before the instruction (SDM Vol. 3, 6.5: 'the "
        "state of the processor is restored to the state prior to the execution of the faulting "
        "instruction'), so the pushed EFLAGS are the original ones with RF set (17.3.1.1).  QEMU's "
        "TCG computes CF/OF of RCL/RCR before the store and keeps them when the store faults.",
        _rcl_rcr_flags_before_fault,
    ),
]


def explain(mm) -> str | None:
    """``"name: reason"`` of the known difference ``mm`` is, or None."""
    for k in KNOWN_DIFFERENCES:
        if k.matches(mm):
            return f"{k.name}: {k.reason}"
    return None
