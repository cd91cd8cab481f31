"""Replaying Engine.IO 3/4 (Socket.IO v4/v5) connections: acks both ways, binary, namespaces."""

from __future__ import annotations

from sioproxy.codec.socketio import SioPacket, SioType
from sioproxy.recording.model import Recording
from sioproxy.standin.replay import ReplayEngine, ReplayOptions, Send
from sioproxy.types import Direction, Generation

from .factory import RecordingBuilder, done, mismatches, sends, sio

FAST = ReplayOptions(speed=0)


def v5_session() -> Recording:
    """Two namespaces, client acks, a binary ack, and a server-initiated ack."""
    return (
        RecordingBuilder(Generation.EIO4)
        .open("c1")
        .s('0{"sid":"e","upgrades":[],"pingInterval":25000,"pingTimeout":20000,"maxPayload":1}')
        .c("40")
        .s('40{"sid":"recordedSid000000001"}')
        .c("40/admin,")
        .s('40/admin,{"sid":"recordedSid000000002","pid":"recordedPid"}')
        .c('420["hello","world"]')
        .s('430["hi"]')
        .c('42/admin,0["list"]')
        .s(
            '461-/admin,0[{"_placeholder":true,"num":0}]',
            attachments=(b"\x01\x02\x03",),
        )
        .s('42/admin,5["confirm",{"q":1}]')
        .c("43/admin,5[true]")
        .s('42["thanks"]')
        .build()
    )


def test_shifted_client_ack_ids_get_every_ack_under_the_live_id() -> None:
    engine = ReplayEngine(v5_session(), "c1", ReplayOptions(match="per-event", speed=0))
    assert engine.start(0.0) == []
    connect = engine.on_client_packet(sio("40"), 0.0)
    assert [a.packet.type for a in connect if isinstance(a, Send)] == [SioType.CONNECT]
    engine.on_client_packet(sio("40/admin,"), 0.0)
    # the live client (python-socketio style) numbers from 1 and made one extra acked emit
    extra = engine.on_client_packet(sio('421["unrecorded"]'), 0.0)
    assert len(mismatches(extra)) == 1
    assert sends(engine.on_client_packet(sio('422["hello","world"]'), 0.0)) == ['432["hi"]']
    out = engine.on_client_packet(sio('42/admin,3["list"]'), 0.0)
    assert sends(out) == [
        '461-/admin,3[{"_placeholder":true,"num":0}] (+1 binary attachment)',
        '42/admin,5["confirm",{"q":1}]',
    ]
    binary_ack = out[0]
    assert isinstance(binary_ack, Send)
    assert isinstance(binary_ack.packet, SioPacket)
    assert binary_ack.packet.attachments == (b"\x01\x02\x03",)
    assert binary_ack.packet.raw is None  # changed, so it is re-encoded
    last = engine.on_client_packet(sio("43/admin,5[true]"), 0.0)
    assert sends(last) == ['42["thanks"]']
    assert done(last)
    assert engine.all_played
    assert engine.unplayed() == []
    assert engine.matched == 5


def test_unchanged_ack_keeps_recorded_bytes() -> None:
    engine = ReplayEngine(v5_session(), "c1", FAST)
    engine.on_client_packet(sio("40"), 0.0)
    engine.on_client_packet(sio("40/admin,"), 0.0)
    out = engine.on_client_packet(sio('420["hello","world"]'), 0.0)
    assert isinstance(out[0], Send)
    assert isinstance(out[0].packet, SioPacket)
    assert out[0].packet.raw == '30["hi"]'


def test_v5_connect_sid_and_pid_are_fresh() -> None:
    seen: set[str] = set()
    for _ in range(2):
        engine = ReplayEngine(v5_session(), "c1", FAST)
        first = engine.on_client_packet(sio("40"), 0.0)[0]
        second = engine.on_client_packet(sio("40/admin,"), 0.0)[0]
        assert isinstance(first, Send)
        assert isinstance(second, Send)
        assert isinstance(first.packet, SioPacket)
        assert isinstance(second.packet, SioPacket)
        for packet in (first.packet, second.packet):
            sid = packet.data["sid"]
            assert sid not in ("recordedSid000000001", "recordedSid000000002")
            assert len(sid) == 20
            assert sid not in seen
            seen.add(sid)
        assert second.packet.data["pid"] != "recordedPid"
        assert second.packet.nsp == "/admin"


def test_server_initiated_ack_matched_by_id_and_args_compared() -> None:
    engine = ReplayEngine(v5_session(), "c1", FAST)
    for raw in ("40", "40/admin,", '420["hello","world"]', '42/admin,0["list"]'):
        engine.on_client_packet(sio(raw), 0.0)
    assert engine.pending_acks == 1
    wrong = engine.on_client_packet(sio("43/admin,5[false]"), 0.0)
    (miss,) = mismatches(wrong)
    text = miss.report.text()
    assert "answers server request seq 11 but differs from the recorded answer" in text
    assert "/data/0: recorded true != live false" in text
    assert "failed: args" in text
    assert engine.pending_acks == 0
    assert [e.seq for e in engine.unplayed(Direction.C2S)] == [12]
    assert [e.seq for e in engine.unplayed(Direction.S2C)] == [13]  # waits for that ack


def test_ack_for_an_id_never_sent_is_a_miss() -> None:
    engine = ReplayEngine(v5_session(), "c1", FAST)
    for raw in ("40", "40/admin,", '420["hello","world"]', '42/admin,0["list"]'):
        engine.on_client_packet(sio(raw), 0.0)
    (miss,) = mismatches(engine.on_client_packet(sio("43/admin,6[true]"), 0.0))
    assert "is an ack for id 6, which the replay never asked for" in miss.report.reason
    assert "[5]" in miss.report.reason  # the id that is waiting


def test_colliding_server_ids_are_renumbered() -> None:
    rec = (
        RecordingBuilder(Generation.EIO4)
        .open("c1")
        .c("40")
        .s('42/n,1["a"]')
        .s('42/n,1["b"]')  # a counter shared between clients can repeat an id
        .c("43/n,1[1]", ack_of=3)
        .c("43/n,1[2]", ack_of=4)
        .build()
    )
    engine = ReplayEngine(rec, "c1", ReplayOptions(match="any", speed=0))
    assert sends(engine.on_client_packet(sio("40"), 0.0)) == ['42/n,1["a"]', '42/n,2["b"]']
    assert mismatches(engine.on_client_packet(sio("43/n,2[2]"), 0.0)) == []
    assert mismatches(engine.on_client_packet(sio("43/n,1[1]"), 0.0)) == []
    assert engine.all_played


def test_eio3_server_connect_comes_at_start_and_v4_query_matches_redacted() -> None:
    rec = (
        RecordingBuilder(Generation.EIO3)
        .open("c1")
        .s("40")
        .c("40/admin?token=[REDACTED:token],")
        .s("40/admin,")
        .c('42/admin,["hey","Jude"]')
        .s('42/admin,["bye"]')
        .build()
    )
    engine = ReplayEngine(rec, "c1", FAST)
    assert sends(engine.start(0.0)) == ["40"]
    assert sends(engine.on_client_packet(sio("40/admin?token=real,", 4), 0.0)) == ["40/admin,"]
    out = engine.on_client_packet(sio('42/admin,["hey","Jude"]', 4), 0.0)
    assert sends(out) == ['42/admin,["bye"]']
    assert done(out)


def test_live_client_not_asking_for_the_recorded_ack_gets_none() -> None:
    rec = RecordingBuilder(Generation.EIO4).open("c1").c('421["a"]').s('431["x"]').build()
    engine = ReplayEngine(rec, "c1", FAST)
    out = engine.on_client_packet(sio('42["a"]'), 0.0)
    assert sends(out) == []
    assert done(out)
    assert "did not ask for an ack" in engine.notes[-1]
