"""PacketSeen's hand-written ``__init__`` behaves like the generated one."""

from __future__ import annotations

import dataclasses

import pytest

from sioproxy.codec.engineio import EioPacket, EioType
from sioproxy.codec.legacy import LegacyPacket, LegacyType
from sioproxy.codec.socketio import SioPacket, SioType
from sioproxy.session import PacketSeen
from sioproxy.types import Direction, Fate, Generation


def _full() -> dict[str, object]:
    """A distinct value for every field."""
    inner = PacketSeen(
        seq=1, conn="c0", t=0.0, direction=Direction.S2C, transport="polling",
        generation=Generation.EIO3, raw="x",
    )  # fmt: skip
    return {
        "seq": 7,
        "conn": "c3",
        "t": 1.25,
        "direction": Direction.C2S,
        "transport": "websocket",
        "generation": Generation.EIO4,
        "raw": "42[1]",
        "attachments": (b"\x01",),
        "legacy": LegacyPacket(type=LegacyType.NOOP),
        "eio": EioPacket(type=EioType.MESSAGE, data="2[1]"),
        "sio": SioPacket(type=SioType.EVENT, data=[1]),
        "error": "bad",
        "ack_of": 3,
        "extra": {"k": 1},
        "original": inner,
        "note": "why",
        "fate": Fate.REWRITTEN,
        "rule": "r1",
        "delay": 0.5,
        "parser": "msgpack",
    }


def test_every_field_is_set_from_its_keyword() -> None:
    values = _full()
    assert set(values) == {f.name for f in dataclasses.fields(PacketSeen)}
    packet = PacketSeen(**values)  # type: ignore[arg-type]
    for name, value in values.items():
        assert getattr(packet, name) is value, name


def test_defaults_replace_equality_and_frozen() -> None:
    packet = PacketSeen(
        seq=1, conn="c1", t=0.5, direction=Direction.C2S, transport="websocket",
        generation=Generation.EIO4, raw="2",
    )  # fmt: skip
    assert (packet.attachments, packet.sio, packet.ack_of, packet.note) == ((), None, None, None)
    assert packet.extra == {}
    other = PacketSeen(
        seq=1, conn="c1", t=0.5, direction=Direction.C2S, transport="websocket",
        generation=Generation.EIO4, raw="2",
    )  # fmt: skip
    assert packet == other
    assert packet.extra is not other.extra  # a fresh dict each, as default_factory gave
    changed = dataclasses.replace(packet, note="rewritten", seq=9)
    assert (changed.seq, changed.note, changed.raw) == (9, "rewritten", "2")
    with pytest.raises(dataclasses.FrozenInstanceError):
        packet.seq = 2  # type: ignore[misc]
    with pytest.raises(TypeError):
        PacketSeen(seq=1)  # type: ignore[call-arg]
