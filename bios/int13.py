"""INT 13h pieces the disk service (:mod:`bios.disk`) and the CD-ROM service
(:mod:`bios.cdrom`) share: the status codes ([RBIL] #00234, [AT]) and the
extended read/write/verify/seek calls of the Enhanced Disk Drive
specification ([EDD] 42h-44h, 47h), whose disk address packet is read here.

Disk address packet at DS:SI ([EDD] "Device Address Packet"): byte 0 its size
(at least 10h), word 2 the block count (written back with the blocks done),
dword 4 the buffer as offset:segment, qword 8 the starting block; when the
buffer is FFFF:FFFF and the packet is at least 18h bytes, the qword at 10h is
a flat 64-bit buffer address.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .bios import Bios

# --- status codes ---------------------------------------------------------------------------
OK = 0x00
BAD_COMMAND = 0x01
WRITE_PROTECT = 0x03
NOT_FOUND = 0x04
CHANGE_LINE = 0x06
DMA_BOUNDARY = 0x09
BAD_MEDIA = 0x0C
CONTROLLER = 0x20
TIMEOUT = 0x80

# --- extensions -----------------------------------------------------------------------------
EDD_VERSION = 0x21            # EDD 1.1
EDD_SUPPORT = 0x0001          # fixed disk access subset: 42h-44h, 47h, 48h
EDD_MAX_BLOCKS = 127


@dataclass(frozen=True)
class AddressPacket:
    """A disk address packet: where it is, its block count, buffer and first block."""

    at: int
    count: int
    buffer: int
    lba: int


def read_address_packet(bios: Bios) -> AddressPacket | None:
    """The disk address packet at DS:SI, or None when its size byte is below 10h."""
    at = bios.linear(bios["ds"], bios["si"])
    size = bios.rd8(at)
    if size < 0x10:
        return None
    off, seg = bios.rd16(at + 4), bios.rd16(at + 6)
    buffer = (seg << 4) + off
    if (seg, off) == (0xFFFF, 0xFFFF) and size >= 0x18:
        buffer = bios.rd32(at + 16) | bios.rd32(at + 20) << 32
    return AddressPacket(at, bios.rd16(at + 2), buffer, bios.rd32(at + 8) | bios.rd32(at + 12) << 32)


def transfer_blocks(bios: Bios, packet: AddressPacket, total: int,
                    transfer: Callable[[int, int, int], int]) -> int:
    """Move the packet's blocks with ``transfer(lba, count, buffer)`` (it returns a status),
    as far as the medium's ``total`` blocks go; the packet's count becomes the blocks done.
    More than EDD_MAX_BLOCKS is refused; stopping at the end of the medium is NOT_FOUND."""
    if packet.count > EDD_MAX_BLOCKS:
        bios.wr16(packet.at + 2, 0)
        return BAD_COMMAND
    n = max(0, min(packet.count, total - packet.lba))
    status = transfer(packet.lba, n, packet.buffer) if n else OK
    if status == OK and n < packet.count:
        status = NOT_FOUND
    bios.wr16(packet.at + 2, n if status in (OK, NOT_FOUND) else 0)
    return status
