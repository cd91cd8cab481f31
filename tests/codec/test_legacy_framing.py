"""Socket.IO 0.9 bodies: payload framing (A.5), handshake (A.2), JSONP (A.2, A.3.3)."""

from __future__ import annotations

from typing import Any

import pytest

from sioproxy.codec.legacy import LegacyPacket, LegacyType, decode_packet
from sioproxy.codec.legacy_dict import packet_to_dict
from sioproxy.codec.legacy_framing import (
    LegacyHandshake,
    decode_handshake,
    decode_jsonp_post,
    decode_jsonp_response,
    decode_payload,
    encode_handshake,
    encode_jsonp_post,
    encode_jsonp_response,
    encode_packets,
    encode_payload,
    split_payload,
)
from sioproxy.errors import DecodeError, EncodeError

F = "\ufffd"

PAYLOAD_VECTORS: list[tuple[list[str], str]] = [
    # A.4.2 payload test [test]
    (["3:::5", "3:::53d", "0::"], f"{F}5{F}3:::5{F}7{F}3:::53d{F}3{F}0::"),
    (["3:::5", "3:::53d"], f"{F}5{F}3:::5{F}7{F}3:::53d"),
    # A.5: lengths in UTF-16 code units [run]
    (
        ["3:::é", "3:::😀", '5:::{"name":"a","args":["€"]}'],
        f'{F}5{F}3:::é{F}6{F}3:::😀{F}29{F}5:::{{"name":"a","args":["€"]}}',
    ),
    # A.3.3: the two-packet payload inside node's JSONP vector
    (['5:::{"name":"a/b"}', "2::"], f'{F}18{F}5:::{{"name":"a/b"}}{F}3{F}2::'),
    # A single packet is bare, U+FFFD inside data is harmless with right lengths.
    (["3:::a"], "3:::a"),
    ([f"3:::{F}1{F}x", "2::"], f"{F}8{F}3:::{F}1{F}x{F}3{F}2::"),
]


@pytest.mark.parametrize(("frames", "wire"), PAYLOAD_VECTORS)
def test_payload_vectors(frames: list[str], wire: str) -> None:
    assert encode_payload(frames) == wire
    assert split_payload(wire) == frames
    packets = decode_payload(wire)
    assert [p.raw for p in packets] == frames
    assert encode_packets(packets) == wire


def test_utf16_vector_bytes() -> None:
    frames = ["3:::é", "3:::😀", '5:::{"name":"a","args":["€"]}']
    assert encode_payload(frames).encode("utf-8").hex() == (
        "efbfbd35efbfbd333a3a3ac3a9efbfbd36efbfbd333a3a3af09f9880efbfbd3239efbfbd"
        "353a3a3a7b226e616d65223a2261222c2261726773223a5b22e282ac225d7d"
    )


def test_a42_payload_decodes_to_packets() -> None:
    wire = f"{F}5{F}3:::5{F}7{F}3:::53d{F}3{F}0::"
    assert [packet_to_dict(p) for p in decode_payload(wire)] == [
        {"type": "message", "endpoint": "", "data": "5"},
        {"type": "message", "endpoint": "", "data": "53d"},
        {"type": "disconnect", "endpoint": ""},
    ]


def test_post_body_keeps_text_after_newline() -> None:
    # gevent's readline() would cut this to '3:::a\n' (A.3.2).
    assert decode_payload("3:::a\nb") == [LegacyPacket(type=LegacyType.MESSAGE, data="a\nb")]
    framed = encode_payload(["3:::a\nb", "3:::c"])
    assert [p.data for p in decode_payload(framed)] == ["a\nb", "c"]


def test_empty_frame_list() -> None:
    assert encode_payload([]) == ""


PAYLOAD_ERRORS = [
    (f"{F}5{F}3:::😀{F}3{F}0::", 3, "splits a surrogate pair"),  # A.5 wrong length 5
    (f"{F}9{F}3:::a", 3, "overruns"),
    (f"{F}x{F}3:::a", 1, "not a number"),
    (f"{F}{F}3:::a", 1, "not a number"),
    (f"{F}5", 1, "not a number"),
    (f"{F}٣{F}3:::", 1, "not a number"),
    (f"{F}{'1' * 20}{F}3:::", 1, "not a number"),
    (f"{F}5{F}3:::ax", 8, r"expected U\+FFFD"),
]


@pytest.mark.parametrize(("wire", "offset", "reason"), PAYLOAD_ERRORS)
def test_payload_errors(wire: str, offset: int, reason: str) -> None:
    with pytest.raises(DecodeError, match=reason) as info:
        split_payload(wire)
    assert info.value.offset == offset
    with pytest.raises(DecodeError):
        decode_payload(wire)


@pytest.mark.parametrize("wire", ["", "2", f"{F}0{F}", f"{F}3{F}2::{F}2{F}99"])
def test_payload_with_undecodable_packet(wire: str) -> None:
    with pytest.raises(DecodeError):
        decode_payload(wire)


HANDSHAKES: list[tuple[str, LegacyHandshake]] = [
    (
        "4d4f185e96a7b:15:10:websocket,xhr-polling",
        LegacyHandshake(
            sid="4d4f185e96a7b",
            heartbeat_timeout=15,
            close_timeout=10,
            transports=("websocket", "xhr-polling"),
        ),
    ),
    (
        "a-b_cdefghijklmnopqr:60:60:websocket,htmlfile,xhr-polling,jsonp-polling",
        LegacyHandshake(
            sid="a-b_cdefghijklmnopqr",
            heartbeat_timeout=60,
            close_timeout=60,
            transports=("websocket", "htmlfile", "xhr-polling", "jsonp-polling"),
        ),
    ),
    (
        "123456789012:60:60:websocket,flashsocket,htmlfile,xhr-multipart,xhr-polling,jsonp-polling",
        LegacyHandshake(
            sid="123456789012",
            heartbeat_timeout=60,
            close_timeout=60,
            transports=(
                "websocket",
                "flashsocket",
                "htmlfile",
                "xhr-multipart",
                "xhr-polling",
                "jsonp-polling",
            ),
        ),
    ),
    (
        "abc::60:xhr-polling",
        LegacyHandshake(
            sid="abc", heartbeat_timeout=None, close_timeout=60, transports=("xhr-polling",)
        ),
    ),
    ("abc:1::", LegacyHandshake(sid="abc", heartbeat_timeout=1, close_timeout=None, transports=())),
]


@pytest.mark.parametrize(("body", "handshake"), HANDSHAKES)
def test_handshake_vectors(body: str, handshake: LegacyHandshake) -> None:
    assert decode_handshake(body) == handshake
    assert encode_handshake(handshake) == body


@pytest.mark.parametrize(
    ("body", "offset"),
    [
        ("handshake unauthorized", 0),
        ("Protocol version not supported.", 0),
        ("a:1:2", 0),
        ("a:1:2:ws:x", 0),
        (":1:2:ws", 0),
        ("abc:x:2:ws", 4),
        ("abc:1:-2:ws", 6),
        ("abc: 1:2:ws", 4),
    ],
)
def test_handshake_errors(body: str, offset: int) -> None:
    with pytest.raises(DecodeError) as info:
        decode_handshake(body)
    assert info.value.offset == offset


@pytest.mark.parametrize(
    "handshake",
    [
        LegacyHandshake(sid="a:b", heartbeat_timeout=1, close_timeout=1, transports=()),
        LegacyHandshake(sid="", heartbeat_timeout=1, close_timeout=1, transports=()),
        LegacyHandshake(sid="a", heartbeat_timeout=-1, close_timeout=1, transports=()),
        LegacyHandshake(sid="a", heartbeat_timeout=1, close_timeout=1, transports=("a,b",)),
    ],
)
def test_handshake_encode_errors(handshake: LegacyHandshake) -> None:
    with pytest.raises(EncodeError):
        encode_handshake(handshake)


JSONP_RESPONSES: list[tuple[str, int, str]] = [
    ('io.j[1]("1::");', 1, "1::"),
    (
        f'io.j[0]("{F}18{F}5:::{{\\"name\\":\\"a/b\\"}}{F}3{F}2::");',
        0,
        f'{F}18{F}5:::{{"name":"a/b"}}{F}3{F}2::',
    ),
    # the JSONP handshake (A.2): io.j[<n>](JSON.stringify(handshake string))
    (
        'io.j[0]("4d4f185e96a7b:15:10:websocket,xhr-polling");',
        0,
        "4d4f185e96a7b:15:10:websocket,xhr-polling",
    ),
    ('io.j[12]("3:::a\\nb \\"q\\" \\u001f");', 12, '3:::a\nb "q" \x1f'),
]


@pytest.mark.parametrize(("body", "index", "payload"), JSONP_RESPONSES)
def test_jsonp_response_vectors(body: str, index: int, payload: str) -> None:
    assert decode_jsonp_response(body) == (index, payload)
    assert encode_jsonp_response(index, payload) == body


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        ("io.j[['1']]('1::');", (1, "1::")),  # gevent's list index, single quotes
        ("io.j[['0']]('3:::a\\b');", (0, "3:::a\\b")),  # gevent does not escape
        ("io.j[3]('1::');", (3, "1::")),
    ],
)
def test_jsonp_response_gevent_forms(body: str, expected: tuple[int, str]) -> None:
    assert decode_jsonp_response(body) == expected


@pytest.mark.parametrize(
    "body",
    [
        'io.j[0](new Error("handshake unauthorized"));',
        "1::",
        'io.j[x]("1::");',
        'io.j[0]("1::")',
        'io.j[0]("1::);',
        "io.j[0](1);",
        "io.j[0]",
        "io.j[0]();",
        "io.j[0](');",
        'io.j[["1"]]("1::");',
    ],
)
def test_jsonp_response_errors(body: str) -> None:
    with pytest.raises(DecodeError):
        decode_jsonp_response(body)


def test_encode_jsonp_response_escapes_like_json_stringify() -> None:
    assert encode_jsonp_response(2, "3:::é\u2028😀") == 'io.j[2]("3:::é\u2028😀");'
    with pytest.raises(EncodeError):
        encode_jsonp_response(-1, "1::")


JSONP_POSTS = [
    ("3:::a", "d=%223%3A%3A%3Aa%22"),
    (
        encode_payload(["3:::a", "3:::b", "0::"]),
        "d=%22%EF%BF%BD5%EF%BF%BD3%3A%3A%3Aa%EF%BF%BD5%EF%BF%BD3%3A%3A%3Ab%EF%BF%BD3%EF%BF%BD0%3A%3A%22",
    ),
    ("3:::a b\n(!*')~", "d=%223%3A%3A%3Aa%20b%5Cn(!*')~%22"),
]


@pytest.mark.parametrize(("payload", "body"), JSONP_POSTS)
def test_jsonp_post_vectors(payload: str, body: str) -> None:
    assert encode_jsonp_post(payload) == body
    assert decode_jsonp_post(body) == payload
    assert decode_jsonp_post(body.encode("ascii")) == payload


@pytest.mark.parametrize(
    ("body", "payload"),
    [
        ("d=%223%3A%3A%3Aa+b%22", "3:::a b"),  # a browser form encodes spaces as '+'
        ("x=1&d=%221%3A%3A%22", "1::"),
        ('d="3:::é"'.encode(), "3:::é"),
    ],
)
def test_jsonp_post_forms(body: Any, payload: str) -> None:
    assert decode_jsonp_post(body) == payload


@pytest.mark.parametrize("body", ["", "x=1", "d=", "d=3%3A%3A%3Aa", "d=%5B1%5D", b"d=\xff"])
def test_jsonp_post_errors(body: Any) -> None:
    with pytest.raises(DecodeError):
        decode_jsonp_post(body)


def test_jsonp_payload_decodes_to_packets() -> None:
    index, payload = decode_jsonp_response(f'io.j[0]("{F}5{F}3:::a{F}3{F}2::");')
    assert index == 0
    assert decode_payload(payload) == [decode_packet("3:::a"), decode_packet("2::")]
