"""Disk services: INT 13h (diskettes and fixed disks, with the EDD extensions), INT 19h bootstrap.

The images named by the machine's config become drives: ``fda``/``fdb`` the
diskette drives 00h/01h, ``hda``..``hdd`` the fixed disks, numbered from 80h
in that order among those present (``-hdb`` alone is drive 80h, as QEMU's
BIOS numbers them), ``cdrom`` drive E0h (:mod:`bios.cdrom`).  ``-fdb``
without ``-fda`` gives an empty 1.44M drive A.
``config.snapshot`` opens every image with a write overlay (nothing reaches
the files).  The open images are closed by :meth:`DiskService.close`, which
is ``bios.disks.close``; the service also puts a closer into
``machine.backends``, so ``Machine.close()`` releases the files with the
serial back ends.

References: IBM *PC AT Technical Reference*, BIOS listing sections on the
diskette and fixed disk services and the bootstrap loader, cited as [AT];
Ralf Brown's Interrupt List, INT 13h and the BIOS data area, cited as [RBIL];
Phoenix *System BIOS for IBM PCs* (INT 13h); T13 *BIOS Enhanced Disk Drive
Specification* 1.1 / 3.0, cited as [EDD].

What the guest sees:

* POST: equipment word bits 0 and 7-6 (diskettes), 475h (fixed disk count),
  476h (control byte), 48Fh (drive capabilities), 490h/491h (media state,
  "established"), INT 1Eh -> the 11-byte diskette parameter table of drive
  A's type in the ROM, INT 41h/46h -> 16-byte fixed disk parameter tables in
  the EBDA at offsets 3Dh/4Dh (where the PS/2 BIOS keeps them; all zero and
  vectors 0000:0000 without the drive).  CMOS bytes 10h (diskette types),
  12h/19h/1Ah (fixed disk type 47, user defined) and the user-type geometry
  in 1Bh-2Ch (the layout AMI BIOSes use) are written when the BIOS is built.
* Status: every call stores its result in 441h (diskette) or 474h (fixed
  disk); AH=01h returns it in AH and AL.
* Sector transfers take no virtual time and raise no IRQ 6/14.  CHS reads and
  writes stop at the end of the medium with AH=04h, AL = sectors done.  A
  diskette transfer may run on from head 0 to head 1 (the multi-track mode the
  AT BIOS uses) but stops at the end of the cylinder with AH=04h, as the
  controller ends there.  A diskette buffer that would cross a 64 KiB
  physical boundary fails with AH=09h before anything moves (the 8237 DMA
  page register does not carry into the next page; [AT] checks first).  Fixed
  disk buffers run on linearly past the end of the segment.
* Missing drives: a diskette drive number with no drive gives AH=80h
  (timeout: nothing answers), except AH=08h (zeros, DL = drive count) and
  AH=15h (AH=00h, no such drive); a fixed disk number with no disk gives AH=01h.
* Diskettes: AH=00h-05h, 08h, 15h-18h.  AH=05h (format track) fills the
  sectors named in the address fields with the fill byte of the INT 1Eh table;
  the image's format cannot change, so AH=05h with another sector count and
  AH=18h for another format give AH=0Ch.  Change line: the media never
  change, so AH=16h is 00h (06h for a 360K drive, which has no change line).
* Fixed disks: AH=00h-05h (05h accepted, nothing written), 08h, 09h, 0Ch-0Dh,
  10h-15h, 19h; 0Ah/0Bh (long read/write) and 06h/07h give AH=01h.  EDD 1.1:
  41h (CX=0001h: 42h-44h, 47h, 48h), 42h, 43h, 44h, 47h, 48h (1Ah bytes, or
  1Eh with the EDD 2.0 DPTE pointer FFFF:FFFF when the buffer allows);
  at most 127 blocks per call; a buffer pointer of FFFF:FFFF with a packet of
  18h bytes uses the 64-bit flat address.  Removable-media calls 45h/46h/49h
  give AH=01h.
* Drives: ``-hda``..``-hdd`` and ``-cdrom`` are the image objects the machine opened for
  its IDE controller (``machine.drive_images``), so both see the same data and overlay.
* INT 19h: tries ``config.boot_once`` (only for the first bootstrap since
  the BIOS was built, as QEMU's ``once=``; kept as Python state like QEMU's
  own) else ``config.boot_order``: a/b the diskette drives, c the first fixed
  disk; d the CD-ROM (El Torito no-emulation boot, drive E0h: :mod:`bios.cdrom`).
  Sector 0 goes to 0000:7C00; a fixed disk needs the 55AAh signature; a
  diskette is tried without it (the AT loader did not check; DOS 1.x disks
  lack it) unless the sector is one byte repeated (blank).  The boot sector
  starts at 0000:7C00 with DL = drive, DH = 0, DS = ES = SS = 0, SP = 7C00h,
  interrupts on.  When nothing boots it prints "No bootable device." and
  waits with interrupts on; a key in the BDA keyboard buffer starts the
  bootstrap again.
* INT 40h: the diskette-only entry the AT's fixed disk BIOS moves the
  diskette handler to ([AT]); same services, DL must be a diskette drive.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from emulator.blockdev import (
    CD_SECTOR,
    FLOPPY_FORMATS,
    SECTOR,
    DiskError,
    DiskImage,
    FloppyFormat,
    Geometry,
    WriteProtected,
)
from emulator.chardev import CharBackend
from emulator.cpu import state as S

from . import rom as R
from .cdrom import CdromService, ElToritoError, bootable_entry
from .int13 import (
    BAD_COMMAND,
    BAD_MEDIA,
    CHANGE_LINE,
    CONTROLLER,
    DMA_BOUNDARY,
    EDD_SUPPORT,
    EDD_VERSION,
    NOT_FOUND,
    OK,
    TIMEOUT,
    WRITE_PROTECT,
    read_address_packet,
    transfer_blocks,
)

if TYPE_CHECKING:
    from .bios import Bios

# --- BIOS data area ([RBIL] "MEM 0040h") ----------------------------------------------------
EQUIPMENT = 0x410
FLOPPY_STATUS = 0x441
HD_STATUS = 0x474
HD_COUNT = 0x475
HD_CONTROL = 0x476
FLOPPY_INFO = 0x48F           # bits 2-0 drive 0, 6-4 drive 1: type known, multi-rate, change line
MEDIA_STATE = 0x490           # drives 0/1: data rate, established, media/drive combination
FLOPPY_CYLINDER = 0x494       # drives 0/1: present cylinder
KBD_HEAD, KBD_TAIL = 0x41A, 0x41C
KBD_START, KBD_END = 0x480, 0x482

# EBDA offsets of the fixed disk parameter tables (PS/2 convention, [RBIL] "EBDA")
FDPT_OFFSETS = (0x3D, 0x4D)
FDPT_SIZE = 16

BOOT_ADDR = 0x7C00
CHS_VALID_LIMIT = 16383 * 16 * 63    # [EDD]: above this the geometry in 48h is not valid

DRIVE_NAMES = {0x00: "floppy disk A:", 0x01: "floppy disk B:"}
NATIVE_FORMAT = {1: "360K", 2: "1.2M", 3: "720K", 4: "1.44M", 5: "2.88M"}
#: diskette formats each drive type reads ([AT]; the 720K/1.44M/2.88M drives of the PS/2)
DRIVE_READS = {1: ("160K", "180K", "320K", "360K"), 2: ("160K", "180K", "320K", "360K", "1.2M"),
               3: ("720K",), 4: ("720K", "1.44M"), 5: ("720K", "1.44M", "2.88M")}
#: AH=17h: AL -> (drive type, formats)
DASD_TYPES = {1: (1, ("160K", "180K", "320K", "360K")), 2: (2, ("160K", "180K", "320K", "360K")),
              3: (2, ("1.2M",)), 4: (3, ("720K",))}
FORMATS = {f.name: f for f in FLOPPY_FORMATS}


def diskette_parameter_table(fmt: FloppyFormat) -> bytes:
    """The 11-byte diskette parameter table of [AT] for ``fmt``: specify bytes (step rate,
    head unload, head load, DMA), motor-off delay, sector size code, sectors per track, gap,
    data length, format gap, format fill byte, head settle time, motor start time."""
    return bytes((0xDF, 0x02, 0x25, 0x02, fmt.geometry.sectors, fmt.gap, 0xFF, fmt.format_gap,
                  0xF6, 0x0F, 0x08))


def media_state(fmt: FloppyFormat) -> int:
    """BDA 490h byte for an established medium ([RBIL] MEM 0040h:0090h): data rate in bits 7-6
    (00 500, 01 300, 10 250, 11 1000 kbit/s), bit 4 established, bits 2-0 the medium/drive pair."""
    rate = {500: 0x00, 300: 0x40, 250: 0x80, 1000: 0xC0}[fmt.data_rate]
    if fmt.drive_type == 1:
        pair = 0x03                          # 360K medium in a 360K drive
    elif fmt.drive_type == 2:
        pair = 0x05                          # 1.2M medium in a 1.2M drive
    else:
        pair = 0x07                          # "other" (720K, 1.44M, 2.88M)
    return rate | 0x10 | pair


@dataclass
class Drive:
    """One BIOS drive: its number, image (None: empty diskette drive) and CHS geometry."""

    number: int
    image: DiskImage | None
    geometry: Geometry
    floppy: FloppyFormat | None = None       # the medium's format (diskettes with a disk)
    drive_type: int = 0                      # diskettes: CMOS drive type 1-5

    @property
    def is_floppy(self) -> bool:
        return self.number < 0x80


class _Closer(CharBackend):
    """Lets ``Machine.close()`` (which closes its back ends) close the disk images too."""

    def __init__(self, service: DiskService) -> None:
        self._service = service

    def close(self) -> None:
        self._service.close()


class DiskService:
    """The drives of one machine and the INT 13h / INT 19h services over them."""

    def __init__(self, bios: Bios) -> None:
        self.bios = bios
        self.cpu = bios.cpu
        self.floppies: dict[int, Drive] = {}
        self.hard_disks: dict[int, Drive] = {}
        self._boot_once_used = False
        cfg = bios.machine.config
        images: list[DiskImage] = []
        try:
            for n, path in enumerate((cfg.fda, cfg.fdb)):
                if path is None:
                    continue
                img = DiskImage(path, snapshot=cfg.snapshot)
                images.append(img)
                fmt = img.floppy_format()
                self.floppies[n] = Drive(n, img, fmt.geometry, fmt, fmt.drive_type)
            if 1 in self.floppies and 0 not in self.floppies:
                self.floppies[0] = Drive(0, None, FORMATS["1.44M"].geometry, None, 4)
            shared = getattr(bios.machine, "drive_images", {})   # opened by the machine for IDE
            for name in ("hda", "hdb", "hdc", "hdd"):
                path = getattr(cfg, name, None)
                if path is None:
                    continue
                img = shared.get(name)
                if img is None:
                    img = DiskImage(path, snapshot=cfg.snapshot)
                    images.append(img)
                number = 0x80 + len(self.hard_disks)
                self.hard_disks[number] = Drive(number, img, img.hard_disk_geometry())
            cd = shared.get("cdrom") if cfg.cdrom is not None else None
            if cfg.cdrom is not None and cd is None:
                cd = DiskImage(cfg.cdrom, writable=False, sector_size=CD_SECTOR)
                images.append(cd)
            self.cdrom = CdromService(self, cd) if cd is not None else None
        except DiskError:
            for img in images:
                img.close()
            raise

    # --- life cycle ------------------------------------------------------------------------
    @property
    def drives(self) -> list[Drive]:
        return [*self.floppies.values(), *self.hard_disks.values()]

    def save_state(self) -> dict[str, Any]:
        """The guest-visible disk state a machine snapshot needs: the ``-snapshot`` overlays
        (sectors the guest wrote) and whether ``-boot once=`` was used.  Writes that went
        to an image file are the file's business: snapshots do not roll them back."""
        overlays = {f"{d.number:02x}": {str(lba): data for lba, data in d.image.overlay.items()}
                    for d in self.drives if d.image is not None}
        return {"boot_once_used": self._boot_once_used, "overlays": overlays}

    def load_state(self, state: dict[str, Any]) -> None:
        self._boot_once_used = bool(state["boot_once_used"])
        for d in self.drives:
            if d.image is not None:
                saved = state["overlays"].get(f"{d.number:02x}", {})
                d.image.overlay = {int(lba): bytes(data) for lba, data in saved.items()}

    def close(self) -> None:
        """Close every image file (flushing writes; snapshot overlays are dropped)."""
        for drive in self.drives:
            if drive.image is not None:
                drive.image.close()
        if self.cdrom is not None:
            self.cdrom.image.close()

    def setup_cmos(self) -> None:
        """CMOS diskette and fixed disk types; type 47 geometry in bytes 1Bh-2Ch; checksum."""
        cmos = self.bios.machine.cmos
        cmos.set_floppy_types(*(self.floppies[n].drive_type if n in self.floppies else 0
                                for n in (0, 1)))
        cfg = self.bios.machine.config
        disks = iter(self.hard_disks.values())
        present = [next(disks) if p is not None else None for p in (cfg.hda, cfg.hdb)]
        cmos.set_hard_disk_types(*(47 if d is not None else 0 for d in present))
        for base, drive in zip((0x1B, 0x24), present, strict=True):
            data = bytes(9)
            if drive is not None:
                g = drive.geometry
                data = (g.cylinders.to_bytes(2, "little") + bytes((g.heads,)) + b"\xFF\xFF"
                        + bytes((0x08 if g.heads > 8 else 0,)) + g.cylinders.to_bytes(2, "little")
                        + bytes((g.sectors,)))
            cmos.ram[base : base + 9] = list(data)
        cmos.update_checksum()

    def tables(self) -> dict[str, bytes]:
        """The ROM tables: one diskette parameter table per format."""
        return {f"dpt_{f.name}": diskette_parameter_table(f) for f in FLOPPY_FORMATS}

    def dpt_address(self, fmt_name: str) -> tuple[int, int]:
        """(segment, offset) of the ROM diskette parameter table of format ``fmt_name``."""
        return R.ROM_SEG, self.bios.table_addr(f"dpt_{fmt_name}") - R.ROM_BASE

    def _drive_dpt(self, drive: Drive) -> tuple[int, int]:
        name = drive.floppy.name if drive.floppy is not None else NATIVE_FORMAT[drive.drive_type]
        return self.dpt_address(name)

    def post(self) -> None:
        """POST: the BDA disk bytes, the parameter tables and their vectors."""
        b = self.bios
        if self.cdrom is not None:
            self.cdrom.post()
        count = len(self.floppies)
        eq = b.rd16(EQUIPMENT) & ~0x00C1
        if count:
            eq |= 0x0001 | (count - 1) << 6
        b.wr16(EQUIPMENT, eq)
        b.wr8(FLOPPY_STATUS, 0)
        b.wr8(HD_STATUS, 0)
        b.wr8(HD_COUNT, len(self.hard_disks))
        info = 0
        for n, drive in self.floppies.items():
            info |= (0x07 if drive.drive_type >= 2 else 0x04) << (4 * n)
            b.wr8(MEDIA_STATE + n, media_state(drive.floppy) if drive.floppy is not None else 0)
            b.wr8(FLOPPY_CYLINDER + n, 0)
        b.wr8(FLOPPY_INFO, info)
        first = self.floppies.get(0) or self.floppies.get(1)
        b.set_vector(0x1E, *(self._drive_dpt(first) if first is not None else self.dpt_address("1.44M")))
        ebda = b.rd16(0x40E) << 4
        control = 0
        for k, (vector, off) in enumerate(zip((0x41, 0x46), FDPT_OFFSETS, strict=True)):
            drive = self.hard_disks.get(0x80 + k)
            table = bytes(FDPT_SIZE)
            if drive is not None and ebda:
                table = self._fdpt(drive.geometry)
                b.set_vector(vector, ebda >> 4, off)
                if k == 0:
                    control = table[8]
            else:
                b.set_vector(vector, 0, 0)
            if ebda:
                b.write(ebda + off, table)
        b.wr8(HD_CONTROL, control)

    @staticmethod
    def _fdpt(g: Geometry) -> bytes:
        """A 16-byte fixed disk parameter table ([AT] "Fixed Disk Parameter Table"): cylinders,
        heads, reduced write current and write precompensation cylinders (none: FFFFh), control
        byte (bit 3: more than 8 heads), landing zone, sectors per track."""
        t = bytearray(FDPT_SIZE)
        t[0:2] = g.cylinders.to_bytes(2, "little")
        t[2] = g.heads
        t[3:5] = b"\xFF\xFF"
        t[5:7] = b"\xFF\xFF"
        t[8] = 0x08 if g.heads > 8 else 0x00
        t[12:14] = g.cylinders.to_bytes(2, "little")
        t[14] = g.sectors
        return bytes(t)

    # --- guest memory ----------------------------------------------------------------------
    def _chunks(self, addr: int, n: int):
        """(physical address, offset, length) pieces of ``n`` bytes at ``addr``, by page, A20 applied."""
        mask = int(self.cpu.st[S.A20_MASK])
        pos = 0
        while pos < n:
            a = (addr + pos) & mask
            size = min(n - pos, 0x1000 - (a & 0xFFF))
            yield a, pos, size
            pos += size

    def store(self, addr: int, data: bytes) -> None:
        """Put ``data`` in guest RAM at ``addr``: ROM and unmapped pages are left alone."""
        cpu = self.cpu
        ram, pmap = cpu.ram, cpu.pmap
        src = np.frombuffer(bytes(data), dtype=np.uint8)
        for a, pos, size in self._chunks(addr, len(data)):
            page = a >> S.PAGE_SHIFT
            if page < len(pmap) and pmap[page] == S.PG_RAM and a + size <= len(ram):
                ram[a : a + size] = src[pos : pos + size]

    def fetch(self, addr: int, n: int) -> bytes:
        """``n`` bytes of guest memory at ``addr`` (where nothing is mapped: FFh)."""
        cpu = self.cpu
        ram, pmap = cpu.ram, cpu.pmap
        out = bytearray(b"\xFF" * n)
        for a, pos, size in self._chunks(addr, n):
            page = a >> S.PAGE_SHIFT
            if page < len(pmap) and pmap[page] in (S.PG_RAM, S.PG_ROM) and a + size <= len(ram):
                out[pos : pos + size] = ram[a : a + size].tobytes()
        return bytes(out)

    # --- result helpers --------------------------------------------------------------------
    def _status(self, floppy: bool, status: int, *, cf: bool | None = None) -> None:
        """Finish a call: BDA status byte, AH, CF (set for a nonzero status unless ``cf`` says)."""
        b = self.bios
        b.wr8(FLOPPY_STATUS if floppy else HD_STATUS, status)
        if cf is None:
            cf = status != OK
        b.set_cf(cf)
        b["ah"] = status

    # --- INT 13h ---------------------------------------------------------------------------
    def int13(self) -> None:
        """INT 13h: dispatch on DL (bit 7: fixed disk; E0h: the CD-ROM, see bios.cdrom) and AH."""
        if self.cdrom is not None and self.cdrom.handles(self.bios["dl"], self.bios["ah"]):
            self.cdrom.int13()
        elif self.bios["dl"] & 0x80:
            self._hard_disk(self.bios["ah"], self.bios["dl"])
        else:
            self._diskette(self.bios["ah"], self.bios["dl"])

    def int40(self) -> None:
        """INT 40h: the diskette services alone ([AT])."""
        dl = self.bios["dl"]
        if dl & 0x80:
            self._status(True, BAD_COMMAND)
            return
        self._diskette(self.bios["ah"], dl)

    def _diskette(self, ah: int, dl: int) -> None:
        b = self.bios
        drive = self.floppies.get(dl)
        if ah == 0x00:                                        # reset the diskette system
            self._status(True, OK)
        elif ah == 0x01:                                      # status of the last operation
            self._last_status(True)
        elif ah == 0x08:                                      # drive parameters
            self._floppy_params(drive)
        elif ah == 0x15:                                      # DASD type
            if drive is None:
                self._status(True, OK)
            else:
                b.wr8(FLOPPY_STATUS, OK)
                b.set_cf(False)
                b["ah"] = 0x01 if drive.drive_type == 1 else 0x02
        elif drive is None or (drive.image is None and ah in (0x02, 0x03, 0x04, 0x05)):
            self._status(True, TIMEOUT)                       # no drive, or no disk in it
            if ah in (0x02, 0x03, 0x04, 0x05):
                b["al"] = 0
        elif ah in (0x02, 0x03, 0x04):
            self._chs_transfer(drive, ah)
        elif ah == 0x05:
            self._format_track(drive)
        elif ah == 0x16:                                      # change line
            if drive.image is None or drive.drive_type == 1:
                self._status(True, CHANGE_LINE)
            else:
                self._status(True, OK)
        elif ah == 0x17:                                      # set DASD type for format
            self._set_dasd_type(drive)
        elif ah == 0x18:                                      # set media type for format
            self._set_media_type(drive)
        else:
            self._status(True, BAD_COMMAND)

    def _last_status(self, floppy: bool) -> None:
        b = self.bios
        status = b.rd8(FLOPPY_STATUS if floppy else HD_STATUS)
        b["al"] = status
        b["ah"] = status
        b.set_cf(status != OK)

    def _floppy_params(self, drive: Drive | None) -> None:
        """AH=08h for a diskette drive ([RBIL] INT 13h AH=08h; [AT])."""
        b = self.bios
        b["ax"] = 0
        b["dl"] = len(self.floppies)
        if drive is None:
            b["bx"] = b["cx"] = 0
            b["dh"] = 0
            b["es"] = b["di"] = 0
        else:
            fmt = drive.floppy or FORMATS[NATIVE_FORMAT[drive.drive_type]]
            g = fmt.geometry
            b["bx"] = drive.drive_type
            b["ch"] = (g.cylinders - 1) & 0xFF
            b["cl"] = g.sectors | ((g.cylinders - 1) >> 2 & 0xC0)
            b["dh"] = g.heads - 1
            seg, off = self._drive_dpt(drive)
            b["es"] = seg
            b["di"] = off
        self._status(True, OK)

    def _chs(self) -> tuple[int, int, int]:
        b = self.bios
        cl = b["cl"]
        return b["ch"] | (cl & 0xC0) << 2, b["dh"], cl & 0x3F

    def _chs_transfer(self, drive: Drive, ah: int) -> None:
        """AH=02h read, 03h write, 04h verify: AL sectors at CH/CL/DH, buffer ES:BX ([AT])."""
        b = self.bios
        floppy = drive.is_floppy
        count = b["al"]
        cyl, head, sector = self._chs()
        g = drive.geometry
        b["al"] = 0
        if count == 0:
            self._status(floppy, BAD_COMMAND)
            return
        if not (1 <= sector <= g.sectors and head < g.heads and cyl < g.cylinders):
            self._status(floppy, NOT_FOUND)
            return
        lba = g.to_lba(cyl, head, sector)
        # a diskette transfer ends with the cylinder (multi-track), a fixed disk's with the disk
        end = (cyl + 1) * g.heads * g.sectors if floppy else g.total
        end = min(end, drive.image.sectors if drive.image is not None else 0)
        n = min(count, end - lba)
        addr = (b["es"] << 4) + b["bx"]
        if floppy and ah != 0x04 and (addr & 0xFFFF) + count * SECTOR > 0x10000:
            self._status(floppy, DMA_BOUNDARY)
            return
        status = self._transfer(drive, ah, lba, n, addr)
        if floppy:
            b.wr8(FLOPPY_CYLINDER + drive.number, cyl)
        if status == OK and n < count:
            status = NOT_FOUND
        b["al"] = n if status in (OK, NOT_FOUND) else 0
        self._status(floppy, status)

    def _transfer(self, drive: Drive, ah: int, lba: int, n: int, addr: int) -> int:
        """Move ``n`` sectors between the image at ``lba`` and guest memory at ``addr``; a status."""
        img = drive.image
        assert img is not None
        try:
            if ah == 0x02:
                self.store(addr, img.read(lba, n))
            elif ah == 0x03:
                img.write(lba, self.fetch(addr, n * SECTOR))
            elif ah == 0x04:
                img.read(lba, n)
        except WriteProtected:
            return WRITE_PROTECT
        except DiskError as e:
            self.bios.machine.log(f"INT 13h drive {drive.number:02X}h: {e}")
            return CONTROLLER
        return OK

    def _format_track(self, drive: Drive) -> None:
        """AH=05h diskette: format track CH, head DH with AL sectors; ES:BX -> C/H/R/N fields."""
        b = self.bios
        assert drive.image is not None and drive.floppy is not None
        g = drive.geometry
        count, cyl, head = b["al"], b["ch"], b["dh"]
        if cyl >= g.cylinders or head >= g.heads:
            self._status(True, NOT_FOUND)
            return
        if count != g.sectors:
            self._status(True, BAD_MEDIA)
            return
        if drive.image.read_only:
            self._status(True, WRITE_PROTECT)
            return
        seg, off = b.rd16(0x1E * 4 + 2), b.rd16(0x1E * 4)
        fill = b.rd8(b.linear(seg, off) + 8)
        fields = self.fetch((b["es"] << 4) + b["bx"], 4 * count)
        data = bytes((fill,)) * SECTOR
        status = OK
        for k in range(count):
            c, h, r, size = fields[4 * k : 4 * k + 4]
            if c == cyl and h == head and size == 2 and 1 <= r <= g.sectors:
                try:
                    drive.image.write(g.to_lba(cyl, head, r), data)
                except DiskError as e:
                    b.machine.log(f"INT 13h drive {drive.number:02X}h: {e}")
                    status = CONTROLLER
                    break
        b.wr8(FLOPPY_CYLINDER + drive.number, cyl)
        self._status(True, status)

    def _set_dasd_type(self, drive: Drive) -> None:
        """AH=17h: AL = 01h-04h medium/drive pair for a format ([RBIL])."""
        pair = DASD_TYPES.get(self.bios["al"])
        if pair is None:
            self._status(True, BAD_COMMAND)
        elif drive.image is None:
            self._status(True, TIMEOUT)
        elif drive.floppy is None or drive.floppy.name not in pair[1] or \
                drive.floppy.name not in DRIVE_READS[drive.drive_type]:
            self._status(True, BAD_MEDIA)
        else:
            self._status(True, OK)

    def _set_media_type(self, drive: Drive) -> None:
        """AH=18h: CH/CL = max track and sectors per track; ES:DI -> the format's parameter table."""
        b = self.bios
        if drive.image is None or drive.floppy is None:
            self._status(True, TIMEOUT)
            return
        tracks = b["ch"] | (b["cl"] & 0xC0) << 2
        spt = b["cl"] & 0x3F
        g = drive.floppy.geometry
        if tracks != g.cylinders - 1 or spt != g.sectors:
            self._status(True, BAD_MEDIA)
            return
        seg, off = self.dpt_address(drive.floppy.name)
        b["es"] = seg
        b["di"] = off
        self._status(True, OK)

    # --- fixed disks -----------------------------------------------------------------------
    def _hard_disk(self, ah: int, dl: int) -> None:
        b = self.bios
        drive = self.hard_disks.get(dl)
        if ah == 0x01:
            self._last_status(False)
            return
        if drive is None:
            if ah == 0x15:
                self._status(False, OK)
            else:
                self._status(False, BAD_COMMAND)
            return
        g = drive.geometry
        if ah in (0x00, 0x0D):                               # reset (00h: the diskettes too)
            if ah == 0x00:
                b.wr8(FLOPPY_STATUS, OK)
            self._status(False, OK)
        elif ah in (0x02, 0x03, 0x04):
            self._chs_transfer(drive, ah)
        elif ah == 0x08:
            b["al"] = 0
            b["ch"] = (g.cylinders - 1) & 0xFF
            b["cl"] = g.sectors | ((g.cylinders - 1) >> 2 & 0xC0)
            b["dh"] = g.heads - 1
            b["dl"] = len(self.hard_disks)
            self._status(False, OK)
        elif ah == 0x0C:                                      # seek
            cyl, head, _ = self._chs()
            self._status(False, OK if cyl < g.cylinders and head < g.heads else NOT_FOUND)
        elif ah in (0x05, 0x09, 0x10, 0x11, 0x12, 0x13, 0x14, 0x19):
            self._status(False, OK)                           # format, init, ready, recal, diags, park
        elif ah == 0x15:                                      # DASD type: fixed disk, CX:DX sectors
            total = min(g.total, drive.image.sectors if drive.image is not None else 0)
            b["cx"] = total >> 16
            b["dx"] = total & 0xFFFF
            b.wr8(HD_STATUS, OK)
            b.set_cf(False)
            b["ah"] = 0x03
        elif ah == 0x41:
            if b["bx"] != 0x55AA:
                self._status(False, BAD_COMMAND)
                return
            b["bx"] = 0xAA55
            b["cx"] = EDD_SUPPORT
            self._status(False, EDD_VERSION, cf=False)
            b.wr8(HD_STATUS, OK)
        elif ah in (0x42, 0x43, 0x44, 0x47):
            self._edd_transfer(drive, ah)
        elif ah == 0x48:
            self._edd_params(drive)
        else:
            self._status(False, BAD_COMMAND)

    def _edd_transfer(self, drive: Drive, ah: int) -> None:
        """[EDD] 42h read, 43h write, 44h verify, 47h seek: disk address packet at DS:SI."""
        img = drive.image
        assert img is not None
        packet = read_address_packet(self.bios)
        if packet is None:
            self._status(False, BAD_COMMAND)
        elif ah == 0x47:
            self._status(False, OK if packet.lba < img.sectors else NOT_FOUND)
        else:
            op = {0x42: 0x02, 0x43: 0x03, 0x44: 0x04}[ah]
            self._status(False, transfer_blocks(
                self.bios, packet, img.sectors,
                lambda lba, n, addr: self._transfer(drive, op, lba, n, addr)))

    def _edd_params(self, drive: Drive) -> None:
        """[EDD] 48h: the result buffer at DS:SI (1Ah bytes; 1Eh with the DPTE pointer)."""
        b = self.bios
        img = drive.image
        assert img is not None
        buf = b.linear(b["ds"], b["si"])
        size = b.rd16(buf)
        if size < 0x1A:
            self._status(False, BAD_COMMAND)
            return
        g = drive.geometry
        total = img.sectors
        if total <= CHS_VALID_LIMIT:
            flags, cyls, heads, spt = 0x0002, total // (g.heads * g.sectors), g.heads, g.sectors
        else:
            flags, cyls, heads, spt = 0x0000, 16383, 16, 63
        out = bytearray()
        out += (0x1E if size >= 0x1E else 0x1A).to_bytes(2, "little")
        out += flags.to_bytes(2, "little")
        for v in (cyls, heads, spt):
            out += v.to_bytes(4, "little")
        out += total.to_bytes(8, "little")
        out += SECTOR.to_bytes(2, "little")
        if size >= 0x1E:
            out += b"\xFF\xFF\xFF\xFF"
        self.store(buf, bytes(out))
        self._status(False, OK)

    # --- INT 19h ---------------------------------------------------------------------------
    def boot_order(self) -> str:
        """The drive letters to try: ``boot_once`` the first time, ``boot_order`` after."""
        cfg = self.bios.machine.config
        if cfg.boot_once and not self._boot_once_used:
            self._boot_once_used = True
            return cfg.boot_once
        return cfg.boot_order

    def _say(self, text: str) -> None:
        if self.bios.console_write is not None:
            self.bios.console_write(text + "\r\n")

    def int19(self) -> None:
        """INT 19h: load the first bootable sector 0 into 0000:7C00 and jump there ([AT])."""
        b = self.bios
        tried: set[str] = set()
        for letter in self.boot_order().lower():
            if letter in tried:
                continue
            tried.add(letter)
            if letter == "d":
                if self.cdrom is None:
                    b.machine.log("boot: no CD-ROM (d) in this machine: skipped")
                elif self.cdrom.boot():
                    return
                continue
            number = {"a": 0x00, "b": 0x01, "c": 0x80}.get(letter)
            if number is None:
                b.machine.log(f"boot: device '{letter}' is not supported: skipped")
                continue
            drive = (self.floppies if number < 0x80 else self.hard_disks).get(number)
            if drive is None or drive.image is None:
                continue
            name = DRIVE_NAMES.get(number, "hard disk")
            self._say(f"Booting from {name}...")
            try:
                sector = drive.image.read(0, 1)
            except DiskError as e:
                b.machine.log(f"boot: {e}")
                self._say("Boot failed: could not read the disk")
                continue
            if number >= 0x80 and sector[510:512] != b"\x55\xAA":
                self._say("Boot failed: not a bootable disk")
                continue
            if number < 0x80 and sector.count(sector[0]) == len(sector):
                self._say("Boot failed: the disk is blank")
                continue
            self.store(BOOT_ADDR, sector)
            self._start(number)
            return
        self._say("No bootable device.")
        b.machine.log("No bootable device.")
        self._wait_key()

    def _start(self, number: int, segment: int = 0, offset: int = BOOT_ADDR) -> None:
        b = self.bios
        b.wr8(FLOPPY_STATUS, OK)
        b.wr8(HD_STATUS, OK)
        for seg in ("ds", "es", "ss"):
            b[seg] = 0
        b["sp"] = BOOT_ADDR
        b["dx"] = number
        st = self.cpu.st
        st[S.EFLAGS] = (int(st[S.EFLAGS]) & ~(S.DF | S.TF)) | S.IF
        b.far_jump(segment, offset)

    def _wait_key(self) -> None:
        """Halt with interrupts on in the ROM's boot-failed stub until a key arrives."""
        assert self.bios.layout is not None
        b = self.bios
        b.far_jump(R.ROM_SEG, self.bios.layout.stubs[R.SVC_BOOT_FAILED] + R.STUB_WAIT)

    def boot_failed(self) -> None:
        """The boot-failed stub woke up: a key in the BDA buffer restarts the bootstrap."""
        b = self.bios
        head, tail = b.rd16(KBD_HEAD), b.rd16(KBD_TAIL)
        if head == tail:
            b.wait(R.SVC_BOOT_FAILED)
            return
        start, end = b.rd16(KBD_START) or 0x1E, b.rd16(KBD_END) or 0x3E
        head += 2
        if head >= end:
            head = start
        b.wr16(KBD_HEAD, head)
        self.int19()


def install(bios: Bios) -> None:
    """Open the configured images, register INT 13h/40h/19h and the boot-failed service,
    add the ROM tables and the POST hook, write the CMOS disk bytes."""
    service = DiskService(bios)
    check_cd_boot(bios.machine.config, service)
    bios.disks = service                                      # type: ignore[attr-defined]
    bios.machine.backends.append(_Closer(service))
    bios.register(0x13, service.int13)
    bios.register(0x40, service.int40)
    bios.register(0x19, service.int19)
    bios.register(R.SVC_BOOT_FAILED, service.boot_failed, vector=False)
    bios.tables.update(service.tables())
    bios.post_hooks.append(service.post)
    service.setup_cmos()


def check_cd_boot(cfg: Any, service: DiskService) -> None:
    """Refuse a CD that is the only boot device (``-boot d``, or ``once=d``) but cannot boot (no
    El Torito catalog, an emulation entry...): DiskError, one ``pyx86`` line before the guest runs.
    With other drives in the order (``-boot dc``) INT 19h reports it and goes on."""
    only_cd = "d" in (cfg.boot_order.lower(), (cfg.boot_once or "").lower())
    if not only_cd or service.cdrom is None:
        return
    try:
        bootable_entry(service.cdrom.image)
    except ElToritoError as e:
        service.close()
        raise DiskError(f"CD image {cfg.cdrom}: {e}") from None
