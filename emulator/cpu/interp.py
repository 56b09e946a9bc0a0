"""The run loop: fetch, prefixes, dispatch by opcode range, retire, faults, exits.

``run(st, mem, budget)`` executes up to ``budget`` instructions and returns an
exit reason (``state.EXIT_*``).  Dispatch is a shallow range tree over the
opcode map (SDM Vol. 2, Appendix A) calling small handlers by family; faults
raised by a handler restart the instruction through its exception vector.
"""

import numpy as np

from .debug import code_breakpoint
from .decode import REG, decode_rm, get_reg, imm, insn_length, lockable, set_reg
from .farcall import OP_EXCEPTION, OP_FETCH_FAULT, fpu_call, slow
from .flags import logic_flags
from .jit import hot, njit
from .memory import check_limit, fetch_start, ld8, raise_fault
from .ops_0f import op_0f
from .ops_arith import op_bcd, op_group2, op_group3
from .ops_basic import (
    op_98_9f,
    op_alu,
    op_enter_leave,
    op_group1,
    op_group45_data,
    op_imul3,
    op_inc_dec_push_pop,
    op_lxs,
    op_misc_60,
    op_mov_imm_rm,
    op_mov_moffs,
    op_mov_rm,
    op_mov_sreg,
    op_push_pop_seg,
    op_salc,
    op_test_xchg,
    op_xchg_ax,
    op_xlat,
)
from .ops_control import (
    op_call_jmp_rel,
    op_far_ptr,
    op_group5_control,
    op_int,
    op_iret,
    op_jcc,
    op_loop,
    op_pop_cs_8086,
    op_ret,
)
from .ops_string import op_in_out, op_ins_outs, op_string
from .state import (
    ATTR,
    ATTR_DB,
    BASE,
    CF,
    CPL,
    CR0,
    CR0_EM,
    CR0_TS,
    CR4,
    CR4_PVI,
    CR4_VME,
    CS,
    DB_PENDING,
    DF,
    DR6,
    DR7,
    DS,
    EAX,
    EFLAGS,
    EIP,
    ES,
    ESP,
    EXIT_BAD_FETCH,
    EXIT_BUDGET,
    EXIT_EIP,
    EXIT_HLT,
    EXIT_INTR,
    EXIT_REASON,
    EXIT_SHUTDOWN,
    FAULT,
    FETCH_AVAIL,
    FETCH_LA,
    FETCH_STOP,
    FS,
    GS,
    HALTED,
    ICOUNT,
    IF,
    INTR,
    IO_READY,
    IOPL,
    Q_80186,
    Q_ALIASES_8086,
    Q_DE_NEXT_IP,
    Q_FPU,
    Q_HAS_386,
    Q_MAX_INSN_LEN,
    R_EXIT,
    R_EXIT_STAY,
    RF,
    SCRATCH,
    SHADOW_ICOUNT,
    SS,
    SS_SHADOW,
    TF,
    TLB_USER,
    VEC_DB,
    VEC_GP,
    VEC_NM,
    VEC_UD,
    VIF,
    VIP,
    VM,
)

_PREFIX = np.zeros(256, dtype=np.uint8)
for _b in (0x26, 0x2E, 0x36, 0x3E, 0x64, 0x65, 0x66, 0x67, 0xF0, 0xF2, 0xF3):
    _PREFIX[_b] = 1


@njit
def flag_ops(st, op):
    """F5 CMC, F8 CLC, F9 STC, FA CLI, FB STI, FC CLD, FD STD."""
    fl = st[EFLAGS]
    if op == 0xF5:
        fl ^= CF
    elif op == 0xF8:
        fl &= ~CF
    elif op == 0xF9:
        fl |= CF
    elif op == 0xFA or op == 0xFB:
        if (st[CR0] & 1) != 0 and (st[CPL] > ((fl & IOPL) >> 12) or (fl & VM) != 0):
            if not iopl_virtual_if(st, op):
                raise_fault(st, VEC_GP, 0)
            return
        if op == 0xFA:
            fl &= ~IF
        else:
            if (fl & IF) == 0:
                st[SHADOW_ICOUNT] = st[ICOUNT] + 1  # STI delays interrupts by one instruction
            fl |= IF
    elif op == 0xFC:
        fl &= ~DF
    else:
        fl |= DF
    st[EFLAGS] = fl


@njit
def debug_traps(st, mem, flags0):
    """After an instruction: clear RF, and take the single-step and data-breakpoint traps
    (SDM Vol. 3, 17.3.1); none right after MOV SS / POP SS.  False if the CPU shut down."""
    if flags0 & RF:
        st[EFLAGS] &= ~RF  # RF lasts for one instruction (SDM Vol. 3, 17.3.1.1)
    if st[ICOUNT] == st[SS_SHADOW]:
        return True
    trap = st[DB_PENDING] != 0
    st[DB_PENDING] = 0
    if flags0 & TF:
        st[DR6] |= 0x4000  # BS
        trap = True
    if trap:
        return slow(st, mem, OP_EXCEPTION, VEC_DB, st[EIP], 0, 0) != 0
    return True


@njit
def iopl_virtual_if(st, op):
    """CLI/STI without the IOPL: with CR4.VME (virtual-8086, IOPL < 3) or CR4.PVI (CPL 3)
    they change VIF instead; STI with VIP set raises #GP (SDM Vol. 3, 20.4).  False: #GP."""
    fl = st[EFLAGS]
    virtual = (st[CR4] & CR4_VME) != 0 if fl & VM else (st[CR4] & CR4_PVI) != 0 and st[CPL] == 3
    if (fl & VM) != 0 and (fl & IOPL) == IOPL:
        virtual = False
    if not virtual or (op == 0xFB and (fl & VIP) != 0):
        return False
    st[EFLAGS] = (fl & ~VIF) if op == 0xFA else (fl | VIF)
    return True


@hot
def execute(st, mem, pc, op, osz, asz, seg, rep, eip0, pc0, ipmask, room):
    """Execute one instruction whose opcode ``op`` (0x1xx for the 0F page) was read; return the next pc."""
    if op < 0x40:
        if (op & 7) < 6:
            return op_alu(st, mem, pc, op, osz, asz, seg)
        if op == 0x27 or op == 0x2F or op == 0x37 or op == 0x3F:
            return op_bcd(st, mem, pc, op)
        if op == 0x0F:
            if st[Q_ALIASES_8086] != 0:
                return op_pop_cs_8086(st, mem, pc)
            op2 = ld8(mem, pc)
            pc += 1
            if op2 >= 0x80 and op2 < 0x90:
                if st[Q_HAS_386] == 0:
                    raise_fault(st, VEC_UD, -1)
                    return pc
                pc += osz
                return op_jcc(st, mem, pc, op2 & 15, (eip0 + pc - pc0) & ipmask, osz, osz)
            if op2 == 0xA0 or op2 == 0xA1 or op2 == 0xA8 or op2 == 0xA9:
                if st[Q_HAS_386] == 0:
                    raise_fault(st, VEC_UD, -1)
                    return pc
                return op_push_pop_seg(st, mem, pc, 0x100 | op2, osz)
            return op_0f(st, mem, pc, op2, osz, asz, seg, (eip0 + pc - pc0) & ipmask)
        return op_push_pop_seg(st, mem, pc, op, osz)
    if op < 0x60:
        return op_inc_dec_push_pop(st, mem, pc, op, osz)
    if op < 0x80:
        if op >= 0x70 or st[Q_ALIASES_8086] != 0:
            pc += 1
            return op_jcc(st, mem, pc, op & 15, (eip0 + pc - pc0) & ipmask, osz, 1)
        if op == 0x69 or op == 0x6B:
            if st[Q_80186] == 0:
                raise_fault(st, VEC_UD, -1)
                return pc
            return op_imul3(st, mem, pc, op, osz, asz, seg)
        if op >= 0x6C:
            if st[Q_80186] == 0:
                raise_fault(st, VEC_UD, -1)
                return pc
            return op_ins_outs(st, mem, pc, op, osz, asz, seg, rep, (eip0 + pc - pc0) & ipmask)
        if op >= 0x64 and op <= 0x67:  # FS/GS/size prefixes on a CPU without them
            raise_fault(st, VEC_UD, -1)
            return pc
        return op_misc_60(st, mem, pc, op, osz, asz, seg)
    if op < 0x90:
        if op < 0x84:
            return op_group1(st, mem, pc, op, osz, asz, seg)
        if op < 0x88:
            return op_test_xchg(st, mem, pc, op, osz, asz, seg)
        if op < 0x8C:
            return op_mov_rm(st, mem, pc, op, osz, asz, seg)
        return op_mov_sreg(st, mem, pc, op, osz, asz, seg)
    if op < 0xA0:
        if op < 0x98:
            return op_xchg_ax(st, mem, pc, op, osz)
        if op == 0x9A:
            pc += osz + 2
            return op_far_ptr(st, mem, pc, op, (eip0 + pc - pc0) & ipmask, osz)
        return op_98_9f(st, mem, pc, op, osz)
    if op < 0xB0:
        if op < 0xA4:
            return op_mov_moffs(st, mem, pc, op, osz, asz, seg)
        if op == 0xA8 or op == 0xA9:
            return op_test_imm_acc(st, mem, pc, op, osz)
        return op_string(st, mem, pc, op, osz, asz, seg, rep, room)
    if op < 0xC0:
        if op < 0xB8:
            set_reg(st, op & 7, 1, ld8(mem, pc))
            return pc + 1
        set_reg(st, op & 7, osz, imm(mem, pc, osz))
        return pc + osz
    if op < 0xD0:
        if st[Q_ALIASES_8086] != 0 and (op == 0xC0 or op == 0xC1 or op == 0xC8 or op == 0xC9):
            op += 2  # 8086: C0/C1 alias RET imm/RET, C8/C9 alias RETF imm/RETF
        if op == 0xC0 or op == 0xC1:
            if st[Q_80186] == 0:
                raise_fault(st, VEC_UD, -1)
                return pc
            return op_group2(st, mem, pc, op, osz, asz, seg)
        if op == 0xC2 or op == 0xC3 or op == 0xCA or op == 0xCB:
            return op_ret(st, mem, pc, op, osz)
        if op == 0xC4 or op == 0xC5:
            return op_lxs(st, mem, pc, ES if op == 0xC4 else DS, osz, asz, seg)
        if op == 0xC6 or op == 0xC7:
            return op_mov_imm_rm(st, mem, pc, op, osz, asz, seg)
        if op == 0xC8 or op == 0xC9:
            if st[Q_80186] == 0:
                raise_fault(st, VEC_UD, -1)
                return pc
            return op_enter_leave(st, mem, pc, op, osz)
        if op == 0xCF:
            return op_iret(st, mem, osz, (eip0 + pc - pc0) & ipmask)
        if op == 0xCD:
            pc += 1
        return op_int(st, mem, pc, op, (eip0 + pc - pc0) & ipmask)
    if op < 0xE0:
        if op < 0xD4:
            return op_group2(st, mem, pc, op, osz, asz, seg)
        if op == 0xD4 or op == 0xD5:
            return op_bcd(st, mem, pc + 1, op)
        if op == 0xD6:
            op_salc(st)
            return pc
        if op == 0xD7:
            return op_xlat(st, mem, pc, asz, seg)
        return op_esc(st, mem, pc, op, osz, asz, seg, eip0)
    if op < 0xF0:
        if op < 0xE4:
            pc += 1
            return op_loop(st, mem, pc, op, (eip0 + pc - pc0) & ipmask, osz, asz)
        if op == 0xE8 or op == 0xE9:
            pc += osz
            return op_call_jmp_rel(st, mem, pc, op, (eip0 + pc - pc0) & ipmask, osz)
        if op == 0xEB:
            pc += 1
            return op_call_jmp_rel(st, mem, pc, op, (eip0 + pc - pc0) & ipmask, osz)
        if op == 0xEA:
            pc += osz + 2
            return op_far_ptr(st, mem, pc, op, (eip0 + pc - pc0) & ipmask, osz)
        if op < 0xE8:
            pc += 1
        return op_in_out(st, mem, pc, op, osz, (eip0 + pc - pc0) & ipmask)
    # F0-FF
    if op == 0xF6 or op == 0xF7:
        return op_group3(st, mem, pc, op, osz, asz, seg, rep)
    if op == 0xFE or op == 0xFF:
        reg = (ld8(mem, pc) >> 3) & 7
        if op == 0xFF and reg >= 2 and reg <= 5:
            return op_group5_control(st, mem, pc, eip0 - pc0, ipmask, osz, asz, seg)
        if reg < 2 or (op == 0xFF and reg == 6) or st[Q_ALIASES_8086] != 0:
            return op_group45_data(st, mem, pc, op, osz, asz, seg)
        raise_fault(st, VEC_UD, -1)
        return pc
    if op == 0xF4:
        if (st[CR0] & 1) != 0 and st[CPL] != 0:
            raise_fault(st, VEC_GP, 0)
            return pc
        st[HALTED] = 1
        st[EXIT_REASON] = EXIT_HLT
        st[EIP] = (eip0 + pc - pc0) & ipmask
        return R_EXIT
    if op == 0xF1:
        if st[Q_HAS_386] == 0:
            raise_fault(st, VEC_UD, -1)
            return pc
        return op_int(st, mem, pc, op, (eip0 + pc - pc0) & ipmask)
    flag_ops(st, op)
    return pc


@njit
def op_test_imm_acc(st, mem, pc, op, osz):
    """A8/A9: TEST AL/eAX, imm."""
    size = osz if op & 1 else 1
    logic_flags(st, get_reg(st, EAX, size) & imm(mem, pc, size), size)
    return pc + size


@njit
def op_esc(st, mem, pc, op, osz, asz, seg, eip0):
    """D8-DF: the x87 FPU behind the rare-path boundary (:mod:`emulator.cpu.fpu`); without a
    coprocessor only the ModRM is decoded (8086/286).

    CR0.EM or CR0.TS make them raise #NM (SDM Vol. 3, 2.5: software emulation, task switch).
    """
    if (st[CR0] & (CR0_EM | CR0_TS)) != 0:
        raise_fault(st, VEC_NM, -1)
        return pc
    if st[Q_FPU] != 0:
        return fpu_call(st, mem, pc, op | (osz << 8) | ((1 if asz else 0) << 16), seg, eip0)
    pc, reg, s, off = decode_rm(st, mem, pc, asz, seg)
    if s != REG:
        check_limit(st, s, off, 2)  # the 286 still checks the operand's segment limit
    return pc


@njit
def run(st, mem, budget):
    """Execute up to ``budget`` instructions; return the exit reason."""
    st[EXIT_REASON] = EXIT_BUDGET
    end = st[ICOUNT] + budget
    eip = st[EIP]  # st[EIP] kept in a register too: the next fetch need not wait for the store
    while st[ICOUNT] < end:
        if (st[INTR] != 0 and (st[EFLAGS] & IF) != 0 and st[ICOUNT] != st[SHADOW_ICOUNT]
                and st[IO_READY] == 0):  # an IN the host answered completes first
            st[EXIT_REASON] = EXIT_INTR
            st[EXIT_EIP] = st[EIP]
            return EXIT_INTR
        if st[HALTED] != 0:
            st[EXIT_REASON] = EXIT_HLT
            st[EXIT_EIP] = st[EIP]
            return EXIT_HLT
        eip0 = eip
        esp0 = st[ESP]
        flags0 = st[EFLAGS]
        code32 = (st[ATTR + CS] & ATTR_DB) != 0
        ipmask = 0xFFFFFFFF if code32 else 0xFFFF
        pc0 = fetch_start(st, mem, eip0, code32)
        pc = pc0
        if (st[DR7] & 0xFF) != 0 and (flags0 & RF) == 0 and code_breakpoint(
                st, (st[BASE + CS] + eip0) & 0xFFFFFFFF):
            raise_fault(st, VEC_DB, -1)  # instruction breakpoint: a fault before it runs
        elif pc0 == SCRATCH and insn_length(mem, pc0, code32) > st[FETCH_AVAIL]:
            if st[FETCH_STOP] == 1:
                st[EXIT_REASON] = EXIT_BAD_FETCH
                st[EXIT_EIP] = eip0
                return EXIT_BAD_FETCH
            if st[FETCH_STOP] == 2:  # the bytes it needs are on a page it may not fetch from
                slow(st, mem, OP_FETCH_FAULT, st[FETCH_LA], st[TLB_USER], 0, 0)
            else:
                raise_fault(st, VEC_GP, 0)
        else:
            osz = 4 if code32 else 2
            asz = code32
            seg = -1
            rep = 0
            lock = 0
            op = ld8(mem, pc)
            pc += 1
            if _PREFIX[op] != 0 and (st[Q_HAS_386] != 0 or op < 0x64 or op > 0x67):
                while True:
                    if op == 0x66:
                        osz = 2 if code32 else 4
                    elif op == 0x67:
                        asz = not code32
                    elif op == 0xF2 or op == 0xF3:
                        rep = op
                    elif op == 0x26:
                        seg = ES
                    elif op == 0x2E:
                        seg = CS
                    elif op == 0x36:
                        seg = SS
                    elif op == 0x3E:
                        seg = DS
                    elif op == 0x64:
                        seg = FS
                    elif op == 0x65:
                        seg = GS
                    elif op == 0xF0:
                        lock = 1
                    else:
                        break
                    if pc - pc0 >= 15:
                        break
                    op = ld8(mem, pc)
                    pc += 1
                    if _PREFIX[op] == 0 or (st[Q_HAS_386] == 0 and op >= 0x64 and op <= 0x67):
                        break
                if pc - pc0 > 3 and insn_length(mem, pc0, code32) > st[Q_MAX_INSN_LEN]:
                    raise_fault(st, VEC_GP, 0)
                    op = -1
                elif lock != 0 and st[Q_HAS_386] != 0 and not lockable(mem, pc, op):
                    raise_fault(st, VEC_UD, -1)
                    op = -1
            if op >= 0:
                r = execute(st, mem, pc, op, osz, asz, seg, rep, eip0, pc0, ipmask, end - st[ICOUNT])
                if st[FAULT] < 0:
                    if r >= 0:
                        eip = (eip0 + r - pc0) & ipmask
                        st[EIP] = eip
                    elif r == R_EXIT:
                        st[ICOUNT] += 1
                        st[EXIT_EIP] = eip0
                        return st[EXIT_REASON]
                    elif r == R_EXIT_STAY:
                        st[EXIT_EIP] = eip0
                        return st[EXIT_REASON]
                    else:
                        eip = st[EIP]  # R_JUMP: the handler wrote EIP
                    st[ICOUNT] += 1
                    if (flags0 & (TF | RF)) != 0 or st[DB_PENDING] != 0:
                        if not debug_traps(st, mem, flags0):
                            st[EXIT_EIP] = st[EIP]
                            return st[EXIT_REASON]
                        eip = st[EIP]
                    continue
                if st[FAULT] == 0 and st[Q_DE_NEXT_IP] != 0 and r >= 0:
                    eip0 = (eip0 + r - pc0) & ipmask
        # the instruction faulted: undo EIP/ESP/FLAGS and deliver the exception
        vec = st[FAULT]
        st[ESP] = esp0
        st[EIP] = eip0
        st[EFLAGS] = flags0
        st[ICOUNT] += 1
        if slow(st, mem, OP_EXCEPTION, vec, eip0, 1, 0) == 0:
            st[EXIT_EIP] = eip0
            if st[EXIT_REASON] == EXIT_BUDGET:
                st[EXIT_REASON] = EXIT_SHUTDOWN
            return st[EXIT_REASON]
        eip = st[EIP]
    return EXIT_BUDGET

