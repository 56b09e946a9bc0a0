"""System instructions (Intel SDM Vol. 2; Vol. 3 chapters 2.5-2.8 and 5.10).

0F 00 SLDT/STR/LLDT/LTR/VERR/VERW, 0F 01 SGDT/SIDT/LGDT/LIDT/SMSW/LMSW/INVLPG,
0F 02 LAR, 0F 03 LSL, 0F 06 CLTS, 0F 20-23 MOV to/from CRn/DRn, 63 ARPL,
0F 34/35 SYSENTER/SYSEXIT, and the privilege checks they share: in protected
mode the privileged ones need CPL 0 (#GP(0) otherwise, also in virtual-8086
mode); the selector instructions are not recognised in real and virtual-8086
mode (#UD).
"""

from .decode import REG, decode_rm, rm_rd, rm_wr, set_reg
from .flags import size_mask
from .jit import cold, njit
from .memory import raise_fault, rd, wr
from .paging import tlb_flush, tlb_invlpg
from .segments import (
    A_CODE,
    A_CONFORM,
    A_RW,
    A_S,
    desc_limit,
    is_protected,
    load_system_seg,
    read_desc,
    refresh_fast_limits,
    set_cache,
    set_cpl,
)
from .state import (
    BASE,
    CPL,
    CR0,
    CR0_PE,
    CR0_PG,
    CR0_WP,
    CR2,
    CR3,
    CR4,
    CR4_DE,
    CS,
    DR0,
    ECX,
    EDX,
    EFLAGS,
    EIP,
    ESP,
    FAULT,
    GDTR_BASE,
    IDTR_BASE,
    IF,
    LDTR_SEL,
    MSR_SYSENTER_CS,
    MSR_SYSENTER_EIP,
    MSR_SYSENTER_ESP,
    Q_CPUID,
    Q_HAS_386,
    Q_HAS_486,
    R_JUMP,
    RF,
    SS,
    TR_SEL,
    VEC_GP,
    VEC_UD,
    VM,
    ZF,
)

CR4_VALID = 0x1FF     # VME PVI TSD DE PSE PAE-less MCE PGE PCE (P6)
CR4_FLUSH = 0x90      # PSE and PGE change translations
FLAT_CODE32 = 0xC09B  # cached attributes: G, D, present, DPL 0, code read/accessed
FLAT_DATA32 = 0xC093


@njit
def privileged(st):
    """False (after #GP(0)) unless CPL = 0; real mode is always privileged."""
    if (st[CR0] & CR0_PE) != 0 and st[CPL] != 0:
        raise_fault(st, VEC_GP, 0)
        return False
    return True


@cold
def write_cr0(st, v):
    """MOV CR0 / LMSW: #GP(0) for PG without PE or NW without CD; mode and TLB follow."""
    v &= 0xE005003F
    if ((v & CR0_PG) != 0 and (v & CR0_PE) == 0) or ((v & 0x20000000) != 0 and (v & 0x40000000) == 0):
        raise_fault(st, VEC_GP, 0)
        return
    old = st[CR0]
    st[CR0] = v | 0x10
    if (old ^ v) & (CR0_PE | CR0_PG | CR0_WP):
        tlb_flush(st, False)
    if (old ^ v) & CR0_PE:
        if (v & CR0_PE) == 0:
            set_cpl(st, 0)
        refresh_fast_limits(st)


@cold
def op_0f00(st, mem, pc, osz, asz, seg):
    """0F 00 /0 SLDT, /1 STR, /2 LLDT, /3 LTR, /4 VERR, /5 VERW."""
    pc, reg, s, off = decode_rm(st, mem, pc, asz, seg)
    if not is_protected(st) or reg > 5:
        raise_fault(st, VEC_UD, -1)
        return pc
    if reg < 2:
        v = st[LDTR_SEL] if reg == 0 else st[TR_SEL]
        if s == REG:
            set_reg(st, off, osz, v)
        else:
            wr(st, mem, s, off, 2, v)
        return pc
    sel = rm_rd(st, mem, s, off, 2)
    if st[FAULT] >= 0:
        return pc
    if reg < 4:
        if privileged(st):
            load_system_seg(st, mem, sel, reg == 3)
        return pc
    ok = False
    if (sel & 0xFFFC) != 0:
        addr, lo, hi = read_desc(st, mem, sel)
        attr = (hi >> 8) & 0xFF
        dpl = (attr >> 5) & 3
        if addr >= 0 and st[FAULT] < 0 and (attr & A_S) != 0:
            conforming_code = (attr & (A_CODE | A_CONFORM)) == (A_CODE | A_CONFORM)
            if conforming_code or (dpl >= st[CPL] and dpl >= (sel & 3)):
                if reg == 4:
                    ok = (attr & A_CODE) == 0 or (attr & A_RW) != 0
                else:
                    ok = (attr & A_CODE) == 0 and (attr & A_RW) != 0
    if st[FAULT] < 0:
        st[EFLAGS] = (st[EFLAGS] & ~ZF) | (ZF if ok else 0)
    return pc


@cold
def op_lar_lsl(st, mem, pc, op2, osz, asz, seg):
    """0F 02 LAR, 0F 03 LSL: access rights / limit of a descriptor the CPL may see; ZF says."""
    pc, reg, s, off = decode_rm(st, mem, pc, asz, seg)
    if not is_protected(st):
        raise_fault(st, VEC_UD, -1)
        return pc
    sel = rm_rd(st, mem, s, off, 2)
    if st[FAULT] >= 0:
        return pc
    ok = False
    value = 0
    if (sel & 0xFFFC) != 0:
        addr, lo, hi = read_desc(st, mem, sel)
        if addr >= 0 and st[FAULT] < 0:
            attr = (hi >> 8) & 0xFF
            dpl = (attr >> 5) & 3
            if attr & A_S:
                ok = True
            else:
                typ = attr & 0xF
                if op2 == 0x02:
                    ok = typ in (1, 2, 3, 4, 5, 9, 0xB, 0xC)
                else:
                    ok = typ in (1, 2, 3, 9, 0xB)
            conforming_code = (attr & (A_S | A_CODE | A_CONFORM)) == (A_S | A_CODE | A_CONFORM)
            if ok and not conforming_code and (dpl < st[CPL] or dpl < (sel & 3)):
                ok = False
            if op2 == 0x02:
                value = hi & 0x00F0FF00
            else:
                value = desc_limit(lo, hi)
    if st[FAULT] >= 0:
        return pc
    if ok:
        set_reg(st, reg, osz, value & size_mask(osz))
    st[EFLAGS] = (st[EFLAGS] & ~ZF) | (ZF if ok else 0)
    return pc


@njit
def op_arpl(st, mem, pc, asz, seg):
    """63 ARPL r/m16, r16: raise the destination selector's RPL to the source's (ZF = changed)."""
    pc, reg, s, off = decode_rm(st, mem, pc, asz, seg)
    if not is_protected(st):
        raise_fault(st, VEC_UD, -1)
        return pc
    d = rm_rd(st, mem, s, off, 2)
    src = st[reg] & 3
    if st[FAULT] >= 0:
        return pc
    if (d & 3) < src:
        rm_wr(st, mem, s, off, 2, (d & ~3) | src)
        st[EFLAGS] |= ZF
    else:
        st[EFLAGS] &= ~ZF
    return pc


@cold
def op_0f01(st, mem, pc, osz, asz, seg):
    """0F 01: SGDT SIDT LGDT LIDT SMSW LMSW INVLPG."""
    pc, reg, s, off = decode_rm(st, mem, pc, asz, seg)
    if reg == 4:  # SMSW
        if s == REG:
            set_reg(st, off, osz, st[CR0] & size_mask(osz))
        else:
            wr(st, mem, s, off, 2, st[CR0] & 0xFFFF)
        return pc
    if reg == 6:  # LMSW: can set PE, cannot clear it
        v = rm_rd(st, mem, s, off, 2)
        if st[FAULT] < 0 and privileged(st):
            write_cr0(st, (st[CR0] & ~0xE) | (v & 0xF) | (st[CR0] & CR0_PE))
        return pc
    if reg == 7:  # INVLPG
        if s == REG or st[Q_HAS_486] == 0:
            raise_fault(st, VEC_UD, -1)
        elif privileged(st):
            tlb_invlpg(st, (st[BASE + s] + off) & 0xFFFFFFFF)
        return pc
    if s == REG or reg == 5:
        raise_fault(st, VEC_UD, -1)
        return pc
    amask = 0xFFFFFFFF if asz else 0xFFFF
    base_i = GDTR_BASE if reg == 0 or reg == 2 else IDTR_BASE
    if reg < 2:  # SGDT / SIDT: a 16-bit operand stores 24 bits of base (the 286 sets the top byte)
        wr(st, mem, s, off, 2, st[base_i + 1])
        b = st[base_i]
        if osz == 2 and st[Q_HAS_386] == 0:
            b = (b & 0xFFFFFF) | 0xFF000000
        wr(st, mem, s, (off + 2) & amask, 4, b)
        return pc
    if not privileged(st):
        return pc
    lim = rd(st, mem, s, off, 2)
    b = rd(st, mem, s, (off + 2) & amask, 4)
    if st[FAULT] < 0:
        st[base_i + 1] = lim
        st[base_i] = b & (0xFFFFFFFF if osz == 4 else 0xFFFFFF)
    return pc


@cold
def op_mov_crdr(st, mem, pc, op2):
    """0F 20-23: MOV r32, CRn / DRn and back (the ModRM is always a register form)."""
    modrm = mem[pc]
    pc += 1
    n = (modrm >> 3) & 7
    r = modrm & 7
    if op2 == 0x20 or op2 == 0x22:
        if n == 0:
            idx = CR0
        elif n == 2:
            idx = CR2
        elif n == 3:
            idx = CR3
        elif n == 4 and st[Q_CPUID] != 0:  # CR4 came with the CPUID-capable 486 steppings (VME)
            idx = CR4
        else:
            raise_fault(st, VEC_UD, -1)
            return pc
        if not privileged(st):
            return pc
        if op2 == 0x20:
            st[r] = st[idx]
        elif idx == CR0:
            write_cr0(st, st[r])
        elif idx == CR3:
            st[CR3] = st[r] & 0xFFFFF018
            tlb_flush(st, True)
        elif idx == CR4:
            v = st[r]
            if v & ~CR4_VALID:
                raise_fault(st, VEC_GP, 0)
                return pc
            if (v ^ st[CR4]) & CR4_FLUSH:
                tlb_flush(st, False)
            st[CR4] = v
        else:
            st[idx] = st[r]
        return pc
    if n == 4 or n == 5:
        if st[CR4] & CR4_DE:
            raise_fault(st, VEC_UD, -1)
            return pc
        n += 2  # DR4/DR5 alias DR6/DR7 while CR4.DE is clear
    if not privileged(st):
        return pc
    if op2 == 0x21:
        st[r] = st[DR0 + n]
    else:
        v = st[r]
        if n == 6:
            v = (v & 0xE00F) | 0xFFFF0FF0   # reserved bits read as 1 (SDM Vol. 3, 17.2.3)
        elif n == 7:
            v = (v & 0xFFFF2BFF) | 0x400
        st[DR0 + n] = v
        tlb_flush(st, False)  # pages with data breakpoints leave the fast path
    return pc


@cold
def op_sysenter_sysexit(st, op2):
    """0F 34 SYSENTER, 0F 35 SYSEXIT: flat ring-0/ring-3 segments from IA32_SYSENTER_CS
    (SDM Vol. 2, SYSENTER and SYSEXIT)."""
    cs = st[MSR_SYSENTER_CS] & 0xFFFC
    if (st[CR0] & CR0_PE) == 0 or cs == 0 or (op2 == 0x35 and (st[CPL] != 0 or st[EFLAGS] & VM)):
        raise_fault(st, VEC_GP, 0)
        return
    if op2 == 0x34:
        st[EFLAGS] &= ~(VM | IF | RF)
        set_cpl(st, 0)
        set_cache(st, CS, cs, 0, 0xFFFFFFFF, FLAT_CODE32)
        set_cache(st, SS, cs + 8, 0, 0xFFFFFFFF, FLAT_DATA32)
        st[ESP] = st[MSR_SYSENTER_ESP]
        st[EIP] = st[MSR_SYSENTER_EIP]
    else:
        set_cpl(st, 3)
        set_cache(st, CS, (cs + 16) | 3, 0, 0xFFFFFFFF, FLAT_CODE32 | 0x60)
        set_cache(st, SS, (cs + 24) | 3, 0, 0xFFFFFFFF, FLAT_DATA32 | 0x60)
        st[ESP] = st[ECX]
        st[EIP] = st[EDX]
    refresh_fast_limits(st)


@cold
def op_system_0f(st, mem, pc, op2, osz, asz, seg):
    """0F 00, 01, 02, 03, 20-23, 34, 35: the system instructions of the two-byte map."""
    if op2 == 0x00:
        return op_0f00(st, mem, pc, osz, asz, seg)
    if op2 == 0x01:
        return op_0f01(st, mem, pc, osz, asz, seg)
    if op2 == 0x02 or op2 == 0x03:
        return op_lar_lsl(st, mem, pc, op2, osz, asz, seg)
    if op2 >= 0x20 and op2 <= 0x23:
        return op_mov_crdr(st, mem, pc, op2)
    op_sysenter_sysexit(st, op2)
    return R_JUMP
