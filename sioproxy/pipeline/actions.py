"""What the pipeline returns, and the rule view: the dict form rules and hooks edit.

Layer: pure pipeline. Imports the codec, ``sioproxy.types`` and ``sioproxy.errors``;
never twisted. The transport glue turns the returned actions into bytes and
timers; the recording stores them (each ``Emit`` says whether its packet is the
original object, a rewrite with the original beside it, or an injection).

The rule view (docs/rules.md "The rule view") is the codec's dict form plus
convenience keys so one rules file works for every generation:

* 0.9: ``packet_to_dict`` (gevent's dict) plus ``namespace`` (the endpoint,
  ``"/"`` for the default ``""`` endpoint, docs/protocol.md#a9).
* EIO3/EIO4: ``sio_to_dict`` plus ``namespace`` (``nsp`` without a v4
  ``?query``, C.4), and for events ``name`` = ``data[0]`` and ``args`` =
  ``data[1:]``, for acks ``args`` = ``data``. Binary packets keep their
  ``{"_placeholder": true, "num": k}`` objects and carry ``attachments``
  (base64) along.

When converting back, a convenience key that changed wins over the native key
it mirrors; an unchanged one is ignored.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal

from sioproxy.codec import binary as _binary
from sioproxy.codec import placeholders as _placeholders
from sioproxy.codec.jsonvalue import same_json
from sioproxy.codec.legacy import LegacyType, with_ack_id
from sioproxy.codec.legacy_dict import packet_from_dict, packet_to_dict
from sioproxy.codec.packets import Packet
from sioproxy.codec.sio_dict import sio_from_dict, sio_to_dict
from sioproxy.codec.socketio import SioPacket, SioType
from sioproxy.errors import DecodeError, EncodeError
from sioproxy.types import Direction, Generation

Origin = Literal["unchanged", "rewritten", "injected"]

__all__ = [
    "Action",
    "CloseConnection",
    "CloseNamespace",
    "ConsumedAck",
    "Dropped",
    "Emit",
    "Note",
    "PacketContext",
    "copy_json",
    "from_view",
    "packet_namespace",
    "request_id",
    "to_view",
    "with_answer_id",
    "with_request_id",
]


@dataclass(frozen=True, slots=True, kw_only=True)
class PacketContext:
    """Where a packet travels. ``seq`` is the recording's sequence number, if known."""

    conn: str
    direction: Direction
    transport: str
    generation: Generation
    namespace: str
    seq: int | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class Emit:
    """Send ``packet`` toward the server (c2s) or the client (s2c) after ``delay`` seconds.

    ``origin`` is ``unchanged`` when ``packet`` is the very object given to
    ``process`` (forward the original bytes), ``rewritten`` when it replaces
    ``original``, ``injected`` when the proxy made it up.
    """

    direction: Direction
    packet: Packet
    delay: float = 0.0
    origin: Origin
    original: Packet | None = None
    rule: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class CloseNamespace:
    """Disconnect ``namespace``: tell the peer(s) in ``direction`` (None: both sides)."""

    namespace: str
    direction: Direction | None = None
    delay: float = 0.0
    rule: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class CloseConnection:
    """Close the whole connection on both sides."""

    delay: float = 0.0
    rule: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class ConsumedAck:
    """An answer to a request the proxy injected; it is not forwarded."""

    direction: Direction
    packet: Packet
    request: Packet
    rule: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class Dropped:
    """``packet`` was received and is deliberately not forwarded."""

    direction: Direction
    packet: Packet
    reason: str
    rule: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class Note:
    """Something worth a log line and a recording note (nothing to send)."""

    conn: str
    text: str


Action = Emit | CloseNamespace | CloseConnection | ConsumedAck | Dropped | Note

# --------------------------------------------------------------------------- packet facts

_LEGACY_REQUESTS = frozenset({LegacyType.MESSAGE, LegacyType.JSON, LegacyType.EVENT})
_SIO_EVENTS = frozenset({SioType.EVENT, SioType.BINARY_EVENT})
_SIO_ACKS = frozenset({SioType.ACK, SioType.BINARY_ACK})


def packet_namespace(packet: Packet) -> str:
    """The namespace rules match on: ``/`` for 0.9's default endpoint ``""`` (A.9)."""
    if type(packet) is SioPacket:
        return packet.nsp if "?" not in packet.nsp else packet.nsp_path
    return packet.endpoint or "/"  # type: ignore[union-attr]


def request_id(packet: Packet) -> int | None:
    """The ack id a request asks to be answered with, or None (D.1)."""
    if type(packet) is SioPacket:
        return packet.id if packet.type in _SIO_EVENTS else None
    return packet.id if packet.type in _LEGACY_REQUESTS else None


def with_request_id(packet: Packet, new_id: int) -> Packet:
    """``packet`` asking for an answer with ``new_id``; attachments stay (C.6)."""
    return dataclasses.replace(packet, id=new_id, raw=None)


def with_answer_id(packet: Packet, new_id: int) -> Packet:
    if type(packet) is SioPacket:
        return dataclasses.replace(packet, id=new_id, raw=None)
    return with_ack_id(packet, new_id)  # type: ignore[arg-type]


def copy_json(value: Any) -> Any:
    """A deep copy of JSON-like data (lists and dicts; other values are immutable)."""
    kind = type(value)
    if kind is list:
        return [copy_json(v) for v in value]
    if kind is dict:
        return {k: copy_json(v) for k, v in value.items()}
    return value


# --------------------------------------------------------------------------- the view


def to_view(packet: Packet, generation: Generation) -> dict[str, Any]:
    """A fresh rule view of ``packet``; editing it never touches the packet."""
    if type(packet) is not SioPacket:
        view = packet_to_dict(packet)  # type: ignore[arg-type]
        view["namespace"] = packet.endpoint or "/"  # type: ignore[union-attr]
        return view
    view = sio_to_dict(packet, _revision(generation))
    data = packet.data
    if data is not None:
        view["data"] = copy_json(data)
    if type(data) is list:
        if packet.type in _SIO_EVENTS and data:
            view["name"] = copy_json(data[0])
            view["args"] = copy_json(data[1:])
        elif packet.type in _SIO_ACKS:
            view["args"] = copy_json(data)
    view["namespace"] = packet_namespace(packet)
    return view


def _revision(generation: Generation) -> int:
    revision = generation.sio_revision
    if revision is None:
        raise EncodeError(f"generation {generation} has no Socket.IO packet layer")
    return revision


def _changed(
    view: Mapping[str, Any], base: Mapping[str, Any] | None, keys: tuple[str, ...]
) -> bool:
    """Whether convenience ``keys`` decide: present (no base) or changed (vs base)."""
    if base is None:
        return any(k in view for k in keys)
    return any(not same_json(view.get(k, _MISSING), base.get(k, _MISSING)) for k in keys)


_MISSING = object()


def from_view(
    view: Mapping[str, Any],
    generation: Generation,
    base: Mapping[str, Any] | None = None,
    default_namespace: str = "/",
) -> Packet:
    """The packet a (possibly edited) view describes. Raises EncodeError.

    ``base`` is the untouched view of the packet being rewritten; without it
    (an injected packet) the convenience keys are used whenever present, and
    missing type/namespace default to ``event`` and ``default_namespace``.
    """
    if not isinstance(view, Mapping):
        raise EncodeError(f"a packet must be a dict, got {type(view).__name__}")
    d = dict(view)
    d.setdefault("type", "event")
    namespace = d.pop("namespace", None)
    use_ns = _changed(view, base, ("namespace",))
    if generation is Generation.LEGACY:
        if use_ns or (base is None and "endpoint" not in d):
            ns = namespace if use_ns else default_namespace
            d["endpoint"] = "" if ns in ("/", "", None) else ns
        return packet_from_dict(d)
    if use_ns or (base is None and "nsp" not in d):
        ns = namespace if use_ns else default_namespace
        old = str(d.get("nsp", "/"))
        query = old.partition("?")[2] if base is not None else ""
        d["nsp"] = (ns or "/") + (f"?{query}" if query else "")
    _modern_data(d, view, base)
    for key in ("name", "args"):
        d.pop(key, None)
    return _binary_fixup(sio_from_dict(d, _revision(generation)))


def _modern_data(
    d: dict[str, Any], view: Mapping[str, Any], base: Mapping[str, Any] | None
) -> None:
    kind = d["type"]
    if kind in ("event", "binary_event") and _changed(view, base, ("name", "args")):
        args = view.get("args", [])
        if not isinstance(args, list):
            raise EncodeError(f"event 'args' must be a list, got {args!r}")
        d["data"] = ([view["name"]] if "name" in view else []) + list(args)
    elif kind in ("ack", "binary_ack") and _changed(view, base, ("args",)):
        d["data"] = view.get("args", [])
    elif base is None and kind in ("ack", "binary_ack") and "data" not in d:
        d["data"] = []


def _binary_fixup(packet: SioPacket) -> SioPacket:
    """Bytes a hook put into the data become placeholders plus attachments (C.6)."""
    if not _placeholders.has_binary(packet.data):
        if packet.is_binary:
            try:
                _placeholders.check_placeholders(
                    packet.data, packet.attachment_count or 0, "sio", repr(packet.data)[:200], 0
                )
            except DecodeError as exc:
                raise EncodeError(f"sio: rewritten binary packet: {exc.reason}") from None
        return packet
    if packet.type not in _SIO_EVENTS and packet.type not in _SIO_ACKS:
        raise EncodeError(f"sio: a {packet.type.name} packet cannot carry binary data")
    whole = packet.data
    if packet.attachments:
        whole = _placeholders.reassemble(packet.data, packet.attachments)
    plain = dataclasses.replace(
        packet,
        type=SioType.EVENT if packet.type in _SIO_EVENTS else SioType.ACK,
        data=whole,
        attachments=(),
        attachment_count=None,
    )
    return _binary.to_binary_packet(plain)
