"""Socket.IO 0.9 bodies: multi-packet framing, the handshake body, JSONP wrappers.

Layer: pure codec over ``legacy`` (packets) and ``jsstr`` (UTF-16 lengths).
Imports only the standard library and sioproxy.codec/errors; never twisted.

Framing lengths count UTF-16 code units, like JavaScript's ``String.length``
(docs/protocol.md#a5); gevent's Python ``len()`` is wrong for emoji. POST bodies are
taken whole (gevent's ``readline()`` loses everything after a newline, A.3.2).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from urllib.parse import parse_qsl, quote

from sioproxy.codec.jsstr import utf16_len, utf16_take
from sioproxy.codec.legacy import (
    PROTOCOL,
    LegacyPacket,
    decode_packet,
    encode_packet,
)
from sioproxy.codec.legacy_json import js_string
from sioproxy.codec.limits import LimitError, packets_error
from sioproxy.errors import DecodeError, EncodeError

FRAME_MARK = "\ufffd"
# A length prefix longer than this is garbage, not a frame (and keeps int() cheap).
_MAX_LENGTH_DIGITS = 10
_JSONP_PREFIX = "io.j["
# encodeURIComponent leaves these unescaped; urllib's quote() would escape them.
_URI_COMPONENT_SAFE = "!*'()"


# -- framing (A.5) ----------------------------------------------------------


def split_payload(text: str, limit: int | None = None) -> list[str]:
    """The packet texts of a polling body: framed when it starts with U+FFFD, else bare.

    Raises DecodeError when a length prefix is not a number, overruns the body or
    would split a surrogate pair (node would produce garbage there, A.5).
    ``LimitError`` for more than ``limit`` frames (the live proxy's
    ``limits.MAX_PACKETS_PER_BODY``).
    """
    if not text.startswith(FRAME_MARK):
        return [text]
    # The common body: ``['', len, frame, len, frame...]`` when split at every mark,
    # each length the canonical digits of its frame's. Then the frames are what the
    # scan below takes (no mark in a frame, nothing left over); else the scan decides.
    # (Counted first: a body of marks is not split into a list of empty strings.)
    marks = text.count(FRAME_MARK)
    if not marks & 1 and (limit is None or marks <= 2 * limit):
        pieces = text.split(FRAME_MARK)
        frames = pieces[2::2]
        for digits, frame in zip(pieces[1::2], frames, strict=True):
            if frame.isascii():
                if digits != str(len(frame)):
                    break
            elif not _length_of(digits, frame):
                break
        else:
            return frames
    return _scan_frames(text, limit)


def _length_of(digits: str, frame: str) -> bool:
    """Whether ``digits`` is a length prefix the scan takes and counts ``frame``'s UTF-16 units."""
    if not (digits.isascii() and digits.isdigit()) or len(digits) > _MAX_LENGTH_DIGITS:
        return False
    return utf16_len(frame) == int(digits)


def _scan_frames(text: str, limit: int | None) -> list[str]:
    """``split_payload`` frame by frame, for any framed body (its errors say where)."""
    frames: list[str] = []
    pos = 0
    end = len(text)
    while pos < end:
        if text[pos] != FRAME_MARK:
            raise DecodeError(PROTOCOL + " payload", "expected U+FFFD before a length", text, pos)
        close = text.find(FRAME_MARK, pos + 1, pos + 2 + _MAX_LENGTH_DIGITS)
        digits = text[pos + 1 : close]
        if close < 0 or not (digits.isascii() and digits.isdigit()):
            raise DecodeError(PROTOCOL + " payload", "length prefix is not a number", text, pos + 1)
        taken = utf16_take(text, close + 1, int(digits))
        if taken is None:
            reason = f"length {digits} overruns the body or splits a surrogate pair"
            raise DecodeError(PROTOCOL + " payload", reason, text, close + 1)
        frame, pos = taken
        if len(frames) == limit:
            raise LimitError(PROTOCOL + " payload", packets_error(limit), text, 0)
        frames.append(frame)
    return frames


def decode_payload(text: str) -> list[LegacyPacket]:
    """Decode a polling body (framed or one bare packet) into packets, each with its raw."""
    return [decode_packet(frame) for frame in split_payload(text)]


def encode_payload(frames: Sequence[str]) -> str:
    """Frame packet texts: bare when there is one, U+FFFD-framed when two or more."""
    if len(frames) == 1:
        return frames[0]
    return "".join(f"{FRAME_MARK}{utf16_len(frame)}{FRAME_MARK}{frame}" for frame in frames)


def encode_packets(packets: Sequence[LegacyPacket]) -> str:
    """``encode_payload`` of the encoded packets (raw text kept where still valid)."""
    return encode_payload([encode_packet(packet) for packet in packets])


# -- handshake (A.2) --------------------------------------------------------


@dataclass(frozen=True, slots=True, kw_only=True)
class LegacyHandshake:
    """``<sid>:<heartbeat timeout>:<close timeout>:<transports>``; timeouts in seconds.

    A timeout of ``None`` is the empty field (heartbeats disabled).
    """

    sid: str
    heartbeat_timeout: int | None
    close_timeout: int | None
    transports: tuple[str, ...]


def decode_handshake(body: str) -> LegacyHandshake:
    """Parse a handshake response body (not its JSONP wrapper, see decode_jsonp_response)."""
    fields = body.split(":")
    if len(fields) != 4:
        reason = f"handshake needs 4 ':'-separated fields, got {len(fields)}"
        raise DecodeError(PROTOCOL + " handshake", reason, body, 0)
    sid, heartbeat, close, transports = fields
    if not sid:
        raise DecodeError(PROTOCOL + " handshake", "empty session id", body, 0)
    return LegacyHandshake(
        sid=sid,
        heartbeat_timeout=_timeout(heartbeat, body, len(sid) + 1),
        close_timeout=_timeout(close, body, len(sid) + len(heartbeat) + 2),
        transports=tuple(transports.split(",")) if transports else (),
    )


def _timeout(text: str, body: str, offset: int) -> int | None:
    if not text:
        return None
    if not (text.isascii() and text.isdigit()) or len(text) > _MAX_LENGTH_DIGITS:
        raise DecodeError(PROTOCOL + " handshake", "timeout is not a number", body, offset)
    return int(text)


def encode_handshake(handshake: LegacyHandshake) -> str:
    """The handshake body. Raises EncodeError on a colon in the sid or a bad field."""
    if not handshake.sid or ":" in handshake.sid:
        raise EncodeError(f"0.9 sid must be non-empty without ':', got {handshake.sid!r}")
    for value in (handshake.heartbeat_timeout, handshake.close_timeout):
        if value is not None and (type(value) is not int or value < 0):
            raise EncodeError(f"0.9 handshake timeout must be a non-negative int, got {value!r}")
    for name in handshake.transports:
        if not name or ":" in name or "," in name:
            raise EncodeError(f"0.9 transport name must be non-empty without ':' or ',': {name!r}")
    heartbeat = "" if handshake.heartbeat_timeout is None else str(handshake.heartbeat_timeout)
    close = "" if handshake.close_timeout is None else str(handshake.close_timeout)
    return f"{handshake.sid}:{heartbeat}:{close}:{','.join(handshake.transports)}"


# -- JSONP (A.2, A.3.3) -----------------------------------------------------


def decode_jsonp_response(body: str) -> tuple[int, str]:
    """``io.j[<n>](<JSON string>);`` -> (n, payload text).

    Also accepts gevent's ``io.j[['1']]('1::');`` (a list as index, single
    quotes, no escaping; A.3.3). node's ``io.j[0](new Error("..."));`` handshake
    refusal is a DecodeError naming the error.
    """
    proto = PROTOCOL + " jsonp"
    if not body.startswith(_JSONP_PREFIX):
        raise DecodeError(proto, "expected 'io.j['", body, 0)
    close = body.find("](", len(_JSONP_PREFIX))
    if close < 0:
        raise DecodeError(proto, "expected '](' after the callback index", body, len(body))
    index = _jsonp_index(body[len(_JSONP_PREFIX) : close], body)
    start = close + 2
    if not body.endswith(");") or len(body) < start + 2:
        raise DecodeError(proto, "expected ');' at the end", body, len(body))
    argument = body[start:-2]
    if argument.startswith("'") and argument.endswith("'") and len(argument) >= 2:
        return index, argument[1:-1]  # gevent: unescaped single-quoted text
    try:
        payload = json.loads(argument) if argument.startswith('"') else None
    except (ValueError, RecursionError):
        payload = None
    if not isinstance(payload, str):
        raise DecodeError(proto, f"argument is not a JSON string: {argument[:40]!r}", body, start)
    return index, payload


def _jsonp_index(text: str, body: str) -> int:
    digits = text
    if text.startswith("['") and text.endswith("']"):
        digits = text[2:-2]  # gevent writes the list parse_qs returned
    if not (digits.isascii() and digits.isdigit()) or len(digits) > _MAX_LENGTH_DIGITS:
        reason = f"callback index is not a number: {text[:20]!r}"
        raise DecodeError(PROTOCOL + " jsonp", reason, body, len(_JSONP_PREFIX))
    return int(digits)


def encode_jsonp_response(index: int, payload: str) -> str:
    """node's form: ``io.j[<n>](<JSON.stringify(payload)>);`` (A.3.3)."""
    if type(index) is not int or index < 0:
        raise EncodeError(f"jsonp callback index must be a non-negative int, got {index!r}")
    return f"io.j[{index}]({js_string(payload)});"


def decode_jsonp_post(body: bytes | str) -> str:
    """``d=<urlencoded JSON string>`` form body -> payload text (node: JSON.parse(qs.d))."""
    proto = PROTOCOL + " jsonp post"
    text = body.decode("utf-8", "replace") if isinstance(body, bytes) else body
    try:
        pairs = parse_qsl(text, keep_blank_values=True, errors="replace")
    except ValueError as exc:
        raise DecodeError(proto, f"not a form body: {exc}", body, 0) from None
    for key, value in pairs:
        if key == "d":
            try:
                payload = json.loads(value)
            except (ValueError, RecursionError):
                payload = None
            if not isinstance(payload, str):
                raise DecodeError(proto, "field 'd' is not a JSON string", body, 0)
            return payload
    raise DecodeError(proto, "no field 'd'", body, 0)


def encode_jsonp_post(payload: str) -> str:
    """The form body the client posts: ``d=`` + encodeURIComponent(JSON.stringify(payload))."""
    return "d=" + quote(js_string(payload), safe=_URI_COMPONENT_SAFE)
