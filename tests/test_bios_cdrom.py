"""El Torito CD boot and INT 13h for the CD drive; -cdrom on the command line; ISOLINUX starts.

The test ISOs are built here: an ECMA-119 primary volume descriptor, the El
Torito boot record at sector 17, the terminator, a boot catalog and a boot
image assembled with keystone.  Every other 2048-byte block holds its own
number as a repeated dword, so a read shows which block arrived.
"""

from __future__ import annotations

import dataclasses
import struct
from pathlib import Path

import pytest

from emulator import cli
from emulator.blockdev import DiskError
from emulator.chardev import BufferBackend
from emulator.cpu.models import get_model
from emulator.machine import Machine
from emulator.session import Session
from tests.bios_harness import BiosBox
from tests.guests import assemble16

BLOCK = 2048
ISO_BLOCKS = 64
CATALOG_LBA, ROOT_LBA, IMAGE_LBA = 19, 20, 24
CD_DRIVE = 0xE0
RESULTS = 0x600                      # where the boot image stores what it saw
MARK = b"END!"


def block_pattern(n: int) -> bytes:
    return struct.pack("<I", 0xC0DE0000 | n) * (BLOCK // 4)


def both16(v: int) -> bytes:
    return struct.pack("<H", v) + struct.pack(">H", v)


def both32(v: int) -> bytes:
    return struct.pack("<I", v) + struct.pack(">I", v)


def root_record() -> bytes:
    """ECMA-119 9.1 directory record of the root (name 00h), one block long."""
    rec = bytes((34, 0)) + both32(ROOT_LBA) + both32(BLOCK) + bytes(7) + bytes((0x02, 0, 0)) + both16(1)
    return rec + bytes((1, 0))


def make_iso(path: Path, boot_image: bytes | None, *, load_segment: int = 0, sector_count: int = 4,
             media: int = 0, bootable: int = 0x88, platform: int = 0, blocks: int = ISO_BLOCKS) -> Path:
    """An ISO 9660 image; with ``boot_image`` an El Torito no-emulation boot at IMAGE_LBA."""
    iso = bytearray(b"".join(block_pattern(n) for n in range(blocks)))
    iso[0 : 16 * BLOCK] = bytes(16 * BLOCK)

    def put(lba: int, data: bytes) -> None:
        iso[lba * BLOCK : (lba + 1) * BLOCK] = data.ljust(BLOCK, b"\0")

    pvd = bytearray(BLOCK)                                    # ECMA-119 8.4
    pvd[0:7] = b"\x01CD001\x01"
    pvd[40:72] = b"PYX86_TEST".ljust(32)
    pvd[80:88] = both32(blocks)
    pvd[120:124] = both16(1)
    pvd[124:128] = both16(1)
    pvd[128:132] = both16(BLOCK)
    pvd[132:140] = both32(10)
    pvd[140:144] = struct.pack("<I", ROOT_LBA + 1)
    pvd[148:152] = struct.pack(">I", ROOT_LBA + 2)
    pvd[156:190] = root_record()
    pvd[881] = 1
    put(16, bytes(pvd))
    put(ROOT_LBA, root_record() + root_record()[:32] + b"\x01\x01")
    put(ROOT_LBA + 1, bytes((1, 0)) + struct.pack("<IH", ROOT_LBA, 1) + b"\0\0")
    put(ROOT_LBA + 2, bytes((1, 0)) + struct.pack(">IH", ROOT_LBA, 1) + b"\0\0")
    if boot_image is None:
        put(17, b"\xFFCD001\x01")                             # terminator right after the PVD
        path.write_bytes(bytes(iso))
        return path
    record = bytearray(BLOCK)                                 # El Torito boot record volume descriptor
    record[0:7] = b"\x00CD001\x01"
    record[7:30] = b"EL TORITO SPECIFICATION"
    record[0x47:0x4B] = struct.pack("<I", CATALOG_LBA)
    put(17, bytes(record))
    put(18, b"\xFFCD001\x01")
    validation = bytearray(32)
    validation[0], validation[1] = 0x01, platform
    validation[4:4 + 10] = b"PYX86 TEST"
    validation[30:32] = b"\x55\xAA"
    checksum = -sum(struct.unpack("<16H", bytes(validation))) & 0xFFFF
    validation[28:30] = struct.pack("<H", checksum)
    entry = struct.pack("<BBHBBHI", bootable, media, load_segment, 0, 0, sector_count, IMAGE_LBA)
    put(CATALOG_LBA, bytes(validation) + entry.ljust(32, b"\0"))
    image = boot_image.ljust(BLOCK - len(MARK), b"\x90") + MARK
    iso[IMAGE_LBA * BLOCK : IMAGE_LBA * BLOCK + len(image)] = image
    path.write_bytes(bytes(iso))
    return path


#: the boot image: records DL and CS, then INT 13h 41h, 42h (2 blocks from 30 to 2000:0000),
#: 4B01h (packet to 0:0800), 48h (to 0:0900) with the flags and AX of each, then exits via port F4h
BOOT_PROGRAM = """
    xor ax, ax
    mov ds, ax
    mov es, ax
    mov byte ptr [0x600], dl
    mov ax, cs
    mov word ptr [0x602], ax
    mov ah, 0x41
    mov bx, 0x55aa
    int 0x13
    pushf
    pop word ptr [0x604]
    mov word ptr [0x606], ax
    mov word ptr [0x608], bx
    mov word ptr [0x60a], cx
    mov word ptr [0x700], 0x10
    mov word ptr [0x702], 2
    mov word ptr [0x704], 0
    mov word ptr [0x706], 0x2000
    mov word ptr [0x708], 30
    mov word ptr [0x70a], 0
    mov word ptr [0x70c], 0
    mov word ptr [0x70e], 0
    mov si, 0x700
    mov ah, 0x42
    mov dl, byte ptr [0x600]
    int 0x13
    pushf
    pop word ptr [0x60c]
    mov word ptr [0x60e], ax
    mov si, 0x800
    mov ax, 0x4b01
    mov dl, byte ptr [0x600]
    int 0x13
    pushf
    pop word ptr [0x610]
    mov word ptr [0x612], ax
    mov word ptr [0x900], 0x1e
    mov si, 0x900
    mov ah, 0x48
    mov dl, byte ptr [0x600]
    int 0x13
    pushf
    pop word ptr [0x614]
    mov word ptr [0x616], ax
    mov al, 0x2a
    out 0xf4, al
    hlt
"""


def config(**changes) -> cli.Config:
    cfg = cli.Config(cpu=get_model("pentiumpro"), ram_size=32 << 20, display="none",
                     rtc_base="2024-02-29T12:00:00",
                     devices=(("isa-debug-exit", {"iobase": 0xF4, "iosize": 4}),))
    return dataclasses.replace(cfg, **changes)


def boot_cd(iso: Path, **changes) -> Machine:
    m = Machine(config(cdrom=iso, boot_order="d", **changes), serial=[BufferBackend()], log=lambda s: None)
    stop = m.run(max_insns=20_000_000)
    assert stop is not None and stop.status == (0x2A << 1) | 1, stop
    return m


def ram(m: Machine, addr: int, n: int) -> bytes:
    return bytes(m.cpu.ram[addr : addr + n])


def word(m: Machine, addr: int) -> int:
    return int.from_bytes(ram(m, addr, 2), "little")


@pytest.fixture(scope="module")
def boot_image() -> bytes:
    return assemble16(BOOT_PROGRAM)


# --- El Torito boot -------------------------------------------------------------------------------
def test_no_emulation_boot_and_int13(tmp_path, boot_image):
    m = boot_cd(make_iso(tmp_path / "boot.iso", boot_image))
    assert ram(m, RESULTS, 1)[0] == CD_DRIVE                            # DL = the CD drive
    assert word(m, 0x602) == 0x07C0                                     # load segment 0 -> 07C0h
    assert ram(m, 0x7C00 + BLOCK - 4, 4) == MARK                        # 4 virtual sectors loaded
    # 41h: EDD present
    assert not word(m, 0x604) & 1 and word(m, 0x606) >> 8 == 0x21
    assert (word(m, 0x608), word(m, 0x60A)) == (0xAA55, 0x0001)
    # 42h: two 2048-byte blocks
    assert not word(m, 0x60C) & 1 and word(m, 0x60E) >> 8 == 0
    assert ram(m, 0x20000, 2 * BLOCK) == block_pattern(30) + block_pattern(31)
    assert word(m, 0x702) == 2
    # 4B01h: the specification packet
    assert not word(m, 0x610) & 1 and word(m, 0x612) >> 8 == 0
    packet = ram(m, 0x800, 0x13)
    assert packet[0] == 0x13 and packet[1] == 0x00 and packet[2] == CD_DRIVE
    assert struct.unpack_from("<I", packet, 4)[0] == IMAGE_LBA
    assert struct.unpack_from("<HH", packet, 12) == (0x07C0, 4)
    # 48h: 2048 bytes per sector, the block count
    assert not word(m, 0x614) & 1
    params = ram(m, 0x900, 0x1E)
    assert struct.unpack_from("<H", params, 0)[0] == 0x1E
    assert struct.unpack_from("<Q", params, 16)[0] == ISO_BLOCKS
    assert struct.unpack_from("<H", params, 24)[0] == BLOCK
    assert m.bios.rd8(0x475) == 0                                       # the CD is not a fixed disk
    m.close()


def test_load_segment_and_sector_count(tmp_path, boot_image):
    m = boot_cd(make_iso(tmp_path / "seg.iso", boot_image, load_segment=0x1000, sector_count=3))
    assert word(m, 0x602) == 0x1000
    assert ram(m, 0x10000 + 3 * 512 - 16, 16) == b"\x90" * 16          # 3 x 512 bytes loaded ...
    assert ram(m, 0x10000 + 3 * 512, 16) == bytes(16)                   # ... and no more
    assert struct.unpack_from("<HH", ram(m, 0x800, 0x13), 12) == (0x1000, 3)
    m.close()


@pytest.mark.parametrize("kind, changes, message", [
    ("plain", None, "no El Torito boot record"),
    ("emulation", {"media": 2}, "emulation boot"),
    ("not bootable", {"bootable": 0}, "not bootable"),
    ("platform", {"platform": 0xEF}, "not 80x86"),
])
def test_unbootable_cd_falls_through_to_the_next_drive(tmp_path, boot_image, kind, changes, message):
    """-boot dc: the CD fails with a message, the hard disk boots (its sector 0 runs the same program
    loaded at 0000:7C00, so the checks of the CD drive are then made by a hard disk boot)."""
    iso = make_iso(tmp_path / "x.iso", None if changes is None else boot_image, **(changes or {}))
    disk = tmp_path / "hd.img"
    sector = assemble16("mov byte ptr [0x600], dl\nmov al, 0x2a\nout 0xf4, al\nhlt")
    disk.write_bytes(sector.ljust(510, b"\0") + b"\x55\xAA" + bytes(512 * 63))
    logs: list[str] = []
    m = Machine(config(cdrom=iso, hda=disk, boot_order="dc"), serial=[BufferBackend()], log=logs.append)
    stop = m.run(max_insns=20_000_000)
    assert stop is not None and stop.status == (0x2A << 1) | 1
    assert ram(m, RESULTS, 1)[0] == 0x80
    assert any(message in line for line in logs), logs
    m.close()


def test_int13_for_the_cd_without_a_cd_boot(tmp_path):
    box = BiosBox(cdrom=make_iso(tmp_path / "plain.iso", None))
    out = box.call(0x13, ax=0x4100, bx=0x55AA, dx=CD_DRIVE)
    assert not out["cf"] and out["bx"] == 0xAA55
    box.cpu.write_phys(0x700, struct.pack("<BBHHHQ", 0x10, 0, 1, 0, 0x3000, 16))
    out = box.call(0x13, ax=0x4200, dx=CD_DRIVE, ds=0, si=0x700)
    assert not out["cf"] and bytes(box.ram[0x30000:0x30007]) == b"\x01CD001\x01"
    out = box.call(0x13, ax=0x4300, dx=CD_DRIVE, ds=0, si=0x700)
    assert out["cf"] and out["ah"] == 0x03                             # write-protected
    box.cpu.write_phys(0x700, struct.pack("<BBHHHQ", 0x10, 0, 2, 0, 0x3000, ISO_BLOCKS - 1))
    out = box.call(0x13, ax=0x4200, dx=CD_DRIVE, ds=0, si=0x700)
    assert out["cf"] and out["ah"] == 0x04 and box.bios.rd16(0x702) == 1   # stops at the end
    out = box.call(0x13, ax=0x4B01, dx=CD_DRIVE, ds=0, si=0x800)
    assert out["cf"] and out["ah"] == 0x01                             # nothing booted from the CD
    for ah, expect_cf, expect_ah in ((0x00, False, 0x00), (0x15, False, 0x02), (0x08, True, 0x01),
                                     (0x02, True, 0x01)):
        out = box.call(0x13, ax=ah << 8 | 1, cx=1, dx=CD_DRIVE, es=0x3000, bx=0)
        assert (out["cf"], out["ah"]) == (expect_cf, expect_ah), hex(ah)
    out = box.call(0x13, ax=0x0100, dx=CD_DRIVE)
    assert out["ah"] == 0x01                                           # the last status (02h failed)


# --- the machine: one image for the IDE controller and the BIOS --------------------------------
def test_ide_and_bios_share_the_images(tmp_path):
    disk = tmp_path / "hd.img"
    disk.write_bytes(bytes(512 * 1008))
    iso = make_iso(tmp_path / "cd.iso", None)
    box = BiosBox(hda=disk, cdrom=iso, snapshot=True)
    m = box.machine
    assert m.bus.owner(0x1F7) is m.ide[0] and m.bus.owner(0x3F6) is m.ide[0]
    assert m.bus.owner(0x177) is m.ide[1] and m.bus.owner(0x376) is m.ide[1]
    assert box.bios.disks.hard_disks[0x80].image is m.ide[0].devices[0].image
    assert box.bios.disks.cdrom.image is m.ide[1].devices[0].image
    # the guest writes sector 5 through the controller; INT 13h reads it back from the overlay
    for port, value in ((0x1F6, 0xE0), (0x1F2, 1), (0x1F3, 5), (0x1F4, 0), (0x1F5, 0), (0x1F7, 0x30)):
        m.bus.write(port, 1, value)
    for _ in range(256):
        m.bus.write(0x1F0, 2, 0xBEEF)
    assert m.irq[14].level == 1                                         # completion interrupt
    assert m.bus.read(0x1F7, 1) == 0x50 and m.irq[14].level == 0
    out = box.call(0x13, ax=0x0201, cx=0x0006, dx=0x0080, es=0x3000, bx=0)
    assert not out["cf"] and bytes(box.ram[0x30000:0x30004]) == b"\xEF\xBE\xEF\xBE"
    assert disk.read_bytes() == bytes(512 * 1008)                       # -snapshot: file untouched
    restored = BiosBox(hda=disk, cdrom=iso, snapshot=True)
    restored.machine.load_state(m.save_state())
    assert restored.machine.ide[0].devices[0].image.read(5, 1)[:4] == b"\xEF\xBE\xEF\xBE"
    m.close()
    assert m.ide[1].devices[0].image.closed and m.ide[0].devices[0].image.closed


#: a guest ATAPI driver: READ (10) of block 30 on the secondary master through the ports, with
#: REP OUTSW / REP INSW and the IRQ 15 handler at offset 400h counting interrupts in 0:0620h
ATAPI_DRIVER = """
    xor ax, ax
    mov ds, ax
    mov es, ax
    cli
    mov word ptr [0x1dc], 0x400
    mov word ptr [0x1de], 0x07c0
    in al, 0xa1
    and al, 0x7f
    out 0xa1, al
    in al, 0x21
    and al, 0xfb
    out 0x21, al
    mov word ptr [0x620], 0
    mov word ptr [0x640], 0x0028
    mov word ptr [0x642], 0x0000
    mov word ptr [0x644], 0x1e00
    mov word ptr [0x646], 0x0000
    mov word ptr [0x648], 0x0001
    mov word ptr [0x64a], 0x0000
    mov dx, 0x176
    mov al, 0xa0
    out dx, al
    mov dx, 0x171
    xor al, al
    out dx, al
    mov dx, 0x174
    out dx, al
    mov dx, 0x175
    mov al, 8
    out dx, al
    mov dx, 0x177
    mov al, 0xa0
    out dx, al
wait_drq:
    mov dx, 0x376
    in al, dx
    test al, 8
    jz wait_drq
    mov si, 0x640
    mov cx, 6
    mov dx, 0x170
    cld
    rep outsw
    sti
wait_data:
    hlt
    cmp word ptr [0x620], 1
    jb wait_data
    mov dx, 0x174
    in al, dx
    mov bl, al
    mov dx, 0x175
    in al, dx
    mov bh, al
    mov word ptr [0x622], bx
    mov ax, 0x3000
    mov es, ax
    xor di, di
    mov cx, 1024
    mov dx, 0x170
    rep insw
wait_done:
    hlt
    cmp word ptr [0x620], 2
    jb wait_done
    mov dx, 0x376
    in al, dx
    mov byte ptr [0x624], al
    mov dx, 0x172
    in al, dx
    mov byte ptr [0x625], al
    mov al, 0x2a
    out 0xf4, al
    hlt
"""
IRQ15_HANDLER = """
    push ax
    push dx
    mov dx, 0x177
    in al, dx
    inc word ptr [0x620]
    mov al, 0x20
    out 0xa0, al
    out 0x20, al
    pop dx
    pop ax
    iret
"""


def test_guest_atapi_driver_with_irq15(tmp_path):
    """The booted image talks to the CD through ports 170h-177h/376h as a driver does."""
    code = assemble16(ATAPI_DRIVER)
    assert len(code) < 0x400
    image = code.ljust(0x400, b"\x90") + assemble16(IRQ15_HANDLER)
    m = boot_cd(make_iso(tmp_path / "drv.iso", image))
    assert word(m, 0x620) == 2                                          # data + completion interrupts
    assert word(m, 0x622) == BLOCK                                      # byte count of the DRQ block
    assert ram(m, 0x30000, BLOCK) == block_pattern(30)
    assert ram(m, 0x624, 2) == bytes((0x40, 0x03))                      # DRDY; I/O + C/D: status phase
    m.close()


def test_guest_driver_survives_snapshots_every_few_instructions(tmp_path):
    """The same driver, moved to a fresh machine through save_state/load_state every 100
    instructions: mid-command, mid-packet, mid-REP INSW, with interrupts pending."""
    code = assemble16(ATAPI_DRIVER)
    image = code.ljust(0x400, b"\x90") + assemble16(IRQ15_HANDLER)
    cfg = config(cdrom=make_iso(tmp_path / "drv.iso", image), boot_order="d")
    m = Machine(cfg, serial=[BufferBackend()], log=lambda s: None)
    moves = 0
    while (stop := m.run(max_insns=100)) is None:
        fresh = Machine(cfg, serial=[BufferBackend()], log=lambda s: None)
        fresh.load_state(m.save_state())
        m.close()
        m, moves = fresh, moves + 1
        assert moves < 5000
    assert stop.status == (0x2A << 1) | 1 and moves > 8
    assert word(m, 0x620) == 2 and ram(m, 0x30000, BLOCK) == block_pattern(30)
    m.close()


# --- the command line ------------------------------------------------------------------------------
def one_line_error(capsys, *argv: str) -> str:
    status = cli.main(list(argv))
    out, err = capsys.readouterr()
    assert status == 2 and out == "" and "Traceback" not in err
    lines = err.splitlines()
    assert len(lines) == 1 and lines[0].startswith("pyx86: "), err
    return lines[0]


def test_cli_bad_cd_images(capsys, tmp_path):
    missing = tmp_path / "missing.iso"
    assert "cannot open disk image" in one_line_error(capsys, "-display", "none", "-cdrom", str(missing))
    odd = tmp_path / "odd.iso"
    odd.write_bytes(bytes(3000))
    assert "not a whole number of 2048-byte sectors" in one_line_error(
        capsys, "-display", "none", "-cdrom", str(odd))
    plain = make_iso(tmp_path / "plain.iso", None)
    line = one_line_error(capsys, "-display", "none", "-cdrom", str(plain), "-boot", "d")
    assert "plain.iso" in line and "no El Torito boot record" in line
    line = one_line_error(capsys, "-display", "none", "-cdrom", str(plain), "-boot", "order=c,once=d")
    assert "no El Torito" in line
    emulation = make_iso(tmp_path / "emul.iso", b"\xf4", media=2)
    assert "emulation boot" in one_line_error(capsys, "-display", "none", "-cdrom", str(emulation),
                                              "-boot", "d")
    line = one_line_error(capsys, "-display", "none", "-cdrom", str(plain), "-hdc", str(plain))
    assert "secondary IDE master" in line
    Machine(config(cdrom=plain, boot_order="dc"), serial=[BufferBackend()]).close()   # c may boot
    with pytest.raises(DiskError, match="no El Torito"):
        Machine(config(cdrom=plain, boot_order="d"), serial=[BufferBackend()])


def test_cli_hdc_hdd(tmp_path):
    disk = tmp_path / "d.img"
    disk.write_bytes(bytes(512 * 100))
    parser = cli._build_parser()
    cfg = cli.parse_config(parser.parse_args(cli._normalize(["-hdc", str(disk), "-hdd", str(disk)], parser)))
    assert cfg.hdc == cfg.hdd == disk
    assert cli.with_default_guest(cfg) is cfg


# --- the shared tiny Linux CD -------------------------------------------------------------------------
def test_isolinux_starts_from_the_shared_iso(images_dir: Path):
    """ISOLINUX 6.04 loads through El Torito and INT 13h and prints its banner (it then enters
    protected mode, which this core does not run yet: only what comes before is checked)."""
    iso = images_dir / "linux" / "tiny-linux.iso"
    assert iso.is_file(), f"missing {iso}"
    with Session("-cdrom", str(iso), "-boot", "d", "-snapshot") as pc:
        cd = pc.machine.bios.disks.cdrom
        calls: list[int] = []
        service = cd.int13

        def spy() -> None:
            calls.append(cd.bios["ax"])
            service()

        cd.int13 = spy
        assert pc.run_until_text("ISOLINUX 6.04", insns=20_000_000), "\n".join(pc.screen())
        packet = cd.spec_packet()
        assert packet is not None and packet[2] == CD_DRIVE and packet[1] == 0
        assert struct.unpack_from("<HH", packet, 12) == (0x07C0, 4)      # -boot-load-size 4
        pc.run(insns=5_000_000)            # (today the run stops where ISOLINUX enters protected mode)
        assert 0x4B01 in calls                                            # it checked the boot packet
        assert any(ax >> 8 == 0x42 for ax in calls)                        # and read the CD by EDD
