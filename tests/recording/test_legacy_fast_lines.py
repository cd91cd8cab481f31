"""0.9 events and acks on the record and log hot paths write what the general paths write.

``hot_line._legacy_text`` builds a 0.9 event's or ack's recording line from
its parts (one JSON parse, no dict), and ``PacketLog.plain_text`` makes its log
line from the recorder's text of the args (docs/performance.md, round 7).
Both are compared with the general paths (``encode_line(entry_for(...))`` and
``PacketLog._general_text``) on every packet shape and on random frames, and
``legacy_json.parse_json`` with ``json.loads``, whose result it must keep.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sioproxy.codec.legacy_json import parse_json
from sioproxy.ops.logfmt import PacketLog
from sioproxy.proxy.live import LiveObserver
from sioproxy.proxy.observer import RequestInfo
from sioproxy.recording.hot_line import packet_line
from sioproxy.recording.live_recorder import LiveRecorder, entry_for
from sioproxy.recording.writer import encode_line
from sioproxy.session import PacketSeen, SessionEvent
from sioproxy.types import Direction
from tests.recording.test_live_recorder import json_values

C2S, S2C = Direction.C2S, Direction.S2C

SHAPES = [
    (C2S, '5:1+::{"name":"ev","args":[1,"d\u00e9"]}'),
    (S2C, '6:::1+["ok"]'),
    (C2S, '5:2::{"name":"ev","args":[]}'),
    (C2S, '5:+:/chat:{"name":"x","args":[{"a":null}]}'),
    (C2S, '5:::{"name":7,"args":["name is a number"]}'),
    (C2S, '5:::{"args":["no name"]}'),
    (C2S, '5:::{"name":"args not a list","args":{"k":1}}'),
    (C2S, '5:::{"name":"falsy args","args":0}'),
    (C2S, '5:::{"name":"string args","args":"s"}'),
    (C2S, '5:::{"name":"empty string args","args":""}'),
    (C2S, "5:::not json"),
    (C2S, "5:::"),
    (C2S, "5:9+:/e"),
    (S2C, "6:::"),
    (C2S, "5:::[1,2]"),
    (C2S, '5:::  {"name":"blanks","args":[1]}  '),
    (C2S, '5:3+:/a\u202eb:{"name":"\\u001b[2J","args":["\x1b"]}'),
    (S2C, "6:::3"),
    (S2C, "6:::3+null"),
    (S2C, '6:::3+""'),
    (S2C, "6:::3+0"),
    (S2C, "6:::3+false"),
    (S2C, "6:::3+{}"),
    (S2C, "6:::3+[bad"),
    (S2C, "6:::x+[1]"),
    (S2C, "6:::+[1]"),
    (S2C, "6:::00012+[1]"),
    (S2C, '6::/chat:4+["long",' + json.dumps("z" * 200) + "]"),
    (S2C, '4:::{"x":[1,2]}'),
    (S2C, "3:::plain text"),
    (C2S, "2::"),
]


def _feed(frames: list[tuple[Direction, str]]) -> Any:
    def feed(obs: LiveObserver) -> None:
        handshake = RequestInfo(
            method="GET", path="/socket.io/1/", query="t=1", headers=(), client="c",
            scheme="http",
        )  # fmt: skip
        obs.on_http_request(20, handshake, b"")
        obs.on_http_response(20, handshake, 200, (), b"sid09:60:60:websocket")
        ws = RequestInfo(
            method="GET", path="/socket.io/1/websocket/sid09", query="", headers=(),
            client="c", scheme="http",
        )  # fmt: skip
        obs.on_ws_open(2, ws, None)
        obs.on_ws_message(2, S2C, b"1::", False)
        for direction, frame in frames:
            obs.on_ws_message(2, direction, frame.encode("utf-8", "surrogatepass"), False)

    return feed


def _compare(frames: list[tuple[Direction, str]], tmp: str) -> list[tuple[str, bool, bool]]:
    """Per packet event: (raw, recording line from the fast path, log line from the
    fast path); asserts each equals the general path's."""
    log = PacketLog(lambda _line: None)
    wall = 1_733_140_000.123
    seen: list[tuple[str, bool, bool]] = []

    def check(event: SessionEvent) -> None:
        if not isinstance(event, PacketSeen) or event.legacy is None:
            return
        line = packet_line(event)
        if line is not None:
            assert line == encode_line(entry_for(event).to_json()), event.raw
        plain = log.plain_text(event, wall)
        if plain is not None:
            assert plain == log._general_text(event, wall), event.raw
        seen.append((str(event.raw), line is not None, plain is not None))

    recorder = LiveRecorder.open(f"{tmp}/rec.jsonl", upstream="http://up")
    obs = LiveObserver(clock=lambda: 0.25, sinks=[recorder.event, check])
    _feed(frames)(obs)
    obs.shutdown()
    recorder.close()
    return seen


def test_every_shape_gives_the_general_lines(tmp_path: Any) -> None:
    seen = _compare(SHAPES, str(tmp_path))
    assert len(seen) == len(SHAPES) + 1  # the server's 1:: too
    by_raw = {raw: (line, plain) for raw, line, plain in seen}
    # events and acks with an ack id take both hot paths
    assert by_raw['5:1+::{"name":"ev","args":[1,"d\u00e9"]}'] == (True, True)
    assert by_raw['6:::1+["ok"]'] == (True, True)
    assert by_raw["6:::3+null"] == (True, True)
    # an ack without an ack id, and other types, take the general log line
    assert by_raw["6:::x+[1]"][1] is False
    assert by_raw['4:::{"x":[1,2]}'][1] is False
    assert sum(plain for _raw, _line, plain in seen) >= 20


def test_a_log_line_without_the_recorder_takes_the_general_path() -> None:
    seen: list[SessionEvent] = []
    obs = LiveObserver(clock=lambda: 0.25, sinks=[seen.append])
    _feed([(C2S, '5:1+::{"name":"ev","args":[1]}')])(obs)
    event = seen[-1]
    assert isinstance(event, PacketSeen)
    assert event.legacy is not None
    assert PacketLog(lambda _line: None).plain_text(event, 0.0) is None


ids = st.sampled_from(["", "5", "5+", "+", "12345"])
names = st.one_of(st.none(), st.text(max_size=8), st.integers(), st.just(""))


@settings(max_examples=200, deadline=None)
@given(
    args=st.one_of(st.lists(json_values, max_size=3), json_values),
    name=names,
    pid=ids,
    endpoint=st.sampled_from(["", "/chat", "/x\x1b"]),
    ack=st.booleans(),
    ascii_only=st.booleans(),
)
def test_any_event_or_ack_gives_the_general_lines(
    tmp_path_factory: Any,
    args: Any,
    name: Any,
    pid: str,
    endpoint: str,
    ack: bool,
    ascii_only: bool,
) -> None:
    if ack:
        frame = f"6::{endpoint}:{pid.rstrip('+') or '0'}+" + json.dumps(
            args, ensure_ascii=ascii_only
        )
    else:
        body: dict[str, Any] = {"args": args}
        if name is not None:
            body = {"name": name, **body}
        frame = f"5:{pid}:{endpoint}:" + json.dumps(body, ensure_ascii=ascii_only)
    seen = _compare([(S2C if ack else C2S, frame)], str(tmp_path_factory.mktemp("r")))
    assert seen[-1][0] == frame


json_texts = st.one_of(
    json_values.map(json.dumps),
    json_values.map(lambda v: " \n" + json.dumps(v, indent=1) + "\t\r "),
    st.text(alphabet=' \t\n\r{}[]",:0123456789.eE+-truefalsnNaIiy\ufeff\\u', max_size=20),
    st.sampled_from(["NaN", "[Infinity]", "-Infinity", "\ufeff1", "1 2", "", " ", "1e999"]),
)


@settings(max_examples=1500, deadline=None)
@given(text=json_texts)
def test_parse_json_keeps_json_loads_result(text: str) -> None:
    def reject(name: str) -> Any:
        raise ValueError(name)

    try:
        expected: tuple[bool, Any] = (True, json.loads(text, parse_constant=reject))
    except (ValueError, RecursionError):
        expected = (False, None)
    got = parse_json(text)
    assert got[0] == expected[0]
    assert json.dumps(got[1]) == json.dumps(expected[1])


@pytest.mark.parametrize("text", ["\ufeff[1]", "[1] x", "", "  ", "[1]\x0b", "\x0c1"])
def test_parse_json_refuses_what_json_loads_refuses(text: str) -> None:
    assert parse_json(text) == (False, None)
