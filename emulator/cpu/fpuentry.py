"""The x87 FPU's own C-ABI entry point (see :mod:`emulator.cpu.farcall`).

The FPU is as large as all the other rare paths together, so it is a compile
unit of its own: :mod:`emulator.cpu.warmup` compiles it in a child process in
parallel with the rare paths and the run loop on a cold cache.  The host puts
its address in ``st[FPU_ENTRY]`` (:func:`install`).
"""

import numpy as np
from numba import cfunc

from .farcall import ENTRY_SIG, as_array
from .fpu import fpu_exec
from .jit import DISABLED, njit
from .state import FPU_ENTRY, STATE_SIZE


@njit
def fpu_dispatch(st, mem, a, b, c, d):
    """One x87 instruction: ``a`` pc, ``b`` opcode | osz << 8 | asz << 16, ``c`` segment,
    ``d`` its EIP; returns the next pc."""
    return fpu_exec(st, mem, a, b & 0xFF, (b >> 8) & 0xFF, (b >> 16) & 1, c, d)


if DISABLED:
    FPU_ENTRY_ADDRESS = 0
else:
    @cfunc(ENTRY_SIG, cache=True, nopython=True, error_model="numpy", boundscheck=False, _nrt=False)
    def fpu_entry(st_ptr, mem_ptr, mem_len, op, a, b, c, d):
        st = as_array(st_ptr, STATE_SIZE)
        mem = as_array(mem_ptr, mem_len)
        return fpu_dispatch(st, mem, a, b, c, d)

    FPU_ENTRY_ADDRESS = fpu_entry.address


def install(st: np.ndarray) -> None:
    """Point ``st[FPU_ENTRY]`` at this process's entry point (before every run)."""
    st[FPU_ENTRY] = FPU_ENTRY_ADDRESS
