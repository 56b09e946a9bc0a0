"""Where the compiled core spends its time: perf samples attributed to numba functions.

Usage (needs Debian's ``linux-perf`` and ``gdb``; a developer tool, not a test)::

    python benchmarks/profile_jit.py mix16 [--seconds 5] [--top 25]

A child process runs the guest in a loop; ``perf record`` samples it with the
software clock (hardware counters are not available on every machine here);
one batch ``gdb`` session resolves each sampled address to the numba function
that contains it (numba's JIT code has symbols in-process only), and the
shares are summed per function.
"""

from __future__ import annotations

import argparse
import re
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

_CHILD = """
import sys
sys.path.insert(0, {root!r})
from benchmarks.guests import load_mix
from emulator.cpu.cpu import CPU
cpu = CPU(ram_size=16 << 20)
load_mix(cpu, {name!r}, outer=1)
while cpu.run(1 << 24) == 0:
    pass
print("ready", flush=True)
while True:
    load_mix(cpu, {name!r})
    while cpu.run(1 << 24) == 0:
        pass
"""


def _short(symbol: str) -> str:
    """``emulator::cpu::interp::run[abi:...](...)`` -> ``interp.run``."""
    symbol = re.sub(r"\[abi:[^\]]*\]", "", symbol).split("(")[0]
    parts = symbol.split("::")
    return ".".join(parts[-2:]) if len(parts) >= 2 else symbol


def profile(name: str, seconds: float, top: int) -> list[tuple[str, float]]:
    """Sample the core running guest ``name``; return (function, percent) pairs."""
    child = subprocess.Popen([sys.executable, "-c", _CHILD.format(root=str(ROOT), name=name)],
                             stdout=subprocess.PIPE, text=True)
    try:
        assert child.stdout is not None
        child.stdout.readline()  # compiled and warmed up
        time.sleep(0.5)
        with tempfile.TemporaryDirectory() as tmp:
            data = Path(tmp) / "perf.data"
            subprocess.run(["perf", "record", "-q", "-e", "cpu-clock", "-p", str(child.pid), "-o", str(data),
                            "sleep", str(seconds)], check=True, capture_output=True)
            report = subprocess.run(["perf", "report", "-i", str(data), "--stdio", "--sort", "sym"],
                                    check=True, capture_output=True, text=True).stdout
            samples = []
            for line in report.splitlines():
                m = re.match(r"\s*([\d.]+)%.*\[\.\]\s+(0x[0-9a-f]+)", line)
                if m:
                    samples.append((float(m.group(1)), m.group(2)))
                elif (m := re.match(r"\s*([\d.]+)%.*\[[.k]\]\s+(\S+)", line)):
                    samples.append((float(m.group(1)), "sym:" + m.group(2)))
            cmds = Path(tmp) / "gdb.txt"
            cmds.write_text("".join(f"info symbol {a}\n" for _, a in samples if not a.startswith("sym:")))
            out = subprocess.run(["gdb", "-p", str(child.pid), "-batch", "-x", str(cmds)],
                                 capture_output=True, text=True).stdout
    finally:
        child.kill()
    names = iter(re.findall(r"^(.*?) in section .*$|^No symbol matches.*$", out, re.M))
    totals: Counter[str] = Counter()
    for pct, addr in samples:
        if addr.startswith("sym:"):
            totals[addr[4:]] += pct
        else:
            sym = next(names, "")
            totals[_short(sym.rsplit(" + ", 1)[0]) if sym else "(unresolved JIT code)"] += pct
    return totals.most_common(top)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("mix", choices=["mix16", "mix32"])
    parser.add_argument("--seconds", type=float, default=5.0)
    parser.add_argument("--top", type=int, default=25)
    args = parser.parse_args()
    for func, pct in profile(args.mix, args.seconds, args.top):
        print(f"{pct:6.2f}%  {func}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
