"""A client asking for acks that never come must not grow the proxy without bound.

Regression: the session tracker (and the metrics' round-trip table) kept every
unanswered ack request for the life of the connection; a client emitting
events with fresh ids to a handler that never acks grew the proxy's memory
by every request. Both tables are now capped (MAX_OUTSTANDING_ACKS).
"""

from __future__ import annotations

import pytest

from sioproxy.session import SessionTracker
from sioproxy.session.connection import MAX_OUTSTANDING_ACKS
from sioproxy.types import Direction
from tests.hostile.harness import Stack, WsClient, assert_survived, metric, wait_for

C2S_EVENTS = 'sioproxy_packets_total{direction="c2s",type="event"}'


def test_tracker_forgets_the_oldest_unanswered_requests() -> None:
    tracker = SessionTracker(clock=lambda: 0.0)
    tracker.ws_open(1, "GET", "/socket.io/", "EIO=4&transport=websocket", ())
    tracker.ws_message(
        1, Direction.S2C, b'0{"sid":"s","upgrades":[],"pingInterval":1,"pingTimeout":1}', False
    )
    extra = 50
    for i in range(1, MAX_OUTSTANDING_ACKS + extra + 1):
        tracker.ws_message(1, Direction.C2S, f'42{i}["nobody_acks"]'.encode(), False)
    (conn,) = tracker.connections.values()
    assert conn.pending_acks == MAX_OUTSTANDING_ACKS
    # The newest request is still matched by its ack; the oldest was forgotten.
    newest = MAX_OUTSTANDING_ACKS + extra
    (late,) = tracker.ws_message(1, Direction.S2C, f"43{newest}[]".encode(), False)
    (early,) = tracker.ws_message(1, Direction.S2C, b"431[]", False)
    assert late.ack_of is not None
    assert early.ack_of is None


@pytest.mark.interop
def test_unanswered_acks_through_the_proxy(stack: Stack) -> None:
    count = MAX_OUTSTANDING_ACKS + 2000
    before = metric(stack.admin, C2S_EVENTS)
    client = WsClient(stack.ws_url())
    try:
        client.open_sio()
        for i in range(1, count + 1):
            client.ws.send(f'42{i}["nobody_listens"]')
        wait_for(
            "every request relayed",
            lambda: metric(stack.admin, C2S_EVENTS) >= before + count,
            timeout=120,
        )
        assert metric(stack.admin, "sioproxy_pending_acks") <= MAX_OUTSTANDING_ACKS
    finally:
        client.close()
    assert_survived(stack)
