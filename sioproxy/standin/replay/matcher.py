"""Which recorded client step a live client packet is, in the replay's match mode.

Layer: pure (replay), sans-IO; never twisted. The ``ReplayEngine`` asks its
``ClientMatcher`` for the recorded client step a live packet plays
(``--match strict|per-event|any``, ``--ignore``; docs/replay.md, "Matching")
and for the next recorded step of an ``--ignore-event`` event. Client acks
that answer a recorded server request are matched by id, by the engine.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Iterator, Sequence
from typing import Any, Final

from sioproxy.codec.legacy import LegacyPacket
from sioproxy.codec.packets import Packet, is_ack
from sioproxy.codec.socketio import SioPacket
from sioproxy.recording.matching import (
    SAME,
    Comparison,
    MatchKey,
    compare_dicts,
    match_dict,
    match_key,
)
from sioproxy.recording.script import Script, event_name
from sioproxy.standin.replay.actions import ReplayOptions
from sioproxy.types import Direction

__all__ = ["ClientMatcher", "ignored_steps"]

#: Live packets whose ``raw`` is the exact text they decoded from (not subclasses).
_EXACT: Final = (SioPacket, LegacyPacket)


class ClientMatcher:
    """The recorded client steps in match order; ``played`` is the engine's, read here."""

    def __init__(self, script: Script, options: ReplayOptions, played: list[bool]) -> None:
        steps = script.steps
        self.script = script
        self._mode = options.match
        self._played = played
        self._ignore = options.pointers()
        self.keys: list[MatchKey] = [match_key(s.packet) for s in steps]
        self._rec_dicts: list[dict[str, Any] | None] = [None] * len(steps)
        self._live: tuple[Packet | None, dict[str, Any]] = (None, {})
        self.ignored = set(ignored_steps(script, options.ignore_events))
        self._ignored_by_key: dict[MatchKey, list[int]] = {}
        for i in sorted(self.ignored):
            self._ignored_by_key.setdefault(self.keys[i], []).append(i)
        # Client acks answering a recorded server request are matched by id, not by order.
        self.ordered = [
            s.index
            for s in steps
            if s.dir == Direction.C2S
            and s.index not in script.answers
            and s.index not in self.ignored
        ]
        # Cursors keep every client packet O(1) amortised instead of rescanning
        # the script (a long recording replayed as fast as possible was quadratic).
        self._ordered_pos = 0
        self._by_key: dict[MatchKey, list[int]] = {}
        for i in self.ordered:
            self._by_key.setdefault(self.keys[i], []).append(i)
        self._key_pos: dict[MatchKey, int] = dict.fromkeys(self._by_key, 0)

    def compare(self, index: int, packet: Packet) -> Comparison:
        # A live packet with the very text of an exact recorded one decodes to the
        # same values: the dict forms would be identical (the usual case).
        text = self.script.steps[index].text
        if text is not None and packet.raw == text and type(packet) in _EXACT:
            return SAME
        # Dict forms are built once: each recorded step's on first use, the
        # live packet's once for all the candidates it is compared with.
        rec_d = self._rec_dicts[index]
        if rec_d is None:
            rec_d = self._rec_dicts[index] = match_dict(
                self.script.steps[index].packet, self.script.revision
            )
        if packet is not self._live[0]:
            self._live = (packet, match_dict(packet, self.script.revision))
        return compare_dicts(rec_d, self._live[1], self._ignore)

    def next_ordered(self) -> int | None:
        ordered = self.ordered
        while self._ordered_pos < len(ordered) and self._played[ordered[self._ordered_pos]]:
            self._ordered_pos += 1
        return ordered[self._ordered_pos] if self._ordered_pos < len(ordered) else None

    def next_of_key(self, key: MatchKey) -> int | None:
        """The first unplayed recorded client step with this (namespace, type, event)."""
        indices = self._by_key.get(key)
        if indices is None:
            return None
        pos = self._key_pos[key]
        while pos < len(indices) and self._played[indices[pos]]:
            pos += 1
        self._key_pos[key] = pos
        return indices[pos] if pos < len(indices) else None

    def find(self, packet: Packet) -> int | None:
        """The recorded client step the match mode lets ``packet`` play, or None."""
        candidates: Iterable[int | None]
        if self._mode == "strict":
            candidates = [self.next_ordered()]
        elif self._mode == "per-event":
            candidates = [self.next_of_key(match_key(packet))]
        else:
            candidates = self._unplayed()
        return next((i for i in candidates if i is not None and self.compare(i, packet).ok), None)

    def _unplayed(self) -> Iterator[int]:
        """Unplayed recorded client steps in order, from the first one, made as asked:
        the first usually matches, and listing them all for each packet made
        ``--match any`` quadratic in the recording's length."""
        self.next_ordered()  # moves the cursor past the played ones
        played = self._played
        return (i for i in itertools.islice(self.ordered, self._ordered_pos, None) if not played[i])

    def take_ignored(self, packet: Packet) -> int | None:
        """``--ignore-event``: the next recorded step of the packet's kind, whatever its args."""
        waiting = self._ignored_by_key.get(match_key(packet))
        return waiting.pop(0) if waiting else None


def ignored_steps(script: Script, events: Sequence[str]) -> list[int]:
    """The recorded client steps of the ``--ignore-event`` events, in order (acks excepted)."""
    if not events:
        return []
    wanted = set(events)
    return [
        s.index
        for s in script.client_steps()
        if not is_ack(s.packet)
        and (name := event_name(s.packet)) is not None
        and str(name) in wanted
    ]
