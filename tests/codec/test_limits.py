"""sioproxy's decoding limits (sioproxy.codec.limits): JSON nesting and size, packets per body."""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sioproxy.codec import (
    engineio,
    handshake,
    legacy,
    legacy_framing,
    legacy_json,
    limits,
    payload,
    socketio,
)
from sioproxy.codec.limits import (
    BODY_NOTE,
    MAX_DECODE_CHARS,
    MAX_JSON_DEPTH,
    MAX_PACKETS_PER_BODY,
    LimitError,
    too_deep,
)
from sioproxy.errors import DecodeError
from sioproxy.session import PacketSeen, SessionTracker
from sioproxy.types import Direction

LIMIT = MAX_JSON_DEPTH
OPEN = b'0{"sid":"S1","upgrades":[],"pingInterval":25000,"pingTimeout":20000}'


def nested(depth: int, inner: str = "1") -> str:
    """``depth`` levels of arrays and objects, alternating, around ``inner``."""
    text = inner
    for level in range(depth):
        text = f"[{text}]" if level % 2 else f'{{"k":{text}}}'
    return text


def test_the_limit_is_exact() -> None:
    assert not too_deep(nested(LIMIT))
    assert too_deep(nested(LIMIT + 1))
    assert too_deep(nested(900))


def test_brackets_inside_strings_do_not_count() -> None:
    text = json.dumps(["[" * 1000, "{" * 1000, '\\"[[[' * 300])
    assert not too_deep(text)
    assert too_deep(json.dumps("x") + "," + "[" * (LIMIT + 1) + "]" * (LIMIT + 1))


def test_unterminated_strings_and_garbage_never_raise() -> None:
    for text in ['"\\"' * 5000 + "[" * 600, '"' + "[" * 600, "\\" * 3000, "]" * 3000]:
        assert too_deep(text) in (True, False)


def json_values(max_leaves: int = 40) -> st.SearchStrategy[Any]:
    return st.recursive(
        st.none() | st.integers() | st.text(alphabet='[]{}"\\ab', max_size=6),
        lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=3), inner),
        max_leaves=max_leaves,
    )


def depth_of(value: Any) -> int:
    if isinstance(value, list):
        return 1 + max((depth_of(v) for v in value), default=0)
    if isinstance(value, dict):
        return 1 + max((depth_of(v) for v in value.values()), default=0)
    return 0


@given(value=json_values(), extra=st.integers(min_value=0, max_value=LIMIT + 5))
def test_agrees_with_the_depth_of_the_decoded_value(value: Any, extra: int) -> None:
    wrapped = value
    for _ in range(extra):
        wrapped = [wrapped]
    text = json.dumps(wrapped)
    assert too_deep(text) is (depth_of(wrapped) > LIMIT)


def outside_steps(text: str) -> list[int]:
    """+1 per ``[`` or ``{``, -1 per ``]`` or ``}``, outside strings, one character at a time."""
    in_string = escaped = False
    steps = []
    for char in text:
        if in_string:
            if escaped:
                escaped = False
            elif char == "\\":
                escaped = True
            elif char == '"':
                in_string = False
        elif char == '"':
            in_string = True
        elif char in "[{":
            steps.append(1)
        elif char in "]}":
            steps.append(-1)
    return steps


def reference_too_deep(text: str) -> bool:
    """``too_deep`` as its docstring says it."""
    steps = outside_steps(text)
    level = highest = 0
    for step in steps:
        level += step
        highest = max(highest, level)
    return level == 0 and highest > LIMIT


def runs(chars: str, longest: int) -> st.SearchStrategy[str]:
    return st.builds(lambda c, n: c * n, st.sampled_from(chars), st.integers(1, longest))


# Small pieces of JSON-ish text: strings (closed or not) holding brackets,
# quotes and escapes, loose escapes and quotes, non-ASCII and a lone
# surrogate, dense values, a few brackets.
SMALL = st.one_of(
    st.text(alphabet='[]{}"\\', max_size=12).map(json.dumps),
    st.text(alphabet='[]{}"\\ab,0\né', max_size=12).map(lambda t: '"' + t),
    st.sampled_from(
        ['\\"', "\\\\", '""', '"\\', "\ud800", "\U0001f600", "0,", '{"a":1},', "[[0]],"]
    ),
    runs("[{]}", 3),
)
JUNK = st.lists(SMALL, max_size=12).map("".join)
# Small pieces inside brackets about as deep as the limit, or long runs of
# brackets and JSON nested about as deep among the small pieces.
TEXTS = st.builds(
    lambda before, depth, inner, after: before + "[" * depth + inner + "]" * depth + after,
    JUNK,
    st.integers(LIMIT - 6, LIMIT + 2),
    JUNK,
    JUNK,
) | st.lists(
    SMALL
    | runs("[{", LIMIT + 40)
    | runs("]}", LIMIT + 40)
    | st.integers(LIMIT - 4, LIMIT + 4).map(nested),
    min_size=1,
    max_size=30,
).map("".join)


@settings(max_examples=500)
@given(
    text=TEXTS,
    balance_at=st.none() | st.floats(min_value=0, max_value=1),
    prefix=st.sampled_from(["", "42", '2["e",']),
)
def test_agrees_with_a_plain_loop_on_json_ish_text(
    text: str, balance_at: float | None, prefix: str
) -> None:
    if balance_at is not None:
        # Most texts worth a look balance their brackets: add what is
        # missing somewhere (a string there may undo it, fine too).
        missing = sum(outside_steps(text))
        at = int(balance_at * len(text))
        fill = "]" * missing if missing > 0 else "[" * -missing
        text = text[:at] + fill + text[at:]
    assert too_deep(prefix + text, len(prefix)) is reference_too_deep(text)


@given(brackets=st.text(alphabet="[]", max_size=40))
def test_the_highest_running_sum_eight_brackets_at_a_time(brackets: str) -> None:
    level = highest = 0
    for char in brackets:
        level += 1 if char == "[" else -1
        highest = max(highest, level)
    assert limits._highest(brackets.encode()) == highest


DEEP = nested(LIMIT + 1)


@pytest.mark.parametrize("revision", [4, 5])
def test_socketio_packets_deeper_than_the_limit_do_not_decode(revision: int) -> None:
    assert socketio.decode_sio(f'2["e",{nested(LIMIT - 1)}]', revision).data is not None
    for text in (f'2["e",{DEEP}]', f"3/chat,7[{DEEP}]", f'0{{"a":{DEEP}}}'):
        with pytest.raises(DecodeError, match=f"nested deeper than {LIMIT} levels"):
            socketio.decode_sio(text, revision)


def test_legacy_json_event_and_ack_deeper_than_the_limit_do_not_decode() -> None:
    event = '{"name":"e","args":[' + nested(LIMIT - 2) + "]}"
    assert legacy.decode_packet(f"5:::{event}").type is legacy.LegacyType.EVENT
    for text in (f"4:::{DEEP}", '5:::{"name":"e","args":[' + DEEP + "]}", f"6:::1+[{DEEP}]"):
        with pytest.raises(DecodeError, match="nested deeper"):
            legacy.decode_packet(text)
    assert legacy.decode_packet(f"3:::{DEEP}").data == DEEP  # a message is plain text
    assert legacy_json.parse_json(DEEP) == (False, None)


def test_open_packet_deeper_than_the_limit() -> None:
    data = '{"sid":"a","upgrades":[],"pingInterval":1,"pingTimeout":1,"x":' + DEEP + "}"
    with pytest.raises(DecodeError, match="nested deeper"):
        handshake.decode_open(data)
    packet = engineio.EioPacket(type=engineio.EioType.OPEN, data=data)
    assert engineio.eio_to_dict(packet, 4)["data"] == data  # shown as text


# -- packets longer than the live proxy's size limit (session.Connection) ----------

SMALL = 1_000  # a tracker's limit for these tests: the cut is the same at any size
C2S = Direction.C2S


def _event_text(size: int) -> str:
    """``42["e","xxx"]`` of ``size`` characters."""
    return '42["e","' + "x" * (size - 10) + '"]'


def _ws_tracker(version: int = 4, limit: int = SMALL) -> SessionTracker:
    tracker = SessionTracker(clock=lambda: 0.0, max_decode=limit)
    tracker.ws_open(1, "GET", "/socket.io/", f"EIO={version}&transport=websocket", ())
    tracker.ws_message(1, Direction.S2C, b"0" + OPEN[1:], False)
    return tracker


def _packets(events: object) -> list[PacketSeen]:
    return [e for e in events if isinstance(e, PacketSeen)]  # type: ignore[attr-defined]


def test_a_websocket_packet_over_the_limit_is_recorded_raw() -> None:
    tracker = _ws_tracker()
    (at,) = _packets(tracker.ws_message(1, C2S, _event_text(SMALL).encode(), False))
    assert at.error is None
    assert at.event_name == "e"
    assert (
        tracker.ws_text(1, C2S, _event_text(SMALL + 1).encode()) is None
    )  # the fast path declines
    (over,) = _packets(tracker.ws_message(1, C2S, _event_text(SMALL + 1).encode(), False))
    assert over.raw == _event_text(SMALL + 1)
    assert over.error is not None
    assert f"longer than {SMALL} characters: not decoded" in over.error
    assert over.note is None
    (ping,) = _packets(tracker.ws_message(1, C2S, b"2" + b"p" * SMALL, False))
    assert ping.error is not None  # any Engine.IO packet, not only messages


def test_a_polling_packet_over_the_limit_is_recorded_raw_and_the_rest_decoded() -> None:
    tracker = SessionTracker(clock=lambda: 0.0, max_decode=SMALL)
    tracker.http_request(1, "GET", "/socket.io/", "EIO=4&transport=polling", (), b"")
    tracker.http_response(1, 200, (), OPEN)
    body = "\x1e".join([_event_text(SMALL + 1), '42["after"]']).encode()
    query = "EIO=4&transport=polling&sid=S1"
    over, after = _packets(tracker.http_request(2, "POST", "/socket.io/", query, (), body))
    assert over.error is not None
    assert "longer than" in over.error
    assert over.raw == _event_text(SMALL + 1)
    assert after.event_name == "after"


def test_a_legacy_packet_over_the_limit_is_recorded_raw() -> None:
    tracker = SessionTracker(clock=lambda: 0.0, max_decode=SMALL)
    tracker.http_request(1, "GET", "/socket.io/1/", "t=1", (), b"")
    tracker.http_response(1, 200, (), b"H1:60:60:websocket,xhr-polling")
    tracker.ws_open(1, "GET", "/socket.io/1/websocket/H1", "", ())
    event = '5:::{"name":"e","args":["' + "x" * SMALL + '"]}'
    (over,) = _packets(tracker.ws_message(1, C2S, event.encode(), False))
    assert over.error is not None
    assert "longer than" in over.error


def test_the_limit_is_the_trackers_and_the_default_is_the_constant() -> None:
    text = _event_text(MAX_DECODE_CHARS + 1).encode()
    (over,) = _packets(_ws_tracker(limit=MAX_DECODE_CHARS).ws_message(1, C2S, text, False))
    assert over.error is not None
    (decoded,) = _packets(_ws_tracker(limit=2 * MAX_DECODE_CHARS).ws_message(1, C2S, text, False))
    assert decoded.error is None
    assert SessionTracker(clock=lambda: 0.0)._max_decode == MAX_DECODE_CHARS
    # The decoders themselves have no size cap (the replay programs use them).
    assert socketio.decode_sio(text.decode()[1:], 5).data[0] == "e"


# -- packets per polling body -------------------------------------------------

N = MAX_PACKETS_PER_BODY


def test_eio4_body_over_the_packet_limit_is_not_decoded() -> None:
    at_limit = "\x1e".join(["6"] * N).encode()
    assert len(payload.decode_payload(at_limit, 4, limit=N)) == N
    with pytest.raises(payload.PayloadLimitError, match=f"more than {N} packets") as caught:
        payload.decode_payload(at_limit + b"\x1e6", 4, limit=N)
    assert caught.value.packets == []
    assert len(payload.decode_payload(at_limit + b"\x1e6", 4)) == N + 1  # no limit asked


@pytest.mark.parametrize("binary", [False, True])
def test_eio3_bodies_over_the_packet_limit_are_not_decoded(binary: bool) -> None:
    noop = engineio.EioPacket(type=engineio.EioType.NOOP)
    body = payload.encode_payload([noop] * N, 3, binary=binary)
    ctype = "application/octet-stream" if binary else "text/plain"
    assert len(payload.decode_payload(body, 3, content_type=ctype, limit=N)) == N
    more = payload.encode_payload([noop] * (N + 1), 3, binary=binary)
    with pytest.raises(payload.PayloadLimitError):
        payload.decode_payload(more, 3, content_type=ctype, limit=N)


def test_eio3_empty_entries_count_towards_the_limit() -> None:
    """``0:`` decodes to nothing, but each one is work: it counts."""
    with pytest.raises(payload.PayloadLimitError):
        payload.decode_payload(b"0:" * (N + 1), 3, content_type="text/plain", limit=N)


def test_legacy_body_over_the_packet_limit_is_not_split() -> None:
    body = legacy_framing.encode_payload(["8::"] * (N + 1))
    assert len(legacy_framing.split_payload(body)) == N + 1
    with pytest.raises(LimitError, match=f"more than {N} packets"):
        legacy_framing.split_payload(body, N)


def test_tracker_records_a_body_over_the_limit_once_raw_with_a_note() -> None:
    tracker = SessionTracker(clock=lambda: 0.0)
    tracker.http_request(1, "GET", "/socket.io/", "EIO=4&transport=polling", (), b"")
    tracker.http_response(1, 200, (), OPEN)
    body = "\x1e".join(["6"] * (N + 1)).encode()
    query = "EIO=4&transport=polling&sid=S1"
    (event,) = tracker.http_request(2, "POST", "/socket.io/", query, (), body)
    assert isinstance(event, PacketSeen)
    assert event.raw == body.decode()
    assert event.error is not None
    assert f"more than {N} packets" in event.error
    assert event.note == BODY_NOTE
    answer = tracker.http_request(3, "POST", "/socket.io/", query, (), b'42["after"]')
    assert [e.event_name for e in answer if isinstance(e, PacketSeen)] == ["after"]
