"""The tiny Linux of ``$PYX86_IMAGES/linux`` (see its README) boots to its test and to a shell.

Three boot paths: direct kernel boot, the El Torito CD through ISOLINUX, the
hard disk through the MBR and SYSLINUX.  With ``pyx86.test=1`` the guest runs
its own checks and ends the emulator through the debug-exit port: status 3 is
PASS.  The interactive test talks to the busybox shell on ttyS0.

The boots use QEMU's reference model ``-cpu 486`` and the default
``pentiumpro``, both with the x87 (the awk check needs floating point); the
486SX, without one, runs the kernel's math emulation.  Time limits are
virtual; each boot runs about 120-160 M guest instructions (2.5-4 s here).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from emulator.session import Session

TEST_ARGS = "console=ttyS0 pata_legacy.probe_mask=3 pyx86.test=1"
DEBUG_EXIT = ("-device", "isa-debug-exit,iobase=0xf4,iosize=0x01")
COMMON = ("-m", "32", "-no-reboot", "-rtc", "base=2024-02-29T12:00:00") + DEBUG_EXIT
# what the core or the devices would print if the guest met something they do not model
BAD_SIGNS = ("unknown", "unsupported", "lost", "Unable to", "BUG", "Oops", "panic", "unstable")


@pytest.fixture(scope="module")
def linux_dir(images_dir: Path) -> Path:
    path = images_dir / "linux"
    for name in ("bzImage", "initramfs.cpio.gz", "tiny-linux.iso", "tiny-linux-hdd.img"):
        assert (path / name).is_file(), f"missing {path / name}"
    return path


def finish(pc: Session) -> str:
    """Run to the guest's debug-exit and return its serial output after checking the result."""
    stop = pc.run(seconds=120)
    out = pc.serial_output.decode(errors="replace")
    assert stop is not None and stop.status == 3, (stop, out[-3000:])
    assert "PYX86-LINUX-TEST-RESULT=PASS" in out and "PYX86-LINUX-TEST-DONE" in out
    kernel = [line for line in out.splitlines() if line.startswith("[")]
    bad = [line for line in kernel if any(sign in line for sign in BAD_SIGNS)]
    assert not bad, bad
    return out


@pytest.mark.parametrize("model", ["pentiumpro", "486", "486sx"])
def test_direct_kernel_boot_passes(linux_dir: Path, model: str) -> None:
    with Session("-kernel", str(linux_dir / "bzImage"), "-initrd", str(linux_dir / "initramfs.cpio.gz"),
                 "-append", TEST_ARGS, "-cpu", model, *COMMON) as pc:
        out = finish(pc)
    assert "check awk-float: ok (0.75)" in out
    assert "Linux pyx86 6.1" in out and "GenuineIntel" in out
    assert ("fpu\t\t: no" in out) == (model == "486sx")
    assert ("x87 FPU will use FSAVE" in out) == (model != "486sx")   # FNSAVE/FRSTOR on switches


def test_cd_boot_with_test_typed_on_the_keyboard(linux_dir: Path) -> None:
    """ISOLINUX from the El Torito CD; ``test`` typed at its ``boot:`` prompt on the keyboard."""
    with Session("-cdrom", str(linux_dir / "tiny-linux.iso"), "-boot", "d", "-cpu", "486", *COMMON) as pc:
        assert pc.run_until_text("boot:", seconds=30)
        pc.type("test\n")
        out = finish(pc)
        screen = "\n".join(pc.screen())    # console=tty0 as well: the same boot on the VGA text screen
    assert "mount sr0: ok" in out and "check sr0-has-bzImage: ok (yes)" in out
    assert "PYX86-LINUX-TEST-DONE" in screen and "PYX86-LINUX-TEST-RESULT=PASS" in screen, screen


def test_hard_disk_boot_with_test_typed_on_the_serial_line(linux_dir: Path) -> None:
    """SYSLINUX from the MBR disk (never written: -snapshot); ``test`` sent over COM1."""
    image = linux_dir / "tiny-linux-hdd.img"
    before = image.stat().st_mtime_ns
    with Session("-hda", str(image), "-snapshot", "-cpu", "486", *COMMON) as pc:
        assert pc.run_until(lambda: b"boot:" in pc.serial_output, seconds=30, what="boot:")
        pc.send_serial(b"test\r")
        out = finish(pc)
    assert "check sda1-has-bzImage: ok (yes)" in out or "check hda1-has-bzImage: ok (yes)" in out
    assert image.stat().st_mtime_ns == before


def test_serial_shell_answers(linux_dir: Path) -> None:
    """Without the test flag /init starts a shell on ttyS0: commands and answers over COM1."""
    with Session("-kernel", str(linux_dir / "bzImage"), "-initrd", str(linux_dir / "initramfs.cpio.gz"),
                 "-append", "console=ttyS0 pata_legacy.probe_mask=3", *COMMON) as pc:
        def wait_for(text: bytes, start: int) -> None:
            assert pc.run_until(lambda: text in pc.serial_output[start:], seconds=30, what=repr(text)), \
                pc.serial_output[-2000:]

        wait_for(b"PYX86-LINUX-BOOTED", 0)
        wait_for(b"# ", 0)
        for command, answer in ((b"uname -a", b"Linux pyx86 6.1.192"),
                                (b"grep -c processor /proc/cpuinfo", b"\n1\r\n"),
                                (b"grep 'model name' /proc/cpuinfo", b"Pentium Pro"),
                                (b"echo $((6*7)) $((1<<20))", b"42 1048576")):
            start = len(pc.serial_output)
            pc.send_serial(command + b"\r")
            wait_for(answer, start)
        start = len(pc.serial_output)
        pc.send_serial(b"sleep 100\r")
        pc.run(seconds=0.5)
        pc.send_serial(b"\x03")                        # Ctrl-C reaches the guest's tty ...
        wait_for(b"# ", start + len(b"sleep 100\r\n"))   # ... which ends sleep: a new prompt
        pc.run(seconds=0.2)
        if pc.serial_output.endswith(b"\x1b[6n"):     # busybox asks the terminal where the cursor is
            pc.send_serial(b"\x1b[24;10R")            # (it would read the next keys as the answer)
            pc.run(seconds=0.2)
        start = len(pc.serial_output)
        pc.send_serial(b"echo after-ctrl-c\r")
        wait_for(b"after-ctrl-c\r\n", start)


def test_nographic_terminal(linux_dir: Path) -> None:
    """``pyx86 -nographic`` on a terminal: the guest's shell does the line editing, Ctrl-C
    reaches the guest, Ctrl-A X ends the emulator (exit status 0), the terminal is restored."""
    import os
    import pty
    import select
    import subprocess
    import sys
    import termios
    import time

    master, slave = pty.openpty()
    saved = termios.tcgetattr(slave)
    main = "from emulator.cli import main; raise SystemExit(main())"
    argv = [sys.executable, "-c", main, "-nographic", "-kernel", str(linux_dir / "bzImage"),
            "-initrd", str(linux_dir / "initramfs.cpio.gz"), "-append", "console=ttyS0", *COMMON]
    proc = subprocess.Popen(argv, stdin=slave, stdout=slave, stderr=subprocess.PIPE,
                            cwd=Path(__file__).resolve().parent.parent)
    seen = bytearray()

    def until(text: bytes, seconds: float = 60) -> None:
        end = time.monotonic() + seconds
        while text not in seen:
            assert time.monotonic() < end, bytes(seen[-1500:])
            ready, _, _ = select.select([master], [], [], 0.5)
            if ready:
                seen.extend(os.read(master, 65536))

    try:
        until(b"pyx86:/# ")
        mark = len(seen)
        os.write(master, b"echo $((40+2))\r")
        until(b"\r\n42\r\n")
        os.write(master, b"sleep 50\r")
        time.sleep(0.5)
        os.write(master, b"\x03")                     # Ctrl-C: to the guest, not to pyx86
        until(b"pyx86:/# ", 30)
        assert proc.poll() is None and len(seen) > mark
        os.write(master, b"\x01x")                    # Ctrl-A X
        assert proc.wait(timeout=30) == 0, proc.stderr.read() if proc.stderr else ""
        assert termios.tcgetattr(slave) == saved     # cooked mode back
    finally:
        if proc.poll() is None:
            proc.kill()
        os.close(master)
        os.close(slave)


def test_vga_console_shell_on_the_keyboard(linux_dir: Path) -> None:
    """``console=tty0``: the shell on the VGA text console answers keys typed on the PS/2
    keyboard (scancodes through the 8042 to Linux's atkbd driver)."""
    with Session("-kernel", str(linux_dir / "bzImage"), "-initrd", str(linux_dir / "initramfs.cpio.gz"),
                 "-append", "console=ttyS0 console=tty0", *COMMON) as pc:
        assert pc.run_until_text("pyx86:/# ", seconds=30), pc.screen()
        pc.type("echo $((6*7)) done\n")
        assert pc.run_until_text("42 done", seconds=10), pc.screen()
