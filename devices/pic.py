"""The PC/AT pair of Intel 8259A programmable interrupt controllers, plus the PIIX ELCR.

References: Intel *8259A Programmable Interrupt Controller* (order no. 231468),
cited below as [8259A] with the section name; Intel *82371FB (PIIX) and
82371SB (PIIX3) PCI ISA IDE Xcelerator*, registers ELCR1/ELCR2, cited as [PIIX].

Wiring (IBM PC AT): the master decodes ports 20h-21h and answers the CPU's
INTA; the slave decodes A0h-A1h and its INT output drives the master's IR2
(the AT's cascade input).  The ISA bus pin that the PC/XT called IRQ2 is wired
to the slave's IR1 on the AT, so ``set_irq(2, ...)`` drives IRQ9 (OR-ed with
``set_irq(9, ...)``); nothing a device drives reaches the master's IR2 directly.
Roles are fixed by this wiring (the SP/EN pin); the ICW4 buffered-mode bits are
stored but do not swap master and slave.

Modelling choices (the datasheet leaves these open or a host model needs them):

* Power-on (:meth:`DualPIC.reset`): the 8259A has no defined state until ICW1.
  We choose IMR = FFh on both chips (nothing reaches the CPU before the BIOS
  programs the pair), IRR = ISR = 0, vector bases 0, IR7 lowest priority,
  IRR selected for reads, ELCR1 = ELCR2 = 00h (all edge, the [PIIX] default).
  The input wire levels survive a reset (they belong to the devices).
* Edge-triggered inputs latch their request in IRR on the rising edge and keep
  it until the INTA that services it (or ICW1), even if the wire falls first:
  devices here signal edge interrupts with :meth:`IrqLine.pulse`.  The real
  chip also needs the wire held high until INTA; this model does not.
* Level-triggered inputs (LTIM in ICW1, or the input's ELCR bit; either one
  selects level mode) have an IRR bit that simply follows the wire; if it
  falls before INTA the acknowledge gets the spurious IR7 vector.
* The master's IR2 latches while the slave's INT output is high and keeps the
  latch until INTA, so a slave request that vanishes after the master latched
  it yields the slave's spurious vector (slave base + 7) with master ISR bit 2
  set, as on a real AT; a slave request still pending after an INTA re-latches
  IR2 at once, so no slave request is lost.
* Poll (OCW3 P=1) sets the IS bit like an INTA but does not apply AEOI, and the
  poll word is 00h when nothing is requesting.
* In 8080/85 mode (ICW4 uPM = 0, or no ICW4) INTA still returns one vector
  byte, ``(ICW2 & F8h) | level``; the CALL-instruction sequence is not modelled.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import ClassVar

from .base import Device

MASTER, SLAVE = 0, 1
#: [PIIX] ELCR1/ELCR2: IRQ0, 1, 2 and IRQ8, 13 are always edge (their bits read 0)
ELCR_WRITABLE = (0xF8, 0xDE)
#: the master input that carries the slave's INT output on the AT
CASCADE_IR = 2


class DualPIC(Device):
    """Two cascaded 8259As (master 20h-21h, slave A0h-A1h) and the ELCR at 4D0h-4D1h.

    Per-chip registers are two-element lists, index 0 the master and 1 the
    slave.  ``on_intr(level)`` (optional wiring) is called whenever the master's
    INT output changes; the machine may instead poll :attr:`intr`.
    """

    NAME = "pic"
    STATE_VERSION = 1
    STATE_FIELDS = ("pins", "irr", "isr", "imr", "icw1", "icw2", "icw3", "icw4", "init_step",
                    "lowest", "read_isr", "poll", "smm", "rotate_aeoi", "elcr")
    IO_WIDTHS: ClassVar[tuple[int, ...]] = (1,)

    def __init__(self, on_intr: Callable[[bool], None] | None = None) -> None:
        self.on_intr = on_intr
        #: levels of the 16 IRQ wires as driven by devices (bit 2 = ISA IRQ2, routed to IR9)
        self.pins = 0
        self._intr = False
        self.reset()

    # --- power-on ----------------------------------------------------------------------
    def reset(self) -> None:
        """Power-on state (see the module docstring for the values chosen)."""
        self.irr = [0, 0]            # interrupt request registers
        self.isr = [0, 0]            # in-service registers
        self.imr = [0xFF, 0xFF]      # OCW1 interrupt mask registers
        self.icw1 = [0, 0]           # raw ICW1 (LTIM bit 3, SNGL bit 1, IC4 bit 0)
        self.icw2 = [0, 0]           # raw ICW2 (vector base in bits 7-3)
        self.icw3 = [0, 7]           # master: slave-input bitmap; slave: its ID (bits 2-0)
        self.icw4 = [0, 0]           # raw ICW4 (SFNM bit 4, BUF/M-S bits 3-2, AEOI bit 1, uPM bit 0)
        self.init_step = [0, 0]      # 0 ready, 1/2/3 = waiting for ICW2/ICW3/ICW4
        self.lowest = [7, 7]         # the IR with the lowest priority (rotation)
        self.read_isr = [False, False]   # OCW3 RR/RIS: even-port reads return ISR, else IRR
        self.poll = [False, False]   # OCW3 P: the next even-port read is a poll
        self.smm = [False, False]    # OCW3 ESMM/SMM: special mask mode
        self.rotate_aeoi = [False, False]  # OCW2 rotate-in-AEOI flip-flop
        self.elcr = [0, 0]           # [PIIX] ELCR1 (4D0h), ELCR2 (4D1h)
        self._update()

    def state_loaded(self) -> None:
        """Recompute the INT outputs from the restored registers."""
        self._update()

    # --- the wires ---------------------------------------------------------------------
    def set_irq(self, irq: int, level: int) -> None:
        """Drive IRQ wire ``irq`` (0-15) to ``level``; irq 2 is the AT's IRQ2/9 pin (slave IR1).

        [8259A] "Edge and Level Triggered Modes": an edge input requests on a
        low-to-high transition (the edge-sense latch), a level input while high.
        """
        if not 0 <= irq <= 15:
            return
        bit = 1 << irq
        new = (self.pins | bit) if level else (self.pins & ~bit)
        if new == self.pins:
            return
        old_m, old_s = self._inputs(self.pins)
        self.pins = new
        new_m, new_s = self._inputs(new)
        self.irr[MASTER] |= new_m & ~old_m & ~self._level_mask(MASTER)
        self.irr[SLAVE] |= new_s & ~old_s & ~self._level_mask(SLAVE)
        self._update()

    @staticmethod
    def _inputs(pins: int) -> tuple[int, int]:
        """The device-driven IR inputs of (master, slave); master IR2 is the slave INT."""
        return pins & 0xFB, ((pins >> 8) & 0xFF) | (((pins >> 2) & 1) << 1)

    def _level_mask(self, c: int) -> int:
        """Inputs of chip ``c`` in level mode: all if ICW1 LTIM, else its ELCR bits."""
        return 0xFF if self.icw1[c] & 0x08 else self.elcr[c]

    def _is_cascade(self, c: int) -> bool:
        """ICW1 SNGL = 0: the chip runs in cascade mode ([8259A] "Cascade Mode")."""
        return not self.icw1[c] & 0x02

    # --- priority resolution -----------------------------------------------------------
    def _resolve(self, c: int) -> int | None:
        """The IR chip ``c`` would interrupt for now, or None.

        [8259A] "Fully Nested Mode" / "Interrupt Masks" / "Special Mask Mode" /
        "Special Fully Nested Mode": the highest-priority unmasked IRR bit wins if
        no IS bit of equal or higher priority is set.  In special mask mode IS
        bits whose mask bit is set stop inhibiting anything; in SFNM a master
        slave input in service does not lock out a new request on that input.
        """
        req = self.irr[c] & ~self.imr[c] & 0xFF
        if not req:
            return None
        block = self.isr[c]
        if self.smm[c]:
            block &= ~self.imr[c]
        nested = 0
        if c == MASTER and self.icw4[MASTER] & 0x10 and self._is_cascade(MASTER):
            nested = self.icw3[MASTER]
        ir = self.lowest[c]
        for _ in range(8):
            ir = (ir + 1) & 7
            bit = 1 << ir
            if block & bit:
                return ir if req & bit & nested else None
            if req & bit:
                return ir
        return None

    def _highest_isr(self, c: int) -> int | None:
        """The in-service level a non-specific EOI resets ([8259A] "End of Interrupt").

        In special mask mode IS bits masked by the IMR are skipped.
        """
        cand = self.isr[c]
        if self.smm[c]:
            cand &= ~self.imr[c]
        ir = self.lowest[c]
        for _ in range(8):
            ir = (ir + 1) & 7
            if cand & (1 << ir):
                return ir
        return None

    def _update(self) -> None:
        """Refresh level-mode IRR bits, the slave INT -> master IR2 link and the master INT."""
        m_in, s_in = self._inputs(self.pins)
        lm = self._level_mask(SLAVE)
        self.irr[SLAVE] = (self.irr[SLAVE] & ~lm) | (s_in & lm)
        slave_int = self._resolve(SLAVE) is not None
        lm = self._level_mask(MASTER)
        if slave_int:
            m_in |= 1 << CASCADE_IR
        self.irr[MASTER] = (self.irr[MASTER] & ~lm) | (m_in & lm)
        if slave_int:
            self.irr[MASTER] |= 1 << CASCADE_IR
        intr = self._resolve(MASTER) is not None
        if intr != self._intr:
            self._intr = intr
            if self.on_intr is not None:
                self.on_intr(intr)

    @property
    def intr(self) -> bool:
        """The master's INT output: an unmasked request outranking everything in service."""
        return self._intr

    # --- INTA ---------------------------------------------------------------------------
    def _ack_chip(self, c: int, aeoi: bool) -> tuple[int, bool]:
        """One chip's part of an INTA (or poll): freeze the winner, set ISR, clear IRR.

        [8259A] "Interrupt Sequence": with no request left, the chip answers as
        if IR7 had requested and sets no IS bit.  "Automatic End of Interrupt
        Mode": with AEOI the IS bit is reset at the end of the sequence, and with
        the rotate-in-AEOI flip-flop set the serviced level becomes the lowest.
        Returns (level, real).
        """
        ir = self._resolve(c)
        if ir is None:
            return 7, False
        bit = 1 << ir
        self.irr[c] &= ~bit
        if aeoi:
            if self.rotate_aeoi[c]:
                self.lowest[c] = ir
        else:
            self.isr[c] |= bit
        return ir, True

    def acknowledge(self) -> int:
        """The CPU's INTA cycles: the 8-bit vector; updates IRR/ISR of both chips.

        [8259A] "Interrupt Sequence" and "Cascade Mode": the master resolves
        its winner (or spurious IR7); if that input is a slave input (SNGL = 0,
        ICW3 bit set) the master puts the level on CAS0-2 and the slave whose
        ICW3 ID matches supplies the vector (its own spurious IR7 if its request
        vanished); with no matching slave nothing drives the bus and FFh is read.
        The vector is ICW2 bits 7-3 plus the level ([8259A] "ICW2", x86 mode).
        """
        level, _real = self._ack_chip(MASTER, bool(self.icw4[MASTER] & 0x02))
        if self._is_cascade(MASTER) and self.icw3[MASTER] & (1 << level):
            if self._is_cascade(SLAVE) and (self.icw3[SLAVE] & 7) == level:
                s_level, _ = self._ack_chip(SLAVE, bool(self.icw4[SLAVE] & 0x02))
                vector = (self.icw2[SLAVE] & 0xF8) | s_level
            else:
                vector = 0xFF
        else:
            vector = (self.icw2[MASTER] & 0xF8) | level
        self._update()
        return vector

    # --- ports -------------------------------------------------------------------------
    def port_ranges(self) -> list[tuple[int, int]]:
        return [(0x20, 2), (0xA0, 2), (0x4D0, 2)]

    @staticmethod
    def _chip(port: int) -> int | None:
        if port in (0x20, 0x21):
            return MASTER
        if port in (0xA0, 0xA1):
            return SLAVE
        return None

    def io_read(self, port: int, size: int) -> int:
        """A0 = 1: the IMR; A0 = 0: poll word, ISR or IRR ([8259A] "Reading the 8259A Status")."""
        if port in (0x4D0, 0x4D1):
            return self.elcr[port - 0x4D0]
        c = self._chip(port)
        if c is None:
            return 0xFF
        if port & 1:
            return self.imr[c]
        if self.poll[c]:
            return self._poll_read(c)
        return self.isr[c] if self.read_isr[c] else self.irr[c]

    def _poll_read(self, c: int) -> int:
        """[8259A] "Poll Command": the read acts as INTA; 80h | level, or 00h if no request."""
        self.poll[c] = False
        level, real = self._ack_chip(c, False)
        self._update()
        return 0x80 | level if real else 0x00

    def io_write(self, port: int, size: int, value: int) -> None:
        """Dispatch ICW1-4, OCW1-3 ([8259A] "Programming the 8259A") and ELCR writes."""
        value &= 0xFF
        if port in (0x4D0, 0x4D1):
            i = port - 0x4D0
            self.elcr[i] = value & ELCR_WRITABLE[i]
            self._update()
            return
        c = self._chip(port)
        if c is None:
            return
        if port & 1:
            self._write_odd(c, value)
        elif value & 0x10:
            self._icw1(c, value)
        elif value & 0x08:
            self._ocw3(c, value)
        else:
            self._ocw2(c, value)
        self._update()

    def _icw1(self, c: int, value: int) -> None:
        """[8259A] "Initialization Command Words": ICW1 starts the sequence.

        It resets the edge-sense latches (IRR), clears the IMR, makes IR7 the
        lowest priority, sets the slave address to 7, clears special mask mode,
        selects IRR for reads, and zeroes the ICW4 functions when IC4 = 0.  We
        also clear ISR, a pending poll and the rotate-in-AEOI flip-flop.
        """
        self.icw1[c] = value
        self.init_step[c] = 1
        self.irr[c] = 0
        self.isr[c] = 0
        self.imr[c] = 0
        self.lowest[c] = 7
        self.smm[c] = False
        self.read_isr[c] = False
        self.poll[c] = False
        self.rotate_aeoi[c] = False
        if c == SLAVE:
            self.icw3[c] = 7
        if not value & 0x01:
            self.icw4[c] = 0

    def _write_odd(self, c: int, value: int) -> None:
        """ICW2/ICW3/ICW4 while initialising, else OCW1 (the IMR)."""
        step = self.init_step[c]
        single, ic4 = bool(self.icw1[c] & 0x02), bool(self.icw1[c] & 0x01)
        if step == 1:                      # ICW2: vector base (bits 2-0 unused in x86 mode)
            self.icw2[c] = value
            self.init_step[c] = 2 if not single else (3 if ic4 else 0)
        elif step == 2:                    # ICW3: slave bitmap (master) / slave ID (slave)
            self.icw3[c] = value if c == MASTER else value & 7
            self.init_step[c] = 3 if ic4 else 0
        elif step == 3:                    # ICW4: uPM, AEOI, BUF, M/S, SFNM
            self.icw4[c] = value & 0x1F
            self.init_step[c] = 0
        else:                              # OCW1
            self.imr[c] = value

    def _ocw2(self, c: int, value: int) -> None:
        """[8259A] "Operation Command Words", OCW2 (R, SL, EOI and L2-L0).

        001 non-specific EOI, 011 specific EOI, 101 rotate on non-specific EOI,
        111 rotate on specific EOI, 110 set priority (L becomes lowest),
        100/000 set/clear rotate-in-AEOI, 010 no operation.
        """
        op, level = value >> 5, value & 7
        if op in (0b001, 0b101):
            ir = self._highest_isr(c)
            if ir is not None:
                self.isr[c] &= ~(1 << ir)
                if op == 0b101:
                    self.lowest[c] = ir
        elif op in (0b011, 0b111):
            self.isr[c] &= ~(1 << level)
            if op == 0b111:
                self.lowest[c] = level
        elif op == 0b110:
            self.lowest[c] = level
        elif op == 0b100:
            self.rotate_aeoi[c] = True
        elif op == 0b000:
            self.rotate_aeoi[c] = False

    def _ocw3(self, c: int, value: int) -> None:
        """[8259A] OCW3: ESMM/SMM (bits 6-5), poll P (bit 2), RR/RIS (bits 1-0)."""
        if value & 0x40:
            self.smm[c] = bool(value & 0x20)
        if value & 0x04:
            self.poll[c] = True
        if value & 0x02:
            self.read_isr[c] = bool(value & 0x01)
