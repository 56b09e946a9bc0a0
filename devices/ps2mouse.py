"""A PS/2 mouse (with the IntelliMouse wheel extension) behind the 8042 auxiliary port.

References: IBM *PS/2 Hardware Interface Technical Reference*, "Pointing
Device" -- data report format, modes of operation (stream, remote, wrap),
"Commands from the System"; Microsoft's IntelliMouse extension (device ID 03h
after setting the sample rate to 200, 100, 80; a fourth report byte holding
the wheel movement).

Host input: :meth:`PS2Mouse.move` builds one report per call (the sample rate
is stored and reported but does not pace reports).  Reports are queued in
stream mode with data reporting enabled; in remote mode the movement is
accumulated until the system reads it with EBh.  Bytes go into
:attr:`PS2Mouse.queue`; the controller takes them with :meth:`take`.

Not modelled: reports paced by the sample rate, the resolution scaling of
host deltas (the resolution is stored and reported only), device ID 04h.
When the queue is full a whole report is dropped, so reports stay aligned.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import ClassVar

from .base import Device

ACK = 0xFA
RESEND = 0xFE
BAT_OK = 0xAA
VALID_RATES = (10, 20, 40, 60, 80, 100, 200)     # "Set Sampling Rate" option values
WHEEL_KNOCK = [200, 100, 80]                      # IntelliMouse: rates that switch the ID to 03h


def _scale21(v: int) -> int:
    """2:1 scaling of one movement count ("Scaling"): 1->1, 2->1, 3->3, 4->6, 5->9, n->2n."""
    a = abs(v)
    s = (0, 1, 1, 3, 6, 9)[a] if a <= 5 else 2 * a
    return -s if v < 0 else s


class PS2Mouse(Device):
    """The mouse: command interpreter, data reports, bytes queued for the 8042."""

    NAME = "ps2mouse"
    STATE_VERSION = 1
    STATE_FIELDS = ("queue", "enabled", "remote", "wrap", "rate", "resolution", "scaling21",
                    "device_id", "rate_history", "pending_cmd", "buttons", "acc_dx", "acc_dy",
                    "acc_dz", "last_sent")
    QUEUE_LIMIT: ClassVar[int] = 64
    COUNTER_LIMIT: ClassVar[int] = 4096                # remote-mode accumulators saturate here

    def __init__(self) -> None:
        #: called after bytes were queued (the controller's pump); wiring, not state
        self.on_data: Callable[[], None] | None = None
        self.queue: list[int] = []
        self.enabled = False
        self.remote = False
        self.wrap = False
        self.rate = 100
        self.resolution = 2
        self.scaling21 = False
        self.device_id = 0
        self.rate_history: list[int] = []
        self.pending_cmd = 0
        self.buttons = 0
        self.acc_dx = self.acc_dy = self.acc_dz = 0
        self.last_sent: list[int] = [ACK]
        self.reset()

    def reset(self) -> None:
        """Power-on state ("Reset"): defaults, stream mode, reporting disabled, ID 00h."""
        self.queue = []
        self._set_defaults()
        self.wrap = False
        self.device_id = 0
        self.rate_history = []
        self.pending_cmd = 0
        self.buttons = 0
        self.last_sent = [ACK]

    def _set_defaults(self) -> None:
        """'Set Default': 100 reports/s, 4 counts/mm, 1:1 scaling, stream mode, disabled."""
        self.rate = 100
        self.resolution = 2
        self.scaling21 = False
        self.remote = False
        self.enabled = False
        self.acc_dx = self.acc_dy = self.acc_dz = 0

    # --- link to the controller ------------------------------------------------------
    def take(self) -> int | None:
        """Remove and return the next byte for the controller (None if none)."""
        return self.queue.pop(0) if self.queue else None

    def _send(self, *data: int, record: bool = True) -> None:
        """Queue one unit (an ACK, a response or a report); FEh resends the last unit."""
        if len(self.queue) + len(data) > self.QUEUE_LIMIT:
            return
        self.queue.extend(b & 0xFF for b in data)
        if record:
            self.last_sent = [b & 0xFF for b in data]
        if self.on_data is not None:
            self.on_data()

    # --- commands ---------------------------------------------------------------------
    def receive(self, value: int) -> None:
        """A byte from the system (controller command D4h): a command or an option byte."""
        value &= 0xFF
        if self.pending_cmd:
            cmd, self.pending_cmd = self.pending_cmd, 0
            self._option(cmd, value)
            return
        if self.wrap and value not in (0xEC, 0xFF):   # wrap mode echoes all but these two
            self._send(value)
            return
        self.queue.clear()            # a command stops the transmission in progress
        self._command(value)

    def _option(self, cmd: int, value: int) -> None:
        if cmd == 0xF3:                                # Set Sampling Rate
            if value not in VALID_RATES:
                self._send(RESEND, record=False)
                return
            self.rate = value
            self.rate_history = (self.rate_history + [value])[-3:]
            if self.rate_history == WHEEL_KNOCK:
                self.device_id = 3
            self._send(ACK)
        elif cmd == 0xE8:                              # Set Resolution
            if value > 3:
                self._send(RESEND, record=False)
                return
            self.resolution = value
            self._send(ACK)

    def _command(self, cmd: int) -> None:
        if cmd in (0xE8, 0xF3):
            self.pending_cmd = cmd
            self._send(ACK)
        elif cmd == 0xE6:                              # Reset Scaling (1:1)
            self.scaling21 = False
            self._send(ACK)
        elif cmd == 0xE7:                              # Set Scaling 2:1
            self.scaling21 = True
            self._send(ACK)
        elif cmd == 0xE9:                              # Status Request
            self._send(ACK)
            self._send(self.status_byte(), self.resolution, self.rate)
        elif cmd == 0xEA:                              # Set Stream Mode
            self.remote = False
            self._send(ACK)
        elif cmd == 0xEB:                              # Read Data (a report, counters cleared)
            self._send(ACK)
            self._send(*self._report(self.acc_dx, self.acc_dy, self.acc_dz, self.buttons))
        elif cmd == 0xEC:                              # Reset Wrap Mode
            self.wrap = False
            self._send(ACK)
        elif cmd == 0xEE:                              # Set Wrap Mode
            self.wrap = True
            self._send(ACK)
        elif cmd == 0xF0:                              # Set Remote Mode
            self.remote = True
            self._send(ACK)
        elif cmd == 0xF2:                              # Read Device Type
            self._send(ACK)
            self._send(self.device_id)
        elif cmd == 0xF4:                              # Enable (data reporting)
            self.enabled = True
            self._send(ACK)
        elif cmd == 0xF5:                              # Disable
            self.enabled = False
            self._send(ACK)
        elif cmd == 0xF6:                              # Set Default
            self._set_defaults()
            self._send(ACK)
        elif cmd == 0xFE:                              # Resend the last report/response
            self._send(*self.last_sent, record=False)
        elif cmd == 0xFF:                              # Reset: ACK, BAT AAh, ID 00h
            self.reset()
            self._send(ACK)
            self._send(BAT_OK, 0x00)
        else:
            self._send(RESEND, record=False)

    def status_byte(self) -> int:
        """First status byte: bit 6 remote, 5 enabled, 4 scaling 2:1, 2 left, 1 middle, 0 right."""
        b = self.buttons
        return ((0x40 if self.remote else 0) | (0x20 if self.enabled else 0)
                | (0x10 if self.scaling21 else 0)
                | (0x04 if b & 1 else 0) | (0x02 if b & 4 else 0) | (0x01 if b & 2 else 0))

    def _report(self, dx: int, dy: int, dz: int, buttons: int) -> list[int]:
        """One data report: byte 0 Yov Xov Ysign Xsign 1 M R L, then X, Y (9-bit), [Z]."""
        self.acc_dx = self.acc_dy = self.acc_dz = 0
        xov = not -256 <= dx <= 255
        yov = not -256 <= dy <= 255
        dx = max(-256, min(255, dx))
        dy = max(-256, min(255, dy))
        b0 = (0x08 | (buttons & 0x07) | (0x10 if dx < 0 else 0) | (0x20 if dy < 0 else 0)
              | (0x40 if xov else 0) | (0x80 if yov else 0))
        pkt = [b0, dx & 0xFF, dy & 0xFF]
        if self.device_id == 3:
            pkt.append(max(-8, min(7, dz)) & 0xFF)
        return pkt

    # --- host input --------------------------------------------------------------------
    def move(self, dx: int, dy: int, dz: int = 0, buttons: int = 0) -> None:
        """Host mouse input: ``dy`` > 0 is up (PS/2 sense), ``dz`` > 0 wheel toward the user.

        ``buttons``: bit 0 left, bit 1 right, bit 2 middle (the report's order).
        """
        self.buttons = int(buttons) & 0x07
        dx, dy, dz = int(dx), int(dy), int(dz)
        if self.wrap:
            return
        if self.remote:                                # counters wait for Read Data (EBh)
            lim = self.COUNTER_LIMIT
            self.acc_dx = max(-lim, min(lim, self.acc_dx + dx))
            self.acc_dy = max(-lim, min(lim, self.acc_dy + dy))
            self.acc_dz = max(-lim, min(lim, self.acc_dz + dz))
            return
        if not self.enabled:
            return
        if self.scaling21:                             # scaling applies to stream mode only
            dx, dy = _scale21(dx), _scale21(dy)
        self._send(*self._report(dx, dy, dz, self.buttons))
