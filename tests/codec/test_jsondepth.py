"""One JSON nesting limit for every decoder of peer JSON (sioproxy.codec.jsondepth)."""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from sioproxy.codec import engineio, handshake, legacy, legacy_json, socketio
from sioproxy.codec.jsondepth import MAX_JSON_DEPTH, too_deep
from sioproxy.errors import DecodeError

LIMIT = MAX_JSON_DEPTH


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
