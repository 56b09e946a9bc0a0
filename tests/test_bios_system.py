"""The system BIOS (bios/system.py): chipset POST, INT 08h/11h/12h/14h/15h/17h/18h/1Ah, IRQ8/IRQ12."""

from __future__ import annotations

import dataclasses

import pytest

from bios import system as SY
from emulator.cpu import state as S
from tests.bios_harness import BiosBox

MiB = 1 << 20
SMAP = 0x534D4150


@pytest.fixture(scope="module")
def box() -> BiosBox:
    return BiosBox()


def idle(box: BiosBox, ns: int) -> None:
    """Run ``sti; hlt; jmp hlt`` at 0000:7C00 (SS:SP 0000:7000) for ``ns`` of virtual time."""
    box.cpu.write_phys(0x7C00, bytes((0xFB, 0xF4, 0xEB, 0xFD)))
    for reg, value in (("cs", 0), ("ip", 0x7C00), ("ss", 0), ("sp", 0x7000), ("ds", 0)):
        box.cpu[reg] = value
    box.cpu.st[S.HALTED] = 0
    assert box.machine.run(max_insns=100_000_000, max_ns=ns) is None


def ticks(box: BiosBox) -> int:
    return box.bios.rd32(SY.BDA_TICKS)


# --- POST ----------------------------------------------------------------------------------
def test_post_programs_pic_and_timer_ticks_at_18_hz(box: BiosBox) -> None:
    pic = box.machine.pic
    assert pic.icw2[0] & 0xF8 == 0x08 and pic.icw2[1] & 0xF8 == 0x70
    assert pic.imr[0] & 0x05 == 0                        # IRQ0 and the cascade enabled
    before = ticks(box)
    idle(box, 1_000_000_000)
    assert 18 <= ticks(box) - before <= 19


def test_post_ticks_follow_rtc_and_bda_tables(box: BiosBox) -> None:
    fresh = BiosBox()
    # RTC base 23:59:58 -> 86398 s * 1193180 / 65536
    assert fresh.bios.rd32(SY.BDA_TICKS) == 86398 * 1193180 // 65536
    assert fresh.bios.rd16(0x400) == 0x3F8 and fresh.bios.rd16(0x402) == 0
    assert fresh.bios.rd16(0x408) == 0
    equip = fresh.bios.rd16(0x410)
    assert equip >> 9 & 7 == 1                           # one serial port
    assert equip & 0x0002                                # the Pentium Pro has an FPU
    assert equip & 0x0004                                # PS/2 mouse
    assert equip >> 14 == 0                              # no printers
    assert fresh.bios.rd8(SY.BDA_COM_TIMEOUT) == 1
    assert fresh.bios.rd8(0x9FC00 + SY.EBDA_MOUSE_FLAGS2) == 2   # 3-byte packets by default
    dma = fresh.machine.dma
    assert dma.command == [0, 0] and dma.mode[4] == 0xC0 and not dma.mask[1] & 1
    assert fresh.machine.cmos.get_byte(0x0A) == 0x26 and fresh.machine.cmos.get_byte(0x0B) == 0x02


def test_post_reports_bad_cmos(box: BiosBox) -> None:
    cmos = box.machine.cmos
    cmos.ram[0x2F] ^= 0xFF
    cmos.set_byte(0x0B, 0x06)                            # binary, 24-hour: not what INT 1Ah expects
    box.log.clear()
    box.bios.post_hooks[0]()                             # the system module's POST hook runs first
    assert any("checksum" in line for line in box.log)
    assert any("register B" in line for line in box.log)
    assert cmos.get_byte(0x0E) & 0x40
    assert cmos.get_byte(0x0B) == 0x02
    cmos.update_checksum()


def test_int11_int12(box: BiosBox) -> None:
    assert box.call(0x11)["ax"] == box.bios.rd16(0x410)
    assert box.call(0x12)["ax"] == 639


def test_no_fpu_and_24_bit_memory(box: BiosBox, monkeypatch: pytest.MonkeyPatch) -> None:
    # (a 286 machine cannot be built to boot yet: its reset fetch at FFFFF0h finds no ROM)
    svc = box.bios.services[0x15].__self__
    monkeypatch.setattr(box.cpu, "model", dataclasses.replace(box.cpu.model, fpu=False))
    box.bios.post_hooks[0]()
    assert not box.bios.rd16(0x410) & 0x0002
    monkeypatch.setattr(svc, "address_bits", 24)
    assert box.call(0x15, ax=0x8800)["ax"] == 0x3C00      # 32 MiB of RAM, 16 MiB reachable
    out = box.call(0x15, ax=0xE801)
    assert (out["ax"], out["bx"], out["cf"]) == (0x3C00, 0, False)
    assert svc.memory_map()[-1] == (0x100000, 15 * MiB, 1)


# --- INT 08h ---------------------------------------------------------------------------------
def test_timer_runs_down_the_diskette_motor(box: BiosBox) -> None:
    box.bios.wr8(SY.BDA_MOTOR_COUNT, 2)
    box.bios.wr8(SY.BDA_MOTOR_STATUS, 0x13)
    idle(box, 200_000_000)
    assert box.bios.rd8(SY.BDA_MOTOR_COUNT) == 0
    assert box.bios.rd8(SY.BDA_MOTOR_STATUS) == 0x10


# --- INT 15h memory --------------------------------------------------------------------------
def walk_e820(box: BiosBox) -> list[tuple[int, int, int]]:
    entries, ebx = [], 0
    for _ in range(20):
        out = box.call(0x15, eax=0xE820, edx=SMAP, ebx=ebx, ecx=24, es=0, di=0x600)
        assert not out["cf"] and out["eax"] == SMAP and out["ecx"] == 20
        raw = bytes(box.ram[0x600:0x614])
        entries.append((int.from_bytes(raw[0:8], "little"), int.from_bytes(raw[8:16], "little"),
                        int.from_bytes(raw[16:20], "little")))
        ebx = out["ebx"]
        if ebx == 0:
            return entries
    raise AssertionError("E820 never ended")


@pytest.mark.parametrize("ram", [32 * MiB, 256 * MiB])
def test_e820_e801_88(ram: int) -> None:
    b = BiosBox(ram_size=ram)
    assert walk_e820(b) == [
        (0, 0x9FC00, 1), (0x9FC00, 0x400, 2), (0xE0000, 0x20000, 2),
        (0x100000, ram - MiB, 1), (0xFFFE0000, 0x20000, 2)]
    out = b.call(0x15, ax=0xE801)
    assert not out["cf"]
    assert out["ax"] == out["cx"] == 0x3C00
    assert out["bx"] == out["dx"] == (ram - 16 * MiB) >> 16
    out = b.call(0x15, ax=0x8800)
    assert not out["cf"] and out["ax"] == min(0xFFFF, (ram - MiB) >> 10)


def test_e820_errors(box: BiosBox) -> None:
    out = box.call(0x15, eax=0xE820, edx=0x12345678, ebx=0, ecx=20, es=0, di=0x600)
    assert out["cf"] and out["ah"] == 0x86
    out = box.call(0x15, eax=0xE820, edx=SMAP, ebx=99, ecx=20, es=0, di=0x600)
    assert out["cf"]
    out = box.call(0x15, eax=0xE820, edx=SMAP, ebx=0, ecx=16, es=0, di=0x600)
    assert out["cf"]


def gdt(src: int, dst: int, limit: int = 0xFFFF) -> bytes:
    def desc(base: int) -> bytes:
        return (limit.to_bytes(2, "little") + (base & 0xFFFFFF).to_bytes(3, "little")
                + bytes((0x93, 0, base >> 24)))
    return bytes(16) + desc(src) + desc(dst) + bytes(16)


def test_move_block_to_extended_memory_and_back(box: BiosBox) -> None:
    data = bytes(range(256)) * 4
    box.cpu.write_phys(0x8000, data)
    for high in (0x123456, 0x1801000):                   # above 1 MiB, and above 16 MiB (386 byte 7)
        box.cpu.write_phys(0x500, gdt(0x8000, high))
        out = box.call(0x15, ax=0x8700, cx=len(data) // 2, es=0, si=0x500)
        assert not out["cf"] and out["ah"] == 0
        assert box.cpu.read_phys(high, len(data)) == data
        box.cpu.write_phys(0x500, gdt(high, 0x9000))
        assert not box.call(0x15, ax=0x8700, cx=len(data) // 2, es=0, si=0x500)["cf"]
        assert box.cpu.read_phys(0x9000, len(data)) == data
        box.cpu.write_phys(0x9000, bytes(len(data)))


def test_move_block_ignores_a20_and_rom(box: BiosBox) -> None:
    box.call(0x15, ax=0x2400)
    assert not box.cpu.a20
    box.cpu.write_phys(0x8000, b"A20 off" + bytes(1))
    box.cpu.write_phys(0x500, gdt(0x8000, 0x100000))
    assert not box.call(0x15, ax=0x8700, cx=4, es=0, si=0x500)["cf"]
    assert box.cpu.read_phys(0x100000, 8) == b"A20 off\0"
    assert box.cpu.read_phys(0, 8) != b"A20 off\0"
    assert not box.cpu.a20                               # left as it was
    box.call(0x15, ax=0x2401)
    rom = box.cpu.read_phys(0xF0000, 8)
    box.cpu.write_phys(0x500, gdt(0x8000, 0xF0000))
    assert not box.call(0x15, ax=0x8700, cx=4, es=0, si=0x500)["cf"]
    assert box.cpu.read_phys(0xF0000, 8) == rom         # the ROM ignores writes
    box.cpu.write_phys(0x500, gdt(0x8000, 0x100000, limit=5))
    out = box.call(0x15, ax=0x8700, cx=4, es=0, si=0x500)
    assert out["cf"] and out["ah"] == 0x02


def test_a20_functions(box: BiosBox) -> None:
    assert box.cpu.a20
    out = box.call(0x15, ax=0x2402)
    assert (out["cf"], out["ah"], out["al"]) == (False, 0, 1)
    out = box.call(0x15, ax=0x2400)
    assert not out["cf"] and out["ah"] == 0 and not box.cpu.a20
    assert box.call(0x15, ax=0x2402)["al"] == 0
    assert not box.call(0x15, ax=0x2401)["cf"] and box.cpu.a20
    out = box.call(0x15, ax=0x2403)
    assert (out["cf"], out["ah"], out["bx"]) == (False, 0, 3)
    assert box.call(0x15, ax=0x2404)["cf"]


# --- INT 15h waits -----------------------------------------------------------------------------
def test_wait_86h_advances_virtual_time(box: BiosBox) -> None:
    clock = box.machine.clock
    start, before = clock.now, ticks(box)
    out = box.call(0x15, ax=0x8600, cx=0x0001, dx=0x86A0)   # 100000 us
    elapsed = clock.now - start
    assert not out["cf"]
    assert 100_000_000 <= elapsed <= 103_000_000
    assert ticks(box) - before in (1, 2)                     # the timer kept running meanwhile
    assert box.bios.rd8(SY.BDA_WAIT_ACTIVE) == 0
    assert not box.machine.cmos.get_byte(0x0B) & 0x40        # periodic interrupt off again


def test_event_wait_83h_posts_the_flag(box: BiosBox) -> None:
    box.ram[0x900] = 0
    out = box.call(0x15, ax=0x8300, cx=0, dx=5000, es=0, bx=0x900)
    assert not out["cf"] and box.ram[0x900] == 0
    assert box.call(0x15, ax=0x8600, cx=0, dx=100)["cf"]      # busy: AH=83h
    assert box.cpu["ah"] == 0x83
    assert box.call(0x15, ax=0x8300, cx=0, dx=5000, es=0, bx=0x900)["cf"]
    idle(box, 10_000_000)
    assert box.ram[0x900] == 0x80
    box.call(0x15, ax=0x8300, cx=0, dx=50000, es=0, bx=0x902)
    assert not box.call(0x15, ax=0x8301)["cf"]                # cancel
    idle(box, 60_000_000)
    assert box.ram[0x902] == 0


# --- INT 15h tables, hooks, unsupported ----------------------------------------------------------
def test_system_configuration_table_and_ebda(box: BiosBox) -> None:
    out = box.call(0x15, ax=0xC000)
    assert not out["cf"] and out["ah"] == 0
    table = box.cpu.read_phys((out["es"] << 4) + out["bx"], 10)
    assert table[0] | table[1] << 8 == 8
    assert table[2] == 0xFC and table[5] & 0x70 == 0x70
    out = box.call(0x15, ax=0xC100)
    assert not out["cf"] and out["es"] == 0x9FC0


def test_keyboard_intercept_and_hooks(box: BiosBox) -> None:
    out = box.call(0x15, ax=0x4F1E)
    assert out["cf"] and out["ax"] == 0x4F1E
    for ax in (0x9000, 0x9100, 0x8500):
        out = box.call(0x15, ax=ax)
        assert not out["cf"] and out["ah"] == 0


def test_unsupported_functions(box: BiosBox) -> None:
    config = box.machine.config
    box.machine.config = dataclasses.replace(config, log_items=frozenset({"unimp"}))
    box.log.clear()
    try:
        for ax in (0x5300, 0x8900, 0xD800, 0xEC00, 0x4100):
            out = box.call(0x15, ax=ax)
            assert out["cf"] and out["ah"] == 0x86, hex(ax)
        assert any("AX=5300h" in line for line in box.log)
    finally:
        box.machine.config = config
    out = box.call(0x1A, ax=0xB101, edx=0)
    assert out["cf"] and out["ah"] == 0x81 and out["edx"] == 0
    box.log.clear()
    assert box.call(0x15, ax=0x5300)["cf"] and not box.log    # silent without -d unimp
    assert box.call(0x17, ax=0x0241, dx=0)["ah"] == 0x01      # no printer: time-out


# --- INT 1Ah -----------------------------------------------------------------------------------
def test_rtc_time_and_date_match_the_base() -> None:
    b = BiosBox()
    out = b.call(0x1A, ax=0x0200)
    assert not out["cf"] and (out["ch"], out["cl"], out["dh"], out["dl"]) == (0x23, 0x59, 0x58, 0)
    out = b.call(0x1A, ax=0x0400)
    assert not out["cf"] and (out["cx"], out["dx"]) == (0x2024, 0x0229)


def test_rtc_set_time_and_date(box: BiosBox) -> None:
    assert not box.call(0x1A, ax=0x0300, cx=0x1234, dx=0x5601)["cf"]
    out = box.call(0x1A, ax=0x0200)
    assert (out["cx"], out["dh"], out["dl"]) == (0x1234, 0x56, 1)
    assert not box.call(0x1A, ax=0x0500, cx=0x2025, dx=0x0101)["cf"]
    out = box.call(0x1A, ax=0x0400)
    assert (out["cx"], out["dx"]) == (0x2025, 0x0101)
    assert box.machine.cmos.get_byte(0x06) == 4              # Wednesday (1 = Sunday)
    assert box.machine.cmos.guest_time().date().isoformat() == "2025-01-01"
    box.machine.cmos.set_byte(0x0A, 0x70)                    # divider stopped: "not running"
    assert box.call(0x1A, ax=0x0200)["cf"]
    box.machine.cmos.set_byte(0x0A, 0x26)


def test_ticks_read_set_and_midnight(box: BiosBox) -> None:
    assert not box.call(0x1A, ax=0x0100, cx=0x0018, dx=0x00AD)["cf"]
    out = box.call(0x1A, ax=0x0000)
    assert (out["cx"], out["dx"], out["al"]) == (0x0018, 0x00AD, 0)
    idle(box, 300_000_000)                                   # ~5 ticks: past 1800B0h
    out = box.call(0x1A, ax=0x0000)
    assert out["al"] == 1 and out["cx"] == 0 and 1 <= out["dx"] <= 4
    assert box.call(0x1A, ax=0x0000)["al"] == 0              # the flag is cleared on read


def test_rtc_alarm_raises_int_4ah() -> None:
    b = BiosBox()                                            # 23:59:58
    b.cpu.write_phys(0x8100, bytes((0x2E, 0xFF, 0x06, 0x0A, 0x90, 0xCF)))   # inc word [cs:900Ah]; iret
    b.bios.set_vector(0x4A, 0, 0x8100)
    assert not b.call(0x1A, ax=0x0600, cx=0x0000, dx=0x0000)["cf"]
    assert b.call(0x1A, ax=0x0600, cx=0x0000, dx=0x0000)["cf"]   # already set
    idle(b, 2_500_000_000)
    assert b.bios.rd16(0x900A) == 1
    assert b.cpu["sp"] == 0x7000
    assert not b.call(0x1A, ax=0x0700)["cf"]
    assert not b.machine.cmos.get_byte(0x0B) & 0x20


# --- INT 14h -------------------------------------------------------------------------------------
def test_serial_init_send_receive(box: BiosBox) -> None:
    uart = box.machine.uarts[0]
    out = box.call(0x14, ax=0x00E3, dx=0)                    # 9600 bit/s, no parity, 1 stop, 8 bits
    assert uart.divisor == 12 and uart.lcr == 0x03
    assert out["ah"] & 0x60 == 0x60 and out["al"] & 0x30 == 0x30
    box.serial.output.clear()
    for ch in b"Hi!":
        out = box.call(0x14, ax=0x0100 | ch, dx=0)
        assert not out["ah"] & 0x80
    idle(box, 10_000_000)
    assert bytes(box.serial.output) == b"Hi!"
    box.serial.feed(b"Z")
    out = box.call(0x14, ax=0x0200, dx=0)
    assert out["al"] == ord("Z") and out["ah"] == 0
    out = box.call(0x14, ax=0x0300, dx=0)
    assert out["ah"] & 0x60 == 0x60 and out["al"] & 0xB0 == 0xB0
    assert box.call(0x14, ax=0x0300, dx=1)["ah"] == 0x80     # no COM2


def test_serial_receive_times_out(box: BiosBox) -> None:
    clock = box.machine.clock
    start = clock.now
    out = box.call(0x14, ax=0x0200, dx=0)
    assert out["ah"] & 0x80
    assert 0.9e9 <= clock.now - start <= 1.2e9


# --- INT 15h C2h ------------------------------------------------------------------------------------
HANDLER = bytes((
    0x55, 0x89, 0xE5,                                        # push bp; mov bp,sp
    0x8B, 0x46, 0x0C, 0x2E, 0xA3, 0x00, 0x90,                # status -> [cs:9000h]
    0x8B, 0x46, 0x0A, 0x2E, 0xA3, 0x02, 0x90,                # X -> [cs:9002h]
    0x8B, 0x46, 0x08, 0x2E, 0xA3, 0x04, 0x90,                # Y -> [cs:9004h]
    0x8B, 0x46, 0x06, 0x2E, 0xA3, 0x06, 0x90,                # 0 -> [cs:9006h]
    0x2E, 0xFF, 0x06, 0x08, 0x90,                            # inc word [cs:9008h]
    0x5D, 0xCB))                                             # pop bp; retf


def test_mouse_packets_reach_the_handler() -> None:
    b = BiosBox()
    mouse = b.machine.kbc.mouse
    out = b.call(0x15, ax=0xC200, bx=0x0100)
    assert out["cf"] and out["ah"] == 0x05                   # no handler yet
    b.cpu.write_phys(0x8000, HANDLER)
    b.cpu.write_phys(0x9000, bytes(16))
    assert not b.call(0x15, ax=0xC207, es=0, bx=0x8000)["cf"]
    out = b.call(0x15, ax=0xC205, bx=0x0300)
    assert not out["cf"] and out["ah"] == 0
    out = b.call(0x15, ax=0xC201)
    assert not out["cf"] and (out["bh"], out["bl"]) == (0x00, 0xAA)
    assert not b.call(0x15, ax=0xC202, bx=0x0600)["cf"] and mouse.rate == 200
    assert not b.call(0x15, ax=0xC203, bx=0x0300)["cf"] and mouse.resolution == 3
    assert b.call(0x15, ax=0xC202, bx=0x0700)["ah"] == 0x02
    out = b.call(0x15, ax=0xC204)
    assert not out["cf"] and out["bh"] == 0
    assert not b.call(0x15, ax=0xC200, bx=0x0100)["cf"] and mouse.enabled
    out = b.call(0x15, ax=0xC206, bx=0x0000)
    assert not out["cf"] and out["bl"] & 0x20 and (out["cl"], out["dl"]) == (3, 200)
    mouse.move(5, -3, buttons=1)
    idle(b, 20_000_000)
    words = [b.bios.rd16(0x9000 + 2 * i) for i in range(5)]
    assert words == [0x29, 5, 0xFD, 0, 1]
    assert b.cpu["sp"] == 0x7000                             # the parameters were dropped
    mouse.move(-1, 2)
    idle(b, 20_000_000)
    assert [b.bios.rd16(0x9000 + 2 * i) for i in range(5)] == [0x18, 0xFF, 2, 0, 2]
    assert not b.call(0x15, ax=0xC200, bx=0x0000)["cf"] and not mouse.enabled
    assert b.call(0x15, ax=0xC209)["ah"] == 0x01


# --- INT 18h -------------------------------------------------------------------------------------------
def test_int18_prints_and_boots_on_a_key() -> None:
    b = BiosBox()
    shown: list[str] = []
    b.bios.console_write = shown.append
    assert b.call(0x18, max_ns=100_000_000)["stop"] is None   # still waiting for a key
    assert shown == [SY.MESSAGE_NO_BASIC]
    booted: list[bool] = []
    b.bios.services[0x19] = lambda: (booted.append(True), b.machine.stop(0, "INT 19h"))
    if b.bios.rd16(SY.BDA_KBD_TAIL) == 0:
        b.bios.wr16(SY.BDA_KBD_HEAD, 0x1E)
        b.bios.wr16(SY.BDA_KBD_TAIL, 0x1E)
    tail = b.bios.rd16(SY.BDA_KBD_TAIL)
    b.bios.wr16(0x400 + tail, 0x1C0D)
    b.bios.wr16(SY.BDA_KBD_TAIL, tail + 2)
    stop = b.machine.run(max_ns=200_000_000)
    assert booted and stop is not None and stop.message == "INT 19h"
    assert b.bios.rd16(SY.BDA_KBD_HEAD) == b.bios.rd16(SY.BDA_KBD_TAIL)
    assert shown == [SY.MESSAGE_NO_BASIC]
