"""What a contract is made of: the messages of a recording, one per packet.

Layer: pure (contracts). Each packet entry becomes an :class:`Observation`:
the namespace (a 0.9 endpoint ``""`` is ``/``; a v4 namespace query is cut
off), the direction, the kind (``event``, ``message`` or ``json`` (0.9),
``connect`` (a CONNECT carrying an auth object), ``ack``) and the payload: an
event's or ack's argument list, a 0.9 message's text or json value, the auth
object. Binary placeholders become :class:`Attachment` values. An ack names
the operation it answers through the request's ``seq`` (``ack_of``).

Packets are taken as their sender sent them (``as_seen_by`` the sending
side): a packet the proxy injected is no peer's behaviour and is skipped, a
rewritten one counts in its original form. Heartbeats, handshakes and other
transport packets are not part of a contract.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from sioproxy.contracts.infer import Attachment
from sioproxy.recording import PacketEntry, as_seen_by
from sioproxy.types import Direction, Side

#: (namespace, direction, kind, name): one operation of the contract.
OpKey = tuple[str, Direction, str, str]


@dataclass(frozen=True, slots=True)
class Observation:
    """One message of the contract seen in a packet."""

    seq: int
    conn: str
    key: OpKey
    payload: Any
    wants_ack: bool = False
    is_ack: bool = False

    @property
    def namespace(self) -> str:
        return self.key[0]

    @property
    def direction(self) -> Direction:
        return self.key[1]

    def describe(self) -> str:
        namespace, direction, kind, name = self.key
        name = name if kind == "event" else kind
        if self.is_ack:  # travels back the other way
            flipped = Direction.S2C if direction is Direction.C2S else Direction.C2S
            return f"{flipped.value} {namespace} ack of {name}"
        return f"{direction.value} {namespace} {name}"


def namespace_of(raw: str) -> str:
    """``/chat?token=1`` -> ``/chat``; the 0.9 default endpoint ``""`` -> ``/``."""
    name = raw.split("?", 1)[0]
    return name if name.startswith("/") else "/" + name


def sender_view(entry: PacketEntry) -> PacketEntry | None:
    """The packet as its sender sent it, None when the proxy made it up."""
    side = Side.CLIENT if entry.dir is Direction.C2S else Side.SERVER
    seen, _why = as_seen_by(entry, side)
    return seen


def _fill(value: Any, attachments: list[bytes]) -> Any:
    if isinstance(value, dict):
        if value.get("_placeholder") is True and isinstance(value.get("num"), int):
            num = value["num"]
            return Attachment(attachments[num] if 0 <= num < len(attachments) else b"")
        return {key: _fill(item, attachments) for key, item in value.items()}
    if isinstance(value, list):
        return [_fill(item, attachments) for item in value]
    return value


def _attachments(attachments: tuple[bytes, ...], sio: Mapping[str, Any]) -> list[bytes]:
    if attachments:
        return list(attachments)
    try:
        return [base64.b64decode(text) for text in sio.get("attachments", ())]
    except (binascii.Error, TypeError, ValueError):
        return []


def _modern(
    sio: Mapping[str, Any], direction: Direction, attachments: tuple[bytes, ...]
) -> tuple[str, str, Any, bool] | None:
    """(kind, name, payload, wants_ack) of a Socket.IO v4/v5 packet, or None."""
    kind, data = sio.get("type"), sio.get("data")
    if kind in ("event", "binary_event"):
        if not isinstance(data, list) or not data or not isinstance(data[0], str):
            return None
        args = _fill(data[1:], _attachments(attachments, sio))
        return "event", data[0], args, sio.get("id") is not None
    if kind in ("ack", "binary_ack") and isinstance(data, list):
        return "ack", "", _fill(data, _attachments(attachments, sio)), False
    if kind == "connect" and direction is Direction.C2S and isinstance(data, dict):
        return "connect", "connect", data, False
    return None


def _legacy(packet: Mapping[str, Any]) -> tuple[str, str, Any, bool] | None:
    """(kind, name, payload, wants_ack) of a 0.9 packet, or None."""
    kind = packet.get("type")
    wants = packet.get("id") is not None or packet.get("ack") is not None
    if kind == "event" and isinstance(packet.get("name"), str):
        args = packet.get("args")
        return "event", packet["name"], list(args) if isinstance(args, list) else [], wants
    if kind in ("message", "json") and "data" in packet:
        return kind, kind, packet["data"], wants
    if kind == "ack" and isinstance(packet.get("args"), list):
        return "ack", "", list(packet["args"]), False
    return None


def classify(
    packet: Mapping[str, Any] | None, direction: Direction, attachments: tuple[bytes, ...] = ()
) -> tuple[str, str, str, Any, bool] | None:
    """(namespace, kind, name, payload, wants_ack) of a decoded packet, or None."""
    if packet is None:
        return None
    if "eio" in packet:
        sio = packet.get("sio")
        if packet.get("eio") != "message" or not isinstance(sio, Mapping):
            return None
        found = _modern(sio, direction, attachments)
        namespace = sio.get("nsp", "/")
    else:
        found = _legacy(packet)
        namespace = packet.get("endpoint", "")
    if found is None or not isinstance(namespace, str):
        return None
    return (namespace_of(namespace), *found)


def observe(entries: Iterable[Any]) -> Iterator[Observation]:
    """The observations of a recording's entries, in order.

    An ack whose request is unknown (not in the file, or itself skipped) is
    left out: it cannot be attached to an operation.
    """
    requests: dict[int, OpKey] = {}
    for entry in entries:
        if not isinstance(entry, PacketEntry):
            continue
        seen = sender_view(entry)
        found = classify(seen.packet, seen.dir, seen.attachments) if seen is not None else None
        if seen is None or found is None:
            continue
        namespace, kind, name, payload, wants = found
        if kind == "ack":
            request = requests.get(entry.ack_of) if entry.ack_of is not None else None
            if request is not None:
                yield Observation(entry.seq, entry.conn, request, payload, is_ack=True)
            continue
        key: OpKey = (namespace, entry.dir, kind, name)
        if wants:
            requests[entry.seq] = key
        yield Observation(entry.seq, entry.conn, key, payload, wants_ack=wants)
