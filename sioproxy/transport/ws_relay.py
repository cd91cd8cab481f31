"""WebSocket relay: one client leg, one upstream leg, message by message.

Layer: transport (the only layer importing twisted/autobahn).

* The client's upgrade is accepted only once the upstream accepted ours:
  ``onConnect`` returns a Deferred fired by the upstream handshake, so the
  client gets the upstream's subprotocol, or its refusal status, and cannot
  send a frame before the other leg exists. Nothing is dropped while
  connecting (autobahn's own forwarder drops bytes there; this one does not).
* Messages are relayed whole, text as text and binary as binary, after
  ``RelayObserver.on_ws_message``. One Engine.IO packet per frame
  (protocol.md B.7, A.3.1), so a message is the unit the observer sees. Pings
  and pongs stay per leg (protocol.md A.3.1: they are not Socket.IO heartbeats).
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
from twisted.internet.endpoints import HostnameEndpoint, wrapClientTLS
from twisted.logger import Logger
from twisted.python.failure import Failure
from twisted.web.iweb import IPolicyForHTTPS

from sioproxy.transport.endpoints import Upstream
from sioproxy.transport.observer import RelayObserver, RequestInfo
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
_OPEN = WebSocketProtocol.STATE_OPEN
_ABNORMAL = WebSocketProtocol.CLOSE_STATUS_CODE_ABNORMAL_CLOSE
_INTERNAL_ERROR = WebSocketProtocol.CLOSE_STATUS_CODE_INTERNAL_ERROR
# Client headers worth passing upstream on the handshake; Origin and
# User-Agent go through autobahn's own parameters, the rest is per hop.
_PASSED_HEADERS = ("cookie", "authorization", "accept-language")
_PRINTABLE = frozenset(string.printable) - frozenset("\r\n\t\x0b\x0c")


def pending_write_bytes(transport: Any) -> int:
    """Bytes a transport (and the TLS wrappers under it) still has to write."""
    total = 0
    for _ in range(4):  # TCP, or TLS over TCP: a short chain
        if transport is None:
            break
        buffered = getattr(transport, "dataBuffer", b"")
        total += len(buffered) - getattr(transport, "offset", 0)
        total += getattr(transport, "_tempDataLen", 0)
        transport = getattr(transport, "transport", None)
    return total


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


def _truncate_utf8(text: str, limit: int) -> bytes:
    raw = text.encode()
    if len(raw) <= limit:
        return raw
    return raw[:limit].decode("utf-8", "ignore").encode()


class _RelayLeg:
    """What both legs do with a message or a close: hand it to the relay.

    ``direction`` is the way traffic read on this leg travels. Mixed in before
    the autobahn protocol class, so ``super()`` reaches autobahn.
    """

    direction: Direction
    relay: WsRelay | None = None
    state: Any
    remoteCloseCode: int | None  # noqa: N815 - autobahn's name
    remoteCloseReason: str | None  # noqa: N815 - autobahn's name

    def onMessage(self, payload: bytes, isBinary: bool) -> None:  # noqa: N802, N803
        if self.relay is not None:
            self.relay.forward(self.direction, payload, isBinary)

    def onCloseFrame(self, code: int | None, reasonRaw: bytes | None) -> Any:  # noqa: N802, N803
        result = super().onCloseFrame(code, reasonRaw)  # type: ignore[misc]
        if self.relay is not None:
            self.relay.closing(self, self.direction, self.remoteCloseCode, self.remoteCloseReason)
        return result

    def _fail_connection(self, code: int = 1001, reason: str = "going away") -> None:
        if self.relay is not None and self.state == _OPEN:
            self.relay.closing(self, None, code, reason)
        super()._fail_connection(code, reason)  # type: ignore[misc]

    def onClose(self, wasClean: bool, code: int | None, reason: str | None) -> None:  # noqa: N802, N803
        if self.relay is not None:
            self.relay.leg_closed(self, self.direction, code, reason)


class DownstreamProtocol(_RelayLeg, ServerProtocol):  # type: ignore[misc]
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


class LowercaseUpgradeClient(ClientProtocol):  # type: ignore[misc]
    """An autobahn client that sends ``Upgrade: websocket`` like browsers and node's ws.

    autobahn writes ``Upgrade: WebSocket``; python-engineio 3 compares the header
    with ``websocket`` case-sensitively and answers 400.
    """

    def sendData(self, data: bytes, sync: bool = False, chopsize: int | None = None) -> None:  # noqa: N802
        if self.state == ClientProtocol.STATE_CONNECTING and data.startswith(b"GET "):
            data = data.replace(b"\r\nUpgrade: WebSocket\r\n", b"\r\nUpgrade: websocket\r\n", 1)
        super().sendData(data, sync, chopsize)


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
    protocol = UpstreamProtocol

    def __init__(self, relay: WsRelay, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.relay = relay

    def buildProtocol(self, addr: Any) -> UpstreamProtocol:  # noqa: N802
        proto: UpstreamProtocol = super().buildProtocol(addr)
        proto.relay = self.relay
        return proto


class WsRelay:
    """One relayed WebSocket connection (both legs)."""

    def __init__(self, factory: WsRelayFactory, ws_id: int, down: Any, info: RequestInfo) -> None:
        self.ws_id = ws_id
        self.info = info
        self._factory = factory
        self._observer = factory.observer
        self._down: Any = down
        self._up: Any = None
        self._accept: defer.Deferred[tuple[str | None, dict[str, str]]] = defer.Deferred()
        self._connecting: defer.Deferred[Any] | None = None
        self._pending: list[tuple[bytes, bool]] | None = None
        self._opened = False
        self._first_close: tuple[Direction | None, int | None, str | None] | None = None
        self._legs_down = 0

    # -- opening -------------------------------------------------------------

    def connect(self, protocols: list[str]) -> defer.Deferred[tuple[str | None, dict[str, str]]]:
        """Open the upstream leg; the returned Deferred accepts or denies the client."""
        info = self.info
        passed = handshake_headers(info)
        upstream_factory = _UpstreamFactory(
            self,
            url=self._factory.upstream.ws_url(info.path, info.query),
            origin=info.header("origin"),
            protocols=protocols,
            useragent=info.header("user-agent") or "",
            headers=passed,
            reactor=self._factory.reactor,
        )
        self._factory.configure(upstream_factory)
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
        self._up = up
        # Hold upstream frames until the client leg is open too; they queue
        # in _pending, bounded by what one read already brought in.
        up.transport.pauseProducing()
        self._pending = []
        if self._down.state == WebSocketProtocol.STATE_CLOSED:
            up.dropConnection(abort=True)
            return
        self._accept.callback((up.subprotocol, {}))

    def downstream_open(self) -> None:
        down, up = self._down, self._up
        self._opened = True
        self._observer.on_ws_open(self.ws_id, self.info, up.subprotocol)
        up.transport.resumeProducing()
        down.transport.registerProducer(up.transport, True)
        up.transport.registerProducer(down.transport, True)
        pending, self._pending = self._pending or [], None
        for payload, is_binary in pending:
            self.forward(S2C, payload, is_binary)

    # -- messages ------------------------------------------------------------

    def forward(self, direction: Direction, payload: bytes, is_binary: bool) -> None:
        """Relay one message after the observer had its say (the hot path)."""
        if self._pending is not None:
            self._pending.append((payload, is_binary))
            return
        target = self._up if direction is C2S else self._down
        try:
            out = self._observer.on_ws_message(self.ws_id, direction, payload, is_binary)
        except Exception:
            log.failure("observer failed on ws {id}; closing both legs", id=self.ws_id)
            self._fail_both(_INTERNAL_ERROR, "proxy error")
            return
        if target.state != _OPEN:
            return  # closing: the peer could not take it any more
        if out is None:
            target.sendMessage(payload, is_binary)
        else:
            for data, binary in out:
                target.sendMessage(data, binary)

    def inject(self, direction: Direction, messages: Sequence[tuple[bytes, bool]]) -> bool:
        """Send messages the observer made up, outside ``forward`` (no observer call)."""
        target = self._up if direction is C2S else self._down
        if not self._opened or self._first_close is not None or target.state != _OPEN:
            return False
        for data, binary in messages:
            target.sendMessage(data, binary)
        return True

    def close_both(self, code: int, reason: str) -> None:
        """The observer ends the connection: close frames to both peers."""
        if self._opened and self._first_close is None:
            self._fail_both(code, reason)

    # -- closing -------------------------------------------------------------

    def closing(
        self, leg: Any, initiator: Direction | None, code: int | None, reason: str | None
    ) -> None:
        """A close frame arrived on ``leg``, or the proxy failed it: mirror it on the other."""
        if self._first_close is not None:
            return
        self._first_close = (initiator, code, reason)
        self._unwire()
        other = self._up if leg is self._down else self._down
        if other is not None and other.state == _OPEN:
            # A close reason is at most 123 bytes (RFC 6455 5.5: 125 minus the code).
            reason_raw = _truncate_utf8(reason, 123) if reason is not None else None
            other.sendCloseFrame(code=code, reasonUtf8=reason_raw, isReply=False)

    def leg_closed(
        self, leg: Any, direction: Direction, code: int | None, reason: str | None
    ) -> None:
        """``leg``'s TCP connection is gone."""
        if not self._opened:
            self._closed_before_open(leg, reason)
            return
        if self._first_close is None:
            # No close frame: the peer dropped TCP (1006); drop the other leg too.
            self._first_close = (direction, code if code is not None else _ABNORMAL, reason)
            self._unwire()
            other = self._up if leg is self._down else self._down
            other.dropConnection(abort=False)
        self._legs_down += 1
        if self._legs_down == 2:
            self._factory.relays.pop(self.ws_id, None)
            initiator, first_code, first_reason = self._first_close
            self._observer.on_ws_close(self.ws_id, initiator, first_code, first_reason)

    def _closed_before_open(self, leg: Any, reason: str | None) -> None:
        if leg is self._down:
            # The client gave up while we were still connecting upstream.
            self._factory.relays.pop(self.ws_id, None)
            if self._connecting is not None:
                self._connecting.cancel()
            elif self._up is not None:
                self._up.dropConnection(abort=True)
            return
        refusal = getattr(leg, "refusal", None)
        if refusal is not None:
            self._deny(refusal[0], refusal[1])
        else:
            self._deny(502, f"upstream closed during handshake: {reason}")
        self._factory.relays.pop(self.ws_id, None)

    def _fail_both(self, code: int, reason: str) -> None:
        self.closing(self._down, None, code, reason)
        if self._down.state == _OPEN:
            raw = _truncate_utf8(reason, 123)
            self._down.sendCloseFrame(code=code, reasonUtf8=raw, isReply=False)

    def _unwire(self) -> None:
        """Stop the producer links so a closing leg neither stalls nor kills the other."""
        for leg in (self._down, self._up):
            transport = getattr(leg, "transport", None)
            if transport is not None and getattr(transport, "producer", None) is not None:
                transport.unregisterProducer()
            if transport is not None:
                transport.resumeProducing()

    def buffered_bytes(self) -> int:
        """Bytes this relay holds: queued messages plus both legs' write buffers."""
        queued = sum(len(p) for p, _ in self._pending or ())
        down = pending_write_bytes(getattr(self._down, "transport", None))
        up = pending_write_bytes(getattr(self._up, "transport", None))
        return queued + down + up


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
    ) -> None:
        super().__init__(reactor=reactor, server=None)
        self.upstream = upstream
        self.observer = observer
        self.relays: dict[int, WsRelay] = {}
        self._next_id = next_id
        self._max_body = max_body
        self._tls_policy = tls_policy
        self._timeout = timeout
        self.configure(self)
        # The client's handshake waits for the upstream's: give it the same budget.
        self.setProtocolOptions(openHandshakeTimeout=timeout + 1)

    def configure(self, factory: Any) -> None:
        """Options for both legs: no re-fragmenting, size cap, close with 1009."""
        factory.setProtocolOptions(
            autoFragmentSize=0,
            maxFramePayloadSize=self._max_body,
            maxMessagePayloadSize=self._max_body,
            failByDrop=False,
            echoCloseCodeReason=True,
            openHandshakeTimeout=self._timeout,
            tcpNoDelay=True,
            autoPingInterval=0,
        )

    def new_relay(self, down: DownstreamProtocol, info: RequestInfo) -> WsRelay:
        relay = WsRelay(self, self._next_id(), down, info)
        self.relays[relay.ws_id] = relay
        return relay

    def upstream_endpoint(self) -> Any:
        up = self.upstream
        endpoint: Any = HostnameEndpoint(self.reactor, up.host, up.port, timeout=self._timeout)
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

    def ws_send(
        self, ws_id: int, direction: Direction, messages: Sequence[tuple[bytes, bool]]
    ) -> bool:
        relay = self._factory.relays.get(ws_id)
        return relay is not None and relay.inject(direction, messages)

    def ws_close(self, ws_id: int, code: int, reason: str) -> None:
        relay = self._factory.relays.get(ws_id)
        if relay is not None:
            relay.close_both(code, reason)
