"""The ``pyx86`` command: QEMU-style options, checked and gathered into a :class:`Config`.

Options are spelled as in ``qemu-system-i386`` (one dash, long names, each
value as the next word: ``pyx86 -cpu 486 -m 32M -fda dos.img -boot a``);
``--name`` and ``-name=value`` are accepted too.  Every mistake is reported
as one ``pyx86: ...`` line with exit status 2, never a Python traceback.

After the options are checked, :func:`boot` builds the :class:`~emulator.machine.Machine`
and runs it; the exit status is the machine's (see ``pyx86 --help``).
Only :mod:`emulator.cpu.models` is imported from the core: ``--help`` and
``-cpu help`` stay fast because numba is never loaded here.
"""

from __future__ import annotations

import argparse
import math
import os
import re
import sys
import traceback
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime
from fractions import Fraction
from pathlib import Path
from typing import NoReturn

from emulator import __version__
from emulator.cpu.models import DEFAULT_MODEL, MODEL_ALIASES, MODELS, Model, get_model

PROG = "pyx86"
EXIT_USAGE = 2       # bad options, or a feature this version does not have
EXIT_INTERNAL = 70   # EX_SOFTWARE: a bug in pyx86

MiB = 1 << 20
MIN_RAM = 1 * MiB
MAX_RAM = 3 << 30    # the top GiB of the 32-bit space stays free for ROM and MMIO
DEFAULT_RAM = 32 * MiB
RAM_GRANULE = 4096   # -m is rounded up to whole pages

BOOT_DEVICES = {"a": "first floppy", "b": "second floppy", "c": "first hard disk", "d": "CD-ROM"}
DISPLAYS = {
    "pygame": "a window drawn with pygame (the default)",
    "sdl": "the same as pygame (pygame draws with SDL)",
    "curses": "the text screen in this terminal (Ctrl-A X quits)",
    "none": "no display: the guest still has a video card, nothing is shown",
}
LOG_ITEMS = {
    "in_asm": "disassembly of the guest code that runs",
    "exec": "guest code addresses as they run",
    "cpu": "CPU registers as guest code runs",
    "int": "interrupts and exceptions",
    "guest_errors": "guest mistakes, such as access to a port no device claims",
    "unimp": "use of features that pyx86 does not implement",
}
# -device drivers: description and properties; a property is a number up to its limit, or a MAC
DEVICES: dict[str, tuple[str, tuple[str, ...]]] = {
    "ne2k_isa": ("NE2000 ISA network card (not available yet)", ("iobase", "irq", "mac")),
    "isa-debug-exit": ("debug exit port: writing V ends pyx86 with exit status (V << 1) | 1 "
                       "(default iobase=0x501, iosize=2)", ("iobase", "iosize")),
}
DEVICE_PROPS: dict[str, int | None] = {"iobase": 0xFFFF, "irq": 15, "mac": None, "iosize": 4}
RTC_CLOCKS = ("host", "rt", "vm")


class UsageError(Exception):
    """A mistake in the command line: printed as one ``pyx86: ...`` line, exit status 2."""


@dataclass(frozen=True)
class Config:
    """Everything the command line asked for, checked; what the machine will be built from."""

    cpu: Model
    ram_size: int
    fda: Path | None = None
    fdb: Path | None = None
    hda: Path | None = None
    hdb: Path | None = None
    hdc: Path | None = None                 # secondary IDE master (where -cdrom goes)
    hdd: Path | None = None
    cdrom: Path | None = None
    boot_order: str = "cad"                 # QEMU's default order: floppy, hard disk, CD-ROM
    boot_once: str | None = None
    boot_menu: bool = False
    kernel: Path | None = None
    initrd: Path | None = None
    append: str = ""
    bios: Path | None = None
    serial: tuple[str, ...] = ()            # chardev of COM1, COM2, ... ("stdio", "file:PATH", ...)
    debugcon: str | None = None
    display: str = "pygame"
    snapshot: bool = False
    no_reboot: bool = False
    rtc_base: str = "utc"                   # "utc", "localtime" or an ISO date/time
    rtc_clock: str | None = None            # host/rt: wall-clock pacing, vm: deterministic;
                                            # None: vm headless, host with a window or terminal
    log_items: frozenset[str] = frozenset()
    screendump: Path | None = None          # PNG (or .ppm) of the screen when the run ends
    devices: tuple[tuple[str, dict[str, int | str]], ...] = ()


# --- the parser ------------------------------------------------------------------------------
class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        raise UsageError(message)


class _Once(argparse.Action):
    """A single-valued option: giving it twice is a mistake (two media for one drive)."""

    def __call__(self, parser, namespace, values, option_string=None) -> None:  # type: ignore[override]
        if getattr(namespace, self.dest, None) is not None:
            what = "two media for one drive" if self.dest in DRIVE_OPTIONS else "given twice"
            raise UsageError(f"{option_string} {values}: {option_string} is already "
                             f"{getattr(namespace, self.dest)} ({what})")
        setattr(namespace, self.dest, values)


DRIVE_OPTIONS = ("fda", "fdb", "hda", "hdb", "hdc", "hdd", "cdrom")


def _build_parser() -> _Parser:
    p = _Parser(
        prog=PROG, add_help=False, allow_abbrev=False,
        usage=f"{PROG} [options] [IMAGE]",
        description="pyx86: a full-system x86 PC emulator in Python. The options are spelled "
                    "as in QEMU; 'pyx86 IMAGE' is 'pyx86 -hda IMAGE'.",
        epilog="With no media pyx86 boots its built-in diagnostics disk; 'pyx86 bench' runs that "
               "disk's CPU workloads headless and prints a table.  Exit status: the guest's "
               "isa-debug-exit value (V << 1) | 1; 0 when the guest resets "
               "with -no-reboot; 2 for a usage error; 4 unimplemented instruction; 6 triple fault "
               "with -no-reboot; 8 execution outside memory; 10 the guest halted for good.",
    )
    g = p.add_argument_group("standard options")
    g.add_argument("-h", "-help", "--help", dest="help", action="store_true",
                   help="show this help and exit")
    g.add_argument("-version", "--version", dest="version", action="store_true",
                   help="print the version and exit")
    g.add_argument("-cpu", metavar="MODEL", default=DEFAULT_MODEL,
                   help=f"CPU model (default {DEFAULT_MODEL}; '-cpu help' lists them)")
    g.add_argument("-m", dest="mem", metavar="SIZE",
                   help="RAM size: MiB, or with a K/M/G suffix (32, 32M, 1G; "
                        f"default {DEFAULT_RAM // MiB}M, from 1M to {MAX_RAM >> 30}G)")
    g = p.add_argument_group("block devices")
    g.add_argument("-fda", action=_Once, metavar="FILE", help="floppy disk image in drive A:")
    g.add_argument("-fdb", action=_Once, metavar="FILE", help="floppy disk image in drive B:")
    g.add_argument("-hda", action=_Once, metavar="FILE", help="first IDE hard disk image")
    g.add_argument("-hdb", action=_Once, metavar="FILE", help="second IDE hard disk image")
    g.add_argument("-hdc", action=_Once, metavar="FILE", help="third IDE hard disk image")
    g.add_argument("-hdd", action=_Once, metavar="FILE", help="fourth IDE hard disk image")
    g.add_argument("-cdrom", action=_Once, metavar="FILE",
                   help="CD-ROM image (ISO 9660; secondary IDE master, read-only)")
    g.add_argument("-snapshot", action="store_true",
                   help="write to temporary copies: the image files are not changed")
    g.add_argument("image", nargs="?", metavar="IMAGE", help="the same as -hda IMAGE")
    g = p.add_argument_group("boot")
    g.add_argument("-boot", metavar="ORDER",
                   help="boot order: drive letters a, b (floppy), c (hard disk), d (CD-ROM); "
                        "or order=ORDER,once=DRIVES,menu=on|off")
    g.add_argument("-bios", action=_Once, metavar="FILE",
                   help="load this BIOS ROM image instead of pyx86's own")
    g.add_argument("-no-reboot", dest="no_reboot", action="store_true",
                   help="exit instead of rebooting when the guest resets")
    g.add_argument("-kernel", action=_Once, metavar="FILE",
                   help="boot this Linux kernel (bzImage, boot protocol 2.02 or newer) directly "
                        "after the BIOS; it wins over the disks, which stay attached")
    g.add_argument("-initrd", action=_Once, metavar="FILE",
                   help="initial ram disk for -kernel, loaded at the top of RAM")
    g.add_argument("-append", metavar="CMDLINE", help="kernel command line for -kernel")
    g = p.add_argument_group("display and character devices")
    g.add_argument("-display", metavar="TYPE",
                   help="pygame (default), sdl, curses or none; '-display help'")
    g.add_argument("-screendump", action=_Once, metavar="FILE",
                   help="write the screen to FILE (PNG, or PPM for *.ppm) when the run ends")
    g.add_argument("-nographic", action="store_true",
                   help="no display; the first serial port goes to stdio unless -serial is given")
    g.add_argument("-serial", action="append", metavar="DEV",
                   help="COM1, then COM2 (repeat): stdio, null, none, file:PATH or "
                        "tcp:[HOST]:PORT,server=on,wait=off")
    g.add_argument("-debugcon", metavar="DEV",
                   help="port E9h debug console: stdio, null, none or file:PATH")
    g.add_argument("-rtc", metavar="OPTS",
                   help="base=utc|localtime|YYYY-MM-DD[THH:MM:SS], clock=host|rt|vm "
                        "(default: vm headless, host with a display)")
    g.add_argument("-device", action="append", metavar="DRIVER[,PROP=VALUE...]",
                   help="add a device (repeat); '-device help' lists them")
    g = p.add_argument_group("debugging")
    g.add_argument("-d", dest="log", metavar="ITEM[,...]",
                   help="log these items to stderr; '-d help' lists them")
    return p


def _normalize(argv: Sequence[str], parser: argparse.ArgumentParser) -> list[str]:
    """Rewrite QEMU-style words so argparse cannot misread them.

    argparse would read ``-monitor`` as ``-m onitor`` and refuse a value that
    starts with a dash (``-append -v``), so every option must be spelled in
    full here, and each value is joined to its option as ``-opt=value``.
    """
    actions = parser._option_string_actions  # the parser's own table of option spellings
    out: list[str] = []
    words = list(argv)
    i = 0
    while i < len(words):
        word = words[i]
        i += 1
        if word == "--":
            out.extend(words[i - 1:])
            break
        if not word.startswith("-") or word == "-":
            out.append(word)
            continue
        name, eq, value = word.partition("=")
        if name not in actions and name.startswith("--") and name[1:] in actions:
            name = name[1:]                                    # --cpu = -cpu, as QEMU allows
        action = actions.get(name)
        if action is None:
            raise UsageError(f"unknown option '{name}' (see '{PROG} --help')")
        if action.nargs == 0:
            if eq:
                raise UsageError(f"option '{name}' takes no value")
            out.append(name)
            continue
        if not eq:
            if i >= len(words):
                raise UsageError(f"option '{name}' needs a value")
            value = words[i]
            i += 1
        out.append(f"{name}={value}")
    return out


# --- value checks ------------------------------------------------------------------------------
_SIZE_RE = re.compile(r"(\d+(?:\.\d+)?)([kmgt]?)(i?b)?", re.IGNORECASE)


def parse_ram_size(text: str) -> int:
    """``-m`` as QEMU spells it (``32``, ``32M``, ``1G``, ``size=64M``) -> bytes, whole pages."""
    spec = text.strip()
    if spec.lower().startswith("size="):
        spec = spec[5:]
    if "," in spec:
        raise UsageError(f"-m {text}: only a size is supported (no slots= or maxmem=)")
    m = _SIZE_RE.fullmatch(spec)
    if not m or (m.group(3) and not m.group(2) and m.group(3).lower() != "b"):
        raise UsageError(f"-m {text}: not a RAM size (give MiB, or a size like 32M or 1G)")
    number, unit, suffix = m.groups()
    shift = {"": 20, "k": 10, "m": 20, "g": 30, "t": 40}[unit.lower()]
    if not unit and suffix:
        shift = 0                                              # "512B": plain bytes
    size = math.ceil(Fraction(number) * (1 << shift) / RAM_GRANULE) * RAM_GRANULE
    if not MIN_RAM <= size <= MAX_RAM:
        raise UsageError(f"-m {text}: RAM size must be from 1M to {MAX_RAM >> 30}G")
    return size


def check_readable(path: str, what: str) -> Path:
    """``path`` if it is a file that can be opened for reading, else a UsageError naming ``what``."""
    try:
        with open(path, "rb"):
            pass
    except OSError as e:
        raise UsageError(f"cannot open {what} '{path}': {e.strerror or e}") from None
    return Path(path)


def parse_chardev(text: str, option: str) -> str:
    """A character device backend: ``stdio``, ``null``, ``none``, ``file:PATH`` or ``tcp:...``.

    TCP specs are checked in full (and their port opened) when the machine is built.
    """
    if text in ("stdio", "null", "none"):
        return text
    if text.startswith("tcp:") and len(text) > 4:
        return text
    if text.startswith("file:") and len(text) > 5:
        parent = Path(text[5:]).parent
        if not parent.is_dir():
            raise UsageError(f"{option} {text}: directory '{parent}' does not exist")
        return text
    raise UsageError(f"{option} {text}: unknown backend (use stdio, null, none, file:PATH or "
                     "tcp:[HOST]:PORT,server=on,wait=off)")


def _split_opts(text: str, option: str, implied: str | None = None) -> dict[str, str]:
    """``a=1,b=2`` -> dict; a first word without '=' is the value of ``implied``."""
    opts: dict[str, str] = {}
    for n, part in enumerate(text.split(",")):
        key, eq, value = part.partition("=")
        if not eq:
            if n or implied is None:
                raise UsageError(f"{option} {text}: '{part}' is not KEY=VALUE")
            key, value = implied, part
        if key in opts:
            raise UsageError(f"{option} {text}: '{key}' given twice")
        opts[key] = value
    return opts


def _unknown_keys(opts: dict[str, str], allowed: Sequence[str], option: str, text: str) -> None:
    for key in opts:
        if key not in allowed:
            raise UsageError(f"{option} {text}: unknown option '{key}' (known: {', '.join(allowed)})")


def _on_off(value: str, option: str, key: str) -> bool:
    if value not in ("on", "off"):
        raise UsageError(f"{option}: {key}= must be on or off, not '{value}'")
    return value == "on"


def _drives(letters: str, option: str) -> str:
    for n, c in enumerate(letters):
        if c not in BOOT_DEVICES:
            drives = ", ".join(f"{k}: {v}" for k, v in BOOT_DEVICES.items())
            raise UsageError(f"{option}: unknown boot drive '{c}' ({drives})")
        if c in letters[:n]:
            raise UsageError(f"{option}: boot drive '{c}' given twice")
    if not letters:
        raise UsageError(f"{option}: no boot drive given")
    return letters


def parse_boot(text: str) -> tuple[str, str | None, bool]:
    """``-boot`` -> (order, once, menu)."""
    opts = _split_opts(text, "-boot", implied="order")
    _unknown_keys(opts, ("order", "once", "menu"), "-boot", text)
    order = _drives(opts.get("order", Config.boot_order), "-boot order")
    once = _drives(opts["once"], "-boot once") if "once" in opts else None
    menu = _on_off(opts["menu"], "-boot", "menu") if "menu" in opts else False
    return order, once, menu


def parse_rtc(text: str) -> tuple[str, str | None]:
    """``-rtc`` -> (base, clock)."""
    opts = _split_opts(text, "-rtc")
    _unknown_keys(opts, ("base", "clock"), "-rtc", text)
    base = opts.get("base", Config.rtc_base)
    if base not in ("utc", "localtime"):
        try:
            (datetime if "T" in base else date).fromisoformat(base)
        except ValueError:
            raise UsageError(f"-rtc base={base}: use utc, localtime, YYYY-MM-DD or "
                             "YYYY-MM-DDTHH:MM:SS") from None
    clock = opts.get("clock")
    if clock is not None and clock not in RTC_CLOCKS:
        raise UsageError(f"-rtc clock={clock}: use {', '.join(RTC_CLOCKS)}")
    return base, clock


def parse_log_items(text: str) -> frozenset[str]:
    items = [item for item in text.split(",") if item]
    for item in items:
        if item not in LOG_ITEMS:
            raise UsageError(f"-d {text}: unknown log item '{item}' (see '-d help')")
    return frozenset(items)


_MAC_RE = re.compile(r"[0-9a-fA-F]{2}(:[0-9a-fA-F]{2}){5}")


def parse_device(text: str) -> tuple[str, dict[str, int | str]]:
    """``-device DRIVER[,PROP=VALUE...]`` -> (driver, properties)."""
    driver, _, rest = text.partition(",")
    if driver not in DEVICES:
        raise UsageError(f"-device {text}: unknown device '{driver}' (see '-device help')")
    opts = _split_opts(rest, "-device") if rest else {}
    _unknown_keys(opts, DEVICES[driver][1], f"-device {driver}", text)
    props: dict[str, int | str] = {}
    for key, value in opts.items():
        limit = DEVICE_PROPS[key]
        if limit is None:
            if not _MAC_RE.fullmatch(value):
                raise UsageError(f"-device {driver}: mac={value} is not like 52:54:00:12:34:56")
            props[key] = value.lower()
            continue
        try:
            number = int(value, 0)
        except ValueError:
            number = -1
        if not 0 <= number <= limit:
            raise UsageError(f"-device {driver}: {key}={value} is not a number from 0 to {limit:#x}")
        props[key] = number
    return driver, props


# --- help listings -------------------------------------------------------------------------------
def _table(rows: dict[str, str], title: str) -> str:
    width = max(len(k) for k in rows) + 2
    return "\n".join([title] + [f"  {k:<{width}}{v}" for k, v in rows.items()]) + "\n"


def cpu_help() -> str:
    rows = {name: m.description + ("  (default)" if name == DEFAULT_MODEL else "")
            for name, m in MODELS.items()}
    aliases = ", ".join(f"{a} = {n}" for a, n in MODEL_ALIASES.items())
    return _table(rows, "Available CPU models (-cpu MODEL):") + f"Aliases: {aliases}\n"


def device_help() -> str:
    rows = {d: f"{desc}; properties: {', '.join(props)}" for d, (desc, props) in DEVICES.items()}
    return _table(rows, "Available devices (-device DRIVER[,PROP=VALUE...]):")


HELP_QUERIES = {
    "cpu": cpu_help,
    "device": device_help,
    "log": lambda: _table(LOG_ITEMS, "Log items (-d ITEM[,ITEM...]):"),
    "display": lambda: _table(DISPLAYS, "Display types (-display TYPE):"),
}


# --- from the command line to a Config -------------------------------------------------------------
def parse_config(args: argparse.Namespace) -> Config:
    """Check every option of a parsed command line; UsageError on the first mistake."""
    try:
        cpu = get_model(args.cpu)
    except ValueError as e:
        raise UsageError(f"-cpu: {e}") from None
    ram = parse_ram_size(args.mem) if args.mem is not None else DEFAULT_RAM
    if args.image is not None:
        if args.hda is not None:
            raise UsageError("give the hard disk image either as IMAGE or with -hda, not both")
        args.hda = args.image
    disks = {opt: check_readable(getattr(args, opt), "disk image") if getattr(args, opt) else None
             for opt in DRIVE_OPTIONS}
    if args.hdc is not None and args.cdrom is not None:
        raise UsageError("-hdc and -cdrom both want the secondary IDE master: give one of them")
    if args.kernel is None:
        for opt in ("initrd", "append"):
            if getattr(args, opt) is not None:
                raise UsageError(f"-{opt} needs -kernel")
    boot = parse_boot(args.boot) if args.boot is not None else (Config.boot_order, None, False)
    rtc = parse_rtc(args.rtc) if args.rtc is not None else (Config.rtc_base, Config.rtc_clock)

    display = args.display or "pygame"
    if display not in DISPLAYS:
        raise UsageError(f"-display {display}: unknown display (use {', '.join(DISPLAYS)})")
    if args.nographic:
        if args.display is not None and display != "none":
            raise UsageError("-nographic cannot be used with -display")
        display = "none"
    serial = [parse_chardev(s, "-serial") for s in args.serial or ()]
    if len(serial) > 2:
        raise UsageError("-serial: at most 2 serial ports (COM1, COM2)")
    if args.nographic and not serial:
        serial = ["mon:stdio"]   # as QEMU: Ctrl-C reaches the guest, Ctrl-A X quits

    return Config(
        cpu=cpu, ram_size=ram, **disks,
        boot_order=boot[0], boot_once=boot[1], boot_menu=boot[2],
        kernel=check_readable(args.kernel, "kernel image") if args.kernel else None,
        initrd=check_readable(args.initrd, "initrd image") if args.initrd else None,
        append=args.append or "",
        bios=check_readable(args.bios, "BIOS image") if args.bios else None,
        serial=tuple(serial),
        debugcon=parse_chardev(args.debugcon, "-debugcon") if args.debugcon is not None else None,
        display="pygame" if display == "sdl" else display,
        snapshot=args.snapshot, no_reboot=args.no_reboot,
        rtc_base=rtc[0], rtc_clock=rtc[1],
        log_items=parse_log_items(args.log) if args.log is not None else frozenset(),
        devices=tuple(parse_device(d) for d in args.device or ()),
        screendump=_writable_path(args.screendump, "-screendump") if args.screendump else None,
    )


def _writable_path(text: str, option: str) -> Path:
    path = Path(text)
    if not path.parent.is_dir():
        raise UsageError(f"{option} {text}: directory '{path.parent}' does not exist")
    return path


def _unavailable(config: Config) -> str | None:
    """The first thing ``config`` asks for that this version cannot do yet, or None."""
    for driver, _ in config.devices:
        if driver == "ne2k_isa":
            return "-device ne2k_isa is not available yet in this version"
    return None


def with_default_guest(config: Config) -> Config:
    """No media, ROM or kernel: boot the built-in diagnostics disk (never written to)."""
    if any(getattr(config, opt) is not None for opt in (*DRIVE_OPTIONS, "bios", "kernel")):
        return config
    from emulator.bench import diag_image

    image = diag_image()
    if not image.is_file():
        raise UsageError(f"no media given and the built-in diagnostics disk is missing ({image})")
    return replace(config, fda=image, snapshot=True, boot_order="a")


def boot(config: Config) -> int:
    """Build the PC described by ``config``, run it, and return the exit status."""
    config = with_default_guest(config)
    missing = _unavailable(config)
    if missing:
        print(f"{PROG}: {missing}", file=sys.stderr)
        return EXIT_USAGE
    from emulator.blockdev import DiskError
    from emulator.machine import Machine, MachineError  # loads numba: only when booting
    from emulator.portbus import PortConflictError

    display = config.display
    if display == "pygame":
        from emulator.display_pygame import display_unavailable_reason

        reason = display_unavailable_reason()
        if reason is not None:
            display = "curses" if sys.stdin.isatty() and sys.stdout.isatty() else "none"
            where = "in this terminal" if display == "curses" else "without a display"
            print(f"{PROG}: no window ({reason}): running {where}", file=sys.stderr)
    try:
        machine = Machine(config)
    except (MachineError, PortConflictError, DiskError, OSError) as e:
        raise UsageError(str(e)) from None
    machine.interactive = display != "none"
    if config.rtc_clock is None and machine.interactive:
        machine.realtime = True           # a person is watching: guest time follows the wall clock
    try:
        if display == "pygame":
            from emulator.display_pygame import run_pygame

            stop = run_pygame(machine)
        elif display == "curses":
            from emulator.display_curses import run_curses

            stop = run_curses(machine, realtime=machine.realtime)
        else:
            stop = machine.run()
    except KeyboardInterrupt:
        print(f"{PROG}: interrupted at {machine.cpu.exit_location()}", file=sys.stderr)
        return 130
    finally:
        if config.screendump is not None:
            from emulator.screen import screendump

            screendump(machine, config.screendump)
        machine.close()
    if stop.message:
        print(f"{PROG}: {stop.message}", file=sys.stderr)
    return stop.status


def _run(argv: Sequence[str]) -> int:
    parser = _build_parser()
    args = parser.parse_args(_normalize(argv, parser))
    if args.help:
        parser.print_help()
        return 0
    if args.version:
        print(f"{PROG} {__version__}")
        return 0
    if args.image == "bench" and not Path("bench").exists():
        from emulator.bench import main as bench_main  # `pyx86 bench`: the CPU workloads, headless

        return bench_main()
    for query, values in (("cpu", [args.cpu]), ("device", args.device or []),
                          ("log", [args.log]), ("display", [args.display])):
        if "help" in values or "?" in values:
            print(HELP_QUERIES[query](), end="")
            return 0
    return boot(parse_config(args))


def main(argv: Sequence[str] | None = None) -> int:
    """The ``pyx86`` command; returns the exit status.  No traceback reaches the user."""
    try:
        return _run(sys.argv[1:] if argv is None else argv)
    except UsageError as e:
        print(f"{PROG}: {e}", file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt:
        print(f"{PROG}: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        # the reader went away (``pyx86 --help | head``): stop quietly
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return 1
    except Exception as e:  # every other exception is a bug in pyx86
        if os.environ.get("PYX86_DEBUG"):
            traceback.print_exc()
        print(f"{PROG}: internal error: {type(e).__name__}: {e} "
              "(a bug in pyx86; PYX86_DEBUG=1 shows the traceback)", file=sys.stderr)
        return EXIT_INTERNAL
