"""The script: which recorded packets take part, and which ack answers which request."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from sioproxy.codec.legacy import LegacyPacket
from sioproxy.codec.socketio import SioPacket
from sioproxy.errors import RecordingError
from sioproxy.recording import read_recording
from sioproxy.recording.script import build_script, wire_text
from sioproxy.types import Generation

from .factory import RecordingBuilder


def test_legacy_transport_packets_are_not_steps() -> None:
    rec = (
        RecordingBuilder(Generation.LEGACY)
        .open("c1")
        .s("1::")
        .s("2::")
        .c("2::")
        .s("8::")
        .c("1::/chat")
        .s("1::/chat")
        .c('5:1+:/chat:{"name":"hi","args":[1]}')
        .s('6::/chat:1+["ok"]')
        .c("0::/chat")
        .build()
    )
    script = build_script(rec, "c1")
    assert [wire_text(s.packet) for s in script.steps] == [
        "1::/chat",
        "1::/chat",
        '5:1+:/chat:{"name":"hi","args":[1]}',
        '6::/chat:1+["ok"]',
        "0::/chat",
    ]
    assert all(isinstance(s.packet, LegacyPacket) for s in script.steps)
    # correlated by (endpoint, id) when the file has no ack_of
    assert script.answers == {3: 2}
    assert script.answered_by == {2: 3}


def test_modern_keeps_only_socketio_messages_and_notes_undecodable() -> None:
    rec = (
        RecordingBuilder(Generation.EIO4)
        .open("c1")
        .s('0{"sid":"x","upgrades":[],"pingInterval":1,"pingTimeout":1,"maxPayload":1}')
        .c("40")
        .s('40{"sid":"abc"}')
        .s("2")
        .c("3")
        .c("4garbage", error="sio v5: unknown packet type 'g'")
        .c('421["a"]')
        .s("6")
        .build()
    )
    script = build_script(rec, "c1")
    assert [wire_text(s.packet) for s in script.steps] == ["40", '40{"sid":"abc"}', '421["a"]']
    assert all(isinstance(s.packet, SioPacket) for s in script.steps)
    assert script.notes == (
        "seq 7: skipped, the frame did not decode: sio v5: unknown packet type 'g'",
    )


def test_ack_of_wins_over_id_guessing() -> None:
    # Two requests with the same id in the same namespace (a server whose counter is
    # shared by clients can do that); ack_of says which one the ack answers.
    rec = (
        RecordingBuilder(Generation.EIO4)
        .open("c1")
        .c('421["a"]')
        .c('421["b"]')
        .s('431["for a"]', ack_of=2)
        .s('431["for b"]', ack_of=3)
        .build()
    )
    script = build_script(rec, "c1")
    assert script.answers == {2: 0, 3: 1}


def test_id_guessing_is_scoped_by_namespace_and_direction() -> None:
    rec = (
        RecordingBuilder(Generation.EIO4)
        .open("c1")
        .c('421["a"]')
        .s('42/admin,1["srv"]')
        .c('43/admin,1["client answers server"]')
        .s('431["server answers client"]')
        .build()
    )
    script = build_script(rec, "c1")
    assert script.answers == {2: 1, 3: 0}


def test_raw_is_kept_for_byte_exact_replay() -> None:
    # JS-style formatting that a re-encoder would not reproduce (space, 1.0).
    rec = RecordingBuilder(Generation.EIO4).open("c1").c("40").s('42["x", 1.0]').build()
    step = build_script(rec, "c1").steps[1]
    assert wire_text(step.packet) == '42["x", 1.0]'


def test_unknown_connection_names_the_known_ones() -> None:
    rec = RecordingBuilder(Generation.EIO4).open("c1").build()
    with pytest.raises(RecordingError, match=r"no connection 'c9' \(connections: c1\)"):
        build_script(rec, "c9")


def test_script_from_a_jsonl_file(tmp_path: Path) -> None:
    lines = [
        {
            "kind": "header",
            "format": "sioproxy-recording",
            "version": 1,
            "generation": "eio3",
            "created": "2024-05-01T12:00:00.000Z",
            "tool": "sioproxy 0.1.0",
            "upstream": None,
            "redactions": {"headers": [], "query": [], "auth": False},
        },
        {
            "kind": "open",
            "seq": 1,
            "conn": "c1",
            "t": 0.0,
            "generation": "eio3",
            "transport": "polling",
            "sid": None,
            "request": {"method": "GET", "path": "/socket.io/", "query": "", "headers": []},
        },
        {
            "kind": "packet",
            "seq": 2,
            "conn": "c1",
            "t": 0.01,
            "dir": "s2c",
            "transport": "polling",
            "raw": "40",
            "packet": {"eio": "message", "sio": {"type": "connect", "nsp": "/"}},
        },
        {
            "kind": "packet",
            "seq": 3,
            "conn": "c1",
            "t": 0.02,
            "dir": "c2s",
            "transport": "polling",
            "raw": "2",
            "packet": {"eio": "ping"},
        },
    ]
    path = tmp_path / "rec.jsonl"
    path.write_text("".join(json.dumps(line) + "\n" for line in lines))
    script = build_script(read_recording(path), "c1")
    assert script.generation is Generation.EIO3
    assert script.revision == 4
    assert [wire_text(s.packet) for s in script.steps] == ["40"]
