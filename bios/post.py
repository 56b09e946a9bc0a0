"""Power-on self test: the interrupt vector table, the BIOS data area, then each service's setup.

Runs as BIOS service ``SVC_POST`` from the POST entry point F000:E05B (the
reset vector jumps there); when it returns, the ROM executes INT 19h to load
the boot sector.  Memory layout set up here (IBM PC AT Technical Reference,
"BIOS data area"; the EBDA convention of the PS/2 BIOS):

* 0000-03FF  interrupt vectors: every vector points at an IRET first, then the
  BIOS handlers are filled in;
* 0400-04FF  BIOS data area, cleared, then filled by each service's POST hook;
* 9FC00-9FFFF the extended BIOS data area (1 KiB; its segment at 40:0Eh, its
  size in KiB in its first byte), so conventional memory is 639 KiB.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from . import rom as R

if TYPE_CHECKING:
    from .bios import Bios

EBDA_SEG = 0x9FC0
EBDA_KIB = 1
BASE_MEMORY_KIB = 640 - EBDA_KIB
BANNER = "pyx86 BIOS"


def post(bios: Bios) -> None:
    """The POST service: vectors, data areas, the services' setup hooks, the banner."""
    machine = bios.machine
    machine.port80.io_write(0x80, 1, 0x01)
    for vec in range(256):
        bios.set_vector(vec, *bios.vector_addr(-1))
    assert bios.layout is not None
    for vec, off in bios.layout.vectors.items():
        if vec >= 0:
            bios.set_vector(vec, R.ROM_SEG, off)
    bios.write(0x400, bytes(0x100))                          # BIOS data area
    bios.write(EBDA_SEG << 4, bytes(EBDA_KIB << 10))
    bios.wr8(EBDA_SEG << 4, EBDA_KIB)
    bios.wr16(0x40E, EBDA_SEG)
    bios.wr16(0x413, BASE_MEMORY_KIB)
    for n, hook in enumerate(bios.post_hooks):
        machine.port80.io_write(0x80, 1, 0x10 + n)
        hook()
    if bios.console_write is not None:
        bios.console_write(f"{BANNER}  {machine.cpu.model.name} CPU, "
                           f"{machine.config.ram_size >> 20} MiB RAM\r\n")
    machine.port80.io_write(0x80, 1, 0x19)
    # the ROM's next instruction is INT 19h; give it a stack below the boot sector
    bios["ss"] = 0
    bios["sp"] = 0x7C00
