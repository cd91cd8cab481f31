"""The recorded connections of one client copy, played at once in their recorded order.

Layer: transport (twisted). The order itself is decided by the pure
``sioproxy.replay_client.order.PlayOrder``: a connection opens once every
other one has played what was recorded before its ``open`` entry (at most
``max_wait`` seconds), and each replayer asks it before sending. This module
only opens the connections when they may open and wakes the ones another
connection's progress lets go (docs/replay-client.md, "Several connections"),
and tells the order when a connection ended (a reconnection that recovers its
session opens the recorded time away after that, "Connection state recovery").
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from typing import Any, TypeVar

from twisted.internet import defer

from sioproxy.net.upstream import Upstream
from sioproxy.recording.script import Script
from sioproxy.replay_client.actions import ReplayClientOptions
from sioproxy.replay_client.drift import ConnectionResult
from sioproxy.replay_client.edge.connection import ClientConnection
from sioproxy.replay_client.order import PlayOrder
from sioproxy.replay_client.plan import ConnectionPlan
from sioproxy.replay_client.recovery import LiveSessions
from sioproxy.replay_client.replayer import ClientReplayer

__all__ = ["ConnectionGroup"]

_R = TypeVar("_R")


class ConnectionGroup:
    """One client copy: a connection per plan, sharing one ``PlayOrder``."""

    def __init__(
        self,
        reactor: Any,
        target: Upstream,
        agent: Any,
        plans: Sequence[ConnectionPlan],
        scripts: dict[str, Script],
        options: ReplayClientOptions,
        *,
        client: int,
        connect_timeout: float,
    ) -> None:
        self.reactor = reactor
        # One connection needs no order: the single-client replay stays as fast as before.
        self.order = PlayOrder(options.max_wait) if len(plans) > 1 else None
        self.connections: dict[str, ClientConnection] = {}
        sessions = LiveSessions()  # recovered pids and offsets, across the connections
        for plan in plans:
            replayer = ClientReplayer(
                scripts[plan.conn], options, client=client, order=self.order, sessions=sessions
            )
            self.connections[plan.conn] = ClientConnection(
                reactor, target, plan, replayer, agent, connect_timeout, self._settle
            )
            if self.order is not None:
                away = options.delay(plan.away)
                self.order.join(plan.conn, plan.opened_seq, after=plan.recovers, away=away)
        self._settling = False
        self._open_timers: dict[str, Any] = {}
        self._on_start: Callable[[ClientConnection], None] = lambda _c: None

    def run(
        self,
        on_start: Callable[[ClientConnection], None],
        on_end: Callable[[ClientConnection, ConnectionResult], ConnectionResult],
    ) -> defer.Deferred[list[ConnectionResult]]:
        """Open what may open now; fires with every connection's result, in plan order.

        ``on_start`` runs as a connection opens, ``on_end`` with its result.
        """
        self._on_start = on_start
        for label, connection in self.connections.items():
            connection.done.addCallback(self._ended, label)
            connection.done.addCallback(_ended, on_end, connection)
        for connection in self.connections.values():
            self._try_open(connection)
        self._settle()
        return defer.gatherResults([c.done for c in self.connections.values()], consumeErrors=True)

    @property
    def releases(self) -> int:
        return len(self.order.releases) if self.order is not None else 0

    def _try_open(self, connection: ClientConnection) -> None:
        label = connection.plan.conn
        self._cancel_open_timer(label)
        order = self.order
        now = self.reactor.seconds()
        due = order.reconnect_at(label) if order is not None else None
        if due is not None and due > now:
            if due != math.inf:  # else the recovered connection's end wakes it
                self._open_timers[label] = self.reactor.callLater(
                    due - now, self._open_timer_fired, label
                )
            return
        if order is not None and not order.may_play(label, connection.plan.opened_seq, now):
            deadline = order.deadline(label)
            if deadline is not None:
                delay = max(0.0, deadline - now)
                self._open_timers[label] = self.reactor.callLater(
                    delay, self._open_timer_fired, label
                )
            return
        self._on_start(connection)
        connection.start()

    def _open_timer_fired(self, label: str) -> None:
        self._open_timers.pop(label, None)
        connection = self.connections[label]
        if not connection.started:
            self._try_open(connection)
            self._settle()

    def _ended(self, result: _R, label: str) -> _R:
        if self.order is not None:
            self.order.ended(label, self.reactor.seconds())
        return result

    def _cancel_open_timer(self, label: str) -> None:
        call = self._open_timers.pop(label, None)
        if call is not None and call.active():
            call.cancel()

    def _settle(self) -> None:
        """Let the connections another one's progress unblocked go on (not re-entered)."""
        if self.order is None or self._settling:
            return
        self._settling = True
        try:
            while woken := self.order.take_woken():
                for label in woken:
                    connection = self.connections[label]
                    if connection.started:
                        connection.poke()
                    else:
                        self._try_open(connection)
        finally:
            self._settling = False


def _ended(
    result: ConnectionResult,
    on_end: Callable[[ClientConnection, ConnectionResult], ConnectionResult],
    connection: ClientConnection,
) -> ConnectionResult:
    return on_end(connection, result)
