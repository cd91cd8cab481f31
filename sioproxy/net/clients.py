"""Client-side Twisted helpers shared by the live proxy and the replay client.

Layer: net (Twisted and autobahn). Both programs act as HTTP and WebSocket
clients of a real server; the quirks they must both handle live here once.
"""

from __future__ import annotations

from typing import Any

from autobahn.twisted import websocket as _autobahn
from twisted.internet import defer

from sioproxy.net.ws_options import QuietOptions

ClientProtocol: Any = _autobahn.WebSocketClientProtocol


class BytesProducer:
    """An ``IBodyProducer`` writing one bytes object at once (no cooperator round trip)."""

    def __init__(self, body: bytes) -> None:
        self._body = body
        self.length = len(body)

    def startProducing(self, consumer: Any) -> defer.Deferred[None]:  # noqa: N802
        consumer.write(self._body)
        return defer.succeed(None)

    def pauseProducing(self) -> None:  # noqa: N802
        pass

    def resumeProducing(self) -> None:  # noqa: N802
        pass

    def stopProducing(self) -> None:  # noqa: N802
        pass


class LowercaseUpgradeClient(QuietOptions, ClientProtocol):  # type: ignore[misc]
    """An autobahn client that sends ``Upgrade: websocket`` like browsers and node's ws.

    autobahn writes ``Upgrade: WebSocket``; python-engineio 3 compares the header
    with ``websocket`` case-sensitively and answers 400.
    """

    def sendData(self, data: bytes, sync: bool = False, chopsize: int | None = None) -> None:  # noqa: N802
        if self.state == ClientProtocol.STATE_CONNECTING and data.startswith(b"GET "):
            data = data.replace(b"\r\nUpgrade: WebSocket\r\n", b"\r\nUpgrade: websocket\r\n", 1)
        super().sendData(data, sync, chopsize)


__all__ = ["BytesProducer", "LowercaseUpgradeClient"]
