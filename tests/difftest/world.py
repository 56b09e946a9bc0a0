"""The memory layout ("world") shared by the generator and the harness.

Both CPUs get the same physical memory.  Everything an instruction may touch
lies below ``WORLD_END``; the harness compares that range after every
instruction (and the whole mapped memory now and then).

16-bit real mode
    Every segment register holds a selector in ``[SEG_MIN, SEG_MAX]``, so each
    64 KiB segment window lies inside the world and any 16-bit offset is a
    valid address.  IP stays at most ``IP_MAX`` (room for a 15-byte
    instruction before the end of the code segment); SP stays inside
    ``SP16`` so pushes and pops never cross the segment limit.

32-bit flat harness mode
    All segment bases are 0 with 4 GiB limits (our ``cpu.set_flat32()``,
    Unicorn ``UC_MODE_32``).  Data and code may be anywhere in
    ``[LO32, WORLD_END)``; ESP stays inside ``STACK32``.

Both modes
    The real-mode interrupt vector table at 0 sends vector ``v`` to
    ``MARKER_CS:v``: if our core delivers an exception, CS becomes
    ``MARKER_CS`` and IP tells the vector.
"""

WORLD_END = 0x50000        # everything an instruction touches is below this
MAP_SIZE = 0x110000        # memory mapped on both sides (1 MiB + 64 KiB)

# 16-bit real mode
SEG_MIN, SEG_MAX = 0x1000, 0x4000
IP_MAX = 0xFFE0
SP16 = (0x0200, 0xFE00)

# 32-bit flat mode
LO32 = 0x1000
CODE32_MAX = WORLD_END - 0x40
STACK32 = (0x41000, 0x4F000)

MARKER_CS = 0x0040         # IVT[v] = MARKER_CS:v


def ivt_bytes() -> bytes:
    """The interrupt vector table image: vector v -> MARKER_CS:v."""
    out = bytearray()
    for v in range(256):
        out += v.to_bytes(2, "little") + MARKER_CS.to_bytes(2, "little")
    return bytes(out)
