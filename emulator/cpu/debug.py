"""Debug registers: instruction and data breakpoints (Intel SDM Vol. 3, 17.2 and 17.3).

DR7 enables DR0-DR3 (L/G bits) with a condition (R/W: 00 execute, 01 write,
11 read or write; 10 I/O is not supported) and a length (LEN: 1, 2, 8, 4
bytes).  An instruction breakpoint is a fault taken before the instruction
unless EFLAGS.RF is set; a data breakpoint is a trap taken after the access's
instruction.  Pages holding a data breakpoint get no fast TLB entry, so every
access to them comes through :func:`data_breakpoints`.
"""

from .jit import njit
from .state import DB_PENDING, DR0, DR6, DR7

LEN_BYTES = (1, 2, 8, 4)


@njit
def bp_span(st, n):
    """(enabled, condition, first linear byte, length) of breakpoint ``n``."""
    dr7 = st[DR7]
    on = ((dr7 >> (2 * n)) & 3) != 0
    rw = (dr7 >> (16 + 4 * n)) & 3
    length = LEN_BYTES[(dr7 >> (18 + 4 * n)) & 3]
    return on, rw, st[DR0 + n] & ~(length - 1) & 0xFFFFFFFF, length


@njit
def code_breakpoint(st, la):
    """Set the DR6 B bits of the execute breakpoints at linear ``la``; True if any matched."""
    hit = False
    for n in range(4):
        on, rw, start, length = bp_span(st, n)
        if on and rw == 0 and (st[DR0 + n] & 0xFFFFFFFF) == la:
            st[DR6] |= 1 << n
            hit = True
    return hit


@njit
def page_has_data_bp(st, la):
    """Whether an enabled data breakpoint covers a byte of the 4 KiB page of ``la``."""
    if (st[DR7] & 0xFF) == 0:
        return False
    for n in range(4):
        on, rw, start, length = bp_span(st, n)
        if on and (rw == 1 or rw == 3) and (start >> 12) == (la >> 12):
            return True
    return False


@njit
def data_breakpoints(st, la, size, write):
    """Record the data breakpoints an access of ``size`` bytes at ``la`` hits (trap pending)."""
    if (st[DR7] & 0xFF) == 0:
        return
    for n in range(4):
        on, rw, start, length = bp_span(st, n)
        if on and (rw == 3 or (rw == 1 and write)) and la < start + length and start < la + size:
            st[DR6] |= 1 << n
            st[DB_PENDING] = 1
