"""The stand-in server's HTTP side: request routing and response writing.

Layer: transport (imports twisted). ``StandInResource`` routes every request
under ``config.resource_path`` to the stand-in's sessions: Engine.IO 3/4
polling (docs/protocol.md#b1) or the 0.9 handshake and polling transports
(A.1-A.3, A.9); a WebSocket upgrade leaves twisted.web through ``take_over``.
The response helpers (``write_response``, ``prepare``, ``respond``) also
answer the polls ``StandInServer`` held.
"""

from __future__ import annotations

from typing import Any

from twisted.web.resource import Resource
from twisted.web.server import NOT_DONE_YET

from sioproxy.net.takeover import client_gone, hand_over, is_websocket_upgrade
from sioproxy.standin.edge.handshake import StandInWsFactory, WsRoute
from sioproxy.standin.edge.host import Request, SessionHost
from sioproxy.standin.sessions.app import HttpResponse, json_error, wrong_protocol_text
from sioproxy.standin.sessions.eio_session import EioSession, PollMode
from sioproxy.standin.sessions.legacy_session import (
    LEGACY_TRANSPORTS,
    WS_TRANSPORTS,
    LegacySession,
    handshake_response,
    unknown_sid_response,
)
from sioproxy.types import Generation


def write_response(request: Request, response: HttpResponse) -> bool:
    """Write and finish a held request; False when its client already went away."""
    if client_gone(request) or request.finished:
        return False
    body = prepare(request, response)
    request.setHeader(b"content-length", str(len(body)).encode("ascii"))
    request.write(body)
    request.finish()
    return True


def prepare(request: Request, response: HttpResponse) -> bytes:
    """Status and headers of ``response`` set on ``request``; returns the body."""
    request.setResponseCode(response.status)
    request.setHeader(b"content-type", response.content_type.encode("ascii"))
    for name, value in response.headers:
        request.setHeader(name.encode("ascii"), value.encode("ascii"))
    origin = request.getHeader(b"origin")
    if origin:
        # Browsers' cross-origin XHR polling (node 0.9 and engine.io with cors do this).
        request.setHeader(b"access-control-allow-origin", origin)
        request.setHeader(b"access-control-allow-credentials", b"true")
    return response.body


def _arg(request: Request, name: str) -> str | None:
    args: dict[bytes, list[bytes]] = request.args or {}
    values = args.get(name.encode("ascii"))
    return values[0].decode("utf-8", "replace") if values else None


def _query(request: Request) -> tuple[tuple[str, str], ...]:
    """The request's query parameters, first value of each, as text."""
    args: dict[bytes, list[bytes]] = request.args or {}
    return tuple(
        (k.decode("utf-8", "replace"), v[0].decode("utf-8", "replace"))
        for k, v in args.items()
        if v
    )


def _digits(text: str | None) -> int | None:
    return int(text) if text and text.isascii() and text.isdigit() and len(text) < 16 else None


class StandInResource(Resource):
    """The site's only resource: routes everything under the resource path."""

    isLeaf = True  # noqa: N815 - twisted.web's name

    def __init__(self, server: SessionHost, ws_factory: StandInWsFactory) -> None:
        super().__init__()  # type: ignore[no-untyped-call]
        self.standin = server
        self.ws_factory = ws_factory
        self.prefix = server.config.resource_path.rstrip("/")

    def render(self, request: Request) -> int | bytes:
        path = (request.path or b"/").decode("utf-8", "replace")
        if path != self.prefix and not path.startswith(self.prefix + "/"):
            return respond(request, HttpResponse(status=404, body=b"Not Found"))
        if request.method == b"OPTIONS":
            request.setHeader(b"access-control-allow-methods", b"GET, POST, OPTIONS")
            request.setHeader(b"access-control-allow-headers", b"content-type")
            return respond(request, HttpResponse(status=204))
        rest = path[len(self.prefix) :]
        if self.standin.config.generation is Generation.LEGACY:
            return self._legacy(request, rest)
        return self._eio(request)

    # -- Engine.IO (docs/protocol.md#b1) ------------------------------------------

    def _eio(self, request: Request) -> int | bytes:
        server, config = self.standin, self.standin.config
        eio = _arg(request, "EIO")
        if eio != str(config.generation.eio_version):
            answer = "400 Unsupported protocol version"
            server.wrong_protocol(wrong_protocol_text(config.generation, eio, answer))
            return respond(request, json_error(5, "Unsupported protocol version"))
        transport = _arg(request, "transport")
        if transport not in ("polling", "websocket") or not config.allows(transport):
            return respond(request, json_error(0, "Transport unknown"))
        sid = _arg(request, "sid")
        upgrade = is_websocket_upgrade(request)
        if (transport == "websocket") != upgrade:
            return respond(request, json_error(3, "Bad request"))
        b64 = _arg(request, "b64") in ("1", "true")
        if upgrade:
            route = WsRoute(sid=sid, b64=b64, query=_query(request))
            return take_over(request, self.ws_factory, route)
        if sid is None:
            if request.method != b"GET":
                return respond(request, json_error(2, "Bad handshake method"))
            session = server.new_eio_session("polling", query=_query(request))
            session.start()
        else:
            found = server.sessions.get(sid)
            if not isinstance(found, EioSession):
                return respond(request, json_error(1, "Session ID unknown"))
            session = found
        mode = PollMode(jsonp=_digits(_arg(request, "j")), b64=b64)
        if request.method == b"GET":
            result = server.poll(session, request, mode)
        elif request.method == b"POST":
            body = request.content.read() if request.content is not None else b""
            ctype = (request.getHeader(b"content-type") or b"").decode("latin-1")
            result = session.post(body, ctype, jsonp=mode.jsonp is not None)
        else:
            result = json_error(3, "Bad request")
        server.drain(session)
        return NOT_DONE_YET if result is None else respond(request, result)

    # -- 0.9 (docs/protocol.md#a1 to A.3, A.9) --------------------------------------

    def _legacy(self, request: Request, rest: str) -> int | bytes:
        server, config = self.standin, self.standin.config
        parts = rest.strip("/").split("/")
        eio = _arg(request, "EIO")
        if eio is not None and parts[0] != "1":  # node 0.9 answers as below; say why
            answer = "200 Welcome to socket.io." if parts == [""] else "500"
            server.wrong_protocol(wrong_protocol_text(config.generation, eio, answer))
        if parts == [""]:
            return respond(request, HttpResponse(body=b"Welcome to socket.io."))
        if parts[0] != "1":
            return respond(
                request, HttpResponse(status=500, body=b"Protocol version not supported.")
            )
        if len(parts) == 1:
            fresh = server.new_legacy_session(query=_query(request))
            return respond(request, handshake_response(fresh.sid, config, _jsonp(request)))
        return self._legacy_transport(request, parts[1], parts[2] if len(parts) > 2 else "")

    def _legacy_transport(self, request: Request, transport: str, sid: str) -> int | bytes:
        server, config = self.standin, self.standin.config
        found = server.sessions.get(sid)
        session = found if isinstance(found, LegacySession) else None
        if b"disconnect" in (request.args or {}):
            result = session.disconnect_request() if session else HttpResponse(body=b"")
            if session is not None:
                server.drain(session)
            return respond(request, result)
        if transport not in LEGACY_TRANSPORTS or not config.allows(transport):
            return respond(request, HttpResponse(status=400, body=b"transport not supported"))
        if transport in WS_TRANSPORTS:
            if not is_websocket_upgrade(request):
                return respond(request, HttpResponse(status=400, body=b"websocket expected"))
            return take_over(request, self.ws_factory, WsRoute(sid=sid, transport=transport))
        jsonp = (_digits(_arg(request, "i")) or 0) if transport == "jsonp-polling" else None
        if session is None:
            return respond(request, unknown_sid_response(jsonp))
        if request.method == b"POST":
            body = request.content.read() if request.content is not None else b""
            reply: HttpResponse | None = session.post(body, transport, jsonp=jsonp is not None)
        else:
            reply = server.poll(session, request, transport, jsonp)
        server.drain(session)
        return NOT_DONE_YET if reply is None else respond(request, reply)


def _jsonp(request: Request) -> int | None:
    return _digits(_arg(request, "jsonp"))


def respond(request: Request, response: HttpResponse) -> bytes:
    """An immediate response: twisted.web writes the returned body with its length."""
    return prepare(request, response)


def take_over(request: Request, factory: StandInWsFactory, route: WsRoute) -> int | bytes:
    """Hand the request's connection from twisted.web to a WebSocket protocol.

    twisted.web has parsed the request head; autobahn parses the handshake
    itself, so the head is replayed into the new protocol (as the proxy's
    site does).
    """
    transport: Any = request.channel.transport
    if transport is None:  # HTTP/2: no raw transport to take over
        return respond(request, HttpResponse(status=426, body=b"Upgrade Required"))
    proto = factory.build(transport.getPeer(), route)
    hand_over(request, transport, proto)
    return NOT_DONE_YET
