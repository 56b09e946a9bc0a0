"""Serial back ends: -serial spec parsing, file, stdio (pipes, pty), TCP server and client."""

from __future__ import annotations

import os
import socket
import threading
import time

import pytest

from emulator.chardev import (
    BufferBackend,
    ChardevError,
    FileBackend,
    NullBackend,
    StdioBackend,
    TcpBackend,
    parse_serial_spec,
)


def _read_until(backend, n: int, timeout: float = 5.0) -> bytes:
    got = bytearray()
    end = time.monotonic() + timeout
    while len(got) < n and time.monotonic() < end:
        data = backend.read_available(n - len(got))
        if data:
            got += data
        else:
            time.sleep(0.002)
    return bytes(got)


def _recv_exactly(sock: socket.socket, n: int) -> bytes:
    sock.settimeout(5.0)
    got = bytearray()
    while len(got) < n:
        chunk = sock.recv(n - len(got))
        if not chunk:
            break
        got += chunk
    return bytes(got)


def _wait_connected(backend: TcpBackend, timeout: float = 5.0) -> None:
    end = time.monotonic() + timeout
    while not backend.connected and time.monotonic() < end:
        time.sleep(0.002)
    assert backend.connected


# --- parsing -------------------------------------------------------------------------
def test_parse_simple_specs(tmp_path):
    assert parse_serial_spec("none") is None
    assert isinstance(parse_serial_spec("null"), NullBackend)
    stdio = parse_serial_spec("stdio")
    assert isinstance(stdio, StdioBackend) and stdio.can_read
    assert stdio.keep_signals and not stdio.escapes
    mon = parse_serial_spec("mon:stdio")
    assert isinstance(mon, StdioBackend) and mon.escapes and not mon.keep_signals
    f = parse_serial_spec(f"file:{tmp_path / 'out.txt'}")
    assert isinstance(f, FileBackend) and not f.can_read
    f.close()


@pytest.mark.parametrize("spec,wait", [
    ("tcp:127.0.0.1:0,server=on,wait=off", False),
    ("tcp::0,server,nowait", False),
    ("tcp::0,server=on,wait=off,nodelay", False),
    ("tcp:localhost:0,server", True),               # QEMU: a server waits for its first client
    ("tcp::0,server,wait", True),
])
def test_parse_tcp_server_spellings(spec, wait):
    b = parse_serial_spec(spec)
    try:
        assert isinstance(b, TcpBackend) and b.server and b.wait == wait
        assert b.port > 0
        assert b.host in ("127.0.0.1", "localhost")      # empty host: loopback only
        assert not b.connected
    finally:
        b.close()


@pytest.mark.parametrize("spec,words", [
    ("pty", ["unknown serial back end", "null", "stdio", "file:PATH", "tcp:"]),
    ("vc:80Cx24C", ["unknown serial back end"]),
    ("file:", ["needs a path"]),
    ("tcp:127.0.0.1", ["tcp:[HOST]:PORT"]),
    ("tcp::99999,server", ["0 to 65535"]),
    ("tcp::0,server,telnet", ["unknown tcp option", "telnet", "nowait"]),
    ("tcp::0,server=maybe", ["on or off"]),
])
def test_parse_errors_are_clear(spec, words):
    with pytest.raises(ChardevError) as e:
        parse_serial_spec(spec)
    for w in words:
        assert w in str(e.value)
    assert isinstance(e.value, ValueError)


# --- simple back ends ----------------------------------------------------------------
def test_null_backend():
    b = NullBackend()
    b.write(b"anything")
    assert b.read_available(10) == b"" and not b.can_read
    b.close()


def test_buffer_backend():
    b = BufferBackend()
    b.write(b"ab")
    b.write(b"c")
    assert b.output == b"abc"
    b.feed(b"hello")
    assert b.read_available(2) == b"he"
    assert b.pending_input == 3
    assert b.read_available(10) == b"llo"
    assert b.read_available(10) == b""


def test_file_backend_truncates_and_writes(tmp_path):
    path = tmp_path / "serial.log"
    path.write_bytes(b"old contents that must go")
    b = parse_serial_spec(f"file:{path}")
    b.write(b"boot ")
    assert path.read_bytes() == b"boot "            # unbuffered: visible at once
    b.write(b"ok\r\n")
    assert b.read_available(5) == b""
    b.close()
    b.write(b"after close is ignored")
    assert path.read_bytes() == b"boot ok\r\n"


def test_file_backend_error(tmp_path):
    with pytest.raises(ChardevError, match="cannot create"):
        parse_serial_spec(f"file:{tmp_path / 'missing-dir' / 'x.log'}")


# --- stdio -------------------------------------------------------------------------
def test_stdio_console_escapes():
    """QEMU's Ctrl-A commands on a ``mon:stdio`` line: X quits, A (or Ctrl-A) types Ctrl-A,
    H lists them; other bytes, Ctrl-C included, go to the guest.  A command split over two
    reads still works."""
    in_r, in_w = os.pipe()
    out_r, out_w = os.pipe()
    b = StdioBackend(in_fd=in_r, out_fd=out_w, keep_signals=False, escapes=True)
    quits: list[bool] = []
    b.on_quit = lambda: quits.append(True)
    try:
        os.write(in_w, b"ab\x03\x01a\x01\x01c\x01")
        assert b.read_available(64) == b"ab\x03\x01\x01c"
        os.write(in_w, b"h")
        assert b.read_available(64) == b"" and b"C-a x" in os.read(out_r, 200)
        os.write(in_w, b"x\x01X")
        assert b.read_available(64) == b"x" and quits == [True]
    finally:
        b.close()
        for fd in (in_r, in_w, out_r, out_w):
            os.close(fd)


def test_stdio_with_pipes():
    in_r, in_w = os.pipe()
    out_r, out_w = os.pipe()
    b = StdioBackend(in_fd=in_r, out_fd=out_w)
    try:
        b.write(b"guest says hi\n")
        assert os.read(out_r, 100) == b"guest says hi\n"
        assert b.read_available(4) == b""           # nothing typed: no blocking
        os.write(in_w, b"typed")
        assert b.read_available(3) == b"typ"
        assert b.read_available(10) == b"ed"
        os.close(in_w)
        in_w = -1
        assert b.read_available(10) == b""
        assert not b.can_read                      # end of input
        b.open(raw=True)                           # not a terminal: nothing to do
    finally:
        b.close()
        for fd in (in_r, out_r, out_w, in_w):
            if fd >= 0:
                os.close(fd)


def test_stdio_broken_pipe_does_not_raise():
    out_r, out_w = os.pipe()
    os.close(out_r)
    b = StdioBackend(in_fd=out_w, out_fd=out_w)
    b.write(b"nobody reads this")
    b.write(b"again")
    os.close(out_w)


def test_stdio_raw_mode_on_a_terminal_is_restored():
    termios = pytest.importorskip("termios")
    master, slave = os.openpty()
    try:
        before = termios.tcgetattr(slave)
        assert before[3] & termios.ICANON
        b = StdioBackend(in_fd=slave, out_fd=slave)
        b.open()                                   # not asked for raw: unchanged
        assert termios.tcgetattr(slave) == before
        b.open(raw=True)
        raw = termios.tcgetattr(slave)
        assert not raw[3] & (termios.ICANON | termios.ECHO)
        assert raw[3] & termios.ISIG               # Ctrl-C still stops the emulator
        os.write(master, b"k")
        assert _read_until(b, 1) == b"k"           # raw: no need for a newline
        b.close()
        assert termios.tcgetattr(slave) == before
    finally:
        os.close(master)
        os.close(slave)


# --- tcp ---------------------------------------------------------------------------
def test_tcp_server_talks_to_a_client():
    b = parse_serial_spec("tcp:127.0.0.1:0,server=on,wait=off")
    try:
        b.write(b"dropped: nobody connected")
        assert b.read_available(10) == b""
        with socket.create_connection(("127.0.0.1", b.port), timeout=5) as c:
            _wait_connected(b)
            b.write(b"login: ")
            assert _recv_exactly(c, 7) == b"login: "
            c.sendall(b"root\r")
            assert _read_until(b, 5) == b"root\r"
        # the client hung up: the back end drops it and accepts the next one
        assert _read_until(b, 1, timeout=0.5) == b""
        assert not b.connected
        with socket.create_connection(("127.0.0.1", b.port), timeout=5) as c2:
            _wait_connected(b)
            c2.sendall(b"x")
            assert _read_until(b, 1) == b"x"
            b.write(b"y")
            assert _recv_exactly(c2, 1) == b"y"
    finally:
        b.close()
    assert b.read_available(1) == b""
    b.write(b"after close")


def test_tcp_old_spelling_and_loopback_only():
    b = parse_serial_spec("tcp::0,server,nowait")
    try:
        assert b._listener.getsockname()[0] == "127.0.0.1"
    finally:
        b.close()


def test_tcp_port_in_use():
    holder = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    holder.bind(("127.0.0.1", 0))
    holder.listen(1)
    port = holder.getsockname()[1]
    try:
        with pytest.raises(ChardevError) as e:
            parse_serial_spec(f"tcp::{port},server,nowait")
        assert str(port) in str(e.value) and "in use" in str(e.value)
    finally:
        holder.close()


def test_tcp_wait_blocks_open_until_a_client_connects():
    b = parse_serial_spec("tcp::0,server")
    try:
        assert not b.connected
        holder: list[socket.socket] = []
        t = threading.Timer(0.05, lambda: holder.append(
            socket.create_connection(("127.0.0.1", b.port), timeout=5)))
        t.start()
        b.open()
        t.join()
        assert b.connected
        b.write(b"hello")
        assert _recv_exactly(holder[0], 5) == b"hello"
        holder[0].close()
    finally:
        b.close()


def test_tcp_client_mode():
    server = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    server.bind(("127.0.0.1", 0))
    server.listen(1)
    port = server.getsockname()[1]
    try:
        b = parse_serial_spec(f"tcp:127.0.0.1:{port}")
        conn, _ = server.accept()
        try:
            assert isinstance(b, TcpBackend) and not b.server and b.connected
            b.write(b"ping")
            assert _recv_exactly(conn, 4) == b"ping"
            conn.sendall(b"pong")
            assert _read_until(b, 4) == b"pong"
        finally:
            conn.close()
            b.close()
    finally:
        server.close()
    with pytest.raises(ChardevError, match="cannot connect"):
        parse_serial_spec(f"tcp:127.0.0.1:{port}")


def test_tcp_slow_client_never_blocks_the_writer():
    b = parse_serial_spec("tcp::0,server=on,wait=off")
    try:
        with socket.create_connection(("127.0.0.1", b.port), timeout=5):
            _wait_connected(b)
            start = time.monotonic()
            chunk = bytes(64 * 1024)
            for _ in range(64):                    # 4 MiB the client never reads
                b.write(chunk)
            assert time.monotonic() - start < 5
    finally:
        b.close()
