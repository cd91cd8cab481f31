"""A failed exchange of a polling session ends it in the session tracker (pure, no I/O).

Regression: an upstream that died mid polling session left the connection
open in the recording until the proxy stopped; the client had already been
told (502) and engine.io clients close on that (docs/protocol.md#b9).
"""

from __future__ import annotations

from sioproxy.session import SessionTracker
from sioproxy.session.events import ConnectionClosed, ConnectionOpened
from sioproxy.types import Direction

OPEN = b'0{"sid":"s1","upgrades":["websocket"],"pingInterval":25000,"pingTimeout":20000}'
PATH = "/socket.io/"


def _opened() -> SessionTracker:
    tracker = SessionTracker(clock=lambda: 0.0)
    tracker.http_request(1, "GET", PATH, "EIO=4&transport=polling", (), b"")
    events = tracker.http_response(1, 200, (), OPEN)
    assert any(isinstance(e, ConnectionOpened) for e in events)
    return tracker


def test_upstream_failure_on_a_poll_closes_the_connection() -> None:
    tracker = _opened()
    tracker.http_request(2, "POST", PATH, "EIO=4&transport=polling&sid=s1", (), b"")
    events = tracker.http_error(2, "upstream unreachable: connection refused")
    assert len(events) == 1
    closed = events[0]
    assert isinstance(closed, ConnectionClosed)
    assert closed.reason == "upstream error: upstream unreachable: connection refused"
    assert closed.by is Direction.S2C
    assert tracker.open_connections() == 0


def test_client_hang_up_keeps_the_connection() -> None:
    tracker = _opened()
    tracker.http_request(2, "GET", PATH, "EIO=4&transport=polling&sid=s1", (), b"")
    assert tracker.http_error(2) == []
    assert tracker.open_connections() == 1


def test_failure_outside_a_session_closes_nothing() -> None:
    tracker = SessionTracker(clock=lambda: 0.0)
    tracker.http_request(1, "GET", PATH, "EIO=4&transport=polling", (), b"")
    assert tracker.http_error(1, "upstream unreachable") == []
    assert tracker.http_error(99, "unknown exchange") == []
