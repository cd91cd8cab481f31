"""0.9 replay takes the same shortcuts as modern replay, and they say the same.

A recorded 0.9 packet whose raw text decodes to exactly its recorded dict
form keeps that text (``Step.text``): it is sent as it is, a live packet of
the same text compares as the same without the dict walk, and a remapped ack
id is spliced into it when the text around the id is node's own encoding.
"""

from __future__ import annotations

import dataclasses

import pytest

from sioproxy.codec.legacy import LegacyPacket, LegacyType, encode_packet
from sioproxy.recording.matching import SAME
from sioproxy.recording.script import build_script
from sioproxy.session.effects import WsSend
from sioproxy.standin.replay import ReplayEngine, ReplayOptions
from sioproxy.standin.replay import matcher as matcher_module
from sioproxy.standin.sessions.app import StandInConfig
from sioproxy.standin.sessions.legacy_session import LegacySession
from sioproxy.types import Generation

from .factory import Quiet, RecordingBuilder, legacy, sent

FAST = ReplayOptions(speed=0)


def chat() -> RecordingBuilder:
    return (
        RecordingBuilder(Generation.LEGACY)
        .open("c1")
        .s("1::")
        .c("1::/chat")
        .s("1::/chat")
        .c('5:1+:/chat:{"name":"join","args":["bob"]}')
        .s('6::/chat:1+["welcome",3]')
        .c("3:::hi")
        .s("3:::")  # node would encode 3::, the recording says 3:::
        .c('5:2+::{"name":"ask","args":[1]}')
        .s("6:00::2")  # a non-canonical id field: rewriting re-encodes
        .c('5:3+::{"name":"ask","args":[1]}')
        .s("6:::3+[ 1 ]")  # not compact: the dict form says [1], so does the replay
    )


def test_legacy_steps_carry_their_recorded_text() -> None:
    script = build_script(chat().build(), "c1")
    texts = [step.text for step in script.steps]
    assert texts[:-1] == [step.entry.raw for step in script.steps[:-1]]
    assert texts[5] == "3:::"
    assert all(encode_packet(step.packet) == step.text for step in script.steps[:-1])
    assert texts[-1] is None  # the raw text says more than the dict: the old path
    engine = ReplayEngine(chat().build(), "c1", FAST)
    for raw in ("1::/chat", '5:1+:/chat:{"name":"join","args":["bob"]}', "3:::hi"):
        engine.on_client_packet(legacy(raw), 0.0)
    engine.on_client_packet(legacy('5:2+::{"name":"ask","args":[1]}'), 0.0)
    (ack,) = sent(engine.on_client_packet(legacy('5:3+::{"name":"ask","args":[1]}'), 0.0))
    assert ack.text is None
    assert encode_packet(ack.packet) == "6:::3+[1]"


def test_same_ids_send_the_recorded_text() -> None:
    engine = ReplayEngine(chat().build(), "c1", FAST)
    (opened,) = sent(engine.on_client_packet(legacy("1::/chat"), 0.0))
    assert opened.text == "1::/chat"
    (ack,) = sent(engine.on_client_packet(legacy('5:1+:/chat:{"name":"join","args":["bob"]}'), 0))
    assert ack.text == '6::/chat:1+["welcome",3]'
    assert ack.packet is engine.script.steps[3].packet
    (message,) = sent(engine.on_client_packet(legacy("3:::hi"), 0.0))
    assert message.text == "3:::" == encode_packet(message.packet)


def test_a_remapped_ack_id_is_spliced_into_the_recorded_text() -> None:
    engine = ReplayEngine(chat().build(), "c1", FAST)
    engine.on_client_packet(legacy("1::/chat"), 0.0)
    (ack,) = sent(engine.on_client_packet(legacy('5:40+:/chat:{"name":"join","args":["bob"]}'), 0))
    assert ack.text == '6::/chat:40+["welcome",3]'
    assert isinstance(ack.packet, LegacyPacket)
    assert ack.packet.ack_id == 40
    assert encode_packet(ack.packet) == ack.text  # the packet says the same


def test_a_non_canonical_ack_is_rewritten_as_before() -> None:
    engine = ReplayEngine(chat().build(), "c1", FAST)
    for raw in ("1::/chat", '5:1+:/chat:{"name":"join","args":["bob"]}', "3:::hi"):
        engine.on_client_packet(legacy(raw), 0.0)
    (ack,) = sent(engine.on_client_packet(legacy('5:7+::{"name":"ask","args":[1]}'), 0.0))
    assert ack.text is None
    assert encode_packet(ack.packet) == "6:0::7"  # node's encoding of the rewritten ack


def test_splice_refuses_what_it_cannot_find() -> None:
    from sioproxy.standin.replay.acks import spliced_legacy_id

    ack = legacy("6:::12+[1]")
    assert spliced_legacy_id(ack, "6:::12+[1]", 5) == dataclasses.replace(ack, data="5+[1]")
    assert spliced_legacy_id(ack, "6:::12+[1]", 5).raw == "6:::5+[1]"  # type: ignore[union-attr]
    assert spliced_legacy_id(legacy("6:00::1"), "6:00::1", 5) is None
    assert spliced_legacy_id(legacy("6:::x"), "6:::x", 5) is None  # no ack id
    assert spliced_legacy_id(legacy("5:::{}"), "5:::{}", 5) is None  # not an ack


def test_same_text_compares_as_same_without_the_walk(monkeypatch: pytest.MonkeyPatch) -> None:
    engine = ReplayEngine(chat().build(), "c1", FAST)
    request = '5:1+:/chat:{"name":"join","args":["bob"]}'

    def no_walk(*args: object) -> object:
        raise AssertionError("the dict walk ran")

    monkeypatch.setattr(matcher_module, "match_dict", no_walk)
    assert engine.compare(2, legacy(request)) is SAME
    monkeypatch.undo()
    other = engine.compare(2, legacy('5:1+:/chat:{"name":"join","args":["eve"]}'))
    assert other.failed == ("args",)
    # another id, same arguments: the walk decides, ids are not compared
    assert engine.compare(2, legacy('5:9+:/chat:{"name":"join","args":["bob"]}')).ok


def test_session_sends_a_known_text_as_it_is() -> None:
    session = LegacySession(
        sid="s",
        label="c1",
        config=StandInConfig(generation=Generation.LEGACY),
        app_factory=lambda conn: Quiet(),
        clock=lambda: 0.0,
    )
    session.start()
    assert session.ws_attach("websocket")
    session.take_effects()
    packet = LegacyPacket(type=LegacyType.MESSAGE)
    session.send(packet, "3:::")  # the app vouches for its text
    session.send(packet)
    assert [e for e in session.take_effects() if isinstance(e, WsSend)] == [
        WsSend("3:::"),
        WsSend("3::"),
    ]
