"""The keyboard BIOS: 8042/keyboard setup at POST, INT 09h (IRQ1) and INT 16h.

Sources: IBM *PC AT Technical Reference* (keyboard BIOS description, BIOS data
area, "Keyboard Encoding and Usage" character/extended code tables), IBM
*PS/2 Hardware Interface Technical Reference* (101-key keyboard, 8042
commands), Ralf Brown's Interrupt List (INT 09h, INT 16h, BDA 40:17h-40:97h).

All state is in the BIOS data area (segment 40h):

* 17h shift flags (Ins/Caps/Num/Scroll active, Alt, Ctrl, left/right Shift);
  18h keys held (Ins, Caps, Num, Scroll, Pause active, SysReq, left Alt, left Ctrl);
  19h Alt+keypad accumulator; 71h bit 7 Ctrl-Break seen; 72h 1234h = warm boot;
* 1Ah/1Ch buffer head/tail, 80h/82h buffer start/end (offsets from 40:0; the
  guest may move the buffer inside segment 40h), buffer 1Eh-3Dh by default;
* 96h: 0 last code E1h, 1 last code E0h, 2 right Ctrl, 3 right Alt, 4 101-key
  keyboard; 97h: 0-2 LED state, 4 ACK seen, 5 resend seen, 6 LED update in
  progress, 7 transmit error.

INT 09h (the ROM routine reads port 60h, offers the code to INT 15h AH=4Fh,
then calls the service with AL = set-1 code) follows the IBM description:
shift and lock keys, E0h/E1h prefixes (E0 2A / E0 36 "fake shifts" ignored),
the US character tables for normal / Shift / Ctrl / Alt with Caps Lock on
letters only and Num Lock (xor Shift) on the keypad, the grey (E0h) cursor
keys stored with E0h in AL, Alt+keypad digit entry, Ctrl-Break (buffer
flushed, 71h bit 7, a 0000h key, INT 1Bh), Ctrl-Alt-Del (72h = 1234h and a
machine reset), Pause (E1 1D 45 or Ctrl+Num Lock: 18h bit 3, the interrupted
program waits until the next key), Print Screen (INT 05h; Ctrl+PrtSc stores
7200h), SysReq (INT 15h AX=8500h/8501h).  Keys whose codes exist only on the
enhanced keyboard with a scan code below 85h are stored with F0h in AL, as
IBM's enhanced BIOS does, so the old functions can tell them apart.

INT 16h 00h/01h (the 83-key interface) drop those keys and keys with scan
codes above 84h, and give the grey keys their old form (48E0h -> 4800h,
keypad Enter E00Dh -> 1C0Dh, keypad / E02Fh -> 352Fh); 10h/11h return them
(F0h in AL becomes 00h).  Lock-state changes reach the keyboard LEDs with
the EDh command (INT 09h and INT 16h start it, in real mode only): the ACKs
come back through IRQ1 and drive the exchange.

Guest code is run by building the INT frame the CPU would push (FLAGS, CS, IP)
and continuing at the vector: INT 1Bh, 05h and 15h/85h run before the ROM
routine's EOI, not after it as on the IBM AT.  Not modelled: the buffer-full
beep (the key is dropped silently), INT 15h AX=9102h/9002h (interrupt
complete / device busy), typematic settings (INT 16h AH=03h is accepted and
ignored; AL=06h reports the keyboard default), the 102nd key (56h, not on the
US layout) and the Windows/Menu keys.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from emulator.cpu import state as S

from . import rom as R

if TYPE_CHECKING:
    from emulator.machine import Machine

    from .bios import Bios

# --- BIOS data area (physical addresses) --------------------------------------------------
KB_FLAG = 0x417          # shift flags
KB_FLAG_1 = 0x418        # keys held
ALT_INPUT = 0x419        # Alt+keypad accumulator
BUFFER_HEAD = 0x41A
BUFFER_TAIL = 0x41C
BIOS_BREAK = 0x471
RESET_FLAG = 0x472
BUFFER_START = 0x480
BUFFER_END = 0x482
KB_FLAG_3 = 0x496
KB_FLAG_2 = 0x497
BDA_SEG = 0x40
DEFAULT_BUFFER = (0x1E, 0x3E)   # offsets from 40:0

# 40:17h
RSHIFT, LSHIFT, CTRL, ALT = 0x01, 0x02, 0x04, 0x08
SCROLL_ON, NUM_ON, CAPS_ON, INS_ON = 0x10, 0x20, 0x40, 0x80
# 40:18h
LCTRL_DN, LALT_DN, SYSREQ_DN, HOLD = 0x01, 0x02, 0x04, 0x08
SCROLL_DN, NUM_DN, CAPS_DN, INS_DN = 0x10, 0x20, 0x40, 0x80
# 40:96h
LC_E1, LC_E0, RCTRL_DN, RALT_DN, KBX = 0x01, 0x02, 0x04, 0x08, 0x10
# 40:97h
LED_MASK, KB_ACK, KB_RESEND, LED_UPDATE, KB_ERROR = 0x07, 0x10, 0x20, 0x40, 0x80

# 8042 (PS/2 Hardware Interface Technical Reference)
KBC_DATA, KBC_STATUS = 0x60, 0x64
ST_OBF = 0x01
CB_KBD_INT, CB_SYS, CB_KBD_DIS, CB_XLAT = 0x01, 0x04, 0x10, 0x40
ACK, RESEND, BAT_OK = 0xFA, 0xFE, 0xAA

#: BIOS service number of the Pause wait (a ROM routine, no vector)
SVC_PAUSE = 0xF9
#: warm-boot value of 40:72h (skip the memory test on the next POST)
WARM_BOOT = 0x1234
FILL = 0xF0              # AL of keys only the enhanced interface (AH=10h/11h) reports

# Pause wait routine, entered with a jump from the INT 09h service (the ROM
# routine's pushed AX and IRET frame are on the stack):
#   +0 mov al,20h / +2 out 20h,al (EOI, so keys interrupt again)
#   +4 BIOS call SVC_PAUSE (still paused: IP is moved to +9)
#   +7 pop ax / +8 iret
#   +9 sti / +10 hlt / +11 jmp +4
PAUSE_CODE = bytes((0xB0, 0x20, 0xE6, 0x20, 0x0F, 0x04, SVC_PAUSE, 0x58, 0xCF, 0xFB, 0xF4, 0xEB, 0xF7))
PAUSE_DONE, PAUSE_WAIT = 7, 9

Codes = tuple[int | None, int | None, int | None, int | None]   # normal, Shift, Ctrl, Alt


def _key_table() -> dict[int, Codes]:
    """Character codes (AH = scan code, AL = character) of the main keys, by set-1 code.

    Written from the IBM keyboard encoding tables (normal, Shift, Ctrl, Alt);
    None: the combination has no code.  Letters and the keypad digit keys are
    handled apart (Caps Lock, Num Lock).
    """
    t: dict[int, Codes] = {}

    def c(scan: int, ch: str | int) -> int:
        return scan << 8 | (ord(ch) if isinstance(ch, str) else ch)

    # digit row: Alt gives 78h-83h; Ctrl only on 2 (NUL), 6 (RS) and - (US)
    ctrl_digits = {0x03: 0x00, 0x07: 0x1E, 0x0C: 0x1F}
    for i, (lo, hi) in enumerate(zip("1234567890-=", "!@#$%^&*()_+")):
        scan = 0x02 + i
        ctl = ctrl_digits.get(scan)
        t[scan] = (c(scan, lo), c(scan, hi), None if ctl is None else c(scan, ctl), (0x78 + i) << 8)
    # punctuation: Alt codes are enhanced-only (F0h fill-in)
    for scan, lo, hi, ctl in ((0x1A, "[", "{", 0x1B), (0x1B, "]", "}", 0x1D), (0x27, ";", ":", None),
                              (0x28, "'", '"', None), (0x29, "`", "~", None), (0x2B, "\\", "|", 0x1C),
                              (0x33, ",", "<", None), (0x34, ".", ">", None), (0x35, "/", "?", None)):
        t[scan] = (c(scan, lo), c(scan, hi), None if ctl is None else c(scan, ctl), c(scan, FILL))
    t[0x01] = (c(0x01, 0x1B), c(0x01, 0x1B), c(0x01, 0x1B), c(0x01, FILL))        # Esc
    t[0x0E] = (c(0x0E, 0x08), c(0x0E, 0x08), c(0x0E, 0x7F), c(0x0E, FILL))        # Backspace
    t[0x0F] = (c(0x0F, 0x09), 0x0F00, 0x9400, 0xA500)                              # Tab
    t[0x1C] = (c(0x1C, 0x0D), c(0x1C, 0x0D), c(0x1C, 0x0A), c(0x1C, FILL))        # Enter
    t[0x39] = (c(0x39, " "),) * 4                                                  # Space
    t[0x37] = (c(0x37, "*"), c(0x37, "*"), 0x9600, c(0x37, FILL))                  # keypad *
    t[0x4A] = (c(0x4A, "-"), c(0x4A, "-"), 0x8E00, c(0x4A, FILL))                  # keypad -
    t[0x4E] = (c(0x4E, "+"), c(0x4E, "+"), 0x9000, c(0x4E, FILL))                  # keypad +
    # F1-F10: Shift 54h-5Dh, Ctrl 5Eh-67h, Alt 68h-71h; F11/F12 (enhanced) 85h-8Ch
    for i in range(10):
        t[0x3B + i] = ((0x3B + i) << 8, (0x54 + i) << 8, (0x5E + i) << 8, (0x68 + i) << 8)
    t[0x57] = (0x8500, 0x8700, 0x8900, 0x8B00)
    t[0x58] = (0x8600, 0x8800, 0x8A00, 0x8C00)
    return t


KEYS: dict[int, Codes] = _key_table()

#: letters by set-1 code (Caps Lock applies to these only)
LETTERS: dict[int, str] = {0x10 + i: ch for i, ch in enumerate("qwertyuiop")}
LETTERS.update({0x1E + i: ch for i, ch in enumerate("asdfghjkl")})
LETTERS.update({0x2C + i: ch for i, ch in enumerate("zxcvbnm")})

#: keypad keys 47h-53h: (digit with Num Lock xor Shift, Ctrl code, Alt code of the grey twin)
KEYPAD: dict[int, tuple[str, int, int]] = {
    0x47: ("7", 0x77, 0x97), 0x48: ("8", 0x8D, 0x98), 0x49: ("9", 0x84, 0x99),
    0x4B: ("4", 0x73, 0x9B), 0x4C: ("5", 0x8F, 0x00), 0x4D: ("6", 0x74, 0x9D),
    0x4F: ("1", 0x75, 0x9F), 0x50: ("2", 0x91, 0xA0), 0x51: ("3", 0x76, 0xA1),
    0x52: ("0", 0x92, 0xA2), 0x53: (".", 0x93, 0xA3),
}
GREY_CURSOR = frozenset(k for k in KEYPAD if k != 0x4C)
#: E0h keys of the 101-key keypad block: keypad Enter and /
GREY_KEYPAD: dict[int, Codes] = {
    0x1C: (0xE00D, 0xE00D, 0xE00A, 0xA600),
    0x35: (0xE02F, 0xE02F, 0x9500, 0xA400),
}


def standard_form(key: int) -> int | None:
    """What INT 16h AH=00h/01h report for buffer word ``key`` (None: not reported, dropped).

    IBM enhanced BIOS compatibility: keypad Enter and / lose their E0h scan
    code, grey keys read as their keypad twins, F0h fill-ins and scan codes
    above 84h (F11, F12, Ctrl+cursor...) are not part of the 83-key interface.
    """
    ah, al = key >> 8, key & 0xFF
    if ah == 0xE0:
        return (0x1C if al in (0x0D, 0x0A) else 0x35) << 8 | al
    if ah > 0x84:
        return None
    if al == FILL:
        return key if ah == 0 else None          # AH=0: Alt+240 typed on the keypad
    if al == 0xE0 and ah != 0:
        return ah << 8
    return key


def extended_form(key: int) -> int:
    """What INT 16h AH=10h/11h report for buffer word ``key`` (a fill-in F0h reads 00h)."""
    if key & 0xFF == FILL and key >> 8:
        return key & 0xFF00
    return key


def buffer_space(machine: Machine) -> int:
    """Free words in the BIOS keyboard buffer (reads the BDA; for host-side typing throttles)."""
    ram = machine.cpu.ram

    def rd16(a: int) -> int:
        return int(ram[a]) | int(ram[a + 1]) << 8

    start, end = _buffer_bounds(rd16(BUFFER_START), rd16(BUFFER_END))
    used = (rd16(BUFFER_TAIL) - rd16(BUFFER_HEAD)) % (end - start)
    return (end - start) // 2 - 1 - used // 2


def _buffer_bounds(start: int, end: int) -> tuple[int, int]:
    """The buffer's start/end offsets, or the default ones if the BDA holds nonsense."""
    if start >= end or end - start < 4 or (end - start) & 1:
        return DEFAULT_BUFFER
    return start, end


class KeyboardBios:
    """INT 09h / INT 16h services and the POST hook; guest state lives in the BDA."""

    def __init__(self, bios: Bios) -> None:
        self.bios = bios
        self.machine = bios.machine

    # --- 8042 access at POST ---------------------------------------------------------
    def _kbc_read(self, timeout_ns: int = 20_000_000) -> int | None:
        """Wait (in virtual time) for the controller's output buffer; its byte or None."""
        bus, clock = self.machine.bus, self.machine.clock
        end = clock.now + timeout_ns
        for _ in range(10_000):
            if bus.read(KBC_STATUS, 1) & ST_OBF:
                return bus.read(KBC_DATA, 1)
            now = clock.now
            if now >= end:
                break
            nxt = clock.next_deadline()
            clock.advance_to(end if nxt is None else min(max(nxt, now), end))
            clock.run_due()
        return None

    def _kbc_drain(self) -> None:
        for _ in range(64):
            if self._kbc_read(2_000_000) is None:
                return

    def _kbc_expect(self, what: str, *expected: int) -> bool:
        for want in expected:
            got = self._kbc_read()
            if got != want:
                shown = "nothing" if got is None else f"{got:02X}h"
                self.machine.log(f"keyboard POST: {what}: expected {want:02X}h, got {shown}")
                return False
        return True

    def _kbd_send(self, what: str, *data: int, reply: tuple[int, ...] = (ACK,)) -> bool:
        ok = True
        for b in data:
            self.machine.bus.write(KBC_DATA, 1, b)
            ok = self._kbc_expect(what, *reply) and ok
        return ok

    def post(self) -> None:
        """Test and set up the 8042 and keyboard (IBM POST order), the BDA, unmask IRQ1."""
        b, bus = self.bios, self.machine.bus
        self._kbc_drain()
        bus.write(KBC_STATUS, 1, 0xAA)                     # controller self-test
        self._kbc_expect("controller self-test", 0x55)
        bus.write(KBC_STATUS, 1, 0xAB)                     # keyboard interface test
        self._kbc_expect("keyboard interface test", 0x00)
        bus.write(KBC_STATUS, 1, 0x20)                     # read the command byte
        cb = self._kbc_read()
        cb = 0x50 if cb is None else cb
        # translation on, system flag, keyboard interface on, no IRQ1 while testing
        cb = (cb | CB_XLAT | CB_SYS) & ~(CB_KBD_DIS | CB_KBD_INT)
        self._write_command_byte(cb)
        self._kbd_send("keyboard reset", 0xFF, reply=(ACK, BAT_OK))
        self._kbd_send("set LEDs", 0xED, 0x00)
        self._kbd_send("enable scanning", 0xF4)
        self._kbc_drain()
        self._write_command_byte(cb | CB_KBD_INT)
        # BIOS data area (POST cleared it): empty buffer, no shift state, 101-key keyboard
        start, end = DEFAULT_BUFFER
        b.wr16(BUFFER_START, start)
        b.wr16(BUFFER_END, end)
        b.wr16(BUFFER_HEAD, start)
        b.wr16(BUFFER_TAIL, start)
        for addr in (KB_FLAG, KB_FLAG_1, ALT_INPUT, KB_FLAG_2):
            b.wr8(addr, 0)
        b.wr8(KB_FLAG_3, KBX)
        bus.write(0x21, 1, bus.read(0x21, 1) & ~0x02)      # unmask IRQ1 at the master PIC

    def _write_command_byte(self, cb: int) -> None:
        self.machine.bus.write(KBC_STATUS, 1, 0x60)
        self.machine.bus.write(KBC_DATA, 1, cb)

    # --- the key buffer -------------------------------------------------------------------
    def _bounds(self) -> tuple[int, int]:
        b = self.bios
        return _buffer_bounds(b.rd16(BUFFER_START), b.rd16(BUFFER_END))

    def store(self, key: int) -> bool:
        """Append ``key`` to the buffer; False when it is full (one slot always stays free)."""
        b = self.bios
        start, end = self._bounds()
        tail = b.rd16(BUFFER_TAIL)
        nxt = tail + 2
        if nxt >= end:
            nxt = start
        if nxt == b.rd16(BUFFER_HEAD):
            return False
        b.wr16(0x400 + tail, key)
        b.wr16(BUFFER_TAIL, nxt)
        return True

    def _next_key(self, extended: bool, remove: bool) -> int | None:
        """The next key in the form function 00h/01h (or 10h/11h) reports, skipping dropped keys."""
        b = self.bios
        start, end = self._bounds()
        while True:
            head = b.rd16(BUFFER_HEAD)
            if head == b.rd16(BUFFER_TAIL):
                return None
            raw = b.rd16(0x400 + head)
            key = extended_form(raw) if extended else standard_form(raw)
            if key is None or remove:
                nxt = head + 2
                b.wr16(BUFFER_HEAD, start if nxt >= end else nxt)
            if key is not None:
                return key

    # --- INT 16h ---------------------------------------------------------------------------
    def int16(self) -> None:
        """INT 16h: keyboard services (IBM AT / PS/2 BIOS; Ralf Brown's Interrupt List)."""
        b = self.bios
        ah = b["ah"]
        if ah in (0x00, 0x10):                              # read key (wait)
            self.update_leds()
            key = self._next_key(ah == 0x10, remove=True)
            if key is None:
                b.wait(0x16)
                return
            b["ax"] = key
        elif ah in (0x01, 0x11):                            # key available? ZF=1: no
            self.update_leds()
            key = self._next_key(ah == 0x11, remove=False)
            if key is not None:
                b["ax"] = key
            b.set_flag("zf", key is None)
        elif ah == 0x02:                                    # shift flags
            b["al"] = b.rd8(KB_FLAG)
        elif ah == 0x12:                                    # extended shift flags
            f1, f3 = b.rd8(KB_FLAG_1), b.rd8(KB_FLAG_3)
            b["al"] = b.rd8(KB_FLAG)
            b["ah"] = ((f1 & (CAPS_DN | NUM_DN | SCROLL_DN | LALT_DN | LCTRL_DN))
                       | (f3 & (RALT_DN | RCTRL_DN)) | (0x80 if f1 & SYSREQ_DN else 0))
        elif ah == 0x03:                                    # typematic: accepted, not sent
            if b["al"] == 0x06:                             # report: 500 ms delay, 10.9 cps
                b["bh"], b["bl"] = 0x01, 0x0B
        elif ah == 0x05:                                    # store key CX
            b["al"] = 0 if self.store(b["cx"]) else 1
        elif ah == 0x09:                                    # functionality: AX=0300h-0306h, 0Ah, 10h-12h
            b["al"] = 0x3F
        elif ah == 0x0A:                                    # keyboard ID: MF II, translated
            b["bx"] = 0xAB41
        # other functions: no effect (IBM returns with the registers unchanged)

    # --- LEDs --------------------------------------------------------------------------------
    def update_leds(self, restart: bool = False) -> None:
        """Start the EDh exchange if the lock state differs from the LEDs (40:97h bits 0-2).

        The ACKs arrive through IRQ1 (:meth:`_ack`).  ``restart`` (a lock key was
        pressed) begins a new exchange even if one seems stuck, e.g. because a
        program read the ACK itself.
        """
        b = self.bios
        if not self._real_mode():
            return
        f2 = b.rd8(KB_FLAG_2)
        want = (b.rd8(KB_FLAG) >> 4) & LED_MASK
        if f2 & LED_UPDATE and not restart:
            return
        if not f2 & LED_UPDATE and f2 & LED_MASK == want:
            return
        b.wr8(KB_FLAG_2, (f2 & ~(LED_MASK | KB_ACK | KB_RESEND | KB_ERROR)) | want | LED_UPDATE)
        self.machine.bus.write(KBC_DATA, 1, 0xED)

    def _real_mode(self) -> bool:
        """CR0.PE clear.  Under a protected-mode OS (V86 tasks included) the OS owns the
        keyboard ports: Python port writes would bypass its I/O trapping, so the LEDs are
        left to the OS's keyboard driver."""
        return not int(self.bios.cpu.st[S.CR0]) & 1

    def _ack(self) -> None:
        b = self.bios
        f2 = b.rd8(KB_FLAG_2)
        if not f2 & LED_UPDATE:
            b.wr8(KB_FLAG_2, f2 | KB_ACK)
        elif not f2 & KB_ACK:                               # EDh acknowledged: send the LED byte
            b.wr8(KB_FLAG_2, f2 | KB_ACK)
            if self._real_mode():
                self.machine.bus.write(KBC_DATA, 1, f2 & LED_MASK)
        else:                                               # LED byte acknowledged
            b.wr8(KB_FLAG_2, f2 & ~LED_UPDATE)
            self.update_leds()

    def _resend(self) -> None:
        b = self.bios
        f2 = b.rd8(KB_FLAG_2) | KB_RESEND
        if f2 & LED_UPDATE:                                 # the keyboard refused: give up
            f2 = (f2 & ~LED_UPDATE) | KB_ERROR
        b.wr8(KB_FLAG_2, f2)

    # --- INT 09h -------------------------------------------------------------------------------
    def int09(self) -> None:
        """IRQ1 service: AL = the set-1 code the ROM routine read from port 60h."""
        b = self.bios
        code = b["al"]
        if code == ACK:
            self._ack()
            return
        if code == RESEND:
            self._resend()
            return
        if code in (0x00, 0xFF):                            # overrun / key detection error
            return
        f3 = b.rd8(KB_FLAG_3)
        if code in (0xE0, 0xE1):
            b.wr8(KB_FLAG_3, (f3 & ~(LC_E0 | LC_E1)) | (LC_E0 if code == 0xE0 else LC_E1))
            return
        key, make = code & 0x7F, not code & 0x80
        if f3 & LC_E1:                                      # Pause: E1 1D 45 (make), E1 9D C5
            if key == 0x1D:
                return
            b.wr8(KB_FLAG_3, f3 & ~LC_E1)
            if code == 0x45:
                self._pause()
            return
        e0 = bool(f3 & LC_E0)
        if e0:
            b.wr8(KB_FLAG_3, f3 & ~LC_E0)
            if key in (0x2A, 0x36):                         # fake shifts around grey keys
                return
        if self._shift_key(key, make, e0) or not make:
            return
        f1 = b.rd8(KB_FLAG_1)
        if f1 & HOLD:                                       # any key ends the pause, and is dropped
            b.wr8(KB_FLAG_1, f1 & ~HOLD)
            return
        self._key(key, e0)

    def _shift_key(self, key: int, make: bool, e0: bool) -> bool:
        """Shift, Ctrl, Alt, the lock keys, SysReq and Insert's release; True if handled."""
        b = self.bios
        f0, f1, f3 = b.rd8(KB_FLAG), b.rd8(KB_FLAG_1), b.rd8(KB_FLAG_3)
        toggled = False
        if key in (0x2A, 0x36):
            bit = LSHIFT if key == 0x2A else RSHIFT
            f0 = f0 | bit if make else f0 & ~bit
        elif key in (0x1D, 0x38):
            ctrl = key == 0x1D
            if e0:
                bit = RCTRL_DN if ctrl else RALT_DN
                f3 = f3 | bit if make else f3 & ~bit
            else:
                bit = LCTRL_DN if ctrl else LALT_DN
                f1 = f1 | bit if make else f1 & ~bit
            if ctrl:
                held = f1 & LCTRL_DN or f3 & RCTRL_DN
                f0 = f0 | CTRL if held else f0 & ~CTRL
            else:
                held = f1 & LALT_DN or f3 & RALT_DN
                f0 = f0 | ALT if held else f0 & ~ALT
                if not make:                                # Alt released: the keypad entry is done
                    value = b.rd8(ALT_INPUT)
                    b.wr8(ALT_INPUT, 0)
                    if value:
                        self._put(value)
        elif key in (0x3A, 0x45, 0x46) and not e0:
            down, on = {0x3A: (CAPS_DN, CAPS_ON), 0x45: (NUM_DN, NUM_ON), 0x46: (SCROLL_DN, SCROLL_ON)}[key]
            if not make:
                f1 &= ~down
            elif f0 & CTRL:                                 # Ctrl+Num Lock / Scroll Lock: Pause / Break
                return False
            elif f1 & down:                                 # typematic repeat: no second toggle
                return True
            else:
                f1 |= down
                f0 ^= on
                toggled = True
        elif key == 0x54:                                   # SysReq (Alt+Print Screen)
            if make and f1 & SYSREQ_DN:
                return True
            b.wr8(KB_FLAG_1, f1 | SYSREQ_DN if make else f1 & ~SYSREQ_DN)
            self._guest_int(0x15, 0x8500 if make else 0x8501)
            return True
        elif key == 0x52 and not make:
            f1 &= ~INS_DN
        else:
            return False
        b.wr8(KB_FLAG, f0)
        b.wr8(KB_FLAG_1, f1)
        b.wr8(KB_FLAG_3, f3)
        if toggled:
            self.update_leds(restart=True)
        return True

    def _key(self, key: int, e0: bool) -> None:
        """A make code of a character, function or cursor key."""
        b = self.bios
        f0 = b.rd8(KB_FLAG)
        ctrl, alt, shift = bool(f0 & CTRL), bool(f0 & ALT), bool(f0 & (LSHIFT | RSHIFT))
        if key == 0x53 and ctrl and alt:                    # Ctrl-Alt-Del: warm boot
            b.wr16(RESET_FLAG, WARM_BOOT)
            self.machine.request_reset()
            return
        if key == 0x46 and (e0 or ctrl):                    # Ctrl-Break
            self._break()
            return
        if key == 0x45 and ctrl and not e0:                 # Ctrl+Num Lock (83-key Pause)
            self._pause()
            return
        if key == 0x37 and e0:                              # Print Screen
            if ctrl:
                self._put(0x7200)
            elif not alt:
                self._guest_int(0x05)
            return
        keypad = key in KEYPAD and not (e0 and key not in GREY_CURSOR)
        if alt:
            if keypad and not e0:
                if key != 0x53:                             # Alt+keypad digits: a character code
                    b.wr8(ALT_INPUT, (b.rd8(ALT_INPUT) * 10 + int(KEYPAD[key][0])) & 0xFF)
                return
            b.wr8(ALT_INPUT, 0)
            if keypad:
                self._put(KEYPAD[key][2] << 8)
            elif e0:
                self._put(GREY_KEYPAD[key][3] if key in GREY_KEYPAD else None)
            elif key in LETTERS:
                self._put(key << 8)
            else:
                self._put(KEYS[key][3] if key in KEYS else None)
            return
        if keypad:
            self._keypad(key, e0, ctrl, shift, f0)
            return
        if e0:
            codes = GREY_KEYPAD.get(key)
        elif key in LETTERS:
            ch = ord(LETTERS[key])
            if ctrl:
                self._put(key << 8 | (ch - 0x60))
            else:
                upper = shift != bool(f0 & CAPS_ON)
                self._put(key << 8 | (ch - 0x20 if upper else ch))
            return
        else:
            codes = KEYS.get(key)
        if codes is not None:
            self._put(codes[2] if ctrl else codes[1] if shift else codes[0])

    def _keypad(self, key: int, grey: bool, ctrl: bool, shift: bool, f0: int) -> None:
        """Keypad 47h-53h and their grey (E0h) twins, without Alt."""
        b = self.bios
        digit, ctrl_code, _ = KEYPAD[key]
        as_digit = not grey and not ctrl and shift != bool(f0 & NUM_ON)
        if as_digit:
            self._put(key << 8 | ord(digit))
            return
        if key == 0x52:                                     # Insert: toggles 40:17h bit 7
            f1 = b.rd8(KB_FLAG_1)
            if f1 & INS_DN:
                return                                      # held down: no repeat
            b.wr8(KB_FLAG_1, f1 | INS_DN)
            b.wr8(KB_FLAG, f0 ^ INS_ON)
        if ctrl:
            self._put(ctrl_code << 8 | (0xE0 if grey else 0))
        elif grey:
            self._put(key << 8 | 0xE0)
        else:
            self._put(key << 8 | (FILL if key == 0x4C else 0))

    def _put(self, key: int | None) -> None:
        if key is not None:
            self.store(key)                                 # buffer full: dropped (no beep)

    def _break(self) -> None:
        """Ctrl-Break: empty the buffer, flag it at 40:71h, store 0000h, run INT 1Bh."""
        b = self.bios
        start, _ = self._bounds()
        b.wr16(BUFFER_HEAD, start)
        b.wr16(BUFFER_TAIL, start)
        b.wr8(BIOS_BREAK, 0x80)
        self.store(0x0000)
        self._guest_int(0x1B)

    def _pause(self) -> None:
        """Enter the pause state: the ROM wait routine sends the EOI and halts until a key.

        Pause pressed again while paused ends the pause, as any other key does.
        """
        b = self.bios
        f1 = b.rd8(KB_FLAG_1)
        if f1 & HOLD:
            b.wr8(KB_FLAG_1, f1 & ~HOLD)
            return
        b.wr8(KB_FLAG_1, f1 | HOLD)
        b.far_jump(*self._pause_routine())

    def _pause_routine(self) -> tuple[int, int]:
        return R.ROM_SEG, self.bios.table_addr("kbd_pause") - R.ROM_BASE

    def pause_check(self) -> None:
        """Service SVC_PAUSE: keep waiting while 40:18h bit 3 is set."""
        b = self.bios
        if b.rd8(KB_FLAG_1) & HOLD:
            b["ip"] = self._pause_routine()[1] + PAUSE_WAIT

    def _guest_int(self, vector: int, ax: int | None = None) -> None:
        """Run INT ``vector`` in the guest as the CPU would (real mode), returning to CS:IP.

        Used from INT 09h, whose ROM routine saves AX, so AX may carry arguments.
        """
        b = self.bios
        if ax is not None:
            b["ax"] = ax
        ss, sp, flags = b["ss"], b["sp"], b["flags"]
        for value in (flags, b["cs"], b["ip"]):
            sp = (sp - 2) & 0xFFFF
            b.wr16(b.linear(ss, sp), value)
        b["sp"] = sp
        b["flags"] = flags & ~(S.IF | S.TF)
        b.far_jump(b.rd16(vector * 4 + 2), b.rd16(vector * 4))


def install(bios: Bios) -> None:
    """Register INT 09h / INT 16h, the Pause wait routine and the POST hook."""
    kb = KeyboardBios(bios)
    if SVC_PAUSE in bios.services:
        raise RuntimeError(f"BIOS service {SVC_PAUSE:#x} is taken")
    bios.register(0x09, kb.int09, vector=False)           # the ROM routine already points here
    bios.register(0x16, kb.int16)
    bios.register(SVC_PAUSE, kb.pause_check, vector=False)
    bios.tables["kbd_pause"] = PAUSE_CODE
    bios.post_hooks.append(kb.post)
