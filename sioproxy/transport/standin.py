"""The stand-in Socket.IO server: live sessions on real sockets, for replay.

Layer: transport (imports twisted/autobahn). Routes HTTP requests and
WebSocket connections under ``config.resource_path`` to the pure sessions of
``sioproxy.serverside`` (Engine.IO 3/4 or 0.9, per ``config.generation``),
carries out their effects (answer a held poll, send or close a WebSocket,
forget a session) and runs their timers with ``reactor.callLater``. Session
ids are fresh ``secrets.token_urlsafe(15)`` values (20 URL-safe characters,
no ``:``), never taken from a recording.

The application behind each connection (the replay engine, or a test echo
app) comes from the ``AppFactory``; see ``sioproxy.serverside.app``.
"""

from __future__ import annotations

import itertools
import secrets
from dataclasses import dataclass
from typing import Any, Protocol

from autobahn.twisted import websocket as _autobahn
from autobahn.websocket.protocol import WebSocketProtocol
from autobahn.websocket.types import ConnectionDeny as _ConnectionDeny
from twisted.internet.interfaces import IListeningPort
from twisted.logger import Logger
from twisted.python.failure import Failure
from twisted.web.resource import Resource
from twisted.web.server import NOT_DONE_YET, Site

from sioproxy.serverside.app import (
    AppFactory,
    Effect,
    Ended,
    HttpResponse,
    ReplyPoll,
    SessionBase,
    StandInConfig,
    WsClose,
    WsSend,
    json_error,
)
from sioproxy.serverside.eio_session import EioSession, PollMode
from sioproxy.serverside.legacy_session import (
    LEGACY_TRANSPORTS,
    UNKNOWN_SID_FRAME,
    WS_TRANSPORTS,
    LegacySession,
    handshake_response,
    unknown_sid_response,
)
from sioproxy.transport.endpoints import listen_endpoint
from sioproxy.transport.standin_ws import StandInWebSocket
from sioproxy.transport.takeover import hand_over
from sioproxy.types import Generation

__all__ = ["StandInServer", "StandInSite", "build_standin_site", "listen_standin"]

log = Logger()

ServerProtocol: Any = _autobahn.WebSocketServerProtocol
ServerFactory: Any = _autobahn.WebSocketServerFactory
ConnectionDeny: Any = _ConnectionDeny
# twisted.web's Request is unannotated; like http_relay, treat it as Any.
Request = Any
_OPEN = WebSocketProtocol.STATE_OPEN


def new_sid() -> str:
    """20 URL-safe characters from ``secrets`` (node's base64id shape, A.2/B.3)."""
    return secrets.token_urlsafe(15)


class WsPeer(Protocol):
    """An open client WebSocket as the sessions' effects use it.

    During the opening handshake this is the autobahn protocol; once open,
    the lean ``StandInWebSocket`` that took its connection over.
    """

    @property
    def open(self) -> bool: ...

    def send_text(self, text: str) -> None: ...

    def send_bytes(self, data: bytes) -> None: ...

    def close(self, code: int = 1000, reason: str = "") -> None: ...


@dataclass(frozen=True, slots=True, kw_only=True)
class WsRoute:
    """Where a WebSocket connection goes, decided from its HTTP request."""

    sid: str | None  # None: a new Engine.IO session opened over WebSocket
    transport: str = "websocket"
    b64: bool = False


class StandInServer:
    """The sessions of one stand-in site, their held polls, WebSockets and timers."""

    def __init__(self, reactor: Any, config: StandInConfig, app_factory: AppFactory) -> None:
        self.reactor = reactor
        self.config = config
        self.app_factory = app_factory
        self.sessions: dict[str, SessionBase] = {}
        self._polls: dict[int, tuple[str, Request]] = {}
        self._ws: dict[str, WsPeer] = {}
        self._timers: dict[str, tuple[float, Any]] = {}
        self._draining: set[str] = set()
        self._again: set[str] = set()
        self._next_poll = itertools.count(1).__next__
        self._labels = itertools.count(1)

    # -- sessions ---------------------------------------------------------------

    def new_eio_session(self, transport: str, b64: bool = False) -> EioSession:
        sid = new_sid()
        session = EioSession(
            sid=sid,
            label=f"c{next(self._labels)}",
            config=self.config,
            app_factory=self.app_factory,
            clock=self.reactor.seconds,
            transport=transport,
            b64=b64,
        )
        self._register(session)
        return session

    def new_legacy_session(self) -> LegacySession:
        session = LegacySession(
            sid=new_sid(),
            label=f"c{next(self._labels)}",
            config=self.config,
            app_factory=self.app_factory,
            clock=self.reactor.seconds,
        )
        self._register(session)
        session.start()
        self.drain(session)
        return session

    def _register(self, session: SessionBase) -> None:
        self.sessions[session.sid] = session
        session.wake = lambda: self.drain(session)

    def poll(self, session: SessionBase, request: Request, *args: Any) -> HttpResponse | None:
        """A polling GET; remembered under a fresh poll id while the session holds it."""
        poll_id = self._next_poll()
        self._polls[poll_id] = (session.sid, request)
        if isinstance(session, (EioSession, LegacySession)):
            response = session.poll(poll_id, *args)
        else:
            raise TypeError(f"not a stand-in session: {session!r}")
        if response is not None:
            del self._polls[poll_id]
        else:
            request.notifyFinish().addErrback(self._poll_gone, session, poll_id)
        return response

    def _poll_gone(self, _: Failure, session: SessionBase, poll_id: int) -> None:
        if self._polls.pop(poll_id, None) is not None and session.ended is None:
            if isinstance(session, EioSession | LegacySession):
                session.poll_aborted(poll_id)
            self.drain(session)

    def attach_ws(self, sid: str, proto: WsPeer) -> None:
        self._ws[sid] = proto

    def ws_is(self, sid: str, proto: WsPeer) -> bool:
        return self._ws.get(sid) is proto

    def forget_ws(self, sid: str, proto: WsPeer) -> None:
        if self._ws.get(sid) is proto:
            del self._ws[sid]

    # -- effects and timers -------------------------------------------------------

    def drain(self, session: SessionBase) -> None:
        """Carry out the session's effects, then re-arm its timer. Re-entrant safe."""
        sid = session.sid
        if sid in self._draining:
            self._again.add(sid)
            return
        self._draining.add(sid)
        try:
            while True:
                self._again.discard(sid)
                for effect in session.take_effects():
                    self._apply(sid, effect)
                if sid not in self._again:
                    break
        finally:
            self._draining.discard(sid)
        self._schedule(session)

    def _apply(self, sid: str, effect: Effect) -> None:
        if isinstance(effect, ReplyPoll):
            held = self._polls.pop(effect.poll_id, None)
            if held is None or not write_response(held[1], effect.response):
                log.warn("stand-in {sid}: a poll response was lost (client gone)", sid=sid)
        elif isinstance(effect, WsSend):
            proto = self._ws.get(sid)
            if proto is not None and proto.open:
                data = effect.data
                if isinstance(data, str):
                    proto.send_text(data)
                else:
                    proto.send_bytes(data)
        elif isinstance(effect, WsClose):
            proto = self._ws.pop(sid, None)
            if proto is not None:
                proto.close(effect.code)
        elif isinstance(effect, Ended):
            self._ended(sid)

    def _ended(self, sid: str) -> None:
        session = self.sessions.pop(sid, None)
        timer = self._timers.pop(sid, None)
        if timer is not None and timer[1].active():
            timer[1].cancel()
        proto = self._ws.pop(sid, None)
        if proto is not None:
            proto.close(1000)
        for poll_id, (owner, request) in list(self._polls.items()):
            if owner == sid:
                del self._polls[poll_id]
                gone = (
                    unknown_sid_response(None)
                    if isinstance(session, LegacySession)
                    else json_error(1, "Session ID unknown")
                )
                write_response(request, gone)

    def _schedule(self, session: SessionBase) -> None:
        sid = session.sid
        deadline = session.next_deadline()
        if session.ended is not None:
            deadline = None
        timer = self._timers.get(sid)
        if timer is not None:
            if timer[0] == deadline and timer[1].active():
                return  # most messages leave the heartbeat deadline as it was
            del self._timers[sid]
            if timer[1].active():
                timer[1].cancel()
        if deadline is None:
            return
        delay = max(0.0, deadline - self.reactor.seconds())
        self._timers[sid] = (deadline, self.reactor.callLater(delay, self._fire, session))

    def _fire(self, session: SessionBase) -> None:
        self._timers.pop(session.sid, None)
        session.on_timer()
        self.drain(session)

    def close_all(self) -> None:
        """Close every session (shutdown)."""
        for session in list(self.sessions.values()):
            session.close()
            self.drain(session)


def write_response(request: Request, response: HttpResponse) -> bool:
    """Write and finish a held request; False when its client already went away."""
    if getattr(request, "_disconnected", False) or request.finished:
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


def _digits(text: str | None) -> int | None:
    return int(text) if text and text.isascii() and text.isdigit() and len(text) < 16 else None


def is_websocket_upgrade(request: Request) -> bool:
    upgrade = request.getHeader(b"upgrade") or b""
    return request.method == b"GET" and b"websocket" in upgrade.lower()


class StandInResource(Resource):
    """The site's only resource: routes everything under the resource path."""

    isLeaf = True  # noqa: N815 - twisted.web's name

    def __init__(self, server: StandInServer, ws_factory: StandInWsFactory) -> None:
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

    # -- Engine.IO (protocol.md B.1) ------------------------------------------

    def _eio(self, request: Request) -> int | bytes:
        server, config = self.standin, self.standin.config
        if _arg(request, "EIO") != str(config.generation.eio_version):
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
            return take_over(request, self.ws_factory, WsRoute(sid=sid, b64=b64))
        if sid is None:
            if request.method != b"GET":
                return respond(request, json_error(2, "Bad handshake method"))
            session = server.new_eio_session("polling")
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

    # -- 0.9 (protocol.md A.1-A.3, A.9) -----------------------------------------

    def _legacy(self, request: Request, rest: str) -> int | bytes:
        server, config = self.standin, self.standin.config
        parts = rest.strip("/").split("/")
        if parts == [""]:
            return respond(request, HttpResponse(body=b"Welcome to socket.io."))
        if parts[0] != "1":
            return respond(
                request, HttpResponse(status=500, body=b"Protocol version not supported.")
            )
        if len(parts) == 1:
            fresh = server.new_legacy_session()
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


# -- WebSocket ---------------------------------------------------------------------


class StandInWsProtocol(ServerProtocol):  # type: ignore[misc]
    """One client WebSocket: Engine.IO (new or upgrade probe) or 0.9 websocket transport.

    autobahn handles the opening handshake only: ``onOpen`` hands the
    connection to a ``StandInWebSocket`` (``peer``), which then calls
    ``onMessage``/``onClose`` of this object with the client's messages.
    """

    server: StandInServer
    route: WsRoute
    session: SessionBase | None = None
    _unknown = False
    peer: WsPeer

    def onConnect(self, request: Any) -> None:  # noqa: N802
        self.peer = self
        route, server = self.route, self.server
        if route.sid is None:
            return None  # a new Engine.IO session, opened in onOpen
        found = server.sessions.get(route.sid)
        if isinstance(found, EioSession):
            if not found.ws_attach(b64=route.b64):
                raise ConnectionDeny(400, "Bad request")
            self._bind(found)
        elif isinstance(found, LegacySession):
            self.session = found  # attached in onOpen: 1:: goes out as the first frame
        elif server.config.generation is Generation.LEGACY:
            self._unknown = True  # node answers 7:::1+0 on the transport (A.8)
        else:
            raise ConnectionDeny(400, "Session ID unknown")
        return None

    def _bind(self, session: SessionBase) -> None:
        self.session = session
        self.server.attach_ws(session.sid, self.peer)

    # -- WsPeer, while autobahn still has the connection ----------------------

    @property
    def open(self) -> bool:
        return bool(self.state == _OPEN)

    def send_text(self, text: str) -> None:
        self.sendMessage(text.encode("utf-8"), isBinary=False)

    def send_bytes(self, data: bytes) -> None:
        self.sendMessage(data, isBinary=True)

    def close(self, code: int = 1000, reason: str = "") -> None:
        self.sendClose(code=code)

    # -- open: the lean WebSocket takes over ------------------------------------

    def onOpen(self) -> None:  # noqa: N802
        rest = StandInWebSocket.leftover(self)
        peer = StandInWebSocket.adopt(
            self,
            reactor=self.server.reactor,
            max_message=self.server.config.max_payload,
            on_message=self.onMessage,
            on_close=self._lean_closed,
        )
        self.peer = peer
        server, session = self.server, self.session
        if self._unknown:
            peer.send_text(UNKNOWN_SID_FRAME)
            peer.close(1000)
        elif session is None:
            new = server.new_eio_session("websocket", b64=self.route.b64)
            self._bind(new)
            new.start()
            server.drain(new)
        elif isinstance(session, LegacySession):
            if not session.ws_attach(self.route.transport):
                self.session = None
                peer.close(1000)
            else:
                self._bind(session)
                server.drain(session)
        else:
            self._bind(session)  # the upgrade probe: the lean socket replaces this one
        peer.start(rest)

    def onMessage(self, payload: bytes, isBinary: bool) -> None:  # noqa: N802, N803
        session = self.session
        if session is None or not self.server.ws_is(session.sid, self.peer):
            return
        if isinstance(session, EioSession):
            session.ws_message(payload if isBinary else payload.decode("utf-8"))
        elif isinstance(session, LegacySession) and not isBinary:
            session.ws_message(payload.decode("utf-8"))
        self.server.drain(session)

    def _lean_closed(self, code: int | None, reason: str) -> None:
        self.onClose(False, code, reason)

    def onClose(self, wasClean: bool, code: int | None, reason: str | None) -> None:  # noqa: N802, N803
        session = self.session
        if session is None or not self.server.ws_is(session.sid, self.peer):
            return
        self.server.forget_ws(session.sid, self.peer)
        if isinstance(session, EioSession | LegacySession):
            session.ws_closed()
        self.server.drain(session)


class StandInWsFactory(ServerFactory):  # type: ignore[misc]
    protocol = StandInWsProtocol

    def __init__(self, reactor: Any, server: StandInServer) -> None:
        super().__init__(reactor=reactor, server=None)
        self.standin = server
        self.setProtocolOptions(
            maxFramePayloadSize=server.config.max_payload,
            maxMessagePayloadSize=server.config.max_payload,
            autoPingInterval=0,
            failByDrop=False,
            tcpNoDelay=True,
        )

    def build(self, addr: Any, route: WsRoute) -> StandInWsProtocol:
        proto: StandInWsProtocol = self.buildProtocol(addr)
        proto.server = self.standin
        proto.route = route
        return proto


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


# -- the site ----------------------------------------------------------------------


class StandInSite(Site):
    """A ``Site`` that exposes its ``StandInServer`` (sessions, for tests and shutdown)."""

    noisy = False
    server: StandInServer

    def log(self, request: Request) -> None:
        return None  # no access-log line per long poll


def build_standin_site(reactor: Any, config: StandInConfig, app_factory: AppFactory) -> StandInSite:
    """The stand-in server's ``Site``: every request under ``config.resource_path``."""
    server = StandInServer(reactor, config, app_factory)
    resource = StandInResource(server, StandInWsFactory(reactor, server))
    site = StandInSite(resource, reactor=reactor)  # type: ignore[no-untyped-call]
    site.server = server
    return site


async def listen_standin(
    reactor: Any, spec: str, config: StandInConfig, app_factory: AppFactory
) -> tuple[IListeningPort, StandInSite]:
    """Listen on ``spec`` (``HOST:PORT`` or an endpoint string, see ``listen_endpoint``)."""
    site = build_standin_site(reactor, config, app_factory)
    endpoint: Any = listen_endpoint(reactor, spec)
    port: IListeningPort = await endpoint.listen(site)
    return port, site
