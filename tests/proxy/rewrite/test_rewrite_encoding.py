"""Pure re-encoding vectors for sioproxy.proxy.rewrite (docs/protocol.md#a5, B.5, B.6, B.7, C.6)."""

from __future__ import annotations

from sioproxy.codec import legacy, payload
from sioproxy.codec.engineio import EioPacket, EioType
from sioproxy.codec.legacy import LegacyPacket, LegacyType
from sioproxy.codec.socketio import SioPacket, SioType, decode_sio
from sioproxy.proxy.rewrite import (
    BodyFormat,
    Keep,
    close_packets,
    disconnect_packet,
    polling_body,
    ws_messages,
    ws_units,
)
from sioproxy.session.events import PacketSeen
from sioproxy.types import Direction, Generation

S2C, C2S = Direction.S2C, Direction.C2S
EMOJI_EVENT = SioPacket(type=SioType.EVENT, data=["e", "😀"])
BIN_EVENT = SioPacket(
    type=SioType.BINARY_EVENT,
    data=["b", {"_placeholder": True, "num": 0}],
    attachments=(b"\x01\x02\x03",),
)


def legacy_seen(raw: str) -> PacketSeen:
    return PacketSeen(
        seq=1,
        conn="c1",
        t=0.0,
        direction=S2C,
        transport="xhr-polling",
        generation=Generation.LEGACY,
        raw=raw,
        legacy=legacy.decode_packet(raw),
    )


def sio_seen(text: str, generation: Generation, attachments: tuple[bytes, ...] = ()) -> PacketSeen:
    sio = decode_sio(text[1:], 4 if generation is Generation.EIO3 else 5)
    if attachments:
        sio = SioPacket(
            type=sio.type,
            nsp=sio.nsp,
            id=sio.id,
            data=sio.data,
            attachments=attachments,
            raw=sio.raw,
        )
    return PacketSeen(
        seq=1,
        conn="c1",
        t=0.0,
        direction=S2C,
        transport="polling",
        generation=generation,
        raw=text,
        attachments=attachments,
        eio=EioPacket(type=EioType.MESSAGE, data=text[1:]),
        sio=sio,
    )


def fmt(generation: Generation, **kw: object) -> BodyFormat:
    return BodyFormat(generation=generation, direction=S2C, **kw)  # type: ignore[arg-type]


# -- 0.9 (A.5): U+FFFD framing with UTF-16 lengths ----------------------------------


def test_legacy_single_packet_is_bare() -> None:
    new = LegacyPacket(type=LegacyType.MESSAGE, data="😀")
    assert polling_body(fmt(Generation.LEGACY), [new]) == "3:::😀".encode()


def test_legacy_kept_and_new_are_framed_with_utf16_lengths() -> None:
    kept = legacy_seen('5:::{"name":"a"}')
    new = LegacyPacket(type=LegacyType.MESSAGE, data="😀")
    body = polling_body(fmt(Generation.LEGACY), [Keep(kept), new]).decode()
    # "3:::😀" is 5 code points but 6 UTF-16 units (the emoji is a surrogate pair).
    assert body == '\ufffd16\ufffd5:::{"name":"a"}\ufffd6\ufffd3:::😀'


def test_legacy_keeps_non_canonical_raw_byte_for_byte() -> None:
    kept = legacy_seen("3:01::x")  # not node's form, still forwarded as received
    assert polling_body(fmt(Generation.LEGACY), [Keep(kept)]) == b"3:01::x"


def test_legacy_jsonp_response_and_post_rewrapped() -> None:
    new = LegacyPacket(type=LegacyType.MESSAGE, data='a"b')
    body = polling_body(fmt(Generation.LEGACY, jsonp_index=3), [new])
    assert body == b'io.j[3]("3:::a\\"b");'
    post = BodyFormat(generation=Generation.LEGACY, direction=C2S, jsonp_post=True)
    assert polling_body(post, [new]) == b"d=%223%3A%3A%3Aa%5C%22b%22"


def test_legacy_empty_body_becomes_noop() -> None:
    assert polling_body(fmt(Generation.LEGACY), []) == b"8::"


# -- Engine.IO 3 (B.5.2): UTF-16 lengths, base64 or XHR2 binary -------------------


def test_eio3_text_lengths_count_utf16_units() -> None:
    body = polling_body(fmt(Generation.EIO3), [EMOJI_EVENT])
    assert body == '12:42["e","😀"]'.encode()
    assert payload.decode_payload(body, 3)[0].data == '2["e","😀"]'


def test_eio3_text_body_carries_attachments_as_base64() -> None:
    body = polling_body(fmt(Generation.EIO3), [BIN_EVENT]).decode()
    header = '451-["b",{"_placeholder":true,"num":0}]'
    assert body == f"{len(header)}:{header}6:b4AQID"


def test_eio3_binary_body_stays_binary() -> None:
    body = polling_body(fmt(Generation.EIO3, binary=True), [BIN_EVENT])
    header = b'451-["b",{"_placeholder":true,"num":0}]'
    assert body == b"\x00" + b"\x03\x09\xff" + header + b"\x01\x04\xff\x04\x01\x02\x03"
    packets = payload.decode_payload(body, 3)
    assert [p.data for p in packets] == [header.decode()[1:], b"\x01\x02\x03"]


def test_eio3_kept_binary_packet_reuses_its_parts() -> None:
    text = '451-["b",{"_placeholder":true,"num":0}]'
    kept = sio_seen(text, Generation.EIO3, (b"\xff",))
    body = polling_body(fmt(Generation.EIO3), [Keep(kept), EMOJI_EVENT]).decode()
    assert body == f'{len(text)}:{text}6:b4/w==12:42["e","😀"]'


def test_eio_jsonp_rewrapped() -> None:
    body = polling_body(fmt(Generation.EIO3, jsonp_index=0), [EMOJI_EVENT])
    assert payload.decode_jsonp_response(body) == (0, '12:42["e","😀"]')
    post = BodyFormat(generation=Generation.EIO4, direction=C2S, jsonp_post=True)
    assert payload.decode_jsonp_post(polling_body(post, [EMOJI_EVENT])) == '42["e","😀"]'


# -- Engine.IO 4 (B.5.1): record separators ---------------------------------------


def test_eio4_record_separators_and_b64_attachments() -> None:
    body = polling_body(fmt(Generation.EIO4), [EMOJI_EVENT, BIN_EVENT])
    assert body.split(b"\x1e") == [
        '42["e","😀"]'.encode(),
        b'451-["b",{"_placeholder":true,"num":0}]',
        b"bAQID",
    ]


def test_eio_empty_body_becomes_noop() -> None:
    assert polling_body(fmt(Generation.EIO4), []) == b"6"
    assert polling_body(fmt(Generation.EIO3), []) == b"1:6"


# -- WebSocket (B.7): one message per Engine.IO packet --------------------------


def test_ws_binary_attachments_per_version() -> None:
    header = (b'451-["b",{"_placeholder":true,"num":0}]', False)
    assert ws_messages(BIN_EVENT, Generation.EIO4) == [header, (b"\x01\x02\x03", True)]
    assert ws_messages(BIN_EVENT, Generation.EIO3) == [header, (b"\x04\x01\x02\x03", True)]


def test_ws_kept_units_reuse_received_frames() -> None:
    kept = sio_seen('42["x"]', Generation.EIO4)
    frames = ((b'42["x"]', False),)
    out = ws_units([Keep(kept, frames), EMOJI_EVENT], Generation.EIO4)
    assert out == [(b'42["x"]', False), ('42["e","😀"]'.encode(), False)]


def test_ws_legacy_message_is_reframed() -> None:
    kept = legacy_seen("2::")
    out = ws_units(
        [Keep(kept), LegacyPacket(type=LegacyType.MESSAGE, data="😀")], Generation.LEGACY
    )
    assert out == [("\ufffd3\ufffd2::\ufffd6\ufffd3:::😀".encode(), False)]
    assert ws_units([], Generation.LEGACY) == []


def test_proxy_made_disconnect_and_close() -> None:
    assert legacy.encode_packet(disconnect_packet(Generation.LEGACY, "/chat")) == "0::/chat"  # type: ignore[arg-type]
    assert ws_messages(disconnect_packet(Generation.EIO4, "/chat"), Generation.EIO4) == [
        (b"41/chat,", False)
    ]
    assert ws_messages(close_packets(Generation.EIO3)[0], Generation.EIO3) == [(b"1", False)]
    assert ws_messages(close_packets(Generation.LEGACY)[0], Generation.LEGACY) == [(b"0::", False)]
