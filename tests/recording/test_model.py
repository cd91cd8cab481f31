"""Recording model: JSON round trips and validation messages."""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
from typing import Any

import pytest

from sioproxy.errors import RecordingError
from sioproxy.recording.header import FORMAT_NAME, Header
from sioproxy.recording.line_fields import LineFields
from sioproxy.recording.model import (
    CloseEvent,
    Entry,
    HttpRequest,
    OpenEvent,
    OriginalFrame,
    PacketEntry,
    Recording,
    UpgradeEvent,
    entry_from_json,
)
from sioproxy.types import Direction, Generation, TransportName

C2S, S2C = Direction.C2S, Direction.S2C
POLLING, WS = TransportName.POLLING, TransportName.WEBSOCKET
SID = "lv_VI97HAXpY6yYWAAAC"


def sample_header(**overrides: Any) -> Header:
    fields: dict[str, Any] = {
        "generation": Generation.EIO4,
        "created": "2024-05-01T12:00:00.000Z",
        "upstream": "http://127.0.0.1:5000",
        "redactions": {"headers": ["Cookie"], "query": ["token"], "auth": True},
        "meta": {"test": "sample"},
    }
    fields.update(overrides)
    return Header(**fields)


def sample_entries() -> list[Entry]:
    """A short EIO4 session (docs/protocol.md#c7) touching every entry kind and option."""
    query = f"EIO=4&transport=websocket&sid={SID}"
    return [
        OpenEvent(
            seq=1,
            conn="c1",
            t=0.0,
            generation=Generation.EIO4,
            transport=POLLING,
            sid=None,
            request=HttpRequest(
                method="GET",
                path="/socket.io/",
                query="EIO=4&transport=polling&t=N8hyd6w",
                headers=(("Host", "127.0.0.1"), ("Accept", "*/*")),
            ),
        ),
        _pkt(2, S2C, f'0{{"sid":"{SID}"}}', {"eio": "open", "data": {"sid": SID}}, t=0.001),
        _pkt(3, C2S, "40", {"type": "connect", "nsp": "/"}, t=0.0025),
        UpgradeEvent(
            seq=4,
            conn="c1",
            t=0.1234567,
            transport=WS,
            request=HttpRequest(method="GET", path="/socket.io/", query=query),
        ),
        _pkt(5, C2S, '421["hello","é😀"]', {"type": "event", "id": 1, "data": ["hello", "é😀"]}),
        PacketEntry(
            seq=6,
            conn="c1",
            t=0.3,
            dir=S2C,
            transport=WS,
            raw='431["ok"]',
            packet={"type": "ack", "id": 1, "data": ["ok"]},
            ack_of=5,
        ),
        PacketEntry(
            seq=7,
            conn="c1",
            t=0.4,
            dir=S2C,
            transport=WS,
            raw='451-["file",{"_placeholder":true,"num":0}]',
            attachments=(b"\x01\x02\x03",),
            packet={"type": "binary_event", "attachments": 1},
        ),
        PacketEntry(
            seq=8, conn="c1", t=0.5, dir=C2S, transport=WS, raw=b"\xff\x00", error="bad frame"
        ),
        PacketEntry(
            seq=9,
            conn="c1",
            t=0.6,
            dir=C2S,
            transport=WS,
            raw='42["b"]',
            packet={"type": "event", "data": ["b"]},
            original=OriginalFrame(raw='42["a"]', packet={"type": "event", "data": ["a"]}),
            note="rule 3 rewrote a -> b",
        ),
        CloseEvent(seq=10, conn="c1", t=0.7, reason="transport close", by=C2S),
    ]


def _pkt(seq: int, d: Direction, raw: str, packet: dict[str, Any], t: float = 0.2) -> PacketEntry:
    tr = POLLING if seq < 4 else WS
    return PacketEntry(seq=seq, conn="c1", t=t, dir=d, transport=tr, raw=raw, packet=packet)


def _parse(obj: Any) -> Entry:
    return entry_from_json(obj, path="a.jsonl", line=7)


# -- round trips ---------------------------------------------------------------


@pytest.mark.parametrize("entry", sample_entries(), ids=lambda e: f"{e.kind}-{e.seq}")
def test_entry_round_trips_through_json_text(entry: Entry) -> None:
    text = json.dumps(entry.to_json(), ensure_ascii=False)
    back = _parse(json.loads(text))
    if entry.seq == 4:  # t is rounded to microseconds when written
        assert back == UpgradeEvent(
            seq=4, conn="c1", t=0.123457, transport=WS, request=entry.request
        )
    else:
        assert back == entry


def test_header_round_trips() -> None:
    header = sample_header()
    assert Header.from_json(header.to_json(), path="a", line=1) == header
    bare = sample_header(generation=None, upstream=None, meta={})
    obj = bare.to_json()
    assert "meta" not in obj
    assert obj["generation"] is None
    assert Header.from_json(obj, path="a", line=1) == bare


def test_header_key_order_is_stable() -> None:
    assert list(sample_header().to_json()) == [
        "kind",
        "format",
        "version",
        "minor",
        "generation",
        "created",
        "tool",
        "upstream",
        "redactions",
        "meta",
    ]


def test_packet_key_order_and_binary_forms() -> None:
    entries = sample_entries()
    obj = entries[6].to_json()
    assert list(obj) == [
        "kind",
        "seq",
        "conn",
        "t",
        "dir",
        "transport",
        "raw",
        "attachments_b64",
        "packet",
    ]
    assert obj["attachments_b64"] == ["AQID"]
    binary = entries[7].to_json()
    assert binary["raw_b64"] == "/wA="
    assert "raw" not in binary
    assert binary["error"] == "bad frame"
    assert entries[5].to_json()["ack_of"] == 5


def test_header_new_stamps_time_and_tool() -> None:
    when = dt.datetime(2024, 1, 2, 3, 4, 5, 678000, tzinfo=dt.UTC)
    header = Header.new(generation=Generation.EIO3, now=when)
    assert header.created == "2024-01-02T03:04:05.678Z"
    assert header.tool.startswith("sioproxy ")
    assert header.redactions == {"headers": [], "query": [], "auth": False}


def test_packet_entry_needs_packet_or_error() -> None:
    with pytest.raises(ValueError, match="exactly one"):
        PacketEntry(seq=1, conn="c1", t=0, dir=C2S, transport=WS, raw="4")


# -- validation messages -------------------------------------------------------


def _packet_obj(**changes: Any) -> dict[str, Any]:
    obj = sample_entries()[4].to_json()
    for key, value in changes.items():
        if value is ...:
            del obj[key]
        else:
            obj[key] = value
    return obj


@pytest.mark.parametrize(
    ("obj", "reason"),
    [
        (_packet_obj(dir="up"), 'packet entry: "dir" must be "c2s" or "s2c", got "up"'),
        (_packet_obj(dir=...), 'packet entry: missing "dir"'),
        (_packet_obj(seq="3"), 'packet entry: "seq" must be an integer >= 1, got "3"'),
        (_packet_obj(seq=True), '"seq" must be an integer >= 1, got true'),
        (_packet_obj(seq=0), '"seq" must be an integer >= 1, got 0'),
        (_packet_obj(t=-1), '"t" must be a number of seconds >= 0, got -1'),
        (_packet_obj(conn=""), '"conn" must be a non-empty connection label'),
        (_packet_obj(transport="carrier-pigeon"), '"transport" must be one of "websocket"'),
        (_packet_obj(raw=...), 'needs exactly one of "raw" and "raw_b64"'),
        (_packet_obj(raw_b64="AQID"), 'needs exactly one of "raw" and "raw_b64"'),
        (_packet_obj(raw=..., raw_b64="***"), '"raw_b64" must be base64 text, got "***"'),
        (_packet_obj(packet=...), 'needs exactly one of "packet" and "error"'),
        (_packet_obj(error="x"), 'needs exactly one of "packet" and "error"'),
        (_packet_obj(packet=[1]), '"packet" must be an object, got [1]'),
        (_packet_obj(ack_of=5), '"ack_of" must point at an earlier seq, got 5'),
        (_packet_obj(ack_of=0), '"ack_of" must be an integer >= 1, got 0'),
        (_packet_obj(ack_of=True), '"ack_of" must be an integer >= 1, got true'),
        (_packet_obj(t=True), '"t" must be a number of seconds >= 0, got true'),
        (_packet_obj(t="1"), '"t" must be a number of seconds >= 0, got "1"'),
        (_packet_obj(conn=5), '"conn" must be a string, got 5'),
        (_packet_obj(raw=None), 'needs exactly one of "raw" and "raw_b64"'),
        (_packet_obj(raw=5), '"raw" must be a string, got 5'),
        (_packet_obj(dir=None), '"dir" must be "c2s" or "s2c", got null'),
        (_packet_obj(attachments_b64="AQID"), '"attachments_b64" must be a list of strings'),
        (_packet_obj(original={"packet": {}}), 'needs exactly one of "raw" and "raw_b64"'),
        (_packet_obj(note=3), '"note" must be a string, got 3'),
        ({"kind": "packet"}, 'packet entry: missing "seq"'),
        ({"kind": "nope"}, 'unknown entry kind "nope"'),
        ({"seq": 1}, "unknown entry kind null"),
        ([1, 2], "expected a JSON object, got [1, 2]"),
        ({"kind": "header"}, "a second header"),
    ],
)
def test_entry_validation_reasons(obj: Any, reason: str) -> None:
    with pytest.raises(RecordingError) as info:
        _parse(obj)
    assert info.value.path == "a.jsonl"
    assert info.value.line == 7
    assert reason in str(info.value)
    assert str(info.value).startswith("a.jsonl:7: ")


@pytest.mark.parametrize(
    "obj",
    [
        _packet_obj(),
        _packet_obj(ack_of=2),
        _packet_obj(t=3),  # an integer time
        _packet_obj(dir="s2c", transport="polling", raw="", packet={}),
        _packet_obj(ack_of=None),  # an explicit null: not the common line's keys
        _packet_obj(extra="a later minor version's key"),
    ],
)
def test_the_common_packet_line_reads_as_the_checked_path_reads_it(obj: Any) -> None:
    # entry_from_json takes most packet lines without LineFields; the entry must
    # be the very one PacketEntry._parse makes, types included.
    fast = _parse(obj)
    checked = PacketEntry._parse(LineFields(obj, "packet entry", "a.jsonl", 7))
    assert fast == checked
    names = [f.name for f in dataclasses.fields(PacketEntry)]
    assert [type(getattr(fast, n)) for n in names] == [type(getattr(checked, n)) for n in names]


def test_nested_request_errors_name_the_key_path() -> None:
    obj = sample_entries()[0].to_json()
    obj["request"]["headers"] = [["Host"]]
    with pytest.raises(RecordingError, match=r'open entry: "request\.headers" must be a list'):
        _parse(obj)
    obj = sample_entries()[0].to_json()
    obj["request"] = "GET /"
    with pytest.raises(RecordingError, match=r'open entry: "request" must be an object'):
        _parse(obj)


def test_close_by_may_be_null_but_not_other() -> None:
    obj = CloseEvent(seq=3, conn="c2", t=1, reason="x").to_json()
    assert obj["by"] is None
    assert _parse(obj) == CloseEvent(seq=3, conn="c2", t=1.0, reason="x")
    obj["by"] = "server"
    with pytest.raises(RecordingError, match=r'"by" must be "c2s" or "s2c" or null, got "server"'):
        _parse(obj)


def test_unknown_keys_are_ignored_for_minor_additions() -> None:
    obj = sample_entries()[4].to_json() | {"future_key": {"x": 1}}
    assert _parse(obj) == sample_entries()[4]


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        ({"format": "har"}, '"format" must be "sioproxy-recording", got "har"'),
        ({"kind": "open"}, 'first line must be the header ("kind": "header"), got "open"'),
        (
            {"version": 2},
            "written by a newer sioproxy: format version 2; this sioproxy reads version 1",
        ),
        ({"version": "1"}, '"version" must be an integer >= 1'),
        ({"generation": "eio5"}, '"generation" must be one of "0.9", "eio3", "eio4", null'),
        ({"created": "yesterday"}, '"created" must be an ISO 8601 time'),
        ({"redactions": {"headers": [], "query": []}}, 'missing "redactions.auth"'),
        ({"redactions": {"headers": [1], "query": [], "auth": True}}, '"redactions.headers"'),
        ({"meta": [1]}, '"meta" must be an object'),
    ],
)
def test_header_validation_reasons(change: dict[str, Any], reason: str) -> None:
    obj = sample_header().to_json() | change
    with pytest.raises(RecordingError) as info:
        Header.from_json(obj, path="r.jsonl", line=1)
    assert reason in str(info.value)
    assert str(info.value).startswith("r.jsonl:1: header: ")


def test_newer_version_refused_before_other_checks() -> None:
    obj = {"kind": "header", "format": FORMAT_NAME, "version": 7, "whatever": 1}
    with pytest.raises(RecordingError, match="format version 7; this sioproxy reads version 1"):
        Header.from_json(obj, path="r", line=1)


# -- Recording queries ---------------------------------------------------------


def _two_connection_recording() -> Recording:
    entries = sample_entries()
    extra_open = OpenEvent(
        seq=11,
        conn="c2",
        t=1.0,
        generation=Generation.LEGACY,
        transport=TransportName.XHR_POLLING,
        sid="123",
        request=HttpRequest(method="GET", path="/socket.io/1/xhr-polling/123"),
    )
    extra_pkt = PacketEntry(
        seq=14,  # a gap: lines may be dropped by a failing writer
        conn="c2",
        t=1.1,
        dir=C2S,
        transport=TransportName.XHR_POLLING,
        raw="2::",
        packet={"type": "heartbeat", "endpoint": ""},
    )
    return Recording(header=sample_header(), entries=(*entries, extra_open, extra_pkt))


def test_recording_queries() -> None:
    rec = _two_connection_recording()
    assert rec.connections() == ["c1", "c2"]
    assert [e.seq for e in rec.entries_for("c2")] == [11, 14]
    assert [p.seq for p in rec.packets()] == [2, 3, 5, 6, 7, 8, 9, 14]
    assert [p.seq for p in rec.packets(conn="c1", dir=C2S)] == [3, 5, 8, 9]
    assert [p.seq for p in rec.packets(dir="s2c")] == [2, 6, 7]
    assert rec.find_seq(6) is rec.entries[5]
    assert rec.find_seq(14) is rec.entries[-1]
    assert rec.find_seq(12) is None
    assert rec.find_seq(0) is None
    assert rec.find_seq(99) is None
    assert rec.entries_for("c9") == []
    assert rec.packets(conn="c9") == []


def test_per_connection_queries_follow_the_entries() -> None:
    # The per-connection index is built once; neither a caller's change to
    # an answer nor a replaced recording may see a stale one.
    rec = _two_connection_recording()
    rec.entries_for("c2").clear()
    rec.packets(conn="c2").clear()
    assert [e.seq for e in rec.entries_for("c2")] == [11, 14]
    shorter = dataclasses.replace(rec, entries=rec.entries[:-1])
    assert [e.seq for e in shorter.entries_for("c2")] == [11]
    assert [p.seq for p in shorter.packets(conn="c2")] == []
    assert shorter == dataclasses.replace(shorter)  # the index takes no part in equality
    assert [p.seq for p in rec.packets(conn="c2")] == [14]


def test_recording_rejects_unordered_entries() -> None:
    entries = sample_entries()
    with pytest.raises(ValueError, match="increasing seq"):
        Recording(header=sample_header(), entries=(entries[1], entries[0]))
