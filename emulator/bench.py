"""``pyx86 bench``: the built-in diagnostics disk's CPU workloads, headless, as a table.

The disk (``disk_images/diag.img``, installed as package data of the
``disk_images`` package) announces each workload on the E9h debug console:
``BENCH <name> start`` before it and ``BENCH <name> end <count>`` after it,
``<count>`` being the workload's instruction count as the disk's source
defines it (each iteration of a REP string instruction is one instruction).
This module boots the disk, presses ``1`` (CPU speed) then ``q``, and times
each workload on the host between its two lines.  The core counts
instructions by the same rule, so its count between the two lines is the
disk's count plus the closing ``OUT`` and the timer interrupts that came
meanwhile; MIPS is that count over host seconds, the emulator's real speed on
that code (the guest's own on-screen figure uses guest time instead).  For
``str`` the figure is mostly REP MOVSB/STOSW iterations per second.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .session import Session

_SOURCE_TREE_IMAGE = Path(__file__).resolve().parent.parent / "disk_images" / "diag.img"
TABLE_NOTE = """\
counted:  the disk's own count (each REP iteration is one instruction)
executed: what the core retired between the BENCH lines, by the same rule
          (the disk's count plus the closing OUT and the timer interrupts)
MIPS:     executed / host seconds"""


def diag_image() -> Path:
    """Where the built-in diagnostics disk is: ``diag.img`` in the ``disk_images`` package
    (package data, so a non-editable install has it too), else beside this source tree."""
    try:
        ref = resources.files("disk_images").joinpath("diag.img")
    except ModuleNotFoundError:
        return _SOURCE_TREE_IMAGE
    return Path(str(ref))            # a file on disk: pyx86 is not run from a zip archive


@dataclass
class Workload:
    name: str
    instructions: int = 0            # as the guest reports it (its "counted" figure)
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


def run_benchmarks(image: Path | None = None, seconds: float = 600.0) -> list[Workload]:
    """Boot the diagnostics disk headless, run its CPU workloads, return their figures."""
    from .session import Session

    with Session("-fda", str(image or diag_image()), "-snapshot", "-display", "none") as pc:
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
    """The ``pyx86 bench`` table: one row per workload, then :data:`TABLE_NOTE`."""
    rows = [f"{'workload':<10}{'counted':>12}{'executed':>12}{'seconds':>10}{'MIPS':>10}"]
    for w in workloads:
        rows.append(f"{w.name:<10}{w.instructions:>12,}{w.executed:>12,}{w.seconds:>10.4f}{w.mips:>10.1f}")
    rows.append(TABLE_NOTE)
    return "\n".join(rows)


def main() -> int:
    """The ``pyx86 bench`` command."""
    print(format_table(run_benchmarks()))
    return 0
