"""Polling bodies of one connection: unwrapping and decoding them.

Layer: pure (session); split out of ``tracker``, which calls these for every
HTTP request and response body it sees: ``body_packets`` for a session's
body, ``handshake_in`` for a 0.9 handshake response.
"""

from __future__ import annotations

from sioproxy.codec import legacy_framing, payload
from sioproxy.codec.limits import MAX_PACKETS_PER_BODY
from sioproxy.errors import DecodeError
from sioproxy.session.connection import Connection
from sioproxy.session.events import PacketSeen, RequestSummary
from sioproxy.session.routes import Route
from sioproxy.types import Direction, Generation, TransportName

_LEGACY = Generation.LEGACY


def body_packets(
    conn: Connection, route: Route, direction: Direction, body: bytes, post: bool
) -> list[PacketSeen]:
    """The packets of a polling body of ``conn`` (a POST's when ``post``)."""
    transport = route.transport.value if route.transport else "polling"
    if conn.generation is Generation.LEGACY:
        text = body.decode("utf-8", "replace")
        if route.transport is TransportName.JSONP_POLLING:
            text = unwrap_legacy_jsonp(text, post)
        if not text:
            return []
        return conn.legacy_body(direction, text, transport)
    return eio_body(conn, route, direction, body, post=post)


def handshake_in(route: Route, body: bytes) -> tuple[legacy_framing.LegacyHandshake, str] | None:
    """A 0.9 handshake response body's handshake and text (JSONP unwrapped), or None."""
    text = body.decode("utf-8", "replace")
    try:
        if route.jsonp_index is not None:
            text = legacy_framing.decode_jsonp_response(text)[1]
        return legacy_framing.decode_handshake(text), text
    except DecodeError:
        return None


def unwrap_legacy_jsonp(text: str, post: bool) -> str:
    try:
        if post:
            return legacy_framing.decode_jsonp_post(text)
        return legacy_framing.decode_jsonp_response(text)[1]
    except DecodeError:
        return text


def eio_body(
    conn: Connection, route: Route, direction: Direction, body: bytes, *, post: bool
) -> list[PacketSeen]:
    version = conn.eio_version
    try:
        if route.jsonp_index is not None:
            text = (
                payload.decode_jsonp_post(body) if post else payload.decode_jsonp_response(body)[1]
            )
            body = text.encode("utf-8")
        packets = payload.decode_payload(body, version, limit=MAX_PACKETS_PER_BODY)
    except DecodeError as exc:
        raw: str | bytes = body
        if body.isascii():
            raw = body.decode("ascii")
        return [conn._undecoded(direction, "polling", raw, exc)]
    return conn.eio_packets(direction, packets, "polling")


def not_handshaken(route: Route, body: bytes) -> bool:
    """node 0.9 answers a request for an unknown sid with 200 and ``7:::1+0``
    (error "client not handshaken", docs/protocol.md#a8), gevent with a 400."""
    return route.generation is _LEGACY and b"7:::1" in body[:64]


def conn_request(conn: Connection, request: RequestSummary) -> RequestSummary:
    """A 0.9 connection is opened with its handshake request, which came first."""
    return conn.handshake_request if conn.handshake_request is not None else request
