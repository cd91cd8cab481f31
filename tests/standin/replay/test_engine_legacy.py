"""Replaying Socket.IO 0.9 connections: endpoints, ack ids, node's automatic acks."""

from __future__ import annotations

import pytest

from sioproxy.recording.model import Recording
from sioproxy.standin.replay import ReplayEngine, ReplayOptions
from sioproxy.standin.replay.engine import Send
from sioproxy.types import Generation

from .factory import RecordingBuilder, done, legacy, mismatches, sends, sio

FAST = ReplayOptions(speed=0)


def chat_session() -> Recording:
    return (
        RecordingBuilder(Generation.LEGACY)
        .open("c1")
        .s("1::")
        .c("1::/chat")
        .s("1::/chat")
        .c("1::/news")
        .s("1::/news")
        .c('5:1+:/chat:{"name":"join","args":["bob"]}')
        .s('6::/chat:1+["welcome",3]')
        .s('5::/news:{"name":"headline","args":["hi"]}')
        .c('5:1+:/news:{"name":"sub","args":[]}')
        .s("6::/news:1")
        .s('5:7+:/chat:{"name":"vote","args":["y/n"]}')
        .c('6::/chat:7+["y"]')
        .s('5::/chat:{"name":"result","args":["y"]}')
        .build()
    )


def test_full_session_with_shifted_ids_per_endpoint() -> None:
    engine = ReplayEngine(chat_session(), "c1", FAST)
    assert engine.start(0.0) == []  # 1:: is the live server's own business
    assert sends(engine.on_client_packet(legacy("1::/chat"), 0.0)) == ["1::/chat"]
    assert sends(engine.on_client_packet(legacy("1::/news"), 0.0)) == ["1::/news"]
    # the live client's ids are 4 and 9 where the recording had 1 and 1
    assert sends(
        engine.on_client_packet(legacy('5:4+:/chat:{"name":"join","args":["bob"]}'), 0)
    ) == [
        '6::/chat:4+["welcome",3]',
        '5::/news:{"name":"headline","args":["hi"]}',
    ]
    out = engine.on_client_packet(legacy('5:9+:/news:{"name":"sub"}'), 0.0)
    assert sends(out) == ["6::/news:9", '5:7+:/chat:{"name":"vote","args":["y/n"]}']
    last = engine.on_client_packet(legacy('6::/chat:7+["y"]'), 0.0)
    assert sends(last) == ['5::/chat:{"name":"result","args":["y"]}']
    assert done(last)
    assert engine.mismatches == []


def test_bare_id_gets_node_auto_ack_first() -> None:
    rec = (
        RecordingBuilder(Generation.LEGACY)
        .open("c1")
        .c("1::/chat")
        .s("1::/chat")
        .c("3:1:/chat:hello")  # gevent recorded no auto-ack
        .s("3::/chat:echo hello")
        .build()
    )
    engine = ReplayEngine(rec, "c1", FAST)
    engine.on_client_packet(legacy("1::/chat"), 0.0)
    assert sends(engine.on_client_packet(legacy("3:5:/chat:hello"), 0.0)) == [
        "6::/chat:5",
        "3::/chat:echo hello",
    ]


def test_auto_ack_can_be_turned_off_to_emulate_gevent() -> None:
    rec = RecordingBuilder(Generation.LEGACY).open("c1").c("3:1::hello").s("3:::echo").build()
    options = ReplayOptions(speed=0, auto_ack_legacy=False)
    engine = ReplayEngine(rec, "c1", options)
    assert sends(engine.on_client_packet(legacy("3:2::hello"), 0.0)) == ["3:::echo"]


def test_recorded_auto_ack_is_the_one_sent_remapped() -> None:
    rec = (
        RecordingBuilder(Generation.LEGACY)
        .open("c1")
        .c('5:1::{"name":"ping"}')
        .s("6:::1")
        .s('5:::{"name":"pong"}')
        .build()
    )
    engine = ReplayEngine(rec, "c1", FAST)
    out = engine.on_client_packet(legacy('5:3::{"name":"ping"}'), 0.0)
    assert sends(out) == ["6:::3", '5:::{"name":"pong"}']  # exactly one ack
    assert done(out)


def test_server_asked_ack_with_wrong_args_is_reported() -> None:
    engine = ReplayEngine(chat_session(), "c1", FAST)
    for raw in (
        "1::/chat",
        "1::/news",
        '5:1+:/chat:{"name":"join","args":["bob"]}',
        '5:1+:/news:{"name":"sub","args":[]}',
    ):
        engine.on_client_packet(legacy(raw), 0.0)
    (miss,) = mismatches(engine.on_client_packet(legacy('6::/chat:7+["n"]'), 0.0))
    assert '/args/0: recorded "y" != live "n"' in miss.report.text()


def test_generation_mismatch_is_a_programming_error() -> None:
    engine = ReplayEngine(chat_session(), "c1", FAST)
    with pytest.raises(TypeError, match="takes LegacyPacket"):
        engine.on_client_packet(sio('42["x"]'), 0.0)


def test_heartbeats_from_the_client_are_not_matched() -> None:
    engine = ReplayEngine(chat_session(), "c1", FAST)
    assert engine.on_client_packet(legacy("2::"), 0.0) == []
    assert engine.on_client_packet(legacy("8::"), 0.0) == []
    assert engine.mismatches == []
    out = engine.on_client_packet(legacy("1::/chat"), 0.0)
    assert isinstance(out[0], Send)
