"""The replay hot path's shortcuts say exactly what the slow path would.

A recorded packet whose text decodes to exactly its recorded dict form is
kept as that decode (``Step.text``): it is compared with a live packet of the
same text without the dict walk, sent as its text, and a remapped ack id is
spliced into that text. Anything less certain takes the old path.
"""

from __future__ import annotations

import dataclasses

from sioproxy.codec.socketio import SioPacket, SioType
from sioproxy.recording.matching import SAME
from sioproxy.recording.script import build_script, wire_text
from sioproxy.session.effects import WsSend
from sioproxy.standin.replay import ReplayEngine, ReplayOptions
from sioproxy.standin.replay.acks import spliced_id
from sioproxy.standin.sessions.app import StandInConfig
from sioproxy.standin.sessions.eio_session import EioSession
from sioproxy.types import Generation

from .factory import Quiet, RecordingBuilder, sent, sio

FAST = ReplayOptions(speed=0)


def acks_session() -> RecordingBuilder:
    return (
        RecordingBuilder(Generation.EIO4)
        .open("c1")
        .c("40")
        .s('40{"sid":"recordedSid000000001"}')
        .c('420["ask",{"n":1}]')
        .s('430[{"n": 1, "é":"\\u00e9"}]')  # not compact: its bytes are kept
        .c('42/admin,12["ask"]')
        .s('43/admin,12["ok"]')
        .c('42["bin"]')
        .s('451-["b",{"_placeholder":true,"num":0}]', attachments=(b"\x01",))
    )


def test_exact_steps_carry_their_text_and_binary_ones_do_not() -> None:
    script = build_script(acks_session().build(), "c1")
    texts = [step.text for step in script.steps]
    assert texts[:6] == [  # the Socket.IO text: the Engine.IO "4" is not part of it
        "0",
        '0{"sid":"recordedSid000000001"}',
        '20["ask",{"n":1}]',
        '30[{"n": 1, "é":"\\u00e9"}]',
        '2/admin,12["ask"]',
        '3/admin,12["ok"]',
    ]
    assert texts[7] is None  # binary: attachments are not in the text
    assert all(step.packet.raw == step.text for step in script.steps[:6])


def test_recorded_dict_that_differs_in_json_types_takes_the_old_path() -> None:
    # A hand-edited recording: the dict says 1.0 where the raw text says 1.
    recording = acks_session().build()
    entries = list(recording.entries)
    ack = entries[4]
    assert ack.packet is not None
    entries[4] = dataclasses.replace(
        ack,
        raw='430[{"n":1}]',
        packet={**ack.packet, "sio": {**ack.packet["sio"], "data": [{"n": 1.0}]}},
    )
    edited = dataclasses.replace(recording, entries=tuple(entries))
    step = build_script(edited, "c1").steps[3]
    assert step.text is None
    engine = ReplayEngine(edited, "c1", FAST)
    engine.on_client_packet(sio("40"), 0.0)
    (send,) = sent(engine.on_client_packet(sio('420["ask",{"n":1}]'), 0.0))
    assert send.text is None
    assert wire_text(send.packet) == '430[{"n":1.0}]'  # encoded from the dict, as before


def test_same_ids_send_the_recorded_text() -> None:
    engine = ReplayEngine(acks_session().build(), "c1", FAST)
    (connect,) = sent(engine.on_client_packet(sio("40"), 0.0))
    assert connect.text is None  # a CONNECT reply gets a fresh sid
    (ack,) = sent(engine.on_client_packet(sio('420["ask",{"n":1}]'), 0.0))
    assert ack.text == '30[{"n": 1, "é":"\\u00e9"}]'
    assert ack.packet is engine.script.steps[3].packet


def test_a_remapped_ack_id_is_spliced_into_the_recorded_text() -> None:
    engine = ReplayEngine(acks_session().build(), "c1", FAST)
    engine.on_client_packet(sio("40"), 0.0)
    (ack,) = sent(engine.on_client_packet(sio('427["ask",{"n":1}]'), 0.0))
    assert ack.text == '37[{"n": 1, "é":"\\u00e9"}]'
    assert isinstance(ack.packet, SioPacket)
    assert ack.packet.id == 7
    assert wire_text(ack.packet) == "4" + ack.text  # the packet says the same
    (admin,) = sent(engine.on_client_packet(sio('42/admin,3["ask"]'), 0.0))
    assert admin.text == '3/admin,3["ok"]'
    assert wire_text(admin.packet) == '43/admin,3["ok"]'


def test_splice_refuses_what_it_cannot_find() -> None:
    ack = SioPacket(type=SioType.ACK, id=1, data=[])
    assert spliced_id(ack, "301[]", 5) is None  # a leading zero: not the id's own digits
    assert spliced_id(ack, "31[]", 5) == dataclasses.replace(ack, id=5)
    assert spliced_id(ack, "31[]", 5).raw == "35[]"  # type: ignore[union-attr]
    assert spliced_id(ack, "3/x", 5) is None  # a namespace without a comma
    binary = SioPacket(type=SioType.BINARY_ACK, id=1, data=[], attachment_count=1)
    assert spliced_id(binary, "61-1[]", 5) is None


def test_same_text_compares_as_same_without_the_walk() -> None:
    engine = ReplayEngine(acks_session().build(), "c1", FAST)
    assert engine.compare(2, sio('420["ask",{"n":1}]')) is SAME
    other = engine.compare(2, sio('420["ask",{"n":2}]'))
    assert other.failed == ("args",)
    # another id, same arguments: the walk decides, ids are not compared
    assert engine.compare(2, sio('429["ask",{"n":1}]')).ok


def test_session_sends_a_known_text_as_it_is() -> None:
    session = EioSession(
        sid="s",
        label="c1",
        config=StandInConfig(generation=Generation.EIO4),
        app_factory=lambda conn: Quiet(),
        clock=lambda: 0.0,
        transport="websocket",
    )
    session.start()
    session.take_effects()
    packet = SioPacket(type=SioType.EVENT, data=["x", 1.0])
    session.send(packet, '2["x",1]')  # the app vouches for its text
    session.send(packet)
    assert session.take_effects() == [WsSend('42["x",1]'), WsSend('42["x",1.0]')]
