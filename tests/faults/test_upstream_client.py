"""Faults through a real ``sioproxy record``: the upstream or the client dies mid-session.

The upstream is a real peer server killed by pid (SIGKILL, no goodbye); the
client is a raw socket that vanishes. The client must get the protocol's own
signal (a dropped websocket, a 502 on a poll), the proxy must stay up, and the
recording must end the connection with a ``close`` entry.
"""

from __future__ import annotations

import os
import signal
from collections.abc import Iterator
from pathlib import Path

import pytest
import websocket

from sioproxy.recording.reader import read_recording
from tests.hostile.harness import (
    Stack,
    WsClient,
    http_get,
    log_has,
    metric,
    polling_open,
    post,
    start_stack,
    wait_for,
    wait_for_log,
)
from tests.interop.conftest import require_installed

pytestmark = pytest.mark.interop


@pytest.fixture
def stack(tmp_path: Path) -> Iterator[Stack]:
    require_installed("node-sio4")
    running = start_stack(tmp_path)
    yield running
    running.stop()


def _closes(out: Path) -> dict[str, str]:
    recording = read_recording(out)
    return {e.conn: e.reason for e in recording.entries if e.kind == "close"}


def _opened(out: Path) -> set[str]:
    return {e.conn for e in read_recording(out).entries if e.kind == "open"}


def _all_closed(out: Path) -> bool:
    # Recording lines are batched (--flush-interval): poll until they are all out.
    opened = _opened(out)
    return bool(opened) and set(_closes(out)) == opened


def _recv_many(client: WsClient) -> None:
    for _ in range(10):
        client.recv()


def _kill_upstream(stack: Stack) -> None:
    os.kill(stack.server.pid, signal.SIGKILL)
    stack.server.process.wait(10)


def test_upstream_dies_during_websocket_session(stack: Stack) -> None:
    client = WsClient(stack.ws_url())
    try:
        client.open_sio()
        _kill_upstream(stack)
        with pytest.raises((websocket.WebSocketConnectionClosedException, ConnectionError)):
            _recv_many(client)
    finally:
        client.close()
    wait_for("every connection closed", lambda: _all_closed(stack.out))
    assert stack.proxy.process.poll() is None
    # With the upstream gone, new clients are refused with 502, not hung.
    with pytest.raises(websocket.WebSocketBadStatusException) as info:
        WsClient(stack.ws_url())
    assert info.value.status_code == 502
    assert http_get(f"{stack.proxy.url}/socket.io/?EIO=4&transport=polling")[0] == 502
    wait_for_log(stack.proxy, r"upstream error on GET .*upstream unreachable")


def test_upstream_dies_during_polling_session(stack: Stack) -> None:
    sid = polling_open(stack)
    before = metric(stack.admin, "sioproxy_upstream_errors_total")
    _kill_upstream(stack)
    status, body = post(stack, sid, b'42["echo","lost"]')
    assert status == 502, body  # an engine.io client treats this as a transport error
    status, _, _ = http_get(f"{stack.proxy.url}/socket.io/?EIO=4&transport=polling&sid={sid}")
    assert status == 502
    assert metric(stack.admin, "sioproxy_upstream_errors_total") >= before + 2
    wait_for("every connection closed", lambda: _all_closed(stack.out))
    assert stack.proxy.process.poll() is None


def test_upstream_refuses_from_the_start(stack: Stack) -> None:
    _kill_upstream(stack)
    status, _, body = http_get(f"{stack.proxy.url}/socket.io/?EIO=4&transport=polling")
    assert status == 502
    assert "upstream unreachable" in body
    with pytest.raises(websocket.WebSocketBadStatusException) as info:
        WsClient(stack.ws_url())
    assert info.value.status_code == 502
    assert stack.proxy.process.poll() is None
    assert metric(stack.admin, "sioproxy_upstream_errors_total") >= 2


def test_client_dies_during_websocket_session(stack: Stack) -> None:
    client = WsClient(stack.ws_url())
    client.open_sio()
    client.ws.send('42["echo","before dying"]')
    client.ws.sock.setsockopt(
        socket_module().SOL_SOCKET, socket_module().SO_LINGER, b"\1\0\0\0\0\0\0\0"
    )
    client.ws.sock.close()  # RST, no close frame
    wait_for("every connection closed", lambda: _all_closed(stack.out))
    assert stack.proxy.process.poll() is None
    # The upstream leg was closed too: the server still serves a new client.
    fresh = WsClient(stack.ws_url())
    try:
        fresh.open_sio()
    finally:
        fresh.close()


def test_client_hangs_up_a_long_poll(stack: Stack) -> None:
    sid = polling_open(stack)
    from tests.hostile.harness import raw_socket

    sock = raw_socket(stack)
    sock.sendall(
        f"GET /socket.io/?EIO=4&transport=polling&sid={sid} HTTP/1.1\r\nHost: x\r\n\r\n".encode()
    )
    sock.close()  # the long poll is pending upstream; the client is gone
    wait_for("the hang-up noted", lambda: log_has(stack.proxy, r"client went away"))
    assert stack.proxy.process.poll() is None
    assert http_get(f"{stack.proxy.url}/socket.io/?EIO=4&transport=polling")[0] == 200


def socket_module():  # type: ignore[no-untyped-def]
    import socket

    return socket
