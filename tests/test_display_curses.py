"""-display curses: the text page on a (fake) curses screen, terminal keys into the BIOS.

A machine with our BIOS after POST (tests.bios_harness.BiosBox) is shown on a
stand-in for a curses window that records each cell's character and attribute.
"""

from __future__ import annotations

import curses
from collections.abc import Iterable

import pytest

from bios import video as V
from emulator import display_curses as D
from emulator.cpu import state as S
from emulator.machine import Stop
from tests.bios_harness import CALL_ADDR, BiosBox

TEXT = 0xB8000


class FakeScreen:
    """The part of a curses window the display uses; cells hold (character, attribute)."""

    def __init__(self, height: int = 30, width: int = 100, keys: Iterable[int] = (),
                 encoding: str = "utf-8") -> None:
        self.height, self.width = height, width
        self.encoding = encoding
        self.cells = [[(" ", 0)] * width for _ in range(height)]
        self.keys = list(keys)
        self.cursor = (0, 0)
        self.visibility = 1
        self.writes: list[tuple[int, int, str]] = []
        self.refreshes = 0

    def getmaxyx(self) -> tuple[int, int]:
        return self.height, self.width

    def addstr(self, y: int, x: int, text: str, attr: int = 0) -> None:
        if not (0 <= y < self.height and 0 <= x < self.width):
            raise curses.error("addstr outside the window")
        self.writes.append((y, x, text))
        for i, ch in enumerate(text):
            if x + i >= self.width:
                raise curses.error("addstr past the right edge")
            self.cells[y][x + i] = (ch, attr)
        self.cursor = (y, x + len(text))

    def erase(self) -> None:
        self.cells = [[(" ", 0)] * self.width for _ in range(self.height)]

    def move(self, y: int, x: int) -> None:
        self.cursor = (y, x)

    def refresh(self) -> None:
        self.refreshes += 1

    def curs_set(self, visibility: int) -> None:
        self.visibility = visibility

    def getch(self) -> int:
        return self.keys.pop(0) if self.keys else -1

    def text(self, row: int, start: int = 0, end: int | None = None) -> str:
        return "".join(ch for ch, _ in self.cells[row][start:end])

    def attr(self, row: int, col: int) -> int:
        return self.cells[row][col][1]


class Ticker:
    """A wall clock that moves a whole second per reading: every turn of the loop draws."""

    def __init__(self) -> None:
        self.t = 0.0

    def __call__(self) -> float:
        self.t += 1.0
        return self.t


@pytest.fixture
def box() -> BiosBox:
    b = BiosBox()
    assert b.post_stop is not None and b.post_stop.message == "INT 19h reached"
    return b


def idle(box: BiosBox) -> None:
    """Leave the CPU idling with interrupts on (sti; hlt; jmp hlt) so keys reach the BIOS."""
    box.cpu.write_phys(CALL_ADDR, bytes((0xFB, 0xF4, 0xEB, 0xFD)))
    box.cpu["cs"], box.cpu["ip"], box.cpu["ss"], box.cpu["sp"] = 0, CALL_ADDR, 0, 0x7000
    box.cpu.st[S.HALTED] = 0


def poke_text(box: BiosBox, row: int, col: int, text: bytes, attr: int) -> None:
    addr = TEXT + (row * 80 + col) * 2
    for i, ch in enumerate(text):
        box.ram[addr + 2 * i] = ch
        box.ram[addr + 2 * i + 1] = attr


def display(box: BiosBox, screen: FakeScreen, colours: int = 8) -> D.CursesDisplay:
    return D.CursesDisplay(box.machine, screen, colours=colours, clock=Ticker())


def pair_colours(disp: D.CursesDisplay, attr: int) -> tuple[int, int]:
    return disp.palette.pairs[(attr & curses.A_COLOR) >> 8]


# --- the screen -----------------------------------------------------------------------------
def test_text_page_appears_at_its_cells_with_cp437_glyphs(box: BiosBox) -> None:
    screen = FakeScreen()
    disp = display(box, screen)
    poke_text(box, 3, 10, b"Hello", 0x07)
    poke_text(box, 24, 0, bytes((0xC9, 0xCD, 0xBB, 0x01, 0xB1, 0x00)), 0x07)
    box.call(0x10, ax=0x0E41)                              # teletype 'A' through INT 10h
    assert disp.draw(force=True)
    assert screen.text(0).startswith("pyx86 BIOS")
    assert screen.text(3, 10, 15) == "Hello"
    assert screen.text(24, 0, 6) == "╔═╗☺▒ "
    row, col = V.cursor_position(box.machine)
    assert screen.cells[row][col - 1][0] == "A"
    assert screen.text(25).strip() == "" and screen.text(3, 80).strip() == ""   # nothing past 80x25


def test_ascii_terminal_gets_lookalikes() -> None:
    table = D.glyph_table("ascii")
    assert [table[c] for c in (0xC9, 0xCD, 0xBA, 0xC4, 0xB3, 0xDB, 0x82, 0x00, 0x41)] == \
        ["+", "=", "|", "-", "|", "#", "e", " ", "A"]
    assert D.glyph_table()[0xC4] == "─"


def test_only_changed_rows_are_redrawn(box: BiosBox) -> None:
    screen = FakeScreen()
    disp = display(box, screen)
    disp.draw()
    assert not disp.draw()                                  # nothing changed: nothing sent
    screen.writes.clear()
    poke_text(box, 7, 5, b"x", 0x07)
    assert disp.draw()
    assert {y for y, _, _ in screen.writes} == {7}
    assert screen.text(7, 5, 6) == "x"


def test_attributes_map_to_8_colour_pairs_with_bold_and_blink(box: BiosBox) -> None:
    screen = FakeScreen()
    disp = display(box, screen, colours=8)
    poke_text(box, 2, 0, b"ABCD", 0x1F)
    poke_text(box, 2, 4, b"E", 0x4E)
    poke_text(box, 2, 5, b"F", 0x07)
    poke_text(box, 2, 6, b"G", 0xF0)
    disp.draw()
    a = screen.attr(2, 0)
    assert pair_colours(disp, a) == (curses.COLOR_WHITE, curses.COLOR_BLUE) and a & curses.A_BOLD
    assert screen.attr(2, 3) == a
    e = screen.attr(2, 4)
    assert pair_colours(disp, e) == (curses.COLOR_YELLOW, curses.COLOR_RED) and e & curses.A_BOLD
    f = screen.attr(2, 5)
    assert pair_colours(disp, f) == (curses.COLOR_WHITE, curses.COLOR_BLACK)
    assert not f & (curses.A_BOLD | curses.A_BLINK)
    g = screen.attr(2, 6)                                   # POST leaves blink on (465h bit 5)
    assert pair_colours(disp, g) == (curses.COLOR_BLACK, curses.COLOR_WHITE) and g & curses.A_BLINK
    assert sorted(disp.palette.pairs) == list(range(64))   # xterm has 64 pairs
    assert disp.palette.pairs[0] == (curses.COLOR_WHITE, curses.COLOR_BLACK)   # curses' fixed pair 0
    assert f & curses.A_COLOR == 0


def test_16_colours_use_bright_colours_and_bright_backgrounds(box: BiosBox) -> None:
    screen = FakeScreen()
    disp = display(box, screen, colours=16)
    poke_text(box, 4, 0, b"ab", 0x1F)
    poke_text(box, 4, 2, b"c", 0xF0)
    poke_text(box, 4, 3, b"d", 0x44)
    disp.draw()
    assert pair_colours(disp, screen.attr(4, 0)) == (curses.COLOR_WHITE + 8, curses.COLOR_BLUE)
    assert not screen.attr(4, 0) & curses.A_BOLD
    assert screen.attr(4, 2) & curses.A_BLINK
    assert pair_colours(disp, screen.attr(4, 3)) == (curses.COLOR_RED, curses.COLOR_RED)
    assert sorted(disp.palette.pairs) == list(range(256))
    box.ram[V.MODE_SELECT] &= ~V.MODE_SELECT_BLINK & 0xFF   # bit 7: bright background
    disp.draw()
    c = screen.attr(4, 2)
    assert pair_colours(disp, c) == (curses.COLOR_BLACK, curses.COLOR_WHITE + 8) and not c & curses.A_BLINK


def test_monochrome_terminal_and_mode_7(box: BiosBox) -> None:
    screen = FakeScreen()
    disp = display(box, screen, colours=0)
    poke_text(box, 5, 0, b"abcd", 0x07)
    poke_text(box, 5, 4, b"e", 0x70)
    poke_text(box, 5, 5, b"f", 0x1F)                        # white on blue: bold, not reversed
    poke_text(box, 5, 6, b"g", 0x30)                        # black on cyan: reversed
    poke_text(box, 5, 7, b"h", 0x22)                        # hidden
    disp.draw()
    assert screen.attr(5, 0) == 0
    assert screen.attr(5, 4) == curses.A_REVERSE
    assert screen.attr(5, 5) == curses.A_BOLD
    assert screen.attr(5, 6) == curses.A_REVERSE
    assert screen.text(5, 7, 8) == " "
    out = box.call(0x10, ax=0x0007)                         # mode 7: MDA at B0000h
    assert box.ram[V.VIDEO_MODE] == 7, out
    for i, (ch, attr) in enumerate(((b"u", 0x01), (b"r", 0x70), (b"n", 0x00), (b"b", 0x0F))):
        box.ram[0xB0000 + 2 * i], box.ram[0xB0000 + 2 * i + 1] = ch[0], attr
    colour = display(box, FakeScreen(), colours=8)          # MDA rules even on a colour terminal
    for d in (disp, colour):
        d.draw()
        s = d.screen
        assert s.text(0, 0, 4) == "ur b"
        assert s.attr(0, 0) == curses.A_UNDERLINE and s.attr(0, 1) == curses.A_REVERSE
        assert s.attr(0, 3) == curses.A_BOLD


def test_small_terminal_is_clipped_and_graphics_mode_is_announced(box: BiosBox) -> None:
    screen = FakeScreen(height=10, width=40)
    disp = display(box, screen)
    poke_text(box, 9, 35, b"0123456789", 0x07)
    poke_text(box, 12, 0, b"below", 0x07)
    disp.draw()
    assert screen.text(9) == " " * 35 + "01234"
    box.call(0x10, ax=0x0013)
    disp.draw()
    assert screen.text(0).startswith("graphics mode 13h") and screen.visibility == 0
    box.call(0x10, ax=0x0003)
    disp.draw()
    assert screen.text(0).strip() == ""


def test_cursor_follows_the_bios_cursor(box: BiosBox) -> None:
    screen = FakeScreen()
    disp = display(box, screen)
    box.call(0x10, ax=0x0200, bx=0, dx=0x0510)              # row 5, column 16
    disp.draw()
    assert screen.cursor == (5, 16) and screen.visibility == 1
    box.call(0x10, ax=0x0100, cx=0x2000)                    # cursor off
    assert disp.draw()
    assert screen.visibility == 0
    box.call(0x10, ax=0x0100, cx=0x0007)                    # full block
    box.call(0x10, ax=0x0200, bx=0, dx=0x0C28)
    disp.draw()
    assert screen.cursor == (12, 40) and screen.visibility == 2


# --- the keyboard ---------------------------------------------------------------------------
def bios_keys(box: BiosBox) -> list[int]:
    keys = []
    while True:
        out = box.call(0x16, ax=0x0100)
        if out["zf"]:
            return keys
        keys.append(box.call(0x16, ax=0x0000)["ax"])


def test_terminal_keys_reach_the_bios_buffer(box: BiosBox) -> None:
    typed = [ord("a"), ord("B"), ord("!"), 0x0D, 0x7F, 0x09, 0x03, curses.KEY_UP, curses.KEY_F1,
             curses.KEY_F0 + 13, curses.KEY_DC, D.ESC, ord("x"), D.CTRL_A, ord("a")]
    screen = FakeScreen(keys=typed)
    disp = display(box, screen)
    idle(box)
    for _ in range(40):
        assert disp.step() is None
        if disp.typist.idle and not box.machine.kbc.keyboard.queue:
            break
    disp.step()
    assert not disp.quit
    assert bios_keys(box) == [0x1E61, 0x3042, 0x0221, 0x1C0D, 0x0E08, 0x0F09, 0x2E03, 0x4800, 0x3B00,
                              0x5400, 0x5300, 0x2D00, 0x1E01]


def test_keys_reach_the_screen_through_int16_and_int10(box: BiosBox) -> None:
    """A guest loop echoing INT 16h keys with INT 10h teletype shows the typed text."""
    code = bytes((0xFB,                                     # sti
                  0xB4, 0x00, 0xCD, 0x16,                   # mov ah,0; int 16h
                  0xB4, 0x0E, 0xCD, 0x10,                   # mov ah,0Eh; int 10h
                  0xEB, 0xF6))                              # jmp to mov ah,0
    box.cpu.write_phys(CALL_ADDR, code)
    box.cpu["cs"], box.cpu["ip"], box.cpu["ss"], box.cpu["sp"] = 0, CALL_ADDR, 0, 0x7000
    box.call(0x10, ax=0x0200, bx=0, dx=0x1400)              # the call leaves cs:ip at its own code
    box.cpu.write_phys(CALL_ADDR, code)
    box.cpu["cs"], box.cpu["ip"] = 0, CALL_ADDR
    box.cpu.st[S.HALTED] = 0
    screen = FakeScreen(keys=[ord(c) for c in "dir /w"])
    disp = display(box, screen)
    for _ in range(40):
        disp.step()
        if screen.text(20, 0, 6) == "dir /w":
            break
    assert screen.text(20, 0, 6) == "dir /w"
    assert screen.cursor == (20, 6)


def test_key_names() -> None:
    kn = D.key_name
    assert kn(ord("q")) == "q" and kn(0x1A) == "ctrl-z" and kn(0x1B) == "esc" and kn(0x00) == "ctrl-space"
    assert kn(curses.KEY_F0 + 12) == "f12" and kn(curses.KEY_F0 + 30) == "ctrl-f6"
    assert kn(curses.KEY_F0 + 49) == "alt-f1" and kn(curses.KEY_BTAB) == "shift-tab"
    assert kn(0xE9) is None and kn(curses.KEY_MOUSE) is None
    names = {600: b"kLFT5", 601: b"kUP3", 602: b"kDC", 603: b"kFOO5"}
    assert [kn(c, names.__getitem__) for c in names] == ["ctrl-left", "alt-up", "del", None]


# --- running ----------------------------------------------------------------------------------
def test_ctrl_a_x_quits(box: BiosBox) -> None:
    idle(box)
    screen = FakeScreen(keys=[D.CTRL_A, ord("x")])
    stop = D.run_curses(box.machine, stdscr=screen, colours=8, realtime=False, clock=Ticker())
    assert stop == Stop(0, "quit from the terminal")
    assert screen.text(0).startswith("pyx86 BIOS") and screen.refreshes >= 1
    assert not box.machine.realtime


def test_the_machine_stopping_ends_the_run(box: BiosBox) -> None:
    box.cpu.write_phys(CALL_ADDR, bytes((0xB0, 0x05, 0xE6, 0xF4)))    # mov al,5; out 0F4h,al
    box.cpu["cs"], box.cpu["ip"] = 0, CALL_ADDR
    box.cpu.st[S.HALTED] = 0
    stop = D.run_curses(box.machine, stdscr=FakeScreen(), keys=lambda: -1, realtime=False)
    assert stop == Stop(11, "")


def test_frames_are_limited_by_the_wall_clock(box: BiosBox) -> None:
    idle(box)
    screen = FakeScreen()
    now = [100.0]
    disp = D.CursesDisplay(box.machine, screen, colours=8, clock=lambda: now[0])
    disp.draw(force=True)
    disp._last_draw = now[0]
    poke_text(box, 6, 0, b"late", 0x07)
    disp.step()
    assert screen.text(6, 0, 4) == "    "                  # no frame yet: 1/30 s has not passed
    now[0] += 0.05
    disp.step()
    assert screen.text(6, 0, 4) == "late"
