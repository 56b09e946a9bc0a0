"""Intel 8254 Programmable Interval Timer (datasheet order no. 231164), ports 40h-43h.

Three 16-bit down counters clocked at 105/88 MHz (1.193182 MHz, the PC's
14.31818 MHz crystal divided by 12).  On the PC, counter 0 drives IRQ0,
counter 1 paces DRAM refresh and counter 2 feeds the speaker; GATE0/GATE1 are
tied high and GATE2 comes from port 61h bit 0.

Nothing is ticked.  Each counter keeps a *segment*: the tick at which its
Counting Element (CE) last took a known value, plus what the mode does from
there, so the CE and OUT at any later tick are computed on demand from
``clock.now``.  Events that change the course of a counter (control word,
count write, GATE edge) first re-base the segment to the current tick.  For
counter 0 a clock timer is armed for the next change of OUT0 and the IRQ0
line follows OUT0 level for level.

Time conversion is exact integer arithmetic: ``ticks = floor(ns * 105 / 88000)``
is the number of CLK pulses since time 0, and pulse ``k`` falls at
``ceil(k * 88000 / 105)`` ns, so no rounding error ever accumulates.
"""

from __future__ import annotations

from typing import ClassVar

from devices.base import Device, IrqLine, StateError
from emulator.clock import Clock


def ns_to_ticks(ns: int) -> int:
    """CLK pulses that have occurred by virtual time ``ns`` (exact, floor)."""
    return ns * 105 // 88000


def ticks_to_ns(ticks: int) -> int:
    """Earliest virtual time (ns) at which CLK pulse number ``ticks`` has occurred."""
    return -(-ticks * 88000 // 105)


def _bcd_to_int(v: int) -> int:
    # digits A-F are not valid BCD; they are weighted as-is (undefined on the chip, harmless here)
    return ((v >> 12) & 15) * 1000 + ((v >> 8) & 15) * 100 + ((v >> 4) & 15) * 10 + (v & 15)


def _int_to_bcd(v: int) -> int:
    return ((v // 1000) % 10) << 12 | ((v // 100) % 10) << 8 | ((v // 10) % 10) << 4 | (v % 10)


class _Counter:
    """One counter's registers (plain ints; serialised by :attr:`PIT.counters`)."""

    FIELDS: ClassVar[tuple[str, ...]] = (
        "cw",            # D5-D0 of the last control word: RW1 RW0 M2 M1 M0 BCD (status byte bits)
        "cr",            # Count Register (CR), raw 16-bit as written (BCD-coded when BCD=1)
        "wr_msb",        # write flip-flop: next byte written is the MSB (RW=11)
        "wr_lsb",        # LSB held while waiting for the MSB
        "rd_msb",        # read flip-flop: next byte read is the MSB (RW=11)
        "ol",            # Output Latch (OL) contents, display format
        "ol_valid",      # a latched count is waiting to be read
        "status",        # latched status byte
        "status_valid",  # a latched status is waiting to be read
        "null",          # NULL COUNT set by a CW or CR write ...
        "null_clear",    # ... and cleared at this tick when CR goes to CE (-1: not scheduled)
        "gate",          # GATE input level
        "idle",          # no count written since the control word
        "counting",      # CE decrements on CLK pulses from seg_tick on
        "seg_tick",      # tick at which the CE holds seg_value
        "seg_value",     # CE contents at seg_tick (integer, not BCD-coded; 0 may mean 2^16 / 10^4)
        "seg_rem",       # pulses from seg_tick to the mode's next event (see PIT._at), -1: none
        "seg_out",       # OUT after the event (modes 0/1/4/5) or current half-cycle level (mode 3)
        "pre_value",     # CE contents before seg_tick (a load waits for the next CLK pulse)
        "pre_out",       # OUT before seg_tick
    )
    __slots__ = FIELDS

    def __init__(self, gate: int) -> None:
        self.gate = gate
        self.clear(0)

    def clear(self, tick: int) -> None:
        """Power-on contents (GATE kept): idle in mode 0, RW=11, binary, CE 0, OUT low."""
        gate = self.gate
        for name in self.FIELDS:
            setattr(self, name, 0)
        self.gate = gate
        self.cw = 0x30
        self.idle = 1
        self.seg_tick = tick
        self.seg_rem = self.null_clear = -1

    @property
    def mode(self) -> int:
        m = (self.cw >> 1) & 7
        return m - 4 if m >= 6 else m        # M2 is a don't-care for modes 2 and 3

    @property
    def rw(self) -> int:
        return (self.cw >> 4) & 3

    @property
    def bcd(self) -> bool:
        return bool(self.cw & 1)

    @property
    def modulus(self) -> int:
        return 10000 if self.cw & 1 else 65536

    def count(self) -> int:
        """The initial count N in CR as a number of pulses: 0 means 2^16 (binary) or 10^4 (BCD)."""
        n = _bcd_to_int(self.cr) if self.cw & 1 else self.cr
        return n or self.modulus

    def display(self, value: int) -> int:
        """CE contents as the CPU reads them (binary, or four BCD digits)."""
        return _int_to_bcd(value % 10000) if self.cw & 1 else value & 0xFFFF


class PIT(Device):
    """Intel 8254 PIT: counters 0-2 at ports 40h-42h, control word register at 43h."""

    NAME = "pit"
    STATE_VERSION = 1
    STATE_FIELDS = ("counters", "irq_tick", "irq_level")
    IO_WIDTHS = (1,)

    def __init__(self, clock: Clock, irq0: IrqLine) -> None:
        self._clock = clock
        self._irq0 = irq0
        self._timer = clock.timer(f"{self.NAME}.out0", self._on_timer)
        # PC wiring: GATE0 and GATE1 tied high, GATE2 from port 61h bit 0 (low at power-on)
        self._ch = [_Counter(1), _Counter(1), _Counter(0)]
        #: tick up to which the IRQ0 line has been brought in line with OUT0
        self.irq_tick = 0
        #: level last driven on IRQ0 (the wire is part of the snapshot)
        self.irq_level = 0
        self.reset()

    # --- state -------------------------------------------------------------------
    @property
    def counters(self) -> list[dict[str, int]]:
        """The three counters' registers as plain data (the saved form)."""
        return [{name: int(getattr(c, name)) for name in _Counter.FIELDS} for c in self._ch]

    @counters.setter
    def counters(self, value: list[dict[str, int]]) -> None:
        if len(value) != 3 or any(set(d) != set(_Counter.FIELDS) for d in value):
            raise StateError(f"{self.NAME}: saved counters do not match this build")
        for c, d in zip(self._ch, value):
            for name in _Counter.FIELDS:
                setattr(c, name, int(d[name]))

    def state_loaded(self) -> None:
        """Put the IRQ0 wire back at its saved level without signalling an edge (the PIC
        restores its own view of the input; the clock restores the OUT0 timer deadline)."""
        self._irq0.level = 1 if self.irq_level else 0

    def reset(self) -> None:
        """Power-on state.  The datasheet leaves mode, count and OUT undefined at power-up;
        here every counter is idle in mode 0, LSB-then-MSB, binary, CE 0, OUT low.
        GATE levels are inputs driven from outside and are kept."""
        t = ns_to_ticks(self._clock.now)
        for c in self._ch:
            c.clear(t)
        self._timer.cancel()
        self.irq_tick = t
        self._irq0.set(0)
        self.irq_level = 0

    # --- ports ---------------------------------------------------------------------
    def port_ranges(self) -> list[tuple[int, int]]:
        return [(0x40, 4)]

    def io_read(self, port: int, size: int) -> int:
        """Read a counter (status latch first, then output latch, else live CE per the RW
        format, "Read Operations"); reading the control word register is a no-op (FFh)."""
        idx = port & 3
        if idx == 3:
            return 0xFF
        c = self._ch[idx]
        if c.status_valid:
            c.status_valid = 0
            return c.status
        if c.ol_valid:
            val = c.ol
        else:
            val = c.display(self._read(c, ns_to_ticks(self._clock.now))[0])
        rw = c.rw
        if rw == 1:
            byte, done = val & 0xFF, True
        elif rw == 2:
            byte, done = (val >> 8) & 0xFF, True
        elif not c.rd_msb:
            byte, done = val & 0xFF, False
            c.rd_msb = 1
        else:
            byte, done = (val >> 8) & 0xFF, True
            c.rd_msb = 0
        if done:
            c.ol_valid = 0
        return byte

    def io_write(self, port: int, size: int, value: int) -> None:
        """Write a count byte (40h-42h) or a control word / latch / read-back command (43h)."""
        value &= 0xFF
        t = ns_to_ticks(self._clock.now)
        self._irq_sync(t)
        idx = port & 3
        if idx == 3:
            self._write_control(t, value)
        else:
            self._write_count(self._ch[idx], t, value)
        self._irq_sync(t)
        self._irq_schedule(t)

    # --- public wiring -------------------------------------------------------------
    def set_gate(self, channel: int, level: int | bool) -> None:
        """Drive GATE input ``channel`` ("Operation Common to All Modes: Gate" and the
        GATE pin table): level-sensitive enable in modes 0, 2, 3, 4; a rising edge is a
        trigger in modes 1, 2, 3, 5; GATE low forces OUT high at once in modes 2 and 3."""
        c = self._ch[channel]
        level = 1 if level else 0
        if level == c.gate:
            return
        t = ns_to_ticks(self._clock.now)
        if channel == 0:
            self._irq_sync(t)
        c.gate = level
        if not c.idle:
            mode = c.mode
            if mode in (0, 4):
                self._rebase(c, t)
                c.counting = level
                if not level and mode == 4 and c.seg_rem == 0 and t >= c.seg_tick:
                    # GATE does not touch OUT in mode 4: a strobe under way ends on the next
                    # pulse while the CE stays at 0
                    c.pre_value, c.pre_out = c.seg_value, 0
                    c.seg_tick = t + 1
                    c.seg_rem = -1
                    c.seg_out = 1
            elif level:
                self._trigger(c, t)
            elif mode in (2, 3):
                self._rebase(c, t)
                c.counting = 0
                if self._null_at(c, t):
                    c.null_clear = -1            # the pending reload now waits for a trigger
        if channel == 0:
            self._irq_sync(t)
            self._irq_schedule(t)

    def output(self, channel: int) -> int:
        """Current level of OUT ``channel`` (0 or 1)."""
        return self._read(self._ch[channel], ns_to_ticks(self._clock.now))[1]

    # --- control word register ------------------------------------------------------
    def _write_control(self, t: int, value: int) -> None:
        """"Control Word Format": SC1 SC0 RW1 RW0 M2 M1 M0 BCD; SC=11 is the read-back
        command, RW=00 the counter latch command."""
        sc = value >> 6
        if sc == 3:
            self._read_back(t, value)
            return
        c = self._ch[sc]
        if (value >> 4) & 3 == 0:
            self._latch_count(c, t)
            return
        # "Operation Common to All Modes: Programming": writing a control word resets the
        # counter's control logic and puts OUT in its initial state with no CLK pulse
        cur = self._read(c, t)[0]
        c.cw = value & 0x3F
        c.wr_msb = c.rd_msb = 0
        c.ol_valid = c.status_valid = 0
        c.null, c.null_clear = 1, -1           # "Null Count Operation": CW write sets it
        c.idle = 1
        c.counting = 0
        c.seg_tick = t
        c.seg_value = c.pre_value = cur        # CE keeps its (now meaningless) contents
        c.seg_rem = -1
        c.seg_out = c.pre_out = 0 if c.mode == 0 else 1

    def _latch_count(self, c: _Counter, t: int) -> None:
        """"Counter Latch Command": copy CE to OL; ignored while a latched count is unread."""
        if not c.ol_valid:
            c.ol = c.display(self._read(c, t)[0])
            c.ol_valid = 1

    def _read_back(self, t: int, value: int) -> None:
        """"Read-Back Command": D5=0 latches the count, D4=0 the status of each counter
        selected by D3-D1 (CNT2, CNT1, CNT0); a second latch of either before it is read
        is ignored.  Status byte ("Status Byte"): OUTPUT, NULL COUNT, then D5-D0 of the CW."""
        for i, c in enumerate(self._ch):
            if not value & (2 << i):
                continue
            if not value & 0x20:
                self._latch_count(c, t)
            if not value & 0x10 and not c.status_valid:
                out = self._read(c, t)[1]
                c.status = (out << 7) | (int(self._null_at(c, t)) << 6) | c.cw
                c.status_valid = 1

    # --- count register ---------------------------------------------------------------
    def _write_count(self, c: _Counter, t: int, byte: int) -> None:
        """Write one byte of the initial count per RW ("Write Operations"); the write
        flip-flop is independent of the read flip-flop."""
        rw = c.rw
        if rw == 1:
            cr = byte
        elif rw == 2:
            cr = byte << 8
        elif not c.wr_msb:
            c.wr_lsb = byte
            c.wr_msb = 1
            if c.mode == 0:
                # Mode 0: writing the first byte of a two-byte count stops counting and
                # sets OUT low at once
                cur = self._read(c, t)[0]
                c.seg_tick = t
                c.seg_value = c.pre_value = cur
                c.counting = 0
                c.seg_rem = -1
                c.seg_out = c.pre_out = 0
            return
        else:
            cr = c.wr_lsb | (byte << 8)
            c.wr_msb = 0
        self._new_count(c, t, cr)

    def _new_count(self, c: _Counter, t: int, cr: int) -> None:
        """A complete count was written to CR: what each "Mode Definitions" entry does."""
        mode = c.mode
        if mode in (2, 3) and not c.idle and t >= c.seg_tick:
            # modes 2/3: the running period (half-period) finishes with the old count
            self._rebase(c, t)
            c.cr = cr
            c.null_clear = c.seg_tick + c.seg_rem if c.counting else -1
        elif mode in (1, 5):
            # the new count is used from the next trigger on; a running one-shot is unaffected
            c.cr = cr
            if not c.idle and c.counting and t < c.seg_tick:
                c.seg_value = c.seg_rem = c.count()    # trigger seen, CR not yet loaded: use it
                c.null_clear = c.seg_tick
            else:
                c.null_clear = -1
        else:
            # modes 0/4, or the first count after the control word in modes 2/3: CR goes to
            # CE on the next CLK pulse, which does not decrement (mode 0 drives OUT low at once)
            cur, out = self._read(c, t)
            c.cr = cr
            c.pre_value, c.pre_out = cur, (0 if mode == 0 else out)
            c.seg_tick = t + 1
            if mode in (0, 4):
                c.seg_value = c.seg_rem = c.count()
                c.seg_out = 1
            else:
                self._start_period(c)
            c.counting = c.gate
            c.null_clear = t + 1
        c.null = 1
        c.idle = 0

    def _start_period(self, c: _Counter) -> None:
        """Mode 2/3 (re)load of CR into CE at seg_tick, OUT high."""
        n = c.count()
        if c.mode == 2:
            c.seg_value = c.seg_rem = n
        else:
            c.seg_value = n - (n & 1)          # odd counts load N-1
            c.seg_rem = (n + 1) // 2           # OUT high for (N+1)/2 pulses
        c.seg_out = 1

    def _trigger(self, c: _Counter, t: int) -> None:
        """Rising GATE edge in modes 1, 2, 3, 5: CR goes to CE on the next CLK pulse."""
        cur, out = self._read(c, t)
        c.pre_value, c.pre_out = cur, out
        c.seg_tick = t + 1
        c.counting = 1
        if c.mode in (1, 5):
            n = c.count()
            c.seg_value = c.seg_rem = n
            c.seg_out = 1
        else:
            self._start_period(c)
        if self._null_at(c, t):
            c.null_clear = t + 1

    # --- the counting element, computed from time ------------------------------------
    @staticmethod
    def _null_at(c: _Counter, t: int) -> bool:
        return bool(c.null) and not (0 <= c.null_clear <= t)

    def _read(self, c: _Counter, t: int) -> tuple[int, int]:
        """(CE contents as an integer, OUT) at tick ``t``."""
        if t < c.seg_tick:
            return c.pre_value, c.pre_out
        value, out, _, _ = self._at(c, t)
        return value, out

    def _at(self, c: _Counter, t: int) -> tuple[int, int, int, int]:
        """(CE, OUT, rem, seg_out) at tick ``t >= seg_tick``: the segment re-based to ``t``.

        Modes 0/1/4/5: CE counts down and wraps (FFFFh / 9999); the event ``rem`` pulses
        after seg_tick is terminal count: OUT goes high and stays high in modes 0 and 1, and
        is low for that one pulse in modes 4 and 5.
        Mode 2: CE runs N..1, OUT low while CE is 1; ``rem`` is the pulses until reload.
        Mode 3: CE steps by 2 from N (even) or N-1 (odd), OUT toggling on each reload, high
        for (N+1)/2 and low for (N-1)/2 pulses; ``rem`` is the pulses left in the half.
        """
        if c.idle:                              # no count since the CW: CE holds, OUT initial
            return c.seg_value, c.seg_out, -1, c.seg_out
        d = t - c.seg_tick if c.counting else 0
        mode = c.mode
        if mode in (0, 1, 4, 5):
            value = (c.seg_value - d) % c.modulus
            rem = c.seg_rem
            if rem < 0:
                return value, c.seg_out, -1, c.seg_out
            r = rem - d
            if mode <= 1:
                return (value, 1, -1, 1) if r <= 0 else (value, 0, r, 1)
            if r < 0:
                return value, 1, -1, 1
            return value, (0 if r == 0 else 1), r, 1
        n = c.count()
        if mode == 2:
            if d < c.seg_rem:
                value = c.seg_value - d
            else:
                value = n - (d - c.seg_rem) % n
            out = 0 if (value == 1 and c.counting) else 1
            return value, out, value, 1
        # mode 3
        if d < c.seg_rem:
            value = c.seg_value - 2 * d
            half = c.seg_out
            r = c.seg_rem - d
        elif n == 1:                            # illegal count: OUT stays high
            value, half, r = 0, 1, 1
        else:
            first = 1 - c.seg_out               # level of the half after the current one
            hi, lo = (n + 1) // 2, n // 2
            first_len = hi if first else lo
            pos = (d - c.seg_rem) % n
            if pos < first_len:
                half, j, hl = first, pos, first_len
            else:
                half, j, hl = 1 - first, pos - first_len, n - first_len
            value = n - (n & 1) - 2 * j
            r = hl - j
        return value, (half if c.counting else 1), r, half

    def _rebase(self, c: _Counter, t: int) -> None:
        """Move the segment start to tick ``t`` without changing the counter's course."""
        if t <= c.seg_tick:
            return
        value, out, rem, seg_out = self._at(c, t)
        c.seg_tick = t
        c.seg_value = c.pre_value = value
        c.pre_out = out
        c.seg_rem = rem
        c.seg_out = seg_out

    def _next_edge(self, c: _Counter, t: int) -> int | None:
        """First tick after ``t`` at which OUT differs from OUT at ``t`` (None: never)."""
        if t < c.seg_tick:
            if self._at(c, c.seg_tick)[1] != c.pre_out:
                return c.seg_tick
            t = c.seg_tick
        if not c.counting:
            return None
        d = t - c.seg_tick
        mode = c.mode
        rem = c.seg_rem
        if mode in (0, 1):
            return c.seg_tick + rem if 0 <= d < rem else None
        if mode in (4, 5):
            if rem < 0 or d > rem:
                return None
            return c.seg_tick + rem + (1 if d == rem else 0)
        value, _, r, half = self._at(c, t)
        n = c.count()
        if mode == 2:
            if value == 1:
                # reloads on the next pulse; count 1 (illegal) would keep OUT low
                return t + 1 if n != 1 else None
            return t + value - 1
        if d >= rem and n == 1:
            return None
        nxt = 1 if n == 1 else 1 - half
        return t + r if nxt != half else None

    def _rising_between(self, c: _Counter, t0: int, t1: int) -> bool:
        """Whether OUT had a rising edge at a tick in (t0, t1]."""
        e = self._next_edge(c, t0)
        if e is None or e > t1:
            return False
        if self._read(c, e)[1]:
            return True
        e = self._next_edge(c, e)
        return e is not None and e <= t1

    # --- IRQ0 ----------------------------------------------------------------------------
    def _irq_sync(self, t: int) -> None:
        """Bring IRQ0 up to OUT0 at tick ``t``; a rising edge of OUT0 that fell between two
        updates (the CPU ran past a short low pulse) is still delivered as an edge."""
        c = self._ch[0]
        line = self._irq0
        if t > self.irq_tick and self._rising_between(c, self.irq_tick, t):
            if line.level:
                line.set(0)
            line.set(1)
        self.irq_tick = t
        line.set(self._read(c, t)[1])
        self.irq_level = line.level

    def _irq_schedule(self, t: int) -> None:
        e = self._next_edge(self._ch[0], t)
        if e is None:
            self._timer.cancel()
        else:
            self._timer.arm(ticks_to_ns(e))

    def _on_timer(self, now: int) -> None:
        t = ns_to_ticks(now)
        self._irq_sync(t)
        self._irq_schedule(t)
