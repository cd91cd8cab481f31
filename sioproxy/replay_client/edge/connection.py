"""One live connection of the client replay: a client session, its replayer, sockets, timers.

Layer: transport (imports twisted and autobahn). It carries out the effects of
the sans-IO client session (``sioproxy.replay_client``): HTTP requests through
the shared ``twisted.web.client.Agent``, WebSockets through autobahn's client,
timers through ``reactor.callLater``; and it feeds the replayer the live
server's packets and the reactor's time. Nothing here decides what to send or
what counts as drift.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from autobahn.twisted import websocket as _autobahn
from twisted.internet import defer
from twisted.internet.endpoints import HostnameEndpoint, wrapClientTLS
from twisted.internet.error import ConnectError, DNSLookupError
from twisted.internet.ssl import optionsForClientTLS
from twisted.web.client import readBody
from twisted.web.http_headers import Headers

from sioproxy.codec.legacy import LegacyPacket
from sioproxy.codec.socketio import SioPacket
from sioproxy.net.clients import BytesProducer, LowercaseUpgradeClient
from sioproxy.net.upstream import Upstream
from sioproxy.replay_client.actions import Finish, SendPacket
from sioproxy.replay_client.drift import ConnectionResult
from sioproxy.replay_client.effects import (
    Arm,
    ClientEffect,
    Closed,
    Connected,
    Disarm,
    HttpCall,
    Received,
    Upgraded,
    WsConnect,
    WsDisconnect,
)
from sioproxy.replay_client.legacy_client import LegacyClientSession
from sioproxy.replay_client.plan import ClientSession, ConnectionPlan
from sioproxy.replay_client.replayer import ClientReplayer
from sioproxy.session.effects import WsSend

__all__ = ["ClientConnection"]

# autobahn is only partly annotated (see ws_relay).
_ClientFactory: Any = _autobahn.WebSocketClientFactory


class _WsProtocol(LowercaseUpgradeClient):
    owner: ClientConnection | None = None

    def onOpen(self) -> None:  # noqa: N802
        if self.owner is not None:
            self.owner.ws_opened(self)

    def onMessage(self, payload: bytes, isBinary: bool) -> None:  # noqa: N802, N803
        if self.owner is not None:
            data: str | bytes = payload if isBinary else payload.decode("utf-8", "replace")
            self.owner.ws_event(lambda s: s.ws_message(data))

    def onClose(self, wasClean: bool, code: int | None, reason: str | None) -> None:  # noqa: N802, N803
        if self.owner is not None:
            self.owner.ws_closed(self, f"code {code} {reason or ''}".strip())


class ClientConnection:
    """One live connection: a client session, its replayer, sockets and timers."""

    def __init__(
        self,
        reactor: Any,
        target: Upstream,
        plan: ConnectionPlan,
        replayer: ClientReplayer,
        agent: Any,
        connect_timeout: float,
        on_progress: Callable[[], None] | None = None,
    ) -> None:
        self.reactor = reactor
        self.target = target
        self.plan = plan
        self.replayer = replayer
        self.session: ClientSession = plan.session()
        self._agent = agent
        self._connect_timeout = connect_timeout
        self._timers: dict[str, Any] = {}
        self._ws: Any = None
        self._pumping = False
        self._on_progress = on_progress
        self.started = False
        self.connected = False
        # A TCP connect failed (refused, no route, DNS): nothing listens at the target.
        self.unreachable = False
        self.done: defer.Deferred[ConnectionResult] = defer.Deferred()

    def start(self) -> defer.Deferred[ConnectionResult]:
        self.started = True
        self._arm("_connect", self._connect_timeout)
        self.session.start()
        self._pump()
        return self.done

    # -- effects ---------------------------------------------------------------------

    def _pump(self) -> None:
        if self._pumping:
            return  # the outer loop takes the new effects
        self._pumping = True
        try:
            while effects := self.session.take_effects():
                for effect in effects:
                    self._apply(effect)
        finally:
            self._pumping = False

    def _apply(self, effect: ClientEffect) -> None:
        if isinstance(effect, HttpCall):
            self._http(effect)
        elif isinstance(effect, WsConnect):
            self._ws_connect(effect)
        elif isinstance(effect, WsSend):
            if self._ws is not None:
                is_binary = isinstance(effect.data, bytes)
                data = effect.data if isinstance(effect.data, bytes) else effect.data.encode()
                self._ws.sendMessage(data, isBinary=is_binary)
        elif isinstance(effect, WsDisconnect):
            if self._ws is not None:
                self._ws.sendClose()
        elif isinstance(effect, Arm):
            self._arm(effect.name, effect.delay)
        elif isinstance(effect, Disarm):
            self._disarm(effect.name)
        elif isinstance(effect, Connected):
            self.connected = True
            self._disarm("_connect")
            self._act(self.replayer.start(self.reactor.seconds()))
        elif isinstance(effect, Received):
            self._act(self.replayer.on_packet(effect.packet, self.reactor.seconds()))
        elif isinstance(effect, Closed):
            self._finish(effect.reason)
        elif isinstance(effect, Upgraded):
            pass  # the session switched transport; nothing to do here

    def _act(self, actions: list[SendPacket | Finish]) -> None:
        for action in actions:
            if isinstance(action, SendPacket):
                self._send(action.packet)
            else:
                self.session.close()
        self._disarm("_replay")
        wakeup = self.replayer.next_wakeup()
        if wakeup is not None and self.session.ended is None:
            self._arm("_replay", max(0.0, wakeup - self.reactor.seconds()))
        if self._on_progress is not None:
            self._on_progress()

    def poke(self) -> None:
        """Another connection played on: this one's next packet may go now."""
        if self.connected and self.replayer.finished is None:
            self._act(self.replayer.on_timer(self.reactor.seconds()))
            self._pump()

    def _send(self, packet: SioPacket | LegacyPacket) -> None:
        session = self.session
        if isinstance(session, LegacyClientSession):
            assert isinstance(packet, LegacyPacket)
            session.send(packet)
        else:
            assert isinstance(packet, SioPacket)
            session.send(packet)

    def _finish(self, reason: str) -> None:
        for name in list(self._timers):
            self._disarm(name)
        self.replayer.on_closed(reason, self.reactor.seconds())
        if self._ws is not None and self._ws.state != LowercaseUpgradeClient.STATE_CLOSED:
            self._ws.sendClose()
        if not self.done.called:
            result = self.replayer.result(self.session.transport, reason)
            self.done.callback(result)
        if self._on_progress is not None:
            self._on_progress()

    # -- timers -------------------------------------------------------------------------

    def _arm(self, name: str, delay: float) -> None:
        self._disarm(name)
        self._timers[name] = self.reactor.callLater(delay, self._fired, name)

    def _disarm(self, name: str) -> None:
        call = self._timers.pop(name, None)
        if call is not None and call.active():
            call.cancel()

    def _fired(self, name: str) -> None:
        self._timers.pop(name, None)
        if name == "_replay":
            self._act(self.replayer.on_timer(self.reactor.seconds()))
        elif name == "_connect":
            self.session.abort(f"not connected within {self._connect_timeout:g} s")
        else:
            self.session.timer_fired(name)
        self._pump()

    # -- HTTP -------------------------------------------------------------------------

    def _http(self, call: HttpCall) -> None:
        url = self.target.http_url(call.path, call.query).encode("utf-8")
        headers = Headers()
        producer = None
        if call.method == "POST":
            headers.addRawHeader(b"content-type", (call.content_type or "text/plain").encode())
            producer = BytesProducer(call.body)
        d = self._agent.request(call.method.encode(), url, headers, producer)
        d.addCallback(self._got_response, call.call_id)
        d.addErrback(self._http_error, call.call_id)

    def _got_response(self, response: Any, call_id: int) -> Any:
        types = response.headers.getRawHeaders(b"content-type") or [b""]
        content_type = types[0].decode("latin-1") or None
        body: defer.Deferred[bytes] = readBody(response)

        def deliver(data: bytes) -> None:
            self.session.http_response(call_id, response.code, content_type, data)
            self._pump()

        body.addCallback(deliver)
        return body

    def _http_error(self, failure: Any, call_id: int) -> None:
        self._note_unreachable(failure)
        self.session.http_failed(call_id, failure.getErrorMessage())
        self._pump()

    # -- WebSocket ------------------------------------------------------------------------

    def _ws_connect(self, effect: WsConnect) -> None:
        factory = _ClientFactory(
            url=self.target.ws_url(effect.path, effect.query), reactor=self.reactor
        )
        factory.protocol = _WsProtocol
        endpoint: Any = HostnameEndpoint(self.reactor, self.target.host, self.target.port)
        if self.target.secure:
            endpoint = wrapClientTLS(optionsForClientTLS(self.target.host), endpoint)
        d = endpoint.connect(factory)
        d.addCallback(self._ws_tcp)
        d.addErrback(self._ws_connect_failed)

    def _ws_connect_failed(self, failure: Any) -> None:
        self._note_unreachable(failure)
        self.ws_event(lambda s: s.ws_closed(failure.getErrorMessage()))

    def _note_unreachable(self, failure: Any) -> None:
        if not self.connected and failure.check(ConnectError, DNSLookupError):
            self.unreachable = True

    def _ws_tcp(self, proto: Any) -> None:
        proto.owner = self

    def ws_opened(self, proto: Any) -> None:
        self._ws = proto
        self.ws_event(lambda s: s.ws_opened())

    def ws_closed(self, proto: Any, reason: str) -> None:
        if proto is self._ws or self._ws is None:
            self._ws = None
            self.ws_event(lambda s: s.ws_closed(reason))

    def ws_event(self, call: Callable[[ClientSession], None]) -> None:
        call(self.session)
        self._pump()
