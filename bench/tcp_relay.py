"""The ceiling of any relay on this reactor: a TCP forwarder that reads nothing.

Benchmark tool (not part of the package). Every client connection gets its own
upstream connection, and bytes are copied both ways as they arrive, with
Nagle's algorithm off and each side pausing the other when its write buffer
fills. No HTTP parsing, no WebSocket framing, no decoding: whatever a
Twisted proxy does above this costs at least what this costs. bench/run.py
runs it as the ``tcp`` target, chiefly for the polling rows, where
bench/raw_relay.py (WebSocket only) has nothing to say.

    python bench/tcp_relay.py --upstream 127.0.0.1:PORT [--listen 127.0.0.1:0]

Prints ``tcp relay listening on http://HOST:PORT`` once listening; SIGTERM stops it.
"""

from __future__ import annotations

import argparse
import sys
from typing import Any

from twisted.internet import reactor
from twisted.internet.protocol import ClientFactory, Factory, Protocol
from twisted.python.failure import Failure


class _Leg(Protocol):
    """One side of a relayed connection; ``peer`` is the other side."""

    peer: _Leg | None = None

    def dataReceived(self, data: bytes) -> None:  # noqa: N802 - Twisted's name
        if self.peer is not None and self.peer.transport is not None:
            self.peer.transport.write(data)

    def connectionLost(self, reason: Failure | None = None) -> None:  # noqa: N802
        if self.peer is not None and self.peer.transport is not None:
            self.peer.transport.loseConnection()
            self.peer.peer = None


class _Upstream(_Leg):
    def connectionMade(self) -> None:  # noqa: N802
        down = self.factory.down  # type: ignore[attr-defined]
        if not down.transport.connected:  # the client left while we connected
            self.transport.loseConnection()  # type: ignore[union-attr]
            return
        self.peer, down.peer = down, self
        for transport in (self.transport, down.transport):
            transport.setTcpNoDelay(True)  # type: ignore[union-attr]
        # Each side's transport produces for the other's (back-pressure both ways).
        self.transport.registerProducer(down.transport, True)  # type: ignore[union-attr]
        down.transport.registerProducer(self.transport, True)
        down.transport.resumeProducing()
        for chunk in down.early:
            self.transport.write(chunk)  # type: ignore[union-attr]
        down.early.clear()


class _UpstreamFactory(ClientFactory):
    protocol = _Upstream

    def __init__(self, down: _Downstream) -> None:
        self.down = down

    def clientConnectionFailed(self, connector: Any, reason: Failure) -> None:  # noqa: N802
        self.down.transport.loseConnection()  # type: ignore[union-attr]


class _Downstream(_Leg):
    host = "127.0.0.1"
    port = 0

    def connectionMade(self) -> None:  # noqa: N802
        self.early: list[bytes] = []
        self.transport.pauseProducing()  # type: ignore[union-attr]
        reactor.connectTCP(self.host, self.port, _UpstreamFactory(self))  # type: ignore[attr-defined]

    def dataReceived(self, data: bytes) -> None:  # noqa: N802
        if self.peer is None:
            self.early.append(data)
        else:
            super().dataReceived(data)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--upstream", required=True, help="HOST:PORT")
    parser.add_argument("--listen", default="127.0.0.1:0", help="HOST:PORT")
    args = parser.parse_args()
    up_host, _, up_port = args.upstream.rpartition(":")
    _Downstream.host, _Downstream.port = up_host, int(up_port)
    host, _, port = args.listen.rpartition(":")
    factory = Factory.forProtocol(_Downstream)
    listening = reactor.listenTCP(int(port), factory, interface=host)  # type: ignore[attr-defined]
    print(f"tcp relay listening on http://{host}:{listening.getHost().port}", flush=True)
    reactor.run()  # type: ignore[attr-defined]
    return 0


if __name__ == "__main__":
    sys.exit(main())
