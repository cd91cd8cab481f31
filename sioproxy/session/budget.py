"""The bytes half-received binary packets may hold, over all connections.

Layer: pure (session). Split out of ``connection`` (docs/reliability.md, "Limits").
"""

from __future__ import annotations

from sioproxy.errors import DecodeError

# Half-received binary packets of all connections together may hold this many
# times the per-packet cap (the proxy's max_body) before new ones are dropped.
PENDING_TOTAL_FACTOR = 64


class PendingBudget:
    """Bytes held by half-received binary packets, over all connections, and their caps.

    ``packet`` caps one packet (its header text and attachments together; the
    proxy passes its ``max_body``); ``total`` caps the sum. None: no cap.
    """

    __slots__ = ("packet", "total", "used")

    def __init__(self, packet: int | None = None, total: int | None = None) -> None:
        self.packet = packet
        self.total = total if total is not None or packet is None else packet * PENDING_TOTAL_FACTOR
        self.used = 0

    def allows(self, more: int) -> bool:
        return self.total is None or self.used + more <= self.total

    def over(self, data: str | bytes) -> DecodeError:
        """The error for the message that took the total past its cap."""
        reason = f"binary packets of all connections over {self.total} bytes: dropped"
        return DecodeError("sio", reason, data[:200])
