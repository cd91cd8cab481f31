"""One recorded session per Locust user: load it once, play all its connections at once.

Layer: transport for Locust workers (gevent; never twisted). ``prepare``
reads a recording, fills its secrets and builds each chosen connection's plan
and script (``sioproxy.replay_client``), once per process; ``play_session``
opens every connection in its own greenlet, each at its recorded start
offset (scaled like the client packets' gaps), and waits for all of them.
Several connections share a ``PlayOrder`` (``sioproxy.replay_client.order``),
as replay-client's ``ConnectionGroup`` does (sioproxy/replay_client/edge/group.py):
a connection opens, and sends, only once the others have played what was
recorded before it (docs/load.md "What a user does").
"""

from __future__ import annotations

import glob
import math
import os
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

import gevent
import urllib3
from gevent.event import Event

from sioproxy.errors import ConfigError
from sioproxy.locust.transport import ConnectionObserver, GeventConnection
from sioproxy.net.upstream import Upstream
from sioproxy.recording import read_recording
from sioproxy.recording.model import OpenEvent
from sioproxy.recording.script import Script, asks_ack, build_script
from sioproxy.recording.secrets import fill_recording, secrets_from, unfilled
from sioproxy.replay_client import ClientReplayer, ConnectionResult, ReplayClientOptions
from sioproxy.replay_client.order import PlayOrder, Release
from sioproxy.replay_client.plan import ConnectionPlan, plan_connection
from sioproxy.replay_client.recovery import LiveSessions
from sioproxy.types import Direction, Side

__all__ = ["PreparedRecording", "expand", "play_session", "prepare"]


@dataclass(frozen=True, slots=True)
class PreparedRecording:
    """A recording ready to play: what each chosen connection sends, when it opens."""

    path: str
    plans: tuple[ConnectionPlan, ...]
    scripts: Mapping[str, Script]
    offsets: Mapping[str, float]  # seconds after the session's first open
    unfilled: tuple[str, ...]  # labels of placeholders left in what the client sends

    @property
    def name(self) -> str:
        return os.path.basename(self.path)

    def emits_with_ack(self) -> int:
        """Client packets that ask for an ack, over every chosen connection."""
        return sum(
            1
            for script in self.scripts.values()
            for step in script.client_steps()
            if asks_ack(step.packet)
        )


def expand(pattern: str) -> list[str]:
    """The recording files a path or glob names, sorted; ConfigError if none."""
    paths = sorted(glob.glob(os.path.expanduser(pattern))) if glob.has_magic(pattern) else []
    if not glob.has_magic(pattern) and os.path.exists(pattern):
        paths = [pattern]
    if not paths:
        raise ConfigError(None, None, f"recording {pattern!r}: no such file")
    return paths


def prepare(
    path: str,
    *,
    conns: Sequence[str] = (),
    transport: str | None = None,
    sio_path: str | None = None,
    secrets: Mapping[str, str] | None = None,
    secrets_file: str | None = None,
) -> PreparedRecording:
    """Read ``path`` and plan its connections; raises the recording's and ConfigErrors.

    ``secrets`` maps a placeholder's label to its value (``env:VAR`` reads the
    environment) and ``secrets_file`` holds ``NAME=VALUE`` lines, as
    ``--secret`` and ``--secrets-file`` do for replay-client.
    """
    recording = read_recording(path)
    specs = [f"{name}={value}" for name, value in (secrets or {}).items()]
    values = secrets_from(specs, secrets_file, os.environ)
    recording = fill_recording(recording, values, Direction.C2S)
    chosen = list(conns) or recording.connections()
    for conn in chosen:
        if conn not in recording.connections():
            known = ", ".join(recording.connections()) or "none"
            raise ConfigError(None, None, f"{path}: no connection {conn} (recorded: {known})")
    plans = tuple(plan_connection(recording, c, transport=transport, path=sio_path) for c in chosen)
    # Played as the server saw it, like replay-client (docs/replay-client.md).
    scripts = {c: build_script(recording, c, Side.SERVER) for c in chosen}
    opened = {
        e.conn: e.t for e in recording.entries if isinstance(e, OpenEvent) and e.conn in scripts
    }
    first = min(opened.values(), default=0.0)
    offsets = {c: opened.get(c, first) - first for c in chosen}
    left = tuple(unfilled(recording, Direction.C2S, chosen))
    return PreparedRecording(path, plans, scripts, offsets, left)


class _SessionOrder:
    """The connections of one session and their shared ``PlayOrder`` (2+ connections)."""

    def __init__(self, plans: Sequence[ConnectionPlan], options: ReplayClientOptions) -> None:
        self.order = PlayOrder(options.max_wait)
        for plan in plans:
            away = options.delay(plan.away)  # a reconnection recovering a session (C.10)
            self.order.join(plan.conn, plan.opened_seq, after=plan.recovers, away=away)
        self._may_open = {plan.conn: Event() for plan in plans}
        self._started: dict[str, GeventConnection] = {}

    def wait_turn(self, plan: ConnectionPlan) -> None:
        """Block this greenlet until ``plan``'s connection may open (at most ``max_wait``)."""
        may_open = self._may_open[plan.conn]
        while True:
            may_open.clear()  # no switch until the wait: a wake-up cannot be lost
            now = time.monotonic()
            due = self.order.reconnect_at(plan.conn)
            if due is not None and due > now:  # its session's connection ends first
                may_open.wait(None if due == math.inf else due - now)
                continue
            if self.order.may_play(plan.conn, plan.opened_seq, now):
                return
            deadline = self.order.deadline(plan.conn)
            may_open.wait(None if deadline is None else max(0.0, deadline - now))

    def started(self, connection: GeventConnection) -> None:
        self._started[connection.plan.conn] = connection

    def ended(self, plan: ConnectionPlan) -> None:
        """``plan``'s connection is over: a reconnection recovering its session may open."""
        self.order.ended(plan.conn, time.monotonic())
        self.progressed()

    def progressed(self) -> None:
        """Let go the connections another one's progress unblocked (their greenlets act)."""
        for label in self.order.take_woken():
            connection = self._started.get(label)
            if connection is None:
                self._may_open[label].set()
            else:
                connection.poke()


def play_session(
    prepared: PreparedRecording,
    target: Upstream,
    options: ReplayClientOptions,
    observer: Callable[[ConnectionPlan], ConnectionObserver],
    *,
    connect_timeout: float = 10.0,
    client: int = 1,
    released: Callable[[Release], None] = lambda _release: None,
) -> list[ConnectionResult]:
    """Play every chosen connection of ``prepared`` concurrently; their results in plan order.

    ``released`` hears of each packet (or open) that went after ``options.max_wait``
    without what was recorded before it on the other connections.
    """
    pool = urllib3.PoolManager(maxsize=2 * len(prepared.plans) + 2, retries=False)
    # One connection needs no order, as in replay-client.
    ordered = _SessionOrder(prepared.plans, options) if len(prepared.plans) > 1 else None
    sessions = LiveSessions()  # recovered pids and offsets, across the connections

    def one(plan: ConnectionPlan) -> ConnectionResult:
        delay = options.delay(prepared.offsets[plan.conn])
        if delay > 0:
            gevent.sleep(delay)
        if ordered is not None:
            ordered.wait_turn(plan)
        replayer = ClientReplayer(
            prepared.scripts[plan.conn],
            options,
            client=client,
            order=None if ordered is None else ordered.order,
            sessions=sessions,
        )
        connection = GeventConnection(
            target,
            plan,
            replayer,
            observer(plan),
            connect_timeout=connect_timeout,
            pool=pool,
            on_progress=None if ordered is None else ordered.progressed,
        )
        if ordered is None:
            return connection.run()
        ordered.started(connection)
        try:
            return connection.run()
        finally:
            ordered.ended(plan)

    greenlets = [gevent.spawn(one, plan) for plan in prepared.plans]
    try:
        gevent.joinall(greenlets, raise_error=True)
    finally:
        gevent.killall([g for g in greenlets if not g.dead])
        pool.clear()
    for release in [] if ordered is None else ordered.order.releases:
        released(release)
    return [g.value for g in greenlets]
