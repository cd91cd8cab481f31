"""Live connections to recorded ones: the connection scheduler and the summary.

Layer: pure (replay), sans-IO; never twisted. ``ConnectionScheduler`` gives
each new live connection a ``ReplayEngine`` for the next recorded
connection; ``summarize`` totals the engines' matches, misses and unplayed
recorded client packets into a ``ReplaySummary``.
"""

from __future__ import annotations

import dataclasses

from sioproxy.recording.model import Recording
from sioproxy.recording.script import build_script
from sioproxy.standin.replay.actions import ReplayOptions
from sioproxy.standin.replay.engine import ReplayEngine
from sioproxy.standin.replay.report import ReplaySummary, UnplayedPacket
from sioproxy.types import Direction


class ConnectionScheduler:
    """Hands each new live connection the next recorded one, in the order they opened.

    With ``loop`` it starts over after the last; otherwise ``exhausted`` turns
    true and ``assign`` returns None.
    """

    def __init__(self, recording: Recording, options: ReplayOptions, loop: bool = False) -> None:
        self.recording = recording
        self.options = options
        self.loop = loop
        self.order = recording.connections()
        self.engines: list[ReplayEngine] = []

    @property
    def exhausted(self) -> bool:
        return not self.order or (not self.loop and len(self.engines) >= len(self.order))

    def assign(self, label: str | None = None) -> ReplayEngine | None:
        """The engine for a new live connection (``label`` names it in reports)."""
        if self.exhausted:
            return None
        conn = self.order[len(self.engines) % len(self.order)]
        engine = ReplayEngine(self.recording, conn, self.options, label=label)
        self.engines.append(engine)
        return engine

    def summary(self) -> ReplaySummary:
        summary = summarize(self.engines, recorded_connections=len(self.order))
        return dataclasses.replace(summary, unopened=tuple(self.unopened()))

    def unopened(self) -> list[str]:
        """Recorded connections with packets that no live connection was given (yet)."""
        handed = {engine.script.conn for engine in self.engines}
        return [
            conn
            for conn in self.order
            if conn not in handed and build_script(self.recording, conn).steps
        ]


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
