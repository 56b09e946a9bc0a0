"""Protected-mode control transfers (Intel SDM Vol. 2 pseudo-code of CALL, JMP, RET, IRET,
INT n; Vol. 3 chapters 5.8, 6.12, 7.3 and 20).

Far CALL/JMP to code segments and through call gates (with the stack switch
and parameter copy of an inner-privilege call), far RET and IRET to the same
or an outer ring (outer returns null the data segment registers the new CPL
may not use), interrupts and exceptions through interrupt, trap and task
gates from any ring and from virtual-8086 mode, IRET back to virtual-8086
mode, and task switches through TSS descriptors and task gates.

Every check happens before the first architectural change; a fault raised on
the way (``st[FAULT]``) leaves CS, SS and CPL as they were, and the run loop
restores EIP, ESP and EFLAGS, so a faulting transfer restarts cleanly.
"""

from .jit import cold, njit
from .memory import lin_rd, lin_wr, pop, push, raise_fault, stack_peek
from .paging import tlb_flush
from .segments import (
    A_CODE,
    A_CONFORM,
    A_P,
    A_RW,
    A_S,
    desc_attr,
    desc_base,
    desc_limit,
    load_data_seg,
    load_seg_real,
    null_outer_segments,
    read_desc,
    refresh_fast_limits,
    sel_fault,
    set_accessed,
    set_cache,
    set_cpl,
)
from .state import (
    ATTR,
    ATTR_DB,
    BASE,
    CPL,
    CR0,
    CR0_PG,
    CR0_TS,
    CR3,
    CR4,
    CR4_VME,
    CS,
    DS,
    EAX,
    EFLAGS,
    EIP,
    ES,
    ESP,
    FAULT,
    FS,
    GDTR_BASE,
    GS,
    HALTED,
    IDTR_BASE,
    IDTR_LIMIT,
    IF,
    IOPL,
    LDTR_BASE,
    LDTR_LIMIT,
    LDTR_SEL,
    LIMIT,
    NT,
    Q_FLAGS_FIXED1,
    Q_FLAGS_WRITABLE,
    RF,
    SEL,
    SS,
    TF,
    TR_ATTR,
    TR_BASE,
    TR_LIMIT,
    TR_SEL,
    VEC_GP,
    VEC_NP,
    VEC_SS,
    VEC_TS,
    VIF,
    VIP,
    VM,
)

SWITCH_JMP, SWITCH_CALL, SWITCH_IRET = 0, 1, 2


# --- flags -------------------------------------------------------------------------------
@njit
def load_flags_pm(st, v, size, cpl, iret):
    """POPF/IRET in protected mode: IOPL changes only at CPL 0, IF only when CPL <= IOPL;
    IRET at CPL 0 also restores VIF and VIP (SDM Vol. 2, POPF and IRET)."""
    w = st[Q_FLAGS_WRITABLE]
    if cpl > 0:
        w &= ~IOPL
    if cpl > ((st[EFLAGS] & IOPL) >> 12):
        w &= ~IF
    if iret:
        w |= RF
        if cpl == 0:
            w |= VIF | VIP
    if size == 2:
        w &= 0xFFFF
    st[EFLAGS] = (st[EFLAGS] & ~w) | (v & w) | st[Q_FLAGS_FIXED1]


# --- code segment checks -----------------------------------------------------------------
@njit
def code_desc_ok(st, sel, addr, hi, cpl_rule, ext):
    """Checks for a code segment target: present code segment whose DPL fits ``cpl_rule``.

    ``cpl_rule``: the CPL a direct JMP/CALL runs at (conforming: DPL <= CPL; else
    DPL = CPL and RPL <= CPL), or -1 for gates/interrupts (DPL <= CPL only).
    """
    if addr < 0:
        raise_fault(st, VEC_GP, (sel & 0xFFFC) | ext)
        return False
    attr = (hi >> 8) & 0xFF
    dpl = (attr >> 5) & 3
    if (attr & (A_S | A_CODE)) != (A_S | A_CODE):
        raise_fault(st, VEC_GP, (sel & 0xFFFC) | ext)
        return False
    cpl = st[CPL]
    if cpl_rule >= 0 and (attr & A_CONFORM) == 0:
        bad = (sel & 3) > cpl or dpl != cpl
    else:
        bad = dpl > cpl
    if bad:
        raise_fault(st, VEC_GP, (sel & 0xFFFC) | ext)
        return False
    if (attr & A_P) == 0:
        raise_fault(st, VEC_NP, (sel & 0xFFFC) | ext)
        return False
    return True


@njit
def load_cs(st, mem, sel, addr, lo, hi, cpl):
    """Commit CS (its RPL becomes ``cpl``) and the CPL."""
    set_accessed(st, mem, addr, hi)
    set_cpl(st, cpl)
    set_cache(st, CS, (sel & 0xFFFC) | cpl, desc_base(lo, hi), desc_limit(lo, hi), desc_attr(hi | 0x100))


@njit
def stack_desc_ok(st, sel, addr, hi, rpl, vec, ext):
    """A stack segment for privilege ``rpl``: writable data with RPL = DPL = ``rpl``, present.

    Faults with ``vec`` (#TS for a TSS stack, #GP for RET/IRET), #SS when not present.
    """
    if (sel & 0xFFFC) == 0:
        raise_fault(st, vec, ext)
        return False
    attr = (hi >> 8) & 0xFF
    if (addr < 0 or (sel & 3) != rpl or ((attr >> 5) & 3) != rpl
            or (attr & (A_S | A_CODE | A_RW)) != (A_S | A_RW)):
        raise_fault(st, vec, (sel & 0xFFFC) | ext)
        return False
    if (attr & A_P) == 0:
        raise_fault(st, VEC_SS, (sel & 0xFFFC) | ext)
        return False
    return True


@njit
def tss_stack(st, mem, dpl, ext):
    """(SS, ESP) for ring ``dpl`` from the current TSS (32- or 16-bit), or (-1, 0) after #TS."""
    if st[TR_ATTR] & 8:
        at = 4 + 8 * dpl
        size = 4
    else:
        at = 2 + 4 * dpl
        size = 2
    if at + 2 * size - 1 > st[TR_LIMIT]:
        raise_fault(st, VEC_TS, (st[TR_SEL] & 0xFFFC) | ext)
        return -1, 0
    esp = lin_rd(st, mem, st[TR_BASE] + at, size)
    ss = lin_rd(st, mem, st[TR_BASE] + at + size, 2)
    return ss, esp


@njit
def switch_stack(st, mem, new_cpl, ext):
    """Load SS:ESP for ring ``new_cpl`` from the TSS and make it current (CPL too).

    Returns the old (SS selector, ESP) for the caller to push; (-1, 0) after a fault, with
    nothing changed.
    """
    ss, esp = tss_stack(st, mem, new_cpl, ext)
    if ss < 0:
        return -1, 0
    addr, lo, hi = read_desc(st, mem, ss)
    if st[FAULT] >= 0 or not stack_desc_ok(st, ss, addr, hi, new_cpl, VEC_TS, ext):
        return -1, 0
    old_ss = st[SEL + SS]
    old_esp = st[ESP]
    set_accessed(st, mem, addr, hi)
    set_cpl(st, new_cpl)
    set_cache(st, SS, ss, desc_base(lo, hi), desc_limit(lo, hi), desc_attr(hi | 0x100))
    st[ESP] = esp
    return old_ss, old_esp


@njit
def save_ss(st):
    return st[SEL + SS], st[BASE + SS], st[LIMIT + SS], st[ATTR + SS], st[CPL]


@njit
def restore_ss(st, sel, base, limit, attr, cpl):
    set_cpl(st, cpl)
    set_cache(st, SS, sel, base, limit, attr)


# --- far JMP / CALL ------------------------------------------------------------------------
@cold
def far_transfer(st, mem, sel, off, osz, nip, is_call):
    """Protected-mode far JMP/CALL to ``sel``:``off`` (code segment, call gate, TSS, task gate)."""
    sel &= 0xFFFF
    if (sel & 0xFFFC) == 0:
        raise_fault(st, VEC_GP, 0)
        return
    addr, lo, hi = read_desc(st, mem, sel)
    if addr < 0:
        sel_fault(st, VEC_GP, sel)
        return
    if st[FAULT] >= 0:
        return
    attr = (hi >> 8) & 0xFF
    cpl = st[CPL]
    if attr & A_S:
        if not code_desc_ok(st, sel, addr, hi, cpl, 0):
            return
        if osz == 2:
            off &= 0xFFFF
        if off > desc_limit(lo, hi):
            raise_fault(st, VEC_GP, 0)
            return
        if is_call:
            push(st, mem, st[SEL + CS], osz)
            push(st, mem, nip, osz)
            if st[FAULT] >= 0:
                return
        load_cs(st, mem, sel, addr, lo, hi, cpl)
        st[EIP] = off
        return
    typ = attr & 0x1F
    dpl = (attr >> 5) & 3
    if typ == 1 or typ == 9 or typ == 5:  # TSS or task gate
        if dpl < cpl or dpl < (sel & 3):
            sel_fault(st, VEC_GP, sel)
            return
        if (attr & A_P) == 0:
            sel_fault(st, VEC_NP, sel)
            return
        if typ == 5:
            task_gate(st, mem, lo, SWITCH_CALL if is_call else SWITCH_JMP, nip, -1, 0)
        else:
            task_switch(st, mem, sel, addr, lo, hi, SWITCH_CALL if is_call else SWITCH_JMP, nip, -1, 0)
        return
    if typ != 4 and typ != 0xC:
        sel_fault(st, VEC_GP, sel)
        return
    # call gate (SDM Vol. 3, 5.8.4)
    if dpl < cpl or dpl < (sel & 3):
        sel_fault(st, VEC_GP, sel)
        return
    if (attr & A_P) == 0:
        sel_fault(st, VEC_NP, sel)
        return
    gsize = 4 if typ == 0xC else 2
    tsel = (lo >> 16) & 0xFFFF
    toff = (lo & 0xFFFF) | (hi & 0xFFFF0000) if gsize == 4 else lo & 0xFFFF
    if (tsel & 0xFFFC) == 0:
        raise_fault(st, VEC_GP, 0)
        return
    taddr, tlo, thi = read_desc(st, mem, tsel)
    if st[FAULT] >= 0 or not code_desc_ok(st, tsel, taddr, thi, -1, 0):
        return
    tattr = (thi >> 8) & 0xFF
    tdpl = (tattr >> 5) & 3
    conforming = (tattr & A_CONFORM) != 0
    if not is_call and not conforming and tdpl != cpl:
        sel_fault(st, VEC_GP, tsel)
        return
    if toff > desc_limit(tlo, thi):
        raise_fault(st, VEC_GP, 0)
        return
    new_cpl = cpl if conforming else tdpl
    if is_call and new_cpl < cpl:
        o_sel, o_base, o_limit, o_attr, o_cpl = save_ss(st)
        old_ss, old_esp = switch_stack(st, mem, new_cpl, 0)
        if old_ss < 0:
            return
        push(st, mem, old_ss, gsize)
        push(st, mem, old_esp, gsize)
        count = hi & 0x1F
        omask = 0xFFFFFFFF if o_attr & ATTR_DB else 0xFFFF
        for i in range(count - 1, -1, -1):
            v = lin_rd(st, mem, o_base + ((old_esp + i * gsize) & omask), gsize)
            push(st, mem, v, gsize)
        push(st, mem, st[SEL + CS], gsize)
        push(st, mem, nip, gsize)
        if st[FAULT] >= 0:
            restore_ss(st, o_sel, o_base, o_limit, o_attr, o_cpl)
            return
    elif is_call:
        push(st, mem, st[SEL + CS], gsize)
        push(st, mem, nip, gsize)
        if st[FAULT] >= 0:
            return
    load_cs(st, mem, tsel, taddr, tlo, thi, new_cpl)
    st[EIP] = toff


# --- far RET / IRET ------------------------------------------------------------------------
@njit
def return_cs_ok(st, sel, addr, hi):
    """RET/IRET target: RPL >= CPL; conforming DPL <= RPL, else DPL = RPL; present."""
    rpl = sel & 3
    if (sel & 0xFFFC) == 0:
        raise_fault(st, VEC_GP, 0)
        return False
    attr = (hi >> 8) & 0xFF
    dpl = (attr >> 5) & 3
    if addr < 0 or (attr & (A_S | A_CODE)) != (A_S | A_CODE) or rpl < st[CPL]:
        sel_fault(st, VEC_GP, sel)
        return False
    if (dpl > rpl) if (attr & A_CONFORM) else (dpl != rpl):
        sel_fault(st, VEC_GP, sel)
        return False
    if (attr & A_P) == 0:
        sel_fault(st, VEC_NP, sel)
        return False
    return True


@njit
def outer_stack(st, mem, at, osz, rpl):
    """(SS, ESP) popped for a return to ring ``rpl`` from ``at`` bytes above ESP, checked;
    (-1, 0) after a fault."""
    esp = stack_peek(st, mem, at, osz)
    ss = stack_peek(st, mem, at + osz, 2)
    if st[FAULT] >= 0:
        return -1, 0, 0, 0
    addr, lo, hi = read_desc(st, mem, ss)
    if st[FAULT] >= 0 or not stack_desc_ok(st, ss, addr, hi, rpl, VEC_GP, 0):
        return -1, 0, 0, 0
    set_accessed(st, mem, addr, hi)
    return ss, esp, lo, hi


@cold
def far_return(st, mem, osz, release):
    """RETF [imm16] in protected mode (same or outer privilege)."""
    off = stack_peek(st, mem, 0, osz)
    sel = stack_peek(st, mem, osz, 2)
    if st[FAULT] < 0:
        return_to(st, mem, sel, off, osz, 2 * osz, release, 0, False)


@cold
def return_to(st, mem, sel, off, osz, frame, release, fl, iret):
    """What RETF and IRET share (SDM Vol. 2, RET "RETURN-TO-OUTER-PRIVILEGE-LEVEL", IRET):
    check the return CS:EIP, pop the ``frame`` bytes (and ``release`` more), then stay at
    this privilege level or take SS:ESP from the stack above the frame for an outer one,
    where the data segment registers the new CPL may not use become null.  IRET (``iret``)
    also loads the flags ``fl`` with the old CPL's rights."""
    addr, lo, hi = read_desc(st, mem, sel)
    if st[FAULT] >= 0 or not return_cs_ok(st, sel, addr, hi):
        return
    if osz == 2:
        off &= 0xFFFF
    if off > desc_limit(lo, hi):
        raise_fault(st, VEC_GP, 0)
        return
    rpl = sel & 3
    cpl = st[CPL]
    if rpl == cpl:
        for _ in range(frame // osz):
            pop(st, mem, osz)
        load_cs(st, mem, sel, addr, lo, hi, rpl)
        st[EIP] = off
        if iret:
            load_flags_pm(st, fl, osz, cpl, True)
        add_sp(st, release)
        return
    ss, esp, slo, shi = outer_stack(st, mem, frame + release, osz, rpl)
    if ss < 0:
        return
    if iret:
        load_flags_pm(st, fl, osz, cpl, True)
    load_cs(st, mem, sel, addr, lo, hi, rpl)
    st[EIP] = off
    set_cache(st, SS, ss, desc_base(slo, shi), desc_limit(slo, shi), desc_attr(shi | 0x100))
    set_esp(st, esp, osz)
    add_sp(st, release)
    null_outer_segments(st)


@njit
def add_sp(st, n):
    mask = 0xFFFFFFFF if st[ATTR + SS] & ATTR_DB else 0xFFFF
    st[ESP] = (st[ESP] & ~mask) | ((st[ESP] + n) & mask)


@njit
def set_esp(st, v, osz):
    if osz == 4 or st[ATTR + SS] & ATTR_DB:
        st[ESP] = v & 0xFFFFFFFF
    else:
        st[ESP] = (st[ESP] & 0xFFFF0000) | (v & 0xFFFF)


@cold
def iret_pm(st, mem, osz, nip):
    """IRET with CR0.PE set (SDM Vol. 2, IRET): task return, V86 return, same/outer ring."""
    if st[EFLAGS] & VM:
        vme = (st[CR4] & CR4_VME) != 0 and osz == 2
        if (st[EFLAGS] & IOPL) != IOPL and not vme:
            raise_fault(st, VEC_GP, 0)
            return
        off = stack_peek(st, mem, 0, osz)
        sel = stack_peek(st, mem, osz, 2)
        fl = stack_peek(st, mem, 2 * osz, osz)
        if st[FAULT] >= 0:
            return
        if vme and (st[EFLAGS] & IOPL) != IOPL:
            v86_load_flags(st, fl)
            if st[FAULT] >= 0:
                return
            for _ in range(3):
                pop(st, mem, osz)
            load_seg_real(st, CS, sel)
            st[EIP] = off & 0xFFFF
            return
        for _ in range(3):
            pop(st, mem, osz)
        load_seg_real(st, CS, sel)
        st[EIP] = off & 0xFFFF if osz == 2 else off
        keep = VM | IOPL | VIP | VIF  # unchanged by IRET in virtual-8086 mode
        w = st[Q_FLAGS_WRITABLE] | RF
        if osz == 2:
            w &= 0xFFFF
        w &= ~keep
        st[EFLAGS] = (st[EFLAGS] & ~w) | (fl & w) | st[Q_FLAGS_FIXED1]
        return
    if st[EFLAGS] & NT:
        back = lin_rd(st, mem, st[TR_BASE], 2)
        if st[FAULT] >= 0:
            return
        addr, lo, hi = read_desc(st, mem, back)
        if back & 4 or addr < 0:
            sel_fault(st, VEC_TS, back)
            return
        if ((hi >> 8) & 0x17) != 3:  # must be a busy TSS
            sel_fault(st, VEC_TS, back)
            return
        task_switch(st, mem, back, addr, lo, hi, SWITCH_IRET, nip, -1, 0)
        return
    off = stack_peek(st, mem, 0, osz)
    sel = stack_peek(st, mem, osz, 2)
    fl = stack_peek(st, mem, 2 * osz, osz)
    if st[FAULT] >= 0:
        return
    cpl = st[CPL]
    if osz == 4 and (fl & VM) and cpl == 0:
        iret_to_v86(st, mem, off, sel, fl)
        return
    return_to(st, mem, sel, off, osz, 3 * osz, 0, fl, True)


@cold
def iret_to_v86(st, mem, off, sel, fl):
    """IRETD at CPL 0 with VM set in the popped EFLAGS: enter virtual-8086 mode (SDM Vol. 3, 20.2.1)."""
    esp = stack_peek(st, mem, 12, 4)
    ss = stack_peek(st, mem, 16, 4)
    es = stack_peek(st, mem, 20, 4)
    ds = stack_peek(st, mem, 24, 4)
    fs = stack_peek(st, mem, 28, 4)
    gs = stack_peek(st, mem, 32, 4)
    if st[FAULT] >= 0:
        return
    st[EFLAGS] = (fl & (st[Q_FLAGS_WRITABLE] | RF | VM | VIF | VIP)) | st[Q_FLAGS_FIXED1]
    set_cpl(st, 3)
    load_seg_real(st, CS, sel)
    load_seg_real(st, SS, ss)
    load_seg_real(st, ES, es)
    load_seg_real(st, DS, ds)
    load_seg_real(st, FS, fs)
    load_seg_real(st, GS, gs)
    st[ESP] = esp & 0xFFFFFFFF
    st[EIP] = off & 0xFFFF


# --- interrupts and exceptions ---------------------------------------------------------------
@cold
def pm_interrupt(st, mem, vector, ret_eip, soft, code):
    """Deliver ``vector`` through the IDT (SDM Vol. 3, 6.12); ``code`` >= 0 is pushed as the
    error code.  ``soft`` (1 INT n, 2 INT3/INTO) checks the gate DPL against the CPL and
    clears the EXT bit of error codes raised on the way; 3 is a fault-class exception,
    whose pushed EFLAGS image has RF set (SDM Vol. 3, 17.3.1.1).  False after a fault."""
    if soft == 1 and (st[EFLAGS] & VM) != 0:
        redirect = v86_int_redirect(st, mem, vector)
        if redirect != 0:
            return redirect > 0 and v86_real_interrupt(st, mem, vector, ret_eip)
    ext = 1 if soft == 0 or soft == 3 else 0
    gate_err = vector * 8 + 2 + ext
    if vector * 8 + 7 > st[IDTR_LIMIT]:
        raise_fault(st, VEC_GP, gate_err)
        return False
    lo = lin_rd(st, mem, st[IDTR_BASE] + vector * 8, 4)
    hi = lin_rd(st, mem, st[IDTR_BASE] + vector * 8 + 4, 4)
    if st[FAULT] >= 0:
        return False
    typ = (hi >> 8) & 0x1F
    if typ != 5 and typ != 6 and typ != 7 and typ != 0xE and typ != 0xF:
        raise_fault(st, VEC_GP, gate_err)
        return False
    cpl = st[CPL]
    if (soft == 1 or soft == 2) and ((hi >> 13) & 3) < cpl:
        raise_fault(st, VEC_GP, gate_err)
        return False
    if (hi & 0x8000) == 0:
        raise_fault(st, VEC_NP, gate_err)
        return False
    if typ == 5:
        return task_gate(st, mem, lo, SWITCH_CALL, ret_eip, code, ext)
    gsize = 4 if typ & 8 else 2
    tsel = (lo >> 16) & 0xFFFF
    toff = (lo & 0xFFFF) | (hi & 0xFFFF0000) if gsize == 4 else lo & 0xFFFF
    if (tsel & 0xFFFC) == 0:
        raise_fault(st, VEC_GP, ext)
        return False
    taddr, tlo, thi = read_desc(st, mem, tsel)
    if st[FAULT] >= 0 or not code_desc_ok(st, tsel, taddr, thi, -1, ext):
        return False
    if toff > desc_limit(tlo, thi):
        raise_fault(st, VEC_GP, ext)
        return False
    tattr = (thi >> 8) & 0xFF
    tdpl = (tattr >> 5) & 3
    conforming = (tattr & A_CONFORM) != 0
    flags = st[EFLAGS]
    image = flags | RF if soft == 3 else flags
    from_v86 = (flags & VM) != 0
    new_cpl = cpl if conforming else tdpl
    if from_v86 and new_cpl != 0:
        raise_fault(st, VEC_GP, (tsel & 0xFFFC) | ext)
        return False
    if new_cpl < cpl:
        o_sel, o_base, o_limit, o_attr, o_cpl = save_ss(st)
        if from_v86:
            st[EFLAGS] &= ~VM  # the ring-0 stack is a protected-mode segment
        old_ss, old_esp = switch_stack(st, mem, new_cpl, ext)
        if old_ss < 0:
            st[EFLAGS] = flags
            return False
        if from_v86:
            push(st, mem, st[SEL + GS], gsize)
            push(st, mem, st[SEL + FS], gsize)
            push(st, mem, st[SEL + DS], gsize)
            push(st, mem, st[SEL + ES], gsize)
        push(st, mem, old_ss, gsize)
        push(st, mem, old_esp, gsize)
    push(st, mem, image if gsize == 4 else image & 0xFFFF, gsize)
    push(st, mem, st[SEL + CS], gsize)
    push(st, mem, ret_eip, gsize)
    if code >= 0:
        push(st, mem, code, gsize)
    if st[FAULT] >= 0:
        if new_cpl < cpl:
            st[EFLAGS] = flags
            restore_ss(st, o_sel, o_base, o_limit, o_attr, o_cpl)
        return False
    load_cs(st, mem, tsel, taddr, tlo, thi, new_cpl)
    if from_v86:
        for seg in (ES, DS, FS, GS):
            set_cache(st, seg, 0, 0, 0, 0)
    st[EIP] = toff
    clear = TF | NT | RF | VM
    if (typ & 1) == 0:
        clear |= IF  # interrupt gate
    st[EFLAGS] &= ~clear
    refresh_fast_limits(st)
    st[HALTED] = 0
    return True


@njit
def v86_int_redirect(st, mem, vector):
    """INT n in virtual-8086 mode (SDM Vol. 3, 20.3.3, Table 20-2): 1 to redirect it to the
    8086 handler in the IVT (CR4.VME and its bit clear in the TSS redirection bitmap), 0 for
    the protected-mode handler (IOPL 3), -1 after #GP(0) (IOPL < 3)."""
    iopl3 = (st[EFLAGS] & IOPL) == IOPL
    if st[CR4] & CR4_VME:
        iomap = lin_rd(st, mem, st[TR_BASE] + 0x66, 2)
        byte = lin_rd(st, mem, st[TR_BASE] + iomap - 32 + (vector >> 3), 1)
        if st[FAULT] >= 0:
            return -1
        if ((byte >> (vector & 7)) & 1) == 0:
            return 1
    if iopl3:
        return 0
    raise_fault(st, VEC_GP, 0)
    return -1


@njit
def v86_flags_image(st):
    """FLAGS as virtual-8086 code sees them with CR4.VME and IOPL < 3: IF is VIF, IOPL 3."""
    fl = st[EFLAGS]
    if (fl & IOPL) != IOPL:
        fl = (fl & ~IF) | (IF if fl & VIF else 0) | IOPL
    return fl & 0xFFFF


@njit
def v86_real_interrupt(st, mem, vector, ret_eip):
    """A redirected INT n: the 8086 way on the virtual-8086 stack, through the IVT at linear 0."""
    push(st, mem, v86_flags_image(st), 2)
    push(st, mem, st[SEL + CS], 2)
    push(st, mem, ret_eip & 0xFFFF, 2)
    ip = lin_rd(st, mem, vector * 4, 2)
    cs = lin_rd(st, mem, vector * 4 + 2, 2)
    if st[FAULT] >= 0:
        return False
    load_seg_real(st, CS, cs)
    st[EIP] = ip
    st[EFLAGS] &= ~(TF | RF | (VIF if (st[EFLAGS] & IOPL) != IOPL else IF))
    return True


@njit
def v86_load_flags(st, v):
    """POPF/IRET (16-bit) in virtual-8086 mode with CR4.VME and IOPL < 3: IF goes to VIF;
    #GP(0) when the guest sets IF while VIP is pending (SDM Vol. 3, 20.4.2)."""
    if (v & IF) != 0 and (st[EFLAGS] & VIP) != 0:
        raise_fault(st, VEC_GP, 0)
        return
    keep = IF | IOPL | 0xFFFF0000
    fl = (st[EFLAGS] & keep) | (v & ~keep & st[Q_FLAGS_WRITABLE]) | st[Q_FLAGS_FIXED1]
    st[EFLAGS] = (fl & ~VIF) | (VIF if v & IF else 0)


# --- task switches (SDM Vol. 3, 7.3) --------------------------------------------------------
@cold
def task_gate(st, mem, lo, source, nip, code, ext):
    """Switch through a task gate whose low dword is ``lo``."""
    sel = (lo >> 16) & 0xFFFF
    addr, tlo, thi = read_desc(st, mem, sel)
    if sel & 4 or addr < 0:
        raise_fault(st, VEC_GP, (sel & 0xFFFC) | ext)
        return False
    if st[FAULT] >= 0:
        return False
    return task_switch(st, mem, sel, addr, tlo, thi, source, nip, code, ext)


@cold
def task_switch(st, mem, sel, addr, lo, hi, source, nip, code, ext):
    """Save the current task in its TSS, load the task of TSS descriptor ``sel``.

    ``source`` is SWITCH_JMP, SWITCH_CALL (CALL, INT, exceptions: back link and
    NT) or SWITCH_IRET.  ``code`` >= 0 is pushed on the new task's stack.
    """
    typ = (hi >> 8) & 0x1F
    busy = (typ & 2) != 0
    if (typ & 0x15) != 1 or (source == SWITCH_IRET) != busy:
        raise_fault(st, VEC_GP if source != SWITCH_IRET else VEC_TS, (sel & 0xFFFC) | ext)
        return False
    if (hi & 0x8000) == 0:
        raise_fault(st, VEC_NP, (sel & 0xFFFC) | ext)
        return False
    big = (typ & 8) != 0
    limit = desc_limit(lo, hi)
    if limit < (0x67 if big else 0x2B):
        raise_fault(st, VEC_TS, (sel & 0xFFFC) | ext)
        return False
    nbase = desc_base(lo, hi)
    # save the outgoing task
    obase = st[TR_BASE]
    flags = st[EFLAGS]
    if source == SWITCH_IRET:
        flags &= ~NT
    if st[TR_ATTR] & 8:
        lin_wr(st, mem, obase + 0x20, 4, nip)
        lin_wr(st, mem, obase + 0x24, 4, flags)
        for r in range(8):
            lin_wr(st, mem, obase + 0x28 + 4 * r, 4, st[EAX + r])
        for s in range(6):
            lin_wr(st, mem, obase + 0x48 + 4 * s, 2, st[SEL + s])
    else:
        lin_wr(st, mem, obase + 0x0E, 2, nip)
        lin_wr(st, mem, obase + 0x10, 2, flags)
        for r in range(8):
            lin_wr(st, mem, obase + 0x12 + 2 * r, 2, st[EAX + r])
        for s in range(4):
            lin_wr(st, mem, obase + 0x22 + 2 * s, 2, st[SEL + s])
    # read the incoming task
    if big:
        n_cr3 = lin_rd(st, mem, nbase + 0x1C, 4)
        n_eip = lin_rd(st, mem, nbase + 0x20, 4)
        n_fl = lin_rd(st, mem, nbase + 0x24, 4)
        n_ldt = lin_rd(st, mem, nbase + 0x60, 2)
    else:
        n_cr3 = st[CR3]
        n_eip = lin_rd(st, mem, nbase + 0x0E, 2)
        n_fl = lin_rd(st, mem, nbase + 0x10, 2) | (st[EFLAGS] & 0xFFFF0000 & ~VM)
        n_ldt = lin_rd(st, mem, nbase + 0x2A, 2)
    if st[FAULT] >= 0:
        return False
    old_tr = st[TR_SEL]
    old_addr = (st[GDTR_BASE] + (old_tr & 0xFFF8)) & 0xFFFFFFFF
    if source == SWITCH_JMP or source == SWITCH_IRET:
        ohi = lin_rd(st, mem, old_addr + 5, 1)
        lin_wr(st, mem, old_addr + 5, 1, ohi & ~2)
    if source == SWITCH_CALL:
        lin_wr(st, mem, nbase, 2, old_tr)
        n_fl |= NT
    if source != SWITCH_IRET:
        lin_wr(st, mem, addr + 5, 1, ((hi >> 8) | 2) & 0xFF)
    if st[FAULT] >= 0:
        return False
    # from here on the new task is current: faults are taken in its context
    st[TR_SEL] = sel & 0xFFFF
    st[TR_BASE] = nbase
    st[TR_LIMIT] = limit
    st[TR_ATTR] = desc_attr(hi | 0x200)
    st[CR0] |= CR0_TS
    if big and (st[CR0] & CR0_PG) != 0:
        st[CR3] = n_cr3 & 0xFFFFF018
        tlb_flush(st, True)
    for r in range(8):
        if big:
            st[EAX + r] = lin_rd(st, mem, nbase + 0x28 + 4 * r, 4)
        else:
            st[EAX + r] = (st[EAX + r] & 0xFFFF0000) | lin_rd(st, mem, nbase + 0x12 + 2 * r, 2)
    st[EFLAGS] = (n_fl & 0x3F7FD7) | 2
    st[EIP] = n_eip
    nsegs = 6 if big else 4
    sels = (0, 0, 0, 0, 0, 0)
    if big:
        sels = (lin_rd(st, mem, nbase + 0x48, 2), lin_rd(st, mem, nbase + 0x4C, 2),
                lin_rd(st, mem, nbase + 0x50, 2), lin_rd(st, mem, nbase + 0x54, 2),
                lin_rd(st, mem, nbase + 0x58, 2), lin_rd(st, mem, nbase + 0x5C, 2))
    else:
        sels = (lin_rd(st, mem, nbase + 0x22, 2), lin_rd(st, mem, nbase + 0x24, 2),
                lin_rd(st, mem, nbase + 0x26, 2), lin_rd(st, mem, nbase + 0x28, 2), 0, 0)
    # LDTR, then the segment registers with the checks of a segment load (faults are #TS)
    ldt_ok = True
    if (n_ldt & 0xFFFC) == 0:
        st[LDTR_SEL] = n_ldt
        st[LDTR_BASE] = 0
        st[LDTR_LIMIT] = 0
    else:
        laddr, llo, lhi = read_desc(st, mem, n_ldt)
        if n_ldt & 4 or laddr < 0 or ((lhi >> 8) & 0x1F) != 2 or (lhi & 0x8000) == 0:
            ldt_ok = False
        else:
            st[LDTR_SEL] = n_ldt
            st[LDTR_BASE] = desc_base(llo, lhi)
            st[LDTR_LIMIT] = desc_limit(llo, lhi)
    if st[EFLAGS] & VM:
        set_cpl(st, 3)
        for s in range(6):
            load_seg_real(st, s, sels[s])
    else:
        cs = sels[CS]
        set_cpl(st, cs & 3)
        for s in range(6):
            if s < nsegs:
                st[SEL + s] = sels[s]
        caddr, clo, chi = read_desc(st, mem, cs)
        if not ldt_ok:
            raise_fault(st, VEC_TS, (n_ldt & 0xFFFC) | ext)
            return False
        if caddr < 0 or (cs & 0xFFFC) == 0 or ((chi >> 8) & 0x18) != 0x18:
            raise_fault(st, VEC_TS, (cs & 0xFFFC) | ext)
            return False
        load_cs(st, mem, cs, caddr, clo, chi, cs & 3)
        if not load_data_seg(st, mem, SS, sels[SS]):
            return False
        for s in (ES, DS, FS, GS):
            if s < nsegs and not load_data_seg(st, mem, s, sels[s]):
                return False
    refresh_fast_limits(st)
    if code >= 0:
        push(st, mem, code, 4 if big else 2)
    st[HALTED] = 0
    return st[FAULT] < 0

