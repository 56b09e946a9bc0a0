"""System BIOS services and the chipset part of POST.

Sources, cited by short name: [AT] IBM *Personal Computer AT Technical
Reference* (BIOS descriptions, BIOS data area, CMOS map), [PS2] IBM *PS/2 and
PC BIOS Interface Technical Reference* (INT 15h C0h/C1h/C2h, the extended BIOS
data area), [RBIL] Ralf Brown's Interrupt List (function numbers, register
conventions, status codes), [ACPI] the ACPI specification ("INT 15h E820h",
address range types), [PCI] the PCI BIOS specification (return codes).

POST (:func:`install` registers it first of all service modules): the 8259A
pair (vectors 08h/70h, everything masked but IRQ0 and the cascade IRQ2; the
other modules unmask their own lines), PIT channel 0 at 18.2 Hz, both 8237A
DMA controllers enabled with channel 4 cascading, the BIOS data area (serial
and printer port tables, equipment word, timeouts), the RTC (registers A/B
set to the AT values, status flags cleared, battery and checksum checked:
problems are logged and noted in CMOS byte 0Eh) and the timer tick count
taken from the RTC time of day.  A20 stays as the machine reset left it.

Services: INT 08h (timer tick), 11h, 12h, 14h (serial), 15h (system
services), 17h (printer), 18h (no ROM BASIC), 1Ah (time of day, RTC), the
IRQ8 service behind INT 70h (periodic wait countdown, alarm -> INT 4Ah) and
the IRQ12 service behind INT 74h (PS/2 mouse packets -> the C207h handler).

Waiting.  Nothing here loops in Python over guest time, with two bounded
exceptions: a service that polls a device (8042, UART, RTC update flag) may
move virtual time forward to the device's next event while it polls, for at
most :data:`POLL_NS` (what the BIOS polling loop would spend; an interrupt
that comes due meanwhile is delivered when the service returns).  Longer
waits go through the stub's wait path (``bios.wait``: STI; HLT; call again),
so other interrupts run while a caller waits:

* INT 15h 86h counts down CX:DX microseconds with the RTC periodic interrupt
  (1024 Hz, 976 us per interrupt) as the AT BIOS does: 40:98h user flag
  pointer, 40:9Ch counter, 40:A0h active flag ([AT], [RBIL] MEM 40:98h);
  83h starts the same countdown for a caller's flag byte and returns at once.
* INT 14h send/receive wait for the UART up to the port's timeout byte at
  40:7Ch (units of 18 timer ticks, about one second; 0 = no waiting).

A re-entered waiting call is recognised by its stack pointer, kept with the
other BIOS-private state in the EBDA (below), so a nested call from an
interrupt handler is a new call.

EBDA use (offsets from the EBDA segment at 40:0Eh): 22h-2Fh the PS/2
pointing device block ([PS2]: 22h handler far pointer, 26h flags 1 with the
packet index in bits 2-0, 27h flags 2 with bit 7 = handler installed and
bits 2-0 = package size - 1, 28h-2Fh the packet), and ours in 30h-3Ch: 30h
SP:SS of the INT 15h 86h waiter, 34h SP:SS of the INT 14h waiter, 38h its
start tick (low word), 3Ah the SP expected back from the mouse handler, 3Ch
bit 0 = mouse handler running.

Guest code is entered from Python the way an instruction would: the IRQ12
service pushes the four parameter words and a far return address pointing at
its own BIOS-call instruction, then jumps to the handler; the handler's RETF
re-enters the service, which drops the parameters and lets the ROM routine
send the EOI.  The RTC alarm raises INT 4Ah by pushing an interrupt frame
that returns into the INT 70h routine.

Not modelled: INT 15h 89h (switch to protected mode), C208h/C209h, 41h,
APM (53h), EISA (D8h), PCI BIOS (INT 1Ah B1h) -- all answer "not supported";
printers (no LPT ports exist); PIT channel 1 (DRAM refresh is modelled by
port 61h alone); ROM BASIC.  While a C2h function talks to the mouse, a
keyboard byte already waiting in the 8042 output buffer is dropped.
"""

from __future__ import annotations

import datetime as _dt
from collections.abc import Callable
from typing import TYPE_CHECKING, TypeVar

from emulator.cpu import state as S

from . import rom as R

if TYPE_CHECKING:
    from .bios import Bios

T = TypeVar("T")

# --- BIOS data area ([AT] "BIOS Data Area"; [RBIL] MEM 0040h) -----------------------------
BDA_COM = 0x400              # 4 words: serial port bases
BDA_LPT = 0x408              # 3 words: printer port bases
BDA_EBDA_SEG = 0x40E
BDA_EQUIPMENT = 0x410
BDA_MEMORY_KIB = 0x413
BDA_KBD_HEAD, BDA_KBD_TAIL = 0x41A, 0x41C
BDA_KBD_START, BDA_KBD_END = 0x480, 0x482
BDA_MOTOR_STATUS = 0x43F
BDA_MOTOR_COUNT = 0x440
BDA_TICKS = 0x46C
BDA_MIDNIGHT = 0x470
BDA_LPT_TIMEOUT = 0x478
BDA_COM_TIMEOUT = 0x47C
BDA_WAIT_FLAG_PTR = 0x498    # offset, segment of the byte whose bit 7 ends an INT 15h 83h/86h wait
BDA_WAIT_COUNT = 0x49C       # microseconds still to wait
BDA_WAIT_ACTIVE = 0x4A0      # bit 0: a wait runs; 86h uses this byte as its own flag (bit 7: done)

TICKS_PER_DAY = 0x1800B0     # 1193180 / 65536 Hz * 86400 s, [AT] INT 1Ah
PIT_HZ = 1193180
WAIT_STEP_US = 976           # [AT]: the 1024 Hz periodic interrupt counts as 976 us

# --- EBDA offsets (see the module docstring) ------------------------------------------------
EBDA_MOUSE_HANDLER = 0x22
EBDA_MOUSE_FLAGS1 = 0x26
EBDA_MOUSE_FLAGS2 = 0x27
EBDA_MOUSE_PACKET = 0x28
EBDA_WAIT_STACK = 0x30
EBDA_COM_STACK = 0x34
EBDA_COM_START = 0x38
EBDA_MOUSE_RET_SP = 0x3A
EBDA_MOUSE_BUSY = 0x3C
MOUSE_HANDLER_SET = 0x80

# --- hardware ------------------------------------------------------------------------------
SMAP = 0x534D4150            # 'SMAP', [ACPI] INT 15h E820h
E820_RAM, E820_RESERVED = 1, 2
BIOS_ROM_START = 0xE0000
BIOS_ALIAS = (0xFFFE0000, 0x1_0000_0000)
CMOS_A, CMOS_B, CMOS_C, CMOS_D = 0x0A, 0x0B, 0x0C, 0x0D
CMOS_DIAG, CMOS_CENTURY = 0x0E, 0x32
A_UIP, A_DV_MASK, A_DV_RUN, A_AT_DEFAULT = 0x80, 0x70, 0x20, 0x26
B_SET, B_PIE, B_AIE, B_DM, B_24H, B_DSE = 0x80, 0x40, 0x20, 0x04, 0x02, 0x01
C_PF, C_AF = 0x40, 0x20
D_VRT = 0x80
KBC_DATA, KBC_STATUS = 0x60, 0x64
KBC_OBF, KBC_AUXB = 0x01, 0x20
CB_AUX_INT, CB_KBD_DIS, CB_AUX_DIS = 0x02, 0x10, 0x20
AUX_ACK, AUX_RESEND = 0xFA, 0xFE
MOUSE_RATES = (10, 20, 40, 60, 80, 100, 200)     # [RBIL] INT 15h C202h, BH = 0..6
UART_DIVISORS = (1047, 768, 384, 192, 96, 48, 24, 12, 6)   # 110 .. 19200 bit/s at 1.8432 MHz
LSR_DR, LSR_THRE = 0x01, 0x20
MSR_CTS_DSR, MSR_DSR = 0x30, 0x20

#: longest a service may poll a device, moving virtual time to the device's next event
POLL_NS = 2_000_000
#: a second in timer ticks: the unit of the serial timeouts at 40:7Ch
TICKS_PER_TIMEOUT_UNIT = 18

NOT_SUPPORTED = 0x86         # [RBIL] INT 15h status: function not supported
MESSAGE_NO_BASIC = "No ROM BASIC: insert a boot disk and press a key\r\n"


def _bcd(value: int) -> int:
    return (value // 10) << 4 | value % 10


def _unbcd(value: int) -> int:
    return (value >> 4) * 10 + (value & 0x0F)


class SystemServices:
    """The system services of one BIOS; every guest-visible state is in guest memory."""

    def __init__(self, bios: Bios) -> None:
        self.bios = bios
        self.machine = bios.machine
        self.cpu = bios.cpu
        model = self.cpu.model
        self.address_bits = model.address_bits

    # ==================================================================================
    # helpers
    # ==================================================================================
    def _in(self, port: int) -> int:
        return self.machine.bus.read(port, 1) & 0xFF

    def _out(self, port: int, value: int) -> None:
        self.machine.bus.write(port, 1, value & 0xFF)

    def _unimplemented(self, what: str) -> None:
        if "unimp" in self.machine.config.log_items:
            self.machine.log(f"BIOS: {what} not supported (at {self.cpu.exit_location()})")

    def _poll(self, check: Callable[[], T], bound_ns: int = POLL_NS, step_ns: int = 0) -> T | None:
        """Call ``check`` until it returns a true value, moving virtual time to the next timer
        deadline (or by ``step_ns``) in between, for at most ``bound_ns``; None on timeout."""
        clock = self.machine.clock
        end = clock.now + bound_ns
        for _ in range(10_000):
            result = check()
            if result:
                return result
            t = clock.next_deadline()
            if step_ns:
                t = clock.now + step_ns if t is None else min(t, clock.now + step_ns)
            if t is None or t > end:
                return None
            clock.advance_to(t)
            clock.run_due()
        return None

    def _ebda(self) -> int:
        return self.bios.rd16(BDA_EBDA_SEG) << 4

    def _stack_id(self) -> int:
        return self.cpu["sp"] | self.cpu["ss"] << 16

    def _push16(self, value: int) -> None:
        sp = (self.cpu["sp"] - 2) & 0xFFFF
        self.bios.wr16(self.bios.linear(self.cpu["ss"], sp), value)
        self.cpu["sp"] = sp

    def _soft_int(self, vector: int) -> None:
        """Enter interrupt ``vector``'s handler as an INT instruction at the current CS:IP would."""
        flags = self.cpu["flags"]
        self._push16(flags)
        self._push16(self.cpu["cs"])
        self._push16(self.cpu["ip"])
        self.cpu["flags"] = flags & ~(S.IF | S.TF)
        self.bios.far_jump(self.bios.rd16(vector * 4 + 2), self.bios.rd16(vector * 4))

    def _ticks_low(self) -> int:
        return self.bios.rd16(BDA_TICKS)

    # --- 8259A ---------------------------------------------------------------------------
    def _unmask_irq(self, irq: int) -> None:
        """Clear ``irq``'s bit in the IMR (and the cascade's, for IRQ 8-15)."""
        if irq >= 8:
            self._out(0xA1, self._in(0xA1) & ~(1 << (irq - 8)))
            irq = 2
        self._out(0x21, self._in(0x21) & ~(1 << irq))

    # --- CMOS / RTC ----------------------------------------------------------------------
    def _cmos_read(self, index: int) -> int:
        nmi = 0x80 if self.machine.cmos.nmi_masked else 0
        self._out(0x70, nmi | index)
        return self._in(0x71)

    def _cmos_write(self, index: int, value: int) -> None:
        nmi = 0x80 if self.machine.cmos.nmi_masked else 0
        self._out(0x70, nmi | index)
        self._out(0x71, value)

    def _rtc_running(self) -> bool:
        return self._cmos_read(CMOS_A) & A_DV_MASK == A_DV_RUN

    def _rtc_ready(self) -> bool:
        """Wait (briefly) for the update-in-progress flag to clear: [AT] INT 1Ah reads the clock
        only outside the update cycle.  False when the divider is stopped or UIP stays set."""
        if not self._rtc_running():
            return False
        return bool(self._poll(lambda: not self._cmos_read(CMOS_A) & A_UIP, step_ns=61_000))

    def _rtc_get(self, index: int) -> int:
        """A time/date byte as BCD, whatever format register B selects."""
        b = self._cmos_read(CMOS_B)
        raw = self._cmos_read(index)
        if index == 0x04 and not b & B_24H:            # 12-hour: bit 7 = PM
            pm = bool(raw & 0x80)
            hour = raw & 0x7F
            hour = hour if b & B_DM else _unbcd(hour)
            hour = hour % 12 + (12 if pm else 0)
            return _bcd(hour)
        return _bcd(raw) if b & B_DM else raw

    def _rtc_put(self, index: int, bcd: int) -> None:
        """Write a time/date byte given as BCD in the format register B selects."""
        b = self._cmos_read(CMOS_B)
        value = _unbcd(bcd)
        if index == 0x04 and not b & B_24H:
            pm = value >= 12
            hour = value % 12 or 12
            raw = (hour if b & B_DM else _bcd(hour)) | (0x80 if pm else 0)
        else:
            raw = value if b & B_DM else bcd
        self._cmos_write(index, raw)

    # --- 8042 auxiliary device -----------------------------------------------------------
    def _kbc_command(self, cmd: int, data: int | None = None) -> None:
        self._poll(lambda: not self._in(KBC_STATUS) & 0x02)   # input buffer empty
        self._out(KBC_STATUS, cmd)
        if data is not None:
            self._out(KBC_DATA, data)

    def _aux_read(self) -> int | None:
        """The next byte from the auxiliary device (a keyboard byte in the way is dropped)."""
        def check() -> tuple[int] | None:
            st = self._in(KBC_STATUS)
            if st & KBC_OBF:
                value = self._in(KBC_DATA)
                if st & KBC_AUXB:
                    return (value,)
            return None
        got = self._poll(check)
        return None if got is None else got[0]

    def _aux_command(self, *data: int) -> int:
        """Send ``data`` (a command and its option bytes) to the mouse, each byte acknowledged.

        Returns a [RBIL] C2h status: 0 success, 3 interface error, 4 resend requested."""
        for byte in data:
            self._kbc_command(0xD4, byte)
            reply = self._aux_read()
            if reply == AUX_RESEND:
                return 0x04
            if reply != AUX_ACK:
                return 0x03
        return 0

    # ==================================================================================
    # POST
    # ==================================================================================
    def post(self) -> None:
        """Chipset set-up: PICs, PIT, DMA, BDA tables, RTC, tick count ([AT] POST)."""
        bios, out = self.bios, self._out
        # 8259A pair: edge triggered, cascaded, 8086 mode; vectors 08h-0Fh and 70h-77h
        for port, icw2, icw3 in ((0x20, 0x08, 0x04), (0xA0, 0x70, 0x02)):
            out(port, 0x11)
            out(port + 1, icw2)
            out(port + 1, icw3)
            out(port + 1, 0x01)
        out(0x21, 0xFA)                                  # IRQ0 and the cascade IRQ2 enabled
        out(0xA1, 0xFF)
        # 8254 channel 0: mode 3, binary, count 0 (65536): 18.2 Hz on IRQ0
        out(0x43, 0x36)
        out(0x40, 0x00)
        out(0x40, 0x00)
        # 8237A pair: master clear, controllers enabled, channel 4 cascades the first one
        out(0x0D, 0x00)
        out(0xDA, 0x00)
        out(0x08, 0x00)
        out(0xD0, 0x00)
        out(0xD6, 0xC0)
        out(0xD4, 0x00)
        # BIOS data area
        uarts = self.machine.uarts[:4]
        for n, uart in enumerate(uarts):
            bios.wr16(BDA_COM + 2 * n, uart.base)
            bios.wr8(BDA_COM_TIMEOUT + n, 1)
        for n in range(3):
            bios.wr16(BDA_LPT + 2 * n, 0)
            bios.wr8(BDA_LPT_TIMEOUT + n, 0x14)
        equipment = bios.rd16(BDA_EQUIPMENT) & ~0xCE06
        equipment |= len(uarts) << 9
        if self.cpu.model.fpu:
            equipment |= 0x0002
        equipment |= 0x0004                              # [PS2] pointing device: the 8042 has one
        bios.wr16(BDA_EQUIPMENT, equipment)
        ebda = self._ebda()
        if ebda:                                         # 3-byte mouse packets until C205h says otherwise
            bios.wr8(ebda + EBDA_MOUSE_FLAGS2, (bios.rd8(ebda + EBDA_MOUSE_FLAGS2) & ~7) | 2)
        self._post_rtc()
        self._post_ticks()

    def _post_rtc(self) -> None:
        """[AT] POST: RTC to 32.768 kHz / 1024 Hz, 24-hour BCD; battery and checksum checked."""
        log = self.machine.log
        diag = self._cmos_read(CMOS_DIAG) & ~0xC0
        self._cmos_write(CMOS_A, A_AT_DEFAULT)
        b = self._cmos_read(CMOS_B)
        if b & (B_SET | B_DM) or not b & B_24H:
            log(f"CMOS clock: register B was {b:02X}h, set to 24-hour BCD")
        self._cmos_write(CMOS_B, B_24H | (b & B_DSE))
        self._cmos_read(CMOS_C)                          # clear pending flags
        if not self._cmos_read(CMOS_D) & D_VRT:
            log("CMOS battery failed (register D: VRT clear)")
            diag |= 0x80
        total = sum(self._cmos_read(i) for i in range(0x10, 0x2E)) & 0xFFFF
        stored = self._cmos_read(0x2E) << 8 | self._cmos_read(0x2F)
        if total != stored:
            log(f"CMOS checksum bad: stored {stored:04X}h, bytes 10h-2Dh sum to {total:04X}h")
            diag |= 0x40
        self._cmos_write(CMOS_DIAG, diag)

    def _post_ticks(self) -> None:
        """40:6Ch = the RTC time of day in 18.2 Hz ticks."""
        ticks = 0
        if self._rtc_ready():
            hours, minutes, seconds = (_unbcd(self._rtc_get(i)) for i in (0x04, 0x02, 0x00))
            secs = min(hours, 23) * 3600 + min(minutes, 59) * 60 + min(seconds, 59)
            ticks = secs * PIT_HZ // 65536
        self.bios.wr32(BDA_TICKS, ticks)
        self.bios.wr8(BDA_MIDNIGHT, 0)

    # ==================================================================================
    # hardware interrupt services
    # ==================================================================================
    def irq0(self) -> None:
        """Service 08h (the ROM routine then calls INT 1Ch and sends the EOI), [AT] TIMER_INT:
        count the tick, wrap at 24 hours setting the midnight flag, run down the diskette
        motor count and turn the motors off when it reaches zero."""
        bios = self.bios
        ticks = bios.rd32(BDA_TICKS) + 1
        if ticks >= TICKS_PER_DAY:
            ticks = 0
            bios.wr8(BDA_MIDNIGHT, 1)
        bios.wr32(BDA_TICKS, ticks)
        count = bios.rd8(BDA_MOTOR_COUNT)
        if count:
            count -= 1
            bios.wr8(BDA_MOTOR_COUNT, count)
            if count == 0:
                bios.wr8(BDA_MOTOR_STATUS, bios.rd8(BDA_MOTOR_STATUS) & 0xF0)
                if self.machine.bus.owner(0x3F2) is not None:
                    self._out(0x3F2, 0x0C)               # motors off, controller enabled, DMA on

    def irq8(self) -> None:
        """Service 70h (the ROM routine saved AX and sends both EOIs): read register C; a
        periodic interrupt counts down the INT 15h 83h/86h wait and posts the caller's flag
        at the end, an alarm raises INT 4Ah ([AT] RTC_INT)."""
        bios = self.bios
        c = self._cmos_read(CMOS_C)
        b = self._cmos_read(CMOS_B)
        if c & C_PF and b & B_PIE and bios.rd8(BDA_WAIT_ACTIVE) & 1:
            count = bios.rd32(BDA_WAIT_COUNT) - WAIT_STEP_US
            if count >= 0:
                bios.wr32(BDA_WAIT_COUNT, count)
            else:
                self._cmos_write(CMOS_B, self._cmos_read(CMOS_B) & ~B_PIE)
                bios.wr8(BDA_WAIT_ACTIVE, 0)
                flag = bios.linear(bios.rd16(BDA_WAIT_FLAG_PTR + 2), bios.rd16(BDA_WAIT_FLAG_PTR))
                bios.wr8(flag, bios.rd8(flag) | 0x80)
        if c & C_AF and b & B_AIE:
            self._soft_int(0x4A)

    def irq12(self) -> None:
        """Service 74h (the ROM routine saved AX and sends both EOIs): take one byte of a
        mouse packet from the 8042; a complete packet goes to the C207h handler ([PS2]),
        called FAR with status, X, Y, 0 pushed; its RETF comes back here (phase 2)."""
        bios = self.bios
        ebda = self._ebda()
        if bios.rd8(ebda + EBDA_MOUSE_BUSY) & 1 and self.cpu["sp"] == bios.rd16(ebda + EBDA_MOUSE_RET_SP):
            bios.wr8(ebda + EBDA_MOUSE_BUSY, 0)          # the handler returned: drop its parameters
            self.cpu["sp"] = (self.cpu["sp"] + 8) & 0xFFFF
            return
        st = self._in(KBC_STATUS)
        if not (st & KBC_OBF and st & KBC_AUXB):
            return
        value = self._in(KBC_DATA)
        flags1 = bios.rd8(ebda + EBDA_MOUSE_FLAGS1)
        flags2 = bios.rd8(ebda + EBDA_MOUSE_FLAGS2)
        size = (flags2 & 7) + 1
        index = flags1 & 7
        if index == 0 and size in (3, 4) and not value & 0x08:
            return                                       # not a first byte: resynchronise
        bios.wr8(ebda + EBDA_MOUSE_PACKET + index, value)
        index += 1
        if index < size:
            bios.wr8(ebda + EBDA_MOUSE_FLAGS1, (flags1 & ~7) | index)
            return
        bios.wr8(ebda + EBDA_MOUSE_FLAGS1, flags1 & ~7)
        if not flags2 & MOUSE_HANDLER_SET:
            return
        packet = [bios.rd8(ebda + EBDA_MOUSE_PACKET + i) for i in range(size)] + [0, 0, 0]
        for word in (packet[0], packet[1], packet[2], packet[3] if size >= 4 else 0):
            self._push16(word)
        assert bios.layout is not None
        self._push16(R.ROM_SEG)
        self._push16(bios.layout.stubs[0x74])            # RETF lands on this routine's BIOS call
        bios.wr16(ebda + EBDA_MOUSE_RET_SP, (self.cpu["sp"] + 4) & 0xFFFF)
        bios.wr8(ebda + EBDA_MOUSE_BUSY, 1)
        bios.far_jump(bios.rd16(ebda + EBDA_MOUSE_HANDLER + 2), bios.rd16(ebda + EBDA_MOUSE_HANDLER))

    # ==================================================================================
    # INT 11h, 12h, 17h, 18h
    # ==================================================================================
    def int11(self) -> None:
        """[AT] EQUIPMENT: AX = the equipment word at 40:10h."""
        self.bios["ax"] = self.bios.rd16(BDA_EQUIPMENT)

    def int12(self) -> None:
        """[AT] MEMORY_SIZE_DET: AX = KiB of conventional memory (40:13h)."""
        self.bios["ax"] = self.bios.rd16(BDA_MEMORY_KIB)

    def int17(self) -> None:
        """[AT] PRINTER_IO.  No printer ports exist (40:08h holds zeros), so every function
        answers status 01h: time-out, not selected, busy -- DOS reports "not ready"."""
        self.bios["ah"] = 0x01

    def int18(self) -> None:
        """No ROM BASIC: the IBM BIOS would start cassette BASIC here.  We print a message,
        then wait (interrupts on) for a key in the keyboard buffer and run INT 19h again.
        A fresh INT 18h (IF clear: the INT cleared it) prints; re-entries from the wait path
        (IF set) only look for the key."""
        bios = self.bios
        if not self.cpu["flags"] & S.IF:
            if bios.console_write is not None:
                bios.console_write(MESSAGE_NO_BASIC)
            else:
                self.machine.log(MESSAGE_NO_BASIC.strip())
            bios.wait(0x18)
            return
        head, tail = bios.rd16(BDA_KBD_HEAD), bios.rd16(BDA_KBD_TAIL)
        if head == tail:
            bios.wait(0x18)
            return
        start = bios.rd16(BDA_KBD_START) or 0x1E
        end = bios.rd16(BDA_KBD_END) or 0x3E
        head += 2
        bios.wr16(BDA_KBD_HEAD, start if head >= end else head)
        assert bios.layout is not None
        bios["ip"] = bios.layout.stubs[0x18] + R.STUB_WAIT   # if INT 19h ever returns: wait again
        self._soft_int(0x19)

    # ==================================================================================
    # INT 14h: serial ports
    # ==================================================================================
    def int14(self) -> None:
        """[AT] RS232_IO, DX = port 0-3: 00h init (AL: baud 7-5, parity 4-3, stop bits 2,
        length 1-0), 01h send AL, 02h receive into AL, 03h status (AH = LSR, AL = MSR);
        [RBIL] 04h extended init, 05h modem control.  A port with no base: AH = 80h."""
        bios = self.bios
        ah, dx = bios["ah"], bios["dx"]
        base = bios.rd16(BDA_COM + 2 * dx) if dx < 4 else 0
        if not base:
            bios["ah"] = 0x80
            return
        if ah == 0x00:
            al = bios["al"]
            self._uart_setup(base, UART_DIVISORS[al >> 5], al & 0x1F)
            self._uart_status(base)
        elif ah == 0x01:
            self._uart_send(base, dx)
        elif ah == 0x02:
            self._uart_receive(base, dx)
        elif ah == 0x03:
            self._uart_status(base)
        elif ah == 0x04:
            self._uart_ext_init(base)
        elif ah == 0x05:
            if bios["al"] == 0x00:
                bios["bl"] = self._in(base + 4)
            elif bios["al"] == 0x01:
                self._out(base + 4, bios["bl"] & 0x1F)
            self._uart_status(base)
        else:
            self._unimplemented(f"INT 14h AH={ah:02X}h")

    def _uart_setup(self, base: int, divisor: int, lcr: int) -> None:
        self._out(base + 3, 0x80)                        # DLAB
        self._out(base + 0, divisor & 0xFF)
        self._out(base + 1, divisor >> 8)
        self._out(base + 3, lcr)
        self._out(base + 1, 0x00)                        # no UART interrupts

    def _uart_status(self, base: int) -> None:
        self.bios["ah"] = self._in(base + 5)
        self.bios["al"] = self._in(base + 6)

    def _uart_ext_init(self, base: int) -> None:
        """[RBIL] 04h: AL break, BH parity (0 none, 1 odd, 2 even, 3/4 stick odd/even),
        BL stop bits (0 one, 1 two), CH length (0-3 = 5-8 bits), CL rate (0-8 = 110-19200)."""
        bios = self.bios
        parity = (0x00, 0x08, 0x18, 0x28, 0x38)[min(bios["bh"], 4)]
        lcr = (bios["ch"] & 3) | (0x04 if bios["bl"] & 1 else 0) | parity
        lcr |= 0x40 if bios["al"] else 0
        self._uart_setup(base, UART_DIVISORS[min(bios["cl"], 8)], lcr)
        self._uart_status(base)

    def _uart_timed_out(self, port: int) -> bool:
        """Whether this caller's wait has lasted the port's timeout (40:7Ch, ~1 s units).

        The first call of a wait records the caller's stack and the tick count in the EBDA."""
        bios = self.bios
        ebda = self._ebda()
        limit = bios.rd8(BDA_COM_TIMEOUT + port) * TICKS_PER_TIMEOUT_UNIT
        if bios.rd32(ebda + EBDA_COM_STACK) != self._stack_id():
            bios.wr32(ebda + EBDA_COM_STACK, self._stack_id())
            bios.wr16(ebda + EBDA_COM_START, self._ticks_low())
        elapsed = (self._ticks_low() - bios.rd16(ebda + EBDA_COM_START)) & 0xFFFF
        if elapsed >= 0x8000:                            # the count wrapped at midnight
            elapsed = (elapsed + TICKS_PER_DAY) & 0xFFFF
        return elapsed >= limit

    def _uart_wait(self, port: int, ready: Callable[[], int]) -> int | None:
        """Poll ``ready`` (the LSR when the awaited state is there, else 0): returns that LSR,
        0 on time-out, or None when the caller was sent to the wait path."""
        ebda = self._ebda()
        lsr = self._poll(ready)
        if lsr or self._uart_timed_out(port):
            self.bios.wr32(ebda + EBDA_COM_STACK, 0)
            return lsr or 0
        self.bios.wait(0x14)
        return None

    def _uart_ready(self, base: int, msr_bits: int, lsr_bit: int) -> Callable[[], int]:
        def check() -> int:
            if self._in(base + 6) & msr_bits != msr_bits:
                return 0
            lsr = self._in(base + 5)
            return lsr if lsr & lsr_bit else 0
        return check

    def _uart_send(self, base: int, port: int) -> None:
        """[AT] send: DTR and RTS on, wait for DSR and CTS, then for THRE, write AL;
        AH = the line status, bit 7 set on time-out."""
        self._out(base + 4, 0x03)
        lsr = self._uart_wait(port, self._uart_ready(base, MSR_CTS_DSR, LSR_THRE))
        if lsr is None:
            return
        if lsr:
            self._out(base, self.bios["al"])
            self.bios["ah"] = lsr & 0x7F
        else:
            self.bios["ah"] = self._in(base + 5) | 0x80

    def _uart_receive(self, base: int, port: int) -> None:
        """[AT] receive: DTR on, wait for DSR, then for received data; AL = the byte,
        AH = its LSR error bits (OE, PE, FE, BI), or the LSR | 80h on time-out."""
        self._out(base + 4, 0x01)
        lsr = self._uart_wait(port, self._uart_ready(base, MSR_DSR, LSR_DR))
        if lsr is None:
            return
        if lsr:
            self.bios["al"] = self._in(base)
            self.bios["ah"] = lsr & 0x1E
        else:
            self.bios["ah"] = self._in(base + 5) | 0x80

    # ==================================================================================
    # INT 15h: system services
    # ==================================================================================
    def int15(self) -> None:
        """Dispatch INT 15h on AH (AX for E801h/E820h); unknown functions: CF=1, AH=86h."""
        bios = self.bios
        ah, ax = bios["ah"], bios["ax"]
        if ax == 0xE820:
            self._e820()
        elif ax == 0xE801:
            self._e801()
        elif ah == 0x4F:                                 # keyboard intercept: keep the scan code
            bios.set_cf(True)
        elif ah == 0x24:
            self._a20()
        elif ah in (0x80, 0x81, 0x82, 0x85, 0x90, 0x91):  # multitasking hooks: nothing to do
            bios.ok(0)
        elif ah == 0x83:
            self._event_wait()
        elif ah == 0x86:
            self._wait()
        elif ah == 0x87:
            self._move_block()
        elif ah == 0x88:
            bios["ax"] = min(0xFFFF, self._extended_top() - 0x100000 >> 10)
            bios.set_cf(False)
        elif ah == 0xC0:
            bios["es"] = R.ROM_SEG
            bios["bx"] = bios.table_addr("system_config") - R.ROM_BASE
            bios.ok(0)
        elif ah == 0xC1:
            seg = bios.rd16(BDA_EBDA_SEG)
            if seg:
                bios["es"] = seg
                bios.set_cf(False)
            else:
                bios.fail(NOT_SUPPORTED)
        elif ah == 0xC2:
            self._mouse()
        else:
            self._unimplemented(f"INT 15h AX={ax:04X}h")
            bios.fail(NOT_SUPPORTED)

    # --- memory size ---------------------------------------------------------------------
    def _extended_top(self) -> int:
        """End of the RAM above 1 MiB the CPU can reach (1 MiB when there is none)."""
        top = min(self.machine.config.ram_size, BIOS_ALIAS[0], 1 << self.address_bits)
        return max(top, 0x100000)

    def memory_map(self) -> list[tuple[int, int, int]]:
        """[ACPI] address ranges (base, length, type) in ascending order."""
        base = min(self.bios.rd16(BDA_MEMORY_KIB) << 10, 0xA0000)
        ranges = [(0, base, E820_RAM)]
        if base < 0xA0000:
            ranges.append((base, 0xA0000 - base, E820_RESERVED))      # the EBDA
        ranges.append((BIOS_ROM_START, 0x100000 - BIOS_ROM_START, E820_RESERVED))
        top = self._extended_top()
        if top > 0x100000:
            ranges.append((0x100000, top - 0x100000, E820_RAM))
        if self.address_bits >= 32:
            ranges.append((BIOS_ALIAS[0], BIOS_ALIAS[1] - BIOS_ALIAS[0], E820_RESERVED))
        return ranges

    def _e820(self) -> None:
        """[ACPI] E820h: EDX='SMAP', EBX = continuation (0 first), ES:DI buffer of ECX >= 20
        bytes; returns one 20-byte range, EAX='SMAP', ECX=20, EBX = next (0 after the last)."""
        bios = self.bios
        ranges = self.memory_map()
        index = bios["ebx"]
        if bios["edx"] != SMAP or bios["ecx"] < 20 or index >= len(ranges):
            bios.fail(NOT_SUPPORTED)
            return
        base, length, kind = ranges[index]
        entry = base.to_bytes(8, "little") + length.to_bytes(8, "little") + kind.to_bytes(4, "little")
        bios.write(bios.linear(bios["es"], bios["di"]), entry)
        bios["eax"] = SMAP
        bios["ecx"] = 20
        bios["ebx"] = index + 1 if index + 1 < len(ranges) else 0
        bios.set_cf(False)

    def _e801(self) -> None:
        """[RBIL] E801h: AX=CX = KiB from 1 MiB to 16 MiB (at most 3C00h), BX=DX = 64 KiB
        blocks above 16 MiB."""
        bios = self.bios
        top = self._extended_top()
        low = min(top, 16 << 20) - 0x100000 >> 10
        high = max(0, top - (16 << 20)) >> 16
        bios["ax"] = bios["cx"] = low
        bios["bx"] = bios["dx"] = min(high, 0xFFFF)
        bios.set_cf(False)

    # --- A20 -----------------------------------------------------------------------------
    def _a20(self) -> None:
        """[RBIL] 2400h disable, 2401h enable (through port 92h and the 8042 output port),
        2402h status in AL, 2403h support bitmap in BX (bit 0 8042, bit 1 port 92h)."""
        bios = self.bios
        al = bios["al"]
        if self.address_bits <= 20 or al > 3:
            bios.fail(NOT_SUPPORTED)
            return
        if al <= 1:
            on = bool(al)
            self._out(0x92, (self._in(0x92) & ~0x03) | (0x02 if on else 0))
            self._kbc_command(0xD1, 0xDF if on else 0xDD)
            if self.cpu.a20 != on:
                bios.fail(0x01)
                return
        elif al == 2:
            bios["al"] = 1 if self.cpu.a20 else 0
        else:
            bios["bx"] = 0x0003
        bios.ok(0)

    # --- waits ---------------------------------------------------------------------------
    def _start_wait(self, seg: int, off: int, usec: int) -> None:
        """[AT]: arm the countdown the INT 70h service runs (RTC periodic interrupt on)."""
        bios = self.bios
        bios.wr16(BDA_WAIT_FLAG_PTR, off)
        bios.wr16(BDA_WAIT_FLAG_PTR + 2, seg)
        bios.wr32(BDA_WAIT_COUNT, usec)
        bios.wr8(BDA_WAIT_ACTIVE, 1)
        self._unmask_irq(8)
        self._cmos_write(CMOS_B, self._cmos_read(CMOS_B) | B_PIE)

    def _event_wait(self) -> None:
        """[RBIL] 83h: AL=00h set bit 7 of ES:BX after CX:DX us (returns at once), AL=01h
        cancel; CF=1 if a wait is already running."""
        bios = self.bios
        if bios["al"] == 0x01:
            bios.wr8(BDA_WAIT_ACTIVE, 0)
            self._cmos_write(CMOS_B, self._cmos_read(CMOS_B) & ~B_PIE)
            bios.ok(0)
            return
        if bios.rd8(BDA_WAIT_ACTIVE) & 1:
            bios.set_cf(True)
            return
        self._start_wait(bios["es"], bios["bx"], bios["cx"] << 16 | bios["dx"])
        bios.ok(0)

    def _wait(self) -> None:
        """[RBIL] 86h: wait CX:DX us with interrupts enabled; CF=1 AH=83h if a wait is running.

        The flag byte is 40:A0h itself; the caller halts in the stub's wait path and is
        called again after each interrupt until the INT 70h service sets bit 7."""
        bios = self.bios
        ebda = self._ebda()
        own = (bios.rd16(BDA_WAIT_FLAG_PTR) == 0xA0 and bios.rd16(BDA_WAIT_FLAG_PTR + 2) == 0x40
               and bios.rd32(ebda + EBDA_WAIT_STACK) == self._stack_id())
        active = bios.rd8(BDA_WAIT_ACTIVE)
        if own and active & 0x80:                        # our countdown has ended
            bios.wr8(BDA_WAIT_ACTIVE, 0)
            bios.wr32(ebda + EBDA_WAIT_STACK, 0)
            bios.ok(0)
            return
        if own and active & 1:
            bios.wait(0x15)
            return
        if active & 1:
            bios.fail(0x83)
            return
        bios.wr32(ebda + EBDA_WAIT_STACK, self._stack_id())
        self._start_wait(0x40, 0xA0, bios["cx"] << 16 | bios["dx"])
        bios.wait(0x15)

    # --- move block ----------------------------------------------------------------------
    def _move_block(self) -> None:
        """[AT] 87h: copy CX words between the descriptors at ES:SI+10h (source) and +18h
        (destination): 24-bit base at +2, plus the 386 high byte at +7.  The AT BIOS gates A20
        on for the move and restores it, so the addresses are used unmasked and A20 is left
        as it was.  A limit below 2*CX-1 or CX > 8000h is what a protected-mode fault would
        report: AH=02h."""
        bios = self.bios
        if self.address_bits <= 20:
            bios.fail(NOT_SUPPORTED)
            return
        count = bios["cx"] * 2
        gdt = bios.linear(bios["es"], bios["si"])
        mask = (1 << self.address_bits) - 1

        def descriptor(off: int) -> tuple[int, int]:
            limit = bios.rd16(gdt + off)
            base = bios.rd16(gdt + off + 2) | bios.rd8(gdt + off + 4) << 16 | bios.rd8(gdt + off + 7) << 24
            return base & mask, limit

        (src, src_limit), (dst, dst_limit) = descriptor(0x10), descriptor(0x18)
        if count > 0x10000 or count and (count - 1 > src_limit or count - 1 > dst_limit):
            bios.fail(0x02)
            return
        if count:
            self._phys_write(dst, self._phys_read(src, count))
        bios.ok(0)

    def _phys_read(self, addr: int, n: int) -> bytes:
        """Bytes at physical ``addr`` as the bus returns them (holes read FFh)."""
        cpu = self.cpu
        out = bytearray()
        while n > 0:
            addr &= 0xFFFFFFFF
            chunk = min(n, ((addr >> S.PAGE_SHIFT) + 1 << S.PAGE_SHIFT) - addr)
            kind = int(cpu.pmap[addr >> S.PAGE_SHIFT])
            if kind in (S.PG_RAM, S.PG_ROM):
                out += cpu.read_phys(addr, chunk)
            elif kind == S.PG_BIOS_ALIAS:
                out += cpu.read_phys(addr & 0xFFFFF, chunk)
            else:
                out += b"\xff" * chunk
            addr += chunk
            n -= chunk
        return bytes(out)

    def _phys_write(self, addr: int, data: bytes) -> None:
        """Store ``data`` at physical ``addr``: RAM pages only (ROM and holes ignore writes)."""
        cpu = self.cpu
        pos = 0
        while pos < len(data):
            addr &= 0xFFFFFFFF
            chunk = min(len(data) - pos, ((addr >> S.PAGE_SHIFT) + 1 << S.PAGE_SHIFT) - addr)
            if int(cpu.pmap[addr >> S.PAGE_SHIFT]) == S.PG_RAM:
                cpu.write_phys(addr, data[pos : pos + chunk])
            addr += chunk
            pos += chunk

    # --- PS/2 pointing device --------------------------------------------------------------
    def _mouse(self) -> None:
        """[PS2]/[RBIL] C2h pointing device interface: 00h enable/disable (BH), 01h reset
        (BH = ID, BL = AAh), 02h sample rate (BH 0-6), 03h resolution (BH 0-3), 04h get type
        (BH), 05h initialise (BH = package size 1-8), 06h extended (BH=0 status in BL/CL/DL,
        1/2 scaling 1:1 / 2:1), 07h handler ES:BX.  Status in AH: 0 ok, 1 bad function,
        2 bad input, 3 interface error, 4 resend, 5 no handler."""
        bios = self.bios
        al, bh = bios["al"], bios["bh"]
        ebda = self._ebda()
        if not ebda:
            bios.fail(0x03)
            return
        if al == 0x07:
            off, seg = bios["bx"], bios["es"]
            bios.wr16(ebda + EBDA_MOUSE_HANDLER, off)
            bios.wr16(ebda + EBDA_MOUSE_HANDLER + 2, seg)
            flags2 = bios.rd8(ebda + EBDA_MOUSE_FLAGS2) & ~MOUSE_HANDLER_SET
            bios.wr8(ebda + EBDA_MOUSE_FLAGS2, flags2 | (MOUSE_HANDLER_SET if off or seg else 0))
            bios.ok(0)
            return
        if al > 0x06:
            self._unimplemented(f"INT 15h AX={bios['ax']:04X}h")
            bios.fail(0x01)
            return
        if (al == 0x00 and bh > 1 or al == 0x02 and bh > 6 or al == 0x03 and bh > 3
                or al == 0x05 and not 1 <= bh <= 8 or al == 0x06 and bh > 2):
            bios.fail(0x02)
            return
        if al == 0x00 and bh == 1 and not bios.rd8(ebda + EBDA_MOUSE_FLAGS2) & MOUSE_HANDLER_SET:
            bios.fail(0x05)
            return
        # talk to the device with the keyboard and the mouse interrupt held off
        saved = self.machine.kbc.command_byte
        self._kbc_command(0x60, (saved | CB_KBD_DIS) & ~CB_AUX_INT)
        status = self._mouse_function(al, bh, ebda)
        restored = saved & ~CB_AUX_DIS
        if al == 0x00 and bh == 1 and status == 0:
            restored |= CB_AUX_INT
            self._unmask_irq(12)
        self._kbc_command(0x60, restored)
        if status:
            bios.fail(status)
        else:
            bios.ok(0)

    def _mouse_function(self, al: int, bh: int, ebda: int) -> int:
        """Device part of C2h function ``al``; returns the status code."""
        bios = self.bios
        if al == 0x00:
            return self._aux_command(0xF4 if bh else 0xF5)
        if al in (0x01, 0x05):
            if al == 0x05:
                flags2 = bios.rd8(ebda + EBDA_MOUSE_FLAGS2)
                bios.wr8(ebda + EBDA_MOUSE_FLAGS2, (flags2 & ~7) | (bh - 1))
            bios.wr8(ebda + EBDA_MOUSE_FLAGS1, 0)
            status = self._aux_command(0xFF)
            if status:
                return status
            bat, ident = self._aux_read(), self._aux_read()
            if bat is None or ident is None:
                return 0x03
            if al == 0x01:
                bios["bh"], bios["bl"] = ident, bat
            return 0
        if al == 0x02:
            return self._aux_command(0xF3, MOUSE_RATES[bh])
        if al == 0x03:
            return self._aux_command(0xE8, bh)
        if al == 0x04:
            status = self._aux_command(0xF2)
            ident = self._aux_read() if status == 0 else None
            if ident is None:
                return status or 0x03
            bios["bh"] = ident
            return 0
        # al == 0x06
        if bh:
            return self._aux_command(0xE6 if bh == 1 else 0xE7)
        status = self._aux_command(0xE9)
        if status:
            return status
        reply = [self._aux_read() for _ in range(3)]
        if None in reply:
            return 0x03
        bios["bl"], bios["cl"], bios["dl"] = reply
        return 0

    # ==================================================================================
    # INT 1Ah: time of day
    # ==================================================================================
    def int1a(self) -> None:
        """[AT] TIME_OF_DAY: 00h/01h read/set the tick count (AL = midnight flag, cleared),
        02h-05h read/set the RTC time and date in BCD (CF=1 if the clock is not running),
        06h/07h set/reset the alarm (INT 4Ah); [PCI] B1h: no PCI BIOS (CF=1, AH=81h)."""
        bios = self.bios
        ah = bios["ah"]
        if ah == 0x00:
            ticks = bios.rd32(BDA_TICKS)
            bios["cx"], bios["dx"] = ticks >> 16, ticks & 0xFFFF
            bios["al"] = bios.rd8(BDA_MIDNIGHT)
            bios.wr8(BDA_MIDNIGHT, 0)
            bios.set_cf(False)
        elif ah == 0x01:
            bios.wr32(BDA_TICKS, bios["cx"] << 16 | bios["dx"])
            bios.wr8(BDA_MIDNIGHT, 0)
            bios.set_cf(False)
        elif 0x02 <= ah <= 0x07:
            self._rtc_function(ah)
        elif ah == 0xB1:
            bios.fail(0x81)
        else:
            self._unimplemented(f"INT 1Ah AH={ah:02X}h")
            bios.set_cf(True)

    def _rtc_function(self, ah: int) -> None:
        bios = self.bios
        if ah in (0x03, 0x05) and not self._rtc_running():
            self._cmos_write(CMOS_A, A_AT_DEFAULT)       # [AT]: setting a dead clock starts it
            self._cmos_write(CMOS_B, B_24H)
        if ah == 0x07:
            self._cmos_write(CMOS_B, self._cmos_read(CMOS_B) & ~B_AIE)
            bios.set_cf(False)
            return
        if not self._rtc_ready():
            bios.set_cf(True)
            return
        b = self._cmos_read(CMOS_B)
        if ah == 0x02:
            bios["ch"], bios["cl"], bios["dh"] = (self._rtc_get(i) for i in (0x04, 0x02, 0x00))
            bios["dl"] = b & B_DSE
        elif ah == 0x04:
            bios["ch"] = self._cmos_read(CMOS_CENTURY)
            bios["cl"], bios["dh"], bios["dl"] = (self._rtc_get(i) for i in (0x09, 0x08, 0x07))
        elif ah in (0x03, 0x05):
            self._cmos_write(CMOS_B, b | B_SET)
            if ah == 0x03:
                for index, reg in ((0x00, "dh"), (0x02, "cl"), (0x04, "ch")):
                    self._rtc_put(index, bios[reg])
                b = (b & ~B_DSE) | (B_DSE if bios["dl"] & 1 else 0)
            else:
                self._set_date(bios["ch"], bios["cl"], bios["dh"], bios["dl"])
            self._cmos_write(CMOS_B, b & ~B_SET)
        else:                                            # 06h: alarm at CH:CL:DH
            if b & B_AIE:
                bios.set_cf(True)
                return
            for index, reg in ((0x01, "dh"), (0x03, "cl"), (0x05, "ch")):
                self._rtc_put(index, bios[reg])
            self._unmask_irq(8)
            self._cmos_write(CMOS_B, b | B_AIE)
        bios.set_cf(False)

    def _set_date(self, century: int, year: int, month: int, day: int) -> None:
        """Write the date registers and the day of week (1 = Sunday, [AT] CMOS map)."""
        try:
            dow = _dt.date(_unbcd(century) * 100 + _unbcd(year), _unbcd(month), _unbcd(day)).isoweekday()
            self._rtc_put(0x06, _bcd(dow % 7 + 1))
        except ValueError:
            pass                                         # not a date: the day of week is left alone
        self._rtc_put(0x07, day)
        self._rtc_put(0x08, month)
        self._rtc_put(0x09, year)
        self._cmos_write(CMOS_CENTURY, century)


def system_config_table() -> bytes:
    """[PS2] INT 15h C0h table: length 8, model FCh (AT), submodel 01h, revision 0, feature
    byte 1 = 74h (second 8259A, RTC, INT 15h 4Fh called by INT 09h, EBDA allocated), feature
    bytes 2-5 zero."""
    return bytes((8, 0, R.MODEL_BYTE, 0x01, 0x00, 0x74, 0x00, 0x00, 0x00, 0x00))


def install(bios: Bios) -> SystemServices:
    """Register the system services, the chipset POST hook and the C0h table with ``bios``."""
    svc = SystemServices(bios)
    bios.post_hooks.append(svc.post)
    bios.register(0x08, svc.irq0, vector=False)
    bios.register(0x70, svc.irq8, vector=False)
    bios.register(0x74, svc.irq12, vector=False)
    for vector, handler in ((0x11, svc.int11), (0x12, svc.int12), (0x14, svc.int14),
                            (0x15, svc.int15), (0x17, svc.int17), (0x18, svc.int18),
                            (0x1A, svc.int1a)):
        bios.register(vector, handler)
    bios.tables["system_config"] = system_config_table()
    return svc
