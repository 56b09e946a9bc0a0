"""Differential test of the CPU core against Unicorn (tests/difftest).

Seeded streams of valid integer instructions run on Unicorn (the reference)
and on our core in 16-bit real mode and in the 32-bit flat harness mode; after
every instruction the general registers, EIP, segment selectors, defined
flags and memory must agree.  Each (mode, seed) stream fails on its first
mismatch that is not listed in ``difftest/known_differences.py``, with a
report of the instruction bytes, disassembly, registers before and the
differences.

``PYX86_DIFF_COUNT`` sets the instructions per stream (default 25,000: the 8
streams give 200,000 instructions, about 20 s once the core is compiled).
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

COUNT = int(os.environ.get("PYX86_DIFF_COUNT", "25000"))
MODES = (16, 32)
SEEDS = (1, 2, 3, 4)
STREAMS = [(m, s) for m in MODES for s in SEEDS]


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
