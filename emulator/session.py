"""Automation API: drive a pyx86 machine from Python, as the tests and scripts do.

    from emulator.session import Session

    with Session("-fda", "freedos.img", "-snapshot") as pc:
        pc.run_until_text("A:\\\\>", seconds=60)   # virtual seconds
        pc.type("ver\\n")
        pc.run_until_text("FreeDOS kernel")
        print("\\n".join(pc.screen()))

A session takes the same options as the ``pyx86`` command (``-display`` is
always ``none``).  COM1 is captured in memory unless ``-serial`` names a back
end: ``serial_output`` holds what the guest sent.  Keys go through the 8042
keyboard controller as scancodes, as a user's keyboard would; the BIOS
buffer is never poked.  Time limits are in virtual seconds, so a test behaves
the same on a slow and a fast host.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from typing import Any

from . import cli
from .chardev import BufferBackend
from .machine import Machine, Stop

SLICE_NS = 10_000_000          # look at the screen and feed keys every 10 ms of virtual time


class SessionError(RuntimeError):
    """The options were refused, or the guest stopped while a session waited for it."""


class Session:
    """One machine built from ``pyx86`` command-line options."""

    def __init__(self, *argv: str, **config_changes: Any) -> None:
        parser = cli._build_parser()
        try:
            args = parser.parse_args(cli._normalize(list(argv), parser))
            config = cli.with_default_guest(cli.parse_config(args))
        except cli.UsageError as e:
            raise SessionError(str(e)) from None
        missing = cli._unavailable(config)
        if missing:
            raise SessionError(missing)
        config = dataclasses.replace(config, display="none", **config_changes)
        self.capture = BufferBackend()
        serial = None if config.serial else [self.capture]
        self.log: list[str] = []
        self.machine = Machine(config, serial=serial, log=self.log.append)
        from bios.keyboard import buffer_space

        from .keymap import Typist

        # feed keys only while the BIOS buffer has room, so none is dropped when the guest
        # reads slowly (a guest that reads the keyboard itself does not use that buffer)
        machine = self.machine
        self.typist = Typist(machine.kbc.keyboard,
                             ready=lambda: machine.bios is None or buffer_space(machine) >= 4)
        self.stop: Stop | None = None

    # --- running ---------------------------------------------------------------------------
    def _slice(self, deadline_ns: int | None, insn_limit: int | None) -> bool:
        """Feed pending keys and run one slice (at most 10 ms of virtual time) within the
        deadline (virtual ns) and the instruction limit (``machine.executed`` value);
        False, without running, once either is reached."""
        machine = self.machine
        slice_ns = SLICE_NS
        if deadline_ns is not None:
            slice_ns = min(slice_ns, deadline_ns - machine.clock.now)
        budget = None if insn_limit is None else insn_limit - machine.executed
        if slice_ns <= 0 or (budget is not None and budget <= 0):
            return False
        self.typist.pump()
        self.stop = machine.run(max_insns=budget, max_ns=slice_ns)
        return True

    def _limits(self, seconds: float | None, insns: int | None) -> tuple[int | None, int | None]:
        deadline = None if seconds is None else self.machine.clock.now + int(seconds * 1e9)
        return deadline, None if insns is None else self.machine.executed + insns

    def run(self, seconds: float | None = None, insns: int | None = None) -> Stop | None:
        """Run ``seconds`` of virtual time or ``insns`` instructions (whichever ends first)."""
        limits = self._limits(seconds, insns)
        while self.stop is None and self._slice(*limits):
            pass
        return self.stop

    def run_until_text(self, text: str, seconds: float = 60.0, insns: int | None = None) -> bool:
        """Run until ``text`` is on the screen; False if the time or instruction budget ran out."""
        return self.run_until(lambda: self.screen_contains(text), seconds, insns, what=repr(text))

    def run_until(self, condition: Callable[[], bool], seconds: float = 60.0, insns: int | None = None,
                  what: str = "a condition") -> bool:
        """Run until ``condition()`` holds (checked every 10 ms of virtual time and when keys
        have been typed); False if the time or instruction budget ran out first."""
        limits = self._limits(seconds, insns)
        while not (self.typist.idle and condition()):
            if self.stop is not None:
                raise SessionError(f"the guest stopped while waiting for {what}: "
                                   f"status {self.stop.status} {self.stop.message}")
            if not self._slice(*limits):
                return False
        return True

    # --- the screen and the keyboard -------------------------------------------------------
    def screen(self) -> list[str]:
        """The rows of the text screen as the monitor shows it: the CRT controller's start
        address once a mode was programmed (a guest such as Linux's console scrolls with it),
        else the BIOS's current text page; [] in a graphics mode."""
        from bios.video import decode_cp437

        from .screen import read_text_screen

        text = read_text_screen(self.machine)
        if text is None:
            return []
        chars = decode_cp437(text.cells[::2])
        return [chars[r * text.columns:(r + 1) * text.columns] for r in range(text.rows)]

    def screen_contains(self, text: str) -> bool:
        return text in "\n".join(self.screen())

    def type(self, text: str) -> None:
        """Queue ``text`` to be typed (US layout; "\\n" is Enter)."""
        self.typist.type_text(text)

    def key(self, name: str) -> None:
        """Queue one named key ("enter", "f1", "ctrl-c", "ctrl-alt-del", ...)."""
        self.typist.press_key(name)

    def send_serial(self, data: bytes) -> None:
        """Send ``data`` to the guest over COM1, as a terminal on the line would."""
        self.machine.uarts[0].receive_bytes(bytes(data))

    @property
    def serial_output(self) -> bytes:
        """What the guest sent to COM1 (when COM1 is captured)."""
        return bytes(self.capture.output)

    @property
    def post_codes(self) -> list[int]:
        return list(self.machine.port80.codes)

    def close(self) -> None:
        self.machine.close()

    def __enter__(self) -> Session:
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()
