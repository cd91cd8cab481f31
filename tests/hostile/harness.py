"""A real upstream behind a real ``sioproxy record`` subprocess, and raw clients.

Test-side helper for the hostile-peer and fault tests. Raw clients speak
Engine.IO 4 / Socket.IO v5 by hand (websocket-client, raw sockets, urllib) so
they can break the protocol on purpose. Every wait is a bounded loop; every
process is stopped by its pid.
"""

from __future__ import annotations

import http.client
import json
import re
import socket
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import websocket  # websocket-client

from tests.interop.peers import RunningServer, start_server
from tests.interop.sioproxy_proc import RunningSioproxy, record_args
from tests.ops.helpers import http_get, launch_sioproxy, sioproxy_cmd

WAIT = 20.0
MAX_BODY = 64 * 1024


@dataclass
class Stack:
    """Upstream peer server + ``sioproxy record`` with an admin listener."""

    server: RunningServer
    proxy: RunningSioproxy
    admin: str
    out: Path
    extra: list[str] = field(default_factory=list)

    @property
    def host_port(self) -> tuple[str, int]:
        host, port = self.proxy.url.removeprefix("http://").rsplit(":", 1)
        return host, int(port)

    def ws_url(self, query: str = "EIO=4&transport=websocket") -> str:
        return self.proxy.url.replace("http://", "ws://") + "/socket.io/?" + query

    def stop(self) -> None:
        self.proxy.stop()
        self.server.stop()


def start_stack(tmp: Path, impl: str = "node-sio4", *extra: str) -> Stack:
    server = start_server(impl)
    out = tmp / "rec.jsonl"
    try:
        argv = sioproxy_cmd(
            *record_args(server.url, out), "--admin", "127.0.0.1:0", "--max-body", str(MAX_BODY)
        )
        proxy, admin = launch_sioproxy([*argv, *extra])
    except BaseException:
        server.stop()
        raise
    return Stack(server, proxy, admin, out, list(extra))


def metrics(admin: str) -> dict[str, float]:
    """``/metrics`` as ``{'name{a="x"}': value}`` (label order as rendered)."""
    status, _, text = http_get(f"{admin}/metrics")
    assert status == 200
    out: dict[str, float] = {}
    for line in text.splitlines():
        if line and not line.startswith("#"):
            key, _, value = line.rpartition(" ")
            out[key] = float(value)
    return out


def metric(admin: str, key: str) -> float:
    return metrics(admin).get(key, 0.0)


def wait_for(what: str, check: Callable[[], Any], timeout: float = WAIT) -> Any:
    """Poll ``check`` until it returns something truthy; bounded by ``timeout``."""
    deadline = time.monotonic() + timeout
    while True:
        value = check()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.05)


def log_has(proxy: RunningSioproxy, pattern: str) -> bool:
    rx = re.compile(pattern)
    return any(rx.search(line) for line in list(proxy.lines))


def wait_for_log(proxy: RunningSioproxy, pattern: str) -> None:
    """Wait for a log line matching ``pattern``: the proxy's output is read by a thread of
    this process, so a line may arrive a moment after what made it is observable."""
    wait_for(f"a log line matching {pattern!r}", lambda: log_has(proxy, pattern))


# ---------------------------------------------------------------- raw EIO4 clients


class WsClient:
    """A hand-driven EIO4 websocket client (websocket-client, blocking, with timeouts)."""

    def __init__(self, url: str, **kwargs: Any) -> None:
        self.ws = websocket.create_connection(url, timeout=WAIT, **kwargs)

    def recv(self) -> str | bytes:
        data: str | bytes = self.ws.recv()
        return data

    def recv_until(self, predicate: Callable[[str | bytes], bool], limit: int = 100) -> str | bytes:
        for _ in range(limit):
            data = self.recv()
            if isinstance(data, str) and data == "2":  # answer pings, keep going
                self.ws.send("3")
                continue
            if predicate(data):
                return data
        raise AssertionError("expected message not seen")

    def open_sio(self, nsp: str = "") -> dict[str, Any]:
        first = self.recv()
        assert isinstance(first, str)
        assert first.startswith("0{"), first
        self.ws.send(f"40{nsp}," if nsp else "40")
        self.recv_until(lambda d: isinstance(d, str) and d.startswith("40"))
        opened: dict[str, Any] = json.loads(first[1:])
        return opened

    def close(self) -> None:
        self.ws.close()


def bystander_ws(stack: Stack, word: str = "still-here") -> None:
    """A well-behaved websocket session: connect, emit with ack, get the ack."""
    client = WsClient(stack.ws_url())
    try:
        client.open_sio()
        client.ws.send(f'421["ack_me","{word}"]')
        got = client.recv_until(lambda d: isinstance(d, str) and d.startswith("431"))
        assert got == f'431["{word}","ack"]', got
    finally:
        client.close()


def polling_open(stack: Stack) -> str:
    """Open an EIO4 polling session and its SIO namespace; return the sid."""
    status, _, body = http_get(f"{stack.proxy.url}/socket.io/?EIO=4&transport=polling")
    assert status == 200, body
    sid: str = json.loads(body[1:])["sid"]
    assert post(stack, sid, b"40")[0] == 200
    status, _, body = http_get(f"{stack.proxy.url}/socket.io/?EIO=4&transport=polling&sid={sid}")
    assert status == 200
    assert body.startswith("40"), body
    return sid


def post(stack: Stack, sid: str, body: bytes, ctype: str = "text/plain") -> tuple[int, bytes]:
    host, port = stack.host_port
    conn = http.client.HTTPConnection(host, port, timeout=WAIT)
    try:
        conn.request(
            "POST",
            f"/socket.io/?EIO=4&transport=polling&sid={sid}",
            body=body,
            headers={"Content-Type": ctype},
        )
        response = conn.getresponse()
        return response.status, response.read()
    finally:
        conn.close()


def bystander_polling(stack: Stack, word: str = "polling-ok") -> None:
    sid = polling_open(stack)
    assert post(stack, sid, f'421["ack_me","{word}"]'.encode())[0] == 200
    url = f"{stack.proxy.url}/socket.io/?EIO=4&transport=polling&sid={sid}"
    for _ in range(10):
        status, _, body = http_get(url)
        assert status == 200, body
        if f'431["{word}","ack"]' in body:
            break
    else:
        raise AssertionError("polling ack never arrived")
    post(stack, sid, b"1")


def assert_survived(stack: Stack) -> None:
    """The proxy is up and other connections work, on both transports."""
    assert stack.proxy.process.poll() is None, stack.proxy.stderr_text()
    bystander_ws(stack)
    bystander_polling(stack)
    assert stack.proxy.process.poll() is None


def raw_socket(stack: Stack, rcvbuf: int | None = None) -> socket.socket:
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    if rcvbuf is not None:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, rcvbuf)
    sock.settimeout(WAIT)
    sock.connect(stack.host_port)
    return sock


def rss_kib(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    raise AssertionError("no VmRSS")


def iter_recording(path: Path) -> Iterator[dict[str, Any]]:
    for line in path.read_text("utf-8").splitlines():
        if line.strip():
            yield json.loads(line)
