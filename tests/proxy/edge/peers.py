"""Loopback peers for the relay tests: an upstream (twisted.web + autobahn),
WebSocket and HTTP clients, and an observer that records every call.

Everything listens on 127.0.0.1 port 0 in the test's reactor; nothing sleeps.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from autobahn.twisted.resource import WebSocketResource
from autobahn.twisted.websocket import (
    WebSocketClientFactory,
    WebSocketClientProtocol,
    WebSocketServerFactory,
    WebSocketServerProtocol,
)
from autobahn.websocket.types import ConnectionDeny
from twisted.internet import defer, task
from twisted.internet.endpoints import TCP4ClientEndpoint
from twisted.web import server
from twisted.web.client import Agent, HTTPConnectionPool, readBody
from twisted.web.http_headers import Headers
from twisted.web.resource import Resource

from sioproxy.net.clients import BytesProducer
from sioproxy.net.upstream import parse_upstream
from sioproxy.proxy.edge.site import build_proxy_site
from sioproxy.types import Direction

SET_COOKIES = [
    b"io=abc; Path=/; HttpOnly",
    b"sticky=node1; Path=/; Expires=Wed, 21 Oct 2037 07:28:00 GMT",
]


# -- observer ---------------------------------------------------------------------------


@dataclass
class RecordingObserver:
    """Records calls as tuples; optional hooks rewrite traffic."""

    buffer: bool = True
    calls: list[tuple[Any, ...]] = field(default_factory=list)
    request_hook: Callable[[bytes], bytes | None] = lambda body: None
    response_hook: Callable[[bytes], bytes | None] = lambda body: None
    message_hook: Callable[[Direction, bytes, bool], Sequence[tuple[bytes, bool]] | None] = (
        lambda d, p, b: None
    )
    closed: defer.Deferred[None] = field(default_factory=defer.Deferred)
    errored: defer.Deferred[str] = field(default_factory=defer.Deferred)

    def wants_body(self, req: Any) -> bool:
        self.calls.append(("wants_body", req.path))
        return self.buffer

    def on_http_request(self, exchange_id: int, req: Any, body: bytes) -> bytes | None:
        self.calls.append(("request", exchange_id, req.method, req.path, req.query, body))
        return self.request_hook(body)

    def on_http_response(
        self, exchange_id: int, req: Any, status: int, headers: Any, body: bytes
    ) -> bytes | None:
        self.calls.append(("response", exchange_id, status, body))
        self.response_headers = headers
        return self.response_hook(body)

    def on_http_error(self, exchange_id: int, req: Any, reason: str) -> None:
        self.calls.append(("error", exchange_id, reason))
        if not self.errored.called:
            self.errored.callback(reason)

    def on_ws_open(self, ws_id: int, req: Any, subprotocol: str | None) -> None:
        self.calls.append(("ws_open", ws_id, req.path, req.query, subprotocol))

    def on_ws_message(
        self, ws_id: int, direction: Direction, payload: bytes, is_binary: bool
    ) -> Sequence[tuple[bytes, bool]] | None:
        self.calls.append(("ws_message", ws_id, direction, payload, is_binary))
        return self.message_hook(direction, payload, is_binary)

    def on_ws_close(
        self, ws_id: int, initiator: Direction | None, code: int | None, reason: str | None
    ) -> None:
        self.calls.append(("ws_close", ws_id, initiator, code, reason))
        self.closed.callback(None)

    def named(self, name: str) -> list[tuple[Any, ...]]:
        return [c for c in self.calls if c[0] == name]


# -- upstream HTTP ----------------------------------------------------------------------


class Echo(Resource):
    """Answers with a JSON description of the request it got."""

    isLeaf = True  # noqa: N815

    def render(self, request: Any) -> bytes:
        request.content.seek(0)
        body = request.content.read()
        for cookie in SET_COOKIES:
            request.responseHeaders.addRawHeader(b"Set-Cookie", cookie)
        request.setHeader(b"Access-Control-Allow-Origin", b"http://app.example")
        request.setHeader(b"Access-Control-Allow-Credentials", b"true")
        request.setHeader(b"Content-Type", b"application/json")
        return json.dumps(
            {
                "method": request.method.decode(),
                "uri": request.uri.decode("latin-1"),
                "headers": [
                    [k.decode().lower(), v.decode("latin-1")]
                    for k, vs in request.requestHeaders.getAllRawHeaders()
                    for v in vs
                ],
                "body": body.decode("latin-1"),
            }
        ).encode()


class Page(Resource):
    isLeaf = True  # noqa: N815

    def render(self, request: Any) -> bytes:
        request.setHeader(b"Content-Type", b"text/html; charset=utf-8")
        return b"<html><body>app page</body></html>"


class Big(Resource):
    isLeaf = True  # noqa: N815

    def __init__(self, size: int) -> None:
        super().__init__()
        self.size = size

    def render(self, request: Any) -> bytes:
        return b"x" * self.size


class Stream(Resource):
    """A chunked response whose end the test controls (like 0.9 htmlfile)."""

    isLeaf = True  # noqa: N815

    def __init__(self) -> None:
        super().__init__()
        self.requests: list[Any] = []

    def render(self, request: Any) -> int:
        request.setHeader(b"Content-Type", b"text/html")
        request.write(b"<html><body>" + b" " * 173)
        self.requests.append(request)
        return server.NOT_DONE_YET


class Hold(Resource):
    """Never answers; fires ``lost`` when the proxy drops the connection."""

    isLeaf = True  # noqa: N815

    def __init__(self) -> None:
        super().__init__()
        self.arrived: defer.Deferred[None] = defer.Deferred()
        self.lost: defer.Deferred[None] = defer.Deferred()

    def render(self, request: Any) -> int:
        request.notifyFinish().addErrback(lambda _: self.lost.callback(None))
        self.arrived.callback(None)
        return server.NOT_DONE_YET


# -- upstream WebSocket -----------------------------------------------------------------


class Flood:
    """Push producer sending numbered binary messages until paused or ``limit``."""

    size = 64 * 1024

    def __init__(self, proto: Any, limit: int) -> None:
        self.proto = proto
        self.limit = limit
        self.sent = 0
        self.count = 0
        self.paused = False
        self.pauses = 0

    def pauseProducing(self) -> None:  # noqa: N802
        self.paused = True
        self.pauses += 1

    def resumeProducing(self) -> None:  # noqa: N802
        self.paused = False
        while not self.paused and self.sent < self.limit:
            payload = self.count.to_bytes(8, "big") + b"\xab" * (self.size - 8)
            self.count += 1
            self.sent += len(payload)
            self.proto.sendMessage(payload, isBinary=True)

    def stopProducing(self) -> None:  # noqa: N802
        self.limit = 0


class UpstreamWs(WebSocketServerProtocol):
    def onConnect(self, request: Any) -> Any:  # noqa: N802
        self.path = request.path
        self.factory.harness.ws_requests.append(request)
        if self.path.endswith("refuse"):
            raise ConnectionDeny(403, "Forbidden")
        if request.protocols:
            return request.protocols[-1]  # not simply the first offer
        return None

    def onOpen(self) -> None:  # noqa: N802
        self.factory.harness.ws_upstreams.append(self)
        if self.path.endswith("flood"):
            self.flood = Flood(self, self.factory.harness.flood_limit)
            self.factory.harness.flood = self.flood
            # twisted.web's channel is still registered on the taken-over transport
            self.transport.unregisterProducer()
            self.transport.registerProducer(self.flood, True)
            self.flood.resumeProducing()

    def onMessage(self, payload: bytes, isBinary: bool) -> None:  # noqa: N802, N803
        self.factory.harness.ws_received.append((payload, isBinary))
        if payload.startswith(b"close:"):
            _, code, reason = payload.decode().split(":", 2)
            self.sendClose(int(code), reason)
            return
        self.sendMessage(payload, isBinary)

    def onClose(self, wasClean: bool, code: Any, reason: Any) -> None:  # noqa: N802, N803
        self.factory.harness.ws_closes.append((code, reason))
        self.factory.harness.ws_closed.put((code, reason))


# -- clients ----------------------------------------------------------------------------


class Client(WebSocketClientProtocol):
    """Test client: queues messages, remembers the close and a refused status."""

    def __init__(self) -> None:
        super().__init__()
        self.messages: defer.DeferredQueue[tuple[bytes, bool]] = defer.DeferredQueue()
        self.received = 0
        self.opened: defer.Deferred[Any] = defer.Deferred()
        self.closed: defer.Deferred[tuple[Any, Any]] = defer.Deferred()
        self.status: str | None = None

    def onConnect(self, response: Any) -> None:  # noqa: N802
        self.subprotocol = response.protocol

    def onOpen(self) -> None:  # noqa: N802
        self.opened.callback(self)

    def onMessage(self, payload: bytes, isBinary: bool) -> None:  # noqa: N802, N803
        self.received += 1
        self.messages.put((payload, isBinary))

    def failHandshake(self, reason: str) -> None:  # noqa: N802
        self.status = getattr(self, "http_status_line", None)
        super().failHandshake(reason)

    def onClose(self, wasClean: bool, code: Any, reason: Any) -> None:  # noqa: N802, N803
        if not self.opened.called:
            self.opened.errback(RuntimeError(f"not opened: {self.status} {reason}"))
        self.closed.callback((code, reason))


async def ws_connect(
    reactor: Any, port: int, path: str, protocols: list[str] | None = None, **headers: str
) -> Client:
    factory = WebSocketClientFactory(
        f"ws://127.0.0.1:{port}{path}", protocols=protocols or [], headers=headers, reactor=reactor
    )
    factory.protocol = Client
    factory.setProtocolOptions(maxMessagePayloadSize=0, maxFramePayloadSize=0)
    proto: Client = await TCP4ClientEndpoint(reactor, "127.0.0.1", port).connect(factory)
    return proto


async def http(
    reactor: Any,
    method: bytes,
    url: str,
    headers: dict[bytes, list[bytes]] | None = None,
    body: bytes | None = None,
) -> tuple[Any, bytes]:
    pool = HTTPConnectionPool(reactor, persistent=False)
    agent = Agent(reactor, pool=pool)
    producer = BytesProducer(body) if body is not None else None
    response = await agent.request(method, url.encode(), Headers(headers or {}), producer)
    data = await readBody(response)
    return response, data


def within(d: defer.Deferred[Any], reactor: Any, seconds: float = 30) -> defer.Deferred[Any]:
    """Bound a wait so a broken relay fails the test instead of hanging it
    (pytest-timeout cannot interrupt the reactor under pytest-twisted)."""
    return d.addTimeout(seconds, reactor)


async def turns(reactor: Any, n: int = 1) -> None:
    """Let the reactor run ``n`` short iterations (for bounded polling loops)."""
    for _ in range(n):
        await task.deferLater(reactor, 0.01, lambda: None)


# -- harness ----------------------------------------------------------------------------


class Upstream:
    """The upstream server: HTTP routes plus WebSocket on one port."""

    def __init__(self, reactor: Any, big: int = 0) -> None:
        self.ws_requests: list[Any] = []
        self.ws_upstreams: list[Any] = []
        self.ws_received: list[tuple[bytes, bool]] = []
        self.ws_closes: list[tuple[Any, Any]] = []
        self.ws_closed: defer.DeferredQueue[tuple[Any, Any]] = defer.DeferredQueue()
        self.flood: Flood | None = None
        self.flood_limit = 128 * 1024 * 1024
        ws_factory = WebSocketServerFactory(reactor=reactor)
        ws_factory.protocol = UpstreamWs
        ws_factory.harness = self
        ws_factory.setProtocolOptions(maxMessagePayloadSize=0, maxFramePayloadSize=0)
        self.stream = Stream()
        self.hold = Hold()
        root = Resource()
        sio = Resource()
        root.putChild(b"socket.io", sio)
        root.putChild(b"page.html", Page())
        sio.putChild(b"", Echo())
        for name in (b"echo", b"refuse", b"flood", b"close"):
            sio.putChild(b"ws" + name, WebSocketResource(ws_factory))
        sio.putChild(b"1", Echo())
        sio.putChild(b"stream", self.stream)
        sio.putChild(b"hold", self.hold)
        sio.putChild(b"big", Big(big))
        self.site = server.Site(root, reactor=reactor)
        self.port = reactor.listenTCP(0, self.site, interface="127.0.0.1")
        self.url = f"http://127.0.0.1:{self.port.getHost().port}"

    async def close(self) -> None:
        for proto in self.ws_upstreams:
            proto.dropConnection(abort=True)
        await self.port.stopListening()


class Proxy:
    """The relay under test on a free loopback port."""

    def __init__(self, reactor: Any, upstream_url: str, observer: Any, **options: Any) -> None:
        self.site = build_proxy_site(reactor, parse_upstream(upstream_url), observer, **options)
        self.port = reactor.listenTCP(0, self.site, interface="127.0.0.1")
        self.number = self.port.getHost().port
        self.url = f"http://127.0.0.1:{self.number}"

    async def close(self) -> None:
        await self.port.stopListening()
        await self.site.close()
