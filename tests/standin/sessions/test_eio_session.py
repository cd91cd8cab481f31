"""The pure Engine.IO server session, driven directly (docs/protocol.md#part-b vectors)."""

from __future__ import annotations

import json

import pytest

from sioproxy.codec.socketio import SioPacket, SioType
from sioproxy.standin.sessions.app import StandInConfig
from sioproxy.standin.sessions.eio_session import EioSession, PollMode
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

SID = "lv_VI97HAXpY6yYWAAAC"
TEXT = PollMode()
RS = "\x1e"


def make(
    generation: Generation = Generation.EIO4, transport: str = "polling", **config: object
) -> tuple[EioSession, FakeClock, Recorder]:
    clock, recorder = FakeClock(), Recorder()
    session = EioSession(
        sid=SID,
        label="c1",
        config=StandInConfig(generation=generation, **config),  # type: ignore[arg-type]
        app_factory=echo_factory(recorder),
        clock=clock,
        transport=transport,
    )
    session.start()
    return session, clock, recorder


def handshake(session: EioSession, mode: PollMode = TEXT) -> bytes:
    response = session.poll(1, mode)
    assert response is not None
    assert response.status == 200
    return response.body


def held_body(session: EioSession, poll_id: int, mode: PollMode = TEXT) -> bytes:
    """Make a GET that must be held, then return what the session answered it with."""
    assert session.poll(poll_id, mode) is None
    return b""


def test_eio4_open_packet_has_node_key_order_and_recorded_timings() -> None:
    session, _, _ = make(ping_interval=25, ping_timeout=5)
    body = handshake(session).decode()
    assert body == (
        '0{"sid":"lv_VI97HAXpY6yYWAAAC","upgrades":["websocket"],'
        '"pingInterval":25000,"pingTimeout":5000,"maxPayload":1000000}'
    )


def test_websocket_opened_session_offers_no_upgrades() -> None:
    session, _, _ = make(transport="websocket")
    (frame,) = ws_sent(session.take_effects())
    assert isinstance(frame, str)
    assert frame.startswith("0{")
    assert json.loads(frame[1:])["upgrades"] == []


def test_eio3_handshake_carries_the_apps_connect_in_the_same_payload() -> None:
    # B.3: "96:0{...}2:40" (socket.io 2.x's CONNECT rides in the handshake response)
    session, _, _ = make(Generation.EIO3, ping_interval=25, ping_timeout=5)
    body = handshake(session).decode()
    open_packet = (
        '0{"sid":"lv_VI97HAXpY6yYWAAAC","upgrades":["websocket"],'
        '"pingInterval":25000,"pingTimeout":5000,"maxPayload":1000000}'
    )
    assert body == f"{len(open_packet)}:{open_packet}2:40"


def test_eio3_client_ping_is_answered_with_pong_on_the_next_get() -> None:
    session, _, recorder = make(Generation.EIO3)
    handshake(session)
    assert session.post(b"1:2", "text/plain;charset=UTF-8").body == b"ok"
    response = session.poll(2, TEXT)
    assert response is not None
    assert response.body == b"1:3"
    assert recorder.packets == []  # heartbeats never reach the app


def test_eio3_silence_for_interval_plus_timeout_ends_the_session() -> None:
    session, clock, recorder = make(Generation.EIO3, ping_interval=25, ping_timeout=5)
    handshake(session)
    clock.now += 20
    session.post(b"1:2", None)  # any packet resets the timer
    assert session.next_deadline() == clock.now + 30
    advance_to_deadline(session, clock)
    assert ended(session.take_effects()) == ["ping timeout"]
    assert recorder.closed == [("c1", "ping timeout")]


def test_eio4_server_pings_every_interval_and_a_pong_rearms() -> None:
    session, clock, _ = make(ping_interval=25, ping_timeout=5)
    handshake(session)
    assert session.poll(2, TEXT) is None
    start = clock.now
    advance_to_deadline(session, clock)
    assert clock.now == start + 25
    assert [r.body for _, r in replies(session.take_effects())] == [b"2"]
    assert session.next_deadline() == clock.now + 5  # the pong deadline
    clock.now += 1
    assert session.post(b"3", "text/plain").body == b"ok"
    assert session.next_deadline() == clock.now + 25
    assert session.ended is None


def test_eio4_missing_pong_closes_with_ping_timeout() -> None:
    session, clock, recorder = make(ping_interval=25, ping_timeout=5)
    handshake(session)
    advance_to_deadline(session, clock)  # ping queued, no GET pending
    assert session.poll(2, TEXT) is not None  # the ping
    assert session.poll(3, TEXT) is None
    advance_to_deadline(session, clock)
    effects = session.take_effects()
    assert [r.body for _, r in replies(effects)] == [b"1"]
    assert ended(effects) == ["ping timeout"]
    assert recorder.closed == [("c1", "ping timeout")]


@pytest.mark.parametrize(
    ("generation", "body"), [(Generation.EIO4, b"2"), (Generation.EIO3, b"1:3")]
)
def test_wrong_heartbeat_direction_closes(generation: Generation, body: bytes) -> None:
    session, _, _ = make(generation)
    handshake(session)
    session.post(body, None)
    assert ended(session.take_effects()) == ["invalid heartbeat direction"]


def test_packets_queued_without_a_get_arrive_in_order_in_one_payload() -> None:
    session, _, recorder = make()
    handshake(session)
    conn = recorder.opened[0]
    for name in ("a", "b", "c"):
        conn.send(SioPacket(type=SioType.EVENT, data=[name]))
    response = session.poll(2, TEXT)
    assert response is not None
    assert response.body.decode() == RS.join(['42["a"]', '42["b"]', '42["c"]'])


def test_held_get_is_answered_when_the_app_sends() -> None:
    session, _, recorder = make()
    handshake(session)
    assert session.poll(7, TEXT) is None
    session.take_effects()
    recorder.opened[0].send(SioPacket(type=SioType.EVENT, data=["hey", "Jude"]))
    [(poll_id, response)] = replies(session.take_effects())
    assert (poll_id, response.body) == (7, b'42["hey","Jude"]')


def test_post_with_several_packets_is_split_and_delivered_in_order() -> None:
    session, _, recorder = make()
    handshake(session)
    session.post(b'40\x1e42["hello"]\x1e42["world"]', "text/plain")
    got = [p for _, p in recorder.packets]
    assert [(p.type, p.data) for p in got] == [
        (SioType.CONNECT, None),
        (SioType.EVENT, ["hello"]),
        (SioType.EVENT, ["world"]),
    ]


def test_upgrade_sequence_b8() -> None:
    session, _, recorder = make()
    handshake(session)
    assert session.poll(2, TEXT) is None
    assert session.ws_attach()
    assert not session.ws_attach()  # a second WebSocket is refused
    session.ws_message("2probe")
    effects = session.take_effects()
    assert ws_sent(effects) == ["3probe"]
    assert [(i, r.body) for i, r in replies(effects)] == [(2, b"6")]
    # queued while the client pauses polling: must go out on the WebSocket, in order
    recorder.opened[0].send(SioPacket(type=SioType.EVENT, data=["one"]))
    recorder.opened[0].send(SioPacket(type=SioType.EVENT, data=["two"]))
    session.ws_message("5")
    assert session.transport_name == "websocket"
    assert ws_sent(session.take_effects()) == ['42["one"]', '42["two"]']
    session.ws_message('42["hello"]')
    assert ws_sent(session.take_effects()) == ['42["hello"]']
    late = session.poll(3, TEXT)
    assert late is not None
    assert late.status == 400
    assert json.loads(late.body) == {"code": 3, "message": "Bad request"}


def test_failed_probe_leaves_polling_working() -> None:
    session, clock, _ = make(upgrade_timeout=10)
    handshake(session)
    assert session.ws_attach()
    session.ws_message("2probe")
    advance_to_deadline(session, clock)  # no "5" within the upgrade timeout
    effects = session.take_effects()
    assert ws_closed(effects)
    assert ended(effects) == []
    assert session.transport_name == "polling"
    assert session.ws_attach()  # a new probe may try again


def test_client_close_answers_the_held_get_with_noop_and_ends() -> None:
    session, _, recorder = make()
    handshake(session)
    assert session.poll(2, TEXT) is None
    assert session.post(b"1", "text/plain").body == b"ok"
    effects = session.take_effects()
    assert [(i, r.body) for i, r in replies(effects)] == [(2, b"6")]
    assert ended(effects) == ["client close"]
    assert recorder.closed == [("c1", "client close")]
    after = session.poll(3, TEXT)
    assert after is not None
    assert json.loads(after.body)["code"] == 1


def test_server_close_rides_on_the_next_poll() -> None:
    session, _, recorder = make()
    handshake(session)
    conn = recorder.opened[0]
    conn.send(SioPacket(type=SioType.EVENT, data=["bye"]))
    conn.close()
    response = session.poll(2, TEXT)
    assert response is not None
    assert response.body.decode() == '42["bye"]\x1e1'
    assert ended(session.take_effects()) == ["server close"]


def test_bad_payload_is_a_400_and_ends_the_session() -> None:
    session, _, _ = make()
    handshake(session)
    response = session.post(b"abc", "text/plain")
    assert response.status == 400
    assert ended(session.take_effects()) == ["parse error"]


BIN = SioPacket(type=SioType.EVENT, data=["b", b"\x01\x02\x03"])
HEADER = '51-["b",{"_placeholder":true,"num":0}]'


def test_binary_out_eio4_polling_is_base64() -> None:
    session, _, recorder = make()
    handshake(session)
    recorder.opened[0].send(BIN)
    response = session.poll(2, TEXT)
    assert response is not None
    assert response.body.decode() == f"4{HEADER}{RS}bAQID"


def test_binary_out_eio3_polling_xhr2_and_b64() -> None:
    session, _, recorder = make(Generation.EIO3)
    handshake(session)
    recorder.opened[0].send(BIN)
    response = session.poll(2, TEXT)
    assert response is not None
    assert response.content_type == "application/octet-stream"
    head = HEADER.encode()
    digits = bytes(int(c) for c in str(len(head) + 1))
    assert response.body == b"\x00" + digits + b"\xff4" + head + b"\x01\x04\xff\x04\x01\x02\x03"
    recorder.opened[0].send(BIN)
    b64 = session.poll(3, PollMode(b64=True))
    assert b64 is not None
    assert b64.body.decode() == f"{len(HEADER) + 1}:4{HEADER}6:b4AQID"


@pytest.mark.parametrize(
    ("generation", "frame"),
    [(Generation.EIO4, b"\x01\x02\x03"), (Generation.EIO3, b"\x04\x01\x02\x03")],
)
def test_binary_out_websocket_frames(generation: Generation, frame: bytes) -> None:
    session, _, recorder = make(generation, transport="websocket")
    session.take_effects()
    recorder.opened[0].send(BIN)
    assert ws_sent(session.take_effects()) == [f"4{HEADER}", frame]


def test_binary_in_websocket_is_reassembled_before_the_app() -> None:
    session, _, recorder = make(transport="websocket")
    session.ws_message("4" + HEADER)
    assert recorder.packets == []  # waits for its attachment
    session.ws_message(b"\x01\x02\x03")
    [(_, packet)] = recorder.packets
    assert isinstance(packet, SioPacket)
    assert packet.resolved == ["b", b"\x01\x02\x03"]


def test_jsonp_get_and_post() -> None:
    session, _, recorder = make(Generation.EIO3)
    body = handshake(session, PollMode(jsonp=3)).decode()
    assert body.startswith('___eio[3]("')
    assert body.endswith('");')
    session.post(b"d=" + b"7%3A42%5B%22a%22%5D", "application/x-www-form-urlencoded", jsonp=True)
    assert [p.data for _, p in recorder.packets] == [["a"]]
