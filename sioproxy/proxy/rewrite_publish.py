"""What the rewrite stage publishes: session events in increasing seq, with ack links.

Layer: pure. Used by ``sioproxy.proxy.live_rewrite``; never twisted. The log
and the recording see what went on the wire: a packet published after later
ones gets a fresh ``seq`` (the reader allows the gap), a rewritten or delayed
packet keeps the ``ack_of`` of the packet it stands for, and every ``ack_of``
names an entry of the recording (``AckLinks``).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Sequence

from sioproxy.codec.engineio import EioPacket
from sioproxy.pipeline import ConsumedAck
from sioproxy.proxy.ack_links import AckLinks
from sioproxy.proxy.pending import Pending
from sioproxy.proxy.rewrite import seen_for
from sioproxy.session import PacketSeen, SessionEvent, SessionTracker
from sioproxy.types import Direction, Fate, Generation

__all__ = ["Publish", "Publisher"]

_OWN = -1  # ``emit``: the event stands for the received packet of its own seq
Publish = Callable[[Sequence[SessionEvent]], None]


class Publisher:
    """Publishes the rewrite stage's events; remembers the last seq and the ack links."""

    def __init__(self, tracker: SessionTracker, publish: Publish) -> None:
        self._tracker = tracker
        self._publish = publish
        self._last_seq = 0
        self._links = AckLinks()  # so every ``ack_of`` names an entry of the recording

    def forget(self, conn: str) -> None:
        self._links.forget(conn)

    def emit(
        self, event: SessionEvent, *, stands_for: int | None = _OWN, link: bool = True
    ) -> None:
        """Publish with increasing seq (a packet published late gets a fresh one).

        ``stands_for``: the tracker's seq of the received packet this event is a
        form of (its own seq by default; None for a packet the proxy made).
        """
        own = event.seq
        if own <= self._last_seq:
            seq, t = self._tracker.stamp()
            event = dataclasses.replace(event, seq=seq, t=t)
        if link and isinstance(event, PacketSeen):
            event = self._links.link(event, own if stands_for == _OWN else stands_for)
        self._last_seq = event.seq
        self._publish([event])

    def sent(self, item: Pending, conn: str, direction: Direction) -> None:
        """A packet of the proxy's making (or a late form of a received one) went out."""
        state = self._tracker.connections.get(conn)
        transport = (state.transport if state is not None else None) or "polling"
        generation = state.generation if state is not None else Generation.EIO4
        follows = item.follows
        event = seen_for(
            item.packet,
            template=item.template,
            conn=conn,
            direction=direction,
            transport=transport,
            generation=generation,
            stamp=self._tracker.stamp,
            original=item.original,
            note=item.note,
            fate=item.fate,
            rule=item.rule,
            delay=item.delay,
            ack_of=follows.ack_of if follows is not None else None,
            parser=state.parser if state is not None else None,
        )
        self.emit(event, stands_for=follows.seq if follows is not None else None)
        packet = item.packet
        if item.fate is Fate.INJECTED and not isinstance(packet, EioPacket):
            self._links.injected(event.conn, direction, packet, self._last_seq)

    def consumed(self, ev: PacketSeen, action: ConsumedAck) -> None:
        """An answer to an injected request: not forwarded; ``ack_of`` names that request."""
        rule = f" (rule {action.rule!r})" if action.rule else ""
        text = f"consumed by the proxy: the answer to a request it injected{rule}"
        asked = self._links.consumed(ev.conn, ev.direction.reverse(), action.request)
        event = dataclasses.replace(
            ev, note=text, fate=Fate.DROPPED, rule=action.rule, ack_of=asked
        )
        self.emit(event, link=False)
