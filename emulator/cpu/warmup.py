"""A cold numba cache: compile the core's three parts at the same time.

The run loop (with its handlers), the rare paths behind their C entry point
(:mod:`emulator.cpu.slowpath`) and the x87 FPU behind its own
(:mod:`emulator.cpu.fpuentry`) share no compiled code, so on a cold cache two
child processes compile and cache the entry points while this process
compiles the run loop; the parent then loads the children's work from the
cache.  On two cores the first start takes about half the CPU time (measured
in benchmarks/README.md).  With a warm cache, or ``NUMBA_DISABLE_JIT``,
nothing happens.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from .jit import CACHE_DIR, DISABLED

_ROOT = Path(__file__).resolve().parents[2]
_CHILD_FLAG = "PYX86_WARMUP_CHILD"


_ENTRIES = (("slowpath", "slow_entry"), ("fpuentry", "fpu_entry"))


def cached(module: str, entry: str) -> bool:
    """Whether the numba cache already holds the entry point ``module.entry``."""
    return any(CACHE_DIR.rglob(f"{module}.{entry}-*.nbi"))


def compile_in_parallel() -> None:
    """On a cold cache, compile the entry points in child processes and the run loop here."""
    if DISABLED or os.environ.get(_CHILD_FLAG):
        return
    missing = [module for module, entry in _ENTRIES if not cached(module, entry)]
    if not missing:
        return
    env = dict(os.environ, **{_CHILD_FLAG: "1"})
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(_ROOT), env.get("PYTHONPATH")]))
    children = []
    for module in missing:
        try:
            children.append(subprocess.Popen(
                [sys.executable, "-c", f"import emulator.cpu.{module}"], env=env,
                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))
        except OSError:
            pass  # no child: this process compiles that part itself
    from numba import types

    from .interp import run

    run.compile((types.int64[::1], types.uint8[::1], types.int64))
    for child in children:
        child.wait()
