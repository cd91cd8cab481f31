"""Hostile polling peers through the live proxy: oversize, garbage, bad UTF-8, dribbling.

Each case: the proxy stays up, other connections still work, the case shows
in the log and in ``/metrics``.
"""

from __future__ import annotations

import pytest

from tests.hostile.harness import (
    MAX_BODY,
    WAIT,
    Stack,
    assert_survived,
    bystander_polling,
    bystander_ws,
    log_has,
    metric,
    polling_open,
    post,
    raw_socket,
    wait_for,
    wait_for_log,
)

pytestmark = pytest.mark.interop

C2S_ERRORS = 'sioproxy_decode_errors_total{direction="c2s"}'
UPSTREAM_ERRORS = "sioproxy_upstream_errors_total"


def test_oversized_polling_body_gets_413(stack: Stack) -> None:
    before = metric(stack.admin, UPSTREAM_ERRORS)
    sid = polling_open(stack)
    status, body = post(stack, sid, b"4" + b"x" * MAX_BODY)
    assert status == 413, body
    assert body.startswith(b"sioproxy: request body larger than")
    assert metric(stack.admin, UPSTREAM_ERRORS) >= before + 1
    wait_for_log(stack.proxy, r"upstream error on POST .*request body larger than 65536")
    assert_survived(stack)


def test_oversized_upstream_response_gets_502(stack: Stack) -> None:
    """The upstream queues more than max_body for a long poll: 502, never a crash."""
    sid = polling_open(stack)
    chunk = "y" * (MAX_BODY // 4)
    for i in range(6):  # six echoes of 16 KB queue ~96 KB upstream
        assert post(stack, sid, f'42["echo","{i}{chunk}"]'.encode())[0] == 200
    before = metric(stack.admin, UPSTREAM_ERRORS)
    status, body = _get_poll(stack, sid)
    assert status == 502, body[:200]
    assert b"upstream body" in body
    assert b"65536" in body
    assert metric(stack.admin, UPSTREAM_ERRORS) >= before + 1
    wait_for_log(stack.proxy, r"upstream error on GET .*upstream body")
    assert_survived(stack)


def _get_poll(stack: Stack, sid: str) -> tuple[int, bytes]:
    import http.client

    host, port = stack.host_port
    conn = http.client.HTTPConnection(host, port, timeout=WAIT)
    try:
        conn.request("GET", f"/socket.io/?EIO=4&transport=polling&sid={sid}")
        response = conn.getresponse()
        return response.status, response.read()
    finally:
        conn.close()


def test_garbage_polling_body_is_counted(stack: Stack) -> None:
    before = metric(stack.admin, C2S_ERRORS)
    sid = polling_open(stack)
    post(stack, sid, b"\x1e\x1e!!garbage")  # the upstream answers as it likes
    wait_for("the decode error", lambda: metric(stack.admin, C2S_ERRORS) >= before + 1)
    wait_for_log(stack.proxy, r"-> polling DECODE ERROR")
    assert_survived(stack)


def test_invalid_utf8_polling_body_is_counted(stack: Stack) -> None:
    before = metric(stack.admin, C2S_ERRORS)
    sid = polling_open(stack)
    post(stack, sid, b'42["echo","\xff\xfe"]')
    wait_for("the decode error", lambda: metric(stack.admin, C2S_ERRORS) >= before + 1)
    wait_for_log(stack.proxy, r"DECODE ERROR .*invalid UTF-8")
    assert_survived(stack)


def test_slow_polling_request_that_dribbles_bytes(stack: Stack) -> None:
    """A POST sent a byte at a time does not hold up anyone else, and still completes."""
    sid = polling_open(stack)
    body = b'42["echo","dribbled"]'
    head = (
        f"POST /socket.io/?EIO=4&transport=polling&sid={sid} HTTP/1.1\r\n"
        f"Host: 127.0.0.1\r\nContent-Type: text/plain\r\nContent-Length: {len(body)}\r\n\r\n"
    ).encode()
    sock = raw_socket(stack)
    try:
        data = head + body
        half = len(data) // 2
        for i in range(half):
            sock.sendall(data[i : i + 1])
        # Mid-request: other clients are served while this one dribbles.
        bystander_ws(stack, "while-dribbling")
        bystander_polling(stack, "while-dribbling-2")
        for i in range(half, len(data)):
            sock.sendall(data[i : i + 1])
        answer = sock.recv(4096)
        assert answer.startswith(b"HTTP/1.1 200"), answer
    finally:
        sock.close()
    wait_for("the dribbled event", lambda: log_has(stack.proxy, r'event "echo" \["dribbled"\]'))
    assert_survived(stack)


def test_half_sent_request_then_hang_up(stack: Stack) -> None:
    """A client announces a big body, sends part, and disconnects."""
    sid = polling_open(stack)
    sock = raw_socket(stack)
    try:
        sock.sendall(
            (
                f"POST /socket.io/?EIO=4&transport=polling&sid={sid} HTTP/1.1\r\n"
                'Host: 127.0.0.1\r\nContent-Length: 50000\r\n\r\n42["echo","'
            ).encode()
        )
    finally:
        sock.close()
    assert_survived(stack)
