"""The pygame window: runs a machine, shows its screen, and feeds it the host keyboard and mouse.

    from emulator.display_pygame import display_available, run_pygame

    if display_available():
        stop = run_pygame(machine)          # returns when the guest stops or the window closes

The loop runs the machine in slices of 10 ms virtual time.  With
``machine.realtime`` the machine paces itself against the host clock;
otherwise the guest runs as fast as it can.  Either way the window looks at
the screen at frame deadlines 1/60 s of wall time apart (after the first
slice that ends past each: at most 60 times a second on average), and redraws
only when the frame may have changed (:class:`~emulator.screen.FrameWatch`:
registers, display memory and blink phases compared with the last frame
drawn).  Blinking follows virtual time in realtime mode and wall time
otherwise (an idle guest's virtual time can race far ahead of the host's).

The frame is scaled to the largest 4:3 rectangle that fits the (resizable)
window, with black bars around it.  The title reads
``<title> - running - <MIPS> MIPS`` and is updated about once a second.

Keyboard: pygame key codes (``pygame.K_*``) for the whole US layout become
PS/2 scan code set 2 key events (:mod:`emulator.keymap` names), queued by a
:class:`~emulator.keymap.Typist` so none is lost when the keyboard's 16-byte
buffer is full.  pygame's key repeat is on (500 ms, 33 ms) and a repeated key
sends its make code again, as a real keyboard's typematic does (the BIOS
has none of its own).  Pause sends its make-only sequence (Ctrl+Pause: Break,
E0 7E), Print Screen its fake-shifted one (Alt+Print Screen: SysReq, 84h).
Keys still down when the window loses focus are released.

Mouse: while grabbed (Ctrl-Alt-G toggles, as in QEMU), relative motion,
buttons and wheel go to the PS/2 mouse.  Closing the window, or Ctrl-Alt-Q,
ends the run with ``Stop(0, "window closed")``.

A window destroyed under the program by another X client (``xdotool
windowclose``: XDestroyWindow, no WM_DELETE_WINDOW message) ends the run the
same way.  On X11 every later request SDL makes for the window fails with
BadWindow or BadDrawable, and Xlib's default error handler would print "X Error
of failed request" and exit(1); the first to fail is an XInput2 request
(XIPassiveUngrabDevice) SDL's event pump makes when it sees the UnmapNotify,
so pygame never gets an event for it.  So an error handler (:class:`XErrorGuard`) is set
before SDL starts: it swallows those errors about our window and notes that the
window is gone; SDL chains its own handler to it, and sets it back when it
closes the display, so the BadWindow of its final XDestroyWindow is swallowed
too.  Other X errors go on to the handler it replaced.  SDL is also asked for
its plain X11 (MIT-SHM) window surface rather than one drawn with OpenGL
(``SDL_FRAMEBUFFER_ACCELERATION=0`` unless set): Mesa's software OpenGL
(llvmpipe) crashes with SIGSEGV when drawing goes on into a destroyed window,
and under Xvfb the plain surface costs the client about a sixth of the CPU time.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import functools
import os
import sys
import time
from typing import TYPE_CHECKING, Any

import numpy as np

from . import keymap, vga_kernels
from .screen import FrameWatch, render

if TYPE_CHECKING:
    from .machine import Machine, Stop

SLICE_NS = 10_000_000            # virtual time per machine.run call
FRAME_NS = 1_000_000_000 // 60   # wall time between two frame deadlines (60 Hz)
POLL_NS = 2_000_000              # shortest wall time between two looks at the host's events
TITLE_NS = 1_000_000_000         # title (MIPS) update period
KEY_REPEAT = (500, 33)           # pygame key repeat: delay and interval in ms
REPEAT_BACKLOG = 8               # repeats are dropped while this many key events wait
MAX_PENDING_KEYS = 128           # key presses waiting for the keyboard beyond this are dropped
WINDOW_CLOSED = "window closed"
ASPECT = (4, 3)
SDLK_APPLICATION = 0x40000065    # the context menu key (SDL's name; pygame has no K_ constant for it)
_MODIFIERS = {"ctrl": ("lctrl", "rctrl"), "alt": ("lalt", "ralt")}
BAD_WINDOW, BAD_DRAWABLE = 3, 9    # X protocol error codes


class _XErrorEvent(ctypes.Structure):
    _fields_ = [("type", ctypes.c_int), ("display", ctypes.c_void_p), ("resourceid", ctypes.c_ulong),
                ("serial", ctypes.c_ulong), ("error_code", ctypes.c_ubyte),
                ("request_code", ctypes.c_ubyte), ("minor_code", ctypes.c_ubyte)]


_XErrorHandler = ctypes.CFUNCTYPE(ctypes.c_int, ctypes.c_void_p, ctypes.POINTER(_XErrorEvent))


class XErrorGuard:
    """An Xlib error handler that survives the destruction of our window by someone else.

    BadWindow/BadDrawable errors about :attr:`window` are swallowed and set :attr:`gone`;
    any other error goes to the handler that was there before (Xlib's: print and exit)."""

    def __init__(self) -> None:
        self.window: int | None = None           # the X window id, once the window is open
        self.gone = False
        self.swallowed = 0
        self._xlib: Any = None
        self._previous: Any = None
        self._callback = _XErrorHandler(self._handle)   # kept alive while installed

    def install(self) -> bool:
        """Set the handler (before SDL opens the display); whether libX11 is here to take it."""
        if self._xlib is not None:
            return True
        name = ctypes.util.find_library("X11")
        if name is None:
            return False
        try:
            xlib = ctypes.CDLL(name)
        except OSError:
            return False
        xlib.XSetErrorHandler.restype = ctypes.c_void_p
        xlib.XSetErrorHandler.argtypes = [ctypes.c_void_p]
        previous = xlib.XSetErrorHandler(ctypes.cast(self._callback, ctypes.c_void_p))
        self._previous = _XErrorHandler(previous) if previous else None
        self._xlib = xlib
        _INSTALLED.append(self)                  # Xlib holds the callback: it must outlive us
        return True

    def uninstall(self) -> None:
        """Put the previous handler back (after SDL has closed the display)."""
        if self._xlib is not None:
            self._xlib.XSetErrorHandler(ctypes.cast(self._previous, ctypes.c_void_p)
                                        if self._previous else None)
            self._xlib = None
            self._previous = None
            _INSTALLED.remove(self)

    def _handle(self, display: int | None, event: Any) -> int:
        error = event.contents
        if (self.window is not None and error.resourceid == self.window
                and error.error_code in (BAD_WINDOW, BAD_DRAWABLE)):
            self.gone = True
            self.swallowed += 1
            return 0
        if self._previous is not None:
            return int(self._previous(display, event))
        return 0


_INSTALLED: list[XErrorGuard] = []


def _pygame() -> Any:
    os.environ.setdefault("PYGAME_HIDE_SUPPORT_PROMPT", "1")
    import pygame

    return pygame


@functools.cache
def key_names() -> dict[int, str]:
    """pygame key code -> :data:`emulator.keymap.KEYS` name, for the US layout."""
    pg = _pygame()
    names: dict[int, str] = {ord(ch): ch for ch in "abcdefghijklmnopqrstuvwxyz0123456789"}
    names.update({getattr(pg, f"K_F{n}"): f"f{n}" for n in range(1, 13)})
    names.update({getattr(pg, f"K_KP{n}"): f"kp{n}" for n in range(10)})
    names.update({
        pg.K_ESCAPE: "esc", pg.K_BACKQUOTE: "`", pg.K_MINUS: "-", pg.K_EQUALS: "=",
        pg.K_BACKSPACE: "backspace", pg.K_TAB: "tab", pg.K_LEFTBRACKET: "[", pg.K_RIGHTBRACKET: "]",
        pg.K_BACKSLASH: "\\", pg.K_CAPSLOCK: "capslock", pg.K_SEMICOLON: ";", pg.K_QUOTE: "'",
        pg.K_RETURN: "enter", pg.K_LSHIFT: "lshift", pg.K_COMMA: ",", pg.K_PERIOD: ".",
        pg.K_SLASH: "/", pg.K_RSHIFT: "rshift", pg.K_LCTRL: "lctrl", pg.K_LGUI: "lwin",
        pg.K_LALT: "lalt", pg.K_SPACE: "space", pg.K_RALT: "ralt", pg.K_MODE: "ralt",
        pg.K_RGUI: "rwin", pg.K_MENU: "menu", SDLK_APPLICATION: "menu",
        pg.K_RCTRL: "rctrl",
        pg.K_INSERT: "ins", pg.K_HOME: "home", pg.K_PAGEUP: "pgup", pg.K_DELETE: "del",
        pg.K_END: "end", pg.K_PAGEDOWN: "pgdn", pg.K_UP: "up", pg.K_LEFT: "left", pg.K_DOWN: "down",
        pg.K_RIGHT: "right",
        pg.K_NUMLOCK: "numlock", pg.K_KP_DIVIDE: "kp/", pg.K_KP_MULTIPLY: "kp*", pg.K_KP_MINUS: "kp-",
        pg.K_KP_PLUS: "kp+", pg.K_KP_ENTER: "kpenter", pg.K_KP_PERIOD: "kp.",
        pg.K_SCROLLLOCK: "scrolllock", pg.K_PAUSE: "pause", pg.K_PRINTSCREEN: "prtsc",
        pg.K_SYSREQ: "sysreq",
    })
    return names


def display_unavailable_reason() -> str | None:
    """Why pygame cannot open a window here (one line), or None if it can."""
    driver = os.environ.get("SDL_VIDEODRIVER", "")
    if driver.lower() in ("dummy", "offscreen"):
        return f"SDL_VIDEODRIVER={driver} shows no window"
    if (sys.platform.startswith("linux") and not driver
            and not (os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY"))):
        return "neither DISPLAY nor WAYLAND_DISPLAY is set"
    try:
        pg = _pygame()
    except ImportError:
        return "pygame is not installed"
    was_on = pg.display.get_init()
    try:
        pg.display.init()
        name = pg.display.get_driver()
    except pg.error as e:
        return f"pygame cannot open a window: {e}"
    finally:
        if not was_on:
            pg.display.quit()
    if name in ("dummy", "offscreen"):
        return f"SDL chose its {name} video driver"
    return None


def display_available() -> bool:
    """Whether pygame can open a window (see :func:`display_unavailable_reason`)."""
    return display_unavailable_reason() is None


def letterbox(window: tuple[int, int], aspect: tuple[int, int] = ASPECT) -> tuple[int, int, int, int]:
    """(x, y, width, height) of the largest ``aspect`` rectangle centred in a ``window``-sized area."""
    ww, wh = window
    if ww * aspect[1] > wh * aspect[0]:
        w, h = wh * aspect[0] // aspect[1], wh
    else:
        w, h = ww, ww * aspect[1] // aspect[0]
    return (ww - w) // 2, (wh - h) // 2, max(w, 1), max(h, 1)


class PygameWindow:
    """A window showing ``machine``; :meth:`run` drives the machine and the window together."""

    def __init__(self, machine: Machine, title: str = "pyx86", slice_ns: int = SLICE_NS) -> None:
        self.machine = machine
        self.title = title
        self.slice_ns = slice_ns
        self.typist = keymap.Typist(machine.kbc.keyboard)
        self.held: dict[str, tuple[int, bool]] = {}      # key name -> (code, extended) sent as make
        self.swallowed: set[int] = set()                 # pygame keys used by a hotkey: no release sent
        self.grabbed = False
        self.buttons = 0                                 # PS/2 order: bit 0 left, 1 right, 2 middle
        self.motion = [0, 0, 0]                          # dx, dy (up > 0), dz (toward the user > 0)
        self.mouse_dirty = False
        self.quit: Stop | None = None
        self.frames_drawn = 0
        self.dirty = True
        self.watch = FrameWatch()
        self._bgrx: np.ndarray | None = None
        self._box = (0, 0, 0, 0)                        # where the last frame went in the window
        self._next_frame = self._last_poll = -(1 << 62)
        self._wall0 = time.perf_counter_ns()
        self._title_at = self._wall0
        self._title_insns = machine.executed
        self._mips = 0.0
        self._open = False
        self.x_errors = XErrorGuard()

    # --- window ------------------------------------------------------------------------------
    def open(self) -> None:
        """Open the window (pygame's display module is initialised here)."""
        pg = _pygame()
        os.environ.setdefault("SDL_FRAMEBUFFER_ACCELERATION", "0")   # X11 MIT-SHM, not OpenGL
        if (os.environ.get("DISPLAY") and os.environ.get("SDL_VIDEODRIVER", "x11") == "x11"
                and not pg.display.get_init()):
            self.x_errors.install()
        pg.display.init()
        size = (960, 720)
        info = pg.display.Info()
        if 0 < info.current_w < 1100 or 0 < info.current_h < 850:
            size = (640, 480)
        pg.display.set_mode(size, pg.RESIZABLE)
        if pg.display.get_driver() == "x11":
            self.x_errors.window = pg.display.get_wm_info().get("window")
        pg.key.set_repeat(*KEY_REPEAT)
        pg.key.stop_text_input()                        # key codes only: no input method window
        self._box = (0, 0, 0, 0)
        self._open = True
        self._set_title()

    def close(self) -> None:
        """Release the mouse and close the window."""
        if self._open:
            pg = _pygame()
            self._set_grab(False)
            pg.display.quit()
            self.x_errors.uninstall()
            self._open = False

    def _set_title(self, state: str = "running") -> None:
        text = f"{self.title} - {state} - {self._mips:.1f} MIPS"
        text += " - Ctrl-Alt-G releases the mouse" if self.grabbed else " - Ctrl-Alt-G grabs the mouse"
        _pygame().display.set_caption(text)

    def _update_title(self, now: int) -> None:
        if now - self._title_at < TITLE_NS:
            return
        executed = self.machine.executed
        self._mips = (executed - self._title_insns) * 1e3 / max(now - self._title_at, 1)
        self._title_at, self._title_insns = now, executed
        self._set_title()

    # --- the loop ---------------------------------------------------------------------------------
    def run(self, max_slices: int | None = None) -> Stop | None:
        """Run until the guest stops or the window closes (returns the :class:`Stop`); with
        ``max_slices``, return None after that many machine slices (for tests)."""
        if not self._open:
            self.open()
        slices = 0
        self._last_poll = -(1 << 62)                     # look at the events first
        while max_slices is None or slices < max_slices:
            now = time.perf_counter_ns()
            if now - self._last_poll >= POLL_NS:
                self._last_poll = now
                self.poll_events()
            if self.quit is not None:
                return self.quit
            self._feed()
            stop = self.machine.run(max_ns=self.slice_ns)
            slices += 1
            if stop is not None:
                self.redraw(force=True)
                return stop
            now = time.perf_counter_ns()
            if now >= self._next_frame:                  # frame deadlines every 1/60 s: slices
                self.redraw()                            # of 10 ms still average 60 looks a second
                self._next_frame = max(self._next_frame + FRAME_NS, now - FRAME_NS)
            self._update_title(now)
        return None

    def _feed(self) -> None:
        self.typist.pump()
        if self.mouse_dirty:
            self._flush_mouse()

    # --- drawing ---------------------------------------------------------------------------------
    def _blink_clock(self) -> int:
        if self.machine.realtime:
            return self.machine.clock.now
        return time.perf_counter_ns() - self._wall0

    def redraw(self, force: bool = False) -> bool:
        """Draw the screen if it changed since the last time (or ``force``); whether it drew."""
        clock = self._blink_clock()
        if not self.watch.changed(self.machine, clock) and not (force or self.dirty):
            return False
        self.dirty = False
        self.show(render(self.machine, clock))
        return True

    def show(self, frame: Any) -> None:
        """Put an ``H x W x 3`` RGB frame in the window, scaled to 4:3 and letterboxed.

        The frame is converted to 32-bit BGRX (compiled) and scaled straight into the
        window surface when that is a 32-bit one (no intermediate surface and blit)."""
        pg = _pygame()
        surface = pg.display.get_surface()
        if surface is None:
            return
        height, width = frame.shape[:2]
        x, y, w, h = letterbox(surface.get_size())
        if (x, y, w, h) != self._box:                   # the bars: black once per window size
            surface.fill((0, 0, 0))
            self._box = (x, y, w, h)
        if surface.get_bitsize() == 32:
            if self._bgrx is None or self._bgrx.shape[:2] != (height, width):
                self._bgrx = np.empty((height, width), dtype=np.uint32)
            vga_kernels.rgb_to_bgrx(np.ascontiguousarray(frame, dtype=np.uint8), self._bgrx)
            image = pg.image.frombuffer(self._bgrx, (width, height), "BGRA")
            try:
                pg.transform.scale(image, (w, h), surface.subsurface((x, y, w, h)))
            except ValueError:                          # formats that do not match after all
                surface.blit(pg.transform.scale(image, (w, h)), (x, y))
        else:
            image = pg.image.frombuffer(np.ascontiguousarray(frame, dtype=np.uint8), (width, height), "RGB")
            surface.blit(pg.transform.scale(image, (w, h)), (x, y))
        pg.display.flip()
        self.frames_drawn += 1

    # --- host events ---------------------------------------------------------------------------
    def poll_events(self) -> None:
        """Handle everything pygame has queued."""
        pg = _pygame()
        events = pg.event.get()
        if self.x_errors.gone:                            # destroyed by the window system
            self._quit()
            return
        for event in events:
            kind = event.type
            if kind == pg.QUIT:
                self._quit()
            elif kind in (pg.KEYDOWN, pg.KEYUP):
                self.key(event.key, kind == pg.KEYDOWN)
            elif kind == pg.MOUSEMOTION:
                if self.grabbed:
                    self.motion[0] += event.rel[0]
                    self.motion[1] -= event.rel[1]
                    self.mouse_dirty = True
            elif kind in (pg.MOUSEBUTTONDOWN, pg.MOUSEBUTTONUP):
                bit = {1: 1, 2: 4, 3: 2}.get(event.button, 0)
                if self.grabbed and bit:
                    self._flush_mouse()                  # motion so far, with the old buttons
                    down = kind == pg.MOUSEBUTTONDOWN
                    self.buttons = self.buttons | bit if down else self.buttons & ~bit
                    self.mouse_dirty = True
            elif kind == pg.MOUSEWHEEL:
                if self.grabbed:
                    self.motion[2] -= event.y
                    self.mouse_dirty = True
            elif kind == pg.WINDOWFOCUSLOST:
                self.release_all()
                self._set_grab(False)
            elif kind in (pg.WINDOWEXPOSED, pg.WINDOWRESIZED, pg.WINDOWSIZECHANGED, pg.VIDEORESIZE):
                self.dirty = True
                self._box = (0, 0, 0, 0)
                self._next_frame = -(1 << 62)

    def _quit(self) -> None:
        from .machine import STATUS_OK, Stop

        self.quit = Stop(STATUS_OK, WINDOW_CLOSED)

    def _mod(self, which: str) -> bool:
        return any(name in self.held for name in _MODIFIERS[which])

    def key(self, pgkey: int, pressed: bool) -> None:
        """A host key went down (or repeated) or up: pygame key code ``pgkey``."""
        pg = _pygame()
        if pressed and pgkey in (pg.K_g, pg.K_q) and self._mod("ctrl") and self._mod("alt"):
            self.swallowed.add(pgkey)
            if pgkey == pg.K_g:
                self._set_grab(not self.grabbed)
            else:
                self._quit()
            return
        if not pressed and pgkey in self.swallowed:
            self.swallowed.discard(pgkey)
            return
        name = key_names().get(pgkey)
        if name is None:
            return
        if name == "pause":
            if pressed:
                if self._mod("ctrl"):                    # Ctrl+Pause is Break: E0 7E, make and break
                    code, ext = keymap.KEYS["break"]
                    self._queue([(code, ext, True), (code, ext, False)])
                else:
                    self._queue([(keymap.PAUSE, False, True)])
            return
        if pressed:
            if name in self.held:                        # typematic repeat: the make code again,
                if len(self.typist.pending) < REPEAT_BACKLOG:   # unless the guest is not reading
                    code, ext = self.held[name]
                    self._queue([(code, ext, True)])
                return
            if name == "prtsc" and self._mod("alt"):
                name = "sysreq"
            code, ext = keymap.KEYS[name]
            self.held[name] = (code, ext)
            self._queue([(code, ext, True)])
        else:
            if name == "prtsc" and "prtsc" not in self.held:
                name = "sysreq"
            if name not in self.held:                    # pressed before we had the focus
                return
            code, ext = self.held.pop(name)
            self.typist.queue_events([(code, ext, False)])

    def _queue(self, events: list[keymap.KeyEvent]) -> None:
        if len(self.typist.pending) < MAX_PENDING_KEYS:
            self.typist.queue_events(events)

    def release_all(self) -> None:
        """Send the release of every key still held (the window lost the focus)."""
        for code, ext in self.held.values():
            self.typist.queue_events([(code, ext, False)])
        self.held.clear()

    # --- mouse ------------------------------------------------------------------------------------
    def _set_grab(self, on: bool) -> None:
        if on == self.grabbed:
            return
        pg = _pygame()
        self.grabbed = on
        if pg.display.get_init() and pg.display.get_surface() is not None:
            pg.event.set_grab(on)
            pg.mouse.set_visible(not on)
            if hasattr(pg.mouse, "set_relative_mode"):
                pg.mouse.set_relative_mode(on)
        if not on and self.buttons:
            self.buttons = 0
            self.mouse_dirty = True
            self._flush_mouse()
        self.motion = [0, 0, 0]
        if pg.display.get_init():
            self._set_title()

    def _flush_mouse(self) -> None:
        """Send the motion gathered since the last report (in steps the PS/2 packet can hold)."""
        mouse = self.machine.kbc.mouse
        dx, dy, dz = self.motion
        self.motion = [0, 0, 0]
        self.mouse_dirty = False
        while True:
            sx, sy = max(-255, min(255, dx)), max(-255, min(255, dy))
            sz = max(-7, min(7, dz))
            mouse.move(sx, sy, sz, self.buttons)
            dx, dy, dz = dx - sx, dy - sy, dz - sz
            if not (dx or dy or dz):
                break


def run_pygame(machine: Machine, *, title: str = "pyx86") -> Stop:
    """Run ``machine`` in a pygame window until the guest stops (its :class:`Stop`) or the window
    closes (``Stop(0, "window closed")``).  Check :func:`display_available` first."""
    window = PygameWindow(machine, title)
    try:
        stop = window.run()
    finally:
        window.close()
    assert stop is not None
    return stop
