"""The ``pyx86`` command line: help, version, CPU models and clear one-line errors.

Most cases call ``main()`` in this process; the ``test_process_*`` ones run
``python -m emulator`` as a user would, to check the exit status and that no
traceback is printed.  The last section checks the instruction text that
error messages show (:mod:`emulator.disasm`).
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from emulator import __version__, cli, disasm
from emulator.cpu.models import MODELS

REPO_ROOT = Path(__file__).resolve().parent.parent


def run_main(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    status = cli.main(list(argv))
    out, err = capsys.readouterr()
    return status, out, err


def run_process(*argv: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "emulator", *argv], cwd=REPO_ROOT,
                          capture_output=True, text=True, timeout=60, stdin=subprocess.DEVNULL)


def assert_one_line_error(err: str, *needles: str) -> None:
    assert "Traceback" not in err
    lines = err.splitlines()
    assert len(lines) == 1, err
    assert lines[0].startswith("pyx86: "), err
    for needle in needles:
        assert needle in lines[0], err


@pytest.fixture
def image(tmp_path: Path) -> Path:
    path = tmp_path / "disk.img"
    path.write_bytes(bytes(512))
    return path


# --- help and information -------------------------------------------------------------------
@pytest.mark.parametrize("flag", ["--help", "-help", "-h"])
def test_help_lists_options(capsys, flag):
    status, out, err = run_main(capsys, flag)
    assert status == 0 and err == ""
    for option in ("-cpu", "-m SIZE", "-fda", "-hda", "-cdrom", "-boot", "-kernel", "-append",
                   "-serial", "-display", "-nographic", "-snapshot", "-no-reboot", "-bios",
                   "-rtc", "-debugcon", "-device", "-d ITEM"):
        assert option in out


@pytest.mark.parametrize("flag", ["--version", "-version"])
def test_version(capsys, flag):
    assert run_main(capsys, flag) == (0, f"pyx86 {__version__}\n", "")


@pytest.mark.parametrize("query", ["help", "?"])
def test_cpu_help_lists_every_model(capsys, query):
    status, out, err = run_main(capsys, "-cpu", query)
    assert status == 0 and err == ""
    for name, model in MODELS.items():
        assert any(line.split()[:1] == [name] and model.description in line for line in out.splitlines())


@pytest.mark.parametrize("option", ["-d", "-device", "-display"])
def test_other_help_listings(capsys, option):
    status, out, err = run_main(capsys, option, "help")
    assert status == 0 and err == "" and out.strip()


def test_process_help_version_and_cpu_help():
    help_ = run_process("--help")
    assert help_.returncode == 0 and "-cpu MODEL" in help_.stdout and help_.stderr == ""
    version = run_process("--version")
    assert version.returncode == 0 and version.stdout == f"pyx86 {__version__}\n"
    cpus = run_process("-cpu", "help")
    assert cpus.returncode == 0 and "pentiumpro" in cpus.stdout and "8086" in cpus.stdout


def test_cli_does_not_load_numba():
    code = "import sys; from emulator.cli import main; main(['-cpu', 'help']); print('numba' in sys.modules)"
    done = subprocess.run([sys.executable, "-c", code], cwd=REPO_ROOT, capture_output=True, text=True,
                          timeout=60)
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines()[-1] == "False"


# --- errors: one line, exit status 2, never a traceback ---------------------------------------------
@pytest.mark.parametrize("argv,needles", [
    (["-cpu", "z80"], ["unknown CPU model 'z80'", "pentiumpro"]),
    (["-m", "abc"], ["-m abc", "not a RAM size"]),
    (["-m", "0"], ["-m 0", "1M"]),
    (["-m", "512K"], ["from 1M"]),
    (["-m", "4G"], ["-m 4G"]),
    (["-m", "32M,slots=2"], ["only a size"]),
    (["-hda", "/nonexistent/disk.img"],
     ["cannot open disk image '/nonexistent/disk.img': No such file or directory"]),
    (["-fda", "/"], ["cannot open disk image '/': Is a directory"]),
    (["-kernel", "/nonexistent/bzImage"], ["cannot open kernel image"]),
    (["-append", "console=ttyS0"], ["-append needs -kernel"]),
    (["-monitor", "stdio"], ["unknown option '-monitor'"]),
    (["-hde", "x.img"], ["unknown option '-hde'"]),
    (["-cpu"], ["'-cpu' needs a value"]),
    (["-snapshot=on"], ["'-snapshot' takes no value"]),
    (["-boot", "z"], ["unknown boot drive 'z'"]),
    (["-boot", "order=cc"], ["'c' given twice"]),
    (["-boot", "order=c,menu=yes"], ["menu= must be on or off"]),
    (["-rtc", "base=yesterday"], ["-rtc base=yesterday"]),
    (["-rtc", "clock=wall"], ["-rtc clock=wall"]),
    (["-d", "int,bogus"], ["unknown log item 'bogus'"]),
    (["-display", "gtk"], ["unknown display"]),
    (["-nographic", "-display", "pygame"], ["-nographic cannot be used with -display"]),
    (["-serial", "telnet::4444"], ["unknown backend"]),
    (["-serial", "null", "-serial", "null", "-serial", "null"], ["at most 2 serial ports"]),
    (["-serial", "file:/nonexistent/dir/log"], ["does not exist"]),
    (["-debugcon", "pty"], ["-debugcon pty"]),
    (["-device", "e1000"], ["unknown device 'e1000'"]),
    (["-device", "ne2k_isa,irq=99"], ["irq=99"]),
    (["-device", "ne2k_isa,color=red"], ["unknown option 'color'"]),
])
def test_bad_options_give_one_line(capsys, argv, needles):
    status, out, err = run_main(capsys, *argv)
    assert status == 2
    assert out == ""
    assert_one_line_error(err, *needles)


@pytest.mark.parametrize("argv,needle", [
    (["-cpu", "z80"], "unknown CPU model 'z80'"),
    (["-m", "lots"], "-m lots"),
    (["-hda", "/nonexistent/disk.img"], "cannot open disk image '/nonexistent/disk.img'"),
])
def test_process_errors(argv, needle):
    done = run_process(*argv)
    assert done.returncode == 2 and done.stdout == ""
    assert_one_line_error(done.stderr, needle)


def test_image_and_hda_together(capsys, image):
    status, _, err = run_main(capsys, str(image), "-hda", str(image))
    assert status == 2
    assert_one_line_error(err, "not both")


# --- valid command lines: checked into a Config, then booting is reported unavailable ------------------
def parse(*argv: str) -> cli.Config:
    parser = cli._build_parser()
    return cli.parse_config(parser.parse_args(cli._normalize(argv, parser)))


@pytest.mark.parametrize("text,size", [
    ("32", 32 << 20), ("32M", 32 << 20), ("32m", 32 << 20), ("1G", 1 << 30), ("1.5G", 3 << 29),
    ("size=64M", 64 << 20), ("1024K", 1 << 20), ("256MiB", 256 << 20), ("3G", 3 << 30),
    ("1.0001", (1 << 20) + 4096),  # rounded up to a whole page
])
def test_ram_sizes(text, size):
    assert cli.parse_ram_size(text) == size


def test_full_command_line_is_checked(image, tmp_path):
    log = tmp_path / "com1.log"
    cfg = parse("-cpu", "i486", "-m", "16M", "-fda", str(image), "-hdb", str(image), "-cdrom", str(image),
                "-boot", "order=ac,once=d,menu=on", "-kernel", str(image), "-initrd", str(image),
                "-append", "-v console=ttyS0", "-serial", f"file:{log}", "-serial", "null",
                "-debugcon", "stdio", "-display", "sdl", "-snapshot", "-no-reboot", "-bios", str(image),
                "-rtc", "base=2020-01-02T03:04:05,clock=host", "-d", "int,unimp",
                "-device", "ne2k_isa,iobase=0x300,irq=9,mac=52:54:00:AB:CD:EF", str(image))
    assert cfg.cpu.name == "486" and cfg.ram_size == 16 << 20
    assert cfg.fda == cfg.hda == cfg.hdb == cfg.cdrom == image
    assert (cfg.boot_order, cfg.boot_once, cfg.boot_menu) == ("ac", "d", True)
    assert cfg.kernel == cfg.initrd == cfg.bios == image and cfg.append == "-v console=ttyS0"
    assert cfg.serial == (f"file:{log}", "null") and cfg.debugcon == "stdio"
    assert cfg.display == "pygame" and cfg.snapshot and cfg.no_reboot
    assert (cfg.rtc_base, cfg.rtc_clock) == ("2020-01-02T03:04:05", "host")
    assert cfg.log_items == {"int", "unimp"}
    assert cfg.devices == (("ne2k_isa", {"iobase": 0x300, "irq": 9, "mac": "52:54:00:ab:cd:ef"}),)


def test_defaults_and_qemu_spellings():
    cfg = parse()
    assert cfg.cpu.name == "pentiumpro" and cfg.ram_size == cli.DEFAULT_RAM
    assert cfg.boot_order == "cad" and cfg.display == "pygame" and cfg.serial == ()
    assert parse("--cpu", "286", "-m=2").cpu.name == "286"
    assert parse("-boot", "d").boot_order == "d"
    nographic = parse("-nographic")
    assert nographic.display == "none" and nographic.serial == ("mon:stdio",)


def test_features_not_there_yet_are_reported(capsys):  # -cdrom: test_bios_cdrom, -kernel: test_linuxboot
    status, out, err = run_main(capsys, "-display", "none", "-device", "ne2k_isa")
    assert status == 2 and out == ""
    assert_one_line_error(err, "pyx86: -device ne2k_isa is not available yet in this version")


def test_internal_error_is_one_line(capsys, monkeypatch):
    def broken(config):
        raise RuntimeError("boom")

    monkeypatch.setattr(cli, "boot", broken)
    monkeypatch.delenv("PYX86_DEBUG", raising=False)
    status, _, err = run_main(capsys)
    assert status == 70
    assert_one_line_error(err, "internal error", "RuntimeError: boom")


# --- instruction text in messages ---------------------------------------------------------------
def test_disassembly_with_capstone():
    pytest.importorskip("capstone")
    assert disasm.describe(b"\x0f\x0b\x90", 0x0123) == "0F 0B (ud2)"
    assert disasm.disassemble(b"\xb8\x34\x12\x90", 0x100, count=2) == ["mov ax, 0x1234", "nop"]
    assert disasm.disassemble(b"\xb8\x01\x00\x00\x00", 0, bits=32) == ["mov eax, 1"]
    assert disasm.disassemble(b"\x90\xd6", 0, count=3)[0] == "nop"


def test_disassembly_without_capstone(monkeypatch):
    monkeypatch.setattr(disasm, "_capstone", lambda bits: None)
    assert disasm.describe(b"\x0f\x0b", 0x0123) == "0F 0B"
    assert disasm.disassemble(bytes(range(12)), 0, count=4) == ["00 01 02 03 04 05 06 07"]
    with pytest.raises(ValueError):
        disasm.disassemble(b"\x90", 0, bits=64)


def test_two_media_for_one_drive(capsys, image):
    status, out, err = run_main(capsys, "-fda", str(image), "-fda", str(image))
    assert status == 2
    assert_one_line_error(err, "two media for one drive")


@pytest.mark.parametrize("size, needle", [
    (0, "is empty"),
    (1000, "not a whole number of 512-byte sectors"),
    (100 * 1024, "not the size of a standard floppy disk"),
])
def test_bad_floppy_images(capsys, tmp_path, size, needle):
    path = tmp_path / "bad.img"
    path.write_bytes(bytes(size))
    status, out, err = run_main(capsys, "-display", "none", "-fda", str(path))
    assert status == 2 and out == ""
    assert_one_line_error(err, needle)


def test_bios_image_too_large(capsys, tmp_path):
    path = tmp_path / "big.rom"
    path.write_bytes(bytes(256 * 1024))
    status, _, err = run_main(capsys, "-display", "none", "-bios", str(path))
    assert status == 2
    assert_one_line_error(err, "BIOS image is 262144 bytes")


def test_no_media_boots_the_diagnostics_disk():
    cfg = cli.with_default_guest(cli.parse_config(cli._build_parser().parse_args([])))
    assert cfg.fda is not None and cfg.fda.name == "diag.img" and cfg.snapshot and cfg.boot_order == "a"
    with_disk = cli.parse_config(cli._build_parser().parse_args(["-display=none", "-hda=/dev/null"]))
    assert cli.with_default_guest(with_disk) is with_disk


def test_bench_prints_a_table():
    done = run_process("bench")
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert lines[0].split() == ["workload", "counted", "executed", "seconds", "MIPS"]
    rows = [line.split() for line in lines[1:4]]
    assert [row[0] for row in rows] == ["alu", "mem", "str"]
    for name, counted, executed, _, _ in rows:
        counted, executed = int(counted.replace(",", "")), int(executed.replace(",", ""))
        # the core counts each REP iteration as one instruction, as the disk's count does:
        # the two differ only by the closing OUT and the timer interrupts
        assert 0 < executed - counted < counted // 100, (name, counted, executed)
    assert lines[4].startswith("counted:") and "each REP iteration is one instruction" in lines[4]
