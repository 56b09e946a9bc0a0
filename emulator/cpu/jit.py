"""The one place that applies numba to the core.

``cache=True`` keys its cache on the jitted function's own file only, so a
changed helper in another file would run stale code.  We therefore point
numba's cache at a directory outside the checkout named after a hash of every
source file of the core (``emulator/cpu/*.py``): any edit gives a fresh cache.
``PYX86_CACHE_DIR`` overrides the parent directory (default
``~/.cache/pyx86``).  With ``NUMBA_DISABLE_JIT=1`` the core runs as plain
Python (slow, but debuggable) and gives the same results.
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

import numba
from llvmlite import binding as llvm

_CORE_DIR = Path(__file__).resolve().parent


INLINE_THRESHOLD = int(os.environ.get("PYX86_INLINE_THRESHOLD", "1000"))


def core_source_hash() -> str:
    """SHA-256 (first 16 hex digits) over the compiled core's sources and the compiler settings."""
    h = hashlib.sha256(f"{numba.__version__} {INLINE_THRESHOLD}".encode())
    for path in sorted(_CORE_DIR.glob("*.py")):
        text = path.read_bytes()
        if path.name not in ("state.py", "jit.py") and b"from .jit import" not in text:
            continue  # plain-Python modules (runner, wrapper) do not affect compiled code
        h.update(path.name.encode())
        h.update(text)
    return h.hexdigest()[:16]


def cache_dir() -> Path:
    """The numba cache directory used for this version of the core."""
    parent = Path(os.environ.get("PYX86_CACHE_DIR") or Path.home() / ".cache" / "pyx86")
    return parent / f"numba-{core_source_hash()}"


DISABLED = bool(numba.config.DISABLE_JIT)
CACHE_DIR = cache_dir()
if not DISABLED:
    CACHE_DIR.mkdir(parents=True, exist_ok=True)
    numba.config.CACHE_DIR = str(CACHE_DIR)
    # numba links every helper into the run loop's module; a higher LLVM inlining
    # threshold than the default 225 folds more small helpers into their callers
    # (measured: 225 -> 1000 gave ~+15% MIPS for ~+5 s of cold compile; PYX86_INLINE_THRESHOLD
    # is a knob for that experiment and is part of the cache key).
    llvm.set_option("pyx86", f"-inline-threshold={INLINE_THRESHOLD}")


_NOINLINE: set[tuple[str, str]] = set()


def _install_noinline_hook() -> None:
    """Give the functions marked :func:`cold` LLVM's ``noinline`` attribute.

    numba has no public switch for it (``_dbg_optnone`` also turns optimisation
    off), so the lowering step that declares each function is wrapped.
    """
    from numba.core import lowering

    original = lowering.Lower.setup_function
    if getattr(original, "_pyx86", False):
        return

    def setup_function(self, fndesc):
        original(self, fndesc)
        if (fndesc.modname, fndesc.qualname) in _NOINLINE:
            self.function.attributes.add("noinline")

    setup_function._pyx86 = True
    lowering.Lower.setup_function = setup_function


if not DISABLED:
    _install_noinline_hook()


def njit(fn):
    """Compile ``fn`` in nopython mode with the project's cache settings.

    ``_nrt=False``: the core never allocates, and without numba's runtime no
    atomic reference counting happens on the arrays passed to every call (it
    took 75% of the run time when it was on).
    """
    return numba.njit(cache=True, nogil=True, error_model="numpy", boundscheck=False, _nrt=False)(fn)


def cold(fn):
    """Like :func:`njit`, but never inlined into callers (LLVM ``noinline``).

    For the rare paths (descriptor loads, gates, task switches, page walks): inlined
    into the many handlers that may reach them, they multiplied the cold compile time
    (measured: 42 s -> 120 s) for no gain, since they seldom run.
    """
    _NOINLINE.add((fn.__module__, fn.__qualname__))
    return njit(fn)


def hot(fn):
    """Like :func:`njit`, but always inlined into its callers at the numba IR level.

    For the dispatch and the handlers of the most frequent opcodes: a numba call
    passes each array as seven machine words and zero-fills a return slot per call
    site on entry, which costs more than these handlers' work.  Inlining small
    leaf helpers everywhere, though, multiplied the cold compile time (measured),
    so it is used sparingly.
    """
    return numba.njit(cache=True, nogil=True, error_model="numpy", boundscheck=False, _nrt=False,
                      inline="always")(fn)
