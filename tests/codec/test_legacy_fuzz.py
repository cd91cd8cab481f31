"""Property tests of the 0.9 codec: round trips and the DecodeError-only contract."""

from __future__ import annotations

import contextlib
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from sioproxy.codec.legacy import (
    MAX_ID_DIGITS,
    LegacyPacket,
    LegacyType,
    decode_packet,
    encode_packet,
)
from sioproxy.codec.legacy_dict import packet_from_dict, packet_to_dict
from sioproxy.codec.legacy_framing import (
    LegacyHandshake,
    decode_handshake,
    decode_jsonp_post,
    decode_jsonp_response,
    decode_payload,
    encode_handshake,
    encode_jsonp_post,
    encode_jsonp_response,
    encode_payload,
    split_payload,
)
from sioproxy.errors import DecodeError

FUZZ = settings(max_examples=400, deadline=None)

# Text that reaches the parser's corners: separators, digits, '+', framing marks,
# astral characters (2 UTF-16 units), JSON punctuation, newlines.
PIECES = [":", "0", "1", "2", "5", "6", "7", "9", "+", "\ufffd", "😀", "{", "}", "[", "]"]
PIECES += ['"', "é", "\n", "/", "a", "name", "args", ",", "\\", "\ud83d", " "]
adversarial = st.lists(st.sampled_from(PIECES), max_size=40).map("".join)
any_text = st.one_of(st.text(), adversarial)

type_digit = st.sampled_from([str(int(t)) for t in LegacyType] + ["9", "x", ""])
id_field = st.one_of(st.just(""), st.from_regex(r"\A[0-9]{1,4}\+?\Z"), st.just("+"), adversarial)
shaped = st.builds(
    lambda t, i, e, rest: f"{t}:{i}:{e}{rest}",
    type_digit,
    id_field,
    st.text(max_size=8),
    st.one_of(st.just(""), any_text.map(lambda s: ":" + s)),
)
packet_text = st.one_of(any_text, shaped)


def framed(frames: list[str], lengths: list[int]) -> str:
    return "".join(f"\ufffd{n}\ufffd{f}" for f, n in zip(frames, lengths, strict=False))


payload_text = st.one_of(
    packet_text,
    st.builds(
        framed,
        st.lists(packet_text, min_size=1, max_size=4),
        st.lists(st.integers(0, 40), min_size=1, max_size=4),
    ),
)


def _check_views(packet: LegacyPacket) -> None:
    for name in ("name", "args", "ack_id", "ack_args", "qs", "json_data", "reason", "advice"):
        getattr(packet, name)


@FUZZ
@given(packet_text)
def test_decode_packet_only_raises_decode_error(text: str) -> None:
    try:
        packet = decode_packet(text)
    except DecodeError:
        return
    assert encode_packet(packet) == text
    _check_views(packet)
    as_dict = packet_to_dict(packet)
    rebuilt = packet_from_dict(as_dict)  # never an EncodeError for a decoded packet
    assert decode_packet(encode_packet(rebuilt)).type is packet.type


@FUZZ
@given(payload_text)
def test_decode_payload_only_raises_decode_error(text: str) -> None:
    try:
        frames = split_payload(text)
    except DecodeError:
        frames = None
    try:
        packets = decode_payload(text)
    except DecodeError:
        return
    assert frames is not None
    assert [p.raw for p in packets] == frames
    assert encode_payload(frames) == text or len(frames) == 1


@FUZZ
@given(any_text)
def test_body_decoders_only_raise_decode_error(text: str) -> None:
    for decoder in (decode_handshake, decode_jsonp_response, decode_jsonp_post):
        with contextlib.suppress(DecodeError):
            decoder(text)
    with contextlib.suppress(DecodeError):
        decode_jsonp_post(text.encode("utf-8", "surrogatepass"))


endpoints = st.text().map(lambda s: s.replace(":", ""))
ids = st.one_of(st.none(), st.integers(0, 10**30))
data = st.one_of(st.none(), st.text(min_size=1))
packets = st.builds(
    LegacyPacket,
    type=st.sampled_from(LegacyType),
    id=ids,
    ack_data=st.booleans(),
    endpoint=endpoints,
    data=data,
).filter(
    lambda p: (
        not (
            p.type is LegacyType.ACK
            and len((p.data or "").partition("+")[0]) > MAX_ID_DIGITS
            and (p.data or "").partition("+")[0].isdigit()
        )
    )
)


@FUZZ
@given(packets)
def test_packet_round_trip(packet: LegacyPacket) -> None:
    wire = encode_packet(packet)
    decoded = decode_packet(wire)
    assert decoded == packet
    assert encode_packet(decoded) == wire
    assert wire.startswith(str(int(packet.type)) + ":")


@FUZZ
@given(st.lists(packets, min_size=1, max_size=5))
def test_payload_round_trip(items: list[LegacyPacket]) -> None:
    frames = [encode_packet(p) for p in items]
    body = encode_payload(frames)
    assert split_payload(body) == frames
    assert decode_payload(body) == items
    assert body.startswith("\ufffd") == (len(frames) > 1)


json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(-(10**20), 10**20)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(), inner, max_size=4),
    max_leaves=12,
)


def js_numbers(value: Any) -> Any:
    """Numbers as JavaScript holds them (doubles): 5.192137227508242e16 prints as
    51921372275082420 and parses back as that integer, equal only as doubles."""
    if isinstance(value, bool) or value is None or isinstance(value, str):
        return value
    if isinstance(value, int | float):
        return float(value)
    if isinstance(value, list):
        return [js_numbers(item) for item in value]
    return {key: js_numbers(item) for key, item in value.items()}


id_keys = st.one_of(
    st.just({}),
    st.builds(
        lambda i, a: {"id": i, "ack": a}, st.integers(0, 10**6), st.sampled_from([True, "data"])
    ),
)


@FUZZ
@given(id_keys, endpoints, st.text(), st.lists(json_values, max_size=4))
def test_event_dict_round_trip(
    id_part: dict[str, Any], endpoint: str, name: str, args: list[Any]
) -> None:
    obj = {"type": "event", **id_part, "endpoint": endpoint, "name": name, "args": args}
    wire = encode_packet(packet_from_dict(obj))
    assert js_numbers(packet_to_dict(decode_packet(wire))) == js_numbers(obj)


@FUZZ
@given(endpoints, st.integers(0, 10**9), st.lists(json_values, max_size=4))
def test_ack_dict_round_trip(endpoint: str, ack_id: int, args: list[Any]) -> None:
    obj = {"type": "ack", "endpoint": endpoint, "ackId": ack_id, "args": args}
    wire = encode_packet(packet_from_dict(obj))
    assert js_numbers(packet_to_dict(decode_packet(wire))) == js_numbers(obj)
    assert wire.startswith(f"6::{endpoint}:{ack_id}")


@FUZZ
@given(id_keys, endpoints, json_values, st.text())
def test_json_and_message_dict_round_trip(
    id_part: dict[str, Any], endpoint: str, value: Any, text: str
) -> None:
    for obj in (
        {"type": "json", **id_part, "endpoint": endpoint, "data": value},
        {"type": "message", **id_part, "endpoint": endpoint, "data": text},
    ):
        again = packet_to_dict(decode_packet(encode_packet(packet_from_dict(obj))))
        assert js_numbers(again) == js_numbers(obj)


@FUZZ
@given(st.integers(0, 10**6), st.text())
def test_jsonp_round_trips(index: int, payload: str) -> None:
    assert decode_jsonp_response(encode_jsonp_response(index, payload)) == (index, payload)
    body = encode_jsonp_post(payload)
    assert body.isascii()
    assert decode_jsonp_post(body) == payload
    assert decode_jsonp_post(body.encode("ascii")) == payload


names = st.text(min_size=1).map(lambda s: s.replace(":", "").replace(",", "")).filter(bool)
timeouts = st.one_of(st.none(), st.integers(0, 10**6))


@FUZZ
@given(names, timeouts, timeouts, st.lists(names, max_size=5))
def test_handshake_round_trip(
    sid: str, heartbeat: int | None, close: int | None, transports: list[str]
) -> None:
    handshake = LegacyHandshake(
        sid=sid, heartbeat_timeout=heartbeat, close_timeout=close, transports=tuple(transports)
    )
    assert decode_handshake(encode_handshake(handshake)) == handshake
