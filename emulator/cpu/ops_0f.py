"""The two-byte opcode map (0F xx) (SDM Vol. 2, Appendix A, Table A-3); the system
instructions are in :mod:`emulator.cpu.ops_system`."""

import numpy as np

from .decode import REG, decode_rm, get_reg, modrm_ea, rm_rd, rm_wr, set_reg
from .farcall import OP_PROBE_WR, OP_SYSTEM_0F, slow
from .flags import ARITH, alu, cond, sext, size_mask, szp
from .jit import njit
from .memory import ld8, raise_fault, rd, wr
from .ops_basic import imul_store, op_lxs, reg_wr
from .ops_system import privileged
from .state import (
    BASE,
    CF,
    CPL,
    CR0,
    CR0_PE,
    CR0_TS,
    CR4,
    CR4_PCE,
    CR4_TSD,
    CS,
    EAX,
    EBX,
    ECX,
    EDX,
    EFLAGS,
    EIP,
    EXIT_ARG,
    EXIT_BIOS,
    EXIT_REASON,
    FAULT,
    ICOUNT,
    MSR_APIC_BASE,
    MSR_P6_COUNT,
    MSR_P6_FIRST,
    MSR_SYSENTER_CS,
    MSR_SYSENTER_EIP,
    MSR_SYSENTER_ESP,
    Q_CPUID,
    Q_CPUID_FEAT,
    Q_CPUID_SIG,
    Q_HAS_386,
    Q_HAS_486,
    Q_HAS_P6,
    Q_HAS_PENTIUM,
    R_EXIT,
    TSC_BASE,
    VEC_GP,
    VEC_UD,
    ZF,
)

MSR_TSC = 0x10
# EBL_CR_POWERON, BIOS_SIGN_ID, PERFCTR0, PERFCTR1, EVNTSEL0, EVNTSEL1, DEBUGCTLMSR, BBL_CR_CTL3,
# MCG_STATUS: plain storage (reads give what was written, 0 after reset)
P6_MSRS = np.array([0x2A, 0x8B, 0xC1, 0xC2, 0x186, 0x187, 0x1D9, 0x11E, 0x17A], dtype=np.int64)


@njit
def system_0f(st, mem, pc, op2, osz, asz, seg):
    """The system instructions, run behind the rare-path boundary (ops_system.op_system_0f)."""
    return slow(st, mem, OP_SYSTEM_0F, pc, op2 | (osz << 8) | ((1 if asz else 0) << 16), seg, 0)


@njit
def msr_index(ecx):
    """Slot of MSR ``ecx`` in the state array, or -1 if this P6 has no such MSR (Pentium Pro
    Family Developer's Manual Vol. 3, Appendix C: the MSRs an OS or BIOS touches without
    a CPUID feature bit; no MTRR, MCA or local APIC is reported, so those #GP)."""
    for k in range(MSR_P6_COUNT):
        if P6_MSRS[k] == ecx:
            return MSR_P6_FIRST + k
    if ecx == 0x174:
        return MSR_SYSENTER_CS
    if ecx == 0x175:
        return MSR_SYSENTER_ESP
    if ecx == 0x176:
        return MSR_SYSENTER_EIP
    if ecx == 0x1B:
        return MSR_APIC_BASE
    return -1


@njit
def op_msr_tsc(st, op2):
    """0F 30 WRMSR, 0F 31 RDTSC, 0F 32 RDMSR (SDM Vol. 2; #GP(0) for MSRs the model lacks)."""
    if st[Q_HAS_PENTIUM] == 0:
        raise_fault(st, VEC_UD, -1)
        return
    if op2 == 0x31:
        if (st[CR4] & CR4_TSD) != 0 and (st[CR0] & CR0_PE) != 0 and st[CPL] != 0:
            raise_fault(st, VEC_GP, 0)
            return
        t = st[ICOUNT] + st[TSC_BASE]
        st[EAX] = t & 0xFFFFFFFF
        st[EDX] = (t >> 32) & 0xFFFFFFFF
        return
    if not privileged(st):
        return
    ecx = st[ECX]
    if ecx == MSR_TSC:
        if op2 == 0x30:
            st[TSC_BASE] = ((st[EDX] << 32) | st[EAX]) - st[ICOUNT]
        else:
            t = st[ICOUNT] + st[TSC_BASE]
            st[EAX] = t & 0xFFFFFFFF
            st[EDX] = (t >> 32) & 0xFFFFFFFF
        return
    i = msr_index(ecx)
    if i < 0 or (i == MSR_APIC_BASE) or (i != MSR_APIC_BASE and st[Q_HAS_P6] == 0):
        raise_fault(st, VEC_GP, 0)
        return
    if op2 == 0x30:
        st[i] = ((st[EDX] << 32) | st[EAX]) if i != MSR_SYSENTER_CS else st[EAX] & 0xFFFF
    else:
        st[EAX] = st[i] & 0xFFFFFFFF
        st[EDX] = (st[i] >> 32) & 0xFFFFFFFF


@njit
def op_rdpmc(st):
    """0F 33 RDPMC: EDX:EAX = performance counter ECX (0 or 1: PERFCTR0/1, 40 bits); #GP(0)
    for another ECX, or at CPL > 0 in protected mode without CR4.PCE (SDM Vol. 2, RDPMC; P6
    family).  The counters do not count events here: they hold what WRMSR last wrote."""
    ecx = st[ECX]
    if ecx > 1 or ((st[CR4] & CR4_PCE) == 0 and (st[CR0] & CR0_PE) != 0 and st[CPL] != 0):
        raise_fault(st, VEC_GP, 0)
        return
    v = st[MSR_P6_FIRST + 2 + ecx] & 0xFFFFFFFFFF    # PERFCTR0/1 follow EBL_CR_POWERON, BIOS_SIGN_ID
    st[EAX] = v & 0xFFFFFFFF
    st[EDX] = v >> 32


@njit
def op_cpuid(st):
    """0F A2 CPUID: vendor "GenuineIntel", leaf 1 signature and features, leaf 2 P6 cache descriptors."""
    if st[Q_CPUID] == 0:
        raise_fault(st, VEC_UD, -1)
        return
    leaf = st[EAX]
    if leaf == 0:
        st[EAX] = 2 if st[Q_HAS_P6] != 0 else 1
        st[EBX] = 0x756E6547  # "Genu"
        st[EDX] = 0x49656E69  # "ineI"
        st[ECX] = 0x6C65746E  # "ntel"
    elif leaf == 1:
        st[EAX] = st[Q_CPUID_SIG]
        st[EBX] = 0
        st[ECX] = 0
        st[EDX] = st[Q_CPUID_FEAT]
    elif leaf == 2 and st[Q_HAS_P6] != 0:
        st[EAX] = 0x03020101  # Pentium Pro: 4 KiB/4 MiB TLBs, 8 KiB L1 caches, 256 KiB L2
        st[EBX] = 0
        st[ECX] = 0
        st[EDX] = 0x06040A41
    else:
        st[EAX] = 0
        st[EBX] = 0
        st[ECX] = 0
        st[EDX] = 0


@njit
def op_bt(st, mem, pc, op2, osz, asz, seg):
    """0F A3 BT, AB BTS, B3 BTR, BB BTC (bit offset in a register), 0F BA /4-7 (imm8 offset)."""
    pc, reg, s, off = decode_rm(st, mem, pc, asz, seg)
    bits = 8 * osz
    if op2 == 0xBA:
        if reg < 4:
            raise_fault(st, VEC_UD, -1)
            return pc
        kind = reg - 4
        bit = ld8(mem, pc) & (bits - 1)
        pc += 1
    else:
        kind = (op2 >> 3) & 3
        bit = get_reg(st, reg, osz)
        if s != REG:
            # a register bit offset is signed and may reach outside the operand (SDM Vol. 2, BT)
            disp = (sext(bit, osz) >> (4 if osz == 2 else 5)) * osz
            off = (off + disp) & (0xFFFFFFFF if asz else 0xFFFF)
        bit &= bits - 1
    v = rm_rd(st, mem, s, off, osz)
    if st[FAULT] >= 0:
        return pc
    cf = (v >> bit) & 1
    st[EFLAGS] = (st[EFLAGS] & ~CF) | cf
    if kind == 1:
        rm_wr(st, mem, s, off, osz, v | (1 << bit))
    elif kind == 2:
        rm_wr(st, mem, s, off, osz, v & ~(1 << bit))
    elif kind == 3:
        rm_wr(st, mem, s, off, osz, v ^ (1 << bit))
    return pc


@njit
def op_shxd(st, mem, pc, op2, osz, asz, seg):
    """0F A4/A5 SHLD, AC/AD SHRD: double-precision shifts (count masked to 5 bits)."""
    pc, reg, s, off = decode_rm(st, mem, pc, asz, seg)
    if op2 == 0xA4 or op2 == 0xAC:
        count = ld8(mem, pc) & 31
        pc += 1
    else:
        count = st[ECX] & 31
    a = rm_rd(st, mem, s, off, osz)
    if st[FAULT] >= 0:
        return pc
    if count == 0:
        if s != REG:
            rm_wr(st, mem, s, off, osz, a)  # still a read-modify-write access (see op_group2)
        return pc
    b = get_reg(st, reg, osz)
    w = 8 * osz
    mask = size_mask(osz)
    if op2 < 0xA8:  # SHLD: shift a left, fill from the top of b
        x = (a << w) | b
        if count > w:  # 16-bit operands with counts 17-31: the result is undefined; mimic a 32-bit funnel
            x = (x << w) | a
            r = (x >> (2 * w - count + w)) & mask
            cf = (x >> (3 * w - count)) & 1
        else:
            r = ((x << count) >> w) & mask
            cf = (a >> (w - count)) & 1
        of = ((r ^ a) >> (w - 1)) & 1
    else:  # SHRD: shift a right, fill from the bottom of b
        x = (b << w) | a
        if count > w:
            x = x | (a << (2 * w))
        r = (x >> count) & mask
        cf = (x >> (count - 1)) & 1
        of = ((r ^ a) >> (w - 1)) & 1
    rm_wr(st, mem, s, off, osz, r)
    st[EFLAGS] = (st[EFLAGS] & ~ARITH) | cf | (of << 11) | szp(r, osz)
    return pc


@njit
def op_bsf_bsr(st, mem, pc, op2, osz, asz, seg):
    """0F BC BSF, BD BSR: ZF=1 and the destination unchanged when the source is 0."""
    pc, reg, s, off = decode_rm(st, mem, pc, asz, seg)
    v = rm_rd(st, mem, s, off, osz)
    if st[FAULT] >= 0:
        return pc
    if v == 0:
        st[EFLAGS] |= ZF
        return pc
    if op2 == 0xBC:
        i = 0
        while (v >> i) & 1 == 0:
            i += 1
    else:
        i = 8 * osz - 1
        while (v >> i) & 1 == 0:
            i -= 1
    set_reg(st, reg, osz, i)
    st[EFLAGS] = (st[EFLAGS] & ~ARITH) | (szp(i, osz) & ~ZF)
    return pc


@njit
def op_cmpxchg_xadd(st, mem, pc, op2, osz, asz, seg):
    """0F B0/B1 CMPXCHG, 0F C0/C1 XADD (486+)."""
    size = osz if op2 & 1 else 1
    pc, reg, s, off = decode_rm(st, mem, pc, asz, seg)
    d = rm_rd(st, mem, s, off, size)
    if st[FAULT] >= 0:
        return pc
    if op2 >= 0xC0:
        src = get_reg(st, reg, size)
        r = alu(st, 0, d, src, size)
        if s == REG:
            reg_wr(st, reg, size, d)  # SRC <- DEST first, then DEST <- sum (SDM Vol. 2, XADD)
            rm_wr(st, mem, s, off, size, r)
        else:
            rm_wr(st, mem, s, off, size, r)  # a faulting store leaves the register unchanged
            if st[FAULT] < 0:
                reg_wr(st, reg, size, d)
        return pc
    acc = get_reg(st, EAX, size)
    alu(st, 7, acc, d, size)
    if acc == d:
        rm_wr(st, mem, s, off, size, get_reg(st, reg, size))
    else:
        rm_wr(st, mem, s, off, size, d)  # the destination is always written back
        reg_wr(st, EAX, size, d)
    return pc


@njit
def op_cmpxchg8b(st, mem, pc, asz, seg):
    """0F C7 /1 CMPXCHG8B m64 (Pentium+)."""
    modrm = ld8(mem, pc)
    if modrm >= 0xC0 or ((modrm >> 3) & 7) != 1 or st[Q_HAS_PENTIUM] == 0:
        raise_fault(st, VEC_UD, -1)
        return pc + 1
    pc, s, off = modrm_ea(st, mem, pc + 1, modrm, asz, seg)
    amask = 0xFFFFFFFF if asz else 0xFFFF
    lo = rd(st, mem, s, off, 4)
    hi = rd(st, mem, s, (off + 4) & amask, 4)
    if st[FAULT] >= 0:
        return pc
    if ((st[BASE + s] + off) & 0xFFF) > 0xFF8 and slow(st, mem, OP_PROBE_WR, s, off, 8, 0) == 0:
        return pc  # a store split over two pages must fault before either half is written
    if lo == st[EAX] and hi == st[EDX]:
        wr(st, mem, s, off, 4, st[EBX])
        wr(st, mem, s, (off + 4) & amask, 4, st[ECX])
        st[EFLAGS] |= ZF
    else:
        wr(st, mem, s, off, 4, lo)
        wr(st, mem, s, (off + 4) & amask, 4, hi)
        if st[FAULT] < 0:
            st[EAX] = lo
            st[EDX] = hi
        st[EFLAGS] &= ~ZF
    return pc


@njit
def op_movx(st, mem, pc, op2, osz, asz, seg):
    """0F B6/B7 MOVZX, BE/BF MOVSX."""
    size = 2 if op2 & 1 else 1
    pc, reg, s, off = decode_rm(st, mem, pc, asz, seg)
    v = rm_rd(st, mem, s, off, size)
    if op2 >= 0xBE:
        v = sext(v, size) & size_mask(osz)
    reg_wr(st, reg, osz, v)
    return pc


@njit
def op_0f(st, mem, pc, op2, osz, asz, seg, nip):
    """Dispatch the 0F page; ``pc`` is after the second opcode byte."""
    if op2 == 0x04:
        # the BIOS-call trap: only from the BIOS ROM segment (physical E0000-FFFFF)
        la = st[BASE + CS] + st[EIP]
        if 0xE0000 <= la < 0x100000:
            st[EXIT_ARG] = ld8(mem, pc)
            st[EXIT_REASON] = EXIT_BIOS
            st[EIP] = (nip + 1) & 0xFFFF
            return R_EXIT
        raise_fault(st, VEC_UD, -1)
        return pc
    if op2 == 0x01:
        return system_0f(st, mem, pc, op2, osz, asz, seg)
    if op2 == 0x06:  # CLTS
        if privileged(st):
            st[CR0] &= ~CR0_TS
        return pc
    if st[Q_HAS_386] == 0:
        raise_fault(st, VEC_UD, -1)
        return pc
    hi = op2 >> 4
    if hi == 8:  # Jcc rel16/32 handled by the caller
        return pc
    if hi == 9:  # SETcc r/m8
        pc, reg, s, off = decode_rm(st, mem, pc, asz, seg)
        rm_wr(st, mem, s, off, 1, 1 if cond(st[EFLAGS], op2 & 15) else 0)
        return pc
    if hi == 4:  # CMOVcc (P6)
        if st[Q_HAS_P6] == 0:
            raise_fault(st, VEC_UD, -1)
            return pc
        pc, reg, s, off = decode_rm(st, mem, pc, asz, seg)
        v = rm_rd(st, mem, s, off, osz)
        if st[FAULT] < 0 and cond(st[EFLAGS], op2 & 15):
            set_reg(st, reg, osz, v)
        elif osz == 4 and st[FAULT] < 0:
            st[reg] = st[reg] & 0xFFFFFFFF
        return pc
    if op2 == 0xB6 or op2 == 0xB7 or op2 == 0xBE or op2 == 0xBF:
        return op_movx(st, mem, pc, op2, osz, asz, seg)
    if op2 == 0xA3 or op2 == 0xAB or op2 == 0xB3 or op2 == 0xBB or op2 == 0xBA:
        return op_bt(st, mem, pc, op2, osz, asz, seg)
    if op2 == 0xAF:
        pc, reg, s, off = decode_rm(st, mem, pc, asz, seg)
        v = rm_rd(st, mem, s, off, osz)
        imul_store(st, reg, sext(get_reg(st, reg, osz), osz), sext(v, osz), osz)
        return pc
    if op2 == 0xA4 or op2 == 0xA5 or op2 == 0xAC or op2 == 0xAD:
        return op_shxd(st, mem, pc, op2, osz, asz, seg)
    if op2 == 0xBC or op2 == 0xBD:
        return op_bsf_bsr(st, mem, pc, op2, osz, asz, seg)
    if op2 == 0xB2 or op2 == 0xB4 or op2 == 0xB5:
        return op_lxs(st, mem, pc, 2 if op2 == 0xB2 else op2 - 0xB0, osz, asz, seg)
    if op2 >= 0x20 and op2 <= 0x23:
        return system_0f(st, mem, pc, op2, osz, asz, seg)
    if op2 == 0x00 or op2 == 0x02 or op2 == 0x03:
        return system_0f(st, mem, pc, op2, osz, asz, seg)
    if op2 == 0xA2:
        op_cpuid(st)
        return pc
    if op2 == 0x30 or op2 == 0x31 or op2 == 0x32:
        op_msr_tsc(st, op2)
        return pc
    if st[Q_HAS_486] != 0:
        if op2 >= 0xC8 and op2 <= 0xCF:  # BSWAP
            r = op2 & 7
            v = st[r]
            st[r] = ((v & 0xFF) << 24) | ((v & 0xFF00) << 8) | ((v >> 8) & 0xFF00) | (v >> 24)
            return pc
        if op2 == 0xB0 or op2 == 0xB1 or op2 == 0xC0 or op2 == 0xC1:
            return op_cmpxchg_xadd(st, mem, pc, op2, osz, asz, seg)
        if op2 == 0x08 or op2 == 0x09:  # INVD / WBINVD: no caches to flush
            privileged(st)
            return pc
    if op2 == 0xC7:
        return op_cmpxchg8b(st, mem, pc, asz, seg)
    if op2 == 0x1F and st[Q_HAS_P6] != 0:  # NOP r/m
        pc, reg, s, off = decode_rm(st, mem, pc, asz, seg)
        return pc
    if (op2 == 0x34 or op2 == 0x35) and st[Q_HAS_P6] != 0:
        return system_0f(st, mem, pc, op2, osz, asz, seg)
    if op2 == 0x33 and st[Q_HAS_P6] != 0:
        op_rdpmc(st)
        return pc
    # 0F AA RSM: #UD outside system-management mode, which this core never enters
    raise_fault(st, VEC_UD, -1)
    return pc
