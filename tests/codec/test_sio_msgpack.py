"""Socket.IO packets of socket.io-msgpack-parser: the same SioPacket as the default parser."""

from __future__ import annotations

import json

import pytest

from sioproxy.codec.msgpack import encode_msgpack
from sioproxy.codec.sio_dict import sio_from_dict, sio_to_dict
from sioproxy.codec.sio_msgpack import decode_sio_msgpack, encode_sio_msgpack
from sioproxy.codec.socketio import SioType
from sioproxy.errors import DecodeError
from tests.codec.test_msgpack import notepack


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
        "options": {},
        "attachments": ["AQI=", "Aw=="],
    }
    assert encode_sio_msgpack(packet) == wire


def test_plain_packets_keep_their_type() -> None:
    packet = decode_sio_msgpack(encode_msgpack({"type": 0, "nsp": "/", "data": {"sid": "x"}}))
    assert (packet.type, packet.data, packet.id) == (SioType.CONNECT, {"sid": "x"}, None)
    ack = decode_sio_msgpack(encode_msgpack({"id": 0, "type": 3, "data": [], "nsp": "/"}))
    assert (ack.type, ack.id, ack.data) == (SioType.ACK, 0, [])


# Packets as socket.io-client 4 builds them (socket.js emit: type, data,
# options, id; then packet() adds nsp), and as the server does (no options).
CLIENT_PACKETS = [
    "{type: 2, data: ['hi', 1.5, {a: null}], options: {compress: true}, nsp: '/'}",
    "{type: 2, data: ['ack_me', 'x'], options: {compress: true}, id: 7, nsp: '/chat'}",
    "{type: 2, data: ['bin', Buffer.from([1, 2])], options: {compress: false}, id: 0, nsp: '/'}",
    "{type: 2, data: ['s'], nsp: '/chat'}",
    "{type: 0, data: {sid: 'abc'}, nsp: '/'}",
]


def test_socket_io_client_options_survive_the_dict_form_byte_for_byte() -> None:
    """notepack.io writes each packet; decoded, through the JSON dict form (a
    recording, a rule) and encoded again it is the same bytes, options kept."""
    encoded = notepack(CLIENT_PACKETS)
    for js, wire in zip(CLIENT_PACKETS, encoded, strict=True):
        shown = json.loads(json.dumps(sio_to_dict(decode_sio_msgpack(wire), 5)))
        assert ("options" in shown) == ("options" in js), js
        assert encode_sio_msgpack(sio_from_dict(shown, 5)) == wire, js
    first = sio_to_dict(decode_sio_msgpack(encoded[0]), 5)
    assert first["options"] == {"compress": True}


def test_options_holding_bytes_are_dropped() -> None:
    wire = encode_msgpack({"type": 2, "data": ["x"], "options": {"b": b"\x01"}, "nsp": "/"})
    assert decode_sio_msgpack(wire).options is None


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
