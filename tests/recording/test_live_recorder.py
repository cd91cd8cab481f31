"""The live recorder's fast path writes exactly the lines of the entry path.

``LiveRecorder.event`` encodes a plain packet straight to its line
(``packet_line``) instead of ``PacketEntry`` -> ``redact_entry`` -> ``to_json``
-> ``encode_line`` (docs/performance.md). These tests feed the same traffic to
a recorder and to that reference pipeline and compare the files byte for byte,
and check that secrets still never reach the file.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sioproxy.codec import payload
from sioproxy.codec.engineio import EioPacket, EioType
from sioproxy.ops.logfmt import PacketLog
from sioproxy.proxy.live import LiveObserver
from sioproxy.proxy.observer import RequestInfo
from sioproxy.recording.hot_line import packet_line
from sioproxy.recording.live_recorder import LiveRecorder, entry_for
from sioproxy.recording.reader import read_recording
from sioproxy.recording.redact import Redactor
from sioproxy.recording.writer import encode_line, json_text
from sioproxy.session import PacketSeen, SessionEvent
from sioproxy.types import Direction

C2S, S2C = Direction.C2S, Direction.S2C
OPEN = '{"sid":"S1","upgrades":["websocket"],"pingInterval":25000,"pingTimeout":20000}'
SECRETS = ("q-s3cr3t-1", "auth-s3cr3t-2", "hdr-s3cr3t-3")


def _request(query: str, method: str = "GET") -> RequestInfo:
    headers = (("Host", "x"), ("Authorization", "Bearer hdr-s3cr3t-3"))
    return RequestInfo(
        method=method, path="/socket.io/", query=query, headers=headers, client="c", scheme="http"
    )


Feed = Callable[[Direction, bytes | str], None]


def _eio4_ws(obs: LiveObserver) -> None:
    obs.on_ws_open(1, _request("EIO=4&transport=websocket&token=q-s3cr3t-1"), None)

    def send(direction: Direction, frame: bytes | str) -> None:
        if isinstance(frame, str):
            obs.on_ws_message(1, direction, frame.encode(), False)
        else:
            obs.on_ws_message(1, direction, frame, True)

    send(S2C, "0" + OPEN)
    send(C2S, '40{"token":"auth-s3cr3t-2","user":"ann"}')
    send(S2C, '40{"sid":"wZX3"}')
    for i in range(3):
        send(C2S, f'42{i}["ack",{{"seq":{i},"msg":"hello from the client","n":7,"list":[1,2,3]}}]')
        send(S2C, f'43{i}[{{"seq":{i},"msg":"hello from the client","n":7,"list":[1,2,3]}}]')
        send(S2C, f'42["p",{i},{{"msg":"hello from the server","n":42,"ok":true}}]')
    send(C2S, '42/chat,7["say","héllo wörld 😀",1.5,1e5,-0,null,{"a":{"b":[]}}]')
    send(S2C, '43/chat,7["ok"]')
    send(S2C, '42["echo","auth-s3cr3t-2"]')  # a remembered secret, later
    send(S2C, '42["echo","q-s3cr3t-1"]')
    send(S2C, '42["esc","a\\"b\\nc\\u00e9"]')  # escapes take the entry path
    send(S2C, '42["keys",{"password":"pw-in-json"}]')
    send(S2C, '42["num",{"x":1},   2 ]')  # blanks the encoder removes
    send(C2S, "2")
    send(S2C, "3")
    send(S2C, '451-["file",{"_placeholder":true,"num":0}]')
    send(S2C, b"\x01\x02\x03")
    send(S2C, '44{"message":"not allowed"}')
    send(S2C, "9garbage")
    send(C2S, "41")
    obs.on_ws_close(1, C2S, 1000, None)


def _eio3_polling(obs: LiveObserver) -> None:
    query = "EIO=3&transport=polling"
    body = payload.encode_payload(
        [EioPacket(type=EioType.OPEN, data=OPEN), EioPacket(type=EioType.MESSAGE, data="0")], 3
    )
    obs.on_http_request(10, _request(query), b"")
    obs.on_http_response(10, _request(query), 200, (), body)
    post = _request(query + "&sid=S1", "POST")
    texts = ['2["a",{"k":"v"}]', '21["b"]', '4"refused"', "0/admin?token=nsp-s3cr3t,"]
    packets = [EioPacket(type=EioType.MESSAGE, data=t) for t in texts]
    obs.on_http_request(11, post, payload.encode_payload(packets, 3))
    obs.on_http_response(11, post, 200, (), b"ok")
    get = _request(query + "&sid=S1")
    obs.on_http_request(12, get, b"")
    reply = [EioPacket(type=EioType.MESSAGE, data='31["done"]')]
    obs.on_http_response(12, get, 200, (), payload.encode_payload(reply, 3))


def _legacy_ws(obs: LiveObserver) -> None:
    handshake = RequestInfo(
        method="GET", path="/socket.io/1/", query="t=1", headers=(), client="c", scheme="http"
    )
    obs.on_http_request(20, handshake, b"")
    obs.on_http_response(20, handshake, 200, (), b"sid09:60:60:websocket,xhr-polling")
    ws = RequestInfo(
        method="GET", path="/socket.io/1/websocket/sid09", query="", headers=(), client="c",
        scheme="http",
    )  # fmt: skip
    obs.on_ws_open(2, ws, None)
    for direction, frame in [
        (S2C, b"1::"),
        (C2S, b"1::/chat:?token=legacy-s3cr3t"),
        (C2S, b'5:1+::{"name":"ev","args":[1,"d\xc3\xa9"]}'),
        (S2C, b'6:::1+["ok"]'),
        (C2S, b"2::"),
        (S2C, b'4:::{"x":[1,2]}'),
    ]:
        obs.on_ws_message(2, direction, frame, False)


def _record(tmp_path: Path, name: str, feed: Callable[[LiveObserver], None], **kw: Any) -> Path:
    path = tmp_path / name
    recorder = LiveRecorder.open(str(path), upstream="http://up", **kw)
    obs = LiveObserver(clock=lambda: 0.25, sinks=[recorder.event])
    feed(obs)
    obs.shutdown()
    recorder.close()
    return path


def _reference(feed: Callable[[LiveObserver], None], redactor: Redactor) -> list[bytes]:
    """The lines of the entry path alone: entry_for -> redact_entry -> encode_line."""
    lines: list[bytes] = []

    def sink(event: SessionEvent) -> None:
        lines.append(encode_line(redactor.redact_entry(entry_for(event)).to_json()))

    obs = LiveObserver(clock=lambda: 0.25, sinks=[sink])
    feed(obs)
    obs.shutdown()
    return lines


@pytest.mark.parametrize(
    "feed", [_eio4_ws, _eio3_polling, _legacy_ws], ids=["eio4-ws", "eio3-polling", "0.9-ws"]
)
@pytest.mark.parametrize("redact", [True, False], ids=["redact", "no-redact"])
def test_fast_path_writes_the_entry_path_bytes(
    tmp_path: Path, feed: Callable[[LiveObserver], None], redact: bool
) -> None:
    path = _record(tmp_path, "fast.jsonl", feed, redact=redact)
    lines = path.read_bytes().splitlines(keepends=True)
    redactor = Redactor() if redact else Redactor.disabled()
    assert lines[1:] == _reference(feed, redactor)
    read_recording(path)  # and it is a valid recording


def test_no_secret_reaches_the_file(tmp_path: Path) -> None:
    path = _record(tmp_path, "rec.jsonl", _eio4_ws)
    data = path.read_bytes()
    for secret in (*SECRETS, "pw-in-json"):
        assert secret.encode() not in data, secret
    # the CONNECT auth object: its token goes, the user name stays
    assert b'40{\\"token\\":\\"[REDACTED:auth.token]\\",\\"user\\":\\"ann\\"}' in data
    assert b'"echo","[REDACTED:query.token]"' in data  # query secret swept from a later frame
    polled = _record(tmp_path, "poll.jsonl", _eio3_polling).read_bytes()
    assert b"nsp-s3cr3t" not in polled
    legacy = _record(tmp_path, "legacy.jsonl", _legacy_ws).read_bytes()
    assert b"legacy-s3cr3t" not in legacy
    assert b'"name":"ev"' in legacy  # the 0.9 packets were recorded


def _events(feed: Callable[[LiveObserver], None]) -> list[PacketSeen]:
    seen: list[SessionEvent] = []
    obs = LiveObserver(clock=lambda: 0.25, sinks=[seen.append])
    feed(obs)
    return [e for e in seen if isinstance(e, PacketSeen)]


def test_packet_line_declines_what_needs_the_entry_path() -> None:
    events = {e.seq: e for e in _events(_eio4_ws)}
    by_raw = {e.raw if isinstance(e.raw, str) else "<bin>": e for e in events.values()}
    # plain packets (acks too) take the fast path
    ack = by_raw['430[{"seq":0,"msg":"hello from the client","n":7,"list":[1,2,3]}]']
    assert ack.ack_of is not None
    line = packet_line(ack)
    assert line == encode_line(entry_for(ack).to_json())
    assert packet_line(by_raw["2"]) is not None  # a ping: generic decoded form
    # an attachment, a decode error: the entry path
    assert packet_line(by_raw['451-["file",{"_placeholder":true,"num":0}]']) is None
    assert packet_line(by_raw["9garbage"]) is None


def test_lone_surrogate_falls_back_to_escaped_line(tmp_path: Path) -> None:
    def feed(obs: LiveObserver) -> None:
        obs.on_ws_open(1, _request("EIO=4&transport=websocket"), None)
        obs.on_ws_message(1, S2C, b'42["half","\\ud83d"]', False)

    event = _events(feed)[0]
    assert packet_line(event) is None  # no UTF-8 form
    path = _record(tmp_path, "s.jsonl", feed, redact=False)
    packet = read_recording(path).packets()[0]
    assert packet.packet is not None
    assert packet.packet["sio"]["data"] == ["half", "\ud83d"]


json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**70), max_value=2**70)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(), inner, max_size=4),
    max_leaves=12,
)


@settings(max_examples=150, deadline=None)
@given(args=st.lists(json_values, max_size=3), ascii_only=st.booleans(), ack=st.booleans())
def test_any_event_payload_gives_the_entry_path_line(
    args: list[Any], ascii_only: bool, ack: bool
) -> None:
    text = json.dumps(["ev", *args], ensure_ascii=ascii_only, separators=(",", ":"))
    frame = ("43" if ack else "425") + (text if not ack else json.dumps(args))

    def feed(obs: LiveObserver) -> None:
        obs.on_ws_open(1, _request("EIO=4&transport=websocket"), None)
        obs.on_ws_message(1, C2S, frame.encode("utf-8", "surrogatepass"), False)

    events = _events(feed)
    assert len(events) == 1
    line = packet_line(events[0])
    if line is not None:
        assert line == encode_line(entry_for(events[0]).to_json())


@pytest.mark.parametrize(
    "value",
    [
        {"a": [1, 2.5, -0.0, 1e300, True, None, 'é😀\n"\\']},
        [2**80, -(2**80), {"1": {}}],
        "plain",
        {1: "int key", None: "null key"},
    ],
)
def test_json_text_is_json_dumps(value: Any) -> None:
    expected = json.dumps(value, ensure_ascii=False, separators=(",", ":"), allow_nan=False)
    assert json_text(value) == expected


def test_json_text_refuses_what_json_dumps_refuses() -> None:
    with pytest.raises(ValueError, match="Out of range float"):
        json_text([float("nan")])
    with pytest.raises(TypeError):
        json_text({"b": b"bytes"})
    loop: list[Any] = []
    loop.append(loop)
    with pytest.raises(ValueError, match="Circular reference"):
        json_text(loop)


@pytest.mark.parametrize("json_lines", [False, True], ids=["text", "json"])
@pytest.mark.parametrize(
    "feed", [_eio4_ws, _eio3_polling, _legacy_ws], ids=["eio4-ws", "eio3-polling", "0.9-ws"]
)
def test_the_log_goes_through_the_recordings_redaction(
    tmp_path: Path, feed: Callable[[LiveObserver], None], json_lines: bool
) -> None:
    # As ``sioproxy record`` wires it: one Redactor for the recording and the log.
    lines: list[str] = []
    redactor = Redactor()
    log = PacketLog(
        lambda line: lines.append(redactor.redact_output(line)),
        json_lines=json_lines,
        verbose=True,
    )
    recorder = LiveRecorder.open(str(tmp_path / "rec.jsonl"), upstream="u", redactor=redactor)
    obs = LiveObserver(clock=lambda: 0.25, sinks=[log.event, recorder.event])
    feed(obs)
    obs.shutdown()
    recorder.close()
    text = "\n".join(lines)
    for secret in (*SECRETS, "nsp-s3cr3t", "legacy-s3cr3t", "pw-in-json"):
        assert secret not in text, secret
    if json_lines:
        for line in lines:
            json.loads(line)  # still JSON
    if feed is _eio3_polling:
        assert "/admin?token=[REDACTED:query.token]" in text  # the v4 namespace query
