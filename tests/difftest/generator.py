"""Seeded generator of valid integer x86 instructions for the differential test.

The generator works *online*: before each instruction it is handed the
reference CPU's current state and reads its memory, so it can choose operands
that are valid right now:

* a memory operand gets a displacement (or, sometimes, a base register value)
  that puts the access inside the world, so registers themselves stay random;
* divisions get a dividend/divisor that does not overflow (or, in 16-bit
  mode and rarely, one that does: the #DE is then expected on both sides);
* branch, call and return targets stay inside the code window;
* REP counts, string pointers, stack pointer, segment selectors loaded by
  MOV/POP/LxS/far transfers are kept inside the world.

Such preparations are *fixups*: register or memory writes the harness applies
identically to both CPUs before the instruction (``Insn.fixups``).  Nothing
here depends on the CPU under test, so a stream is fully determined by the
mode, the seed and the reference CPU.

Instruction bytes are encoded here directly (opcode maps: Intel SDM Vol. 2,
Appendix A; ModR/M and SIB: Vol. 2, chapter 2), which gives exact control of
prefixes, ModR/M forms and displacement sizes.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass, field

from . import world as W
from .undefined_flags import shift_class

EAX, ECX, EDX, EBX, ESP, EBP, ESI, EDI = range(8)
ES, CS, SS, DS, FS, GS = range(6)
SEG_PREFIX = (0x26, 0x2E, 0x36, 0x3E, 0x64, 0x65)
CF, PF, AF, ZF, SF, TF, IF, DF, OF = 0x1, 0x4, 0x10, 0x40, 0x80, 0x100, 0x200, 0x400, 0x800
FLAGS_RANDOM = 0x247FD5 & ~TF   # flags a fixup may set (no TF: it would trap)

INTERESTING = (0, 1, 2, 0x7F, 0x80, 0x81, 0xFF, 0x100, 0x7FFF, 0x8000, 0x8001, 0xFFFF, 0x10000,
               0x7FFFFFFF, 0x80000000, 0x80000001, 0xFFFFFFFF, 0xFFFFFFFE, 0x99, 0x9A, 0x0F, 0x0A,
               0xF9, 0xFA, 0x1F, 0x20, 0x21, 0x10, 0x11, 0x09)


@dataclass
class State:
    """Architectural state the generator looks at (values as the reference CPU has them)."""

    regs: list[int]      # EAX..EDI, 32-bit
    eip: int
    eflags: int
    segs: list[int]      # ES CS SS DS FS GS selectors

    def copy(self) -> State:
        return State(list(self.regs), self.eip, self.eflags, list(self.segs))


@dataclass
class Insn:
    """One generated instruction and how to check it."""

    code: bytes
    kind: str                     # template name, for statistics and reports
    uclass: str | None = None     # key of undefined_flags.UNDEFINED_FLAGS
    # ('reg', i, v) ('seg', i, sel) ('mem', lin, bytes) ('eip', v) ('flags', v)
    fixups: list = field(default_factory=list)
    rep: bool = False             # REP-prefixed string instruction: runs until EIP leaves it
    expect: int | None = None     # exception vector it must raise (#DE=0, #BR=5, #UD=6, INT n)
    trap: bool = False            # the exception is a trap (INT n, INT3, INTO): frame has the next IP
    pads: list = field(default_factory=list)   # linear addresses that get a landing pad (EB FE)


class Retry(Exception):
    """The template cannot make a valid instruction from this state; pick another."""


def sx(v: int, bits: int) -> int:
    v &= (1 << bits) - 1
    return v - (1 << bits) if v >> (bits - 1) else v


def le(v: int, n: int) -> bytes:
    return (v & ((1 << (8 * n)) - 1)).to_bytes(n, "little")


def parity(v: int) -> bool:
    return bin(v & 0xFF).count("1") % 2 == 0


def cond(cc: int, fl: int) -> bool:
    """Jcc/SETcc/CMOVcc condition ``cc`` (SDM Vol. 1, Appendix B) under flags ``fl``."""
    c, z, s, o, p = bool(fl & CF), bool(fl & ZF), bool(fl & SF), bool(fl & OF), bool(fl & PF)
    r = (o, c, z, c or z, s, p, s != o, z or s != o)[cc >> 1]
    return r != bool(cc & 1)


class Generator:
    """Makes one valid instruction at a time for ``mode`` 16 or 32."""

    def __init__(self, mode: int, seed: int, read: Callable[[int, int], bytes],
                 exceptions: bool | None = None) -> None:
        self.mode = mode
        self.rng = random.Random(seed)
        self._read = read
        # expected exceptions (#DE, #BR) are only generated in real mode, where both CPUs agree on
        # what "delivering" means; in the flat harness mode Unicorn runs in protected mode.
        self.exceptions = (mode == 16) if exceptions is None else exceptions
        self.templates = [(w, name, fn) for (w, name, fn, modes) in self._table() if mode in modes]
        self.total_weight = sum(w for w, _, _ in self.templates)
        self.hot = 0
        self.count = 0
        self.stats: dict[str, int] = {}

    # ------------------------------------------------------------------ state
    def reg(self, r: int, size: int) -> int:
        """Value of register ``r`` (8-bit numbering when size is 1)."""
        if size == 1:
            return (self.st.regs[r & 3] >> (8 if r >= 4 else 0)) & 0xFF
        return self.st.regs[r] & (0xFFFF if size == 2 else 0xFFFFFFFF)

    def set_reg(self, r: int, size: int, v: int) -> None:
        """Fixup: give register ``r`` of ``size`` bytes the value ``v`` on both CPUs."""
        regs = self.st.regs
        if (r & 3 if size == 1 else r) in self.addr_regs:
            raise Retry  # the memory operand's address was computed from this register
        if size == 1:
            i, sh = r & 3, (8 if r >= 4 else 0)
            full = (regs[i] & ~(0xFF << sh)) | ((v & 0xFF) << sh)
        elif size == 2:
            i, full = r, (regs[r] & 0xFFFF0000) | (v & 0xFFFF)
        else:
            i, full = r, v & 0xFFFFFFFF
        regs[i] = full & 0xFFFFFFFF
        self.fix.append(("reg", i, regs[i]))

    def set_seg(self, s: int, sel: int) -> None:
        self.st.segs[s] = sel
        self.fix.append(("seg", s, sel))

    def set_flags(self, v: int) -> None:
        self.st.eflags = (v & FLAGS_RANDOM) | 2
        self.fix.append(("flags", self.st.eflags))

    def set_eip(self, v: int) -> None:
        self.st.eip = v
        self.fix.append(("eip", v))

    def read(self, lin: int, n: int) -> int:
        """Little-endian value at linear ``lin``, as memory will be once the fixups are applied."""
        data = bytearray(self._read(lin, n))
        for f in self.fix:
            if f[0] == "mem":
                a, b = f[1], f[2]
                for k in range(n):
                    if a <= lin + k < a + len(b):
                        data[k] = b[lin + k - a]
        return int.from_bytes(bytes(data), "little")

    def write(self, lin: int, v: int, n: int) -> None:
        """Fixup: store ``v`` (``n`` bytes) at linear ``lin`` on both CPUs."""
        self.fix.append(("mem", lin, le(v, n)))

    def seg_base(self, s: int) -> int:
        return self.st.segs[s] << 4 if self.mode == 16 else 0

    def code_lin(self) -> int:
        return self.seg_base(CS) + self.st.eip

    def sp(self) -> int:
        return self.st.regs[ESP] & (0xFFFF if self.mode == 16 else 0xFFFFFFFF)

    def stack_lin(self, delta: int = 0) -> int:
        """Linear address of SS:(E)SP + delta (stack size follows the mode)."""
        mask = 0xFFFF if self.mode == 16 else 0xFFFFFFFF
        return self.seg_base(SS) + ((self.st.regs[ESP] + delta) & mask)

    # -------------------------------------------------------------- randoms
    def chance(self, p: float) -> bool:
        return self.rng.random() < p

    def rand(self, bits: int) -> int:
        r = self.rng.random()
        if r < 0.2:
            return self.rng.choice(INTERESTING) & ((1 << bits) - 1)
        if r < 0.3:
            return self.rng.randrange(-16, 17) & ((1 << bits) - 1)
        return self.rng.getrandbits(bits)

    def imm(self, size: int) -> bytes:
        return le(self.rand(8 * size), size)

    def good_seg(self) -> int:
        return self.rng.randrange(W.SEG_MIN, W.SEG_MAX + 1)

    def code_ok(self, target: int, cs: int | None = None) -> bool:
        """Whether execution may continue at (E)IP ``target`` (in code segment ``cs``)."""
        if self.mode == 16:
            if not 0 <= target <= W.IP_MAX:
                return False
            lin = (self.st.segs[CS] if cs is None else cs) * 16 + target
        else:
            if not W.LO32 <= target <= W.CODE32_MAX:
                return False
            lin = target
        sp = self.stack_lin()
        if sp - 0x100 <= lin < sp + 0x100:
            return False
        if self.m and lin < self.m[2] + self.m[3] and self.m[2] < lin + 2:
            return False  # the landing pad would overwrite the memory operand
        return True

    def code_target(self, osz: int = 4, cs: int | None = None) -> int:
        """A valid new (E)IP (with a 16-bit operand size the CPU truncates EIP to 16 bits); a landing
        pad is put there."""
        hi = W.IP_MAX if self.mode == 16 else (W.CODE32_MAX if osz == 4 else 0xFFE0)
        lo = 0 if self.mode == 16 else W.LO32
        for _ in range(50):
            t = self.rng.randrange(lo, hi + 1)
            if self.code_ok(t, cs):
                self.pad(t, cs)
                return t
        raise Retry

    def pad(self, ip: int, cs: int | None = None) -> None:
        """Put a landing pad (JMP $) where execution will continue: Unicorn translates the code at
        the next EIP before it stops, and a few rare byte patterns crash its translator."""
        if self.mode == 16:
            self.pads.append((self.st.segs[CS] if cs is None else cs) * 16 + ip)
        else:
            self.pads.append(ip)

    # ----------------------------------------------------------- generation
    def next(self, state: State) -> Insn:
        """The next instruction for a CPU in ``state``."""
        self.count += 1
        if self.count % 211 == 1:
            self.hot = self.rng.randrange(0x100, 0xFE00)
        self.st = state.copy()
        self.fix = []
        self.addr_regs = set()
        self.pads, self.m = [], None
        self.sanitize()
        base_state, base_fix = self.st.copy(), list(self.fix)
        for _ in range(100):
            self.st, self.fix = base_state.copy(), list(base_fix)
            self.pfx: dict[str, int] = {}
            self.locked: set[int] = set()
            self.addr_regs: set[int] = set()
            self.uclass = None
            self.rep = False
            self.expect = None
            self.trap = False
            self.pads: list[int] = []
            self.m = None
            name, fn = self.pick()
            try:
                body = fn()
            except Retry:
                continue
            code = self.prefix_bytes() + body
            if len(code) > 15:
                continue
            self.stats[name] = self.stats.get(name, 0) + 1
            self.pads.append(self.code_lin() + len(code))
            return Insn(code, name, self.uclass, self.fix, self.rep, self.expect, self.trap, self.pads)
        raise RuntimeError("generator could not make an instruction")

    def pick(self):
        x = self.rng.random() * self.total_weight
        for w, name, fn in self.templates:
            x -= w
            if x < 0:
                return name, fn
        return self.templates[-1][1], self.templates[-1][2]

    def sanitize(self) -> None:
        """Fixups that bring the state back into the world before any instruction."""
        st = self.st
        if self.mode == 16:
            for s in (ES, SS, DS, FS, GS, CS):
                if not W.SEG_MIN <= st.segs[s] <= W.SEG_MAX:
                    self.set_seg(s, self.good_seg())
            if not 0 <= st.eip <= W.IP_MAX:
                self.set_eip(self.code_target())
            sp = st.regs[ESP] & 0xFFFF
            code = self.code_lin()
            stk = self.stack_lin()
            if not W.SP16[0] <= sp <= W.SP16[1] or abs(stk - code) < 0x300:
                while True:
                    v = self.rng.randrange(W.SP16[0], W.SP16[1])
                    if abs(st.segs[SS] * 16 + v - code) >= 0x300:
                        break
                self.set_reg(ESP, 2, v)
        else:
            if not W.LO32 <= st.eip <= W.CODE32_MAX:
                self.set_eip(self.code_target())
            if not W.STACK32[0] <= st.regs[ESP] <= W.STACK32[1] or abs(st.regs[ESP] - st.eip) < 0x300:
                while True:
                    v = self.rng.randrange(*W.STACK32)
                    if abs(v - st.eip) >= 0x300:
                        break
                self.set_reg(ESP, 4, v)
        if st.eflags & TF:
            self.set_flags(st.eflags & ~TF)
        if self.chance(0.03):
            self.set_flags(self.rng.getrandbits(32))
        if self.chance(0.12):  # an edge value in a register now and then
            r = self.rng.choice((EAX, ECX, EDX, EBX, EBP, ESI, EDI))
            self.set_reg(r, self.rng.choice((1, 2, 4)), self.rng.choice(INTERESTING))

    # -------------------------------------------------------------- prefixes
    def prefix_bytes(self) -> bytes:
        out = list(self.pfx.values())
        self.rng.shuffle(out)
        return bytes(out)

    def osize(self, p: float = 0.3) -> int:
        """Decide the operand size (maybe with a 66h prefix); return 2 or 4."""
        default = 2 if self.mode == 16 else 4
        if self.chance(p):
            self.pfx["osz"] = 0x66
            return 6 - default
        return default

    def asize(self, p: float = 0.3) -> int:
        default = 2 if self.mode == 16 else 4
        if self.chance(p):
            self.pfx["asz"] = 0x67
            return 6 - default
        return default

    def segover(self, default: int, p: float = 0.3) -> int:
        if self.chance(p):
            s = self.rng.randrange(6)
            self.pfx["seg"] = SEG_PREFIX[s]
            return s
        self.pfx.pop("seg", None)  # an earlier attempt may have chosen one
        return default

    def lock(self, p: float = 0.2) -> None:
        if self.chance(p):
            self.pfx["lock"] = 0xF0

    # -------------------------------------------------------- memory operands
    def ea_ok(self, ea: int, size: int, asz: int, seg: int) -> bool:
        if self.mode == 16:
            if ea < 0 or ea + size > 0x10000:
                return False
        elif asz == 4:
            if ea < W.LO32 or ea + size > W.WORLD_END:
                return False
        elif ea < W.LO32 or ea + size > 0x10000:
            return False
        lin = self.seg_base(seg) + ea
        code = self.code_lin()
        return lin + size <= code - 8 or lin >= code + 24

    def target(self, size: int, asz: int) -> int:
        hi = 0x10000 if (self.mode == 16 or asz == 2) else W.WORLD_END
        lo = 0 if self.mode == 16 else W.LO32
        r = self.rng.random()
        if r < 0.35:
            t = self.hot + self.rng.randrange(-64, 192)
            if self.mode == 32 and asz == 4:
                t += 0x20000
        elif r < 0.45 and self.mode == 32 and asz == 4:
            t = self.st.regs[ESP] + self.rng.randrange(-64, 64)
        else:
            t = self.rng.randrange(lo, hi - size + 1)
        return min(max(t, lo), hi - size)

    def modrm(self, regf: int, size: int, *, p_mem: float = 0.5, mem: bool | None = None,
              access: int | None = None, delta: int = 0, adj: dict | None = None,
              no_access: bool = False) -> bytes:
        """ModR/M (+SIB, displacement) with reg field ``regf`` and an r/m operand of ``size`` bytes.

        ``mem`` True/False forces a memory/register operand.  ``access`` is the number of bytes
        the instruction accesses at the effective address (default ``size``); ``delta`` is added
        to the effective address to get the accessed address (BT family); ``adj`` overrides
        register values for the address computation (POP [ESP]).  ``no_access`` (LEA) accepts any
        address.  Sets ``self.m`` to (seg, ea, linear) of the access, or None, and ``self.rm`` to
        the r/m register number for a register operand.
        """
        if mem is None:
            mem = self.chance(p_mem)
        self.m = None
        if not mem:
            self.rm = self.rng.randrange(8)
            return bytes([0xC0 | (regf << 3) | self.rm])
        self.rm = None
        access = size if access is None else access
        asz = self.asize()
        for _ in range(20):
            if asz == 2:
                out = self._modrm16(regf, access, delta, adj, no_access)
            else:
                out = self._modrm32(regf, access, delta, adj, no_access)
            if out is not None:
                return out
        raise Retry

    def _val(self, r: int, adj: dict | None) -> int:
        if adj and r in adj:
            return adj[r]
        return self.st.regs[r]

    def _finish(self, seg_default: int, ea: int, size: int, delta: int, asz: int, no_access: bool):
        seg = self.segover(seg_default)
        if no_access:
            self.m = (seg, ea, self.seg_base(seg) + ea, 0)
            return True
        acc = ea + delta
        if asz == 2 and self.mode == 16 and not 0 <= acc <= 0xFFFF:
            return False
        if not self.ea_ok(acc, size, asz, seg):
            return False
        self.m = (seg, acc, self.seg_base(seg) + acc, size)
        return True

    _RM16 = ((EBX, ESI), (EBX, EDI), (EBP, ESI), (EBP, EDI), (ESI,), (EDI,), (EBP,), (EBX,))

    def _modrm16(self, regf, size, delta, adj, no_access):
        rng = self.rng
        rm = rng.randrange(8)
        mod = rng.choice((0, 0, 1, 1, 2))
        regs = self._RM16[rm]
        want = (self.target(size, 2) - delta) & 0xFFFF
        if mod == 0 and rm == 6:
            regs, disp, dsz = (), want, 2
        else:
            base = sum(self._val(r, adj) for r in regs) & 0xFFFF
            if mod == 0:
                disp, dsz = 0, 0
            elif mod == 1:
                disp, dsz = sx(rng.getrandbits(8), 8), 1
            else:
                disp, dsz = rng.getrandbits(16), 2
            ea = (base + disp) & 0xFFFF
            if not no_access and not self.ea_ok(ea + delta, size, 2, DS):
                # move a free address register so the short form works, or use a disp16
                free = [r for r in regs if r not in self.locked and not (adj and r in adj)]
                if free and rng.random() < 0.6:
                    r = rng.choice(free)
                    other = sum(self._val(x, adj) for x in regs if x != r)
                    self.set_reg(r, 2, want - other - disp)
                else:
                    mod, dsz = 2, 2
                    disp = (want - base) & 0xFFFF
        ea = (sum(self._val(r, adj) for r in regs) + disp) & 0xFFFF
        seg_default = SS if (EBP in regs) else DS
        if not self._finish(seg_default, ea, size, delta, 2, no_access):
            return None
        self.addr_regs = set(regs)
        return bytes([(mod << 6) | (regf << 3) | rm]) + le(disp, dsz)

    def _modrm32(self, regf, size, delta, adj, no_access):
        rng = self.rng
        mod = rng.choice((0, 0, 1, 1, 2))
        want = (self.target(size, 4) - delta) & 0xFFFFFFFF
        if rng.random() < 0.4:  # SIB
            scale = rng.randrange(4)
            index = rng.randrange(8)
            base = rng.randrange(8)
            sib = (scale << 6) | (index << 3) | base
            rm = 4
            has_base = not (base == 5 and mod == 0)
            idx_val = (self._val(index, adj) << scale) if index != 4 else 0
            base_reg = base if has_base else None
        else:
            rm = rng.choice((0, 1, 2, 3, 5, 6, 7))
            sib = None
            has_base = not (rm == 5 and mod == 0)
            idx_val = 0
            index = 4
            scale = 0
            base_reg = rm if has_base else None
        if base_reg is None:  # [index*s + disp32] or [disp32]
            disp, dsz = (want - idx_val) & 0xFFFFFFFF, 4
        else:
            if mod == 0:
                disp, dsz = 0, 0
            elif mod == 1:
                disp, dsz = sx(rng.getrandbits(8), 8), 1
            else:
                disp, dsz = rng.getrandbits(32), 4
            ea = (self._val(base_reg, adj) + idx_val + disp) & 0xFFFFFFFF
            if not no_access and not self.ea_ok(ea + delta, size, 4, DS):
                ok_fix = (base_reg not in self.locked and base_reg != ESP and not (adj and base_reg in adj)
                          and base_reg != index)
                if ok_fix and rng.random() < 0.6:
                    self.set_reg(base_reg, 4, want - idx_val - disp)
                else:
                    mod, dsz = 2, 4
                    disp = (want - self._val(base_reg, adj) - idx_val) & 0xFFFFFFFF
        assert base_reg is not None or mod == 0  # [disp32] / [index*s+disp32] exist only with mod 0
        idx_val = (self._val(index, adj) << scale) if index != 4 else 0
        ea = ((self._val(base_reg, adj) if base_reg is not None else 0) + idx_val + disp) & 0xFFFFFFFF
        if self.mode == 16 and not no_access and ea + delta > 0xFFFF:
            return None
        seg_default = SS if base_reg in (ESP, EBP) else DS
        if not self._finish(seg_default, ea, size, delta, 4, no_access):
            return None
        self.addr_regs = {r for r in (base_reg, index if index != 4 else None) if r is not None}
        out = bytes([(mod << 6) | (regf << 3) | rm])
        if sib is not None:
            out += bytes([sib])
        return out + le(disp, dsz)

    def mem_value(self, size: int) -> int:
        return self.read(self.m[2], size)

    def rm_value(self, size: int) -> int:
        return self.mem_value(size) if self.m else self.reg(self.rm, size)

    def set_rm(self, size: int, v: int) -> None:
        if self.m:
            self.write(self.m[2], v, size)
        else:
            self.set_reg(self.rm, size, v)

    # --------------------------------------------------------------- branches
    def rel_target(self, osz: int, rel_size: int, insn_len_after: int) -> int:
        """A relative displacement whose target is valid; ``insn_len_after`` = instruction length."""
        nxt = self.st.eip + insn_len_after + len(self.pfx)
        mask = 0xFFFF if osz == 2 else 0xFFFFFFFF
        for _ in range(30):
            if rel_size == 1:
                rel = sx(self.rng.getrandbits(8), 8)
            else:
                t = self.code_target(osz)
                rel = t - nxt
                if rel_size == 2:
                    rel = sx(rel, 16)
            if self.code_ok((nxt + rel) & mask):
                self.pad((nxt + rel) & mask)
                return rel
        raise Retry

    def fallthrough_ok(self, n: int) -> bool:
        return self.code_ok(self.st.eip + n + len(self.pfx))

    # -------------------------------------------------------------- templates
    def _table(self):
        B, S, _T = (16, 32), (16,), (32,)
        return [
            # weight, name, function, modes
            (10, "alu", self.t_alu, B),
            (6, "alu_imm", self.t_group1, B),
            (2, "alu_acc", self.t_alu_acc, B),
            (3, "inc_dec_reg", self.t_incdec_reg, B),
            (2, "push_pop_reg", self.t_pushpop_reg, B),
            (1, "push_seg", self.t_push_seg, B),
            (1, "pop_seg", self.t_pop_seg, S),
            (2, "bcd", self.t_bcd, B),
            (1, "aam_aad", self.t_aam_aad, B),
            (1, "pusha_popa", self.t_pusha, B),
            (1, "bound", self.t_bound, B),
            (1, "push_imm", self.t_push_imm, B),
            (2, "imul3", self.t_imul3, B),
            (3, "jcc", self.t_jcc, B),
            (2, "test_xchg", self.t_test_xchg, B),
            (4, "mov", self.t_mov, B),
            (1, "mov_from_sreg", self.t_mov_from_sreg, B),
            (1, "mov_to_sreg", self.t_mov_to_sreg, S),
            (1, "lea", self.t_lea, B),
            (1, "pop_rm", self.t_pop_rm, B),
            (1, "xchg_acc", self.t_xchg_acc, B),
            (1, "convert", self.t_convert, B),
            (1, "flags_misc", self.t_flags_misc, B),
            (1, "pushf_popf", self.t_pushf_popf, B),
            (1, "moffs", self.t_moffs, B),
            (5, "string", self.t_string, B),
            (1, "test_acc", self.t_test_acc, B),
            (2, "mov_imm", self.t_mov_imm, B),
            (7, "shift", self.t_shift, B),
            (2, "ret_near", self.t_ret_near, B),
            (1, "ret_far", self.t_ret_far, S),
            (1, "iret", self.t_iret, S),
            (1, "les_lds", self.t_lxs, S),
            (1, "enter_leave", self.t_enter_leave, B),
            (1, "xlat", self.t_xlat, B),
            (2, "loop_jcxz", self.t_loop, B),
            (2, "call_jmp_rel", self.t_call_jmp_rel, B),
            (1, "far_direct", self.t_far_direct, S),
            (5, "group3", self.t_group3, B),
            (2, "muldiv", self.t_muldiv, B),
            (2, "inc_dec_rm", self.t_incdec_rm, B),
            (2, "call_jmp_ind", self.t_call_jmp_ind, B),
            (1, "far_indirect", self.t_far_indirect, S),
            (1, "push_rm", self.t_push_rm, B),
            (2, "cmov", self.t_cmov, B),
            (2, "setcc", self.t_setcc, B),
            (4, "bt", self.t_bt, B),
            (3, "shld_shrd", self.t_shld, B),
            (2, "imul2", self.t_imul2, B),
            (2, "cmpxchg", self.t_cmpxchg, B),
            (1, "cmpxchg8b", self.t_cmpxchg8b, B),
            (1, "lss_lfs_lgs", self.t_lxs_0f, S),
            (2, "movzx_movsx", self.t_movx, B),
            (2, "bsf_bsr", self.t_bsf, B),
            (2, "xadd", self.t_xadd, B),
            (1, "bswap", self.t_bswap, B),
            (1, "nop_wait", self.t_nop, B),
            (1, "int", self.t_int, S),
            (1, "invalid", self.t_invalid, S),
        ]

    # -- one-byte ALU
    def t_alu(self) -> bytes:
        op = self.rng.randrange(8)
        d = self.rng.randrange(2)       # 0: Ex,Gx (r/m destination)  1: Gx,Ex
        w = self.rng.randrange(2)
        size = self.osize() if w else 1
        rm = self.modrm(self.rng.randrange(8), size)
        if d == 0 and self.m and op != 7:
            self.lock()
        if op in (1, 4, 6):
            self.uclass = "logic"
        return bytes([op * 8 + d * 2 + w]) + rm

    def t_alu_acc(self) -> bytes:
        op = self.rng.randrange(8)
        w = self.rng.randrange(2)
        size = self.osize() if w else 1
        if op in (1, 4, 6):
            self.uclass = "logic"
        return bytes([op * 8 + 4 + w]) + self.imm(size)

    def t_group1(self) -> bytes:
        opc = self.rng.choice((0x80, 0x81, 0x82, 0x83))
        op = self.rng.randrange(8)
        size = 1 if opc in (0x80, 0x82) else self.osize()
        rm = self.modrm(op, size)
        if self.m and op != 7:
            self.lock()
        if op in (1, 4, 6):
            self.uclass = "logic"
        return bytes([opc]) + rm + self.imm(size if opc == 0x81 else 1)

    def t_incdec_reg(self) -> bytes:
        self.osize()
        return bytes([0x40 + self.rng.randrange(16)])

    def t_pushpop_reg(self) -> bytes:
        self.osize()
        return bytes([0x50 + self.rng.randrange(16)])

    def t_push_seg(self) -> bytes:
        self.osize()
        s = self.rng.randrange(6)
        return bytes([(0x06, 0x0E, 0x16, 0x1E)[s]]) if s < 4 else bytes([0x0F, 0xA0 if s == FS else 0xA8])

    def t_pop_seg(self) -> bytes:
        osz = self.osize()
        s = self.rng.choice((ES, SS, DS, FS, GS))
        if self.chance(0.85):
            self.write(self.stack_lin(), self.good_seg() | (self.rng.getrandbits(16) << 16), osz)
        return {ES: b"\x07", SS: b"\x17", DS: b"\x1f", FS: b"\x0f\xa1", GS: b"\x0f\xa9"}[s]

    def t_bcd(self) -> bytes:
        op = self.rng.choice((0x27, 0x2F, 0x37, 0x3F))
        if self.chance(0.5):  # BCD-looking AL (and AH) and random AF/CF
            self.set_reg(EAX, 1, self.rng.choice((0x00, 0x09, 0x0A, 0x0F, 0x10, 0x19, 0x1A, 0x90, 0x99, 0x9A,
                                                  0x9F, 0xA0, 0xF9, 0xFA, 0xFF, self.rng.getrandbits(8))))
        if self.chance(0.5):
            self.set_flags((self.st.eflags & ~(AF | CF)) | self.rng.choice((0, AF, CF, AF | CF)))
        self.uclass = "daa_das" if op in (0x27, 0x2F) else "aaa_aas"
        return bytes([op])

    def t_aam_aad(self) -> bytes:
        op = self.rng.choice((0xD4, 0xD5))
        base = 10 if self.chance(0.6) else self.rng.randrange(256)
        if base == 0 and op == 0xD4:
            if self.exceptions and self.chance(0.5):
                self.expect = 0
            else:
                base = 7
        self.uclass = "aam_aad"
        return bytes([op, base])

    def t_pusha(self) -> bytes:
        self.osize()
        return bytes([self.rng.choice((0x60, 0x61))])

    def t_bound(self) -> bytes:
        osz = self.osize()
        r = self.rng.randrange(8)
        rm = self.modrm(r, osz, mem=True, access=2 * osz)
        bits = 8 * osz
        v = sx(self.reg(r, osz), bits)
        if self.exceptions and self.chance(0.05):
            lo, hi = (v + 1, v + 100) if self.chance(0.5) else (v - 100, v - 1)
            if not (-(1 << (bits - 1)) <= lo <= hi < (1 << (bits - 1))):
                raise Retry
            self.expect = 5
        else:
            lo = max(-(1 << (bits - 1)), v - self.rng.choice((0, 1, 100, 1 << 20)))
            hi = min((1 << (bits - 1)) - 1, v + self.rng.choice((0, 1, 100, 1 << 20)))
        self.write(self.m[2], lo, osz)
        self.write(self.m[2] + osz, hi, osz)
        return b"\x62" + rm

    def t_push_imm(self) -> bytes:
        osz = self.osize()
        if self.chance(0.5):
            return b"\x68" + self.imm(osz)
        return b"\x6a" + self.imm(1)

    def t_imul3(self) -> bytes:
        osz = self.osize()
        rm = self.modrm(self.rng.randrange(8), osz)
        self.uclass = "mul"
        if self.chance(0.5):
            return b"\x69" + rm + self.imm(osz)
        return b"\x6b" + rm + self.imm(1)

    def t_jcc(self) -> bytes:
        cc = self.rng.randrange(16)
        if self.chance(0.1):  # 2E/3E are branch hints (ignored by a P6), other overrides are ignored
            self.pfx["seg"] = self.rng.choice(SEG_PREFIX)
        if self.chance(0.5):
            osz = self.osize(0.15)
            if not self.fallthrough_ok(2):
                raise Retry
            return bytes([0x70 + cc]) + le(self.rel_target(osz, 1, 2), 1)
        osz = self.osize(0.3)
        n = 2 + osz
        if not self.fallthrough_ok(n):
            raise Retry
        return bytes([0x0F, 0x80 + cc]) + le(self.rel_target(osz, osz, n), osz)

    def t_test_xchg(self) -> bytes:
        opc = self.rng.randrange(0x84, 0x88)
        size = self.osize() if opc & 1 else 1
        rm = self.modrm(self.rng.randrange(8), size)
        if opc < 0x86:
            self.uclass = "logic"
        elif self.m:
            self.lock()
        return bytes([opc]) + rm

    def t_mov(self) -> bytes:
        opc = self.rng.randrange(0x88, 0x8C)
        size = self.osize() if opc & 1 else 1
        return bytes([opc]) + self.modrm(self.rng.randrange(8), size)

    def t_mov_from_sreg(self) -> bytes:
        self.osize()
        return b"\x8c" + self.modrm(self.rng.randrange(6), 2)

    def t_mov_to_sreg(self) -> bytes:
        self.osize(0.15)
        s = self.rng.choice((ES, SS, DS, FS, GS))
        rm = self.modrm(s, 2)
        if self.chance(0.85):
            self.set_rm(2, self.good_seg())
        return b"\x8e" + rm

    def t_lea(self) -> bytes:
        self.osize()
        return b"\x8d" + self.modrm(self.rng.randrange(8), 2, mem=True, no_access=True)

    def t_pop_rm(self) -> bytes:
        osz = self.osize()
        mask = 0xFFFF if self.mode == 16 else 0xFFFFFFFF
        esp = self.st.regs[ESP]
        new = (esp & ~mask) | ((esp + osz) & mask)  # the address uses ESP after the pop (SDM POP)
        return b"\x8f" + self.modrm(0, osz, adj={ESP: new})

    def t_xchg_acc(self) -> bytes:
        self.osize()
        return bytes([0x90 + self.rng.randrange(1, 8)])

    def t_convert(self) -> bytes:
        self.osize()
        return bytes([self.rng.choice((0x98, 0x99))])

    def t_flags_misc(self) -> bytes:
        return bytes([self.rng.choice((0x9E, 0x9F, 0xF5, 0xF8, 0xF9, 0xFA, 0xFB, 0xFC, 0xFD))])

    def t_pushf_popf(self) -> bytes:
        osz = self.osize()
        if self.chance(0.5):
            return b"\x9c"
        v = self.read(self.stack_lin(), osz)
        if v & TF or self.chance(0.5):
            v = self.rng.getrandbits(8 * osz) & ~TF
            self.write(self.stack_lin(), v, osz)
        return b"\x9d"

    def t_moffs(self) -> bytes:
        opc = self.rng.randrange(0xA0, 0xA4)
        size = self.osize() if opc & 1 else 1
        asz = self.asize()
        seg = self.segover(DS)
        for _ in range(20):
            ea = self.target(size, asz)
            if self.ea_ok(ea, size, asz, seg):
                self.m = (seg, ea, self.seg_base(seg) + ea, size)
                return bytes([opc]) + le(ea, asz)
        raise Retry

    def t_string(self) -> bytes:
        opc = self.rng.choice((0xA4, 0xA5, 0xA6, 0xA7, 0xAA, 0xAB, 0xAC, 0xAD, 0xAE, 0xAF))
        size = self.osize() if opc & 1 else 1
        asz = self.asize()
        amask = 0xFFFF if asz == 2 else 0xFFFFFFFF
        kind = opc & 0xFE
        src_seg = self.segover(DS) if kind in (0xA4, 0xA6, 0xAC) else DS
        if kind not in (0xA4, 0xA6, 0xAC) and self.chance(0.1):
            self.segover(DS)  # an override on STOS/SCAS is ignored (ES:DI cannot be overridden)
        reps = self.chance(0.6)
        if reps:
            self.pfx["rep"] = self.rng.choice((0xF3, 0xF2)) if kind in (0xA6, 0xAE) else 0xF3
            self.rep = True
            count = self.reg(ECX, asz) if asz == 2 else self.st.regs[ECX]
            if count > 40 or self.chance(0.3):
                count = self.rng.choice((0, 1, 2, 3, self.rng.randrange(4, 33)))
                self.set_reg(ECX, asz, count)
            self.locked.add(ECX)
        else:
            count = 1
        n = max(count, 1) * size
        down = bool(self.st.eflags & DF)
        lo_ok = 0 if self.mode == 16 else W.LO32
        hi_ok = 0x10000 if (self.mode == 16 or asz == 2) else W.WORLD_END
        for r, seg in ((ESI, src_seg), (EDI, ES)):
            uses = (kind in (0xA4, 0xA6, 0xAC)) if r == ESI else (kind != 0xAC)
            if not uses:
                continue
            p = self.st.regs[r] & amask
            lo, hi = (p - n + size, p + size) if down else (p, p + n)

            def fits(lo, hi, seg=seg):
                if lo < lo_ok or hi > hi_ok:
                    return False
                lin = self.seg_base(seg) + lo
                code = self.code_lin()
                return lin + (hi - lo) <= code - 8 or lin >= code + 24
            if not fits(lo, hi) or self.chance(0.1):
                for _ in range(30):
                    t = self.target(n, asz)
                    p = t + n - size if down else t
                    if fits(t, t + n):
                        break
                else:
                    raise Retry
                self.set_reg(r, asz, p)
            self.locked.add(r)
        if kind in (0xA6, 0xAE):
            self.uclass = None
        return bytes([opc])

    def t_test_acc(self) -> bytes:
        w = self.rng.randrange(2)
        size = self.osize() if w else 1
        self.uclass = "logic"
        return bytes([0xA8 + w]) + self.imm(size)

    def t_mov_imm(self) -> bytes:
        r = self.rng.randrange(8)
        if self.chance(0.35):
            return bytes([0xB0 + r]) + self.imm(1)
        if self.chance(0.3):
            size = self.osize()
            opc = self.rng.choice((0xC6, 0xC7))
            if opc == 0xC6:
                size = 1
            return bytes([opc]) + self.modrm(0, size) + self.imm(size)
        return bytes([0xB8 + r]) + self.imm(self.osize())

    _SHIFT_KINDS = ("rol", "ror", "rcl", "rcr", "shl", "shr", None, "sar")

    def t_shift(self) -> bytes:
        op = self.rng.choice((0, 1, 2, 3, 4, 5, 7))
        w = self.rng.randrange(2)
        size = self.osize() if w else 1
        form = self.rng.choice(("1", "cl", "ib"))
        if form == "cl":  # set CL before the address is chosen: ECX may be an address register
            if self.chance(0.4):
                self.set_reg(ECX, 1, self.rng.choice((0, 1, 2, 7, 8, 9, 15, 16, 17, 31, 32, 33, 0xFF,
                                                      self.rng.getrandbits(8))))
            self.locked.add(ECX)
        rm = self.modrm(op, size)
        if form == "1":
            count = 1
            code = bytes([0xD0 + w]) + rm
        elif form == "cl":
            count = self.reg(ECX, 1)
            code = bytes([0xD2 + w]) + rm
        else:
            count = self.rng.choice((0, 1, 2, 7, 8, 9, 15, 16, 17, 31, 32, 33, 0xFF, self.rng.getrandbits(8)))
            code = bytes([0xC0 + w]) + rm + bytes([count])
        self.uclass = shift_class(self._SHIFT_KINDS[op], count & 31, size * 8)
        return code

    def t_ret_near(self) -> bytes:
        osz = self.osize(0.2)
        self.write(self.stack_lin(), self.code_target(osz), osz)
        if self.chance(0.3):
            return b"\xc2" + le(self.rng.choice((0, 2, 4, 6, 8, 0x10, self.rng.getrandbits(8))), 2)
        return b"\xc3"

    def t_ret_far(self) -> bytes:
        osz = self.osize(0.2)
        cs = self.good_seg()
        self.write(self.stack_lin(), self.code_target(osz, cs), osz)
        self.write(self.stack_lin(osz), cs | (self.rng.getrandbits(16) << 16), osz)
        if self.chance(0.3):
            return b"\xca" + le(self.rng.choice((0, 2, 4, 6, 8, self.rng.getrandbits(8))), 2)
        return b"\xcb"

    def t_iret(self) -> bytes:
        osz = self.osize(0.2)
        cs = self.good_seg()
        self.write(self.stack_lin(), self.code_target(osz, cs), osz)
        self.write(self.stack_lin(osz), cs | (self.rng.getrandbits(16) << 16), osz)
        self.write(self.stack_lin(2 * osz), self.rng.getrandbits(8 * osz) & ~TF, osz)
        return b"\xcf"

    def t_lxs(self) -> bytes:
        osz = self.osize()
        opc = self.rng.choice((0xC4, 0xC5))
        rm = self.modrm(self.rng.randrange(8), osz, mem=True, access=osz + 2)
        if self.chance(0.9):
            self.write(self.m[2] + osz, self.good_seg(), 2)
        return bytes([opc]) + rm

    def t_lxs_0f(self) -> bytes:
        osz = self.osize()
        opc = self.rng.choice((0xB2, 0xB4, 0xB5))
        rm = self.modrm(self.rng.randrange(8), osz, mem=True, access=osz + 2)
        if self.chance(0.9):
            self.write(self.m[2] + osz, self.good_seg(), 2)
        return bytes([0x0F, opc]) + rm

    def t_enter_leave(self) -> bytes:
        self.osize(0.25)
        if self.mode == 16:
            lo, hi = W.SP16[0] + 0x100, W.SP16[1]
            bp = self.st.regs[EBP] & 0xFFFF
            size_bp = 2
        else:
            lo, hi = W.STACK32[0] + 0x100, W.STACK32[1]
            bp = self.st.regs[EBP]
            size_bp = 4
        if not lo <= bp <= hi:
            bp = self.rng.randrange(lo, hi)
            if self.mode == 32 and abs(bp - self.code_lin()) < 0x300:
                raise Retry
            self.set_reg(EBP, size_bp, bp)
        if self.chance(0.5):
            return b"\xc9"
        level = self.rng.choice((0, 0, 1, 2, 3, self.rng.randrange(32), self.rng.randrange(32, 256)))
        size = self.rng.choice((0, 2, 4, 8, 0x20, 0x101, self.rng.randrange(0x200)))
        return b"\xc8" + le(size, 2) + bytes([level])

    def t_xlat(self) -> bytes:
        asz = self.asize()
        seg = self.segover(DS)
        al = self.reg(EAX, 1)
        ebx = self.reg(EBX, asz)
        ea = (ebx + al) & (0xFFFF if asz == 2 else 0xFFFFFFFF)
        if not self.ea_ok(ea, 1, asz, seg):
            for _ in range(20):
                t = self.target(1, asz)
                if t - al >= 0 and self.ea_ok(t, 1, asz, seg):
                    self.set_reg(EBX, asz, t - al)
                    break
            else:
                raise Retry
        return b"\xd7"

    def t_loop(self) -> bytes:
        opc = self.rng.choice((0xE0, 0xE1, 0xE2, 0xE3))
        osz = self.osize(0.15)
        asz = self.asize(0.3)
        if self.chance(0.3):
            self.set_reg(ECX, asz, self.rng.choice((0, 1, 2)))
        if not self.fallthrough_ok(2):
            raise Retry
        return bytes([opc]) + le(self.rel_target(osz, 1, 2), 1)

    def t_call_jmp_rel(self) -> bytes:
        opc = self.rng.choice((0xE8, 0xE9, 0xEB))
        osz = self.osize(0.2)
        if opc == 0xEB:
            return b"\xeb" + le(self.rel_target(osz, 1, 2), 1)
        return bytes([opc]) + le(self.rel_target(osz, osz, 1 + osz), osz)

    def t_far_direct(self) -> bytes:
        osz = self.osize(0.2)
        opc = self.rng.choice((0x9A, 0xEA))
        cs = self.good_seg()
        return bytes([opc]) + le(self.code_target(osz, cs), osz) + le(cs, 2)

    def t_group3(self) -> bytes:
        op = self.rng.choice((0, 2, 3))
        w = self.rng.randrange(2)
        size = self.osize() if w else 1
        rm = self.modrm(op, size)
        if op == 0:
            self.uclass = "logic"
            return bytes([0xF6 + w]) + rm + self.imm(size)
        if self.m:
            self.lock()
        return bytes([0xF6 + w]) + rm

    def t_muldiv(self) -> bytes:
        op = self.rng.choice((4, 5, 6, 7))
        w = self.rng.randrange(2)
        size = self.osize() if w else 1
        rm = self.modrm(op, size)
        if op < 6:
            self.uclass = "mul"
            return bytes([0xF6 + w]) + rm
        self.uclass = "div"
        8 * size
        signed = op == 7
        if self.rm is not None and self.rm in ((EAX, 4) if size == 1 else (EAX, EDX)) and self.chance(0.7):
            raise Retry  # dividing by a part of the dividend mostly overflows; keep it rare
        if self.divides(size, signed) is None:
            if self.exceptions and self.chance(0.1):
                self.expect = 0
            else:
                self.fix_division(size, signed)
        return bytes([0xF6 + w]) + rm

    def dividend(self, size: int) -> int:
        if size == 1:
            return self.reg(EAX, 2)
        return (self.reg(EDX, size) << (8 * size)) | self.reg(EAX, size)

    def divides(self, size: int, signed: bool):
        """(quotient, remainder) of the division as the CPU would do it, or None if it raises #DE."""
        bits = 8 * size
        d = self.rm_value(size)
        n = self.dividend(size)
        if signed:
            d, n = sx(d, bits), sx(n, 2 * bits)
        if d == 0:
            return None
        q = abs(n) // abs(d)
        if (n < 0) != (d < 0):
            q = -q
        r = n - q * d
        if signed:
            if not -(1 << (bits - 1)) <= q < (1 << (bits - 1)):
                return None
        elif q >= (1 << bits):
            return None
        return q, r

    def fix_division(self, size: int, signed: bool) -> None:
        """Fixups that make the division not overflow (Retry if that is not possible)."""
        bits = 8 * size
        dividend_regs = {EAX} if size == 1 else {EAX, EDX}
        divisor_in_dividend = self.rm is not None and (self.rm & 3 if size == 1 else self.rm) in dividend_regs
        if dividend_regs & self.addr_regs or divisor_in_dividend or self.chance(0.3):
            # keep the dividend: try divisors large enough for the quotient to fit
            if divisor_in_dividend:
                raise Retry
            for _ in range(12):
                self.set_rm(size, self.rng.getrandbits(bits) | 1)
                if self.divides(size, signed) is not None:
                    return
            raise Retry
        d = self.rm_value(size)
        if d == 0 or self.chance(0.3):
            d = self.rng.choice((1, 2, 3, 7, 10, 0xFF, (1 << bits) - 1, (1 << (bits - 1)),
                                 self.rng.getrandbits(bits) | 1))
            self.set_rm(size, d)
            d = self.rm_value(size)
        if d == 0:
            raise Retry
        ds = sx(d, bits) if signed else d
        if signed:
            q = self.rng.randrange(-(1 << (bits - 1)), 1 << (bits - 1))
            r = self.rng.randrange(0, abs(ds))
            n = q * ds
            n = n + r if n >= 0 else n - r
            if n == 0 and r:
                n = r
        else:
            q = self.rng.randrange(0, 1 << bits)
            n = q * ds + self.rng.randrange(0, ds)
        n &= (1 << (2 * bits)) - 1
        if size == 1:
            self.set_reg(EAX, 2, n)
        else:
            self.set_reg(EAX, size, n & ((1 << bits) - 1))
            self.set_reg(EDX, size, n >> bits)
        if self.divides(size, signed) is None:
            raise Retry

    def t_incdec_rm(self) -> bytes:
        w = self.rng.randrange(2)
        size = self.osize() if w else 1
        rm = self.modrm(self.rng.randrange(2), size)
        if self.m:
            self.lock()
        return bytes([0xFE + w]) + rm

    def t_call_jmp_ind(self) -> bytes:
        osz = self.osize(0.2)
        op = self.rng.choice((2, 4))
        rm = self.modrm(op, osz)
        if self.rm == ESP:
            raise Retry
        self.set_rm(osz, self.code_target(osz))
        return b"\xff" + rm

    def t_far_indirect(self) -> bytes:
        osz = self.osize(0.2)
        op = self.rng.choice((3, 5))
        rm = self.modrm(op, osz, mem=True, access=osz + 2)
        cs = self.good_seg()
        self.write(self.m[2], self.code_target(osz, cs), osz)
        self.write(self.m[2] + osz, cs, 2)
        return b"\xff" + rm

    def t_push_rm(self) -> bytes:
        osz = self.osize()
        return b"\xff" + self.modrm(6, osz)

    # -- 0F page
    def t_cmov(self) -> bytes:
        osz = self.osize()
        return bytes([0x0F, 0x40 + self.rng.randrange(16)]) + self.modrm(self.rng.randrange(8), osz)

    def t_setcc(self) -> bytes:
        return bytes([0x0F, 0x90 + self.rng.randrange(16)]) + self.modrm(self.rng.randrange(8), 1)

    def t_bt(self) -> bytes:
        op = self.rng.randrange(4)  # BT BTS BTR BTC
        osz = self.osize()
        bits = 8 * osz
        self.uclass = "bt"
        if self.chance(0.4):  # Ev, Ib
            rm = self.modrm(4 + op, osz)
            if self.m and op:
                self.lock()
            return b"\x0f\xba" + rm + bytes([self.rng.getrandbits(8)])
        r = self.rng.randrange(8)
        if self.chance(0.5):
            rm = self.modrm(r, osz, mem=False)
        else:
            # memory form: the bit offset in the register selects a word/dword away from the EA
            if r == ESP:
                raise Retry
            off = sx(self.reg(r, osz), bits)
            if abs(off) > 0x2000 or self.chance(0.3):
                off = self.rng.randrange(-0x800, 0x800)
                self.set_reg(r, osz, off)
            self.locked.add(r)
            delta = osz * (off // bits)
            rm = self.modrm(r, osz, mem=True, delta=delta)
            if op:
                self.lock()
        return bytes([0x0F, (0xA3, 0xAB, 0xB3, 0xBB)[op]]) + rm

    def t_shld(self) -> bytes:
        right = self.chance(0.5)
        osz = self.osize()
        r = self.rng.randrange(8)
        maxc = 16 if osz == 2 else 31
        if self.chance(0.5):
            rm = self.modrm(r, osz)
            c = self.rng.choice((0, 1, 2, 8, 15, maxc, self.rng.randrange(maxc + 1)))
            c |= self.rng.choice((0, 0, 0x20, 0x40, 0xE0))
            code = bytes([0x0F, 0xAC if right else 0xA4]) + rm + bytes([c])
        else:
            c = self.reg(ECX, 1)
            if (c & 31) > maxc:
                c = self.rng.randrange(maxc + 1) | self.rng.choice((0, 0x20, 0xE0))
                self.set_reg(ECX, 1, c)
            self.locked.add(ECX)
            rm = self.modrm(r, osz)
            code = bytes([0x0F, 0xAD if right else 0xA5]) + rm
        self.uclass = shift_class("shrd" if right else "shld", c & 31, 8 * osz)
        return code

    def t_imul2(self) -> bytes:
        osz = self.osize()
        self.uclass = "mul"
        return b"\x0f\xaf" + self.modrm(self.rng.randrange(8), osz)

    def t_cmpxchg(self) -> bytes:
        w = self.rng.randrange(2)
        size = self.osize() if w else 1
        rm = self.modrm(self.rng.randrange(8), size)
        if self.m:
            self.lock()
        if self.chance(0.4):  # make the comparison succeed
            self.set_reg(EAX, size, self.rm_value(size))
        return bytes([0x0F, 0xB0 + w]) + rm

    def t_cmpxchg8b(self) -> bytes:
        rm = self.modrm(1, 8, mem=True)
        self.lock()
        if self.chance(0.4):
            v = self.mem_value(8)
            self.set_reg(EAX, 4, v)
            self.set_reg(EDX, 4, v >> 32)
        return b"\x0f\xc7" + rm

    def t_movx(self) -> bytes:
        opc = self.rng.choice((0xB6, 0xB7, 0xBE, 0xBF))
        self.osize()
        return bytes([0x0F, opc]) + self.modrm(self.rng.randrange(8), 1 if opc in (0xB6, 0xBE) else 2)

    def t_bsf(self) -> bytes:
        osz = self.osize()
        rm = self.modrm(self.rng.randrange(8), osz)
        if self.chance(0.15):
            self.set_rm(osz, 0)
        elif self.chance(0.2):
            self.set_rm(osz, 1 << self.rng.randrange(8 * osz))
        self.uclass = "bsf_bsr"
        return bytes([0x0F, self.rng.choice((0xBC, 0xBD))]) + rm

    def t_xadd(self) -> bytes:
        w = self.rng.randrange(2)
        size = self.osize() if w else 1
        rm = self.modrm(self.rng.randrange(8), size)
        if self.m:
            self.lock()
        return bytes([0x0F, 0xC0 + w]) + rm

    def t_bswap(self) -> bytes:
        if self.mode == 16:
            self.pfx["osz"] = 0x66  # only the 32-bit form is defined
        return bytes([0x0F, 0xC8 + self.rng.randrange(8)])

    def t_nop(self) -> bytes:
        self.osize()
        return bytes([self.rng.choice((0x90, 0x9B))])

    # -- software interrupts and invalid opcodes (real mode only: Unicorn reports, our core delivers)
    def t_int(self) -> bytes:
        form = self.rng.choice(("int", "int3", "into"))
        self.trap = True
        if form == "int":
            n = self.rng.getrandbits(8)
            self.expect = n
            return bytes([0xCD, n])
        if form == "int3":
            self.expect = 3
            return b"\xcc"
        if self.chance(0.5):
            self.set_flags(self.st.eflags | OF)
        if self.st.eflags & OF:
            self.expect = 4
        else:
            self.trap = False  # INTO with OF clear does nothing
        return b"\xce"

    def t_invalid(self) -> bytes:
        """Opcodes that raise #UD on a P6 in real mode (SDM Vol. 2: each page's Real-Address Mode
        Exceptions; UD2 is defined to raise it)."""
        self.expect = 6
        form = self.rng.randrange(6)
        modrm_reg = bytes([0xC0 | (self.rng.randrange(8) << 3) | self.rng.randrange(8)])
        if form == 0:
            return b"\x0f\x0b"                                   # UD2
        if form == 1:  # LOCK on a register destination (SDM Vol. 2A, LOCK)
            # ADD OR ADC SBB AND SUB only: Unicorn executes LOCK XOR with a register destination
            # without raising #UD, so it cannot judge that form
            self.pfx["lock"] = 0xF0
            return bytes([self.rng.randrange(6) * 8 + self.rng.randrange(2)]) + modrm_reg
        if form == 2:
            return b"\x8e" + bytes([0xC8 | self.rng.randrange(8)])  # MOV CS, r16
        if form == 3:
            return b"\x63" + modrm_reg                            # ARPL (not recognised in real mode)
        if form == 4:
            return bytes([0x0F, self.rng.choice((0x02, 0x03))]) + modrm_reg  # LAR/LSL
        # SLDT, STR, LLDT, LTR, VERR, VERW: not recognised in real mode
        return b"\x0f\x00" + bytes([0xC0 | (self.rng.randrange(6) << 3) | self.rng.randrange(8)])
