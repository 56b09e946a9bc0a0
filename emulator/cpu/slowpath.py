"""The rare paths of the core behind one C-ABI entry point (see :mod:`emulator.cpu.farcall`).

``dispatch`` runs one operation on the CPU state; ``slow_entry`` is the same
as a C callback taking raw pointers, whose address the host puts in
``st[SLOW_ENTRY]`` (:func:`install`).
"""

import numpy as np
from numba import cfunc

from . import farcall as F
from .farcall import ENTRY_SIG, as_array
from .interrupts import deliver_exception
from .jit import DISABLED, njit
from .memory import fetch_slow, lin_rd_slow, lin_wr_slow, probe_write, rd_slow, wr_slow
from .ops_system import op_arpl, op_system_0f
from .paging import translate
from .protected import far_return, far_transfer, iret_pm, pm_interrupt
from .segments import io_bitmap_allows, load_data_seg_pm
from .state import SLOW_ENTRY, STATE_SIZE


@njit
def dispatch(st, mem, op, a, b, c, d):
    """Operation ``op`` with its arguments (see the OP_* comments); returns its result."""
    if op == F.OP_RD:            # a seg, b offset, c size
        return rd_slow(st, mem, a, b, c)
    if op == F.OP_WR:            # a seg, b offset, c size, d value
        wr_slow(st, mem, a, b, c, d)
        return 0
    if op == F.OP_LIN_RD:        # a linear, b size, c user
        return lin_rd_slow(st, mem, a, b, c != 0)
    if op == F.OP_LIN_WR:        # a linear, b size, c value, d user
        lin_wr_slow(st, mem, a, b, c, d != 0)
        return 0
    if op == F.OP_FETCH:         # a EIP, b code32
        return fetch_slow(st, mem, a, b != 0)
    if op == F.OP_FETCH_FAULT:   # a linear, b user: raise the #PF of an instruction fetch
        return translate(st, mem, a, False, b != 0, True)
    if op == F.OP_FAR:           # a selector | osz << 16 | is_call << 24, b offset, c next EIP
        far_transfer(st, mem, a & 0xFFFF, b, (a >> 16) & 0xFF, c, (a >> 24) != 0)
        return 0
    if op == F.OP_FAR_RET:       # a osz, b bytes to release
        far_return(st, mem, a, b)
        return 0
    if op == F.OP_IRET:          # a osz, b next EIP
        iret_pm(st, mem, a, b)
        return 0
    if op == F.OP_INTERRUPT:     # a vector, b return EIP, c soft, d error code or -1
        return 1 if pm_interrupt(st, mem, a, b, c, d) else 0
    if op == F.OP_EXCEPTION:     # a vector, b return EIP, c fault class
        return 1 if deliver_exception(st, mem, a, b, c != 0) else 0
    if op == F.OP_LOAD_SEG:      # a seg, b selector
        return 1 if load_data_seg_pm(st, mem, a, b) else 0
    if op == F.OP_SYSTEM_0F:     # a pc, b op2 | osz << 8 | asz << 16, c seg
        return op_system_0f(st, mem, a, b & 0xFF, (b >> 8) & 0xFF, (b >> 16) & 1, c)
    if op == F.OP_IO_BITMAP:     # a port, b size
        return 1 if io_bitmap_allows(st, mem, a, b) else 0
    if op == F.OP_ARPL:          # a pc, b asz, c seg
        return op_arpl(st, mem, a, b, c)
    if op == F.OP_PROBE_WR:      # a seg, b offset, c size
        return 1 if probe_write(st, mem, a, b, c) else 0
    return -1


if DISABLED:
    SLOW_ENTRY_ADDRESS = 0
else:
    @cfunc(ENTRY_SIG, cache=True, nopython=True, error_model="numpy", boundscheck=False, _nrt=False)
    def slow_entry(st_ptr, mem_ptr, mem_len, op, a, b, c, d):
        st = as_array(st_ptr, STATE_SIZE)
        mem = as_array(mem_ptr, mem_len)
        return dispatch(st, mem, op, a, b, c, d)

    SLOW_ENTRY_ADDRESS = slow_entry.address


def install(st: np.ndarray) -> None:
    """Point ``st[SLOW_ENTRY]`` at this process's entry point (before every run)."""
    st[SLOW_ENTRY] = SLOW_ENTRY_ADDRESS
