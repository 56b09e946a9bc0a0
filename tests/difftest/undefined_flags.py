"""The one table of flags that Intel leaves undefined, per instruction class.

The generator tags every instruction with a class name (``Insn.uclass``); the
harness does not compare the flags in that class's mask.  A class name that
depends on an operand (shift count, operand size, a zero source) is chosen by
the generator, which knows the operand values before the instruction runs.
Every entry cites the "Flags Affected" section of the instruction's page in
the Intel 64 and IA-32 Architectures Software Developer's Manual, Volume 2
(Instruction Set Reference; pages are named as in the manual).

Only flags are listed here.  Two instructions also leave a *result*
undefined and the generator avoids those cases instead of masking them:

* SHLD/SHRD with a 16-bit operand and a count greater than 16 (SDM Vol. 2B,
  SHLD/SHRD: "the result is undefined"): the count is kept in 0..16;
* BSWAP with a 16-bit operand (SDM Vol. 2A, BSWAP: "the result is
  undefined"): only the 32-bit form is generated.
"""

from __future__ import annotations

CF, PF, AF, ZF, SF, OF = 0x001, 0x004, 0x010, 0x040, 0x080, 0x800
ALL6 = CF | PF | AF | ZF | SF | OF

# class -> (mask of undefined flags, SDM Vol. 2 page and its wording)
UNDEFINED_FLAGS: dict[str, tuple[int, str]] = {
    # logical operations
    "logic": (AF, "Vol. 2A AND / Vol. 2B OR, XOR, TEST: 'The state of the AF flag is undefined.'"),
    # shifts (count = count operand masked to 5 bits; count 0 changes no flag and has no class)
    "shift1": (AF, "Vol. 2B SAL/SAR/SHL/SHR: 'For a non-zero count, the AF flag is undefined.'"),
    "shiftN": (AF | OF, "Vol. 2B SAL/SAR/SHL/SHR: 'The OF flag is affected only on 1-bit "
                        "shifts ... undefined for multi-bit shifts'; AF undefined for a non-zero count."),
    "shl_shr_big": (AF | OF | CF, "Vol. 2B SAL/SAR/SHL/SHR: CF 'is undefined for SHL and SHR "
                                  "instructions where the count is greater than or equal to the "
                                  "size (in bits) of the destination operand'; OF and AF as shiftN."),
    "rot1": (0, "Vol. 2B RCL/RCR/ROL/ROR: OF defined for 1-bit rotates; SF, ZF, AF, PF not affected."),
    "rotN": (OF, "Vol. 2B RCL/RCR/ROL/ROR: 'The OF flag is defined only for the 1-bit rotates; "
                 "it is undefined in all other cases (except RCL and RCR instructions only: a "
                 "zero-bit rotate does nothing, that is affects no flags)'."),
    "shd1": (AF, "Vol. 2B SHLD/SHRD: 'If the count is 1 ... the OF flag is set if a sign change "
                 "occurred'; 'The AF flag is undefined' for a non-zero count."),
    "shdN": (AF | OF, "Vol. 2B SHLD/SHRD: 'For shifts greater than 1 bit, the OF flag is "
                      "undefined'; AF undefined."),
    # multiply / divide
    "mul": (SF | ZF | AF | PF, "Vol. 2B MUL and Vol. 2A IMUL: 'The SF, ZF, AF, and PF flags are "
                               "undefined.'"),
    "div": (ALL6, "Vol. 2A DIV and IDIV: 'The CF, OF, SF, ZF, AF, and PF flags are undefined.'"),
    # BCD adjust
    "daa_das": (OF, "Vol. 2A DAA and DAS: 'The OF flag is undefined.'"),
    "aaa_aas": (OF | SF | ZF | PF, "Vol. 2A AAA and AAS: 'The OF, SF, ZF, and PF flags are "
                                   "undefined.'"),
    "aam_aad": (OF | AF | CF, "Vol. 2A AAM and AAD: 'The OF, AF, and CF flags are undefined.'"),
    # bit scan / bit test
    "bsf_bsr": (CF | OF | SF | AF | PF, "Vol. 2A BSF and BSR: 'The CF, OF, SF, AF, and PF flags "
                                        "are undefined.'"),
    "bt": (OF | SF | AF | PF, "Vol. 2A BT, BTC, BTR, BTS: 'The ZF flag is unaffected. The OF, "
                              "SF, AF, and PF flags are undefined.'"),
}


def undefined_mask(uclass: str | None) -> int:
    """EFLAGS bits not to compare after an instruction of class ``uclass`` (None: compare all)."""
    if uclass is None:
        return 0
    return UNDEFINED_FLAGS[uclass][0]


def shift_class(kind: str, count: int, size_bits: int) -> str | None:
    """Class of a shift/rotate whose count operand is ``count`` (already masked to 5 bits).

    ``kind`` is one of 'shl', 'shr', 'sar', 'rol', 'ror', 'rcl', 'rcr', 'shld', 'shrd'.
    """
    if count == 0:
        return None
    if kind in ("rol", "ror", "rcl", "rcr"):
        return "rot1" if count == 1 else "rotN"
    if kind in ("shld", "shrd"):
        return "shd1" if count == 1 else "shdN"
    if kind in ("shl", "shr") and count >= size_bits:
        return "shl_shr_big"
    return "shift1" if count == 1 else "shiftN"
