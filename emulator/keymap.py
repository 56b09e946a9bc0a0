"""Host-side typing: text and key names to PS/2 scan code set 2 key events (US layout).

The make codes come from Microsoft's *Keyboard Scan Code Specification*
(the set 2 column of its key table; the keys marked E0 there are
``extended``).  A key event is ``(set2_code, extended, pressed)``, the
arguments of :meth:`devices.ps2kbd.PS2Keyboard.key_event`; the keyboard
sends a release as F0h + code and the 8042 translates to set 1 for the guest.

* :func:`key_events_for_text` / :func:`key_events_for_key` build event lists;
* :func:`type_text` / :func:`press_key` send them to a keyboard now;
* :class:`Typist` queues events and feeds them as the keyboard has room.

The keyboard holds 16 bytes ("Keyboard Buffer" in IBM's PS/2 keyboard
description; a key press and release of an ordinary key take 3 bytes, E0h keys
5), so longer text must go through a :class:`Typist`::

    typist = Typist(machine.kbc.keyboard)
    typist.type_text("dir /w\\n")
    while not typist.idle:
        typist.pump()                 # between run slices
        machine.run(max_ns=10_000_000)

``pump()`` adds events while the keyboard's queue has room for them whole (and
the optional ``ready()`` says so, e.g. a check that the guest's BIOS buffer has
space: see :func:`bios.keyboard.buffer_space`); it never blocks.  Text is
typed with the Caps Lock state the guest has ignored (capitals use Shift).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from typing import Protocol

KeyEvent = tuple[int, bool, bool]          # (set-2 make code, E0h-extended, pressed)

#: pseudo code for the Pause key, which has its own make-only sequence (E1 14 77 E1 F0 14 F0 77)
PAUSE = 0x1E1
#: Print Screen (E0 7C) is sent with its E0 12 "fake shift" by the keyboard model
PRINT_SCREEN = (0x7C, True)

#: key name -> (set-2 make code, extended); names are lower case
KEYS: dict[str, tuple[int, bool]] = {
    "esc": (0x76, False), "f1": (0x05, False), "f2": (0x06, False), "f3": (0x04, False),
    "f4": (0x0C, False), "f5": (0x03, False), "f6": (0x0B, False), "f7": (0x83, False),
    "f8": (0x0A, False), "f9": (0x01, False), "f10": (0x09, False), "f11": (0x78, False),
    "f12": (0x07, False),
    "`": (0x0E, False), "1": (0x16, False), "2": (0x1E, False), "3": (0x26, False),
    "4": (0x25, False), "5": (0x2E, False), "6": (0x36, False), "7": (0x3D, False),
    "8": (0x3E, False), "9": (0x46, False), "0": (0x45, False), "-": (0x4E, False),
    "=": (0x55, False), "backspace": (0x66, False),
    "tab": (0x0D, False), "q": (0x15, False), "w": (0x1D, False), "e": (0x24, False),
    "r": (0x2D, False), "t": (0x2C, False), "y": (0x35, False), "u": (0x3C, False),
    "i": (0x43, False), "o": (0x44, False), "p": (0x4D, False), "[": (0x54, False),
    "]": (0x5B, False), "\\": (0x5D, False),
    "capslock": (0x58, False), "a": (0x1C, False), "s": (0x1B, False), "d": (0x23, False),
    "f": (0x2B, False), "g": (0x34, False), "h": (0x33, False), "j": (0x3B, False),
    "k": (0x42, False), "l": (0x4B, False), ";": (0x4C, False), "'": (0x52, False),
    "enter": (0x5A, False),
    "lshift": (0x12, False), "z": (0x1A, False), "x": (0x22, False), "c": (0x21, False),
    "v": (0x2A, False), "b": (0x32, False), "n": (0x31, False), "m": (0x3A, False),
    ",": (0x41, False), ".": (0x49, False), "/": (0x4A, False), "rshift": (0x59, False),
    "lctrl": (0x14, False), "lwin": (0x1F, True), "lalt": (0x11, False), "space": (0x29, False),
    "ralt": (0x11, True), "rwin": (0x27, True), "menu": (0x2F, True), "rctrl": (0x14, True),
    "ins": (0x70, True), "home": (0x6C, True), "pgup": (0x7D, True), "del": (0x71, True),
    "end": (0x69, True), "pgdn": (0x7A, True), "up": (0x75, True), "left": (0x6B, True),
    "down": (0x72, True), "right": (0x74, True),
    "numlock": (0x77, False), "kp/": (0x4A, True), "kp*": (0x7C, False), "kp-": (0x7B, False),
    "kp7": (0x6C, False), "kp8": (0x75, False), "kp9": (0x7D, False), "kp+": (0x79, False),
    "kp4": (0x6B, False), "kp5": (0x73, False), "kp6": (0x74, False), "kp1": (0x69, False),
    "kp2": (0x72, False), "kp3": (0x7A, False), "kp0": (0x70, False), "kp.": (0x71, False),
    "kpenter": (0x5A, True), "scrolllock": (0x7E, False),
    "prtsc": PRINT_SCREEN,
    "sysreq": (0x84, False),          # what Print Screen sends while Alt is held
    "break": (0x7E, True),            # what Pause sends while Ctrl is held (E0 7E)
    "pause": (PAUSE, False),
}
_ALIASES = {
    "escape": "esc", "return": "enter", "bs": "backspace", "insert": "ins", "delete": "del",
    "pageup": "pgup", "pagedown": "pgdn", "shift": "lshift", "ctrl": "lctrl", "control": "lctrl",
    "alt": "lalt", "win": "lwin", "printscreen": "prtsc", "print": "prtsc", "scroll": "scrolllock",
    "caps": "capslock", "num": "numlock", " ": "space", "\n": "enter", "\t": "tab", "\b": "backspace",
}
#: modifier names accepted in combinations such as "ctrl-alt-del"
MODIFIERS = {"ctrl": "lctrl", "control": "lctrl", "alt": "lalt", "shift": "lshift", "win": "lwin",
             "lctrl": "lctrl", "rctrl": "rctrl", "lalt": "lalt", "ralt": "ralt", "lshift": "lshift",
             "rshift": "rshift", "lwin": "lwin", "rwin": "rwin"}

_COMBO = re.compile(r"([A-Za-z]+)[-+](.+)$", re.S)
_SHIFTED = dict(zip('~!@#$%^&*()_+{}|:"<>?', "`1234567890-=[]\\;',./"))


def _char_key(ch: str) -> tuple[str, bool]:
    """The key name for printable ASCII character ``ch`` and whether Shift is needed."""
    if ch in _ALIASES:
        return _ALIASES[ch], False
    if "A" <= ch <= "Z":
        return ch.lower(), True
    if ch in _SHIFTED:
        return _SHIFTED[ch], True
    if ch in KEYS and len(ch) == 1:
        return ch, False
    raise ValueError(f"no US keyboard key types {ch!r}")


def _stroke(key: str, modifiers: Iterable[str] = ()) -> list[KeyEvent]:
    """Press the modifiers, press and release ``key``, release the modifiers (reverse order)."""
    mods = [KEYS[m] for m in modifiers]
    code, ext = KEYS[key]
    events = [(c, e, True) for c, e in mods]
    events += [(code, ext, True)]
    if code != PAUSE:                                       # Pause has no release
        events.append((code, ext, False))
    events += [(c, e, False) for c, e in reversed(mods)]
    return events


def key_events_for_text(text: str) -> list[KeyEvent]:
    """Key events typing ``text``: printable ASCII, "\\n" (Enter), "\\t" (Tab), "\\b" (Backspace)."""
    events: list[KeyEvent] = []
    for ch in text:
        key, shift = _char_key(ch)
        events += _stroke(key, ("lshift",) if shift else ())
    return events


def key_events_for_key(name: str) -> list[KeyEvent]:
    """Key events for a named key or combination: "enter", "f1", "up", "ctrl-c", "ctrl-alt-del",
    "shift-tab", "alt-x", "ctrl-break", "kp-"...  Modifiers are joined with "-" or "+"; the last
    part may be a single character ("ctrl-C" adds Shift).  Raises ValueError for unknown names."""
    parts: list[str] = []
    rest = name
    while (m := _COMBO.match(rest)) and m.group(1).lower() in MODIFIERS:
        parts.append(MODIFIERS[m.group(1).lower()])
        rest = m.group(2)
    if len(rest) == 1:
        key, shift = _char_key(rest)
        if shift and not {"lshift", "rshift"} & set(parts):
            parts.append("lshift")
    else:
        key = _ALIASES.get(rest.lower(), rest.lower())
        if key not in KEYS:
            raise ValueError(f"unknown key name {name!r}")
    if key == "prtsc" and {"lalt", "ralt"} & set(parts):
        key = "sysreq"                                       # Alt+Print Screen sends SysReq
    if key == "pause" and {"lctrl", "rctrl"} & set(parts):
        key = "break"                                        # Ctrl+Pause sends Break
    return _stroke(key, parts)


class Keyboard(Protocol):
    """What typing needs from :class:`devices.ps2kbd.PS2Keyboard`."""

    queue: list[int]
    enabled: bool
    QUEUE_LIMIT: int

    def key_event(self, code: int, pressed: bool, extended: bool = False) -> None: ...
    def send_pause(self) -> None: ...
    def send_print_screen(self, pressed: bool) -> None: ...


def event_bytes(event: KeyEvent) -> int:
    """Bytes the keyboard queues for ``event`` in set 2."""
    code, ext, pressed = event
    if code == PAUSE:
        return 8
    if (code, ext) == PRINT_SCREEN:
        return 4 if pressed else 6
    return 1 + ext + (not pressed)


def send_event(keyboard: Keyboard, event: KeyEvent) -> None:
    """Give one key event to the keyboard (Pause and Print Screen use their own sequences)."""
    code, ext, pressed = event
    if code == PAUSE:
        if pressed:
            keyboard.send_pause()
    elif (code, ext) == PRINT_SCREEN:
        keyboard.send_print_screen(pressed)
    else:
        keyboard.key_event(code, pressed, ext)


def type_text(keyboard: Keyboard, text: str) -> Typist:
    """Type ``text`` now as far as the keyboard's queue allows; the returned :class:`Typist`
    holds the rest (``typist.idle`` when all went in; otherwise call ``pump()``)."""
    typist = Typist(keyboard)
    typist.type_text(text)
    typist.pump()
    return typist


def press_key(keyboard: Keyboard, name: str) -> None:
    """Press and release named key or combination ``name`` now (see :func:`key_events_for_key`)."""
    for event in key_events_for_key(name):
        send_event(keyboard, event)


class Typist:
    """Pending key events fed to a keyboard as its 16-byte queue has room.

    ``pump()`` (call it between run slices) moves events from the front of the
    pending list into the keyboard while each fits whole in the keyboard's
    queue and ``ready()`` (optional) returns True; it returns how many it moved.
    Nothing moves while the keyboard has scanning disabled.
    """

    def __init__(self, keyboard: Keyboard, ready: Callable[[], bool] | None = None) -> None:
        self.keyboard = keyboard
        self.ready = ready
        self.pending: list[KeyEvent] = []

    def type_text(self, text: str) -> None:
        """Queue the key events for ``text``."""
        self.pending += key_events_for_text(text)

    def press_key(self, name: str) -> None:
        """Queue a named key or combination."""
        self.pending += key_events_for_key(name)

    def queue_events(self, events: Iterable[KeyEvent]) -> None:
        """Queue raw key events."""
        self.pending += list(events)

    @property
    def idle(self) -> bool:
        """Everything queued has gone to the keyboard."""
        return not self.pending

    def clear(self) -> None:
        """Drop what has not been sent."""
        self.pending.clear()

    def pump(self) -> int:
        """Feed what fits now; the number of events sent."""
        kbd = self.keyboard
        sent = 0
        while self.pending and kbd.enabled:
            need = event_bytes(self.pending[0])
            if len(kbd.queue) + need > kbd.QUEUE_LIMIT:
                break
            if self.ready is not None and not self.ready():
                break
            send_event(kbd, self.pending.pop(0))
            sent += 1
        return sent
