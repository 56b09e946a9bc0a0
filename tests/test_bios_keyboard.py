"""Keyboard BIOS (INT 09h, INT 16h) and host typing (emulator.keymap), through a BiosBox.

Keys go in as scan code set 2 at the keyboard (as the host window will send
them); the 8042 translates them to set 1 and raises IRQ1; the BIOS's INT 09h
fills the buffer that INT 16h reads.  Expected values: IBM keyboard tables.
"""

from __future__ import annotations

import pytest

from bios import keyboard as K
from devices.ps2kbd import PS2Keyboard
from emulator import keymap
from emulator.cpu import state as S
from emulator.machine import STATUS_OK
from tests.bios_harness import CALL_ADDR, BiosBox

# set-2 make codes used below (Microsoft Keyboard Scan Code Specification)
A, C, ONE, ENTER, F1, F11, ESC = 0x1C, 0x21, 0x16, 0x5A, 0x05, 0x78, 0x76
LSHIFT, LCTRL, LALT, CAPS, NUM = 0x12, 0x14, 0x11, 0x58, 0x77
UP, DEL, KP7, KP6, KP5, KPENTER = 0x75, 0x71, 0x6C, 0x74, 0x73, 0x5A


def _ensure_pic(box: BiosBox) -> None:
    """Program the 8259As (vectors 08h/70h, only IRQ1 unmasked) if POST did not."""
    if box.machine.pic.icw2[0] == 0x08:
        return
    bus = box.machine.bus
    for port, value in ((0x20, 0x11), (0x21, 0x08), (0x21, 0x04), (0x21, 0x01),
                        (0xA0, 0x11), (0xA1, 0x70), (0xA1, 0x02), (0xA1, 0x01), (0x21, 0xFD), (0xA1, 0xFF)):
        bus.write(port, 1, value)


@pytest.fixture
def box() -> BiosBox:
    b = BiosBox()
    _ensure_pic(b)
    return b


def kbd(box: BiosBox) -> PS2Keyboard:
    return box.machine.kbc.keyboard


def tap(box: BiosBox, code: int, extended: bool = False) -> None:
    kbd(box).key_event(code, True, extended)
    kbd(box).key_event(code, False, extended)


def chord(box: BiosBox, mods: list[int], code: int, extended: bool = False) -> None:
    for m in mods:
        kbd(box).key_event(m, True)
    tap(box, code, extended)
    for m in reversed(mods):
        kbd(box).key_event(m, False)


def settle(box: BiosBox, ns: int = 30_000_000) -> None:
    """Let the guest idle with interrupts on so every queued scan code is handled."""
    box.cpu.write_phys(CALL_ADDR, bytes((0xFB, 0xF4, 0xEB, 0xFD)))     # sti; hlt; jmp hlt
    box.cpu["cs"], box.cpu["ip"], box.cpu["ss"], box.cpu["sp"] = 0, CALL_ADDR, 0, 0x7000
    box.cpu.st[S.HALTED] = 0
    box.machine.run(max_ns=ns)


def read(box: BiosBox, ah: int = 0x00) -> int:
    out = box.call(0x16, ax=ah << 8, max_ns=50_000_000)
    assert out["stop"] is not None, "INT 16h did not return"
    return out["ax"]


def peek(box: BiosBox, ah: int = 0x01) -> int | None:
    out = box.call(0x16, ax=ah << 8)
    return None if out["zf"] else out["ax"]


def rd16(box: BiosBox, addr: int) -> int:
    return int(box.ram[addr]) | int(box.ram[addr + 1]) << 8


# --- POST -----------------------------------------------------------------------------------
def test_post_sets_up_controller_keyboard_and_bda(box: BiosBox) -> None:
    kbc = box.machine.kbc
    assert kbc.command_byte & 0x45 == 0x45 and not kbc.command_byte & 0x10   # xlat, sys, IRQ1, enabled
    assert kbd(box).enabled and kbd(box).leds == 0
    assert box.machine.pic.imr[0] & 0x02 == 0
    assert (rd16(box, 0x480), rd16(box, 0x482)) == (0x1E, 0x3E)
    assert rd16(box, 0x41A) == rd16(box, 0x41C) == 0x1E
    assert box.ram[0x496] & K.KBX
    assert not [line for line in box.log if "keyboard" in line]
    assert peek(box) is None


# --- characters -----------------------------------------------------------------------------
def test_letters_shift_ctrl(box: BiosBox) -> None:
    tap(box, A)
    assert read(box) == 0x1E61
    chord(box, [LSHIFT], A)
    assert read(box) == 0x1E41
    chord(box, [LCTRL], C)
    assert read(box) == 0x2E03
    chord(box, [LALT], C)
    assert read(box) == 0x2E00


def test_enter_function_keys_and_filtering(box: BiosBox) -> None:
    tap(box, ENTER)
    assert read(box) == 0x1C0D
    tap(box, F1)
    assert read(box) == 0x3B00
    chord(box, [LSHIFT], F1)
    assert read(box) == 0x5400
    # F11 is not in the 83-key set: AH=00h drops it, AH=10h reports it
    tap(box, F11)
    tap(box, ESC)
    assert read(box) == 0x011B
    tap(box, F11)
    assert read(box, 0x10) == 0x8500
    # Alt+Esc exists only on the enhanced keyboard: stored as 01F0h
    chord(box, [LALT], ESC)
    tap(box, ONE)
    assert read(box) == 0x0231
    chord(box, [LALT], ESC)
    assert read(box, 0x10) == 0x0100


def test_grey_cursor_keys(box: BiosBox) -> None:
    tap(box, UP, extended=True)
    assert read(box) == 0x4800
    tap(box, UP, extended=True)
    assert read(box, 0x10) == 0x48E0
    chord(box, [LCTRL], UP, extended=True)
    assert read(box, 0x10) == 0x8DE0
    tap(box, KPENTER, extended=True)
    assert read(box, 0x10) == 0xE00D
    tap(box, KPENTER, extended=True)
    assert read(box) == 0x1C0D


def test_keypad_and_num_lock(box: BiosBox) -> None:
    tap(box, KP7)
    assert read(box) == 0x4700
    tap(box, NUM)
    tap(box, KP7)
    assert read(box) == 0x4737
    assert box.ram[0x417] & K.NUM_ON
    chord(box, [LSHIFT], KP7)                       # Shift reverses Num Lock
    assert read(box) == 0x4700
    tap(box, UP, extended=True)                     # grey keys ignore Num Lock
    assert read(box, 0x10) == 0x48E0
    settle(box)
    assert kbd(box).leds == 0x02                    # Num Lock LED through EDh


def test_alt_keypad_entry(box: BiosBox) -> None:
    k = kbd(box)
    k.key_event(LALT, True)
    tap(box, KP6)
    tap(box, KP5)
    k.key_event(LALT, False)
    assert read(box) == 0x0041


def test_caps_lock_letters_only(box: BiosBox) -> None:
    tap(box, CAPS)
    tap(box, A)
    assert read(box) == 0x1E41
    tap(box, ONE)
    assert read(box) == 0x0231
    chord(box, [LSHIFT], A)
    assert read(box) == 0x1E61
    chord(box, [LSHIFT], ONE)
    assert read(box) == 0x0221
    settle(box)
    assert box.ram[0x417] & K.CAPS_ON
    assert kbd(box).leds == 0x04
    assert not box.ram[0x497] & K.LED_UPDATE
    tap(box, CAPS)
    settle(box)
    assert not box.ram[0x417] & K.CAPS_ON and kbd(box).leds == 0


# --- status functions ---------------------------------------------------------------------------
def test_peek_sets_zf_and_keeps_key(box: BiosBox) -> None:
    assert peek(box) is None
    tap(box, A)
    settle(box)
    assert peek(box) == 0x1E61
    assert peek(box, 0x11) == 0x1E61
    assert read(box) == 0x1E61
    assert peek(box) is None


def test_shift_flags_while_held(box: BiosBox) -> None:
    k = kbd(box)
    k.key_event(LSHIFT, True)
    k.key_event(LCTRL, True, extended=True)             # right Ctrl
    settle(box)
    out = box.call(0x16, ax=0x0200)
    assert out["al"] == K.LSHIFT | K.CTRL
    out = box.call(0x16, ax=0x1200)
    assert out["al"] == K.LSHIFT | K.CTRL and out["ah"] == 0x04
    k.key_event(LSHIFT, False)
    k.key_event(LCTRL, False, extended=True)
    settle(box)
    assert box.call(0x16, ax=0x0200)["al"] == 0


def test_store_key_and_full_buffer_with_wrap_around(box: BiosBox) -> None:
    assert box.call(0x16, ax=0x0500, cx=0x1234)["al"] == 0
    assert read(box) == 0x1234
    for rnd in range(3):                                 # the tail wraps past 3Eh on later rounds
        keys = [0x3000 + rnd * 0x100 + n for n in range(15)]
        for key in keys:
            assert box.call(0x16, ax=0x0500, cx=key)["al"] == 0
        assert box.call(0x16, ax=0x0500, cx=0x4444)["al"] == 1          # 15 keys fill it
        assert K.buffer_space(box.machine) == 0
        assert [read(box) for _ in keys] == keys
        assert peek(box) is None
        box.call(0x16, ax=0x0500, cx=0x1111)                             # shift the start point
        read(box)


def test_typed_keys_beyond_the_buffer_are_dropped(box: BiosBox) -> None:
    typist = keymap.Typist(kbd(box))
    typist.type_text("abcdefghijklmnopqrst")
    while not typist.idle:
        typist.pump()
        settle(box, 5_000_000)
    settle(box)
    got = []
    while peek(box) is not None:
        got.append(chr(read(box) & 0xFF))
    assert "".join(got) == "abcdefghijklmno"


# --- special keys ---------------------------------------------------------------------------------
def test_ctrl_alt_del_requests_reset() -> None:
    box = BiosBox(no_reboot=True)
    _ensure_pic(box)
    keymap.press_key(kbd(box), "ctrl-alt-del")
    out = box.call(0x16, ax=0x0000)
    assert out["stop"] is not None and out["stop"].status == STATUS_OK
    assert "reset" in out["stop"].message
    assert rd16(box, 0x472) == 0x1234


def test_ctrl_break_flushes_buffer_and_calls_int1b(box: BiosBox) -> None:
    # INT 1Bh handler at 0000:0600: inc byte [0610h]; iret
    box.cpu.write_phys(0x600, bytes((0xFE, 0x06, 0x10, 0x06, 0xCF)))
    box.ram[0x610] = 0
    box.bios.set_vector(0x1B, 0, 0x600)
    box.cpu["ds"] = 0
    tap(box, A)
    keymap.press_key(kbd(box), "ctrl-break")
    settle(box)
    assert box.ram[0x610] == 1
    assert box.ram[0x471] & 0x80
    assert read(box) == 0x0000
    assert peek(box) is None


def test_pause_waits_for_next_key(box: BiosBox) -> None:
    kbd(box).send_pause()
    settle(box, 20_000_000)
    assert box.ram[0x418] & K.HOLD
    assert box.cpu["cs"] == 0xF000                       # still in the BIOS wait routine
    tap(box, A)                                          # ends the pause; the key is dropped
    settle(box, 20_000_000)
    assert not box.ram[0x418] & K.HOLD
    assert box.cpu["cs"] == 0                            # back in the interrupted program
    assert peek(box) is None
    tap(box, A)
    assert read(box) == 0x1E61


def test_print_screen_and_sysreq_call_the_guest(box: BiosBox) -> None:
    # INT 05h: inc byte [0610h]; iret.  INT 15h: AH=85h -> mov [0620h],ax; iret (CF stays set for 4Fh)
    box.cpu.write_phys(0x600, bytes((0xFE, 0x06, 0x10, 0x06, 0xCF)))
    box.cpu.write_phys(0x640, bytes((0x80, 0xFC, 0x85, 0x75, 0x03, 0xA3, 0x20, 0x06, 0xCF)))
    box.ram[0x610] = 0
    box.bios.set_vector(0x05, 0, 0x600)
    box.bios.set_vector(0x15, 0, 0x640)
    box.cpu["ds"] = 0
    keymap.press_key(kbd(box), "prtsc")
    settle(box)
    assert box.ram[0x610] == 1 and peek(box) is None
    keymap.press_key(kbd(box), "ctrl-prtsc")
    assert read(box) == 0x7200
    kbd(box).key_event(0x84, True)                       # Alt+Print Screen: SysReq make
    settle(box)
    assert rd16(box, 0x620) == 0x8500 and box.ram[0x418] & K.SYSREQ_DN
    kbd(box).key_event(0x84, False)
    settle(box)
    assert rd16(box, 0x620) == 0x8501 and not box.ram[0x418] & K.SYSREQ_DN
    assert box.ram[0x610] == 1


def test_insert_toggles_once_per_press(box: BiosBox) -> None:
    k = kbd(box)
    k.key_event(0x70, True, True)
    k.key_event(0x70, True, True)                        # typematic repeat: no second toggle
    k.key_event(0x70, False, True)
    settle(box)
    assert box.ram[0x417] & K.INS_ON
    assert read(box, 0x10) == 0x52E0
    assert peek(box) is None


# --- host typing ----------------------------------------------------------------------------------
def test_type_text_reads_back_in_order(box: BiosBox) -> None:
    text = "dir /w\n"
    typist = keymap.type_text(kbd(box), text)
    assert not typist.idle                               # 21 set-2 bytes: more than the keyboard holds
    keys = []
    for _ in text:
        typist.pump()
        keys.append(read(box))
    assert typist.idle
    assert keys == [0x2064, 0x1769, 0x1372, 0x3920, 0x352F, 0x1177, 0x1C0D]


def test_type_text_shifted_symbols(box: BiosBox) -> None:
    text = 'A!~"|?\t\b'
    typist = keymap.type_text(kbd(box), text)
    got = []
    for _ in text:
        typist.pump()
        got.append(read(box))
    assert got == [0x1E41, 0x0221, 0x297E, 0x2822, 0x2B7C, 0x353F, 0x0F09, 0x0E08]


def test_key_events_and_names() -> None:
    assert keymap.key_events_for_text("a") == [(0x1C, False, True), (0x1C, False, False)]
    assert keymap.key_events_for_text("A") == [(0x12, False, True), (0x1C, False, True),
                                               (0x1C, False, False), (0x12, False, False)]
    assert keymap.key_events_for_key("up") == [(0x75, True, True), (0x75, True, False)]
    assert keymap.key_events_for_key("ctrl-c")[0] == (0x14, False, True)
    assert keymap.key_events_for_key("ctrl-alt-del")[2] == (0x71, True, True)
    assert keymap.key_events_for_key("F12") == [(0x07, False, True), (0x07, False, False)]
    assert keymap.key_events_for_key("kp-") == [(0x7B, False, True), (0x7B, False, False)]
    for name in ("enter", "esc", "tab", "backspace", "home", "end", "pgup", "pgdn", "ins", "del",
                 "left", "right", "down", *(f"f{n}" for n in range(1, 13))):
        assert keymap.key_events_for_key(name)
    with pytest.raises(ValueError):
        keymap.key_events_for_key("hyper-q")
    with pytest.raises(ValueError):
        keymap.key_events_for_text("\u00e9")


def test_typist_respects_queue_limit(box: BiosBox) -> None:
    k = kbd(box)
    box.machine.kbc.io_write(0x64, 1, 0xAD)              # keyboard interface off: nothing drains
    typist = keymap.Typist(k)
    typist.type_text("hello world")
    typist.pump()
    assert 0 < len(k.queue) <= k.QUEUE_LIMIT and not typist.idle
    before = len(typist.pending)
    assert typist.pump() == 0 and len(typist.pending) == before
    gate = keymap.Typist(k, ready=lambda: False)
    gate.type_text("x")
    k.queue.clear()
    assert gate.pump() == 0
