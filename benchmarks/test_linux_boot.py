"""The tiny Linux (``$PYX86_IMAGES/linux``) booted to ``PYX86-LINUX-TEST-DONE`` on each path.

A fresh interpreter boots the guest with ``pyx86.test=1`` (for the CD and the
disk, ``test`` is sent over COM1 at the boot loader's prompt) and runs until
the guest's debug-exit write; the whole subprocess is timed, process start
included, with a warm numba cache.  The guest instruction count is reported
too.  When ``qemu-system-i386`` is installed, QEMU's TCG boots the same image
with the same options in the same run (``-M isapc -cpu 486``), for the ratio
the issue asks about (target: within 3x), with QEMU's model ``486`` and with
pyx86's default ``pentiumpro`` (QEMU always runs ``-cpu 486``).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
LINUX = Path(os.environ.get("PYX86_IMAGES", REPO.parent / "shared" / "images")) / "linux"
ARGS = "console=ttyS0 pata_legacy.probe_mask=3"
PATHS = {
    "direct": ["-kernel", str(LINUX / "bzImage"), "-initrd", str(LINUX / "initramfs.cpio.gz"),
               "-append", ARGS + " pyx86.test=1"],
    "cdrom": ["-cdrom", str(LINUX / "tiny-linux.iso"), "-boot", "d"],
    "hdd": ["-hda", str(LINUX / "tiny-linux-hdd.img"), "-snapshot"],
}
PROGRAM = """
import sys
from emulator.session import Session
with Session(*sys.argv[2:], "-cpu", sys.argv[1], "-m", "32", "-no-reboot",
             "-device", "isa-debug-exit,iobase=0xf4,iosize=0x01") as pc:
    if "-kernel" not in sys.argv:
        assert pc.run_until(lambda: b"boot:" in pc.serial_output, seconds=30)
        pc.send_serial(b"test\\r")
    stop = pc.run(seconds=120)
    assert stop is not None and stop.status == 3, (stop, pc.serial_output[-2000:])
    print(pc.machine.executed)
"""


def boot_once(path: str, model: str) -> tuple[float, int]:
    start = time.perf_counter()
    proc = subprocess.run([sys.executable, "-c", PROGRAM, model, *PATHS[path]], cwd=REPO,
                          capture_output=True, text=True, timeout=600)
    wall = time.perf_counter() - start
    assert proc.returncode == 0, proc.stderr[-3000:]
    return wall, int(proc.stdout.split()[-1])


def qemu_once(path: str) -> float | None:
    """Wall time of QEMU's TCG for the same boot, or None when QEMU is not installed."""
    qemu = shutil.which("qemu-system-i386")
    if qemu is None:
        return None
    argv = [qemu, "-accel", "tcg", "-no-reboot", "-display", "none", "-serial", "stdio", "-monitor",
            "none", "-device", "isa-debug-exit,iobase=0xf4,iosize=0x01", "-M", "isapc", "-cpu", "486",
            "-m", "32", *PATHS[path]]
    start = time.perf_counter()
    proc = subprocess.Popen(argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                            stderr=subprocess.DEVNULL)
    assert proc.stdin is not None and proc.stdout is not None
    seen = b""
    if path != "direct":
        while b"boot:" not in seen:
            chunk = proc.stdout.read1(4096)
            if not chunk:
                break
            seen += chunk
        proc.stdin.write(b"test\r")
        proc.stdin.flush()
    proc.communicate(timeout=600)
    wall = time.perf_counter() - start
    return wall if proc.returncode == 3 else None


@pytest.mark.parametrize("model", ["486", "pentiumpro"])
@pytest.mark.parametrize("path", list(PATHS))
def test_linux_boot_to_test_done(benchmark, path: str, model: str) -> None:
    boot_once(path, model)                      # load the core cache, untimed
    result: dict[str, int] = {}

    def run() -> None:
        _, result["insns"] = boot_once(path, model)

    benchmark.pedantic(run, rounds=2, iterations=1)
    wall = benchmark.stats.stats.mean
    qemu = qemu_once(path)
    benchmark.extra_info.update(boot_wall_s=wall, instructions=result["insns"], qemu_wall_s=qemu)
    ratio = f", QEMU TCG {qemu:.2f} s ({wall / qemu:.1f}x)" if qemu else ", QEMU not installed"
    print(f"\nLinux {path} boot to test done, -cpu {model}: {wall:.2f} s wall (process start included), "
          f"{result['insns']:,} instructions{ratio}")
