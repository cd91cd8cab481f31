"""Request bodies past the limit, on every listener: refused while read, never stored.

``sioproxy record`` (``--max-body 65536``, a real node socket.io 4 upstream),
``sioproxy replay`` (the recording's ``maxPayload``, 1,000,000) and the admin
listener. A body announced too large is refused as soon as the headers are
in, without a byte of it; a chunked body that never ends is refused when it
passes the limit. The proxy's RSS barely moves, and fresh clients are served.
"""

from __future__ import annotations

import pytest

from tests.hostile.edge_clients import (
    MIB,
    ChunkedFlood,
    connect,
    read_until_closed,
    replay_process,
    request_head,
    status_of,
)
from tests.hostile.harness import (
    Stack,
    assert_survived,
    log_has,
    metric,
    polling_open,
    rss_kib,
    wait_for,
)
from tests.ops.helpers import http_get

pytestmark = pytest.mark.interop

TOO_LARGE = 'sioproxy_refused_total{reason="body_too_large"}'
ANNOUNCED = 300 * MIB


def _announce_huge(url: str, target: str) -> bytes:
    """Headers announcing 300 MiB, then not one byte of body: the answer must come anyway."""
    sock = connect(url)
    try:
        sock.sendall(
            request_head("POST", target, f"Content-Length: {ANNOUNCED}", "Content-Type: text/plain")
        )
        return read_until_closed(sock)
    finally:
        sock.close()


def _flood_chunked(url: str, target: str, total: int) -> tuple[bytes, int]:
    """A chunked body that never ends (up to ``total`` bytes): the answer and bytes sent."""
    sock = connect(url)
    try:
        sock.sendall(
            request_head("POST", target, "Transfer-Encoding: chunked", "Content-Type: text/plain")
        )
        flood = ChunkedFlood(sock, total).start()
        try:
            answer = read_until_closed(sock)
        finally:
            flood.stop()
        return answer, flood.sent
    finally:
        sock.close()


def test_proxy_refuses_an_announced_huge_body_at_once(stack: Stack) -> None:
    before = metric(stack.admin, TOO_LARGE)
    rss_before = rss_kib(stack.proxy.pid)
    sid = polling_open(stack)
    answer = _announce_huge(stack.proxy.url, f"/socket.io/?EIO=4&transport=polling&sid={sid}")
    assert status_of(answer) == 413, answer[:200]
    assert answer.endswith(b"sioproxy: request body larger than 65536 bytes\n")
    assert metric(stack.admin, TOO_LARGE) == before + 1
    # Logged like any failed exchange (and the session ends in the recording).
    wait_for(
        "the log line",
        lambda: log_has(stack.proxy, r"upstream error on POST .*request body larger than 65536"),
    )
    assert rss_kib(stack.proxy.pid) - rss_before < 16 * 1024
    assert_survived(stack)


def test_proxy_stops_reading_a_chunked_body_at_the_limit(stack: Stack) -> None:
    before = metric(stack.admin, TOO_LARGE)
    rss_before = rss_kib(stack.proxy.pid)
    sid = polling_open(stack)
    target = f"/socket.io/?EIO=4&transport=polling&sid={sid}"
    answer, _sent = _flood_chunked(stack.proxy.url, target, 64 * MIB)
    assert status_of(answer) == 413, answer[:200]
    assert metric(stack.admin, TOO_LARGE) == before + 1
    assert rss_kib(stack.proxy.pid) - rss_before < 16 * 1024
    assert_survived(stack)


def test_proxy_limits_bodies_of_plain_pages_too(stack: Stack) -> None:
    """Outside the Socket.IO path the body streams, but it is still limited while read."""
    before = metric(stack.admin, TOO_LARGE)
    answer = _announce_huge(stack.proxy.url, "/upload")
    assert status_of(answer) == 413, answer[:200]
    assert metric(stack.admin, TOO_LARGE) == before + 1
    assert_survived(stack)


def test_proxy_admin_refuses_bodies(stack: Stack) -> None:
    answer = _announce_huge(stack.admin, "/metrics")
    assert status_of(answer) == 413, answer[:200]
    status, _, _ = http_get(f"{stack.admin}/health")
    assert status == 200
    assert_survived(stack)


def test_replay_refuses_huge_bodies_while_reading() -> None:
    with replay_process() as (replay, admin):
        rss_before = rss_kib(replay.pid)
        target = "/socket.io/?EIO=4&transport=polling&sid=whatever"
        answer = _announce_huge(replay.url, target)
        assert status_of(answer) == 413, answer[:200]
        assert answer.endswith(b"request body larger than 1000000 bytes\n")
        answer, _sent = _flood_chunked(replay.url, target, 64 * MIB)
        assert status_of(answer) == 413, answer[:200]
        assert rss_kib(replay.pid) - rss_before < 16 * 1024
        assert metric(admin, TOO_LARGE) == 2
        assert status_of(_announce_huge(admin, "/health")) == 413
        # A fresh client still gets its handshake.
        status, _, body = http_get(f"{replay.url}/socket.io/?EIO=4&transport=polling")
        assert status == 200, body
        assert body.startswith("0{"), body
        assert replay.process.poll() is None
