"""Checks of the benchmark guests themselves (not timed; skipped by --benchmark-only).

* the 16-bit guest really is 16-bit code (no operand/address-size prefixes);
* the analytic instruction count matches an independent count in Unicorn;
* the pyx86 core, once importable, ends each guest with the same registers,
  memory and instruction count as Unicorn.
"""

from __future__ import annotations

import pytest

from benchmarks.guests import MIXES, assemble, initial_memory, load_mix, reference_run

OUTERS = (1, 2, 7)


def test_mix16_has_no_size_prefixes():
    capstone = pytest.importorskip("capstone")
    md = capstone.Cs(capstone.CS_ARCH_X86, capstone.CS_MODE_16)
    code = assemble("mix16")
    size = 0
    for insn in md.disasm(code, 0):
        assert insn.bytes[0] not in (0x66, 0x67), f"{insn.address:#x}: {insn.mnemonic} {insn.op_str}"
        size += insn.size
    assert size == len(code)


@pytest.mark.parametrize("name", sorted(MIXES))
@pytest.mark.parametrize("outer", OUTERS)
def test_count_matches_unicorn(name, outer):
    pytest.importorskip("unicorn")
    assert reference_run(name, outer)["instructions"] == MIXES[name].instructions(outer)


@pytest.mark.parametrize("name", sorted(MIXES))
def test_core_matches_unicorn(name):
    pytest.importorskip("unicorn")
    from benchmarks.test_cpu_mips import check_run, run_to_hlt
    from emulator.cpu.cpu import CPU

    outer = 3
    ref = reference_run(name, outer)
    cpu = CPU(ram_size=16 << 20, model="pentiumpro")
    expected = load_mix(cpu, name, outer=outer)
    reason, retired = run_to_hlt(cpu, expected, 1 << 20)
    check_run(cpu, name, reason, retired, expected)
    got = {r: cpu[r] for r in ref["regs"]}
    assert got == ref["regs"]
    for (addr, want), (addr2, _) in zip(ref["memory"], initial_memory(name, outer)):
        assert addr == addr2
        assert cpu.read_phys(addr, len(want)) == want, f"memory at {addr:#x} differs"
