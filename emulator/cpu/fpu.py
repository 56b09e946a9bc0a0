"""The x87 floating-point unit (Intel SDM Vol. 1, chapter 8; Vol. 2, the F* instruction pages).

Reached only through the rare-path entry point (``slow(st, mem, OP_FPU, ...)`` from
``interp.op_esc``): x87 code is rare in the guests we run, so none of this is linked
into the integer run loop.

**Precision is IEEE double, not 80-bit extended.**  The eight data registers
(``st[FPU_R + i]``, physical register Ri) hold float64 bit patterns; results are
rounded to double where the hardware rounds to the control word's precision
(PC = 64-bit is treated as 53-bit; PC = 24-bit rounds FADD/FSUB/FMUL/FDIV/FSQRT
results once more to single).  This is a documented approximation: m32/m64
loads are exact, m80 loads round to double (exact when the value fits), m80
stores are exact, and values beyond the double range overflow to infinity.
The rounding control (RC) is honoured by FADD/FSUB/FMUL/FDIV/FSQRT (from the
sign of the exact error term: two-sum and Dekker's product), FST m32,
FIST/FISTP, FBSTP and FRNDINT, which also report PE and C1 (rounded up); the
transcendental instructions round to nearest in double (libm).

Exceptions (SDM Vol. 1, 8.4-8.5): stack overflow and underflow (IE with SF, C1
telling which), invalid operations (IE), divide by zero (ZE), denormal m32/m64
operands (DE), overflow (OE with PE, when a finite operation gives an infinity
in double range) and inexact results (PE; not from the transcendental
instructions).  Masked exceptions give the default responses (the real
indefinite, infinities); an unmasked IE, ZE, DE or OE leaves the destination
unchanged (an unmasked PE does not), sets ES and B, and the next waiting FPU
instruction (or WAIT) raises #MF (vector 16) when CR0.NE = 1.  The legacy
external-interrupt path (CR0.NE = 0, FERR# to IRQ 13) is not modelled: the
exception stays pending in the status word.

Memory operands go through ``rd``/``wr`` (segmentation, paging, faults).  Every
read happens, and every multi-part write is probed (``probe_write``), before any
FPU state changes, so a faulting instruction restarts with no partial effect.
"""

import math

import numpy as np
from llvmlite import ir
from numba import types
from numba.extending import intrinsic

from .decode import REG, decode_rm, set_reg
from .jit import DISABLED, cold, njit
from .memory import ld8, probe_write, raise_fault, rd, wr
from .state import (
    CF,
    CR0,
    CR0_NE,
    CR0_PE,
    CS,
    EFLAGS,
    FAULT,
    FPU_CW,
    FPU_FCS,
    FPU_FDP,
    FPU_FDS,
    FPU_FIP,
    FPU_FOP,
    FPU_R,
    FPU_SW,
    FPU_TAG,
    FPU_TOP,
    PF,
    Q_HAS_P6,
    SEL,
    VEC_MF,
    VEC_UD,
    VM,
    ZF,
)

# status word (SDM Vol. 1, 8.1.3)
SW_IE, SW_DE, SW_ZE, SW_OE, SW_UE, SW_PE, SW_SF, SW_ES = 0x1, 0x2, 0x4, 0x8, 0x10, 0x20, 0x40, 0x80
SW_C0, SW_C1, SW_C2, SW_C3, SW_B = 0x100, 0x200, 0x400, 0x4000, 0x8000
SW_CC = SW_C0 | SW_C1 | SW_C2 | SW_C3
EXC_MASK = 0x3F
CW_INIT = 0x37F       # FNINIT: all exceptions masked, 64-bit precision, round to nearest
CW_RESET = 0x40       # after RESET (SDM Vol. 3, Table 10-1)
TAG_EMPTY = 3
INDEFINITE = -0x8000000000000   # bits of the real indefinite (negative quiet NaN, FFF8_0000_0000_0000h)
EXP_MASK = 0x7FF0000000000000
FRAC_MASK = 0x000FFFFFFFFFFFFF
QUIET_BIT = 0x0008000000000000
TWO63 = 9223372036854775808.0
LN2 = 0.6931471805599453


# --- float64 <-> bit pattern -------------------------------------------------------------
if DISABLED:
    def bits_of(x):
        """The IEEE double bit pattern of ``x`` as an int64."""
        return np.int64(np.float64(x).view(np.int64))

    def float_of(b):
        """The double whose bit pattern is the int64 ``b``."""
        return np.int64(b).view(np.float64)

    def f32_bits(x):
        """``x`` rounded to single precision (nearest), as its 32-bit pattern."""
        with np.errstate(all="ignore"):
            return np.int64(np.float32(x).view(np.int32)) & 0xFFFFFFFF
else:
    @intrinsic
    def _bitcast_f2i(typingctx, x):
        def codegen(context, builder, signature, args):
            return builder.bitcast(args[0], ir.IntType(64))
        return types.int64(types.float64), codegen

    @intrinsic
    def _bitcast_i2f(typingctx, x):
        def codegen(context, builder, signature, args):
            return builder.bitcast(args[0], ir.DoubleType())
        return types.float64(types.int64), codegen

    @intrinsic
    def _bitcast_f32(typingctx, x):
        def codegen(context, builder, signature, args):
            return builder.sext(builder.bitcast(args[0], ir.IntType(32)), ir.IntType(64))
        return types.int64(types.float32), codegen

    @njit
    def bits_of(x):
        """The IEEE double bit pattern of ``x`` as an int64."""
        return _bitcast_f2i(np.float64(x))

    @njit
    def float_of(b):
        """The double whose bit pattern is the int64 ``b``."""
        return _bitcast_i2f(np.int64(b))

    @njit
    def f32_bits(x):
        """``x`` rounded to single precision (nearest), as its 32-bit pattern."""
        return _bitcast_f32(np.float32(x)) & 0xFFFFFFFF


# --- register stack (SDM Vol. 1, 8.1.2) -------------------------------------------------
@njit
def phys(st, i):
    return (st[FPU_TOP] + i) & 7


@njit
def is_empty(st, i):
    return ((st[FPU_TAG] >> (2 * phys(st, i))) & 3) == TAG_EMPTY


@njit
def get(st, i):
    """ST(i) as a double (whatever its tag)."""
    return float_of(st[FPU_R + phys(st, i)])


@njit
def tag_of(b):
    """The tag of a non-empty register holding double bits ``b``: 0 valid, 1 zero, 2 special.
    (A double denormal is a normal number in the extended format, so it tags as valid.)"""
    if (b & 0x7FFFFFFFFFFFFFFF) == 0:
        return 1
    if (b & EXP_MASK) == EXP_MASK:
        return 2
    return 0


@njit
def put_bits(st, i, b):
    p = phys(st, i)
    st[FPU_R + p] = b
    st[FPU_TAG] = (st[FPU_TAG] & ~(3 << (2 * p))) | (tag_of(b) << (2 * p))


@njit
def put(st, i, v):
    """ST(i) = ``v`` (the register becomes non-empty)."""
    put_bits(st, i, bits_of(v))


@njit
def free(st, i):
    st[FPU_TAG] |= TAG_EMPTY << (2 * phys(st, i))


@njit
def pop(st):
    free(st, 0)
    st[FPU_TOP] = (st[FPU_TOP] + 1) & 7


@njit
def set_cc(st, cc):
    """Replace C0-C3 with ``cc``."""
    st[FPU_SW] = (st[FPU_SW] & ~SW_CC) | cc


@njit
def signal(st, flags):
    """Set exception ``flags``; True if one of them is unmasked (then ES and B are set too,
    and the destination must stay unchanged)."""
    st[FPU_SW] |= flags
    if (flags & ~st[FPU_CW] & EXC_MASK) != 0:
        st[FPU_SW] |= SW_ES | SW_B
        return True
    return False


@njit
def stack_fault(st, overflow):
    """IE with SF; C1 = 1 for overflow, 0 for underflow.  True if IE is unmasked."""
    st[FPU_SW] = (st[FPU_SW] & ~SW_C1) | (SW_C1 if overflow else 0)
    return signal(st, SW_IE | SW_SF)


@njit
def source_bits(st, i):
    """(True, the bits of ST(i)) for an instruction that reads it; an empty ST(i) is a stack
    underflow: (True, the real indefinite) when IE is masked, (False, 0) when not."""
    if is_empty(st, i):
        if stack_fault(st, False):
            return False, np.int64(0)
        return True, np.int64(INDEFINITE)
    return True, st[FPU_R + phys(st, i)]


@njit
def push_ok(st):
    """Whether a push may proceed: False after an unmasked stack overflow."""
    if is_empty(st, 7):
        return True
    return not stack_fault(st, True)


@njit
def push_bits(st, b):
    """Push double bits ``b``; on a masked stack overflow the real indefinite is pushed."""
    if not is_empty(st, 7):
        if stack_fault(st, True):
            return
        b = INDEFINITE
    st[FPU_TOP] = (st[FPU_TOP] - 1) & 7
    put_bits(st, 0, b)


@njit
def push(st, v):
    push_bits(st, bits_of(v))


@njit
def status_word(st):
    return (st[FPU_SW] & ~0x3800) | (st[FPU_TOP] << 11)


@njit
def tag_word(st):
    """The tag word as FNSTENV/FNSAVE store it: recomputed from the contents."""
    t = np.int64(0)
    for p in range(8):
        if ((st[FPU_TAG] >> (2 * p)) & 3) == TAG_EMPTY:
            t |= TAG_EMPTY << (2 * p)
        else:
            t |= tag_of(st[FPU_R + p]) << (2 * p)
    return t


@njit
def fninit(st):
    """FNINIT (SDM Vol. 2, FINIT): CW 037Fh, SW 0, all registers empty, pointers cleared."""
    st[FPU_CW] = CW_INIT
    st[FPU_SW] = 0
    st[FPU_TOP] = 0
    st[FPU_TAG] = 0xFFFF
    st[FPU_FIP] = 0
    st[FPU_FCS] = 0
    st[FPU_FDP] = 0
    st[FPU_FDS] = 0
    st[FPU_FOP] = 0


def fpu_reset(st) -> None:
    """The power-on FPU state (SDM Vol. 3, Table 10-1): CW 0040h, tags 5555h (all +0.0)."""
    for i in range(8):
        st[FPU_R + i] = 0
    for i in (FPU_TOP, FPU_SW, FPU_FIP, FPU_FCS, FPU_FDP, FPU_FDS, FPU_FOP):
        st[i] = 0
    st[FPU_CW] = CW_RESET
    st[FPU_TAG] = 0x5555


# --- values ----------------------------------------------------------------------------------
@njit
def is_snan_bits(b):
    return (b & EXP_MASK) == EXP_MASK and (b & FRAC_MASK) != 0 and (b & QUIET_BIT) == 0


@njit
def nan_result(st, a, b):
    """The result of an arithmetic operation with a NaN operand (SDM Vol. 1, Table 4-7):
    an SNaN raises IE; the NaN (the larger significand of two) comes back quieted.
    Returns (ok, bits); ok is False after an unmasked IE."""
    ab = bits_of(a)
    bb = bits_of(b)
    if is_snan_bits(ab) or is_snan_bits(bb):
        if signal(st, SW_IE):
            return False, np.int64(0)
    if math.isnan(a) and math.isnan(b):
        qa = (ab & QUIET_BIT) != 0
        qb = (bb & QUIET_BIT) != 0
        if qa != qb:
            r = ab if qa else bb
        else:
            r = ab if (ab & FRAC_MASK) >= (bb & FRAC_MASK) else bb
    elif math.isnan(a):
        r = ab
    else:
        r = bb
    return True, r | QUIET_BIT


@njit
def invalid(st):
    """A masked invalid operation gives the real indefinite; (False, 0) if IE is unmasked."""
    if signal(st, SW_IE):
        return False, np.int64(0)
    return True, np.int64(INDEFINITE)


@njit
def add_error(a, b, s):
    """The exact error (a + b) - s of ``s = fl(a + b)`` (Knuth's two-sum)."""
    bv = s - a
    return (a - (s - bv)) + (b - bv)


@njit
def split(a):
    c = 134217729.0 * a          # 2^27 + 1: Dekker's split into two 26-bit halves
    hi = c - (c - a)
    return hi, a - hi


@njit
def mul_error(a, b, p):
    """The exact error a * b - p of ``p = fl(a * b)`` (Dekker's product)."""
    ah, al = split(a)
    bh, bl = split(b)
    return ((ah * bh - p) + ah * bl + al * bh) + al * bl


@njit
def error_sign(kind, a, b, r):
    """The sign (-1, 0, 1) of exact - ``r`` for ``r`` = fl(a + b) (kind 0), fl(a * b) (1),
    fl(a / b) (2) or fl(sqrt(a)) (3); 0 where the error terms could overflow or underflow."""
    if not math.isfinite(r) or r == 0 or abs(r) > 1e290 or abs(r) < 1e-270:
        return 0
    if kind == 0:
        if abs(a) > 1e300 or abs(b) > 1e300:
            return 0
        e = add_error(a, b, r)
    elif kind == 1:
        if abs(a) > 1e300 or abs(b) > 1e300:
            return 0
        e = mul_error(a, b, r)
    else:
        if kind == 2:
            d = b
        else:
            d = r
            b = r
        if abs(d) > 1e290 or abs(d) < 1e-270 or abs(a) > 1e290 or abs(a) < 1e-270:
            return 0
        p = r * d
        e = (a - p) - mul_error(r, d, p)    # a - r*d exactly in sign (Sterbenz: a - p is exact)
        if kind == 2 and b < 0:
            e = -e
    return 1 if e > 0 else (-1 if e < 0 else 0)


@njit
def round_result(st, kind, a, b, r):
    """Apply the control word to the double result ``r`` (rounded to nearest): RC by the exact
    error's sign, PE and C1 (rounded up in magnitude) for an inexact result, PC = single
    rounding the result to single precision (SDM Vol. 1, 4.8.4, 8.1.5.2-3)."""
    sgn = error_sign(kind, a, b, r)
    if sgn != 0:
        rc = (st[FPU_CW] >> 10) & 3
        if rc == 1 and sgn < 0:
            r = np.nextafter(r, -math.inf)
            sgn = 1
        elif rc == 2 and sgn > 0:
            r = np.nextafter(r, math.inf)
            sgn = -1
        elif rc == 3 and (r > 0) != (sgn > 0):
            r = np.nextafter(r, 0.0)
            sgn = -sgn
        # sgn is now the sign of (exact - r): r was rounded up in magnitude if they differ
        st[FPU_SW] = (st[FPU_SW] & ~SW_C1) | (SW_C1 if (sgn > 0) != (r > 0) else 0)
        signal(st, SW_PE)    # an unmasked PE still delivers the result
    if ((st[FPU_CW] >> 8) & 3) == 0 and math.isfinite(r):
        r = float_of(f32_to_bits(f32_bits(r)))
    return r


@njit
def finish(st, kind, a, b, r):
    """Round ``r`` by the control word and flag an overflow (a finite operation giving an
    infinity); returns (ok, bits)."""
    r = round_result(st, kind, a, b, r)
    if math.isinf(r) and not math.isinf(a) and not math.isinf(b):
        if signal(st, SW_OE | SW_PE):
            return False, np.int64(0)
    return True, bits_of(r)


@njit
def arith(st, r, a, b):
    """``a`` op ``b`` for reg field ``r`` (0 FADD, 1 FMUL, 4 FSUB a-b, 5 FSUBR b-a, 6 FDIV a/b,
    7 FDIVR b/a); returns (ok, result bits), ok False after an unmasked exception."""
    if r == 5 or r == 7:
        a, b = b, a
        r -= 1
    if math.isnan(a) or math.isnan(b):
        return nan_result(st, a, b)
    if r == 0 or r == 4:
        if math.isinf(a) and math.isinf(b) and ((a > 0) == (b > 0)) == (r == 4):
            return invalid(st)
        return finish(st, 0, a, b if r == 0 else -b, a + b if r == 0 else a - b)
    if r == 1:
        if (math.isinf(a) and b == 0) or (math.isinf(b) and a == 0):
            return invalid(st)
        return finish(st, 1, a, b, a * b)
    # division
    if (a == 0 and b == 0) or (math.isinf(a) and math.isinf(b)):
        return invalid(st)
    if b == 0:
        if signal(st, SW_ZE):
            return False, np.int64(0)
        neg = (math.copysign(1.0, a) < 0) != (math.copysign(1.0, b) < 0)
        return True, bits_of(-math.inf if neg else math.inf)
    return finish(st, 2, a, b, a / b)


@njit
def compare(st, a, b, unordered_ok):
    """Compare ``a`` with ``b``: 0 greater, 1 less, 2 equal, 3 unordered, -1 after an
    unmasked IE.  A NaN raises IE, except a quiet NaN when ``unordered_ok`` (FUCOM*)."""
    if math.isnan(a) or math.isnan(b):
        if not unordered_ok or is_snan_bits(bits_of(a)) or is_snan_bits(bits_of(b)):
            if signal(st, SW_IE):
                return -1
        return 3
    if a > b:
        return 0
    if a < b:
        return 1
    return 2


_EFL_OF_CMP = np.array([0, CF, ZF, ZF | PF | CF], dtype=np.int64)


@njit
def compare_cc(st, a, b, unordered_ok):
    """FCOM/FUCOM/FTST/FICOM: the result in C3, C2, C0 (C1 cleared); False if unmasked IE."""
    c = compare(st, a, b, unordered_ok)
    if c < 0:
        return False
    if c == 0:
        set_cc(st, 0)
    elif c == 1:
        set_cc(st, SW_C0)
    elif c == 2:
        set_cc(st, SW_C3)
    else:
        set_cc(st, SW_C3 | SW_C2 | SW_C0)
    return True


@njit
def compare_st(st, i, unordered_ok):
    """FCOM/FUCOM ST(i): ``compare_cc`` of ST(0) with ST(i); an empty one is a stack fault that,
    masked, reports unordered.  False if an unmasked exception stops the instruction."""
    if is_empty(st, 0) or is_empty(st, i):
        if stack_fault(st, False):
            return False
        set_cc(st, SW_C3 | SW_C2 | SW_C0)
        return True
    return compare_cc(st, get(st, 0), get(st, i), unordered_ok)


@njit
def round_rc(st, x):
    """``x`` rounded to an integer by the control word's RC (SDM Vol. 1, 4.8.4)."""
    rc = (st[FPU_CW] >> 10) & 3
    if rc == 0:
        return np.rint(x)
    if rc == 1:
        return np.floor(x)
    if rc == 2:
        return np.ceil(x)
    return np.trunc(x)


@njit
def to_int(st, x, size):
    """FIST: ``x`` rounded by RC to a ``size``-byte integer; (ok, value).  Out of range or a NaN:
    IE, and the integer indefinite (100..0b) when masked; ok False when unmasked."""
    lim = 32768.0 if size == 2 else (2147483648.0 if size == 4 else TWO63)
    r = round_rc(st, x) if not math.isnan(x) else x
    if math.isnan(r) or r >= lim or r < -lim:
        if signal(st, SW_IE):
            return False, np.int64(0)
        return True, np.int64(-1) << (8 * size - 1)
    if r != x:
        st[FPU_SW] = (st[FPU_SW] & ~SW_C1) | (SW_C1 if abs(r) > abs(x) else 0)
        if signal(st, SW_PE):
            return False, np.int64(0)
    return True, np.int64(r)


# --- memory formats (SDM Vol. 1, 4.2 and 8.2) ---------------------------------------------------
@njit
def f32_to_bits(v):
    """Single-precision pattern ``v`` widened exactly to double bits."""
    sign = np.int64(v >> 31) << 63
    e = (v >> 23) & 0xFF
    f = np.int64(v & 0x7FFFFF)
    if e == 0xFF:
        return sign | EXP_MASK | (f << 29)
    if e == 0:
        if f == 0:
            return sign
        x = float(f) * 2.0 ** -149
        return sign | bits_of(x)
    return sign | ((e - 127 + 1023) << 52) | (f << 29)


@njit
def f80_to_bits(lo, hi):
    """Extended pattern (64-bit significand ``lo``, sign and exponent ``hi``) as double bits,
    rounded to nearest; (ok, bits): ok False for an unsupported format (unnormal, pseudo-NaN)."""
    sign = np.int64((hi >> 15) & 1) << 63
    e = hi & 0x7FFF
    integer = (lo >> 63) & 1
    frac = lo & 0x7FFFFFFFFFFFFFFF
    if e == 0x7FFF:
        if integer == 0:
            return False, np.int64(0)
        if frac == 0:
            return True, sign | EXP_MASK
        return True, sign | EXP_MASK | ((frac >> 11) & FRAC_MASK) | (0 if (frac >> 11) != 0 else 1)
    if e == 0:
        if lo == 0:
            return True, sign
        return True, sign  # an extended denormal is far below the double range
    if integer == 0:
        return False, np.int64(0)
    hi53 = (lo >> 11) & 0x1FFFFFFFFFFFFF
    rest = lo & 0x7FF
    if rest > 0x400 or (rest == 0x400 and (hi53 & 1) != 0):
        hi53 += 1
    x = np.ldexp(float(hi53), int(e - 16383 - 52))
    return True, sign | bits_of(x)


@njit
def bits_to_f80(b):
    """Double bits ``b`` as an extended pattern (exact): (64-bit significand, sign|exponent)."""
    sign = (b >> 48) & 0x8000
    e = (b >> 52) & 0x7FF
    f = b & FRAC_MASK
    if e == 0x7FF:
        return np.int64(-0x8000000000000000) | (f << 11), sign | 0x7FFF
    if e == 0:
        if f == 0:
            return np.int64(0), sign
        n = 0
        while (f >> (51 - n)) == 0:
            n += 1
        # value = f * 2^-1074, top set bit at position 51 - n
        top = 51 - n
        return f << (63 - top), sign | (top - 1074 + 16383)
    return np.int64(-0x8000000000000000) | (f << 11), sign | (e - 1023 + 16383)


@njit
def rd64(st, mem, seg, off):
    lo = rd(st, mem, seg, off, 4)
    hi = rd(st, mem, seg, (off + 4) & 0xFFFFFFFF, 4)
    return np.int64(lo) | (np.int64(hi) << 32)


@njit
def wr64(st, mem, seg, off, v):
    wr(st, mem, seg, off, 4, v & 0xFFFFFFFF)
    wr(st, mem, seg, (off + 4) & 0xFFFFFFFF, 4, (v >> 32) & 0xFFFFFFFF)


@njit
def load_operand(st, mem, op, reg, seg, off):
    """The memory source operand of D8/DA/DC/DE (arith and compare) and of FLD/FILD/FBLD,
    read before anything changes; (ok, double bits).  ok False: a fault, or an unmasked
    exception (IE for an SNaN or unsupported format, DE for a denormal) was raised."""
    b = np.int64(0)
    if op == 0xD8 or (op == 0xD9 and reg == 0):        # m32 real
        v = rd(st, mem, seg, off, 4)
        if st[FAULT] >= 0:
            return False, b
        b = f32_to_bits(v)
        if ((v >> 23) & 0xFF) == 0 and (v & 0x7FFFFF) != 0 and signal(st, SW_DE):
            return False, b
    elif op == 0xDC or (op == 0xDD and reg == 0):      # m64 real
        b = rd64(st, mem, seg, off)
        if st[FAULT] >= 0:
            return False, b
        if (b & EXP_MASK) == 0 and (b & FRAC_MASK) != 0 and signal(st, SW_DE):
            return False, b
    elif op == 0xDA or (op == 0xDB and reg == 0):      # m32 int
        v = rd(st, mem, seg, off, 4)
        if st[FAULT] >= 0:
            return False, b
        return True, bits_of(float(np.int64(v) - ((np.int64(v) & 0x80000000) << 1)))
    elif op == 0xDE or (op == 0xDF and reg == 0):      # m16 int
        v = rd(st, mem, seg, off, 2)
        if st[FAULT] >= 0:
            return False, b
        return True, bits_of(float(np.int64(v) - ((np.int64(v) & 0x8000) << 1)))
    elif op == 0xDF and reg == 5:                        # m64 int
        v = rd64(st, mem, seg, off)
        if st[FAULT] >= 0:
            return False, b
        return True, bits_of(float(v))
    elif op == 0xDB and reg == 5:                        # m80 real
        lo = rd64(st, mem, seg, off)
        hi = rd(st, mem, seg, (off + 8) & 0xFFFFFFFF, 2)
        if st[FAULT] >= 0:
            return False, b
        ok, b = f80_to_bits(lo, hi)
        if not ok:
            return invalid(st)
        return True, b
    else:                                                # DF /4: FBLD m80 packed BCD
        lo = rd64(st, mem, seg, off)
        hi = rd(st, mem, seg, (off + 8) & 0xFFFFFFFF, 2)
        if st[FAULT] >= 0:
            return False, b
        x = 0.0
        for k in range(8, -1, -1):
            byte = (hi & 0xFF) if k == 8 else ((lo >> (8 * k)) & 0xFF)
            x = x * 100.0 + float((byte >> 4) * 10 + (byte & 15))
        if hi & 0x8000:
            x = -x
        return True, bits_of(x)
    if is_snan_bits(b):
        if signal(st, SW_IE):
            return False, b
        b |= QUIET_BIT
    return True, b


@njit
def round_single(st, x, v):
    """The single-precision pattern ``v`` (``x`` rounded to nearest) re-rounded by RC: a step of
    one in the sign-magnitude pattern moves to the neighbouring single (infinity included)."""
    y = float_of(f32_to_bits(v))
    if y == x:
        return v
    rc = (st[FPU_CW] >> 10) & 3
    neg = (v & 0x80000000) != 0
    mag = v & 0x7FFFFFFF
    if (rc == 1 and y > x) or (rc == 3 and not neg and y > x):        # toward -infinity
        if neg:
            return v + 1
        return v - 1 if mag != 0 else np.int64(0x80000001)
    if (rc == 2 and y < x) or (rc == 3 and neg and y < x):            # toward +infinity
        if not neg:
            return v + 1
        return v - 1 if mag != 0 else np.int64(1)
    return v


# --- memory forms ------------------------------------------------------------------------------
@cold
def store_real(st, mem, op, reg, seg, off):
    """FST/FSTP m32 (D9 /2 /3), m64 (DD /2 /3), m80 (DB /7)."""
    size = 4 if op == 0xD9 else (8 if op == 0xDD else 10)
    if not probe_write(st, mem, seg, off, size):
        return
    ok, b = source_bits(st, 0)
    if not ok:
        return
    if size == 10:
        m, se = bits_to_f80(b)
        wr64(st, mem, seg, off, m)
        wr(st, mem, seg, (off + 8) & 0xFFFFFFFF, 2, se)
    else:
        if is_snan_bits(b):
            if signal(st, SW_IE):
                return
            b |= QUIET_BIT
        if size == 8:
            wr64(st, mem, seg, off, b)
        else:
            x = float_of(b)
            v = f32_bits(x)
            if math.isnan(x):
                v = ((b >> 32) & 0x80000000) | 0x7FC00000 | ((b >> 29) & 0x3FFFFF)
            elif not math.isinf(x):
                over = math.isinf(float_of(f32_to_bits(v)))   # (by the nearest rounding)
                v = round_single(st, x, v)
                y = float_of(f32_to_bits(v))
                if over:
                    if signal(st, SW_OE | SW_PE):
                        return
                elif y != x:
                    tiny = ((v >> 23) & 0xFF) == 0
                    st[FPU_SW] = (st[FPU_SW] & ~SW_C1) | (SW_C1 if abs(y) > abs(x) else 0)
                    if signal(st, (SW_UE | SW_PE) if tiny else SW_PE):
                        return
            wr(st, mem, seg, off, 4, v)
    if st[FAULT] < 0 and (reg == 3 or op == 0xDB):
        pop(st)


@cold
def store_int(st, mem, op, reg, seg, off):
    """FIST/FISTP m16 (DF /2 /3), m32 (DB /2 /3), FISTP m64 (DF /7), FBSTP m80 (DF /6)."""
    size = 4 if op == 0xDB else (2 if reg < 4 else (8 if reg == 7 else 10))
    if not probe_write(st, mem, seg, off, min(size, 10)):
        return
    ok, b = source_bits(st, 0)
    if not ok:
        return
    x = float_of(b)
    if size == 10:
        r = round_rc(st, x) if not math.isnan(x) else x
        if math.isnan(r) or abs(r) >= 1e18:
            if signal(st, SW_IE):
                return
            wr64(st, mem, seg, off, np.int64(0xC0) << 56)   # packed BCD indefinite
            wr(st, mem, seg, (off + 8) & 0xFFFFFFFF, 2, 0xFFFF)
        else:
            if r != x and signal(st, SW_PE):
                return
            n = np.int64(abs(r))
            lo = np.int64(0)
            for k in range(8):
                d = n % 100
                n //= 100
                lo |= np.int64((d // 10) * 16 + d % 10) << (8 * k)
            d = n % 100
            hi = (d // 10) * 16 + d % 10
            if math.copysign(1.0, r) < 0:
                hi |= 0x8000
            wr64(st, mem, seg, off, lo)
            wr(st, mem, seg, (off + 8) & 0xFFFFFFFF, 2, hi)
    else:
        ok, v = to_int(st, x, size)
        if not ok:
            return
        if size == 8:
            wr64(st, mem, seg, off, v)
        else:
            wr(st, mem, seg, off, size, v & ((1 << (8 * size)) - 1))
    if st[FAULT] < 0 and reg != 2:
        pop(st)


@njit
def env_size(osz):
    return 28 if osz == 4 else 14


@njit
def real_format(st):
    return (st[CR0] & CR0_PE) == 0 or (st[EFLAGS] & VM) != 0


@cold
def store_env(st, mem, seg, off, osz):
    """FNSTENV (and the first part of FNSAVE): the environment in the 14- or 28-byte format of
    the current mode (SDM Vol. 1, 8.1.10, Figures 8-9 to 8-12); then all exceptions are masked."""
    sw = status_word(st)
    tw = tag_word(st)
    if real_format(st):
        ip = (st[FPU_FCS] << 4) + st[FPU_FIP]
        dp = (st[FPU_FDS] << 4) + st[FPU_FDP]
    else:
        ip = st[FPU_FIP]
        dp = st[FPU_FDP]
    if osz == 4:
        wr(st, mem, seg, off, 4, 0xFFFF0000 | st[FPU_CW])
        wr(st, mem, seg, off + 4, 4, 0xFFFF0000 | sw)
        wr(st, mem, seg, off + 8, 4, 0xFFFF0000 | tw)
        if real_format(st):
            wr(st, mem, seg, off + 12, 4, 0xFFFF0000 | (ip & 0xFFFF))
            wr(st, mem, seg, off + 16, 4, ((ip >> 16) & 0xFFFF) << 12 | st[FPU_FOP])
            wr(st, mem, seg, off + 20, 4, 0xFFFF0000 | (dp & 0xFFFF))
            wr(st, mem, seg, off + 24, 4, ((dp >> 16) & 0xFFFF) << 12)
        else:
            wr(st, mem, seg, off + 12, 4, ip & 0xFFFFFFFF)
            wr(st, mem, seg, off + 16, 4, (st[FPU_FOP] << 16) | st[FPU_FCS])
            wr(st, mem, seg, off + 20, 4, dp & 0xFFFFFFFF)
            wr(st, mem, seg, off + 24, 4, 0xFFFF0000 | st[FPU_FDS])
    else:
        wr(st, mem, seg, off, 2, st[FPU_CW])
        wr(st, mem, seg, off + 2, 2, sw)
        wr(st, mem, seg, off + 4, 2, tw)
        if real_format(st):
            wr(st, mem, seg, off + 6, 2, ip & 0xFFFF)
            wr(st, mem, seg, off + 8, 2, ((ip >> 16) & 0xF) << 12 | st[FPU_FOP])
            wr(st, mem, seg, off + 10, 2, dp & 0xFFFF)
            wr(st, mem, seg, off + 12, 2, ((dp >> 16) & 0xF) << 12)
        else:
            wr(st, mem, seg, off + 6, 2, ip & 0xFFFF)
            wr(st, mem, seg, off + 8, 2, st[FPU_FCS])
            wr(st, mem, seg, off + 10, 2, dp & 0xFFFF)
            wr(st, mem, seg, off + 12, 2, st[FPU_FDS])


@cold
def load_env(st, mem, seg, off, osz):
    """FLDENV (and the first part of FRSTOR): the reads were already checked by the caller."""
    step = 4 if osz == 4 else 2
    cw = rd(st, mem, seg, off, 2)
    sw = rd(st, mem, seg, off + step, 2)
    tw = rd(st, mem, seg, off + 2 * step, 2)
    if real_format(st):
        if osz == 4:
            ip = rd(st, mem, seg, off + 12, 2) | (((rd(st, mem, seg, off + 16, 4) >> 12) & 0xFFFF) << 16)
            fop = rd(st, mem, seg, off + 16, 2) & 0x7FF
            dp = rd(st, mem, seg, off + 20, 2) | (((rd(st, mem, seg, off + 24, 4) >> 12) & 0xFFFF) << 16)
        else:
            ip = rd(st, mem, seg, off + 6, 2) | (((rd(st, mem, seg, off + 8, 2) >> 12) & 0xF) << 16)
            fop = rd(st, mem, seg, off + 8, 2) & 0x7FF
            dp = rd(st, mem, seg, off + 10, 2) | (((rd(st, mem, seg, off + 12, 2) >> 12) & 0xF) << 16)
        fcs = np.int64(0)
        fds = np.int64(0)
    elif osz == 4:
        ip = rd(st, mem, seg, off + 12, 4)
        fcs = rd(st, mem, seg, off + 16, 2)
        fop = rd(st, mem, seg, off + 18, 2) & 0x7FF
        dp = rd(st, mem, seg, off + 20, 4)
        fds = rd(st, mem, seg, off + 24, 2)
    else:
        ip = rd(st, mem, seg, off + 6, 2)
        fcs = rd(st, mem, seg, off + 8, 2)
        fop = np.int64(0)
        dp = rd(st, mem, seg, off + 10, 2)
        fds = rd(st, mem, seg, off + 12, 2)
    if st[FAULT] >= 0:
        return
    st[FPU_CW] = cw
    st[FPU_TOP] = (sw >> 11) & 7
    st[FPU_SW] = sw & ~(0x3800 | SW_ES | SW_B)
    if (sw & ~cw & EXC_MASK) != 0:
        st[FPU_SW] |= SW_ES | SW_B
    t = np.int64(0)
    for p in range(8):  # only "empty" is taken from the image; the rest follows the contents
        if ((tw >> (2 * p)) & 3) == TAG_EMPTY:
            t |= TAG_EMPTY << (2 * p)
        else:
            t |= tag_of(st[FPU_R + p]) << (2 * p)
    st[FPU_TAG] = t
    st[FPU_FIP] = ip
    st[FPU_FCS] = fcs
    st[FPU_FDP] = dp
    st[FPU_FDS] = fds
    st[FPU_FOP] = fop


@njit
def readable(st, mem, seg, off, size):
    """Raise the fault a read of ``size`` bytes (at most a page) would raise; True if none.
    The first and last bytes cover both pages and the segment limit."""
    rd(st, mem, seg, off, 1)
    rd(st, mem, seg, (off + size - 1) & 0xFFFFFFFF, 1)
    return st[FAULT] < 0


@cold
def env_ops(st, mem, op, reg, seg, off, osz):
    """D9 /4 FLDENV, D9 /6 FNSTENV, DD /4 FRSTOR, DD /6 FNSAVE (SDM Vol. 1, 8.1.10)."""
    n = env_size(osz)
    total = n + (80 if op == 0xDD else 0)
    if reg == 6:
        if not probe_write(st, mem, seg, off, total):
            return
        store_env(st, mem, seg, off, osz)
        if op == 0xDD:
            for i in range(8):
                m, se = bits_to_f80(st[FPU_R + phys(st, i)])
                a = off + n + 10 * i
                wr64(st, mem, seg, a, m)
                wr(st, mem, seg, a + 8, 2, se)
            fninit(st)
        else:
            st[FPU_CW] |= EXC_MASK
        return
    if not readable(st, mem, seg, off, total):
        return
    if op == 0xDD:
        # FRSTOR: the registers first (in ST order of the image's TOP), then the environment
        sw = rd(st, mem, seg, off + (4 if osz == 4 else 2), 2)
        top = (sw >> 11) & 7
        for i in range(8):
            a = off + n + 10 * i
            ok, b = f80_to_bits(rd64(st, mem, seg, a), rd(st, mem, seg, a + 8, 2))
            st[FPU_R + ((top + i) & 7)] = b if ok else INDEFINITE
    load_env(st, mem, seg, off, osz)


@cold
def mem_form(st, mem, op, reg, seg, off, osz):
    """An ESC instruction with a memory operand; False if it is not a data instruction
    (FIP/FDP/FOP keep their values) or it raised a fault."""
    if op == 0xD9 and reg >= 4:
        if reg == 4 or reg == 6:
            env_ops(st, mem, op, reg, seg, off, osz)
        elif reg == 5:
            cw = rd(st, mem, seg, off, 2)
            if st[FAULT] < 0:
                st[FPU_CW] = cw
                st[FPU_SW] &= ~(SW_ES | SW_B)
                if (st[FPU_SW] & ~cw & EXC_MASK) != 0:
                    st[FPU_SW] |= SW_ES | SW_B
        else:
            wr(st, mem, seg, off, 2, st[FPU_CW])
        return False
    if op == 0xDD and reg >= 4:
        if reg == 7:
            wr(st, mem, seg, off, 2, status_word(st))
        elif reg == 5:
            raise_fault(st, VEC_UD, -1)
        else:
            env_ops(st, mem, op, reg, seg, off, osz)
        return False
    if (op & 1) == 0:                   # D8, DA, DC, DE: arithmetic and compares
        ok, b = load_operand(st, mem, op, reg, seg, off)
        if not ok:
            return st[FAULT] < 0
        if is_empty(st, 0):
            if stack_fault(st, False):
                return True
            if reg == 2 or reg == 3:
                set_cc(st, SW_C3 | SW_C2 | SW_C0)
            else:
                put_bits(st, 0, INDEFINITE)
        elif reg == 2 or reg == 3:
            if not compare_cc(st, get(st, 0), float_of(b), False):
                return True
        else:
            st[FPU_SW] &= ~SW_C1
            ok, r = arith(st, reg, get(st, 0), float_of(b))
            if ok:
                put_bits(st, 0, r)
        if reg == 3:
            pop(st)
        return True
    # D9, DB, DD, DF: loads and stores
    if reg == 0 or (op == 0xDB and reg == 5) or (op == 0xDF and (reg == 4 or reg == 5)):
        ok, b = load_operand(st, mem, op, reg, seg, off)
        if ok and push_ok(st):
            st[FPU_SW] &= ~SW_C1
            push_bits(st, b)
        return True
    if reg == 1 or (op == 0xD9 and reg >= 4) or (op == 0xDB and (reg == 4 or reg == 6)):
        raise_fault(st, VEC_UD, -1)     # FISTTP (SSE3) and reserved encodings
        return False
    if op == 0xD9 or op == 0xDD or (op == 0xDB and reg == 7):
        store_real(st, mem, op, reg, seg, off)
    else:
        store_int(st, mem, op, reg, seg, off)
    return True


# --- register forms ----------------------------------------------------------------------------
@cold
def transcendental(st, sub):
    """D9 F0-FF: F2XM1, FYL2X, FPTAN, FPATAN, FXTRACT, FPREM1, FPREM, FYL2XP1, FSQRT, FSINCOS,
    FRNDINT, FSCALE, FSIN, FCOS (sub = low nibble).  FDECSTP/FINCSTP are handled by the caller."""
    two = sub == 1 or sub == 3 or sub == 5 or sub == 8 or sub == 9 or sub == 0xD
    if is_empty(st, 0) or (two and is_empty(st, 1)):
        if stack_fault(st, False):
            return
        if two and sub != 5 and sub != 8 and sub != 0xD:
            put_bits(st, 1, INDEFINITE)
            pop(st)
        else:
            put_bits(st, 0, INDEFINITE)
            if sub == 2 or sub == 4 or sub == 0xB:
                push_bits(st, INDEFINITE)
        return
    x = get(st, 0)
    y = get(st, 1)
    st[FPU_SW] &= ~SW_C1
    if sub == 2 or sub == 0xB or sub == 0xE or sub == 0xF:     # FPTAN FSINCOS FSIN FCOS
        if math.isnan(x):
            ok, b = nan_result(st, x, x)
            if ok:
                put_bits(st, 0, b)
                if sub == 2 or sub == 0xB:
                    push_bits(st, b)
            return
        if math.isinf(x):
            ok, b = invalid(st)
            if ok:
                put_bits(st, 0, b)
                if sub == 2 or sub == 0xB:
                    push_bits(st, b)
            return
        if abs(x) >= TWO63:            # out of range: C2 = 1, operand unchanged
            st[FPU_SW] |= SW_C2
            return
        st[FPU_SW] &= ~SW_C2
        if (sub == 2 or sub == 0xB) and not push_ok(st):
            return
        if sub == 2:
            put(st, 0, math.tan(x))
            push(st, 1.0)
        elif sub == 0xB:
            put(st, 0, math.sin(x))
            push(st, math.cos(x))
        elif sub == 0xE:
            put(st, 0, math.sin(x))
        else:
            put(st, 0, math.cos(x))
        return
    if sub == 0 or sub == 0xA or sub == 0xC or sub == 4:          # F2XM1 FSQRT FRNDINT FXTRACT
        if math.isnan(x):
            ok, b = nan_result(st, x, x)
            if ok:
                put_bits(st, 0, b)
                if sub == 4:
                    push_bits(st, b)
            return
        if sub == 0:
            put(st, 0, np.expm1(x * LN2) if not math.isinf(x) else (-1.0 if x < 0 else x))
        elif sub == 0xA:
            if x < 0:
                ok, b = invalid(st)
                if ok:
                    put_bits(st, 0, b)
            else:
                put(st, 0, round_result(st, 3, x, x, math.sqrt(x)))
        elif sub == 0xC:
            r = round_rc(st, x) if not math.isinf(x) else x
            if r != x:
                st[FPU_SW] |= SW_C1 if abs(r) > abs(x) else 0
                if signal(st, SW_PE):
                    return
            put(st, 0, r)
        else:
            if not push_ok(st):
                return
            if x == 0:
                if signal(st, SW_ZE):
                    return
                put(st, 0, -math.inf)
                push(st, x)
            elif math.isinf(x):
                put(st, 0, math.inf)
                push(st, x)
            else:
                m, e = math.frexp(x)
                put(st, 0, float(e - 1))
                push(st, m * 2.0)
        return
    if math.isnan(x) or math.isnan(y):
        ok, b = nan_result(st, x, y)
        if ok:
            if sub == 5 or sub == 8 or sub == 0xD:
                put_bits(st, 0, b)
            else:
                put_bits(st, 1, b)
                pop(st)
        return
    if sub == 5 or sub == 8:                                      # FPREM1, FPREM
        if math.isinf(x) or y == 0:
            ok, b = invalid(st)
            if ok:
                put_bits(st, 0, b)
            return
        if math.isinf(y) or x == 0:
            set_cc(st, 0)
            return
        ex = math.frexp(x)[1]
        ey = math.frexp(y)[1]
        if ex - ey >= 64:              # partial remainder: reduce the exponent by 32 or more
            r = np.fmod(x, np.ldexp(abs(y), ex - ey - 32))
            set_cc(st, SW_C2)
            put(st, 0, r)
            return
        r = np.fmod(x, y)
        r8 = np.fmod(x, 8.0 * y) if not math.isinf(8.0 * y) else x
        q = np.int64(np.rint(abs((r8 - r) / y))) & 7
        if sub == 5:
            h = abs(r) - abs(y) * 0.5
            if h > 0 or (h == 0 and (q & 1) != 0):
                r = r - math.copysign(abs(y), r)
                q = (q + 1) & 7
        cc = (SW_C0 if q & 4 else 0) | (SW_C3 if q & 2 else 0) | (SW_C1 if q & 1 else 0)
        set_cc(st, cc)
        put(st, 0, r)
        return
    if sub == 0xD:                                                # FSCALE
        if math.isinf(y):
            if (y > 0 and x == 0) or (y < 0 and math.isinf(x)):
                ok, b = invalid(st)
                if ok:
                    put_bits(st, 0, b)
                return
            put(st, 0, x * math.inf if y > 0 else x * 0.0)
            return
        n = np.trunc(y)
        n = max(-100000.0, min(100000.0, n))
        r = np.ldexp(x, int(n))
        if math.isinf(r) and not math.isinf(x) and signal(st, SW_OE | SW_PE):
            return
        put(st, 0, r)
        return
    if sub == 3:                                                  # FPATAN
        r = math.atan2(y, x)
    elif sub == 1:                                                # FYL2X
        if x < 0 or (x == 0 and (y == 0 or math.isinf(y))) or (x == 1 and math.isinf(y)):
            ok, b = invalid(st)
            if ok:
                put_bits(st, 1, b)
                pop(st)
            return
        if x == 0:
            if signal(st, SW_ZE):
                return
            r = -math.inf if y > 0 else math.inf
        else:
            r = y * math.log2(x)
    else:                                                         # FYL2XP1
        if x <= -1.0:
            ok, b = invalid(st)
            if ok:
                put_bits(st, 1, b)
                pop(st)
            return
        r = y * (math.log1p(x) / LN2)
    put(st, 1, r)
    pop(st)


_CONSTS = np.array([1.0, math.log2(10.0), math.log2(math.e), math.pi, math.log10(2.0),
                    math.log(2.0), 0.0, 0.0])


@cold
def group_d9(st, modrm):
    """D9 C0-FF: FLD ST(i), FXCH, FNOP, FCHS, FABS, FTST, FXAM, the constants, FDECSTP,
    FINCSTP and the transcendental group."""
    i = modrm & 7
    if modrm < 0xC8:                                  # FLD ST(i)
        ok, b = source_bits(st, i)
        if not ok:
            return
        if push_ok(st):
            st[FPU_SW] &= ~SW_C1
            push_bits(st, b)
        return
    if modrm < 0xD0:                                  # FXCH ST(i)
        fxch(st, i)
        return
    if modrm == 0xD0:                                 # FNOP
        return
    if modrm < 0xD8 or modrm == 0xE2 or modrm == 0xE3 or modrm == 0xE6 or modrm == 0xE7 \
            or modrm == 0xEF:
        raise_fault(st, VEC_UD, -1)
        return
    if modrm < 0xE0:                                  # D9 D8+i: reserved alias of FSTP ST(i)
        fst_reg(st, i, True)
        return
    if modrm < 0xE8:
        if modrm == 0xE5:                             # FXAM (works on an empty register)
            b = st[FPU_R + phys(st, 0)]
            c1 = SW_C1 if b < 0 else 0
            if is_empty(st, 0):
                set_cc(st, SW_C3 | SW_C0 | c1)
            elif (b & 0x7FFFFFFFFFFFFFFF) == 0:
                set_cc(st, SW_C3 | c1)
            elif (b & EXP_MASK) == EXP_MASK:
                set_cc(st, (SW_C2 | SW_C0 | c1) if (b & FRAC_MASK) == 0 else (SW_C0 | c1))
            else:
                set_cc(st, SW_C2 | c1)
            return
        if is_empty(st, 0):
            if stack_fault(st, False):
                return
            if modrm == 0xE4:
                set_cc(st, SW_C3 | SW_C2 | SW_C0)
            else:
                put_bits(st, 0, INDEFINITE)
            return
        b = st[FPU_R + phys(st, 0)]
        if modrm == 0xE0:                             # FCHS
            st[FPU_SW] &= ~SW_C1
            put_bits(st, 0, b ^ np.int64(-0x8000000000000000))
        elif modrm == 0xE1:                           # FABS
            st[FPU_SW] &= ~SW_C1
            put_bits(st, 0, b & 0x7FFFFFFFFFFFFFFF)
        else:                                         # FTST
            compare_cc(st, float_of(b), 0.0, False)
        return
    if modrm < 0xF0:                                  # FLD1 .. FLDZ
        if push_ok(st):
            st[FPU_SW] &= ~SW_C1
            push(st, _CONSTS[modrm - 0xE8])
        return
    if modrm == 0xF6 or modrm == 0xF7:                # FDECSTP, FINCSTP
        st[FPU_SW] &= ~SW_C1
        st[FPU_TOP] = (st[FPU_TOP] + (-1 if modrm == 0xF6 else 1)) & 7
        return
    transcendental(st, modrm & 15)


@njit
def fxch(st, i):
    """Exchange ST(0) and ST(i); an empty one reads as the indefinite after a masked underflow."""
    a = st[FPU_R + phys(st, 0)]
    b = st[FPU_R + phys(st, i)]
    if is_empty(st, 0) or is_empty(st, i):
        if stack_fault(st, False):
            return
        if is_empty(st, 0):
            a = INDEFINITE
        if is_empty(st, i):
            b = INDEFINITE
    st[FPU_SW] &= ~SW_C1
    put_bits(st, 0, b)
    put_bits(st, i, a)


@njit
def fst_reg(st, i, do_pop):
    """FST/FSTP ST(i)."""
    ok, b = source_bits(st, 0)
    if not ok:
        return
    st[FPU_SW] &= ~SW_C1
    put_bits(st, i, b)
    if do_pop:
        pop(st)


@njit
def fcmov_taken(st, op, cond):
    fl = st[EFLAGS]
    if cond == 0:
        t = (fl & CF) != 0
    elif cond == 1:
        t = (fl & ZF) != 0
    elif cond == 2:
        t = (fl & (CF | ZF)) != 0
    else:
        t = (fl & PF) != 0
    return t if op == 0xDA else not t


@cold
def fcomi(st, i, unordered_ok, do_pop):
    """FCOMI/FUCOMI(P): the result in ZF, PF, CF; OF, SF, AF cleared even after an unmasked IE,
    which leaves ZF, PF, CF alone (P6; SDM Vol. 2, FCOMI)."""
    st[EFLAGS] &= ~0x890
    if is_empty(st, 0) or is_empty(st, i):
        if stack_fault(st, False):
            return
        c = 3
    else:
        c = compare(st, get(st, 0), get(st, i), unordered_ok)
        if c < 0:
            return
    st[FPU_SW] &= ~SW_C1
    st[EFLAGS] = (st[EFLAGS] & ~0x45) | _EFL_OF_CMP[c]
    if do_pop:
        pop(st)


@cold
def reg_form(st, op, modrm):
    """An ESC instruction with a register operand (ModRM C0-FF)."""
    reg = (modrm >> 3) & 7
    i = modrm & 7
    if op == 0xD9:
        group_d9(st, modrm)
        return
    if op == 0xD8 or op == 0xDC or op == 0xDE:
        if reg == 2 or reg == 3:                   # FCOM(P), DE D9 FCOMPP (DC D0-DF, DE D0-D7 alias)
            if op == 0xDE and reg == 3 and modrm != 0xD9:
                raise_fault(st, VEC_UD, -1)
                return
            if not compare_st(st, i, False):
                return
            if reg == 3 or op == 0xDE:
                pop(st)
                if op == 0xDE and modrm == 0xD9:
                    pop(st)
            return
        dest = 0 if op == 0xD8 else i
        r = reg if op == 0xD8 or reg < 4 else reg ^ 1   # DC/DE encode FSUB/FSUBR, FDIV/FDIVR the other way
        if is_empty(st, 0) or is_empty(st, i):
            if stack_fault(st, False):
                return
            put_bits(st, dest, INDEFINITE)
        else:
            st[FPU_SW] &= ~SW_C1
            ok, b = arith(st, r, get(st, dest), get(st, i if dest == 0 else 0))
            if not ok:
                return
            put_bits(st, dest, b)
        if op == 0xDE:
            pop(st)
        return
    if op == 0xDA or (op == 0xDB and modrm < 0xE0):
        if op == 0xDA and modrm == 0xE9:                            # FUCOMPP
            if not compare_st(st, 1, True):
                return
            pop(st)
            pop(st)
            return
        if modrm >= 0xE0 or st[Q_HAS_P6] == 0:
            raise_fault(st, VEC_UD, -1)
            return
        if is_empty(st, 0) or is_empty(st, i):                      # FCMOVcc (P6)
            if stack_fault(st, False):
                return
            put_bits(st, 0, INDEFINITE)
            return
        st[FPU_SW] &= ~SW_C1
        if fcmov_taken(st, op, reg):
            put_bits(st, 0, st[FPU_R + phys(st, i)])
        return
    if op == 0xDB:
        if modrm >= 0xE8 and modrm < 0xF8 and st[Q_HAS_P6] != 0:   # FUCOMI, FCOMI
            fcomi(st, i, modrm < 0xF0, False)
        elif modrm < 0xE5:                                          # FNENI FNDISI FNSETPM: no-ops
            return
        else:
            raise_fault(st, VEC_UD, -1)
        return
    if op == 0xDD:
        if reg == 0:                                                # FFREE
            free(st, i)
        elif reg == 1:
            fxch(st, i)
        elif reg == 2 or reg == 3:
            fst_reg(st, i, reg == 3)
        elif reg == 4 or reg == 5:                                  # FUCOM, FUCOMP
            if not compare_st(st, i, True):
                return
            if reg == 5:
                pop(st)
        else:
            raise_fault(st, VEC_UD, -1)
        return
    # DF
    if reg == 0:                                                    # FFREEP (undocumented)
        free(st, i)
        pop(st)
    elif reg == 1:
        fxch(st, i)
    elif reg == 2 or reg == 3:
        fst_reg(st, i, True)
    elif (reg == 5 or reg == 6) and st[Q_HAS_P6] != 0:              # FUCOMIP, FCOMIP
        fcomi(st, i, reg == 5, True)
    else:
        raise_fault(st, VEC_UD, -1)


# --- the entry point ----------------------------------------------------------------------------
@njit
def control_insn(op, modrm):
    """The non-waiting and control instructions, which leave FIP/FDP/FOP alone; the first
    six do not check for pending exceptions (SDM Vol. 1, 8.3.11 and 8.1.8)."""
    if op == 0xDB and modrm >= 0xE0 and modrm <= 0xE4:   # FNCLEX FNINIT (FNENI FNDISI FNSETPM)
        return True
    if op == 0xDF and modrm == 0xE0:                     # FNSTSW AX
        return True
    if modrm < 0xC0:
        reg = (modrm >> 3) & 7
        return (op == 0xD9 and (reg == 6 or reg == 7)) or (op == 0xDD and (reg == 6 or reg == 7))
    return False


@cold
def fpu_exec(st, mem, pc, op, osz, asz, seg, eip):
    """Execute the ESC instruction D8-DF whose ModRM byte is at ``mem[pc]``; return the next pc.

    ``eip`` is the instruction's address (for the FPU instruction pointer), ``seg`` the
    segment override or -1, ``osz``/``asz`` the operand and address sizes.
    """
    modrm = ld8(mem, pc)
    if not control_insn(op, modrm) and (st[FPU_SW] & SW_ES) != 0:
        if (st[CR0] & CR0_NE) != 0:
            raise_fault(st, VEC_MF, -1)   # a pending unmasked exception: #MF before this one
            return pc
    pc, reg, s, off = decode_rm(st, mem, pc, asz, seg)
    if s != REG:
        if mem_form(st, mem, op, reg, s, off, osz) and st[FAULT] < 0:
            st[FPU_FIP] = eip
            st[FPU_FCS] = st[SEL + CS]
            st[FPU_FOP] = ((op & 7) << 8) | modrm
            st[FPU_FDP] = off
            st[FPU_FDS] = st[SEL + s]
        return pc
    if op == 0xDB and (modrm == 0xE2 or modrm == 0xE3):
        if modrm == 0xE2:                                 # FNCLEX
            st[FPU_SW] &= ~(EXC_MASK | SW_SF | SW_ES | SW_B)
        else:
            fninit(st)
        return pc
    if op == 0xDF and modrm == 0xE0:                      # FNSTSW AX
        set_reg(st, 0, 2, status_word(st))
        return pc
    reg_form(st, op, modrm)
    if st[FAULT] < 0 and not control_insn(op, modrm):
        st[FPU_FIP] = eip
        st[FPU_FCS] = st[SEL + CS]
        st[FPU_FOP] = ((op & 7) << 8) | modrm
    return pc


@njit
def wait_check(st):
    """WAIT/FWAIT: #MF if an unmasked exception is pending and CR0.NE = 1 (SDM Vol. 2, WAIT)."""
    if (st[FPU_SW] & SW_ES) != 0 and (st[CR0] & CR0_NE) != 0:
        raise_fault(st, VEC_MF, -1)
