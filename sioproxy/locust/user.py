"""``RecordingUser``: a Locust user that plays recorded Socket.IO sessions (docs/load.md).

Layer: Locust (imports locust, which monkey-patches the process for gevent;
never twisted, and nothing in sioproxy's Twisted commands or pytest plugin
imports this package). Each task run plays one recorded session, all of its
chosen connections at once (``sioproxy.locust.session``), and reports through
Locust's request events (``sioproxy.locust.reporting``).
"""

from __future__ import annotations

import itertools
import logging
import sys
import time
from collections.abc import Mapping
from typing import Any, ClassVar

from locust import User, constant, task

from sioproxy.errors import ConfigError
from sioproxy.locust.reporting import ConnectionReport, release_event, session_event
from sioproxy.locust.session import PreparedRecording, expand, play_session, prepare
from sioproxy.net.upstream import parse_upstream
from sioproxy.recording.causes import DEFAULT_MAX_WAIT
from sioproxy.recording.matching import parse_ignore
from sioproxy.recording.secrets import unfilled_line
from sioproxy.replay_client import ReplayClientOptions, parse_capture
from sioproxy.replay_client.plan import ConnectionPlan

__all__ = ["RecordingUser", "assert_no_twisted"]

_prepared: dict[tuple[Any, ...], list[PreparedRecording]] = {}  # per process, per settings
_users = itertools.count(1)
_log = logging.getLogger("sioproxy.locust")


def assert_no_twisted() -> None:
    """A Locust process runs gevent only: Twisted's reactor must not be in it."""
    if "twisted" in sys.modules:
        raise RuntimeError("twisted is imported in a Locust process (sioproxy.locust uses gevent)")


class RecordingUser(User):
    """Plays recorded sessions against Locust's ``--host``; subclass and set ``recording``.

    Class attributes (the replay-client options of the same names,
    docs/replay-client.md): ``recording`` (a path or glob: each session
    plays the next file), ``conns`` (recorded connections to play; default
    all), ``speed`` / ``max_gap`` (timed playback; default reactive),
    ``timeout``, ``order_max_wait`` (``--max-wait``), ``connect_timeout``,
    ``captures`` (``NAME=EVENT:POINTER``),
    ``ignore`` (JSON pointers), ``secrets`` (label -> value, ``env:VAR``
    allowed) and ``secrets_file``, ``transport`` and ``path`` (overrides).
    """

    abstract = True
    wait_time = constant(0)
    recording: ClassVar[str] = ""
    conns: ClassVar[tuple[str, ...]] = ()
    speed: ClassVar[float | None] = None
    max_gap: ClassVar[float | None] = None
    timeout: ClassVar[float] = 5.0
    order_max_wait: ClassVar[float] = DEFAULT_MAX_WAIT  # Locust's User has a max_wait of its own
    connect_timeout: ClassVar[float] = 10.0
    captures: ClassVar[tuple[str, ...]] = ()
    ignore: ClassVar[tuple[str, ...]] = ()
    secrets: ClassVar[Mapping[str, str]] = {}
    secrets_file: ClassVar[str | None] = None
    transport: ClassVar[str | None] = None
    path: ClassVar[str | None] = None

    def __init__(self, environment: Any) -> None:
        super().__init__(environment)
        assert_no_twisted()
        if not self.host:
            raise ConfigError(None, None, "no target: give Locust --host (or sioproxy --target)")
        self.client_number = next(_users)
        self.target = parse_upstream(self.host, "target")
        self.options = ReplayClientOptions(
            timeout=self.timeout,
            max_wait=self.order_max_wait,
            speed=self.speed if self.speed is not None or self.max_gap is None else 1.0,
            max_gap=self.max_gap,
            ignore=tuple(parse_ignore(p) for p in self.ignore),
            captures=tuple(parse_capture(c) for c in self.captures),
        )
        self.sessions = self.prepared()
        self._turn = itertools.count(self.client_number - 1)  # users start on different files

    @classmethod
    def prepared(cls) -> list[PreparedRecording]:
        """The class's recordings, read and planned once per process."""
        secrets = tuple(sorted(cls.secrets.items()))
        key = (cls.recording, cls.conns, cls.transport, cls.path, cls.secrets_file, secrets)
        if key not in _prepared:
            if not cls.recording:
                raise ConfigError(None, None, f"{cls.__name__}.recording is not set")
            _prepared[key] = [
                prepare(
                    path,
                    conns=cls.conns,
                    transport=cls.transport,
                    sio_path=cls.path,
                    secrets=cls.secrets,
                    secrets_file=cls.secrets_file,
                )
                for path in expand(cls.recording)
            ]
            for prepared in _prepared[key]:
                hint = f"fill them with {cls.__name__}.secrets or --secret NAME=VALUE"
                line = unfilled_line(list(prepared.unfilled), hint)
                if line is not None:
                    _log.warning("%s: %s", prepared.path, line)
        return _prepared[key]

    @task
    def play(self) -> None:
        """Play the next recorded session, every chosen connection at once."""
        prepared = self.sessions[next(self._turn) % len(self.sessions)]
        fire = self.environment.events.request.fire
        reports: dict[str, ConnectionReport] = {}

        def observer(plan: ConnectionPlan) -> ConnectionReport:
            reports[plan.conn] = ConnectionReport(fire, plan.mode)
            return reports[plan.conn]

        started = time.monotonic()
        results = play_session(
            prepared,
            self.target,
            self.options,
            observer,
            connect_timeout=self.connect_timeout,
            client=self.client_number,
            released=lambda release: release_event(fire, prepared.name, release),
        )
        not_opened = [f"{r.conn}: {r.end}" for r in results if not reports[r.conn].opened]
        session_event(fire, prepared.name, time.monotonic() - started, not_opened)
