"""Socket.IO v4/v5 packets: the docs/protocol.md#c2, C.3, C.5 and C.7 vectors, decode and encode."""

from __future__ import annotations

import dataclasses
from typing import Any

import pytest

from sioproxy.codec.sio_dict import sio_from_dict, sio_to_dict
from sioproxy.codec.socketio import (
    SioPacket,
    SioType,
    decode_sio,
    encode_sio,
)
from sioproxy.errors import DecodeError, EncodeError

T = SioType


def ph(num: int) -> dict[str, Any]:
    return {"_placeholder": True, "num": num}


# C.2 encoder table (socket.io-parser 4.2.6 [run]) and SIO spec v4 [doc]: header text,
# packet. The attachments themselves are covered in test_binary.py.
ENCODE_VECTORS: list[tuple[str, SioPacket]] = [
    ("0", SioPacket(type=T.CONNECT)),
    ("0/admin,", SioPacket(type=T.CONNECT, nsp="/admin")),
    ('0{"token":"123"}', SioPacket(type=T.CONNECT, data={"token": "123"})),
    (
        '0/admin,{"sid":"oSO0OpakMV_3jnilAAAA"}',
        SioPacket(type=T.CONNECT, nsp="/admin", data={"sid": "oSO0OpakMV_3jnilAAAA"}),
    ),
    ("1", SioPacket(type=T.DISCONNECT)),
    ("1/admin,", SioPacket(type=T.DISCONNECT, nsp="/admin")),
    ('2["foo"]', SioPacket(type=T.EVENT, data=["foo"])),
    ('2/admin,["bar"]', SioPacket(type=T.EVENT, nsp="/admin", data=["bar"])),
    ('212["foo"]', SioPacket(type=T.EVENT, id=12, data=["foo"])),
    ('20["foo"]', SioPacket(type=T.EVENT, id=0, data=["foo"])),
    (
        '2/admin,456["project:delete",123]',
        SioPacket(type=T.EVENT, nsp="/admin", id=456, data=["project:delete", 123]),
    ),
    ("312[]", SioPacket(type=T.ACK, id=12, data=[])),
    ('3/admin,13["bar"]', SioPacket(type=T.ACK, nsp="/admin", id=13, data=["bar"])),
    ("3/admin,456[]", SioPacket(type=T.ACK, nsp="/admin", id=456, data=[])),
    (
        '4{"message":"Not authorized"}',
        SioPacket(type=T.CONNECT_ERROR, data={"message": "Not authorized"}),
    ),
    (
        '4/admin,{"message":"err","data":{"code":1}}',
        SioPacket(type=T.CONNECT_ERROR, nsp="/admin", data={"message": "err", "data": {"code": 1}}),
    ),
    (
        '4/admin,"Not authorized"',
        SioPacket(type=T.CONNECT_ERROR, nsp="/admin", data="Not authorized"),
    ),
    ('2["hello",1]', SioPacket(type=T.EVENT, data=["hello", 1])),
    (
        '51-["baz",{"_placeholder":true,"num":0}]',
        SioPacket(type=T.BINARY_EVENT, data=["baz", ph(0)], attachment_count=1),
    ),
    (
        '52-/admin,7["baz",{"_placeholder":true,"num":0},{"_placeholder":true,"num":1}]',
        SioPacket(
            type=T.BINARY_EVENT, nsp="/admin", id=7, data=["baz", ph(0), ph(1)], attachment_count=2
        ),
    ),
    (
        '61-15["bar",{"_placeholder":true,"num":0}]',
        SioPacket(type=T.BINARY_ACK, id=15, data=["bar", ph(0)], attachment_count=1),
    ),
    (
        '61-/admin,456[{"_placeholder":true,"num":0}]',
        SioPacket(type=T.BINARY_ACK, nsp="/admin", id=456, data=[ph(0)], attachment_count=1),
    ),
    (
        '53-["x",{"a":{"_placeholder":true,"num":0},"b":[{"_placeholder":true,"num":1},'
        '{"c":{"_placeholder":true,"num":2}}]}]',
        SioPacket(
            type=T.BINARY_EVENT,
            data=["x", {"a": ph(0), "b": [ph(1), {"c": ph(2)}]}],
            attachment_count=3,
        ),
    ),
    # python-socketio tests/common/test_packet.py [test]
    ("2", SioPacket(type=T.EVENT)),
    ('3["foo"]', SioPacket(type=T.ACK, data=["foo"])),
    ('2/bar,["foo"]', SioPacket(type=T.EVENT, nsp="/bar", data=["foo"])),
    ("2/bar,", SioPacket(type=T.EVENT, nsp="/bar")),
    ('2123["foo"]', SioPacket(type=T.EVENT, id=123, data=["foo"])),
    ("2123", SioPacket(type=T.EVENT, id=123)),
    ('2/bar,123["foo"]', SioPacket(type=T.EVENT, nsp="/bar", id=123, data=["foo"])),
    ('2["f-o-o"]', SioPacket(type=T.EVENT, data=["f-o-o"])),
    ('2/b-a-r,["foo"]', SioPacket(type=T.EVENT, nsp="/b-a-r", data=["foo"])),
    # C.5 [test]/[doc]
    (
        '2["message",1,"2",{"3":[true]}]',
        SioPacket(type=T.EVENT, data=["message", 1, "2", {"3": [True]}]),
    ),
    (
        '2456["message-with-ack",1,"2",{"3":[false]}]',
        SioPacket(type=T.EVENT, id=456, data=["message-with-ack", 1, "2", {"3": [False]}]),
    ),
    ('3456[1,"2",{"3":[false]}]', SioPacket(type=T.ACK, id=456, data=[1, "2", {"3": [False]}])),
    ('2/admin,13["foo"]', SioPacket(type=T.EVENT, nsp="/admin", id=13, data=["foo"])),
    ('2["chat message","🎉"]', SioPacket(type=T.EVENT, data=["chat message", "🎉"])),
]


@pytest.mark.parametrize(("wire", "packet"), ENCODE_VECTORS, ids=[w for w, _ in ENCODE_VECTORS])
def test_encode_vector(wire: str, packet: SioPacket) -> None:
    assert encode_sio(packet) == [wire]


@pytest.mark.parametrize(("wire", "packet"), ENCODE_VECTORS, ids=[w for w, _ in ENCODE_VECTORS])
@pytest.mark.parametrize("revision", [4, 5])
def test_decode_vector(wire: str, packet: SioPacket, revision: int) -> None:
    got = decode_sio(wire, revision)
    assert got == packet
    assert got.raw == wire
    assert encode_sio(got) == [wire]


# C.3 more decoder behaviour [run], tolerated inputs: text -> packet.
TOLERATED: list[tuple[str, SioPacket]] = [
    ("0/admin", SioPacket(type=T.CONNECT, nsp="/admin")),
    ('0/admin,{"token":"1"}', SioPacket(type=T.CONNECT, nsp="/admin", data={"token": "1"})),
    ('2/a,1["x"]', SioPacket(type=T.EVENT, nsp="/a", id=1, data=["x"])),
    ("21", SioPacket(type=T.EVENT, id=1)),
    ("3", SioPacket(type=T.ACK)),
    ("3[]", SioPacket(type=T.ACK, data=[])),
    ("40", SioPacket(type=T.CONNECT_ERROR, id=0)),
    ('4"x"', SioPacket(type=T.CONNECT_ERROR, data="x")),
    ('4{"message":"x"}', SioPacket(type=T.CONNECT_ERROR, data={"message": "x"})),
    ("", SioPacket(type=T.CONNECT)),
    ('2007["x"]', SioPacket(type=T.EVENT, id=7, data=["x"])),
    ('2/a?x=1,["e"]', SioPacket(type=T.EVENT, nsp="/a?x=1", data=["e"])),
    ('2/bar?a=b,["foo"]', SioPacket(type=T.EVENT, nsp="/bar?a=b", data=["foo"])),
    ("0/admin?token=1234&uid=abcd,", SioPacket(type=T.CONNECT, nsp="/admin?token=1234&uid=abcd")),
    ('50-["a"]', SioPacket(type=T.BINARY_EVENT, data=["a"], attachment_count=0)),
    ('5-["a"]', SioPacket(type=T.BINARY_EVENT, data=["a"], attachment_count=0)),
    ("2[1]", SioPacket(type=T.EVENT, data=[1])),
    ('2 ["x"]  ', SioPacket(type=T.EVENT, data=["x"])),
]


@pytest.mark.parametrize(("wire", "packet"), TOLERATED, ids=[w for w, _ in TOLERATED])
@pytest.mark.parametrize("revision", [4, 5])
def test_decode_tolerated(wire: str, packet: SioPacket, revision: int) -> None:
    got = decode_sio(wire, revision)
    assert got == packet
    assert encode_sio(got) == [wire]  # unchanged: the raw text comes back


def test_nsp_path_strips_query() -> None:
    assert decode_sio('2/bar?a=b,["foo"]', 5).nsp_path == "/bar"


# C.3 decoder vectors throwing in socket.io-parser 4.2.6 (v5) [test]/[run].
REJECTED_BOTH = [
    '442["some","data"',
    '0/admin,"invalid"',
    "1/admin,{}",
    '2/admin,"invalid',
    "2/admin,{}",
    '2[{"toString":"foo"}]',
    '2[true,"foo"]',
    '2[null,"bar"]',
    "5",
    "51",
    "5a-",
    "51.23-",
    '51.23-["a"]',
    "999",
    "9",
    "a",
    "2[]",
    "3{}",
    '2["a"]trailing',
    '2/a,b["e"]',
    '1{"message":"Connection rejected by server"}',  # python-socketio always_connect (C.4)
    '211-["x"]',
    "2[NaN]",
    "2[Infinity]",
    '2["x",-Infinity]',
    '511-["a"]' + "".join(f',{{"_placeholder":true,"num":{k}}}' for k in range(11)),
    '51-["hello",{"_placeholder":true,"num":"splice"}]',
    '51-["hello",{"_placeholder":true,"num":1}]',
    '51-["hello",{"_placeholder":true,"num":-1}]',
    '51-["hello",{"_placeholder":true,"num":0.5}]',
    '51-["hello",{"x":[{"_placeholder":true,"num":true}]}]',
    "2" + "1" * 101 + '["x"]',
    '51-{"_placeholder":true,"num":0}',
    '6{"a":"0123456789-"}',
]


@pytest.mark.parametrize("wire", REJECTED_BOTH)
@pytest.mark.parametrize("revision", [4, 5])
def test_decode_rejects(wire: str, revision: int) -> None:
    with pytest.raises(DecodeError) as info:
        decode_sio(wire, revision)
    assert info.value.protocol == f"sio v{revision}"
    assert str(info.value).startswith(f"sio v{revision}: ")


@pytest.mark.parametrize(
    ("wire", "data"),
    [
        ('2["connect"]', ["connect"]),
        ('2["disconnect","123"]', ["disconnect", "123"]),
        ('2["newListener"]', ["newListener"]),
        ("0[]", []),
        ('4["x"]', ["x"]),
    ],
)
def test_revision_5_is_stricter_than_4(wire: str, data: Any) -> None:
    # socket.io-parser 4.2.4+ rejects reserved names and non-object CONNECT
    # payloads; 3.4.3 (revision 4) accepts them (C.3 validation table).
    with pytest.raises(DecodeError, match="invalid payload"):
        decode_sio(wire, 5)
    assert decode_sio(wire, 4).data == data


def test_error_message_names_protocol_offset_and_input() -> None:
    with pytest.raises(DecodeError) as info:
        decode_sio('2/admin,{"a":1', 5)
    err = info.value
    assert err.offset >= 8
    assert "sio v5" in str(err)
    assert "'2/admin,{\"a\":1'" in str(err)


def test_deep_json_is_a_decode_error() -> None:
    with pytest.raises(DecodeError):
        decode_sio("2" + "[" * 100_000 + "]" * 100_000, 5)


def test_properties() -> None:
    p = decode_sio('2/a,5["ev",1,{"b":2}]', 5)
    assert (p.name, p.args) == ("ev", [1, {"b": 2}])
    ack = decode_sio("3/a,5[1,2]", 5)
    assert (ack.name, ack.args) == (None, [1, 2])
    assert decode_sio("2[7]", 5).name is None
    assert decode_sio("0", 5).args is None


# ---------------------------------------------------------------- raw preservation


def test_raw_kept_when_unchanged_and_reencoded_when_changed() -> None:
    wire = '2/admin,7["caf\\u00e9", 1.50, {"b":1,"a":2}]'
    p = decode_sio(wire, 5)
    assert encode_sio(p) == [wire]
    assert encode_sio(dataclasses.replace(p, id=8)) == ['2/admin,8["café",1.5,{"b":1,"a":2}]']
    assert encode_sio(dataclasses.replace(p, nsp="/")) == ['27["café",1.5,{"b":1,"a":2}]']


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        (["x", True], '2["x",true]'),  # 1 -> True is a change although 1 == True
        (["x", 1.0], '2["x",1.0]'),  # 1 -> 1.0 is a change although 1 == 1.0
        (["x", 1, 2], '2["x",1,2]'),
    ],
)
def test_strict_change_detection(data: Any, expected: str) -> None:
    p = decode_sio('2["x",1]', 5)
    assert encode_sio(dataclasses.replace(p, data=data)) == [expected]


def test_hand_made_raw_is_checked() -> None:
    p = SioPacket(type=T.EVENT, data=["y"], raw='2["x"]')
    assert encode_sio(p) == ['2["y"]']


# ---------------------------------------------------------------- encoder errors


@pytest.mark.parametrize(
    "packet",
    [
        SioPacket(type=T.EVENT, nsp="admin", data=["x"]),
        SioPacket(type=T.EVENT, nsp="/a,b", data=["x"]),
        SioPacket(type=T.EVENT, id=-1, data=["x"]),
        SioPacket(type=T.EVENT, data=["x", b"\x01"]),
        SioPacket(type=T.EVENT, data=["x", float("nan")]),
        SioPacket(type=T.EVENT, data=["x"], attachments=(b"\x01",)),
        SioPacket(type=T.BINARY_EVENT, data=["x", ph(0)], attachments=(b"1",), attachment_count=2),
    ],
)
def test_encode_errors(packet: SioPacket) -> None:
    with pytest.raises(EncodeError):
        encode_sio(packet)


def test_binary_header_and_attachments_in_order() -> None:
    p = SioPacket(
        type=T.BINARY_EVENT, data=["baz", ph(0), ph(1)], attachments=(b"\x01\x02", b"\x03")
    )
    assert p.attachment_count == 2
    assert encode_sio(p) == [
        '52-["baz",{"_placeholder":true,"num":0},{"_placeholder":true,"num":1}]',
        b"\x01\x02",
        b"\x03",
    ]


def test_non_ascii_is_written_as_is() -> None:
    assert encode_sio(SioPacket(type=T.EVENT, data=["é", "🎉", "\u2028"])) == [
        '2["é","🎉","\u2028"]'
    ]


# ---------------------------------------------------------------- dict form


DICT_VECTORS: list[tuple[int, str, dict[str, Any]]] = [
    (5, '212["foo"]', {"type": "event", "nsp": "/", "id": 12, "data": ["foo"]}),
    (5, "0", {"type": "connect", "nsp": "/"}),
    (5, "1/admin,", {"type": "disconnect", "nsp": "/admin"}),
    (5, "3/admin,13[]", {"type": "ack", "nsp": "/admin", "id": 13, "data": []}),
    (5, '4{"message":"x"}', {"type": "connect_error", "nsp": "/", "data": {"message": "x"}}),
    (4, '4/admin,"Not authorized"', {"type": "error", "nsp": "/admin", "data": "Not authorized"}),
    (
        5,
        '61-15["bar",{"_placeholder":true,"num":0}]',
        {
            "type": "binary_ack",
            "nsp": "/",
            "id": 15,
            "data": ["bar", ph(0)],
            "attachments_expected": 1,
        },
    ),
]


@pytest.mark.parametrize(("revision", "wire", "shape"), DICT_VECTORS)
def test_dict_form(revision: int, wire: str, shape: dict[str, Any]) -> None:
    packet = decode_sio(wire, revision)
    assert sio_to_dict(packet, revision) == shape
    back = sio_from_dict(shape, revision)
    assert back == packet
    assert encode_sio(back) == [wire]


def test_dict_form_with_attachments() -> None:
    shape = {"type": "binary_event", "nsp": "/", "data": ["a", ph(0)], "attachments": ["AQID"]}
    packet = sio_from_dict(shape, 5)
    assert packet.attachments == (b"\x01\x02\x03",)
    assert sio_to_dict(packet, 5) == shape
    assert encode_sio(packet) == ['51-["a",{"_placeholder":true,"num":0}]', b"\x01\x02\x03"]


@pytest.mark.parametrize(
    "shape",
    [
        {"type": "nope"},
        {"type": "event", "id": "7"},
        {"type": "event", "nsp": 3},
        {"type": "event", "attachments": ["AQID"]},
        {"type": "binary_event", "attachments": ["!!"]},
        {"type": "binary_event", "attachments_expected": -1},
    ],
)
def test_bad_dicts(shape: dict[str, Any]) -> None:
    with pytest.raises(EncodeError):
        sio_from_dict(shape, 5)


# ---------------------------------------------------------------- C.7 sample sessions


C7_V5 = [
    "0",
    '0{"sid":"wZX3oN0bSVIhsaknAAAI"}',
    '2["hey","Jude"]',
    '2["hello"]',
    '2["world"]',
    "0/admin,",
    '0/admin,{"sid":"-G5j-67EZFp-q59rADQM"}',
    '2/admin,1["tellme"]',
    '61-/admin,1[{"_placeholder":true,"num":0}]',
    '0{"token":"123"}',
    '2["auth",{}]',
    '2["auth",{"token":"123"}]',
    "0/custom,",
    '0/custom,{"sid":"x"}',
    '2/custom,["auth",{}]',
    '0/custom,{"token":"abc"}',
    '2/custom,["auth",{"token":"abc"}]',
    "0/random",
    '4/random,{"message":"Invalid namespace"}',
    "1/custom",
    '2["message","message to main namespace"]',
]
C7_V4 = [
    '2["hey","Jude"]',
    '2["hello"]',
    '2["world"]',
    "0/admin,",
    '2/admin,1["tellme"]',
    '61-/admin,1[{"_placeholder":true,"num":0}]',
    '4/random,"Invalid namespace"',
    '2["auth",{}]',
    "0",
]


@pytest.mark.parametrize(("revision", "wire"), [(5, w) for w in C7_V5] + [(4, w) for w in C7_V4])
def test_sample_session_frames(revision: int, wire: str) -> None:
    packet = decode_sio(wire, revision)
    assert encode_sio(packet)[0] == wire
    assert encode_sio(dataclasses.replace(packet, raw=None))[0] in (wire, wire + ",")


def test_decoded_packets_send_their_own_text_and_replaced_ones_are_checked() -> None:
    import dataclasses

    from sioproxy.codec.socketio import decode_sio, encode_sio

    raw = '2/chat,7["e",{"b":1, "a":2}]'  # spacing a re-encode would not reproduce
    packet = decode_sio(raw, 5)
    assert encode_sio(packet) == [raw]
    same = dataclasses.replace(packet, nsp="/chat")
    assert encode_sio(same) == [raw], "unchanged after replace: raw still checked and reused"
    changed = dataclasses.replace(packet, id=8)
    assert encode_sio(changed) == ['2/chat,8["e",{"b":1,"a":2}]']
