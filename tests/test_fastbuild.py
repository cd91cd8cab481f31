"""Fast constructors generated from a dataclass's fields leave no field out."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import Any

import pytest

from sioproxy.codec.engineio import decode_eio
from sioproxy.codec.legacy import decode_packet
from sioproxy.codec.socketio import SioPacket, decode_sio
from sioproxy.fastbuild import draft_builder, replacer, slot_init
from sioproxy.session.events import PacketSeen, build_packet_seen
from sioproxy.types import Direction, Generation


@dataclass(frozen=True, slots=True, kw_only=True)
class _Sample:
    a: int
    b: str = "b"
    c: dict[str, Any] = field(default_factory=dict)
    d: bool = field(default=False, init=False)


def test_draft_builder_sets_every_field_including_non_init_ones() -> None:
    build = draft_builder(_Sample)
    made = build(a=1, d=True)
    assert type(made) is _Sample
    assert (made.a, made.b, made.c, made.d) == (1, "b", {}, True)
    with pytest.raises(dataclasses.FrozenInstanceError):
        made.a = 2  # type: ignore[misc]


def test_a_field_without_default_cannot_be_left_out() -> None:
    with pytest.raises(TypeError, match="'a'"):
        draft_builder(_Sample)(b="x")
    init = slot_init(_Sample)
    with pytest.raises(TypeError, match="'a'"):
        init(object.__new__(_Sample), b="x")


def test_slot_init_matches_the_generated_init() -> None:
    fast = object.__new__(_Sample)
    slot_init(_Sample)(fast, a=3, c={"k": 1})
    assert fast == _Sample(a=3, c={"k": 1})
    assert fast.c == {"k": 1}
    assert slot_init(_Sample)(object.__new__(_Sample), a=1) is None


def test_packet_seen_constructors_agree() -> None:
    sio = decode_sio('2["e",1]', 5)
    common: dict[str, Any] = {
        "seq": 1,
        "conn": "c1",
        "t": 0.5,
        "direction": Direction.C2S,
        "transport": "websocket",
        "generation": Generation.EIO4,
        "raw": '42["e",1]',
        "eio": decode_eio('42["e",1]', 4),
        "sio": sio,
    }
    built = build_packet_seen(**common)
    assert built == PacketSeen(**common)
    assert built.extra == {}
    assert built.fate is None
    assert dataclasses.replace(built, seq=2).seq == 2


def _slots(obj: object) -> dict[str, Any]:
    return {name: getattr(obj, name) for name in type(obj).__slots__}  # type: ignore[attr-defined]


def test_replacer_matches_dataclasses_replace() -> None:
    sample = _Sample(a=1, c={"k": 1})
    object.__setattr__(sample, "d", True)  # a non-init field off its default
    fast = replacer(_Sample, "b")(sample, "new")
    slow = dataclasses.replace(sample, b="new")
    assert type(fast) is _Sample
    assert _slots(fast) == _slots(slow) == {"a": 1, "b": "new", "c": {"k": 1}, "d": False}
    assert fast.c is sample.c  # copied, as replace copies


@pytest.mark.parametrize(
    "packet",
    [
        decode_sio('2/admin,7["e",{"a":1}]', 5),  # pristine: replace must unmark it
        decode_sio('51-["e",{"_placeholder":true,"num":0}]', 5),
        SioPacket(type=decode_sio("0", 5).type, options={"compress": True}),
        decode_packet('5:1+::{"name":"e","args":[1]}'),
    ],
)
def test_replacing_raw_of_packets_is_dataclasses_replace(packet: Any) -> None:
    fast = replacer(type(packet), "raw")(packet, "other")
    assert _slots(fast) == _slots(dataclasses.replace(packet, raw="other"))


def test_replacer_refuses_unknown_and_non_init_fields() -> None:
    with pytest.raises(TypeError, match="'nope'"):
        replacer(_Sample, "nope")
    with pytest.raises(TypeError, match="'d'"):
        replacer(_Sample, "d")
