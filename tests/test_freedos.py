"""FreeDOS boots from the shared floppies to its prompt, headless, and runs commands.

One boot per image (module fixture); the commands run in that session.  The
floppy is attached with ``-snapshot``, and the test checks the image file is
byte-identical afterwards, even after a ``copy`` wrote to the disk.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from emulator.session import Session

PROMPT = "A:\\>"
BOOT_SECONDS = 60          # virtual seconds; the boot takes a few


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.fixture(scope="module")
def floppy(images_dir: Path) -> Path:
    path = images_dir / "freedos" / "freedos-boot-1440k.img"
    assert path.is_file(), f"missing {path}"
    return path


@pytest.fixture(scope="module")
def dos(floppy: Path):
    digest = sha256(floppy)
    with Session("-fda", str(floppy), "-boot", "a", "-snapshot", "-rtc", "base=2024-02-29T12:00:00") as pc:
        assert pc.run_until_text(PROMPT, seconds=BOOT_SECONDS), "\n".join(pc.screen())
        yield pc
    assert sha256(floppy) == digest


def command(pc: Session, line: str, expect: str, seconds: float = 5) -> str:
    """Clear the screen, type ``line`` + Enter, run until the prompt is back; the screen text."""
    pc.type("cls\n")
    assert pc.run_until(lambda: [r.rstrip() for r in pc.screen() if r.strip()] == [PROMPT], seconds)
    pc.type(line + "\n")

    def finished() -> bool:
        rows = [r.rstrip() for r in pc.screen() if r.strip()]
        return len(rows) >= 2 and rows[0] == PROMPT + line and rows[-1] == PROMPT

    assert pc.run_until(finished, seconds), "\n".join(pc.screen())
    screen = "\n".join(pc.screen())
    assert expect in screen, screen
    return screen


def test_boots_to_prompt(dos):
    assert any(row.startswith(PROMPT) for row in dos.screen())
    assert dos.stop is None


def test_ver(dos):
    assert "FreeCom version 0.82" in command(dos, "ver", "FreeCom version")


def test_echo(dos):
    command(dos, "echo hello from pyx86", "hello from pyx86")


def test_dir(dos):
    screen = command(dos, "dir", "bytes free")
    for name in ("KERNEL", "COMMAND", "AUTOEXEC", "CONFIG"):
        assert name in screen


def test_type_autoexec(dos):
    command(dos, "type autoexec.bat", "ECHO OFF")


def test_copy_writes_to_the_overlay(dos):
    command(dos, "copy autoexec.bat pyx86.txt", "autoexec.bat => pyx86.txt")
    screen = command(dos, "dir pyx86.txt", "bytes free")
    assert "PYX86" in screen and "TXT" in screen


def test_boot_is_deterministic(floppy):
    """Two boots to the prompt take exactly the same number of instructions."""
    counts = []
    for _ in range(2):
        with Session("-fda", str(floppy), "-snapshot", "-rtc", "base=2024-02-29T12:00:00") as pc:
            assert pc.run_until_text(PROMPT, seconds=BOOT_SECONDS)
            counts.append((pc.machine.executed, pc.screen()))
    assert counts[0] == counts[1]


def test_360k_floppy_boots(images_dir: Path):
    path = images_dir / "freedos" / "freedos-boot-360k.img"
    with Session("-fda", str(path), "-snapshot") as pc:
        assert pc.run_until_text(PROMPT, seconds=BOOT_SECONDS), "\n".join(pc.screen())


def test_snapshots_while_booting_change_nothing(floppy):
    """Save and restore into a new machine every 700,001 instructions of the boot: the screen,
    CPU state and RAM after 6M instructions equal those of an uninterrupted run."""
    import numpy as np

    args = ("-fda", str(floppy), "-snapshot", "-rtc", "base=2024-02-29T12:00:00")
    total = 6_000_000
    with Session(*args) as ref:
        ref.run(insns=total)
        expect = (ref.screen(), ref.machine.cpu.st.copy(), ref.machine.cpu.ram.copy())
    pc = Session(*args)
    done = 0
    while done < total:
        step = min(700_001, total - done)
        pc.run(insns=step)
        done += step
        data = pc.machine.save_state()
        pc.close()
        pc = Session(*args)
        pc.machine.load_state(data)
    with pc:
        assert pc.machine.executed == total
        assert pc.screen() == expect[0] and PROMPT in "\n".join(expect[0])
        assert np.array_equal(pc.machine.cpu.st, expect[1])
        assert np.array_equal(pc.machine.cpu.ram, expect[2])
