"""A host-name upstream (``http://localhost:PORT``) is looked up once, not per connection.

The look-ups go through the real system resolver (``getaddrinfo`` in the
reactor's thread pool, ``sioproxy.net.resolve.thread_lookup``), wrapped only to
count them; the relays connect to the loopback upstream of tests/proxy/edge/peers.py.
"""

from __future__ import annotations

from typing import Any

import pytest_twisted
from twisted.internet import defer

from sioproxy.net.resolve import Address, HostCache, thread_lookup
from tests.proxy.edge.peers import Proxy, RecordingObserver, Upstream, http, within, ws_connect


class CountingLookup:
    """The real resolver, counting the names it was asked for."""

    def __init__(self, reactor: Any) -> None:
        self._lookup = thread_lookup(reactor)
        self.asked: list[str] = []

    def __call__(self, host: str, port: int) -> defer.Deferred[list[Address]]:
        self.asked.append(host)
        return self._lookup(host, port)


async def websocket_echo(reactor: Any, proxy: Proxy, text: bytes) -> None:
    client = await ws_connect(reactor, proxy.number, "/socket.io/wsecho")
    await within(client.opened, reactor)
    client.sendMessage(text)
    assert await within(client.messages.get(), reactor) == (text, False)
    client.dropConnection(abort=True)


async def relay_three_connections(reactor: Any, ttl: float) -> list[str]:
    """Two WebSockets and one polling request through a ``localhost`` upstream."""
    up, lookup = Upstream(reactor), CountingLookup(reactor)
    hosts = HostCache(reactor, ttl=ttl, lookup=lookup)
    port = up.port.getHost().port
    proxy = Proxy(reactor, f"http://localhost:{port}", RecordingObserver(), hosts=hosts)
    try:
        await websocket_echo(reactor, proxy, b"first")
        await websocket_echo(reactor, proxy, b"second")
        response, _ = await within(
            defer.ensureDeferred(http(reactor, b"GET", f"{proxy.url}/socket.io/?EIO=4")), reactor
        )
        assert response.code == 200
    finally:
        await proxy.close()
        await up.close()
    return lookup.asked


@pytest_twisted.ensureDeferred
async def test_later_connections_reuse_the_first_look_up(reactor: Any) -> None:
    assert await relay_three_connections(reactor, ttl=60) == ["localhost"]


@pytest_twisted.ensureDeferred
async def test_ttl_zero_looks_the_name_up_for_every_connection(reactor: Any) -> None:
    assert await relay_three_connections(reactor, ttl=0) == ["localhost"] * 3
