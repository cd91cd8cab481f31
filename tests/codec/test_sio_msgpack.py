"""Socket.IO packets of socket.io-msgpack-parser: the same SioPacket as the default parser."""

from __future__ import annotations

import pytest

from sioproxy.codec.msgpack import encode_msgpack
from sioproxy.codec.sio_dict import sio_to_dict
from sioproxy.codec.sio_msgpack import decode_sio_msgpack, encode_sio_msgpack
from sioproxy.codec.socketio import SioType
from sioproxy.errors import DecodeError


def test_an_event_with_a_buffer_reads_like_a_binary_event() -> None:
    wire = encode_msgpack(
        {
            "type": 2,
            "data": ["bin", b"\x01\x02", {"n": b"\x03"}],
            "options": {},
            "id": 4,
            "nsp": "/chat",
        }
    )
    packet = decode_sio_msgpack(wire)
    assert sio_to_dict(packet, 5) == {
        "type": "binary_event",
        "nsp": "/chat",
        "id": 4,
        "data": ["bin", {"_placeholder": True, "num": 0}, {"n": {"_placeholder": True, "num": 1}}],
        "attachments": ["AQI=", "Aw=="],
    }
    assert encode_sio_msgpack(packet) == encode_msgpack(
        {"type": 2, "data": ["bin", b"\x01\x02", {"n": b"\x03"}], "nsp": "/chat", "id": 4}
    )


def test_plain_packets_keep_their_type() -> None:
    packet = decode_sio_msgpack(encode_msgpack({"type": 0, "nsp": "/", "data": {"sid": "x"}}))
    assert (packet.type, packet.data, packet.id) == (SioType.CONNECT, {"sid": "x"}, None)
    ack = decode_sio_msgpack(encode_msgpack({"id": 0, "type": 3, "data": [], "nsp": "/"}))
    assert (ack.type, ack.id, ack.data) == (SioType.ACK, 0, [])


@pytest.mark.parametrize(
    ("value", "reason"),
    [
        ([1], "not a map"),
        ({"type": 5, "nsp": "/", "data": []}, "invalid packet type"),
        ({"type": 2, "data": []}, "invalid namespace"),
        ({"type": 2, "nsp": "/", "data": {}}, "invalid payload"),
        ({"type": 1, "nsp": "/", "data": 1}, "invalid payload"),
        ({"type": 2, "nsp": "/", "data": ["x"], "id": "1"}, "invalid packet id"),
    ],
)
def test_what_the_parser_refuses_is_a_decode_error(value: object, reason: str) -> None:
    with pytest.raises(DecodeError, match=reason):
        decode_sio_msgpack(encode_msgpack(value))
