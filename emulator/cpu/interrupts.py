"""Interrupts, exceptions and real-mode segment loads.

Real-address-mode interrupt handling follows Intel SDM Vol. 3, 20.1.4: push
FLAGS, CS and IP (16 bits each), clear IF, TF, AC and RF, and load CS:IP from
the 4-byte vector at IDTR.base + 4 * vector.  A fault while delivering an
exception becomes a double fault (#DF, vector 8); a fault while delivering
#DF shuts the processor down (SDM Vol. 3, 6.15, "Interrupt 8").
"""

from .jit import njit
from .memory import lin_rd, push, raise_fault
from .state import (
    AC,
    BASE,
    CR0,
    CS,
    EFLAGS,
    EIP,
    EXIT_REASON,
    EXIT_SHUTDOWN,
    EXIT_UNIMPL,
    FAULT,
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
)

VEC_DE, VEC_DB, VEC_BP, VEC_OF, VEC_BR, VEC_UD, VEC_NM, VEC_DF = 0, 1, 3, 4, 5, 6, 7, 8
VEC_TS, VEC_NP, VEC_SS, VEC_GP, VEC_PF = 10, 11, 12, 13, 14


@njit
def load_seg_real(st, seg, sel):
    """Real-mode segment load: selector and base change, the cached limit and attributes stay."""
    sel &= 0xFFFF
    st[SEL + seg] = sel
    st[BASE + seg] = sel << 4


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
    if st[CR0] & 1:
        st[EXIT_REASON] = EXIT_UNIMPL  # protected-mode delivery arrives with the PM issue
        return False
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
def deliver_exception(st, mem, vector, ret_eip):
    """Deliver the pending exception ``vector``; escalate to #DF and shutdown on nested faults.

    Returns False when the CPU shut down (``st[EXIT_REASON]`` is set).
    """
    depth = 0
    while True:
        st[FAULT] = -1
        st[FAULT_CODE] = -1
        if real_interrupt(st, mem, vector, ret_eip):
            return True
        if st[FAULT] < 0:  # could not deliver for a reason other than a fault
            return False
        depth += 1
        if depth >= 2 or vector == VEC_DF:
            st[EXIT_REASON] = EXIT_SHUTDOWN
            st[FAULT_DEPTH] = 2
            st[FAULT] = -1
            return False
        vector = VEC_DF


@njit
def deliver_interrupt(st, mem, vector):
    """External interrupt acknowledged by the host (after EXIT_INTR)."""
    if st[FAULT] < 0:
        deliver_exception(st, mem, vector, st[EIP])
