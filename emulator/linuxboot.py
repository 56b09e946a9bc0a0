"""Direct Linux kernel boot (``-kernel``, ``-initrd``, ``-append``): the x86 boot protocol.

The kernel's ``Documentation/x86/boot.rst`` (cited as [boot]) defines a
bzImage: a real-mode part (the legacy boot sector and the setup code,
``setup_sects + 1`` sectors of 512 bytes) whose *setup header* starts at
offset 1F1h, followed by the protected-mode kernel.  This module reads the
header, checks that pyx86 can load the kernel (:class:`LinuxBootError`
names the first problem, in one line), and plans and performs the load:

* protocol 2.02 or newer with the kernel "loaded high" (LOADED_HIGH in
  ``loadflags``: a bzImage); older kernels and zImages are refused;
* the real-mode part at ``X`` = :data:`SETUP_ADDR` (segment 1000h), the heap
  from the end of the setup code to ``X + heap_end`` (:data:`HEAP_END` =
  E000h, as the "Sample boot configuration" of [boot] does), the command line
  at ``X + heap_end``; all of it far below the EBDA and A0000h ([boot]
  "Memory layout", the layout for protocol >= 2.02);
* the protected-mode kernel at 1 MiB (:data:`KERNEL_ADDR`);
* the initrd as high as possible, page-aligned, below both the kernel's
  ``initrd_addr_max`` and the top of RAM (the BIOS's E820 map gives all RAM
  above 1 MiB to the OS), and above the memory the kernel needs while it
  unpacks itself (``init_size`` from its runtime start address, [boot]
  "Details of header fields": ``pref_address``, ``init_size``);
* header fields written by the loader ([boot] "Details of header fields"):
  ``type_of_loader`` = FFh, ``loadflags`` |= CAN_USE_HEAP with
  ``heap_end_ptr`` = heap_end - 200h, ``cmd_line_ptr``, ``ramdisk_image``,
  ``ramdisk_size``, ``vid_mode`` from a ``vga=`` option of the command line
  (``normal`` FFFFh, ``ext`` FFFEh, ``ask`` FFFDh or a number in C notation;
  [boot] "Special command line options"; default "normal"); ``ext_loader_*`` stay 0.

The BIOS starts the kernel instead of a boot sector (see :mod:`bios.linuxboot`):
after POST, INT 19h calls :meth:`LinuxBoot.load`, then continues at the setup
code with :meth:`LinuxBoot.entry_registers`: ``(X >> 4) + 20h : 0`` with DS =
ES = FS = GS = SS = ``X >> 4``, SP = heap_end, and interrupts disabled
([boot] "Running the kernel").  The plan is made when the machine is built, so a bad file
stops pyx86 before the guest runs.
"""

from __future__ import annotations

import math
import os
import struct
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

KiB, MiB = 1 << 10, 1 << 20

SETUP_SEG = 0x1000                 # X >> 4: the real-mode part at 1000:0000
SETUP_ADDR = SETUP_SEG << 4
SETUP_MAX = 0x8000                 # [boot] layout: setup code below X+8000h, the heap after it
HEAP_END = 0xE000                  # offset from X: end of heap and stack; command line from here
LOW_LIMIT = 0x9F000                # stay below: the EBDA (9FC00h) and "reserved for BIOS" use
KERNEL_ADDR = 0x100000             # the protected-mode kernel: loaded high, at 1 MiB
PAGE = 0x1000
BIOS_ALIAS = 0xFFFE0000            # the BIOS ROM alias at the top of 4 GiB: never RAM

MIN_PROTOCOL = 0x0202              # the first with cmd_line_ptr ([boot] "The kernel command line")
BOOT_FLAG = 0xAA55
HDRS = b"HdrS"
LOADED_HIGH = 0x01                 # loadflags bit 0: protected-mode code at 100000h
CAN_USE_HEAP = 0x80                # loadflags bit 7: heap_end_ptr is valid
TYPE_OF_LOADER = 0xFF              # "undefined": a loader with no assigned ID
VID_MODE_NORMAL = 0xFFFF
VID_MODE_NAMES = {b"normal": 0xFFFF, b"ext": 0xFFFE, b"ask": 0xFFFD}
OLD_INITRD_ADDR_MAX = 0x37FFFFFF   # initrd_addr_max before protocol 2.03
OLD_CMDLINE_SIZE = 255             # cmdline_size before protocol 2.06

# Setup header fields: name -> (offset in the file, struct format, first protocol with it)
# [boot] "The real-mode kernel header"
FIELDS: dict[str, tuple[int, str, int]] = {
    "setup_sects": (0x1F1, "B", 0),
    "syssize": (0x1F4, "I", 0),
    "vid_mode": (0x1FA, "H", 0),
    "boot_flag": (0x1FE, "H", 0),
    "jump": (0x200, "H", 0x0200),
    "header": (0x202, "4s", 0x0200),
    "version": (0x206, "H", 0x0200),
    "kernel_version": (0x20E, "H", 0x0200),
    "type_of_loader": (0x210, "B", 0x0200),
    "loadflags": (0x211, "B", 0x0200),
    "code32_start": (0x214, "I", 0x0200),
    "ramdisk_image": (0x218, "I", 0x0200),
    "ramdisk_size": (0x21C, "I", 0x0200),
    "heap_end_ptr": (0x224, "H", 0x0201),
    "ext_loader_ver": (0x226, "B", 0x0202),
    "ext_loader_type": (0x227, "B", 0x0202),
    "cmd_line_ptr": (0x228, "I", 0x0202),
    "initrd_addr_max": (0x22C, "I", 0x0203),
    "kernel_alignment": (0x230, "I", 0x0205),
    "relocatable_kernel": (0x234, "B", 0x0205),
    "min_alignment": (0x235, "B", 0x0210),
    "xloadflags": (0x236, "H", 0x020C),
    "cmdline_size": (0x238, "I", 0x0206),
    "pref_address": (0x258, "Q", 0x020A),
    "init_size": (0x260, "I", 0x020A),
}


class LinuxBootError(ValueError):
    """The kernel, initrd or command line cannot be booted; the message is one line."""


@dataclass(frozen=True)
class SetupHeader:
    """The fields of a bzImage's setup header that the loader reads ([boot] header table)."""

    setup_sects: int           # real-mode sectors after the boot sector (0 means 4)
    syssize: int               # protected-mode size in 16-byte units
    version: int               # boot protocol, e.g. 020Fh for 2.15
    loadflags: int
    kernel_version: str        # the kernel's version string ("" when it has none)
    initrd_addr_max: int       # highest address the initrd may occupy
    cmdline_size: int          # longest command line, without the NUL
    kernel_alignment: int
    relocatable: bool
    pref_address: int          # runtime start of a non-relocatable kernel (2.10+)
    init_size: int             # memory needed from the runtime start (2.10+; 0 before)
    heap_end_ptr: int
    vid_mode: int

    @property
    def setup_size(self) -> int:
        """Bytes of the real-mode part: boot sector plus setup code."""
        return (self.setup_sects + 1) * 512

    @property
    def protocol(self) -> str:
        return f"{self.version >> 8}.{self.version & 0xFF:02d}"

    def runtime_start(self, load_address: int = KERNEL_ADDR) -> int:
        """Where the kernel runs after unpacking itself ([boot] ``init_size``)."""
        if self.version < 0x020A:
            return load_address
        if self.relocatable:
            start = max(load_address, self.pref_address)
            align = max(self.kernel_alignment, 1)
            return (start + align - 1) // align * align
        return self.pref_address


def parse_header(image: bytes, name: str = "kernel") -> SetupHeader:
    """Read and check the setup header of a bzImage ([boot] "The real-mode kernel header").

    Refuses what pyx86 cannot load: not a Linux kernel, a protocol older than
    2.02, a zImage (not loaded high), a truncated file.
    """
    prefix = f"-kernel {name}"
    if len(image) < 0x264 or struct.unpack_from("<H", image, 0x1FE)[0] != BOOT_FLAG:
        raise LinuxBootError(f"{prefix}: not a Linux kernel image (bzImage): no boot sector "
                             "signature 55AAh at 1FEh")
    if image[0x202:0x206] != HDRS:
        raise LinuxBootError(f"{prefix}: not a bzImage: no Linux boot protocol header 'HdrS' at "
                             "202h (a kernel older than protocol 2.00, or not a kernel)")
    version = struct.unpack_from("<H", image, 0x206)[0]
    header_end = 0x202 + image[0x201]          # [boot]: the jump at 200h skips the header
    values: dict[str, int] = {}
    for field, (offset, fmt, since) in FIELDS.items():
        size = struct.calcsize("<" + fmt)
        present = version >= since and offset + size <= header_end
        values[field] = struct.unpack_from("<" + fmt, image, offset)[0] if present else 0
    if version < MIN_PROTOCOL:
        raise LinuxBootError(f"{prefix}: the kernel uses Linux boot protocol "
                             f"{version >> 8}.{version & 0xFF:02d}; pyx86 loads protocol 2.02 "
                             "and newer (kernel 2.4 or later)")
    if not values["loadflags"] & LOADED_HIGH:
        raise LinuxBootError(f"{prefix}: a zImage (kernel loaded low, at 10000h) is not supported: "
                             "use a bzImage")
    setup_sects = values["setup_sects"] or 4
    setup_size = (setup_sects + 1) * 512
    if setup_size > SETUP_MAX:
        raise LinuxBootError(f"{prefix}: the setup code is {setup_size} bytes; at most "
                             f"{SETUP_MAX // KiB} KiB fit below the setup heap")
    payload = len(image) - setup_size
    if payload <= 0 or values["syssize"] * 16 > payload:
        raise LinuxBootError(f"{prefix}: truncated bzImage: the protected-mode kernel should be "
                             f"{values['syssize'] * 16} bytes, the file has {max(payload, 0)}")
    version_text = ""
    if values["kernel_version"]:
        start = values["kernel_version"] + 0x200
        end = image.find(b"\0", start, setup_size)
        if start < setup_size and end > start:
            version_text = image[start:end].decode("ascii", "replace")
    return SetupHeader(
        setup_sects=setup_sects, syssize=values["syssize"], version=version,
        loadflags=values["loadflags"], kernel_version=version_text,
        initrd_addr_max=values["initrd_addr_max"] if version >= 0x0203 else OLD_INITRD_ADDR_MAX,
        cmdline_size=values["cmdline_size"] if version >= 0x0206 else OLD_CMDLINE_SIZE,
        kernel_alignment=values["kernel_alignment"], relocatable=bool(values["relocatable_kernel"]),
        pref_address=values["pref_address"], init_size=values["init_size"],
        heap_end_ptr=values["heap_end_ptr"], vid_mode=values["vid_mode"],
    )


def _mib(n: int) -> str:
    """``n`` bytes in MiB, rounded up to a tenth."""
    return f"{n // MiB} MiB" if n % MiB == 0 else f"{math.ceil(n * 10 / MiB) / 10:.1f} MiB"


@dataclass(frozen=True)
class LinuxBoot:
    """A checked load plan: what goes where in guest memory, and the setup entry state."""

    header: SetupHeader
    setup: bytes               # the real-mode part as loaded (header fields filled in)
    kernel: bytes              # the protected-mode part
    initrd: bytes
    cmdline: bytes             # without the NUL
    initrd_addr: int           # 0 without an initrd

    setup_addr: int = SETUP_ADDR
    kernel_addr: int = KERNEL_ADDR
    heap_end: int = HEAP_END

    @property
    def cmdline_addr(self) -> int:
        return self.setup_addr + self.heap_end

    @property
    def setup_seg(self) -> int:
        return self.setup_addr >> 4

    def load(self, write: Callable[[int, bytes], None]) -> None:
        """Put setup (with its heap cleared), command line, kernel and initrd into guest memory."""
        area = bytearray(self.heap_end)
        area[:len(self.setup)] = self.setup
        write(self.setup_addr, bytes(area))
        write(self.cmdline_addr, self.cmdline + b"\0")
        write(self.kernel_addr, self.kernel)
        if self.initrd:
            write(self.initrd_addr, self.initrd)

    def entry_registers(self) -> dict[str, int]:
        """Registers at the setup entry ([boot] "Running the kernel"); interrupts stay off."""
        seg = self.setup_seg
        regs = {r: seg for r in ("ds", "es", "fs", "gs", "ss")}
        regs.update(cs=seg + 0x20, ip=0, esp=self.heap_end)
        return regs


def _put(buf: bytearray, field: str, value: int) -> None:
    offset, fmt, _ = FIELDS[field]
    struct.pack_into("<" + fmt, buf, offset, value)


def plan(image: bytes, initrd: bytes = b"", cmdline: bytes = b"", ram_top: int = 32 * MiB,
         names: tuple[str, str] = ("kernel", "initrd")) -> LinuxBoot:
    """Check ``image`` and plan the load for a machine whose RAM ends at ``ram_top``.

    ``names`` are the kernel and initrd file names used in error messages.
    """
    hdr = parse_header(image, names[0])
    kernel = image[hdr.setup_size:]
    if len(cmdline) > hdr.cmdline_size:
        raise LinuxBootError(f"-append: the command line is {len(cmdline)} bytes; this kernel "
                             f"takes at most {hdr.cmdline_size} (boot protocol {hdr.protocol})")
    if SETUP_ADDR + HEAP_END + len(cmdline) + 1 > LOW_LIMIT:
        raise LinuxBootError(f"-append: the command line is {len(cmdline)} bytes; it does not fit "
                             "below the EBDA")
    # the memory the kernel needs before it reads the memory map
    kernel_end = max(KERNEL_ADDR + len(kernel), hdr.runtime_start() + hdr.init_size)
    if kernel_end > ram_top:
        raise LinuxBootError(f"-kernel {names[0]}: the kernel needs {_mib(kernel_end)} of RAM to "
                             f"start; the machine has {_mib(ram_top)} (use a larger -m)")
    initrd_addr = 0
    if initrd:
        top = min(hdr.initrd_addr_max + 1, ram_top)
        initrd_addr = (top - len(initrd)) // PAGE * PAGE
        if initrd_addr < (kernel_end + PAGE - 1) // PAGE * PAGE:
            need = (kernel_end + PAGE - 1) // PAGE * PAGE + (len(initrd) + PAGE - 1) // PAGE * PAGE
            limit, hint = "the top of RAM", f"it needs {_mib(need)} (use a larger -m)"
            if hdr.initrd_addr_max + 1 < ram_top:
                limit, hint = "the kernel's initrd_addr_max", "use a smaller initrd"
            raise LinuxBootError(f"-initrd {names[1]}: the initrd ({_mib(len(initrd))}) does not fit "
                                 f"in RAM between the kernel (up to {_mib(kernel_end)}) and {limit} "
                                 f"({_mib(top)}); {hint}")
    setup = bytearray(image[:hdr.setup_size])
    _put(setup, "type_of_loader", TYPE_OF_LOADER)
    _put(setup, "loadflags", hdr.loadflags | CAN_USE_HEAP)
    _put(setup, "heap_end_ptr", HEAP_END - 0x200)
    _put(setup, "ext_loader_ver", 0)
    _put(setup, "ext_loader_type", 0)
    _put(setup, "cmd_line_ptr", SETUP_ADDR + HEAP_END)
    _put(setup, "ramdisk_image", initrd_addr)
    _put(setup, "ramdisk_size", len(initrd))
    _put(setup, "vid_mode", vid_mode(cmdline))
    return LinuxBoot(header=hdr, setup=bytes(setup), kernel=kernel, initrd=initrd,
                     cmdline=cmdline, initrd_addr=initrd_addr)


def vid_mode(cmdline: bytes) -> int:
    """The ``vid_mode`` header value for the last ``vga=`` option of ``cmdline`` (the loader
    passes it because the setup code runs before the kernel reads its command line)."""
    mode = VID_MODE_NORMAL
    for word in cmdline.split():
        if not word.startswith(b"vga="):
            continue
        value = word[4:]
        if value in VID_MODE_NAMES:
            mode = VID_MODE_NAMES[value]
            continue
        text = value.decode("ascii", errors="replace")
        try:
            if text[:2].lower() == "0x":
                number = int(text[2:], 16)
            elif len(text) > 1 and text[0] == "0":
                number = int(text[1:], 8)
            else:
                number = int(text, 10)
        except ValueError:
            raise LinuxBootError(f"-append: vga={text} is not normal, ext, ask or a mode number") from None
        if not 0 <= number <= 0xFFFF:
            raise LinuxBootError(f"-append: vga={number:#x} is not a 16-bit mode number")
        mode = number
    return mode


def _read(path: Path, what: str) -> bytes:
    try:
        return path.read_bytes()
    except OSError as e:
        raise LinuxBootError(f"cannot read {what} '{path}': {e.strerror or e}") from None


def ram_top(ram_size: int, address_bits: int) -> int:
    """End of the RAM the kernel can use: all of it, as far as the CPU's address lines reach
    (the same top as the BIOS's E820 map)."""
    return min(ram_size, BIOS_ALIAS, 1 << address_bits)


def plan_from_files(kernel: Path, initrd: Path | None, append: str, top: int) -> LinuxBoot:
    """:func:`plan` for ``-kernel FILE -initrd FILE -append TEXT`` (the command line's bytes
    are those the user typed: :func:`os.fsencode`)."""
    image = _read(kernel, "kernel image")
    ramdisk = _read(initrd, "initrd image") if initrd is not None else b""
    return plan(image, ramdisk, os.fsencode(append), top,
                names=(str(kernel), str(initrd) if initrd is not None else ""))
