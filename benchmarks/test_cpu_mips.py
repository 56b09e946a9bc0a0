"""Guest instructions per second of the CPU core on the two benchmark mixes.

``test_mips_paged`` runs the 32-bit mix again in protected mode with paging
on (every page identity-mapped through 4 KiB page tables, switched on with
``cpu.write_cr``), so its figure can be read next to the flat one: the
difference is the cost of the page-table walks and the software TLB.

Each round reloads the guest (memory and registers, see ``guests.load_mix``)
outside the timed part, then times ``cpu.run`` until the guest's HLT.  The
core is compiled (or loaded from numba's cache) by an untimed short run
first, and one untimed full-size round precedes the timed ones (the first
full run after start-up was seen to be ~15 % slower than the next ones).
After every round the exit reason must be HLT and ``cpu.icount`` must have
advanced by exactly the guest's known instruction count.

Environment:
  PYX86_BENCH_INSNS   instructions per run (default 60,000,000; rounded to
                      whole outer iterations of the guest loop)
  PYX86_BENCH_SLICE   instruction budget of one ``cpu.run`` call
                      (default 16,777,216; EXIT_BUDGET just runs again)
"""

from __future__ import annotations

import os

import pytest

from benchmarks.guests import DEFAULT_INSTRUCTIONS, MIXES, load_mix

ROUNDS = 3


def _env_int(name: str, default: int) -> int:
    value = os.environ.get(name, "").replace("_", "")
    return int(value) if value else default


def run_to_hlt(cpu, expected: int, slice_: int) -> tuple[int, int]:
    """Run until HLT; return (exit reason, instructions retired).

    EXIT_BUDGET runs another slice.  Any other exit, or running well past
    ``expected`` instructions, stops and returns what happened.
    """
    from emulator.cpu import state as S

    start = cpu.icount
    limit = start + expected + 1000
    while True:
        reason = cpu.run(slice_)
        if reason != S.EXIT_BUDGET or cpu.icount >= limit:
            return reason, cpu.icount - start


def describe_exit(cpu, reason: int) -> str:
    from emulator.cpu import state as S

    name = S.EXIT_NAMES[reason] if 0 <= reason < len(S.EXIT_NAMES) else str(reason)
    return (f"exit {reason} ({name}) at {cpu.exit_location()}, "
            f"code bytes {cpu.code_bytes(16).hex(' ')}, exit arg {int(cpu.st[S.EXIT_ARG]):#x}, "
            f"now CS:EIP {cpu['cs']:04X}:{cpu['eip']:08X}, icount {cpu.icount}")


def check_run(cpu, name: str, reason: int, retired: int, expected: int) -> None:
    from emulator.cpu import state as S

    assert reason == S.EXIT_HLT, f"{name}: expected HLT after {expected} instructions, " \
                                 f"got {describe_exit(cpu, reason)} after {retired}"
    assert retired == expected, f"{name}: cpu.icount advanced by {retired}, expected {expected}"


# Paged run: page directory and tables (identity map of the first PAGED_MAP bytes) above the guest
PAGE_DIR = 0x300000
PAGED_MAP = 8 << 20


def page_tables() -> list[tuple[int, bytes]]:
    """(physical address, bytes) of a page directory and tables identity-mapping ``PAGED_MAP``
    bytes with 4 KiB pages (present, writable, A and D already set)."""
    import numpy as np

    n_tables = PAGED_MAP >> 22
    pd = np.zeros(1024, dtype=np.uint32)
    pd[:n_tables] = PAGE_DIR + 0x1000 * (1 + np.arange(n_tables, dtype=np.uint32)) | 0x23
    pte = (np.arange(PAGED_MAP >> 12, dtype=np.uint32) << 12) | 0x63
    return [(PAGE_DIR, pd.tobytes()), (PAGE_DIR + 0x1000, pte.tobytes())]


def load_mix_paged(cpu, name: str, outer: int) -> int:
    """``load_mix``, then protected mode (``set_flat32(protected=True)``) with paging on."""
    from emulator.cpu import state as S

    expected = load_mix(cpu, name, outer=outer)
    cpu.set_flat32(protected=True)
    for addr, blob in page_tables():
        cpu.write_phys(addr, blob)
    cpu.write_cr(3, PAGE_DIR)
    cr0 = int(cpu.st[S.CR0]) & ~(S.CR0_CD | S.CR0_NW)     # caches on, as an OS would have them
    cpu.write_cr(0, cr0 | S.CR0_PG | S.CR0_PE)
    return expected


@pytest.mark.parametrize("name", sorted(MIXES))
def test_mips(benchmark, capsys, name):
    measure(benchmark, capsys, name, load_mix, name)


def test_mips_paged(benchmark, capsys):
    """mix32 with paging on (reported as ``mix32-paged``)."""
    from emulator.cpu.cpu import CPU

    if not hasattr(CPU, "write_cr"):
        pytest.skip("this core has no paging (CPU.write_cr)")
    measure(benchmark, capsys, "mix32", load_mix_paged, "mix32-paged")


def measure(benchmark, capsys, name: str, load, label: str) -> None:
    """Time guest ``name`` loaded by ``load(cpu, name, outer=...)``; print its MIPS as ``label``."""
    from emulator.cpu.cpu import CPU

    target = _env_int("PYX86_BENCH_INSNS", DEFAULT_INSTRUCTIONS)
    slice_ = _env_int("PYX86_BENCH_SLICE", 1 << 24)
    mix = MIXES[name]
    outer = mix.outer_for(target)
    expected = mix.instructions(outer)

    cpu = CPU(ram_size=16 << 20, model="pentiumpro")

    # Untimed warm-up: compiles the core (or loads it from the cache) and
    # checks the guest runs to HLT with the right count on a short run.
    short = load(cpu, name, outer=2)
    check_run(cpu, label, *run_to_hlt(cpu, short, slice_), short)

    results: list[tuple[int, int]] = []

    def setup():
        load(cpu, name, outer=outer)

    def run():
        results.append(run_to_hlt(cpu, expected, slice_))

    def teardown():  # untimed, while the CPU still holds this round's exit state
        check_run(cpu, label, *results[-1], expected)

    benchmark.pedantic(run, setup=setup, teardown=teardown, rounds=ROUNDS, warmup_rounds=1, iterations=1)
    assert results, "the benchmark did not run"

    benchmark.extra_info.update(instructions=expected, outer=outer, slice=slice_)
    if benchmark.stats is None:     # --benchmark-disable: ran once, untimed
        return
    stats = benchmark.stats.stats
    mips = expected / stats.mean / 1e6
    benchmark.extra_info["mips"] = round(mips, 2)
    benchmark.extra_info["mips_best"] = round(expected / stats.min / 1e6, 2)
    with capsys.disabled():
        print(f"\n{label}: {expected:,} instructions, mean {stats.mean:.3f} s, "
              f"min {stats.min:.3f} s -> {mips:.1f} MIPS (best {expected / stats.min / 1e6:.1f})")
