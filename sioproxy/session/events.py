"""What the session reports: connection lifecycle and decoded packets.

Layer: pure (session). Each event maps to one recording entry and at most one
log line. Packets keep their raw wire form next to the decoded one, so an
unchanged packet is never re-encoded.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sioproxy.codec.engineio import EioPacket, EioType, eio_to_dict
from sioproxy.codec.legacy import LegacyPacket, LegacyType
from sioproxy.codec.legacy_dict import packet_to_dict
from sioproxy.codec.sio_dict import sio_to_dict
from sioproxy.codec.socketio import SioPacket, SioType
from sioproxy.fastbuild import draft_builder, slot_init
from sioproxy.types import Direction, Fate, Generation

Headers = tuple[tuple[str, str], ...]


@dataclass(frozen=True, slots=True, kw_only=True)
class RequestSummary:
    method: str
    path: str
    query: str
    headers: Headers


@dataclass(frozen=True, slots=True, kw_only=True)
class ConnectionOpened:
    seq: int
    conn: str
    t: float
    generation: Generation
    transport: str
    sid: str | None
    request: RequestSummary
    handshake: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class ConnectionUpgraded:
    seq: int
    conn: str
    t: float
    transport: str
    request: RequestSummary


@dataclass(frozen=True, slots=True, kw_only=True)
class ConnectionClosed:
    seq: int
    conn: str
    t: float
    reason: str
    by: Direction | None


_HEARTBEAT_EIO = {EioType.PING, EioType.PONG, EioType.NOOP, EioType.UPGRADE}
_LEGACY_REQUESTS = {LegacyType.MESSAGE, LegacyType.JSON, LegacyType.EVENT}
_SIO_ACKS = {SioType.ACK, SioType.BINARY_ACK}
_SIO_REQUESTS = {SioType.EVENT, SioType.BINARY_EVENT}


@dataclass(frozen=True, slots=True, kw_only=True)
class PacketSeen:
    """One packet as it crossed the proxy (a binary SIO packet with its attachments).

    One is built per packet on the live proxy's hot path, so ``__init__`` is
    replaced (below) by one that sets the slots through their descriptors
    instead of ``object.__setattr__`` per field: half the cost, the same
    keyword signature, so ``dataclasses.replace`` works as usual.
    """

    seq: int
    conn: str
    t: float
    direction: Direction
    transport: str
    generation: Generation
    raw: str | bytes
    attachments: tuple[bytes, ...] = ()
    legacy: LegacyPacket | None = None
    eio: EioPacket | None = None
    sio: SioPacket | None = None
    error: str | None = None
    ack_of: int | None = None
    extra: dict[str, Any] = field(default_factory=dict)
    # Set by the rewrite pipeline (sioproxy.proxy.live): what the peer really sent
    # when the proxy forwarded something else, and why (rule, drop, delay).
    original: PacketSeen | None = None
    note: str | None = None
    # What the rewrite stage did with it (docs/recording-format.md "Fate").
    fate: Fate | None = None
    rule: str | None = None
    delay: float | None = None
    # "msgpack" for a socket.io-msgpack-parser packet (docs/protocol.md#c9).
    parser: str | None = None

    @property
    def is_heartbeat(self) -> bool:
        """Transport-level packets (pings, pongs, noops, probes), hidden by default."""
        if self.legacy is not None:
            return self.legacy.type in (LegacyType.HEARTBEAT, LegacyType.NOOP)
        return self.eio is not None and self.eio.type in _HEARTBEAT_EIO

    @property
    def namespace(self) -> str | None:
        if self.legacy is not None:
            return self.legacy.endpoint
        return self.sio.nsp if self.sio is not None else None

    @property
    def type_name(self) -> str:
        if self.error is not None:
            return "undecoded"
        if self.legacy is not None:
            return self.legacy.type.name.lower()
        if self.sio is not None:
            return self.sio.type.name.lower()
        return self.eio.type.name.lower() if self.eio is not None else "?"

    @property
    def event_name(self) -> str | None:
        if self.legacy is not None and self.legacy.type is LegacyType.EVENT:
            name = self.legacy.name
            return name if isinstance(name, str) else None
        if self.sio is not None and self.sio.type in _SIO_REQUESTS:
            name = self.sio.name
            return name if isinstance(name, str) else None
        return None

    @property
    def ack_id(self) -> int | None:
        """The ack id this packet asks for, or answers."""
        if self.legacy is not None:
            if self.legacy.type is LegacyType.ACK:
                return self.legacy.ack_id
            return self.legacy.id
        return self.sio.id if self.sio is not None else None

    @property
    def is_ack(self) -> bool:
        if self.legacy is not None:
            return self.legacy.type is LegacyType.ACK
        return self.sio is not None and self.sio.type in _SIO_ACKS

    @property
    def asks_ack(self) -> bool:
        if self.legacy is not None:
            return self.legacy.type in _LEGACY_REQUESTS and self.legacy.id is not None
        return self.sio is not None and self.sio.type in _SIO_REQUESTS and self.sio.id is not None

    @property
    def args(self) -> Any:
        if self.legacy is not None:
            return _legacy_args(self.legacy)
        if self.sio is not None:
            if self.sio.attachments:  # show <n bytes> where the placeholders were
                resolved = self.sio.resolved
                if isinstance(resolved, list) and self.sio.type is SioType.BINARY_EVENT:
                    return resolved[1:]
                return resolved
            return self.sio.args if self.sio.args is not None else self.sio.data
        if self.eio is not None and isinstance(self.eio.data, str):
            return self.eio.data
        return None

    def decoded(self) -> dict[str, Any] | None:
        """The packet's stable JSON form, as written to recordings."""
        if self.legacy is not None:
            return packet_to_dict(self.legacy)
        if self.eio is None:
            return None
        if self.sio is not None:
            revision = 4 if self.generation is Generation.EIO3 else 5
            if self.parser is not None:
                return {"eio": "message", "parser": self.parser, "sio": sio_to_dict(self.sio, 5)}
            return {"eio": "message", "sio": sio_to_dict(self.sio, revision)}
        return eio_to_dict(self.eio)


# Built once per packet on the live proxy's hot path: both constructors are
# generated from the fields (sioproxy.fastbuild), so a new field is never left out.
PacketSeen.__init__ = slot_init(PacketSeen)  # type: ignore[method-assign]
#: ``PacketSeen`` without ``__init__``: every field by keyword, about five times cheaper.
build_packet_seen: Any = draft_builder(PacketSeen)


# The hot path (``Connection.ws_text``) does not call ``__init__`` at all: it
# fills this twin of PacketSeen (a plain class with the same slots, so plain
# attribute stores) and then gives the object its real class; ``__class__``
# assignment is allowed between classes of identical layout. Every field
# must be set before that. About five times cheaper than ``__init__``.


def _legacy_args(packet: LegacyPacket) -> Any:
    if packet.type is LegacyType.EVENT:
        return packet.args
    if packet.type is LegacyType.ACK:
        return packet.ack_args
    if packet.type is LegacyType.JSON:
        return packet.json_data
    return packet.data


SessionEvent = ConnectionOpened | ConnectionUpgraded | ConnectionClosed | PacketSeen
