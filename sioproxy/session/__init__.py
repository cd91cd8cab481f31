"""The sans-IO session layer: relayed traffic in, connection and packet events out.

Layer: pure; imports the codec, never twisted. ``SessionTracker`` is the entry
point the transport calls.
"""

from sioproxy.session.events import (
    ConnectionClosed,
    ConnectionOpened,
    ConnectionUpgraded,
    PacketSeen,
    RequestSummary,
    SessionEvent,
)
from sioproxy.session.tracker import SessionTracker

__all__ = [
    "ConnectionClosed",
    "ConnectionOpened",
    "ConnectionUpgraded",
    "PacketSeen",
    "RequestSummary",
    "SessionEvent",
    "SessionTracker",
]
