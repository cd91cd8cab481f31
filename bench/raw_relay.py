"""The floor of sioproxy's stack: a plain Twisted + autobahn WebSocket relay.

Benchmark tool (not part of the package). Every client WebSocket gets one
upstream WebSocket to the same path and query; messages are relayed frame for
frame, text as text and binary as binary, with no decoding at all. The client
is accepted once the upstream accepted us (as sioproxy does), so this is the
cheapest relay one can build from the same libraries: whatever sioproxy costs
above it is its own work.

    python bench/raw_relay.py --upstream 127.0.0.1:PORT [--listen 127.0.0.1:0]

Prints ``raw relay listening on http://HOST:PORT`` once listening; SIGTERM stops it.
"""

from __future__ import annotations

import argparse
import sys
from typing import Any

from autobahn.twisted.websocket import (
    WebSocketClientFactory,
    WebSocketClientProtocol,
    WebSocketServerFactory,
    WebSocketServerProtocol,
)
from twisted.internet import defer, reactor

OPTIONS: dict[str, Any] = {
    "autoFragmentSize": 0,
    "maxFramePayloadSize": 10_000_000,
    "maxMessagePayloadSize": 10_000_000,
    "tcpNoDelay": True,
    "autoPingInterval": 0,
    "failByDrop": False,
}


class Upstream(WebSocketClientProtocol):  # type: ignore[misc]
    down: Downstream

    def onOpen(self) -> None:  # noqa: N802
        self.down.upstream_open(self)

    def onMessage(self, payload: bytes, isBinary: bool) -> None:  # noqa: N802, N803
        self.down.sendMessage(payload, isBinary)

    def onClose(self, wasClean: bool, code: int | None, reason: str | None) -> None:  # noqa: N802, N803
        self.down.upstream_closed(code)


class Downstream(WebSocketServerProtocol):  # type: ignore[misc]
    up: Upstream | None = None
    accept: defer.Deferred[Any] | None = None

    def onConnect(self, request: Any) -> defer.Deferred[Any]:  # noqa: N802
        host, port = self.factory.upstream
        # The request URI exactly as the client sent it (path and raw query).
        factory = WebSocketClientFactory(f"ws://{host}:{port}{self.http_request_uri}")
        factory.setProtocolOptions(**OPTIONS)
        factory.protocol = Upstream
        self.accept = defer.Deferred()
        proto = factory.buildProtocol(None)
        proto.down = self
        reactor.connectTCP(host, port, _Once(proto))  # type: ignore[attr-defined]
        return self.accept

    def upstream_open(self, up: Upstream) -> None:
        self.up = up
        if self.accept is not None and not self.accept.called:
            self.accept.callback(None)

    def upstream_closed(self, code: int | None) -> None:
        if self.accept is not None and not self.accept.called:
            self.accept.errback(Exception("upstream refused"))
        elif self.state == self.STATE_OPEN:
            self.sendClose(code if code in (1000,) else None)

    def onMessage(self, payload: bytes, isBinary: bool) -> None:  # noqa: N802, N803
        if self.up is not None:
            self.up.sendMessage(payload, isBinary)

    def onClose(self, wasClean: bool, code: int | None, reason: str | None) -> None:  # noqa: N802, N803
        if self.up is not None and self.up.state == self.up.STATE_OPEN:
            self.up.sendClose(code if code in (1000,) else None)


class _Once:
    """A client factory for one already-built protocol (no reconnecting)."""

    def __init__(self, proto: Upstream) -> None:
        self.proto = proto

    def doStart(self) -> None:  # noqa: N802
        pass

    def doStop(self) -> None:  # noqa: N802
        pass

    def startedConnecting(self, connector: Any) -> None:  # noqa: N802
        pass

    def buildProtocol(self, addr: Any) -> Upstream:  # noqa: N802
        return self.proto

    def clientConnectionFailed(self, connector: Any, reason: Any) -> None:  # noqa: N802
        self.proto.down.upstream_closed(None)

    def clientConnectionLost(self, connector: Any, reason: Any) -> None:  # noqa: N802
        pass


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--upstream", required=True, help="HOST:PORT of the real server")
    parser.add_argument("--listen", default="127.0.0.1:0")
    args = parser.parse_args()
    up_host, up_port = args.upstream.rsplit(":", 1)
    host, port = args.listen.rsplit(":", 1)
    factory = WebSocketServerFactory()
    factory.setProtocolOptions(**OPTIONS)
    factory.protocol = Downstream
    factory.upstream = (up_host, int(up_port))
    listening = reactor.listenTCP(int(port), factory, backlog=4096, interface=host)  # type: ignore[attr-defined]
    real = listening.getHost()
    print(f"raw relay listening on http://{real.host}:{real.port}", flush=True)
    reactor.run()  # type: ignore[attr-defined]
    return 0


if __name__ == "__main__":
    sys.exit(main())
