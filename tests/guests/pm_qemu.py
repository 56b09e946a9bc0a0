"""Run the protected-mode test ROMs on QEMU to validate their expected reports.

    python tests/guests/pm_qemu.py                 # every program: compare with the tests
    python tests/guests/pm_qemu.py NAME [NAME...]  # print these programs' reports

The tests never need QEMU; this is how their expected reports were checked.
Where the expectation deliberately follows the SDM rather than QEMU's TCG, the
test module lists the program in ``QEMU_DIFFERS`` with the QEMU report.
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from tests.guests.pm import program_names, program_rom  # noqa: E402

QEMU = "qemu-system-i386"


def run_qemu(rom: bytes, cpu: str = "pentium2,-apic", timeout: float = 20.0) -> tuple[bytes, int]:
    """Run ``rom`` as QEMU's BIOS (TCG); return (debug console output, exit status)."""
    with tempfile.TemporaryDirectory() as tmp:
        rom_path, out_path = Path(tmp) / "rom.bin", Path(tmp) / "e9.txt"
        rom_path.write_bytes(rom)
        try:
            done = subprocess.run(
                [QEMU, "-M", "isapc", "-cpu", cpu, "-m", "32", "-bios", str(rom_path),
                 "-display", "none", "-no-reboot", "-debugcon", f"file:{out_path}",
                 "-device", "isa-debug-exit,iobase=0xf4,iosize=4", "-monitor", "none",
                 "-serial", "none"], capture_output=True, timeout=timeout)
            status = done.returncode
        except subprocess.TimeoutExpired:
            status = -1
        out = out_path.read_bytes() if out_path.exists() else b""
    return out, status


def main(argv: list[str]) -> int:
    """Print the named programs' reports, or check them all against the tests."""
    if argv:
        for name in argv:
            out, status = run_qemu(program_rom(name))
            print(f"--- {name}: status {status}")
            print(out.decode("latin-1"), end="")
        return 0
    from emulator.machine import STATUS_SHUTDOWN
    from tests.test_pm_system import EXPECTED, QEMU_DIFFERS

    bad = 0
    for name in program_names():
        out, status = run_qemu(program_rom(name))
        want_out, want_status = EXPECTED[name]
        if want_status == STATUS_SHUTDOWN:
            want_status = 0              # QEMU -no-reboot exits with 0 on a triple fault
        note = ""
        if name in QEMU_DIFFERS:         # check that QEMU still departs as recorded
            want_out, want_status, _ = QEMU_DIFFERS[name]
            note = " (QEMU differs from the SDM here, as recorded)"
        ok = out.decode("latin-1") == want_out and status == want_status
        bad += not ok
        print(f"{'ok  ' if ok else 'FAIL'} {name}{note}" + ("" if ok else f" (status {status})"))
        if not ok:
            print(out.decode("latin-1"), end="")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
