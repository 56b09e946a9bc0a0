"""The disk BIOS: POST state, INT 13h diskette / fixed disk / EDD services, INT 19h bootstrap.

Images are generated: every 512-byte sector holds its own LBA as a repeated
little-endian dword, so a read shows which sector arrived where.
"""

from __future__ import annotations

import hashlib
import struct
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from bios import rom as R
from bios.disk import FLOPPY_STATUS, HD_STATUS, DiskService
from emulator.blockdev import DiskError
from emulator.cpu import state as S
from tests.bios_harness import BiosBox

FLOPPY_SECTORS = 2880                # 1.44M: 80 cylinders, 2 heads, 18 sectors
HD_SECTORS = 8192                    # 4 MiB: translated to 8 cylinders, 16 heads, 63 sectors
BUF = 0x20000                        # ES = 2000h


def pattern(lba: int) -> bytes:
    return struct.pack("<I", lba) * 128


def make_image(path: Path, sectors: int, first: bytes | None = None) -> Path:
    data = bytearray(b"".join(pattern(n) for n in range(sectors)))
    if first is not None:
        data[: len(first)] = first
    path.write_bytes(bytes(data))
    return path


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def mem(box: BiosBox, addr: int, n: int) -> bytes:
    return bytes(box.ram[addr : addr + n])


def service(box: BiosBox) -> DiskService:
    return box.bios.disks  # type: ignore[attr-defined]


@pytest.fixture
def floppy(tmp_path: Path) -> Path:
    return make_image(tmp_path / "a.img", FLOPPY_SECTORS)


@pytest.fixture
def hard_disk(tmp_path: Path) -> Path:
    return make_image(tmp_path / "c.img", HD_SECTORS)


@pytest.fixture
def box(floppy: Path, hard_disk: Path) -> BiosBox:
    return BiosBox(fda=floppy, hda=hard_disk)


def chs_call(box: BiosBox, ah: int, count: int, cyl: int, head: int, sector: int, drive: int,
             es: int = BUF >> 4, bx: int = 0) -> dict[str, Any]:
    return box.call(0x13, ax=ah << 8 | count, cx=(cyl & 0xFF) << 8 | (cyl >> 2 & 0xC0) | sector,
                    dx=head << 8 | drive, es=es, bx=bx)


# --- POST -------------------------------------------------------------------------------------
def test_post_data_area_tables_and_cmos(box: BiosBox) -> None:
    b = box.bios
    assert b.rd16(0x410) & 0xC1 == 0x01                       # one diskette drive
    assert b.rd8(0x475) == 1                                  # one fixed disk
    assert b.rd8(0x490) == 0x17                               # 1.44M established, 500 kbit/s
    seg, off = b.rd16(0x1E * 4 + 2), b.rd16(0x1E * 4)
    assert seg == R.ROM_SEG
    dpt = mem(box, (seg << 4) + off, 11)
    assert dpt[3] == 2 and dpt[4] == 18 and dpt[8] == 0xF6    # 512-byte sectors, EOT 18, fill F6h
    cmos = box.machine.cmos.ram
    assert cmos[0x10] == 0x40                                 # A: 1.44M, B: none
    assert cmos[0x12] == 0xF0 and cmos[0x19] == 47            # C: user type 47
    assert (cmos[0x1B] | cmos[0x1C] << 8, cmos[0x1D], cmos[0x23]) == (8, 16, 63)
    assert cmos[0x14] & 0xC1 == 0x01
    assert sum(cmos[0x10:0x2E]) == cmos[0x2E] << 8 | cmos[0x2F]
    seg, off = b.rd16(0x41 * 4 + 2), b.rd16(0x41 * 4)
    assert seg == b.rd16(0x40E) and off == 0x3D
    fdpt = mem(box, (seg << 4) + off, 16)
    assert (fdpt[0] | fdpt[1] << 8, fdpt[2], fdpt[14]) == (8, 16, 63)
    assert b.rd32(0x46 * 4) == 0                              # no second fixed disk


def test_post_touches_only_the_diskette_equipment_bits(box: BiosBox, tmp_path: Path) -> None:
    b = box.bios
    b.wr16(0x410, 0xFFFF)
    service(box).post()
    assert b.rd16(0x410) == 0xFF3F                            # bits 7-6 = 0: one drive
    two = BiosBox(fda=make_image(tmp_path / "x.img", FLOPPY_SECTORS),
                  fdb=make_image(tmp_path / "y.img", 720 * 2))
    assert two.bios.rd16(0x410) & 0xC1 == 0x41
    assert two.machine.cmos.ram[0x10] == 0x43                 # A 1.44M, B 720K
    assert two.bios.rd8(0x475) == 0


def test_bad_image_stops_the_machine_with_a_clear_error(tmp_path: Path) -> None:
    bad = tmp_path / "bad.img"
    bad.write_bytes(bytes(1000))
    with pytest.raises(DiskError, match=r"bad\.img"):
        BiosBox(fda=bad)
    with pytest.raises(DiskError, match="does not exist"):
        BiosBox(hda=tmp_path / "missing.img")


def test_machine_close_closes_the_images(box: BiosBox) -> None:
    drives = service(box).drives
    assert drives and not any(d.image.closed for d in drives if d.image)
    box.machine.close()
    assert all(d.image.closed for d in drives if d.image)


# --- diskette transfers -------------------------------------------------------------------------
def test_floppy_read(box: BiosBox) -> None:
    r = chs_call(box, 0x02, 3, 1, 1, 2, 0)
    assert not r["cf"] and r["ah"] == 0 and r["al"] == 3
    first = (1 * 2 + 1) * 18 + 1
    assert mem(box, BUF, 3 * 512) == b"".join(pattern(first + k) for k in range(3))
    assert box.bios.rd8(FLOPPY_STATUS) == 0


def test_floppy_read_runs_onto_head_1_but_stops_at_the_cylinder_end(box: BiosBox) -> None:
    r = chs_call(box, 0x02, 2, 5, 0, 18, 0)
    assert not r["cf"] and r["al"] == 2
    assert mem(box, BUF + 512, 512) == pattern(5 * 36 + 18)
    r = chs_call(box, 0x02, 3, 5, 1, 17, 0)
    assert r["cf"] and r["ah"] == 0x04 and r["al"] == 2
    assert mem(box, BUF, 1024) == pattern(5 * 36 + 34) + pattern(5 * 36 + 35)
    assert box.bios.rd8(FLOPPY_STATUS) == 0x04


@pytest.mark.parametrize("cyl, head, sector", [(0, 0, 0), (0, 0, 19), (0, 2, 1), (80, 0, 1)])
def test_floppy_bad_address_is_sector_not_found(box: BiosBox, cyl: int, head: int, sector: int) -> None:
    r = chs_call(box, 0x02, 1, cyl, head, sector, 0)
    assert r["cf"] and r["ah"] == 0x04 and r["al"] == 0


def test_zero_sectors_is_invalid(box: BiosBox) -> None:
    r = chs_call(box, 0x02, 0, 0, 0, 1, 0)
    assert r["cf"] and r["ah"] == 0x01


def test_floppy_dma_boundary(box: BiosBox) -> None:
    box.ram[0x1FE00:0x20400] = 0xEE
    r = chs_call(box, 0x02, 2, 0, 0, 1, 0, es=0x1000, bx=0xFE00)
    assert r["cf"] and r["ah"] == 0x09 and r["al"] == 0
    assert mem(box, 0x1FE00, 0x600) == b"\xEE" * 0x600       # nothing moved
    r = chs_call(box, 0x02, 1, 0, 0, 1, 0, es=0x1000, bx=0xFE00)
    assert not r["cf"] and mem(box, 0x1FE00, 512) == pattern(0)


def test_floppy_write_and_read_back(box: BiosBox, floppy: Path) -> None:
    box.ram[BUF : BUF + 1024] = 0x5A
    r = chs_call(box, 0x03, 2, 10, 1, 4, 0)
    assert not r["cf"] and r["al"] == 2
    lba = (10 * 2 + 1) * 18 + 3
    data = floppy.read_bytes()
    assert data[lba * 512 : (lba + 2) * 512] == b"\x5A" * 1024
    assert data[(lba + 2) * 512 : (lba + 3) * 512] == pattern(lba + 2)
    box.ram[BUF : BUF + 1024] = 0
    r = chs_call(box, 0x02, 2, 10, 1, 4, 0)
    assert mem(box, BUF, 1024) == b"\x5A" * 1024


def test_write_protected_floppy(tmp_path: Path) -> None:
    path = make_image(tmp_path / "ro.img", FLOPPY_SECTORS)
    path.chmod(0o444)
    box = BiosBox(fda=path)
    r = chs_call(box, 0x03, 1, 0, 0, 1, 0)
    assert r["cf"] and r["ah"] == 0x03 and r["al"] == 0
    r = box.call(0x13, ax=0x0100, dx=0)
    assert r["cf"] and r["ah"] == 0x03 and r["al"] == 0x03    # status of the last operation
    r = box.call(0x13, ax=0x0000, dx=0)                       # reset clears it
    assert not r["cf"] and box.bios.rd8(FLOPPY_STATUS) == 0
    r = chs_call(box, 0x02, 1, 0, 0, 1, 0)                     # reads still work
    assert not r["cf"] and mem(box, BUF, 512) == pattern(0)
    path.chmod(0o644)
    assert path.read_bytes()[:512] == pattern(0)


def test_snapshot_keeps_the_file_unchanged(tmp_path: Path) -> None:
    path = make_image(tmp_path / "a.img", FLOPPY_SECTORS)
    before = digest(path)
    box = BiosBox(fda=path, snapshot=True)
    box.ram[BUF : BUF + 512] = 0x77
    r = chs_call(box, 0x03, 1, 0, 0, 5, 0)
    assert not r["cf"]
    box.ram[BUF : BUF + 512] = 0
    chs_call(box, 0x02, 2, 0, 0, 5, 0)
    assert mem(box, BUF, 1024) == b"\x77" * 512 + pattern(5)
    box.machine.close()
    assert digest(path) == before


def test_floppy_verify(box: BiosBox) -> None:
    r = chs_call(box, 0x04, 4, 3, 0, 1, 0)
    assert not r["cf"] and r["al"] == 4


def test_read_never_writes_rom(box: BiosBox) -> None:
    before = mem(box, 0xF0000, 512)
    r = chs_call(box, 0x02, 1, 0, 0, 2, 0, es=0xF000, bx=0)
    assert not r["cf"]
    assert mem(box, 0xF0000, 512) == before


def test_floppy_format_track(box: BiosBox, floppy: Path) -> None:
    fields = b"".join(bytes((7, 1, r, 2)) for r in range(1, 19))
    box.cpu.write_phys(BUF, fields)
    r = box.call(0x13, ax=0x0512, cx=0x0700, dx=0x0100, es=BUF >> 4, bx=0)
    assert not r["cf"]
    data = floppy.read_bytes()
    lba = (7 * 2 + 1) * 18
    assert data[lba * 512 : (lba + 18) * 512] == b"\xF6" * 18 * 512
    assert data[(lba + 18) * 512 : (lba + 19) * 512] == pattern(lba + 18)
    r = box.call(0x13, ax=0x0509, cx=0x0700, dx=0x0100, es=BUF >> 4, bx=0)
    assert r["cf"] and r["ah"] == 0x0C                        # the image's format cannot change


# --- diskette information -------------------------------------------------------------------------
def test_floppy_drive_parameters(box: BiosBox) -> None:
    r = box.call(0x13, ax=0x0800, dx=0x0000)
    assert not r["cf"] and r["ax"] == 0
    assert (r["bl"], r["cx"], r["dh"], r["dl"]) == (4, 0x4F12, 1, 1)
    assert mem(box, (r["es"] << 4) + r["di"], 11)[4] == 18
    r = box.call(0x13, ax=0x0800, dx=0x0001)                  # no drive B
    assert not r["cf"] and (r["bx"], r["cx"], r["dh"], r["dl"], r["es"], r["di"]) == (0, 0, 0, 1, 0, 0)


def test_missing_floppy_drive_times_out(box: BiosBox) -> None:
    r = chs_call(box, 0x02, 1, 0, 0, 1, 1)
    assert r["cf"] and r["ah"] == 0x80 and r["al"] == 0
    r = box.call(0x13, ax=0x1500, dx=0x0001)
    assert not r["cf"] and r["ah"] == 0x00                    # no such drive
    r = box.call(0x13, ax=0x1600, dx=0x0001)
    assert r["cf"] and r["ah"] == 0x80


def test_fdb_alone_gives_an_empty_drive_a(tmp_path: Path) -> None:
    box = BiosBox(fdb=make_image(tmp_path / "b.img", FLOPPY_SECTORS))
    assert box.bios.rd16(0x410) & 0xC1 == 0x41
    r = chs_call(box, 0x02, 1, 0, 0, 1, 0)
    assert r["cf"] and r["ah"] == 0x80
    r = chs_call(box, 0x02, 1, 0, 0, 1, 1)
    assert not r["cf"] and mem(box, BUF, 512) == pattern(0)


def test_floppy_dasd_type_change_line_and_media_type(box: BiosBox) -> None:
    r = box.call(0x13, ax=0x1500, dx=0x0000)
    assert not r["cf"] and r["ah"] == 0x02                    # diskette with change line
    r = box.call(0x13, ax=0x1600, dx=0x0000)
    assert not r["cf"] and r["ah"] == 0x00
    r = box.call(0x13, ax=0x1800, cx=0x4F12, dx=0x0000)       # 80 tracks, 18 sectors
    assert not r["cf"] and mem(box, (r["es"] << 4) + r["di"], 11)[4] == 18
    r = box.call(0x13, ax=0x1800, cx=0x4F09, dx=0x0000)       # 720K in this 1.44M image
    assert r["cf"] and r["ah"] == 0x0C
    r = box.call(0x13, ax=0x1704, dx=0x0000)                  # 720K medium: not this image
    assert r["cf"] and r["ah"] == 0x0C
    r = box.call(0x13, ax=0x1709, dx=0x0000)
    assert r["cf"] and r["ah"] == 0x01


def test_invalid_functions(box: BiosBox) -> None:
    for ax, dx in ((0x2000, 0x0000), (0x0A01, 0x0080), (0x0B01, 0x0080), (0x4100, 0x0000), (0x4500, 0x0080)):
        r = box.call(0x13, ax=ax, bx=0x55AA, dx=dx)
        assert r["cf"] and r["ah"] == 0x01, hex(ax)


def test_int40_is_the_diskette_entry(box: BiosBox) -> None:
    r = box.call(0x40, ax=0x0201, cx=0x0003, dx=0x0000, es=BUF >> 4, bx=0)
    assert not r["cf"] and mem(box, BUF, 512) == pattern(2)
    r = box.call(0x40, ax=0x0201, cx=0x0001, dx=0x0080, es=BUF >> 4, bx=0)
    assert r["cf"] and r["ah"] == 0x01


# --- fixed disks --------------------------------------------------------------------------------
def test_hard_disk_parameters_and_type(box: BiosBox) -> None:
    r = box.call(0x13, ax=0x0800, dx=0x0080)
    assert not r["cf"]
    assert (r["ch"], r["cl"], r["dh"], r["dl"]) == (7, 63, 15, 1)
    r = box.call(0x13, ax=0x1500, dx=0x0080)
    assert not r["cf"] and r["ah"] == 0x03 and (r["cx"] << 16 | r["dx"]) == 8 * 16 * 63


def test_hard_disk_chs_read_across_tracks_and_the_end(box: BiosBox) -> None:
    r = chs_call(box, 0x02, 4, 0, 0, 62, 0x80)
    assert not r["cf"] and r["al"] == 4
    assert mem(box, BUF, 4 * 512) == b"".join(pattern(n) for n in range(61, 65))
    last = 8 * 16 * 63 - 1
    r = chs_call(box, 0x02, 3, 7, 15, 62, 0x80)
    assert r["cf"] and r["ah"] == 0x04 and r["al"] == 2
    assert mem(box, BUF, 1024) == pattern(last - 1) + pattern(last)
    assert box.bios.rd8(HD_STATUS) == 0x04
    r = box.call(0x13, ax=0x0100, dx=0x0080)
    assert r["cf"] and r["ah"] == 0x04


def test_hard_disk_write(box: BiosBox, hard_disk: Path) -> None:
    box.ram[BUF : BUF + 512] = 0x3C
    r = chs_call(box, 0x03, 1, 2, 3, 4, 0x80)
    assert not r["cf"]
    lba = (2 * 16 + 3) * 63 + 3
    assert hard_disk.read_bytes()[lba * 512 : (lba + 1) * 512] == b"\x3C" * 512


def test_missing_hard_disk(box: BiosBox) -> None:
    r = chs_call(box, 0x02, 1, 0, 0, 1, 0x81)
    assert r["cf"] and r["ah"] == 0x01
    assert box.bios.rd8(HD_STATUS) == 0x01
    r = box.call(0x13, ax=0x1500, dx=0x0081)
    assert not r["cf"] and r["ah"] == 0x00


def test_hard_disk_misc_functions(box: BiosBox) -> None:
    for ax, cx in ((0x0000, 0), (0x0D00, 0), (0x1000, 0), (0x1100, 0), (0x0C00, 0x0701)):
        r = box.call(0x13, ax=ax, cx=cx, dx=0x0080)
        assert not r["cf"] and r["ah"] == 0, hex(ax)
    r = box.call(0x13, ax=0x0C00, cx=0x0801, dx=0x0080)       # cylinder 8 does not exist
    assert r["cf"] and r["ah"] == 0x04


# --- EDD ------------------------------------------------------------------------------------------
DAP = 0x0600


def edd_call(box: BiosBox, ah: int, lba: int, count: int, seg: int = BUF >> 4, off: int = 0,
             flat: int | None = None, drive: int = 0x80) -> dict[str, Any]:
    packet = struct.pack("<BBHHHQ", 0x18 if flat is not None else 0x10, 0, count,
                         0xFFFF if flat is not None else off, 0xFFFF if flat is not None else seg, lba)
    if flat is not None:
        packet += struct.pack("<Q", flat)
    box.cpu.write_phys(DAP, packet)
    return box.call(0x13, ax=ah << 8, dx=drive, ds=0, si=DAP)


def test_edd_check(box: BiosBox) -> None:
    r = box.call(0x13, ax=0x4100, bx=0x55AA, dx=0x0080)
    assert not r["cf"] and r["bx"] == 0xAA55 and r["ah"] == 0x21 and r["cx"] & 1
    r = box.call(0x13, ax=0x4100, bx=0x1234, dx=0x0080)
    assert r["cf"] and r["ah"] == 0x01
    r = box.call(0x13, ax=0x4100, bx=0x55AA, dx=0x0081)
    assert r["cf"]


def test_edd_read_beyond_chs_limit_and_past_the_end(box: BiosBox) -> None:
    r = edd_call(box, 0x42, 8100, 3)                          # beyond the CHS-reachable 8064
    assert not r["cf"] and box.bios.rd16(DAP + 2) == 3
    assert mem(box, BUF, 3 * 512) == b"".join(pattern(n) for n in range(8100, 8103))
    r = edd_call(box, 0x42, HD_SECTORS - 2, 5)
    assert r["cf"] and r["ah"] == 0x04 and box.bios.rd16(DAP + 2) == 2
    r = edd_call(box, 0x42, 0, 128)
    assert r["cf"] and r["ah"] == 0x01
    r = edd_call(box, 0x42, 0, 0)
    assert not r["cf"]


def test_edd_flat_address(box: BiosBox) -> None:
    r = edd_call(box, 0x42, 77, 2, flat=0x300000)
    assert not r["cf"] and mem(box, 0x300000, 1024) == pattern(77) + pattern(78)


def test_edd_write_verify_seek(box: BiosBox, hard_disk: Path) -> None:
    box.ram[BUF : BUF + 1024] = 0x99
    r = edd_call(box, 0x43, 8190, 2)
    assert not r["cf"]
    assert hard_disk.read_bytes()[8190 * 512 :] == b"\x99" * 1024
    r = edd_call(box, 0x44, 8000, 10)
    assert not r["cf"] and box.bios.rd16(DAP + 2) == 10
    r = edd_call(box, 0x47, 8191, 0)
    assert not r["cf"]
    r = edd_call(box, 0x47, 8192, 0)
    assert r["cf"] and r["ah"] == 0x04


def test_edd_drive_parameters(box: BiosBox) -> None:
    for size in (0x1A, 0x1E, 0x42):
        box.cpu.write_phys(0x700, struct.pack("<H", size) + bytes(0x40))
        r = box.call(0x13, ax=0x4800, dx=0x0080, ds=0, si=0x700)
        assert not r["cf"]
        out = mem(box, 0x700, 0x1E)
        got, flags, cyls, heads, spt, total, bps = struct.unpack("<HHIIIQH", out[:0x1A])
        assert got == (0x1A if size == 0x1A else 0x1E)
        assert flags & 0x02 and (cyls, heads, spt, total, bps) == (8, 16, 63, HD_SECTORS, 512)
        if size > 0x1A:
            assert out[0x1A:0x1E] == b"\xFF" * 4
    box.cpu.write_phys(0x700, struct.pack("<H", 0x10))
    r = box.call(0x13, ax=0x4800, dx=0x0080, ds=0, si=0x700)
    assert r["cf"] and r["ah"] == 0x01


def test_edd_write_protected(tmp_path: Path) -> None:
    path = make_image(tmp_path / "ro.img", HD_SECTORS)
    path.chmod(0o444)
    box = BiosBox(hda=path)
    r = edd_call(box, 0x43, 5, 1)
    assert r["cf"] and r["ah"] == 0x03 and box.bios.rd16(DAP + 2) == 0
    path.chmod(0o644)


# --- INT 19h ------------------------------------------------------------------------------------
# mov [600h],dl; mov [602h],sp; mov [604h],ss; pushf; pop ax; mov [606h],ax; mov byte [608h],42h; cli; hlt
BOOT_CODE = bytes.fromhex("88160006 89260206 8C160406 9C 58 A30606 C606080642 FA F4")


def boot_sector(signature: bool = True) -> bytes:
    sector = bytearray(BOOT_CODE + bytes(512 - len(BOOT_CODE)))
    if signature:
        sector[510:512] = b"\x55\xAA"
    return bytes(sector)


def capture(box: BiosBox) -> list[str]:
    out: list[str] = []
    box.bios.console_write = out.append
    return out


def boot(box: BiosBox, max_ns: int = 100_000_000) -> dict[str, Any]:
    box.ram[0x600:0x610] = 0
    return box.call(0x19, max_ns=max_ns)


def booted(box: BiosBox) -> dict[str, int] | None:
    b = box.bios
    if b.rd8(0x608) != 0x42:
        return None
    return {"dl": b.rd8(0x600), "sp": b.rd16(0x602), "ss": b.rd16(0x604), "flags": b.rd16(0x606)}


def test_boot_from_floppy_without_signature(tmp_path: Path) -> None:
    path = make_image(tmp_path / "boot.img", FLOPPY_SECTORS, boot_sector(signature=False))
    box = BiosBox(fda=path, boot_order="a")
    text = capture(box)
    r = boot(box)
    got = booted(box)
    assert got is not None, (text, box.log)
    assert got["dl"] == 0x00 and got["ss"] == 0 and got["sp"] == 0x7C00 and got["flags"] & S.IF
    assert r["cs"] == 0 and 0x7C00 < r["ip"] < 0x7C40
    assert any("floppy disk A:" in t for t in text)


def test_hard_disk_boot_needs_the_signature_then_falls_through(tmp_path: Path) -> None:
    floppy = make_image(tmp_path / "a.img", FLOPPY_SECTORS, boot_sector())
    good = make_image(tmp_path / "good.img", HD_SECTORS, boot_sector())
    bad = make_image(tmp_path / "bad.img", HD_SECTORS, boot_sector(signature=False))
    box = BiosBox(fda=floppy, hda=good, boot_order="ca")
    boot(box)
    assert (booted(box) or {}).get("dl") == 0x80
    box = BiosBox(fda=floppy, hda=bad, boot_order="ca")
    text = capture(box)
    boot(box)
    assert (booted(box) or {}).get("dl") == 0x00
    assert any("not a bootable disk" in t for t in text)


def test_blank_floppy_is_skipped(tmp_path: Path) -> None:
    blank = tmp_path / "blank.img"
    blank.write_bytes(bytes(FLOPPY_SECTORS * 512))
    hd = make_image(tmp_path / "c.img", HD_SECTORS, boot_sector())
    box = BiosBox(fda=blank, hda=hd, boot_order="ac")
    boot(box)
    assert (booted(box) or {}).get("dl") == 0x80


def test_boot_once_then_boot_order(tmp_path: Path) -> None:
    floppy = make_image(tmp_path / "a.img", FLOPPY_SECTORS, boot_sector())
    hd = make_image(tmp_path / "c.img", HD_SECTORS, boot_sector())
    box = BiosBox(fda=floppy, hda=hd, boot_order="ac", boot_once="c")
    boot(box)
    assert (booted(box) or {}).get("dl") == 0x80
    boot(box)
    assert (booted(box) or {}).get("dl") == 0x00


def test_cdrom_is_skipped_with_a_log_line(tmp_path: Path) -> None:
    floppy = make_image(tmp_path / "a.img", FLOPPY_SECTORS, boot_sector())
    box = BiosBox(fda=floppy, boot_order="da")
    boot(box)
    assert (booted(box) or {}).get("dl") == 0x00
    assert any("CD-ROM" in line for line in box.log)


def _in_boot_failed_wait(box: BiosBox) -> bool:
    assert box.bios.layout is not None
    stub = box.bios.layout.stubs[R.SVC_BOOT_FAILED]
    return box.cpu["cs"] == R.ROM_SEG and stub <= box.cpu["ip"] <= stub + R.STUB_SIZE


def test_no_bootable_device_waits_for_a_key_and_retries(tmp_path: Path) -> None:
    box = BiosBox(hda=make_image(tmp_path / "c.img", HD_SECTORS))     # no signature
    text = capture(box)
    boot(box)
    assert booted(box) is None
    assert text.count("No bootable device.\r\n") == 1
    assert "No bootable device." in box.log
    assert _in_boot_failed_wait(box) and box.cpu["eflags"] & S.IF
    b = box.bios
    b.wr16(0x480, 0x1E)
    b.wr16(0x482, 0x3E)
    b.wr16(0x41A, 0x1E)
    b.wr16(0x41C, 0x20)                                        # one key waiting
    box.cpu.st[S.HALTED] = 0
    box.machine.run(max_insns=10_000, max_ns=50_000_000)
    assert text.count("No bootable device.\r\n") == 2          # the key started a new attempt
    assert b.rd16(0x41A) == 0x20                               # and was taken
    assert _in_boot_failed_wait(box)


def test_no_disks_at_all(tmp_path: Path) -> None:
    box = BiosBox()
    text = capture(box)
    boot(box)
    assert "No bootable device.\r\n" in text and _in_boot_failed_wait(box)


# --- a real guest ---------------------------------------------------------------------------------
def test_freedos_floppy_loads_its_kernel(images_dir: Path) -> None:
    box = BiosBox(fda=images_dir / "freedos" / "freedos-boot-1440k.img", snapshot=True)
    calls: list[tuple[int, int, bool]] = []
    int13: Callable[[], None] = box.bios.services[0x13]

    def traced() -> None:
        ah, dl = box.cpu["ah"], box.cpu["dl"]
        int13()
        calls.append((ah, dl, bool(box.bios.rd16(box.bios._frame_flags_addr()) & S.CF)))

    box.bios.services[0x13] = traced
    box.cpu.write_phys(0x7C00, bytes((0xCD, 0x19)))           # int 19h
    box.cpu["cs"] = 0
    box.cpu["ip"] = 0x7C00
    box.cpu["sp"] = 0x7000
    box.cpu.st[S.HALTED] = 0
    stop = box.machine.run(max_insns=3_000_000)
    assert stop is None, stop
    reads = [c for c in calls if c[0] == 0x02]
    assert len(reads) > 100                                  # the boot sector read the kernel
    assert all(dl == 0 and not cf for _, dl, cf in reads)
    assert any(ah == 0x08 for ah, _, _ in calls)             # the kernel asked for the geometry
    assert box.bios.rd8(FLOPPY_STATUS) == 0


def test_tiny_hard_disk_ends_where_the_image_ends(tmp_path: Path) -> None:
    box = BiosBox(hda=make_image(tmp_path / "tiny.img", 100))
    r = chs_call(box, 0x02, 4, 0, 1, 35, 0x80)               # LBA 97-100: only 97-99 exist
    assert r["cf"] and r["ah"] == 0x04 and r["al"] == 3
    assert mem(box, BUF + 1024, 512) == pattern(99)
    r = box.call(0x13, ax=0x1500, dx=0x0080)
    assert (r["cx"] << 16 | r["dx"]) == 100
