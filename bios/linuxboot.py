"""INT 19h for ``-kernel``: start a Linux kernel instead of loading a boot sector.

With a kernel on the command line the machine holds a checked load plan
(:class:`emulator.linuxboot.LinuxBoot`); this module routes INT 19h to the
kernel instead of the disk bootstrap (:meth:`bios.disk.DiskService.int19`),
so that POST is followed by the kernel, as with QEMU: the images are copied into
RAM afresh at every bootstrap (after a reset too), and the CPU continues at
the real-mode setup code with the registers the Linux boot protocol names
(Documentation/x86/boot.rst, "Running the kernel"): CS = setup segment +
20h, IP = 0, DS = ES = FS = GS = SS = setup segment, SP = end of the setup
heap, interrupts disabled.  The disks stay attached as INT 13h drives.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from emulator.cpu import state as S

if TYPE_CHECKING:
    from emulator.linuxboot import LinuxBoot

    from .bios import Bios


def start_kernel(bios: Bios, boot: LinuxBoot) -> None:
    """INT 19h: load the kernel, initrd and command line; jump to the setup code."""
    cpu = bios.cpu
    if bios.console_write is not None:
        name = boot.header.kernel_version.split(" ")[0] or "kernel"
        bios.console_write(f"Booting Linux {name}...\r\n")
    boot.load(bios.write)
    for reg, value in boot.entry_registers().items():
        cpu[reg] = value
    st = cpu.st
    st[S.EFLAGS] = int(st[S.EFLAGS]) & ~(S.IF | S.DF | S.TF)


def install(bios: Bios, boot: LinuxBoot) -> None:
    """Make INT 19h start ``boot`` (call after :func:`bios.disk.install`)."""
    bios.register(0x19, lambda: start_kernel(bios, boot))
