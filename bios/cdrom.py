"""El Torito CD-ROM boot and INT 13h for the CD drive (2048-byte sectors, EDD only).

References: Phoenix/IBM *"El Torito" Bootable CD-ROM Format Specification*
1.0, cited as [ET] with the section name; ECMA-119 (ISO 9660) for the volume
descriptor set, cited as [ECMA]; T13 *BIOS Enhanced Disk Drive Specification*
(EDD 1.1/3.0), cited as [EDD].

The CD is the image of ``-cdrom``, the same :class:`~emulator.blockdev.DiskImage`
the IDE controller exposes as the secondary master; the BIOS reads it
directly, as it does the hard disks.  It is INT 13h drive ``E0h`` (not counted
in 40:75h), reachable with or without a CD boot.

Boot ([ET] "Booting Process", no-emulation only): INT 19h with ``d`` in the
boot order reads the Boot Record Volume Descriptor at sector 17 ([ET] "Boot
Record Volume Descriptor": indicator 0, "CD001", version 1, "EL TORITO
SPECIFICATION", the catalog's sector at 47h), checks the catalog's
Validation Entry (header 01h, platform 0 = 80x86, key bytes 55h AAh, the
words summing to 0) and takes the Initial/Default Entry: bootable (88h), no
emulation (media type 0), load segment (0 means 07C0h), sector count in
512-byte virtual sectors (0 is refused), load RBA.  The image goes to
segment:0000 and runs there with DL = E0h, DS = ES = SS = 0, SP = 7C00h,
interrupts on.  Floppy and hard disk emulation are not done: such a CD is
skipped with a message, like one that fails a check.  The Specification
Packet of the boot is kept in the EBDA at offset 60h (13h bytes; byte 0 is
0 while nothing booted from the CD), so it belongs to guest memory and to
snapshots.

INT 13h for drive E0h (status in 40:74h, as for fixed disks):

* 00h reset, 0Dh alternate reset, 10h ready: AH=00h.  01h: the last status.
* 15h: AH=02h (removable, with change-line support).
* 02h-05h, 08h-0Ch (CHS access and geometry): AH=01h, CF=1: a no-emulation
  CD has no CHS geometry; its blocks are reached through EDD.
* 41h: EDD 1.1 (AH=21h), CX=0001h (42h-44h, 47h, 48h).  42h read and 44h
  verify use 2048-byte blocks (disk address packet at DS:SI, at most 127
  blocks, FFFF:FFFF + 64-bit flat address with an 18h-byte packet); 43h
  write fails with AH=03h (write-protected); 47h seek checks the block.
  48h: 1Ah/1Eh bytes, flags 0034h (removable, change line, lockable; CHS not
  valid), the block count, 2048 bytes per sector, DPTE FFFF:FFFF.
* 4Bh AL=00h (terminate emulation) / 01h (get status): the 13h-byte
  Specification Packet to DS:SI ([ET] "INT 13 Function 4B"), drive number
  E0h or 7Fh; CF=1 AH=01h when nothing booted from the CD.  Terminating a
  no-emulation boot changes nothing.
* anything else: AH=01h.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from emulator.blockdev import CD_SECTOR, SECTOR, DiskError, DiskImage

from .int13 import (
    BAD_COMMAND,
    CONTROLLER,
    EDD_SUPPORT,
    EDD_VERSION,
    NOT_FOUND,
    OK,
    WRITE_PROTECT,
    read_address_packet,
    transfer_blocks,
)

if TYPE_CHECKING:
    from .disk import DiskService

CD_DRIVE = 0xE0                       # our BIOS's drive number for the CD-ROM
BOOT_RECORD_SECTOR = 17               # [ET] "Boot Record Volume Descriptor": always sector 17
EL_TORITO_ID = b"EL TORITO SPECIFICATION"
DEFAULT_LOAD_SEGMENT = 0x07C0         # [ET] "Initial/Default Entry": load segment 0
EBDA_SPEC_PACKET = 0x60               # EBDA offset of the boot's Specification Packet
SPEC_PACKET_SIZE = 0x13
CONVENTIONAL_TOP = 0xA0000
EDD_FLAGS = 0x0034                    # removable, change line, lockable; CHS not valid


class ElToritoError(ValueError):
    """The CD cannot be booted: a one-line reason."""


@dataclass(frozen=True)
class BootEntry:
    """The Initial/Default Entry of a boot catalog ([ET] "Initial/Default Entry")."""

    catalog_lba: int
    media_type: int                   # 0 no emulation, 1-3 diskette, 4 hard disk emulation
    load_segment: int                 # 0 already replaced by 07C0h
    sector_count: int                 # 512-byte virtual sectors to load
    load_rba: int                     # the image's first 2048-byte block
    system_type: int

    @property
    def load_bytes(self) -> int:
        return self.sector_count * SECTOR


def read_boot_entry(image: DiskImage) -> BootEntry:
    """The boot catalog's Initial/Default Entry; ElToritoError names what is missing or wrong."""
    try:
        record = image.read(BOOT_RECORD_SECTOR, 1) if image.sectors > BOOT_RECORD_SECTOR else b""
    except DiskError as e:
        raise ElToritoError(str(e)) from None
    # [ET] "Boot Record Volume Descriptor" (an [ECMA] 8.2 Boot Record, type 0)
    if (len(record) < 0x4B or record[0] != 0 or record[1:6] != b"CD001" or record[6] != 1
            or record[7 : 7 + 32] != EL_TORITO_ID.ljust(32, b"\0")):
        raise ElToritoError("no El Torito boot record at sector 17 (not a bootable CD)")
    catalog_lba = int.from_bytes(record[0x47:0x4B], "little")
    if catalog_lba >= image.sectors:
        raise ElToritoError(f"the boot catalog pointer ({catalog_lba}) is beyond the end of the CD")
    catalog = image.read(catalog_lba, 1)
    # [ET] "Validation Entry"
    valid = catalog[:32]
    words = sum(int.from_bytes(valid[i : i + 2], "little") for i in range(0, 32, 2)) & 0xFFFF
    if valid[0] != 0x01 or valid[30:32] != b"\x55\xAA" or words != 0:
        raise ElToritoError("the El Torito boot catalog has no valid validation entry")
    if valid[1] != 0:
        raise ElToritoError(f"the El Torito boot catalog is for platform {valid[1]:#04x}, not 80x86")
    entry = catalog[32:64]
    if entry[0] != 0x88:
        raise ElToritoError("the El Torito default entry is not bootable")
    segment = int.from_bytes(entry[2:4], "little") or DEFAULT_LOAD_SEGMENT
    return BootEntry(catalog_lba, entry[1] & 0x0F, segment, int.from_bytes(entry[6:8], "little"),
                     int.from_bytes(entry[8:12], "little"), entry[4])


def bootable_entry(image: DiskImage) -> BootEntry:
    """:func:`read_boot_entry`, checked for what this BIOS can boot: no emulation, at least one
    sector, an image that fits in conventional memory above the BDA and on the CD."""
    entry = read_boot_entry(image)
    if entry.media_type != 0:
        raise ElToritoError(f"emulation boot (media type {entry.media_type}) is not supported, "
                            "only no-emulation boot")
    if entry.sector_count == 0:
        raise ElToritoError("the boot entry loads 0 sectors")
    start = entry.load_segment << 4
    if start < 0x500 or start + entry.load_bytes > CONVENTIONAL_TOP:
        raise ElToritoError(f"the boot image does not fit at segment {entry.load_segment:04X}h")
    if entry.load_rba + -(-entry.load_bytes // CD_SECTOR) > image.sectors:
        raise ElToritoError("the boot image is beyond the end of the CD")
    return entry


class CdromService:
    """INT 13h for the CD drive and the El Torito bootstrap, on top of the disk service."""

    def __init__(self, disks: DiskService, image: DiskImage) -> None:
        self.disks = disks
        self.bios = disks.bios
        self.image = image

    # --- the Specification Packet, kept in the EBDA ------------------------------------------------
    def _packet_addr(self) -> int | None:
        ebda = self.bios.rd16(0x40E) << 4
        return ebda + EBDA_SPEC_PACKET if ebda else None

    def spec_packet(self) -> bytes | None:
        """The packet of the CD boot, or None when nothing booted from the CD."""
        addr = self._packet_addr()
        if addr is None or self.bios.rd8(addr) != SPEC_PACKET_SIZE:
            return None
        return self.bios.read(addr, SPEC_PACKET_SIZE)

    def post(self) -> None:
        """POST: no CD boot yet."""
        addr = self._packet_addr()
        if addr is not None:
            self.bios.write(addr, bytes(SPEC_PACKET_SIZE))

    # --- INT 19h -------------------------------------------------------------------------------------
    def boot(self) -> bool:
        """Try the CD ([ET] "Booting Process"); True when the boot image was started."""
        b = self.bios
        self.disks._say("Booting from CD-ROM...")
        try:
            entry = bootable_entry(self.image)
            start = entry.load_segment << 4
            blocks = -(-entry.load_bytes // CD_SECTOR)
            data = self.image.read(entry.load_rba, blocks)[: entry.load_bytes]
        except (ElToritoError, DiskError) as e:
            b.machine.log(f"boot: CD-ROM: {e}")
            self.disks._say("Boot failed: could not read the boot disk")
            return False
        self.disks.store(start, data)
        packet = self._make_packet(entry)
        addr = self._packet_addr()
        if addr is not None:
            b.write(addr, packet)
        self.disks._start(CD_DRIVE, entry.load_segment, 0)
        return True

    @staticmethod
    def _make_packet(entry: BootEntry) -> bytes:
        """[ET] "Specification Packet" (13h bytes): no emulation, drive E0h, secondary controller,
        master device, the image's RBA, load segment and sector count; no CHS values."""
        p = bytearray(SPEC_PACKET_SIZE)
        p[0] = SPEC_PACKET_SIZE
        p[1] = entry.media_type
        p[2] = CD_DRIVE
        p[3] = 1                                          # controller index: the secondary channel
        p[4:8] = entry.load_rba.to_bytes(4, "little")
        p[8:10] = (0).to_bytes(2, "little")               # device specification: master
        p[12:14] = entry.load_segment.to_bytes(2, "little")
        p[14:16] = entry.sector_count.to_bytes(2, "little")
        return bytes(p)

    # --- INT 13h -------------------------------------------------------------------------------------
    def handles(self, dl: int, ah: int) -> bool:
        """Whether INT 13h with these DL/AH is the CD's business."""
        return dl == CD_DRIVE or (dl == 0x7F and ah == 0x4B)

    def _status(self, status: int, *, cf: bool | None = None) -> None:
        self.disks._status(False, status, cf=cf)

    def int13(self) -> None:
        b = self.bios
        ah = b["ah"]
        if ah in (0x00, 0x0D, 0x10):
            self._status(OK)
        elif ah == 0x01:
            self.disks._last_status(False)
        elif ah == 0x15:
            self._status(OK)
            b["ah"] = 0x02                                 # removable, change line supported
        elif ah == 0x41:
            if b["bx"] != 0x55AA:
                self._status(BAD_COMMAND)
                return
            b["bx"] = 0xAA55
            b["cx"] = EDD_SUPPORT
            self._status(EDD_VERSION, cf=False)
            b.wr8(0x474, OK)
        elif ah in (0x42, 0x43, 0x44, 0x47):
            self._edd_transfer(ah)
        elif ah == 0x48:
            self._edd_params()
        elif ah == 0x4B:
            self._boot_status()
        else:
            self._status(BAD_COMMAND)

    def _edd_transfer(self, ah: int) -> None:
        """[EDD] 42h read, 43h write, 44h verify, 47h seek, in 2048-byte blocks."""
        b = self.bios
        packet = read_address_packet(b)
        if packet is None:
            self._status(BAD_COMMAND)
        elif ah == 0x47:
            self._status(OK if packet.lba < self.image.sectors else NOT_FOUND)
        elif ah == 0x43:
            b.wr16(packet.at + 2, 0)
            self._status(WRITE_PROTECT)
        else:
            self._status(transfer_blocks(b, packet, self.image.sectors,
                                         lambda lba, n, addr: self._read_blocks(ah, lba, n, addr)))

    def _read_blocks(self, ah: int, lba: int, n: int, addr: int) -> int:
        """Read ``n`` blocks from ``lba``; 42h stores them at ``addr`` (44h only verifies)."""
        try:
            data = self.image.read(lba, n)
            if ah == 0x42:
                self.disks.store(addr, data)
        except DiskError as e:
            self.bios.machine.log(f"INT 13h drive {CD_DRIVE:02X}h: {e}")
            return CONTROLLER
        return OK

    def _edd_params(self) -> None:
        """[EDD] 48h: the drive parameters of the CD (2048-byte sectors, no CHS geometry)."""
        b = self.bios
        buf = b.linear(b["ds"], b["si"])
        size = b.rd16(buf)
        if size < 0x1A:
            self._status(BAD_COMMAND)
            return
        out = bytearray()
        out += (0x1E if size >= 0x1E else 0x1A).to_bytes(2, "little")
        out += EDD_FLAGS.to_bytes(2, "little")
        out += bytes(12)                                  # cylinders, heads, sectors: not valid
        out += self.image.sectors.to_bytes(8, "little")
        out += CD_SECTOR.to_bytes(2, "little")
        if size >= 0x1E:
            out += b"\xFF\xFF\xFF\xFF"                     # no DPTE
        self.disks.store(buf, bytes(out))
        self._status(OK)

    def _boot_status(self) -> None:
        """[ET] INT 13h AH=4Bh: AL=00h terminate emulation, 01h status; the packet to DS:SI."""
        b = self.bios
        packet = self.spec_packet()
        if b["al"] not in (0x00, 0x01) or packet is None:
            self._status(BAD_COMMAND)
            return
        self.disks.store(b.linear(b["ds"], b["si"]), packet)
        self._status(OK)
