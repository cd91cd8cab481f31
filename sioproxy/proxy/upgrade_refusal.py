"""``refuse_upgrade``: the handshakes a refused connection gets, without ``websocket``.

Layer: pure. Used by ``sioproxy.proxy.live_rewrite``; never twisted. A rule
that refuses the WebSocket upgrade takes ``websocket`` out of what the server
offers: the transports of a 0.9 handshake body (docs/protocol.md#a2, also
inside a JSONP wrapper) and the ``upgrades`` of an Engine.IO OPEN packet
(B.3, B.8). Anything that does not decode is left as it was. Whether a
connection is refused is the pipeline's ``allow_upgrade``.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterable
from typing import Any

from sioproxy.codec import legacy_framing
from sioproxy.codec.engineio import EioPacket, EioType
from sioproxy.codec.handshake import decode_open, encode_open
from sioproxy.errors import DecodeError
from sioproxy.pipeline import Pipeline
from sioproxy.proxy.pending import Pending
from sioproxy.session import PacketSeen
from sioproxy.session.connection import Connection
from sioproxy.session.routes import Route, RouteKind
from sioproxy.types import Fate

__all__ = [
    "legacy_handshake",
    "legacy_handshake_without_ws",
    "open_without_ws",
    "refused_legacy_handshake",
    "refused_open",
]

_WS = "websocket"


def legacy_handshake(route: Route, body: bytes) -> legacy_framing.LegacyHandshake | None:
    """The 0.9 handshake in a response body (JSONP-wrapped or not), or None."""
    try:
        text = body.decode("utf-8")
        inner = text
        if route.jsonp_index is not None:
            inner = legacy_framing.decode_jsonp_response(text)[1]
        return legacy_framing.decode_handshake(inner)
    except (UnicodeDecodeError, DecodeError):
        return None


def legacy_handshake_without_ws(route: Route, handshake: legacy_framing.LegacyHandshake) -> bytes:
    """The response body again, with ``websocket`` left out of the transports."""
    kept = tuple(t for t in handshake.transports if t != _WS)
    new = legacy_framing.encode_handshake(dataclasses.replace(handshake, transports=kept))
    if route.jsonp_index is not None:
        new = legacy_framing.encode_jsonp_response(route.jsonp_index, new)
    return new.encode("utf-8")


def open_without_ws(data: Any) -> EioPacket | None:
    """The OPEN packet with ``websocket`` left out of its upgrades; None when it offers none."""
    if not isinstance(data, str):
        return None
    try:
        info = decode_open(data)
    except DecodeError:
        return None
    if _WS not in info.upgrades:
        return None
    kept = tuple(u for u in info.upgrades if u != _WS)
    return EioPacket(
        type=EioType.OPEN, data=encode_open(dataclasses.replace(info, upgrades=kept, raw=None))
    )


def refused_legacy_handshake(
    route: Route,
    body: bytes,
    connections: Iterable[Connection],
    pipeline: Pipeline,
    note: Callable[[str], None],
) -> bytes | None:
    """A 0.9 handshake body without ``websocket`` when its connection is refused, else None."""
    if route.kind is not RouteKind.LEGACY_HANDSHAKE:
        return None
    handshake = legacy_handshake(route, body)
    if handshake is None:
        return None
    label = next((c.label for c in reversed(list(connections)) if c.sid == handshake.sid), None)
    if "websocket" not in handshake.transports or pipeline.allow_upgrade(label):
        return None
    note(f"[{label}] websocket left out of the handshake (refuse_upgrade)")
    return legacy_handshake_without_ws(route, handshake)


def refused_open(ev: PacketSeen, pipeline: Pipeline) -> Pending | None:
    """What a refused connection gets for its Engine.IO OPEN packet ``ev``, else None."""
    refuse = pipeline.rules.upgrade_rules and not pipeline.allow_upgrade(ev.conn)
    packet = open_without_ws(ev.eio.data) if refuse and ev.eio is not None else None
    if packet is None:
        return None
    return Pending(packet, ev, "websocket upgrade refused by rule", ev, fate=Fate.REWRITTEN)
