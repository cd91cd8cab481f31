"""Harness for the real Socket.IO peers under tests/peers (see tests/peers/README.md).

Test-side helper, not part of sioproxy: it only starts subprocesses on 127.0.0.1 and
parses the transcripts the peer clients print. A registry says, for each implementation,
how to run its server and client, which transport modes its client has, and which
protocol generation it speaks. Every wait is bounded and every process is stopped by pid.
"""

from __future__ import annotations

import json
import os
import selectors
import signal
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[2]
PEERS_DIR = REPO / "tests" / "peers"
NODE = "node"
READY_TIMEOUT = 20.0
STOP_TIMEOUT = 5.0


class PeerError(RuntimeError):
    """A peer process failed: did not start, exited non-zero, or printed no transcript."""


@dataclass(frozen=True, slots=True, kw_only=True)
class Peer:
    """One implementation: its runner, scripts (relative to tests/peers) and abilities."""

    name: str
    generations: tuple[str, ...]  # "0.9", "eio3", "eio4"; the JSONP client has two
    runner: str
    server: str | None
    client: str | None
    transports: tuple[str, ...] = field(default=())

    @property
    def generation(self) -> str:
        return self.generations[0]

    def server_cmd(self, port: int = 0) -> list[str]:
        if self.server is None:
            raise PeerError(f"{self.name} has no server")
        return [self.runner, str(PEERS_DIR / self.server), "--port", str(port)]

    def client_cmd(
        self,
        url: str,
        transport: str,
        *,
        extra_ack_first: bool = False,
        echo_text: str | None = None,
    ) -> list[str]:
        if self.client is None:
            raise PeerError(f"{self.name} has no client")
        if transport not in self.transports:
            raise PeerError(f"{self.name} client has no transport mode {transport!r}")
        cmd = [self.runner, str(PEERS_DIR / self.client), "--url", url, "--transport", transport]
        if extra_ack_first:
            cmd.append("--extra-ack-first")
        if echo_text is not None:
            cmd += ["--echo-text", echo_text]
        return cmd

    def installed(self) -> bool:
        if self.runner == NODE:
            return (PEERS_DIR / "node_modules").is_dir()
        return Path(self.runner).exists()


def _venv_python(name: str) -> str:
    return str(PEERS_DIR / "py" / name / "bin" / "python")


MODERN_MODES = ("websocket", "polling", "upgrade")
LEGACY_MODES = ("websocket", "xhr-polling")

PEERS: dict[str, Peer] = {
    p.name: p
    for p in (
        Peer(
            name="node-sio4",
            generations=("eio4",),
            runner=NODE,
            server="node-sio4/server.js",
            client="node-sio4/client.js",
            transports=MODERN_MODES,
        ),
        Peer(
            name="node-sio4-msgpack",
            generations=("eio4",),
            runner=NODE,
            server="node-sio4-msgpack/server.js",
            client="node-sio4-msgpack/client.js",
            transports=MODERN_MODES,
        ),
        Peer(
            name="node-sio4-toy",
            generations=("eio4",),
            runner=NODE,
            server="node-sio4-toy/server.js",
            client="node-sio4-toy/client.js",
            transports=MODERN_MODES,
        ),
        # connectionStateRecovery: a forced transport drop, then recovery (own transcript).
        Peer(
            name="recovery-node-sio4",
            generations=("eio4",),
            runner=NODE,
            server="recovery/server.js",
            client="recovery/client.js",
            transports=("websocket", "polling"),
        ),
        # retries/ackTimeout (socket.io-client 4.6+): one emitWithAck of a slow ack.
        Peer(
            name="retries-node-sio4",
            generations=("eio4",),
            runner=NODE,
            server="retries/server.js",
            client="retries/client.js",
            transports=("websocket",),
        ),
        Peer(
            name="node-sio3",
            generations=("eio4",),
            runner=NODE,
            server="node-sio3/server.js",
            client="node-sio3/client.js",
            transports=MODERN_MODES,
        ),
        Peer(
            name="node-sio2",
            generations=("eio3",),
            runner=NODE,
            server="node-sio2/server.js",
            client="node-sio2/client.js",
            transports=MODERN_MODES,
        ),
        Peer(
            name="node-sio09",
            generations=("0.9",),
            runner=NODE,
            server="node-sio09/server.js",
            client="node-sio09/client.js",
            transports=LEGACY_MODES,
        ),
        # The multi-room chat of the causal replay tests (its client takes other options).
        Peer(
            name="chat-node-sio4",
            generations=("eio4",),
            runner=NODE,
            server="chat/server4.js",
            client=None,
        ),
        Peer(
            name="chat-node-sio2",
            generations=("eio3",),
            runner=NODE,
            server="chat/server2.js",
            client=None,
        ),
        Peer(
            name="chat-node-sio09",
            generations=("0.9",),
            runner=NODE,
            server="chat/server09.js",
            client=None,
        ),
        Peer(
            name="chat-py-sio5",
            generations=("eio4",),
            runner=sys.executable,
            server="chat/server_py5.py",
            client=None,
        ),
        # python-socketio 5.x lives in the project's own venv: the one running pytest.
        Peer(
            name="py-sio5",
            generations=("eio4",),
            runner=sys.executable,
            server="py-sio5/server.py",
            client="py-sio5/client.py",
            transports=MODERN_MODES,
        ),
        Peer(
            name="py-sio5-msgpack",
            generations=("eio4",),
            runner=sys.executable,
            server="py-sio5-msgpack/server.py",
            client="py-sio5-msgpack/client.py",
            transports=MODERN_MODES,
        ),
        Peer(
            name="py-sio4",
            generations=("eio3",),
            runner=_venv_python("eio3"),
            server="py-sio4/server.py",
            client="py-sio4/client.py",
            transports=MODERN_MODES,
        ),
        Peer(
            name="py-legacy09",
            generations=("0.9",),
            runner=_venv_python("legacy09"),
            server=None,
            client="py-legacy09/client.py",
            transports=LEGACY_MODES,
        ),
        # gevent-socketio 0.3.6 on CPython 2.7 (install_gevent09.sh); tests/peers/legacy/
        # is the one folder ruff skips, and this script is Python 2.
        Peer(
            name="gevent09",
            generations=("0.9",),
            runner=_venv_python("gevent09"),
            server="legacy/gevent09_server.py",
            client=None,
        ),
        # Standard library only; detects 0.9 vs Engine.IO 3 from the server's answers.
        Peer(
            name="py-jsonp",
            generations=("0.9", "eio3"),
            runner=sys.executable,
            server=None,
            client="python/jsonp_client.py",
            transports=("jsonp-polling",),
        ),
    )
}


def peer(name: str) -> Peer:
    try:
        return PEERS[name]
    except KeyError:
        raise PeerError(f"unknown peer {name!r}; known: {sorted(PEERS)}") from None


class RunningServer:
    """A peer server subprocess bound to 127.0.0.1:<port>."""

    def __init__(
        self, impl: str, process: subprocess.Popen[bytes], port: int, stderr_path: Path
    ) -> None:
        self.impl = impl
        self.process = process
        self.port = port
        self.url = f"http://127.0.0.1:{port}"
        self._stderr_path = stderr_path

    @property
    def pid(self) -> int:
        return self.process.pid

    def running(self) -> bool:
        return self.process.poll() is None

    def stderr_text(self) -> str:
        return self._stderr_path.read_text("utf-8", "replace")

    def stop(self) -> None:
        """SIGTERM by pid, wait, SIGKILL if it lingers; idempotent."""
        if self.process.poll() is None:
            os.kill(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(STOP_TIMEOUT)
            except subprocess.TimeoutExpired:
                os.kill(self.process.pid, signal.SIGKILL)
                self.process.wait(STOP_TIMEOUT)
        if self.process.stdout is not None:
            self.process.stdout.close()
        self._stderr_path.unlink(missing_ok=True)

    def __repr__(self) -> str:
        return f"RunningServer({self.impl!r}, url={self.url!r}, pid={self.process.pid})"


def _read_first_line(process: subprocess.Popen[bytes], timeout: float) -> bytes:
    assert process.stdout is not None
    fd = process.stdout.fileno()
    line = b""
    deadline = time.monotonic() + timeout
    with selectors.DefaultSelector() as sel:
        sel.register(fd, selectors.EVENT_READ)
        while b"\n" not in line:
            left = deadline - time.monotonic()
            if left <= 0 or not sel.select(left):
                raise PeerError(f"no 'listening' line within {timeout} s")
            chunk = os.read(fd, 1)  # byte by byte: later lines stay in the pipe
            if not chunk:
                raise PeerError("server closed stdout before printing 'listening <port>'")
            line += chunk
    return line.split(b"\n", 1)[0]


def start_server(
    impl: str, *, port: int = 0, ready_timeout: float = READY_TIMEOUT
) -> RunningServer:
    """Start ``impl``'s server and wait (bounded) for its ``listening <port>`` line."""
    spec = peer(impl)
    fd, name = tempfile.mkstemp(prefix=f"peer-{impl}-", suffix=".stderr")
    stderr_path = Path(name)
    with os.fdopen(fd, "wb") as stderr:
        process = subprocess.Popen(
            spec.server_cmd(port),
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=stderr,
            cwd=REPO,
        )
    server = RunningServer(impl, process, 0, stderr_path)
    try:
        line = _read_first_line(process, ready_timeout).decode("utf-8", "replace")
        parts = line.split()
        if len(parts) != 2 or parts[0] != "listening" or not parts[1].isdigit():
            raise PeerError(f"unexpected first line {line!r}")
    except PeerError as exc:
        detail = server.stderr_text()
        server.stop()
        raise PeerError(f"{impl} server did not start: {exc}\n{detail}") from None
    server.port = int(parts[1])
    server.url = f"http://127.0.0.1:{server.port}"
    return server


def run_client(
    impl: str,
    url: str,
    transport: str,
    *,
    extra_ack_first: bool = False,
    echo_text: str | None = None,
    timeout: float = 30.0,
) -> dict[str, Any]:
    """Run ``impl``'s client through the scenario and return its parsed transcript."""
    cmd = peer(impl).client_cmd(
        url, transport, extra_ack_first=extra_ack_first, echo_text=echo_text
    )
    try:
        done = subprocess.run(
            cmd,
            stdin=subprocess.DEVNULL,
            capture_output=True,
            timeout=timeout,
            cwd=REPO,
            check=False,
        )
    except subprocess.TimeoutExpired as exc:
        # subprocess.run kills the child on time-out before raising.
        stderr = (exc.stderr or b"").decode("utf-8", "replace")
        raise PeerError(f"{impl} client timed out after {timeout} s\n{stderr}") from None
    stderr = done.stderr.decode("utf-8", "replace")
    if done.returncode != 0:
        raise PeerError(f"{impl} client exited {done.returncode} ({transport} {url})\n{stderr}")
    lines = done.stdout.decode("utf-8").strip().splitlines()
    if not lines:
        raise PeerError(f"{impl} client printed no transcript\n{stderr}")
    try:
        transcript = json.loads(lines[-1])
    except json.JSONDecodeError as exc:
        raise PeerError(f"{impl} client printed no JSON ({exc}): {lines[-1]!r}") from None
    if not isinstance(transcript, dict):
        raise PeerError(f"{impl} client transcript is not an object: {transcript!r}")
    return transcript


def final_transport(mode: str) -> str:
    """The transport a client ends on in a given mode (``upgrade`` ends on websocket)."""
    return "websocket" if mode == "upgrade" else mode
