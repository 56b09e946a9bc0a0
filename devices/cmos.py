"""The AT CMOS RAM and real-time clock: a Motorola MC146818A behind ports 70h/71h.

References: Motorola *MC146818A Real-Time Clock Plus RAM (RTC)* data sheet,
cited as [RTC] with the section name; IBM *Personal Computer AT Technical
Reference*, "CMOS RAM Address Map" and "Real-Time Clock Information", cited
as [AT].

Ports ([AT] "Real-Time Clock Information"): a write to 70h selects the byte
(bits 6-0; 128 bytes here) and latches bit 7, the NMI mask
(:attr:`CMOS.nmi_masked`); 71h reads or writes the selected byte.  Port 70h is
write-only on the AT: reading it returns FFh.

Time model.  The clock is derived from virtual time, so it is deterministic:
the guest time is ``base_time`` plus the virtual time elapsed since
construction, counted by once-per-second update cycles.  The chip's
counters are kept in binary, 24-hour form (``tm``: seconds, minutes,
hours, day of week, date, month, year, century) and converted to the format
that register B selects (DM, 24/12) on every access; the real chip would keep
bytes in the format in force when they were written (changing DM or 24/12
does not convert them there).  Everything periodic is computed lazily from
``clock.now`` and the divider phase ``chain_ref_ns`` (the virtual time at
which the 15-stage divider chain was at zero): update cycles happen at
``chain_ref_ns + k`` seconds, periodic-interrupt edges at multiples of the
selected period.  Each register access first brings the flags and the time
counters up to date (:meth:`CMOS._sync`), so register C shows PF/UF/AF
correctly even with interrupts disabled.  A single clock timer
(``cmos.irq``) is armed only while an enabled interrupt could next raise
IRQF and IRQF is clear, so nothing runs per periodic tick unless PIE is set
and the guest acknowledges each interrupt.

Modelling choices:

* UIP reads 1 during the 244 us before each update ([RTC] Register A, Table
  "Update Cycle Times", tBUC); the update itself (tUC) takes no time: the
  registers change, UF is set and the alarm is compared at the instant UIP
  falls.  SET = 1 or a stopped divider reads UIP = 0.
* Only DV2-0 = 010 (32.768 kHz time base) runs the divider; any other value
  stops it (11x is the documented reset; the 4.19/1.05 MHz and test settings
  would be wrong for the AT's 32.768 kHz crystal).  Moving to 010 from any
  other value releases the chain: the first update comes 500 ms later
  ([RTC] Register A, DV2-0), the first periodic edge one period later.
* Counters written with out-of-range values read back as written (binary; a
  non-BCD digit pair in BCD mode is decoded as ``10*high + low``).  At the
  next update they are first clamped into range (seconds 59, date to the end
  of the month, ...) and then advanced: the data sheet leaves this undefined.
* The calendar is Gregorian over the full year ``100 * century + year``
  (the chip's own rule is "every year divisible by 4"; they agree in
  1901-2099).  The century byte 32h ([AT]) is part of the counters and is
  always BCD, so it advances when the year wraps from 99 to 00 (the real chip
  has no century; the AT BIOS keeps 32h in software).
* DSE (daylight saving) and SQWE (the square-wave pin, unconnected on the AT)
  are stored only.
* :meth:`CMOS.reset` models the [RTC] RESET pin: PIE, AIE, UIE, SQWE and the
  register C flags clear, the time, RAM and registers A/B otherwise stay; the
  index latch returns to 0 and the NMI mask latch to 0 (NMI enabled).

Not modelled: the second 128-byte bank (ports 72h/73h), the square-wave
output, daylight-saving updates, the 4.194304/1.048576 MHz time bases.
"""

from __future__ import annotations

import datetime as _dt
import re
from bisect import bisect_left
from functools import lru_cache
from typing import ClassVar

from emulator.clock import NS_PER_SEC, Clock

from .base import Device, IrqLine

# --- register numbers ([RTC] "Address Map") ---------------------------------------------
REG_SECONDS, REG_SEC_ALARM, REG_MINUTES, REG_MIN_ALARM = 0x00, 0x01, 0x02, 0x03
REG_HOURS, REG_HOUR_ALARM, REG_DAY_OF_WEEK, REG_DATE = 0x04, 0x05, 0x06, 0x07
REG_MONTH, REG_YEAR = 0x08, 0x09
REG_A, REG_B, REG_C, REG_D = 0x0A, 0x0B, 0x0C, 0x0D

# --- [AT] "CMOS RAM Address Map" ------------------------------------------------------------
DIAG_STATUS = 0x0E        # diagnostic status byte
SHUTDOWN_STATUS = 0x0F    # shutdown status byte
FLOPPY_TYPES = 0x10       # diskette drive types: A in bits 7-4, B in bits 3-0
HD_TYPES = 0x12           # fixed disk types: C in bits 7-4, D in bits 3-0 (Fh: see 19h/1Ah)
EQUIPMENT = 0x14          # equipment byte
BASE_MEM_LO, BASE_MEM_HI = 0x15, 0x16
EXT_MEM_LO, EXT_MEM_HI = 0x17, 0x18
HD_EXT_TYPE_C, HD_EXT_TYPE_D = 0x19, 0x1A
CHECKSUM_HI, CHECKSUM_LO = 0x2E, 0x2F      # sum of 10h-2Dh, high byte first
CHECKSUM_FIRST, CHECKSUM_LAST = 0x10, 0x2D
POST_EXT_MEM_LO, POST_EXT_MEM_HI = 0x30, 0x31
CENTURY = 0x32            # century, BCD
HIGH_MEM_LO, HIGH_MEM_HI = 0x34, 0x35      # memory above 16 MiB in 64 KiB blocks (AMI/QEMU use)

#: floppy drive types ([AT] byte 10h; 3-5 are the later PS/2 additions)
FLOPPY_NONE, FLOPPY_360K, FLOPPY_1M2, FLOPPY_720K, FLOPPY_1M44, FLOPPY_2M88 = range(6)
#: fixed disk type 47: the user-defined geometry type of AT-compatible BIOS setups
HD_TYPE_USER = 47

# register A
A_UIP = 0x80
A_DV_MASK = 0x70
A_DV_32K = 0x20           # DV2-0 = 010: 32.768 kHz time base, divider running
A_RS_MASK = 0x0F
# register B
B_SET, B_PIE, B_AIE, B_UIE = 0x80, 0x40, 0x20, 0x10
B_SQWE, B_DM, B_24H, B_DSE = 0x08, 0x04, 0x02, 0x01
# register C
C_IRQF, C_PF, C_AF, C_UF = 0x80, 0x40, 0x20, 0x10
# register D
D_VRT = 0x80

#: UIP rises this long before each update ([RTC] Table "Update Cycle Times", tBUC)
UIP_LEAD_NS = 244_000
#: the first update after the divider leaves reset comes half a second later ([RTC] Register A)
RELEASE_DELAY_NS = NS_PER_SEC // 2
#: the 32.768 kHz time base
XTAL_HZ = 32768

# tm[] slots: the chip's time counters in binary, 24-hour form
TM_SEC, TM_MIN, TM_HOUR, TM_DOW, TM_DAY, TM_MON, TM_YEAR, TM_CENT = range(8)
_TM_OF_REG = {REG_SECONDS: TM_SEC, REG_MINUTES: TM_MIN, REG_HOURS: TM_HOUR, REG_DAY_OF_WEEK: TM_DOW,
              REG_DATE: TM_DAY, REG_MONTH: TM_MON, REG_YEAR: TM_YEAR, CENTURY: TM_CENT}
_ALARM_REGS = (REG_SEC_ALARM, REG_MIN_ALARM, REG_HOUR_ALARM)

_SECS_PER_DAY = 86400
_MIN_DAY = _dt.date.min.toordinal()
_DAY_SPAN = _dt.date.max.toordinal() - _MIN_DAY + 1


# --- BCD / binary conversion ([RTC] "Time, Calendar and Alarm Locations", Table 3) ---------
def _encode(value: int, binary: bool) -> int:
    """A counter value as the chip presents it: binary, or two BCD digits."""
    if binary:
        return value & 0xFF
    return ((value // 10) % 16) << 4 | value % 10


def _decode(byte: int, binary: bool) -> int:
    """A written byte as a counter value (a non-BCD digit pair decodes as 10*high + low)."""
    return byte if binary else (byte >> 4) * 10 + (byte & 0x0F)


def _encode_hour(hour: int, binary: bool, h24: bool) -> int:
    """[RTC] Table 3: 24-hour 0-23, or 12-hour 1-12 with bit 7 = PM."""
    if h24:
        return _encode(hour, binary)
    pm = hour % 24 >= 12
    return (_encode(hour % 12 or 12, binary) & 0x7F) | (0x80 if pm else 0)


def _decode_hour(byte: int, binary: bool, h24: bool) -> int:
    if h24:
        return _decode(byte, binary)
    return _decode(byte & 0x7F, binary) % 12 + (12 if byte & 0x80 else 0)


@lru_cache(maxsize=64)
def _alarm_sets(a_sec: int, a_min: int, a_hour: int, binary: bool,
                h24: bool) -> tuple[tuple[int, ...], tuple[int, ...], tuple[int, ...]]:
    """The hours, minutes and seconds an alarm setting matches.

    [RTC] "Alarm": an alarm byte with its two high bits set (C0h-FFh) is a
    "don't care" code that matches every value; otherwise the byte is
    compared with the time byte as presented in the current format.
    """
    def matching(alarm: int, count: int, enc) -> tuple[int, ...]:
        if alarm & 0xC0 == 0xC0:
            return tuple(range(count))
        return tuple(v for v in range(count) if enc(v) == alarm)

    return (matching(a_hour, 24, lambda h: _encode_hour(h, binary, h24)),
            matching(a_min, 60, lambda m: _encode(m, binary)),
            matching(a_sec, 60, lambda s: _encode(s, binary)))


def _next_in(seq: tuple[int, ...], x: int) -> int | None:
    i = bisect_left(seq, x)
    return seq[i] if i < len(seq) else None


def _alarm_distance(sets: tuple[tuple[int, ...], ...], tod: int) -> int | None:
    """Seconds from time of day ``tod`` to the first time of day (>= tod, cyclic) the alarm matches."""
    hours, minutes, seconds = sets
    if not (hours and minutes and seconds):
        return None
    h0, rest = divmod(tod, 3600)
    m0, s0 = divmod(rest, 60)
    found: tuple[int, int, int] | None = None
    if h0 in hours:
        if m0 in minutes and (s := _next_in(seconds, s0)) is not None:
            found = (h0, m0, s)
        elif (m := _next_in(minutes, m0 + 1)) is not None:
            found = (h0, m, seconds[0])
    if found is None and (h := _next_in(hours, h0 + 1)) is not None:
        found = (h, minutes[0], seconds[0])
    if found is None:
        return _SECS_PER_DAY - tod + hours[0] * 3600 + minutes[0] * 60 + seconds[0]
    return found[0] * 3600 + found[1] * 60 + found[2] - tod


# --- the counters as a calendar ----------------------------------------------------------------
def _days_in_month(year: int, month: int) -> int:
    if month == 2:
        leap = year % 4 == 0 and (year % 100 != 0 or year % 400 == 0)
        return 29 if leap else 28
    return 30 if month in (4, 6, 9, 11) else 31


def _tm_to_seconds(tm: list[int]) -> int:
    """The counters clamped into range, as seconds since 0001-01-01 00:00:00."""
    year = max(1, min(tm[TM_CENT], 99) * 100 + min(tm[TM_YEAR], 99))
    month = max(1, min(tm[TM_MON], 12))
    day = max(1, min(tm[TM_DAY], _days_in_month(year, month)))
    days = _dt.date(year, month, day).toordinal()
    return days * _SECS_PER_DAY + min(tm[TM_HOUR], 23) * 3600 + min(tm[TM_MIN], 59) * 60 \
        + min(tm[TM_SEC], 59)


def _tm_from_seconds(total: int, dow: int) -> list[int]:
    days, tod = divmod(total, _SECS_PER_DAY)
    date = _dt.date.fromordinal(days)
    hour, rest = divmod(tod, 3600)
    return [rest % 60, rest // 60, hour, dow, date.day, date.month, date.year % 100, date.year // 100]


def _advance_tm(tm: list[int], seconds: int) -> list[int]:
    """The counters after ``seconds`` update cycles ([RTC] "Update Cycle")."""
    if seconds <= 0:
        return list(tm)
    start = _tm_to_seconds(tm)
    total = start + seconds
    days = total // _SECS_PER_DAY
    if days > _dt.date.max.toordinal():          # past 9999-12-31: wrap to year 1
        days = (days - _MIN_DAY) % _DAY_SPAN + _MIN_DAY
        total = days * _SECS_PER_DAY + total % _SECS_PER_DAY
    dow = (tm[TM_DOW] - 1 + days - start // _SECS_PER_DAY) % 7 + 1
    return _tm_from_seconds(total, dow)


def _tm_from_datetime(when: _dt.datetime) -> list[int]:
    """Counters for ``when`` (day of week 1 = Sunday, [RTC] Table 3)."""
    return [when.second, when.minute, when.hour, when.isoweekday() % 7 + 1, when.day, when.month,
            when.year % 100, when.year // 100]


# --- -rtc base= ---------------------------------------------------------------------------------
_DATE_RE = re.compile(r"(\d{4})-(\d{2})-(\d{2})(?:T(\d{2}):(\d{2}):(\d{2}))?")


def parse_rtc_base(text: str) -> _dt.datetime | None:
    """QEMU's ``-rtc base=`` value: ``utc``, ``localtime``, ``YYYY-MM-DD`` or ``YYYY-MM-DDTHH:MM:SS``.

    ``utc`` returns None (the :class:`CMOS` default: host UTC time when the
    machine is built); ``localtime`` returns the host's local time now; a date
    returns that date (midnight when no time is given).  Raises ValueError.
    """
    if text == "utc":
        return None
    if text == "localtime":
        return _dt.datetime.now().replace(microsecond=0)
    m = _DATE_RE.fullmatch(text)
    if m is None:
        raise ValueError(f"bad RTC base {text!r}: use utc, localtime, YYYY-MM-DD or YYYY-MM-DDTHH:MM:SS")
    fields = [int(g) for g in m.groups() if g is not None]
    try:
        return _dt.datetime(*fields)
    except ValueError as e:
        raise ValueError(f"bad RTC base {text!r}: {e}") from None


class CMOS(Device):
    """MC146818A RTC + 128 bytes of CMOS RAM at ports 70h/71h, IRQ8.

    ``clock`` supplies virtual time and the timer; ``irq8`` is held high while
    register C's IRQF is set ([RTC] "IRQ"); ``base_time`` is the guest time at
    construction (None: the host's UTC time now, the only host clock read).
    """

    NAME = "cmos"
    STATE_VERSION = 1
    STATE_FIELDS = ("index", "nmi_mask", "ram", "reg_a", "reg_b", "reg_c", "tm",
                    "sync_ns", "chain_ref_ns")
    IO_WIDTHS: ClassVar[tuple[int, ...]] = (1,)

    def __init__(self, clock: Clock, irq8: IrqLine, base_time: _dt.datetime | None = None) -> None:
        self.clock = clock
        self.irq = irq8
        self._timer = clock.timer(f"{self.NAME}.irq", self._on_timer)
        if base_time is None:
            base_time = _dt.datetime.now(_dt.UTC)
        base_time = base_time.replace(tzinfo=None)
        now = clock.now
        self.index = 0                     # port 70h bits 6-0
        self.nmi_mask = False              # port 70h bit 7
        self.ram = [0] * 128               # bytes 0Eh-7Fh and the alarm bytes 1, 3, 5
        self.reg_a = A_DV_32K | 0x06       # the AT BIOS setting: 32.768 kHz, 1024 Hz rate
        self.reg_b = B_24H                 # BCD, 24-hour, no interrupts
        self.reg_c = 0                     # PF/AF/UF (IRQF is computed)
        self.tm = _tm_from_datetime(base_time)
        self.sync_ns = now                 # flags and tm are up to date at this virtual time
        # the fraction of a second in base_time has already elapsed on the divider
        self.chain_ref_ns = now - base_time.microsecond * 1000
        self.update_checksum()

    # --- NMI mask / wiring -------------------------------------------------------------------------
    @property
    def nmi_masked(self) -> bool:
        """Port 70h bit 7 as last written: True = NMI disabled ([AT] "Real-Time Clock Information")."""
        return self.nmi_mask

    def port_ranges(self) -> list[tuple[int, int]]:
        return [(0x70, 2)]

    def reset(self) -> None:
        """[RTC] "RESET": clears PIE, AIE, UIE, SQWE and the register C flags; time and RAM stay."""
        self._sync(self.clock.now)
        self.reg_b &= ~(B_PIE | B_AIE | B_UIE | B_SQWE)
        self.reg_c = 0
        self.index = 0
        self.nmi_mask = False
        self._update_irq()

    # --- ports -------------------------------------------------------------------------------------
    def io_read(self, port: int, size: int) -> int:
        """71h reads the selected byte; 70h is write-only on the AT and reads FFh."""
        if port == 0x71:
            return self._read(self.index, clear_c=True)
        return 0xFF

    def io_write(self, port: int, size: int, value: int) -> None:
        """70h: bit 7 NMI mask, bits 6-0 index; 71h: write the selected byte."""
        value &= 0xFF
        if port == 0x70:
            self.nmi_mask = bool(value & 0x80)
            self.index = value & 0x7F
        elif port == 0x71:
            self._write(self.index, value)

    # --- machine / BIOS interface --------------------------------------------------------------------
    def get_byte(self, index: int) -> int:
        """Byte ``index`` (0-7Fh) as the guest would read it, without clearing register C."""
        return self._read(index & 0x7F, clear_c=False)

    def set_byte(self, index: int, value: int) -> None:
        """Write byte ``index`` (0-7Fh) as the guest would (time bytes set the clock)."""
        if not 0 <= index <= 0x7F:
            raise ValueError(f"CMOS index {index:#x} out of range 0-7Fh")
        self._write(index, value & 0xFF)

    def set_memory_size(self, ram_bytes: int) -> None:
        """[AT] bytes 15h/16h (base KiB), 17h/18h and 30h/31h (KiB above 1 MiB, at most 65535);
        34h/35h: 64 KiB blocks above 16 MiB (the AMI convention, at most 65535)."""
        base = min(640, max(0, ram_bytes) // 1024)
        ext = min(0xFFFF, max(0, ram_bytes - (1 << 20)) // 1024)
        high = min(0xFFFF, max(0, ram_bytes - (16 << 20)) // (64 << 10))
        for lo, value in ((BASE_MEM_LO, base), (EXT_MEM_LO, ext), (POST_EXT_MEM_LO, ext),
                          (HIGH_MEM_LO, high)):
            self.ram[lo] = value & 0xFF
            self.ram[lo + 1] = value >> 8

    def set_floppy_types(self, a: int, b: int = FLOPPY_NONE) -> None:
        """[AT] byte 10h (A high nibble, B low nibble; 0 none, 1 360K, 2 1.2M, 3 720K, 4 1.44M,
        5 2.88M) and equipment byte 14h bit 0 (diskettes present), bits 7-6 (drive count - 1)."""
        for t in (a, b):
            if not 0 <= t <= 5:
                raise ValueError(f"floppy drive type {t} is not 0-5")
        self.ram[FLOPPY_TYPES] = a << 4 | b
        count = (a != 0) + (b != 0)
        equip = self.ram[EQUIPMENT] & 0x3E
        if count:
            equip |= 0x01 | (count - 1) << 6
        self.ram[EQUIPMENT] = equip

    def set_hard_disk_types(self, c: int = 0, d: int = 0) -> None:
        """[AT] byte 12h (C high nibble, D low nibble: types 1-14) and 19h/1Ah: a type of 16-255
        (47 = user-defined) puts Fh in the nibble and the type in the extended byte."""
        nibbles = []
        for t, ext_index in ((c, HD_EXT_TYPE_C), (d, HD_EXT_TYPE_D)):
            if not 0 <= t <= 255 or t == 15:
                raise ValueError(f"fixed disk type {t} is not 0-14 or 16-255")
            nibbles.append(t if t < 15 else 0x0F)
            self.ram[ext_index] = t if t > 15 else 0
        self.ram[HD_TYPES] = nibbles[0] << 4 | nibbles[1]

    def set_equipment(self, display: int = 0, coprocessor: bool = False) -> None:
        """[AT] equipment byte 14h: bits 5-4 primary display (0 EGA/VGA, 1 CGA 40 columns,
        2 CGA 80 columns, 3 monochrome), bit 1 math coprocessor; diskette bits are kept."""
        if not 0 <= display <= 3:
            raise ValueError(f"display type {display} is not 0-3")
        self.ram[EQUIPMENT] = (self.ram[EQUIPMENT] & 0xCD) | display << 4 | (0x02 if coprocessor else 0)

    def checksum(self) -> int:
        """[AT] the 16-bit sum of bytes 10h-2Dh."""
        return sum(self.ram[CHECKSUM_FIRST:CHECKSUM_LAST + 1]) & 0xFFFF

    def update_checksum(self) -> None:
        """Store :meth:`checksum` in 2Eh (high byte) and 2Fh (low byte), [AT] "CMOS RAM Address Map"."""
        total = self.checksum()
        self.ram[CHECKSUM_HI] = total >> 8
        self.ram[CHECKSUM_LO] = total & 0xFF

    def guest_time(self) -> _dt.datetime:
        """The current counters as a datetime (clamped into range), for the monitor and tests."""
        self._catch_up()
        total = _tm_to_seconds(self.tm)
        days, tod = divmod(total, _SECS_PER_DAY)
        return _dt.datetime.combine(_dt.date.fromordinal(days), _dt.time()) + _dt.timedelta(seconds=tod)

    # --- register access ---------------------------------------------------------------------------
    def _read(self, index: int, clear_c: bool) -> int:
        if index > REG_D and index != CENTURY or index in _ALARM_REGS:
            return self.ram[index]
        self._catch_up()
        binary = bool(self.reg_b & B_DM)
        if index == REG_HOURS:
            return _encode_hour(self.tm[TM_HOUR], binary, bool(self.reg_b & B_24H))
        if index == CENTURY:
            return _encode(self.tm[TM_CENT], False)
        if index in _TM_OF_REG:
            return _encode(self.tm[_TM_OF_REG[index]], binary)
        if index == REG_A:
            return self.reg_a | (A_UIP if self._uip(self.clock.now) else 0)
        if index == REG_B:
            return self.reg_b
        if index == REG_C:
            value = self.reg_c | (C_IRQF if self._irqf() else 0)
            if clear_c:                  # [RTC] Register C: reading clears every flag
                self.reg_c = 0
                self._update_irq()
            return value
        return D_VRT                     # [RTC] Register D: VRT = 1, bits 6-0 read 0

    def _write(self, index: int, value: int) -> None:
        if index > REG_D and index != CENTURY:
            self.ram[index] = value
            return
        now = self.clock.now
        self._sync(now)
        binary = bool(self.reg_b & B_DM)
        if index in _ALARM_REGS:
            self.ram[index] = value      # kept raw: compared byte for byte with the time
        elif index == REG_HOURS:
            self.tm[TM_HOUR] = _decode_hour(value, binary, bool(self.reg_b & B_24H))
        elif index == CENTURY:
            self.tm[TM_CENT] = _decode(value, False)
        elif index in _TM_OF_REG:
            self.tm[_TM_OF_REG[index]] = _decode(value, binary)
        elif index == REG_A:
            # [RTC] Register A: UIP is read-only; leaving a non-running DV setting for 010 releases
            # the divider chain, and the first update follows half a second later
            was_running = self._running()
            self.reg_a = value & 0x7F
            if self._running() and not was_running:
                self.chain_ref_ns = now - RELEASE_DELAY_NS
        elif index == REG_B:
            # [RTC] Register B: the SET bit going high clears UIE
            if value & B_SET and not self.reg_b & B_SET:
                value &= ~B_UIE
            self.reg_b = value
        # registers C and D are read-only
        self._update_irq()

    # --- time ----------------------------------------------------------------------------------------
    def _running(self) -> bool:
        """[RTC] Register A DV2-0 = 010: the 32.768 kHz divider chain runs."""
        return self.reg_a & A_DV_MASK == A_DV_32K

    def _counting(self) -> bool:
        """Update cycles happen: divider running and SET = 0 ([RTC] Register B SET)."""
        return self._running() and not self.reg_b & B_SET

    def _updates_until(self, t: int) -> int:
        """Update cycles since the divider phase reference, up to and including virtual time ``t``."""
        return (t - self.chain_ref_ns) // NS_PER_SEC

    def _period_units(self) -> int:
        """The periodic interrupt period in 1/32768 ns units, or 0 when RS = 0 ([RTC] Table 5).

        RS = 3..15 select 32768 >> (RS - 1) Hz (8192 Hz .. 2 Hz); with the 32.768 kHz
        time base RS = 1 and 2 select 256 Hz and 128 Hz, like RS = 8 and 9.
        """
        rs = self.reg_a & A_RS_MASK
        if rs == 0:
            return 0
        if rs < 3:
            rs += 7
        return NS_PER_SEC << (rs - 1)

    def _periodic_edges_until(self, t: int, units: int) -> int:
        return (t - self.chain_ref_ns) * XTAL_HZ // units

    def _uip(self, now: int) -> bool:
        """[RTC] Register A UIP: 1 for the 244 us before each update; 0 with SET = 1 or no divider."""
        if not self._counting():
            return False
        return (now - self.chain_ref_ns) % NS_PER_SEC >= NS_PER_SEC - UIP_LEAD_NS

    def _alarm_sets(self) -> tuple[tuple[int, ...], tuple[int, ...], tuple[int, ...]]:
        return _alarm_sets(self.ram[REG_SEC_ALARM], self.ram[REG_MIN_ALARM], self.ram[REG_HOUR_ALARM],
                           bool(self.reg_b & B_DM), bool(self.reg_b & B_24H))

    def _catch_up(self) -> None:
        """:meth:`_sync` to now; drive IRQ8 and re-arm the timer if a flag changed."""
        old = self.reg_c
        self._sync(self.clock.now)
        if self.reg_c != old:
            self._update_irq()

    def _sync(self, now: int) -> None:
        """Bring PF/AF/UF and the counters up to virtual time ``now`` ([RTC] "Interrupts").

        Lazy evaluation: calling it more often or less often gives the same result.
        """
        last = self.sync_ns
        if now <= last:
            return
        self.sync_ns = now
        if not self._running():
            return
        units = self._period_units()
        if units and self._periodic_edges_until(now, units) > self._periodic_edges_until(last, units):
            self.reg_c |= C_PF           # PF is set on each edge, whatever PIE says
        if self.reg_b & B_SET:
            return
        n = self._updates_until(now) - self._updates_until(last)
        if n <= 0:
            return
        first = _advance_tm(self.tm, 1)
        tod = first[TM_HOUR] * 3600 + first[TM_MIN] * 60 + first[TM_SEC]
        dist = _alarm_distance(self._alarm_sets(), tod)
        if dist is not None and dist < n:
            self.reg_c |= C_AF           # the alarm bytes matched at one of the n updates
        self.reg_c |= C_UF
        self.tm = _advance_tm(self.tm, n)

    # --- interrupts ----------------------------------------------------------------------------------
    def _irqf(self) -> bool:
        """[RTC] Register C: IRQF = PF.PIE + AF.AIE + UF.UIE."""
        return bool(self.reg_c & self.reg_b & (B_PIE | B_AIE | B_UIE))   # same bit positions

    def _update_irq(self) -> None:
        """Drive IRQ8 from IRQF and arm the timer for the next event that could set it."""
        irqf = self._irqf()
        self.irq.set(irqf)
        deadline = None if irqf else self._next_event()
        if deadline is None:
            self._timer.cancel()
        elif deadline != self._timer.deadline:
            self._timer.arm(deadline)

    def _next_event(self) -> int | None:
        """The earliest virtual time after ``sync_ns`` at which an enabled flag would be set."""
        if not self._running():
            return None
        now = self.sync_ns
        best: int | None = None
        units = self._period_units()
        if self.reg_b & B_PIE and units:
            k = self._periodic_edges_until(now, units) + 1
            best = self.chain_ref_ns + -(-k * units // XTAL_HZ)
        if self.reg_b & (B_UIE | B_AIE) and not self.reg_b & B_SET:
            boundary = self.chain_ref_ns + (self._updates_until(now) + 1) * NS_PER_SEC
            if self.reg_b & B_UIE:
                best = boundary if best is None else min(best, boundary)
            if self.reg_b & B_AIE:
                first = _advance_tm(self.tm, 1)
                tod = first[TM_HOUR] * 3600 + first[TM_MIN] * 60 + first[TM_SEC]
                dist = _alarm_distance(self._alarm_sets(), tod)
                if dist is not None:
                    t = boundary + dist * NS_PER_SEC
                    best = t if best is None else min(best, t)
        return best

    def _on_timer(self, now: int) -> None:
        self._sync(now)
        self._update_irq()
