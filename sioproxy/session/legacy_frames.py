"""Socket.IO 0.9 bodies and WebSocket frames of one connection to ``PacketSeen`` events.

Layer: pure (session); split out of ``connection``, whose ``legacy_body`` and
``legacy_text`` call these. A 0.9 polling body or WebSocket frame is one bare
packet or a U+FFFD-framed payload of several (docs/protocol.md#a5); each packet
is decoded, stamped with the connection's clock and its ack id linked through
the connection's ``AckTable`` (A.10). What does not decode, or is longer than
the connection's decode limit, is recorded raw. ``DecodingConn`` is what
these take of a ``Connection`` (a protocol, so that this module need not
import ``connection``: no import cycle).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Protocol

from sioproxy.codec import legacy, legacy_framing
from sioproxy.codec.limits import MAX_PACKETS_PER_BODY
from sioproxy.errors import DecodeError
from sioproxy.session.acks import AckTable
from sioproxy.session.events import PacketSeen, build_packet_seen
from sioproxy.types import Direction, Generation


class DecodingConn(Protocol):
    """The part of ``session.connection.Connection`` these functions use."""

    label: str
    generation: Generation
    _stamp: Callable[[], tuple[int, float]]
    _acks: AckTable
    _max_decode: int

    def _undecoded(
        self, direction: Direction, transport: str, raw: str | bytes, error: DecodeError
    ) -> PacketSeen: ...

    def _too_long(
        self, direction: Direction, transport: str, raw: str, protocol: str
    ) -> PacketSeen: ...


def body_events(
    conn: DecodingConn, direction: Direction, text: str, transport: str
) -> list[PacketSeen]:
    """A 0.9 polling body or WebSocket frame: one bare packet or a framed payload."""
    try:
        frames = legacy_framing.split_payload(text, MAX_PACKETS_PER_BODY)
    except DecodeError as exc:
        return [conn._undecoded(direction, transport, text, exc)]
    return [frame_event(conn, direction, frame, transport) for frame in frames]


def text_event(conn: DecodingConn, direction: Direction, payload: bytes) -> PacketSeen | None:
    """A WebSocket frame of one packet that does not end the session, or None
    with nothing consumed (the caller takes ``body_events``)."""
    try:
        text = payload.decode("utf-8")
    except UnicodeDecodeError:
        return None
    if text.startswith((legacy_framing.FRAME_MARK, "0")):
        return None  # framed, or a disconnect (it may end the session, A.9): nothing taken
    return frame_event(conn, direction, text, "websocket")


def frame_event(conn: DecodingConn, direction: Direction, frame: str, transport: str) -> PacketSeen:
    """The event of one 0.9 packet ``frame``."""
    if len(frame) > conn._max_decode:
        return conn._too_long(direction, transport, frame, legacy.PROTOCOL)
    try:
        packet = legacy.decode_packet(frame)
    except DecodeError as exc:
        return conn._undecoded(direction, transport, frame, exc)
    seq, t = conn._stamp()
    event: PacketSeen = build_packet_seen(
        seq=seq,
        conn=conn.label,
        t=t,
        direction=direction,
        transport=transport,
        generation=conn.generation,
        raw=frame,
        legacy=packet,
        ack_of=conn._acks.track_legacy(direction, packet, seq),
    )
    return event
