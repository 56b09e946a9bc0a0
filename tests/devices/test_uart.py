"""PC16550D UART: registers, FIFOs, interrupts, timing and save/restore, checked against the datasheet."""

from __future__ import annotations

import random

import pytest

from devices.uart import UART
from emulator.chardev import BufferBackend

BASE = 0x3F8
RBR = THR = DLL = 0
IER = DLM = 1
IIR = FCR = 2
LCR, MCR, LSR, MSR, SCR = 3, 4, 5, 6, 7


def char_ns(bits: int, divisor: int) -> int:
    """Independent of the model: bits * divisor * 16 / 1.8432 MHz, in ns (floor)."""
    return bits * divisor * 16 * 10**9 // 1_843_200


def make(fake_time, irqs, backend=None, name="com1", irq=4) -> UART:
    return UART(fake_time.clock, irqs.line(irq), BASE, backend, name)


def rd(u: UART, off: int) -> int:
    return u.io_read(BASE + off, 1)


def wr(u: UART, off: int, value: int) -> None:
    u.io_write(BASE + off, 1, value)


def set_divisor(u: UART, d: int) -> None:
    lcr = rd(u, LCR)
    wr(u, LCR, lcr | 0x80)
    wr(u, DLL, d & 0xFF)
    wr(u, DLM, d >> 8)
    wr(u, LCR, lcr & 0x7F)


def setup_8n1(u: UART, divisor: int = 1) -> int:
    wr(u, LCR, 0x03)
    set_divisor(u, divisor)
    return char_ns(10, divisor)


# --- reset values and register access ------------------------------------------------
def test_reset_values(fake_time, irqs):
    u = make(fake_time, irqs)                    # no back end: modem inputs all inactive
    assert rd(u, IER) == 0x00
    assert rd(u, IIR) == 0x01
    assert rd(u, LCR) == 0x00
    assert rd(u, MCR) == 0x00
    assert rd(u, LSR) == 0x60
    assert rd(u, MSR) == 0x00
    assert irqs.levels.get(4, 0) == 0


def test_msr_follows_connected_backend_lines(fake_time, irqs):
    u = make(fake_time, irqs, BufferBackend())
    assert rd(u, MSR) == 0xB0                   # DCD, DSR, CTS active; no deltas after reset
    u.set_modem_lines(cts=True, dsr=True, ri=True, dcd=True)
    assert rd(u, MSR) == 0xF0                   # RI rising edge sets no delta (TERI is trailing)
    u.set_modem_lines(cts=False, dsr=True, ri=False, dcd=False)
    assert rd(u, MSR) == 0x20 | 0x01 | 0x04 | 0x08
    assert rd(u, MSR) == 0x20


def test_reset_clears_registers_but_not_divisor_or_scratch(fake_time, irqs):
    u = make(fake_time, irqs)
    setup_8n1(u, 3)
    wr(u, IER, 0x0F)
    wr(u, FCR, 0xC1)
    wr(u, MCR, 0x1F)
    wr(u, SCR, 0x5A)
    u.reset()
    assert (rd(u, IER), rd(u, IIR), rd(u, LCR), rd(u, MCR), rd(u, LSR)) == (0, 1, 0, 0, 0x60)
    assert rd(u, SCR) == 0x5A
    wr(u, LCR, 0x80)
    assert (rd(u, DLL), rd(u, DLM)) == (3, 0)


def test_dlab_selects_divisor_latches(fake_time, irqs):
    u = make(fake_time, irqs)
    wr(u, LCR, 0x83)
    wr(u, DLL, 0x34)
    wr(u, DLM, 0x12)
    assert (rd(u, DLL), rd(u, DLM)) == (0x34, 0x12)
    assert rd(u, LCR) == 0x83
    wr(u, LCR, 0x03)
    assert rd(u, IER) == 0                       # IER untouched by the DLM write
    wr(u, IER, 0xFF)
    assert rd(u, IER) == 0x0F                    # bits 4-7 always 0
    wr(u, LCR, 0x83)
    assert (rd(u, DLL), rd(u, DLM)) == (0x34, 0x12)
    assert u.divisor == 0x1234


def test_scratch_mcr_and_read_only_registers(fake_time, irqs):
    u = make(fake_time, irqs)
    wr(u, SCR, 0xA5)
    assert rd(u, SCR) == 0xA5
    wr(u, MCR, 0xFF)
    assert rd(u, MCR) == 0x1F                    # bits 5-7 permanently 0
    wr(u, MCR, 0)
    assert rd(u, MSR) == 0x0F                    # lines went from all on (loopback) to all off
    wr(u, LSR, 0x00)                             # LSR / MSR writes do nothing
    wr(u, MSR, 0xFF)
    assert rd(u, LSR) == 0x60
    assert rd(u, MSR) == 0x00


@pytest.mark.parametrize("lcr,bits2", [
    (0x03, 20),          # 8N1: start + 8 + stop
    (0x00, 14),          # 5N1
    (0x04, 15),          # 5 data bits, 1.5 stop bits
    (0x07, 22),          # 8N2
    (0x0B, 22),          # 8 data, parity, 1 stop
    (0x1A, 20),          # 7E1
])
def test_character_time(fake_time, irqs, lcr, bits2):
    u = make(fake_time, irqs)
    wr(u, LCR, lcr)
    set_divisor(u, 12)
    assert u.char_time_ns() == bits2 * 12 * 16 * 10**9 // (2 * 1_843_200)


# --- loopback, FIFOs and trigger levels ----------------------------------------------
def test_loopback_echo_16450_mode(fake_time, irqs):
    buf = BufferBackend()
    u = make(fake_time, irqs, buf)
    ct = setup_8n1(u)
    wr(u, MCR, 0x10)
    wr(u, THR, 0x41)
    assert rd(u, LSR) == 0x20                    # THR moved to the TSR: THRE, not TEMT
    fake_time.advance(ct - 1)
    assert rd(u, LSR) & 0x01 == 0
    fake_time.advance(1)
    assert rd(u, LSR) == 0x61                    # DR, THRE, TEMT
    assert rd(u, RBR) == 0x41
    assert rd(u, LSR) == 0x60
    assert buf.output == b""                     # loopback sends nothing to the back end


def test_loopback_word_length_masks_data(fake_time, irqs):
    u = make(fake_time, irqs)
    wr(u, LCR, 0x02)                             # 7 data bits
    set_divisor(u, 1)
    wr(u, MCR, 0x10)
    wr(u, THR, 0xFF)
    fake_time.advance(char_ns(9, 1))
    assert rd(u, RBR) == 0x7F


def test_rbr_read_when_empty_returns_last_character(fake_time, irqs):
    u = make(fake_time, irqs)
    ct = setup_8n1(u)
    wr(u, MCR, 0x10)
    wr(u, THR, 0x99)
    fake_time.advance(ct)
    assert rd(u, RBR) == 0x99
    assert rd(u, RBR) == 0x99
    assert rd(u, LSR) & 1 == 0


@pytest.mark.parametrize("fcr_bits,trigger", [(0x00, 1), (0x40, 4), (0x80, 8), (0xC0, 14)])
def test_fifo_trigger_levels(fake_time, irqs, fcr_bits, trigger):
    u = make(fake_time, irqs)
    ct = setup_8n1(u)
    wr(u, FCR, 0x01 | fcr_bits)
    wr(u, IER, 0x01)
    wr(u, MCR, 0x10)
    for n in range(16):
        wr(u, THR, n)
    assert rd(u, LSR) & 0x60 == 0                 # TX FIFO holds 15, TSR one
    for count in range(1, 17):
        fake_time.advance(ct)
        assert len(u.rx_fifo) == count
        assert rd(u, IIR) == (0xC4 if count >= trigger else 0xC1), count
    assert [rd(u, RBR) for _ in range(16)] == list(range(16))
    assert rd(u, LSR) == 0x60


def test_character_timeout_below_trigger(fake_time, irqs):
    u = make(fake_time, irqs)
    ct = setup_8n1(u)
    wr(u, FCR, 0x81)                             # FIFO on, trigger 8
    wr(u, IER, 0x01)
    wr(u, MCR, 0x10)
    for b in b"abc":
        wr(u, THR, b)
    fake_time.advance(3 * ct)
    assert rd(u, LSR) & 1 and rd(u, IIR) == 0xC1
    fake_time.advance(4 * ct - 1)
    assert rd(u, IIR) == 0xC1
    fake_time.advance(1)
    assert rd(u, IIR) == 0xCC                    # four character times with no activity
    assert rd(u, RBR) == ord("a")
    assert rd(u, IIR) == 0xC1                    # a read clears the timeout and restarts the timer
    fake_time.advance(4 * ct)
    assert rd(u, IIR) == 0xCC
    assert rd(u, RBR) == ord("b")
    assert rd(u, RBR) == ord("c")
    fake_time.advance(10 * ct)
    assert rd(u, IIR) == 0xC1                    # empty FIFO: no timeout


def test_fifo_enable_and_resets(fake_time, irqs):
    u = make(fake_time, irqs)
    ct = setup_8n1(u)
    wr(u, MCR, 0x10)
    wr(u, FCR, 0x01)
    assert rd(u, IIR) & 0xC0 == 0xC0
    for b in b"xyz":
        wr(u, THR, b)
    fake_time.advance(3 * ct)
    assert len(u.rx_fifo) == 3
    wr(u, FCR, 0x03)                             # RX FIFO reset
    assert rd(u, LSR) & 1 == 0
    for b in b"12345":
        wr(u, THR, b)
    wr(u, FCR, 0x05)                             # TX FIFO reset: the TSR keeps its byte
    assert rd(u, LSR) & 0x60 == 0x20
    fake_time.advance(ct)
    assert rd(u, LSR) == 0x61
    assert rd(u, RBR) == ord("1")
    wr(u, FCR, 0xC6)                             # bit 0 clear: FIFOs off, nothing else programmed
    assert rd(u, IIR) & 0xC0 == 0
    assert u.fcr == 0


def test_thre_in_fifo_mode_set_when_fifo_empties(fake_time, irqs):
    buf = BufferBackend()
    u = make(fake_time, irqs, buf)
    ct = setup_8n1(u)
    wr(u, FCR, 0x07)
    for b in b"0123":
        wr(u, THR, b)
    assert rd(u, LSR) & 0x60 == 0
    fake_time.advance(3 * ct)
    assert rd(u, LSR) & 0x60 == 0x20             # last byte in the TSR
    fake_time.advance(ct)
    assert rd(u, LSR) & 0x60 == 0x60
    assert buf.output == b"0123"


def test_tx_fifo_overflow_loses_bytes(fake_time, irqs):
    buf = BufferBackend()
    u = make(fake_time, irqs, buf)
    ct = setup_8n1(u)
    wr(u, FCR, 0x01)
    for n in range(20):
        wr(u, THR, 0x40 + n)
    fake_time.advance(30 * ct)
    assert bytes(buf.output) == bytes(range(0x40, 0x40 + 17))   # TSR + 16 in the FIFO


# --- interrupts --------------------------------------------------------------------
def test_thre_interrupt_sequence(fake_time, irqs):
    buf = BufferBackend()
    u = make(fake_time, irqs, buf)
    ct = setup_8n1(u)
    wr(u, MCR, 0x08)                             # OUT2: IRQ enabled
    assert irqs.levels.get(4, 0) == 0
    wr(u, IER, 0x02)
    assert irqs.levels[4] == 1                   # THR empty: immediate interrupt
    assert rd(u, IIR) == 0x02
    assert rd(u, IIR) == 0x01                    # reading IIR cleared it
    assert irqs.levels[4] == 0
    edges = irqs.rising_edges(4)
    wr(u, THR, ord("A"))                         # THR -> TSR at once: THR empty again
    assert irqs.rising_edges(4) == edges + 1
    assert rd(u, IIR) == 0x02
    wr(u, THR, ord("B"))                         # THR full now: no interrupt
    assert irqs.levels[4] == 0
    assert rd(u, LSR) & 0x60 == 0
    fake_time.advance(ct)
    assert buf.output == b"A"
    assert irqs.levels[4] == 1                   # B moved to the TSR
    wr(u, THR, ord("C"))                         # writing THR also clears it
    assert irqs.levels[4] == 0
    fake_time.advance(2 * ct)
    assert buf.output == b"ABC"
    assert rd(u, LSR) == 0x60
    assert rd(u, IIR) == 0x02
    wr(u, IER, 0x00)
    wr(u, IER, 0x02)                             # re-enabling with THR empty interrupts again
    assert rd(u, IIR) == 0x02


def test_interrupt_priority(fake_time, irqs):
    u = make(fake_time, irqs)
    ct = setup_8n1(u)
    wr(u, FCR, 0x01)
    wr(u, MCR, 0x10)
    wr(u, IER, 0x0F)
    assert rd(u, IIR) == 0xC2
    for n in range(17):                          # TSR + 16 in the TX FIFO: the 17th overruns
        wr(u, THR, n)
    wr(u, MCR, 0x11)                             # DTR -> DSR in loopback: modem status change
    fake_time.advance(17 * ct)
    assert rd(u, IIR) == 0xC6                    # receiver line status first
    lsr = rd(u, LSR)
    assert lsr & 0x03 == 0x03                    # OE and DR
    assert rd(u, LSR) & 0x02 == 0                # OE cleared by the read
    assert rd(u, IIR) == 0xC4                    # then received data
    assert [rd(u, RBR) for _ in range(16)] == list(range(16))
    assert rd(u, IIR) == 0xC2                    # then THR empty
    assert rd(u, IIR) == 0xC0                    # then modem status
    assert rd(u, MSR) == 0x20 | 0x02
    assert rd(u, IIR) == 0xC1


def test_out2_gates_irq_line(fake_time, irqs):
    u = make(fake_time, irqs, BufferBackend())
    wr(u, IER, 0x02)
    assert irqs.levels.get(4, 0) == 0            # pending, but OUT2 is off
    wr(u, MCR, 0x08)
    assert irqs.levels[4] == 1
    wr(u, MCR, 0x00)
    assert irqs.levels[4] == 0
    wr(u, MCR, 0x18)                             # loopback forces the OUT2 pin inactive
    assert irqs.levels[4] == 0
    wr(u, MCR, 0x08)
    assert irqs.levels[4] == 1


def test_rx_interrupt_and_timeout_on_irq_line(fake_time, irqs):
    buf = BufferBackend()
    u = make(fake_time, irqs, buf, irq=3)
    ct = setup_8n1(u)
    wr(u, FCR, 0x41)                             # trigger 4
    wr(u, IER, 0x01)
    wr(u, MCR, 0x08)
    u.receive_bytes(b"ab")
    fake_time.advance(2 * ct)
    assert irqs.levels.get(3, 0) == 0
    fake_time.advance(4 * ct)
    assert irqs.levels[3] == 1 and rd(u, IIR) == 0xCC
    assert rd(u, RBR) == ord("a")
    assert irqs.levels[3] == 0
    u.receive_bytes(b"cdef")
    fake_time.advance(5 * ct)
    assert len(u.rx_fifo) == 5 and rd(u, IIR) == 0xC4 and irqs.levels[3] == 1
    assert bytes(rd(u, RBR) for _ in range(2)) == b"bc"
    assert rd(u, IIR) == 0xC1 and irqs.levels[3] == 0       # below the trigger level


def test_overrun_16450_mode(fake_time, irqs):
    u = make(fake_time, irqs)
    setup_8n1(u)
    wr(u, IER, 0x05)
    wr(u, MCR, 0x08)
    u.receive_char(0x11)
    assert rd(u, IIR) == 0x04
    u.receive_char(0x22)
    assert irqs.levels[4] == 1
    assert rd(u, IIR) == 0x06
    assert rd(u, LSR) == 0x63                    # OE, DR, THRE, TEMT
    assert rd(u, RBR) == 0x22                    # the new character overwrote RBR
    assert rd(u, IIR) == 0x01


def test_overrun_fifo_mode_keeps_fifo(fake_time, irqs):
    u = make(fake_time, irqs)
    setup_8n1(u)
    wr(u, FCR, 0x01)
    for n in range(18):
        u.receive_char(n)
    assert rd(u, LSR) & 0x03 == 0x03
    assert [rd(u, RBR) for _ in range(16)] == list(range(16))
    assert rd(u, LSR) == 0x60


def test_break_and_error_in_fifo(fake_time, irqs):
    u = make(fake_time, irqs)
    ct = setup_8n1(u)
    wr(u, FCR, 0x01)
    wr(u, IER, 0x04)
    wr(u, MCR, 0x10)
    wr(u, THR, 0x31)
    fake_time.advance(ct)
    wr(u, LCR, 0x43)                             # break in loopback: one 00h with BI and FE
    wr(u, LCR, 0x03)
    assert rd(u, IIR) == 0xC1                    # the break is not at the top of the FIFO yet
    assert rd(u, LSR) == 0x80 | 0x61             # error somewhere in the FIFO
    assert rd(u, RBR) == 0x31
    assert rd(u, IIR) == 0xC6
    assert rd(u, LSR) == 0x80 | 0x10 | 0x08 | 0x61
    assert rd(u, RBR) == 0
    assert rd(u, LSR) == 0xE0                    # bit 7 clears on the read after the errors left
    assert rd(u, LSR) == 0x60


def test_host_break(fake_time, irqs):
    u = make(fake_time, irqs, BufferBackend())
    ct = setup_8n1(u)
    u.receive_break()
    fake_time.advance(ct)
    assert rd(u, LSR) == 0x79                    # BI, FE, DR, THRE, TEMT
    assert rd(u, RBR) == 0


def test_modem_status_deltas_in_loopback(fake_time, irqs):
    u = make(fake_time, irqs, BufferBackend())
    assert rd(u, MSR) == 0xB0
    wr(u, MCR, 0x10)                             # inputs now follow MCR bits: all off
    assert rd(u, MSR) == 0x00 | 0x01 | 0x02 | 0x08
    wr(u, IER, 0x08)
    assert rd(u, IIR) == 0x01
    wr(u, MCR, 0x1F)
    assert rd(u, IIR) == 0x00
    assert rd(u, MSR) == 0xF0 | 0x0B              # CTS=RTS, DSR=DTR, RI=OUT1, DCD=OUT2
    assert rd(u, MSR) == 0xF0
    wr(u, MCR, 0x1B)                             # OUT1 off: RI trailing edge
    assert rd(u, MSR) == 0xB0 | 0x04
    wr(u, MCR, 0x1A)                             # DTR off
    assert rd(u, MSR) == 0x90 | 0x02
    wr(u, MCR, 0x19)                             # RTS off, DTR on
    assert rd(u, MSR) == 0xA0 | 0x03
    wr(u, MCR, 0x11)                             # OUT2 off
    assert rd(u, MSR) == 0x20 | 0x08
    assert rd(u, IIR) == 0x01


# --- host back end timing ----------------------------------------------------------
def test_transmit_to_backend_at_character_rate(fake_time, irqs):
    buf = BufferBackend()
    u = make(fake_time, irqs, buf)
    ct = setup_8n1(u, 12)                        # 9600 bit/s
    assert ct == 1_041_666
    wr(u, FCR, 0x01)
    for b in b"Hi!":
        wr(u, THR, b)
    fake_time.advance(ct - 1)
    assert buf.output == b""
    fake_time.advance(1)
    assert buf.output == b"H"
    fake_time.advance(ct)
    assert buf.output == b"Hi"
    assert rd(u, LSR) & 0x60 == 0x20
    fake_time.advance(ct)
    assert buf.output == b"Hi!"
    assert rd(u, LSR) & 0x60 == 0x60


def test_receive_from_backend_at_character_rate(fake_time, irqs):
    buf = BufferBackend()
    u = make(fake_time, irqs, buf)
    ct = setup_8n1(u, 6)
    wr(u, FCR, 0x01)
    fake_time.advance(5 * UART.RX_IDLE_POLL_NS)
    buf.feed(b"hello")
    fake_time.advance(UART.RX_IDLE_POLL_NS)       # idle poll notices the input
    assert len(u.rx_fifo) == 1
    for n in range(2, 6):
        fake_time.advance(ct - 1)
        assert len(u.rx_fifo) == n - 1
        fake_time.advance(1)
        assert len(u.rx_fifo) == n
    assert bytes(rd(u, RBR) for _ in range(5)) == b"hello"


def test_receive_flow_control_never_overruns(fake_time, irqs):
    buf = BufferBackend()
    u = make(fake_time, irqs, buf)
    ct = setup_8n1(u)
    wr(u, FCR, 0x01)
    data = bytes(range(40))
    buf.feed(data)
    fake_time.advance(60 * ct)
    assert len(u.rx_fifo) == 16 and buf.pending_input == 24
    got = bytearray()
    while len(got) < 40:
        while rd(u, LSR) & 1:
            got.append(rd(u, RBR))
        fake_time.advance(ct)
    assert bytes(got) == data
    assert rd(u, LSR) & 0x02 == 0


def test_loopback_ignores_backend_input(fake_time, irqs):
    buf = BufferBackend()
    u = make(fake_time, irqs, buf)
    ct = setup_8n1(u)
    wr(u, MCR, 0x10)
    buf.feed(b"Z")
    fake_time.advance(10 * UART.RX_IDLE_POLL_NS)
    assert rd(u, LSR) & 1 == 0 and buf.pending_input == 1
    wr(u, MCR, 0x00)
    fake_time.advance(ct)
    assert rd(u, RBR) == ord("Z")


def test_no_timer_without_readable_backend(fake_time, irqs):
    make(fake_time, irqs, None)
    assert fake_time.clock.next_deadline() is None


# --- save / restore ----------------------------------------------------------------
def _ops(u, ft, log):
    """A fixed sequence of guest actions after the snapshot point."""
    for step in range(80):
        ft.advance(40_000)
        log.append((ft.clock.now, rd(u, IIR), rd(u, LSR), rd(u, SCR)))
        if step % 3 == 2:
            log.append(rd(u, RBR))
        if step % 5 == 4:
            wr(u, THR, 0x30 + step)
        if step == 20:
            wr(u, MCR, 0x1B)
        if step == 50:
            wr(u, MCR, 0x0B)
        log.append(rd(u, MSR))


def _streaming(u, ft, buf):
    """Both directions busy, host input queued and streaming, MSR deltas and a FIFO error pending."""
    ct = setup_8n1(u)
    wr(u, FCR, 0x41)
    wr(u, IER, 0x0F)
    wr(u, MCR, 0x0B)
    buf.feed(b"incoming data stream")
    u.receive_bytes(b"queued host bytes")
    wr(u, SCR, 0x77)
    u.set_modem_lines(cts=True, dsr=False, ri=True, dcd=True)
    for b in b"outgoing":
        wr(u, THR, b)
    ft.advance(ct * 5 + ct // 3)                 # mid-character on both directions
    assert rd(u, RBR) == ord("q")
    u.receive_char(0x55, 0x04)                   # a parity error waiting in the FIFO
    assert u.tsr_busy and u.rx_fifo and u.rx_pending and u.msr_delta and u.lsr_fifo_err


def _pending(u, ft, buf):
    """Overrun, character timeout and THRE interrupts pending, a host byte mid-way on the line."""
    ct = setup_8n1(u, 2)
    wr(u, FCR, 0xC1)
    wr(u, IER, 0x0F)
    wr(u, MCR, 0x08)
    wr(u, THR, ord("x"))
    for n in range(17):
        u.receive_char(0x80 + n)
    assert bytes(rd(u, RBR) for _ in range(5)) == bytes(range(0x80, 0x85))
    ft.advance(4 * ct + ct // 2)
    u.receive_bytes(b"zz")
    ft.advance(ct // 2)
    assert u.timeout_int and u.thre_int and u.lsr_err and u.rx_pending and u.rx_next_ns > ft.clock.now


@pytest.mark.parametrize("scenario", [_streaming, _pending])
def test_save_restore_mid_transfer(fake_time, irqs, scenario):
    from tests.devices.conftest import FakeTime, IrqRecorder

    buf_a = BufferBackend()
    a = make(fake_time, irqs, buf_a)
    scenario(a, fake_time, buf_a)
    state = a.save_state()
    clock_state = fake_time.clock.save_state()

    ft_b, irqs_b = FakeTime(), IrqRecorder()
    buf_b = BufferBackend()
    buf_b.feed(bytes(buf_a._input))              # the host side is the same
    b = make(ft_b, irqs_b, buf_b)
    ft_b.icount = fake_time.icount
    b.load_state(state, UART.STATE_VERSION)
    ft_b.clock.load_state(clock_state)
    assert b.irq.level == a.irq.level

    irqs.history.clear()
    out_a = len(buf_a.output)
    log_a: list = []
    log_b: list = []
    _ops(a, fake_time, log_a)
    _ops(b, ft_b, log_b)
    assert log_a == log_b
    assert buf_a.output[out_a:] == buf_b.output
    assert irqs.history == irqs_b.history
    assert a.save_state() == b.save_state()


def test_save_state_fields_are_plain_data(fake_time, irqs):
    u = make(fake_time, irqs, BufferBackend())
    state = u.save_state()
    for value in state.values():
        assert isinstance(value, (int, bool, list)), value


# --- robustness ----------------------------------------------------------------------
def test_fuzz_ports_never_raise(fake_time, irqs):
    rng = random.Random(1234)
    buf = BufferBackend()
    u = make(fake_time, irqs, buf)
    for i in range(8000):
        port = BASE + rng.randrange(8)
        r = rng.random()
        if r < 0.45:
            u.io_write(port, 1, rng.choice((rng.randrange(256), rng.randrange(1 << 32), 0, 0xFF)))
        elif r < 0.9:
            assert 0 <= u.io_read(port, 1) <= 0xFF
        elif r < 0.95:
            fake_time.advance(rng.randrange(0, 3_000_000))
        elif r < 0.97:
            buf.feed(bytes(rng.randrange(256) for _ in range(rng.randrange(1, 20))))
        elif r < 0.98:
            u.receive_char(rng.randrange(256), rng.randrange(256))
        elif r < 0.99:
            u.receive_bytes(b"xy")
        else:
            u.reset()
        if i % 500 == 0:                         # keep the divisor small so time matters
            wr(u, LCR, 0x80)
            wr(u, DLL, rng.randrange(1, 4))
            wr(u, DLM, 0)
            wr(u, LCR, rng.randrange(0x80))
        assert len(u.rx_fifo) <= 16 and len(u.tx_fifo) <= 16
    fake_time.advance(10**9)
