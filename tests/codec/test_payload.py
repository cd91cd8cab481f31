"""Polling payloads and JSONP: docs/protocol.md#b3, B.5.1, B.5.2, B.6, C.6, C.7 vectors."""

from __future__ import annotations

import pytest

from sioproxy.codec.engineio import EioPacket, EioType
from sioproxy.codec.payload import (
    PayloadDecodeError,
    decode_jsonp_post,
    decode_jsonp_response,
    decode_payload,
    encode_jsonp_post,
    encode_jsonp_response,
    encode_payload,
    payload_to_dicts,
)
from sioproxy.errors import DecodeError, EncodeError

E = EioType
RS = "\x1e"


def msg(data: str | bytes | None = None) -> EioPacket:
    return EioPacket(type=E.MESSAGE, data=data)


OPEN_V3 = (
    '{"sid":"lv_VI97HAXpY6yYWAAAC","upgrades":["websocket"],'
    '"pingInterval":25000,"pingTimeout":5000}'
)
PH0 = '{"_placeholder":true,"num":0}'
PH1 = '{"_placeholder":true,"num":1}'

# ---------------------------------------------------------------- B.5.1 EIO4

V4_VECTORS: list[tuple[str, list[EioPacket]]] = [
    (
        f"0{RS}1{RS}2probe{RS}3probe{RS}4test",
        [
            EioPacket(type=E.OPEN),
            EioPacket(type=E.CLOSE),
            EioPacket(type=E.PING, data="probe"),
            EioPacket(type=E.PONG, data="probe"),
            msg("test"),
        ],
    ),
    (f"4test{RS}bAQIDBA==", [msg("test"), msg(b"\x01\x02\x03\x04")]),
    (f"4hello{RS}bAQIDBA==", [msg("hello"), msg(b"\x01\x02\x03\x04")]),
    (f"4test1{RS}4test2{RS}4test3", [msg("test1"), msg("test2"), msg("test3")]),
    (f'42["hello"]{RS}42["world"]', [msg('2["hello"]'), msg('2["world"]')]),
    ("bAQIDBA==", [msg(b"\x01\x02\x03\x04")]),
    ("2", [EioPacket(type=E.PING)]),
    ("6", [EioPacket(type=E.NOOP)]),
    (
        f'452-["message",{PH0},{PH1}]{RS}bAQID{RS}bBAUG',
        [msg(f'52-["message",{PH0},{PH1}]'), msg(b"\x01\x02\x03"), msg(b"\x04\x05\x06")],
    ),
    ("4€🎉", [msg("€🎉")]),
]


@pytest.mark.parametrize(("body", "packets"), V4_VECTORS)
def test_v4_payloads(body: str, packets: list[EioPacket]) -> None:
    assert decode_payload(body.encode(), 4) == packets
    assert encode_payload(packets, 4) == body.encode()


@pytest.mark.parametrize(
    ("body", "before"),
    [
        ("{", []),
        ("{}", []),
        ('["a123", "a456"]', []),
        ("", []),
        (f"4a{RS}", [msg("a")]),
        (f"{RS}4a", []),
        (f"4a{RS}4b{RS}7", [msg("a"), msg("b")]),
    ],
)
def test_v4_decode_failures_keep_what_came_before(body: str, before: list[EioPacket]) -> None:
    with pytest.raises(PayloadDecodeError) as info:
        decode_payload(body.encode(), 4)
    assert info.value.packets == before
    assert info.value.protocol == "eio4 payload"


def test_v4_binary_framing_is_refused() -> None:
    with pytest.raises(EncodeError):
        encode_payload([msg("a")], 4, binary=True)


def test_empty_v4_payload_encodes_empty() -> None:
    assert encode_payload([], 4) == b""


# ---------------------------------------------------------------- B.5.2 EIO3 text

V3_TEXT_VECTORS: list[tuple[str, list[EioPacket]]] = [
    ("6:4hello2:4€", [msg("hello"), msg("€")]),
    ("4:4€€€2:4\u03b1", [msg("€€€"), msg("\u03b1")]),
    ('23:42["chat message","🎉"]', [msg('2["chat message","🎉"]')]),
    ('16:42["hey","Jude"]', [msg('2["hey","Jude"]')]),
    ('11:42["hello"]11:42["world"]', [msg('2["hello"]'), msg('2["world"]')]),
    ("4:4hey", [msg("hey")]),
    ("6:4hello6:4world", [msg("hello"), msg("world")]),
    ("1:2", [EioPacket(type=E.PING)]),
    ("1:3", [EioPacket(type=E.PONG)]),
    ("1:6", [EioPacket(type=E.NOOP)]),
    ("2:40", [msg("0")]),
    ("1:4", [msg()]),
    ("1:26:3probe", [EioPacket(type=E.PING), EioPacket(type=E.PONG, data="probe")]),
    ("0:", []),
    ("2:4€10:b4AQIDBA==", [msg("€"), msg(b"\x01\x02\x03\x04")]),
    (
        f'43:451-["hello",{PH0}]6:b4AQID',
        [msg(f'51-["hello",{PH0}]'), msg(b"\x01\x02\x03")],
    ),
    (f"96:0{OPEN_V3}2:40", [EioPacket(type=E.OPEN, data=OPEN_V3), msg("0")]),
    ('2:4013:42["auth",{}]1:3', [msg("0"), msg('2["auth",{}]'), EioPacket(type=E.PONG)]),
]


@pytest.mark.parametrize(("body", "packets"), V3_TEXT_VECTORS)
def test_v3_text_payloads(body: str, packets: list[EioPacket]) -> None:
    assert decode_payload(body.encode(), 3) == packets
    assert decode_payload(body.encode(), 3, content_type="text/plain; charset=UTF-8") == packets
    assert encode_payload(packets, 3) == body.encode()


def test_v3_zero_length_segment_is_skipped() -> None:
    assert decode_payload(b"0:1:20:", 3) == [EioPacket(type=E.PING)]


@pytest.mark.parametrize(
    ("body", "before"),
    [
        ("", []),
        ("1!", []),
        ("))", []),
        ("1:", []),
        ("3:99:", []),
        ("1:aa", []),
        ("1:a2:b", []),
        ("5:4hello1:", [msg("hell")]),
        ("4:4hey6", [msg("hey")]),
        ("2:4🎉", []),  # the length would split a surrogate pair
        ("-1:4", []),
        (" 1:2", []),
        ("1" * 40 + ":4", []),
        ("٣:4ab", []),  # a non-ASCII digit is no length
        ("1:b", []),
        ("3:b4A", []),  # base64 with bad padding
    ],
)
def test_v3_text_errors(body: str, before: list[EioPacket]) -> None:
    with pytest.raises(PayloadDecodeError) as info:
        decode_payload(body.encode(), 3)
    assert info.value.packets == before
    assert info.value.protocol == "eio3 payload"


def test_v3_empty_text_payload_encodes_0_colon() -> None:
    assert encode_payload([], 3) == b"0:"


def test_invalid_utf8_is_a_decode_error() -> None:
    for version in (3, 4):
        with pytest.raises(DecodeError, match="invalid UTF-8"):
            decode_payload(b"4\xff\xfe", version)


# ---------------------------------------------------------------- B.5.2 (c) XHR2 framing

V3_BINARY_VECTORS: list[tuple[str, list[EioPacket]]] = [
    ("0004ff34e282ac0105ff0401020304", [msg("€"), msg(b"\x01\x02\x03\x04")]),
    ("0007ff34c3a9f09f98800102ff0401", [msg("é😀"), msg(b"\x01")]),
    (
        "000403ff" + f'451-["hello",{PH0}]'.encode().hex() + "0104ff04010203",
        [msg(f'51-["hello",{PH0}]'), msg(b"\x01\x02\x03")],
    ),
    ("0001ff32", [EioPacket(type=E.PING)]),
    ("", []),
]


@pytest.mark.parametrize(("hexbody", "packets"), V3_BINARY_VECTORS)
def test_v3_binary_payloads(hexbody: str, packets: list[EioPacket]) -> None:
    body = bytes.fromhex(hexbody)
    if body:
        assert decode_payload(body, 3) == packets
    assert decode_payload(body, 3, content_type="application/octet-stream") == packets
    assert encode_payload(packets, 3, binary=True) == body


def test_content_type_decides_for_v3() -> None:
    # An engine.io 3.x server decodes a non-octet-stream POST as text (B.5.2).
    with pytest.raises(DecodeError):
        decode_payload(bytes.fromhex("0001ff32"), 3, content_type="text/plain")
    with pytest.raises(DecodeError):
        decode_payload(b"1:2", 3, content_type="Application/Octet-Stream; x=1")


@pytest.mark.parametrize(
    ("hexbody", "count_before"),
    [
        ("00", 0),  # no 0xFF
        ("0001", 0),
        ("000aff34", 0),  # digit byte 10
        ("00ff34", 0),  # no digits
        ("0002ff34", 0),  # too short
        ("0001ff37", 0),  # unknown type 7
        ("0001ffff", 0),  # invalid UTF-8
        ("0101ff09", 0),  # binary packet with type byte 9
        ("0001ff320001ff", 1),
        ("00" + "01" * 400 + "ff", 0),  # more than 310 digits
    ],
)
def test_v3_binary_errors(hexbody: str, count_before: int) -> None:
    with pytest.raises(PayloadDecodeError) as info:
        decode_payload(bytes.fromhex(hexbody), 3)
    assert len(info.value.packets) == count_before
    assert info.value.protocol == "eio3 binary payload"


def test_bad_version() -> None:
    with pytest.raises(ValueError, match="version"):
        decode_payload(b"", 5)
    with pytest.raises(ValueError, match="version"):
        encode_payload([], 2)


# ---------------------------------------------------------------- B.6 JSONP


@pytest.mark.parametrize(
    ("body", "index", "payload"),
    [
        ('___eio[233]("4abc");', 233, "4abc"),
        ('___eio[0]("6:4hello2:4€");', 0, "6:4hello2:4€"),
        ('___eio[3]("1:4\\u2028\\u2029\\"\\n");', 3, '1:4\u2028\u2029"\n'),
    ],
)
def test_jsonp_response(body: str, index: int, payload: str) -> None:
    assert decode_jsonp_response(body.encode()) == (index, payload)
    assert encode_jsonp_response(index, payload) == body.encode()


@pytest.mark.parametrize(
    "body",
    [
        "",
        '___eio[]("4");',
        '___eio[a]("4");',
        '___eio[1]("4")',
        "___eio[1](4);",
        '___eio[1]("4);',
        '__eio[1]("4");',
        "___eio[1",
        '___eio[1]("4" + x);',
    ],
)
def test_jsonp_response_errors(body: str) -> None:
    with pytest.raises(DecodeError) as info:
        decode_jsonp_response(body.encode())
    assert info.value.protocol == "jsonp response"


def test_jsonp_response_bad_index() -> None:
    with pytest.raises(EncodeError):
        encode_jsonp_response(-1, "4")


@pytest.mark.parametrize(
    ("body", "payload"),
    [
        ("d=4abc", "4abc"),
        ("d=1%3A4", "1:4"),
        ("d=6%3A4a%5Cnb", "6:4a\nb"),  # backslash-n was a newline
        ("d=7%3A4a%5C%5Cnb", "7:4a\\nb"),  # doubled: a literal backslash-n
        ("d=4a+b", "4a b"),
        ("d=", ""),
    ],
)
def test_jsonp_post(body: str, payload: str) -> None:
    assert decode_jsonp_post(body.encode()) == payload
    assert decode_jsonp_post(encode_jsonp_post(payload)) == payload


def test_jsonp_post_encoding_escapes_like_the_client() -> None:
    assert encode_jsonp_post("4a\nb") == b"d=4a%5Cnb"
    assert encode_jsonp_post("4a\\nb") == b"d=4a%5C%5Cnb"


@pytest.mark.parametrize("body", [b"", b"x=1", b"d=1&d=2", b"d=%ff", b"\xff"])
def test_jsonp_post_errors(body: bytes) -> None:
    with pytest.raises(DecodeError) as info:
        decode_jsonp_post(body)
    assert info.value.protocol == "jsonp post"


# ---------------------------------------------------------------- dict form


def test_payload_to_dicts_folds_attachments() -> None:
    packets = decode_payload(f'452-["m",{PH0},{PH1}]{RS}bAQID{RS}bBAUG{RS}3'.encode(), 4)
    assert payload_to_dicts(packets, 4) == [
        {
            "eio": "message",
            "sio": {
                "type": "binary_event",
                "nsp": "/",
                "data": ["m", {"_placeholder": True, "num": 0}, {"_placeholder": True, "num": 1}],
                "attachments": ["AQID", "BAUG"],
            },
        },
        {"eio": "pong"},
    ]


def test_payload_to_dicts_incomplete_and_interrupted() -> None:
    packets = [msg(f'52-["m",{PH0},{PH1}]'), msg(b"\x01"), msg('2["x"]'), msg(b"\x02"), msg("hi")]
    assert payload_to_dicts(packets, 4) == [
        {
            "eio": "message",
            "sio": {
                "type": "binary_event",
                "nsp": "/",
                "data": ["m", {"_placeholder": True, "num": 0}, {"_placeholder": True, "num": 1}],
                "attachments": ["AQ=="],
                "attachments_expected": 1,
            },
        },
        {"eio": "message", "sio": {"type": "event", "nsp": "/", "data": ["x"]}},
        {"eio": "message", "binary": "Ag=="},
        {"eio": "message", "data": "hi"},
    ]


def test_payload_to_dicts_v3_uses_revision_4() -> None:
    packets = decode_payload(b'2:4025:44/admin,"Not authorized"', 3)
    assert payload_to_dicts(packets, 3) == [
        {"eio": "message", "sio": {"type": "connect", "nsp": "/"}},
        {"eio": "message", "sio": {"type": "error", "nsp": "/admin", "data": "Not authorized"}},
    ]
