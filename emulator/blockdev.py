"""Disk image files: raw images of floppies and hard disks, read and written by sector.

:class:`DiskImage` opens a raw image (a byte-for-byte copy of the medium).  As
QEMU does, the file is opened for writing whenever it is writable, unless the
caller asks for read-only access; a file that cannot be written is opened
read-only and guest writes fail with :class:`WriteProtected` (the floppy's
write-protect tab); a file with no write permission bit counts as not
writable even for root.  With ``snapshot=True`` (QEMU's ``-snapshot``) writes go
to an in-memory overlay of whole sectors: the guest reads its own writes back,
the file never changes.  Writes without ``snapshot`` go straight to the file
(unbuffered), so a killed emulator loses nothing the guest wrote.

Geometry:

* floppies: the image size names the format (:data:`FLOPPY_FORMATS`); the
  cylinder, head and sector counts are those of the standard PC formats (IBM
  PC AT Technical Reference, diskette section; the 720K, 1.44M and 2.88M
  formats of the PS/2), with the drive that reads them (CMOS drive type: 1
  360K, 2 1.2M, 3 720K, 4 1.44M, 5 2.88M);
* hard disks: a whole number of sectors.  The CHS geometry comes from the
  MBR partition table when its end-of-partition CHS values agree with each
  other and with the LBA fields (the disk was partitioned with that
  geometry); otherwise it is the usual BIOS translation: 63 sectors per track
  and the fewest heads of 16, 32, 64, 128, 255 that reach the whole disk
  within 1024 cylinders.  CHS access never goes past 1024 cylinders.

Errors are :class:`DiskError` with a one-line message naming the file.
"""

from __future__ import annotations

import errno
import os
from dataclasses import dataclass
from pathlib import Path

from .chardev import CharBackend

SECTOR = 512
CD_SECTOR = 2048
MAX_CHS_CYLINDERS = 1024
TRANSLATION_HEADS = (16, 32, 64, 128, 255)
TRANSLATION_SPT = 63


class DiskError(ValueError):
    """A disk image cannot be used (missing, unreadable, empty, wrong size); one line, names the file."""


class WriteProtected(DiskError):
    """A write to an image that is open read-only."""


@dataclass(frozen=True)
class Geometry:
    """A CHS geometry: cylinders, heads, sectors per track (sectors are numbered from 1)."""

    cylinders: int
    heads: int
    sectors: int

    @property
    def total(self) -> int:
        """Sectors reachable by CHS addressing."""
        return self.cylinders * self.heads * self.sectors

    def to_lba(self, cylinder: int, head: int, sector: int) -> int:
        """The LBA of CHS (``sector`` from 1); no range check."""
        return (cylinder * self.heads + head) * self.sectors + sector - 1

    def to_chs(self, lba: int) -> tuple[int, int, int]:
        """(cylinder, head, sector) of ``lba`` (sector from 1)."""
        track, sector = divmod(lba, self.sectors)
        cylinder, head = divmod(track, self.heads)
        return cylinder, head, sector + 1


@dataclass(frozen=True)
class FloppyFormat:
    """A standard diskette format and the drive that reads it."""

    name: str
    geometry: Geometry
    drive_type: int          # CMOS byte 10h nibble; INT 13h AH=08h BL
    data_rate: int           # kbit/s: 250 (DD), 300 (DD in a 1.2M drive), 500 (HD), 1000 (ED)
    gap: int                 # read/write gap length (diskette parameter table byte 5)
    format_gap: int          # format gap length (byte 7)

    @property
    def size(self) -> int:
        return self.geometry.total * SECTOR


#: the standard PC diskette formats by size
FLOPPY_FORMATS: tuple[FloppyFormat, ...] = (
    FloppyFormat("160K", Geometry(40, 1, 8), 1, 250, 0x2A, 0x50),
    FloppyFormat("180K", Geometry(40, 1, 9), 1, 250, 0x2A, 0x50),
    FloppyFormat("320K", Geometry(40, 2, 8), 1, 250, 0x2A, 0x50),
    FloppyFormat("360K", Geometry(40, 2, 9), 1, 250, 0x2A, 0x50),
    FloppyFormat("720K", Geometry(80, 2, 9), 3, 250, 0x2A, 0x50),
    FloppyFormat("1.2M", Geometry(80, 2, 15), 2, 500, 0x1B, 0x54),
    FloppyFormat("1.44M", Geometry(80, 2, 18), 4, 500, 0x1B, 0x6C),
    FloppyFormat("2.88M", Geometry(80, 2, 36), 5, 1000, 0x1B, 0x53),
)
_FLOPPY_BY_SIZE = {f.size: f for f in FLOPPY_FORMATS}


def floppy_format(size: int, name: str = "floppy image") -> FloppyFormat:
    """The standard format of a diskette image of ``size`` bytes; DiskError if there is none."""
    fmt = _FLOPPY_BY_SIZE.get(size)
    if fmt is None:
        known = ", ".join(f"{f.name} ({f.size})" for f in FLOPPY_FORMATS)
        raise DiskError(f"{name}: {size} bytes is not the size of a standard floppy disk ({known})")
    return fmt


def translated_geometry(sectors: int) -> Geometry:
    """The BIOS translation: 63 sectors per track, the fewest of 16/32/64/128/255 heads
    that cover the disk in 1024 cylinders (255 beyond), cylinders capped at 1024."""
    spt = TRANSLATION_SPT
    for heads in TRANSLATION_HEADS:
        if sectors <= MAX_CHS_CYLINDERS * heads * spt:
            break
    cylinders = min(MAX_CHS_CYLINDERS, max(1, sectors // (heads * spt)))
    return Geometry(cylinders, heads, spt)


def mbr_geometry(mbr: bytes, sectors: int) -> Geometry | None:
    """The geometry the MBR partition table was written with, or None when it does not tell.

    Every used entry must end on the last head and sector of a track (the same
    head and sector count for all), and wherever a CHS value is below the 1023
    cylinder limit it must name the same sector as the LBA fields.
    """
    if len(mbr) < SECTOR or mbr[510:512] != b"\x55\xAA":
        return None
    found: tuple[int, int] | None = None
    checks: list[tuple[tuple[int, int, int], int]] = []
    for n in range(4):
        e = mbr[0x1BE + 16 * n : 0x1BE + 16 * (n + 1)]
        if e[4] == 0:
            continue
        if e[0] not in (0x00, 0x80):
            return None
        start = (e[3] | (e[2] & 0xC0) << 2, e[1], e[2] & 0x3F)
        end = (e[7] | (e[6] & 0xC0) << 2, e[5], e[6] & 0x3F)
        lba = int.from_bytes(e[8:12], "little")
        size = int.from_bytes(e[12:16], "little")
        heads, spt = end[1] + 1, end[2]
        if spt == 0 or size == 0 or (found is not None and found != (heads, spt)):
            return None
        found = (heads, spt)
        checks += [(start, lba), (end, lba + size - 1)]
    if found is None:
        return None
    heads, spt = found
    geo = Geometry(1, heads, spt)
    useful = False
    for (c, h, s), lba in checks:
        if c >= 1023:
            continue
        if h >= heads or not 1 <= s <= spt or geo.to_lba(c, h, s) != lba:
            return None
        useful = True
    if not useful:
        return None
    return Geometry(min(MAX_CHS_CYLINDERS, max(1, sectors // (heads * spt))), heads, spt)


def _writable(path: Path) -> bool:
    """Whether ``path`` may be written: access allows it and it has a write permission bit.

    The second test keeps a file with no write bit (``chmod a-w``) read-only even
    for root, who could otherwise write anything.
    """
    try:
        mode = path.stat().st_mode
    except OSError:
        return False
    return os.access(path, os.W_OK) and bool(mode & 0o222)


class DiskImage:
    """A raw disk image file, by sectors of ``sector_size`` bytes.

    ``writable=False`` opens the file read-only; otherwise it is opened for
    writing when the file allows it (``read_only`` tells which).  ``snapshot``
    keeps guest writes in memory (``overlay``) and never writes the file.
    """

    def __init__(self, path: str | os.PathLike[str], *, writable: bool = True, snapshot: bool = False,
                 sector_size: int = SECTOR) -> None:
        self.path = Path(path)
        self.sector_size = sector_size
        self.snapshot = snapshot
        self.overlay: dict[int, bytes] = {}
        name = str(self.path)
        if self.path.is_dir():
            raise DiskError(f"disk image {name} is a directory")
        want_write = writable and not snapshot
        can_write = want_write and _writable(self.path)
        try:
            self._file = open(self.path, "r+b" if can_write else "rb", buffering=0)  # noqa: SIM115
        except FileNotFoundError:
            raise DiskError(f"disk image {name} does not exist") from None
        except OSError as e:
            if want_write and e.errno in (errno.EACCES, errno.EPERM, errno.EROFS):
                try:
                    self._file = open(self.path, "rb", buffering=0)  # noqa: SIM115
                    can_write = False
                except OSError as e2:
                    raise DiskError(f"disk image {name} cannot be opened: {e2.strerror}") from None
            else:
                raise DiskError(f"disk image {name} cannot be opened: {e.strerror}") from None
        self.read_only = not can_write and not snapshot
        self._closed = False
        try:
            size = os.fstat(self._file.fileno()).st_size
            if size == 0:
                raise DiskError(f"disk image {name} is empty")
            if size % sector_size:
                raise DiskError(f"disk image {name}: {size} bytes is not a whole number of "
                                f"{sector_size}-byte sectors")
            self._file.read(1)
        except DiskError:
            self._file.close()
            raise
        except OSError as e:
            self._file.close()
            raise DiskError(f"disk image {name} cannot be read: {e.strerror}") from None
        self.size = size
        self.sectors = size // sector_size

    def __repr__(self) -> str:
        mode = "snapshot" if self.snapshot else "ro" if self.read_only else "rw"
        return f"DiskImage({str(self.path)!r}, {self.sectors} sectors, {mode})"

    # --- geometry --------------------------------------------------------------------------
    def floppy_format(self) -> FloppyFormat:
        """The diskette format this image holds (DiskError for a non-standard size)."""
        return floppy_format(self.size, f"floppy image {self.path}")

    def hard_disk_geometry(self) -> Geometry:
        """CHS geometry for a hard disk: from the MBR if it tells, else the standard translation."""
        if self.sector_size != SECTOR:
            raise DiskError(f"disk image {self.path}: hard disks have {SECTOR}-byte sectors")
        return mbr_geometry(self.read(0, 1), self.sectors) or translated_geometry(self.sectors)

    # --- data ------------------------------------------------------------------------------
    def _check(self, lba: int, count: int) -> None:
        if self._closed:
            raise DiskError(f"disk image {self.path} is closed")
        if lba < 0 or count < 0 or lba + count > self.sectors:
            raise DiskError(f"disk image {self.path}: sectors {lba}-{lba + count - 1} are beyond "
                            f"the end ({self.sectors} sectors)")

    def read(self, lba: int, count: int) -> bytes:
        """``count`` sectors from ``lba``."""
        self._check(lba, count)
        ss = self.sector_size
        n = count * ss
        try:
            data = os.pread(self._file.fileno(), n, lba * ss)
        except OSError as e:
            raise DiskError(f"disk image {self.path}: read error: {e.strerror}") from None
        if len(data) < n:                       # the file shrank under us: the rest reads as zeros
            data += bytes(n - len(data))
        if self.overlay:
            buf = bytearray(data)
            for k in range(count):
                sector = self.overlay.get(lba + k)
                if sector is not None:
                    buf[k * ss : (k + 1) * ss] = sector
            data = bytes(buf)
        return data

    def write(self, lba: int, data: bytes) -> None:
        """Write whole sectors from ``lba`` (WriteProtected when the image is read-only)."""
        ss = self.sector_size
        if len(data) % ss:
            raise ValueError(f"write of {len(data)} bytes is not a whole number of sectors")
        count = len(data) // ss
        self._check(lba, count)
        if self.read_only:
            raise WriteProtected(f"disk image {self.path} is read-only")
        if self.snapshot:
            for k in range(count):
                self.overlay[lba + k] = bytes(data[k * ss : (k + 1) * ss])
            return
        try:
            os.pwrite(self._file.fileno(), bytes(data), lba * ss)
        except OSError as e:
            raise DiskError(f"disk image {self.path}: write error: {e.strerror}") from None

    def flush(self) -> None:
        """Writes go to the file as they happen (unbuffered); this only hands them to the OS."""
        if not self._closed and not self.read_only and not self.snapshot:
            self._file.flush()

    def close(self) -> None:
        """Flush and close the file; the snapshot overlay is dropped (idempotent)."""
        if self._closed:
            return
        try:
            self.flush()
        finally:
            self._closed = True
            self.overlay.clear()
            self._file.close()

    @property
    def closed(self) -> bool:
        return self._closed

    def __enter__(self) -> DiskImage:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


#: the IDE drive options, in the order the machine opens them
IDE_DRIVES = ("hda", "hdb", "hdc", "hdd", "cdrom")


def open_drive_images(paths: dict[str, str | os.PathLike[str] | None],
                      snapshot: bool) -> dict[str, DiskImage]:
    """Open the IDE drives' images once, by option name (``hda``... ``cdrom``): hard disks read-write
    when the file allows (``snapshot``: into an overlay), the CD-ROM read-only in 2048-byte sectors
    (an ISO 9660 image, ECMA-119 "Logical Sector").  The IDE controller and the BIOS share these
    objects, so the guest sees one disk and one overlay.  DiskError closes what was opened."""
    images: dict[str, DiskImage] = {}
    try:
        for name in IDE_DRIVES:
            path = paths.get(name)
            if path is None:
                continue
            if name == "cdrom":
                images[name] = DiskImage(path, writable=False, sector_size=CD_SECTOR)
            else:
                images[name] = DiskImage(path, snapshot=snapshot)
    except DiskError:
        for img in images.values():
            img.close()
        raise
    return images


class ImageCloser(CharBackend):
    """Closes disk images when the machine closes its back ends (``Machine.close``)."""

    def __init__(self, images: dict[str, DiskImage]) -> None:
        self.images = images

    def close(self) -> None:
        for img in self.images.values():
            img.close()
