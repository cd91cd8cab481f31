"""HTTP long-polling bodies of Engine.IO 3 and 4, JSONP included (docs/protocol.md#b5, B.6).

Layer: pure codec. Imports the standard library, ``sioproxy.errors`` and the
other codec modules; never twisted. Bodies are ``bytes`` in and out.

* v4: packets joined by U+001E, binary as ``b<base64>`` (B.5.1).
* v3 text: ``<len>:<packet>`` with lengths in UTF-16 code units, binary as
  ``b4<base64>`` (B.5.2 (a), (b)).
* v3 binary ("XHR2"): ``00|01 <one byte per length digit> FF <packet>``, lengths
  in bytes (B.5.2 (c)).
* JSONP: ``___eio[<j>]("<payload>");`` responses and ``d=<payload>`` form POSTs
  with the client's newline escaping (B.6).
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from typing import Any, Final
from urllib.parse import parse_qsl, urlencode

from sioproxy.codec.binary import SioDecoder
from sioproxy.codec.engineio import EioPacket, EioType, decode_eio, eio_to_dict, encode_eio
from sioproxy.codec.jsstr import utf16_len, utf16_take
from sioproxy.codec.limits import LimitError, packets_error
from sioproxy.codec.sio_dict import sio_to_dict
from sioproxy.errors import DecodeError, EncodeError

__all__ = [
    "PayloadDecodeError",
    "PayloadLimitError",
    "decode_jsonp_post",
    "decode_jsonp_response",
    "decode_payload",
    "encode_jsonp_post",
    "encode_jsonp_response",
    "encode_payload",
    "payload_to_dicts",
]

_RS: Final = "\x1e"
# engine.io-parser 2.x gives up on a binary length of more than 310 digits (B.5.2).
_MAX_BINARY_DIGITS: Final = 310
# A text length longer than this cannot fit any body; it also keeps int() cheap.
_MAX_TEXT_DIGITS: Final = 15
_OCTET_STREAM: Final = "application/octet-stream"


class PayloadDecodeError(DecodeError):
    """A payload that fails part-way. ``packets`` holds what decoded before the error:
    engine.io-parser has already delivered those (B.5.1, B.5.2)."""

    def __init__(
        self, protocol: str, reason: str, data: str | bytes, offset: int, packets: list[EioPacket]
    ) -> None:
        super().__init__(protocol, reason, data, offset)
        self.packets = packets


class PayloadLimitError(PayloadDecodeError, LimitError):
    """More packets than the ``limit`` asked for: none was decoded."""


def _utf8(body: bytes, protocol: str) -> str:
    try:
        return body.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise DecodeError(protocol, f"invalid UTF-8: {exc.reason}", body, exc.start) from None


def decode_payload(
    body: bytes, version: int, *, content_type: str | None = None, limit: int | None = None
) -> list[EioPacket]:
    """Decode a polling body into packets; raises ``PayloadDecodeError``/``DecodeError``.

    For v3, ``content_type`` decides between binary and text framing the way
    an engine.io 3.x server does (octet-stream means binary); without it the
    first byte decides (0x00/0x01 means binary, C.8). With a ``limit`` (the
    live proxy's ``limits.MAX_PACKETS_PER_BODY``), a body of more packets is
    not decoded: ``PayloadLimitError`` (a ``PayloadDecodeError`` with no
    packets). Servers and clients decode whatever their peer sends.
    """
    most = _NO_LIMIT if limit is None else limit
    if version == 4:
        if body.count(b"\x1e") >= most:  # counted before any decoding
            raise _too_many("eio4 payload", body, most)
        return _decode_v4(_utf8(bytes(body), "eio4 payload"))
    if version != 3:
        raise ValueError(f"Engine.IO version must be 3 or 4, not {version!r}")
    if content_type is not None:
        binary = content_type.partition(";")[0].strip().lower() == _OCTET_STREAM
    else:
        binary = body[:1] in (b"\x00", b"\x01")
    if binary:
        return _decode_v3_binary(bytes(body), most)
    return _decode_v3_text(_utf8(bytes(body), "eio3 payload"), most)


_NO_LIMIT: Final = 1 << 62


def _too_many(protocol: str, body: str | bytes, limit: int) -> PayloadLimitError:
    return PayloadLimitError(protocol, packets_error(limit), body, 0, [])


def _decode_v4(text: str) -> list[EioPacket]:
    packets: list[EioPacket] = []
    pos = 0
    for part in text.split(_RS):
        try:
            packets.append(decode_eio(part, 4))
        except DecodeError as exc:
            raise PayloadDecodeError("eio4 payload", exc.reason, text, pos, packets) from None
        pos += len(part) + 1
    return packets


def _decode_v3_text(text: str, limit: int) -> list[EioPacket]:
    packets: list[EioPacket] = []

    def fail(reason: str, offset: int) -> PayloadDecodeError:
        return PayloadDecodeError("eio3 payload", reason, text, offset, packets)

    if not text:
        raise fail("empty payload", 0)
    i, end, count = 0, len(text), 0
    while i < end:
        count += 1  # "0:" entries too: each one is a step of this loop
        if count > limit:
            raise _too_many("eio3 payload", text, limit)
        colon = text.find(":", i)
        if colon < 0:
            raise fail("length prefix without ':'", i)
        digits = text[i:colon]
        if not (digits.isascii() and digits.isdigit()) or len(digits) > _MAX_TEXT_DIGITS:
            raise fail("length prefix is not a number", i)
        taken = utf16_take(text, colon + 1, int(digits))
        if taken is None:
            raise fail(f"fewer than {digits} UTF-16 units after the length", colon + 1)
        chunk, nxt = taken
        if chunk:  # "0:" is skipped (B.5.2)
            try:
                packets.append(decode_eio(chunk, 3))
            except DecodeError as exc:
                raise fail(exc.reason, colon + 1) from None
        i = nxt
    return packets


def _decode_v3_binary(body: bytes, limit: int) -> list[EioPacket]:
    packets: list[EioPacket] = []

    def fail(reason: str, offset: int) -> PayloadDecodeError:
        return PayloadDecodeError("eio3 binary payload", reason, body, offset, packets)

    i, end = 0, len(body)
    while i < end:
        is_text = body[i] == 0
        ff = body.find(b"\xff", i + 1, i + 2 + _MAX_BINARY_DIGITS)
        if ff < 0:
            raise fail("length without 0xFF terminator", i + 1)
        digits = body[i + 1 : ff]
        if not digits or max(digits) > 9:
            raise fail("length digit bytes must be 0..9", i + 1)
        size = int(digits.translate(_DIGIT_TO_ASCII))
        start = ff + 1
        chunk = body[start : start + size]
        if len(chunk) != size:
            raise fail(f"fewer than {size} bytes after the length", start)
        if len(packets) == limit:
            raise _too_many("eio3 binary payload", body, limit)
        try:
            frame: str | bytes = _utf8(chunk, "eio3 binary payload") if is_text else chunk
            packets.append(decode_eio(frame, 3))
        except DecodeError as exc:
            raise fail(exc.reason, start + exc.offset) from None
        i = start + size
    return packets


_DIGIT_TO_ASCII: Final = bytes(range(48, 58)) + bytes(range(10, 256))
_ASCII_TO_DIGIT: Final = bytes(range(48)) + bytes(range(10)) + bytes(range(58, 256))


def _text(packet: EioPacket, version: int) -> str:
    encoded = encode_eio(packet, version, b64=True)
    assert isinstance(encoded, str)  # b64=True always gives text
    return encoded


def encode_payload(packets: Sequence[EioPacket], version: int, *, binary: bool = False) -> bytes:
    """Encode a polling body. ``binary=True`` selects v3 XHR2 framing (B.5.2 (c)).

    An empty v3 text payload is ``0:``, an empty v4 one is empty.
    """
    if version == 4:
        if binary:
            raise EncodeError("eio4 has no binary payload framing (B.5.1)")
        return _RS.join([_text(p, 4) for p in packets]).encode("utf-8")
    if version != 3:
        raise ValueError(f"Engine.IO version must be 3 or 4, not {version!r}")
    if not binary:
        if not packets:
            return b"0:"
        texts = [_text(p, 3) for p in packets]
        return "".join([f"{utf16_len(t)}:{t}" for t in texts]).encode("utf-8")
    out = bytearray()
    for p in packets:
        frame = encode_eio(p, 3)
        flag = b"\x01" if isinstance(frame, bytes) else b"\x00"
        raw = frame if isinstance(frame, bytes) else frame.encode("utf-8")
        out += flag + str(len(raw)).encode("ascii").translate(_ASCII_TO_DIGIT) + b"\xff" + raw
    return bytes(out)


# --------------------------------------------------------------------------- JSONP (B.6)

_JSONP_HEAD: Final = "___eio["


def decode_jsonp_response(body: bytes) -> tuple[int, str]:
    """``___eio[3]("...");`` -> ``(3, payload text)``."""
    text = _utf8(bytes(body), "jsonp response")
    if not text.startswith(_JSONP_HEAD):
        raise DecodeError("jsonp response", "missing '___eio['", text, 0)
    close = text.find("](", len(_JSONP_HEAD))
    digits = text[len(_JSONP_HEAD) : close]
    if close < 0 or not (digits.isascii() and digits.isdigit()) or len(digits) > 15:
        raise DecodeError("jsonp response", "bad callback index", text, len(_JSONP_HEAD))
    tail = text.rstrip()
    if not tail.endswith(");"):
        raise DecodeError("jsonp response", "missing ');'", text, len(tail))
    try:
        payload = json.loads(tail[close + 2 : -2])
    except (ValueError, RecursionError) as exc:
        reason = f"not a JSON string: {getattr(exc, 'msg', type(exc).__name__)}"
        raise DecodeError("jsonp response", reason, text, close + 2) from None
    if not isinstance(payload, str):
        raise DecodeError("jsonp response", "not a JSON string", text, close + 2)
    return int(digits), payload


def encode_jsonp_response(index: int, payload: str) -> bytes:
    """The engine.io server's JSONP body; U+2028/U+2029 escaped for JavaScript."""
    if type(index) is not int or index < 0:
        raise EncodeError(f"jsonp: callback index must be a non-negative int, not {index!r}")
    literal = json.dumps(payload, ensure_ascii=False)
    literal = literal.replace("\u2028", "\\u2028").replace("\u2029", "\\u2029")
    return f"{_JSONP_HEAD}{index}]({literal});".encode()


_ESCAPED_NL: Final = re.compile(r"(\\)?\\n")


def decode_jsonp_post(body: bytes) -> str:
    """The payload of a ``d=...`` form POST, newline escaping undone (engine.io polling-jsonp)."""
    text = _utf8(bytes(body), "jsonp post")
    try:
        values = [
            v for k, v in parse_qsl(text, keep_blank_values=True, errors="strict") if k == "d"
        ]
    except (UnicodeDecodeError, ValueError) as exc:
        raise DecodeError("jsonp post", f"bad form encoding: {exc}", text, 0) from None
    if len(values) != 1:
        # node's qs gives an array for a repeated "d", which the server ignores.
        raise DecodeError("jsonp post", f"expected one 'd' field, got {len(values)}", text, 0)
    data = values[0]
    if "\\n" not in data:
        return data
    # "\n" (backslash, n) was a newline; "\\n" was a literal backslash-n (B.6).
    data = _ESCAPED_NL.sub(lambda m: m.group(0) if m.group(1) else "\n", data)
    return data.replace("\\\\n", "\\n")


def encode_jsonp_post(payload: str) -> bytes:
    """The engine.io-client 3.x form body: literal backslash-n doubled, newlines escaped."""
    escaped = payload.replace("\\n", "\\\n").replace("\n", "\\n")
    return urlencode({"d": escaped}).encode("ascii")


# --------------------------------------------------------------------------- dict form


def payload_to_dicts(packets: Sequence[EioPacket], version: int) -> list[dict[str, Any]]:
    """Dict forms of a payload's packets, binary attachments folded into their header.

    A header whose attachments do not all follow is shown with what arrived and
    ``attachments_expected``; a text message that is no valid Socket.IO packet
    is shown with ``"data"``.
    """
    revision = 4 if version == 3 else 5
    decoder = SioDecoder(revision)
    out: list[dict[str, Any]] = []
    at = -1  # index in out of the header being reassembled
    for p in packets:
        data = p.data
        if p.type is not EioType.MESSAGE or not data or (isinstance(data, bytes) and at < 0):
            out.append(eio_to_dict(p, version))
            continue
        if isinstance(data, str) and at >= 0:
            decoder.reset()
            at = -1
        try:
            sio = decoder.feed(data)
        except DecodeError:
            out.append({"eio": "message", "data": data})
            continue
        shown = sio if sio is not None else decoder.partial
        assert shown is not None
        entry = {"eio": "message", "sio": sio_to_dict(shown, revision)}
        if at < 0:
            out.append(entry)
        else:
            out[at] = entry
        at = -1 if sio is not None else (at if at >= 0 else len(out) - 1)
    return out
