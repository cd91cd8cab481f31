"""The stand-in server's WebSocket opening handshake (autobahn glue).

Layer: transport (imports twisted/autobahn). autobahn validates the opening
handshake of a client WebSocket (Engine.IO, new or an upgrade probe, or the
0.9 websocket transports) and sends the 101; ``StandInWsProtocol.onOpen``
then binds the connection to its session and hands it to the lean
``StandInWebSocket`` (``sioproxy.standin.edge.ws``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from autobahn.twisted import websocket as _autobahn
from autobahn.websocket.protocol import WebSocketProtocol
from autobahn.websocket.types import ConnectionDeny as _ConnectionDeny

from sioproxy.net.takeover import take_leftover
from sioproxy.net.ws_options import QuietOptions
from sioproxy.standin.edge.host import SessionHost, WsPeer
from sioproxy.standin.edge.ws import StandInWebSocket
from sioproxy.standin.sessions.app import SessionBase
from sioproxy.standin.sessions.eio_session import EioSession
from sioproxy.standin.sessions.legacy_session import UNKNOWN_SID_FRAME, LegacySession
from sioproxy.types import Generation

ServerProtocol: Any = _autobahn.WebSocketServerProtocol
ServerFactory: Any = _autobahn.WebSocketServerFactory
ConnectionDeny: Any = _ConnectionDeny
_OPEN = WebSocketProtocol.STATE_OPEN


@dataclass(frozen=True, slots=True, kw_only=True)
class WsRoute:
    """Where a WebSocket connection goes, decided from its HTTP request."""

    sid: str | None  # None: a new Engine.IO session opened over WebSocket
    transport: str = "websocket"
    b64: bool = False
    query: tuple[tuple[str, str], ...] = ()  # of a new session: for --assign query:NAME


class StandInWsProtocol(QuietOptions, ServerProtocol):  # type: ignore[misc]
    """One client WebSocket: Engine.IO (new or upgrade probe) or 0.9 websocket transport.

    autobahn handles the opening handshake only: ``onOpen`` hands the
    connection to a ``StandInWebSocket`` (``peer``), which then calls
    ``onMessage``/``onClose`` of this object with the client's messages.
    """

    server: SessionHost
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
        rest = take_leftover(self)
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
            new = server.new_eio_session("websocket", b64=self.route.b64, query=self.route.query)
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

    def __init__(self, reactor: Any, server: SessionHost) -> None:
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
