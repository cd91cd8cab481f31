"""One live connection of the client replay: a client session, its replayer, sockets, timers.

Layer: transport (imports twisted and autobahn). It supplies the primitives
with which ``sioproxy.replay_client.driver`` carries out the sans-IO client
session's effects: HTTP requests through the shared
``twisted.web.client.Agent``, WebSockets through autobahn's client, timers
through ``reactor.callLater``, the reactor's time. Nothing here decides what
to send or what counts as drift.
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

from sioproxy.net.clients import BytesProducer, LowercaseUpgradeClient
from sioproxy.net.upstream import Upstream
from sioproxy.replay_client.drift import ConnectionResult
from sioproxy.replay_client.driver import ConnectionDriver
from sioproxy.replay_client.effects import HttpCall, WsConnect
from sioproxy.replay_client.plan import ClientSession, ConnectionPlan
from sioproxy.replay_client.replayer import ClientReplayer

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


class ClientConnection(ConnectionDriver):
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
        super().__init__(plan, replayer, connect_timeout)
        self.reactor = reactor
        self.target = target
        self._agent = agent
        self._ws: Any = None
        self._on_progress = on_progress
        self.started = False
        # A TCP connect failed (refused, no route, DNS): nothing listens at the target.
        self.unreachable = False
        self.done: defer.Deferred[ConnectionResult] = defer.Deferred()

    def start(self) -> defer.Deferred[ConnectionResult]:
        self.started = True
        self._begin()
        return self.done

    def poke(self) -> None:
        """Another connection played on: this one's next packet may go now."""
        self._replay_on()

    # -- what the driver hears -----------------------------------------------------------

    def _on_acted(self) -> None:
        if self._on_progress is not None:
            self._on_progress()

    def _on_closed(self, reason: str) -> None:
        self.replayer.on_closed(reason, self.reactor.seconds())
        if self._ws is not None and self._ws.state != LowercaseUpgradeClient.STATE_CLOSED:
            self._ws.sendClose()
        if not self.done.called:
            result = self.replayer.result(self.session.transport, reason)
            self.done.callback(result)
        if self._on_progress is not None:
            self._on_progress()

    # -- timers -------------------------------------------------------------------------

    def _now(self) -> float:
        seconds: float = self.reactor.seconds()
        return seconds

    def _start_timer(self, delay: float, fire: Callable[[], None]) -> Any:
        return self.reactor.callLater(delay, fire)

    def _cancel_timer(self, handle: Any) -> None:
        if handle.active():
            handle.cancel()

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

    def _ws_send(self, data: str | bytes) -> None:
        if self._ws is not None:
            is_binary = isinstance(data, bytes)
            payload = data if isinstance(data, bytes) else data.encode()
            self._ws.sendMessage(payload, isBinary=is_binary)

    def _ws_close(self) -> None:
        if self._ws is not None:
            self._ws.sendClose()
