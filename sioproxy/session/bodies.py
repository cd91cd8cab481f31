"""Polling bodies of one connection: unwrapping and decoding them.

Layer: pure (session); split out of ``tracker``, which calls these for every
HTTP request and response body it sees.
"""

from __future__ import annotations

from sioproxy.codec import legacy_framing, payload
from sioproxy.codec.limits import MAX_PACKETS_PER_BODY
from sioproxy.errors import DecodeError
from sioproxy.session.connection import Connection
from sioproxy.session.events import PacketSeen, RequestSummary
from sioproxy.session.routes import Route
from sioproxy.types import Direction, Generation

_LEGACY = Generation.LEGACY


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
