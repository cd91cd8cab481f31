"""Plugs the replay engine into the stand-in server as its per-connection app.

Layer: pure (replay). Timers are injected (``schedule``), so the Twisted side
passes ``reactor.callLater`` and tests pass a fake clock. Outgoing packets keep
the order the engine gave them, even when several share a due time: one
queue per connection, one timer for its head.
"""

from __future__ import annotations

import dataclasses
import heapq
import itertools
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Protocol

from sioproxy.codec.engineio import EioPacket
from sioproxy.codec.legacy import LegacyPacket
from sioproxy.codec.socketio import SioPacket
from sioproxy.ops.logfmt import PacketLog
from sioproxy.recording import Recording, Redactor
from sioproxy.recording.script import wire_text
from sioproxy.session.events import PacketSeen
from sioproxy.standin.replay.actions import Action, Done, Mismatch, ReplayOptions, Send
from sioproxy.standin.replay.engine import ReplayEngine
from sioproxy.standin.replay.report import ReplaySummary
from sioproxy.standin.replay.scheduler import ConnectionScheduler
from sioproxy.standin.sessions.app import ConnectionApp, ServerConnection
from sioproxy.types import Direction

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
    wrong_protocol: int = 0  # requests of another protocol generation, refused
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
        packet_log: PacketLog | None = None,
        assign: str = "auto",
    ) -> None:
        self.scheduler = ConnectionScheduler(recording, options, loop=loop, assign=assign)
        self._app_of: dict[ReplayEngine, ReplayApp] = {}
        self.stats = ReplayStats()
        self._clock = clock
        self._schedule = schedule
        # ``verbose=False`` (``-q``): per-packet lines are never built, as encoding
        # a packet just to drop its text cost a third of a send. Connection
        # lifecycle lines and mismatch reports still go to ``log``. Lines are
        # formatted by the proxy's ``PacketLog`` (``packet_log``, or a text
        # one around ``log``), so both logs read the same.
        # Every line (packets both ways, mismatch reports) goes through the
        # recording's redaction: the live client sends the real secrets.
        self.redact = Redactor.from_summary(recording.header.redactions).redact_output
        if packet_log is None and log is not None:
            packet_log = PacketLog(_redacted(log, self.redact))
        self.log: PacketLog | None = packet_log
        self.verbose = verbose and packet_log is not None
        self._on_all_done = on_all_done
        self._keep_journal = keep_journal
        self._wrong_seen: list[str] = []

    def app_factory(self, conn: ServerConnection) -> ConnectionApp:
        return ReplayApp(self)

    def summary(self) -> ReplaySummary:
        return dataclasses.replace(
            self.scheduler.summary(),
            wrong_protocol=self.stats.wrong_protocol,
            wrong_protocol_seen=tuple(self._wrong_seen),
        )

    def wrong_protocol(self, text: str) -> None:
        """A client of another protocol generation was refused: count it, say it once."""
        self.stats.wrong_protocol += 1
        if text not in self._wrong_seen:  # a client retrying must not flood the log
            self._wrong_seen.append(text)
            self.note(text, level="warning")

    # -- called by the apps -------------------------------------------------

    def assign(
        self, conn: ServerConnection, app: ReplayApp, first: Packet | None = None
    ) -> ReplayEngine | None:
        engine = self.scheduler.assign(label=conn.label, first=first, query=conn.query)
        for text in self.scheduler.notes:
            self.note(text, conn=conn.label, level="warning")
        self.scheduler.notes.clear()
        if engine is not None:
            self._app_of[engine] = app
        if engine is None:
            self.stats.refused += 1
            self.note(
                "refused: every recorded connection was already played",
                conn=conn.label,
                level="warning",
            )
        else:
            self.stats.connections += 1
            if self.log is not None:
                self.log.opened(
                    conn.label,
                    generation=conn.generation.value,
                    transport=conn.transport,
                    sid=conn.sid,
                    replaying=engine.script.conn,
                )
        return engine

    def wake_waiters(self) -> None:
        """Let connections whose server packets waited for another connection's look again."""
        for engine in self.scheduler.board.take_woken():
            app = self._app_of.get(engine)
            if app is not None:
                app.wake()

    def note(self, text: str, *, conn: str | None = None, level: str = "info") -> None:
        if self.log is not None:
            self.log.note(text, conn=conn, level=level)

    def packet_line(self, conn: ServerConnection, direction: Direction, packet: Packet) -> None:
        """The log line of a packet, built only when per-packet lines are on."""
        if self.log is not None:
            self.log.packet_line(seen(conn, direction, packet, self._clock()), replayed=True)

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
        return bool(self.scheduler.script(conn).steps)


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
        if self._service.scheduler.wants_first_packet:
            return  # --assign auto/auth: chosen by the client's first packet (its CONNECT)
        self._start(conn, None)

    def _start(self, conn: ServerConnection, first: Packet | None) -> None:
        self._engine = self._service.assign(conn, self, first)
        if self._engine is None:
            conn.close()
            return
        self._apply(self._engine.start(self._now()))

    def wake(self) -> None:
        """Another connection played a packet this one's server packets wait for."""
        if self._engine is not None and not self._closed:
            self._apply(self._engine.poll(self._now()))

    def on_packet(self, conn: ServerConnection, packet: Packet) -> None:
        if self._engine is None and not self._closed:
            self._start(conn, packet)
        if self._engine is None:
            return
        stats = self._service.stats
        stats.received += 1
        service = self._service
        service.journal(conn.label, "c2s", packet)  # subclasses (the pytest plugin) keep more
        if service.verbose:
            service.packet_line(conn, Direction.C2S, packet)
        retries = len(self._engine.retried)
        self._apply(self._engine.on_client_packet(packet, self._now()))
        if len(self._engine.retried) != retries:  # a retry the recording lacks (retries.py)
            service.note(self._engine.notes[-1], conn=conn.label)
        service.wake_waiters()

    def on_heartbeat(
        self, conn: ServerConnection, direction: Direction, packet: EioPacket | LegacyPacket
    ) -> None:
        """A ping, pong or noop the stand-in handled itself: logged with ``--verbose``."""
        log = self._service.log
        if log is not None and log.verbose and self._service.verbose:
            log.packet_line(seen(conn, direction, packet, self._now()), replayed=True)

    def on_close(self, conn: ServerConnection, reason: str) -> None:
        self._closed = True
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        log = self._service.log
        if log is not None:
            log.closed(conn.label, reason=reason, by=_CLOSED_BY.get(reason))
        if self._engine is not None:
            # What other connections wait for from this one will not come now.
            self._service.scheduler.board.closed(self._engine.script.conn)
            self._service.wake_waiters()

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
                log = self._service.log
                if log is not None:
                    report = action.report
                    log.block("miss", report.lines(), {"report": report.to_json()})
            elif isinstance(action, Done) and not self._reported_done:
                self._reported_done = True
                label = self._conn.label if self._conn else "?"
                self._service.note("every recorded packet played", conn=label)
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
            service.packet_line(self._conn, Direction.S2C, packet)
        self._conn.send(packet, text)


# Who ended a connection, from the stand-in session's reason (the rest: unknown).
_CLOSED_BY = {"client close": "c2s", "client disconnect": "c2s", "server close": "s2c"}


def seen(
    conn: ServerConnection, direction: Direction, packet: Packet | EioPacket, t: float
) -> PacketSeen:
    """A replayed packet in the shape the proxy's log formats (no raw text, no seq)."""
    legacy = packet if isinstance(packet, LegacyPacket) else None
    sio = packet if isinstance(packet, SioPacket) else None
    eio = packet if isinstance(packet, EioPacket) else None
    return PacketSeen(
        seq=0,
        conn=conn.label,
        t=t,
        direction=direction,
        transport=conn.transport,
        generation=conn.generation,
        raw="",
        attachments=sio.attachments if sio is not None else (),
        legacy=legacy,
        sio=sio,
        eio=eio,
    )
