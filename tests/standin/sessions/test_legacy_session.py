"""The pure 0.9 server session, driven directly (docs/protocol.md#part-a vectors)."""

from __future__ import annotations

import pytest

from sioproxy.codec.legacy import LegacyPacket, LegacyType
from sioproxy.standin.sessions.app import StandInConfig
from sioproxy.standin.sessions.legacy_session import (
    LegacySession,
    handshake_response,
    unknown_sid_response,
)
from sioproxy.types import Generation
from tests.standin.sessions.echo import Recorder, echo_factory
from tests.standin.sessions.helpers import (
    FakeClock,
    advance_to_deadline,
    ended,
    replies,
    ws_closed,
    ws_sent,
)

SID = "4d4f185e96a7b"
XHR = "xhr-polling"


def make(**config: object) -> tuple[LegacySession, FakeClock, Recorder]:
    clock, recorder = FakeClock(), Recorder()
    session = LegacySession(
        sid=SID,
        label="c1",
        config=StandInConfig(generation=Generation.LEGACY, **config),  # type: ignore[arg-type]
        app_factory=echo_factory(recorder),
        clock=clock,
    )
    session.start()
    return session, clock, recorder


def connected(**config: object) -> tuple[LegacySession, FakeClock, Recorder]:
    session, clock, recorder = make(**config)
    first = session.poll(1, XHR)
    assert first is not None
    assert first.body == b"1::"
    return session, clock, recorder


def test_handshake_body_and_jsonp_variant() -> None:
    config = StandInConfig(
        generation=Generation.LEGACY,
        heartbeat_timeout=15,
        close_timeout=10,
        transports=("websocket", "htmlfile", "xhr-polling"),
    )
    plain = handshake_response(SID, config, None)
    assert plain.body == b"4d4f185e96a7b:15:10:websocket,xhr-polling"  # htmlfile not served
    wrapped = handshake_response(SID, config, 0)
    assert wrapped.body == b'io.j[0]("4d4f185e96a7b:15:10:websocket,xhr-polling");'
    assert wrapped.content_type == "application/javascript"
    off = StandInConfig(generation=Generation.LEGACY, heartbeat_timeout=None)
    assert handshake_response(SID, off, None).body.split(b":")[1] == b""


def test_first_transport_connection_gets_connect_and_opens_the_app() -> None:
    session, _, recorder = make()
    assert recorder.opened == []
    response = session.poll(1, XHR)
    assert response is not None
    assert response.body == b"1::"
    assert response.content_type == "text/plain; charset=UTF-8"
    assert [c.transport for c in recorder.opened] == [XHR]


def test_several_queued_packets_are_framed_with_utf16_lengths() -> None:
    # A.5 [run] vector: é counts 1 and 😀 counts 2
    session, _, recorder = connected()
    conn = recorder.opened[0]
    for data in ("é", "😀"):
        conn.send(LegacyPacket(type=LegacyType.MESSAGE, data=data))
    conn.send(LegacyPacket(type=LegacyType.EVENT, data='{"name":"a","args":["€"]}'))
    response = session.poll(2, XHR)
    assert response is not None
    assert response.body.hex() == (
        "efbfbd35efbfbd333a3a3ac3a9efbfbd36efbfbd333a3a3af09f9880efbfbd3239efbfbd"
        "353a3a3a7b226e616d65223a2261222c2261726773223a5b22e282ac225d7d"
    )


def test_a_held_get_gets_one_packet_bare_and_after_the_polling_duration_a_noop() -> None:
    session, clock, recorder = connected(polling_duration=20)
    assert session.poll(2, XHR) is None
    recorder.opened[0].send(LegacyPacket(type=LegacyType.MESSAGE, data="hi"))
    assert [(i, r.body) for i, r in replies(session.take_effects())] == [(2, b"3:::hi")]
    assert session.poll(3, XHR) is None
    start = clock.now
    advance_to_deadline(session, clock)
    assert clock.now == start + 20
    assert [(i, r.body) for i, r in replies(session.take_effects())] == [(3, b"8::")]


def test_close_timeout_ends_a_session_nobody_polls() -> None:
    session, clock, recorder = connected(close_timeout=10)
    start = clock.now
    advance_to_deadline(session, clock)
    assert clock.now == start + 10
    assert ended(session.take_effects()) == ["close timeout"]
    assert recorder.closed == [("c1", "close timeout")]


def test_post_payload_is_split_heartbeats_kept_from_the_app() -> None:
    session, _, recorder = connected()
    body = "\ufffd5\ufffd3:::a\ufffd3\ufffd2::\ufffd8\ufffd1::/chat".encode()
    response = session.post(body, XHR)
    assert (response.status, response.body) == (200, b"1")
    got = [p for _, p in recorder.packets]
    assert [(p.type, p.endpoint, p.data) for p in got] == [
        (LegacyType.MESSAGE, "", "a"),
        (LegacyType.CONNECT, "/chat", None),
    ]
    echoed = session.poll(2, XHR)
    assert echoed is not None
    assert echoed.body == "\ufffd5\ufffd3:::a\ufffd8\ufffd1::/chat".encode()


def test_jsonp_polling_get_and_post() -> None:
    # A.3.3 [run]: io.j[1]("1::"); and d=%223%3A%3A%3Aa%22
    session, _, recorder = make()
    response = session.poll(1, "jsonp-polling", 1)
    assert response is not None
    assert response.body == b'io.j[1]("1::");'
    assert response.content_type == "text/javascript; charset=UTF-8"
    session.post(b"d=%223%3A%3A%3Aa%22", "jsonp-polling", jsonp=True)
    assert [p.data for _, p in recorder.packets] == ["a"]
    echoed = session.poll(2, "jsonp-polling", 0)
    assert echoed is not None
    assert echoed.body == b'io.j[0]("3:::a");'


def test_websocket_connect_heartbeats_and_heartbeat_timeout() -> None:
    session, clock, recorder = make(ping_interval=25, heartbeat_timeout=60)
    assert session.ws_attach("websocket")
    assert ws_sent(session.take_effects()) == ["1::"]
    assert not session.ws_attach("websocket")
    start = clock.now
    advance_to_deadline(session, clock)
    assert clock.now == start + 25
    assert ws_sent(session.take_effects()) == ["2::"]
    clock.now += 5
    session.ws_message("2::")  # the client's answer re-arms the interval
    assert session.next_deadline() == clock.now + 25
    advance_to_deadline(session, clock)
    assert ws_sent(session.take_effects()) == ["2::"]
    advance_to_deadline(session, clock)  # no answer within 60 s
    effects = session.take_effects()
    assert ws_closed(effects)
    assert ended(effects) == ["heartbeat timeout"]
    assert recorder.packets == []


def test_no_heartbeats_on_polling() -> None:
    session, clock, _ = connected(ping_interval=1, close_timeout=None, polling_duration=5)
    assert session.poll(2, XHR) is None
    advance_to_deadline(session, clock)
    assert [r.body for _, r in replies(session.take_effects())] == [b"8::"]


@pytest.mark.parametrize("via_ws", [True, False])
def test_client_disconnect_is_echoed_and_ends(via_ws: bool) -> None:
    session, _, recorder = make()
    if via_ws:
        session.ws_attach("websocket")
        session.take_effects()
        session.ws_message("0::")
        effects = session.take_effects()
        assert ws_sent(effects) == ["0::"]
        assert ws_closed(effects)
    else:
        session.poll(1, XHR)
        assert session.poll(2, XHR) is None
        session.post(b"0::", XHR)
        effects = session.take_effects()
        assert [r.body for _, r in replies(effects)] == [b"0::"]
    assert ended(effects) == ["client disconnect"]
    assert recorder.closed == [("c1", "client disconnect")]


def test_namespace_disconnect_goes_to_the_app() -> None:
    session, _, recorder = connected()
    session.post(b"0::/chat", XHR)
    assert session.ended is None
    assert [(p.type, p.endpoint) for _, p in recorder.packets] == [(LegacyType.DISCONNECT, "/chat")]


def test_disconnect_query_and_unknown_sid() -> None:
    session, _, _ = connected()
    response = session.disconnect_request()
    assert (response.status, response.body) == (200, b"")
    assert ended(session.take_effects()) == ["client disconnect"]
    assert unknown_sid_response(None).body == b"7:::1+0"
    assert unknown_sid_response(2).body == b'io.j[2]("7:::1+0");'
    after = session.poll(5, XHR)
    assert after is not None
    assert after.body == b"7:::1+0"


def test_server_close_sends_disconnect_then_ends() -> None:
    session, _, recorder = connected()
    recorder.opened[0].close()
    response = session.poll(2, XHR)
    assert response is not None
    assert response.body == b"0::"
    assert ended(session.take_effects()) == ["server disconnect"]


def test_handshake_expires_without_a_transport() -> None:
    session, clock, _ = make()
    advance_to_deadline(session, clock)
    assert ended(session.take_effects()) == ["handshake expired"]
