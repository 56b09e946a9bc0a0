"""The CPU core against the SingleStepTests single-instruction vectors.

Runs ``../shared/cpu-tests/8086`` on ``-cpu 8086`` and ``../shared/cpu-tests/80286``
on ``-cpu 286`` (the ``cpu_tests_dir`` fixture: the sibling of the images folder,
which ``PYX86_IMAGES`` overrides; missing data fails, never skips).  Each set
must pass at least 99.5 %, and the failures must be exactly those listed in ``conformance_known_failures.txt``
(``SET STEM IDX reason`` lines): a new failure fails the test, and so does a
listed failure that now passes, so the list never goes stale.

The two sets are independent parametrised cases with no shared state or
files, so a parallel runner (``pytest -n 2`` with pytest-xdist) can run them
side by side; select one with ``-k 8086`` or ``-k 80286``.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from emulator.cpu.conformance import read_known_failures, run_suite

KNOWN_FAILURES = Path(__file__).resolve().parent / "conformance_known_failures.txt"
MIN_PASS_RATE = 99.5

SETS = [("8086", "8086"), ("80286", "286")]  # (folder, -cpu model)


@pytest.mark.slow
@pytest.mark.parametrize("set_name,model", SETS, ids=[s for s, _ in SETS])
def test_single_step_vectors(cpu_tests_dir: Path, set_name: str, model: str) -> None:
    directory = cpu_tests_dir / set_name
    # missing data is a failure, not a skip: the suite must not silently stop checking
    assert (directory / "index.json").is_file(), f"CPU test vectors not found in {directory}"

    result = run_suite(directory, model)
    assert result.total > 100_000, f"only {result.total} tests found in {directory}"

    known = {k: why for k, why in read_known_failures(KNOWN_FAILURES).items() if k[0] == set_name}
    failed = {(set_name, f.file, f.idx): f for f in result.failures}
    unlisted = [str(failed[k]) for k in sorted(failed.keys() - known.keys())]
    fixed = [f"{' '.join(map(str, k))} ({known[k]})" for k in sorted(known.keys() - failed.keys())]

    problems = []
    if result.rate < MIN_PASS_RATE:
        problems.append(f"pass rate {result.rate:.3f}% < {MIN_PASS_RATE}% "
                        f"({result.passed}/{result.total})")
    if unlisted:
        problems.append(f"{len(unlisted)} failures not in {KNOWN_FAILURES.name}, e.g.:\n  "
                        + "\n  ".join(unlisted[:25]))
    if fixed:
        problems.append(f"{len(fixed)} listed failures now pass (remove them from "
                        f"{KNOWN_FAILURES.name}):\n  " + "\n  ".join(fixed[:25]))
    if problems:
        pytest.fail(f"{set_name} on -cpu {model}:\n" + "\n".join(problems), pytrace=False)
