"""Causal replay: the inferred causes turned into waits, shared between connections.

Layer: pure (replay), sans-IO; never twisted. ``triggers`` gives each server
step of a script the own-connection client step it waits for, from
``sioproxy.recording.causes`` (docs/replay.md, "Causes"); ``CauseBoard`` is
shared by the engines of one replay, so a server packet on one connection can
wait for the live packet another connection matched (a broadcast). The
connection scheduler picks recorded connections for live ones with
``assign_score``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Generic, TypeVar

from sioproxy.errors import ConfigError
from sioproxy.jsonpointer import Pointer, PointerError, get, parse
from sioproxy.recording.causes import Cause, CauseKind, Dependency
from sioproxy.recording.model import Recording
from sioproxy.recording.script import Script
from sioproxy.types import Direction

W = TypeVar("W")

ASSIGN_MODES = ("order", "auto")


def triggers(script: Script, causes: Mapping[int, Cause]) -> list[int | None]:
    """For each step, the index of the own client step it waits for (None: none).

    A push waits for what the server packet before it waited for (it keeps its
    place behind it); a step without an inferred cause keeps the latest client
    step before it, as replays did before causes.
    """
    index_of = {s.seq: s.index for s in script.steps}
    fallback = script.triggers()
    out: list[int | None] = []
    previous: int | None = None  # the trigger of the last server step
    for step in script.steps:
        cause = causes.get(step.seq)
        if step.dir is Direction.C2S or cause is None:
            trigger = fallback[step.index]
        elif cause.kind is CauseKind.PUSH:
            trigger = previous
        else:
            own = [index_of[d.seq] for d in cause.after if d.seq in index_of]
            trigger = max(own) if own else previous
        if step.dir is Direction.S2C:
            previous = trigger
        out.append(trigger)
    return out


def also_waits(script: Script, causes: Mapping[int, Cause]) -> dict[int, tuple[int, int | None]]:
    """Server step index -> (the latest own client step before it, the CONNECT step of its
    namespace or None): the step also waits for the first while the second was played
    (the live client joined that namespace) or when there is none."""
    index_of = {s.seq: s.index for s in script.steps}
    out: dict[int, tuple[int, int | None]] = {}
    for step in script.steps:
        cause = causes.get(step.seq)
        if step.dir is Direction.C2S or cause is None or cause.also not in index_of:
            continue
        gate = index_of.get(cause.gate) if cause.gate is not None else None
        out[step.index] = (index_of[cause.also], gate)
    return out


def cross_deps(script: Script, causes: Mapping[int, Cause]) -> dict[int, tuple[Dependency, ...]]:
    """Server step index -> the other connections' client packets it waits for."""
    out: dict[int, tuple[Dependency, ...]] = {}
    for step in script.steps:
        cause = causes.get(step.seq)
        if step.dir is Direction.S2C and cause is not None and cause.kind is CauseKind.CROSS:
            deps = cause.cross()
            if deps:
                out[step.index] = deps
    return out


def cause_times(recording: Recording, causes: Mapping[int, Cause], conn: str) -> dict[int, float]:
    """When each other-connection packet that a server packet of ``conn`` waits for was recorded."""
    # Causes are keyed by the server packet's seq: only this connection's entries
    # can have one (a scan of every cause per connection was quadratic).
    deps = [
        d
        for entry in recording.entries_for(conn)
        if (cause := causes.get(entry.seq)) is not None
        for d in cause.cross()
    ]
    return {d.seq: e.t for d in deps if (e := recording.find_seq(d.seq)) is not None}


class CauseBoard(Generic[W]):
    """Which recorded client packets were matched live, and which connections closed.

    Engines ask ``satisfied`` for their cross-connection causes and register
    as waiters; ``played`` and ``closed`` note who must look again, and the
    replay server takes them with ``take_woken`` once the current packet has
    been handled (so a connection's own reply goes out before the broadcast).
    """

    def __init__(self) -> None:
        self._played: set[int] = set()
        self._closed: set[str] = set()
        self._waiters: dict[str, list[W]] = {}
        self._woken: list[W] = []

    def satisfied(self, dep: Dependency) -> bool:
        return dep.seq in self._played or dep.conn in self._closed

    def is_closed(self, conn: str) -> bool:
        return conn in self._closed

    def wait(self, dep: Dependency, waiter: W) -> None:
        waiting = self._waiters.setdefault(dep.conn, [])
        if waiter not in waiting:
            waiting.append(waiter)

    def played(self, conn: str, seq: int) -> None:
        self._played.add(seq)
        self._wake(conn)

    def closed(self, conn: str) -> None:
        self._closed.add(conn)
        self._wake(conn)

    def _wake(self, conn: str) -> None:
        waiting = self._waiters.pop(conn, None)
        if waiting:
            self._woken += [w for w in waiting if w not in self._woken]

    def take_woken(self) -> list[W]:
        woken, self._woken = self._woken, []
        return woken


def parse_assign(text: str) -> tuple[str, Pointer | str | None]:
    """``--assign``: ``order``, ``auto``, ``auth:/POINTER`` or ``query:NAME``; ConfigError
    otherwise. Returns the mode and its pointer or query parameter name."""
    if text in ASSIGN_MODES:
        return text, None
    if text.startswith("query:") and len(text) > len("query:"):
        return "query", text[len("query:") :]
    if text.startswith("auth:"):
        try:
            return "auth", parse(text[len("auth:") :])
        except PointerError as exc:
            raise ConfigError(None, None, f"--assign {text}: {exc}") from None
    raise ConfigError(
        None,
        None,
        "--assign must be order, auto, auth:/POINTER (e.g. auth:/user) or query:NAME,"
        f" got {text!r}",
    )


def auth_value(packet: Mapping[str, Any] | None, pointer: Pointer) -> Any:
    """The value at ``pointer`` in a CONNECT packet's auth object (dict form), or None."""
    if packet is None or packet.get("type") != "connect":
        return None
    data = packet.get("data")
    if not isinstance(data, Mapping):
        return None
    return get(dict(data), pointer)


class CrossWaits:
    """One engine's server steps that wait for other connections' live packets.

    A step is ready when every cross-connection cause was matched live or its
    connection closed; otherwise it waits, at most ``max_wait`` seconds from
    when it could first have gone, and is then sent anyway with a note
    (counted in ``max_wait_releases``): never a silent hang.
    """

    def __init__(
        self,
        script: Script,
        causes: Mapping[int, Cause],
        times: Mapping[int, float],
        board: CauseBoard[Any] | None,
        max_wait: float,
        owner: object,
    ) -> None:
        self.deps = cross_deps(script, causes) if board is not None else {}
        self.anchors = {i: max(times.get(d.seq, 0.0) for d in ds) for i, ds in self.deps.items()}
        self._script = script
        self._board = board
        self._max_wait = max_wait
        self._owner = owner
        self.since: dict[int, float] = {}
        self.max_wait_releases = 0
        self.notes: list[str] = []

    def ready(self, index: int, now: float) -> bool:
        deps = self.deps.get(index)
        if not deps or self._board is None:
            return True
        missing = [d for d in deps if not self._board.satisfied(d)]
        if not missing:
            self.since.pop(index, None)
            return True
        since = self.since.setdefault(index, now)
        if now - since >= self._max_wait:
            del self.since[index]
            self.max_wait_releases += 1
            names = ", ".join(f"{d.conn} #{d.seq}" for d in missing)
            self.notes.append(
                f"seq {self._script.steps[index].seq}: sent after --max-wait"
                f" {self._max_wait:g} s without its cause {names} (see show --causes)"
            )
            return True
        for dep in missing:
            self._board.wait(dep, self._owner)
        return False

    def deadline(self) -> float | None:
        return min(self.since.values()) + self._max_wait if self.since else None
