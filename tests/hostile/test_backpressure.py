"""A client that never reads: the proxy stops reading the upstream instead of buffering.

The client asks for ~36 MB of echoes and reads nothing. Every request reaches
the upstream (c2s keeps flowing), but the echoes stall once the kernel and
transport buffers towards the client are full: the proxy reads only a small
fraction of them and its memory does not grow by the volume sent.
"""

from __future__ import annotations

import socket

import pytest

from tests.hostile.harness import (
    MAX_BODY,
    Stack,
    WsClient,
    assert_survived,
    metric,
    rss_kib,
    wait_for,
)

pytestmark = pytest.mark.interop

C2S_EVENTS = 'sioproxy_packets_total{direction="c2s",type="event"}'
S2C_EVENTS = 'sioproxy_packets_total{direction="s2c",type="event"}'
MESSAGES = 600
SIZE = MAX_BODY - 1024  # ~63 KB each, ~38 MB in all


def test_client_that_never_reads(stack: Stack) -> None:
    c2s0, s2c0 = metric(stack.admin, C2S_EVENTS), metric(stack.admin, S2C_EVENTS)
    rss0 = rss_kib(stack.proxy.pid)
    client = WsClient(stack.ws_url(), sockopt=((socket.SOL_SOCKET, socket.SO_RCVBUF, 4096),))
    try:
        client.open_sio()
        payload = "z" * SIZE
        for i in range(MESSAGES):
            client.ws.send(f'42["echo","{i:04d}{payload}"]')
        wait_for(
            "every request relayed upstream",
            lambda: metric(stack.admin, C2S_EVENTS) >= c2s0 + MESSAGES,
            timeout=60,
        )
        # Once every request is upstream, what the proxy read of the echoes is
        # bounded by buffers, not by what the upstream wants to send.
        relayed_back = metric(stack.admin, S2C_EVENTS) - s2c0
        grown_kib = rss_kib(stack.proxy.pid) - rss0
        assert relayed_back < MESSAGES // 3, relayed_back
        assert grown_kib < 16 * 1024, f"proxy RSS grew by {grown_kib} KiB"
        assert_survived(stack)  # the stalled connection does not stall the others
    finally:
        client.close()
    assert_survived(stack)
