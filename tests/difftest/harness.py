"""Run a generated instruction stream on Unicorn and on our core, comparing after each instruction.

Compared after every instruction: the eight general registers, EIP, the six
segment selectors, EFLAGS (less the flags undefined for the instruction's
class) and every byte of the world memory (Unicorn's writes are also
recorded through ``UC_HOOK_MEM_WRITE`` for the report).  All mapped memory is
compared every ``FULL_COMPARE_EVERY`` instructions and at the end, which
catches a stray write outside the world.

A REP string instruction is compared once, when EIP has left it, however many
iterations each side needed to get there.

Exceptions: Unicorn reports a CPU exception through ``UC_HOOK_INTR`` instead of
delivering it; our core delivers it through the interrupt vector table, whose
entries all point at ``world.MARKER_CS:vector``.  An instruction the generator
marked with ``expect`` must raise that vector on both sides, and our core must
have pushed the real-mode frame (FLAGS, CS, IP of the faulting instruction).
Both sides then continue at the next instruction, as if the handler returned.
"""

from __future__ import annotations

import random
import time
from dataclasses import dataclass, field

import numpy as np

from . import world as W
from .generator import FLAGS_RANDOM, Generator, Insn, State
from .known_differences import explain
from .reference import Reference
from .undefined_flags import undefined_mask

NAMES = ("eax", "ecx", "edx", "ebx", "esp", "ebp", "esi", "edi", "eip", "eflags",
         "es", "cs", "ss", "ds", "fs", "gs")
I_EIP, I_EFLAGS, I_ES = 8, 9, 10
I_CS, I_SS = 11, 12
VEC_UD = 6
PAD = b"\xeb\xfe"       # JMP $: ends Unicorn's translation block (see Generator.pad)
PAD_ARRAY = np.frombuffer(PAD, dtype=np.uint8)
FULL_COMPARE_EVERY = 512
FLAG_NAMES = ((0x1, "CF"), (0x4, "PF"), (0x10, "AF"), (0x40, "ZF"), (0x80, "SF"), (0x100, "TF"),
              (0x200, "IF"), (0x400, "DF"), (0x800, "OF"), (0x3000, "IOPL"), (0x4000, "NT"),
              (0x10000, "RF"), (0x20000, "VM"), (0x40000, "AC"), (0x80000, "VIF"),
              (0x100000, "VIP"), (0x200000, "ID"))


def flag_text(mask: int) -> str:
    return " ".join(n for b, n in FLAG_NAMES if mask & b) or "-"


_CS = {}


def disasm(code: bytes, mode: int, mnemonic_only: bool = False) -> str:
    """Capstone's reading of ``code`` (first instruction)."""
    try:
        import capstone
    except ImportError:  # pragma: no cover
        return "?"
    if mode not in _CS:
        cs_mode = capstone.CS_MODE_16 if mode == 16 else capstone.CS_MODE_32
        _CS[mode] = capstone.Cs(capstone.CS_ARCH_X86, cs_mode)
    for ins in _CS[mode].disasm(code, 0):
        if mnemonic_only:
            return ins.mnemonic
        text = f"{ins.mnemonic} {ins.op_str}".strip()
        if ins.size != len(code):
            text += f"  (capstone decodes {ins.size} of {len(code)} bytes)"
        return text
    return "(capstone cannot decode)"


@dataclass
class Mismatch:
    """One instruction whose results differ."""

    mode: int
    seed: int
    index: int                  # instruction number in the stream (0-based)
    insn: Insn
    before: list[int]           # register slots (NAMES order) after fixups, before the instruction
    ref: list[int]
    core: list[int]
    fields: dict[str, tuple[int, int]]        # name -> (core, unicorn)
    mem: list[tuple[int, int, int]]           # (linear, core byte, unicorn byte)
    writes: list[tuple[int, int, int]]        # Unicorn's memory writes (addr, size, value)
    problem: str = ""           # exception / exit / error text, if any
    explained: str | None = None

    @property
    def disasm(self) -> str:
        return disasm(self.insn.code, self.mode)

    def signature(self) -> str:
        """A short class key: mnemonic plus what differs."""
        name = disasm(self.insn.code, self.mode, True)
        if "capstone" in name:
            name = f"{self.insn.kind} (undecodable)"
        if self.problem:
            return f"{name}: {self.problem.split(';')[0]}"
        what = sorted(self.fields)
        if "eflags" in self.fields:
            c, u = self.fields["eflags"]
            what[what.index("eflags")] = "flags(" + flag_text(c ^ u).replace(" ", ",") + ")"
        if self.mem:
            what.append("memory")
        return f"{name}: {' '.join(what)}"

    def report(self) -> str:
        b = self.before
        lines = [
            f"differential mismatch: mode={self.mode} seed={self.seed} instruction #{self.index}"
            f" (template {self.insn.kind}, undefined-flags class {self.insn.uclass})",
            f"  bytes  : {self.insn.code.hex(' ')}",
            f"  disasm : {self.disasm}",
            f"  at     : CS:EIP {b[I_CS]:04X}:{b[I_EIP]:08X}",
        ]
        if self.insn.expect is not None:
            lines.append(f"  expected exception: vector {self.insn.expect}")
        if self.problem:
            lines.append(f"  problem: {self.problem}")
        regs = " ".join(f"{n.upper()}={b[i]:08X}" for i, n in enumerate(NAMES[:8]))
        segs = " ".join(f"{n.upper()}={b[i]:04X}" for i, n in enumerate(NAMES) if i >= I_ES)
        lines.append(f"  before : {regs}")
        lines.append(f"           {segs} EFLAGS={b[I_EFLAGS]:08X} [{flag_text(b[I_EFLAGS])}]")
        if self.insn.fixups:
            lines.append(f"  fixups : {format_fixups(self.insn.fixups)}")
        for name, (c, u) in self.fields.items():
            extra = ""
            if name == "eflags":
                extra = (f"  differing: {flag_text(c ^ u)}; not compared (undefined): "
                         f"{flag_text(undefined_mask(self.insn.uclass))}")
            lines.append(f"  {name.upper():6} : core={c:08X} unicorn={u:08X}{extra}")
        for lin, c, u in self.mem[:16]:
            lines.append(f"  mem[{lin:05X}] : core={c:02X} unicorn={u:02X}")
        if len(self.mem) > 16:
            lines.append(f"  ... {len(self.mem) - 16} more differing bytes")
        if self.writes:
            writes = ", ".join(f"[{a:05X}]{s}={v:X}" for a, s, v in self.writes[:12])
            lines.append(f"  unicorn writes: {writes}")
        if self.explained:
            lines.append(f"  explained: {self.explained}")
        return "\n".join(lines)


def format_fixups(fixups) -> str:
    out = []
    for f in fixups:
        if f[0] == "reg":
            out.append(f"{NAMES[f[1]]}={f[2]:X}")
        elif f[0] == "seg":
            out.append(f"{NAMES[I_ES + f[1]]}={f[2]:X}")
        elif f[0] == "mem":
            out.append(f"[{f[1]:05X}]={f[2].hex()}")
        else:
            out.append(f"{f[0]}={f[1]:X}")
    return ", ".join(out)


@dataclass
class StreamResult:
    mode: int
    seed: int
    executed: int = 0
    seconds: float = 0.0
    mismatches: list[Mismatch] = field(default_factory=list)    # unexplained
    explained: dict[str, int] = field(default_factory=dict)     # known difference -> count
    exceptions_checked: int = 0
    kinds: dict[str, int] = field(default_factory=dict)


class Core:
    """Our CPU core behind the same small interface as :class:`Reference`."""

    def __init__(self, mode: int) -> None:
        from emulator.cpu import state as S
        from emulator.cpu.cpu import CPU

        self.S = S
        self.cpu = CPU(ram_size=W.MAP_SIZE, model="pentiumpro")
        self.mode = mode
        if mode == 32:
            self.cpu.set_flat32()
        self.st = self.cpu.st
        self.mem = self.cpu.ram[:W.MAP_SIZE]

    def regs(self) -> list[int]:
        st = self.st
        return st[0:10].tolist() + st[self.S.SEL:self.S.SEL + 6].tolist()

    def set_reg(self, i: int, value: int) -> None:
        if i < 10:
            self.st[i] = value  # EIP is slot 8 and EFLAGS slot 9 in both layouts
        elif self.mode == 16:
            self.cpu.load_segment(i - I_ES, value)
        else:
            raise ValueError("segments are fixed in the flat mode")

    def step(self) -> int:
        return self.cpu.step()


class Stream:
    """One seeded stream in one mode; ``core=False`` runs the reference alone (generator check)."""

    def __init__(self, mode: int, seed: int, core: bool = True) -> None:
        self.mode, self.seed = mode, seed
        self.ref = Reference(mode)
        self.core = Core(mode) if core else None
        init = random.Random(seed * 1_000_003 + mode)
        data = np.random.default_rng(seed * 31 + mode).integers(0, 256, W.WORLD_END, dtype=np.uint8)
        data[:0x500] = 0
        data[:0x400] = np.frombuffer(W.ivt_bytes(), dtype=np.uint8)
        self.ref.mem[:W.WORLD_END] = data
        if self.core:
            self.core.mem[:W.WORLD_END] = data
        regs = [init.getrandbits(32) for _ in range(8)]
        flags = (init.getrandbits(32) & FLAGS_RANDOM) | 2
        if mode == 16:
            segs = [init.randrange(W.SEG_MIN, W.SEG_MAX + 1) for _ in range(6)]
            eip = init.randrange(0, W.IP_MAX)
            regs[4] = (regs[4] & 0xFFFF0000) | init.randrange(*W.SP16)
        else:
            segs = [0] * 6
            eip = init.randrange(0x10000, 0x20000)
            regs[4] = init.randrange(*W.STACK32)
        values = regs + [eip, flags] + segs
        for i, v in enumerate(values):
            if i >= I_ES and mode == 32:
                continue
            self.ref.set_reg(i, v)
            if self.core:
                self.core.set_reg(i, v)
        self.gen = Generator(mode, seed, self._read)
        self.ref_view = self.ref.mem[:W.WORLD_END].view(np.uint64)
        if self.core:
            self.core_view = self.core.mem[:W.WORLD_END].view(np.uint64)

    def _read(self, lin: int, n: int) -> bytes:
        return self.ref.mem[lin:lin + n].tobytes()

    # --------------------------------------------------------------- fixups
    def apply(self, fixups, regs: list[int]) -> None:
        ref, core = self.ref, self.core
        for f in fixups:
            kind = f[0]
            if kind == "reg":
                i, v = f[1], f[2]
            elif kind == "seg":
                i, v = I_ES + f[1], f[2]
            elif kind == "eip":
                i, v = I_EIP, f[1]
            elif kind == "flags":
                i, v = I_EFLAGS, f[1]
            else:
                lin, data = f[1], f[2]
                ref.write_mem(lin, data)
                if core:
                    core.mem[lin:lin + len(data)] = np.frombuffer(data, dtype=np.uint8)
                continue
            regs[i] = v
            ref.set_reg(i, v)
            if core:
                core.set_reg(i, v)

    def resync(self) -> None:
        """Make our core's state equal to the reference's (after a reported difference)."""
        if not self.core:
            return
        for i, v in enumerate(self.ref.regs()):
            if i >= I_ES and self.mode == 32:
                continue
            self.core.set_reg(i, v)
        self.core.mem[:] = self.ref.mem

    def adopt_core(self, mm: Mismatch) -> None:
        """After a known Unicorn error: give Unicorn our core's (correct) differing values."""
        for name, (core_value, _) in mm.fields.items():
            self.ref.set_reg(NAMES.index(name), core_value)
        for lin, core_byte, _ in mm.mem:
            self.ref.write_mem(lin, bytes([core_byte]))

    # ------------------------------------------------------------------ run
    def run(self, count: int, stop_at_first: bool = True, check_decode: bool = False) -> StreamResult:
        res = StreamResult(self.mode, self.seed)
        t0 = time.perf_counter()
        ref, core, gen = self.ref, self.core, self.gen
        regs = ref.regs()
        for index in range(count):
            insn = gen.next(State(regs[0:8], regs[I_EIP], regs[I_EFLAGS], regs[I_ES:]))
            self.apply(insn.fixups, regs)
            before = list(regs)
            eip = regs[I_EIP]
            lin = ((regs[I_CS] << 4) if self.mode == 16 else 0) + eip
            code = insn.code
            ref.write_code(lin, code)
            if core:
                core.mem[lin:lin + len(code)] = np.frombuffer(code, dtype=np.uint8)
            for p in insn.pads:
                if p + 2 <= lin or p >= lin + len(code):
                    ref.write_mem(p, PAD)
                    if core:
                        core.mem[p:p + 2] = PAD_ARRAY
            if check_decode and insn.expect != VEC_UD:
                text = disasm(code, self.mode)
                if "capstone" in text:
                    raise AssertionError(f"generated {code.hex(' ')} ({insn.kind}): {text}")
            # --- reference
            ref.writes.clear()
            ref.exception = None
            if insn.expect is not None:
                # QEMU remembers an undelivered contributory exception and would turn the next one
                # into #DF: restore the CPU context saved here once the exception has been seen.
                saved = ref.uc.context_save()
            err = ref.step(lin)
            after = ref.regs()
            if insn.rep:
                n = 0
                while err is None and ref.exception is None and after[I_EIP] == eip and n < 0x10000:
                    err = ref.step(lin)
                    after = ref.regs()
                    n += 1
            if err is not None and "INSN_INVALID" in err:
                err, ref.exception = None, VEC_UD  # Unicorn stops on #UD instead of reporting it
            res.executed += 1
            res.kinds[insn.kind] = res.kinds.get(insn.kind, 0) + 1
            if core is None:
                if err or ref.exception != insn.expect:
                    raise AssertionError(f"reference stopped ({err or f'exception {ref.exception}'}) on "
                                         f"{code.hex(' ')} {disasm(code, self.mode)} ({insn.kind})")
                if insn.expect is not None:
                    ref.uc.context_restore(saved)
                    ref.set_reg(I_EIP, eip + len(code))
                    after = ref.regs()
                regs = after
                continue
            # --- our core
            exit_reason = core.step()
            got = core.regs()
            if insn.rep:
                n = 0
                while exit_reason == 0 and got[I_EIP] == eip and got[I_CS] == before[I_CS] and n < 0x10000:
                    exit_reason = core.step()
                    got = core.regs()
                    n += 1
            mm = self.compare(index, insn, before, after, got, err, exit_reason)
            if insn.expect is not None:
                ref.uc.context_restore(saved)
                if mm is None:  # both raised it: continue after the instruction, as if handled
                    ref.set_reg(I_EIP, eip + len(code))
                    self.resync()
            if mm is None and index % FULL_COMPARE_EVERY == FULL_COMPARE_EVERY - 1:
                mm = self.compare_full(index, insn, before, after, got)
            if mm is not None:
                mm.explained = explain(mm)
                if mm.explained:
                    key = mm.explained.split(":")[0]
                    res.explained[key] = res.explained.get(key, 0) + 1
                    self.adopt_core(mm)
                else:
                    res.mismatches.append(mm)
                    if stop_at_first:
                        break
                    self.resync()
            else:
                if insn.expect is not None:
                    res.exceptions_checked += 1
                elif got[I_EFLAGS] != after[I_EFLAGS]:
                    # only undefined flags differ: carry on with the reference's values so they
                    # cannot show up as a difference of a later instruction
                    core.set_reg(I_EFLAGS, after[I_EFLAGS])
            regs = ref.regs()
        else:
            if core is not None:
                mm = self.compare_full(count - 1, insn, before, regs, core.regs())
                if mm is not None:
                    res.mismatches.append(mm)
        res.seconds = time.perf_counter() - t0
        return res

    # -------------------------------------------------------------- compare
    def compare(self, index, insn, before, after, got, err, exit_reason) -> Mismatch | None:
        ref, _core, S = self.ref, self.core, self.core.S

        def mismatch(problem: str = "", fields=None, mem=None) -> Mismatch:
            return Mismatch(self.mode, self.seed, index, insn, before, after, got, fields or {},
                            mem or [], list(ref.writes), problem)

        core_exc = got[I_CS] == W.MARKER_CS and before[I_CS] != W.MARKER_CS
        core_vec = got[I_EIP] if core_exc else None
        if exit_reason != S.EXIT_BUDGET:
            name = S.EXIT_NAMES[exit_reason] if exit_reason < len(S.EXIT_NAMES) else str(exit_reason)
            return mismatch(f"core: exit {name} ({exit_reason})")
        if err is not None:
            core_did = f"exception {core_vec}" if core_exc else "no exception"
            return mismatch(f"unicorn: {err}; core: {core_did}")
        if insn.expect is not None or ref.exception is not None or core_exc:
            return self.check_exception(insn, before, after, got, ref.exception, core_vec, mismatch)
        return self.compare_state(insn, after, got, mismatch)

    def compare_state(self, insn, after, got, mismatch) -> Mismatch | None:
        if after != got:
            umask = undefined_mask(insn.uclass)
            fields = {}
            for i, (u, c) in enumerate(zip(after, got)):
                if u != c and not (i == I_EFLAGS and not ((u ^ c) & ~umask)):
                    fields[NAMES[i]] = (c, u)
            if fields:
                return mismatch(fields=fields, mem=self.mem_diff(W.WORLD_END))
        if not np.array_equal(self.ref_view, self.core_view):
            return mismatch(mem=self.mem_diff(W.WORLD_END))
        return None

    def compare_full(self, index, insn, before, after, got) -> Mismatch | None:
        if np.array_equal(self.ref.mem, self.core.mem):
            return None
        return Mismatch(self.mode, self.seed, index, insn, before, after, got, {},
                        self.mem_diff(W.MAP_SIZE), list(self.ref.writes),
                        f"memory outside the world differs (found by the full compare after "
                        f"instruction #{index}; written at most {FULL_COMPARE_EVERY} instructions earlier)")

    def mem_diff(self, end: int):
        a, b = self.core.mem[:end], self.ref.mem[:end]
        idx = np.nonzero(a != b)[0]
        return [(int(i), int(a[i]), int(b[i])) for i in idx[:256]]

    def check_exception(self, insn, before, after, got, ref_vec, core_vec, mismatch):
        expect = insn.expect
        if ref_vec != expect or core_vec != expect:
            what = (f"expected exception {expect}; unicorn raised {ref_vec}; core delivered {core_vec}")
            if ref_vec == core_vec:
                what = f"generator: both CPUs raised exception {ref_vec} (invalid instruction generated)"
            fields = {}
            if core_vec is None:
                fields = {NAMES[i]: (c, u) for i, (u, c) in enumerate(zip(after, got)) if u != c}
            return mismatch(what, fields)
        # our core delivered the exception: check what it pushed (real-mode frame, SDM Vol. 3, 20.1.4)
        problems = []
        sp_mask = 0xFFFF if self.mode == 16 else 0xFFFFFFFF
        sp_before = before[4] & sp_mask
        sp_after = got[4] & sp_mask
        if sp_after != (sp_before - 6) & sp_mask:
            problems.append(f"SP after delivery {sp_after:X}, expected {(sp_before - 6) & sp_mask:X}")
        else:
            base = (got[I_SS] << 4) if self.mode == 16 else 0
            frame = self.core.mem[base + sp_after: base + sp_after + 6].tobytes()
            ip, cs, fl = (int.from_bytes(frame[k:k + 2], "little") for k in (0, 2, 4))
            # a fault pushes the address of the instruction, a trap (INT n, INT3, INTO) the next one
            want_ip = (before[I_EIP] + (len(insn.code) if insn.trap else 0)) & 0xFFFF
            if ip != want_ip or cs != before[I_CS] or fl != before[I_EFLAGS] & 0xFFFF:
                problems.append(f"pushed IP:CS:FLAGS {ip:04X}:{cs:04X}:{fl:04X}, expected "
                                f"{want_ip:04X}:{before[I_CS]:04X}:{before[I_EFLAGS] & 0xFFFF:04X}")
        for i in range(8):
            if i != 4 and got[i] != before[i]:
                problems.append(f"{NAMES[i]} changed to {got[i]:X} (was {before[i]:X})")
        if after[I_EIP] != before[I_EIP] and not insn.trap:
            problems.append(f"unicorn EIP {after[I_EIP]:X} is not the faulting instruction")
        if problems:
            return mismatch(f"exception {expect}: " + "; ".join(problems))
        return None
