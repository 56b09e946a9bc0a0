"""The 8042 keyboard/auxiliary device controller (ports 60h/64h) with a PS/2 keyboard and mouse.

Reference: IBM *PS/2 Hardware Interface Technical Reference*, "Keyboard and
Auxiliary Device Controller": status register, controller command byte,
controller commands, input and output ports; the set 2 -> set 1 translation
is the keyboard's scan code table (:mod:`devices.ps2kbd`).

Model:

* Port 60h read returns the output buffer and clears OBF; port 64h read is the
  status register; port 64h write is a controller command; port 60h write is
  the option byte of a pending controller command, otherwise a byte for the
  keyboard.  Commands complete at once, so IBF always reads 0.
* The output buffer holds one byte.  The keyboard and the mouse each keep a
  queue; while OBF is clear and the device's interface is enabled (command
  byte bits 4/5) the next byte moves in: keyboard first, translated to set 1
  when command byte bit 6 is set (an F0h break prefix is swallowed and sets
  bit 7 of the next code).  After the system reads port 60h the next device
  byte arrives :attr:`I8042.BYTE_DELAY_NS` later (virtual time), so each byte
  is a separate interrupt.
* IRQ1 is high while OBF holds a non-auxiliary byte and command byte bit 0 is
  set; IRQ12 while OBF holds an auxiliary byte (status AUXB) and bit 1 is set
  (output port bits 4/5 are these two lines).
* Bytes produced by the controller itself (command results, D2h/D3h) are
  written straight into the output buffer, overwriting an unread byte as the
  hardware does; D3h bytes are flagged AUXB.
* Sending a byte to a device (port 60h, D4h) enables that device's interface
  (clears command byte bit 4/5): transmitting needs the clock line released.
* Output port: bit 0 is the CPU reset line (writing 0 with D1h resets the CPU,
  the bit then reads back 1: the reset is taken as a pulse), bit 1 gates A20.
  Power-on value CFh: A20 enabled, as the machine assumes after reset.
* The CPU reset (D1h bit 0 = 0, FEh or any F0h-FEh pulse with bit 0 clear)
  calls ``on_reset``; the controller keeps its own state, so ``on_reset``
  should reset the CPU and not call :meth:`I8042.reset`.

Not modelled: IBF/timeout/parity errors (a device is always present and
answers at once), the security password (A4h reports none installed; A5h's
password bytes are swallowed), vendor commands (A1h version, AMI C8h/CAh, ...:
ignored), input port lines other than the fixed value :attr:`I8042.INPUT_PORT`.
Self-test AAh answers 55h and sets the system flag; it leaves the command byte
alone.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, ClassVar

from emulator.clock import Clock

from .base import Device, IrqLine, StateError
from .ps2kbd import BREAK_PREFIX, SET2_TO_SET1, PS2Keyboard
from .ps2mouse import PS2Mouse

# status register (port 64h read)
ST_OBF = 0x01        # output buffer full
ST_IBF = 0x02        # input buffer full (never: commands complete at once)
ST_SYS = 0x04        # system flag (command byte bit 2)
ST_A2 = 0x08         # last write went to port 64h (command), not 60h (data)
ST_UNLOCKED = 0x10   # keyboard not inhibited by the key lock
ST_AUXB = 0x20       # output buffer holds a byte from the auxiliary device

# controller command byte (RAM byte 0)
CB_KBD_INT = 0x01
CB_AUX_INT = 0x02
CB_SYS = 0x04
CB_KBD_DIS = 0x10
CB_AUX_DIS = 0x20
CB_XLAT = 0x40

# output port
OP_RESET = 0x01      # 0 = CPU in reset
OP_A20 = 0x02
OP_KBD_OBF = 0x10    # IRQ1 line
OP_AUX_OBF = 0x20    # IRQ12 line

#: commands that take an option byte through port 60h
_WITH_DATA = frozenset(range(0x60, 0x80)) | {0xA5, 0xD1, 0xD2, 0xD3, 0xD4}


class I8042(Device):
    """Keyboard controller: ports 60h/64h, owns ``.keyboard`` and ``.mouse``."""

    NAME = "i8042"
    STATE_VERSION = 1
    STATE_FIELDS = ("ram", "out_byte", "obf", "out_aux", "last_was_cmd", "pending_cmd",
                    "output_port", "xlat_break", "status_poll")
    #: delay between a read of port 60h and the next device byte (virtual ns)
    BYTE_DELAY_NS: ClassVar[int] = 500_000
    #: power-on command byte: translation on, keyboard interface disabled, no interrupts
    POWER_ON_COMMAND: ClassVar[int] = 0x50
    POWER_ON_OUTPUT: ClassVar[int] = 0xCF
    #: input port (C0h): 7 keyboard not inhibited, 6 colour display, 5 no manufacturing
    #: jumper, 4 512 KiB board RAM, 1/0 auxiliary/keyboard data lines idle high
    INPUT_PORT: ClassVar[int] = 0xB3

    def __init__(self, clock: Clock, irq1: IrqLine, irq12: IrqLine,
                 on_a20: Callable[[bool], None], on_reset: Callable[[], None]) -> None:
        self.clock = clock
        self.irq1 = irq1
        self.irq12 = irq12
        self.on_a20 = on_a20
        self.on_reset = on_reset
        self.keyboard = PS2Keyboard()
        self.mouse = PS2Mouse()
        self.keyboard.on_data = self._pump
        self.mouse.on_data = self._pump
        self._timer = clock.timer(f"{self.NAME}.byte", self._timer_fired)
        self.ram: list[int] = []
        self.reset()                  # sets every state field

    def port_ranges(self) -> list[tuple[int, int]]:
        return [(0x60, 1), (0x64, 1)]

    def reset(self) -> None:
        """Power-on state of the controller, keyboard and mouse (no callbacks are called)."""
        self.ram = [0] * 32
        self.ram[0] = self.POWER_ON_COMMAND
        self.out_byte = 0
        self.obf = False
        self.out_aux = False
        self.last_was_cmd = False
        self.pending_cmd = 0
        self.output_port = self.POWER_ON_OUTPUT
        self.xlat_break = False
        self.status_poll = -1         # C1h/C2h: input port nibble shown in status bits 4-7
        self._timer.cancel()
        self.keyboard.reset()
        self.mouse.reset()
        self._update_irqs()

    # --- derived values ------------------------------------------------------------
    @property
    def command_byte(self) -> int:
        """Controller command byte (RAM byte 0)."""
        return self.ram[0]

    @property
    def a20(self) -> bool:
        """A20 gate as output port bit 1 drives it."""
        return bool(self.output_port & OP_A20)

    def status(self) -> int:
        """Status register (port 64h read)."""
        st = ST_UNLOCKED
        if self.obf:
            st |= ST_OBF
            if self.out_aux:
                st |= ST_AUXB
        if self.ram[0] & CB_SYS:
            st |= ST_SYS
        if self.last_was_cmd:
            st |= ST_A2
        if self.status_poll >= 0:
            st = (st & 0x0F) | (self.status_poll << 4)
        return st

    def _irq_levels(self) -> tuple[int, int]:
        cb = self.ram[0]
        kbd = self.obf and not self.out_aux and bool(cb & CB_KBD_INT)
        aux = self.obf and self.out_aux and bool(cb & CB_AUX_INT)
        return int(kbd), int(aux)

    def _update_irqs(self) -> None:
        kbd, aux = self._irq_levels()
        self.irq1.set(kbd)
        self.irq12.set(aux)

    def _output_port_value(self) -> int:
        v = self.output_port & ~(OP_KBD_OBF | OP_AUX_OBF)
        if self.obf:
            v |= OP_AUX_OBF if self.out_aux else OP_KBD_OBF
        return v

    # --- output buffer ---------------------------------------------------------------
    def _put_output(self, value: int, aux: bool) -> None:
        """The controller writes its output buffer directly (overwriting an unread byte)."""
        self.out_byte = value & 0xFF
        self.obf = True
        self.out_aux = aux
        self._update_irqs()

    def _pump(self) -> None:
        """Move the next device byte into an empty output buffer, if allowed now."""
        if self.obf or self._timer.armed:
            return
        cb = self.ram[0]
        if not cb & CB_KBD_DIS:
            while self.keyboard.queue:
                b = self.keyboard.take()
                assert b is not None
                if cb & CB_XLAT:
                    if b == BREAK_PREFIX:
                        self.xlat_break = True
                        continue
                    b = SET2_TO_SET1[b] | (0x80 if self.xlat_break else 0)
                    self.xlat_break = False
                self._put_output(b, False)
                return
        if not cb & CB_AUX_DIS:
            b = self.mouse.take()
            if b is not None:
                self._put_output(b, True)

    def _timer_fired(self, now: int) -> None:
        self._pump()

    # --- ports -----------------------------------------------------------------------
    def io_read(self, port: int, size: int) -> int:
        if port == 0x64:
            return self.status()
        if self.obf:
            self.obf = False
            self._update_irqs()
            self._timer.arm_in(self.BYTE_DELAY_NS)
        return self.out_byte

    def io_write(self, port: int, size: int, value: int) -> None:
        value &= 0xFF
        if port == 0x64:
            self.last_was_cmd = True
            self.status_poll = -1
            self.pending_cmd = 0
            self._command(value)
            return
        self.last_was_cmd = False
        cmd, self.pending_cmd = self.pending_cmd, 0
        if cmd:
            self._data(cmd, value)
        else:
            self._to_keyboard(value)

    def _to_keyboard(self, value: int) -> None:
        self._set_command_byte(self.ram[0] & ~CB_KBD_DIS)
        self.keyboard.receive(value)

    def _set_command_byte(self, value: int) -> None:
        self.ram[0] = value & 0xFF
        self._update_irqs()
        self._pump()

    def _write_output_port(self, value: int) -> None:
        """D1h: bit 1 drives A20, bit 0 = 0 resets the CPU (taken as a pulse)."""
        old_a20 = self.a20
        self.output_port = (value & 0xFF) | OP_RESET
        if self.a20 != old_a20:
            self.on_a20(self.a20)
        if not value & OP_RESET:
            self.on_reset()

    def _data(self, cmd: int, value: int) -> None:
        """Option byte (port 60h) for the pending controller command ``cmd``."""
        if 0x60 <= cmd <= 0x7F:                    # write controller RAM byte
            if cmd == 0x60:
                self._set_command_byte(value)
            else:
                self.ram[cmd & 0x1F] = value
        elif cmd == 0xA5:                          # load password: bytes up to a 00h
            if value != 0:
                self.pending_cmd = 0xA5
        elif cmd == 0xD1:                          # write output port
            self._write_output_port(value)
        elif cmd == 0xD2:                          # write keyboard output buffer
            self._put_output(value, False)
        elif cmd == 0xD3:                          # write auxiliary device output buffer
            self._put_output(value, True)
        elif cmd == 0xD4:                          # write to auxiliary device
            self._set_command_byte(self.ram[0] & ~CB_AUX_DIS)
            self.mouse.receive(value)

    def _command(self, cmd: int) -> None:
        """Controller command written to port 64h."""
        if cmd in _WITH_DATA:
            self.pending_cmd = cmd
        elif 0x20 <= cmd <= 0x3F:                  # read controller RAM byte
            self._put_output(self.ram[cmd & 0x1F], False)
        elif cmd == 0xA4:                          # test password installed: F1h = not installed
            self._put_output(0xF1, False)
        elif cmd == 0xA7:                          # disable auxiliary device interface
            self._set_command_byte(self.ram[0] | CB_AUX_DIS)
        elif cmd == 0xA8:                          # enable auxiliary device interface
            self._set_command_byte(self.ram[0] & ~CB_AUX_DIS)
        elif cmd in (0xA9, 0xAB):                  # auxiliary / keyboard interface test: no error
            self._put_output(0x00, False)
        elif cmd == 0xAA:                          # self-test: 55h, system flag set
            self.ram[0] |= CB_SYS
            self._put_output(0x55, False)
        elif cmd == 0xAD:                          # disable keyboard interface
            self._set_command_byte(self.ram[0] | CB_KBD_DIS)
        elif cmd == 0xAE:                          # enable keyboard interface
            self._set_command_byte(self.ram[0] & ~CB_KBD_DIS)
        elif cmd == 0xC0:                          # read input port
            self._put_output(self.INPUT_PORT, False)
        elif cmd == 0xC1:                          # poll input port low nibble into status 4-7
            self.status_poll = self.INPUT_PORT & 0x0F
        elif cmd == 0xC2:                          # poll input port high nibble into status 4-7
            self.status_poll = self.INPUT_PORT >> 4
        elif cmd == 0xD0:                          # read output port
            self._put_output(self._output_port_value(), False)
        elif cmd == 0xDD:                          # A20 off (HP-style)
            self._write_output_port(self.output_port & ~OP_A20)
        elif cmd == 0xDF:                          # A20 on (HP-style)
            self._write_output_port(self.output_port | OP_A20)
        elif cmd == 0xE0:                          # read test inputs: T0 keyboard clock, T1 aux clock
            cb = self.ram[0]
            self._put_output((0 if cb & CB_KBD_DIS else 1) | (0 if cb & CB_AUX_DIS else 2), False)
        elif cmd >= 0xF0:                          # pulse output port bits 0-3 where the bit is 0
            if not cmd & OP_RESET:
                self.on_reset()
        # anything else (A1h version, A6h password enable, vendor commands) is ignored

    # --- save / restore ------------------------------------------------------------------
    def save_state(self) -> dict[str, Any]:
        """Controller fields plus the keyboard's and mouse's states (nested)."""
        state = super().save_state()
        state["keyboard"] = {"version": self.keyboard.STATE_VERSION, "state": self.keyboard.save_state()}
        state["mouse"] = {"version": self.mouse.STATE_VERSION, "state": self.mouse.save_state()}
        return state

    def load_state(self, state: dict[str, Any], version: int | None = None) -> None:
        """Restore :meth:`save_state` output; the clock restores the byte timer's deadline."""
        state = dict(state)
        try:
            kbd, mouse = state.pop("keyboard"), state.pop("mouse")
        except KeyError:
            raise StateError(f"{self.NAME}: saved state lacks the keyboard or mouse") from None
        self.keyboard.load_state(kbd["state"], kbd["version"])
        self.mouse.load_state(mouse["state"], mouse["version"])
        super().load_state(state, version)

    def state_loaded(self) -> None:
        # the interrupt controller restores its own view of the lines: set our levels
        # without driving the sink, so no edge is invented
        self.irq1.level, self.irq12.level = self._irq_levels()
