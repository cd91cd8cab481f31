"""The sans-IO session tracker: requests and messages in, lifecycle and packet events out."""

from __future__ import annotations

import itertools

import pytest

from sioproxy.proxy.live import LiveObserver
from sioproxy.proxy.observer import RequestInfo
from sioproxy.session import (
    ConnectionClosed,
    ConnectionOpened,
    ConnectionUpgraded,
    PacketSeen,
    SessionTracker,
)
from sioproxy.session.routes import RouteKind, classify
from sioproxy.types import Direction, Generation, TransportName

C2S, S2C = Direction.C2S, Direction.S2C
OPEN4 = b'0{"sid":"S1","upgrades":["websocket"],"pingInterval":25000,"pingTimeout":20000}'


def tracker() -> SessionTracker:
    ticks = itertools.count()
    return SessionTracker(clock=lambda: float(next(ticks)))


@pytest.mark.parametrize(
    ("path", "query", "kind", "generation", "transport", "sid"),
    [
        ("/socket.io/1/", "t=1", RouteKind.LEGACY_HANDSHAKE, Generation.LEGACY, None, None),
        (
            "/socket.io/1/xhr-polling/123",
            "t=1",
            RouteKind.LEGACY_TRANSPORT,
            Generation.LEGACY,
            TransportName.XHR_POLLING,
            "123",
        ),
        (
            "/socket.io/1/websocket/abc",
            "",
            RouteKind.LEGACY_TRANSPORT,
            Generation.LEGACY,
            TransportName.WEBSOCKET,
            "abc",
        ),
        (
            "/socket.io/1//abc/",
            "disconnect=1",
            RouteKind.LEGACY_DISCONNECT,
            Generation.LEGACY,
            None,
            "abc",
        ),
        (
            "/socket.io/",
            "EIO=4&transport=polling&t=x",
            RouteKind.EIO,
            Generation.EIO4,
            TransportName.POLLING,
            None,
        ),
        (
            "/socket.io/",
            "EIO=3&transport=websocket&sid=Q",
            RouteKind.EIO,
            Generation.EIO3,
            TransportName.WEBSOCKET,
            "Q",
        ),
        (
            "/socket.io/",
            "EIO=7&transport=polling",
            RouteKind.EIO,
            Generation.EIO3,
            TransportName.POLLING,
            None,
        ),
        ("/socket.io/socket.io.js", "", RouteKind.OTHER, None, None, None),
        ("/index.html", "EIO=4", RouteKind.OTHER, None, None, None),
    ],
)
def test_routes(
    path: str,
    query: str,
    kind: RouteKind,
    generation: Generation | None,
    transport: TransportName | None,
    sid: str | None,
) -> None:
    route = classify(path, query)
    assert (route.kind, route.generation, route.transport, route.sid) == (
        kind,
        generation,
        transport,
        sid,
    )


def test_eio_polling_session_opens_links_acks_upgrades_and_closes() -> None:
    t = tracker()
    t.http_request(1, "GET", "/socket.io/", "EIO=4&transport=polling", (), b"")
    opened = t.http_response(1, 200, (), OPEN4)
    assert isinstance(opened[0], ConnectionOpened)
    assert opened[0].sid == "S1"
    assert opened[0].seq < opened[1].seq, "the open entry comes before the open packet"
    request = t.http_request(
        2, "POST", "/socket.io/", "EIO=4&transport=polling&sid=S1", (), b'40\x1e4212["ask"]'
    )
    packets = [e for e in request if isinstance(e, PacketSeen)]
    assert [p.raw for p in packets] == ["40", '4212["ask"]']
    t.http_request(3, "GET", "/socket.io/", "EIO=4&transport=polling&sid=S1", (), b"")
    answer = t.http_response(3, 200, (), b'4312["yes"]')
    assert isinstance(answer[0], PacketSeen)
    assert answer[0].ack_of == packets[1].seq
    upgraded = t.ws_open(9, "GET", "/socket.io/", "EIO=4&transport=websocket&sid=S1", ())
    assert isinstance(upgraded[0], ConnectionUpgraded)
    closing = t.ws_message(9, C2S, b"1", False)
    assert isinstance(closing[-1], ConnectionClosed)
    assert closing[-1].by is C2S


def test_binary_packet_is_one_event_with_its_attachments() -> None:
    t = tracker()
    t.ws_open(1, "GET", "/socket.io/", "EIO=4&transport=websocket", ())
    t.ws_message(1, S2C, OPEN4, False)
    assert t.ws_message(1, C2S, b'451-["up",{"_placeholder":true,"num":0}]', False) == []
    (event,) = t.ws_message(1, C2S, b"\x01\x02", True)
    assert isinstance(event, PacketSeen)
    assert event.raw == '451-["up",{"_placeholder":true,"num":0}]'
    assert event.attachments == (b"\x01\x02",)


def test_legacy_session_is_born_at_the_handshake_and_opens_on_its_transport() -> None:
    t = tracker()
    t.http_request(1, "GET", "/socket.io/1/", "t=1", (), b"")
    assert t.http_response(1, 200, (), b"abc:60:60:websocket,xhr-polling") == []
    opened = t.ws_open(2, "GET", "/socket.io/1/websocket/abc", "", ())
    assert isinstance(opened[0], ConnectionOpened)
    assert opened[0].request.path == "/socket.io/1/", "opened with the handshake request"
    assert opened[0].handshake == "abc:60:60:websocket,xhr-polling"
    t.ws_message(2, C2S, b'5:1+::{"name":"hi"}', False)
    (ack,) = t.ws_message(2, S2C, b'6:::1+["ok"]', False)
    assert isinstance(ack, PacketSeen)
    assert ack.ack_of is not None


def test_garbage_is_recorded_raw_with_the_decode_error() -> None:
    t = tracker()
    t.ws_open(1, "GET", "/socket.io/", "EIO=4&transport=websocket", ())
    (event,) = t.ws_message(1, C2S, b"9garbage", False)
    assert isinstance(event, PacketSeen)
    assert event.raw == "9garbage"
    assert event.error is not None
    assert "eio4" in event.error


def test_htmlfile_is_forwarded_untouched_and_logged() -> None:
    notes: list[str] = []
    observer = LiveObserver(clock=lambda: 0.0, sinks=[], note=notes.append)
    request = RequestInfo(
        method="GET",
        path="/socket.io/1/htmlfile/abc",
        query="t=1",
        headers=(),
        client="127.0.0.1:1",
        scheme="http",
    )
    assert observer.wants_body(request) is False
    assert notes == [
        "htmlfile transport forwarded untouched, not decoded: /socket.io/1/htmlfile/abc"
    ]


def test_a_late_poll_for_a_closed_session_opens_no_new_connection() -> None:
    t = tracker()
    t.http_request(1, "GET", "/socket.io/1/", "t=1", (), b"")
    t.http_response(1, 200, (), b"abc:60:60:xhr-polling")
    t.http_request(2, "GET", "/socket.io/1/xhr-polling/abc", "t=2", (), b"")
    closed = t.http_request(3, "POST", "/socket.io/1/xhr-polling/abc", "t=3", (), b"0::")
    assert isinstance(closed[-1], ConnectionClosed)
    late = t.http_request(4, "GET", "/socket.io/1/xhr-polling/abc", "t=4", (), b"")
    assert late == []
    assert t.http_response(4, 200, (), b"8::") == []
    assert list(t.connections) == ["c1"]
    assert t.ws_open(5, "GET", "/socket.io/1/websocket/abc", "", ()) == []


@pytest.mark.parametrize(
    ("code", "reason", "text"),
    [
        (1000, None, "websocket closed (1000)"),
        (4000, "bye", "websocket closed (4000 bye)"),
        (None, None, "websocket closed (no status code)"),  # never "(None)"
    ],
)
def test_websocket_close_reason_names_the_code(
    code: int | None, reason: str | None, text: str
) -> None:
    t = tracker()
    t.ws_open(1, "GET", "/socket.io/", "EIO=4&transport=websocket", ())
    t.ws_message(1, S2C, OPEN4, False)
    (closed,) = t.ws_close(1, C2S, code, reason)
    assert isinstance(closed, ConnectionClosed)
    assert closed.reason == text
