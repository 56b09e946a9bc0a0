"""ISA IDE channel: ATA hard disk and ATAPI CD-ROM, driven through the port handlers as a driver would.

Images are generated: every 512-byte hard disk sector holds its LBA as a repeated
little-endian dword, every 2048-byte CD block its block number, so a read shows
which sector arrived.  Expected values come from ATA/ATAPI-6, MMC-3 and SPC-2.
"""

from __future__ import annotations

import os
import struct
from pathlib import Path

import pytest

from devices.base import StateError
from devices.ide import CdRom, HardDisk, IdeChannel, ide_channels
from emulator.blockdev import CD_SECTOR, DiskImage, open_drive_images

BASE, CTRL, IRQ = 0x1F0, 0x3F6, 14
DATA, ERROR, COUNT, LOW, MID, HIGH, DEVICE, STATUS = range(8)
FEATURES, COMMAND = ERROR, STATUS
HD_SECTORS = 2016                  # 2 x 16 x 63
CD_BLOCKS = 40


def hd_pattern(lba: int) -> bytes:
    return struct.pack("<I", lba) * 128


def cd_pattern(block: int) -> bytes:
    return struct.pack("<I", 0xCD000000 | block) * 512


@pytest.fixture
def hd_path(tmp_path: Path) -> Path:
    path = tmp_path / "hd.img"
    path.write_bytes(b"".join(hd_pattern(n) for n in range(HD_SECTORS)))
    return path


@pytest.fixture
def cd_path(tmp_path: Path) -> Path:
    path = tmp_path / "cd.iso"
    path.write_bytes(b"".join(cd_pattern(n) for n in range(CD_BLOCKS)))
    return path


class Rig:
    """One channel on ports 1F0h/3F6h with an IRQ recorder, and register helpers."""

    def __init__(self, irqs, master=None, slave=None) -> None:
        self.irqs = irqs
        self.ch = IdeChannel("ide0", BASE, CTRL, irqs.line(IRQ), (master, slave))

    def rd(self, reg: int) -> int:
        return self.ch.io_read(BASE + reg, 1)

    def wr(self, reg: int, value: int) -> None:
        self.ch.io_write(BASE + reg, 1, value)

    def alt(self) -> int:
        return self.ch.io_read(CTRL, 1)

    def control(self, value: int) -> None:
        self.ch.io_write(CTRL, 1, value)

    def word(self) -> int:
        return self.ch.io_read(BASE, 2)

    def read(self, n: int) -> bytes:
        return b"".join(struct.pack("<H", self.word()) for _ in range(n // 2))

    def write(self, data: bytes) -> None:
        for i in range(0, len(data), 2):
            self.ch.io_write(BASE, 2, data[i] | data[i + 1] << 8)

    @property
    def line(self) -> int:
        return self.irqs.levels.get(IRQ, 0)

    def edges(self) -> int:
        return self.irqs.rising_edges(IRQ)

    def task(self, count: int = 1, lba: int = 0, dev: int = 0, features: int = 0, lba_mode: bool = True):
        self.wr(DEVICE, (0xE0 if lba_mode else 0xA0) | dev << 4 | (lba >> 24 & 0x0F))
        self.wr(FEATURES, features)
        self.wr(COUNT, count)
        self.wr(LOW, lba & 0xFF)
        self.wr(MID, lba >> 8 & 0xFF)
        self.wr(HIGH, lba >> 16 & 0xFF)

    def command(self, cmd: int, **task) -> None:
        self.task(**task)
        self.wr(COMMAND, cmd)

    def regs(self) -> tuple[int, ...]:
        return tuple(self.rd(r) for r in (ERROR, COUNT, LOW, MID, HIGH, DEVICE))

    def pio_in(self, sectors: int, block: int = 1) -> bytes:
        """The host side of PIO data-in: per block wait for INTRQ, read Status, read the data."""
        out = b""
        while sectors:
            n = min(block, sectors)
            assert self.line == 1
            assert self.rd(STATUS) == 0x58
            assert self.line == 0
            out += self.read(512 * n)
            sectors -= n
        assert self.alt() == 0x50
        return out


def identify_words(rig: Rig, cmd: int = 0xEC) -> list[int]:
    rig.command(cmd)
    assert rig.line == 1 and rig.rd(STATUS) & 0x08
    return [rig.word() for _ in range(256)]


def ata_text(words: list[int], first: int, last: int) -> str:
    return b"".join(struct.pack(">H", w) for w in words[first : last + 1]).decode().rstrip()


@pytest.fixture
def rig(irqs, hd_path: Path) -> Rig:
    return Rig(irqs, HardDisk(DiskImage(hd_path)))


# --- reset, signatures, absent devices ----------------------------------------------------------
def test_power_on_signatures(irqs, hd_path, cd_path):
    r = Rig(irqs, HardDisk(DiskImage(hd_path)), CdRom(DiskImage(cd_path, writable=False, sector_size=2048)))
    assert r.regs() == (0x01, 0x01, 0x01, 0x00, 0x00, 0x00)
    assert r.rd(STATUS) == 0x50 and r.alt() == 0x50
    r.wr(DEVICE, 0x10)
    assert r.regs()[:5] == (0x01, 0x01, 0x01, 0x14, 0xEB)          # ATAPI signature, diagnostics passed
    assert r.rd(STATUS) == 0x00                                     # packet device: DRDY clear after reset
    assert r.line == 0 and r.edges() == 0


def test_empty_channel_floats(irqs):
    r = Rig(irqs)
    for reg in range(1, 8):
        assert r.rd(reg) == 0xFF
    assert r.alt() == 0xFF and r.word() == 0xFFFF
    r.command(0xEC)
    assert r.line == 0


def test_missing_slave_reads_zero_and_ignores_commands(rig):
    for dev, expect in ((0, (0x55, 0xAA)), (1, (0x00, 0x00))):
        rig.wr(DEVICE, 0xA0 | dev << 4)
        rig.wr(COUNT, 0x55)                                         # the host's presence test
        rig.wr(LOW, 0xAA)
        assert (rig.rd(COUNT), rig.rd(LOW)) == expect
    assert rig.rd(STATUS) == 0x00 and rig.alt() == 0x00             # device 0 answers 00h for device 1
    rig.wr(COMMAND, 0xEC)
    assert rig.line == 0 and rig.rd(STATUS) == 0x00
    rig.wr(DEVICE, 0xA0)
    assert rig.rd(STATUS) == 0x50                                   # device 0 did not run it


def driver_probe(r: Rig) -> list[str]:
    """What a host driver concludes about devices 0 and 1: the write/read-back presence test,
    a software reset, then the diagnostic code and signature of each ([ATA6] "Signature and
    persistence"; an ATA signature with Status 00h is a missing device 1 answered by device 0)."""
    present = []
    for dev in (0, 1):
        r.wr(DEVICE, 0xA0 | dev << 4)
        for count, low in ((0x55, 0xAA), (0xAA, 0x55), (0x55, 0xAA)):
            r.wr(COUNT, count)
            r.wr(LOW, low)
        present.append((r.rd(COUNT), r.rd(LOW)) == (0x55, 0xAA))
    r.wr(DEVICE, 0xA0)
    for ctl in (0x02, 0x06, 0x02):
        r.control(ctl)
    found = []
    for dev in (0, 1):
        r.wr(DEVICE, 0xA0 | dev << 4)
        err, sig = r.rd(ERROR), (r.rd(MID), r.rd(HIGH))
        kind = "none"
        if err in (0x00, 0x01) or (dev == 0 and err == 0x81):
            kind = {(0x00, 0x00): "ata", (0x14, 0xEB): "atapi"}.get(sig, "ata" if present[dev] else "none")
            if kind == "ata" and r.rd(STATUS) == 0x00:
                kind = "none"
        found.append(kind)
    return found


def test_driver_probe_finds_exactly_the_attached_devices(irqs, hd_path, cd_path):
    def hd() -> HardDisk:
        return HardDisk(DiskImage(hd_path))

    def cd() -> CdRom:
        return CdRom(DiskImage(cd_path, writable=False, sector_size=2048))

    assert driver_probe(Rig(irqs)) == ["none", "none"]
    assert driver_probe(Rig(irqs, hd())) == ["ata", "none"]
    assert driver_probe(Rig(irqs, cd())) == ["atapi", "none"]
    assert driver_probe(Rig(irqs, hd(), cd())) == ["ata", "atapi"]
    assert driver_probe(Rig(irqs, hd(), hd())) == ["ata", "ata"]
    assert driver_probe(Rig(irqs, None, cd())) == ["none", "atapi"]


def test_software_reset(rig):
    rig.command(0xC6, count=8)                                      # SET MULTIPLE MODE 8
    rig.command(0x20, count=2)
    assert rig.alt() & 0x08
    rig.control(0x04)                                               # SRST
    assert rig.rd(STATUS) == 0x80 and rig.alt() == 0x80 and rig.line == 0
    rig.wr(COMMAND, 0xEC)                                           # ignored while in reset
    rig.control(0x00)
    assert rig.regs() == (0x01, 0x01, 0x01, 0x00, 0x00, 0x00)
    assert rig.alt() == 0x50 and rig.line == 0 and rig.word() == 0xFFFF
    assert identify_words(rig)[59] == 0x0108                        # multiple mode kept by SRST
    rig.ch.reset()                                                  # hardware reset: power-on settings
    assert identify_words(rig)[59] == 0


def test_execute_device_diagnostic(irqs, hd_path, cd_path):
    r = Rig(irqs, HardDisk(DiskImage(hd_path)), CdRom(DiskImage(cd_path, writable=False, sector_size=2048)))
    r.command(0x90, count=0x33, lba=0x123456)
    assert r.line == 1
    assert r.regs() == (0x01, 0x01, 0x01, 0x00, 0x00, 0xE0)        # DEV left as the host set it
    assert r.rd(STATUS) == 0x50 and r.line == 0
    r.wr(DEVICE, 0x10)
    assert r.regs()[:5] == (0x01, 0x01, 0x01, 0x14, 0xEB)
    r.wr(DEVICE, 0x00)
    r2 = Rig(irqs, None, HardDisk(DiskImage(hd_path)))              # device 1 alone still answers
    r2.wr(DEVICE, 0x10)
    r2.wr(COMMAND, 0x90)
    assert r2.line == 1 and r2.rd(ERROR) == 0x01


# --- IDENTIFY DEVICE ---------------------------------------------------------------------------------
def test_identify_device(rig):
    edges = rig.edges()
    w = identify_words(rig)
    assert rig.edges() == edges + 1
    assert rig.alt() == 0x50 and rig.line == 0                      # no interrupt after the last word
    assert w[0] == 0x0040
    assert (w[1], w[3], w[6]) == (2, 16, 63)
    assert (w[54], w[55], w[56], w[57] | w[58] << 16) == (2, 16, 63, 2016)
    assert w[60] | w[61] << 16 == HD_SECTORS
    assert ata_text(w, 27, 46) == "PYX86 HARDDISK"
    assert ata_text(w, 10, 19) == "PYX86HD0" and ata_text(w, 23, 26) == "1.0"
    assert w[47] == 0x8010 and w[59] == 0
    assert w[49] & 0x0200 and not w[49] & 0x0100                    # LBA, no DMA
    assert w[53] & 0x03 == 0x03 and w[64] == 0x0003 and w[63] == 0 and w[88] == 0
    assert w[80] & 0x40 and w[83] & 0x1000 and w[82] & 0x0008
    assert w[255] & 0xFF == 0xA5
    assert sum(b"".join(struct.pack("<H", x) for x in w)) % 256 == 0


def test_identify_geometry_of_large_disk(tmp_path):
    path = tmp_path / "big.img"
    with open(path, "wb") as f:
        f.truncate(20_000 * 1008 * 512)                              # beyond 16383 x 16 x 63
    w_img = DiskImage(path)
    disk = HardDisk(w_img)
    w = struct.unpack("<256H", disk.identify())
    assert (w[1], w[3], w[6]) == (16383, 16, 63)
    assert w[60] | w[61] << 16 == 20_000 * 1008
    assert w[57] | w[58] << 16 == 16383 * 16 * 63


# --- reads ----------------------------------------------------------------------------------------
def test_read_sectors_lba(rig):
    edges = rig.edges()
    rig.command(0x20, count=3, lba=100)
    assert rig.pio_in(3) == hd_pattern(100) + hd_pattern(101) + hd_pattern(102)
    assert rig.edges() == edges + 3                                 # one interrupt per block
    assert rig.regs() == (0x00, 0x00, 102, 0x00, 0x00, 0xE0)        # address of the last sector
    rig.command(0x21, count=1, lba=0x7D0)                           # without retries
    assert rig.pio_in(1) == hd_pattern(0x7D0)


def test_read_sectors_chs(rig):
    # cylinder 1, head 2, sector 5 with 16 heads x 63 sectors
    lba = (1 * 16 + 2) * 63 + 4
    rig.wr(DEVICE, 0xA2)
    rig.wr(COUNT, 2)
    rig.wr(LOW, 5)
    rig.wr(MID, 1)
    rig.wr(HIGH, 0)
    rig.wr(COMMAND, 0x20)
    assert rig.pio_in(2) == hd_pattern(lba) + hd_pattern(lba + 1)
    assert (rig.rd(LOW), rig.rd(MID), rig.rd(DEVICE)) == (6, 1, 0xA2)
    for sector, head, cyl in ((0, 0, 0), (64, 0, 0), (1, 0, 2)):    # sector 0, beyond spt, cylinder
        rig.wr(DEVICE, 0xA0 | head)
        rig.wr(LOW, sector)
        rig.wr(MID, cyl)
        rig.wr(COMMAND, 0x20)
        assert rig.rd(STATUS) == 0x51 and rig.rd(ERROR) == 0x10     # IDNF


def test_read_past_the_end(rig):
    rig.command(0x20, count=3, lba=HD_SECTORS - 1)
    assert rig.line == 1 and rig.rd(STATUS) == 0x58
    assert rig.read(512) == hd_pattern(HD_SECTORS - 1)
    assert rig.line == 1                                             # the next block fails
    assert rig.rd(STATUS) == 0x51 and rig.rd(ERROR) == 0x10
    assert rig.rd(LOW) | rig.rd(MID) << 8 == HD_SECTORS & 0xFFFF
    rig.command(0x20, count=1, lba=0x0FFFFFFF)
    assert rig.rd(STATUS) == 0x51 and rig.rd(ERROR) == 0x10


def test_32_bit_data_access(rig):
    rig.command(0x20, count=1, lba=7)
    rig.rd(STATUS)
    data = b"".join(struct.pack("<I", rig.ch.io_read(BASE, 4)) for _ in range(128))
    assert data == hd_pattern(7)
    assert rig.alt() == 0x50


def test_read_verify(rig):
    edges = rig.edges()
    rig.command(0x40, count=10, lba=5)
    assert rig.edges() == edges + 1 and rig.rd(STATUS) == 0x50
    assert rig.regs()[:3] == (0x00, 0x00, 14)
    rig.command(0x41, count=0, lba=HD_SECTORS - 10)                 # 256 sectors: past the end
    assert rig.rd(STATUS) == 0x51 and rig.rd(ERROR) == 0x10


# --- multiple mode ---------------------------------------------------------------------------------
def test_read_write_multiple(rig, hd_path):
    rig.command(0xC4, count=2, lba=0)                               # multiple mode not set yet
    assert rig.rd(STATUS) == 0x51 and rig.rd(ERROR) == 0x04
    for bad in (3, 32):
        rig.command(0xC6, count=bad)
        assert rig.rd(STATUS) == 0x51 and rig.rd(ERROR) == 0x04
    rig.command(0xC6, count=4)
    assert rig.line == 1 and rig.rd(STATUS) == 0x50
    assert identify_words(rig)[59] == 0x0104
    edges = rig.edges()
    rig.command(0xC4, count=10, lba=20)
    assert rig.pio_in(10, block=4) == b"".join(hd_pattern(n) for n in range(20, 30))
    assert rig.edges() == edges + 3                                 # blocks of 4, 4, 2
    edges = rig.edges()
    rig.command(0xC5, count=6, lba=50)
    assert rig.line == 0 and rig.alt() == 0x58                      # first block: DRQ, no interrupt
    rig.write(b"\x11" * 2048)
    assert rig.line == 1 and rig.rd(STATUS) == 0x58
    rig.write(b"\x22" * 1024)
    assert rig.line == 1 and rig.rd(STATUS) == 0x50
    assert rig.edges() == edges + 2
    data = hd_path.read_bytes()
    assert data[50 * 512 : 54 * 512] == b"\x11" * 2048 and data[54 * 512 : 56 * 512] == b"\x22" * 1024
    assert data[56 * 512 : 57 * 512] == hd_pattern(56)
    rig.command(0xC6, count=0)                                      # 0 disables it again
    rig.command(0xC4, count=1)
    assert rig.rd(ERROR) == 0x04


# --- writes, write protection, -snapshot ----------------------------------------------------------
def test_write_sectors(rig, hd_path):
    edges = rig.edges()
    rig.command(0x30, count=2, lba=9)
    assert rig.alt() == 0x58 and rig.line == 0
    rig.write(b"A" * 512)
    assert rig.line == 1 and rig.rd(STATUS) == 0x58                 # the next block is wanted
    rig.write(b"B" * 512)
    assert rig.line == 1 and rig.rd(STATUS) == 0x50
    assert rig.edges() == edges + 2
    assert rig.regs()[:3] == (0x00, 0x00, 10)
    data = hd_path.read_bytes()
    assert data[9 * 512 : 11 * 512] == b"A" * 512 + b"B" * 512
    rig.command(0x31, count=1, lba=11)
    rig.write(b"C" * 512)
    rig.command(0x20, count=1, lba=11)
    assert rig.pio_in(1) == b"C" * 512
    rig.command(0xE7)                                               # FLUSH CACHE
    assert rig.rd(STATUS) == 0x50


def test_write_protected_image_aborts(irqs, hd_path):
    before = hd_path.read_bytes()
    r = Rig(irqs, HardDisk(DiskImage(hd_path, writable=False)))
    r.command(0x30, count=1, lba=3)
    assert r.line == 1 and r.rd(STATUS) == 0x51 and r.rd(ERROR) == 0x04
    r.write(b"X" * 512)                                             # no DRQ: nothing is taken
    assert hd_path.read_bytes() == before


def test_snapshot_overlay_is_shared_with_other_users(irqs, hd_path):
    before = hd_path.read_bytes()
    images = open_drive_images({"hda": hd_path}, snapshot=True)
    r = Rig(irqs, HardDisk(images["hda"]))
    r.command(0x30, count=1, lba=4)
    r.write(b"Z" * 512)
    assert r.rd(STATUS) == 0x50
    assert hd_path.read_bytes() == before
    assert images["hda"].read(4, 1) == b"Z" * 512                   # what the BIOS would read
    images["hda"].write(5, b"Y" * 512)                              # a BIOS write the guest then reads
    r.command(0x20, count=2, lba=4)
    assert r.pio_in(2) == b"Z" * 512 + b"Y" * 512


# --- other ATA commands ----------------------------------------------------------------------------
def test_initialize_device_parameters(rig):
    rig.command(0x91, count=17, dev=0)
    rig.wr(DEVICE, 0xA3)                                            # 4 heads
    rig.wr(COUNT, 17)
    rig.wr(COMMAND, 0x91)
    assert rig.line == 1 and rig.rd(STATUS) == 0x50
    w = identify_words(rig)
    assert (w[54], w[55], w[56]) == (HD_SECTORS // 68, 4, 17)
    assert (w[1], w[3], w[6]) == (2, 16, 63)                        # the default geometry stays
    rig.wr(DEVICE, 0xA1)                                            # cylinder 2, head 1, sector 3
    rig.wr(COUNT, 1)
    rig.wr(LOW, 3)
    rig.wr(MID, 2)
    rig.wr(COMMAND, 0x20)
    assert rig.pio_in(1) == hd_pattern((2 * 4 + 1) * 17 + 2)
    rig.command(0x91, count=0)
    assert rig.rd(ERROR) == 0x04


def test_set_features(rig):
    for sub, count, ok in ((0x03, 0x0C, True), (0x03, 0x00, True), (0x03, 0x42, False),
                           (0x03, 0x22, False), (0x82, 0, True), (0x55, 0, True), (0x99, 0, False)):
        rig.command(0xEF, features=sub, count=count)
        assert rig.line == 1
        assert rig.rd(STATUS) == (0x50 if ok else 0x51), (sub, count)
    w = identify_words(rig)
    assert w[85] & 0x60 == 0                                        # write cache and look-ahead off


def test_power_management(rig):
    def power() -> int:
        rig.command(0xE5)
        assert rig.rd(STATUS) == 0x50
        return rig.rd(COUNT)

    assert power() == 0xFF
    rig.command(0xE0)
    assert power() == 0x00
    rig.command(0x97)                                               # old IDLE opcode
    assert power() == 0x80
    rig.command(0xE2, count=10)
    assert power() == 0x00
    rig.command(0x20, count=1)
    rig.pio_in(1)
    assert power() == 0xFF                                          # a media access spins up
    rig.command(0xE6)                                               # SLEEP: only a reset wakes it
    rig.command(0xEC)
    assert rig.rd(STATUS) == 0x51 and rig.rd(ERROR) == 0x04
    rig.control(0x04)
    rig.control(0x00)
    assert power() == 0xFF


def test_seek_recalibrate_nop_and_unknown(rig):
    rig.command(0x70, lba=100)
    assert rig.line == 1 and rig.rd(STATUS) == 0x50
    rig.command(0x7F, lba=HD_SECTORS)
    assert rig.rd(STATUS) == 0x51 and rig.rd(ERROR) == 0x10
    rig.command(0x10, lba=0x1234)
    assert rig.rd(STATUS) == 0x50 and rig.rd(MID) == 0 and rig.rd(HIGH) == 0
    for cmd in (0x00, 0xA0, 0xA1, 0x08, 0xB0, 0x25, 0xF8):         # NOP, packet ones, SMART, EXT, HPA
        rig.command(cmd)
        assert rig.line == 1 and rig.rd(STATUS) == 0x51 and rig.rd(ERROR) == 0x04, hex(cmd)


# --- interrupts --------------------------------------------------------------------------------------
def test_nien_and_status_reads(rig):
    rig.control(0x02)                                               # nIEN
    rig.command(0x40, count=1)
    assert rig.line == 0
    rig.control(0x00)
    assert rig.line == 1                                            # still pending: the line rises
    assert rig.alt() == 0x50 and rig.line == 1                      # Alternate Status leaves it
    rig.rd(STATUS)
    assert rig.line == 0
    rig.command(0x40, count=1)
    assert rig.line == 1
    rig.wr(COMMAND, 0x40)                                           # a new command clears it first
    assert rig.edges() == 3
    rig.wr(DEVICE, 0xB0)                                            # selecting the absent slave
    assert rig.line == 0
    rig.wr(DEVICE, 0xA0)
    assert rig.line == 1


# --- save / restore ------------------------------------------------------------------------------------
def test_save_restore_mid_read_and_write(irqs, hd_path):
    r = Rig(irqs, HardDisk(DiskImage(hd_path, snapshot=True)))
    r.command(0xC6, count=2)
    r.command(0xC4, count=4, lba=30)
    r.rd(STATUS)
    first = r.read(700)
    saved = r.ch.save_state()
    r2 = Rig(irqs, HardDisk(DiskImage(hd_path, snapshot=True)))
    r2.ch.load_state(saved, IdeChannel.STATE_VERSION)
    rest = r2.read(1024 - 700)
    assert first + rest == hd_pattern(30) + hd_pattern(31)
    assert r2.pio_in(2, block=2) == hd_pattern(32) + hd_pattern(33)
    r2.command(0x30, count=2, lba=60)
    r2.write(b"Q" * 512 + b"R" * 100)
    saved = r2.ch.save_state()
    r3 = Rig(irqs, HardDisk(DiskImage(hd_path, snapshot=True)))
    r3.ch.load_state(saved, IdeChannel.STATE_VERSION)
    r3.write(b"R" * 412)
    assert r3.rd(STATUS) == 0x50
    r3.command(0x20, count=2, lba=60)
    assert r3.pio_in(2) == b"Q" * 512 + b"R" * 512
    r3.ch.load_state(saved, IdeChannel.STATE_VERSION)               # the overlay is state too
    assert r3.ch.devices[0].image.overlay.get(61) is None
    with pytest.raises(StateError):
        Rig(irqs).ch.load_state(saved, IdeChannel.STATE_VERSION)


# =====================================================================================================
# ATAPI
@pytest.fixture
def cd(irqs, cd_path: Path) -> Rig:
    r = Rig(irqs, CdRom(DiskImage(cd_path, writable=False, sector_size=2048)))
    r.wr(DEVICE, 0x00)
    return r


def packet(r: Rig, cdb: bytes, limit: int = 0xFFFE, features: int = 0) -> tuple[bytes, int, int, int]:
    """The host side of the ATAPI PIO protocol ([ATA6] 9.9); (data, status, error, DRQ blocks)."""
    r.wr(FEATURES, features)
    r.wr(MID, limit & 0xFF)
    r.wr(HIGH, limit >> 8)
    r.wr(COMMAND, 0xA0)
    status = r.alt()
    if status & 0x01:
        r.rd(STATUS)
        return b"", status, r.rd(ERROR), 0
    assert status & 0x88 == 0x08 and r.rd(COUNT) & 0x03 == 0x01     # CoD, to the device
    assert r.line == 0                                              # no INTRQ for the packet DRQ
    r.write(cdb.ljust(12, b"\0"))
    data, blocks = b"", 0
    while True:
        assert r.line == 1
        status = r.rd(STATUS)
        assert r.line == 0
        reason = r.rd(COUNT) & 0x03
        if not status & 0x08:
            assert reason == 0x03                                   # status phase: I/O and C/D
            return data, status, r.rd(ERROR), blocks
        assert reason == 0x02
        n = r.rd(MID) | r.rd(HIGH) << 8
        assert 0 < n <= (limit or 0xFFFE)
        data += r.read(n + (n & 1))[:n]
        blocks += 1


def sense(r: Rig) -> tuple[int, int, int]:
    data, status, _, _ = packet(r, bytes((0x03, 0, 0, 0, 18, 0)))
    assert status == 0x40 and data[0] == 0x70 and data[7] == 10
    return data[2] & 0x0F, data[12], data[13]


def test_identify_packet_device(cd):
    w = identify_words(cd, 0xA1)
    assert cd.alt() == 0x40 and cd.line == 0
    assert w[0] == 0x85C0
    assert ata_text(w, 27, 46) == "PYX86 CD-ROM"
    assert w[49] & 0x0200 and not w[49] & 0x0100 and w[82] & 0x0210 == 0x0210
    assert sum(b"".join(struct.pack("<H", x) for x in w)) % 256 == 0
    for cmd in (0xEC, 0x20):                                       # ATA commands: abort with signature
        cd.command(cmd)
        assert cd.line == 1 and cd.rd(STATUS) == 0x41 and cd.rd(ERROR) == 0x04
        assert (cd.rd(COUNT), cd.rd(LOW), cd.rd(MID), cd.rd(HIGH)) == (1, 1, 0x14, 0xEB)
    cd.command(0x30)
    assert cd.rd(ERROR) == 0x04
    cd.command(0xEF, features=0x03, count=0x0C)
    assert cd.rd(STATUS) == 0x40


def test_test_unit_ready_and_inquiry(cd):
    data, status, error, blocks = packet(cd, b"\x00")
    assert (data, status, error, blocks) == (b"", 0x40, 0x00, 0)
    data, status, _, _ = packet(cd, bytes((0x12, 0, 0, 0, 96, 0)))
    assert status == 0x40 and len(data) == 36
    assert data[0] == 0x05 and data[1] == 0x80 and data[4] == 31
    assert data[8:16] == b"PYX86   " and data[16:32] == b"PYX86 CD-ROM    "
    assert packet(cd, bytes((0x12, 0, 0, 0, 5, 0)))[0] == data[:5]   # allocation length
    _, status, error, _ = packet(cd, bytes((0x12, 1, 0x80, 0, 96, 0)))
    assert status == 0x41 and error == 0x54                         # ILLEGAL REQUEST + ABRT
    assert sense(cd) == (0x05, 0x24, 0x00)
    assert sense(cd) == (0x00, 0x00, 0x00)                          # reading the sense clears it


def test_read_capacity_and_read_10_12(cd):
    data, status, _, _ = packet(cd, b"\x25")
    assert status == 0x40 and data == struct.pack(">II", CD_BLOCKS - 1, 2048)
    data, status, _, blocks = packet(cd, bytes((0x28, 0, 0, 0, 0, 5, 0, 0, 3, 0)))
    assert status == 0x40 and blocks == 1
    assert data == cd_pattern(5) + cd_pattern(6) + cd_pattern(7)
    data, _, _, blocks = packet(cd, bytes((0x28, 0, 0, 0, 0, 5, 0, 0, 3, 0)), limit=4096)
    assert blocks == 2 and data == cd_pattern(5) + cd_pattern(6) + cd_pattern(7)
    data, _, _, blocks = packet(cd, bytes((0x28, 0, 0, 0, 0, 9, 0, 0, 2, 0)), limit=1001)
    assert blocks == 5 and data == cd_pattern(9) + cd_pattern(10)    # 1000-byte blocks, then 96
    data, _, _, _ = packet(cd, bytes((0xA8, 0, 0, 0, 0, 38, 0, 0, 0, 2, 0, 0)))
    assert data == cd_pattern(38) + cd_pattern(39)
    data, status, _, blocks = packet(cd, bytes((0x28, 0, 0, 0, 0, 1, 0, 0, 0, 0)))
    assert (data, status, blocks) == (b"", 0x40, 0)                 # zero blocks: just GOOD
    _, status, error, _ = packet(cd, bytes((0x28, 0, 0, 0, 0, 39, 0, 0, 2, 0)))
    assert status == 0x41 and error >> 4 == 0x05
    assert sense(cd) == (0x05, 0x21, 0x00)
    assert packet(cd, bytes((0x2B, 0, 0, 0, 0, 3)))[1] == 0x40      # SEEK (10)


def test_mode_sense_10(cd):
    data, status, _, _ = packet(cd, bytes((0x5A, 0, 0x2A, 0, 0, 0, 0, 0, 128, 0)))
    assert status == 0x40
    assert int.from_bytes(data[0:2], "big") == len(data) - 2 and data[6:8] == b"\0\0"
    page = data[8:]
    assert page[0] == 0x2A and page[1] == 0x12 and len(page) == 20 and page[6] & 0x29 == 0x29
    data, _, _, _ = packet(cd, bytes((0x5A, 0, 0x3F, 0, 0, 0, 0, 0, 255, 0)))
    codes, i = [], 8
    while i < len(data):
        codes.append(data[i] & 0x3F)
        i += 2 + data[i + 1]
    assert codes == [0x01, 0x0D, 0x2A]
    data, _, _, _ = packet(cd, bytes((0x5A, 0, 0x41, 0, 0, 0, 0, 0, 255, 0)))   # changeable: none
    assert data[8:10] == b"\x01\x06" and set(data[10:16]) == {0}
    _, status, _, _ = packet(cd, bytes((0x5A, 0, 0x05, 0, 0, 0, 0, 0, 255, 0)))
    assert status == 0x41 and sense(cd) == (0x05, 0x24, 0x00)
    _, status, _, _ = packet(cd, bytes((0x5A, 0, 0xEA, 0, 0, 0, 0, 0, 255, 0)))
    assert status == 0x41 and sense(cd) == (0x05, 0x39, 0x00)


def test_read_toc(cd):
    data, status, _, _ = packet(cd, bytes((0x43, 0, 0, 0, 0, 0, 0, 0, 100, 0)))
    assert status == 0x40
    lead_out = CD_BLOCKS.to_bytes(4, "big")
    assert data == bytes((0, 18, 1, 1, 0, 0x14, 1, 0, 0, 0, 0, 0, 0, 0x14, 0xAA, 0)) + lead_out
    data, _, _, _ = packet(cd, bytes((0x43, 2, 0, 0, 0, 0, 0, 0, 100, 0)))       # MSF
    assert data[8:12] == bytes((0, 0, 2, 0)) and data[16:20] == bytes((0, 0, 2, 40))
    data, _, _, _ = packet(cd, bytes((0x43, 0, 0, 0, 0, 0, 0xAA, 0, 100, 0)))    # the lead-out only
    assert data[:4] == bytes((0, 10, 1, 1)) and data[6] == 0xAA
    data, _, _, _ = packet(cd, bytes((0x43, 0, 0, 0, 0, 0, 0, 0, 12, 0x40)))     # format 1, old field
    assert data == bytes((0, 10, 1, 1, 0, 0x14, 1, 0, 0, 0, 0, 0))
    assert packet(cd, bytes((0x43, 0, 1, 0, 0, 0, 0, 0, 12, 0)))[0] == data
    assert packet(cd, bytes((0x43, 0, 0, 0, 0, 0, 2, 0, 100, 0)))[1] == 0x41   # no track 2
    assert packet(cd, bytes((0x43, 0, 5, 0, 0, 0, 0, 0, 100, 0)))[1] == 0x41


def test_get_configuration_and_event_status(cd):
    data, status, _, _ = packet(cd, bytes((0x46, 0, 0, 0, 0, 0, 0, 1, 0, 0)))
    assert status == 0x40
    assert int.from_bytes(data[0:4], "big") == len(data) - 4 and data[6:8] == b"\x00\x08"
    codes, i = [], 8
    while i < len(data):
        codes.append(int.from_bytes(data[i : i + 2], "big"))
        i += 4 + data[i + 3]
    assert codes == [0x0000, 0x0001, 0x0002, 0x0003, 0x0010, 0x001E]
    assert data[12:16] == b"\x00\x08\x01\x00"                       # CD-ROM profile, current
    data, _, _, _ = packet(cd, bytes((0x46, 2, 0, 0x10, 0, 0, 0, 0, 64, 0)))  # RT=2: that feature only
    assert data[8:10] == b"\x00\x10" and len(data) == 8 + 12 and data[12:16] == b"\x00\x00\x08\x00"
    data, _, _, _ = packet(cd, bytes((0x46, 0, 0, 0, 0, 0, 0, 0, 8, 0)))
    assert len(data) == 8
    data, status, _, _ = packet(cd, bytes((0x4A, 1, 0, 0, 0x10, 0, 0, 0, 8, 0)))
    assert status == 0x40 and data == bytes((0, 6, 0x04, 0x10, 0, 0x02, 0, 0))
    data, _, _, _ = packet(cd, bytes((0x4A, 1, 0, 0, 0x02, 0, 0, 0, 8, 0)))
    assert data == bytes((0, 2, 0x80, 0x10))
    assert packet(cd, bytes((0x4A, 0, 0, 0, 0x10, 0, 0, 0, 8, 0)))[1] == 0x41   # asynchronous


def test_tray_lock_eject_and_unit_attention(cd):
    assert packet(cd, bytes((0x1E, 0, 0, 0, 1, 0)))[1] == 0x40      # PREVENT
    _, status, _, _ = packet(cd, bytes((0x1B, 0, 0, 0, 0x02, 0)))    # eject
    assert status == 0x41 and sense(cd) == (0x05, 0x53, 0x02)
    packet(cd, bytes((0x1E, 0, 0, 0, 0, 0)))                         # ALLOW
    assert packet(cd, bytes((0x1B, 0, 0, 0, 0x02, 0)))[1] == 0x40
    _, status, error, _ = packet(cd, b"\x00")
    assert status == 0x41 and error >> 4 == 0x02 and sense(cd) == (0x02, 0x3A, 0x02)
    assert packet(cd, bytes((0x4A, 1, 0, 0, 0x10, 0, 0, 0, 8, 0)))[0][4:6] == b"\x03\x00"
    assert packet(cd, bytes((0x46, 0, 0, 0, 0, 0, 0, 0, 8, 0)))[0][6:8] == b"\x00\x00"
    assert packet(cd, bytes((0x1B, 0, 0, 0, 0x03, 0)))[1] == 0x40   # load
    _, status, error, _ = packet(cd, b"\x00")
    assert status == 0x41 and error >> 4 == 0x06 and sense(cd) == (0x06, 0x28, 0x00)
    assert packet(cd, b"\x00")[1] == 0x40
    assert packet(cd, bytes((0x4A, 1, 0, 0, 0x10, 0, 0, 0, 8, 0)))[0][4:6] == b"\x02\x02"
    assert packet(cd, bytes((0x1B, 0, 0, 0, 0x01, 0)))[1] == 0x40   # start the spindle: nothing


def test_unsupported_commands(cd):
    for op in (0x55, 0x1A, 0xBB, 0xBD, 0x51, 0xFF):
        _, status, error, _ = packet(cd, bytes((op,)))
        assert status == 0x41 and error == 0x54, hex(op)
        assert sense(cd) == (0x05, 0x20, 0x00)
    _, status, error, _ = packet(cd, b"\x28", features=0x01)       # DMA: not supported
    assert status == 0x41 and error == 0x04


def test_device_reset_and_power(cd):
    cd.wr(FEATURES, 0)
    cd.wr(MID, 0)
    cd.wr(HIGH, 8)
    cd.wr(COMMAND, 0xA0)
    cd.write(bytes((0x28, 0, 0, 0, 0, 1, 0, 0, 2, 0, 0, 0)))
    assert cd.line == 1
    cd.wr(COMMAND, 0x08)                                             # DEVICE RESET mid-transfer
    assert cd.line == 0 and cd.alt() == 0x00
    assert (cd.rd(COUNT), cd.rd(LOW), cd.rd(MID), cd.rd(HIGH)) == (1, 1, 0x14, 0xEB)
    cd.command(0xE0)
    cd.command(0xE5)
    assert cd.rd(STATUS) == 0x40 and cd.rd(COUNT) == 0x00


def test_save_restore_mid_packet_data(irqs, cd_path):
    def make() -> Rig:
        return Rig(irqs, CdRom(DiskImage(cd_path, writable=False, sector_size=2048)))

    r = make()
    r.wr(MID, 0x00)
    r.wr(HIGH, 0x08)
    r.wr(COMMAND, 0xA0)
    r.write(bytes((0x28, 0, 0, 0, 0, 2)))                           # half of the command packet
    r2 = make()
    r2.ch.load_state(r.ch.save_state(), IdeChannel.STATE_VERSION)
    r2.write(bytes((0, 0, 3, 0, 0, 0)))
    r2.rd(STATUS)
    first = r2.read(1000)
    r3 = make()
    r3.ch.load_state(r2.ch.save_state(), IdeChannel.STATE_VERSION)
    data = first + r3.read(1048)
    for _ in range(2):
        r3.rd(STATUS)
        data += r3.read(2048)
    assert data == cd_pattern(2) + cd_pattern(3) + cd_pattern(4)
    assert r3.rd(STATUS) == 0x40 and r3.rd(COUNT) == 0x03


# --- construction ------------------------------------------------------------------------------------
def test_ide_channels_wiring_and_images(irqs, hd_path, cd_path, tmp_path):
    images = open_drive_images({"hda": hd_path, "hdd": hd_path, "cdrom": cd_path}, snapshot=True)
    assert images["cdrom"].read_only and images["cdrom"].sector_size == CD_SECTOR
    ide0, ide1 = ide_channels(images, irqs.line(14), irqs.line(15))
    assert ide0.port_ranges() == [(0x1F0, 8), (0x3F6, 1)] and ide1.port_ranges() == [(0x170, 8), (0x376, 1)]
    assert isinstance(ide0.devices[0], HardDisk) and ide0.devices[1] is None
    assert isinstance(ide1.devices[0], CdRom) and isinstance(ide1.devices[1], HardDisk)
    assert ide0.devices[0].image is images["hda"]
    ide1.io_write(0x176, 1, 0xA0)
    ide1.io_write(0x177, 1, 0xA1)
    assert irqs.levels[15] == 1 and ide1.io_read(0x177, 1) == 0x48
    bad = tmp_path / "bad.iso"
    bad.write_bytes(bytes(3000))
    with pytest.raises(Exception, match="2048-byte sectors"):
        open_drive_images({"hda": hd_path, "cdrom": bad}, snapshot=False)
    with pytest.raises(Exception, match="CD-ROMs have 2048-byte"):
        CdRom(DiskImage(hd_path))
    os.chmod(hd_path, 0o444)
    assert open_drive_images({"hda": hd_path}, snapshot=False)["hda"].read_only


def test_unimplemented_commands_are_logged_once(irqs, hd_path, cd_path):
    notes: list[str] = []
    disk, cd = HardDisk(DiskImage(hd_path)), CdRom(DiskImage(cd_path, writable=False, sector_size=2048))
    r = Rig(irqs)
    r.ch = IdeChannel("ide1", BASE, CTRL, irqs.line(IRQ), (disk, cd), log=notes.append)
    for _ in range(2):
        r.command(0xB0)                                              # SMART
        r.command(0x00)                                              # NOP: aborts by definition
    r.wr(DEVICE, 0x10)
    packet(r, b"\xBB")
    packet(r, b"\xBB")
    assert notes == ["ide1: IDE master ata: ATA command B0h not implemented",
                     "ide1: IDE slave atapi: packet command BBh not implemented"]
