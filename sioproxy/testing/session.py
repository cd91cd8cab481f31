"""One test's replay or recording proxy: the object the ``sioproxy`` fixture yields.

Layer: transport-side test helper (drives the programs' Twisted edges). It knows
nothing about pytest: the plugin decides which reactor runs it and passes a
``call`` function that runs a coroutine there (pytest-twisted's ``blockon``
or a background reactor), so this module works the same for both.

Records go to a temporary file next to the target and are moved into place
by ``finish(passed=True)`` only: a failing test never replaces a recording.
"""

from __future__ import annotations

import contextlib
import os
import secrets
import warnings
from collections.abc import Callable, Coroutine, Mapping
from pathlib import Path
from typing import Any, Protocol, TypeVar

from sioproxy.codec.legacy_dict import packet_to_dict
from sioproxy.codec.packets import Packet
from sioproxy.codec.sio_dict import sio_to_dict
from sioproxy.recording import PacketEntry, Recording, read_recording
from sioproxy.recording.script import is_transport_level, to_dict, wire_text
from sioproxy.session.events import PacketSeen, SessionEvent
from sioproxy.standin.replay.engine import ReplayEngine
from sioproxy.standin.replay.report import MismatchReport, ReplaySummary
from sioproxy.standin.replay.serve import ReplayService
from sioproxy.testing.contract import spec_findings
from sioproxy.testing.episodes import EpisodeRouter, merge_recordings, write_recording
from sioproxy.testing.settings import APPEND, EPISODES, RECORD, REPLAY, Settings
from sioproxy.textsafe import escape_controls
from sioproxy.types import Direction, Generation

T = TypeVar("T")

POLL = 0.02  # seconds between checks while settling
QUIET = 0.25  # seconds without traffic after which a still-open connection is left alone


class Runner(Protocol):
    """Where the servers run: ``run`` awaits a coroutine there, ``read`` calls a function there."""

    def run(self, make: Callable[[], Coroutine[Any, Any, T]]) -> T: ...

    def read(self, fn: Callable[[], T]) -> T: ...


class _JournalingService(ReplayService):
    """A replay service whose journal keeps the decoded packet, like record mode does."""

    packets: list[dict[str, Any]]

    def journal(self, conn: str, direction: str, packet: Packet) -> None:
        engine = next((e for e in self.scheduler.engines if e.label == conn), None)
        revision = engine.script.revision if engine is not None else None
        self.packets.append(
            {"conn": conn, "dir": direction, "packet": to_dict(packet, revision),
             "wire": wire_text(packet)}
        )  # fmt: skip


def _seen_to_journal(event: PacketSeen, prefix: str) -> dict[str, Any] | None:
    """An application packet as a journal entry; transport-level packets are left out."""
    if event.legacy is not None:
        if is_transport_level(event.legacy) or event.is_heartbeat:
            return None
        packet = packet_to_dict(event.legacy)
    elif event.sio is not None:
        revision = 4 if event.generation is Generation.EIO3 else 5
        packet = sio_to_dict(event.sio, revision)
    else:
        return None
    raw = event.raw if isinstance(event.raw, str) else "<binary>"
    return {"conn": prefix + event.conn, "dir": event.direction.value, "packet": packet,
            "wire": raw}  # fmt: skip


class SioProxySession:
    """A replay server or recording proxy for one test (see docs/pytest.md)."""

    def __init__(self, settings: Settings, path: Path, action: str, runner: Runner) -> None:
        self.settings = settings
        self.recording_path = path
        self.action = action
        self.url = ""
        self._runner = runner
        self._packets: list[dict[str, Any]] = []
        self._replay: Any = None  # RunningReplay
        self._proxy: Any = None  # RunningProxy
        self._front: Any = None  # the episodes router's listening port
        self._temp: Path | None = None
        self._replay_stopped = False
        self._reactor: Any = None
        self.finished = False
        self.spec_base: Path | None = None  # a relative ``spec`` is relative to this

    @property
    def violations(self) -> list[Any]:
        """Packets seen so far that break the ``spec`` document (``Finding`` objects)."""
        return spec_findings(self.settings.spec, self.spec_base, self.packets)

    # -- what tests read ------------------------------------------------------

    @property
    def mode(self) -> str:
        return self.settings.mode

    @property
    def recording(self) -> str:
        return str(self.recording_path)

    @property
    def packets(self) -> list[dict[str, Any]]:
        """Application packets seen so far: ``{"conn", "dir", "packet", "wire"}`` dicts."""
        return self._runner.read(lambda: list(self._packets))

    def events(self, name: str | None = None, dir: str | None = None) -> list[dict[str, Any]]:
        """The journal's event packets, optionally by event name and direction."""
        return [p for p in self.packets if _is_event(p, name) and dir in (None, p["dir"])]

    @property
    def mismatches(self) -> list[MismatchReport]:
        """Live client packets the recording did not have (disconnects only if judged)."""
        judged = self.settings.judge_disconnects
        reports = self._runner.read(
            lambda: self._engine_read(lambda es: [m for e in es for m in e.mismatches])
        )
        return [r for r in reports if judged or not _closes(r.packet)]

    @property
    def all_played(self) -> bool:
        """Every recorded connection was opened and played to its end (True when recording)."""
        return self._runner.read(lambda: self._all_played())

    def unplayed(self) -> list[PacketEntry]:
        """Recorded packets (both directions) the replay has not played (yet)."""
        return self._runner.read(lambda: self._unplayed())

    def summary(self) -> ReplaySummary | None:
        """The replay summary (None when nothing is replayed)."""
        if self._replay is None:
            return None
        summary: ReplaySummary = self._runner.read(lambda: self._replay.summary())
        return summary

    # -- reactor side ---------------------------------------------------------

    def _engine_read(self, read: Callable[[list[ReplayEngine]], T]) -> T:
        engines = self._replay.service.scheduler.engines if self._replay is not None else []
        return read(list(engines))

    def _all_played(self) -> bool:
        if self._replay is None:
            return True
        scheduler = self._replay.service.scheduler
        return len(scheduler.engines) >= len(scheduler.order) and all(
            e.all_played for e in scheduler.engines
        )

    def _unplayed(self) -> list[PacketEntry]:
        if self._replay is None:
            return []
        scheduler = self._replay.service.scheduler
        out = [entry for e in scheduler.engines for entry in e.unplayed()]
        for conn in scheduler.order[len(scheduler.engines) :]:
            out.extend(scheduler.recording.packets(conn))
        return out

    async def start(self, reactor: Any) -> None:
        self._reactor = reactor
        if self.action in (REPLAY, EPISODES):
            self._replay = await self._start_replay(reactor)
        if self.action in (RECORD, APPEND, EPISODES):
            self._proxy = await self._start_proxy(reactor)
        if self.action == EPISODES:
            self.url = await self._start_front(reactor)
        else:
            self.url = (self._replay or self._proxy).url

    async def _start_replay(self, reactor: Any) -> Any:
        from sioproxy.net.endpoints import describe_listening
        from sioproxy.standin.edge.replay_server import RunningReplay
        from sioproxy.standin.edge.site import listen_standin
        from sioproxy.standin.replay.config import standin_config

        recording = self._with_secrets(read_recording(self.recording_path))
        resource_path = self.settings.resource_path
        service = _JournalingService(
            recording,
            self.settings.replay_options(),
            clock=reactor.seconds,
            schedule=reactor.callLater,
            log=lambda _line: None,
            assign=self.settings.assign,
        )
        service.packets = self._packets
        config = standin_config(recording, resource_path=resource_path)
        port, site = await listen_standin(reactor, "127.0.0.1:0", config, service.app_factory)
        url = describe_listening(port, "127.0.0.1:0")
        return RunningReplay(url=url, port=port, site=site, service=service)

    def _with_secrets(self, recording: Recording) -> Recording:
        """Fill the placeholders the replay sends to the client (docs/pytest.md "Secrets")."""
        from sioproxy.recording.secrets import fill_recording, unfilled, unfilled_line, values_for

        values = values_for(recording, self.settings.secrets, Direction.S2C, os.environ)
        recording = fill_recording(recording, values, Direction.S2C)
        line = unfilled_line(
            unfilled(recording, Direction.S2C),
            "give them with the marker's secrets={...}, sioproxy_secrets or SIOPROXY_SECRET_<NAME>",
        )
        if line is not None:
            warnings.warn(f"sioproxy replay of {self.recording_path}: {line}", stacklevel=1)
        return recording

    async def _start_proxy(self, reactor: Any) -> Any:
        from sioproxy.proxy.edge.proxy_server import start_proxy

        target = self.recording_path
        target.parent.mkdir(parents=True, exist_ok=True)
        self._temp = target.with_name(f".{target.name}.{secrets.token_hex(4)}.tmp")
        prefix = "new-" if self.action == EPISODES else ""

        def sink(event: SessionEvent) -> None:
            if isinstance(event, PacketSeen):
                entry = _seen_to_journal(event, prefix)
                if entry is not None:
                    self._packets.append(entry)

        assert self.settings.upstream is not None  # plan() checked it
        if self.action != EPISODES:  # every connection goes upstream: it must be there
            from sioproxy.net.endpoints import check_reachable
            from sioproxy.net.upstream import parse_upstream

            await check_reachable(reactor, parse_upstream(self.settings.upstream))
        return await start_proxy(
            reactor,
            self.settings.upstream,
            out=str(self._temp),
            resource_path=self.settings.resource_path,
            sinks=[sink],
            redact=self.settings.redact,
        )

    async def _start_front(self, reactor: Any) -> str:
        from twisted.web.server import Site

        from sioproxy.net.endpoints import describe_listening, listen_endpoint

        router = EpisodeRouter(
            self._replay, self._proxy.port.factory.resource, self.settings.resource_path
        )
        site = Site(router, reactor=reactor)  # type: ignore[no-untyped-call]
        site.noisy = False
        endpoint: Any = listen_endpoint(reactor, "127.0.0.1:0")
        self._front = await endpoint.listen(site)
        return describe_listening(self._front, "127.0.0.1:0")

    def _open_connections(self) -> int:
        count = 0
        if self._replay is not None and not self._replay_stopped:
            count += len(self._replay.site.server.sessions)
        if self._proxy is not None and not self._proxy.stopped:
            count += self._proxy.observer.tracker.open_connections()
        return count

    def _activity(self) -> int:
        count = len(self._packets)
        if self._proxy is not None:
            count += sum(self._proxy.observer.counters.values())
        return count

    async def settle(self) -> None:
        """Let in-flight traffic arrive before judging or closing the recording.

        A client that returns right after ``disconnect()`` leaves its last
        packets on the wire (on the background reactor they may not have been
        read yet). Waits until no connection is open, or until nothing moved
        for ``QUIET`` seconds (a client left connected), at most ``settle`` seconds.
        """
        from twisted.internet.task import deferLater

        reactor = self._reactor
        deadline = reactor.seconds() + self.settings.settle
        seen, since = self._activity(), reactor.seconds()
        while self._open_connections() and reactor.seconds() < deadline:
            await deferLater(reactor, POLL)
            now, activity = reactor.seconds(), self._activity()
            if activity != seen:
                seen, since = activity, now
            elif now - since >= QUIET:
                return

    async def stop(self) -> None:
        """Stop listening and close the recording (idempotent)."""
        await self.settle()
        if self._front is not None:
            front, self._front = self._front, None
            await front.stopListening()
        if self._replay is not None and not self._replay_stopped:
            self._replay_stopped = True
            await self._replay.stop()
        if self._proxy is not None and not self._proxy.stopped:
            await self._proxy.stop()
            closing = getattr(self._proxy.port.factory, "close", None)
            if closing is not None:
                await closing()

    # -- after the test -------------------------------------------------------

    def verdict(self) -> str | None:
        """Why the test must fail (unrecorded client packets; unplayed ones if strict), or None."""
        if self._replay is None:
            return None
        if self._reactor is not None:
            self._runner.run(self.settle)
        summary: ReplaySummary = self._runner.read(lambda: self._replay.summary())
        judged = self.settings.judge_disconnects
        problems = [r.text(syntax="marker") for r in self.mismatches]
        if self.settings.strict:
            unplayed = [e for e in self.unplayed() if judged or not _closes(e.packet)]
            if unplayed or len(self._replay.service.scheduler.engines) < len(
                self._replay.service.scheduler.order
            ):
                problems.append("strict=True: recorded packets were not played:")
                problems.extend(f"  {_show(e)}" for e in unplayed)
        if not problems:
            return None
        head = escape_controls(f"sioproxy replay of {self.recording_path} failed")
        head += f"\n{summary.text()}"
        # A failure message shows live client packets: the recording's redaction applies.
        redact: Callable[[str], str] = self._replay.service.redact
        return redact("\n\n".join([head, *problems]))

    def finish(self, passed: bool) -> None:
        """Move a new recording into place when the test passed; otherwise drop it."""
        if self.finished:
            return
        self.finished = True
        temp, self._temp = self._temp, None
        if temp is None:
            return
        try:
            if passed and temp.exists():
                self._commit(temp)
        finally:
            with contextlib.suppress(FileNotFoundError):
                temp.unlink()

    def _commit(self, temp: Path) -> None:
        target = self.recording_path
        if self.action == RECORD or not target.exists():
            os.replace(temp, target)
            return
        new = read_recording(temp)
        if not new.connections():
            return
        old = read_recording(target)
        merged = target.with_name(f".{target.name}.{secrets.token_hex(4)}.merge.tmp")
        try:
            write_recording(merged, old, merge_recordings(old, new))
            os.replace(merged, target)
        finally:
            with contextlib.suppress(FileNotFoundError):
                merged.unlink()


def _is_event(entry: dict[str, Any], name: str | None) -> bool:
    packet = entry["packet"]
    if packet.get("type") not in ("event", "binary_event"):
        return False
    if name is None:
        return True
    if "name" in packet:  # 0.9 dict form
        return bool(packet["name"] == name)
    data = packet.get("data")
    return isinstance(data, list) and bool(data) and data[0] == name


def _closes(packet: Mapping[str, Any] | None) -> bool:
    """A disconnect packet (dict form of the replay report, or of a recording entry).

    Not judged by default: python-socketio's client may close its socket
    before its queued disconnect packets are written, so they come and go
    between runs of the same code.
    """
    if packet is None:
        return False
    inner = packet.get("sio", packet)
    return isinstance(inner, Mapping) and inner.get("type") == "disconnect"


def _show(entry: PacketEntry) -> str:
    wire = entry.raw if isinstance(entry.raw, str) else "<binary>"
    return escape_controls(f"{entry.conn} seq {entry.seq} {entry.dir.value} {wire}")
