"""The ack requests one connection still waits an answer for.

Layer: pure (session); split out of ``connection``. Ids are scoped by
connection, namespace and requester (docs/protocol.md#d1), so a key is
(direction of the request, namespace, id) and the value the request's seq.
``track_sio`` and ``track_legacy`` say which packets are requests to remember
and which are acks answering one (0.9: A.10; Socket.IO: C.5).
"""

from __future__ import annotations

from sioproxy.codec import legacy
from sioproxy.codec.socketio import SioPacket, SioType
from sioproxy.types import Direction

AckKey = tuple[Direction, str, int]
# Ack requests remembered per connection. A peer may ask for acks that never
# come (a hostile client, a server without the handler): past this many the
# oldest are forgotten, so memory stays bounded (an ack that late is then
# logged without the request it answers).
MAX_OUTSTANDING_ACKS = 10_000
# The same table by size: each entry is counted as _ACK_ENTRY_COST (a dict slot,
# the key tuple, two ints: about 150 bytes measured) plus its namespace, which
# the peer chooses and may make long. The oldest go first past either cap.
MAX_ACK_TABLE_BYTES = 4 * 1024 * 1024
_ACK_ENTRY_COST = 200


class AckTable:
    """Outstanding ack requests, oldest first, bounded by count and size."""

    __slots__ = ("bytes", "outstanding")

    def __init__(self) -> None:
        self.outstanding: dict[AckKey, int] = {}
        self.bytes = 0

    def clear(self) -> None:
        self.outstanding.clear()
        self.bytes = 0

    def remember(self, key: AckKey, seq: int) -> None:
        outstanding = self.outstanding
        if outstanding.pop(key, None) is None:  # a reused id moves to the newest end
            self.bytes += _ACK_ENTRY_COST + len(key[1])
        outstanding[key] = seq
        while len(outstanding) > MAX_OUTSTANDING_ACKS or self.bytes > MAX_ACK_TABLE_BYTES:
            oldest = next(iter(outstanding))  # dicts keep insertion order
            del outstanding[oldest]
            self.bytes -= _ACK_ENTRY_COST + len(oldest[1])

    def answered(self, key: AckKey) -> int | None:
        """The seq of the request an ack answers, forgotten from the table."""
        seq = self.outstanding.pop(key, None)
        if seq is not None:
            self.bytes -= _ACK_ENTRY_COST + len(key[1])
        return seq

    def track_sio(self, direction: Direction, packet: SioPacket, seq: int) -> int | None:
        """The seq of the request ``packet`` answers, if an ack; remembers a request."""
        if packet.id is None:
            return None
        if packet.type in _SIO_ACKS:
            return self.answered((_REVERSE[direction], packet.nsp, packet.id))
        if packet.type in _SIO_REQUESTS:
            self.remember((direction, packet.nsp, packet.id), seq)
        return None

    def track_legacy(
        self, direction: Direction, packet: legacy.LegacyPacket, seq: int
    ) -> int | None:
        """``track_sio`` for a 0.9 packet."""
        ptype = packet.type
        if ptype is _L_ACK:
            ack_id = legacy.ack_head(packet.data)  # ``packet.ack_id`` without its property
            if ack_id is None:
                return None
            return self.answered((_REVERSE[direction], packet.endpoint, ack_id))
        if packet.id is not None and ptype in _LEGACY_REQUEST_TYPES:
            self.remember((direction, packet.endpoint, packet.id), seq)
        return None


_REVERSE = {d: d.reverse() for d in Direction}
_SIO_ACKS = frozenset({SioType.ACK, SioType.BINARY_ACK})
_SIO_REQUESTS = frozenset({SioType.EVENT, SioType.BINARY_EVENT})
_LT = legacy.LegacyType
_L_ACK = _LT.ACK
_LEGACY_REQUEST_TYPES = {_LT.MESSAGE, _LT.JSON, _LT.EVENT}
