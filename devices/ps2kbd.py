"""A PS/2 (MF II) keyboard behind the 8042: command set and scan code generation.

References: IBM *PS/2 Hardware Interface Technical Reference*, "Keyboards
(101- and 102-Key)" -- "Commands from the System", "Commands to the System",
"Scan Code Tables"; Microsoft *Keyboard Scan Code Specification* (set 1 / set 2
key table).  The keyboard works in scan code set 2 internally; bytes it sends
go into :attr:`PS2Keyboard.queue`, from which the controller takes them with
:meth:`PS2Keyboard.take`.

Host input: :meth:`key_event` with the key's set-2 make code (plus ``extended``
for the E0h-prefixed keys), :meth:`send_pause` and :meth:`send_print_screen`
for the two keys with special sequences.

Scan code set 1 (F0h 01h) is produced by the keyboard itself; with the
controller's translation also on, the codes are translated a second time, as
on real hardware (guests select set 1 only with translation off).

Not modelled: typematic repeat (the host feeds repeated make events itself; the
F3h rate/delay byte is stored only), key-dependent set 3 codes (set 3 is
accepted and reported by F0h 00h, but keys still send their set-2 codes), the
modifier-dependent variants of Print Screen and Pause (Alt+SysRq = 84h,
Ctrl+Break), and the power-on BAT completion code (the BIOS resets the keyboard
with FFh, which sends it).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import ClassVar

from .base import Device

ACK = 0xFA           # "Acknowledge" (Commands to the System)
RESEND = 0xFE        # "Resend": invalid input or a request to repeat
BAT_OK = 0xAA        # "BAT Completion Code"
ECHO = 0xEE          # answer to the Echo command
BREAK_PREFIX = 0xF0  # set 2/3 break-code prefix
EXT_PREFIX = 0xE0    # prefix of the keys added by the 101-key layout
KBD_ID = (0xAB, 0x83)  # "Read ID": MF II keyboard

#: (set-2 code, set-1 code) for every key position of the Microsoft scan code
#: table; the same pairs hold after an E0h prefix (E0 75 up arrow -> E0 48).
_KEY_PAIRS: tuple[tuple[int, int], ...] = (
    (0x76, 0x01), (0x16, 0x02), (0x1E, 0x03), (0x26, 0x04), (0x25, 0x05), (0x2E, 0x06),
    (0x36, 0x07), (0x3D, 0x08), (0x3E, 0x09), (0x46, 0x0A), (0x45, 0x0B), (0x4E, 0x0C),
    (0x55, 0x0D), (0x66, 0x0E), (0x0D, 0x0F), (0x15, 0x10), (0x1D, 0x11), (0x24, 0x12),
    (0x2D, 0x13), (0x2C, 0x14), (0x35, 0x15), (0x3C, 0x16), (0x43, 0x17), (0x44, 0x18),
    (0x4D, 0x19), (0x54, 0x1A), (0x5B, 0x1B), (0x5A, 0x1C), (0x14, 0x1D), (0x1C, 0x1E),
    (0x1B, 0x1F), (0x23, 0x20), (0x2B, 0x21), (0x34, 0x22), (0x33, 0x23), (0x3B, 0x24),
    (0x42, 0x25), (0x4B, 0x26), (0x4C, 0x27), (0x52, 0x28), (0x0E, 0x29), (0x12, 0x2A),
    (0x5D, 0x2B), (0x1A, 0x2C), (0x22, 0x2D), (0x21, 0x2E), (0x2A, 0x2F), (0x32, 0x30),
    (0x31, 0x31), (0x3A, 0x32), (0x41, 0x33), (0x49, 0x34), (0x4A, 0x35), (0x59, 0x36),
    (0x7C, 0x37), (0x11, 0x38), (0x29, 0x39), (0x58, 0x3A),
    # F1-F10, Num Lock, Scroll Lock, keypad
    (0x05, 0x3B), (0x06, 0x3C), (0x04, 0x3D), (0x0C, 0x3E), (0x03, 0x3F), (0x0B, 0x40),
    (0x83, 0x41), (0x0A, 0x42), (0x01, 0x43), (0x09, 0x44), (0x77, 0x45), (0x7E, 0x46),
    (0x6C, 0x47), (0x75, 0x48), (0x7D, 0x49), (0x7B, 0x4A), (0x6B, 0x4B), (0x73, 0x4C),
    (0x74, 0x4D), (0x79, 0x4E), (0x69, 0x4F), (0x72, 0x50), (0x7A, 0x51), (0x70, 0x52),
    (0x71, 0x53),
    # Alt+SysRq, 102nd key, F11, F12, keypad =, F13-F24
    (0x84, 0x54), (0x61, 0x56), (0x78, 0x57), (0x07, 0x58), (0x0F, 0x59),
    (0x08, 0x64), (0x10, 0x65), (0x18, 0x66), (0x20, 0x67), (0x28, 0x68), (0x30, 0x69),
    (0x38, 0x6A), (0x40, 0x6B), (0x48, 0x6C), (0x50, 0x6D), (0x57, 0x6E), (0x5F, 0x76),
    # international keys (Ro, Katakana, Henkan, Muhenkan, Yen, keypad comma)
    (0x51, 0x73), (0x13, 0x70), (0x64, 0x79), (0x67, 0x7B), (0x6A, 0x7D), (0x6D, 0x7E),
    # E0-only positions: Windows keys, Application, Power, Sleep, Wake
    (0x1F, 0x5B), (0x27, 0x5C), (0x2F, 0x5D), (0x37, 0x5E), (0x3F, 0x5F), (0x5E, 0x63),
    # set-2 overrun 00h is set-1 overrun FFh; 02h reads back as 41h (F0h 00h report for set 2)
    (0x00, 0xFF), (0x02, 0x41),
)


def _build_set2_to_set1() -> tuple[int, ...]:
    table = list(range(256))          # codes of no key (and prefixes, ACK, BAT...) pass unchanged
    for s2, s1 in _KEY_PAIRS:
        table[s2] = s1
    return tuple(table)


#: the 8042's set 2 -> set 1 translation of one byte (command byte bit 6)
SET2_TO_SET1: tuple[int, ...] = _build_set2_to_set1()


def set2_to_set1(seq: list[int]) -> list[int]:
    """Convert a set-2 byte sequence to set 1: F0h folds into bit 7 of the next code."""
    out: list[int] = []
    brk = False
    for b in seq:
        if b == BREAK_PREFIX:
            brk = True
            continue
        out.append(SET2_TO_SET1[b] | (0x80 if brk else 0))
        brk = False
    return out


class PS2Keyboard(Device):
    """The keyboard: command interpreter and host key events, bytes queued for the 8042."""

    NAME = "ps2kbd"
    STATE_VERSION = 1
    STATE_FIELDS = ("queue", "enabled", "scan_set", "leds", "typematic", "pending_cmd",
                    "last_sent", "key_list")
    #: keyboard buffer size ("Keyboard Buffer": 16 bytes); responses may use a few more
    QUEUE_LIMIT: ClassVar[int] = 16
    RESPONSE_LIMIT: ClassVar[int] = 32
    DEFAULT_TYPEMATIC: ClassVar[int] = 0x2B       # 10.9 characters/s, 500 ms delay

    def __init__(self) -> None:
        #: called after bytes were queued (the controller's pump); wiring, not state
        self.on_data: Callable[[], None] | None = None
        self.queue: list[int] = []
        self.enabled = True
        self.scan_set = 2
        self.leds = 0
        self.typematic = self.DEFAULT_TYPEMATIC
        self.pending_cmd = 0          # command waiting for its option byte (EDh, F0h, F3h)
        self.last_sent = ACK
        self.key_list = False         # set 3 FBh-FDh: key codes follow
        self.reset()

    def reset(self) -> None:
        """Power-on state: scanning enabled, set 2, LEDs off, nothing queued."""
        self.queue = []
        self.enabled = True
        self.scan_set = 2
        self.leds = 0
        self.typematic = self.DEFAULT_TYPEMATIC
        self.pending_cmd = 0
        self.last_sent = ACK
        self.key_list = False

    # --- link to the controller ------------------------------------------------------
    def take(self) -> int | None:
        """Remove and return the next byte for the controller (None if none)."""
        if not self.queue:
            return None
        b = self.queue.pop(0)
        self.last_sent = b
        return b

    def _respond(self, *data: int) -> None:
        for b in data:
            if len(self.queue) < self.RESPONSE_LIMIT:
                self.queue.append(b & 0xFF)
        self._notify()

    def _notify(self) -> None:
        if self.on_data is not None:
            self.on_data()

    def _set_defaults(self) -> None:
        """'Set Default' (F6h) / 'Default Disable' (F5h): typematic and key types to defaults."""
        self.typematic = self.DEFAULT_TYPEMATIC
        self.key_list = False

    def receive(self, value: int) -> None:
        """A byte from the system (controller wrote port 60h): a command or an option byte."""
        value &= 0xFF
        if self.pending_cmd:
            cmd, self.pending_cmd = self.pending_cmd, 0
            # "Commands from the System": a command sent in place of an option byte
            # ends the pending command and is executed instead
            if not value & 0x80:
                self._option(cmd, value)
                return
        elif self.key_list and not value & 0x80:
            self._respond(ACK)                     # set 3 key code for FBh-FDh (types not modelled)
            return
        self.key_list = False
        self._command(value)

    def _option(self, cmd: int, value: int) -> None:
        if cmd == 0xED:                            # Set/Reset Mode Indicators
            self.leds = value & 0x07
            self._respond(ACK)
        elif cmd == 0xF3:                          # Set Typematic Rate/Delay
            self.typematic = value & 0x7F
            self._respond(ACK)
        elif cmd == 0xF0:                          # Select Alternate Scan Codes
            if value == 0:
                self._respond(ACK, self.scan_set)
            elif value in (1, 2, 3):
                self.scan_set = value
                self._respond(ACK)
            else:
                self._respond(RESEND)

    def _command(self, cmd: int) -> None:
        if cmd in (0xED, 0xF0, 0xF3):
            self.pending_cmd = cmd
            self._respond(ACK)
        elif cmd == 0xEE:                          # Echo: answers EEh, no ACK
            self._respond(ECHO)
        elif cmd == 0xF2:                          # Read ID
            self._respond(ACK, *KBD_ID)
        elif cmd == 0xF4:                          # Enable: clears the buffer, starts scanning
            self.queue.clear()
            self.enabled = True
            self._respond(ACK)
        elif cmd == 0xF5:                          # Default Disable
            self.queue.clear()
            self._set_defaults()
            self.enabled = False
            self._respond(ACK)
        elif cmd == 0xF6:                          # Set Default
            self.queue.clear()
            self._set_defaults()
            self.enabled = True
            self._respond(ACK)
        elif 0xF7 <= cmd <= 0xFA:                  # set 3 "all keys" type commands
            self._respond(ACK)
        elif 0xFB <= cmd <= 0xFD:                  # set 3 per-key type commands: key list follows
            self.key_list = True
            self._respond(ACK)
        elif cmd == 0xFE:                          # Resend the last byte sent
            self._respond(self.last_sent)
        elif cmd == 0xFF:                          # Reset: ACK, BAT, completion code AAh
            self.reset()
            self._respond(ACK, BAT_OK)
        else:
            self._respond(RESEND)                  # invalid input

    # --- host input --------------------------------------------------------------------
    def _send_scan(self, seq: list[int]) -> None:
        """Queue a set-2 sequence in the current set; overrun replaces the 16th byte."""
        if not self.enabled:
            return
        if self.scan_set == 1:
            seq = set2_to_set1(seq)
            overrun = 0xFF
        else:
            overrun = 0x00
        for b in seq:
            if len(self.queue) < self.QUEUE_LIMIT:
                self.queue.append(b)
            elif self.queue[-1] != overrun:
                self.queue[-1] = overrun
        self._notify()

    def key_event(self, code: int, pressed: bool, extended: bool = False) -> None:
        """A key changed state: ``code`` is its set-2 make code, ``extended`` adds E0h."""
        seq = [EXT_PREFIX] if extended else []
        if not pressed:
            seq.append(BREAK_PREFIX)
        seq.append(code & 0xFF)
        self._send_scan(seq)

    def send_pause(self) -> None:
        """The Pause key: one make sequence E1 14 77 E1 F0 14 F0 77, no break."""
        self._send_scan([0xE1, 0x14, 0x77, 0xE1, 0xF0, 0x14, 0xF0, 0x77])

    def send_print_screen(self, pressed: bool) -> None:
        """Print Screen without modifiers: E0 12 E0 7C, break E0 F0 7C E0 F0 12."""
        if pressed:
            self._send_scan([0xE0, 0x12, 0xE0, 0x7C])
        else:
            self._send_scan([0xE0, 0xF0, 0x7C, 0xE0, 0xF0, 0x12])
