"""decode_sio's inline steps: ack id, payload, EVENT/ACK validation, packet construction."""

from __future__ import annotations

import dataclasses

import pytest

from sioproxy.codec.socketio import SioPacket, SioType, decode_sio
from sioproxy.errors import DecodeError


@pytest.mark.parametrize(
    ("wire", "pid"),
    [("30[]", 0), ("3007[]", 7), ("3" + "9" * 100 + "[]", int("9" * 100)), ("2/a,5", 5)],
)
def test_ack_ids(wire: str, pid: int) -> None:
    assert decode_sio(wire, 5).id == pid


def test_decoded_packet_is_a_real_frozen_sio_packet() -> None:
    packet = decode_sio('2/a,5["x",{"y":1}]', 5)
    assert type(packet) is SioPacket
    assert packet == SioPacket(type=SioType.EVENT, nsp="/a", id=5, data=["x", {"y": 1}])
    assert packet.raw == '2/a,5["x",{"y":1}]'
    assert packet._pristine
    with pytest.raises(dataclasses.FrozenInstanceError):
        packet.id = 6  # type: ignore[misc]
    assert dataclasses.replace(packet, id=6).id == 6


def test_ack_id_over_100_digits_is_refused() -> None:
    with pytest.raises(DecodeError, match="id field is too long") as info:
        decode_sio("3" + "1" * 101 + "[]", 5)
    assert info.value.offset == 1


@pytest.mark.parametrize("revision", [4, 5])
def test_event_validation_inline(revision: int) -> None:
    assert decode_sio('2["disconnecting"]', 4).name == "disconnecting"
    if revision == 5:
        with pytest.raises(DecodeError, match="invalid payload"):
            decode_sio('2["disconnecting"]', 5)
    assert decode_sio("2[1]", revision).data == [1]  # a number is a valid name
    for bad in ("2[]", '2{"a":1}', "2[null]", "3{}"):
        with pytest.raises(DecodeError):
            decode_sio(bad, revision)
