"""Closed connections leave nothing behind; made-up sids create nothing.

A few hundred abusive connections through a live ``sioproxy record`` (node
socket.io 4 upstream, ``--max-body 65536``), then every tracked-state gauge
of ``/metrics`` must be back to 0 and a fresh client must be served normally.
Regressions: half-received binary packets, unanswered ack tables and the
connections themselves were kept for the life of the process, and each GET
with a made-up sid created a connection and two recording lines.
"""

from __future__ import annotations

import http.client
import json
import socket
import struct
import time
from pathlib import Path

import pytest
import websocket

from tests.hostile.harness import (
    MAX_BODY,
    WAIT,
    Stack,
    WsClient,
    assert_survived,
    iter_recording,
    log_has,
    metric,
    metrics,
    polling_open,
    post,
    wait_for,
)
from tests.ops.helpers import http_get

pytestmark = pytest.mark.interop

# Every gauge of what the proxy holds for its connections (docs/operations.md).
STATE_GAUGES = (
    "sioproxy_tracked_connections",
    "sioproxy_tracked_exchanges",
    "sioproxy_tracked_websockets",
    "sioproxy_pending_attachment_bytes",
    "sioproxy_pending_acks",
    'sioproxy_pending_ack_entries{table="tracker"}',
    'sioproxy_pending_ack_entries{table="round_trip"}',
    "sioproxy_publish_backlog",
)
C2S_EVENTS = 'sioproxy_packets_total{direction="c2s",type="event"}'


def state(stack: Stack) -> dict[str, float]:
    scraped = metrics(stack.admin)
    missing = [key for key in STATE_GAUGES if key not in scraped]
    assert not missing, f"/metrics lacks {missing}"
    return {key: scraped[key] for key in STATE_GAUGES}


def assert_all_freed(stack: Stack) -> None:
    """Every tracked-state total back to 0, then (and still after) a fresh client works."""
    last: dict[str, float] = {}

    def freed() -> bool:
        last.update(state(stack))
        return not any(last.values())

    try:
        wait_for("every tracked-state gauge at 0", freed)
    except AssertionError:
        raise AssertionError(f"state left after close: {last}") from None
    assert_survived(stack)
    wait_for("state freed after the bystanders", freed)


def placeholder_header(count: int, ack_id: int | None = None) -> str:
    holders = ",".join(json.dumps({"_placeholder": True, "num": n}) for n in range(count))
    return f'45{count}-{"" if ack_id is None else ack_id}["upload",{holders}]'


def drop(client: WsClient) -> None:
    """Hang up without a close frame (RST), like a crashed client."""
    sock = client.ws.sock
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    sock.close()


def test_partial_binary_packets_are_freed_on_close(stack: Stack) -> None:
    part = b"\x01" * 4096
    held = []
    for i in range(100):
        client = WsClient(stack.ws_url())
        client.open_sio()
        client.ws.send(placeholder_header(10))
        for _ in range(9):  # the tenth attachment never comes
            client.ws.send_binary(part)
        held.append(client)
        if i == 0:
            wait_for(
                "the first half packet counted",
                lambda: metric(stack.admin, "sioproxy_pending_attachment_bytes") >= 9 * 4096,
            )
    wait_for(
        "100 half packets held",
        lambda: metric(stack.admin, "sioproxy_pending_attachment_bytes") >= 100 * 9 * 4096,
    )
    for n, client in enumerate(held):
        client.close() if n % 2 else drop(client)
    assert_all_freed(stack)


def test_a_binary_packet_counts_against_max_body_once(stack: Stack) -> None:
    part = b"\x02" * (MAX_BODY - 1024)  # each attachment alone is under the limit
    client = WsClient(stack.ws_url())
    try:
        client.open_sio()
        client.ws.send(placeholder_header(10))
        for _ in range(9):
            client.ws.send_binary(part)
        wait_for(
            "the packet over max_body dropped",
            lambda: log_has(stack.proxy, rf"binary packet larger than {MAX_BODY} bytes"),
        )
        assert metric(stack.admin, "sioproxy_pending_attachment_bytes") == 0
        client.ws.send_binary(part)  # the upstream reassembles the whole packet and goes on
        # Dropped from decoding, not from the wire: the connection still works.
        client.ws.send('421["ack_me","after"]')
        got = client.recv_until(lambda d: isinstance(d, str) and d.startswith("431"))
        assert got == '431["after","ack"]'
    finally:
        client.close()
    assert_all_freed(stack)


def test_unanswered_acks_are_freed_on_close(stack: Stack) -> None:
    before = metric(stack.admin, C2S_EVENTS)
    clients = []
    for _ in range(20):
        client = WsClient(stack.ws_url())
        client.open_sio()
        for i in range(1, 501):
            client.ws.send(f'42{i}["nobody_listens"]')
        clients.append(client)
    wait_for(
        "every request relayed",
        lambda: metric(stack.admin, C2S_EVENTS) >= before + 20 * 500,
        timeout=60,
    )
    assert state(stack)['sioproxy_pending_ack_entries{table="tracker"}'] >= 20 * 500
    for client in clients:
        client.close()
    assert_all_freed(stack)


def test_acks_with_a_long_namespace_are_bounded_and_freed(stack: Stack) -> None:
    nsp = "/" + "n" * 1000
    before = metric(stack.admin, C2S_EVENTS)
    for _ in range(10):
        client = WsClient(stack.ws_url())
        client.open_sio()
        # The server closes the connection for events on a namespace it never
        # joined; the proxy has read (and tracked) the burst by then.
        burst = [f'42{nsp},{i}["nobody_listens"]' for i in range(1, 5001)]
        try:
            for message in burst:
                client.ws.send(message)
        except (OSError, websocket.WebSocketException):
            pass
        client.close()
    wait_for("the bursts seen", lambda: metric(stack.admin, C2S_EVENTS) > before)
    assert_all_freed(stack)


def test_websocket_churn(stack: Stack) -> None:
    for n in range(300):
        client = WsClient(stack.ws_url())
        client.open_sio()
        client.ws.send('42["echo","x"]')
        if n % 3 == 0:
            drop(client)
        else:
            client.close()
    assert_all_freed(stack)


def test_polling_churn_and_upgrades(stack: Stack) -> None:
    for n in range(100):
        sid = polling_open(stack)
        if n % 2:
            upgraded = WsClient(stack.ws_url(f"EIO=4&transport=websocket&sid={sid}"))
            upgraded.ws.send("2probe")
            upgraded.recv_until(lambda d: d == "3probe")
            upgraded.ws.send("5")
            upgraded.close()
        else:
            assert post(stack, sid, b"1")[0] == 200
    assert_all_freed(stack)


def test_made_up_sids_create_no_state_and_no_lines(stack: Stack) -> None:
    host, port = stack.host_port
    # Earlier tests' last lines may still be on their way (the recorder writes every
    # 0.1 s), and their connections' heartbeats go on being recorded: count connections
    # that are new, once the file stopped growing.
    settle(stack.out)
    conns_before = {entry.get("conn") for entry in iter_recording(stack.out)}
    remembered = metric(stack.admin, "sioproxy_closed_sids_remembered")
    base = f"{stack.proxy.url}/socket.io/?EIO=4&transport=polling"
    for n in range(500):
        status, _, _ = http_get(f"{base}&sid=madeup{n:05d}")
        assert status == 400
    for n in range(100):
        conn = http.client.HTTPConnection(host, port, timeout=WAIT)
        conn.request("POST", f"/socket.io/?EIO=4&transport=polling&sid=posted{n}", body=b"1")
        assert conn.getresponse().status == 400
        conn.close()
    assert_all_freed(stack)
    # The two bystanders' sids only: a made-up sid is not remembered.
    assert metric(stack.admin, "sioproxy_closed_sids_remembered") == remembered + 2
    madeup = [
        entry
        for entry in iter_recording(stack.out)
        if "madeup" in json.dumps(entry) or "posted" in json.dumps(entry)
    ]
    assert madeup == []
    new_lines = [e for e in iter_recording(stack.out) if e.get("conn") not in conns_before]
    # Only the bystanders of assert_all_freed may have been recorded (two connections).
    assert len({e.get("conn") for e in new_lines}) <= 2, new_lines
    assert len(new_lines) < 40, len(new_lines)


def settle(path: Path, quiet: float = 0.3, limit: float = 5.0) -> None:
    """Wait until ``path`` has not grown for ``quiet`` seconds (at most ``limit``)."""
    deadline = time.monotonic() + limit
    size = path.stat().st_size
    while time.monotonic() < deadline:
        time.sleep(quiet)
        now = path.stat().st_size
        if now == size:
            return
        size = now
