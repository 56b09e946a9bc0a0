"""``pyx86 bench``: the built-in diagnostics disk's CPU workloads, headless, as a table.

The disk (``disk_images/diag.img``) announces each workload on the E9h debug
console: ``BENCH <name> start`` before it and ``BENCH <name> end <count>``
after it, ``<count>`` being the workload's exact instruction count.  This
module boots the disk, presses ``1`` (CPU speed) then ``q``, and times each
workload on the host between its two lines: guest instructions executed by
the core over host seconds, so the figure is the emulator's real speed on
that code (the guest's own on-screen figure uses guest time instead).
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path

from .session import Session

DIAG_IMAGE = Path(__file__).resolve().parent.parent / "disk_images" / "diag.img"


@dataclass
class Workload:
    name: str
    instructions: int = 0            # as the guest reports it
    executed: int = 0                # as the core counted it between the two lines
    seconds: float = 0.0

    @property
    def mips(self) -> float:
        return self.executed / self.seconds / 1e6 if self.seconds else 0.0


@dataclass
class _Listener:
    """Collects E9h lines and stamps each with the host time and the instruction count."""

    session: Session
    buffer: bytearray = field(default_factory=bytearray)
    events: list[tuple[str, float, int]] = field(default_factory=list)

    def __call__(self, data: bytes) -> None:
        self.buffer.extend(data)
        while b"\n" in self.buffer:
            line, _, rest = bytes(self.buffer).partition(b"\n")
            self.buffer[:] = rest
            self.events.append((line.decode("ascii", "replace").strip(), time.perf_counter(),
                                self.session.machine.executed))


def run_benchmarks(image: Path = DIAG_IMAGE, seconds: float = 600.0) -> list[Workload]:
    """Boot the diagnostics disk headless, run its CPU workloads, return their figures."""
    with Session("-fda", str(image), "-snapshot", "-display", "none") as pc:
        listener = _Listener(pc)
        pc.machine.debugcon.sink = listener
        if not pc.run_until_text("pyx86 diagnostics", seconds=30):
            raise RuntimeError("the diagnostics disk did not show its menu")
        pc.type("1")
        def finished() -> bool:
            return sum(1 for e in listener.events if e[0].startswith("BENCH") and " end " in e[0]) >= 3

        done = pc.run_until(finished, seconds)
        pc.type("q")
        pc.run(seconds=1)
    if not done:
        raise RuntimeError("the CPU workloads did not finish")
    results: dict[str, Workload] = {}
    starts: dict[str, tuple[float, int]] = {}
    for text, stamp, executed in listener.events:
        words = text.split()
        if len(words) >= 3 and words[0] == "BENCH" and words[2] == "start":
            starts[words[1]] = (stamp, executed)
        elif len(words) >= 4 and words[0] == "BENCH" and words[2] == "end" and words[1] in starts:
            t0, e0 = starts.pop(words[1])
            results[words[1]] = Workload(words[1], int(words[3]), executed - e0, stamp - t0)
    return list(results.values())


def format_table(workloads: list[Workload]) -> str:
    rows = [f"{'workload':<12}{'instructions':>16}{'seconds':>10}{'MIPS':>10}"]
    for w in workloads:
        rows.append(f"{w.name:<12}{w.executed:>16,}{w.seconds:>10.3f}{w.mips:>10.1f}")
    return "\n".join(rows)


def main() -> int:
    """The ``pyx86 bench`` command."""
    print(format_table(run_benchmarks()))
    return 0
