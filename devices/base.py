"""What every device has in common: declared, versioned state and IRQ lines.

A device is a plain Python class.  It lists the attributes that make up its
guest-visible state in ``STATE_FIELDS`` (with ``STATE_VERSION``), so a machine
snapshot is complete by construction: :meth:`Device.save_state` returns those
fields and :meth:`Device.load_state` puts them back.  Field values must be
plain data: ``int``, ``float``, ``bool``, ``str``, ``None``, ``bytes``, numpy
arrays, and lists/dicts of those (dict keys are strings).  Callables, files,
sockets and other host objects are wiring, not state, and stay out of the list.

Ports: a device lists the I/O ports it decodes in :meth:`Device.port_ranges`
and answers them in :meth:`Device.io_read` / :meth:`Device.io_write`.  It
declares the access widths it implements in ``IO_WIDTHS``; the port bus
(:mod:`emulator.portbus`) splits wider accesses into byte accesses for it.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any, ClassVar

import numpy as np


class StateError(ValueError):
    """A saved state does not fit the device (wrong version or fields)."""


class Device:
    """Base class: state declaration, save/restore and the port interface."""

    #: short name used in snapshots, traces and error messages
    NAME: ClassVar[str] = "device"
    #: bumped whenever the meaning or the set of STATE_FIELDS changes
    STATE_VERSION: ClassVar[int] = 1
    #: attribute names holding the device's whole guest-visible state
    STATE_FIELDS: ClassVar[tuple[str, ...]] = ()
    #: access sizes (bytes) io_read/io_write implement; others are split into bytes
    IO_WIDTHS: ClassVar[tuple[int, ...]] = (1,)

    def port_ranges(self) -> list[tuple[int, int]]:
        """The ``(first_port, count)`` ranges this device decodes."""
        return []

    def io_read(self, port: int, size: int) -> int:
        """Value read from ``port`` (``size`` is one of ``IO_WIDTHS``)."""
        return (1 << (8 * size)) - 1

    def io_write(self, port: int, size: int, value: int) -> None:
        """Write ``value`` to ``port`` (``size`` is one of ``IO_WIDTHS``)."""

    def reset(self) -> None:
        """Return to the power-on state (machine reset)."""

    # --- save / restore ---------------------------------------------------------
    def save_state(self) -> dict[str, Any]:
        """A deep copy of every field named in ``STATE_FIELDS``."""
        return {name: _copy_value(getattr(self, name)) for name in self.STATE_FIELDS}

    def load_state(self, state: dict[str, Any], version: int | None = None) -> None:
        """Restore fields saved by :meth:`save_state` (same ``STATE_VERSION``)."""
        if version is not None and version != self.STATE_VERSION:
            raise StateError(f"{self.NAME}: saved state version {version}, "
                             f"this build reads version {self.STATE_VERSION}")
        missing = [n for n in self.STATE_FIELDS if n not in state]
        extra = [n for n in state if n not in self.STATE_FIELDS]
        if missing or extra:
            raise StateError(f"{self.NAME}: saved state fields differ "
                             f"(missing {missing}, unknown {extra})")
        for name in self.STATE_FIELDS:
            current = getattr(self, name, None)
            value = _copy_value(state[name])
            if isinstance(current, np.ndarray) and current.shape == np.shape(value):
                current[...] = value        # keep views other objects hold
            else:
                setattr(self, name, value)
        self.state_loaded()

    def state_loaded(self) -> None:
        """Hook run after :meth:`load_state` (recompute derived values, re-arm host I/O)."""


def _copy_value(value: Any) -> Any:
    if isinstance(value, np.ndarray):
        return value.copy()
    if isinstance(value, (list, dict)):
        return copy.deepcopy(value)
    return value


class IrqLine:
    """One interrupt request wire from a device to the interrupt controller.

    ``sink(irq, level)`` is the controller's input (``DualPIC.set_irq``).  The
    line remembers its level, so raising an already raised line does nothing;
    an edge-triggered input sees an edge only on a low-to-high change, as on
    the ISA bus.  A line with no sink (device not wired) just keeps its level.
    """

    __slots__ = ("sink", "irq", "level")

    def __init__(self, sink: Callable[[int, int], None] | None = None, irq: int = -1) -> None:
        self.sink = sink
        self.irq = irq
        self.level = 0

    def set(self, level: int | bool) -> None:
        """Drive the line to ``level`` (0 or 1)."""
        level = 1 if level else 0
        if level != self.level:
            self.level = level
            if self.sink is not None:
                self.sink(self.irq, level)

    def raise_(self) -> None:
        """Drive the line high."""
        self.set(1)

    def lower(self) -> None:
        """Drive the line low."""
        self.set(0)

    def pulse(self) -> None:
        """A low-high-low pulse (one edge), as a device raising an edge interrupt."""
        self.set(0)
        self.set(1)
        self.set(0)
