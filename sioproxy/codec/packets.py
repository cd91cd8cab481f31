"""Facts about one decoded application packet, of either generation.

Layer: pure codec. The one home of the packet union type and of the facts
every layer above asks about a packet (is it an ack, which request does it
answer, its type name). The rules pipeline, the replay script, the stand-in
and the replay client all read these.
"""

from __future__ import annotations

from sioproxy.codec.legacy import LegacyPacket, LegacyType
from sioproxy.codec.socketio import SioPacket, SioType

#: An application packet: a Socket.IO 0.9 packet or a v4/v5 packet.
Packet = LegacyPacket | SioPacket

_SIO_ACKS = frozenset({SioType.ACK, SioType.BINARY_ACK})
# Looked up, not computed: an enum's ``name`` is a slow descriptor on the hot path.
_SIO_LABELS = {t: t.name.lower() for t in SioType}
_LEGACY_LABELS = {t: t.name.lower() for t in LegacyType}

__all__ = ["Packet", "answer_id", "is_ack", "type_label"]


def is_ack(packet: Packet) -> bool:
    """An acknowledgement (0.9 type 6; modern ACK or BINARY_ACK)."""
    if type(packet) is SioPacket:
        return packet.type in _SIO_ACKS
    return packet.type is LegacyType.ACK


def answer_id(packet: Packet) -> int | None:
    """The request id an ack answers, None for any other packet.

    0.9 keeps it in the data field (``6:::<id>+[args]``,
    docs/protocol.md#a10); modern acks carry it as the packet id
    (docs/protocol.md#c5).
    """
    if type(packet) is SioPacket:
        return packet.id if packet.type in _SIO_ACKS else None
    return packet.ack_id  # type: ignore[union-attr]


def type_label(packet: Packet) -> str:
    """The lower-case type name of the dict forms and rules (``event``, ``binary_ack``...)."""
    if type(packet) is SioPacket:
        return _SIO_LABELS[packet.type]
    return _LEGACY_LABELS[packet.type]  # type: ignore[index]
