"""The disk images pyx86 makes from its own sources, and their recipes.

Installed as a package so that ``diag.img`` (the built-in diagnostics disk,
package data) is found with :mod:`importlib.resources` in any install; see
:func:`emulator.bench.diag_image`.  ``build_diag.py`` rebuilds it from
``diag/diag.asm`` in a checkout.
"""
