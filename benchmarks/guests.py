"""Benchmark guest programs: assemble them and load them into a :class:`CPU`.

The sources are Intel-syntax assembly in ``benchmarks/guests/<name>.asm``,
assembled with keystone when first asked for.  Each program is a loop nest
ending in HLT whose executed-instruction count is known exactly (derived in
the header comment of each ``.asm`` file)::

    instructions = fixed + per_outer * outer

where ``outer`` is the outer iteration count the loader stores in guest memory,
so the program length is chosen at load time without re-assembling.  A
``REP MOVSB`` counts one instruction per iteration, as ``cpu.icount`` does.

Usable from tests as well::

    sys.path.insert(0, str(repo_root))          # if the repo root is not on sys.path
    from benchmarks.guests import load_mix
    expected = load_mix(cpu, "mix32", outer=3)  # returns the instruction count
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from pathlib import Path

GUEST_DIR = Path(__file__).resolve().parent / "guests"

# Default size of one benchmark run: about 0.6 s at 100 MIPS.
DEFAULT_INSTRUCTIONS = 60_000_000


@dataclass(frozen=True)
class Mix:
    """Where a guest program is loaded and how many instructions it executes."""

    name: str
    bits: int            # 16: real mode, 32: flat 32-bit (cpu.set_flat32())
    code_addr: int       # physical (= linear) address of the first instruction
    data_addr: int       # physical address of the data area (counters at +0, +2/+4)
    fixed: int           # instructions outside the outer loop (prologue + HLT)
    per_outer: int       # instructions per outer iteration
    max_outer: int       # the outer counter is a word (16-bit) or a dword (32-bit)

    def instructions(self, outer: int) -> int:
        """Exact number of instructions executed (HLT included) for ``outer`` iterations."""
        return self.fixed + self.per_outer * outer

    def outer_for(self, instructions: int) -> int:
        """The outer iteration count whose run comes closest to ``instructions``."""
        return max(1, min(self.max_outer, round((instructions - self.fixed) / self.per_outer)))


MIXES = {
    # Real mode: CS=1000h (code at 10000h), DS=2000h, ES=3000h, SS=4000h, SP=FFFEh.
    # 5 + 4259 * outer  (see mix16.asm)
    "mix16": Mix("mix16", 16, code_addr=0x10000, data_addr=0x20000,
                 fixed=5, per_outer=4259, max_outer=0xFFFF),
    # Flat 32-bit: code at 100000h, data at 110000h, copy target 118000h, ESP=180000h.
    # 6 + 5987 * outer  (see mix32.asm)
    "mix32": Mix("mix32", 32, code_addr=0x100000, data_addr=0x110000,
                 fixed=6, per_outer=5987, max_outer=0xFFFFFFFF),
}

# 16-bit layout (segment values; the linear addresses follow as seg * 16)
_CS16, _DS16, _ES16, _SS16, _SP16 = 0x1000, 0x2000, 0x3000, 0x4000, 0xFFFE
# 32-bit layout
_DEST32, _STACK32 = 0x118000, 0x180000

# Initial contents of the scratch words (data + 10h), so the arithmetic is not all zeros.
_SCRATCH = bytes((i * 37 + 11) & 0xFF for i in range(32))


def source(name: str) -> str:
    """The assembly source text of guest ``name``."""
    return (GUEST_DIR / f"{name}.asm").read_text()


def _strip_comments(text: str) -> str:
    # keystone reads ';' as a statement separator, so comments are removed first
    return "\n".join(line.split(";", 1)[0].rstrip() for line in text.splitlines())


@functools.cache
def assemble(name: str) -> bytes:
    """Machine code of guest ``name``, assembled with keystone for its load address."""
    import keystone

    mix = MIXES[name]
    mode = keystone.KS_MODE_16 if mix.bits == 16 else keystone.KS_MODE_32
    ks = keystone.Ks(keystone.KS_ARCH_X86, mode)
    # 16-bit code is assembled at IP 0 of its code segment, 32-bit at its linear address.
    origin = 0 if mix.bits == 16 else mix.code_addr
    encoding, _ = ks.asm(_strip_comments(source(name)), origin)
    if not encoding:
        raise RuntimeError(f"keystone produced no code for {name}")
    return bytes(encoding)


def instruction_count(name: str, outer: int) -> int:
    """Exact instruction count of guest ``name`` run with ``outer`` outer iterations."""
    return MIXES[name].instructions(outer)


def initial_memory(name: str, outer: int) -> list[tuple[int, bytes]]:
    """(physical address, bytes) pieces that make up the guest's initial memory image."""
    mix = MIXES[name]
    code = assemble(name)
    width = 2 if mix.bits == 16 else 4
    if not 1 <= outer <= mix.max_outer:
        raise ValueError(f"{name}: outer must be in 1..{mix.max_outer}, not {outer}")
    data = bytearray(0x1000)
    data[0:width] = outer.to_bytes(width, "little")
    data[0x10:0x10 + len(_SCRATCH)] = _SCRATCH
    pieces = [(mix.code_addr, code), (mix.data_addr, bytes(data))]
    if mix.bits == 16:
        pieces.append(((_ES16 << 4), bytes(0x1000)))                  # copy destination
        pieces.append(((_SS16 << 4), bytes(0x1000)))                  # BP-addressed words
        pieces.append(((_SS16 << 4) + 0xF000, bytes(0x1000)))         # top of the stack
    else:
        pieces.append((_DEST32, bytes(0x1000)))
        pieces.append((_STACK32 - 0x1000, bytes(0x1000)))
    return pieces


def initial_registers(name: str) -> dict[str, int]:
    """Register values (``cpu[name] = value`` names) the guest starts with."""
    mix = MIXES[name]
    if mix.bits == 16:
        return {"cs": _CS16, "ds": _DS16, "es": _ES16, "ss": _SS16, "fs": 0, "gs": 0,
                "esp": _SP16, "eip": 0, "eflags": 0x2}
    return {"eip": mix.code_addr, "esp": _STACK32, "esi": mix.data_addr, "edi": _DEST32,
            "eflags": 0x2}


def load_mix(cpu, name: str, outer: int | None = None, instructions: int | None = None) -> int:
    """Reset ``cpu``, place guest ``name`` with its data and registers; return its instruction count.

    ``outer`` gives the outer iteration count directly; otherwise it is chosen so
    the run is close to ``instructions`` (default :data:`DEFAULT_INSTRUCTIONS`).
    The run ends with HLT after exactly the returned number of instructions.
    """
    mix = MIXES[name]
    if outer is None:
        outer = mix.outer_for(instructions or DEFAULT_INSTRUCTIONS)
    cpu.reset()
    for addr, blob in initial_memory(name, outer):
        cpu.write_phys(addr, blob)
    for reg in ("eax", "ecx", "edx", "ebx", "esp", "ebp", "esi", "edi"):
        cpu[reg] = 0
    if mix.bits == 32:
        cpu.set_flat32()
    for reg, value in initial_registers(name).items():
        cpu[reg] = value
    return mix.instructions(outer)


def reference_run(name: str, outer: int) -> dict:
    """Run guest ``name`` in Unicorn (if installed) and return what it did.

    The result has ``instructions`` (counted with a UC_HOOK_CODE hook),
    ``regs`` (the eight general registers and ``eip`` after the HLT) and
    ``memory`` (the final contents of every piece of :func:`initial_memory`).
    Unicorn (QEMU underneath) calls the code hook once more for a REP string
    instruction whose count runs out -- N + 1 calls for a count of N > 0, one
    for a count of 0 -- so a repeated call at the same address with CX/ECX = 0
    is not counted, which gives pyx86's rule of one instruction per iteration.
    """
    import unicorn as uc_mod
    from unicorn import x86_const as X

    mix = MIXES[name]
    uc = uc_mod.Uc(uc_mod.UC_ARCH_X86, uc_mod.UC_MODE_16 if mix.bits == 16 else uc_mod.UC_MODE_32)
    uc.mem_map(0, 16 << 20)
    pieces = initial_memory(name, outer)
    for addr, blob in pieces:
        uc.mem_write(addr, blob)
    regs = initial_registers(name)
    for reg, value in regs.items():
        if reg not in ("eip", "eflags"):
            uc.reg_write(getattr(X, "UC_X86_REG_" + reg.upper()), value)
    count_mask = 0xFFFF if mix.bits == 16 else 0xFFFFFFFF
    state = {"n": 0, "prev": -1}

    def on_code(uc, addr, size, _):
        if addr == state["prev"] and uc.reg_read(X.UC_X86_REG_ECX) & count_mask == 0:
            return  # the extra call after the last REP iteration
        state["prev"] = addr
        state["n"] += 1

    uc.hook_add(uc_mod.UC_HOOK_CODE, on_code)
    start = 0 if mix.bits == 16 else mix.code_addr    # 16-bit: IP inside CS
    end = len(assemble(name)) + start                 # never reached: HLT stops first
    uc.emu_start(start, end, count=2 * mix.instructions(outer) + 1000)
    names = ("eax", "ecx", "edx", "ebx", "esp", "ebp", "esi", "edi", "eip")
    return {
        "instructions": state["n"],
        "regs": {r: uc.reg_read(getattr(X, "UC_X86_REG_" + r.upper())) for r in names},
        "memory": [(addr, bytes(uc.mem_read(addr, len(blob)))) for addr, blob in pieces],
    }
