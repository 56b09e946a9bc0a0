"""A call boundary between the run loop and the core's rare paths.

numba links every function a compiled function calls into that function's
module and optimises the whole closure again for each of them, so rare but
large paths (page walks, descriptor loads, gates, task switches, exception
delivery) reached from the many memory and control-transfer handlers
multiplied the cold compile time (measured: 42 s before protected mode, 120 s
with it linked in everywhere).  Here they are reached through one C-ABI entry
point (:mod:`emulator.cpu.slowpath`, compiled once) whose address the host
stores in ``st[SLOW_ENTRY]``; the callers contain only an indirect call.  The
address is read at run time, so compiled callers stay cacheable.

With ``NUMBA_DISABLE_JIT=1`` the dispatcher is called directly.
"""

import numpy as np
from llvmlite import ir
from numba import types
from numba.core import cgutils
from numba.extending import intrinsic
from numba.np.arrayobj import populate_array

from .jit import DISABLED, hot
from .state import FPU_ENTRY, SLOW_ENTRY

# operations (argument meaning in slowpath.dispatch)
OP_RD, OP_WR, OP_LIN_RD, OP_LIN_WR, OP_FETCH, OP_FETCH_FAULT = 1, 2, 3, 4, 5, 6
OP_FAR, OP_FAR_RET, OP_IRET, OP_INTERRUPT, OP_EXCEPTION, OP_LOAD_SEG = 7, 8, 9, 10, 11, 12
OP_SYSTEM_0F, OP_IO_BITMAP, OP_ARPL, OP_PROBE_WR = 13, 14, 15, 16


@intrinsic
def _indirect(typingctx, addr, st, mem, op, a, b, c, d):
    """Call the C function at ``addr`` with (st.data, mem.data, len(mem), op, a, b, c, d)."""
    sig = types.int64(addr, st, mem, op, a, b, c, d)

    def codegen(context, builder, signature, args):
        addr_v, st_v, mem_v, op_v, a_v, b_v, c_v, d_v = args
        st_arr = context.make_array(signature.args[1])(context, builder, st_v)
        mem_arr = context.make_array(signature.args[2])(context, builder, mem_v)
        i64 = ir.IntType(64)
        fnty = ir.FunctionType(i64, [ir.IntType(64).as_pointer(), ir.IntType(8).as_pointer()] + [i64] * 6)
        fn = builder.inttoptr(addr_v, fnty.as_pointer())
        return builder.call(fn, [st_arr.data, mem_arr.data, mem_arr.nitems, op_v, a_v, b_v, c_v, d_v])

    return sig, codegen


@intrinsic
def as_array(typingctx, ptr, n):
    """A 1-d C array over ``n`` items at ``ptr`` with no owner (numba's ``carray`` needs its
    runtime, which the core runs without)."""
    arrty = types.Array(ptr.dtype, 1, "C")

    def codegen(context, builder, signature, args):
        ptr_v, n_v = args
        ary = context.make_array(arrty)(context, builder)
        itemsize = context.get_constant(types.intp, context.get_abi_sizeof(
            context.get_data_type(ptr.dtype)))
        populate_array(ary, data=ptr_v, shape=cgutils.pack_array(builder, [n_v]),
                       strides=cgutils.pack_array(builder, [itemsize]), itemsize=itemsize,
                       meminfo=ir.Constant(ir.IntType(8).as_pointer(), None))
        return ary._getvalue()

    return arrty(ptr, n), codegen


ENTRY_SIG = types.int64(types.CPointer(types.int64), types.CPointer(types.uint8), types.int64,
                   types.int64, types.int64, types.int64, types.int64, types.int64)

if DISABLED:
    def slow(st, mem, op, a, b, c, d):
        """Run rare-path operation ``op`` (plain Python: call the dispatcher directly)."""
        from .slowpath import dispatch
        return dispatch(st, mem, op, a, b, c, d)

    def fpu_call(st, mem, a, b, c, d):
        """Run one x87 instruction (plain Python: call the FPU directly)."""
        from .fpuentry import fpu_dispatch
        return fpu_dispatch(st, mem, a, b, c, d)
else:
    @hot
    def slow(st, mem, op, a, b, c, d):
        """Run rare-path operation ``op`` through the entry point in ``st[SLOW_ENTRY]``."""
        return _indirect(st[SLOW_ENTRY], st, mem, np.int64(op), np.int64(a), np.int64(b),
                         np.int64(c), np.int64(d))

    @hot
    def fpu_call(st, mem, a, b, c, d):
        """Run one x87 instruction through the FPU's own entry point in ``st[FPU_ENTRY]``
        (:mod:`emulator.cpu.fpuentry`; a separate compile unit from the rare paths)."""
        return _indirect(st[FPU_ENTRY], st, mem, np.int64(0), np.int64(a), np.int64(b),
                         np.int64(c), np.int64(d))
