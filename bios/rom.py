"""The BIOS ROM image: the reset vector, one stub per interrupt vector, and fixed tables.

The ROM is 64 KiB at F0000h (segment F000h).  Every BIOS interrupt points to a
short stub that executes the reserved BIOS-call instruction ``0F 04 nn``
(``nn`` = the service number, normally the vector): the CPU core exits to
Python, the service runs against the guest registers and memory, and the
stub returns with IRET.  Because the vectors point at ordinary code, a guest
can hook any of them, as DOS and TSRs do.

A service stub is laid out as::

    +0  0F 04 nn    BIOS call
    +3  CF          IRET
    +4  FB          STI          <- a service that must wait (INT 16h with no key)
    +5  F4          HLT             sets IP here: the CPU sleeps until the next
    +6  EB F8       JMP +0          interrupt, then the service is called again

Hardware interrupt handlers (INT 08h, 09h, 70h...) are small routines that also
call hookable vectors (INT 1Ch, INT 15h AH=4Fh) and send the EOI to the 8259A,
as the IBM PC AT BIOS listing describes.  The bytes are encoded here by hand
(Intel SDM Vol. 2 opcode tables); the ROM has no other code.
"""

from __future__ import annotations

from dataclasses import dataclass, field

ROM_SEG = 0xF000
ROM_BASE = 0xF0000
ROM_SIZE = 0x10000
RESET_VECTOR = 0xFFF0       # F000:FFF0, where the CPU starts
POST_ENTRY = 0xE05B         # F000:E05B, the conventional POST entry point
BIOS_DATE = b"11/26/26"     # F000:FFF5, mm/dd/yy
MODEL_BYTE = 0xFC           # F000:FFFE: AT class

SVC_POST = 0xFF             # service number of the power-on self test
SVC_BOOT_FAILED = 0xFE      # INT 19h found nothing: print the message and wait

# Service stub offsets (see the module docstring)
STUB_CALL = 0
STUB_WAIT = 4
STUB_SIZE = 8

EOI_MASTER = bytes((0xB0, 0x20, 0xE6, 0x20))                       # mov al,20h; out 20h,al
EOI_SLAVE = bytes((0xB0, 0x20, 0xE6, 0xA0))                        # mov al,20h; out 0A0h,al


def bios_call(service: int) -> bytes:
    """The reserved BIOS-call instruction for ``service`` (0F 04 nn)."""
    return bytes((0x0F, 0x04, service & 0xFF))


@dataclass
class RomLayout:
    """Where things are in the ROM (offsets in segment F000h)."""

    vectors: dict[int, int] = field(default_factory=dict)    # vector -> handler offset
    stubs: dict[int, int] = field(default_factory=dict)      # service -> stub offset (wait path at +4)
    tables: dict[str, int] = field(default_factory=dict)     # name -> table offset


class RomBuilder:
    """Places code and tables into the 64 KiB ROM image."""

    def __init__(self) -> None:
        self.image = bytearray(b"\x00" * ROM_SIZE)
        self.layout = RomLayout()
        self._next = 0x0100                                   # bump allocator (0000-00FF: ID text)
        self._fixed: list[tuple[int, int]] = []

    def place(self, data: bytes, align: int = 1) -> int:
        """Put ``data`` at the next free offset (aligned); return the offset."""
        off = (self._next + align - 1) // align * align
        end = off + len(data)
        for start, stop in self._fixed:
            if off < stop and start < end:                    # skip over a fixed block
                off = (stop + align - 1) // align * align
                end = off + len(data)
        if end > 0xE000:
            raise OverflowError("BIOS ROM code area is full")
        self.image[off:end] = data
        self._next = end
        return off

    def place_at(self, offset: int, data: bytes) -> int:
        """Put ``data`` at a fixed ``offset`` (IBM-compatible entry points and tables)."""
        self.image[offset : offset + len(data)] = data
        self._fixed.append((offset, offset + len(data)))
        return offset

    def service_stub(self, service: int) -> int:
        """A stub that calls Python service ``service`` and IRETs (with the wait path)."""
        off = self.place(bios_call(service) + bytes((0xCF, 0xFB, 0xF4, 0xEB, 0xF8)))
        self.layout.stubs[service] = off
        return off

    def routine(self, service: int, before: bytes, after: bytes) -> int:
        """Code ``before`` + BIOS call + ``after`` (which must end the handler)."""
        off = self.place(before + bios_call(service) + after)
        self.layout.stubs[service] = off + len(before)
        return off


def build_rom(service_vectors: list[int], tables: dict[str, bytes] | None = None,
              banner: bytes = b"pyx86 BIOS") -> tuple[bytes, RomLayout]:
    """Assemble the ROM: reset vector, POST entry, interrupt handlers and ``tables``.

    ``service_vectors`` are the vectors whose handler is a plain service stub;
    the hardware interrupt routines (08h, 09h, 70h, the other IRQs) and the
    default IRET handler are always built.  Returns the image and its layout.
    """
    rom = RomBuilder()
    lay = rom.layout
    rom.place_at(0, banner[:0xF0])
    # fixed entry points first so the allocator steps around them
    rom.place_at(RESET_VECTOR, bytes((0xEA, POST_ENTRY & 0xFF, POST_ENTRY >> 8,
                                      ROM_SEG & 0xFF, ROM_SEG >> 8)))
    rom.place_at(0xFFF5, BIOS_DATE)
    rom.place_at(0xFFFE, bytes((MODEL_BYTE, 0x00)))
    # POST: the Python service does the work, then INT 19h loads the boot sector
    rom.place_at(POST_ENTRY, bios_call(SVC_POST) + bytes((0xCD, 0x19, 0xFA, 0xF4, 0xEB, 0xFC)))
    lay.stubs[SVC_POST] = POST_ENTRY

    lay.vectors[-1] = rom.place(bytes((0xCF,)))               # default handler: IRET
    # unused IRQs: EOI and return (IRQ 2-7 master; 8-15 slave then master)
    lay.tables["irq_master_eoi"] = rom.place(bytes((0x50,)) + EOI_MASTER + bytes((0x58, 0xCF)))
    lay.tables["irq_slave_eoi"] = rom.place(bytes((0x50,)) + EOI_SLAVE + EOI_MASTER + bytes((0x58, 0xCF)))
    for vec in (0x0A, 0x0B, 0x0C, 0x0D, 0x0E, 0x0F):
        lay.vectors[vec] = lay.tables["irq_master_eoi"]
    for vec in range(0x71, 0x78):
        lay.vectors[vec] = lay.tables["irq_slave_eoi"]
    # INT 08h, IRQ0: count the tick, call the user hook INT 1Ch, EOI
    lay.vectors[0x08] = rom.routine(0x08, b"", bytes((0xCD, 0x1C, 0x50)) + EOI_MASTER + bytes((0x58, 0xCF)))
    # INT 09h, IRQ1: read the scancode, offer it to INT 15h AH=4Fh (CF=1: keep it), process, EOI
    lay.vectors[0x09] = rom.routine(
        0x09,
        bytes((0x50, 0xE4, 0x60, 0xB4, 0x4F, 0xF9, 0xCD, 0x15, 0x73, 0x03)),   # push ax; in al,60h;
        EOI_MASTER + bytes((0x58, 0xCF)))                                    # mov ah,4Fh; stc; int 15h; jnc
    # INT 70h, IRQ8: the RTC (periodic interrupt for INT 15h 83h/86h), EOI to both PICs
    lay.vectors[0x70] = rom.routine(0x70, bytes((0x50,)), EOI_SLAVE + EOI_MASTER + bytes((0x58, 0xCF)))
    # INT 74h, IRQ12: the PS/2 mouse (INT 15h C2h user handler), EOI to both PICs
    lay.vectors[0x74] = rom.routine(0x74, bytes((0x50,)), EOI_SLAVE + EOI_MASTER + bytes((0x58, 0xCF)))
    for vec in service_vectors:
        lay.vectors[vec] = rom.service_stub(vec)
    rom.service_stub(SVC_BOOT_FAILED)
    for name, data in (tables or {}).items():
        lay.tables[name] = rom.place(data, align=16)
    return bytes(rom.image), lay
