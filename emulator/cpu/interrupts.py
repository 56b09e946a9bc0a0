"""Interrupts and exceptions: the real-mode IVT, the choice of mode, double and triple faults.

Real-address-mode interrupt handling follows Intel SDM Vol. 3, 20.1.4: push
FLAGS, CS and IP (16 bits each), clear IF, TF, AC and RF, and load CS:IP from
the 4-byte vector at IDTR.base + 4 * vector.  A fault while delivering an
exception becomes a double fault (#DF, vector 8); a fault while delivering
#DF shuts the processor down (SDM Vol. 3, 6.15, "Interrupt 8").  Protected-mode
delivery through the IDT is in :mod:`emulator.cpu.protected`.
"""

from .farcall import OP_EXCEPTION, OP_INTERRUPT, slow
from .jit import cold, njit
from .memory import lin_rd, push, raise_fault
from .segments import load_seg_real
from .state import (
    AC,
    CR0,
    CS,
    EFLAGS,
    EIP,
    EXIT_REASON,
    EXIT_SHUTDOWN,
    FAULT,
    FAULT_CHAIN,
    FAULT_CHAIN_MAX,
    FAULT_CODE,
    FAULT_DEPTH,
    HALTED,
    IDTR_BASE,
    IDTR_LIMIT,
    IF,
    Q_FLAGS_FIXED1,
    Q_FLAGS_WRITABLE,
    Q_PUSHF_HIGH,
    RF,
    SEL,
    TF,
    VEC_DB,
    VEC_DE,
    VEC_DF,
    VEC_GP,
    VEC_PF,
    VEC_TS,
)


@njit
def flags_image(st, size):
    """FLAGS as PUSHF/INT store them (VM and RF read as 0 in the pushed image)."""
    if size == 2:
        return (st[EFLAGS] | st[Q_PUSHF_HIGH]) & 0xFFFF
    return st[EFLAGS] & 0x00FCFFFF


@njit
def load_flags(st, v, size):
    """Write FLAGS from POPF/IRET: only the model's writable bits change."""
    w = st[Q_FLAGS_WRITABLE]
    if size == 2:
        w &= 0xFFFF
    st[EFLAGS] = (st[EFLAGS] & ~w) | (v & w) | st[Q_FLAGS_FIXED1]


@njit
def real_interrupt(st, mem, vector, ret_eip):
    """Deliver ``vector`` through the real-mode IVT, returning to ``ret_eip``.

    Returns False when a fault was raised on the way (left in ``st[FAULT]``).
    """
    if vector * 4 + 3 > st[IDTR_LIMIT]:
        raise_fault(st, VEC_GP, vector * 8 + 2)
        return False
    push(st, mem, flags_image(st, 2), 2)
    push(st, mem, st[SEL + CS], 2)
    push(st, mem, ret_eip & 0xFFFF, 2)
    if st[FAULT] >= 0:
        return False
    ivt = st[IDTR_BASE] + vector * 4
    ip = lin_rd(st, mem, ivt, 2)
    cs = lin_rd(st, mem, ivt + 2, 2)
    load_seg_real(st, CS, cs)
    st[EIP] = ip
    st[EFLAGS] &= ~(IF | TF | AC | RF)
    st[HALTED] = 0
    return True


@njit
def interrupt(st, mem, vector, ret_eip, soft, code):
    """Deliver ``vector`` in the current mode; ``code`` is the error code or -1.

    ``soft``: 0 for external interrupts and trap-class exceptions, 1 for INT n, 2 for
    INT3 and INTO, 3 for fault-class exceptions.  Virtual-8086 INT n with IOPL < 3
    raises #GP(0) (SDM Vol. 3, 20.2.7).
    """
    if (st[CR0] & 1) == 0:
        return real_interrupt(st, mem, vector, ret_eip)
    return slow(st, mem, OP_INTERRUPT, vector, ret_eip, soft, code) != 0


@njit
def has_error_code(vector):
    return vector == VEC_DF or (vector >= VEC_TS and vector <= VEC_PF) or vector == 17


@njit
def contributory(vector):
    return vector == VEC_DE or (vector >= VEC_TS and vector <= VEC_GP)


@cold
def deliver_exception(st, mem, vector, ret_eip, fault):
    """Deliver the pending exception ``vector`` (its error code in ``st[FAULT_CODE]``).

    A fault while delivering becomes #DF when both are contributory or the first was
    a page fault (SDM Vol. 3, 6.15, "Interrupt 8", Table 6-5); otherwise the second is
    delivered instead; a fault while delivering #DF shuts the processor down.
    ``fault``: a fault-class exception (restarts the instruction; RF in the pushed image).
    Returns False when the CPU shut down (``st[EXIT_REASON]`` is set).
    """
    code = st[FAULT_CODE]
    if not has_error_code(vector) or (st[CR0] & 1) == 0:
        code = -1
    st[FAULT_CHAIN] = 0
    for _ in range(FAULT_CHAIN_MAX):
        n = st[FAULT_CHAIN]
        st[FAULT_CHAIN + 1 + 4 * n] = vector  # recorded for the shutdown report
        st[FAULT_CHAIN + 2 + 4 * n] = code
        st[FAULT_CHAIN + 3 + 4 * n] = st[SEL + CS]
        st[FAULT_CHAIN + 4 + 4 * n] = ret_eip
        st[FAULT_CHAIN] = n + 1
        st[FAULT] = -1
        st[FAULT_CODE] = -1
        if interrupt(st, mem, vector, ret_eip, 3 if fault and vector != VEC_DB else 0, code):
            return True
        second = st[FAULT]
        if second < 0:  # could not deliver for a reason other than a fault
            return False
        if vector == VEC_DF:
            break
        if (contributory(vector) and contributory(second)) or (vector == VEC_PF and (
                contributory(second) or second == VEC_PF)):
            vector = VEC_DF
            code = 0 if (st[CR0] & 1) != 0 else -1
        else:
            vector = second
            code = st[FAULT_CODE]
            if not has_error_code(vector) or (st[CR0] & 1) == 0:
                code = -1
    st[EXIT_REASON] = EXIT_SHUTDOWN
    st[FAULT_DEPTH] = 2
    st[FAULT] = -1
    return False


@njit
def deliver_interrupt(st, mem, vector):
    """External interrupt acknowledged by the host (after EXIT_INTR)."""
    if st[FAULT] < 0:
        slow(st, mem, OP_EXCEPTION, vector, st[EIP], 0, 0)
