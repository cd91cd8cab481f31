"""``RelayControl.call_after_io`` runs after the reactor has sent this turn's writes.

The live proxy observes a polling body with it (``proxy.backlog.run_later``):
the relayed request or response must be on its way before the body is decoded
and recorded. This checks that promise against the real reactor.
"""

from __future__ import annotations

from typing import Any

import pytest_twisted
from twisted.internet import defer
from twisted.internet.endpoints import TCP4ClientEndpoint
from twisted.internet.protocol import Factory, Protocol

from sioproxy.net.takeover import pending_write_bytes
from sioproxy.proxy.edge.ws_relay import RelayControlImpl


class _Writer(Protocol):
    """Writes once on connect, then notes what is still unsent from two later calls."""

    def __init__(self, control: RelayControlImpl, seen: defer.Deferred[dict[str, int]]) -> None:
        self._control = control
        self._seen = seen
        self._pending: dict[str, int] = {}

    def connectionMade(self) -> None:  # noqa: N802 - Twisted's name
        self.transport.write(b"x" * 100)  # type: ignore[union-attr]
        self._pending["now"] = self._unsent()
        self._control.call_later(0.0, lambda: self._note("call_later(0)"))
        self._control.call_after_io(self._after_io)

    def _after_io(self) -> None:
        self._note("call_after_io")
        self._seen.callback(self._pending)

    def _note(self, name: str) -> None:
        self._pending[name] = self._unsent()

    def _unsent(self) -> int:
        return pending_write_bytes(self.transport)


@pytest_twisted.ensureDeferred
async def test_call_after_io_runs_once_the_write_is_sent(reactor: Any) -> None:
    control = RelayControlImpl(reactor, factory=None)  # type: ignore[arg-type]
    seen: defer.Deferred[dict[str, int]] = defer.Deferred()
    factory = Factory.forProtocol(lambda: _Writer(control, seen))
    port = reactor.listenTCP(0, factory, interface="127.0.0.1")
    received = bytearray()
    client_done: defer.Deferred[None] = defer.Deferred()

    class _Reader(Protocol):
        def dataReceived(self, data: bytes) -> None:  # noqa: N802
            received.extend(data)
            if len(received) >= 100 and not client_done.called:
                client_done.callback(None)

    endpoint = TCP4ClientEndpoint(reactor, "127.0.0.1", port.getHost().port)
    client = await endpoint.connect(Factory.forProtocol(_Reader))
    try:
        pending = await seen.addTimeout(5, reactor)
        await client_done.addTimeout(5, reactor)
    finally:
        client.transport.loseConnection()
        await port.stopListening()
    # Twisted queues a write until its next poll; call_later(0) runs before that
    # poll, call_after_io after it.
    assert pending["now"] == 100
    assert pending["call_later(0)"] == 100
    assert pending["call_after_io"] == 0
