"""``ack_of`` for recordings made through rules: an ack names the entry of its request.

Layer: pure. Used by the live proxy's rewrite stage (``sioproxy.proxy.live_rewrite``);
imports the pipeline's packet views and the session events, never twisted.

The session tracker links an ack to the request it saw arrive (its ``seq``).
With rules, the entry the recording holds for that request may have another
``seq`` (a rewritten or delayed request is written when it is sent on), and a
request the proxy injected was never seen by the tracker at all. ``AckLinks``
remembers, per connection, under which ``seq`` each request was published,
and rewrites each ack's ``ack_of`` to it, or to None when there is none: an
``ack_of`` in a recording always names an earlier entry.
"""

from __future__ import annotations

import dataclasses

from sioproxy.codec.packets import Packet
from sioproxy.pipeline.actions import packet_namespace, request_id
from sioproxy.session import PacketSeen
from sioproxy.types import Direction

__all__ = ["AckLinks"]


class AckLinks:
    """Request seqs as published, per connection; forgotten when it closes."""

    __slots__ = ("_injected", "_requests")

    def __init__(self) -> None:
        # conn -> the tracker's seq of a request -> the seq it was published under
        self._requests: dict[str, dict[int, int]] = {}
        # (conn, namespace, request direction, wire id) of an injected request -> its seq
        self._injected: dict[tuple[str, str, Direction, int], int] = {}

    def link(self, event: PacketSeen, stands_for: int | None) -> PacketSeen:
        """``event`` about to be published: its ``ack_of`` mapped, its request remembered.

        ``stands_for`` is the tracker's seq of the received packet ``event`` is
        a form of (None for a packet the proxy made).
        """
        links = self._requests.get(event.conn)
        if links is None:
            links = self._requests[event.conn] = {}
        if event.ack_of is not None:
            mapped = links.pop(event.ack_of, None)
            if mapped != event.ack_of:
                event = dataclasses.replace(event, ack_of=mapped)
        if stands_for is not None and event.asks_ack:
            links[stands_for] = event.seq
        return event

    def injected(self, conn: str, direction: Direction, packet: Packet, seq: int) -> None:
        """A request the proxy injected was published as ``seq``."""
        wire = request_id(packet)
        if wire is not None:
            self._injected[(conn, packet_namespace(packet), direction, wire)] = seq

    def consumed(self, conn: str, direction: Direction, request: Packet) -> int | None:
        """The seq of the injected ``request`` (sent ``direction``) an answer is for."""
        wire = request_id(request)
        if wire is None:
            return None
        return self._injected.pop((conn, packet_namespace(request), direction, wire), None)

    def forget(self, conn: str) -> None:
        self._requests.pop(conn, None)
        for key in [k for k in self._injected if k[0] == conn]:
            del self._injected[key]
