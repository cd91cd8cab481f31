"""Socket.IO 0.9 packets: the wire vectors of docs/protocol.md#part-a, both ways."""

from __future__ import annotations

import dataclasses
from decimal import Decimal
from typing import Any

import pytest

from sioproxy.codec.legacy import (
    LegacyPacket,
    LegacyType,
    decode_packet,
    encode_packet,
    with_ack_id,
)
from sioproxy.codec.legacy_dict import packet_from_dict, packet_to_dict
from sioproxy.codec.legacy_json import js_number, js_stringify
from sioproxy.errors import DecodeError, EncodeError

EDWALD_ARGS = [{"a": "b"}, 2, "3"]

# A.4.2 decoding table (node's objects, with gevent's int ids) and A.6 gevent vectors.
DECODE_VECTORS: list[tuple[str, dict[str, Any]]] = [
    ("7:::", {"type": "error", "reason": "", "advice": "", "endpoint": ""}),
    ("7:::0", {"type": "error", "reason": "transport not supported", "advice": "", "endpoint": ""}),
    ("7:::2+0", {"type": "error", "reason": "unauthorized", "advice": "reconnect", "endpoint": ""}),
    ("7::/woot", {"type": "error", "reason": "", "advice": "", "endpoint": "/woot"}),
    ("6:::140", {"type": "ack", "ackId": 140, "endpoint": "", "args": []}),
    ('6:::12+["woot","wa"]', {"type": "ack", "ackId": 12, "endpoint": "", "args": ["woot", "wa"]}),
    ('6:::1+{"++', {"type": "ack", "ackId": 1, "endpoint": "", "args": []}),
    ('4:::"2"', {"type": "json", "endpoint": "", "data": "2"}),
    (
        '4:1+::{"a":"b"}',
        {"type": "json", "id": 1, "ack": "data", "endpoint": "", "data": {"a": "b"}},
    ),
    ('5:::{"name":"woot"}', {"type": "event", "name": "woot", "endpoint": "", "args": []}),
    (
        '5:1+::{"name":"tobi"}',
        {"type": "event", "id": 1, "ack": "data", "endpoint": "", "name": "tobi", "args": []},
    ),
    (
        '5:::{"name":"edwald","args":[{"a": "b"},2,"3"]}',
        {"type": "event", "name": "edwald", "endpoint": "", "args": EDWALD_ARGS},
    ),
    ("3:::woot", {"type": "message", "endpoint": "", "data": "woot"}),
    (
        "3:5:/tobi",
        {"type": "message", "id": 5, "ack": True, "endpoint": "/tobi", "data": ""},
    ),
    ("2:::", {"type": "heartbeat", "endpoint": ""}),
    ("1::/tobi", {"type": "connect", "endpoint": "/tobi", "qs": ""}),
    ("1::/test:?test=1", {"type": "connect", "endpoint": "/test", "qs": "?test=1"}),
    ("0::/woot", {"type": "disconnect", "endpoint": "/woot"}),
    ("3:::\n", {"type": "message", "endpoint": "", "data": "\n"}),
    # A.6 gevent tests/test_packet.py vectors not in node's table.
    (
        '5:::{"name":"woot", "args": ["foo"]}',
        {"type": "event", "name": "woot", "endpoint": "", "args": ["foo"]},
    ),
    ("5:::", {"args": [], "type": "event", "endpoint": ""}),
    ("6::/chat:140", {"type": "ack", "ackId": 140, "endpoint": "/chat", "args": []}),
    (
        '6::/chat:140+["bob", "bob2"]',
        {"type": "ack", "ackId": 140, "endpoint": "/chat", "args": ["bob", "bob2"]},
    ),
    ("8::", {"type": "noop", "endpoint": ""}),
    # A.4.2 extra vectors and A.4.3 / A.8 node behaviour.
    ("2::", {"type": "heartbeat", "endpoint": ""}),
    ("2::/chat", {"type": "heartbeat", "endpoint": "/chat"}),
    ("1::", {"type": "connect", "endpoint": "", "qs": ""}),
    (
        '5:1+:/test:{"name":"requestack","args":[1]}',
        {
            "type": "event",
            "id": 1,
            "ack": "data",
            "endpoint": "/test",
            "name": "requestack",
            "args": [1],
        },
    ),
    ('6::/test:1+[1,"ack"]', {"type": "ack", "ackId": 1, "endpoint": "/test", "args": [1, "ack"]}),
    ("6::/chat:2", {"type": "ack", "ackId": 2, "endpoint": "/chat", "args": []}),
    ("3:2:/chat:hi", {"type": "message", "id": 2, "ack": True, "endpoint": "/chat", "data": "hi"}),
    (
        "7:::1+0",
        {"type": "error", "reason": "client not handshaken", "advice": "reconnect", "endpoint": ""},
    ),
    ("7::/chat:2", {"type": "error", "reason": "unauthorized", "advice": "", "endpoint": "/chat"}),
    ("7::/chat:undefined", {"type": "error", "reason": "", "advice": "", "endpoint": "/chat"}),
    ("7:::undefined+0", {"type": "error", "reason": "", "advice": "reconnect", "endpoint": ""}),
    ("7:::9+9", {"type": "error", "reason": "", "advice": "", "endpoint": ""}),
    ("6:::0+[null]", {"type": "ack", "ackId": 0, "endpoint": "", "args": [None]}),
    ('6:::1+["a+b"]', {"type": "ack", "ackId": 1, "endpoint": "", "args": ["a+b"]}),
    (
        '5:+::{"name":"x"}',
        {"type": "event", "ack": "data", "endpoint": "", "name": "x", "args": []},
    ),
    ("3:::a:b:c", {"type": "message", "endpoint": "", "data": "a:b:c"}),
    ("3::/a:b:", {"type": "message", "endpoint": "/a", "data": "b:"}),
    ("3:01::x", {"type": "message", "id": 1, "ack": True, "endpoint": "", "data": "x"}),
    ("1::/test?my=param", {"type": "connect", "endpoint": "/test?my=param", "qs": ""}),
    (
        '5::/bad:{"args":["no_such_namespace","The endpoint you tried to connect to'
        ' doesn\'t exist: /bad"],"name":"error"}',
        {
            "type": "event",
            "endpoint": "/bad",
            "name": "error",
            "args": [
                "no_such_namespace",
                "The endpoint you tried to connect to doesn't exist: /bad",
            ],
        },
    ),
    # Node tolerance (A.4.3): bad JSON never raises.
    ("4:::bad", {"type": "json", "endpoint": "", "data": False}),
    ("4::", {"type": "json", "endpoint": "", "data": False}),
    ("4:::NaN", {"type": "json", "endpoint": "", "data": False}),
    ("5:::[1]", {"type": "event", "endpoint": "", "args": []}),
    ("5:::null", {"type": "event", "endpoint": "", "args": []}),
    ('5:::{"name":1}', {"type": "event", "endpoint": "", "name": 1, "args": []}),
    ('5:::{"name":"a","args":0}', {"type": "event", "endpoint": "", "name": "a", "args": []}),
    ('5:::{"name":"a","args":{}}', {"type": "event", "endpoint": "", "name": "a", "args": {}}),
    ('5:::{"args":[1]}', {"type": "event", "endpoint": "", "args": [1]}),
    ("6:::1+", {"type": "ack", "ackId": 1, "endpoint": "", "args": []}),
    ("6:::1+null", {"type": "ack", "ackId": 1, "endpoint": "", "args": None}),
    # No ack id (C.8 `^\d+(\+.*)?$`): the data is kept so the dict encodes back.
    ("6:::", {"type": "ack", "endpoint": "", "data": ""}),
    ("6:::+[1]", {"type": "ack", "endpoint": "", "data": "+[1]"}),
    ("6:::abc", {"type": "ack", "endpoint": "", "data": "abc"}),
    ("6:::12abc", {"type": "ack", "endpoint": "", "data": "12abc"}),
    ("2:::x", {"type": "heartbeat", "endpoint": "", "data": "x"}),
]


@pytest.mark.parametrize(("wire", "expected"), DECODE_VECTORS)
def test_decode_vectors(wire: str, expected: dict[str, Any]) -> None:
    packet = decode_packet(wire)
    assert packet_to_dict(packet) == expected
    assert packet.raw == wire
    assert encode_packet(packet) == wire  # byte-exact forwarding via raw


# A.4.2 encoding table, A.4.2 extra vectors, A.6 gevent encode vectors: dict -> node's wire.
ENCODE_VECTORS: list[tuple[dict[str, Any], str]] = [
    ({"type": "error", "reason": "", "advice": "", "endpoint": ""}, "7::"),
    ({"type": "error", "reason": "transport not supported", "advice": "", "endpoint": ""}, "7:::0"),
    ({"type": "error", "reason": "unauthorized", "advice": "reconnect", "endpoint": ""}, "7:::2+0"),
    ({"type": "error", "reason": "", "advice": "", "endpoint": "/woot"}, "7::/woot"),
    ({"type": "ack", "ackId": 140, "endpoint": "", "args": []}, "6:::140"),
    (
        {"type": "ack", "ackId": "12", "endpoint": "", "args": ["woot", "wa"]},
        '6:::12+["woot","wa"]',
    ),
    ({"type": "json", "endpoint": "", "data": "2"}, '4:::"2"'),
    (
        {"type": "json", "id": "1", "ack": "data", "endpoint": "", "data": {"a": "b"}},
        '4:1+::{"a":"b"}',
    ),
    ({"type": "event", "name": "woot", "endpoint": "", "args": []}, '5:::{"name":"woot"}'),
    (
        {"type": "event", "id": 1, "ack": "data", "endpoint": "", "name": "tobi", "args": []},
        '5:1+::{"name":"tobi"}',
    ),
    (
        {"type": "event", "name": "edwald", "endpoint": "", "args": EDWALD_ARGS},
        '5:::{"name":"edwald","args":[{"a":"b"},2,"3"]}',
    ),
    ({"type": "message", "endpoint": "", "data": "woot"}, "3:::woot"),
    ({"type": "message", "id": 5, "ack": True, "endpoint": "/tobi", "data": ""}, "3:5:/tobi"),
    ({"type": "heartbeat", "endpoint": ""}, "2::"),
    ({"type": "connect", "endpoint": "/tobi", "qs": ""}, "1::/tobi"),
    ({"type": "connect", "endpoint": "/test", "qs": "?test=1"}, "1::/test:?test=1"),
    ({"type": "disconnect", "endpoint": "/woot"}, "0::/woot"),
    # A.4.2 extra vectors (node's bytes).
    ({"type": "heartbeat", "endpoint": "/chat"}, "2::/chat"),
    ({"type": "connect", "endpoint": ""}, "1::"),
    ({"type": "connect", "endpoint": "/chat"}, "1::/chat"),
    (
        {"type": "event", "id": 1, "ack": "data", "endpoint": "/test", "name": "requestack"}
        | {"args": [1]},
        '5:1+:/test:{"name":"requestack","args":[1]}',
    ),
    ({"type": "ack", "ackId": 1, "endpoint": "/test", "args": [1, "ack"]}, '6::/test:1+[1,"ack"]'),
    ({"type": "ack", "ackId": 2, "endpoint": "/chat"}, "6::/chat:2"),
    ({"type": "message", "id": 2, "ack": True, "endpoint": "/chat", "data": "hi"}, "3:2:/chat:hi"),
    ({"type": "error", "reason": "client not handshaken", "advice": "reconnect"}, "7:::1+0"),
    ({"type": "error", "reason": "unauthorized", "endpoint": "/chat"}, "7::/chat:2"),
    ({"type": "error", "advice": "reconnect"}, "7:::+0"),
    ({"type": "ack", "ackId": 0, "args": [None]}, "6:::0+[null]"),
    ({"type": "event", "ack": "data", "name": "x"}, '5:+::{"name":"x"}'),
    ({"type": "json", "data": {"a": 1.0, "b": 1e-7, "c": "é"}}, '4:::{"a":1,"b":1e-7,"c":"é"}'),
    # A.6 gevent encode vectors, in node's form where gevent differs.
    ({"type": "json", "id": 1, "ack": "data", "data": {"a": Decimal("0.5")}}, '4:1+::{"a":0.5}'),
    ({"type": "event", "name": "tobi", "id": 1, "ack": True, "data": ""}, '5:1::{"name":"tobi"}'),
    (
        {"type": "event", "name": "tobi", "id": 1, "ack": "data", "data": ""},
        '5:1+::{"name":"tobi"}',
    ),
    (
        {"type": "event", "name": "edwald", "ack": True, "endpoint": "", "args": EDWALD_ARGS},
        '5:::{"name":"edwald","args":[{"a":"b"},2,"3"]}',
    ),
    (
        {"type": "ack", "ackId": 12, "endpoint": "/chat", "args": ["woot", "wa"]},
        '6::/chat:12+["woot","wa"]',
    ),
    ({"type": "noop", "endpoint": ""}, "8::"),
    ({"type": "message", "endpoint": ""}, "3::"),
    ({"type": "event", "endpoint": "", "args": []}, "5:::{}"),
    ({"type": "ack", "endpoint": "", "data": "+[1]"}, "6:::+[1]"),
    ({"type": "error", "reason": 2, "advice": 0, "endpoint": ""}, "7:::2+0"),
]


@pytest.mark.parametrize(("obj", "wire"), ENCODE_VECTORS)
def test_encode_vectors(obj: dict[str, Any], wire: str) -> None:
    packet = packet_from_dict(obj)
    assert packet.raw is None
    assert encode_packet(packet) == wire
    assert decode_packet(wire) == packet


# Dicts whose values node itself drops when encoding (A.4.4: args only if they have a
# length; bad JSON decodes to false): re-encoding gives node's canonical wire instead.
LOSSY = {
    "4:::bad": "4:::false",
    "4::": "4:::false",
    "4:::NaN": "4:::false",
    '5:::{"name":"a","args":{}}': '5:::{"name":"a"}',
    "6:::1+null": "6:::1",
}


@pytest.mark.parametrize(("wire", "expected"), DECODE_VECTORS)
def test_dict_form_round_trips_to_node_wire(wire: str, expected: dict[str, Any]) -> None:
    """Decoding the re-encoded dict gives the same dict (the wire may be canonicalised)."""
    again = encode_packet(packet_from_dict(expected))
    if wire in LOSSY:
        assert again == LOSSY[wire]
    else:
        assert packet_to_dict(decode_packet(again)) == expected


A10_EXCHANGE = [
    ("1::/test", {"type": "connect", "endpoint": "/test", "qs": ""}),
    ("1::/test", {"type": "connect", "endpoint": "/test"}),
    (
        '5:1+:/test:{"name":"requestack","args":[1]}',
        {"type": "event", "id": 1, "ack": "data", "endpoint": "/test", "name": "requestack"}
        | {"args": [1]},
    ),
    ('6::/test:1+[1,"ack"]', {"type": "ack", "ackId": 1, "endpoint": "/test", "args": [1, "ack"]}),
]


@pytest.mark.parametrize(("wire", "obj"), A10_EXCHANGE)
def test_a10_ack_exchange(wire: str, obj: dict[str, Any]) -> None:
    assert encode_packet(packet_from_dict(obj)) == wire
    decoded = packet_to_dict(decode_packet(wire))
    assert {k: v for k, v in decoded.items() if k in obj} == obj


DECODE_ERRORS = [
    ("", 0),
    ("2", 1),
    ("0", 1),
    ("8", 1),
    ("foo", 3),
    ("2:", 2),
    (":::", 0),
    (":3:::x", 0),
    ("99::", 0),
    ("9::", 0),
    ("x:1::", 0),
    ("08::", 0),
    ("٣::", 0),
    ("3:abc::x", 2),
    ("3: 1::", 2),
    ("3:++::", 2),
    ("3:1+1::", 2),
    ("3:²::", 2),
    ("3:" + "1" * 101 + "::", 2),
    ("6:::" + "1" * 101, 4),
]


@pytest.mark.parametrize(("wire", "offset"), DECODE_ERRORS)
def test_decode_errors(wire: str, offset: int) -> None:
    with pytest.raises(DecodeError) as info:
        decode_packet(wire)
    assert info.value.protocol == "0.9"
    assert info.value.offset == offset
    assert info.value.data == wire
    assert info.value.reason


def test_unknown_type_reason_names_the_type() -> None:
    with pytest.raises(DecodeError, match="unknown packet type '99'"):
        decode_packet("99::")


def test_long_but_allowed_id() -> None:
    wire = "5:" + "9" * 100 + "+::{}"
    assert decode_packet(wire).id == int("9" * 100)


def test_fields_of_a_decoded_packet() -> None:
    packet = decode_packet('5:7+:/chat:{"name":"hi","args":[1,"😀"]}')
    assert packet == LegacyPacket(
        type=LegacyType.EVENT,
        id=7,
        ack_data=True,
        endpoint="/chat",
        data='{"name":"hi","args":[1,"😀"]}',
    )
    assert packet.name == "hi"
    assert packet.args == [1, "😀"]
    assert packet.ack_id is None
    assert packet.json_data is None


def test_empty_data_is_none_and_encodes_without_colon() -> None:
    assert decode_packet("3:5:/tobi:").data is None
    assert LegacyPacket(type=LegacyType.MESSAGE, data="").data is None
    assert encode_packet(LegacyPacket(type=LegacyType.MESSAGE, id=5, endpoint="/tobi")) == (
        "3:5:/tobi"
    )


def test_typed_views() -> None:
    ack = decode_packet('6::/x:42+["a",{"b":null}]')
    assert (ack.ack_id, ack.ack_args) == (42, ["a", {"b": None}])
    assert decode_packet("1::/t:?a=1").qs == "?a=1"
    assert decode_packet('4:::{"k":[1]}').json_data == {"k": [1]}
    error = decode_packet("7::/chat:2+0")
    assert (error.reason_code, error.advice_code) == (2, 0)
    assert (error.reason, error.advice) == ("unauthorized", "reconnect")
    message = decode_packet("3:::x")
    assert (message.name, message.args, message.qs, message.reason) == (None, [], "", "")
    assert decode_packet("5:::" + "[" * 50_000).args == []  # RecursionError is swallowed


def test_raw_is_not_part_of_equality() -> None:
    assert decode_packet("2:::") == decode_packet("2::")
    assert decode_packet("3:01::x") == decode_packet("3:1::x")


def test_replaced_packet_is_reencoded_not_stale_raw() -> None:
    packet = decode_packet("3:01::x")
    assert encode_packet(packet) == "3:01::x"
    changed = dataclasses.replace(packet, id=7)
    assert changed.raw == "3:01::x"
    assert encode_packet(changed) == "3:7::x"
    moved = dataclasses.replace(decode_packet("2:::"), endpoint="/c")
    assert encode_packet(moved) == "2::/c"


def test_bogus_raw_is_ignored() -> None:
    packet = LegacyPacket(type=LegacyType.NOOP, raw="garbage")
    assert encode_packet(packet) == "8::"


def test_with_ack_id_keeps_args_bytes() -> None:
    packet = decode_packet('6::/c:12+[1.0, "é"]')
    moved = with_ack_id(packet, 7)
    assert encode_packet(moved) == '6::/c:7+[1.0, "é"]'
    assert encode_packet(with_ack_id(decode_packet("6:::3"), 40)) == "6:::40"
    with pytest.raises(EncodeError):
        with_ack_id(decode_packet("3:1::x"), 2)
    with pytest.raises(EncodeError):
        with_ack_id(packet, -1)


@pytest.mark.parametrize(
    "packet",
    [
        LegacyPacket(type=LegacyType.MESSAGE, endpoint="/a:b"),
        LegacyPacket(type=LegacyType.MESSAGE, id=-1),
        LegacyPacket(type=LegacyType.MESSAGE, id=True),
        LegacyPacket(type=9, endpoint=""),  # type: ignore[arg-type]
        LegacyPacket(type=LegacyType.MESSAGE, data=b"x"),  # type: ignore[arg-type]
        LegacyPacket(type=LegacyType.ACK, data="1" * 101),
    ],
)
def test_encode_errors(packet: LegacyPacket) -> None:
    with pytest.raises(EncodeError):
        encode_packet(packet)


@pytest.mark.parametrize(
    ("obj", "match"),
    [
        ([1], "mapping"),
        ({"type": "nope"}, "'type' must be one of"),
        ({"endpoint": ""}, "'type'"),
        ({"type": "message", "endpoint": "/a:b"}, "endpoint"),
        ({"type": "message", "endpoint": 3}, "endpoint"),
        ({"type": "message", "id": -1, "ack": True}, "'id'"),
        ({"type": "message", "id": "x1", "ack": True}, "'id'"),
        ({"type": "message", "id": 1.5}, "'id'"),
        ({"type": "message", "id": 1, "ack": "yes"}, "'ack'"),
        ({"type": "message", "data": 3}, "'data' must be a str"),
        ({"type": "connect", "qs": ["a"]}, "'qs'"),
        ({"type": "json"}, "needs 'data'"),
        ({"type": "json", "data": {1: 2}}, "keys must be str"),
        ({"type": "json", "data": object()}, "not JSON-serializable"),
        ({"type": "ack", "args": [1]}, "needs 'ackId'"),
        ({"type": "ack", "ackId": -3}, "'ackId'"),
        ({"type": "error", "reason": "bogus"}, "'reason'"),
        ({"type": "error", "advice": 1}, "'advice'"),
    ],
)
def test_packet_from_dict_errors(obj: Any, match: str) -> None:
    with pytest.raises(EncodeError, match=match):
        packet_from_dict(obj)


def test_circular_json_is_an_encode_error() -> None:
    loop: list[Any] = []
    loop.append(loop)
    with pytest.raises(EncodeError, match="too deeply"):
        packet_from_dict({"type": "json", "data": loop})


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (1.0, "1"),
        (-0.0, "0"),
        (0.1, "0.1"),
        (-1.5, "-1.5"),
        (1e-7, "1e-7"),
        (1.5e-7, "1.5e-7"),
        (0.000001, "0.000001"),
        (123.456, "123.456"),
        (1e20, "100000000000000000000"),
        (123456789012345680000.0, "123456789012345680000"),
        (1e21, "1e+21"),
        (1.5e300, "1.5e+300"),
        (float("nan"), "null"),
        (float("inf"), "null"),
    ],
)
def test_js_number(value: float, text: str) -> None:
    assert js_number(value) == text


def test_js_stringify_matches_node() -> None:
    value = {"b": [True, False, None, (1, 2)], "a": '\u2028\x1f\n"\\/é😀\ud83d'}
    expected = '{"b":[true,false,null,[1,2]],"a":"\u2028\\u001f\\n\\"\\\\/é😀\\ud83d"}'
    assert js_stringify(value) == expected
