"""``replay --web``: which recorded packets the stand-in has played, and its misses.

Layer: pure (web). Reads the replay scheduler's engines through their public
API (``script.steps``, ``unplayed()``, ``mismatches``); never twisted. The
command calls :meth:`ReplayMarks.update` on a timer and pushes what changed.

A recorded packet is ``played`` once the stand-in has sent it or received its
match, ``waiting`` while its connection is being replayed and it is still
owed, and ``unplayed`` while no live client plays its connection. A recorded
answer the stand-in sent again for a live retry the recording lacks
(standin/replay/retries.py) is ``retried``. Marks are
keyed ``"0:SEQ"`` (file 0, the recording's seq), as the page keys its rows.
"""

from __future__ import annotations

from typing import Any

from sioproxy.recording.model import Recording
from sioproxy.recording.script import build_script


class ReplayMarks:
    def __init__(self, recording: Recording) -> None:
        # Only the packets the stand-in plays (its script's steps) get a mark: the
        # Engine.IO handshake and heartbeats are answered, not replayed.
        self._all = [
            step.entry.seq
            for conn in recording.connections()
            for step in build_script(recording, conn).steps
        ]
        self.marks: dict[str, str] = {}
        self.misses_sent = 0

    def update(self, engines: list[Any]) -> tuple[dict[str, str], list[Any]]:
        """The marks that changed since the last call, and the new misses (as JSON)."""
        now = {f"0:{seq}": "unplayed" for seq in self._all}
        misses: list[Any] = []
        for engine in engines:
            owed = {entry.seq for entry in engine.unplayed()}
            for step in engine.script.steps:
                seq = step.entry.seq
                now[f"0:{seq}"] = "waiting" if seq in owed else "played"
            for seq in engine.retried:
                now[f"0:{seq}"] = "retried"
            misses += [m.to_json() for m in engine.mismatches]
        changed = {k: v for k, v in now.items() if self.marks.get(k) != v}
        self.marks = now
        new = misses[self.misses_sent :]
        self.misses_sent = len(misses)
        return changed, new
