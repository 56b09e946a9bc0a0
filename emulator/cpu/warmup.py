"""A cold numba cache: compile the core's two halves at the same time.

The run loop (with its handlers) and the rare paths behind the C entry point
(:mod:`emulator.cpu.slowpath`) share no compiled code, so on a cold cache a
child process compiles and caches the rare paths while this process compiles
the run loop; the parent then loads the child's work from the cache.  On two
cores this halves the first start (measured: 66 s -> see benchmarks/README.md).
With a warm cache, or ``NUMBA_DISABLE_JIT``, nothing happens.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from .jit import CACHE_DIR, DISABLED

_ROOT = Path(__file__).resolve().parents[2]
_CHILD_FLAG = "PYX86_WARMUP_CHILD"


def slowpath_cached() -> bool:
    """Whether the numba cache already holds the rare-path entry point."""
    return any(CACHE_DIR.rglob("slowpath.slow_entry-*.nbi"))


def compile_in_parallel() -> None:
    """On a cold cache, compile the rare paths in a child process and the run loop here."""
    if DISABLED or os.environ.get(_CHILD_FLAG) or slowpath_cached():
        return
    env = dict(os.environ, **{_CHILD_FLAG: "1"})
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(_ROOT), env.get("PYTHONPATH")]))
    try:
        child = subprocess.Popen([sys.executable, "-c", "import emulator.cpu.slowpath"], env=env,
                                 stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    except OSError:
        return  # no child: this process compiles everything itself
    from numba import types

    from .interp import run

    run.compile((types.int64[::1], types.uint8[::1], types.int64))
    child.wait()
