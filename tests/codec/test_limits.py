"""sioproxy's decoding limits (sioproxy.codec.limits): JSON nesting and size, packets per body."""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from sioproxy.codec import (
    engineio,
    handshake,
    legacy,
    legacy_framing,
    legacy_json,
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


# -- JSON longer than the size limit ---------------------------------------------

# ``["e","xxx"]`` of exactly the limit, and one character more.
AT_SIZE = '["e","' + "x" * (MAX_DECODE_CHARS - 8) + '"]'
OVER_SIZE = AT_SIZE[:-2] + 'x"]'


def test_the_size_limit_is_exact() -> None:
    assert len(AT_SIZE) == MAX_DECODE_CHARS
    assert len(OVER_SIZE) == MAX_DECODE_CHARS + 1


@pytest.mark.parametrize("revision", [4, 5])
def test_socketio_packets_longer_than_the_limit_do_not_decode(revision: int) -> None:
    assert socketio.decode_sio(f"2{AT_SIZE}", revision).data == ["e", "x" * (MAX_DECODE_CHARS - 8)]
    assert socketio.decode_sio(f"2/chat,12{AT_SIZE}", revision).id == 12
    for text in (f"2{OVER_SIZE}", f"3/chat,7{OVER_SIZE}"):
        with pytest.raises(DecodeError, match=f"longer than {MAX_DECODE_CHARS} characters"):
            socketio.decode_sio(text, revision)


def test_legacy_packets_longer_than_the_limit_do_not_decode() -> None:
    event = '{"name":"e","args":["' + "x" * (MAX_DECODE_CHARS - 28) + '"]}'
    assert len(f"5:::{event}") == MAX_DECODE_CHARS
    assert legacy.decode_packet(f"5:::{event}").type is legacy.LegacyType.EVENT
    over = event[:-3] + 'x"]}'
    for text in (f"5:::{over}", f"3:::{over}", f"6:::1+{OVER_SIZE}", f"4:::{OVER_SIZE}"):
        with pytest.raises(DecodeError, match="longer than"):
            legacy.decode_packet(text)  # a plain-text message too: the packet is too long
    assert legacy_json.parse_json(OVER_SIZE) == (False, None)
    assert legacy_json.parse_json(AT_SIZE)[0]


@pytest.mark.parametrize("version", [3, 4])
def test_engineio_packets_longer_than_the_limit_do_not_decode(version: int) -> None:
    at_limit = "4" + "x" * (MAX_DECODE_CHARS - 1)
    assert engineio.decode_eio(at_limit, version).data == at_limit[1:]
    for text in (at_limit + "x", "2" + at_limit):  # a message, a ping with data
        with pytest.raises(DecodeError, match=f"longer than {MAX_DECODE_CHARS} characters"):
            engineio.decode_eio(text, version)


def test_open_packet_longer_than_the_limit_is_shown_as_text() -> None:
    data = '{"sid":"a","upgrades":[],"pingInterval":1,"pingTimeout":1,"x":"'
    data += "y" * (MAX_DECODE_CHARS - len(data) - 1) + '"}'
    packet = engineio.EioPacket(type=engineio.EioType.OPEN, data=data)
    assert engineio.eio_to_dict(packet, 4)["data"] == data  # shown as text


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
