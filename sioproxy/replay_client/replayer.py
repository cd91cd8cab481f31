"""The client-side replay engine: play a recorded client against a live server.

Layer: pure (sans-IO). Imports the codec, the stand-in replay's ``Script``
(``sioproxy.recording.script``) and matching (``sioproxy.recording.matching``), and
the drift model; never twisted. The transport feeds it the live server's
application packets and the time, and carries out its actions (``SendPacket``,
``Finish``, with ``ReplayClientOptions`` in ``actions.py``); ``next_wakeup``
says when to call ``on_timer``. How steps are named and drift items built is
in ``describe.py``.

Pacing. Reactive (default): before each recorded client packet the engine
waits until every server packet that preceded it in the recording has come
(at most ``timeout`` seconds; what has not come by then is ``missing``).
Timed (``speed`` set): client packets keep their recorded gaps divided by
``speed`` and capped by ``max_gap``, whatever the server says.

Ack ids (docs/protocol.md#d3). The client's own acked emits keep their recorded
ids, so the live server's ack carries that id and is compared with the
recorded ack. A server request carries the live server's id, whatever it is
(node servers count per namespace for all clients, D.2): the engine matches it
to the recorded request (namespace, type, event, in order) and sends the
recorded answer under the live id.

Several connections. The replayers of one recorded conversation share a
``PlayOrder`` (``sioproxy.replay_client.order``): a client packet also waits
until every other connection has played what was recorded before it, so a
broadcast comes where it was recorded (at most ``max_wait`` seconds per packet).

Captures (``--capture``): ``replay_client.capture``.

Recovery (socket.io 4.6+): the live pid and offset, ``replay_client.recovery``.
"""

from __future__ import annotations

import dataclasses
import itertools
import math
from typing import Final

import sioproxy.replay_client.describe as describe
from sioproxy.codec.legacy import LegacyPacket, with_ack_id
from sioproxy.codec.packets import Packet, answer_id, is_ack, type_label
from sioproxy.codec.socketio import SioPacket
from sioproxy.jsonpointer import parse
from sioproxy.recording.matching import compare, match_key
from sioproxy.recording.script import (
    Script,
    Step,
    asks_ack,
    event_name,
    namespace,
    to_dict,
)
from sioproxy.replay_client.actions import Action, Finish, ReplayClientOptions, SendPacket
from sioproxy.replay_client.capture import Captured
from sioproxy.replay_client.drift import ConnectionResult, DriftItem, Remap
from sioproxy.replay_client.order import PlayOrder
from sioproxy.replay_client.recovery import LiveSessions, RecoveryTrack
from sioproxy.types import Direction

__all__ = ["ClientReplayer"]

# Fresh per connection on the server: never compared (C.4, docs/replay.md "Session ids").
_SESSION_POINTERS: Final = (parse("/data/sid"), parse("/data/pid"))


class ClientReplayer:
    """Plays the client side of one recorded connection; see the module docstring."""

    def __init__(
        self,
        script: Script,
        options: ReplayClientOptions,
        *,
        client: int = 1,
        order: PlayOrder | None = None,
        sessions: LiveSessions | None = None,
    ) -> None:
        self.script = script
        self.options = options
        self.client = client
        self.order = order
        self._clients = script.client_steps()
        self._servers = [s for s in script.steps if s.dir == Direction.S2C]
        self._connect_gates = _connect_gates(script) if options.speed is not None else {}
        self._next = 0
        self._done: set[int] = set()  # server steps matched or given up
        self._low = 0  # every server step before this position is done
        self._wait_since: float | None = None
        self._last_sent: float | None = None
        self._sent_at: dict[int, float] = {}
        self._live_ids: dict[int, int] = {}  # server request step -> live id
        self._asked: dict[tuple[str, int], int] = {}  # (namespace, id) -> client request step
        self.drift: list[DriftItem] = []
        self.remaps: list[Remap] = []
        self.notes: list[str] = list(script.notes)
        self._captured = Captured(self.notes)
        self._recovery = RecoveryTrack(
            script, sessions or LiveSessions(), drift=self.drift, notes=self.notes
        )
        self.rtts: list[float] = []
        self.sent = 0
        self.received = 0
        self.finished: str | None = None
        # Recorded server steps of an ignored event count as played from the start;
        # those that asked for an ack still give the live request's id to the answer.
        self._ignored = {s.index for s in self._servers if self._is_ignored(s)}
        self._done |= self._ignored
        self._ignored_requests = [i for i in sorted(self._ignored) if asks_ack(self._step(i))]

    # -- driving -------------------------------------------------------------------

    def start(self, now: float) -> list[Action]:
        self._wait_since = now
        self._last_sent = now
        return self._advanced(now)

    def on_packet(self, packet: Packet, now: float) -> list[Action]:
        self.received += 1
        self._match(packet, now)
        return self._advanced(now) if self.finished is None else []

    def on_timer(self, now: float) -> list[Action]:
        return self._advanced(now) if self.finished is None else []

    def on_closed(self, reason: str, now: float) -> None:
        """The live connection ended: what is still pending will never come."""
        if self.finished is not None:
            return
        self._give_up(self._pending(), "connection ended")
        unsent = self._clients[self._next :]
        if unsent:
            self.drift.append(describe.closed(self.script, unsent, reason))
        self.finished = reason
        if self.order is not None:
            self.order.finish(self.script.conn)

    def next_wakeup(self) -> float | None:
        """When ``on_timer`` should run next (None: only a packet can move things)."""
        if self.finished is not None or self._wait_since is None:
            return None
        if self.order is not None:
            released = self.order.deadline(self.script.conn)
            if released is not None:  # the own packets before it are all played
                return released
        deadline = self._wait_since + self.options.timeout
        if self._next < len(self._clients) and self.options.speed is not None:
            return min(deadline, self._due(self._next))
        return deadline

    def frontier(self) -> float:
        """The recorded seq of the earliest step not yet played (``math.inf``: none left).

        Timed playback does not wait for the server, so only client packets count.
        """
        if self.finished is not None:
            return math.inf
        first = self._first_pending()
        low = math.inf
        if self._next < len(self._clients):
            low = self._clients[self._next].seq
        if self.options.speed is None and first < len(self._servers):
            low = min(low, self._servers[first].seq)
        return low

    def _first_pending(self) -> int:
        """Position in ``_servers`` of the first step not done; every one before it is.

        Steps are done in about the recorded order, so the scans that start here
        (what blocks a send, what a live packet matches) stay short: without it
        every packet scanned the whole script, quadratic in its length.
        """
        servers, done, low = self._servers, self._done, self._low
        while low < len(servers) and servers[low].index in done:
            low += 1
        self._low = low
        return low

    def _pending(self, before: int | None = None) -> list[Step]:
        """Server steps not done yet, in recorded order (only those before step ``before``)."""
        done, pending = self._done, []
        for step in itertools.islice(self._servers, self._first_pending(), None):
            if before is not None and step.index >= before:
                break
            if step.index not in done:
                pending.append(step)
        return pending

    def result(self, transport: str, end: str) -> ConnectionResult:
        return ConnectionResult(
            conn=self.script.conn,
            client=self.client,
            transport=transport,
            sent=self.sent,
            received=self.received,
            end=end,
            drift=tuple(self.drift),
            remaps=tuple(self.remaps),
            captures={name: live for name, (_, live) in self._captured.values.items()},
            notes=tuple(self.notes),
            recoveries=tuple(self._recovery.recoveries),
        )

    # -- sending --------------------------------------------------------------------

    def _advanced(self, now: float) -> list[Action]:
        actions = self._advance(now)
        if self.order is not None:
            self.order.advance(self.script.conn, self.frontier())
        return actions

    def _in_order(self, step: Step, now: float) -> bool:
        """Whether the other connections have played what was recorded before ``step``."""
        order = self.order
        if order is None:
            return True
        released = len(order.releases)
        if not order.may_play(self.script.conn, step.seq, now):
            return False
        if len(order.releases) > released:
            self.notes.append(order.releases[-1].note())
        return True

    def _advance(self, now: float) -> list[Action]:
        actions: list[Action] = []
        while self.finished is None:
            if self._next >= len(self._clients):
                pending = self._pending()
                if pending and not self._waited_out(now):
                    break
                self._give_up(pending, f"not received within {self.options.timeout:g} s")
                self.finished = "played"
                actions.append(Finish("played"))
                break
            step = self._clients[self._next]
            if self._blocked(step):
                if not self._waited_out(now):
                    break
                self._give_up(
                    self._blockers(step), f"not received within {self.options.timeout:g} s"
                )
            if self.options.speed is not None and now < self._due(self._next):
                break
            if not self._in_order(step, now):
                break
            self._next += 1
            self._wait_since = now
            packet = self._outgoing(step)
            if packet is not None:
                self._last_sent = now
                self._sent_at[step.index] = now
                self.sent += 1
                actions.append(SendPacket(packet, step.index))
        return actions

    def _waited_out(self, now: float) -> bool:
        if self._wait_since is None:
            self._wait_since = now
        return now - self._wait_since >= self.options.timeout

    def _blocked(self, step: Step) -> bool:
        """``_blockers(step)`` is not empty, without listing them (once per packet)."""
        if self.options.speed is None:
            first = self._first_pending()
            return first < len(self._servers) and self._servers[first].index < step.index
        return bool(self._blockers(step))

    def _blockers(self, step: Step) -> list[Step]:
        if self.options.speed is None:
            return self._pending(before=step.index)
        # Timed: an answer to a server request waits for that request's live id, and
        # a namespace's packets for its CONNECT answer, as a socket.io client holds them.
        waits = [self.script.answers.get(step.index), self._connect_gates.get(step.index)]
        return [self.script.steps[i] for i in waits if i is not None and i not in self._done]

    def _due(self, position: int) -> float:
        """When the client step at ``position`` is due (timed playback)."""
        step = self._clients[position]
        before = self._clients[position - 1].t if position else self.script.start_t
        return (self._last_sent or 0.0) + self.options.scale(step.t - before)

    def _outgoing(self, step: Step) -> Packet | None:
        packet = step.packet
        request = self.script.answers.get(step.index)
        if request is not None:
            live_id = self._live_ids.get(request)
            if live_id is None:
                self.notes.append(
                    f"seq {step.seq} not sent: it answers seq {self.script.steps[request].seq}, "
                    "which the live server did not send"
                )
                return None
            packet = self._with_id(packet, live_id)
        packet = self._recovery.outgoing(step, self._captured.apply(packet))
        if asks_ack(packet) and packet.id is not None:
            self._asked[(namespace(packet), packet.id)] = step.index
        return packet

    @staticmethod
    def _with_id(packet: Packet, live_id: int) -> Packet:
        if isinstance(packet, LegacyPacket):
            return with_ack_id(packet, live_id)
        return dataclasses.replace(packet, id=live_id)

    # -- receiving --------------------------------------------------------------------

    def _match(self, packet: Packet, now: float) -> None:
        if is_ack(packet):
            self._match_ack(packet, now)
            return
        key = match_key(packet)
        for step in itertools.islice(self._servers, self._first_pending(), None):
            if step.index not in self._done and match_key(step.packet) == key:
                self._compare(step, packet)
                if asks_ack(packet) and asks_ack(step.packet):
                    self._note_request(step, packet)
                return
        name = event_name(packet)
        if name is not None and str(name) in self.options.ignore_events:
            self._ignored_request(packet)
            return
        self._unexpected(packet, "the recording has no such server packet left")

    def _is_ignored(self, step: Step) -> bool:
        return bool(self.options.ignore_events) and (
            describe.event_of(self.script, step) in self.options.ignore_events
        )

    def _step(self, index: int) -> Packet:
        return self.script.steps[index].packet

    def _ignored_request(self, packet: Packet) -> None:
        """A live request of an ignored event: the recorded answer goes under its id."""
        if not asks_ack(packet):
            return
        key = match_key(packet)
        for index in self._ignored_requests:
            if match_key(self._step(index)) == key:
                self._ignored_requests.remove(index)
                self._note_request(self.script.steps[index], packet)
                return

    def _match_ack(self, packet: Packet, now: float) -> None:
        live_id = answer_id(packet)
        request = None
        if live_id is not None:
            request = self._asked.pop((namespace(packet), live_id), None)
        if request is None:
            self._unexpected(packet, "an ack for a request this client did not make")
            return
        self.rtts.append(now - self._sent_at.get(request, now))
        recorded = self.script.answered_by.get(request)
        if recorded is not None and recorded in self._ignored:
            return
        if recorded is None or recorded in self._done:
            seq = self.script.steps[request].seq
            self._unexpected(packet, f"the recorded server did not ack seq {seq}")
            return
        step = self.script.steps[recorded]
        self._compare(step, packet)

    def _note_request(self, step: Step, packet: Packet) -> None:
        assert packet.id is not None
        assert step.packet.id is not None
        self._live_ids[step.index] = packet.id
        if packet.id != step.packet.id:
            self.remaps.append(
                Remap(
                    namespace=namespace(packet),
                    event=describe.label(self.script, step),
                    recorded=step.packet.id,
                    live=packet.id,
                )
            )

    def _compare(self, step: Step, packet: Packet) -> None:
        self._done.add(step.index)
        ignore = [*self.options.ignore]
        if isinstance(packet, SioPacket):
            ignore.extend(_SESSION_POINTERS)
        revision = self.script.revision
        for capture in self.options.captures:
            if capture.event == describe.event_of(self.script, step):
                recorded, live = to_dict(step.packet, revision), to_dict(packet, revision)
                self._captured.take(capture, step.seq, recorded, live)
                ignore.append(capture.pointer)
        expected = self._recovery.expected(step, packet)
        comparison = compare(expected, packet, revision, tuple(ignore))
        if comparison.differences:
            self.drift.append(describe.changed(self.script, step, packet, comparison))

    def _unexpected(self, packet: Packet, note: str) -> None:
        self.drift.append(describe.unexpected(packet, note))

    def _give_up(self, steps: list[Step], why: str) -> None:
        for step in steps:
            if step.index in self._done:
                continue
            self._done.add(step.index)
            self.drift.append(describe.missing(self.script, step, why))


def _connect_gates(script: Script) -> dict[int, int]:
    """Client step -> the server's CONNECT answer for its namespace recorded before it."""
    answered: dict[str, int] = {}
    gates: dict[int, int] = {}
    for step in script.steps:
        nsp, connect = namespace(step.packet), type_label(step.packet) == "connect"
        if step.dir == Direction.S2C:
            if connect:
                answered[nsp] = step.index
        elif not connect and nsp in answered:
            gates[step.index] = answered[nsp]
    return gates
