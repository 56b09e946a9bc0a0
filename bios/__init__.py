"""pyx86's own BIOS: a small ROM of stubs plus services written in Python (see :mod:`bios.bios`)."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from emulator.machine import Machine

    from .bios import Bios


def create_bios(machine: Machine) -> Bios:
    """Build the BIOS for ``machine``: every service installed, the ROM mapped."""
    from . import disk, keyboard, system, vbe, video
    from .bios import Bios
    from .post import post
    from .rom import SVC_POST

    bios = Bios(machine)
    bios.register(SVC_POST, lambda: post(bios), vector=False)
    # order matters for POST: the chipset first, then the screen, keyboard and disks
    system.install(bios)
    vbe.install(bios, video.install(bios))
    keyboard.install(bios)
    disk.install(bios)
    if getattr(machine, "linux", None) is not None:   # -kernel: INT 19h starts the kernel
        from . import linuxboot

        linuxboot.install(bios, machine.linux)
    bios.install()
    return bios
