"""String instructions and port I/O (Intel SDM Vol. 2: MOVS, CMPS, STOS, LODS, SCAS, INS, OUTS, IN, OUT).

With a REP prefix each iteration retires as one instruction; a handler runs
up to ``room`` iterations in one call and leaves EIP on the instruction while
the count is not exhausted, so interrupts and the budget are honoured between
iterations exactly as on the real CPU.  Port I/O leaves the core: IN/INS stop
before the instruction with ``EXIT_IO_IN`` and finish when the host has put the
value in ``IO_VALUE`` (``IO_READY`` = 1); OUT/OUTS complete and then stop with
``EXIT_IO_OUT``.
"""

from .decode import get_reg, set_reg
from .flags import alu
from .jit import cold, njit
from .memory import is_protected, ld8, ram_load, ram_store, rd, tlb_hit, wr
from .segments import io_allowed
from .state import (
    BASE,
    DF,
    DS,
    EAX,
    ECX,
    EDI,
    EDX,
    EFLAGS,
    EIP,
    ES,
    ESI,
    EXIT_IO_IN,
    EXIT_IO_OUT,
    EXIT_REASON,
    FAULT,
    ICOUNT,
    IO_PORT,
    IO_READY,
    IO_SIZE,
    IO_STRING,
    IO_VALUE,
    LIMIT,
    Q_STR_FAULT_STEPS,
    R_EXIT,
    R_EXIT_STAY,
    R_JUMP,
    RLIM,
    TLB_SR,
    TLB_SW,
    TLB_USER,
    WLIM,
    ZF,
)


@njit
def advance(st, r, step, amask):
    st[r] = (st[r] & ~amask) | ((st[r] + step) & amask)


@njit
def ram_span(st, mem, seg, off, nbytes, amask, write):
    """``mem`` index of ``seg``:``off`` when all ``nbytes`` lie in one page the TLB says is
    plain RAM (ROM too when reading) for this access, inside the fast segment limit, without
    offset wrap-around; else -1."""
    lim = st[WLIM + seg] if write else st[RLIM + seg]
    if off + nbytes - 1 > lim or off + nbytes - 1 > amask:
        return -1
    la = (st[BASE + seg] + off) & 0xFFFFFFFF
    if (la & 0xFFF) + nbytes > 0x1000:
        return -1
    e = tlb_hit(st, la, (TLB_SW if write else TLB_SR) << st[TLB_USER])
    if e == 0:
        return -1
    return (e & 0xFFFFF000) + (la & 0xFFF)


@njit
def page_room(st, seg, off, size):
    """How many ``size``-byte elements fit from ``seg``:``off`` to the end of its page."""
    return (0x1000 - ((st[BASE + seg] + off) & 0xFFF)) // size


@cold
def str_fault_286(st, kind, size, amask, step, src, rep):
    """The registers an 80286 leaves when an access of a string instruction's current
    iteration raises the real-mode limit fault (#GP(13) for a word at offset FFFFh).

    Derived from the SingleStepTests 80286 vectors (all 181 such faults in the MOVSW,
    CMPSW, STOSW, LODSW, SCASW, INSW and OUTSW files fit): the instruction is not undone.
    Iterations before the faulting one complete; in the faulting one each access steps its
    index register as it is issued, before the limit check, in the order MOVS: src:SI then
    ES:DI; CMPS: ES:DI then src:SI; the rest: their one access.  With REP, CX drops by one
    with the iteration's last read (STOS/INS: with the write), and a faulting write drops
    it once more while CX is not yet 0.  (The vectors never show REP CMPS faulting on SI,
    nor a faulting write with CX = 1; those two cases follow the rule untested.)  The core
    raised the fault before stepping anything (kind: the opcode with bit 0 clear; INS 6C,
    OUTS 6E).  Protected mode keeps the clean restart: the vectors are real mode only.
    """
    if is_protected(st):
        return
    bad_s = 1 if (st[ESI] & amask) + size - 1 > st[LIMIT + src] else 0
    bad_d = 1 if (st[EDI] & amask) + size - 1 > st[LIMIT + ES] else 0
    if kind == 0xA4:  # MOVS
        si, di, dec = 1, 1 - bad_s, 2 - bad_s
    elif kind == 0xA6:  # CMPS
        si, di, dec = 1 - bad_d, 1, 1 - bad_d
    elif kind == 0xAA or kind == 0x6C:  # STOS, INS
        si, di, dec = 0, 1, 2
    elif kind == 0xAC or kind == 0x6E:  # LODS, OUTS
        si, di, dec = 1, 0, 1
    else:  # SCAS
        si, di, dec = 0, 1, 1
    if ((si & bad_s) | (di & bad_d)) == 0:
        return  # some other fault: restart cleanly
    if si != 0:
        advance(st, ESI, step, amask)
    if di != 0:
        advance(st, EDI, step, amask)
    if rep != 0 and dec > 0:
        count = ((st[ECX] & amask) - 1) & amask
        if dec == 2 and count != 0:
            count -= 1
        st[ECX] = (st[ECX] & ~amask) | count


@njit
def rep_fast(st, mem, pc, kind, size, amask, src, count, room):
    """REP MOVS / REP STOS upwards within one page of RAM: the iterations without per-access checks.

    Returns the handler result, or -4 when the fast path does not apply (one
    element then goes the checked way).  Each element is read before it is
    written, so overlapping moves behave as the element-by-element loop does.
    """
    n = min(count, room, page_room(st, ES, st[EDI] & amask, size))
    if kind == 0xA4:
        n = min(n, page_room(st, src, st[ESI] & amask, size))
    if n <= 0:
        return -4
    nbytes = n * size
    d = ram_span(st, mem, ES, st[EDI] & amask, nbytes, amask, True)
    if d < 0:
        return -4
    if kind == 0xA4:
        s = ram_span(st, mem, src, st[ESI] & amask, nbytes, amask, False)
        if s < 0:
            return -4
        for k in range(n):
            ram_store(mem, d + k * size, size, ram_load(mem, s + k * size, size))
        advance(st, ESI, nbytes, amask)
    else:
        v = get_reg(st, EAX, size)
        for k in range(n):
            ram_store(mem, d + k * size, size, v)
    advance(st, EDI, nbytes, amask)
    count = (count - n) & amask
    st[ECX] = (st[ECX] & ~amask) | count
    st[ICOUNT] += n - 1
    return pc if count == 0 else R_JUMP


@njit
def op_string(st, mem, pc, op, osz, asz, seg, rep, room):
    """A4-A7, AA-AF: MOVS, CMPS, STOS, LODS, SCAS with optional REP/REPE/REPNE."""
    size = osz if op & 1 else 1
    amask = 0xFFFFFFFF if asz else 0xFFFF
    step = -size if st[EFLAGS] & DF else size
    src = DS if seg < 0 else seg
    kind = op & 0xFE
    count = st[ECX] & amask
    if rep != 0 and count == 0:
        return pc
    if rep != 0 and step > 0 and (kind == 0xA4 or kind == 0xAA):
        r = rep_fast(st, mem, pc, kind, size, amask, src, count, room)
        if r != -4:
            return r
        # the checked loop takes over to the end of this page, then the fast path is retried
        room = min(room, page_room(st, ES, st[EDI] & amask, size))
        if kind == 0xA4:
            room = min(room, page_room(st, src, st[ESI] & amask, size))
        room = max(room, 1)
    iters = 0
    while True:
        if kind == 0xA4:  # MOVS
            v = rd(st, mem, src, st[ESI] & amask, size)
            wr(st, mem, ES, st[EDI] & amask, size, v)
        elif kind == 0xA6:  # CMPS: flags of [src:SI] - [ES:DI]
            a = rd(st, mem, src, st[ESI] & amask, size)
            b = rd(st, mem, ES, st[EDI] & amask, size)
            if st[FAULT] < 0:
                alu(st, 7, a, b, size)
        elif kind == 0xAA:  # STOS
            wr(st, mem, ES, st[EDI] & amask, size, get_reg(st, EAX, size))
        elif kind == 0xAC:  # LODS
            v = rd(st, mem, src, st[ESI] & amask, size)
            if st[FAULT] < 0:
                set_reg(st, EAX, size, v)
        else:  # SCAS: flags of AL/AX/EAX - [ES:DI]
            b = rd(st, mem, ES, st[EDI] & amask, size)
            if st[FAULT] < 0:
                alu(st, 7, get_reg(st, EAX, size), b, size)
        if st[FAULT] >= 0:
            if st[Q_STR_FAULT_STEPS] != 0:
                str_fault_286(st, kind, size, amask, step, src, rep)
            break
        if kind != 0xAA and kind != 0xAE:
            advance(st, ESI, step, amask)
        if kind != 0xAC:
            advance(st, EDI, step, amask)
        iters += 1
        if rep == 0:
            return pc
        count = (count - 1) & amask
        st[ECX] = (st[ECX] & ~amask) | count
        if count == 0:
            break
        if kind == 0xA6 or kind == 0xAE:
            zf = (st[EFLAGS] & ZF) != 0
            if (rep == 0xF3 and not zf) or (rep == 0xF2 and zf):
                break
        if iters >= room:
            st[ICOUNT] += iters - 1
            return R_JUMP  # EIP still points at this instruction: resume later
    if iters > 0:
        st[ICOUNT] += iters - 1
    return pc


@njit
def io_request_in(st, port, size, string):
    st[IO_PORT] = port
    st[IO_SIZE] = size
    st[IO_STRING] = string
    st[EXIT_REASON] = EXIT_IO_IN
    return R_EXIT_STAY


@njit
def io_out(st, port, size, value, string):
    st[IO_PORT] = port
    st[IO_SIZE] = size
    st[IO_VALUE] = value
    st[IO_STRING] = string
    st[EXIT_REASON] = EXIT_IO_OUT
    return R_EXIT


@njit
def op_in_out(st, mem, pc, op, osz, nip):
    """E4-E7 IN/OUT with an imm8 port, EC-EF IN/OUT with the port in DX."""
    size = osz if op & 1 else 1
    port = ld8(mem, pc - 1) if op < 0xE8 else st[EDX] & 0xFFFF
    if st[IO_READY] == 0 and not io_allowed(st, mem, port, size):
        return pc
    if op == 0xE4 or op == 0xE5 or op == 0xEC or op == 0xED:
        if st[IO_READY] == 0:
            return io_request_in(st, port, size, 0)
        st[IO_READY] = 0
        set_reg(st, EAX, size, st[IO_VALUE])
        return pc
    st[EIP] = nip
    return io_out(st, port, size, get_reg(st, EAX, size), 0)


@njit
def op_ins_outs(st, mem, pc, op, osz, asz, seg, rep, nip):
    """6C/6D INS, 6E/6F OUTS: one element per exit to the host."""
    size = osz if op & 1 else 1
    amask = 0xFFFFFFFF if asz else 0xFFFF
    step = -size if st[EFLAGS] & DF else size
    port = st[EDX] & 0xFFFF
    count = st[ECX] & amask
    if rep != 0 and count == 0:
        return pc
    if st[IO_READY] == 0 and not io_allowed(st, mem, port, size):
        return pc
    if op < 0x6E:
        if st[IO_READY] == 0:
            return io_request_in(st, port, size, 1)
        wr(st, mem, ES, st[EDI] & amask, size, st[IO_VALUE])
        if st[FAULT] >= 0:
            st[IO_READY] = 0  # the value is consumed: a restart reads the port again
            if st[Q_STR_FAULT_STEPS] != 0:
                str_fault_286(st, 0x6C, size, amask, step, ES, rep)
            return pc
        st[IO_READY] = 0
        advance(st, EDI, step, amask)
        if rep != 0:
            count = (count - 1) & amask
            st[ECX] = (st[ECX] & ~amask) | count
            if count != 0:
                return R_JUMP
        return pc
    src = DS if seg < 0 else seg
    v = rd(st, mem, src, st[ESI] & amask, size)
    if st[FAULT] >= 0:
        if st[Q_STR_FAULT_STEPS] != 0:
            str_fault_286(st, 0x6E, size, amask, step, src, rep)
        return pc
    advance(st, ESI, step, amask)
    if rep != 0:
        count = (count - 1) & amask
        st[ECX] = (st[ECX] & ~amask) | count
    if rep == 0 or count == 0:
        st[EIP] = nip
    return io_out(st, port, size, v, 1)
