"""National Semiconductor PC16550D UART (a COM port of the PC).

References are to the datasheet "PC16550D Universal Asynchronous Receiver/
Transmitter with FIFOs" (National Semiconductor, June 1995): its register
descriptions (LCR, LSR, FCR, IIR, IER, MCR, MSR, SCR, divisor latches), the
"Interrupt Control Functions" table, "FIFO Interrupt Mode Operation" and the
"UART Reset Configuration" table.  The PC wiring (MCR OUT2 enables the IRQ
driver) is from the IBM PC AT Technical Reference, "Asynchronous
Communications Adapter".

Register map (offset from the base port; DLAB is LCR bit 7)::

    0  RBR (read) / THR (write)      DLAB=1: DLL, divisor latch low byte
    1  IER                           DLAB=1: DLM, divisor latch high byte
    2  IIR (read) / FCR (write)
    3  LCR   4  MCR   5  LSR   6  MSR   7  SCR

Timing runs on virtual time only, so a run is deterministic.  One character
time is ``(start + data + parity + stop bits) * divisor * 16 / 1.8432 MHz``
(1.5 stop bits count as 1.5).

* Transmit: a byte leaves the transmitter shift register (TSR) one character
  time after it was loaded; only then is it handed to the back end (or, in
  loopback, to the receiver).  With ``paced_tx=False`` (the machine's setting,
  as QEMU's serial port) a byte for the host leaves at once: guests that wait
  for each character (console drivers at 9600 baud) do not spend a
  millisecond of virtual time per byte.  The THR / transmit FIFO feeds the TSR at once
  when it is idle, so THRE sets as soon as the holding register empties and
  TEMT when the TSR has drained too (LSR bits 5 and 6).
* Receive: the UART pulls one byte per character time from the host (bytes
  queued by :meth:`UART.receive_bytes`, then ``backend.read_available``),
  only while the receive FIFO (or RBR in 16450 mode) has room, so host input
  is never lost to an overrun.  With nothing to read it looks again every
  ``max(character time, RX_IDLE_POLL_NS)`` while the back end can read.
  Overruns (LSR OE) come from loopback or :meth:`UART.receive_char`.

Not modelled: the DMA signalling pins (TXRDY/RXRDY; FCR bit 3 is stored), the
delayed THRE indication of FIFO mode when the FIFO never held two bytes,
parity/framing errors on host data (the host link is perfect), and break
from the host except through :meth:`UART.receive_break`.
"""

from __future__ import annotations

from typing import Any

from devices.base import Device, IrqLine
from emulator.chardev import CharBackend
from emulator.clock import NS_PER_SEC, Clock

XTAL_HZ = 1_843_200          # the PC's UART reference clock
FIFO_SIZE = 16

# LSR bits
LSR_DR, LSR_OE, LSR_PE, LSR_FE, LSR_BI = 0x01, 0x02, 0x04, 0x08, 0x10
LSR_THRE, LSR_TEMT, LSR_FIFOERR = 0x20, 0x40, 0x80
LSR_ERRORS = LSR_OE | LSR_PE | LSR_FE | LSR_BI
CHAR_ERRORS = LSR_PE | LSR_FE | LSR_BI        # errors that travel with a character in the FIFO

# IIR interrupt identification codes (bits 0-3), highest priority first
IIR_NONE, IIR_RLS, IIR_RDA, IIR_CTI, IIR_THRE, IIR_MSR = 0x01, 0x06, 0x04, 0x0C, 0x02, 0x00
IIR_FIFOS_ON = 0xC0

# IER bits
IER_RDA, IER_THRE, IER_RLS, IER_MSR = 0x01, 0x02, 0x04, 0x08

# MCR bits
MCR_DTR, MCR_RTS, MCR_OUT1, MCR_OUT2, MCR_LOOP = 0x01, 0x02, 0x04, 0x08, 0x10

# MSR bits
MSR_DCTS, MSR_DDSR, MSR_TERI, MSR_DDCD = 0x01, 0x02, 0x04, 0x08
MSR_CTS, MSR_DSR, MSR_RI, MSR_DCD = 0x10, 0x20, 0x40, 0x80

# LCR bits
LCR_STB, LCR_PEN, LCR_BREAK, LCR_DLAB = 0x04, 0x08, 0x40, 0x80

RX_TRIGGER = (1, 4, 8, 14)        # FCR bits 7-6

#: the divisor latch has no reset value (datasheet reset table); this is the power-on choice (9600 bit/s)
POWER_ON_DIVISOR = 12


class UART(Device):
    """One PC16550D at ``base`` (8 ports) driving ``irq`` through MCR OUT2."""

    STATE_VERSION = 1
    STATE_FIELDS = (
        "ier", "lcr", "mcr", "scr", "dll", "dlm", "fcr",
        "rx_fifo", "rbr_last", "tx_fifo", "tsr_busy", "tsr_data",
        "lsr_err", "lsr_fifo_err", "thre_int", "timeout_int",
        "msr_delta", "msr_lines", "ext_lines", "rx_pending", "rx_next_ns",
    )
    IO_WIDTHS = (1,)
    #: how often an idle receiver looks for host input (virtual ns), unless a character time is longer
    RX_IDLE_POLL_NS = 2_000_000

    def __init__(self, clock: Clock, irq: IrqLine, base: int, backend: CharBackend | None,
                 name: str, paced_tx: bool = True) -> None:
        self.NAME = name                      # "com1", "com2": snapshot key and timer prefix
        #: False: a character for the host leaves at once instead of after its character time
        #: (the host line is infinitely fast, as in QEMU; loopback stays paced)
        self.paced_tx = paced_tx
        self.clock = clock
        self.irq = irq
        self.base = base
        self.backend = backend
        self._tx_timer = clock.timer(f"{name}.tx", self._tx_done)
        self._rx_timer = clock.timer(f"{name}.rx", self._rx_tick)
        self._timeout_timer = clock.timer(f"{name}.timeout", self._char_timeout)
        self.dll = POWER_ON_DIVISOR & 0xFF
        self.dlm = POWER_ON_DIVISOR >> 8
        self.scr = 0
        # external modem inputs (MSR bits 4-7 format): a connected host is a terminal that is on
        self.ext_lines = (MSR_CTS | MSR_DSR | MSR_DCD) if backend is not None else 0
        self.rx_pending: list[int] = []
        self.reset()

    # --- reset / state -----------------------------------------------------------------
    def reset(self) -> None:
        """Master reset ("UART Reset Configuration" table): IER, FCR, LCR, MCR and the
        interrupt sources clear, IIR = 01h, LSR = 60h, MSR deltas clear; FIFOs empty.
        The divisor latch, SCR and the host input queue are not affected."""
        self.ier = 0
        self.lcr = 0
        self.mcr = 0
        self.fcr = 0
        self.rx_fifo: list[int] = []          # byte | (PE/FE/BI bits << 8)
        self.rbr_last = 0
        self.tx_fifo: list[int] = []
        self.tsr_busy = False
        self.tsr_data = 0
        self.lsr_err = 0
        self.lsr_fifo_err = False
        self.thre_int = False
        self.timeout_int = False
        self.msr_delta = 0
        self.msr_lines = self._lines()
        self.rx_next_ns = 0
        self._tx_timer.cancel()
        self._timeout_timer.cancel()
        self._rx_timer.cancel()
        self._rx_kick()
        self._update_irq()

    def state_loaded(self) -> None:
        """Timer deadlines come back with the clock; put the IRQ line's level back (silently:
        the interrupt controller restores its own view of the line)."""
        self.irq.level = 1 if self._irq_level() else 0

    def port_ranges(self) -> list[tuple[int, int]]:
        return [(self.base, 8)]

    # --- derived values ----------------------------------------------------------------
    @property
    def fifo_enabled(self) -> bool:
        return bool(self.fcr & 1)

    @property
    def divisor(self) -> int:
        """DLM:DLL; 0 is outside the datasheet's 1..65535 and is taken as 65536."""
        return ((self.dlm << 8) | self.dll) or 0x10000

    def char_time_ns(self) -> int:
        """One character (start, data, parity, stop bits) at the programmed rate (LCR, divisor)."""
        data = 5 + (self.lcr & 3)
        half_bits = 2 * (1 + data + (1 if self.lcr & LCR_PEN else 0))
        if self.lcr & LCR_STB:
            half_bits += 3 if data == 5 else 4       # 1.5 stop bits with 5-bit words, else 2
        else:
            half_bits += 2
        return max(1, half_bits * self.divisor * 16 * NS_PER_SEC // (2 * XTAL_HZ))

    def _rx_room(self) -> bool:
        return len(self.rx_fifo) < (FIFO_SIZE if self.fifo_enabled else 1)

    def _lines(self) -> int:
        """MSR bits 4-7: the modem inputs, or in loopback MCR RTS->CTS, DTR->DSR, OUT1->RI, OUT2->DCD."""
        if self.mcr & MCR_LOOP:
            m = self.mcr
            return ((MSR_CTS if m & MCR_RTS else 0) | (MSR_DSR if m & MCR_DTR else 0)
                    | (MSR_RI if m & MCR_OUT1 else 0) | (MSR_DCD if m & MCR_OUT2 else 0))
        return self.ext_lines & 0xF0

    def _update_lines(self) -> None:
        """Set the MSR delta bits (DCTS, DDSR, TERI on RI going inactive, DDCD) for line changes."""
        new = self._lines()
        old = self.msr_lines
        changed = old ^ new
        if changed & MSR_CTS:
            self.msr_delta |= MSR_DCTS
        if changed & MSR_DSR:
            self.msr_delta |= MSR_DDSR
        if old & MSR_RI and not new & MSR_RI:
            self.msr_delta |= MSR_TERI
        if changed & MSR_DCD:
            self.msr_delta |= MSR_DDCD
        self.msr_lines = new

    # --- interrupts --------------------------------------------------------------------
    def _interrupt_id(self) -> int:
        """The highest-priority pending, enabled source ("Interrupt Control Functions" table)."""
        ier = self.ier
        if ier & IER_RLS and self.lsr_err & LSR_ERRORS:
            return IIR_RLS
        if ier & IER_RDA:
            if self.fifo_enabled:
                if len(self.rx_fifo) >= RX_TRIGGER[self.fcr >> 6]:
                    return IIR_RDA
                if self.timeout_int:
                    return IIR_CTI
            elif self.rx_fifo:
                return IIR_RDA
        if ier & IER_THRE and self.thre_int:
            return IIR_THRE
        if ier & IER_MSR and self.msr_delta:
            return IIR_MSR
        return IIR_NONE

    def _irq_level(self) -> bool:
        """INTR reaches the bus only with MCR OUT2 set; in loopback the OUT2 pin is forced inactive."""
        if (self.mcr & (MCR_OUT2 | MCR_LOOP)) != MCR_OUT2:
            return False
        return self._interrupt_id() != IIR_NONE

    def _update_irq(self) -> None:
        self.irq.set(self._irq_level())

    # --- port interface ----------------------------------------------------------------
    def io_read(self, port: int, size: int) -> int:
        off = (port - self.base) & 7
        dlab = self.lcr & LCR_DLAB
        if off == 0:
            return self.dll if dlab else self._read_rbr()
        if off == 1:
            return self.dlm if dlab else self.ier
        if off == 2:
            return self._read_iir()
        if off == 3:
            return self.lcr
        if off == 4:
            return self.mcr
        if off == 5:
            return self._read_lsr()
        if off == 6:
            return self._read_msr()
        return self.scr

    def io_write(self, port: int, size: int, value: int) -> None:
        off = (port - self.base) & 7
        value &= 0xFF
        dlab = self.lcr & LCR_DLAB
        if off == 0:
            if dlab:
                self.dll = value
            else:
                self._write_thr(value)
        elif off == 1:
            if dlab:
                self.dlm = value
            else:
                self._write_ier(value)
        elif off == 2:
            self._write_fcr(value)
        elif off == 3:
            self._write_lcr(value)
        elif off == 4:
            self._write_mcr(value)
        elif off == 7:
            self.scr = value
        # LSR and MSR are read-only (writes are for factory test): ignored

    # --- receiver ----------------------------------------------------------------------
    def _reveal_top(self) -> None:
        """PE/FE/BI of a FIFO character show in the LSR when it reaches the top (LSR bits 2-4)."""
        if self.rx_fifo:
            self.lsr_err |= (self.rx_fifo[0] >> 8) & CHAR_ERRORS

    def _read_rbr(self) -> int:
        """RBR: take the oldest character; DR clears when the FIFO empties.  Reading also clears a
        character timeout and restarts the timeout timer ("FIFO Interrupt Mode Operation")."""
        if not self.rx_fifo:
            return self.rbr_last
        entry = self.rx_fifo.pop(0)
        self.rbr_last = entry & 0xFF
        self._reveal_top()
        self.timeout_int = False
        self._restart_timeout()
        self._rx_kick()
        self._update_irq()
        return self.rbr_last

    def _restart_timeout(self) -> None:
        if self.fifo_enabled and self.rx_fifo and not self.timeout_int:
            self._timeout_timer.arm_in(4 * self.char_time_ns())
        else:
            self._timeout_timer.cancel()

    def _char_timeout(self, now: int) -> None:
        """Four character times without a character in or out of a non-empty FIFO: timeout (IIR 0Ch)."""
        if self.fifo_enabled and self.rx_fifo:
            self.timeout_int = True
            self._update_irq()

    def _receive(self, byte: int, flags: int = 0) -> None:
        """A character completes in the receiver shift register.  FIFO mode: a full FIFO loses it
        and sets OE; 16450 mode: it overwrites an unread RBR and sets OE (LSR bit 1)."""
        byte &= (1 << (5 + (self.lcr & 3))) - 1          # unused high data bits read as 0
        entry = byte | ((flags & CHAR_ERRORS) << 8)
        if self.fifo_enabled:
            if len(self.rx_fifo) >= FIFO_SIZE:
                self.lsr_err |= LSR_OE
            else:
                self.rx_fifo.append(entry)
                if flags & CHAR_ERRORS:
                    self.lsr_fifo_err = True
                if len(self.rx_fifo) == 1:
                    self._reveal_top()
        else:
            if self.rx_fifo:
                self.lsr_err |= LSR_OE
                self.rx_fifo[0] = entry
            else:
                self.rx_fifo.append(entry)
            self._reveal_top()
        self._restart_timeout()
        self._update_irq()

    def _rx_take(self) -> int | None:
        if self.rx_pending:
            return self.rx_pending.pop(0)
        if self.backend is not None and self.backend.can_read:
            try:
                data = self.backend.read_available(1)
            except OSError:
                return None
            if data:
                return data[0]
        return None

    def _rx_kick(self) -> None:
        """Make sure the receive timer runs when host input may arrive and the receiver has room."""
        if self.mcr & MCR_LOOP or not self._rx_room():
            return
        if self.rx_pending:
            due = max(self.clock.now, self.rx_next_ns)
            if self._rx_timer.deadline is None or self._rx_timer.deadline > due:
                self._rx_timer.arm(due)
        elif self._rx_timer.deadline is None and self.backend is not None and self.backend.can_read:
            self._rx_timer.arm(max(self.clock.now, self.rx_next_ns))

    def _rx_tick(self, now: int) -> None:
        """The receive line: one host character per character time while there is room."""
        if self.mcr & MCR_LOOP or not self._rx_room():
            return                              # serial input disconnected / full: resumed by _rx_kick
        ct = self.char_time_ns()
        entry = self._rx_take()
        if entry is not None:
            self._receive(entry & 0xFF, entry >> 8)
            self.rx_next_ns = now + ct
            self._rx_kick()
        elif self.backend is not None and self.backend.can_read:
            self._rx_timer.arm(now + max(ct, self.RX_IDLE_POLL_NS))

    # --- transmitter -------------------------------------------------------------------
    def _write_thr(self, value: int) -> None:
        """THR: writing clears the THRE interrupt; the byte waits in THR / the transmit FIFO (16
        bytes, more are lost) and moves to the TSR as soon as the TSR is idle."""
        self.thre_int = False
        if self.fifo_enabled:
            if len(self.tx_fifo) < FIFO_SIZE:
                self.tx_fifo.append(value)
        elif self.tx_fifo:
            self.tx_fifo[0] = value
        else:
            self.tx_fifo.append(value)
        self._update_irq()                      # the write drops INTR ...
        if not self.tsr_busy:
            self._tx_load()
            self._update_irq()                  # ... and the THR->TSR transfer may raise it again

    def _tx_load(self) -> None:
        """Move the next byte to the TSR; an emptied THR/FIFO sets THRE and its interrupt."""
        self.tsr_data = self.tx_fifo.pop(0) & ((1 << (5 + (self.lcr & 3))) - 1)
        self.tsr_busy = True
        if not self.tx_fifo:
            self.thre_int = True
        if self.paced_tx or self.mcr & MCR_LOOP:
            self._tx_timer.arm_in(self.char_time_ns())
        else:
            self._tx_done(self.clock.now)

    def _tx_done(self, now: int) -> None:
        """The TSR has shifted out its character: deliver it, load the next one or set TEMT."""
        if not self.tsr_busy:
            return
        self.tsr_busy = False
        byte = self.tsr_data
        if not self.lcr & LCR_BREAK:           # a break holds the line spacing: the character is lost
            if self.mcr & MCR_LOOP:
                self._receive(byte)
            elif self.backend is not None:
                try:
                    self.backend.write(bytes((byte,)))
                except OSError:
                    pass
        if self.tx_fifo:
            self._tx_load()
        self._update_irq()

    # --- other registers ---------------------------------------------------------------
    def _read_iir(self) -> int:
        """IIR: pending source in bits 0-3, bits 6-7 set in FIFO mode; reading it clears a THRE
        interrupt that it reports."""
        ident = self._interrupt_id()
        if ident == IIR_THRE:
            self.thre_int = False
            self._update_irq()
        return ident | (IIR_FIFOS_ON if self.fifo_enabled else 0)

    def _write_ier(self, value: int) -> None:
        """IER bits 0-3 (4-7 always 0).  Enabling the THRE interrupt while THR is empty raises it."""
        value &= 0x0F
        if value & IER_THRE and not self.ier & IER_THRE and not self.tx_fifo:
            self.thre_int = True
        elif not value & IER_THRE:
            self.thre_int = False
        self.ier = value
        self._update_irq()

    def _write_fcr(self, value: int) -> None:
        """FCR: bit 0 enables the FIFOs (a change empties both; the next THRE interrupt is
        immediate); with bit 0 set, bits 1/2 reset the receive/transmit FIFO, bit 3 selects DMA
        mode 1 and bits 6-7 the receive trigger level (1, 4, 8, 14)."""
        enable = value & 1
        if enable != (self.fcr & 1):
            self.rx_fifo.clear()
            self.tx_fifo.clear()
            self.lsr_fifo_err = False
            self.timeout_int = False
            self._timeout_timer.cancel()
            self.thre_int = True
        if not enable:
            self.fcr = 0
        else:
            if value & 0x02:
                self.rx_fifo.clear()
                self.lsr_fifo_err = False
                self.timeout_int = False
                self._timeout_timer.cancel()
            if value & 0x04 and self.tx_fifo:
                self.tx_fifo.clear()
                self.thre_int = True
            self.fcr = value & 0xC9
        self._rx_kick()
        self._update_irq()

    def _write_lcr(self, value: int) -> None:
        """LCR: word length, stop bits, parity, break (bit 6) and DLAB (bit 7).  Setting break in
        loopback makes the receiver see one break: a 00h character with BI and FE."""
        start_break = value & LCR_BREAK and not self.lcr & LCR_BREAK
        self.lcr = value
        if start_break and self.mcr & MCR_LOOP:
            self._receive(0, LSR_BI | LSR_FE)
        self._update_irq()

    def _write_mcr(self, value: int) -> None:
        """MCR: DTR, RTS, OUT1, OUT2, LOOP (bits 5-7 read as 0).  Loopback feeds the MSR inputs
        from the MCR bits, which can set the delta bits."""
        self.mcr = value & 0x1F
        self._update_lines()
        self._rx_kick()
        self._update_irq()

    def _read_lsr(self) -> int:
        """LSR: reading clears OE, PE, FE and BI; bit 7 stays set while errors remain in the FIFO."""
        value = self.lsr_err & LSR_ERRORS
        if self.rx_fifo:
            value |= LSR_DR
        if not self.tx_fifo:
            value |= LSR_THRE
            if not self.tsr_busy:
                value |= LSR_TEMT
        if self.fifo_enabled and self.lsr_fifo_err:
            value |= LSR_FIFOERR
        self.lsr_err = 0
        self.lsr_fifo_err = any(e >> 8 for e in self.rx_fifo)
        self._update_irq()
        return value

    def _read_msr(self) -> int:
        """MSR: line states in bits 4-7, delta bits 0-3 clear on read."""
        value = self.msr_lines | self.msr_delta
        self.msr_delta = 0
        self._update_irq()
        return value

    # --- host side ---------------------------------------------------------------------
    def flush_to_host(self) -> None:
        """Hand the characters still in the shift register and transmit FIFO to the back end.

        Used when the machine stops: what the guest already wrote is not lost, as
        it would be if the line were cut.  Guest-visible state is left as it is.
        """
        if self.backend is None or self.mcr & MCR_LOOP or self.lcr & LCR_BREAK:
            return
        mask = (1 << (5 + (self.lcr & 3))) - 1
        pending = ([self.tsr_data] if self.tsr_busy else []) + [b & mask for b in self.tx_fifo]
        if pending:
            try:
                self.backend.write(bytes(pending))
            except OSError:
                pass

    def receive_bytes(self, data: bytes) -> None:
        """Queue host bytes for the receive line: they arrive one per character time, when the
        receiver has room (as input from the back end does)."""
        self.rx_pending.extend(data)
        self._rx_kick()

    def receive_break(self) -> None:
        """Queue a break from the host: a 00h character with BI and FE set."""
        self.rx_pending.append((LSR_BI | LSR_FE) << 8)
        self._rx_kick()

    def receive_char(self, byte: int, flags: int = 0) -> None:
        """A character completes in the receiver now, whether or not there is room (OE if full);
        ``flags`` may hold LSR PE/FE/BI bits.  Ignored in loopback (serial input disconnected)."""
        if not self.mcr & MCR_LOOP:
            self._receive(byte & 0xFF, flags)

    def set_modem_lines(self, cts: bool, dsr: bool, ri: bool = False, dcd: bool = True) -> None:
        """Drive the external modem inputs CTS, DSR, RI, DCD (seen in the MSR outside loopback)."""
        self.ext_lines = ((MSR_CTS if cts else 0) | (MSR_DSR if dsr else 0)
                          | (MSR_RI if ri else 0) | (MSR_DCD if dcd else 0))
        self._update_lines()
        self._update_irq()

    def describe(self) -> dict[str, Any]:
        """Register summary for the monitor / debugging (no side effects)."""
        return {"base": self.base, "ier": self.ier, "lcr": self.lcr, "mcr": self.mcr,
                "fcr": self.fcr, "divisor": self.divisor, "rx": len(self.rx_fifo),
                "tx": len(self.tx_fifo) + (1 if self.tsr_busy else 0), "iir": self._interrupt_id()}
