"""The real pygame window under Xvfb: FreeDOS boots in it, answers keys typed through X, and closes.

The test starts an X server of its own (``Xvfb -displayfd``: a free display
number), runs ``pyx86 -fda freedos-boot-1440k.img -snapshot -display pygame``
as a subprocess on it, and works the window as a user would, with X tools:

* the window is found with ``xdotool search --pid`` (the xdotool of Debian 12
  does not match SDL's UTF8_STRING window names with ``--name``);
* keys go to it with ``xdotool type --window`` / ``key --window``;
* screenshots are taken with ``xwd -id`` and read by :func:`read_xwd`;
* the screenshot is turned back into the 720x400 text frame (80 cells of 9x16
  dots; the window shows it scaled to 4:3: the centre of each scaled line is
  sampled; the screen is 1280x1024 so the 960x720 window enlarges the frame and
  loses no column) and the first 8 dots of each cell are read with the BIOS
  8x16 font (:func:`read_text`), so the test checks the characters the window
  shows, and their colour;
* the window is closed as a window manager's close button does it, with a
  WM_DELETE_WINDOW message, and the emulator must exit with status 0, saying
  "window closed";
* in :func:`test_window_destroyed_by_the_window_system`, ``xdotool
  windowclose`` destroys the window under the emulator instead (with and
  without the mouse grabbed): Xlib's default error handler would end the
  process with "X Error of failed request: BadWindow"; the emulator must end
  as for the close button, within a few seconds.

Xvfb, xdotool and xwd (Debian packages ``xvfb``, ``xdotool``, ``x11-apps``;
``.ci/run`` installs them) are required: the test fails when they are missing,
and skips only when ``PYX86_NO_XVFB=1``.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import os
import select
import shutil
import struct
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from emulator import screen as SC
from emulator.display_pygame import letterbox

REPO_ROOT = Path(__file__).resolve().parent.parent
TOOLS = {"Xvfb": "xvfb", "xdotool": "xdotool", "xwd": "x11-apps"}
FRAME = (400, 720)                   # the text frame of mode 3 (80x25 cells of 9x16)
CELL_DOTS = 9
PROMPT = "A:\\>"
GREY = (0xAA, 0xAA, 0xAA)            # attribute 07h, what DOS writes with
BOOT_SECONDS = 180.0                 # wall time; includes a cold compile of the CPU core
ANSWER_SECONDS = 60.0


# --- X helpers ------------------------------------------------------------------------------------
def start_xvfb() -> tuple[subprocess.Popen[bytes], str]:
    """An Xvfb on a free display number; (process, DISPLAY value)."""
    read_end, write_end = os.pipe()
    server = subprocess.Popen(
        ["Xvfb", "-displayfd", str(write_end), "-screen", "0", "1280x1024x24", "-nolisten", "tcp"],
        pass_fds=(write_end,), stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    os.close(write_end)
    number = b""
    deadline = time.monotonic() + 30
    try:
        while not number.endswith(b"\n"):
            ready, _, _ = select.select([read_end], [], [], max(deadline - time.monotonic(), 0))
            chunk = os.read(read_end, 16) if ready else b""
            if not chunk:
                server.kill()
                _, err = server.communicate()
                pytest.fail(f"Xvfb did not start: {err.decode(errors='replace')[-500:]}", pytrace=False)
            number += chunk
    finally:
        os.close(read_end)
    return server, f":{int(number)}"


def x_tool(env: dict[str, str], *argv: str) -> str:
    """Run an X client program; its standard output (it must succeed)."""
    result = subprocess.run(argv, env=env, capture_output=True, timeout=30)
    assert result.returncode == 0, f"{' '.join(argv)}: {result.stderr.decode(errors='replace')}"
    return result.stdout.decode(errors="replace")


def read_xwd(data: bytes) -> np.ndarray:
    """An XWD file (X Window Dump, version 7, ZPixmap, TrueColor 24/32 bits) as H x W x 3 RGB."""
    fields = struct.unpack(">25I", data[:100])
    header_size, version, pixmap_format = fields[0:3]
    width, height, byte_order, bits_per_pixel, bytes_per_line = (
        fields[4], fields[5], fields[7], fields[11], fields[12])
    masks, ncolors = fields[14:17], fields[19]
    assert version == 7 and pixmap_format == 2, "not a ZPixmap XWD file"
    assert bits_per_pixel == 32, f"{bits_per_pixel} bits a pixel: only 32 is read here"
    offset = header_size + 12 * ncolors                 # the colour map (XWDColor) comes first
    words = np.frombuffer(data, dtype="<u4" if byte_order == 0 else ">u4",
                          count=bytes_per_line // 4 * height, offset=offset)
    pixels = words.reshape(height, bytes_per_line // 4)[:, :width]
    rgb = np.zeros((height, width, 3), dtype=np.uint8)
    for i, mask in enumerate(masks):
        shift = (mask & -mask).bit_length() - 1
        rgb[..., i] = (pixels & mask) >> shift
    return rgb


def screenshot(env: dict[str, str], window: str) -> np.ndarray:
    result = subprocess.run(["xwd", "-id", window, "-silent"], env=env, capture_output=True, timeout=30)
    assert result.returncode == 0, f"xwd: {result.stderr.decode(errors='replace')}"
    return read_xwd(result.stdout)


def close_window(display: str, window: int) -> None:
    """Send the WM_DELETE_WINDOW message a window manager sends when the close button is pressed."""
    name = ctypes.util.find_library("X11")
    assert name, "libX11 not found"
    xlib = ctypes.CDLL(name)
    xlib.XOpenDisplay.restype = ctypes.c_void_p
    xlib.XOpenDisplay.argtypes = [ctypes.c_char_p]
    xlib.XInternAtom.restype = ctypes.c_ulong
    xlib.XInternAtom.argtypes = [ctypes.c_void_p, ctypes.c_char_p, ctypes.c_int]
    xlib.XSendEvent.argtypes = [ctypes.c_void_p, ctypes.c_ulong, ctypes.c_int, ctypes.c_long, ctypes.c_void_p]
    xlib.XFlush.argtypes = [ctypes.c_void_p]
    xlib.XCloseDisplay.argtypes = [ctypes.c_void_p]

    class ClientMessage(ctypes.Structure):
        _fields_ = [("type", ctypes.c_int), ("serial", ctypes.c_ulong), ("send_event", ctypes.c_int),
                    ("display", ctypes.c_void_p), ("window", ctypes.c_ulong),
                    ("message_type", ctypes.c_ulong), ("format", ctypes.c_int),
                    ("data", ctypes.c_long * 5)]

    class Event(ctypes.Union):                           # XEvent: 24 longs
        _fields_ = [("message", ClientMessage), ("pad", ctypes.c_long * 24)]

    dpy = xlib.XOpenDisplay(display.encode())
    assert dpy, f"cannot open display {display}"
    try:
        event = Event()
        event.message.type = 33                          # ClientMessage
        event.message.window = window
        event.message.message_type = xlib.XInternAtom(dpy, b"WM_PROTOCOLS", 0)
        event.message.format = 32
        event.message.data[0] = xlib.XInternAtom(dpy, b"WM_DELETE_WINDOW", 0)
        assert xlib.XSendEvent(dpy, window, 0, 0, ctypes.byref(event))
        xlib.XFlush(dpy)
    finally:
        xlib.XCloseDisplay(dpy)


# --- reading the window -------------------------------------------------------------------------
def text_frame(shot: np.ndarray) -> np.ndarray:
    """The 720x400 frame the window shows scaled to 4:3 (letterboxed): the centre of each pixel."""
    x, y, w, h = letterbox((shot.shape[1], shot.shape[0]))
    rows = y + ((np.arange(FRAME[0]) + 0.5) * h / FRAME[0]).astype(int)
    cols = x + ((np.arange(FRAME[1]) + 0.5) * w / FRAME[1]).astype(int)
    return shot[rows][:, cols]


def glyph_table() -> dict[bytes, int]:
    """8x16 ink masks of the BIOS font -> character code (printable ASCII first)."""
    masks = SC.glyph_masks(16)
    table: dict[bytes, int] = {}
    for code in [*range(0x20, 0x7F), *range(256)]:
        table.setdefault(masks[code].tobytes(), code)
    return table


def read_text(frame: np.ndarray) -> tuple[list[str], dict[tuple[int, int], tuple[int, ...]]]:
    """The 25 rows of 80 characters of a text frame, and the ink colour of each non-blank cell.
    A cell that is no character of the font (the cursor over a character, say) reads as '?'."""
    table = glyph_table()
    rows, inks = [], {}
    for r in range(25):
        line = []
        for c in range(80):
            cell = frame[r * 16:(r + 1) * 16, c * CELL_DOTS:c * CELL_DOTS + 8]
            colours = np.unique(cell.reshape(-1, 3), axis=0)
            ch = " " if len(colours) == 1 else "?"
            if len(colours) == 2:
                for ink in colours:
                    code = table.get((cell == ink).all(axis=2).astype(np.uint8).tobytes())
                    if code is not None and 0x20 < code < 0x7F:
                        ch = chr(code)
                        inks[(r, c)] = tuple(int(v) for v in ink)
                        break
            line.append(ch)
        rows.append("".join(line).rstrip())
    return rows, inks


# --- the test -----------------------------------------------------------------------------------
@pytest.fixture
def x_display() -> Iterator[tuple[dict[str, str], str]]:
    if os.environ.get("PYX86_NO_XVFB") == "1":
        pytest.skip("PYX86_NO_XVFB=1")
    missing = [f"{tool} (Debian package {package})" for tool, package in TOOLS.items()
               if shutil.which(tool) is None]
    assert not missing, f"missing: {', '.join(missing)}; .ci/run installs them (or set PYX86_NO_XVFB=1)"
    server, display = start_xvfb()
    env = {k: v for k, v in os.environ.items() if k not in ("SDL_VIDEODRIVER", "WAYLAND_DISPLAY")}
    env.update(DISPLAY=display, PYGAME_HIDE_SUPPORT_PROMPT="1", SDL_VIDEODRIVER="x11")
    try:
        yield env, display
    finally:
        server.terminate()
        try:
            server.wait(timeout=10)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()


def wait_for(what: str, seconds: float, probe: Callable[[], tuple[Any, ...]],
             emulator: subprocess.Popen[bytes], log: Path) -> tuple[Any, ...]:
    """Call ``probe()`` every 0.3 s until its first item is true (the second: the screen rows,
    shown if it times out); its last result.  Fails after ``seconds`` or if pyx86 exits."""
    deadline = time.monotonic() + seconds
    last = None
    while time.monotonic() < deadline:
        if emulator.poll() is not None:
            pytest.fail(f"pyx86 exited with {emulator.returncode} while waiting for {what}: "
                        f"{log.read_text(errors='replace')[-1000:]}", pytrace=False)
        last = probe()
        if last and last[0]:
            return last
        time.sleep(0.3)
    shown = "\n".join(last[1]) if last else ""
    pytest.fail(f"timed out waiting for {what}; the window shows:\n{shown}", pytrace=False)


def start_pyx86(env: dict[str, str], images_dir: Path, log: Path) -> subprocess.Popen[bytes]:
    """pyx86 booting the FreeDOS floppy in the pygame window; its output goes to ``log``."""
    image = images_dir / "freedos" / "freedos-boot-1440k.img"
    assert image.is_file(), f"missing {image}"
    with log.open("wb") as out:
        return subprocess.Popen(
            [sys.executable, "-c", "from emulator.cli import main; raise SystemExit(main())",
             "-fda", str(image), "-snapshot", "-display", "pygame"],
            cwd=REPO_ROOT, env=env, stdin=subprocess.DEVNULL, stdout=out, stderr=subprocess.STDOUT)


def find_window(env: dict[str, str], emulator: subprocess.Popen[bytes], log: Path) -> str:
    """The id of the window of ``emulator`` (waits for it)."""
    def probe() -> tuple[str | None, list[str]]:
        result = subprocess.run(["xdotool", "search", "--pid", str(emulator.pid)],
                                env=env, capture_output=True, timeout=30)
        ids = result.stdout.split()
        return (ids[0].decode() if ids else None), []

    return wait_for("the window", BOOT_SECONDS, probe, emulator, log)[0]


def wait_for_exit(emulator: subprocess.Popen[bytes], log: Path, seconds: float) -> str:
    """Wait for pyx86 to end after its window was closed: it must exit with status 0, saying
    "window closed", with no traceback and no X error.  Its output."""
    try:
        status = emulator.wait(timeout=seconds)
    except subprocess.TimeoutExpired:
        pytest.fail(f"pyx86 did not exit within {seconds} s of its window being closed: "
                    f"{log.read_text(errors='replace')[-1000:]}", pytrace=False)
    output = log.read_text(errors="replace")
    assert status == 0, output
    assert "window closed" in output, output
    for bad in ("Traceback", "error", "Error", "BadWindow", "BadDrawable", "Fatal"):
        assert bad not in output, output
    return output


def test_freedos_in_the_pygame_window(x_display: tuple[dict[str, str], str], images_dir: Path,
                                      tmp_path: Path) -> None:
    env, display = x_display
    log = tmp_path / "pyx86.log"
    emulator = start_pyx86(env, images_dir, log)
    try:
        window = find_window(env, emulator, log)
        first = screenshot(env, window)
        assert first.shape[:2] == (720, 960), "pyx86 opens a 960x720 window on a 1280x1024 screen"

        def screen_text() -> tuple[list[str], dict[tuple[int, int], tuple[int, ...]], np.ndarray]:
            frame = text_frame(screenshot(env, window))
            rows, inks = read_text(frame)
            return rows, inks, frame

        def prompt_is_last() -> tuple[bool, list[str]]:
            rows, _, _ = screen_text()
            lines = [r for r in rows if r.strip()]
            return bool(lines) and lines[-1].rstrip("?_") == PROMPT, rows

        wait_for("the FreeDOS prompt", BOOT_SECONDS, prompt_is_last, emulator, log)

        # 'ver' typed through X: the command line and FreeCOM's answer in the window
        x_tool(env, "xdotool", "type", "--window", window, "--delay", "60", "ver")
        x_tool(env, "xdotool", "key", "--window", window, "Return")

        def answered(marker: str) -> tuple[bool, list[str], dict, np.ndarray]:
            rows, inks, frame = screen_text()
            lines = [r for r in rows if r.strip()]
            done = any(marker in r for r in rows) and lines[-1].rstrip("?_") == PROMPT
            return done, rows, inks, frame

        _, rows, inks, before = wait_for("the answer to ver", ANSWER_SECONDS,
                                         lambda: answered("FreeCom version"), emulator, log)
        assert PROMPT + "ver" in rows, "\n".join(rows)
        row = next(i for i, r in enumerate(rows) if "FreeCom version" in r)
        col = rows[row].index("FreeCom version")
        colours = {inks[(row, c)] for c in range(col, col + 15) if (row, c) in inks}
        assert colours == {GREY}, f"the answer's ink: {colours}"
        answer = before[row * 16:(row + 1) * 16]
        assert ((answer == GREY).all(axis=2).sum()) > 200, "light grey text pixels in the answer's row"

        # 'dir' changes much of the screen
        x_tool(env, "xdotool", "type", "--window", window, "--delay", "60", "dir")
        x_tool(env, "xdotool", "key", "--window", window, "Return")
        _, rows, _, after = wait_for("the answer to dir", ANSWER_SECONDS,
                                     lambda: answered("bytes free"), emulator, log)
        text = "\n".join(rows)
        assert "KERNEL" in text and "COMMAND" in text, text
        changed = (before != after).any(axis=2).sum()
        assert changed > 5000, f"only {changed} pixels changed after dir"

        # the close button: the emulator ends cleanly
        close_window(display, int(window))
        wait_for_exit(emulator, log, 30)
    finally:
        if emulator.poll() is None:
            emulator.kill()
            emulator.wait()


@pytest.mark.parametrize("grab", [False, True], ids=["mouse-free", "mouse-grabbed"])
def test_window_destroyed_by_the_window_system(x_display: tuple[dict[str, str], str],
                                               images_dir: Path, tmp_path: Path, grab: bool) -> None:
    """``xdotool windowclose`` destroys the window (no WM_DELETE_WINDOW message): pyx86 ends
    as for the close button (status 0, "window closed"), not killed by an X error."""
    env, _ = x_display
    log = tmp_path / "pyx86.log"
    emulator = start_pyx86(env, images_dir, log)
    try:
        window = find_window(env, emulator, log)

        def drawn() -> tuple[bool, list[str]]:         # the guest's screen: the loop is running
            rows, _ = read_text(text_frame(screenshot(env, window)))
            return any(r.strip() for r in rows), rows

        wait_for("the guest's first text", BOOT_SECONDS, drawn, emulator, log)
        if grab:
            x_tool(env, "xdotool", "key", "--window", window, "ctrl+alt+g")

            def grabbed() -> tuple[bool, list[str]]:
                name = x_tool(env, "xdotool", "getwindowname", window)
                return "releases the mouse" in name, [name]

            wait_for("the mouse grab", ANSWER_SECONDS, grabbed, emulator, log)
        x_tool(env, "xdotool", "windowclose", window)
        wait_for_exit(emulator, log, 15)
    finally:
        if emulator.poll() is None:
            emulator.kill()
            emulator.wait()
