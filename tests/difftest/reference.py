"""The reference CPU: Unicorn, one instruction per ``emu_start``.

Memory is a numpy array mapped into Unicorn with ``mem_map_ptr`` so the
harness can compare it with our core's RAM without copying.  Code written by
the host does not invalidate Unicorn's translation cache, so every code write
goes through :meth:`Reference.write_code`, which drops the stale translations.

Registers are read with one ``uc_reg_read_batch`` call into a preallocated
buffer (the Python binding's per-register path costs ~2 µs a register).
"""

from __future__ import annotations

import ctypes

import numpy as np
from unicorn import (
    UC_ARCH_X86,
    UC_HOOK_INTR,
    UC_HOOK_MEM_WRITE,
    UC_MODE_16,
    UC_MODE_32,
    UC_PROT_ALL,
    Uc,
    UcError,
)
from unicorn import x86_const as X

from . import world as W

try:  # the native library handle, for the batched register read
    from unicorn.unicorn_py3.unicorn import uclib as _uclib
except ImportError:  # pragma: no cover - other binding layouts
    _uclib = None

# order = our core's state layout: EAX..EDI, EIP, EFLAGS, then ES CS SS DS FS GS
REG_IDS = (X.UC_X86_REG_EAX, X.UC_X86_REG_ECX, X.UC_X86_REG_EDX, X.UC_X86_REG_EBX,
           X.UC_X86_REG_ESP, X.UC_X86_REG_EBP, X.UC_X86_REG_ESI, X.UC_X86_REG_EDI,
           X.UC_X86_REG_EIP, X.UC_X86_REG_EFLAGS,
           X.UC_X86_REG_ES, X.UC_X86_REG_CS, X.UC_X86_REG_SS, X.UC_X86_REG_DS,
           X.UC_X86_REG_FS, X.UC_X86_REG_GS)
SEG_IDS = REG_IDS[10:]
N_REGS = len(REG_IDS)
_MASKS = np.array([0xFFFFFFFF] * 10 + [0xFFFF] * 6, dtype=np.uint64)


class Reference:
    """Unicorn in ``mode`` 16 (real mode) or 32 (flat protected mode, CPL 0)."""

    def __init__(self, mode: int) -> None:
        self.mode = mode
        cpu = getattr(X, "UC_CPU_X86_PENTIUM2", None)  # a P6 without later ISA extensions
        try:
            self.uc = Uc(UC_ARCH_X86, UC_MODE_16 if mode == 16 else UC_MODE_32, cpu=cpu)
        except TypeError:  # pragma: no cover - bindings without the cpu argument
            self.uc = Uc(UC_ARCH_X86, UC_MODE_16 if mode == 16 else UC_MODE_32)
        self.mem = np.zeros(W.MAP_SIZE, dtype=np.uint8)
        self.uc.mem_map_ptr(0, W.MAP_SIZE, UC_PROT_ALL, self.mem.ctypes.data)
        self.writes: list[tuple[int, int, int]] = []
        self.exception: int | None = None
        self.uc.hook_add(UC_HOOK_MEM_WRITE, self._on_write)
        self.uc.hook_add(UC_HOOK_INTR, self._on_intr)
        self._ids = (ctypes.c_int * N_REGS)(*REG_IDS)
        self._vals = np.zeros(N_REGS, dtype=np.uint64)
        self._ptrs = (ctypes.c_void_p * N_REGS)(*[self._vals.ctypes.data + 8 * i for i in range(N_REGS)])

    # hooks
    def _on_write(self, uc, access, addr, size, value, user):
        self.writes.append((addr, size, value & ((1 << (8 * size)) - 1)))

    def _on_intr(self, uc, intno, user):
        # Unicorn reports CPU exceptions here instead of delivering them; stop on the faulting
        # instruction (EIP still points at it).
        self.exception = intno
        uc.emu_stop()

    # registers
    def regs(self) -> list[int]:
        """EAX..EDI, EIP, EFLAGS, ES, CS, SS, DS, FS, GS."""
        if _uclib is not None:
            self._vals[:] = 0
            _uclib.uc_reg_read_batch(self.uc._uch, self._ids, self._ptrs, N_REGS)
            return (self._vals & _MASKS).tolist()
        return [self.uc.reg_read(r) & int(m) for r, m in zip(REG_IDS, _MASKS)]

    def set_reg(self, i: int, value: int) -> None:
        """Write slot ``i`` of the :meth:`regs` layout."""
        self.uc.reg_write(REG_IDS[i], value)

    # memory
    def write_code(self, lin: int, code: bytes) -> None:
        self.mem[lin:lin + len(code)] = np.frombuffer(code, dtype=np.uint8)
        self.uc.ctl_remove_cache(lin, lin + len(code))

    def write_mem(self, lin: int, data: bytes) -> None:
        self.mem[lin:lin + len(data)] = np.frombuffer(data, dtype=np.uint8)
        self.uc.ctl_remove_cache(lin, lin + len(data))

    # execution
    def step(self, lin: int) -> str | None:
        """Run one instruction at linear address ``lin`` (= CS base + EIP); return an error text if
        Unicorn stopped with one.  (Unicorn takes the linear address as ``begin`` and sets EIP to
        ``begin`` - CS base.)"""
        try:
            self.uc.emu_start(lin, 0xFFFFFFFF, count=1)
        except UcError as e:
            return str(e)
        return None
