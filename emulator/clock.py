"""Virtual time and the timer scheduler.

Guest time is counted in nanoseconds and advances with retired instructions
at a nominal rate (``ns_per_insn``, 10 ns = a 100 MIPS machine by default), so
two runs with the same inputs see the same time at the same instruction: the
machine is deterministic.  ``offset_ns`` holds the time added on top of that:
idle time skipped while the CPU halts and, in realtime mode, catch-up to the
host clock.  Devices own named :class:`Timer` objects; the machine runs the
CPU exactly up to the next deadline and then fires the timers that are due.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

NS_PER_SEC = 1_000_000_000


class Timer:
    """A one-shot deadline (virtual ns) owned by a device; re-arm it for periodic use."""

    __slots__ = ("name", "callback", "deadline", "_clock")

    def __init__(self, clock: Clock, name: str, callback: Callable[[int], None]) -> None:
        self._clock = clock
        self.name = name
        self.callback = callback
        self.deadline: int | None = None

    def arm(self, deadline_ns: int) -> None:
        """Fire ``callback(now)`` once virtual time reaches ``deadline_ns``."""
        self.deadline = int(deadline_ns)
        self._clock._changed()

    def arm_in(self, delta_ns: int) -> None:
        """Fire ``delta_ns`` nanoseconds from now."""
        self.arm(self._clock.now + max(0, int(delta_ns)))

    def cancel(self) -> None:
        """Disarm the timer."""
        if self.deadline is not None:
            self.deadline = None
            self._clock._changed()

    @property
    def armed(self) -> bool:
        return self.deadline is not None


class Clock:
    """Instruction-counted virtual time plus a small set of named timers."""

    def __init__(self, icount: Callable[[], int], ns_per_insn: int = 10) -> None:
        if ns_per_insn < 1:
            raise ValueError("ns_per_insn must be at least 1")
        self._icount = icount
        self.ns_per_insn = int(ns_per_insn)
        self.offset_ns = 0
        #: called with the nanoseconds skipped by :meth:`advance_to` (the CPU's TSC follows them)
        self.on_advance: Callable[[int], None] | None = None
        self._timers: dict[str, Timer] = {}
        self._next: Timer | None = None
        self._dirty = True

    # --- time ------------------------------------------------------------------
    @property
    def now(self) -> int:
        """Current virtual time in nanoseconds."""
        return self.offset_ns + int(self._icount()) * self.ns_per_insn

    def advance_to(self, t_ns: int) -> None:
        """Move virtual time forward to ``t_ns`` without executing (HLT, realtime catch-up)."""
        now = self.now
        if t_ns > now:
            self.offset_ns += int(t_ns) - now
            if self.on_advance is not None:
                self.on_advance(int(t_ns) - now)

    # --- timers ----------------------------------------------------------------
    def timer(self, name: str, callback: Callable[[int], None]) -> Timer:
        """Create the timer ``name`` (unique per machine: it is the key in snapshots)."""
        if name in self._timers:
            raise ValueError(f"timer {name!r} already exists")
        t = Timer(self, name, callback)
        self._timers[name] = t
        return t

    def _changed(self) -> None:
        self._dirty = True

    def next_timer(self) -> Timer | None:
        """The armed timer with the earliest deadline (ties: creation order)."""
        if self._dirty:
            best = None
            for t in self._timers.values():
                if t.deadline is not None and (best is None or t.deadline < best.deadline):
                    best = t
            self._next = best
            self._dirty = False
        return self._next

    def next_deadline(self) -> int | None:
        """Earliest armed deadline in virtual ns, or None."""
        t = self.next_timer()
        return None if t is None else t.deadline

    def insns_until(self, deadline_ns: int) -> int:
        """Instructions to run so that virtual time reaches ``deadline_ns`` (at least 1)."""
        delta = deadline_ns - self.now
        return max(1, -(-delta // self.ns_per_insn))

    def run_due(self) -> int:
        """Fire every timer whose deadline has passed, earliest first; return how many fired."""
        fired = 0
        while True:
            t = self.next_timer()
            now = self.now
            if t is None or t.deadline > now:
                return fired
            t.deadline = None
            self._dirty = True
            t.callback(now)
            fired += 1

    # --- save / restore --------------------------------------------------------
    def save_state(self) -> dict[str, Any]:
        return {"offset_ns": self.offset_ns, "ns_per_insn": self.ns_per_insn,
                "timers": {name: t.deadline for name, t in self._timers.items()}}

    def load_state(self, state: dict[str, Any]) -> None:
        self.offset_ns = int(state["offset_ns"])
        self.ns_per_insn = int(state["ns_per_insn"])
        unknown = set(state["timers"]) - set(self._timers)
        if unknown:
            raise ValueError(f"saved state has timers this machine lacks: {sorted(unknown)}")
        for name, t in self._timers.items():
            d = state["timers"].get(name)
            t.deadline = None if d is None else int(d)
        self._dirty = True
