"""Classify a client request: which protocol generation, transport and session.

Layer: pure (session). Rules from docs/protocol.md#a1 (0.9 URL layout: the
resource, the literal protocol segment ``1``, then ``<transport>/<sid>``) and
B.1 (Engine.IO query: ``EIO``, ``transport``, ``sid``, ``j``; any ``EIO`` other
than ``4`` means 3, node's rule).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum
from functools import lru_cache
from urllib.parse import unquote

from sioproxy.types import Generation, TransportName


class RouteKind(Enum):
    LEGACY_HANDSHAKE = "legacy-handshake"
    LEGACY_TRANSPORT = "legacy-transport"
    LEGACY_DISCONNECT = "legacy-disconnect"
    EIO = "eio"
    OTHER = "other"


@dataclass(frozen=True, slots=True, kw_only=True)
class Route:
    kind: RouteKind
    generation: Generation | None = None
    transport: TransportName | None = None
    sid: str | None = None
    jsonp_index: int | None = None
    forced_disconnect: bool = False

    @property
    def decodable(self) -> bool:
        """Whether the bodies of this request carry packets sioproxy decodes."""
        if self.kind is RouteKind.EIO:
            return True
        if self.kind is RouteKind.LEGACY_HANDSHAKE:
            return True
        return self.kind is RouteKind.LEGACY_TRANSPORT and self.transport in _DECODED_LEGACY


_DECODED_LEGACY = {
    TransportName.WEBSOCKET,
    TransportName.XHR_POLLING,
    TransportName.JSONP_POLLING,
}
_LEGACY_TRANSPORTS = {t.value: t for t in TransportName if t is not TransportName.POLLING}


def query_params(query: str) -> dict[str, str]:
    """``dict(parse_qsl(query, keep_blank_values=True))``, without its per-field cost
    for the plain fields of an Engine.IO query (no ``%``, no ``+``)."""
    params: dict[str, str] = {}
    for part in query.split("&"):
        if part:
            name, _, value = part.partition("=")
            if "%" in part or "+" in part:
                name, value = unquote(name.replace("+", " ")), unquote(value.replace("+", " "))
            params[name] = value
    return params


# A polling request is classified twice (the relay asks whether to decode it,
# then the tracker routes it); Routes are immutable, so the second is a hit.
@lru_cache(maxsize=64)
def classify(path: str, query: str, resource_path: str = "/socket.io") -> Route:
    """Route a request by its path (without query) and raw query string."""
    resource = resource_path.rstrip("/")
    if not (path == resource or path.startswith(resource + "/")):
        return Route(kind=RouteKind.OTHER)
    params = query_params(query)
    rest = path[len(resource) :]
    if rest.startswith("/1/"):
        return _classify_legacy(rest[len("/1/") :], params)
    if "EIO" in params:
        return _classify_eio(params)
    return Route(kind=RouteKind.OTHER)


def _classify_legacy(tail: str, params: dict[str, str]) -> Route:
    return _legacy_route(tail, "disconnect" in params, params.get("jsonp"), params.get("i"))


# A 0.9 client puts a fresh ``t=<time>`` on every request, so ``classify``'s cache
# misses on each; the route depends only on the path and these query fields.
@lru_cache(maxsize=64)
def _legacy_route(tail: str, forced: bool, jsonp: str | None, jsonp_index: str | None) -> Route:
    parts = tail.split("/")
    if tail == "" or (len(parts) == 1 and parts[0] == ""):
        index = _digits(jsonp)
        return Route(
            kind=RouteKind.LEGACY_HANDSHAKE, generation=Generation.LEGACY, jsonp_index=index
        )
    transport_name, sid = parts[0], parts[1] if len(parts) > 1 else ""
    if transport_name == "" and sid:
        # Client 0.9.16's synchronous disconnect: /socket.io/1//<sid>/?disconnect=1 (A.1).
        return Route(
            kind=RouteKind.LEGACY_DISCONNECT,
            generation=Generation.LEGACY,
            sid=sid,
            forced_disconnect=True,
        )
    transport = _LEGACY_TRANSPORTS.get(transport_name)
    if transport is None or not sid:
        return Route(kind=RouteKind.OTHER, generation=Generation.LEGACY)
    return Route(
        kind=RouteKind.LEGACY_TRANSPORT,
        generation=Generation.LEGACY,
        transport=transport,
        sid=sid,
        jsonp_index=_digits(jsonp_index) if transport is TransportName.JSONP_POLLING else None,
        forced_disconnect=forced,
    )


def _classify_eio(params: dict[str, str]) -> Route:
    generation = Generation.EIO4 if params.get("EIO") == "4" else Generation.EIO3
    name = params.get("transport", "")
    transport = TransportName.WEBSOCKET if name == "websocket" else TransportName.POLLING
    return Route(
        kind=RouteKind.EIO,
        generation=generation,
        transport=transport,
        sid=params.get("sid") or None,
        jsonp_index=_digits(params.get("j")),
    )


def _digits(value: str | None) -> int | None:
    """JSONP indices: servers keep only a value made of digits (A.3.3, B.6)."""
    if value is None:
        return None
    digits = "".join(ch for ch in value if ch.isdigit())
    return int(digits) if digits else None
