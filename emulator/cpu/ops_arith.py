"""Group 2 shifts, group 3 (NOT NEG MUL IMUL DIV IDIV TEST) and the BCD adjusts.

Division follows SDM Vol. 2 DIV/IDIV: #DE for a zero divisor or a quotient
that does not fit; IDIV truncates toward zero.  The 8086 quirks (quotient
-2^(n-1) faults, a REP prefix negates the IDIV quotient) come from the model
table.  BCD adjusts follow the SDM pseudo-code for DAA/DAS/AAA/AAS/AAM/AAD;
the 8086 adds to AL and AH separately in AAA/AAS (8086 Family User's Manual).
"""

import numpy as np

from .decode import REG, decode_rm, get_reg, imm, rm_rd, rm_wr, set_reg
from .flags import ARITH, alu, logic_flags, sext, shift, size_mask, szp
from .jit import hot, njit
from .memory import ld8, raise_fault
from .state import (
    AF,
    CF,
    EAX,
    ECX,
    EDX,
    EFLAGS,
    FAULT,
    OF,
    Q_ALIASES_8086,
    Q_IDIV_MIN_FAULTS,
    Q_REP_IDIV_NEG,
    Q_SHIFT_MASK,
    VEC_DE,
)
from .thincall import data_ptr, mem_view, st_view


@hot
def op_group2(st, mem, pc, op, osz, asz, seg):
    """C0/C1 (imm8 count), D0/D1 (count 1), D2/D3 (count CL): ROL..SAR r/m."""
    return _op_group2(data_ptr(st), data_ptr(mem), pc, op, osz, asz, seg)


@njit
def _op_group2(stp, memp, pc, op, osz, asz, seg):
    st = st_view(stp)
    mem = mem_view(memp)
    size = osz if op & 1 else 1
    pc, reg, s, off = decode_rm(st, mem, pc, asz, seg)
    if op < 0xD0:
        count = ld8(mem, pc)
        pc += 1
    elif op < 0xD2:
        count = 1
    else:
        count = st[ECX] & 0xFF
    count &= st[Q_SHIFT_MASK]
    sop = reg
    if reg == 6 and st[Q_ALIASES_8086] != 0:
        sop = 8  # SETMO / SETMOC
    a = rm_rd(st, mem, s, off, size)
    if count != 0 and st[FAULT] < 0:
        rm_wr(st, mem, s, off, size, shift(st, sop, a, count, size))
    elif s != REG and st[FAULT] < 0:
        # a masked count of 0 still writes the operand back: the access is a read-modify-write
        # (it faults on a read-only page, sets the dirty bit), as Bochs and QEMU model it; the
        # SDM only says the flags are unaffected
        rm_wr(st, mem, s, off, size, a)
    return pc


@njit
def set_mul_flags(st, lo, size, overflow):
    f = szp(lo, size)
    if overflow:
        f |= CF | OF
    st[EFLAGS] = (st[EFLAGS] & ~ARITH) | f


@njit
def mul(st, a, size, signed, negate):
    """MUL/IMUL with one operand: AX = AL*r/m8, DX:AX, EDX:EAX (SDM Vol. 2, MUL and IMUL)."""
    acc = get_reg(st, EAX, size)
    if size == 4 and not signed:
        p = np.uint64(acc) * np.uint64(a)
        lo = np.int64(p & np.uint64(0xFFFFFFFF))
        hi = np.int64(p >> np.uint64(32))
        set_mul_flags(st, lo, 4, hi != 0)
        st[EAX] = lo
        st[EDX] = hi
        return
    if signed:
        p = sext(acc, size) * sext(a, size)
        if negate:
            p = -p
        overflow = sext(p, size) != p
    else:
        p = acc * a
        overflow = (p >> (8 * size)) != 0
    mask = size_mask(size)
    lo = p & mask
    hi = (p >> (8 * size)) & mask
    set_mul_flags(st, lo, size, overflow)
    if size == 1:
        set_reg(st, EAX, 2, (hi << 8) | lo)
    else:
        set_reg(st, EAX, size, lo)
        set_reg(st, EDX, size, hi)


@njit
def div(st, d, size, signed, negate):
    """DIV/IDIV: divide AX, DX:AX or EDX:EAX by ``d``; #DE on zero or overflow."""
    if d == 0:
        raise_fault(st, VEC_DE, -1)
        return
    mask = size_mask(size)
    if size == 1:
        n = st[EAX] & 0xFFFF
    else:
        n = (get_reg(st, EDX, size) << (8 * size)) | get_reg(st, EAX, size)
    if not signed:
        high = (st[EAX] >> 8) & 0xFF if size == 1 else get_reg(st, EDX, size)
        if high >= d:
            raise_fault(st, VEC_DE, -1)  # the quotient would not fit (high half >= divisor)
            return
        if size == 4:
            un = np.uint64(n)
            q = np.int64(un // np.uint64(d))
            r = np.int64(un % np.uint64(d))
        else:
            q = n // d
            r = n % d
        if q > mask:
            raise_fault(st, VEC_DE, -1)
            return
    else:
        if size == 4:
            n = sext(st[EDX], 4) * 4294967296 + st[EAX]
            if n == -9223372036854775807 - 1:
                raise_fault(st, VEC_DE, -1)
                return
        else:
            n = sext(n, 2 * size)
        dd = sext(d, size)
        q = abs(n) // abs(dd)
        if (n < 0) != (dd < 0):
            q = -q
        r = n - q * dd
        if negate:
            q = -q
        lim = np.int64(1) << (8 * size - 1)
        if q >= lim or q < -lim or (q == -lim and st[Q_IDIV_MIN_FAULTS] != 0):
            raise_fault(st, VEC_DE, -1)
            return
        q &= mask
        r &= mask
    if size == 1:
        set_reg(st, EAX, 2, ((r & 0xFF) << 8) | (q & 0xFF))
    else:
        set_reg(st, EAX, size, q)
        set_reg(st, EDX, size, r)


@hot
def op_group3(st, mem, pc, op, osz, asz, seg, rep):
    """F6/F7: TEST r/m, imm (/0 and its alias /1), NOT, NEG, MUL, IMUL, DIV, IDIV."""
    return _op_group3(data_ptr(st), data_ptr(mem), pc, op, osz, asz, seg, rep)


@njit
def _op_group3(stp, memp, pc, op, osz, asz, seg, rep):
    st = st_view(stp)
    mem = mem_view(memp)
    size = osz if op & 1 else 1
    pc, reg, s, off = decode_rm(st, mem, pc, asz, seg)
    if reg < 2:
        b = imm(mem, pc, size)
        pc += size
        logic_flags(st, rm_rd(st, mem, s, off, size) & b, size)
        return pc
    a = rm_rd(st, mem, s, off, size)
    if st[FAULT] >= 0:
        return pc
    negate = rep != 0 and st[Q_REP_IDIV_NEG] != 0
    if reg == 2:
        rm_wr(st, mem, s, off, size, ~a & size_mask(size))
    elif reg == 3:
        rm_wr(st, mem, s, off, size, alu(st, 5, 0, a, size))
    elif reg == 4:
        mul(st, a, size, False, False)
    elif reg == 5:
        mul(st, a, size, True, negate)
    elif reg == 6:
        div(st, a, size, False, False)
    else:
        div(st, a, size, True, negate)
    return pc


@njit
def op_bcd(st, mem, pc, op):
    """27 DAA, 2F DAS, 37 AAA, 3F AAS, D4 AAM imm8, D5 AAD imm8."""
    fl = st[EFLAGS]
    al = st[EAX] & 0xFF
    if op == 0x27 or op == 0x2F:
        cf = fl & CF
        af = 0
        new_cf = 0
        is8086 = st[Q_ALIASES_8086] != 0
        if (al & 0xF) > 9 or (fl & AF):
            if op == 0x27:
                t = al + 6
            else:
                t = al - 6
            carry = 1 if (t > 0xFF or t < 0) else 0
            if is8086 and op == 0x2F:
                carry = 0  # the 8086's DAS takes CF only from the high-digit adjust
            new_cf = cf | carry
            af = AF
            res = t & 0xFF
        else:
            res = al
        # the 8086 compares with 9Fh when AF was set on entry (8086 microcode; SingleStepTests)
        high = 0x9F if is8086 and (fl & AF) else 0x99
        if al > high or cf:
            res = (res + 0x60) & 0xFF if op == 0x27 else (res - 0x60) & 0xFF
            new_cf = CF
        set_reg(st, EAX, 1, res)
        st[EFLAGS] = (fl & ~ARITH) | szp(res, 1) | af | new_cf
        return pc
    if op == 0x37 or op == 0x3F:
        ax = st[EAX] & 0xFFFF
        if (al & 0xF) > 9 or (fl & AF):
            if st[Q_ALIASES_8086] != 0:
                ah = (ax >> 8) + (1 if op == 0x37 else -1)
                nal = al + 6 if op == 0x37 else al - 6
                ax = ((ah & 0xFF) << 8) | (nal & 0xFF)
            else:
                ax = ax + 0x106 if op == 0x37 else ax - 6 - 0x100
            f = AF | CF
        else:
            f = 0
        ax &= 0xFF0F
        set_reg(st, EAX, 2, ax)
        st[EFLAGS] = (fl & ~ARITH) | f | szp(ax & 0xFF, 1)
        return pc
    base = ld8(mem, pc - 1)
    if op == 0xD4:
        if base == 0:
            raise_fault(st, VEC_DE, -1)
            return pc
        res = al % base
        set_reg(st, EAX, 2, ((al // base) << 8) | res)
        st[EFLAGS] = (fl & ~ARITH) | szp(res, 1)
    else:
        ah = (st[EAX] >> 8) & 0xFF
        res = alu(st, 0, al, (ah * base) & 0xFF, 1)
        set_reg(st, EAX, 2, res)
    return pc
