"""Disk image files: floppy formats, hard disk geometry, read-only and snapshot access, errors."""

from __future__ import annotations

import hashlib
import struct
from pathlib import Path

import pytest

from emulator import blockdev
from emulator.blockdev import (
    FLOPPY_FORMATS,
    DiskError,
    DiskImage,
    Geometry,
    WriteProtected,
    floppy_format,
    mbr_geometry,
    translated_geometry,
)


def pattern(lba: int, size: int = 512) -> bytes:
    return struct.pack("<I", lba) * (size // 4)


def make_image(path: Path, sectors: int, size: int = 512) -> Path:
    path.write_bytes(b"".join(pattern(n, size) for n in range(sectors)))
    return path


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


# --- floppies ---------------------------------------------------------------------------------
FLOPPIES = {  # size in KiB: (cylinders, heads, sectors, CMOS drive type)
    160: (40, 1, 8, 1), 180: (40, 1, 9, 1), 320: (40, 2, 8, 1), 360: (40, 2, 9, 1),
    720: (80, 2, 9, 3), 1200: (80, 2, 15, 2), 1440: (80, 2, 18, 4), 2880: (80, 2, 36, 5),
}


@pytest.mark.parametrize("kib", sorted(FLOPPIES))
def test_floppy_geometry_of_every_standard_size(tmp_path: Path, kib: int) -> None:
    cyls, heads, spt, drive_type = FLOPPIES[kib]
    fmt = floppy_format(kib * 1024)
    assert (fmt.geometry.cylinders, fmt.geometry.heads, fmt.geometry.sectors) == (cyls, heads, spt)
    assert fmt.drive_type == drive_type
    path = tmp_path / "f.img"
    with open(path, "wb") as f:
        f.truncate(kib * 1024)
    with DiskImage(path) as img:
        assert img.floppy_format() == fmt
        assert img.sectors == cyls * heads * spt


def test_floppy_formats_table_is_consistent() -> None:
    assert len({f.size for f in FLOPPY_FORMATS}) == len(FLOPPY_FORMATS) == 8


def test_unknown_floppy_size_names_the_file(tmp_path: Path) -> None:
    path = tmp_path / "odd.img"
    path.write_bytes(bytes(1000 * 512))
    with DiskImage(path) as img, pytest.raises(DiskError, match="odd.img.*not the size of a standard floppy"):
        img.floppy_format()


# --- errors -------------------------------------------------------------------------------------
def test_missing_image(tmp_path: Path) -> None:
    with pytest.raises(DiskError, match=r"nope\.img does not exist"):
        DiskImage(tmp_path / "nope.img")


def test_empty_image(tmp_path: Path) -> None:
    path = tmp_path / "empty.img"
    path.write_bytes(b"")
    with pytest.raises(DiskError, match=r"empty\.img is empty"):
        DiskImage(path)


def test_directory_is_not_an_image(tmp_path: Path) -> None:
    with pytest.raises(DiskError, match="is a directory"):
        DiskImage(tmp_path)


def test_partial_sector_is_an_error(tmp_path: Path) -> None:
    path = tmp_path / "part.img"
    path.write_bytes(bytes(512 * 3 + 100))
    with pytest.raises(DiskError, match=r"part\.img.*whole number of 512-byte sectors"):
        DiskImage(path)


def test_unreadable_image(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = make_image(tmp_path / "locked.img", 4)

    def refuse(*args: object, **kwargs: object) -> None:
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(blockdev, "open", refuse, raising=False)
    with pytest.raises(DiskError, match=r"locked\.img cannot be opened: Permission denied"):
        DiskImage(path)


def test_error_messages_are_one_line(tmp_path: Path) -> None:
    with pytest.raises(DiskError) as e:
        DiskImage(tmp_path / "x.img")
    assert "\n" not in str(e.value)


# --- reading and writing ---------------------------------------------------------------------
def test_read_and_write_through_to_the_file(tmp_path: Path) -> None:
    path = make_image(tmp_path / "d.img", 16)
    with DiskImage(path) as img:
        assert not img.read_only
        assert img.read(3, 2) == pattern(3) + pattern(4)
        img.write(5, b"\xAB" * 1024)
        assert img.read(5, 2) == b"\xAB" * 1024
    data = path.read_bytes()
    assert data[5 * 512 : 7 * 512] == b"\xAB" * 1024
    assert data[7 * 512 : 8 * 512] == pattern(7)


def test_out_of_range_access(tmp_path: Path) -> None:
    with DiskImage(make_image(tmp_path / "d.img", 8)) as img:
        with pytest.raises(DiskError, match="beyond the end"):
            img.read(7, 2)
        with pytest.raises(DiskError, match="beyond the end"):
            img.write(8, bytes(512))
        with pytest.raises(ValueError):
            img.write(0, bytes(100))


def test_file_without_write_permission_is_read_only(tmp_path: Path) -> None:
    path = make_image(tmp_path / "ro.img", 8)
    before = digest(path)
    path.chmod(0o444)                   # read-only even for root: no write bit at all
    try:
        with DiskImage(path) as img:
            assert img.read_only
            assert img.read(1, 1) == pattern(1)
            with pytest.raises(WriteProtected, match=r"ro\.img is read-only"):
                img.write(1, bytes(512))
    finally:
        path.chmod(0o644)
    assert digest(path) == before


def test_read_only_on_request(tmp_path: Path) -> None:
    path = make_image(tmp_path / "d.img", 8)
    with DiskImage(path, writable=False) as img:
        assert img.read_only
        with pytest.raises(WriteProtected):
            img.write(0, bytes(512))


def test_snapshot_overlay_leaves_the_file_alone(tmp_path: Path) -> None:
    path = make_image(tmp_path / "d.img", 32)
    before = digest(path)
    img = DiskImage(path, snapshot=True)
    assert not img.read_only
    img.write(10, b"\x11" * 512 + b"\x22" * 512)
    img.write(11, b"\x33" * 512)
    assert img.read(9, 4) == pattern(9) + b"\x11" * 512 + b"\x33" * 512 + pattern(12)
    assert sorted(img.overlay) == [10, 11]
    img.close()
    img.close()                          # idempotent
    assert img.closed
    assert digest(path) == before


def test_snapshot_of_a_read_only_file_accepts_writes(tmp_path: Path) -> None:
    path = make_image(tmp_path / "d.img", 8)
    path.chmod(0o444)
    try:
        with DiskImage(path, snapshot=True) as img:
            img.write(0, b"\x55" * 512)
            assert img.read(0, 1) == b"\x55" * 512
    finally:
        path.chmod(0o644)
    assert path.read_bytes()[:512] == pattern(0)


def test_closed_image_refuses_access(tmp_path: Path) -> None:
    img = DiskImage(make_image(tmp_path / "d.img", 8))
    img.close()
    with pytest.raises(DiskError, match="closed"):
        img.read(0, 1)


def test_cd_sized_sectors(tmp_path: Path) -> None:
    path = make_image(tmp_path / "cd.iso", 10, 2048)
    with DiskImage(path, sector_size=2048) as img:
        assert img.sectors == 10 and img.sector_size == 2048
        assert img.read(3, 1) == pattern(3, 2048)
    bad = tmp_path / "bad.iso"
    bad.write_bytes(bytes(2048 * 3 + 512))
    with pytest.raises(DiskError, match="2048-byte sectors"):
        DiskImage(bad, sector_size=2048)


# --- hard disk geometry ----------------------------------------------------------------------
def test_geometry_conversions() -> None:
    g = Geometry(1024, 16, 63)
    for lba in (0, 62, 63, 1007, 1008, 123456, g.total - 1):
        assert g.to_lba(*g.to_chs(lba)) == lba
    assert g.to_chs(0) == (0, 0, 1)
    assert g.to_lba(1, 0, 1) == 16 * 63


@pytest.mark.parametrize("mib, heads, cylinders", [
    (4, 16, 8), (504, 16, 1024), (505, 32, 513), (1000, 32, 1015), (2000, 64, 1015),
    (4000, 128, 1015), (7000, 255, 892), (100_000, 255, 1024),
])
def test_standard_translation(mib: int, heads: int, cylinders: int) -> None:
    sectors = mib * 2048
    assert translated_geometry(sectors) == Geometry(cylinders, heads, 63)


def _mbr(entries: list[tuple[tuple[int, int, int], tuple[int, int, int], int, int]]) -> bytes:
    mbr = bytearray(512)
    for n, (start, end, lba, size) in enumerate(entries):
        def chs(c: int, h: int, s: int) -> bytes:
            return bytes((h, s | (c >> 2 & 0xC0), c & 0xFF))
        mbr[0x1BE + 16 * n : 0x1CE + 16 * n] = (b"\x80" + chs(*start) + b"\x06" + chs(*end)
                                              + struct.pack("<II", lba, size))
    mbr[510:512] = b"\x55\xAA"
    return bytes(mbr)


def test_geometry_from_a_consistent_partition_table(tmp_path: Path) -> None:
    g = Geometry(100, 64, 32)
    end = g.total - 1
    mbr = _mbr([((0, 1, 1), g.to_chs(end), 32, end - 32 + 1)])
    assert mbr_geometry(mbr, g.total) == g
    path = tmp_path / "hd.img"
    path.write_bytes(mbr)
    with open(path, "r+b") as f:
        f.truncate(g.total * 512)
    with DiskImage(path) as img:
        assert img.hard_disk_geometry() == g


def test_inconsistent_partition_table_falls_back_to_translation() -> None:
    sectors = 16 * 16 * 63
    # written for 255 heads: the end CHS (1, 0, 63) does not match the LBA under 1 head
    mbr = _mbr([((0, 1, 1), (1, 0, 63), 63, sectors - 63)])
    assert mbr_geometry(mbr, sectors) is None
    assert mbr_geometry(bytes(512), sectors) is None                  # no signature
    two = _mbr([((0, 1, 1), (9, 15, 63), 63, 10 * 16 * 63 - 63),
                ((10, 0, 1), (15, 31, 32), 10 * 16 * 63, 6 * 16 * 63)])
    assert mbr_geometry(two, sectors) is None                         # entries disagree


def test_reference_hard_disk_geometry(images_dir: Path) -> None:
    path = images_dir / "linux" / "tiny-linux-hdd.img"
    with DiskImage(path) as img:
        assert img.read_only                  # the shared images have no write bits
        assert img.hard_disk_geometry() == Geometry(16, 16, 63)
