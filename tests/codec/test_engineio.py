"""Engine.IO packets and the open packet: docs/protocol.md#b2, B.3, B.4, B.7 vectors."""

from __future__ import annotations

import dataclasses
from typing import Any

import pytest

from sioproxy.codec.engineio import (
    EioPacket,
    EioType,
    decode_eio,
    eio_from_dict,
    eio_packets_from_dict,
    eio_to_dict,
    encode_eio,
)
from sioproxy.codec.handshake import OpenInfo, decode_open, encode_open
from sioproxy.codec.socketio import decode_sio
from sioproxy.errors import DecodeError, EncodeError

E = EioType
OPEN_V4 = (
    '{"sid":"lv_VI97HAXpY6yYWAAAC","upgrades":["websocket"],"pingInterval":25000,'
    '"pingTimeout":5000,"maxPayload":1000000}'
)
OPEN_V3 = (
    '{"sid":"lv_VI97HAXpY6yYWAAAC","upgrades":["websocket"],'
    '"pingInterval":25000,"pingTimeout":5000}'
)

# B.2, B.4, B.8 text packets: the same in both versions.
TEXT_VECTORS: list[tuple[str, EioPacket]] = [
    ("0" + OPEN_V4, EioPacket(type=E.OPEN, data=OPEN_V4)),
    ("1", EioPacket(type=E.CLOSE)),
    ("2", EioPacket(type=E.PING)),
    ("2probe", EioPacket(type=E.PING, data="probe")),
    ("3", EioPacket(type=E.PONG)),
    ("3probe", EioPacket(type=E.PONG, data="probe")),
    ("4", EioPacket(type=E.MESSAGE)),
    ("4hello", EioPacket(type=E.MESSAGE, data="hello")),
    ('42["hello"]', EioPacket(type=E.MESSAGE, data='2["hello"]')),
    ("4€", EioPacket(type=E.MESSAGE, data="€")),
    ("4🎉\n\x1e", EioPacket(type=E.MESSAGE, data="🎉\n\x1e")),
    ("5", EioPacket(type=E.UPGRADE)),
    ("6", EioPacket(type=E.NOOP)),
]


@pytest.mark.parametrize(("wire", "packet"), TEXT_VECTORS)
@pytest.mark.parametrize("version", [3, 4])
def test_text_packets(wire: str, packet: EioPacket, version: int) -> None:
    assert decode_eio(wire, version) == packet
    assert encode_eio(packet, version) == wire
    assert encode_eio(packet, version, b64=True) == wire


def test_empty_data_encodes_like_none() -> None:
    assert encode_eio(EioPacket(type=E.MESSAGE, data=""), 4) == "4"


@pytest.mark.parametrize("wire", ["", "7", "9", "x", "a123", "94103", ":::", "{", "-1"])
@pytest.mark.parametrize("version", [3, 4])
def test_unknown_types_are_errors(wire: str, version: int) -> None:
    with pytest.raises(DecodeError) as info:
        decode_eio(wire, version)
    assert info.value.protocol == f"eio{version}"


# B.7 and B.5: binary in its two spellings.
@pytest.mark.parametrize(
    ("version", "frame", "b64", "data"),
    [
        (3, b"\x04\x01\x02\x03", "b4AQID", b"\x01\x02\x03"),
        (3, b"\x04\x01\x02\x03\x04", "b4AQIDBA==", b"\x01\x02\x03\x04"),
        (4, b"\x01\x02\x03\x04", "bAQIDBA==", b"\x01\x02\x03\x04"),
        (4, b"\x04\x01\x02\x03", "bBAECAw==", b"\x04\x01\x02\x03"),
        (4, b"", "b", b""),
        (3, b"\x04", "b4", b""),
    ],
)
def test_binary_messages(version: int, frame: bytes, b64: str, data: bytes) -> None:
    packet = EioPacket(type=E.MESSAGE, data=data)
    assert decode_eio(frame, version) == packet
    assert decode_eio(b64, version) == packet
    assert encode_eio(packet, version) == frame
    assert encode_eio(packet, version, b64=True) == b64


def test_cross_version_base64_gives_garbage_like_node() -> None:
    # B.7 [run]: an EIO4 decoder fed "b4AQIDBA==" yields e0 04 08 0c 10.
    assert decode_eio("b4AQIDBA==", 4) == EioPacket(
        type=E.MESSAGE, data=bytes.fromhex("e004080c10")
    )
    with pytest.raises(DecodeError):
        decode_eio("bAQIDBA==", 3)


def test_v3_binary_frame_of_another_type() -> None:
    packet = decode_eio(b"\x02\xff", 3)
    assert packet == EioPacket(type=E.PING, data=b"\xff")
    assert encode_eio(packet, 3) == b"\x02\xff"
    assert encode_eio(packet, 3, b64=True) == "b2/w=="


@pytest.mark.parametrize(
    ("frame", "version"),
    [(b"", 3), (b"\x07abc", 3), (b"\xff", 3), ("b4A", 3), ("bA", 4), ("b€", 4), ("b", 3)],
)
def test_binary_errors(frame: str | bytes, version: int) -> None:
    with pytest.raises(DecodeError):
        decode_eio(frame, version)


@pytest.mark.parametrize(
    ("packet", "version"),
    [
        (EioPacket(type=E.PING, data=b"\x01"), 4),
        (EioPacket(type=E.MESSAGE, data=3), 4),  # type: ignore[arg-type]
        (EioPacket(type=4, data="x"), 4),  # type: ignore[arg-type]
    ],
)
def test_encode_errors(packet: EioPacket, version: int) -> None:
    with pytest.raises(EncodeError):
        encode_eio(packet, version)


def test_bad_version() -> None:
    with pytest.raises(ValueError, match="version"):
        decode_eio("4", 5)


# ---------------------------------------------------------------- dict form

DICT_VECTORS: list[tuple[int, str | bytes, dict[str, Any]]] = [
    (
        4,
        '4212["foo"]',
        {"eio": "message", "sio": {"type": "event", "nsp": "/", "id": 12, "data": ["foo"]}},
    ),
    (
        3,
        '44/admin,"Not authorized"',
        {"eio": "message", "sio": {"type": "error", "nsp": "/admin", "data": "Not authorized"}},
    ),
    (
        4,
        '44{"message":"x"}',
        {"eio": "message", "sio": {"type": "connect_error", "nsp": "/", "data": {"message": "x"}}},
    ),
    (4, b"\x01\x02\x03", {"eio": "message", "binary": "AQID"}),
    (3, b"\x04\x01\x02\x03", {"eio": "message", "binary": "AQID"}),
    (4, "4hello", {"eio": "message", "data": "hello"}),
    (4, "4", {"eio": "message"}),
    (
        4,
        "0" + OPEN_V4,
        {
            "eio": "open",
            "data": {
                "sid": "lv_VI97HAXpY6yYWAAAC",
                "upgrades": ["websocket"],
                "pingInterval": 25000,
                "pingTimeout": 5000,
                "maxPayload": 1000000,
            },
        },
    ),
    (4, "2probe", {"eio": "ping", "data": "probe"}),
    (4, "2", {"eio": "ping"}),
    (4, "3", {"eio": "pong"}),
    (4, "6", {"eio": "noop"}),
    (4, "5", {"eio": "upgrade"}),
    (4, "1", {"eio": "close"}),
    (
        4,
        '451-["hello",{"_placeholder":true,"num":0}]',
        {
            "eio": "message",
            "sio": {
                "type": "binary_event",
                "nsp": "/",
                "data": ["hello", {"_placeholder": True, "num": 0}],
                "attachments_expected": 1,
            },
        },
    ),
]


@pytest.mark.parametrize(("version", "wire", "shape"), DICT_VECTORS)
def test_dict_form(version: int, wire: str | bytes, shape: dict[str, Any]) -> None:
    packet = decode_eio(wire, version)
    assert eio_to_dict(packet, version) == shape
    back = eio_from_dict(shape, version)
    assert back == packet
    assert encode_eio(back, version) == wire


def test_dict_form_uses_given_sio_packet() -> None:
    packet = decode_eio('42["a"]', 4)
    sio = decode_sio('2["b"]', 5)
    assert eio_to_dict(packet, 4, sio=sio)["sio"]["data"] == ["b"]


def test_dict_form_of_non_json_open_keeps_text() -> None:
    assert eio_to_dict(EioPacket(type=E.OPEN, data="{nope"), 4) == {"eio": "open", "data": "{nope"}


def test_packets_from_dict_expands_attachments() -> None:
    shape = {
        "eio": "message",
        "sio": {
            "type": "binary_event",
            "nsp": "/",
            "data": ["a", {"_placeholder": True, "num": 0}],
            "attachments": ["AQID"],
        },
    }
    assert eio_packets_from_dict(shape, 4) == [
        EioPacket(type=E.MESSAGE, data='51-["a",{"_placeholder":true,"num":0}]'),
        EioPacket(type=E.MESSAGE, data=b"\x01\x02\x03"),
    ]


@pytest.mark.parametrize(
    "shape",
    [{"eio": "bogus"}, {"eio": 4}, {"eio": "message", "binary": "!!"}, {"eio": "ping", "data": 3}],
)
def test_bad_dicts(shape: dict[str, Any]) -> None:
    with pytest.raises(EncodeError):
        eio_from_dict(shape)


# ---------------------------------------------------------------- B.3 open packet


def test_open_v4() -> None:
    info = decode_open(OPEN_V4)
    assert info == OpenInfo(
        sid="lv_VI97HAXpY6yYWAAAC",
        upgrades=("websocket",),
        ping_interval=25000,
        ping_timeout=5000,
        max_payload=1000000,
    )
    assert encode_open(info) == OPEN_V4
    fresh = OpenInfo(
        sid="lv_VI97HAXpY6yYWAAAC",
        upgrades=("websocket",),
        ping_interval=25000,
        ping_timeout=5000,
        max_payload=1000000,
    )
    assert encode_open(fresh) == OPEN_V4  # node key order


def test_open_v3_has_no_max_payload() -> None:
    info = decode_open(OPEN_V3)
    assert info.max_payload is None
    assert (
        encode_open(
            OpenInfo(sid=info.sid, upgrades=info.upgrades, ping_interval=25000, ping_timeout=5000)
        )
        == OPEN_V3
    )


def test_open_websocket_only_v3_sample_without_upgrades() -> None:
    data = '{"sid":"lv_VI97HAXpY6yYWAAAC","pingInterval":25000,"pingTimeout":5000}'
    info = decode_open(data)
    assert info.upgrades == ()
    assert encode_open(info) == data  # unchanged: raw text kept


def test_open_extra_keys_and_changes() -> None:
    data = (
        '{"sid":"abc","upgrades":[],"pingInterval":25000,"pingTimeout":20000,'
        '"maxPayload":1000000,"x":{"y":"é"}}'
    )
    info = decode_open(data)
    assert info.extra == {"x": {"y": "é"}}
    assert encode_open(info) == data
    changed = dataclasses.replace(info, sid="new")
    assert encode_open(changed) == data.replace('"abc"', '"new"')


@pytest.mark.parametrize(
    "data",
    [
        "",
        "[]",
        "{nope",
        '{"upgrades":[],"pingInterval":1,"pingTimeout":1}',
        '{"sid":1,"pingInterval":1,"pingTimeout":1}',
        '{"sid":"a","upgrades":"websocket","pingInterval":1,"pingTimeout":1}',
        '{"sid":"a","pingInterval":"1","pingTimeout":1}',
        '{"sid":"a","pingInterval":1}',
        '{"sid":"a","pingInterval":1,"pingTimeout":true}',
        '{"sid":"a","pingInterval":1,"pingTimeout":1,"maxPayload":1.5}',
        "[" * 100000,
    ],
)
def test_open_errors(data: str) -> None:
    with pytest.raises(DecodeError) as info:
        decode_open(data)
    assert info.value.protocol == "eio open"


def test_open_encode_error() -> None:
    with pytest.raises(EncodeError):
        encode_open(OpenInfo(sid="a", extra={"sid": "b"}))
    with pytest.raises(EncodeError):
        encode_open(OpenInfo(sid="a", extra={"b": b"x"}))
