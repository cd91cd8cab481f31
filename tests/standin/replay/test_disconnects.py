"""Client disconnects are lifecycle: never a miss when unrecorded, never owed when recorded."""

from __future__ import annotations

from sioproxy.codec.legacy import decode_packet
from sioproxy.standin.replay import ReplayEngine, ReplayOptions
from sioproxy.types import Direction, Generation

from .factory import RecordingBuilder, mismatches, sio

FAST = ReplayOptions(speed=0)


def test_unrecorded_final_disconnect_is_noted_not_a_miss() -> None:
    recording = RecordingBuilder(Generation.EIO4).open("c1").c("40").s('40{"sid":"x"}').build()
    engine = ReplayEngine(recording, "c1", FAST)
    engine.on_client_packet(sio("40"), 0.0)
    actions = engine.on_client_packet(sio("41"), 0.1)
    assert mismatches(actions) == []
    assert engine.mismatches == []
    assert any("unrecorded client disconnect 41" in note for note in engine.notes)


def test_recorded_disconnect_the_live_client_never_sent_is_not_owed() -> None:
    recording = (
        RecordingBuilder(Generation.EIO3).open("c1").s("40").c('42["bye"]').c("41").s("41").build()
    )
    engine = ReplayEngine(recording, "c1", FAST)
    engine.start(0.0)
    engine.on_client_packet(sio('42["bye"]', revision=4), 0.1)
    assert engine.unplayed(Direction.C2S) == []
    assert engine.all_played


def test_legacy_namespace_disconnect_unrecorded_is_not_a_miss() -> None:
    recording = RecordingBuilder(Generation.LEGACY).open("c1").c("1::/chat").s("1::/chat").build()
    engine = ReplayEngine(recording, "c1", FAST)
    engine.on_client_packet(decode_packet("1::/chat"), 0.0)
    assert mismatches(engine.on_client_packet(decode_packet("0::/chat"), 0.1)) == []
