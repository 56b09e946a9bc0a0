"""Differential test of the CPU core against Unicorn (tests/difftest).

Seeded streams of valid integer instructions run on Unicorn (the reference)
and on our core in 16-bit real mode, in the 32-bit flat harness mode and in
32-bit protected mode with paging on (``difftest/paged.py``: not-present and
read-only pages, page-crossing accesses, a 4 MiB page, exceptions delivered
through the IDT); after
every instruction the general registers, EIP, segment selectors, defined
flags and memory must agree.  Each (mode, seed) stream fails on its first
mismatch that is not listed in ``difftest/known_differences.py``, with a
report of the instruction bytes, disassembly, registers before and the
differences.

``PYX86_DIFF_COUNT`` sets the instructions per stream (default 25,000: the 8
real-mode and flat streams give 200,000 instructions, about 20 s once the core
is compiled); ``PYX86_DIFF_PAGED_COUNT`` those of the 5 paged streams (default
25,000: 125,000 instructions, about 16 s).
For a deep local run that lists every mismatch class, use
``python -m tests.difftest --keep-going --count 100000`` from the repository root.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

_TESTS = Path(__file__).resolve().parent
for _p in (str(_TESTS.parent), str(_TESTS)):
    if _p not in sys.path:
        sys.path.insert(0, _p)

from difftest.harness import Stream  # noqa: E402
from difftest.paged import HANDLERS, VEC_PF, PagedStream  # noqa: E402

COUNT = int(os.environ.get("PYX86_DIFF_COUNT", "25000"))
MODES = (16, 32)
SEEDS = (1, 2, 3, 4)
STREAMS = [(m, s) for m in MODES for s in SEEDS]
PAGED_COUNT = int(os.environ.get("PYX86_DIFF_PAGED_COUNT", "25000"))
PAGED_SEEDS = (1, 2, 3, 4, 5)


@pytest.mark.parametrize("mode,seed", STREAMS, ids=[f"mode{m}-seed{s}" for m, s in STREAMS])
def test_core_matches_unicorn(mode: int, seed: int) -> None:
    res = Stream(mode, seed).run(COUNT)
    if res.mismatches:
        mm = res.mismatches[0]
        pytest.fail(f"after {res.executed} instructions:\n{mm.report()}", pytrace=False)
    assert res.executed == COUNT


@pytest.mark.parametrize("mode", MODES, ids=[f"mode{m}" for m in MODES])
def test_generator_makes_valid_instructions(mode: int) -> None:
    """Every generated instruction decodes (capstone) and runs on Unicorn; every template is used."""
    stream = Stream(mode, 99, core=False)
    res = stream.run(4000, check_decode=True)
    unused = [name for _, name, _ in stream.gen.templates if name not in res.kinds]
    assert not unused, f"templates never generated: {unused}"


def test_harness_sees_a_wrong_register_and_a_stray_write() -> None:
    """Negative control: corrupt our core's state once and the harness must report it."""
    stream = Stream(32, 5)
    real_step = stream.core.step
    count = [0]

    def corrupted_step() -> int:
        r = real_step()
        count[0] += 1
        if count[0] == 300:
            stream.core.st[3] ^= 0x100          # EBX bit 8
        if count[0] == 700:
            stream.core.mem[0x100000] ^= 0x5A   # a byte outside the world
        return r

    stream.core.step = corrupted_step
    res = stream.run(1200, stop_at_first=False)
    seen = [mm.signature() for mm in res.mismatches]
    assert any("ebx" in mm.fields for mm in res.mismatches), seen       # (steps count REP iterations)
    assert any(mm.mem and mm.mem[0][0] == 0x100000 for mm in res.mismatches), seen


def needs_paging() -> None:
    """Skip a test that runs our core in the paged mode on a core without paging."""
    from emulator.cpu.cpu import CPU

    if not hasattr(CPU, "write_cr"):
        pytest.skip("this core has no protected mode with paging (CPU.write_cr)")


@pytest.mark.parametrize("seed", PAGED_SEEDS, ids=[f"paged-seed{s}" for s in PAGED_SEEDS])
def test_core_matches_unicorn_paged(seed: int) -> None:
    """Protected mode, paging on: every instruction, and every exception delivered through the IDT."""
    needs_paging()
    stream = PagedStream(seed)
    res = stream.run(PAGED_COUNT)
    if res.mismatches:
        mm = res.mismatches[0]
        pytest.fail(f"after {res.executed} instructions:\n{mm.report()}", pytrace=False)
    assert res.executed == PAGED_COUNT


def test_paged_generator_makes_valid_instructions_and_faults() -> None:
    """The paged stream decodes, runs on Unicorn, uses every template and raises page faults of
    every kind (not present on a read, a write, a read-modify-write; write to a read-only page;
    accesses that cross into a not-present page; a not-present page directory entry)."""
    stream = PagedStream(99, core=False)
    res = stream.run(4000, check_decode=True)
    unused = [name for _, name, _ in stream.gen.templates if name not in res.kinds]
    assert not unused, f"templates never generated: {unused}"
    kinds = ("#PF protection", "#PF not-present read", "#PF not-present write", "#PF not-present rmw",
             "#PF not-present read split", "#PF PDE not-present read", "#6", "#0")
    missing = [k for k in kinds if stream.faults.get(k, 0) == 0]
    assert not missing, f"no {missing} in {stream.faults}"
    page_faults = sum(v for k, v in stream.faults.items() if k.startswith("#PF"))
    assert page_faults > 200, stream.faults


def test_paged_harness_sees_a_wrong_error_code_and_cr2() -> None:
    """Negative control: corrupt what our core reports for two page faults; both must be reported."""
    needs_paging()
    stream = PagedStream(5)
    core = stream.core
    real_step = core.step
    seen = [0]

    def corrupted_step() -> int:
        r = real_step()
        if HANDLERS + VEC_PF == core.st[8]:      # a #PF was just delivered
            seen[0] += 1
            if seen[0] == 3:
                core.cr2 ^= 0x10
            elif seen[0] == 6:
                sp = stream.layout.phys(int(core.st[4]))
                core.mem[sp] ^= 0x2                 # the W/R bit of the pushed error code
        return r

    core.step = corrupted_step
    res = stream.run(1500, stop_at_first=False)
    problems = [mm.problem + str(sorted(mm.fields)) for mm in res.mismatches]
    assert seen[0] >= 6, seen
    assert any("cr2" in mm.fields for mm in res.mismatches), problems
    assert any("error code" in mm.problem for mm in res.mismatches), problems
