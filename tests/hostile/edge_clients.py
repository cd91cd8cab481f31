"""Raw-socket clients for the edge-limit cases: oversized bodies, bad targets, slow clients.

Test-side helper. Everything is bounded: sockets have timeouts, loops have
deadlines, and every process is stopped by its pid.
"""

from __future__ import annotations

import contextlib
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path

from tests.hostile.harness import WAIT
from tests.interop.sioproxy_proc import RunningSioproxy, start_sioproxy

REPO = Path(__file__).resolve().parents[2]
DEMO_RECORDING = REPO / "recordings" / "examples" / "demo-eio4.jsonl"
MIB = 1024 * 1024


def host_port(url: str) -> tuple[str, int]:
    host, port = url.removeprefix("http://").rstrip("/").rsplit(":", 1)
    return host, int(port)


def connect(url: str, timeout: float = WAIT) -> socket.socket:
    sock = socket.create_connection(host_port(url), timeout=timeout)
    sock.settimeout(timeout)
    return sock


def read_until_closed(sock: socket.socket, limit: int = 1 << 20) -> bytes:
    """What the server sends until it closes (or resets) the connection; bounded."""
    data = b""
    while len(data) < limit:
        try:
            chunk = sock.recv(65536)
        except ConnectionResetError:
            break
        if not chunk:
            break
        data += chunk
    return data


def read_head(sock: socket.socket) -> bytes:
    """Bytes up to the end of a response head (or what came before the close)."""
    data = b""
    while b"\r\n\r\n" not in data:
        try:
            chunk = sock.recv(4096)
        except ConnectionResetError:
            break
        if not chunk:
            break
        data += chunk
    return data


def status_of(response: bytes) -> int:
    parts = response.split(b" ", 2)
    assert len(parts) >= 2, response[:200]
    assert parts[0].startswith(b"HTTP/1."), response[:200]
    return int(parts[1])


def request_head(method: str, target: str, *headers: str) -> bytes:
    lines = [f"{method} {target} HTTP/1.1", "Host: 127.0.0.1", *headers, "", ""]
    return "\r\n".join(lines).encode("latin-1")


def ws_upgrade_head(target: str) -> bytes:
    return request_head(
        "GET",
        target,
        "Upgrade: websocket",
        "Connection: Upgrade",
        "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==",
        "Sec-WebSocket-Version: 13",
    )


class ChunkedFlood:
    """Sends a chunked body that never ends, from a thread, until stopped or refused."""

    def __init__(self, sock: socket.socket, total: int, chunk: int = 64 * 1024) -> None:
        self.sock = sock
        self.total = total
        self.sent = 0
        self._piece = b"%x\r\n" % chunk + b"z" * chunk + b"\r\n"
        self._chunk = chunk
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def start(self) -> ChunkedFlood:
        self._thread.start()
        return self

    def _run(self) -> None:
        try:
            while self.sent < self.total and not self._stop.is_set():
                self.sock.sendall(self._piece)
                self.sent += self._chunk
        except OSError:
            pass  # the server closed: what it refused to read is the point

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(WAIT)


def free_port_ending_in(digit: int) -> tuple[socket.socket, int]:
    """A listening socket on a free port P with P % 10 == digit and P // 10 >= 1024."""
    for base in range(1024, 6553):
        port = base * 10 + digit
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        try:
            sock.bind(("127.0.0.1", port))
        except OSError:
            sock.close()
            continue
        sock.listen(8)
        sock.setblocking(False)
        return sock, port
    raise AssertionError("no free port")


def accepted(listener: socket.socket) -> bool:
    """Whether anything connected to ``listener`` (non-blocking)."""
    try:
        conn, _ = listener.accept()
    except BlockingIOError:
        return False
    conn.close()
    return True


@contextlib.contextmanager
def replay_process(*extra: str) -> Iterator[tuple[RunningSioproxy, str]]:
    """``sioproxy replay --loop`` of the example recording, with an admin listener."""
    from tests.ops.helpers import launch_sioproxy, sioproxy_cmd

    argv = sioproxy_cmd(
        "replay",
        str(DEMO_RECORDING),
        "--listen",
        "127.0.0.1:0",
        "--loop",
        "-q",
        "--admin",
        "127.0.0.1:0",
        *extra,
    )
    proc, admin = launch_sioproxy(argv)
    try:
        yield proc, admin
    finally:
        proc.stop()


def plain_proxy(upstream: str, *extra: str) -> RunningSioproxy:
    return start_sioproxy(["proxy", "--listen", "127.0.0.1:0", "--upstream", upstream, *extra])


def wait_closed(sock: socket.socket, within: float) -> bytes:
    """Read until the server closes ``sock``; fail if it is still open after ``within`` s."""
    sock.settimeout(within)
    deadline = time.monotonic() + within
    data = b""
    while time.monotonic() < deadline:
        try:
            chunk = sock.recv(4096)
        except ConnectionResetError:
            return data
        except TimeoutError:
            break
        if not chunk:
            return data
        data += chunk
    raise AssertionError(f"connection still open after {within} s (got {data[:100]!r})")
