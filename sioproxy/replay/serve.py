"""Plugs the replay engine into the stand-in server as its per-connection app.

Layer: pure (replay). Timers are injected (``schedule``), so the Twisted side
passes ``reactor.callLater`` and tests pass a fake clock. Outgoing packets keep
the order the engine gave them, even when several share a due time: one
queue per connection, one timer for its head.
"""

from __future__ import annotations

import heapq
import itertools
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Protocol

from sioproxy.codec.legacy import LegacyPacket
from sioproxy.codec.socketio import SioPacket
from sioproxy.recording import Recording, Redactor
from sioproxy.replay.actions import Action, Done, Mismatch, ReplayOptions, Send
from sioproxy.replay.engine import ReplayEngine
from sioproxy.replay.report import ReplaySummary
from sioproxy.replay.scheduler import ConnectionScheduler
from sioproxy.replay.script import build_script, wire_text
from sioproxy.serverside.app import ConnectionApp, ServerConnection

Packet = LegacyPacket | SioPacket


class Cancellable(Protocol):
    def cancel(self) -> None: ...


Schedule = Callable[[float, Callable[[], None]], Cancellable]


@dataclass(slots=True)
class ReplayStats:
    """Live counters of one replay server (read by logs, metrics and the plugin)."""

    connections: int = 0
    refused: int = 0
    received: int = 0
    sent: int = 0
    misses: int = 0
    done: int = 0
    journal: list[dict[str, Any]] = field(default_factory=list)


def _redacted(log: Callable[[str], None], redact: Callable[[str], str]) -> Callable[[str], None]:
    return lambda line: log(redact(line))


class ReplayService:
    """Owns the scheduler and hands each live connection its ``ReplayApp``."""

    def __init__(
        self,
        recording: Recording,
        options: ReplayOptions,
        *,
        clock: Callable[[], float],
        schedule: Schedule,
        log: Callable[[str], None] | None,
        verbose: bool = True,
        loop: bool = False,
        on_all_done: Callable[[], None] | None = None,
        keep_journal: bool = False,
    ) -> None:
        self.scheduler = ConnectionScheduler(recording, options, loop=loop)
        self.stats = ReplayStats()
        self._clock = clock
        self._schedule = schedule
        # ``verbose=False`` (``-q``): per-packet lines are never built, as encoding
        # a packet just to drop its text cost a third of a send. Connection
        # lifecycle lines and mismatch reports still go to ``log``.
        self.verbose = verbose and log is not None
        # Every line (packets both ways, mismatch reports) goes through the
        # recording's redaction: the live client sends the real secrets.
        self.redact = Redactor.from_summary(recording.header.redactions).redact_output
        self._log: Callable[[str], None] = _drop if log is None else _redacted(log, self.redact)
        self._on_all_done = on_all_done
        self._keep_journal = keep_journal
        self._open_apps: set[ReplayApp] = set()
        self._playable: dict[str, bool] = {}  # recorded connection -> has steps

    def app_factory(self, conn: ServerConnection) -> ConnectionApp:
        return ReplayApp(self)

    def summary(self) -> ReplaySummary:
        return self.scheduler.summary()

    # -- called by the apps -------------------------------------------------

    def assign(self, conn: ServerConnection) -> ReplayEngine | None:
        engine = self.scheduler.assign(label=conn.label)
        if engine is None:
            self.stats.refused += 1
            self._log(f"{conn.label} refused: every recorded connection was already played")
        else:
            self.stats.connections += 1
            self._log(
                f"{conn.label} open ({conn.transport}): replaying recorded {engine.script.conn}"
            )
        return engine

    def journal(self, conn: str, direction: str, packet: Packet) -> None:
        if self._keep_journal:
            self.stats.journal.append({"conn": conn, "dir": direction, "wire": wire_text(packet)})

    def connection_done(self) -> None:
        self.stats.done += 1
        if self._on_all_done is not None and self._nothing_left() and self._all_finished():
            self._on_all_done()

    def _all_finished(self) -> bool:
        return all(engine.all_played for engine in self.scheduler.engines)

    def _nothing_left(self) -> bool:
        """Every recorded connection was handed out, or the rest have nothing to play
        (a recorder may see a connection with no packets: a late poll, a failed handshake)."""
        scheduler = self.scheduler
        if scheduler.exhausted:
            return True
        if scheduler.loop:
            return False
        remaining = scheduler.order[len(scheduler.engines) :]
        return not any(self._has_steps(conn) for conn in remaining)

    def _has_steps(self, conn: str) -> bool:
        # Asked after every finished connection: build each script once, not each time.
        found = self._playable.get(conn)
        if found is None:
            found = self._playable[conn] = bool(build_script(self.scheduler.recording, conn).steps)
        return found


class ReplayApp:
    """One live client connection replaying one recorded connection."""

    def __init__(self, service: ReplayService) -> None:
        self._service = service
        self._engine: ReplayEngine | None = None
        self._conn: ServerConnection | None = None
        self._queue: list[tuple[float, int, Send]] = []
        self._order = itertools.count()
        self._timer: Cancellable | None = None
        self._closed = False
        self._reported_done = False

    def on_open(self, conn: ServerConnection) -> None:
        self._conn = conn
        self._engine = self._service.assign(conn)
        if self._engine is None:
            conn.close()
            return
        self._apply(self._engine.start(self._now()))

    def on_packet(self, conn: ServerConnection, packet: Packet) -> None:
        if self._engine is None:
            return
        stats = self._service.stats
        stats.received += 1
        service = self._service
        service.journal(conn.label, "c2s", packet)  # subclasses (the pytest plugin) keep more
        if service.verbose:
            service._log(f"{conn.label} -> {_short(wire_text(packet))}")
        self._apply(self._engine.on_client_packet(packet, self._now()))

    def on_close(self, conn: ServerConnection, reason: str) -> None:
        self._closed = True
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        self._service._log(f"{conn.label} closed: {reason}")

    # -- actions --------------------------------------------------------------

    def _now(self) -> float:
        return self._service._clock()

    def _apply(self, actions: list[Action]) -> None:
        now = self._now()
        for action in actions:
            if isinstance(action, Send):
                heapq.heappush(
                    self._queue, (now + max(action.delay, 0.0), next(self._order), action)
                )
            elif isinstance(action, Mismatch):
                self._service.stats.misses += 1
                self._service._log(action.report.text())
            elif isinstance(action, Done) and not self._reported_done:
                self._reported_done = True
                label = self._conn.label if self._conn else "?"
                self._service._log(f"{label} every recorded packet played")
                self._service.connection_done()
        self._pump()

    def _pump(self) -> None:
        """Send what is due, then arm one timer for the next due packet or engine deadline."""
        if self._closed or self._conn is None or self._engine is None:
            return
        now = self._now()
        while self._queue and self._queue[0][0] <= now:
            _due, _n, send = heapq.heappop(self._queue)
            self._send(send.packet, send.text)
        deadline = self._engine.next_deadline()
        if deadline is not None and deadline <= now:
            self._apply(self._engine.poll(now))
            return
        self._arm(now, deadline)

    def _arm(self, now: float, deadline: float | None) -> None:
        due = [t for t in (self._queue[0][0] if self._queue else None, deadline) if t is not None]
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        if due:
            self._timer = self._service._schedule(max(min(due) - now, 0.0), self._fire)

    def _fire(self) -> None:
        self._timer = None
        if self._engine is not None and not self._closed:
            deadline = self._engine.next_deadline()
            if deadline is not None and deadline <= self._now():
                self._apply(self._engine.poll(self._now()))
                return
        self._pump()

    def _send(self, packet: Packet, text: str | None = None) -> None:
        assert self._conn is not None
        service = self._service
        service.stats.sent += 1
        service.journal(self._conn.label, "s2c", packet)
        if service.verbose:
            service._log(f"{self._conn.label} <- {_short(wire_text(packet))}")
        self._conn.send(packet, text)


def _drop(_line: str) -> None:
    return None


def _short(text: str, limit: int = 160) -> str:
    return text if len(text) <= limit else text[: limit - 3] + "..."
