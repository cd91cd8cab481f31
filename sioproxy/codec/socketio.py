"""Socket.IO packets, protocol revisions 4 (socket.io 1.x/2.x) and 5 (3.x/4.x).

Layer: pure codec. Imports only the standard library, ``sioproxy.errors`` and
``sioproxy.codec.placeholders``; never twisted.

One packet is the text of one Engine.IO message (without the EIO ``4``),
docs/protocol.md#c2::

    <type digit>[<attachments>"-"][<namespace>","][<ack id>][<JSON payload>]

Decoding follows socket.io-parser's ``decodeString`` (C.3), validation follows
``isPayloadValid`` of 4.2.6 for revision 5 and of 3.4.3 for revision 4. A
decoded packet keeps its header text in ``raw``; ``encode_sio`` gives ``raw``
back unless the packet was changed (C.8 "keep raw text"), so a proxy that
forwards an unchanged packet never alters its bytes.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from enum import IntEnum
from typing import Any, Final

from sioproxy.codec import placeholders as _placeholders
from sioproxy.codec.jsonvalue import same_json
from sioproxy.codec.limits import SHORT_ENOUGH, depth_error, too_deep
from sioproxy.errors import DecodeError, EncodeError
from sioproxy.fastbuild import draft_builder

__all__ = [
    "BINARY_TYPES",
    "MAX_ATTACHMENTS",
    "RESERVED_EVENTS",
    "SioPacket",
    "SioType",
    "decode_sio",
    "encode_sio",
]

#: socket.io-parser 4.2.6 ``maxAttachments`` default (C.3 step 2, CVE-2026-33151).
MAX_ATTACHMENTS: Final = 10
#: Event names a v5 decoder refuses (socket.io-parser 4.2.4+, C.3 validation).
RESERVED_EVENTS: Final = frozenset(
    {"connect", "connect_error", "disconnect", "disconnecting", "newListener", "removeListener"}
)
# python-socketio refuses longer ids ("id field is too long", C.3); it also keeps
# int() away from CPython's 4300-digit limit.
_MAX_ID_DIGITS: Final = 100


class SioType(IntEnum):
    """Socket.IO packet type; the value is the wire digit (C.1)."""

    CONNECT = 0
    DISCONNECT = 1
    EVENT = 2
    ACK = 3
    CONNECT_ERROR = 4
    BINARY_EVENT = 5
    BINARY_ACK = 6


BINARY_TYPES: Final = frozenset({SioType.BINARY_EVENT, SioType.BINARY_ACK})
_TYPE_BY_CHAR: Final = {str(t.value): t for t in SioType}


@dataclass(frozen=True, slots=True, kw_only=True)
class SioPacket:
    """One Socket.IO packet.

    ``data`` is the parsed JSON payload (``None`` when absent). A binary packet
    keeps its ``{"_placeholder":true,"num":k}`` objects in ``data`` and its
    buffers in ``attachments``; ``attachment_count`` is the count written in
    the header, which is larger than ``len(attachments)`` while a decoder still
    waits for them. ``raw`` is the header text as received; it does not take
    part in equality. Treat ``data`` as immutable: build a changed packet with
    ``dataclasses.replace``.
    """

    type: SioType
    nsp: str = "/"
    id: int | None = None
    data: Any = None
    attachments: tuple[bytes, ...] = ()
    attachment_count: int | None = None
    # socket.io-msgpack-parser only: the map's ``options`` (socket.io-client's
    # ``{"compress": true}``), None when absent (codec/sio_msgpack.py).
    options: Any = None
    raw: str | None = field(default=None, compare=False)
    # Set only by decode_sio: ``raw`` is known to be this packet's text. Any
    # packet built through ``__init__`` (``dataclasses.replace`` included)
    # starts unmarked, so encode_sio checks its ``raw`` before reusing it.
    _pristine: bool = field(default=False, init=False, compare=False, repr=False)

    def __post_init__(self) -> None:
        if self.attachment_count is None and self.type >= SioType.BINARY_EVENT:
            object.__setattr__(self, "attachment_count", len(self.attachments))

    @property
    def is_binary(self) -> bool:
        return self.type in BINARY_TYPES

    @property
    def attachments_expected(self) -> int:
        """Attachments announced by the header but not (yet) present."""
        return (self.attachment_count or 0) - len(self.attachments)

    @property
    def name(self) -> str | None:
        """The event name of an EVENT/BINARY_EVENT, else ``None``."""
        data = self.data
        if self.type in (SioType.EVENT, SioType.BINARY_EVENT) and type(data) is list and data:
            first = data[0]
            return first if isinstance(first, str) else None
        return None

    @property
    def args(self) -> list[Any] | None:
        """Event arguments without the name, or the ack arguments (placeholders kept)."""
        data = self.data
        if type(data) is not list:
            return None
        if self.type in (SioType.EVENT, SioType.BINARY_EVENT):
            return data[1:]
        if self.type in (SioType.ACK, SioType.BINARY_ACK):
            return data
        return None

    @property
    def resolved(self) -> Any:
        """``data`` with every placeholder replaced by its attachment buffer."""
        if not self.attachments:
            return self.data
        return _placeholders.reassemble(self.data, self.attachments)

    @property
    def nsp_path(self) -> str:
        """The namespace without a v4 client's ``?query`` (C.4)."""
        return self.nsp.partition("?")[0]


# --------------------------------------------------------------------------- decoding

# decode_sio builds packets without the generated frozen __init__ (keyword
# parsing, __post_init__, one object.__setattr__ per field): about five times
# cheaper; construction was most of the cost of decoding a small packet.
_build: Final = draft_builder(SioPacket)


def _make(
    ptype: SioType, nsp: str, pid: int | None, data: Any, count: int | None, raw: str
) -> SioPacket:
    packet: SioPacket = _build(
        type=ptype,
        nsp=nsp,
        id=pid,
        data=data,
        attachment_count=count,
        raw=raw,
        _pristine=True,
    )
    return packet


def _no_constant(name: str) -> Any:
    # JSON.parse refuses NaN/Infinity; Python's json would accept them.
    raise ValueError(f"{name} is not JSON")


_json_decoder = json.JSONDecoder(parse_constant=_no_constant)
_json_decode = _json_decoder.decode
# The C scanner alone skips decode()'s two whitespace regex matches; it is
# used first, and decode() only explains a failure or handles leading blanks.
_scan_once: Callable[[str, int], tuple[Any, int]] = _json_decoder.scan_once  # type: ignore[attr-defined]
_JSON_BLANKS = " \t\n\r"
_DIGITS: Final = "0123456789"
_DIGIT_CHARS: Final = frozenset(_DIGITS)
# Members as module constants: ``SioType.EVENT`` is a lookup through the enum
# metaclass (about 0.1 us), too slow for the per-packet path.
_BINARY_EVENT = SioType.BINARY_EVENT
_EVENT = SioType.EVENT
_ACK = SioType.ACK


def _protocol(revision: int) -> str:
    return f"sio v{revision}"


def decode_sio(text: str, revision: int) -> SioPacket:
    """Decode one Socket.IO packet (the text of an EIO message), C.3.

    ``revision`` is 4 (over EIO3) or 5 (over EIO4). Raises ``DecodeError``
    where socket.io-parser throws (or, in revision 4, returns an error packet).
    """
    # Every relayed packet comes through here: the common steps (ack id, JSON
    # payload, an EVENT/ACK's validation) are inline, the rare ones are calls.
    if not text:
        # Number('') is 0: an empty message is a CONNECT to "/" (C.3 table).
        return _make(SioType.CONNECT, "/", None, None, None, text)
    ptype = _TYPE_BY_CHAR.get(text[0])
    if ptype is None:
        raise DecodeError(_protocol(revision), f"unknown packet type {text[0]!r}", text, 0)
    end = len(text)
    i = 1
    count: int | None = None
    if ptype >= _BINARY_EVENT:
        count, i = _read_attachments(text, revision)
    nsp = "/"
    if text.startswith("/", i):
        # The namespace runs to the first comma, which is consumed; without a
        # comma it runs to the end (C.3 step 3, "0/admin" is accepted).
        comma = text.find(",", i)
        if comma < 0:
            nsp, i = text[i:], end
        else:
            nsp, i = text[i:comma], comma + 1
    pid: int | None = None
    if i < end and text[i] in _DIGIT_CHARS:
        # Decimal, leading zeros allowed (C.3 step 4); one digit more than
        # allowed is enough to refuse it.
        head = text[i : i + _MAX_ID_DIGITS + 1]
        digits = len(head) - len(head.lstrip(_DIGITS))
        if digits > _MAX_ID_DIGITS:
            raise DecodeError(_protocol(revision), "id field is too long", text, i)
        pid = int(head[:digits])
        i += digits
    if i >= end:
        # No payload at all is not validated: node accepts "2", "21", "3" (C.3 table).
        return _make(ptype, nsp, pid, None, count, text)
    if end - i > SHORT_ENOUGH and too_deep(text, i):
        raise DecodeError(_protocol(revision), depth_error(), text, i)
    try:
        data, stop = _scan_once(text, i)
    except (StopIteration, ValueError, RecursionError):
        stop = -1
    if stop != end and (stop < 0 or text[stop:].strip(_JSON_BLANKS)):
        data = _parse_json(text, i, revision)  # explains the error, or leading blanks
    kind = type(data)
    if ptype is _EVENT and kind is list and data and type(data[0]) is str:
        if revision != 4 and data[0] in RESERVED_EVENTS:
            raise DecodeError(_protocol(revision), "invalid payload", text, i)
    elif not (ptype is _ACK and kind is list):
        _validate(ptype, data, text, i, revision)
    if count and data is not None:
        _placeholders.check_placeholders(data, count, _protocol(revision), text, i)
    packet: SioPacket = _build(  # _make inline: one call less per relayed packet
        type=ptype, nsp=nsp, id=pid, data=data, attachment_count=count, raw=text, _pristine=True
    )
    return packet


def _read_attachments(text: str, revision: int) -> tuple[int, int]:
    """The ``<n>-`` of a binary header; returns (n, index after the dash), C.3 step 2."""
    dash = text.find("-", 1)
    if dash < 0:
        raise DecodeError(_protocol(revision), "illegal attachments: no '-'", text, 1)
    digits = text[1:dash]
    if not digits:
        return 0, dash + 1  # "5-..." passes node's check as 0 attachments
    if not (digits.isascii() and digits.isdigit()):
        raise DecodeError(_protocol(revision), "illegal attachments", text, 1)
    if len(digits) > 3 or int(digits) > MAX_ATTACHMENTS:
        raise DecodeError(_protocol(revision), "too many attachments", text, 1)
    return int(digits), dash + 1


def _parse_json(text: str, start: int, revision: int) -> Any:
    """The payload the C scanner alone did not take (``decode`` allows leading blanks)."""
    try:
        return _json_decode(text[start:])
    except (ValueError, RecursionError) as exc:
        # JSONDecodeError (a ValueError), ValueError from _no_constant or from
        # int() beyond 4300 digits, RecursionError on very deep nesting.
        pos = getattr(exc, "pos", 0)
        reason = f"invalid payload: {getattr(exc, 'msg', None) or type(exc).__name__}"
        raise DecodeError(_protocol(revision), reason, text, start + pos) from None


def _validate(ptype: SioType, data: Any, text: str, offset: int, revision: int) -> None:
    """socket.io-parser ``isPayloadValid`` (4.2.6 for v5, 3.4.3 for v4), C.3."""
    kind = type(data)
    if ptype is SioType.EVENT or ptype is SioType.BINARY_EVENT:
        ok = kind is list and len(data) > 0 and _valid_name(data[0], revision)
    elif ptype is SioType.ACK or ptype is SioType.BINARY_ACK:
        ok = kind is list
    elif ptype is SioType.CONNECT:
        # v5: a plain object; 3.4.3: typeof "object" (arrays and null too).
        ok = kind is dict or (revision == 4 and (kind is list or data is None))
    elif ptype is SioType.CONNECT_ERROR:
        ok = kind is str or kind is dict or (revision == 4 and (kind is list or data is None))
    else:  # DISCONNECT carries no payload
        ok = False
    if not ok:
        raise DecodeError(_protocol(revision), "invalid payload", text, offset)


def _valid_name(name: Any, revision: int) -> bool:
    kind = type(name)
    if kind is int or kind is float:
        return True
    return kind is str and (revision == 4 or name not in RESERVED_EVENTS)


# --------------------------------------------------------------------------- encoding


def _dumps(data: Any) -> str:
    try:
        return json.dumps(data, separators=(",", ":"), ensure_ascii=False, allow_nan=False)
    except (TypeError, ValueError, RecursionError) as exc:
        hint = " (use placeholders.deconstruct() for bytes)" if "bytes" in str(exc) else ""
        raise EncodeError(f"sio: payload is not JSON: {exc}{hint}") from None


def encode_header(packet: SioPacket) -> str:
    """The header text of ``packet``, always freshly encoded (C.2)."""
    ptype = packet.type
    parts = [str(int(ptype))]
    if ptype in BINARY_TYPES:
        parts.append(f"{packet.attachment_count or 0}-")
    elif packet.attachments:
        raise EncodeError(f"sio: a {ptype.name} packet cannot carry attachments")
    nsp = packet.nsp
    if nsp != "/":
        if not nsp.startswith("/") or "," in nsp:
            raise EncodeError(f"sio: namespace {nsp!r} must start with '/' and have no ','")
        parts.append(nsp + ",")
    if packet.id is not None:
        if type(packet.id) is not int or packet.id < 0:
            raise EncodeError(f"sio: ack id {packet.id!r} is not a non-negative int")
        parts.append(str(packet.id))
    if packet.data is not None:
        parts.append(_dumps(packet.data))
    return "".join(parts)


def encode_sio(packet: SioPacket) -> list[str | bytes]:
    """The header text followed by the attachment buffers.

    The header is ``packet.raw`` when the packet still equals what ``raw``
    decodes to (checked strictly, so ``1`` changed to ``1.0`` or ``True`` is a
    change); otherwise it is re-encoded compactly with ``ensure_ascii=False``.
    """
    if not isinstance(packet.type, SioType):
        raise EncodeError(f"sio: {packet.type!r} is not a SioType")
    count = packet.attachment_count
    if packet.attachments and count != len(packet.attachments):
        raise EncodeError(
            f"sio: header announces {count} attachments, packet has {len(packet.attachments)}"
        )
    # A decoded packet sends its own text (treat decoded data as immutable);
    # anything else is checked against ``raw`` first.
    reuse = packet.raw is not None and (packet._pristine or _unchanged(packet))
    header = packet.raw if reuse else None
    if header is None:
        header = encode_header(packet)
    out: list[str | bytes] = [header]
    out.extend(packet.attachments)
    return out


def _unchanged(packet: SioPacket) -> bool:
    raw = packet.raw
    assert raw is not None
    for revision in (5, 4):
        try:
            orig = decode_sio(raw, revision)
        except DecodeError:
            continue
        return (
            orig.type is packet.type
            and orig.nsp == packet.nsp
            and orig.id == packet.id
            and orig.attachment_count == packet.attachment_count
            and same_json(orig.data, packet.data)
        )
    return False
