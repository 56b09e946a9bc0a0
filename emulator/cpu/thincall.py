"""Calls that pass the state and memory arrays as two pointers instead of fourteen words.

numba passes an array argument as its whole descriptor (owner, parent, length,
item size, data, shape, strides): a call ``helper(st, mem, ...)`` that LLVM
does not inline pushes fourteen machine words for the two arrays, most of them
through the stack, and the callee reads them back (seen in the run loop's
machine code: ~20 pushes per call to ``rm_wr``).  A helper split in two, an
inlined shim under the public name that passes ``data_ptr(st)`` and
``data_ptr(mem)``, and a body ``_name`` that rebuilds the arrays with
:func:`st_view`/:func:`mem_view`, costs two registers instead.

Used for the helpers the inlined loop calls most (``decode_rm``, ``rm_rd``,
``rm_wr``, ``set_reg``, ``reg_wr``, ``push``, ``pop``, groups 2, 3 and 4/5):
6–10% faster on both mixes (interleaved runs against the core before).  The same
split of the string, 0F and control-transfer handlers measured slower, so they
keep the plain call (see ``benchmarks/README.md``).

The memory view's length is a large constant: the core indexes ``mem`` with
unsigned offsets and without bounds checks, so the length is never consulted.
With ``NUMBA_DISABLE_JIT=1`` the "pointers" are the arrays themselves.
"""

from numba import types
from numba.extending import intrinsic

from .farcall import as_array
from .jit import DISABLED, hot
from .state import STATE_SIZE

MEM_VIEW_LEN = 1 << 40

if DISABLED:
    def data_ptr(arr):
        return arr

    def st_view(ptr):
        return ptr

    def mem_view(ptr):
        return ptr
else:
    @intrinsic
    def data_ptr(typingctx, arr):
        """The data pointer of a 1-d array, typed ``CPointer(dtype)``."""
        sig = types.CPointer(arr.dtype)(arr)

        def codegen(context, builder, signature, args):
            return context.make_array(signature.args[0])(context, builder, args[0]).data

        return sig, codegen

    @hot
    def st_view(ptr):
        """The state array at ``ptr``."""
        return as_array(ptr, STATE_SIZE)

    @hot
    def mem_view(ptr):
        """The memory array at ``ptr`` (length: :data:`MEM_VIEW_LEN`)."""
        return as_array(ptr, MEM_VIEW_LEN)
