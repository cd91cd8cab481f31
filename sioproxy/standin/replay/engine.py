"""The replay engine: what a stand-in server sends back to a live client, and when.

Layer: pure (replay), sans-IO. Imports the codec, the recording model and the
other replay modules; never twisted. The transport's replay server feeds it the
live client's application packets and the current time, and carries out the
actions it returns (``Send``, ``Mismatch``, ``Done``); it calls ``poll`` when
``next_deadline`` comes. Handshakes, session ids, heartbeats and upgrades are
the server's business: they are never in the script (docs/protocol.md#d3 item 5).

Timing (docs/replay.md): a recorded server packet waits until the client
packet that caused it (its trigger, from ``sioproxy.recording.causes``: the
CONNECT it answers, the request it acks, the latest client packet of its
namespace) has been played, then follows it after the recorded gap. With a
``CauseBoard`` shared by the engines of one replay, a broadcast also waits
for the other connection's live packet that caused it (``replay.causal``).
Server packets that followed other server packets keep their recorded gap to
the previous one. Gaps are divided by
``speed`` (2 = twice as fast, 0 = no waiting at all) and capped by ``max_gap``.
A recorded ack also waits for the live request it answers, whose id it takes.

Which recorded client step a live packet is: ``matcher.py``; the ack-id
rewrites of what goes out: ``acks.py``.
Options and actions live in ``sioproxy.standin.replay.actions`` (re-exported here);
the connection scheduler and ``summarize`` in ``sioproxy.standin.replay.scheduler``.
"""

from __future__ import annotations

import heapq
from collections.abc import Callable, Mapping
from typing import Any

from sioproxy.codec.legacy import LegacyPacket
from sioproxy.codec.packets import Packet, answer_id, is_ack
from sioproxy.codec.socketio import SioPacket
from sioproxy.recording.causes import Cause, infer_causes
from sioproxy.recording.matching import (
    Comparison,
)
from sioproxy.recording.model import PacketEntry, Recording
from sioproxy.recording.script import (
    Script,
    asks_ack,
    build_script,
    event_name,
    is_bare_legacy_request,
    is_disconnect,
    is_transport_level,
    namespace,
    wire_text,
)
from sioproxy.standin.replay.acks import AckTable, empty_ack, outgoing
from sioproxy.standin.replay.actions import MISS_MODES, Action, Done, Mismatch, ReplayOptions, Send
from sioproxy.standin.replay.causal import (
    CauseBoard,
    CrossWaits,
    also_waits,
    cause_times,
    triggers,
)
from sioproxy.standin.replay.explain import explain_miss
from sioproxy.standin.replay.matcher import ClientMatcher
from sioproxy.standin.replay.report import MismatchReport
from sioproxy.standin.replay.retries import answer_retry
from sioproxy.standin.replay.session_ids import SessionIds
from sioproxy.types import Direction, Generation

__all__ = ["MISS_MODES", "Action", "Done", "Mismatch", "ReplayEngine", "ReplayOptions", "Send"]


class ReplayEngine:
    """Plays recorded connection ``conn`` of ``recording`` against one live client."""

    def __init__(
        self,
        recording: Recording,
        conn: str,
        options: ReplayOptions,
        *,
        label: str | None = None,
        causes: Mapping[int, Cause] | None = None,
        board: CauseBoard[Any] | None = None,
        elsewhere: Callable[[Packet], str | None] | None = None,
        ids: SessionIds | None = None,
        script: Script | None = None,
    ) -> None:
        # ``script``: ``build_script(recording, conn)`` made already (the scheduler's).
        self.script: Script = build_script(recording, conn) if script is None else script
        # Fresh sid/pid, shared by all connections of a replay (session recovery).
        self._ids = ids if ids is not None else SessionIds()
        self.generation: Generation = self.script.generation
        self.options = options
        self.label = label or conn
        self.mismatches: list[MismatchReport] = []
        self.matched = 0
        self.notes: list[str] = list(self.script.notes)
        # For the miss report: which other recorded connection a missed packet matches.
        self.elsewhere = elsewhere
        steps = self.script.steps
        self._played = [False] * len(steps)
        self._released = [False] * len(steps)
        self._due: dict[int, float] = {}
        self._queue: list[tuple[float, int]] = []
        self._acks = AckTable()
        self._matcher = ClientMatcher(self.script, options, self._played)
        if causes is None:
            causes = infer_causes(recording, window=options.cause_window)
        self._trigger: list[int | None] = triggers(self.script, causes)
        self._also = also_waits(self.script, causes)
        # Causes on other connections (a broadcast): only with a shared board.
        self._board = board
        times = cause_times(recording, causes, conn)
        self._cross = CrossWaits(self.script, causes, times, board, options.max_wait, self)
        ignored = self._matcher.ignored
        self._owed = [
            not is_disconnect(s.packet) and not self._caused_by(s.index, ignored) for s in steps
        ]
        self._owed_count = sum(self._owed)
        # Server steps become candidates for release when their trigger plays.
        self._dependents: dict[int | None, list[int]] = {}
        for step in steps:
            if step.dir == Direction.S2C:
                self._dependents.setdefault(self._trigger[step.index], []).append(step.index)
        self._candidates: list[int] = self._dependents.pop(None, [])
        self._live_count = 0
        # Recorded answer seqs sent again for live retries the recording lacks (retries.py).
        self.retried: list[int] = []
        self._started = False
        self._done = False

    # -- the API the replay server drives ---------------------------------------

    def start(self, now: float) -> list[Action]:
        """The live client is connected: the server packets recorded before its first packet."""
        if self._started:
            return []
        self._started = True
        return self._advance(now, [])

    def on_client_packet(self, packet: LegacyPacket | SioPacket, now: float) -> list[Action]:
        """A live client packet: match it, answer it, or report the miss."""
        self._check_generation(packet)
        if is_transport_level(packet):
            return []
        packet = self._ids.recorded(packet)
        if self.options.ignore_events and not is_ack(packet):
            name = event_name(packet)
            if name is not None and str(name) in self.options.ignore_events:
                return self._play_ignored(packet, now)
        early = self.start(now)
        self._live_count += 1
        if is_ack(packet):
            index, miss = self._match_ack(packet)
        else:
            index = self._matcher.find(packet)
            miss = "matched no recorded packet"
        if index is None and is_disconnect(packet):
            self.notes.append(f"unrecorded client disconnect {wire_text(packet)} (not a miss)")
            return early
        if index is None:
            retried = answer_retry(self, packet)  # socket.io-client retries (retries.py)
            if retried is not None:
                return early + retried
            return early + self._miss(packet, now, miss)
        return early + self._play_client(index, packet, now)

    def poll(self, now: float) -> list[Action]:
        """Server pushes whose time has come, and packets whose cross causes came."""
        if self._cross.deps and self._candidates:
            return self._advance(now, [])
        return self._finish(self._flush(now, now))

    def next_deadline(self) -> float | None:
        """When ``poll`` next has something to send, or None."""
        due = self._queue[0][0] if self._queue else None
        wait = self._cross.deadline()
        return due if wait is None else wait if due is None else min(due, wait)

    @property
    def max_wait_releases(self) -> int:
        """Server packets sent after ``--max-wait`` without their cross-connection cause."""
        return self._cross.max_wait_releases

    @property
    def all_played(self) -> bool:
        return self._owed_count == 0

    def unplayed(self, direction: Direction | None = None) -> list[PacketEntry]:
        """Recorded packets not played (yet), optionally of one direction.

        Recorded disconnects are not owed (see ``is_disconnect``): neither the
        client's nor the server's answer to it.
        """
        return [
            s.entry
            for s in self.script.steps
            if not self._played[s.index]
            and (direction is None or s.dir == direction)
            and self._owed[s.index]
        ]

    @property
    def pending_acks(self) -> int:
        """Server requests sent to the client and not answered yet."""
        return self._acks.pending

    # -- matching ----------------------------------------------------------------

    def _check_generation(self, packet: Packet) -> None:
        legacy = self.generation is Generation.LEGACY
        if isinstance(packet, LegacyPacket) != legacy:
            want = "LegacyPacket" if legacy else "SioPacket"
            raise TypeError(f"a {self.generation.value} connection takes {want}, got {packet!r}")

    def compare(self, index: int, packet: Packet) -> Comparison:
        return self._matcher.compare(index, packet)

    def next_ordered(self) -> int | None:
        return self._matcher.next_ordered()

    def _mark_played(self, index: int) -> None:
        if not self._played[index]:
            self._played[index] = True
            step = self.script.steps[index]
            if self._board is not None and step.dir is Direction.C2S:
                self._board.played(self.script.conn, step.seq)
            if self._owed[index]:
                self._owed_count -= 1
            released = self._dependents.pop(index, None)
            if released:
                self._candidates = sorted(self._candidates + released)

    def eligible(self, index: int) -> bool:
        """Whether the match mode lets recorded client step ``index`` be played now."""
        if self._played[index]:
            return False
        if index in self.script.answers:
            request = self.script.answers[index]
            return self._acks.sent_id(request) is not None
        if self.options.match == "strict":
            return index == self.next_ordered()
        if self.options.match == "per-event":
            return index == self._matcher.next_of_key(self._matcher.keys[index])
        return True

    def _match_ack(self, packet: Packet) -> tuple[int | None, str]:
        """A client ack: found by the id the replay sent its request with (D.3 item 1)."""
        live_id = answer_id(packet)
        request = None if live_id is None else self._acks.answer_server(namespace(packet), live_id)
        if request is None:
            found = self._matcher.find(packet)
            waiting = self._acks.waiting_ids(namespace(packet))
            return found, (
                f"is an ack for id {live_id}, which the replay never asked for"
                f" (ids waiting for an answer in {namespace(packet) or 'the default endpoint'!r}:"
                f" {waiting or 'none'})"
            )
        seq = self.script.steps[request].seq
        expected = self.script.answered_by.get(request)
        if expected is None:
            return None, f"answers server request seq {seq}, which the recording has no answer to"
        if self._played[expected] or not self.compare(expected, packet).ok:
            return None, f"answers server request seq {seq} but differs from the recorded answer"
        return expected, ""

    # -- playing -----------------------------------------------------------------

    def _caused_by(self, index: int, ignored: set[int]) -> bool:
        """Whether ``index`` is a client step of an ignored event, or a server step it caused."""
        if not ignored:
            return False
        if index in ignored:
            return True
        if self.script.steps[index].dir is Direction.C2S:
            return False
        return self._trigger[index] in ignored or self.script.answers.get(index) in ignored

    def _play_ignored(self, packet: Packet, now: float) -> list[Action]:
        """``--ignore-event``: play the next recorded packet of its kind, whatever its args."""
        early = self.start(now)
        self._live_count += 1
        index = self._matcher.take_ignored(packet)
        if index is None:
            self.notes.append(f"{wire_text(packet)}: not in the recording (--ignore-event)")
            return early
        return early + self._play_client(index, packet, now)

    def _play_client(self, index: int, packet: Packet, now: float) -> list[Action]:
        self._mark_played(index)
        self.matched += 1
        actions: list[Action] = []
        if asks_ack(packet) and packet.id is not None:
            if index in self.script.answered_by:
                self._acks.bind_client(index, packet.id)
            elif is_bare_legacy_request(packet) and self.options.auto_ack_legacy:
                # node 0.9 acks a bare id itself, before the handler runs (A.10).
                actions.append(Send(packet=empty_ack(packet)))
        return self._advance(now, actions)

    def _advance(self, now: float, actions: list[Action]) -> list[Action]:
        horizon = self._release(now)
        return self._finish(actions + self._flush(now, horizon))

    def _finish(self, actions: list[Action]) -> list[Action]:
        if not self._done and self.all_played:
            self._done = True
            actions.append(Done())
        return actions

    def _ready(self, index: int, now: float) -> bool:
        trigger = self._trigger[index]
        if trigger is not None and not self._played[trigger]:
            return False
        request = self.script.answers.get(index)
        if request is not None and not self._played[request]:
            return False
        also = self._also.get(index)
        if also is not None and not self._played[also[0]]:
            gate = also[1]
            if gate is None or self._played[gate]:
                return False  # the live client is in that namespace: keep the recorded order
        if not self._cross.ready(index, now):
            return False
        self.notes += self._cross.notes
        self._cross.notes.clear()
        return True

    def _release(self, now: float) -> float:
        """Queue server steps whose trigger (and request) were played; returns the horizon.

        The horizon is the latest due time of a reactive packet (the first one
        after a client packet): those are returned at once with their delay;
        later pushes stay queued for ``poll``.
        """
        horizon = now
        steps = self.script.steps
        waiting: list[int] = []
        for i in self._candidates:
            if not self._ready(i, now):
                waiting.append(i)  # an ack whose request, or a cross cause, has not played yet
                continue
            step = steps[i]
            self._released[i] = True
            prev = i - 1 if i > 0 and steps[i - 1].dir == Direction.S2C else None
            if prev is not None and prev in self._due:
                due = max(now, self._due[prev] + self.options.scale(step.t - steps[prev].t))
            else:
                trigger = self._trigger[i]
                anchor = self.script.start_t if trigger is None else steps[trigger].t
                anchor = max(anchor, self._cross.anchors.get(i, anchor))
                also = self._also.get(i)
                if also is not None and self._played[also[0]]:
                    anchor = max(anchor, steps[also[0]].t)
                due = now + self.options.scale(step.t - anchor)
                horizon = max(horizon, due)
            self._due[i] = due
            heapq.heappush(self._queue, (due, i))
        self._candidates = waiting
        return horizon

    def _flush(self, now: float, horizon: float) -> list[Action]:
        actions: list[Action] = []
        while self._queue and self._queue[0][0] <= horizon:
            due, index = heapq.heappop(self._queue)
            self._mark_played(index)
            out = self._outgoing(index)
            if out is not None:
                actions.append(Send(packet=out[0], delay=max(0.0, due - now), text=out[1]))
        return actions

    def _outgoing(self, index: int) -> tuple[Packet, str | None] | None:
        """The recorded server packet as it must go out now (D.3 rewrites), its exact text."""
        return outgoing(self.script, index, self._acks, self.notes, self._ids.fresh)

    # -- misses ------------------------------------------------------------------

    def _miss(self, packet: Packet, now: float, reason: str) -> list[Action]:
        actions: list[Action] = []
        action = "ignored (--on-miss ignore)"
        if self.options.on_miss == "ack-empty" and asks_ack(packet) and packet.id is not None:
            ack = empty_ack(packet)
            actions.append(Send(packet=ack))
            action = f"answered with an empty ack {wire_text(ack)} (--on-miss ack-empty)"
        elif self.options.on_miss != "ignore":
            action = f"nothing sent (--on-miss {self.options.on_miss})"
        report = explain_miss(self, packet, now, reason, self._live_count, action)
        self.mismatches.append(report)
        if self.options.on_miss != "ignore":
            actions.append(Mismatch(report=report))
        return actions

    def is_played(self, index: int) -> bool:
        return self._played[index]

    def sent_id(self, request: int) -> int | None:
        """The id recorded server request ``request`` was sent with, if it was sent."""
        return self._acks.sent_id(request)
