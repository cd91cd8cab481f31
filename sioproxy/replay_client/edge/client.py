"""Run the client replay against a live server: ``sioproxy replay-client`` and ``diff``.

Layer: transport (twisted). ``run_replay`` plans every recorded connection,
runs ``clients`` copies at once, each a ``ConnectionGroup`` (the recorded
connections of one copy at once, in the recorded order between them), over
one persistent ``HTTPConnectionPool``, and gathers the drift report and the
load statistics. ``ClientConnection`` (``connection.py``) runs one connection.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from twisted.internet import defer
from twisted.internet.task import LoopingCall
from twisted.web.client import Agent, HTTPConnectionPool

from sioproxy.codec.parsers import WireParser
from sioproxy.net.upstream import Upstream
from sioproxy.recording.model import Recording
from sioproxy.recording.script import build_script
from sioproxy.replay_client.actions import ReplayClientOptions
from sioproxy.replay_client.drift import ConnectionResult, DriftReport, merge_results
from sioproxy.replay_client.edge.connection import ClientConnection
from sioproxy.replay_client.edge.group import ConnectionGroup
from sioproxy.replay_client.load import LoadStats
from sioproxy.replay_client.plan import plan_connection
from sioproxy.types import Side

__all__ = ["RunOptions", "run_replay"]


@dataclass(frozen=True, slots=True, kw_only=True)
class RunOptions:
    """What to replay and how; ``replay`` holds the pacing and comparison options."""

    replay: ReplayClientOptions
    clients: int = 1
    transport: str | None = None
    path: str | None = None
    conns: tuple[str, ...] = ()
    connect_timeout: float = 10.0
    progress_interval: float = 1.0
    parser: WireParser | None = None  # --parser (docs/protocol.md#c9)


def run_replay(
    reactor: Any,
    recording: Recording,
    target: Upstream,
    options: RunOptions,
    *,
    progress: Callable[[str], None] | None = None,
) -> defer.Deferred[DriftReport]:
    """Replay every (or the chosen) recorded connection with ``options.clients`` clients."""
    conns = list(options.conns) or recording.connections()
    plans = [
        plan_connection(
            recording, c, transport=options.transport, path=options.path, parser=options.parser
        )
        for c in conns
    ]
    # The replay client stands for the client towards the real server: it sends
    # what the server received and expects what the server sent (rules undone).
    scripts = {c: build_script(recording, c, Side.SERVER) for c in conns}
    pool = HTTPConnectionPool(reactor, persistent=True)  # type: ignore[no-untyped-call]
    pool.maxPersistentPerHost = max(4, 2 * options.clients)
    agent = Agent(reactor, connectTimeout=options.connect_timeout, pool=pool)  # type: ignore[no-untyped-call]
    stats = LoadStats(clients=options.clients, started=reactor.seconds())
    running: list[ClientConnection] = []
    results: list[ConnectionResult] = []
    errors: list[str] = []
    unreached: list[str] = []  # why each unreachable connection failed
    releases: list[int] = []  # per client copy, sent after --max-wait

    def ended(conn: ClientConnection, result: ConnectionResult) -> ConnectionResult:
        if conn in running:
            running.remove(conn)
        results.append(result)
        rtts = conn.replayer.rtts
        stats.add_connection(
            sent=result.sent, received=result.received, drift=len(result.drift), rtts=rtts
        )
        if not conn.connected:
            errors.append(f"client {result.client}, {result.conn}: could not connect: {result.end}")
            if conn.unreachable:
                unreached.append(result.end or "connection failed")
        return result

    def started(conn: ClientConnection) -> None:
        running.append(conn)

    async def one_client(client: int) -> None:
        group = ConnectionGroup(
            reactor,
            target,
            agent,
            plans,
            scripts,
            options.replay,
            client=client,
            connect_timeout=options.connect_timeout,
        )
        await group.run(started, ended)
        releases.append(group.releases)
        stats.clients_done += 1

    def show_progress() -> None:
        if progress is not None:
            sent = sum(c.replayer.sent for c in running)
            got = sum(c.replayer.received for c in running)
            now = reactor.seconds()
            progress(stats.progress_line(now, running_sent=sent, running_received=got))

    ticker = LoopingCall(show_progress)
    ticker.clock = reactor
    if progress is not None:
        ticker.start(options.progress_interval, now=False)

    async def main() -> DriftReport:
        try:
            await defer.gatherResults(
                [defer.ensureDeferred(one_client(i + 1)) for i in range(options.clients)],
                consumeErrors=True,
            )
        finally:
            if ticker.running:
                ticker.stop()
                show_progress()  # the final state, however short the run
            await pool.closeCachedConnections()  # type: ignore[no-untyped-call]
        now = reactor.seconds()
        return DriftReport(
            recording=recording.path or "<recording>",
            target=target.http_url("", ""),
            results=merge_results(results),
            errors=tuple(errors),
            unreachable=unreached[0] if len(unreached) == len(results) and results else None,
            max_wait_releases=sum(releases),
            stats=stats.to_json(now) | {"summary": stats.summary_lines(now)},
        )

    return defer.ensureDeferred(main())
