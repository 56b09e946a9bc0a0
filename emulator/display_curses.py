"""``-display curses``: the guest's text screen in the terminal, terminal keys to the PS/2 keyboard.

There is no video card yet, so the screen is read the way the BIOS leaves it:
the text page in RAM (B8000h, mode 7: B0000h) at the page start of the BIOS
data area, with the mode, columns and rows there too (see :mod:`bios.video`).
:class:`CursesDisplay` draws that page at the top-left of a curses window
(clipped when the terminal is smaller), redrawing only the rows whose bytes
changed, and puts the terminal cursor where the BIOS cursor of the active page
is.  Characters are decoded from code page 437 (box drawing and symbols as
Unicode; plain ASCII look-alikes when the terminal's encoding lacks them).

Attributes (IBM PC AT Technical Reference, colour/graphics adapter attribute
byte: bits 0-2 foreground, 3 intensity, 4-6 background, 7 blink or, with blink
off in the mode select register 465h bit 5, background intensity):

* 16 terminal colours and 256 colour pairs: each of the 16 PC colours maps to
  its ANSI colour (intensity: the bright ANSI colours), blink as blink;
* 8 colours and 64 pairs: 8 colours, intensity as bold, blink as blink;
* otherwise (and always in mode 7, the MDA rules: underline for foreground 1,
  hidden 00h/08h/80h/88h, reverse 70h): monochrome, reverse video where the
  background is lighter than the foreground.

Terminals report key presses only, so every key is sent to the keyboard as a
make code then a break code (modifiers around it), through a
:class:`~emulator.keymap.Typist` that waits for room in the BIOS buffer.  Ctrl-A
starts a command, as QEMU's ``-nographic`` console has it: Ctrl-A X ends the
run, Ctrl-A A (or Ctrl-A Ctrl-A) types Ctrl-A.  Esc followed at once by a
character (how terminals send Alt+character) is typed as Alt+character.
"""

from __future__ import annotations

import curses
import time
import unicodedata
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from bios import font as F
from bios import video as V
from bios.keyboard import buffer_space

from .keymap import Typist, key_events_for_key, key_events_for_text
from .machine import Stop

if TYPE_CHECKING:
    from .machine import Machine

SLICE_NS = 10_000_000          # virtual time run between two looks at the terminal
FRAME_S = 1 / 30               # at most this many redraws per second of wall time
ESCAPE_DELAY_MS = 25           # how long curses waits for the rest of an escape sequence
QUIT_MESSAGE = "quit from the terminal"
CTRL_A = 0x01
ESC = 0x1B
MAX_KEYS_PER_SLICE = 256       # a paste larger than this waits for the next slice

#: PC colour index (blue = bit 0, green = bit 1, red = bit 2) -> curses / ANSI colour number
PC_TO_CURSES = (curses.COLOR_BLACK, curses.COLOR_BLUE, curses.COLOR_GREEN, curses.COLOR_CYAN,
                curses.COLOR_RED, curses.COLOR_MAGENTA, curses.COLOR_YELLOW, curses.COLOR_WHITE)

# --- characters ---------------------------------------------------------------------------------
_BOX_ASCII = {(1, 1, 0, 0): "|", (0, 0, 1, 1): "-"}


def _ascii_lookalike(code: int) -> str:
    """A printable ASCII stand-in for CP437 ``code`` when the terminal cannot show its glyph."""
    arms = F.box_arms(code)
    if arms is not None:
        up, down, left, right = (bool(a) for a in arms)
        if (up or down) and not (left or right):
            return "|"
        if (left or right) and not (up or down):
            return "-" if max(arms) == 1 else "="
        return "+"
    if 0xB0 <= code <= 0xB2 or 0xDB <= code <= 0xDF:
        return "#"
    text = unicodedata.normalize("NFKD", F.CP437[code]).encode("ascii", "ignore").decode()[:1]
    return text if text.isprintable() and text.strip() else "?"


def glyph_table(encoding: str = "utf-8") -> list[str]:
    """The str to show for each byte of code page 437 in a terminal using ``encoding``
    (00h as a space; characters the encoding lacks as ASCII look-alikes)."""
    table = []
    for code in range(256):
        ch = " " if code == 0 else F.CP437[code]
        try:
            ch.encode(encoding)
        except (UnicodeEncodeError, LookupError):
            ch = _ascii_lookalike(code)
        table.append(ch)
    return table


# --- attributes ---------------------------------------------------------------------------------
def _luminance(colour: int) -> float:
    """Relative brightness of PC colour 0-15 (CGA levels: 2/3 per colour bit, 1/3 for intensity)."""
    i = (colour >> 3) & 1
    r = 2 * ((colour >> 2) & 1) + i
    g = (1 if colour & 7 == 6 else 2 * ((colour >> 1) & 1)) + i      # brown: half green
    b = 2 * (colour & 1) + i
    return 0.30 * r + 0.59 * g + 0.11 * b


class Palette:
    """Attribute byte -> curses attribute for a terminal with ``colours`` colours (0, 8 or 16).

    ``color_pair(n)`` gives the attribute bits of colour pair ``n`` (curses.color_pair
    on a real terminal).  :attr:`pairs` lists the pairs to define: number -> (fg, bg)
    as curses colour numbers.  :meth:`cell` returns (curses attribute, visible).
    """

    def __init__(self, colours: int, color_pair: Callable[[int], int]) -> None:
        if colours not in (0, 8, 16):
            raise ValueError(f"colours must be 0, 8 or 16, not {colours}")
        self.colours = colours
        self.pairs: dict[int, tuple[int, int]] = {}
        if colours:
            for bg in range(colours):
                for fg in range(colours):
                    self.pairs[self.pair_number(fg, bg)] = (self.ansi(fg), self.ansi(bg))
        self._pair_attr = {n: color_pair(n) for n in self.pairs}
        # [blink enabled][mono adapter] -> 256 entries of (attribute, visible)
        self._tables = {(blink, mono): [self._decode(a, blink, mono) for a in range(256)]
                        for blink in (False, True) for mono in (False, True)}

    @staticmethod
    def ansi(colour: int) -> int:
        """The 16-colour terminal number of PC colour 0-15 (8-15: the bright ANSI colours)."""
        return PC_TO_CURSES[colour & 7] + (colour & 8)

    def pair_number(self, fg: int, bg: int) -> int:
        """The colour pair for PC foreground ``fg`` on background ``bg``: 0 for light grey on
        black, which is what curses' fixed pair 0 is, so 8 x 8 pairs fit in 64 and 16 x 16 in 256."""
        n = self.colours
        return ((bg % n) * n + fg % n) ^ 7

    def cell(self, attr: int, blink: bool = True, mono: bool = False) -> tuple[int, bool]:
        """(curses attribute, whether the character shows) of attribute byte ``attr``;
        ``blink``: bit 7 blinks (else it brightens the background); ``mono``: MDA rules."""
        return self._tables[blink, mono][attr & 0xFF]

    def _decode(self, attr: int, blink: bool, mono: bool) -> tuple[int, bool]:
        blinking = curses.A_BLINK if blink and attr & 0x80 else 0
        if mono:                                                  # MDA (mode 7)
            if attr & 0x77 == 0:
                return 0, False
            if attr & 0x77 == 0x70:
                return curses.A_REVERSE | blinking, True
            under = curses.A_UNDERLINE if attr & 7 == 1 else 0
            return under | (curses.A_BOLD if attr & 8 else 0) | blinking, True
        fg = attr & 0x0F
        bg = (attr >> 4) & (7 if blink else 15)
        if self.colours == 16:
            return self._pair_attr[self.pair_number(fg, bg)] | blinking, True
        bold = curses.A_BOLD if fg & 8 else 0
        if self.colours == 8:
            return self._pair_attr[self.pair_number(fg, bg)] | bold | blinking, True
        if fg == bg:
            return 0, False
        reverse = curses.A_REVERSE if _luminance(bg) > _luminance(fg) else 0
        return reverse | bold | blinking, True


# --- keys ---------------------------------------------------------------------------------------
_CURSES_KEYS: dict[int, str] = {
    curses.KEY_UP: "up", curses.KEY_DOWN: "down", curses.KEY_LEFT: "left", curses.KEY_RIGHT: "right",
    curses.KEY_HOME: "home", curses.KEY_END: "end", curses.KEY_PPAGE: "pgup", curses.KEY_NPAGE: "pgdn",
    curses.KEY_IC: "ins", curses.KEY_DC: "del", curses.KEY_BACKSPACE: "backspace",
    curses.KEY_ENTER: "kpenter", curses.KEY_BTAB: "shift-tab",
    curses.KEY_SR: "shift-up", curses.KEY_SF: "shift-down", curses.KEY_SLEFT: "shift-left",
    curses.KEY_SRIGHT: "shift-right", curses.KEY_SHOME: "shift-home", curses.KEY_SEND: "shift-end",
    curses.KEY_SPREVIOUS: "shift-pgup", curses.KEY_SNEXT: "shift-pgdn", curses.KEY_SIC: "shift-ins",
    curses.KEY_SDC: "shift-del",
    curses.KEY_A1: "kp7", curses.KEY_A3: "kp9", curses.KEY_B2: "kp5", curses.KEY_C1: "kp1",
    curses.KEY_C3: "kp3",
}
# xterm's terminfo numbers F13-F60: F1-F12 with Shift, Ctrl, Ctrl+Shift, Alt
_F_MODIFIERS = ("", "shift-", "ctrl-", "ctrl-shift-", "alt-")
for _n in range(60):
    _CURSES_KEYS[curses.KEY_F0 + _n + 1] = f"{_F_MODIFIERS[_n // 12]}f{_n % 12 + 1}"
# ncurses' names for modified cursor keys (kLFT5 = Ctrl+Left ...) and xterm's modifier numbers
_NAMED_KEYS = {"kUP": "up", "kDN": "down", "kLFT": "left", "kRIT": "right", "kHOM": "home",
               "kEND": "end", "kPRV": "pgup", "kNXT": "pgdn", "kIC": "ins", "kDC": "del"}
_XTERM_MODIFIERS = {2: "shift-", 3: "alt-", 4: "alt-shift-", 5: "ctrl-", 6: "ctrl-shift-",
                    7: "ctrl-alt-", 8: "ctrl-alt-shift-"}
# control characters that are keys of their own, and Ctrl with punctuation
_CONTROL_KEYS = {0x08: "backspace", 0x09: "tab", 0x0A: "enter", 0x0D: "enter", ESC: "esc",
                 0x7F: "backspace", 0x00: "ctrl-space", 0x1C: "ctrl-\\", 0x1D: "ctrl-]",
                 0x1E: "ctrl-6", 0x1F: "ctrl--"}


def key_name_for_keyname(name: str) -> str | None:
    """The keymap name of an ncurses extended key name such as "kLFT5" (Ctrl+Left), else None."""
    base = name.rstrip("0123456789")
    digits = name[len(base):]
    if base not in _NAMED_KEYS:
        return None
    if not digits:
        return _NAMED_KEYS[base]
    prefix = _XTERM_MODIFIERS.get(int(digits))
    return None if prefix is None else prefix + _NAMED_KEYS[base]


def key_name(code: int, keyname: Callable[[int], bytes] | None = None) -> str | None:
    """The keymap key name (see :func:`emulator.keymap.key_events_for_key`) for a curses
    ``getch`` code, or None for codes with no PC key (``keyname``: curses.keyname, used to
    name the modified cursor keys ncurses numbers itself)."""
    if code in _CONTROL_KEYS:
        return _CONTROL_KEYS[code]
    if 1 <= code <= 26:
        return "ctrl-" + chr(code + 0x60)
    if 0x20 <= code < 0x7F:
        return chr(code)
    if code in _CURSES_KEYS:
        return _CURSES_KEYS[code]
    if code > 0xFF and keyname is not None:
        try:
            return key_name_for_keyname(keyname(code).decode("ascii", "replace"))
        except (curses.error, ValueError, OverflowError):
            return None
    return None


def _events(name: str) -> list[tuple[int, bool, bool]]:
    if len(name) == 1:
        return key_events_for_text(name)
    return key_events_for_key(name)


# --- the display --------------------------------------------------------------------------------
class CursesDisplay:
    """The text screen of ``machine`` on curses window ``screen``, and its keyboard.

    ``screen`` needs ``addstr``, ``move``, ``refresh``, ``erase``, ``getmaxyx`` and
    ``getch`` (not used when ``keys`` is given); ``nodelay``, ``keypad``,
    ``curs_set`` and ``encoding`` are used when it has them.  On a real curses
    window the curses module sets up colours (``colours`` None: what the
    terminal has) and the cursor; a stand-in gets ``colours`` (default 0) and
    colour pair ``n`` as attribute ``n << 8``, as ncurses encodes it.
    """

    def __init__(self, machine: Machine, screen: Any, *, keys: Callable[[], int] | None = None,
                 colours: int | None = None, clock: Callable[[], float] = time.monotonic) -> None:
        self.machine = machine
        self.screen = screen
        self.real = isinstance(screen, curses.window)
        self.keys = keys or screen.getch
        self.clock = clock
        self.ram = machine.cpu.ram
        if self.real:
            colours = self._setup_terminal(colours)
            pair_attr: Callable[[int], int] = curses.color_pair
        else:
            pair_attr = lambda n: n << 8                       # noqa: E731  (ncurses' COLOR_PAIR)
        for method, arg in (("nodelay", True), ("keypad", True)):
            if hasattr(screen, method):
                getattr(screen, method)(arg)
        self.palette = Palette(colours or 0, pair_attr)
        if self.real:
            for n, (fg, bg) in self.palette.pairs.items():
                if n:                                          # pair 0 is fixed: grey on black
                    curses.init_pair(n, fg, bg)
        self.glyphs = glyph_table(getattr(screen, "encoding", None) or "utf-8")
        self.typist = Typist(machine.kbc.keyboard, ready=self._buffer_has_room)
        self.quit = False
        self._command = False                 # Ctrl-A seen: the next key is a command
        self._layout: tuple[Any, ...] | None = None
        self._rows: list[bytes | None] = []
        self._cursor: tuple[int, int, int] | None = None
        self._last_draw = float("-inf")

    def _setup_terminal(self, colours: int | None) -> int:
        """Raw keys, a short Esc delay and colours on a real terminal; the colour count to use."""
        curses.raw()                          # Ctrl-C, Ctrl-Z, Ctrl-S... go to the guest
        curses.noecho()
        try:
            curses.set_escdelay(ESCAPE_DELAY_MS)
        except (AttributeError, curses.error):
            pass
        if not curses.has_colors():
            return 0
        curses.start_color()
        if colours is not None:
            return colours
        if curses.COLORS >= 16 and curses.COLOR_PAIRS >= 256:
            return 16
        if curses.COLORS >= 8 and curses.COLOR_PAIRS >= 64:
            return 8
        return 0

    def _buffer_has_room(self) -> bool:
        if self.machine.bios is None:
            return True
        return buffer_space(self.machine) >= 4

    # --- the screen -----------------------------------------------------------------------
    def _geometry(self) -> tuple[int, int, int, int, bool] | None:
        """(mode, columns, rows, page address, blink) of a text mode, else None (graphics)."""
        ram = self.ram
        mode = int(ram[V.VIDEO_MODE]) & 0x7F
        if mode not in V.TEXT_MODES:
            return None
        info = V.MODES[mode]
        cols = int(ram[V.COLUMNS]) | int(ram[V.COLUMNS + 1]) << 8 or info.columns
        rows = int(ram[V.ROWS_MINUS_1]) + 1 if ram[V.ROWS_MINUS_1] else info.rows
        start = int(ram[V.PAGE_START]) | int(ram[V.PAGE_START + 1]) << 8
        addr = info.memory + min(start, V.TEXT_WINDOW)
        rows = max(0, min(rows, (info.memory + V.TEXT_WINDOW - addr) // (cols * 2)))
        blink = bool(ram[V.MODE_SELECT] & V.MODE_SELECT_BLINK)
        return mode, cols, rows, addr, blink

    def draw(self, force: bool = False) -> bool:
        """Bring the terminal up to date with the guest's screen (``force``: every row);
        whether anything was sent to the terminal."""
        screen = self.screen
        height, width = screen.getmaxyx()
        geo = self._geometry()
        layout = (geo, height, width)
        if force or layout != self._layout:
            screen.erase()
            self._layout = layout
            self._rows = []
            self._cursor = None
            if geo is None:
                self._put(0, 0, f"graphics mode {int(self.ram[V.VIDEO_MODE]) & 0x7F:02X}h: "
                          "not shown in a text terminal"[:max(0, width - 1)], 0)
                self._set_cursor(0, 0, 0)
                screen.refresh()
                return True
        if geo is None:
            return False
        mode, cols, rows, addr, blink = geo
        shown_rows, shown_cols = min(rows, height), min(cols, width)
        if len(self._rows) != shown_rows:
            self._rows = [None] * shown_rows
        changed = False
        stride = cols * 2
        page = self.ram[addr:addr + rows * stride].tobytes()
        for r in range(shown_rows):
            data = page[r * stride:r * stride + shown_cols * 2]
            if data != self._rows[r]:
                self._draw_row(r, data, blink, mode == 7)
                self._rows[r] = data
                changed = True
        row, col = V.cursor_position(self.machine)
        shape = int(self.ram[V.CURSOR_SHAPE + 1])
        end = int(self.ram[V.CURSOR_SHAPE]) & 0x1F
        start = shape & 0x1F
        if shape & 0x60 == 0x20 or start > end or row >= shown_rows or col >= shown_cols:
            visibility = 0
        else:
            visibility = 2 if start <= end // 2 else 1           # a block, else an underline
        if changed or self._cursor != (row, col, visibility):
            self._set_cursor(row, col, visibility)
            screen.refresh()
            return True
        return False

    def _draw_row(self, r: int, data: bytes, blink: bool, mda: bool) -> None:
        """Draw one row's char/attribute pairs, one addstr per run of one attribute
        (``mda``: monochrome adapter attributes)."""
        glyphs, cell = self.glyphs, self.palette.cell
        run: list[str] = []
        run_attr, run_col = None, 0
        for c in range(len(data) // 2):
            attr, visible = cell(data[2 * c + 1], blink, mda)
            ch = glyphs[data[2 * c]] if visible else " "
            if attr != run_attr:
                if run:
                    self._put(r, run_col, "".join(run), run_attr or 0)
                run, run_attr, run_col = [], attr, c
            run.append(ch)
        if run:
            self._put(r, run_col, "".join(run), run_attr or 0)

    def _put(self, y: int, x: int, text: str, attr: int) -> None:
        try:
            self.screen.addstr(y, x, text, attr)
        except curses.error:
            pass                              # the bottom-right cell: the cursor cannot advance

    def _set_cursor(self, row: int, col: int, visibility: int) -> None:
        old = self._cursor
        self._cursor = (row, col, visibility)
        if old is None or old[2] != visibility:
            curs_set = getattr(self.screen, "curs_set", None) or (curses.curs_set if self.real else None)
            if curs_set is not None:
                try:
                    curs_set(visibility)
                except curses.error:
                    pass                      # the terminal cannot change its cursor
        if visibility:
            try:
                self.screen.move(row, col)
            except curses.error:
                pass

    # --- the keyboard ---------------------------------------------------------------------
    def read_keys(self) -> None:
        """Take what the terminal has typed (without waiting) and queue it for the keyboard."""
        codes: list[int] = []
        while len(codes) < MAX_KEYS_PER_SLICE:
            code = self.keys()
            if code is None or code < 0:
                break
            codes.append(code)
        i = 0
        while i < len(codes):
            code = codes[i]
            i += 1
            if code == ESC and not self._command and i < len(codes) and 0x20 <= codes[i] < 0x7F:
                self.key(codes[i], alt=True)  # Esc + character: Alt + character
                i += 1
            else:
                self.key(code)

    def key(self, code: int, alt: bool = False) -> None:
        """Handle one ``getch`` code: a Ctrl-A command, a screen resize, or a key for the guest."""
        if self._command:
            self._command = False
            if code in (ord("x"), ord("X")):
                self.quit = True
            elif code in (ord("a"), ord("A"), CTRL_A):
                self.typist.press_key("ctrl-a")
            return
        if code == CTRL_A and not alt:
            self._command = True
            return
        if code == curses.KEY_RESIZE:
            self._layout = None               # redraw everything at the next frame
            self._last_draw = float("-inf")
            return
        name = key_name(code, curses.keyname if self.real else None)
        if name is None:
            return
        if alt:
            name = "alt-" + name
        try:
            self.typist.queue_events(_events(name))
        except ValueError:
            pass

    # --- running --------------------------------------------------------------------------
    def step(self) -> Stop | None:
        """One turn of the loop: keys in, ``SLICE_NS`` of guest time, a frame when one is due."""
        self.read_keys()
        if self.quit:
            return Stop(0, QUIT_MESSAGE)
        self.typist.pump()
        stop = self.machine.run(max_ns=SLICE_NS)
        now = self.clock()
        if stop is not None or now - self._last_draw >= FRAME_S:
            self._last_draw = now
            self.draw()
        return stop

    def run(self) -> Stop:
        """Run until the guest stops or the user quits (Ctrl-A X)."""
        self.draw(force=True)
        self._last_draw = self.clock()
        while True:
            stop = self.step()
            if stop is not None:
                return stop


def run_curses(machine: Machine, *, stdscr: Any = None, keys: Callable[[], int] | None = None,
               colours: int | None = None, realtime: bool = True,
               clock: Callable[[], float] = time.monotonic) -> Stop:
    """Run ``machine`` with its text screen on the terminal until it stops (its :class:`Stop`)
    or the user types Ctrl-A X (``Stop(0, "quit from the terminal")``).

    Without ``stdscr`` the terminal is taken over with :func:`curses.wrapper` and
    restored afterwards.  ``keys`` replaces ``stdscr.getch`` as the key source;
    ``colours`` forces 0, 8 or 16 colours; ``realtime`` keeps the guest at wall-clock
    speed for the run (``machine.realtime``), as an interactive screen needs.
    """
    if stdscr is None:
        return curses.wrapper(lambda scr: run_curses(machine, stdscr=scr, keys=keys, colours=colours,
                                                     realtime=realtime, clock=clock))
    was_realtime = machine.realtime
    machine.realtime = realtime or was_realtime
    try:
        return CursesDisplay(machine, stdscr, keys=keys, colours=colours, clock=clock).run()
    finally:
        machine.realtime = was_realtime
