"""Binary Socket.IO packets: placeholders and reassembly (docs/protocol.md#c2, C.3, C.6)."""

from __future__ import annotations

from typing import Any

import pytest

from sioproxy.codec.binary import SioDecoder, to_binary_packet
from sioproxy.codec.placeholders import deconstruct, has_binary, reassemble
from sioproxy.codec.socketio import SioPacket, SioType, encode_sio
from sioproxy.errors import DecodeError, EncodeError

T = SioType


def ph(num: int) -> dict[str, Any]:
    return {"_placeholder": True, "num": num}


# C.2/C.6 tables: (data with buffers, data with placeholders, buffers in num order).
PLACEHOLDER_VECTORS: list[tuple[Any, Any, tuple[bytes, ...]]] = [
    (["baz", b"\x01\x02\x03\x04"], ["baz", ph(0)], (b"\x01\x02\x03\x04",)),
    (
        ["message", b"\x01\x02\x03", b"\x04\x05\x06"],
        ["message", ph(0), ph(1)],
        (b"\x01\x02\x03", b"\x04\x05\x06"),
    ),
    (
        ["x", {"a": b"\x09", "b": [b"\x08", {"c": b"\x07"}]}],
        ["x", {"a": ph(0), "b": [ph(1), {"c": ph(2)}]}],
        (b"\x09", b"\x08", b"\x07"),
    ),
    (
        {"a": "123", "b": b"1", "c": [b"2", 123]},
        {"a": "123", "b": ph(0), "c": [ph(1), 123]},
        (b"1", b"2"),
    ),
    (["plain", {"n": [1, None]}], ["plain", {"n": [1, None]}], ()),
]


@pytest.mark.parametrize(("data", "placeheld", "buffers"), PLACEHOLDER_VECTORS)
def test_deconstruct_and_reassemble(data: Any, placeheld: Any, buffers: tuple[bytes, ...]) -> None:
    assert deconstruct(data) == (placeheld, buffers)
    assert reassemble(placeheld, buffers) == data
    assert has_binary(data) is bool(buffers)


def test_deconstruct_does_not_modify_input_and_accepts_buffer_types() -> None:
    data = ["a", bytearray(b"\x01"), (memoryview(b"\x02"),)]
    assert deconstruct(data) == (["a", ph(0), [ph(1)]], (b"\x01", b"\x02"))
    assert data[1] == bytearray(b"\x01")


@pytest.mark.parametrize(
    "placeheld",
    [
        [{"_placeholder": True, "num": 1}],
        [{"_placeholder": True, "num": "splice"}],
        [{"_placeholder": True, "num": -1}],
        [{"_placeholder": True, "num": 0.0}],
        [{"_placeholder": True}],
    ],
)
def test_reassemble_rejects_bad_placeholders(placeheld: Any) -> None:
    with pytest.raises(DecodeError, match="illegal attachments"):
        reassemble(placeheld, [b"\x01"])


def test_placeholder_needs_true_not_truthy() -> None:
    # node tests `_placeholder === true` (C.3): {"_placeholder":1} is plain data.
    data = [{"_placeholder": 1, "num": 0}]
    assert reassemble(data, [b"x"]) == data


# C.6 client emit ("message", <01 02 03>, <04 05 06>), and the ack reply.
HEADER = '52-["message",{"_placeholder":true,"num":0},{"_placeholder":true,"num":1}]'
ACK_HEADER = '62-789[{"_placeholder":true,"num":0},{"_placeholder":true,"num":1}]'


@pytest.mark.parametrize("revision", [4, 5])
def test_decoder_reassembles_header_and_attachments(revision: int) -> None:
    dec = SioDecoder(revision)
    assert dec.feed(HEADER) is None
    assert dec.pending == 2
    assert dec.feed(b"\x01\x02\x03") is None
    assert dec.pending == 1
    partial = dec.partial
    assert partial is not None
    assert partial.attachments == (b"\x01\x02\x03",)
    packet = dec.feed(b"\x04\x05\x06")
    assert packet is not None
    assert dec.pending == 0
    assert packet.type is T.BINARY_EVENT
    assert packet.name == "message"
    assert packet.attachments == (b"\x01\x02\x03", b"\x04\x05\x06")
    assert packet.resolved == ["message", b"\x01\x02\x03", b"\x04\x05\x06"]
    assert encode_sio(packet) == [HEADER, b"\x01\x02\x03", b"\x04\x05\x06"]


def test_binary_ack_with_id() -> None:
    dec = SioDecoder(5)
    assert dec.feed(ACK_HEADER) is None
    assert dec.feed(b"a") is None
    packet = dec.feed(b"b")
    assert packet is not None
    assert (packet.type, packet.id, packet.args) == (T.BINARY_ACK, 789, [ph(0), ph(1)])


def test_zero_attachments_is_complete_at_once() -> None:
    dec = SioDecoder(5)
    packet = dec.feed('50-["a"]')
    assert packet is not None
    assert packet.type is T.BINARY_EVENT
    assert packet.data == ["a"]
    assert dec.pending == 0


def test_plain_packets_pass_through() -> None:
    dec = SioDecoder(5)
    packet = dec.feed('2["x"]')
    assert packet is not None
    assert packet.data == ["x"]


def test_binary_without_header_is_an_error() -> None:
    with pytest.raises(DecodeError, match="got binary data when not reconstructing"):
        SioDecoder(5).feed(b"\x01")


def test_text_during_reassembly_is_an_error_and_resets() -> None:
    dec = SioDecoder(5)
    dec.feed('51-["a",{"_placeholder":true,"num":0}]')
    with pytest.raises(DecodeError, match="got plaintext data when reconstructing"):
        dec.feed('2["b"]')
    assert dec.pending == 0
    assert dec.partial is None
    packet = dec.feed('2["c"]')
    assert packet is not None
    assert packet.data == ["c"]


@pytest.mark.parametrize(
    "header",
    [
        '51-["hello",{"_placeholder":true,"num":"splice"}]',
        '51-["hello",{"_placeholder":true,"num":1}]',
        '511-["a"]',
        "51.23-",
    ],
)
def test_decoder_rejects_bad_headers(header: str) -> None:
    dec = SioDecoder(5)
    with pytest.raises(DecodeError):
        dec.feed(header)
    assert dec.pending == 0


def test_ten_attachments_are_allowed() -> None:
    body = ",".join(f'{{"_placeholder":true,"num":{k}}}' for k in range(10))
    dec = SioDecoder(5)
    assert dec.feed(f'510-["a",{body}]') is None
    for k in range(9):
        assert dec.feed(bytes([k])) is None
    packet = dec.feed(b"\x09")
    assert packet is not None
    assert packet.resolved[1:] == [bytes([k]) for k in range(10)]


def test_feed_accepts_bytearray() -> None:
    dec = SioDecoder(5)
    dec.feed('51-["a",{"_placeholder":true,"num":0}]')
    packet = dec.feed(bytearray(b"\x07"))  # type: ignore[arg-type]
    assert packet is not None
    assert packet.attachments == (b"\x07",)


def test_bad_revision() -> None:
    with pytest.raises(ValueError, match="revision"):
        SioDecoder(3)


def test_to_binary_packet_like_socket_io_parser_4() -> None:
    event = SioPacket(type=T.EVENT, nsp="/admin", id=7, data=["baz", b"\x01\x02", b"\x03\x04"])
    packet = to_binary_packet(event)
    assert encode_sio(packet) == [
        '52-/admin,7["baz",{"_placeholder":true,"num":0},{"_placeholder":true,"num":1}]',
        b"\x01\x02",
        b"\x03\x04",
    ]
    ack = to_binary_packet(SioPacket(type=T.ACK, id=15, data=["bar", b"\x01\x02\x03\x04"]))
    assert encode_sio(ack)[0] == '61-15["bar",{"_placeholder":true,"num":0}]'
    plain = SioPacket(type=T.EVENT, data=["x"])
    assert to_binary_packet(plain) is plain
    with pytest.raises(EncodeError):
        to_binary_packet(SioPacket(type=T.CONNECT, data={"a": b"x"}))


def test_decoder_caps_one_packet_being_reassembled() -> None:
    """max_bytes counts the header text and every attachment together (one packet)."""
    decoder = SioDecoder(5, max_bytes=1000)
    header = '52-["up",{"_placeholder":true,"num":0},{"_placeholder":true,"num":1}]'
    assert decoder.feed(header) is None
    assert decoder.feed(b"x" * 500) is None
    assert decoder.pending_bytes == len(header) + 500
    with pytest.raises(DecodeError, match="binary packet larger than 1000 bytes"):
        decoder.feed(b"x" * 500)
    assert decoder.header is None
    assert decoder.pending_bytes == 0
    with pytest.raises(DecodeError, match="binary packet larger than 1000 bytes"):
        decoder.feed('51-["up","' + "p" * 1000 + '",{"_placeholder":true,"num":0}]')
    assert decoder.feed('2["next"]') is not None
