"""Host back ends of the serial ports, chosen with a QEMU-style ``-serial`` spec.

==============================================  ==============================================
``null``                                        output discarded, never any input
``none``                                        no port at all (:func:`parse_serial_spec` gives None)
``stdio``                                       output to stdout, input from stdin
``file:PATH``                                   output to PATH (created / truncated), no input
``tcp:[HOST]:PORT,server=on[,wait=on|off]``     listen on HOST (127.0.0.1 when empty) for one client
``tcp:HOST:PORT``                               connect to HOST:PORT as a client
==============================================  ==============================================

The older ``tcp::PORT,server,nowait`` spelling is accepted, as are ``wait``
and ``nodelay`` flags.  A back end never blocks the guest: reads are
non-blocking (``b""`` when nothing is there) and output for a socket that has
no client, or whose client does not keep up, is dropped.  The one wait is
QEMU's ``server,wait=on`` (the default for a server): :meth:`CharBackend.open`
blocks until the first client connects.  Errors a user can cause (a port in
use, a file that cannot be created) are :class:`ChardevError` when the spec
is parsed, before the guest starts.
"""

from __future__ import annotations

import atexit
import errno
import os
import select
import socket
import sys
from collections.abc import Callable
from typing import Any

SUPPORTED = ("null", "none", "stdio", "mon:stdio", "file:PATH",
             "tcp:[HOST]:PORT[,server=on|off][,wait=on|off]")
TCP_OPTIONS = ("server[=on|off]", "wait[=on|off]", "nowait", "nodelay[=on|off]")
TCP_BACKLOG_LIMIT = 1 << 20       # bytes kept for a slow client before output is dropped


class ChardevError(ValueError):
    """A ``-serial`` spec that cannot be used (unknown back end, bad option, port in use, ...)."""


class CharBackend:
    """A byte stream between a guest device and the host."""

    #: whether :meth:`read_available` can ever return data (the UART polls only then)
    can_read: bool = False

    def open(self, raw: bool = False) -> None:
        """Start host I/O before the guest runs (``raw``: put a terminal into raw mode)."""

    def write(self, data: bytes) -> None:
        """Send guest output to the host (never blocks the guest for long, never raises)."""

    def read_available(self, max_n: int) -> bytes:
        """Up to ``max_n`` bytes of host input that are already there; ``b""`` when none."""
        return b""

    def close(self) -> None:
        """Release host resources (idempotent)."""

    def __enter__(self) -> CharBackend:
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()


class NullBackend(CharBackend):
    """``null``: output discarded, never any input."""

    def __repr__(self) -> str:
        return "NullBackend()"


class BufferBackend(CharBackend):
    """In memory: guest output collects in ``output``, :meth:`feed` queues guest input."""

    can_read = True

    def __init__(self) -> None:
        self.output = bytearray()
        self._input = bytearray()

    def feed(self, data: bytes) -> None:
        """Queue bytes for the guest to read."""
        self._input += data

    def write(self, data: bytes) -> None:
        self.output += data

    def read_available(self, max_n: int) -> bytes:
        n = max(0, max_n)
        data = bytes(self._input[:n])
        del self._input[:n]
        return data

    @property
    def pending_input(self) -> int:
        """Bytes fed but not read yet."""
        return len(self._input)


class FileBackend(CharBackend):
    """``file:PATH``: output written (unbuffered) to PATH, created or truncated as QEMU does."""

    def __init__(self, path: str) -> None:
        self.path = path
        try:
            self._file: Any = open(path, "wb", buffering=0)        # closed in close()
        except OSError as e:
            raise ChardevError(f"cannot create '{path}': {e.strerror or e}") from None

    def write(self, data: bytes) -> None:
        if self._file is None:
            return
        try:
            self._file.write(data)
        except (OSError, ValueError):
            self._file = None                 # disk full, file closed: stop writing, keep running

    def close(self) -> None:
        if self._file is not None:
            try:
                self._file.close()
            except OSError:
                pass
            self._file = None

    def __repr__(self) -> str:
        return f"FileBackend({self.path!r})"


class StdioBackend(CharBackend):
    """``stdio``: output to file descriptor ``out_fd`` (stdout) unbuffered, input from ``in_fd``
    (stdin) polled with ``select`` so a read never blocks.  ``open(raw=True)`` puts a terminal on
    ``in_fd`` into raw mode (keeping Ctrl-C as a signal when ``keep_signals``) until :meth:`close`."""

    can_read = True

    def __init__(self, in_fd: int = 0, out_fd: int = 1, keep_signals: bool = True,
                 escapes: bool = False) -> None:
        self.in_fd = in_fd
        self.out_fd = out_fd
        self.keep_signals = keep_signals
        #: QEMU's console escapes: Ctrl-A X quits (``on_quit``), Ctrl-A A sends Ctrl-A
        self.escapes = escapes
        self.on_quit: Callable[[], None] | None = None
        self._after_ctrl_a = False
        self._saved_tty: list[Any] | None = None
        self._out_ok = True

    def _unescape(self, data: bytes) -> bytes:
        """Take QEMU's Ctrl-A commands out of the input: X quits, A or Ctrl-A types Ctrl-A,
        H lists them; the rest goes to the guest."""
        out = bytearray()
        for b in data:
            if self._after_ctrl_a:
                self._after_ctrl_a = False
                if b in (ord("x"), ord("X")):
                    if self.on_quit is not None:
                        self.on_quit()
                elif b in (1, ord("a"), ord("A")):
                    out.append(1)
                elif b in (ord("h"), ord("H"), ord("?")):
                    self.write(b"\r\nC-a x    exit pyx86\r\nC-a a    send C-a\r\nC-a h    this help\r\n")
            elif b == 1:
                self._after_ctrl_a = True
            else:
                out.append(b)
        return bytes(out)

    def open(self, raw: bool = False) -> None:
        if not raw or self._saved_tty is not None or not self.can_read:
            return
        try:
            import termios
            if not os.isatty(self.in_fd):
                return
            saved = termios.tcgetattr(self.in_fd)
            mode = termios.tcgetattr(self.in_fd)
        except (ImportError, OSError):
            return
        # raw as cfmakeraw: no input processing, no echo, no line editing, 8-bit characters
        mode[0] &= ~(termios.IGNBRK | termios.BRKINT | termios.PARMRK | termios.ISTRIP
                     | termios.INLCR | termios.IGNCR | termios.ICRNL | termios.IXON)
        mode[1] &= ~termios.OPOST
        mode[2] = (mode[2] & ~(termios.CSIZE | termios.PARENB)) | termios.CS8
        mode[3] &= ~(termios.ECHO | termios.ECHONL | termios.ICANON | termios.IEXTEN)
        if not self.keep_signals:
            mode[3] &= ~termios.ISIG
        mode[6][termios.VMIN] = 1
        mode[6][termios.VTIME] = 0
        try:
            termios.tcsetattr(self.in_fd, termios.TCSANOW, mode)
        except OSError:
            return
        self._saved_tty = saved
        atexit.register(self._restore_tty)

    def _restore_tty(self) -> None:
        if self._saved_tty is None:
            return
        try:
            import termios
            termios.tcsetattr(self.in_fd, termios.TCSADRAIN, self._saved_tty)
        except (ImportError, OSError):
            pass
        self._saved_tty = None

    def write(self, data: bytes) -> None:
        view = memoryview(data)
        while self._out_ok and view:
            try:
                n = os.write(self.out_fd, view)
            except BlockingIOError:
                select.select([], [self.out_fd], [], 1.0)
                continue
            except OSError:
                self._out_ok = False          # stdout closed (broken pipe): drop output
                return
            view = view[n:]

    def read_available(self, max_n: int) -> bytes:
        if not self.can_read or max_n <= 0:
            return b""
        try:
            ready, _, _ = select.select([self.in_fd], [], [], 0)
            if not ready:
                return b""
            data = os.read(self.in_fd, max_n)
        except BlockingIOError:
            return b""
        except (OSError, ValueError):
            data = b""
        if not data:
            self.can_read = False             # end of input: stop polling
        return self._unescape(data) if self.escapes else data

    def close(self) -> None:
        self._restore_tty()

    def __repr__(self) -> str:
        return f"StdioBackend(in_fd={self.in_fd}, out_fd={self.out_fd})"


class TcpBackend(CharBackend):
    """``tcp:``: a server listening on ``host:port`` for one client at a time, or a client
    connected to ``host:port``.  ``port`` 0 picks a free port (see :attr:`port`)."""

    can_read = True

    def __init__(self, host: str, port: int, server: bool = True, wait: bool = False) -> None:
        self.host = host or "127.0.0.1"
        self.server = server
        self.wait = wait and server
        self._listener: socket.socket | None = None
        self._client: socket.socket | None = None
        self._out = bytearray()
        if server:
            self._listener = _listen(self.host, port)
            self.port: int = self._listener.getsockname()[1]
        else:
            try:
                sock = socket.create_connection((self.host, port), timeout=5.0)
            except OSError as e:
                raise ChardevError(f"cannot connect to {self.host}:{port}: "
                                   f"{e.strerror or e}") from None
            self.port = port
            self._take_client(sock)

    @property
    def connected(self) -> bool:
        """Whether a client (server mode) or the server (client mode) is connected."""
        self._poll_accept()
        return self._client is not None

    def _take_client(self, sock: socket.socket) -> None:
        sock.setblocking(False)
        try:
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        except OSError:
            pass
        self._client = sock
        self._out.clear()

    def _poll_accept(self) -> None:
        if self._client is not None or self._listener is None:
            return
        try:
            sock, _ = self._listener.accept()
        except (BlockingIOError, InterruptedError):
            return
        except OSError:
            return
        self._take_client(sock)

    def _drop_client(self) -> None:
        if self._client is not None:
            try:
                self._client.close()
            except OSError:
                pass
        self._client = None
        self._out.clear()

    def open(self, raw: bool = False) -> None:
        """With ``server,wait=on``: block until the first client connects (as QEMU does)."""
        if not self.wait or self._client is not None or self._listener is None:
            return
        self.wait = False
        print(f"pyx86: serial port waiting for a connection on tcp:{self.host}:{self.port}",
              file=sys.stderr)
        try:
            select.select([self._listener], [], [])
        except OSError:
            return
        self._poll_accept()

    def _flush(self) -> None:
        client = self._client
        while client is not None and self._out:
            try:
                n = client.send(self._out)
            except (BlockingIOError, InterruptedError):
                break
            except OSError:
                self._drop_client()
                return
            del self._out[:n]
        if len(self._out) > TCP_BACKLOG_LIMIT:
            del self._out[:-TCP_BACKLOG_LIMIT]      # a client that does not read loses the oldest

    def write(self, data: bytes) -> None:
        self._poll_accept()
        if self._client is None:
            return                                  # nobody listening: output is dropped
        self._out += data
        self._flush()

    def read_available(self, max_n: int) -> bytes:
        self._poll_accept()
        client = self._client
        if client is None or max_n <= 0:
            return b""
        if self._out:
            self._flush()
            if self._client is None:
                return b""
        try:
            data = client.recv(max_n)
        except (BlockingIOError, InterruptedError):
            return b""
        except OSError:
            self._drop_client()
            return b""
        if not data:                                # the client hung up: wait for the next one
            self._drop_client()
        return data

    def close(self) -> None:
        self._drop_client()
        if self._listener is not None:
            try:
                self._listener.close()
            except OSError:
                pass
            self._listener = None
        self.can_read = False

    def __repr__(self) -> str:
        mode = "server" if self.server else "client"
        return f"TcpBackend({self.host!r}, {self.port}, {mode})"


def _listen(host: str, port: int) -> socket.socket:
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE)
    except socket.gaierror as e:
        raise ChardevError(f"tcp: cannot resolve host '{host}': {e.strerror or e}") from None
    family, stype, proto, _, addr = infos[0]
    sock = socket.socket(family, stype, proto)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(addr)
        sock.listen(1)
        sock.setblocking(False)
    except OSError as e:
        sock.close()
        if e.errno == errno.EADDRINUSE:
            raise ChardevError(f"tcp: port {port} on {host} is already in use") from None
        raise ChardevError(f"tcp: cannot listen on {host} port {port}: {e.strerror or e}") from None
    return sock


def _flag(key: str, value: str | None, spec: str) -> bool:
    if value is None or value in ("on", "yes", "true"):
        return True
    if value in ("off", "no", "false"):
        return False
    raise ChardevError(f"'{spec}': {key}= must be on or off, not '{value}'")


def _parse_tcp(spec: str) -> TcpBackend:
    addr, *opts = spec[4:].split(",")
    host, colon, port_text = addr.rpartition(":")
    if not colon or not port_text.isdigit() or int(port_text) > 0xFFFF:
        raise ChardevError(f"'{spec}': expected tcp:[HOST]:PORT with PORT from 0 to 65535")
    if host.startswith("[") and host.endswith("]"):
        host = host[1:-1]                           # [::1]
    server, wait = False, True
    for opt in opts:
        key, eq, value = opt.partition("=")
        val = value if eq else None
        if key == "server":
            server = _flag(key, val, spec)
        elif key == "wait":
            wait = _flag(key, val, spec)
        elif key == "nowait" and val is None:
            wait = False
        elif key == "nodelay":
            _flag(key, val, spec)                   # TCP_NODELAY is always on
        else:
            raise ChardevError(f"'{spec}': unknown tcp option '{opt}' (known: {', '.join(TCP_OPTIONS)})")
    return TcpBackend(host, int(port_text), server=server, wait=wait)


def parse_serial_spec(spec: str) -> CharBackend | None:
    """The back end a ``-serial`` spec names (None for ``none``); :class:`ChardevError` if unusable."""
    text = spec.strip()
    if text == "none":
        return None
    if text == "null":
        return NullBackend()
    if text == "stdio":
        return StdioBackend()
    if text == "mon:stdio":   # -nographic: Ctrl-C goes to the guest, Ctrl-A X quits (no monitor yet)
        return StdioBackend(keep_signals=False, escapes=True)
    if text.startswith("file:"):
        if len(text) == 5:
            raise ChardevError("'file:' needs a path: file:PATH")
        return FileBackend(text[5:])
    if text.startswith("tcp:"):
        return _parse_tcp(text)
    raise ChardevError(f"unknown serial back end '{spec}' (supported: {', '.join(SUPPORTED)})")
