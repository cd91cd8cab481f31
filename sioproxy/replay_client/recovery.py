"""Connection state recovery played against a live server (socket.io 4.6+).

Layer: pure (sans-IO); never twisted. A recording may hold a recovery
(docs/protocol.md#c10): c1's CONNECT reply gave it a ``pid``, every server
event on c1 carried an offset as its last argument, c1's transport dropped,
and c2 opened with CONNECT ``{pid, offset}``. The live server hands out its
own pid and offsets, so the recorded ones mean nothing to it. The
connections of one client copy share a ``LiveSessions``: every recorded pid
(from a server CONNECT reply) and offset (the last argument of a server
event) is paired with the live value of the packet it was matched to. A
``RecoveryTrack`` per connection:

* compares an offset-bearing event with the live offset in place of the
  recorded one (offsets differ on every run; a missing one is still drift);
* sends a recovering CONNECT with the live pid and the live offset of the
  event that carried the recorded offset;
* judges the server's CONNECT reply to it: recovered (the live pid sent came
  back) or not, as recorded or not; a difference is a ``recovery`` drift item.

When the reconnection opens (after the recovered connection ended live and
the recorded time away) is the group's ``PlayOrder`` (docs/replay-client.md,
"Connection state recovery").
"""

from __future__ import annotations

import dataclasses
from typing import Any

from sioproxy.codec.packets import Packet
from sioproxy.codec.socketio import SioPacket, SioType
from sioproxy.recording.script import Script, Step, namespace, wire_text
from sioproxy.replay_client.drift import DriftItem, Recovered
from sioproxy.types import Direction

__all__ = ["LiveSessions", "RecoveryTrack"]

_EVENTS = (SioType.EVENT, SioType.BINARY_EVENT)


class LiveSessions:
    """Recorded pid or offset -> the live value, and who got it; one per client copy."""

    def __init__(self) -> None:
        self._live: dict[str, tuple[str | None, str, int]] = {}  # recorded -> (live, conn, seq)

    def learn(self, recorded: Any, live: Any, conn: str, seq: int) -> None:
        """The packet (``conn``, recorded ``seq``) holding ``recorded`` came with ``live``."""
        if isinstance(recorded, str):
            self._live[recorded] = (live if isinstance(live, str) else None, conn, seq)

    def live(self, recorded: Any) -> tuple[str | None, str, int] | None:
        """(live value or None, connection, seq) for a recorded one whose packet came live."""
        return self._live.get(recorded) if isinstance(recorded, str) else None


def _connect_data(packet: Packet) -> dict[str, Any] | None:
    if isinstance(packet, SioPacket) and packet.type is SioType.CONNECT:
        return packet.data if isinstance(packet.data, dict) else None
    return None


def _pid(step: Step) -> str | None:
    pid = (_connect_data(step.packet) or {}).get("pid")
    return pid if isinstance(pid, str) else None


def _offset(packet: Packet) -> str | None:
    """The last argument of an event when it is a string (the offset, if any)."""
    if isinstance(packet, SioPacket) and packet.type in _EVENTS:
        data = packet.data
        if isinstance(data, list) and len(data) > 1 and isinstance(data[-1], str):
            return data[-1]
    return None


class RecoveryTrack:
    """One connection's recovery work; see the module docstring."""

    def __init__(
        self, script: Script, sessions: LiveSessions, *, drift: list[DriftItem], notes: list[str]
    ) -> None:
        self.script = script
        self.sessions = sessions
        self.drift = drift
        self.notes = notes
        self.recoveries: list[Recovered] = []
        steps = script.steps
        with_pid = {namespace(s.packet) for s in steps if s.dir == Direction.S2C and _pid(s)}
        # Server events on a namespace given a pid carry an offset as their last argument.
        self._offsets = {
            s.index
            for s in steps
            if s.dir == Direction.S2C and namespace(s.packet) in with_pid and _offset(s.packet)
        }
        self._replies: dict[int, int] = {}  # server reply step -> recovering CONNECT step
        for s in steps:
            if s.dir == Direction.C2S and _pid(s):
                reply = next(
                    (
                        r.index
                        for r in steps[s.index + 1 :]
                        if r.dir == Direction.S2C
                        and _connect_data(r.packet) is not None
                        and namespace(r.packet) == namespace(s.packet)
                    ),
                    None,
                )
                if reply is not None:
                    self._replies[reply] = s.index
        # CONNECT step -> (live pid sent, the connection that had the pid: None if not played)
        self._sent: dict[int, tuple[str | None, str | None]] = {}

    def outgoing(self, step: Step, packet: Packet) -> Packet:
        """A recovering CONNECT with the live pid and offset; any other packet as it is."""
        data = _connect_data(packet)
        if data is None or step.dir != Direction.C2S or not isinstance(data.get("pid"), str):
            return packet
        assert isinstance(packet, SioPacket)
        new = dict(data)
        pid = self.sessions.live(data["pid"])
        self._sent[step.index] = (None, None) if pid is None else (pid[0], pid[1])
        for key, what in (("pid", "CONNECT reply"), ("offset", "event")):
            found = self.sessions.live(data.get(key))
            if found is not None and found[0] is not None:
                new[key] = found[0]
            elif key in data:
                why = (
                    f"the {what} of seq {found[2]} came without one"
                    if found is not None
                    else f"its {what} did not come live"
                )
                self.notes.append(f"seq {step.seq}: no live {key} ({why}): sent as recorded")
        return dataclasses.replace(packet, data=new)

    def expected(self, step: Step, live: Packet) -> Packet:
        """The recorded packet to compare ``live`` with; learns the live pid and offset."""
        recorded = step.packet
        if step.index in self._offsets:
            offset = _offset(live)
            assert isinstance(recorded, SioPacket)
            assert isinstance(live, SioPacket)
            if offset is not None and len(live.data) == len(recorded.data):
                self.sessions.learn(_offset(recorded), offset, self.script.conn, step.seq)
                return dataclasses.replace(recorded, data=[*recorded.data[:-1], offset])
            self.sessions.learn(_offset(recorded), None, self.script.conn, step.seq)
            return recorded
        data, live_data = _connect_data(recorded), _connect_data(live)
        if data is not None and step.dir == Direction.S2C:
            live_pid = (live_data or {}).get("pid")
            self.sessions.learn(data.get("pid"), live_pid, self.script.conn, step.seq)
            if step.index in self._replies:
                self._judge(step, live, live_pid)
        return recorded

    def _judge(self, reply: Step, live: Packet, live_pid: Any) -> None:
        connect = self.script.steps[self._replies[reply.index]]
        sent_pid, of = self._sent.get(connect.index, (None, None))
        recorded_data = _connect_data(reply.packet) or {}
        connect_data = _connect_data(connect.packet) or {}
        was = recorded_data.get("pid") == connect_data.get("pid")
        now = sent_pid is not None and live_pid == sent_pid
        outcome = Recovered(
            seq=connect.seq, of=of, recorded=was, live=now, sent_pid=sent_pid, reply_pid=live_pid
        )
        if was and now:
            self.recoveries.append(outcome)
        elif was or now:
            self.drift.append(
                DriftItem(
                    kind="recovery",
                    namespace=namespace(reply.packet),
                    event="connect",
                    seq=reply.seq,
                    t=reply.t,
                    recorded=wire_text(reply.packet),
                    live=wire_text(live),
                    note=outcome.text(),
                )
            )
