"""WebSocket relay: one client leg, one upstream leg, message by message.

Layer: transport (the only layer importing twisted/autobahn).

* The client's upgrade is accepted only once the upstream accepted ours:
  ``onConnect`` returns a Deferred fired by the upstream handshake, so the
  client gets the upstream's subprotocol, or its refusal status, and cannot
  send a frame before the other leg exists. Nothing is dropped while
  connecting (autobahn's own forwarder drops bytes there; this one does not).
* Messages are relayed whole, text as text and binary as binary, after
  ``RelayObserver.on_ws_message``. One Engine.IO packet per frame
  (docs/protocol.md#b7, A.3.1), so a message is the unit the observer sees. Pings
  and pongs stay per leg (docs/protocol.md#a3-1: they are not Socket.IO heartbeats).
* Backpressure: once both legs are open, each leg's transport is the streaming
  producer of the other's (as ``twisted.protocols.portforward`` does), so a
  full write buffer towards one peer stops reading from the other.
* Close: the first close (frame, proxy failure or TCP drop) is mirrored on the
  other leg with the same code and reason; the observer hears ``on_ws_close``
  once, after both legs are down.
"""

from __future__ import annotations

import string
from collections.abc import Callable, Sequence
from typing import Any

from autobahn.twisted import websocket as _autobahn
from autobahn.websocket.protocol import WebSocketProtocol
from autobahn.websocket.types import ConnectionDeny as _ConnectionDeny
from twisted.internet import defer
from twisted.internet.endpoints import wrapClientTLS
from twisted.logger import Logger
from twisted.python.failure import Failure
from twisted.web.iweb import IPolicyForHTTPS

from sioproxy.net.clients import LowercaseUpgradeClient
from sioproxy.net.endpoints import tcp_endpoint
from sioproxy.net.resolve import HostCache
from sioproxy.net.takeover import pending_write_bytes, take_leftover
from sioproxy.net.upstream import Upstream
from sioproxy.net.ws_options import QuietOptions
from sioproxy.proxy.edge.ws_splice import WsSplice
from sioproxy.proxy.observer import RelayObserver, RequestInfo
from sioproxy.types import Direction

log = Logger()

# autobahn is only partly annotated; its classes are used as Any so that
# mypy --strict checks our code rather than autobahn's signatures.
ServerProtocol: Any = _autobahn.WebSocketServerProtocol
ClientProtocol: Any = _autobahn.WebSocketClientProtocol
ServerFactory: Any = _autobahn.WebSocketServerFactory
ClientFactory: Any = _autobahn.WebSocketClientFactory
ConnectionDeny: Any = _ConnectionDeny

C2S = Direction.C2S
S2C = Direction.S2C
_CLOSED = WebSocketProtocol.STATE_CLOSED
# Client headers worth passing upstream on the handshake; Origin and
# User-Agent go through autobahn's own parameters, the rest is per hop.
_PASSED_HEADERS = ("cookie", "authorization", "accept-language")
_PRINTABLE = frozenset(string.printable) - frozenset("\r\n\t\x0b\x0c")


def handshake_headers(info: RequestInfo) -> dict[str, str]:
    """Headers for the upstream handshake: the client's that matter, plus X-Forwarded-*."""
    passed: dict[str, str] = {}
    for name in _PASSED_HEADERS:
        values = [v for k, v in info.headers if k.lower() == name]
        if values:
            passed[name.title()] = ("; " if name == "cookie" else ", ").join(values)
    client_host = info.client.rsplit(":", 1)[0].strip("[]")
    previous = info.header("x-forwarded-for")
    passed["X-Forwarded-For"] = f"{previous}, {client_host}" if previous else client_host
    passed["X-Forwarded-Proto"] = info.scheme
    host = info.header("host")
    if host is not None:
        passed["X-Forwarded-Host"] = host
    return passed


def status_line_reason(text: str) -> str:
    """A reason phrase safe for an HTTP status line (no CR/LF, ASCII, short)."""
    return "".join(c for c in text if c in _PRINTABLE)[:120] or "error"


class _RelayLeg:
    """What both legs report to the relay while the handshakes are under way.

    ``direction`` is the way traffic read on this leg travels. Mixed in before
    the autobahn protocol class. Once both legs are open, ``ws_splice`` takes
    their transports over and autobahn hears nothing more.
    """

    direction: Direction
    relay: WsRelay | None = None

    def onClose(self, wasClean: bool, code: int | None, reason: str | None) -> None:  # noqa: N802, N803
        if self.relay is not None:
            self.relay.leg_closed(self, reason)


class DownstreamProtocol(_RelayLeg, QuietOptions, ServerProtocol):  # type: ignore[misc]
    """The client's leg; the proxy is the WebSocket server here."""

    direction = C2S
    relay: WsRelay | None = None
    request_info: RequestInfo | None = None

    def onConnect(self, request: Any) -> defer.Deferred[tuple[str | None, dict[str, str]]]:  # noqa: N802
        factory: WsRelayFactory = self.factory
        if self.request_info is None:
            raise ConnectionDeny(500, "relay missing request info")
        self.relay = factory.new_relay(self, self.request_info)
        return self.relay.connect(list(request.protocols))

    def onOpen(self) -> None:  # noqa: N802
        if self.relay is not None:
            self.relay.downstream_open()


class UpstreamProtocol(_RelayLeg, LowercaseUpgradeClient):
    """The upstream leg; the proxy is the WebSocket client here."""

    direction = S2C
    relay: WsRelay | None = None
    subprotocol: str | None = None
    refusal: tuple[int, str] | None = None

    def onConnect(self, response: Any) -> None:  # noqa: N802
        self.subprotocol = response.protocol

    def onOpen(self) -> None:  # noqa: N802
        if self.relay is not None:
            self.relay.upstream_open(self)

    def failHandshake(self, reason: str) -> None:  # noqa: N802
        # Keep the upstream's status (400 for a bad sid, 403...) for the client.
        status_line = getattr(self, "http_status_line", "") or ""
        parts = status_line.split(None, 2)
        if len(parts) >= 2 and parts[1].isdigit() and parts[1] != "101":
            self.refusal = (int(parts[1]), parts[2] if len(parts) > 2 else "refused")
        else:
            self.refusal = (502, f"bad upstream handshake: {reason}")
        super().failHandshake(reason)


class _UpstreamFactory(ClientFactory):  # type: ignore[misc]
    """The upstream leg's factory: one configured prototype per relay factory,
    copied for each connection (``for_relay``).

    autobahn's ``__init__`` reseeds ``random`` from ``os.urandom`` and makes a
    timer set every time, about a tenth of a millisecond; a copy with its own
    session parameters is the same factory without that. Not ``noisy``: Twisted
    would log "Starting factory" and "Stopping factory" for every connection.
    """

    protocol = UpstreamProtocol
    noisy = False
    relay: WsRelay | None = None

    def for_relay(self, relay: WsRelay, **session: Any) -> _UpstreamFactory:
        """A copy for one connection: ``session`` as ``setSessionParameters`` takes it."""
        twin: _UpstreamFactory = object.__new__(type(self))
        twin.__dict__.update(self.__dict__)  # copy.copy's result, without copyreg's detour
        twin.setSessionParameters(**session)
        twin.relay = relay
        return twin

    def buildProtocol(self, addr: Any) -> UpstreamProtocol:  # noqa: N802
        proto: UpstreamProtocol = super().buildProtocol(addr)
        proto.relay = self.relay
        return proto


class WsRelay:
    """One relayed WebSocket: both opening handshakes, then a ``WsSplice``."""

    def __init__(self, factory: WsRelayFactory, ws_id: int, down: Any, info: RequestInfo) -> None:
        self.ws_id = ws_id
        self.info = info
        self._factory = factory
        self._observer = factory.observer
        self._down: Any = down
        self._up: Any = None
        self._up_rest = b""
        self._up_gone: str | None = None  # why the upstream went before the client's leg opened
        self._accept: defer.Deferred[tuple[str | None, dict[str, str]]] = defer.Deferred()
        self._connecting: defer.Deferred[Any] | None = None
        self.splice: WsSplice | None = None

    # -- opening -------------------------------------------------------------

    def connect(self, protocols: list[str]) -> defer.Deferred[tuple[str | None, dict[str, str]]]:
        """Open the upstream leg; the returned Deferred accepts or denies the client."""
        info = self.info
        passed = handshake_headers(info)
        upstream_factory = self._factory.upstream_prototype.for_relay(
            self,
            url=self._factory.upstream.ws_url(info.path, info.query),
            origin=info.header("origin"),
            protocols=protocols,
            useragent=info.header("user-agent") or "",
            headers=passed,
        )
        self._connecting = self._factory.upstream_endpoint().connect(upstream_factory)
        self._connecting.addCallbacks(self._tcp_connected, self._unreachable)
        return self._accept

    def _tcp_connected(self, proto: Any) -> None:
        self._connecting = None
        self._up = proto

    def _unreachable(self, failure: Failure) -> None:
        self._connecting = None
        if not isinstance(failure.value, defer.CancelledError):
            self._deny(502, f"upstream unreachable: {failure.getErrorMessage()}")

    def _deny(self, status: int, reason: str) -> None:
        if self._accept.called:
            return
        self._observer.on_http_error(self.ws_id, self.info, reason)
        self._accept.errback(ConnectionDeny(status, status_line_reason(reason)))

    def upstream_open(self, up: Any) -> None:
        """The server accepted: hold its bytes until the client's leg is open too."""
        self._up = up
        up.transport.pauseProducing()
        # Bytes read past the 101 (the server's first frames): kept for the
        # splice; autobahn would parse them as soon as onOpen returns.
        self._up_rest = take_leftover(up)
        if self._down.state == _CLOSED:
            up.dropConnection(abort=True)
            return
        self._accept.callback((up.subprotocol, {}))

    def downstream_open(self) -> None:
        """Both legs are open: autobahn hands both connections to the splice."""
        down, up = self._down, self._up
        self._observer.on_ws_open(self.ws_id, self.info, up.subprotocol)
        down_rest = take_leftover(down)
        splice = WsSplice(
            self.ws_id,
            self._observer,
            self._factory.reactor,
            limit=self._factory.max_body,
            on_done=self._done,
        )
        self.splice = splice
        splice.start(down, down_rest, up, self._up_rest, up_gone=self._up_gone)
        # Only the splice's legs stay: autobahn's protocols go with their buffers.
        self._down, self._up, self._up_rest = splice.down, splice.up, b""

    def _done(self, initiator: Direction | None, code: int | None, reason: str | None) -> None:
        self._factory.relays.pop(self.ws_id, None)
        self._observer.on_ws_close(self.ws_id, initiator, code, reason)

    # -- after opening: the splice -------------------------------------------

    def inject(self, direction: Direction, messages: Sequence[tuple[bytes, bool]]) -> bool:
        """Send messages the observer made up, outside its callbacks."""
        return self.splice is not None and self.splice.inject(direction, messages)

    def close_both(self, code: int, reason: str) -> None:
        """The observer ends the connection: close frames to both peers."""
        if self.splice is not None:
            self.splice.close_both(code, reason)

    def buffered_bytes(self) -> int:
        """Bytes this relay holds: partial frames plus both legs' write buffers."""
        if self.splice is not None:
            return self.splice.buffered_bytes()
        return len(self._up_rest) + pending_write_bytes(getattr(self._up, "transport", None))

    # -- a leg closed before both were open ----------------------------------

    def leg_closed(self, leg: Any, reason: str | None) -> None:
        """An autobahn leg's TCP connection is gone (only before the splice took over)."""
        if leg is self._down:
            # The client gave up while we were still connecting upstream.
            self._factory.relays.pop(self.ws_id, None)
            if self._connecting is not None:
                self._connecting.cancel()
            elif self._up is not None and self._up.state != _CLOSED:
                self._up.dropConnection(abort=True)
            return
        if self._accept.called:
            # Accepted, the client's 101 is on its way: the splice ends the
            # client's leg after passing on what the server had sent.
            self._up_gone = reason or "upstream closed"
            return
        refusal = getattr(leg, "refusal", None)
        if refusal is not None:
            self._deny(refusal[0], refusal[1])
        else:
            self._deny(502, f"upstream closed during handshake: {reason}")
        self._factory.relays.pop(self.ws_id, None)


class WsRelayFactory(ServerFactory):  # type: ignore[misc]
    """Builds client legs and the upstream leg of each relay."""

    protocol = DownstreamProtocol

    def __init__(
        self,
        reactor: Any,
        upstream: Upstream,
        observer: RelayObserver,
        *,
        next_id: Callable[[], int],
        max_body: int,
        tls_policy: IPolicyForHTTPS,
        timeout: float,
        hosts: HostCache | None = None,
    ) -> None:
        super().__init__(reactor=reactor, server=None)
        self._hosts = hosts
        self.upstream = upstream
        self.observer = observer
        self.relays: dict[int, WsRelay] = {}
        self.sweep: Any = None  # closes idle relays (transport/guard.py IdleSweep)
        self._next_id = next_id
        self.max_body = max_body
        self._tls_policy = tls_policy
        self._timeout = timeout
        self.configure(self)
        # The client's handshake waits for the upstream's: give it the same budget.
        self.setProtocolOptions(openHandshakeTimeout=timeout + 1)
        self.upstream_prototype = _UpstreamFactory(reactor=reactor)
        self.configure(self.upstream_prototype)

    def configure(self, factory: Any) -> None:
        """Options for both legs: no re-fragmenting, size cap, close with 1009."""
        factory.setProtocolOptions(
            autoFragmentSize=0,
            maxFramePayloadSize=self.max_body,
            maxMessagePayloadSize=self.max_body,
            failByDrop=False,
            echoCloseCodeReason=True,
            openHandshakeTimeout=self._timeout,
            tcpNoDelay=True,
            autoPingInterval=0,
        )

    def new_relay(self, down: DownstreamProtocol, info: RequestInfo) -> WsRelay:
        relay = WsRelay(self, self._next_id(), down, info)
        self.relays[relay.ws_id] = relay
        if self.sweep is not None:
            self.sweep.watch()
        return relay

    def upstream_endpoint(self) -> Any:
        up = self.upstream
        endpoint: Any = tcp_endpoint(self.reactor, up.host, up.port, self._timeout, self._hosts)
        if not up.secure:
            return endpoint
        policy: Any = self._tls_policy
        creator = policy.creatorForNetloc(up.host.encode("idna"), up.port)
        wrapped: Any = endpoint
        return wrapClientTLS(creator, wrapped)


class RelayControlImpl:
    """``RelayControl`` for one site: the reactor's timers and the open relays."""

    def __init__(self, reactor: Any, factory: WsRelayFactory) -> None:
        self._reactor = reactor
        self._factory = factory

    def call_later(self, delay: float, fn: Callable[[], None]) -> None:
        self._reactor.callLater(max(0.0, delay), fn)

    def call_after_io(self, fn: Callable[[], None]) -> None:
        # Twisted sends a write when its next poll finds the socket writable, and
        # runs a callLater(0) before that poll; one made from inside a timed call
        # waits for the following pass, which comes after the poll.
        self._reactor.callLater(0, self._reactor.callLater, 0, fn)

    def ws_send(
        self, ws_id: int, direction: Direction, messages: Sequence[tuple[bytes, bool]]
    ) -> bool:
        relay = self._factory.relays.get(ws_id)
        return relay is not None and relay.inject(direction, messages)

    def ws_close(self, ws_id: int, code: int, reason: str) -> None:
        relay = self._factory.relays.get(ws_id)
        if relay is not None:
            relay.close_both(code, reason)
