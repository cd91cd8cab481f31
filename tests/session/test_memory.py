"""Bounded tracker state: freed on close, capped while open, nothing for made-up sids."""

from __future__ import annotations

import itertools
import json

from sioproxy.session import ConnectionClosed, ConnectionOpened, PacketSeen, SessionTracker
from sioproxy.session.connection import MAX_ACK_TABLE_BYTES, MAX_OUTSTANDING_ACKS
from sioproxy.session.upkeep import MAX_UNOPENED
from sioproxy.types import Direction

C2S, S2C = Direction.C2S, Direction.S2C
WS = "EIO=4&transport=websocket"
OPEN4 = b'0{"sid":"S1","upgrades":[],"pingInterval":25000,"pingTimeout":20000}'


def tracker(**kwargs: int) -> SessionTracker:
    ticks = itertools.count()
    return SessionTracker(clock=lambda: float(next(ticks)), **kwargs)  # type: ignore[arg-type]


def header(count: int) -> bytes:
    holders = ",".join(json.dumps({"_placeholder": True, "num": n}) for n in range(count))
    return f'45{count}-["up",{holders}]'.encode()


def open_ws(t: SessionTracker, ws_id: int) -> None:
    t.ws_open(ws_id, "GET", "/socket.io/", WS, ())
    t.ws_message(ws_id, S2C, OPEN4.replace(b"S1", f"S{ws_id}".encode()), False)


def test_a_closed_connection_is_freed_and_forgotten() -> None:
    t = tracker()
    open_ws(t, 1)
    for i in range(1, 101):
        t.ws_message(1, C2S, f'42{i}["no_ack"]'.encode(), False)
    t.ws_message(1, C2S, header(10), False)
    for _ in range(9):
        assert t.ws_message(1, C2S, b"x" * 1000, True) == []
    totals = t.state_totals()
    assert totals["pending_attachment_bytes"] > 9000
    assert totals["pending_ack_entries"] == 100
    (closed,) = t.ws_close(1, C2S, 1000, None)
    assert isinstance(closed, ConnectionClosed)
    # The events of the close can still look the connection up...
    assert t.connections[closed.conn].closed
    assert t.state_totals()["pending_attachment_bytes"] == 0
    # ...until the caller is done with them.
    t.forget_closed()
    assert t.connections == {}
    totals = t.state_totals()
    assert totals["tracked_connections"] == totals["tracked_websockets"] == 0
    assert totals["pending_ack_entries"] == 0


def test_a_binary_packet_counts_against_the_cap_once() -> None:
    t = tracker(max_packet_bytes=5000)
    open_ws(t, 1)
    t.ws_message(1, C2S, header(10), False)
    for _ in range(3):
        assert t.ws_message(1, C2S, b"x" * 1200, True) == []
    (dropped,) = t.ws_message(1, C2S, b"x" * 1200, True)  # 4 x 1,200 + header > 5,000
    assert isinstance(dropped, PacketSeen)
    assert dropped.error is not None
    assert "binary packet larger than 5000 bytes" in dropped.error
    assert t.state_totals()["pending_attachment_bytes"] == 0
    # The rest of that packet is recorded raw; the next packet decodes again.
    (rest,) = t.ws_message(1, C2S, b"x" * 1200, True)
    assert rest.error is not None
    (event,) = t.ws_message(1, C2S, b'42["fine"]', False)
    assert event.error is None


def test_half_packets_of_all_connections_have_a_total_cap() -> None:
    t = tracker(max_packet_bytes=2000)  # total: 64 x 2,000
    assert t.budget.total == 128_000
    for ws_id in range(1, 101):
        open_ws(t, ws_id)
        t.ws_message(ws_id, C2S, header(2), False)
        t.ws_message(ws_id, C2S, b"x" * 1800, True)
    assert t.budget.used <= 128_000
    refused = [c for c in t.connections.values() if c.pending_attachment_bytes == 0]
    assert refused  # the last ones were dropped, not held
    for ws_id in range(1, 101):
        t.ws_close(ws_id, C2S, 1000, None)
    t.forget_closed()
    assert t.budget.used == 0


def test_headers_alone_count_against_the_total_cap() -> None:
    t = tracker(max_packet_bytes=2000)
    padding = "p" * 1800
    big_header = f'451-["up","{padding}",{{"_placeholder":true,"num":0}}]'.encode()
    errors = []
    for ws_id in range(1, 101):
        open_ws(t, ws_id)
        errors += t.ws_message(ws_id, C2S, big_header, False)
    assert t.budget.used <= 128_000
    assert errors
    reason = "binary packets of all connections over 128000 bytes: dropped"
    assert all(reason in str(e.error) for e in errors)


def test_ack_table_is_capped_by_size_with_long_namespaces() -> None:
    t = tracker()
    open_ws(t, 1)
    nsp = "/" + "n" * 1000
    for i in range(1, 5001):
        t.ws_message(1, C2S, f'42{nsp},{i}["x"]'.encode(), False)
    (conn,) = t.connections.values()
    assert conn.ack_table_bytes <= MAX_ACK_TABLE_BYTES
    assert 3000 < conn.pending_acks < 5000
    # The newest request is still answered.
    (ack,) = t.ws_message(1, S2C, f"43{nsp},5000[]".encode(), False)
    assert ack.ack_of is not None
    assert conn.pending_acks < MAX_OUTSTANDING_ACKS


def test_made_up_sids_create_nothing() -> None:
    t = tracker()
    for n in range(1000):
        query = f"EIO=4&transport=polling&sid=fake{n}"
        assert t.http_request(n, "GET", "/socket.io/", query, (), b"") == []
        assert t.http_response(n, 400, (), b'{"code":1}') == []
    for n in range(1000, 1100):
        query = f"EIO=4&transport=polling&sid=fake{n}"
        assert t.http_request(n, "POST", "/socket.io/", query, (), b'42["x"]') == []
        assert t.http_response(n, 400, (), b"") == []
    totals = t.state_totals()
    assert totals["tracked_connections"] == totals["tracked_exchanges"] == 0
    assert totals["closed_sids_remembered"] == 0


def test_an_unknown_sid_the_upstream_accepts_is_adopted() -> None:
    # A session that began before the proxy: a session once the upstream says 200.
    t = tracker()
    query = "EIO=4&transport=polling&sid=OLD"
    assert t.http_request(1, "POST", "/socket.io/", query, (), b'42["first"]') == []
    opened, packet = t.http_response(1, 200, (), b"ok")
    assert isinstance(opened, ConnectionOpened)
    assert opened.sid == "OLD"
    assert isinstance(packet, PacketSeen)
    assert packet.direction is C2S
    assert packet.raw == '42["first"]'
    t.http_request(2, "GET", "/socket.io/", query, (), b"")
    (answer,) = t.http_response(2, 200, (), b'42["second"]')
    assert isinstance(answer, PacketSeen)
    assert answer.conn == opened.conn


def test_tracked_connections_are_capped() -> None:
    t = tracker(max_connections=3)
    for ws_id in range(1, 6):
        t.ws_open(ws_id, "GET", "/socket.io/", WS, ())
    assert len(t.connections) == 3
    assert t.upkeep.untracked == 2
    assert t.ws_message(5, C2S, b'42["x"]', False) == []  # relayed, not tracked
    t.ws_close(1, C2S, 1000, None)
    t.forget_closed()
    assert t.ws_open(6, "GET", "/socket.io/", WS, ()) != []


def test_unopened_legacy_handshakes_are_bounded() -> None:
    t = tracker()
    for n in range(MAX_UNOPENED + 50):
        t.http_request(n, "GET", "/socket.io/1/", f"t={n}", (), b"")
        t.http_response(n, 200, (), f"sid{n}:60:60:xhr-polling".encode())
    assert len(t.connections) == MAX_UNOPENED
    # The newest still opens on its transport; the oldest was forgotten.
    newest = MAX_UNOPENED + 49
    path = f"/socket.io/1/xhr-polling/sid{newest}"
    assert t.http_request(10**6, "GET", path, "", (), b"") != []


def test_a_polling_client_that_went_away_is_closed_after_its_ping_timeout() -> None:
    now = [0.0]
    t = SessionTracker(clock=lambda: now[0])
    t.http_request(1, "GET", "/socket.io/", "EIO=4&transport=polling", (), b"")
    t.http_response(1, 200, (), OPEN4)  # ping interval 25 s + timeout 20 s: limit 105 s
    query = "EIO=4&transport=polling&sid=S1"
    t.http_request(2, "GET", "/socket.io/", query, (), b"")  # a long poll in flight
    now[0] = 500.0
    assert t.expire_idle() == []  # never while a request is in flight
    t.http_response(2, 200, (), b"2")
    now[0] = 600.0
    assert t.expire_idle() == []
    now[0] = 606.0
    (closed,) = t.expire_idle()
    assert isinstance(closed, ConnectionClosed)
    assert closed.reason == "no request for 106 s: the client went away"
    t.forget_closed()
    assert t.connections == {}
    # Its late requests open nothing.
    assert t.http_request(3, "GET", "/socket.io/", query, (), b"") == []


def test_the_live_observer_sweeps_abandoned_polling_connections() -> None:
    from sioproxy.proxy.live import IDLE_SWEEP_SECONDS, LiveObserver
    from sioproxy.proxy.observer import RequestInfo

    now = [0.0]
    seen: list[object] = []
    observer = LiveObserver(clock=lambda: now[0], sinks=[seen.append])

    def request(n: int, query: str) -> None:
        req = RequestInfo(
            method="GET", path="/socket.io/", query=query, headers=(), client="c", scheme="http"
        )
        observer.on_http_request(n, req, b"")
        observer.on_http_response(n, req, 200, (), OPEN4 if n == 1 else b"6")

    request(1, "EIO=4&transport=polling")
    now[0] = 200.0 + IDLE_SWEEP_SECONDS
    request(2, "EIO=4&transport=polling")  # another client's request triggers the sweep
    closes = [e for e in seen if isinstance(e, ConnectionClosed)]
    assert [c.conn for c in closes] == ["c1"]
    assert observer.tracker.state_totals()["tracked_connections"] == 1  # c2


def test_unopened_legacy_handshakes_expire() -> None:
    now = [0.0]
    t = SessionTracker(clock=lambda: now[0])
    t.http_request(1, "GET", "/socket.io/1/", "t=1", (), b"")
    t.http_response(1, 200, (), b"abc:60:60:xhr-polling")
    assert len(t.connections) == 1
    now[0] = 60 + 60 + 61.0
    assert t.expire_idle() == []  # nothing was published for it: nothing to close
    assert t.connections == {}


def test_made_up_legacy_sids_create_nothing() -> None:
    # node 0.9 answers an unknown sid with 200 and "client not handshaken".
    t = tracker()
    for n, (transport, body) in enumerate(
        [("xhr-polling", b"7:::1+0"), ("jsonp-polling", b'io.j[0]("7:::1+0");')]
    ):
        path = f"/socket.io/1/{transport}/fake{n}"
        assert t.http_request(n, "GET", path, "t=1&i=0", (), b"") == []
        assert t.http_response(n, 200, (), body) == []
    assert t.connections == {}
    # A session of a 0.9 server that began before the proxy is adopted.
    t.http_request(9, "GET", "/socket.io/1/xhr-polling/old", "t=2", (), b"")
    opened, heartbeat = t.http_response(9, 200, (), b"2::")
    assert isinstance(opened, ConnectionOpened)
    assert isinstance(heartbeat, PacketSeen)
