"""Live connections to recorded ones: the connection scheduler and the summary.

Layer: pure (replay), sans-IO; never twisted. ``ConnectionScheduler`` gives
each new live connection a ``ReplayEngine`` for the next recorded
connection; ``summarize`` totals the engines' matches, misses and unplayed
recorded client packets into a ``ReplaySummary``.
"""

from __future__ import annotations

import dataclasses
from typing import Any
from urllib.parse import parse_qsl

from sioproxy.codec.packets import Packet
from sioproxy.jsonpointer import Pointer
from sioproxy.recording.causes import infer_causes
from sioproxy.recording.matching import compare_dicts, match_dict, match_key
from sioproxy.recording.model import OpenEvent, Recording
from sioproxy.recording.script import Script, Step, build_script
from sioproxy.standin.replay.actions import ReplayOptions
from sioproxy.standin.replay.causal import CauseBoard, auth_value, parse_assign
from sioproxy.standin.replay.engine import ReplayEngine
from sioproxy.standin.replay.report import ReplaySummary, UnplayedPacket
from sioproxy.standin.replay.session_ids import SessionIds
from sioproxy.types import Direction


class ConnectionScheduler:
    """Hands each new live connection a recorded one not handed out yet.

    ``assign`` (``--assign``): ``order`` takes them in the order they opened;
    ``auto`` picks the one whose first client packet is most like the live
    client's first packet (its CONNECT and auth object), ties in order;
    ``auth:/POINTER`` the one whose CONNECT auth has the same value there;
    ``query:NAME`` the one whose handshake had the same query parameter NAME
    (known at open, so no need to wait for the first packet).
    All engines share the recording's causes and one ``CauseBoard``, so a
    broadcast waits for the live packet of the connection that caused it.
    With ``loop`` it starts over after the last; otherwise ``exhausted`` turns
    true and ``assign`` returns None.
    """

    def __init__(
        self,
        recording: Recording,
        options: ReplayOptions,
        loop: bool = False,
        assign: str = "order",
    ) -> None:
        self.recording = recording
        self.options = options
        self.loop = loop
        self.order = recording.connections()
        self.engines: list[ReplayEngine] = []
        self.mode, key = parse_assign(assign)
        self._pointer = key if isinstance(key, Pointer) else None
        self._query_name = key if isinstance(key, str) else None
        self.causes = infer_causes(recording, window=options.cause_window)
        self.board: CauseBoard[ReplayEngine] = CauseBoard()
        self.ids = SessionIds()  # fresh sid/pid, one per recorded value (session recovery)
        self._firsts: dict[str, Step | None] = {}
        self._scripts: dict[str, Script] = {}
        self.notes: list[str] = []

    @property
    def wants_first_packet(self) -> bool:
        """Whether ``assign`` should wait for the live client's first packet to choose.

        Only when no remaining recorded connection had the server speak first
        (a socket.io 2 ``40``, a 0.9 welcome): those need their packets at open.
        """
        if self.mode in ("order", "query") or self.exhausted:
            return False
        return all(self._first(c) is not None for c in self._remaining())

    @property
    def exhausted(self) -> bool:
        return not self.order or (not self.loop and len(self.engines) >= len(self.order))

    def assign(
        self,
        label: str | None = None,
        first: Packet | None = None,
        query: tuple[tuple[str, str], ...] = (),
    ) -> ReplayEngine | None:
        """The engine for a new live connection (``label`` names it in reports).

        ``first``: the live client's first application packet, when the
        choice waited for it (``wants_first_packet``); ``query``: its
        handshake's query parameters.
        """
        if self.exhausted:
            return None
        conn = self._pick_by_query(query) if self.mode == "query" else self._pick(first)
        engine = ReplayEngine(
            self.recording,
            conn,
            self.options,
            script=self.script(conn),
            label=label,
            causes=self.causes,
            board=self.board,
            elsewhere=lambda packet: self.matches_elsewhere(conn, packet),
            ids=self.ids,
        )
        self.engines.append(engine)
        return engine

    def _remaining(self) -> list[str]:
        """Recorded connections not handed out in the current round (``loop``)."""
        n = len(self.order)
        start = (len(self.engines) // n) * n if n else 0
        handed = {e.script.conn for e in self.engines[start:]}
        return [c for c in self.order if c not in handed]

    def _first(self, conn: str) -> Step | None:
        """The first recorded step of ``conn`` when it is a client packet, else None."""
        if conn not in self._firsts:
            steps = self.script(conn).steps
            first = steps[0] if steps else None
            self._firsts[conn] = first if first is not None and first.dir is Direction.C2S else None
        return self._firsts[conn]

    def _pick(self, first: Packet | None) -> str:
        remaining = self._remaining()
        if first is None or self.mode == "order" or len(remaining) == 1:
            return remaining[0]
        rev = self.script(remaining[0]).revision
        live = match_dict(first, rev)
        # The earliest connection with the best score; the scan stops at the first
        # with the highest score there is, usually the first (a scan of every
        # remaining connection per live one was quadratic in their number).
        top = 1 if self.mode == "auth" else 2
        best, chosen = 0, remaining[0]
        for conn in remaining:
            score = self._score(conn, first, live, rev)
            if score > best:
                best, chosen = score, conn
                if score == top:
                    break
        if best <= 0 and self.mode == "auth":
            pointer = self._pointer.text if self._pointer else ""
            self.notes.append(
                f"--assign auth:{pointer}: no recorded connection has the live"
                f" value; took {remaining[0]}"
            )
        return chosen

    def _pick_by_query(self, query: tuple[tuple[str, str], ...]) -> str:
        remaining = self._remaining()
        name = self._query_name
        live = dict(query).get(name or "")
        for conn in remaining:
            if live is not None and self._recorded_query(conn).get(name or "") == live:
                return conn
        self.notes.append(
            f"--assign query:{name}: no recorded connection has"
            f" {'no such parameter' if live is None else f'{name}={live}'}; took {remaining[0]}"
        )
        return remaining[0]

    def _recorded_query(self, conn: str) -> dict[str, str]:
        opened = next(
            (e for e in self.recording.entries_for(conn) if isinstance(e, OpenEvent)), None
        )
        return dict(parse_qsl(opened.request.query)) if opened is not None else {}

    def _score(self, conn: str, first: Packet, live: dict[str, Any], rev: int | None) -> int:
        step = self._first(conn)
        if step is None:
            return 0
        recorded = match_dict(step.packet, rev)
        if self.mode == "auth" and self._pointer is not None:
            value = auth_value(live, self._pointer)
            return int(value is not None and value == auth_value(recorded, self._pointer))
        if compare_dicts(recorded, live, self.options.pointers()).ok:
            return 2
        return int(match_key(step.packet) == match_key(first))

    def matches_elsewhere(self, conn: str, packet: Packet) -> str | None:
        """For a miss on ``conn``: the other recorded connection that has this very packet."""
        key, pointers = match_key(packet), self.options.pointers()
        for other in self.order:
            if other == conn:
                continue
            script = self.script(other)
            live = match_dict(packet, script.revision)
            for step in script.client_steps():
                if match_key(step.packet) != key:
                    continue
                if compare_dicts(match_dict(step.packet, script.revision), live, pointers).ok:
                    handed = any(e.script.conn == other for e in self.engines)
                    whose = "replayed by another live connection" if handed else "not assigned yet"
                    return (
                        f"it matches recorded {other} seq {step.seq} ({whose}), but this live"
                        f" connection replays {conn}: --assign auth:/POINTER or query:NAME"
                        " assigns by the client's identity"
                    )
        return None

    def script(self, conn: str) -> Script:
        """The script of recorded connection ``conn``, built once per replay: a
        script is immutable, and its build costs tens of µs per recorded packet."""
        script = self._scripts.get(conn)
        if script is None:
            script = self._scripts[conn] = build_script(self.recording, conn)
        return script

    def summary(self) -> ReplaySummary:
        summary = summarize(self.engines, recorded_connections=len(self.order))
        summary = dataclasses.replace(
            summary,
            max_wait_releases=sum(e.max_wait_releases for e in self.engines),
            retries_answered=sum(len(e.retried) for e in self.engines),
        )
        return dataclasses.replace(summary, unopened=tuple(self.unopened()))

    def unopened(self) -> list[str]:
        """Recorded connections with packets that no live connection was given (yet)."""
        handed = {engine.script.conn for engine in self.engines}
        return [conn for conn in self.order if conn not in handed and self.script(conn).steps]


def summarize(engines: list[ReplayEngine], recorded_connections: int = 0) -> ReplaySummary:
    """Totals over ``engines``: matches, misses and unplayed recorded client packets."""
    unplayed = [
        UnplayedPacket(
            conn=engine.label,
            recorded_conn=engine.script.conn,
            seq=entry.seq,
            dir=entry.dir.value,
            wire=entry.raw if isinstance(entry.raw, str) else "<binary>",
        )
        for engine in engines
        for entry in engine.unplayed(Direction.C2S)
    ]
    return ReplaySummary(
        connections=len(engines),
        recorded_connections=recorded_connections,
        matched=sum(e.matched for e in engines),
        mismatches=tuple(m for e in engines for m in e.mismatches),
        unplayed=tuple(unplayed),
    )
