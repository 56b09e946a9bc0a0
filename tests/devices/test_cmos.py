"""MC146818A RTC / AT CMOS RAM: behaviour checked against the MC146818A data sheet and the AT reference."""

from __future__ import annotations

import datetime as dt
import random

import pytest

from devices.cmos import CMOS, parse_rtc_base
from emulator.clock import NS_PER_SEC

SEC = NS_PER_SEC
MS = 1_000_000
US = 1_000
BASE = dt.datetime(2006, 6, 17, 16, 1, 21)      # a Saturday


def make(fake_time, irqs, base=BASE) -> CMOS:
    return CMOS(fake_time.clock, irqs.line(8), base)


def rd(c: CMOS, index: int) -> int:
    c.io_write(0x70, 1, index)
    return c.io_read(0x71, 1)


def wr(c: CMOS, index: int, value: int) -> None:
    c.io_write(0x70, 1, index)
    c.io_write(0x71, 1, value)


def time_regs(c: CMOS) -> list[int]:
    return [rd(c, i) for i in (0, 2, 4, 6, 7, 8, 9, 0x32)]


# --- time and date registers ---------------------------------------------------------------
def test_bcd_read_of_base_time(fake_time, irqs):
    c = make(fake_time, irqs)
    # sec, min, hour, day of week (Saturday = 7, Sunday = 1), date, month, year, century
    assert time_regs(c) == [0x21, 0x01, 0x16, 0x07, 0x17, 0x06, 0x06, 0x20]
    assert rd(c, 0x0D) == 0x80                           # VRT
    assert rd(c, 0x0A) == 0x26 and rd(c, 0x0B) == 0x02   # 32.768 kHz, 1024 Hz; BCD 24 h


def test_binary_mode(fake_time, irqs):
    c = make(fake_time, irqs)
    wr(c, 0x0B, 0x06)                                    # DM = 1: binary
    assert time_regs(c) == [21, 1, 16, 7, 17, 6, 6, 0x20]   # century stays BCD


def test_12_hour_mode_pm_bit(fake_time, irqs):
    c = make(fake_time, irqs, dt.datetime(2020, 1, 1, 15, 4, 5))
    wr(c, 0x0B, 0x00)                                    # 12-hour, BCD
    assert rd(c, 4) == 0x83                              # 3 PM
    wr(c, 0x0B, 0x04)                                    # 12-hour, binary
    assert rd(c, 4) == 0x83
    wr(c, 0x0B, 0x80)                                    # SET, 12-hour BCD
    wr(c, 4, 0x12)                                       # 12 AM = 00 h
    wr(c, 0x0B, 0x82)
    assert rd(c, 4) == 0x00
    wr(c, 0x0B, 0x80)
    wr(c, 4, 0x92)                                       # 12 PM = noon
    wr(c, 0x0B, 0x82)
    assert rd(c, 4) == 0x12
    wr(c, 0x0B, 0x80)
    wr(c, 4, 0x11)                                       # 11 AM
    assert rd(c, 4) == 0x11
    wr(c, 0x0B, 0x86)                                    # 24-hour binary
    assert rd(c, 4) == 11
    wr(c, 4, 23)
    wr(c, 0x0B, 0x80)
    assert rd(c, 4) == 0x91                              # 11 PM


def test_time_advances_with_virtual_time(fake_time, irqs):
    c = make(fake_time, irqs)
    fake_time.advance(SEC - 1)
    assert rd(c, 0) == 0x21
    fake_time.advance(1)
    assert rd(c, 0) == 0x22
    fake_time.advance(60 * SEC)
    assert time_regs(c)[:3] == [0x22, 0x02, 0x16]        # 16:02:22
    fake_time.advance(8 * 3600 * SEC)                    # past midnight: Sunday 18 June
    assert time_regs(c) == [0x22, 0x02, 0x00, 0x01, 0x18, 0x06, 0x06, 0x20]


def test_fraction_of_base_second_is_kept(fake_time, irqs):
    c = make(fake_time, irqs, BASE.replace(microsecond=300_000))
    fake_time.advance(700 * MS - 1)
    assert rd(c, 0) == 0x21
    fake_time.advance(1)
    assert rd(c, 0) == 0x22


def test_uip_window(fake_time, irqs):
    c = make(fake_time, irqs)
    fake_time.advance(SEC - 244 * US - 1)
    assert rd(c, 0x0A) & 0x80 == 0
    fake_time.advance(1)
    assert rd(c, 0x0A) == 0xA6                           # UIP: the update comes within 244 us
    assert rd(c, 0) == 0x21                              # not updated yet
    fake_time.advance(244 * US - 1)
    assert rd(c, 0x0A) & 0x80
    fake_time.advance(1)
    assert rd(c, 0x0A) == 0x26 and rd(c, 0) == 0x22
    # SET = 1 inhibits updates and clears UIP
    fake_time.advance(SEC - 100 * US)
    wr(c, 0x0B, 0x82)
    assert rd(c, 0x0A) & 0x80 == 0


def test_set_bit_freezes_and_written_time_runs_on(fake_time, irqs):
    c = make(fake_time, irqs)
    wr(c, 0x0B, 0x82)                                    # SET
    for index, value in ((0, 0x58), (2, 0x59), (4, 0x23), (6, 0x06), (7, 0x31), (8, 0x12),
                         (9, 0x99), (0x32, 0x19)):
        wr(c, index, value)
    fake_time.advance(5 * SEC)
    assert time_regs(c) == [0x58, 0x59, 0x23, 0x06, 0x31, 0x12, 0x99, 0x19]   # frozen
    wr(c, 0x0B, 0x02)                                    # clear SET: runs from the written value
    fake_time.advance(2 * SEC)
    # 2000-01-01 00:00:00, Saturday (7)
    assert time_regs(c) == [0x00, 0x00, 0x00, 0x07, 0x01, 0x01, 0x00, 0x20]
    assert c.guest_time() == dt.datetime(2000, 1, 1)


def test_date_written_before_month_is_kept(fake_time, irqs):
    c = make(fake_time, irqs, dt.datetime(2021, 2, 10))
    wr(c, 0x0B, 0x82)
    wr(c, 7, 0x31)                                       # 31 February, for now
    wr(c, 8, 0x03)
    assert rd(c, 7) == 0x31 and rd(c, 8) == 0x03
    wr(c, 0x0B, 0x02)
    fake_time.advance(2 * SEC)
    assert rd(c, 7) == 0x31 and rd(c, 8) == 0x03 and rd(c, 0) == 0x02


def test_write_while_running_keeps_phase(fake_time, irqs):
    c = make(fake_time, irqs)
    fake_time.advance(500 * MS)
    wr(c, 0, 0x40)
    fake_time.advance(500 * MS - 1)
    assert rd(c, 0) == 0x40
    fake_time.advance(1)
    assert rd(c, 0) == 0x41


def test_invalid_time_values_do_not_crash(fake_time, irqs):
    c = make(fake_time, irqs)
    wr(c, 0, 0x75)                                       # out of range, valid BCD: reads back
    assert rd(c, 0) == 0x75
    for index in (0, 2, 4, 6, 7, 8, 9, 0x32):
        wr(c, index, 0xFF)
    fake_time.advance(3 * SEC)
    regs = time_regs(c)
    assert all(0 <= r <= 0xFF for r in regs)
    assert rd(c, 0) == 0x02                              # clamped to :59, then advanced 3 s
    wr(c, 0x0B, 0x06)                                    # binary: raw values read back
    wr(c, 0, 0xEE)
    assert rd(c, 0) == 0xEE


def test_divider_reset_holds_and_release_delays_half_second(fake_time, irqs):
    c = make(fake_time, irqs)
    wr(c, 0x0A, 0x76)                                    # DV = 111: divider in reset
    fake_time.advance(10 * SEC)
    assert rd(c, 0) == 0x21
    assert rd(c, 0x0A) == 0x76
    fake_time.advance(123 * MS)
    wr(c, 0x0A, 0x26)                                    # release
    fake_time.advance(500 * MS - 1)
    assert rd(c, 0) == 0x21
    fake_time.advance(1)
    assert rd(c, 0) == 0x22
    fake_time.advance(SEC)
    assert rd(c, 0) == 0x23


# --- interrupts -----------------------------------------------------------------------------
def run_isr(fake_time, c: CMOS, irqs, duration: int) -> list[int]:
    """Advance ``duration`` ns; read register C (an IRQ8 handler) whenever IRQ8 is high."""
    seen = []
    end = fake_time.clock.now + duration
    while True:
        d = fake_time.clock.next_deadline()
        if d is None or d > end:
            break
        fake_time.advance(d - fake_time.clock.now)
        if irqs.levels.get(8):
            seen.append(rd(c, 0x0C))
            assert irqs.levels[8] == 0
    fake_time.advance(end - fake_time.clock.now)
    return seen


@pytest.mark.parametrize(("rs", "hz"), [(1, 256), (2, 128), (3, 8192), (6, 1024), (15, 2)])
def test_periodic_interrupt_rate(fake_time, irqs, rs, hz):
    c = make(fake_time, irqs)
    wr(c, 0x0A, 0x20 | rs)
    wr(c, 0x0B, 0x42)                                    # PIE
    seen = run_isr(fake_time, c, irqs, SEC)
    assert len(seen) == hz
    assert all(v & 0xE0 == 0xC0 for v in seen)           # IRQF + PF (UF too at the 1 s update)
    assert irqs.rising_edges(8) == hz


def test_periodic_flag_polled_without_pie_uses_no_timer(fake_time, irqs):
    c = make(fake_time, irqs)
    wr(c, 0x0A, 0x23)                                    # 8192 Hz
    assert fake_time.clock.next_deadline() is None
    fake_time.advance(100 * US)
    assert rd(c, 0x0C) == 0x00                           # first edge at 122.07 us
    fake_time.advance(30 * US)
    assert rd(c, 0x0C) == 0x40                           # PF, no IRQF
    assert rd(c, 0x0C) == 0x00
    assert irqs.rising_edges(8) == 0
    wr(c, 0x0A, 0x20)                                    # RS = 0: no PF
    fake_time.advance(SEC)
    assert rd(c, 0x0C) & 0x40 == 0


def test_enabling_pie_with_pf_pending_raises_irq(fake_time, irqs):
    c = make(fake_time, irqs)
    fake_time.advance(10 * MS)                           # 1024 Hz edges have set PF
    wr(c, 0x0B, 0x42)
    assert irqs.levels[8] == 1
    wr(c, 0x0B, 0x02)                                    # IRQF = PF.PIE + ...: disabling lowers it
    assert irqs.levels[8] == 0
    assert rd(c, 0x0C) == 0x40


def test_update_ended_interrupt_once_per_second(fake_time, irqs):
    c = make(fake_time, irqs)
    wr(c, 0x0A, 0x20)                                    # RS = 0: no PF
    wr(c, 0x0B, 0x12)                                    # UIE
    times = []
    for _ in range(3):
        d = fake_time.clock.next_deadline()
        fake_time.advance(d - fake_time.clock.now)
        assert irqs.levels[8] == 1
        times.append(fake_time.clock.now)
        assert rd(c, 0x0C) == 0x90                       # IRQF + UF
    assert times == [SEC, 2 * SEC, 3 * SEC]
    assert rd(c, 0) == 0x24
    seen = run_isr(fake_time, c, irqs, 10 * SEC)
    assert len(seen) == 10


def test_uf_polled_without_uie(fake_time, irqs):
    c = make(fake_time, irqs)
    fake_time.advance(SEC // 2)
    assert rd(c, 0x0C) & 0x10 == 0
    fake_time.advance(SEC // 2)
    assert rd(c, 0x0C) & 0x10
    assert irqs.rising_edges(8) == 0


def test_set_bit_clears_uie(fake_time, irqs):
    c = make(fake_time, irqs)
    wr(c, 0x0B, 0x12)
    wr(c, 0x0B, 0x92)
    assert rd(c, 0x0B) == 0x82


def test_alarm_fires_at_the_right_second(fake_time, irqs):
    c = make(fake_time, irqs)                            # 16:01:21
    wr(c, 1, 0x25)
    wr(c, 3, 0x01)
    wr(c, 5, 0x16)
    wr(c, 0x0B, 0x22)                                    # AIE
    assert fake_time.clock.next_deadline() == 4 * SEC
    fake_time.advance(4 * SEC - 1)
    assert irqs.levels.get(8, 0) == 0
    fake_time.advance(1)
    assert irqs.levels[8] == 1 and rd(c, 0) == 0x25
    assert rd(c, 0x0C) == 0xF0                           # IRQF, PF (1024 Hz), AF, UF
    # next match is a day later
    assert fake_time.clock.next_deadline() == 4 * SEC + 86400 * SEC


def test_alarm_dont_care_bytes(fake_time, irqs):
    c = make(fake_time, irqs)                            # 16:01:21
    wr(c, 1, 0x30)
    wr(c, 3, 0xC0)                                       # any minute
    wr(c, 5, 0xFF)                                       # any hour
    wr(c, 0x0B, 0x22)
    seen = []
    for _ in range(3):
        d = fake_time.clock.next_deadline()
        fake_time.advance(d - fake_time.clock.now)
        seen.append((fake_time.clock.now // SEC, rd(c, 2), rd(c, 0)))
        assert rd(c, 0x0C) & 0xA0 == 0xA0
    assert seen == [(9, 0x01, 0x30), (69, 0x02, 0x30), (129, 0x03, 0x30)]
    # all three don't care: every second
    wr(c, 1, 0xC5)
    seen = run_isr(fake_time, c, irqs, 5 * SEC)
    assert len(seen) == 5


def test_alarm_flag_polled_lazily_and_12_hour_compare(fake_time, irqs):
    c = make(fake_time, irqs)                            # 16:01:21
    wr(c, 0x0B, 0x00)                                    # 12-hour BCD
    wr(c, 1, 0x00)
    wr(c, 3, 0x02)
    wr(c, 5, 0x84)                                       # 4 PM
    assert fake_time.clock.next_deadline() is None       # AIE off: no timer
    fake_time.advance(38 * SEC)                          # 16:01:59
    assert rd(c, 0x0C) & 0x20 == 0
    fake_time.advance(30 * SEC)                          # passed 16:02:00 in between
    assert rd(c, 0x0C) & 0x20
    wr(c, 5, 0x04)                                       # 4 AM never matches this afternoon
    fake_time.advance(3600 * SEC)
    assert rd(c, 0x0C) & 0x20 == 0


def test_register_c_read_clears_flags_and_lowers_irq(fake_time, irqs):
    c = make(fake_time, irqs)
    wr(c, 0x0B, 0x52)                                    # PIE + UIE
    fake_time.advance(SEC)
    assert irqs.levels[8] == 1
    assert rd(c, 0x0C) == 0xD0                           # IRQF, PF, UF
    assert irqs.levels[8] == 0
    assert rd(c, 0x0C) == 0x00
    assert c.get_byte(0x0C) == 0x00
    fake_time.advance(2 * MS)
    assert c.get_byte(0x0C) == 0xC0                      # get_byte does not clear
    assert c.get_byte(0x0C) == 0xC0
    wr(c, 0x0C, 0x00)                                    # read-only
    wr(c, 0x0D, 0x00)
    assert rd(c, 0x0D) == 0x80
    assert rd(c, 0x0C) == 0xC0 and irqs.levels[8] == 0


def test_reset_clears_enables_and_flags(fake_time, irqs):
    c = make(fake_time, irqs)
    wr(c, 0x0B, 0x5A)                                    # PIE, UIE, SQWE, 24 h
    fake_time.advance(SEC)
    assert irqs.levels[8] == 1
    c.io_write(0x70, 1, 0x8E)
    c.reset()
    assert irqs.levels[8] == 0
    assert rd(c, 0x0B) == 0x02 and rd(c, 0x0C) == 0
    assert not c.nmi_masked
    assert rd(c, 0) == 0x22                              # time kept
    assert fake_time.clock.next_deadline() is None


# --- ports, RAM and the AT layout -------------------------------------------------------------
def test_nmi_mask_and_index(fake_time, irqs):
    c = make(fake_time, irqs)
    assert not c.nmi_masked
    c.io_write(0x70, 1, 0x8F)
    assert c.nmi_masked
    c.io_write(0x71, 1, 0x0A)                            # shutdown byte 0Fh
    assert c.get_byte(0x0F) == 0x0A
    c.io_write(0x70, 1, 0x0F)
    assert not c.nmi_masked
    assert c.io_read(0x71, 1) == 0x0A
    assert c.io_read(0x70, 1) == 0xFF                    # write-only
    wr(c, 0x7F, 0x5A)
    assert rd(c, 0xFF) == 0x5A                           # index is 7 bits
    assert c.port_ranges() == [(0x70, 2)]


@pytest.mark.parametrize(("mib", "ext", "high"), [(32, 0x7C00, 0x0100), (256, 0xFFFF, 0x0F00)])
def test_memory_size_bytes(fake_time, irqs, mib, ext, high):
    c = make(fake_time, irqs)
    c.set_memory_size(mib << 20)
    word = lambda lo: c.get_byte(lo) | c.get_byte(lo + 1) << 8  # noqa: E731
    assert word(0x15) == 640
    assert word(0x17) == ext and word(0x30) == ext
    assert word(0x34) == high


def test_small_memory(fake_time, irqs):
    c = make(fake_time, irqs)
    c.set_memory_size(512 << 10)
    assert (c.get_byte(0x15), c.get_byte(0x16), c.get_byte(0x17), c.get_byte(0x34)) == (0x00, 0x02, 0, 0)


def test_floppy_hard_disk_equipment_and_checksum(fake_time, irqs):
    c = make(fake_time, irqs)
    assert c.get_byte(0x0E) == 0 and c.get_byte(0x0F) == 0
    c.set_floppy_types(4, 0)
    assert c.get_byte(0x10) == 0x40 and c.get_byte(0x14) == 0x01
    c.set_floppy_types(4, 5)
    assert c.get_byte(0x10) == 0x45 and c.get_byte(0x14) == 0x41
    c.set_equipment(display=0, coprocessor=True)
    assert c.get_byte(0x14) == 0x43
    c.set_floppy_types(0, 0)
    assert c.get_byte(0x14) == 0x02
    with pytest.raises(ValueError):
        c.set_floppy_types(6, 0)
    c.set_hard_disk_types(47, 2)
    assert (c.get_byte(0x12), c.get_byte(0x19), c.get_byte(0x1A)) == (0xF2, 47, 0)
    with pytest.raises(ValueError):
        c.set_hard_disk_types(15)
    c.set_memory_size(32 << 20)
    c.update_checksum()
    total = sum(c.get_byte(i) for i in range(0x10, 0x2E))
    assert total == 0x02 + 0xF2 + 47 + 0x80 + 0x02 + 0x7C
    assert c.get_byte(0x2E) == total >> 8 and c.get_byte(0x2F) == total & 0xFF
    c.set_byte(0x2D, 0x10)
    c.update_checksum()
    assert c.get_byte(0x2E) << 8 | c.get_byte(0x2F) == total + 0x10
    c.set_byte(0, 0x45)                                  # set_byte on a time byte sets the clock
    assert rd(c, 0) == 0x45
    with pytest.raises(ValueError):
        c.set_byte(0x80, 0)


# --- -rtc base= -------------------------------------------------------------------------------
def test_parse_rtc_base():
    assert parse_rtc_base("utc") is None
    assert parse_rtc_base("2006-06-17T16:01:21") == dt.datetime(2006, 6, 17, 16, 1, 21)
    assert parse_rtc_base("2006-06-17") == dt.datetime(2006, 6, 17)
    local = parse_rtc_base("localtime")
    assert isinstance(local, dt.datetime) and local.tzinfo is None
    for bad in ("", "UTC", "2006-13-01", "2006-02-30", "2006-6-17", "17/06/2006", "2006-06-17T25:00:00",
                "2006-06-17 16:01:21", "now"):
        with pytest.raises(ValueError, match="RTC base"):
            parse_rtc_base(bad)


def test_default_base_is_host_utc(fake_time, irqs):
    before = dt.datetime.now(dt.UTC).replace(tzinfo=None, microsecond=0)
    c = CMOS(fake_time.clock, irqs.line(8))
    after = dt.datetime.now(dt.UTC).replace(tzinfo=None)
    assert before <= c.guest_time() <= after


# --- save / restore ---------------------------------------------------------------------------
def test_save_restore_round_trip(irqs):
    from tests.devices.conftest import FakeTime, IrqRecorder

    ft1 = FakeTime()
    c1 = CMOS(ft1.clock, irqs.line(8), BASE)
    wr(c1, 0x0A, 0x25)                                   # 2048 Hz
    wr(c1, 1, 0x30)
    wr(c1, 3, 0xC0)
    wr(c1, 5, 0xC0)
    wr(c1, 0x0B, 0x76)                                   # PIE, AIE, UIE, binary
    wr(c1, 0x40, 0x99)
    c1.io_write(0x70, 1, 0x8C)
    ft1.advance(1234567)
    rd(c1, 0x0C)                                         # acknowledge: IRQ low, timer armed
    clock_state, dev_state = ft1.clock.save_state(), c1.save_state()

    ft2, irqs2 = FakeTime(), IrqRecorder()
    c2 = CMOS(ft2.clock, irqs2.line(8), dt.datetime(1990, 1, 1))
    ft2.icount = ft1.icount
    ft2.clock.load_state(clock_state)
    c2.load_state(dev_state, CMOS.STATE_VERSION)
    assert c2.index == 0x0C

    def trace(ft, c, rec):
        out = []
        for _ in range(400):
            d = ft.clock.next_deadline()
            ft.advance(d - ft.clock.now)
            out.append((ft.clock.now, rd(c, 0x0C), rd(c, 0x0A), rd(c, 0), rd(c, 2), rd(c, 0x40)))
        ft.advance(40 * SEC)
        out.append((rd(c, 0x0C), time_regs(c)))
        return out

    assert trace(ft1, c1, irqs) == trace(ft2, c2, irqs2)


# --- robustness -------------------------------------------------------------------------------
def test_fuzz_ports_never_raise(fake_time, irqs):
    rng = random.Random(146818)
    c = make(fake_time, irqs)
    interesting = list(range(0x0E)) + [0x32, 0x0E, 0x0F, 0x7F]
    for _ in range(6000):
        op = rng.random()
        if op < 0.25:
            c.io_write(0x70, 1, rng.choice(interesting) | rng.choice((0, 0x80)) if rng.random() < 0.8
                       else rng.randrange(256))
        elif op < 0.55:
            c.io_write(0x71, 1, rng.randrange(256))
        elif op < 0.85:
            assert 0 <= c.io_read(rng.choice((0x70, 0x71)), 1) <= 0xFF
        else:
            fake_time.advance(rng.choice((1, 1000, 100 * US, 300 * MS, 3 * SEC, 40_000 * SEC)))
        if rng.random() < 0.01:
            c.reset()
    for index in range(128):
        assert 0 <= c.get_byte(index) <= 0xFF
    c.guest_time()
