"""The ack requests one connection still waits an answer for.

Layer: pure (session); split out of ``connection``. Ids are scoped by
connection, namespace and requester (docs/protocol.md#d1), so a key is
(direction of the request, namespace, id) and the value the request's seq.
"""

from __future__ import annotations

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
