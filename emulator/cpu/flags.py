"""Arithmetic flags, computed eagerly (Intel SDM Vol. 1, 3.4.3.1 and Appendix A).

Every helper takes operands already masked to ``size`` bytes and returns the
masked result, writing CF/PF/AF/ZF/SF/OF into ``st[EFLAGS]``.  Where Intel
leaves a flag undefined we use what P6-class hardware produces for the common
case (logic ops clear AF; shifts by more than one compute OF as for one).
"""

import numpy as np

from .jit import njit
from .state import AF, CF, EFLAGS, OF, PF, SF, ZF

ARITH = CF | PF | AF | ZF | SF | OF


@njit
def size_mask(size):
    return (np.int64(1) << (8 * size)) - 1


@njit
def sign_bit(size):
    return np.int64(1) << (8 * size - 1)


@njit
def sext(v, size):
    """Sign-extend the low ``size`` bytes of ``v`` to int64."""
    sb = sign_bit(size)
    v &= size_mask(size)
    return (v ^ sb) - sb


@njit
def szp(r, size):
    """SF, ZF and PF bits for result ``r`` (PF from the low byte only)."""
    f = ((0x6996 >> ((r ^ (r >> 4)) & 0xF)) & 1) ^ 1
    f = f << 2
    if r == 0:
        f |= ZF
    if r & sign_bit(size):
        f |= SF
    return f


@njit
def set_arith(st, f):
    st[EFLAGS] = (st[EFLAGS] & ~ARITH) | f


@njit
def alu(st, op, a, b, size):
    """The eight classic ALU ops (opcode bits 5..3): ADD OR ADC SBB AND SUB XOR CMP."""
    mask = size_mask(size)
    if op == 0 or op == 2:
        c = st[EFLAGS] & CF if op == 2 else 0
        r = a + b + c
        f = CF if r > mask else 0
        r &= mask
        if (a ^ r) & (b ^ r) & sign_bit(size):
            f |= OF
        f |= (a ^ b ^ r) & AF
    elif op == 5 or op == 7 or op == 3:
        c = st[EFLAGS] & CF if op == 3 else 0
        r = a - b - c
        f = CF if r < 0 else 0
        r &= mask
        if (a ^ b) & (a ^ r) & sign_bit(size):
            f |= OF
        f |= (a ^ b ^ r) & AF
    else:
        if op == 1:
            r = a | b
        elif op == 4:
            r = a & b
        else:
            r = a ^ b
        f = 0
    set_arith(st, f | szp(r, size))
    return r


@njit
def logic_flags(st, r, size):
    """Flags of AND/OR/XOR/TEST with result ``r``: CF=OF=AF=0."""
    set_arith(st, szp(r, size))


@njit
def incdec(st, a, size, dec):
    """INC/DEC: like ADD/SUB 1 but CF is preserved."""
    mask = size_mask(size)
    if dec:
        r = (a - 1) & mask
        f = OF if a == sign_bit(size) else 0
    else:
        r = (a + 1) & mask
        f = OF if r == sign_bit(size) else 0
    f |= (a ^ r) & AF if dec else (a ^ r ^ 1) & AF
    st[EFLAGS] = (st[EFLAGS] & ~(ARITH & ~CF)) | f | szp(r, size)
    return r


@njit
def cond(flags, cc):
    """Evaluate condition code ``cc`` (0..15, the low nibble of Jcc/SETcc/CMOVcc)."""
    t = cc >> 1
    if t == 0:
        r = flags & OF
    elif t == 1:
        r = flags & CF
    elif t == 2:
        r = flags & ZF
    elif t == 3:
        r = flags & (CF | ZF)
    elif t == 4:
        r = flags & SF
    elif t == 5:
        r = flags & PF
    elif t == 6:
        r = ((flags >> 7) ^ (flags >> 11)) & 1
    else:
        r = (((flags >> 7) ^ (flags >> 11)) & 1) | (flags & ZF)
    return (r != 0) != ((cc & 1) != 0)


@njit
def shift(st, op, a, count, size):
    """Group 2 (C0/C1/D0-D3): ROL ROR RCL RCR SHL SHR SAL/SETMO SAR by ``count``.

    ``count`` is already masked by the model (8086: unmasked).  A zero count
    changes nothing.  Op 6 is SAL on the 286 and later; the caller maps the
    8086's SETMO to op 8.
    """
    if count == 0:
        return a
    w = 8 * size
    mask = size_mask(size)
    fl = st[EFLAGS]
    if op == 0 or op == 1:  # ROL / ROR: only CF and OF change
        c = count % w
        r = ((a << c) | (a >> (w - c))) & mask if op == 0 else ((a >> c) | (a << (w - c))) & mask
        if op == 0:
            cf = r & 1
            of = ((r >> (w - 1)) ^ cf) & 1
        else:
            cf = (r >> (w - 1)) & 1
            of = ((r >> (w - 1)) ^ (r >> (w - 2))) & 1
        st[EFLAGS] = (fl & ~(CF | OF)) | cf | (of << 11)
        return r
    if op == 2 or op == 3:  # RCL / RCR through CF: a (w+1)-bit rotate
        c = count % (w + 1)
        x = a | ((fl & CF) << w)
        if op == 2:
            x = ((x << c) | (x >> (w + 1 - c))) & ((mask << 1) | 1)
        else:
            x = ((x >> c) | (x << (w + 1 - c))) & ((mask << 1) | 1)
        r = x & mask
        cf = (x >> w) & 1
        if op == 2:
            of = ((r >> (w - 1)) ^ cf) & 1
        else:
            of = ((r >> (w - 1)) ^ (r >> (w - 2))) & 1
        st[EFLAGS] = (fl & ~(CF | OF)) | cf | (of << 11)
        return r
    if op == 4 or op == 6:  # SHL / SAL
        if count <= w:
            r = (a << count) & mask
            cf = (a >> (w - count)) & 1
        else:
            r = 0
            cf = 0
        of = ((r >> (w - 1)) ^ cf) & 1
    elif op == 5:  # SHR
        if count <= w:
            r = a >> count
            cf = (a >> (count - 1)) & 1
        else:
            r = 0
            cf = 0
        of = (a >> (w - 1)) & 1 if count == 1 else (r >> (w - 1)) & 1
    elif op == 7:  # SAR
        s = sext(a, size)
        if count >= w:
            r = mask if s < 0 else 0
            cf = 1 if s < 0 else 0
        else:
            r = (s >> count) & mask
            cf = (s >> (count - 1)) & 1
        of = 0
    else:  # 8086 SETMO/SETMOC (D0-D3 /6): the operand becomes all ones
        r = mask
        cf = 0
        of = 0
    st[EFLAGS] = (fl & ~ARITH) | cf | (of << 11) | szp(r, size)
    return r
