"""FreeDOS boot to the ``A:\\>`` prompt: wall time including process start, and instructions.

A fresh interpreter runs::

    Session("-fda", <freedos-boot-1440k.img>, "-snapshot").run_until_text("A:\\>")

with the normal numba cache (warmed by an untimed first run), and prints the
guest instruction count and virtual time.  The whole subprocess is timed, from
spawn to exit: Python start, imports, loading the compiled core, building the
machine and BIOS ROM (fonts included), POST and the boot.  Target (issue 4):
at most 2 s; QEMU's TCG takes ~0.5 s on this machine class.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
IMAGES = Path(os.environ.get("PYX86_IMAGES", REPO.parent / "shared" / "images"))
PROGRAM = """
import sys
from emulator.session import Session
with Session("-fda", sys.argv[1], "-snapshot", "-rtc", "base=2024-02-29T12:00:00") as pc:
    assert pc.run_until_text("A:\\\\>", seconds=60), pc.screen()
    print(pc.machine.executed, pc.machine.clock.now)
"""


def boot_once() -> tuple[float, int, int]:
    image = IMAGES / "freedos" / "freedos-boot-1440k.img"
    start = time.perf_counter()
    proc = subprocess.run([sys.executable, "-c", PROGRAM, str(image)], cwd=REPO,
                          capture_output=True, text=True, timeout=600)
    wall = time.perf_counter() - start
    assert proc.returncode == 0, proc.stderr
    insns, ns = (int(x) for x in proc.stdout.split())
    return wall, insns, ns


def test_freedos_boot_to_prompt(benchmark):
    boot_once()                                   # compile or load the core cache, untimed
    result: dict[str, int] = {}

    def run() -> None:
        _, result["insns"], result["ns"] = boot_once()

    benchmark.pedantic(run, rounds=3, iterations=1)
    wall = benchmark.stats.stats.mean
    benchmark.extra_info.update(boot_wall_s=wall, instructions=result["insns"],
                                virtual_ms=result["ns"] / 1e6)
    print(f"\nFreeDOS boot to prompt: {wall:.2f} s wall (process start included), "
          f"{result['insns']:,} instructions, {result['ns'] / 1e6:.0f} ms virtual")
