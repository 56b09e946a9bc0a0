"""Operand decoding: registers, ModRM/SIB effective addresses, instruction length.

Effective addresses follow Intel SDM Vol. 2, 2.1.5 (Tables 2-1 and 2-2 for
16- and 32-bit addressing, Table 2-3 for SIB).  A decoded r/m operand is a
pair ``(seg, off)``: ``seg`` is a segment index for memory, or ``REG`` (-1)
with ``off`` the register number.
"""

import numpy as np

from .jit import hot, njit
from .memory import ld8, ld16, ld32, ram_load, rd, wr
from .state import DS, EBP, EBX, EDI, ESI, SS, ZERO
from .thincall import data_ptr, mem_view, st_view

REG = -1  # "segment" of a register operand

# --- instruction length tables (one-byte map and 0F map) ---------------------------------
# immediate kinds: 0 none, 1 imm8, 2 imm16, 3 imm16/32 (operand size), 4 imm16+imm8 (ENTER),
#                  5 moffs (address size), 6 far pointer (operand size + 2)
_MODRM_1 = np.zeros(256, dtype=np.uint8)
_IMM_1 = np.zeros(256, dtype=np.uint8)
_MODRM_2 = np.zeros(256, dtype=np.uint8)
_IMM_2 = np.zeros(256, dtype=np.uint8)


def _fill_tables() -> None:
    for base in range(0, 0x40, 8):
        _MODRM_1[base:base + 4] = 1
        _IMM_1[base + 4] = 1
        _IMM_1[base + 5] = 3
    for op in (0x62, 0x63, 0x69, 0x6B, 0xC0, 0xC1, 0xC4, 0xC5, 0xC6, 0xC7, 0xF6, 0xF7, 0xFE, 0xFF):
        _MODRM_1[op] = 1
    _MODRM_1[0x80:0x90] = 1
    _MODRM_1[0xD0:0xD4] = 1
    _MODRM_1[0xD8:0xE0] = 1
    for op in (0x6A, 0x6B, 0x80, 0x82, 0x83, 0xA8, 0xC0, 0xC1, 0xC6, 0xCD, 0xD4, 0xD5, 0xEB):
        _IMM_1[op] = 1
    _IMM_1[0x70:0x80] = 1
    _IMM_1[0xB0:0xB8] = 1
    _IMM_1[0xE0:0xE8] = 1
    for op in (0x68, 0x69, 0x81, 0xA9, 0xC7, 0xE8, 0xE9):
        _IMM_1[op] = 3
    _IMM_1[0xB8:0xC0] = 3
    _IMM_1[0xC2] = _IMM_1[0xCA] = 2
    _IMM_1[0xC8] = 4
    _IMM_1[0xA0:0xA4] = 5
    _IMM_1[0x9A] = _IMM_1[0xEA] = 6
    # 0F map: everything has ModRM except these
    _MODRM_2[:] = 1
    for op in list(range(0x05, 0x0C)) + list(range(0x30, 0x38)) + [0x77, 0xA0, 0xA1, 0xA2, 0xA8, 0xA9,
                                                                       0xAA] + list(range(0xC8, 0xD0)):
        _MODRM_2[op] = 0
    _MODRM_2[0x80:0x90] = 0
    _IMM_2[0x80:0x90] = 3
    for op in (0x70, 0x71, 0x72, 0x73, 0xA4, 0xAC, 0xBA, 0xC2, 0xC4, 0xC5, 0xC6):
        _IMM_2[op] = 1


_fill_tables()


@njit
def is_prefix(b):
    return (b == 0x26 or b == 0x2E or b == 0x36 or b == 0x3E or b == 0x64 or b == 0x65
            or b == 0x66 or b == 0x67 or b == 0xF0 or b == 0xF2 or b == 0xF3)


@njit
def insn_length(mem, pc, code32):
    """Length in bytes of the instruction at ``mem[pc]`` (prefixes included, capped at 16)."""
    n = 0
    osz32 = code32
    asz32 = code32
    b = ld8(mem, pc)
    while is_prefix(b) and n < 15:
        if b == 0x66:
            osz32 = not code32
        elif b == 0x67:
            asz32 = not code32
        n += 1
        b = ld8(mem, pc + n)
    n += 1
    if b == 0x0F:
        b = ld8(mem, pc + n)
        n += 1
        has_modrm = _MODRM_2[b]
        imm = _IMM_2[b]
    else:
        has_modrm = _MODRM_1[b]
        imm = _IMM_1[b]
        if (b == 0xF6 or b == 0xF7) and ((ld8(mem, pc + n) >> 3) & 7) < 2:
            imm = 1 if b == 0xF6 else 3
    if has_modrm:
        m = ld8(mem, pc + n)
        n += 1
        mod = m >> 6
        rm = m & 7
        if mod != 3:
            if asz32:
                if rm == 4:
                    base = ld8(mem, pc + n) & 7
                    n += 1
                    if mod == 0 and base == 5:
                        n += 4
                if mod == 0 and rm == 5:
                    n += 4
                elif mod == 1:
                    n += 1
                elif mod == 2:
                    n += 4
            else:
                if mod == 0 and rm == 6:
                    n += 2
                elif mod == 1:
                    n += 1
                elif mod == 2:
                    n += 2
    if imm == 1:
        n += 1
    elif imm == 2:
        n += 2
    elif imm == 3:
        n += 4 if osz32 else 2
    elif imm == 4:
        n += 3
    elif imm == 5:
        n += 4 if asz32 else 2
    elif imm == 6:
        n += 6 if osz32 else 4
    return min(n, 16)


@njit
def lockable(mem, pc, op):
    """Whether a LOCK prefix is allowed on opcode ``op`` whose next byte is ``mem[pc]``.

    Only read-modify-write instructions with a memory destination may be locked;
    anything else raises #UD on the 386 and later (SDM Vol. 2, LOCK).
    """
    if op == 0x0F:
        op2 = ld8(mem, pc)
        m = ld8(mem, pc + 1)
        if m >= 0xC0:
            return False
        if op2 == 0xAB or op2 == 0xB3 or op2 == 0xBB or op2 == 0xB0 or op2 == 0xB1 or op2 == 0xC0 \
                or op2 == 0xC1:
            return True
        if op2 == 0xBA:
            return ((m >> 3) & 7) >= 5
        return op2 == 0xC7 and ((m >> 3) & 7) == 1
    m = ld8(mem, pc)
    if m >= 0xC0:
        return False
    reg = (m >> 3) & 7
    if op < 0x34:
        return (op & 7) < 2 and op != 0x38 and op != 0x39
    if op >= 0x80 and op <= 0x83:
        return reg != 7
    if op == 0x86 or op == 0x87:
        return True
    if op == 0xF6 or op == 0xF7:
        return reg == 2 or reg == 3
    if op == 0xFE or op == 0xFF:
        return reg < 2
    return False


# --- registers -----------------------------------------------------------------------------
@njit
def get_reg(st, r, size):
    """Register ``r`` (encoding number) of ``size`` bytes: AL..BH for 1, AX..DI for 2, EAX..EDI for 4."""
    if size == 1:
        if r < 4:
            return st[r] & 0xFF
        return (st[r - 4] >> 8) & 0xFF
    if size == 2:
        return st[r] & 0xFFFF
    return st[r]


@hot
def set_reg(st, r, size, v):
    """Write the low ``size`` bytes of ``v`` to register ``r`` (numbered as in ``get_reg``)."""
    return _set_reg(data_ptr(st), r, size, v)


@njit
def _set_reg(stp, r, size, v):
    st = st_view(stp)
    if size == 1:
        if r < 4:
            st[r] = (st[r] & ~0xFF) | (v & 0xFF)
        else:
            st[r - 4] = (st[r - 4] & ~0xFF00) | ((v & 0xFF) << 8)
    elif size == 2:
        st[r] = (st[r] & ~0xFFFF) | (v & 0xFFFF)
    else:
        st[r] = v & 0xFFFFFFFF


# --- ModRM ------------------------------------------------------------------------------------
# 16-bit r/m 0-7 (SDM Vol. 2, Table 2-1): [BX+SI] [BX+DI] [BP+SI] [BP+DI] [SI] [DI] [BP] [BX]
_EA16_BASE = np.array([EBX, EBX, EBP, EBP, ESI, EDI, EBP, EBX], dtype=np.int64)
_EA16_INDEX = np.array([ESI, EDI, ESI, EDI, ZERO, ZERO, ZERO, ZERO], dtype=np.int64)
_EA16_SS = 0b0100_1100   # r/m 2, 3 and 6 (BP-based) default to SS


@njit
def modrm_ea(st, mem, pc, modrm, asz32, seg_ovr):
    """Decode the memory operand of ``modrm`` whose displacement/SIB start at ``mem[pc]``.

    Returns ``(pc, seg, off)``: ``pc`` after the address bytes, the segment
    (default DS, or SS for BP/EBP/ESP bases, unless overridden), the offset.
    """
    mod = modrm >> 6
    rm = modrm & 7
    seg = DS
    if not asz32:
        if mod == 0 and rm == 6:
            off = ld16(mem, pc)
            pc += 2
        else:
            off = st[_EA16_BASE[rm]] + st[_EA16_INDEX[rm]]
            if (_EA16_SS >> rm) & 1:
                seg = SS
            if mod == 1:
                off += (ld8(mem, pc) ^ 0x80) - 0x80
                pc += 1
            elif mod == 2:
                off += ld16(mem, pc)
                pc += 2
        off &= 0xFFFF
    else:
        if rm == 4:
            sib = ld8(mem, pc)
            pc += 1
            base = sib & 7
            idx = (sib >> 3) & 7
            if base == 5 and mod == 0:
                off = ld32(mem, pc)
                pc += 4
            else:
                off = st[base]
                if base == 4 or base == 5:
                    seg = SS
            if idx != 4:
                off += st[idx] << (sib >> 6)
        elif rm == 5 and mod == 0:
            off = ld32(mem, pc)
            pc += 4
        else:
            off = st[rm]
            if rm == 5:
                seg = SS
        if mod == 1:
            off += (ld8(mem, pc) ^ 0x80) - 0x80
            pc += 1
        elif mod == 2:
            off += ld32(mem, pc)
            pc += 4
        off &= 0xFFFFFFFF
    if seg_ovr >= 0:
        seg = seg_ovr
    return pc, seg, off


@hot
def decode_rm(st, mem, pc, asz32, seg_ovr):
    """Read the ModRM byte at ``mem[pc]`` and decode its r/m operand.

    Returns ``(pc, reg_field, seg, off)`` with ``seg == REG`` for a register operand.
    """
    return _decode_rm(data_ptr(st), data_ptr(mem), pc, asz32, seg_ovr)


@njit
def _decode_rm(stp, memp, pc, asz32, seg_ovr):
    st = st_view(stp)
    mem = mem_view(memp)
    modrm = ld8(mem, pc)
    if modrm >= 0xC0:
        return pc + 1, (modrm >> 3) & 7, REG, modrm & 7
    pc, seg, off = modrm_ea(st, mem, pc + 1, modrm, asz32, seg_ovr)
    return pc, (modrm >> 3) & 7, seg, off


@hot
def rm_rd(st, mem, seg, off, size):
    """Read the decoded r/m operand (``seg == REG``: a register)."""
    return _rm_rd(data_ptr(st), data_ptr(mem), seg, off, size)


@njit
def _rm_rd(stp, memp, seg, off, size):
    st = st_view(stp)
    if seg < 0:
        return get_reg(st, off, size)
    return rd(st, mem_view(memp), seg, off, size)


@hot
def rm_wr(st, mem, seg, off, size, v):
    """Write the decoded r/m operand (``seg == REG``: a register)."""
    _rm_wr(data_ptr(st), data_ptr(mem), seg, off, size, v)


@njit
def _rm_wr(stp, memp, seg, off, size, v):
    st = st_view(stp)
    if seg < 0:
        set_reg(st, off, size, v)
    else:
        wr(st, mem_view(memp), seg, off, size, v)


# an immediate is a little-endian load of ``size`` bytes from the instruction bytes
imm = ram_load
