"""The x86 CPU core: a numba-compiled interpreter over state arrays.

Import :class:`emulator.cpu.cpu.CPU` for the Python API; the register and
exit-reason names are in :mod:`emulator.cpu.state`.
"""
