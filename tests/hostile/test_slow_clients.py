"""Slow, idle and too many connections: header and idle timeouts, the per-client cap.

Two live ``sioproxy record`` processes in front of node socket.io 4: one with
short timeouts (``--header-timeout 1 --idle-timeout 2``) so the cases finish
quickly, one with ``--max-connections-per-client 4``. Held long polls and
WebSockets kept alive by pings outlive the idle timeout; silent connections
and slowloris headers do not; the counts are in ``/metrics``.
"""

from __future__ import annotations

import http.client
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import websocket

from tests.hostile.edge_clients import connect, read_head, request_head, status_of, wait_closed
from tests.hostile.harness import (
    WAIT,
    Stack,
    WsClient,
    assert_survived,
    bystander_ws,
    metric,
    polling_open,
    post,
    start_stack,
)
from tests.interop.conftest import require_installed

pytestmark = pytest.mark.interop

HEADER_TIMEOUTS = 'sioproxy_timeouts_total{kind="header"}'
IDLE_TIMEOUTS = 'sioproxy_timeouts_total{kind="idle"}'
PER_CLIENT = 'sioproxy_refused_total{reason="per_client_limit"}'
SLOWLORIS = 40


@pytest.fixture(scope="module")
def short(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    require_installed("node-sio4")
    tmp = Path(tmp_path_factory.mktemp("short"))
    running = start_stack(tmp, "node-sio4", "--header-timeout", "1", "--idle-timeout", "2")
    yield running
    running.stop()


@pytest.fixture(scope="module")
def capped(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    require_installed("node-sio4")
    tmp = Path(tmp_path_factory.mktemp("capped"))
    running = start_stack(tmp, "node-sio4", "--max-connections-per-client", "4")
    yield running
    running.stop()


def test_slowloris_headers_are_cut_off(short: Stack) -> None:
    """Headers dribbled a byte at a time, forever: each connection gets 408 and is closed."""
    before = metric(short.admin, HEADER_TIMEOUTS)
    socks = [connect(short.proxy.url, timeout=0.05) for _ in range(SLOWLORIS)]
    open_socks = list(socks)
    try:
        for sock in socks:
            sock.sendall(b"GET /socket.io/?EIO=4&transport=polling HTTP/1.1\r\nHost: x\r\n")
        deadline = time.monotonic() + 15
        while open_socks and time.monotonic() < deadline:
            for sock in list(open_socks):
                try:
                    sock.sendall(b"X")  # never a complete header line
                    data = sock.recv(4096)
                except TimeoutError:
                    continue
                except OSError:
                    data = b""
                if data:
                    assert status_of(data) == 408, data[:100]
                open_socks.remove(sock)
            time.sleep(0.2)
        assert not open_socks, f"{len(open_socks)} slowloris connections still open"
    finally:
        for sock in socks:
            sock.close()
    assert metric(short.admin, HEADER_TIMEOUTS) >= before + SLOWLORIS
    assert_survived(short)


def test_idle_keep_alive_connection_is_closed(short: Stack) -> None:
    before = metric(short.admin, IDLE_TIMEOUTS)
    sock = connect(short.proxy.url)
    try:
        sock.sendall(request_head("GET", "/socket.io/?EIO=4&transport=polling"))
        assert status_of(read_head(sock)) == 200
        wait_closed(sock, within=10)  # the body, then the close after 2 s of silence
    finally:
        sock.close()
    assert metric(short.admin, IDLE_TIMEOUTS) >= before + 1
    assert_survived(short)


def test_a_long_poll_held_past_the_idle_timeout_is_answered(short: Stack) -> None:
    """The upstream holds the GET for 3 s (longer than --idle-timeout 2): it still arrives."""
    sid = polling_open(short)
    host, port = short.host_port
    got: list[tuple[int, bytes]] = []

    def hold() -> None:
        conn = http.client.HTTPConnection(host, port, timeout=WAIT)
        try:
            conn.request("GET", f"/socket.io/?EIO=4&transport=polling&sid={sid}")
            response = conn.getresponse()
            got.append((response.status, response.read()))
        finally:
            conn.close()

    holder = threading.Thread(target=hold, daemon=True)
    holder.start()
    time.sleep(3.0)  # the held poll outlives the idle timeout
    assert not got, "the upstream answered early: the case did not hold the poll"
    assert post(short, sid, b'42["echo","late"]')[0] == 200
    holder.join(WAIT)
    assert got, "the held poll was never answered"
    status, body = got[0]
    assert status == 200, body
    assert b'"late"' in body
    post(short, sid, b"1")


def test_a_websocket_kept_alive_by_pings_outlives_the_idle_timeout(short: Stack) -> None:
    """No message for 3 s (longer than --idle-timeout 2), only WebSocket pings: still open."""
    client = WsClient(short.ws_url())
    try:
        client.open_sio()
        for _ in range(6):
            client.ws.ping(b"keep")
            time.sleep(0.5)
        client.ws.send('421["ack_me","quiet"]')
        got = client.recv_until(lambda d: isinstance(d, str) and d.startswith("431"), limit=100)
        assert got == '431["quiet","ack"]', got
    finally:
        client.close()


def test_a_silent_websocket_is_closed_after_the_idle_timeout(short: Stack) -> None:
    before = metric(short.admin, IDLE_TIMEOUTS)
    client = WsClient(short.ws_url())
    try:
        client.open_sio()
        client.ws.settimeout(10)
        opcode, frame = client.ws.recv_data_frame(True)  # nothing comes but the close
        while opcode == websocket.ABNF.OPCODE_PONG:
            opcode, frame = client.ws.recv_data_frame(True)
        assert opcode == websocket.ABNF.OPCODE_CLOSE, (opcode, frame.data)
        assert int.from_bytes(frame.data[:2], "big") == 1001  # going away
    finally:
        client.close()
    assert metric(short.admin, IDLE_TIMEOUTS) >= before + 1
    assert_survived(short)


def test_connections_past_the_per_client_cap_get_503(capped: Stack) -> None:
    before = metric(capped.admin, PER_CLIENT)
    held = [WsClient(capped.ws_url()), WsClient(capped.ws_url())]  # WebSockets count too
    raw = [connect(capped.proxy.url), connect(capped.proxy.url)]
    try:
        for client in held:
            client.open_sio()
        extra = connect(capped.proxy.url)
        try:
            extra.sendall(request_head("GET", "/socket.io/?EIO=4&transport=polling"))
            answer = read_head(extra)
        finally:
            extra.close()
        assert status_of(answer) == 503, answer[:200]
        assert metric(capped.admin, PER_CLIENT) == before + 1
    finally:
        for client in held:
            client.close()
        for sock in raw:
            sock.close()
    # Once they are closed, the same address is served again.
    deadline = time.monotonic() + WAIT
    while True:
        try:
            bystander_ws(capped)
            break
        except Exception:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.1)
    assert_survived(capped)
