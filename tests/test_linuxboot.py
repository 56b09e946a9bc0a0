"""Direct Linux boot (``-kernel``/``-initrd``/``-append``): header, load plan, errors, setup entry.

The shared bzImage (``$PYX86_IMAGES/linux``) is parsed and loaded by the
BIOS; the guest memory and registers at the setup entry are checked against
the Linux boot protocol (Documentation/x86/boot.rst).  Small synthesized
"bzImages" (a header and a few zero bytes) cover each refusal, through the
``pyx86`` command.  The run test lets the real-mode setup code run until it
has asked the BIOS for the memory map (INT 15h E820h); it does not depend on
how far the core gets after that (protected mode).
"""

from __future__ import annotations

import dataclasses
import struct
import subprocess
import sys
from pathlib import Path

import pytest

from emulator import cli
from emulator import linuxboot as LB
from emulator.cli import Config
from emulator.cpu import state as S
from emulator.cpu.models import get_model
from emulator.machine import Machine

REPO_ROOT = Path(__file__).resolve().parent.parent
CMDLINE = "console=ttyS0 pata_legacy.probe_mask=3"
SMAP = 0x534D4150


@pytest.fixture(scope="module")
def linux_dir(images_dir: Path) -> Path:
    path = images_dir / "linux"
    for name in ("bzImage", "initramfs.cpio.gz"):
        assert (path / name).is_file(), f"missing {path / name}"
    return path


def synth_bzimage(version: int = 0x020F, loadflags: int = LB.LOADED_HIGH, setup_sects: int = 4,
                  payload: int = 4096, syssize: int | None = None, cmdline_size: int = 2047,
                  init_size: int = 0, magic: bytes = b"HdrS", flag: int = 0xAA55) -> bytes:
    """A bzImage-shaped file: a setup header and ``payload`` zero bytes of "kernel"."""
    image = bytearray((setup_sects + 1) * 512 + payload)
    struct.pack_into("<BxxI", image, 0x1F1, setup_sects, payload // 16 if syssize is None else syssize)
    struct.pack_into("<H", image, 0x1FE, flag)
    image[0x200:0x202] = b"\xEB\x6A"                       # jump over the header (ends at 26Ch)
    image[0x202:0x206] = magic
    struct.pack_into("<HB", image, 0x206, version, 0)
    image[0x211] = loadflags
    struct.pack_into("<I", image, 0x22C, 0x7FFFFFFF)       # initrd_addr_max
    struct.pack_into("<IB", image, 0x230, 0x100000, 1)     # kernel_alignment, relocatable
    struct.pack_into("<I", image, 0x238, cmdline_size)
    struct.pack_into("<QI", image, 0x258, 0x100000, init_size)
    return bytes(image)


def u16(data: bytes, off: int) -> int:
    return struct.unpack_from("<H", data, off)[0]


def u32(data: bytes, off: int) -> int:
    return struct.unpack_from("<I", data, off)[0]


# --- the header of the shared kernel -----------------------------------------------------------
def test_parse_shared_bzimage(linux_dir: Path) -> None:
    image = (linux_dir / "bzImage").read_bytes()
    hdr = LB.parse_header(image)
    assert hdr.setup_sects == 31 and hdr.setup_size == 32 * 512
    assert hdr.version == 0x020F and hdr.protocol == "2.15"
    assert hdr.loadflags & LB.LOADED_HIGH
    assert hdr.kernel_version.startswith("6.1.192 ")
    assert hdr.cmdline_size == 2047 and hdr.initrd_addr_max == 0x7FFFFFFF
    assert hdr.kernel_alignment == 0x200000 and not hdr.relocatable
    assert hdr.pref_address == 0x1000000 and hdr.runtime_start() == 0x1000000
    assert hdr.init_size > 0 and hdr.vid_mode == 0xFFFF
    assert hdr.syssize * 16 <= len(image) - hdr.setup_size


def test_plan_places_everything(linux_dir: Path) -> None:
    image = (linux_dir / "bzImage").read_bytes()
    initrd = (linux_dir / "initramfs.cpio.gz").read_bytes()
    boot = LB.plan(image, initrd, CMDLINE.encode(), ram_top=32 << 20)
    hdr = boot.header
    # the setup at 1000:0000, heap to E000h, command line after it, kernel at 1 MiB
    assert (boot.setup_addr, boot.setup_seg, boot.heap_end) == (0x10000, 0x1000, 0xE000)
    assert boot.cmdline_addr == 0x1E000 and boot.kernel_addr == 0x100000
    assert boot.kernel == image[hdr.setup_size:]
    # the initrd as high as possible, page-aligned, above what the kernel needs to unpack
    assert boot.initrd_addr % 4096 == 0
    assert (32 << 20) - 4096 < boot.initrd_addr + len(initrd) <= 32 << 20
    assert boot.initrd_addr >= hdr.runtime_start() + hdr.init_size
    # the header fields the loader writes
    s = boot.setup
    assert s[0x210] == 0xFF and s[0x211] == hdr.loadflags | LB.CAN_USE_HEAP
    assert u16(s, 0x224) == 0xE000 - 0x200 and s[0x226] == s[0x227] == 0
    assert u32(s, 0x228) == 0x1E000
    assert (u32(s, 0x218), u32(s, 0x21C)) == (boot.initrd_addr, len(initrd))
    assert u16(s, 0x1FA) == 0xFFFF
    assert s[0x230:] == image[0x230:hdr.setup_size]          # nothing else changed
    assert boot.entry_registers() == {"ds": 0x1000, "es": 0x1000, "fs": 0x1000, "gs": 0x1000,
                                      "ss": 0x1000, "cs": 0x1020, "ip": 0, "esp": 0xE000}


def test_vga_option_sets_vid_mode() -> None:
    """vga= goes into vid_mode ([boot] "Special command line options"): names, C numbers."""
    image = synth_bzimage()
    for cmdline, mode in ((b"", 0xFFFF), (b"vga=ask", 0xFFFD), (b"quiet vga=ext", 0xFFFE),
                          (b"vga=0x314 root=/dev/ram0", 0x314), (b"vga=791", 791), (b"vga=0777", 0o777),
                          (b"vga=ask vga=normal", 0xFFFF)):
        assert u16(LB.plan(image, b"", cmdline).setup, 0x1FA) == mode, cmdline
    for bad in (b"vga=foo", b"vga=0x10000", b"vga=", b"vga=0x"):
        with pytest.raises(LB.LinuxBootError, match="vga="):
            LB.plan(image, b"", bad)


def test_plan_of_an_old_protocol_kernel() -> None:
    """Protocol 2.02: command lines up to 255 bytes, the initrd below 37FFFFFFh."""
    image = synth_bzimage(version=0x0202)
    hdr = LB.parse_header(image)
    assert hdr.cmdline_size == 255 and hdr.initrd_addr_max == 0x37FFFFFF
    assert hdr.runtime_start() == 0x100000 and hdr.init_size == 0
    boot = LB.plan(image, b"\x01" * 5000, b"x" * 255, ram_top=1 << 30)
    assert boot.initrd_addr + 5000 <= 0x38000000 < boot.initrd_addr + 5000 + 4096
    with pytest.raises(LB.LinuxBootError, match="at most 255"):
        LB.plan(image, b"", b"x" * 256)


# --- the BIOS loads the kernel and enters the setup code -------------------------------------------
def linux_config(linux_dir: Path, model: str = "486", **changes) -> Config:
    cfg = Config(cpu=get_model(model), ram_size=32 << 20, display="none", kernel=linux_dir / "bzImage",
                 initrd=linux_dir / "initramfs.cpio.gz", append=CMDLINE,
                 rtc_base="2024-02-29T12:00:00")
    return dataclasses.replace(cfg, **changes)


def test_bios_loads_kernel_and_enters_setup(linux_dir: Path, tmp_path: Path) -> None:
    disk = tmp_path / "disk.img"                                 # -kernel wins over a disk
    boot_sector = bytearray(512)
    boot_sector[510:] = b"\x55\xAA"
    disk.write_bytes(bytes(boot_sector))
    m = Machine(linux_config(linux_dir, hda=disk, boot_order="c"), log=lambda text: None)
    assert m.bios is not None and m.linux is not None
    start = m.bios.services[0x19]
    m.bios.services[0x19] = lambda: (start(), m.stop(0, "setup entry"))
    stop = m.run(max_insns=50_000_000, max_ns=60_000_000_000)
    assert stop is not None and stop.message == "setup entry"
    cpu, boot = m.cpu, m.linux
    # registers at the setup entry ([boot] "Running the kernel")
    assert (cpu["cs"], cpu["ip"]) == (0x1020, 0)
    assert all(cpu[seg] == 0x1000 for seg in ("ds", "es", "fs", "gs", "ss"))
    assert cpu["esp"] == 0xE000
    assert not cpu["eflags"] & S.IF
    # the header in guest memory
    setup = cpu.read_phys(0x10000, boot.header.setup_size)
    assert setup == boot.setup
    assert setup[0x210] == 0xFF and setup[0x211] & LB.CAN_USE_HEAP
    assert u16(setup, 0x224) == 0xDE00
    # the command line, NUL-terminated, where cmd_line_ptr says
    ptr = u32(setup, 0x228)
    assert cpu.read_phys(ptr, len(CMDLINE) + 1) == CMDLINE.encode() + b"\0"
    # the initrd where ramdisk_image says, the kernel at 1 MiB
    initrd = (linux_dir / "initramfs.cpio.gz").read_bytes()
    assert u32(setup, 0x21C) == len(initrd)
    assert cpu.read_phys(u32(setup, 0x218), len(initrd)) == initrd
    assert cpu.read_phys(0x100000, len(boot.kernel)) == boot.kernel
    assert cpu.read_phys(0x7C00, 512) != bytes(boot_sector)   # the disk was not booted
    m.close()


def test_setup_code_runs_and_asks_for_the_memory_map(linux_dir: Path) -> None:
    """The real-mode setup runs and calls INT 15h E820h (seen by the ``-d int`` trace and by
    the BIOS calls' return addresses); bounded, whatever stops the run afterwards."""
    log: list[str] = []
    m = Machine(linux_config(linux_dir, log_items=frozenset({"int"})), log=log.append)
    setup_end = 0x10000 + m.linux.header.setup_size
    calls: list[tuple[int, int, int, int]] = []               # (caller linear address, vector, AX, EDX)
    service = m.bios_service

    def record(machine: Machine, vector: int) -> None:
        cpu = machine.cpu
        frame = (cpu["ss"] << 4) + cpu["sp"]                    # the INT pushed IP, CS, FLAGS
        ip, cs = machine.bios.rd16(frame), machine.bios.rd16(frame + 2)
        calls.append(((cs << 4) + ip, vector, cpu["ax"], cpu["edx"]))
        service(machine, vector)

    m.bios_service = record
    m.run(max_insns=2_000_000, max_ns=10_000_000_000)
    from_setup = [c for c in calls if 0x10000 <= c[0] < setup_end]
    e820 = [c for c in from_setup if c[1] == 0x15 and c[2] == 0xE820]
    assert e820 and all(edx == SMAP for *_, edx in e820), calls
    assert any("BIOS service 15h AX=E820" in line for line in log)
    m.close()


def test_bios_answers_the_setup_code_queries(tmp_path: Path) -> None:
    """What the setup code of Linux asks the BIOS besides the memory map (boot.rst callers:
    keyboard, video probe, IST, APM, EDD): answered, or refused the way it expects."""
    from tests.bios_harness import BiosBox

    disk = tmp_path / "hd.img"
    disk.write_bytes(bytes(16 * 63 * 512 * 4))
    box = BiosBox(hda=disk)
    for ax in (0xE980, 0xEC00, 0x5300):            # IST, 64-bit mode hint, APM: not supported
        out = box.call(0x15, ax=ax, bx=0, edx=0x47534943)
        assert out["cf"] and out["ah"] == 0x86, hex(ax)
    assert box.call(0x16, ax=0x0200)["al"] == box.bios.rd8(0x417)     # shift flags
    out = box.call(0x16, ax=0x0305, bx=0)           # typematic rate: accepted
    assert out["ax"] == 0x0305 and out["stop"] is not None
    out = box.call(0x10, ax=0x1200, bx=0x0010)      # EGA information: colour, 256 KiB
    assert (out["bh"], out["bl"]) == (0x00, 0x03)
    out = box.call(0x10, ax=0x1A00)                 # display combination: VGA, colour
    assert (out["al"], out["bl"]) == (0x1A, 0x08)
    assert box.call(0x10, ax=0x4F00, es=0, di=0x600)["ax"] == 0x004F     # VBE present
    assert box.bios.rd32(0x600) == int.from_bytes(b"VESA", "little")
    out = box.call(0x13, ax=0x4100, bx=0x55AA, dx=0x0080)                # EDD present
    assert not out["cf"] and out["bx"] == 0xAA55 and out["cx"] & 1
    box.bios.wr16(0x600, 0x42)                      # an EDD 3.0-sized result buffer
    out = box.call(0x13, ax=0x4800, dx=0x0080, ds=0, si=0x600)
    assert not out["cf"] and box.bios.rd16(0x600) in (0x1A, 0x1E)
    assert box.bios.rd32(0x610) == 16 * 63 * 4     # total sectors (low dword)


# --- bad input: one line, exit status 2, before the guest runs ------------------------------------
def run_main(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str]:
    status = cli.main(["-display", "none", *argv])
    out, err = capsys.readouterr()
    assert out == ""
    return status, err


def assert_one_line(err: str, *needles: str) -> None:
    lines = err.splitlines()
    assert len(lines) == 1 and lines[0].startswith("pyx86: ") and "Traceback" not in err, err
    for needle in needles:
        assert needle in lines[0], err


@pytest.mark.parametrize("image, needles", [
    (bytes(4096), ["not a Linux kernel image", "55AAh"]),
    (synth_bzimage(magic=b"\0\0\0\0"), ["not a bzImage", "'HdrS'"]),
    (synth_bzimage(version=0x0201), ["boot protocol 2.01", "protocol 2.02 and newer"]),
    (synth_bzimage(version=0x0204, loadflags=0), ["zImage", "not supported"]),
    (synth_bzimage(syssize=0x10000), ["truncated bzImage"]),
    (synth_bzimage(setup_sects=80), ["setup code is 41472 bytes"]),
    (synth_bzimage(init_size=64 << 20), ["needs 65 MiB of RAM", "32 MiB", "-m"]),
])
def test_bad_kernels(capsys, tmp_path: Path, image: bytes, needles: list[str]) -> None:
    kernel = tmp_path / "vmlinuz"
    kernel.write_bytes(image)
    status, err = run_main(capsys, "-kernel", str(kernel))
    assert status == 2
    assert_one_line(err, f"-kernel {kernel}", *needles)


def test_initrd_that_does_not_fit(capsys, tmp_path: Path) -> None:
    kernel, initrd = tmp_path / "bzImage", tmp_path / "initrd"
    kernel.write_bytes(synth_bzimage())
    initrd.write_bytes(bytes(3 << 20))
    status, err = run_main(capsys, "-m", "4M", "-kernel", str(kernel), "-initrd", str(initrd))
    assert status == 2
    assert_one_line(err, f"-initrd {initrd}", "3 MiB", "does not fit in RAM", "larger -m")
    assert LB.plan(kernel.read_bytes(), initrd.read_bytes(), ram_top=5 << 20).initrd_addr == 2 << 20


@pytest.mark.parametrize("version, limit", [(0x020F, 2047), (0x0205, 255)])
def test_command_line_over_the_limit(capsys, tmp_path: Path, version: int, limit: int) -> None:
    kernel = tmp_path / "bzImage"
    kernel.write_bytes(synth_bzimage(version=version))
    status, err = run_main(capsys, "-kernel", str(kernel), "-append", "x" * (limit + 1))
    assert status == 2
    assert_one_line(err, f"command line is {limit + 1} bytes", f"at most {limit}")


@pytest.mark.parametrize("argv, needles", [
    (["-kernel", "/nonexistent/bzImage"], ["cannot open kernel image '/nonexistent/bzImage'"]),
    (["-kernel", "{k}", "-initrd", "/nonexistent/initrd"], ["cannot open initrd image"]),
    (["-kernel", "{tmp}"], ["cannot open kernel image", "Is a directory"]),
    (["-initrd", "{k}"], ["-initrd needs -kernel"]),
    (["-append", "quiet"], ["-append needs -kernel"]),
    (["-kernel", "{k}", "-bios", "{k}"], ["-kernel needs pyx86's own BIOS"]),
])
def test_other_refusals(capsys, tmp_path: Path, argv: list[str], needles: list[str]) -> None:
    kernel = tmp_path / "bzImage"
    kernel.write_bytes(synth_bzimage())
    argv = [a.format(k=kernel, tmp=tmp_path) for a in argv]
    status, err = run_main(capsys, *argv)
    assert status == 2
    assert_one_line(err, *needles)


def test_process_refuses_a_non_kernel(tmp_path: Path) -> None:
    junk = tmp_path / "notes.txt"
    junk.write_text("not a kernel\n" * 100)
    proc = subprocess.run([sys.executable, "-m", "emulator", "-display", "none", "-kernel", str(junk)],
                          cwd=REPO_ROOT, capture_output=True, text=True, timeout=120,
                          stdin=subprocess.DEVNULL)
    assert proc.returncode == 2 and proc.stdout == ""
    assert_one_line(proc.stderr, "not a Linux kernel image")


def test_help_mentions_direct_boot(capsys) -> None:
    assert cli.main(["--help"]) == 0
    out = capsys.readouterr().out
    assert "bzImage" in out and "-initrd FILE" in out and "-append CMDLINE" in out
