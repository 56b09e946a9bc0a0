"""Data movement and arithmetic in the one-byte opcode map (Intel SDM Vol. 2, Appendix A).

Every handler has the signature ``(st, mem, pc, op, osz, asz, seg, rep)`` where
``pc`` indexes the byte after the opcode, ``osz``/``asz`` are the operand and
address sizes in bytes (2 or 4; ``asz`` is passed as a bool "32-bit"), ``seg``
the segment override or -1, ``rep`` the last F2/F3 prefix or 0; it returns the
``pc`` after the instruction.  Control transfers live in ``ops_control``.
"""

from .decode import REG, decode_rm, get_reg, imm, modrm_ea, rm_rd, rm_wr, set_reg
from .farcall import OP_ARPL, slow
from .flags import alu, incdec, logic_flags, sext, size_mask, szp
from .interrupts import flags_image, load_flags
from .jit import hot, njit
from .memory import ld8, pop, push, raise_fault, rd, stack_peek
from .protected import load_flags_pm, v86_flags_image, v86_load_flags
from .segments import load_data_seg
from .state import (
    AF,
    ATTR,
    ATTR_DB,
    CF,
    CPL,
    CR0,
    CR0_MP,
    CR0_NE,
    CR0_TS,
    CR4,
    CR4_VME,
    DS,
    EAX,
    EBP,
    EBX,
    EDX,
    EFLAGS,
    ESP,
    FAULT,
    FPU_SW,
    ICOUNT,
    IOPL,
    Q_80186,
    Q_ALIASES_8086,
    Q_FPU,
    Q_HAS_386,
    Q_PUSH_SP_NEW,
    SEL,
    SHADOW_ICOUNT,
    SS,
    SS_SHADOW,
    VEC_BR,
    VEC_GP,
    VEC_MF,
    VEC_NM,
    VEC_UD,
    VM,
)
from .thincall import data_ptr, mem_view, st_view

SEG_COUNT_286 = 4


@hot
def reg_wr(st, r, size, v):
    """Write a register unless the instruction already faulted (keeps faults restartable)."""
    return _reg_wr(data_ptr(st), r, size, v)


@njit
def _reg_wr(stp, r, size, v):
    st = st_view(stp)
    if st[FAULT] < 0:
        set_reg(st, r, size, v)


@hot
def op_alu(st, mem, pc, op, osz, asz, seg):
    """00-3D: ADD OR ADC SBB AND SUB XOR CMP in their six forms."""
    form = op & 7
    aop = (op >> 3) & 7
    size = osz if form & 1 else 1
    if form < 4:
        pc, reg, s, off = decode_rm(st, mem, pc, asz, seg)
        if form < 2:
            r = alu(st, aop, rm_rd(st, mem, s, off, size), get_reg(st, reg, size), size)
            if aop != 7:
                rm_wr(st, mem, s, off, size, r)
        else:
            r = alu(st, aop, get_reg(st, reg, size), rm_rd(st, mem, s, off, size), size)
            if aop != 7:
                reg_wr(st, reg, size, r)
    else:
        b = imm(mem, pc, size)
        pc += size
        r = alu(st, aop, get_reg(st, EAX, size), b, size)
        if aop != 7:
            set_reg(st, EAX, size, r)
    return pc


@hot
def op_group1(st, mem, pc, op, osz, asz, seg):
    """80-83: ALU op r/m, imm (83 sign-extends an imm8; 82 is an alias of 80)."""
    size = 1 if op == 0x80 or op == 0x82 else osz
    pc, aop, s, off = decode_rm(st, mem, pc, asz, seg)
    if op == 0x81:
        b = imm(mem, pc, size)
        pc += size
    else:
        b = ld8(mem, pc)
        pc += 1
        if op == 0x83:
            b = sext(b, 1) & size_mask(size)
    r = alu(st, aop, rm_rd(st, mem, s, off, size), b, size)
    if aop != 7:
        rm_wr(st, mem, s, off, size, r)
    return pc


@hot
def op_test_xchg(st, mem, pc, op, osz, asz, seg):
    """84/85 TEST r/m, r; 86/87 XCHG r/m, r."""
    size = osz if op & 1 else 1
    pc, reg, s, off = decode_rm(st, mem, pc, asz, seg)
    a = rm_rd(st, mem, s, off, size)
    b = get_reg(st, reg, size)
    if op < 0x86:
        logic_flags(st, a & b, size)
    else:
        rm_wr(st, mem, s, off, size, b)
        reg_wr(st, reg, size, a)
    return pc


@hot
def op_mov_rm(st, mem, pc, op, osz, asz, seg):
    """88-8B: MOV between r/m and a register."""
    size = osz if op & 1 else 1
    pc, reg, s, off = decode_rm(st, mem, pc, asz, seg)
    if op < 0x8A:
        rm_wr(st, mem, s, off, size, get_reg(st, reg, size))
    else:
        reg_wr(st, reg, size, rm_rd(st, mem, s, off, size))
    return pc


@njit
def seg_index_ok(st, sreg):
    """Whether segment register number ``sreg`` exists on this model (8086 aliases 4-7 to 0-3)."""
    if st[Q_ALIASES_8086] != 0:
        return True
    if st[Q_HAS_386] != 0:
        return sreg < 6
    return sreg < SEG_COUNT_286


@njit
def load_sreg(st, mem, sreg, sel, count):
    """MOV/POP/LxS to a segment register; SS starts an interrupt shadow."""
    if load_data_seg(st, mem, sreg, sel) and sreg == SS:
        st[SHADOW_ICOUNT] = count + 1
        st[SS_SHADOW] = count + 1


@njit
def op_mov_sreg(st, mem, pc, op, osz, asz, seg):
    """8C MOV r/m, Sreg; 8D LEA; 8E MOV Sreg, r/m; 8F POP r/m."""
    modrm = ld8(mem, pc)
    if op == 0x8D:
        if modrm >= 0xC0:
            raise_fault(st, VEC_UD, -1)
            return pc + 1
        pc, s, off = modrm_ea(st, mem, pc + 1, modrm, asz, seg)
        set_reg(st, (modrm >> 3) & 7, osz, off)
        return pc
    if op == 0x8F:
        if (modrm >> 3) & 7 != 0 and st[Q_ALIASES_8086] == 0:
            raise_fault(st, VEC_UD, -1)
            return pc + 1
        # POP r/m: ESP is incremented before the address is computed (SDM Vol. 2, POP)
        v = pop(st, mem, osz)
        pc, reg, s, off = decode_rm(st, mem, pc, asz, seg)
        rm_wr(st, mem, s, off, osz, v)
        return pc
    pc, sreg, s, off = decode_rm(st, mem, pc, asz, seg)
    if not seg_index_ok(st, sreg):
        raise_fault(st, VEC_UD, -1)
        return pc
    sreg &= 7 if st[Q_HAS_386] != 0 else 3
    if op == 0x8C:
        v = st[SEL + sreg]
        if s == REG:
            set_reg(st, off, osz, v)  # a register destination is zero-extended with 32-bit size
        else:
            rm_wr(st, mem, s, off, 2, v)
        return pc
    if sreg == 1 and st[Q_ALIASES_8086] == 0:  # MOV CS is invalid from the 286 on
        raise_fault(st, VEC_UD, -1)
        return pc
    v = rm_rd(st, mem, s, off, 2)
    if st[FAULT] < 0:
        load_sreg(st, mem, sreg, v, st[ICOUNT])
    return pc


@njit
def op_mov_imm_rm(st, mem, pc, op, osz, asz, seg):
    """C6/C7: MOV r/m, imm (reg field must be 0 from the 286 on)."""
    size = osz if op & 1 else 1
    pc, reg, s, off = decode_rm(st, mem, pc, asz, seg)
    v = imm(mem, pc, size)
    pc += size
    if reg != 0 and st[Q_ALIASES_8086] == 0:
        raise_fault(st, VEC_UD, -1)
        return pc
    rm_wr(st, mem, s, off, size, v)
    return pc


@hot
def op_inc_dec_push_pop(st, mem, pc, op, osz):
    """40-5F: INC/DEC/PUSH/POP a general register."""
    r = op & 7
    if op < 0x50:
        set_reg(st, r, osz, incdec(st, get_reg(st, r, osz), osz, op >= 0x48))
    elif op < 0x58:
        v = get_reg(st, r, osz)
        if r == ESP and st[Q_PUSH_SP_NEW] != 0:
            v = (v - osz) & size_mask(osz)
        push(st, mem, v, osz)
    else:
        v = pop(st, mem, osz)
        reg_wr(st, r, osz, v)
    return pc


@njit
def op_push_pop_seg(st, mem, pc, op, osz):
    """06/07/0E/16/17/1E/1F and 0F A0/A1/A8/A9: PUSH/POP segment registers."""
    if op >= 0x100:
        sreg = 4 if op < 0x1A8 else 5
        is_pop = op & 1
    else:
        sreg = (op >> 3) & 3
        is_pop = op & 1
    if is_pop:
        v = pop(st, mem, osz)
        if st[FAULT] < 0:
            load_sreg(st, mem, sreg, v & 0xFFFF, st[ICOUNT])
    else:
        # with a 32-bit operand the P6 writes only the low 16 bits of the slot
        if osz == 4:
            push(st, mem, st[SEL + sreg], 4)
        else:
            push(st, mem, st[SEL + sreg], 2)
    return pc


@njit
def op_xchg_ax(st, mem, pc, op, osz):
    """90-97: XCHG eAX, reg (90 is NOP)."""
    r = op & 7
    if r != 0:
        a = get_reg(st, EAX, osz)
        set_reg(st, EAX, osz, get_reg(st, r, osz))
        set_reg(st, r, osz, a)
    return pc


@njit
def op_98_9f(st, mem, pc, op, osz):
    """98 CBW/CWDE, 99 CWD/CDQ, 9B WAIT, 9C PUSHF, 9D POPF, 9E SAHF, 9F LAHF."""
    if op == 0x98:
        half = osz // 2
        set_reg(st, EAX, osz, sext(get_reg(st, EAX, half), half) & size_mask(osz))
    elif op == 0x99:
        v = get_reg(st, EAX, osz)
        set_reg(st, EDX, osz, size_mask(osz) if sext(v, osz) < 0 else 0)
    elif op == 0x9C or op == 0x9D:
        if (st[EFLAGS] & VM) != 0 and (st[EFLAGS] & IOPL) != IOPL:
            # IOPL-sensitive in virtual-8086 mode (SDM Vol. 3, 20.2.7); with CR4.VME the 16-bit
            # forms work on VIF instead (20.4.2)
            if osz == 4 or (st[CR4] & CR4_VME) == 0:
                raise_fault(st, VEC_GP, 0)
            elif op == 0x9C:
                push(st, mem, v86_flags_image(st), 2)
            else:
                v = stack_peek(st, mem, 0, 2)
                if st[FAULT] < 0:
                    v86_load_flags(st, v)
                    if st[FAULT] < 0:
                        pop(st, mem, 2)
        elif op == 0x9C:
            push(st, mem, flags_image(st, osz), osz)
        else:
            v = pop(st, mem, osz)
            if st[FAULT] < 0:
                if st[CR0] & 1:
                    load_flags_pm(st, v, osz, st[CPL], False)
                else:
                    load_flags(st, v, osz)
    elif op == 0x9B:
        if (st[CR0] & (CR0_MP | CR0_TS)) == (CR0_MP | CR0_TS):
            raise_fault(st, VEC_NM, -1)
        elif (st[FPU_SW] & 0x80) != 0 and (st[CR0] & CR0_NE) != 0 and st[Q_FPU] != 0:
            raise_fault(st, VEC_MF, -1)  # an unmasked x87 exception is pending (SDM Vol. 2, WAIT)
    elif op == 0x9E:
        ah = (st[EAX] >> 8) & 0xD5
        st[EFLAGS] = (st[EFLAGS] & ~0xD5) | ah
    elif op == 0x9F:
        set_reg(st, 4, 1, st[EFLAGS] & 0xFF)
    return pc


@njit
def op_mov_moffs(st, mem, pc, op, osz, asz, seg):
    """A0-A3: MOV between AL/eAX and a direct memory offset."""
    size = osz if op & 1 else 1
    off = imm(mem, pc, 4 if asz else 2)
    pc += 4 if asz else 2
    s = DS if seg < 0 else seg
    if op < 0xA2:
        reg_wr(st, EAX, size, rd(st, mem, s, off, size))
    else:
        rm_wr(st, mem, s, off, size, get_reg(st, EAX, size))
    return pc


@njit
def op_misc_60(st, mem, pc, op, osz, asz, seg):
    """60 PUSHA, 61 POPA, 62 BOUND, 63 ARPL (#UD in real mode), 68/6A PUSH imm."""
    if st[Q_80186] == 0:
        raise_fault(st, VEC_UD, -1)
        return pc
    if op == 0x60:
        sp = get_reg(st, ESP, osz)
        for r in range(8):
            push(st, mem, sp if r == ESP else get_reg(st, r, osz), osz)
    elif op == 0x61:
        for i in range(8):
            stack_peek(st, mem, i * osz, osz)  # fault before any register changes
        if st[FAULT] < 0:
            for i in range(8):
                v = pop(st, mem, osz)
                if 7 - i != ESP:
                    set_reg(st, 7 - i, osz, v)
    elif op == 0x62:
        pc, reg, s, off = decode_rm(st, mem, pc, asz, seg)
        if s == REG:
            raise_fault(st, VEC_UD, -1)
            return pc
        lo = sext(rd(st, mem, s, off, osz), osz)
        hi = sext(rd(st, mem, s, (off + osz) & (0xFFFFFFFF if asz else 0xFFFF), osz), osz)
        v = sext(get_reg(st, reg, osz), osz)
        if v < lo or v > hi:
            raise_fault(st, VEC_BR, -1)
    elif op == 0x63:
        return slow(st, mem, OP_ARPL, pc, 1 if asz else 0, seg, 0)
    elif op == 0x68:
        push(st, mem, imm(mem, pc, osz), osz)
        pc += osz
    elif op == 0x6A:
        push(st, mem, sext(ld8(mem, pc), 1) & size_mask(osz), osz)
        pc += 1
    return pc


@njit
def op_imul3(st, mem, pc, op, osz, asz, seg):
    """69/6B: IMUL reg, r/m, imm (SDM Vol. 2, IMUL: CF=OF when the product is truncated)."""
    pc, reg, s, off = decode_rm(st, mem, pc, asz, seg)
    if op == 0x69:
        b = sext(imm(mem, pc, osz), osz)
        pc += osz
    else:
        b = sext(ld8(mem, pc), 1)
        pc += 1
    a = sext(rm_rd(st, mem, s, off, osz), osz)
    imul_store(st, reg, a, b, osz)
    return pc


@njit
def imul_store(st, reg, a, b, osz):
    """Two/three-operand IMUL: store the truncated product, set CF/OF on overflow."""
    p = a * b
    r = p & size_mask(osz)
    f = CF | 0x800 if sext(r, osz) != p else 0
    st[EFLAGS] = (st[EFLAGS] & ~(CF | 0x800 | AF | 0xC4)) | f | szp(r, osz)
    reg_wr(st, reg, osz, r)


@njit
def op_lxs(st, mem, pc, sreg, osz, asz, seg):
    """C4 LES, C5 LDS, 0F B2 LSS, 0F B4 LFS, 0F B5 LGS: load a far pointer."""
    pc, reg, s, off = decode_rm(st, mem, pc, asz, seg)
    if s == REG:
        raise_fault(st, VEC_UD, -1)
        return pc
    v = rd(st, mem, s, off, osz)
    sel = rd(st, mem, s, (off + osz) & (0xFFFFFFFF if asz else 0xFFFF), 2)
    if st[FAULT] < 0:
        load_sreg(st, mem, sreg, sel, st[ICOUNT])
        if st[FAULT] < 0:
            set_reg(st, reg, osz, v)
    return pc


@njit
def op_xlat(st, mem, pc, asz, seg):
    """D7: XLAT: AL = [seg:(E)BX + AL]."""
    s = DS if seg < 0 else seg
    off = (st[EBX] + (st[EAX] & 0xFF)) & (0xFFFFFFFF if asz else 0xFFFF)
    reg_wr(st, EAX, 1, rd(st, mem, s, off, 1))
    return pc


@njit
def op_enter_leave(st, mem, pc, op, osz):
    """C8 ENTER imm16, imm8 and C9 LEAVE (SDM Vol. 2, ENTER pseudo-code)."""
    big = (st[ATTR + SS] & ATTR_DB) != 0
    spmask = 0xFFFFFFFF if big else 0xFFFF
    if op == 0xC9:
        sp = st[EBP] & spmask
        st[ESP] = (st[ESP] & ~spmask) | sp
        v = pop(st, mem, osz)
        reg_wr(st, EBP, osz, v)
        return pc
    frame = ld8(mem, pc) | (ld8(mem, pc + 1) << 8)
    level = ld8(mem, pc + 2) & 31
    pc += 3
    push(st, mem, get_reg(st, EBP, osz), osz)
    # FrameTemp: ESP after the push; the nesting push stores it and (E)BP takes it,
    # both with the operand size (SDM Vol. 2A ENTER, Operation: 'IF OperandSize = 32
    # THEN EBP <- FrameTemp ELSE BP <- FrameTemp')
    frame_ptr = st[ESP]
    if level > 0:
        bp = st[EBP] & spmask
        for _ in range(level - 1):
            bp = (bp - osz) & spmask
            push(st, mem, rd(st, mem, SS, bp, osz), osz)
        push(st, mem, frame_ptr, osz)
    if st[FAULT] < 0:
        set_reg(st, EBP, osz, frame_ptr)
        st[ESP] = (st[ESP] & ~spmask) | ((st[ESP] - frame) & spmask)
    return pc


@hot
def op_group45_data(st, mem, pc, op, osz, asz, seg):
    """FE /0-1 INC/DEC r/m8, FF /0-1 INC/DEC, FF /6 PUSH r/m (FF /7 on the 8086)."""
    return _op_group45_data(data_ptr(st), data_ptr(mem), pc, op, osz, asz, seg)


@njit
def _op_group45_data(stp, memp, pc, op, osz, asz, seg):
    st = st_view(stp)
    mem = mem_view(memp)
    size = osz if op == 0xFF else 1
    pc, reg, s, off = decode_rm(st, mem, pc, asz, seg)
    if reg < 2:
        rm_wr(st, mem, s, off, size, incdec(st, rm_rd(st, mem, s, off, size), size, reg == 1))
    else:
        v = rm_rd(st, mem, s, off, size)
        if s == REG and off == ESP and st[Q_PUSH_SP_NEW] != 0:
            v = (v - size) & size_mask(size)  # 8086: PUSH SP stores the decremented SP
        if st[FAULT] < 0:
            push(st, mem, v, size)
    return pc


@njit
def op_salc(st):
    """D6: SALC (undocumented): AL = CF ? FFh : 00h."""
    set_reg(st, EAX, 1, 0xFF if st[EFLAGS] & CF else 0)
