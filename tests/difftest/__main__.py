"""Command line: run differential streams and summarise the mismatch classes.

    python -m tests.difftest --mode 16 --seed 1 --count 100000 --keep-going
    python -m tests.difftest --mode 32 --seeds 1-4 --count 25000 --keep-going --examples 2
    python -m tests.difftest --mode 16 --no-core --count 50000   # generator check only
    python -m tests.difftest --mode paged --seeds 1-4 --count 25000 --keep-going

(run from the repository root).  ``--keep-going`` resynchronises our core from
Unicorn after each mismatch and goes on, so one run lists every class.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

_ROOT = Path(__file__).resolve().parent.parent.parent
if str(_ROOT) not in sys.path:
    sys.path.insert(0, str(_ROOT))

from .harness import Stream  # noqa: E402
from .paged import PagedStream  # noqa: E402


def seeds(text: str) -> list[int]:
    out = []
    for part in text.split(","):
        if "-" in part:
            a, b = part.split("-")
            out.extend(range(int(a), int(b) + 1))
        else:
            out.append(int(part))
    return out


def default_modes(no_core: bool) -> tuple[str, ...]:
    """All modes; the paged one only with a core that has paging (or without the core)."""
    from emulator.cpu.cpu import CPU

    return ("16", "32", "paged") if no_core or hasattr(CPU, "write_cr") else ("16", "32")


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(prog="python -m tests.difftest", description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--mode", choices=("16", "32", "paged"), action="append",
                    help="16 (real mode), 32 (flat) or paged (protected mode, paging on); "
                         "repeatable, default all three (paged only if the core has paging)")
    ap.add_argument("--seed", "--seeds", dest="seeds", default="1", help="seed list, e.g. 1,2,5-8")
    ap.add_argument("--count", type=int, default=10000, help="instructions per stream")
    ap.add_argument("--keep-going", action="store_true", help="continue after mismatches")
    ap.add_argument("--no-core", action="store_true",
                    help="run the reference only and check every instruction decodes (generator check)")
    ap.add_argument("--examples", type=int, default=1, help="full reports printed per mismatch class")
    args = ap.parse_args(argv)
    classes: dict[str, list] = {}
    explained: dict[str, int] = {}
    total = unexplained = 0
    t0 = time.perf_counter()
    for mode in args.mode or default_modes(args.no_core):
        for seed in seeds(args.seeds):
            if mode == "paged":
                stream = PagedStream(seed, core=not args.no_core)
            else:
                stream = Stream(int(mode), seed, core=not args.no_core)
            res = stream.run(args.count, stop_at_first=not args.keep_going, check_decode=args.no_core)
            total += res.executed
            unexplained += len(res.mismatches)
            print(f"mode {mode} seed {seed}: {res.executed} instructions, {len(res.mismatches)} "
                  f"unexplained, {sum(res.explained.values())} known, {res.exceptions_checked} "
                  f"exceptions checked, {res.seconds:.1f} s", flush=True)
            if mode == "paged":
                faults = ", ".join(f"{k} {v}" for k, v in sorted(stream.faults.items()))
                print(f"  exceptions raised: {faults}")
            for k, v in res.explained.items():
                explained[k] = explained.get(k, 0) + v
            for mm in res.mismatches:
                classes.setdefault(mm.signature(), []).append(mm)
    print(f"\n{total} instructions in {time.perf_counter() - t0:.1f} s; {unexplained} unexplained mismatches "
          f"in {len(classes)} classes")
    for k, v in sorted(explained.items()):
        print(f"  known difference {k}: {v}")
    for sig, mms in sorted(classes.items(), key=lambda kv: -len(kv[1])):
        print(f"\n=== {len(mms):6d}x  {sig}")
        for mm in mms[:args.examples]:
            print(mm.report())
    return 1 if unexplained else 0


if __name__ == "__main__":
    sys.exit(main())
