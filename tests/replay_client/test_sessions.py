"""The sans-IO client sessions, driven by hand with docs/protocol.md vectors."""

from __future__ import annotations

import json

import pytest

from sioproxy.codec.legacy import decode_packet
from sioproxy.codec.socketio import SioPacket, SioType
from sioproxy.replay_client import (
    Arm,
    Closed,
    Connected,
    Disarm,
    EioClientSession,
    HttpCall,
    LegacyClientSession,
    Received,
    Upgraded,
    WsConnect,
    WsDisconnect,
)
from sioproxy.replay_client.effects import ClientEffect
from sioproxy.session.effects import WsSend

OPEN4 = '0{"sid":"S","upgrades":["websocket"],"pingInterval":25000,"pingTimeout":5000}'


def calls(effects: list[ClientEffect]) -> list[HttpCall]:
    return [e for e in effects if isinstance(e, HttpCall)]


def sends(effects: list[ClientEffect]) -> list[str | bytes]:
    return [e.data for e in effects if isinstance(e, WsSend)]


def received(effects: list[ClientEffect]) -> list[SioPacket]:
    return [e.packet for e in effects if isinstance(e, Received)]  # type: ignore[misc]


def test_eio4_polling_handshake_then_poll_loop() -> None:
    s = EioClientSession(version=4, mode="polling")
    s.start()
    (get,) = calls(s.take_effects())
    assert (get.method, get.path) == ("GET", "/socket.io/")
    assert get.query.startswith("EIO=4&transport=polling&t=")
    s.http_response(get.call_id, 200, "text/plain", OPEN4.encode())
    effects = s.take_effects()
    assert Connected("S", "polling") in effects
    assert Arm("watchdog", 30.0) in effects  # EIO4: pingInterval + pingTimeout (B.4)
    (poll,) = calls(effects)
    assert "sid=S" in poll.query
    # A ping comes in a poll: answered by a POST "3", and the poll is re-issued.
    s.http_response(poll.call_id, 200, "text/plain", b'2\x1e42["hey","Jude"]')
    effects = s.take_effects()
    assert [p.data for p in received(effects)] == [["hey", "Jude"]]
    by_method = {c.method: c for c in calls(effects)}
    assert by_method["POST"].body == b"3"
    assert "GET" in by_method


def test_eio4_posts_queue_while_one_is_in_flight() -> None:
    s = EioClientSession(version=4, mode="polling")
    s.start()
    s.http_response(calls(s.take_effects())[0].call_id, 200, None, OPEN4.encode())
    s.take_effects()
    s.send(SioPacket(type=SioType.EVENT, data=["a"]))
    (first,) = calls(s.take_effects())
    s.send(SioPacket(type=SioType.EVENT, data=["b"]))
    s.send(SioPacket(type=SioType.EVENT, data=["c"], id=1))
    assert calls(s.take_effects()) == []
    s.http_response(first.call_id, 200, "text/html", b"ok")
    (second,) = calls(s.take_effects())
    assert second.body == b'42["b"]\x1e421["c"]'  # B.5.1 record separator


def test_eio4_binary_event_goes_out_as_header_and_attachment() -> None:
    s = EioClientSession(version=4, mode="websocket")
    s.start()
    assert s.take_effects() == [WsConnect("/socket.io/", "EIO=4&transport=websocket")]
    s.ws_opened()
    s.ws_message(OPEN4.replace('["websocket"]', "[]"))
    s.take_effects()
    s.send(SioPacket(type=SioType.EVENT, data=["bin_echo", b"\x01\x02"], id=3))
    assert sends(s.take_effects()) == [
        '451-3["bin_echo",{"_placeholder":true,"num":0}]',
        b"\x01\x02",  # EIO4 binary frame: raw data, no type byte (B.7)
    ]
    s.ws_message('461-3[{"_placeholder":true,"num":0}]')
    assert received(s.take_effects()) == []
    s.ws_message(b"\x02\x01")
    (ack,) = received(s.take_effects())
    assert ack.resolved == [b"\x02\x01"]


def test_eio3_client_pings_and_times_out_without_pong() -> None:
    s = EioClientSession(version=3, mode="websocket")
    s.start()
    s.take_effects()
    s.ws_opened()
    s.ws_message(OPEN4)
    assert Arm("ping", 25.0) in s.take_effects()  # EIO3: the client pings (B.4)
    s.timer_fired("ping")
    effects = s.take_effects()
    assert sends(effects) == ["2"]
    assert Arm("pong", 5.0) in effects
    s.ws_message("3")
    assert s.take_effects() == [Disarm("pong"), Arm("ping", 25.0)]
    s.timer_fired("ping")
    s.take_effects()
    s.timer_fired("pong")
    assert s.take_effects()[-1] == Closed("ping timeout")


def test_eio3_binary_frames_carry_a_type_byte_and_polling_bodies_decode() -> None:
    s = EioClientSession(version=3, mode="polling")
    s.start()
    get = calls(s.take_effects())[0]
    # socket.io 2.x: the open packet and CONNECT for "/" in one response (B.3).
    body = f"{len(OPEN4)}:{OPEN4}2:40".encode()
    s.http_response(get.call_id, 200, "text/plain; charset=UTF-8", body)
    effects = s.take_effects()
    assert [p.type for p in received(effects)] == [SioType.CONNECT]
    poll = calls(effects)[0]
    # python-engineio 3 answers in XHR2 binary framing (B.5.2 (c)).
    header = b'451-["b",{"_placeholder":true,"num":0}]'
    framed = b"\x00" + bytes(int(c) for c in str(len(header))) + b"\xff" + header
    framed += b"\x01\x03\xff\x04\x01\x02"
    s.http_response(poll.call_id, 200, "application/octet-stream", framed)
    (event,) = received(s.take_effects())
    assert event.resolved == ["b", b"\x01\x02"]


def test_upgrade_probe_pauses_polling_then_sends_5() -> None:
    s = EioClientSession(version=4, mode="upgrade")
    s.start()
    s.http_response(calls(s.take_effects())[0].call_id, 200, None, OPEN4.encode())
    effects = s.take_effects()
    assert WsConnect("/socket.io/", "EIO=4&transport=websocket&sid=S") in effects
    poll = calls(effects)[0]
    s.ws_opened()
    assert sends(s.take_effects()) == ["2probe"]
    s.ws_message("3probe")
    assert s.take_effects() == []  # a GET is still in flight
    s.send(SioPacket(type=SioType.EVENT, data=["queued"]))
    assert calls(s.take_effects()) == []  # no POST while pausing
    s.http_response(poll.call_id, 200, None, b"6")  # the server's noop (B.8)
    effects = s.take_effects()
    assert sends(effects) == ["5", '42["queued"]']
    assert Upgraded("websocket") in effects
    assert calls(effects) == []
    assert s.transport == "websocket"


def test_close_over_polling_posts_1() -> None:
    s = EioClientSession(version=3, mode="polling")
    s.start()
    s.http_response(calls(s.take_effects())[0].call_id, 200, None, f"{len(OPEN4)}:{OPEN4}".encode())
    s.take_effects()
    s.close()
    effects = s.take_effects()
    assert [c.body for c in calls(effects)] == [b"1:1"]
    assert effects[-1] == Closed("client close")


def test_legacy_handshake_websocket_heartbeat_and_disconnect() -> None:
    s = LegacyClientSession(mode="websocket")
    s.start()
    (hs,) = calls(s.take_effects())
    assert (hs.path, hs.query) == ("/socket.io/1/", "t=1")
    s.http_response(hs.call_id, 200, None, b"abc:60:60:websocket,xhr-polling")
    assert s.take_effects() == [WsConnect("/socket.io/1/websocket/abc", "")]
    s.ws_opened()
    assert s.take_effects() == [Arm("heartbeat", 60.0)]
    s.ws_message("1::")
    assert Connected("abc", "websocket") in s.take_effects()
    s.ws_message("2::")
    assert sends(s.take_effects()) == ["2::"]  # answered (A.7)
    s.ws_message('5:1+::{"name":"question","args":["what?"]}')
    (packet,) = received(s.take_effects())
    assert packet == decode_packet('5:1+::{"name":"question","args":["what?"]}')
    s.ws_message("0::")
    effects = s.take_effects()
    assert WsDisconnect() in effects
    assert effects[-1] == Closed("server disconnect")


def test_legacy_xhr_polling_frames_and_posts() -> None:
    s = LegacyClientSession(mode="xhr-polling")
    s.start()
    s.http_response(calls(s.take_effects())[0].call_id, 200, None, b"abc:60:60:xhr-polling")
    (get,) = calls(s.take_effects())
    assert get.path == "/socket.io/1/xhr-polling/abc"
    s.http_response(get.call_id, 200, "text/plain", "\ufffd3\ufffd1::\ufffd6\ufffd3:::😀".encode())
    effects = s.take_effects()
    assert Connected("abc", "xhr-polling") in effects
    assert [p.data for p in received(effects)] == ["😀"]  # UTF-16 length 6 (A.5)
    s.send(decode_packet("3:::a"))
    s.send(decode_packet("3:::😀"))
    posts = [c for c in calls(s.take_effects()) if c.method == "POST"]
    assert [p.body for p in posts] == [b"3:::a"]
    s.http_response(posts[0].call_id, 200, None, b"1")
    (second,) = calls(s.take_effects())
    assert second.body == "3:::😀".encode()


def test_legacy_refused_handshake_ends_the_session() -> None:
    s = LegacyClientSession(mode="websocket")
    s.start()
    s.http_response(calls(s.take_effects())[0].call_id, 500, None, b"nope")
    (closed,) = s.take_effects()
    assert isinstance(closed, Closed)
    assert "handshake refused" in closed.reason


@pytest.mark.parametrize("mode", ["flashsocket", "polling"])
def test_legacy_rejects_unknown_modes(mode: str) -> None:
    with pytest.raises(ValueError, match=r"0\.9 mode"):
        LegacyClientSession(mode=mode)


def test_open_packet_json_is_checked() -> None:
    s = EioClientSession(version=4, mode="websocket")
    s.start()
    s.ws_opened()
    s.take_effects()
    s.ws_message("0" + json.dumps({"sid": 1}))
    assert isinstance(s.take_effects()[-1], Closed)
