"""Bounds on what the session tracker keeps: closed, abandoned and excess connections.

Layer: pure (session). ``Upkeep`` shares the tracker's ``connections`` and
by-sid tables and keeps the bookkeeping that bounds them (docs/reliability.md,
"Limits"): a closed connection's state is freed at once and the connection is
dropped at the next ``forget_closed``; sids of closed sessions are remembered,
boundedly, so late polls open nothing; 0.9 handshakes that never open are
bounded; polling connections whose client went away are found by ``idle``;
at most ``max_connections`` are tracked.
"""

from __future__ import annotations

from sioproxy.session.budget import PendingBudget
from sioproxy.session.connection import Connection

# Sids of closed sessions remembered (late requests for them open nothing).
CLOSED_SIDS_KEPT = 10_000
# Connections tracked at once (open, or handshaken and not yet open); beyond it
# new ones are relayed but neither decoded nor recorded.
MAX_TRACKED_CONNECTIONS = 50_000
# 0.9 handshakes whose session never opened (the client never came back): the
# oldest are forgotten past this many, or after their idle limit.
MAX_UNOPENED = 1_000


class Upkeep:
    """The tracker's memory bounds (see the module docstring)."""

    def __init__(
        self,
        connections: dict[str, Connection],
        by_sid: dict[str, Connection],
        budget: PendingBudget,
        max_connections: int = MAX_TRACKED_CONNECTIONS,
    ) -> None:
        self._connections = connections
        self._by_sid = by_sid
        self.budget = budget
        self.max_connections = max_connections
        self.untracked = 0  # connections not tracked (max_connections reached)
        self._closed_sids: dict[str, None] = {}  # insertion-ordered, bounded
        self._unopened: dict[str, None] = {}  # 0.9 handshakes not opened yet, oldest first
        self._closing: list[str] = []  # closed, still in ``connections`` until forget_closed

    def has_room(self) -> bool:
        """Whether one more connection may be tracked (else it is counted as untracked)."""
        if len(self._connections) - len(self._closing) < self.max_connections:
            return True
        self.untracked += 1
        return False

    def closed(self, conn: Connection) -> None:
        """Free a connection that just closed; it leaves ``connections`` at forget_closed."""
        conn.release()
        self._closing.append(conn.label)
        if conn.sid is not None:
            if self._by_sid.get(conn.sid) is conn:
                del self._by_sid[conn.sid]
            self._remember_closed(conn.sid)

    def forget_closed(self) -> None:
        closing = self._closing
        while closing:
            self._connections.pop(closing.pop(), None)

    def _remember_closed(self, sid: str) -> None:
        """A client may still poll a session it just closed (the 0.9 client does):
        such late requests belong to no connection, and must not open a new one."""
        self._closed_sids[sid] = None
        if len(self._closed_sids) > CLOSED_SIDS_KEPT:
            del self._closed_sids[next(iter(self._closed_sids))]

    def is_closed_sid(self, sid: str | None) -> bool:
        return sid is not None and sid in self._closed_sids

    def unopened(self, conn: Connection) -> None:
        """A 0.9 handshake: the connection opens when its client comes back, if ever."""
        self._unopened[conn.label] = None
        if len(self._unopened) > MAX_UNOPENED:
            self._drop(next(iter(self._unopened)))

    def opened(self, conn: Connection) -> None:
        self._unopened.pop(conn.label, None)

    def _drop(self, label: str) -> None:
        """Forget an unopened connection (nothing of it was published)."""
        self._unopened.pop(label, None)
        conn = self._connections.pop(label, None)
        if conn is not None and conn.sid is not None and self._by_sid.get(conn.sid) is conn:
            del self._by_sid[conn.sid]

    def idle(self, now: float) -> list[Connection]:
        """Open polling connections silent past their idle limit; stale handshakes are dropped."""
        for label in [label for label in self._unopened if self._stale(label, now)]:
            self._drop(label)
        return [
            conn
            for conn in self._connections.values()
            if conn.opened
            and not conn.closed
            and conn.transport != "websocket"
            and conn.inflight <= 0
            and now - conn.last_active > conn.idle_limit
        ]

    def _stale(self, label: str, now: float) -> bool:
        conn = self._connections.get(label)
        return conn is None or now - conn.last_active > conn.idle_limit

    def totals(self) -> dict[str, int]:
        connections = self._connections.values()
        return {
            "tracked_connections": len(self._connections),
            "pending_attachment_bytes": self.budget.used,
            "pending_ack_entries": sum(c.pending_acks for c in connections),
            "closed_sids_remembered": len(self._closed_sids),
        }
