"""Control transfer: Jcc, JMP, CALL, RET, LOOP, INT, IRET (protected-mode far forms in
:mod:`emulator.cpu.protected`).

Handlers get ``nip`` (the EIP of the next instruction, already masked) where
they need it and return ``R_JUMP`` after writing EIP, or the ``pc`` to fall
through.  Near targets are truncated to 16 bits with a 16-bit operand size and
checked against the CS limit (#GP(0), SDM Vol. 2, JMP "Real-Address Mode
Exceptions").
"""

from .decode import REG, decode_rm, imm, rm_rd
from .farcall import OP_FAR, OP_FAR_RET, OP_IRET, slow
from .flags import cond, sext
from .interrupts import interrupt, load_flags
from .jit import hot, njit
from .memory import ld8, pop, push, raise_fault, rd, stack_peek
from .segments import is_protected, load_seg_real
from .state import (
    ATTR,
    ATTR_DB,
    CR0,
    CS,
    ECX,
    EFLAGS,
    EIP,
    ESP,
    FAULT,
    LIMIT,
    OF,
    R_JUMP,
    RF,
    SEL,
    SS,
    VEC_BP,
    VEC_GP,
    VEC_OF,
    VEC_UD,
    ZF,
)


@njit
def near_jump(st, target, osz):
    """Set EIP to ``target`` (16-bit truncation with a 16-bit operand), #GP past the CS limit."""
    if osz == 2:
        target &= 0xFFFF
    if target > st[LIMIT + CS]:
        raise_fault(st, VEC_GP, 0)
        return
    st[EIP] = target


@njit
def far_jump(st, mem, sel, off, osz, nip):
    """Far JMP: real/virtual-8086 mode loads CS the real-mode way; protected mode checks."""
    if is_protected(st):
        slow(st, mem, OP_FAR, (sel & 0xFFFF) | (osz << 16), off, nip, 0)
        return
    if osz == 2:
        off &= 0xFFFF
    load_seg_real(st, CS, sel)
    st[EIP] = off


@njit
def far_call(st, mem, sel, off, nip, osz):
    """Far CALL: push CS and the return address, then jump (protected mode: with checks)."""
    if is_protected(st):
        slow(st, mem, OP_FAR, (sel & 0xFFFF) | (osz << 16) | (1 << 24), off, nip, 0)
        return
    push(st, mem, st[SEL + CS], osz)
    push(st, mem, nip, osz)
    if st[FAULT] < 0:
        far_jump(st, mem, sel, off, osz, nip)


@hot
def op_jcc(st, mem, pc, cc, nip, osz, rel_size):
    """70-7F (60-6F on the 8086) Jcc rel8 and 0F 80-8F Jcc rel16/32 (``pc`` after the displacement)."""
    if cond(st[EFLAGS], cc):
        near_jump(st, nip + sext(imm(mem, pc - rel_size, rel_size), rel_size), osz)
        return R_JUMP
    return pc


@njit
def op_loop(st, mem, pc, op, nip, osz, asz):
    """E0 LOOPNE, E1 LOOPE, E2 LOOP, E3 JCXZ/JECXZ: the count register follows the address size."""
    rel = sext(ld8(mem, pc - 1), 1)
    cmask = 0xFFFFFFFF if asz else 0xFFFF
    if op == 0xE3:
        take = (st[ECX] & cmask) == 0
    else:
        c = (st[ECX] - 1) & cmask
        st[ECX] = (st[ECX] & ~cmask) | c
        take = c != 0
        if op == 0xE0:
            take = take and (st[EFLAGS] & ZF) == 0
        elif op == 0xE1:
            take = take and (st[EFLAGS] & ZF) != 0
    if take:
        near_jump(st, nip + rel, osz)
        return R_JUMP
    return pc


@hot
def op_call_jmp_rel(st, mem, pc, op, nip, osz):
    """E8 CALL rel, E9 JMP rel, EB JMP rel8 (``pc`` is after the displacement)."""
    if op == 0xEB:
        rel = sext(ld8(mem, pc - 1), 1)
    else:
        rel = sext(imm(mem, pc - osz, osz), osz)
    if op == 0xE8:
        push(st, mem, nip, osz)
    near_jump(st, nip + rel, osz)
    return R_JUMP


@hot
def op_ret(st, mem, pc, op, osz):
    """C2/C3 RET near (imm16 releases parameters), CA/CB RETF."""
    big = (st[ATTR + SS] & ATTR_DB) != 0
    spmask = 0xFFFFFFFF if big else 0xFFFF
    if op == 0xC2 or op == 0xC3:
        target = pop(st, mem, osz)
        near_jump(st, target, osz)
    elif is_protected(st):
        slow(st, mem, OP_FAR_RET, osz, ld8(mem, pc) | (ld8(mem, pc + 1) << 8) if op == 0xCA else 0, 0, 0)
        return R_JUMP
    else:
        off = stack_peek(st, mem, 0, osz)
        sel = stack_peek(st, mem, osz, 2)
        if st[FAULT] >= 0:
            return R_JUMP
        pop(st, mem, osz)
        pop(st, mem, osz)
        far_jump(st, mem, sel, off, osz, 0)
    if op == 0xC2 or op == 0xCA:
        n = ld8(mem, pc) | (ld8(mem, pc + 1) << 8)
        st[ESP] = (st[ESP] & ~spmask) | ((st[ESP] + n) & spmask)
    return R_JUMP


@njit
def op_far_ptr(st, mem, pc, op, nip, osz):
    """9A CALL ptr16:16/32, EA JMP ptr16:16/32 (``pc`` is after the pointer)."""
    off = imm(mem, pc - osz - 2, osz)
    sel = ld8(mem, pc - 2) | (ld8(mem, pc - 1) << 8)
    if op == 0x9A:
        far_call(st, mem, sel, off, nip, osz)
    else:
        far_jump(st, mem, sel, off, osz, nip)
    return R_JUMP


@njit
def op_group5_control(st, mem, pc, delta, ipmask, osz, asz, seg):
    """FF /2 CALL r/m, /3 CALL m16:16/32, /4 JMP r/m, /5 JMP m16:16/32 (next EIP = pc + delta)."""
    pc, reg, s, off = decode_rm(st, mem, pc, asz, seg)
    nip = (pc + delta) & ipmask
    if reg == 2 or reg == 4:
        target = rm_rd(st, mem, s, off, osz)
        if st[FAULT] >= 0:
            return R_JUMP
        if reg == 2:
            push(st, mem, nip, osz)
        near_jump(st, target, osz)
        return R_JUMP
    if s == REG:
        raise_fault(st, VEC_UD, -1)
        return R_JUMP
    target = rd(st, mem, s, off, osz)
    sel = rd(st, mem, s, (off + osz) & (0xFFFFFFFF if asz else 0xFFFF), 2)
    if st[FAULT] >= 0:
        return R_JUMP
    if reg == 3:
        far_call(st, mem, sel, target, nip, osz)
    else:
        far_jump(st, mem, sel, target, osz, nip)
    return R_JUMP


@njit
def op_int(st, mem, pc, op, nip):
    """CC INT3, CD INT imm8, CE INTO, F1 INT1 (ICEBP): traps, so the return address is ``nip``."""
    if op == 0xCC:
        vec = VEC_BP
    elif op == 0xCD:
        vec = ld8(mem, pc - 1)
    elif op == 0xCE:
        if (st[EFLAGS] & OF) == 0:
            return pc
        vec = VEC_OF
    else:
        vec = 1
    interrupt(st, mem, vec, nip, 1 if op == 0xCD else (0 if op == 0xF1 else 2), -1)
    return R_JUMP


@njit
def op_iret(st, mem, osz, nip):
    """CF IRET: pop IP, CS, FLAGS (SDM Vol. 2, IRET, real-address mode; see ``iret_pm``)."""
    if st[CR0] & 1:
        slow(st, mem, OP_IRET, osz, nip, 0, 0)
        return R_JUMP
    off = stack_peek(st, mem, 0, osz)
    sel = stack_peek(st, mem, osz, 2)
    fl = stack_peek(st, mem, 2 * osz, osz)
    if st[FAULT] >= 0:
        return R_JUMP
    for _ in range(3):
        pop(st, mem, osz)
    far_jump(st, mem, sel, off, osz, 0)
    load_flags(st, fl, osz)
    if osz == 4:  # IRETD also loads RF (SDM Vol. 2, IRET: real-address mode)
        st[EFLAGS] = (st[EFLAGS] & ~RF) | (fl & RF)
    return R_JUMP


@njit
def op_pop_cs_8086(st, mem, pc):
    """0F on the 8086: POP CS."""
    v = pop(st, mem, 2)
    load_seg_real(st, CS, v)
    return pc
