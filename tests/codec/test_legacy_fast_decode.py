"""The 0.9 codec's fast paths give what the general ones give: packets, frames and errors.

``split_payload`` first splits a body at every U+FFFD and keeps the pieces when each
length prefix is its frame's; otherwise, and for every error, ``_scan_frames`` (the
frame-by-frame scan) decides. ``decode_packet`` splits a packet at its first three
colons; ``reference_decode`` below is the find-based decoder it replaced.
"""

from __future__ import annotations

from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from sioproxy.codec import legacy_framing
from sioproxy.codec.jsstr import utf16_len
from sioproxy.codec.legacy import (
    _JSON_TYPES,
    _TYPE_BY_DIGIT,
    MAX_ID_DIGITS,
    PROTOCOL,
    LegacyPacket,
    LegacyType,
    _parse_id,
    decode_packet,
    is_digits,
)
from sioproxy.codec.limits import depth_error, too_deep
from sioproxy.errors import DecodeError
from tests.codec.test_legacy_fuzz import packet_text

FUZZ = settings(max_examples=600, deadline=None)
MARK = "\ufffd"


def outcome(fn: Any, *args: Any) -> Any:
    """What a decoder gives: its value, or its error's class, reason and offset."""
    try:
        return fn(*args)
    except DecodeError as exc:
        return type(exc), exc.reason, exc.offset


# -- split_payload ---------------------------------------------------------

# Frames with the corners of the fast path: marks inside, astral characters
# (2 UTF-16 units), lone surrogates, non-ASCII BMP text, empty frames.
frame_text = st.one_of(
    packet_text,
    st.lists(st.sampled_from(["a", "é", "😀", MARK, "\ud83d", "5:::", "0"]), max_size=6).map(
        "".join
    ),
)


@st.composite
def framed_body(draw: st.DrawFn) -> str:
    """Frames each with a length prefix that is mostly right (the fast path), else off."""
    parts = []
    for frame in draw(st.lists(frame_text, min_size=1, max_size=5)):
        units = utf16_len(frame)
        prefix = draw(
            st.sampled_from(
                [str(units), str(units), f"0{units}", str(len(frame)), str(units + 1), "", "x"]
            )
        )
        parts.append(f"{MARK}{prefix}{MARK}{frame}")
    tail = draw(st.sampled_from(["", "", MARK, f"{MARK}1", "junk"]))
    return "".join(parts) + tail


@FUZZ
@given(framed_body(), st.sampled_from([None, None, 0, 1, 2, 3, 10_000]))
def test_split_payload_is_the_scan(body: str, limit: int | None) -> None:
    assert outcome(legacy_framing.split_payload, body, limit) == outcome(
        legacy_framing._scan_frames, body, limit
    )


def test_split_payload_takes_the_fast_path() -> None:
    """A well-framed body never reaches the scan (or the equivalence above tests little)."""
    body = "".join(f"{MARK}{utf16_len(f)}{MARK}{f}" for f in ["5:::{}", "é😀", "", "1::"])
    scan = legacy_framing._scan_frames
    legacy_framing._scan_frames = None  # type: ignore[assignment]
    try:
        assert legacy_framing.split_payload(body, 10) == ["5:::{}", "é😀", "", "1::"]
    finally:
        legacy_framing._scan_frames = scan


# -- decode_packet -----------------------------------------------------------


def reference_decode(text: str) -> LegacyPacket:
    """``decode_packet`` as it was before the split: three ``find`` calls."""
    first = text.find(":")
    second = text.find(":", first + 1) if first >= 0 else -1
    if second < 0:
        raise DecodeError(PROTOCOL, "packet needs at least two ':' separators", text, len(text))
    ptype = _TYPE_BY_DIGIT.get(text[:first])
    if ptype is None:
        reason = "missing packet type" if first == 0 else "unknown packet type"
        raise DecodeError(PROTOCOL, f"{reason} {text[:first][:10]!r}", text, 0)
    id_field = text[first + 1 : second]
    ack_data = id_field.endswith("+")
    digits = id_field[:-1] if ack_data else id_field
    packet_id = _parse_id(digits, text, first + 1) if digits else None
    third = text.find(":", second + 1)
    if third < 0:
        endpoint, data = text[second + 1 :], None
    else:
        endpoint, data = text[second + 1 : third], text[third + 1 :] or None
    if ptype is LegacyType.ACK and data is not None:
        head = data.partition("+")[0]
        if len(head) > MAX_ID_DIGITS and is_digits(head):
            raise DecodeError(PROTOCOL, "ack id too long", text, third + 1)
    if data is not None and ptype in _JSON_TYPES and too_deep(data):
        raise DecodeError(PROTOCOL, depth_error(), text, third + 1)
    return LegacyPacket(
        type=ptype, id=packet_id, ack_data=ack_data, endpoint=endpoint, data=data, raw=text
    )


def fields(packet: Any) -> Any:
    if not isinstance(packet, LegacyPacket):
        return packet
    return (packet.type, packet.id, packet.ack_data, packet.endpoint, packet.data, packet.raw)


long_digits = st.integers(MAX_ID_DIGITS - 1, MAX_ID_DIGITS + 2).map(lambda n: "7" * n)
deep = st.integers(250, 260).map(lambda n: "[" * n + "]" * n)
packet_like = st.one_of(
    packet_text,
    st.builds(
        lambda t, i, tail: f"{t}:{i}::{tail}",
        st.sampled_from(["5", "6", "4", "3", "\u0665", ""]),
        st.one_of(st.just(""), long_digits, long_digits.map(lambda d: d + "+"), st.just("²")),
        st.one_of(
            packet_text,
            deep,
            long_digits,
            st.builds(lambda d, rest: f"{d}+{rest}", long_digits, st.text(max_size=500)),
        ),
    ),
)


@FUZZ
@given(packet_like)
def test_decode_packet_is_the_reference(text: str) -> None:
    assert fields(outcome(decode_packet, text)) == fields(outcome(reference_decode, text))
