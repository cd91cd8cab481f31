"""Request targets that are not origin-form (``/path?query``): 400, never a request upstream.

The proxy builds upstream URLs as ``scheme://host:port`` + prefix + path. A
target ``1/socket.io/...`` behind ``--upstream http://127.0.0.1:P`` used to
reach port ``P1``: a canary listens there and must see nothing, on the
polling path and on the WebSocket path. Absolute-form targets used to give a
502 and a traceback.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.hostile.edge_clients import (
    accepted,
    connect,
    free_port_ending_in,
    plain_proxy,
    read_until_closed,
    replay_process,
    request_head,
    status_of,
    ws_upgrade_head,
)
from tests.hostile.harness import Stack, assert_survived, metric
from tests.interop.sioproxy_proc import RunningSioproxy
from tests.ops.helpers import http_get

pytestmark = pytest.mark.interop

BAD_TARGET = 'sioproxy_refused_total{reason="bad_target"}'
POLLING = "/socket.io/?EIO=4&transport=polling"
WEBSOCKET = "/socket.io/?EIO=4&transport=websocket"


def _send(url: str, head: bytes) -> bytes:
    sock = connect(url)
    try:
        sock.sendall(head)
        return read_until_closed(sock)
    finally:
        sock.close()


@pytest.fixture
def canary() -> Iterator[tuple[RunningSioproxy, int, object]]:
    """A proxy for upstream port P, and a listener on port P*10+1 that must stay untouched."""
    listener, port = free_port_ending_in(1)
    proxy = plain_proxy(f"http://127.0.0.1:{port // 10}")
    try:
        yield proxy, port, listener
    finally:
        proxy.stop()
        listener.close()


@pytest.mark.parametrize("head", ["polling", "websocket"])
def test_target_without_slash_cannot_reach_another_port(
    canary: tuple[RunningSioproxy, int, object], head: str
) -> None:
    proxy, _port, listener = canary
    target = "1" + (POLLING if head == "polling" else WEBSOCKET)
    request = request_head("GET", target) if head == "polling" else ws_upgrade_head(target)
    answer = _send(proxy.url, request)
    assert status_of(answer) == 400, answer[:200]
    assert answer.endswith(b"sioproxy: request target must start with '/'\n")
    assert not accepted(listener)  # type: ignore[arg-type]
    assert proxy.process.poll() is None


@pytest.mark.parametrize(
    "target",
    [
        "http://127.0.0.1:9" + POLLING,  # absolute-form
        "127.0.0.1:9",  # authority-form
        "*",  # asterisk-form
        "@127.0.0.1:9" + POLLING,
        "/socket.io/#frag",
    ],
)
def test_other_target_forms_get_400(stack: Stack, target: str) -> None:
    before = metric(stack.admin, BAD_TARGET)
    for head in (request_head("GET", target), ws_upgrade_head(target)):
        answer = _send(stack.proxy.url, head)
        assert status_of(answer) == 400, answer[:200]
    assert metric(stack.admin, BAD_TARGET) == before + 2
    assert "Traceback" not in stack.proxy.stderr_text()
    assert_survived(stack)


def test_replay_refuses_bad_targets_too() -> None:
    with replay_process() as (replay, admin):
        for target in ("1" + POLLING, "http://127.0.0.1:9" + POLLING):
            for head in (request_head("GET", target), ws_upgrade_head(target)):
                assert status_of(_send(replay.url, head)) == 400
        assert metric(admin, BAD_TARGET) == 4
        status, _, body = http_get(f"{replay.url}{POLLING}")
        assert status == 200, body
        assert body.startswith("0{"), body
