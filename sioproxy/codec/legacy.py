"""Socket.IO 0.9 packets: decode and encode.

Layer: pure codec. Imports only the standard library, ``legacy_json`` and
``sioproxy.errors``; never twisted. Framing of several packets, the handshake
body and the JSONP wrappers live in ``legacy_framing``; the gevent-socketio
dict form in ``legacy_dict``.

A packet keeps its data field as the raw text slice (docs/protocol.md#c8 "keep raw
text"); the typed views (``name``, ``args``, ``ack_id``...) parse it lazily and
tolerantly, the way node 0.9 does (A.4.3): bad JSON never raises. The dict form
is gevent-socketio's (A.6), except where gevent is buggy (A.6, E.2).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from enum import IntEnum
from typing import Any, Final

from sioproxy.codec.legacy_json import parse_json
from sioproxy.codec.limits import depth_error, too_deep
from sioproxy.errors import DecodeError, EncodeError
from sioproxy.fastbuild import draft_builder

PROTOCOL = "0.9"
# Ids are counters; a cap keeps int() away from Python's digit limit (and from
# CVE-2020-36049 style abuse, docs/protocol.md#e2). Longer ids are a DecodeError.
MAX_ID_DIGITS = 100
ID_LIMIT = 10**MAX_ID_DIGITS
REASONS = ("transport not supported", "client not handshaken", "unauthorized")
ADVICES = ("reconnect",)


class LegacyType(IntEnum):
    """0.9 packet types; values are the wire digits (docs/protocol.md#a4-1)."""

    DISCONNECT = 0
    CONNECT = 1
    HEARTBEAT = 2
    MESSAGE = 3
    JSON = 4
    EVENT = 5
    ACK = 6
    ERROR = 7
    NOOP = 8


_TYPE_BY_DIGIT = {str(int(t)): t for t in LegacyType}
_JSON_TYPES = frozenset((LegacyType.JSON, LegacyType.EVENT, LegacyType.ACK))


@dataclass(frozen=True, slots=True, kw_only=True)
class LegacyPacket:
    """One 0.9 packet. ``data`` is the raw text after the third colon.

    An empty ``data`` is stored as ``None``: node treats ``3::`` and ``3:::``
    alike and encodes both as ``3::`` (A.4.4); only ``raw`` keeps the colon.
    ``raw`` is the exact wire text the packet was decoded from; it does not
    take part in equality.
    """

    type: LegacyType
    id: int | None = None
    ack_data: bool = False
    endpoint: str = ""
    data: str | None = None
    raw: str | None = field(default=None, compare=False)

    def __post_init__(self) -> None:
        if self.data == "":
            object.__setattr__(self, "data", None)

    @property
    def name(self) -> Any:
        """Event name (any JSON value, node does not check it); None when absent."""
        return event_view(self)[1] if self.type is LegacyType.EVENT else None

    @property
    def args(self) -> Any:
        """Event arguments: ``obj.args || []`` as node computes it (normally a list)."""
        return event_view(self)[2] if self.type is LegacyType.EVENT else []

    @property
    def ack_id(self) -> int | None:
        """The id an ack packet answers; None when its data has no digit prefix."""
        return ack_head(self.data) if self.type is LegacyType.ACK else None

    @property
    def ack_args(self) -> Any:
        """The JSON arguments of an ack packet (``[]`` when absent or unparseable)."""
        return ack_view(self.data)[1] if self.type is LegacyType.ACK else []

    @property
    def qs(self) -> str:
        """Query string of a connect packet (``''`` when absent)."""
        return (self.data or "") if self.type is LegacyType.CONNECT else ""

    @property
    def json_data(self) -> Any:
        """Parsed data of a json packet; ``False`` on bad JSON, like node."""
        if self.type is not LegacyType.JSON:
            return None
        ok, value = parse_json(self.data or "")
        return value if ok else False

    @property
    def reason_code(self) -> int | None:
        return _error_codes(self.data)[0] if self.type is LegacyType.ERROR else None

    @property
    def advice_code(self) -> int | None:
        return _error_codes(self.data)[1] if self.type is LegacyType.ERROR else None

    @property
    def reason(self) -> str:
        """Error reason name, ``''`` when empty or unknown (node's lookup)."""
        code = self.reason_code
        return "" if code is None else REASONS[code]

    @property
    def advice(self) -> str:
        code = self.advice_code
        return "" if code is None else ADVICES[code]


# -- decoding ---------------------------------------------------------------


def decode_packet(text: str) -> LegacyPacket:
    """Decode one 0.9 packet the way node does (A.4.3), but strictly anchored.

    Raises DecodeError for fewer than two colons, a type that is not one digit
    0..8 (unknown types are forwarded verbatim by the proxy), or an id that is
    not digits with an optional ``+``, or JSON data (json, event, ack) nested
    deeper than ``limits.MAX_JSON_DEPTH``. Bad JSON in the data never raises.
    """
    # One split at the first three colons: the type, the id, the endpoint and the data.
    parts = text.split(":", 3)
    if len(parts) < 3:
        raise DecodeError(PROTOCOL, "packet needs at least two ':' separators", text, len(text))
    type_field, id_field, endpoint = parts[0], parts[1], parts[2]
    ptype = _TYPE_BY_DIGIT.get(type_field)
    if ptype is None:
        reason = "missing packet type" if not type_field else "unknown packet type"
        raise DecodeError(PROTOCOL, f"{reason} {type_field[:10]!r}", text, 0)
    packet_id: int | None = None
    ack_data = False
    if id_field:
        if id_field[-1] == "+":
            ack_data = True
            id_field = id_field[:-1]
        if id_field:
            if id_field.isdigit() and id_field.isascii() and len(id_field) <= MAX_ID_DIGITS:
                packet_id = int(id_field)
            else:
                packet_id = _parse_id(id_field, text, len(type_field) + 1)  # raises
    data = (parts[3] or None) if len(parts) == 4 else None
    if data is not None and len(data) > MAX_ID_DIGITS:  # shorter: neither check can fire
        at = len(text) - len(data)  # just after the third colon
        if ptype is LegacyType.ACK:
            head = data.partition("+")[0]
            if len(head) > MAX_ID_DIGITS and is_digits(head):
                raise DecodeError(PROTOCOL, "ack id too long", text, at)
        if ptype in _JSON_TYPES and too_deep(data):
            raise DecodeError(PROTOCOL, depth_error(), text, at)
    # ``data`` is never "" here, so the normalising __post_init__ has nothing to do:
    # the draft builder skips the frozen __init__ (one packet per relayed 0.9 frame).
    packet: LegacyPacket = _build(
        type=ptype, id=packet_id, ack_data=ack_data, endpoint=endpoint, data=data, raw=text
    )
    return packet


_build: Final = draft_builder(LegacyPacket)


def is_digits(text: str) -> bool:
    # str.isdigit() alone accepts '²' and other non-ASCII digits.
    return text.isascii() and text.isdigit()


def _parse_id(digits: str, text: str, offset: int) -> int:
    if not is_digits(digits):
        raise DecodeError(PROTOCOL, "message id must be digits with an optional '+'", text, offset)
    if len(digits) > MAX_ID_DIGITS:
        raise DecodeError(PROTOCOL, "message id too long", text, offset)
    return int(digits)


def _js_truthy(value: Any) -> bool:
    if value is None or isinstance(value, bool):
        return bool(value)
    if isinstance(value, int | float):
        return value != 0 and not math.isnan(value)
    return not isinstance(value, str) or value != ""


def event_view(packet: LegacyPacket) -> tuple[bool, Any, Any]:
    """(has name, name, args) per node: bad JSON gives no name and args ``[]``."""
    ok, obj = parse_json(packet.data or "")
    if not ok or type(obj) is not dict:  # (json gives plain dicts)
        return False, None, []  # JSON.parse failed, or obj.name/obj.args undefined
    args = obj.get("args")
    if type(args) is not list and not _js_truthy(args):  # a list, even [], is truthy
        args = []
    return "name" in obj, obj.get("name"), args


def ack_head(data: str | None) -> int | None:
    """``ack_view(data)[0]`` without parsing the arguments (ack tracking needs only the id)."""
    if not data:
        return None
    plus = data.find("+")
    head = data if plus < 0 else data[:plus]
    return int(head) if head.isdigit() and head.isascii() and len(head) <= MAX_ID_DIGITS else None


def ack_view(data: str | None) -> tuple[int | None, Any]:
    """(ackId, args): ack data is ``^\\d+(\\+.*)?$``, split at the first ``+`` (C.8)."""
    ack_id = ack_head(data)
    if ack_id is None or data is None:
        return None, []
    rest = data.partition("+")[2]
    if not rest:
        return ack_id, []
    ok, value = parse_json(rest)
    return ack_id, value if ok else []


def _error_codes(data: str | None) -> tuple[int | None, int | None]:
    # node: data.split('+'), then reasons[piece] || '' (A.4.3); '00' and 'undefined' miss.
    pieces = (data or "").split("+")
    reason = pieces[0]
    advice = pieces[1] if len(pieces) > 1 else ""
    return (
        int(reason) if reason in ("0", "1", "2") else None,
        0 if advice == "0" else None,
    )


# -- encoding ---------------------------------------------------------------


def encode_packet(packet: LegacyPacket) -> str:
    """The wire text of ``packet``.

    Returns ``packet.raw`` when it still describes this packet (byte-exact
    forwarding, even for non-canonical input such as ``3:01::x``); a packet
    changed with ``dataclasses.replace`` is re-encoded in node's form.
    """
    text = _encode_fields(packet)
    raw = packet.raw
    if raw is None or raw == text:
        return text
    try:
        same = decode_packet(raw) == packet
    except DecodeError:
        same = False
    return raw if same else text


def _encode_fields(packet: LegacyPacket) -> str:
    ptype, pid, endpoint, data = packet.type, packet.id, packet.endpoint, packet.data
    if not isinstance(ptype, int) or str(int(ptype)) not in _TYPE_BY_DIGIT:
        raise EncodeError(f"0.9 packet type must be a LegacyType, got {ptype!r}")
    if pid is not None and (type(pid) is not int or pid < 0 or pid >= ID_LIMIT):
        raise EncodeError(f"0.9 message id must be a non-negative int, got {pid!r}")
    if not isinstance(endpoint, str) or ":" in endpoint:
        raise EncodeError(f"0.9 endpoint must be a str without ':', got {endpoint!r}")
    if data is not None and not isinstance(data, str):
        raise EncodeError(f"0.9 packet data must be a str, got {type(data).__name__}")
    if ptype == LegacyType.ACK and data:
        head = data.partition("+")[0]
        if len(head) > MAX_ID_DIGITS and is_digits(head):
            raise EncodeError("0.9 ack id too long")
    head = head_text(packet)
    return f"{head}{endpoint}:{data}" if data else head + endpoint


def head_text(packet: LegacyPacket) -> str:
    """``<type>:<id>[+]:``, node's encoding of the fields before the endpoint."""
    pid = packet.id
    return f"{int(packet.type)}:{'' if pid is None else pid}{'+' if packet.ack_data else ''}:"


def with_ack_id(packet: LegacyPacket, ack_id: int) -> LegacyPacket:
    """An ack packet answering ``ack_id`` instead, its args kept byte for byte (D.3)."""
    if packet.type is not LegacyType.ACK or ack_view(packet.data)[0] is None:
        raise EncodeError("with_ack_id needs an ack packet with an ack id")
    if type(ack_id) is not int or not 0 <= ack_id < ID_LIMIT:
        raise EncodeError(f"0.9 ack id must be a non-negative int, got {ack_id!r}")
    _, plus, rest = (packet.data or "").partition("+")
    return LegacyPacket(
        type=packet.type,
        id=packet.id,
        ack_data=packet.ack_data,
        endpoint=packet.endpoint,
        data=f"{ack_id}{plus}{rest}",
    )
