"""The pygame window (emulator.display_pygame) with SDL's dummy video driver.

Host key events are posted to pygame's queue; the window turns them into
set-2 scan codes at the PS/2 keyboard, the 8042 and the BIOS's INT 09h put
them in the BIOS buffer, and INT 16h reads them back.  Expected values: IBM
keyboard tables (INT 16h AH=10h, the enhanced read).
"""

from __future__ import annotations

from collections.abc import Iterator
from types import SimpleNamespace
from typing import Any

import pytest

from emulator import display_pygame as D
from emulator import keymap
from emulator.cpu import state as S
from emulator.machine import STATUS_HALTED, Stop
from tests.bios_harness import CALL_ADDR, BiosBox

pygame = D._pygame()               # imported without its banner; SDL's video driver is set per test


@pytest.fixture(autouse=True)
def dummy_video(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SDL_VIDEODRIVER", "dummy")


@pytest.fixture(scope="module")
def shared_box() -> BiosBox:
    return BiosBox()


@pytest.fixture
def box(shared_box: BiosBox) -> BiosBox:
    """The POSTed machine idling in STI; HLT; JMP at 0000:7C00 with an empty key buffer."""
    shared_box.call(0x10, ax=0x0003)
    while shared_box.call(0x16, ax=0x1100)["zf"] is False:
        shared_box.call(0x16, ax=0x1000)
    idle(shared_box)
    return shared_box


def idle(box: BiosBox, code: bytes = bytes((0xFB, 0xF4, 0xEB, 0xFD))) -> None:
    box.cpu.write_phys(CALL_ADDR, code)
    box.cpu["cs"], box.cpu["ip"], box.cpu["ss"], box.cpu["sp"] = 0, CALL_ADDR, 0, 0x7000
    box.cpu.st[S.HALTED] = 0


@pytest.fixture
def window(box: BiosBox) -> Iterator[D.PygameWindow]:
    win = D.PygameWindow(box.machine)
    win.open()
    pygame.event.clear()
    yield win
    win.close()


def post_key(key: int, down: bool = True) -> None:
    pygame.event.post(pygame.event.Event(pygame.KEYDOWN if down else pygame.KEYUP, key=key, mod=0))


def tap(*keys: int) -> None:
    """Press the keys in order, release them in reverse order."""
    for k in keys:
        post_key(k)
    for k in reversed(keys):
        post_key(k, False)


def bios_keys(box: BiosBox) -> list[int]:
    """Empty the BIOS buffer through INT 16h AH=10h."""
    keys = []
    while not box.call(0x16, ax=0x1100)["zf"]:
        keys.append(box.call(0x16, ax=0x1000)["ax"])
    return keys


def test_keys_reach_the_bios_buffer(box: BiosBox, window: D.PygameWindow) -> None:
    tap(pygame.K_a)
    tap(pygame.K_LSHIFT, pygame.K_1)
    tap(pygame.K_UP)
    tap(pygame.K_KP_ENTER)
    tap(pygame.K_KP_DIVIDE)
    tap(pygame.K_F12)
    tap(pygame.K_HOME)
    tap(pygame.K_BACKQUOTE)
    tap(pygame.K_LCTRL, pygame.K_c)
    assert window.run(max_slices=20) is None
    assert bios_keys(box) == [0x1E61, 0x0221, 0x48E0, 0xE00D, 0xE02F, 0x8600, 0x47E0, 0x2960, 0x2E03]
    assert window.frames_drawn >= 1
    assert "MIPS" in pygame.display.get_caption()[0]


def test_typematic_repeat_sends_makes(box: BiosBox, window: D.PygameWindow) -> None:
    for _ in range(3):                               # pygame's key repeat: KEYDOWN again
        post_key(pygame.K_z)
    post_key(pygame.K_z, False)
    window.run(max_slices=10)
    assert bios_keys(box) == [0x2C7A] * 3


def test_quit_event_ends_the_run(window: D.PygameWindow) -> None:
    pygame.event.post(pygame.event.Event(pygame.QUIT))
    assert window.run() == Stop(0, "window closed")


def test_run_pygame_returns_the_guest_stop(box: BiosBox) -> None:
    idle(box, bytes((0xFA, 0xF4)))                   # cli; hlt
    stop = D.run_pygame(box.machine)
    assert stop.status == STATUS_HALTED
    assert not pygame.display.get_init()


def test_redraw_only_when_the_screen_changed(box: BiosBox, window: D.PygameWindow) -> None:
    box.call(0x10, ax=0x0100, cx=0x2000)             # cursor off: no blinking on screen
    assert window.redraw()
    assert not window.redraw()
    surface = pygame.display.get_surface()
    x, y, w, h = D.letterbox(surface.get_size())
    first_cell = (x, y, w // 80, h // 25)
    assert not pygame.surfarray.array3d(surface.subsurface(first_cell)).any()
    box.ram[0xB8000] = ord("Q")
    assert window.redraw()
    assert (pygame.surfarray.array3d(surface.subsurface(first_cell)) == 0xAA).any()
    box.ram[0xB8000:0xB8002] = [0xDB, 0x0E]          # a yellow block
    assert window.redraw()
    assert surface.get_at((x + 2, y + 2))[:3] == (0xFF, 0xFF, 0x55)
    box.call(0x10, ax=0x0003)


def test_ctrl_alt_g_grabs_and_mouse_moves(box: BiosBox, window: D.PygameWindow,
                                          monkeypatch: pytest.MonkeyPatch) -> None:
    moves: list[tuple[int, int, int, int]] = []
    monkeypatch.setattr(box.machine.kbc.mouse, "move", lambda *a: moves.append(a))
    pygame.event.post(pygame.event.Event(pygame.MOUSEMOTION, rel=(9, 9), buttons=(0, 0, 0), pos=(0, 0)))
    window.run(max_slices=2)
    assert moves == [] and not window.grabbed        # not grabbed: the guest gets no motion
    tap(pygame.K_LCTRL, pygame.K_LALT, pygame.K_g)
    window.run(max_slices=5)
    assert window.grabbed and "releases" in pygame.display.get_caption()[0]
    assert 0x2207 not in bios_keys(box)              # the G of the hotkey went nowhere
    pygame.event.post(pygame.event.Event(pygame.MOUSEMOTION, rel=(5, 3), buttons=(0, 0, 0), pos=(0, 0)))
    pygame.event.post(pygame.event.Event(pygame.MOUSEMOTION, rel=(1, -400), buttons=(0, 0, 0), pos=(0, 0)))
    pygame.event.post(pygame.event.Event(pygame.MOUSEBUTTONDOWN, button=1, pos=(0, 0)))
    pygame.event.post(pygame.event.Event(pygame.MOUSEWHEEL, x=0, y=1, flipped=False))
    window.run(max_slices=2)
    assert moves == [(6, 255, 0, 0), (0, 142, 0, 0), (0, 0, -1, 1)]
    tap(pygame.K_LCTRL, pygame.K_LALT, pygame.K_g)
    window.run(max_slices=2)
    assert not window.grabbed and moves[-1] == (0, 0, 0, 0)   # released: buttons up


class FakeKeyboard:
    """Records what the window sends to the PS/2 keyboard."""

    QUEUE_LIMIT = 1 << 20

    def __init__(self) -> None:
        self.queue: list[int] = []
        self.enabled = True
        self.sent: list[tuple[Any, ...]] = []

    def key_event(self, code: int, pressed: bool, extended: bool = False) -> None:
        self.sent.append((code, pressed, extended))

    def send_pause(self) -> None:
        self.sent.append(("pause",))

    def send_print_screen(self, pressed: bool) -> None:
        self.sent.append(("prtsc", pressed))


def fake_window() -> tuple[D.PygameWindow, FakeKeyboard]:
    kbd = FakeKeyboard()
    machine: Any = SimpleNamespace(kbc=SimpleNamespace(keyboard=kbd), executed=0)
    return D.PygameWindow(machine), kbd


def press(win: D.PygameWindow, *keys: int) -> None:
    for k in keys:
        win.key(k, True)
    for k in reversed(keys):
        win.key(k, False)
    win.typist.pump()


def test_pause_print_screen_and_their_modified_forms() -> None:
    win, kbd = fake_window()
    press(win, pygame.K_PAUSE)
    press(win, pygame.K_PRINTSCREEN)
    assert kbd.sent == [("pause",), ("prtsc", True), ("prtsc", False)]
    kbd.sent.clear()
    press(win, pygame.K_LCTRL, pygame.K_PAUSE)       # Break: E0 7E make and break
    press(win, pygame.K_RALT, pygame.K_PRINTSCREEN)  # SysReq: 84h
    assert kbd.sent == [(0x14, True, False), (0x7E, True, True), (0x7E, False, True), (0x14, False, False),
                        (0x11, True, True), (0x84, True, False), (0x84, False, False), (0x11, False, True)]


def test_focus_loss_releases_held_keys() -> None:
    win, kbd = fake_window()
    win.key(pygame.K_LSHIFT, True)
    win.key(pygame.K_DELETE, True)
    win.release_all()
    win.key(pygame.K_DELETE, False)                  # its release comes later: not sent twice
    win.typist.pump()
    assert kbd.sent == [(0x12, True, False), (0x71, True, True), (0x12, False, False), (0x71, False, True)]


def test_the_key_table_covers_the_us_keyboard() -> None:
    names = set(D.key_names().values())
    assert names <= set(keymap.KEYS)
    assert set(keymap.KEYS) - names == {"break"}     # Ctrl+Pause, made by the window


def test_display_available(monkeypatch: pytest.MonkeyPatch) -> None:
    assert not D.display_available()                 # SDL_VIDEODRIVER=dummy
    assert "dummy" in (D.display_unavailable_reason() or "")
    monkeypatch.delenv("SDL_VIDEODRIVER")
    monkeypatch.delenv("DISPLAY", raising=False)
    monkeypatch.delenv("WAYLAND_DISPLAY", raising=False)
    monkeypatch.setattr(D.sys, "platform", "linux")
    assert not D.display_available()


def test_letterbox() -> None:
    assert D.letterbox((800, 600)) == (0, 0, 800, 600)
    assert D.letterbox((1000, 600)) == (100, 0, 800, 600)
    assert D.letterbox((800, 900)) == (0, 150, 800, 600)
