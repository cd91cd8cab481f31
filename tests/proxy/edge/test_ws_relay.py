"""WebSocket relay over real loopback sockets."""

from __future__ import annotations

import random
import sys
from typing import Any

import pytest
import pytest_twisted
from twisted.logger import globalLogPublisher

from sioproxy.net.takeover import pending_write_bytes
from sioproxy.types import Direction
from tests.proxy.edge.peers import Proxy, RecordingObserver, Upstream, turns, within, ws_connect

C2S, S2C = Direction.C2S, Direction.S2C


@pytest_twisted.ensureDeferred
async def test_text_and_binary_round_trip_with_upstream_subprotocol(reactor: Any) -> None:
    up, obs = Upstream(reactor), RecordingObserver()
    proxy = Proxy(reactor, up.url, obs)
    try:
        client = await ws_connect(
            reactor,
            proxy.number,
            "/socket.io/wsecho?EIO=4&transport=websocket&t=a%2Fb",
            protocols=["sio.v1", "sio.v2"],
            Cookie="io=abc",
            Authorization="Bearer t0ken",
        )
        await within(client.opened, reactor)
        assert client.subprotocol == "sio.v2"  # the upstream's choice, not the first offer
        [handshake] = up.ws_requests
        assert handshake.headers["cookie"] == "io=abc"
        assert handshake.headers["authorization"] == "Bearer t0ken"
        assert handshake.headers["x-forwarded-for"] == "127.0.0.1"
        assert handshake.protocols == ["sio.v1", "sio.v2"]
        for payload, binary in [(b"2probe", False), (b"\x04\x01\x02\x03", True), (b"", False)]:
            client.sendMessage(payload, isBinary=binary)
            assert await within(client.messages.get(), reactor) == (payload, binary)
        text = '42["msg","😀"]'.encode()
        client.sendMessage(text)
        assert await within(client.messages.get(), reactor) == (text, False)
        [opened] = obs.named("ws_open")
        assert opened[2:] == ("/socket.io/wsecho", "EIO=4&transport=websocket&t=a%2Fb", "sio.v2")
        relayed = [(c[2], c[3], c[4]) for c in obs.named("ws_message")]
        assert relayed[:4] == [
            (C2S, b"2probe", False),
            (S2C, b"2probe", False),
            (C2S, b"\x04\x01\x02\x03", True),
            (S2C, b"\x04\x01\x02\x03", True),
        ]
        client.sendClose(1000)
        await within(obs.closed, reactor)
    finally:
        await proxy.close()
        await up.close()


@pytest_twisted.ensureDeferred
async def test_observer_can_replace_and_drop_messages(reactor: Any) -> None:
    up = Upstream(reactor)

    def hook(direction: Direction, payload: bytes, binary: bool) -> Any:
        if direction is S2C:
            return None
        if payload == b"drop-me":
            return []
        if payload == b"split":
            return [(b"4a", False), (b"\x01\x02", True)]
        return None

    obs = RecordingObserver(message_hook=hook)
    proxy = Proxy(reactor, up.url, obs)
    try:
        client = await ws_connect(reactor, proxy.number, "/socket.io/wsecho")
        await within(client.opened, reactor)
        client.sendMessage(b"drop-me")
        client.sendMessage(b"split")
        client.sendMessage(b"after")
        got = [await within(client.messages.get(), reactor) for _ in range(3)]
        assert got == [(b"4a", False), (b"\x01\x02", True), (b"after", False)]
        assert up.ws_received == [(b"4a", False), (b"\x01\x02", True), (b"after", False)]
    finally:
        await proxy.close()
        await up.close()


@pytest_twisted.ensureDeferred
async def test_refused_upgrade_denies_client_with_the_same_status(reactor: Any) -> None:
    up, obs = Upstream(reactor), RecordingObserver()
    proxy = Proxy(reactor, up.url, obs)
    try:
        client = await ws_connect(reactor, proxy.number, "/socket.io/wsrefuse?EIO=4")
        with pytest.raises(RuntimeError):
            await within(client.opened, reactor)
        await within(client.closed, reactor)
        assert client.status is not None
        assert client.status.split()[1] == "403"
        assert obs.named("ws_open") == []
        [(_, _, reason)] = obs.named("error")
        assert "Forbidden" in reason
    finally:
        await proxy.close()
        await up.close()


@pytest_twisted.ensureDeferred
async def test_unreachable_upstream_denies_client_with_502(reactor: Any) -> None:
    up = Upstream(reactor)
    dead = up.url
    await up.close()
    obs = RecordingObserver()
    proxy = Proxy(reactor, dead, obs)
    try:
        client = await ws_connect(reactor, proxy.number, "/socket.io/wsecho")
        with pytest.raises(RuntimeError):
            await within(client.opened, reactor)
        await within(client.closed, reactor)
        assert client.status is not None
        assert client.status.split()[1] == "502"
        assert "unreachable" in obs.named("error")[0][2]
    finally:
        await proxy.close()


@pytest_twisted.ensureDeferred
async def test_upstream_close_reaches_client_with_code_and_reason(reactor: Any) -> None:
    up, obs = Upstream(reactor), RecordingObserver()
    proxy = Proxy(reactor, up.url, obs)
    try:
        client = await ws_connect(reactor, proxy.number, "/socket.io/wsclose")
        await within(client.opened, reactor)
        client.sendMessage(b"close:4001:server says bye")
        assert await within(client.closed, reactor) == (4001, "server says bye")
        await within(obs.closed, reactor)
        assert obs.named("ws_close")[0][2:] == (S2C, 4001, "server says bye")
    finally:
        await proxy.close()
        await up.close()


@pytest_twisted.ensureDeferred
async def test_client_close_reaches_upstream_and_observer_once(reactor: Any) -> None:
    up, obs = Upstream(reactor), RecordingObserver()
    proxy = Proxy(reactor, up.url, obs)
    try:
        client = await ws_connect(reactor, proxy.number, "/socket.io/wsecho")
        await within(client.opened, reactor)
        client.sendClose(4002, "client leaves")
        await within(client.closed, reactor)
        await within(obs.closed, reactor)
        assert await within(up.ws_closed.get(), reactor) == (4002, "client leaves")
        assert [c[2:] for c in obs.named("ws_close")] == [(C2S, 4002, "client leaves")]
    finally:
        await proxy.close()
        await up.close()


@pytest_twisted.ensureDeferred
async def test_message_over_max_body_closes_both_legs_with_1009(reactor: Any) -> None:
    up, obs = Upstream(reactor), RecordingObserver()
    proxy = Proxy(reactor, up.url, obs, max_body=1000)
    try:
        client = await ws_connect(reactor, proxy.number, "/socket.io/wsecho")
        await within(client.opened, reactor)
        client.sendMessage(b"x" * 999, isBinary=True)  # below the cap: relayed
        assert await within(client.messages.get(), reactor) == (b"x" * 999, True)
        client.sendMessage(b"x" * 1001, isBinary=True)
        code, _ = await within(client.closed, reactor)
        await within(obs.closed, reactor)
        assert code == 1009
        assert (await within(up.ws_closed.get(), reactor))[0] == 1009
        assert obs.named("ws_close")[0][2:4] == (None, 1009)
    finally:
        await proxy.close()
        await up.close()


@pytest_twisted.ensureDeferred
async def test_backpressure_pauses_upstream_instead_of_buffering(reactor: Any) -> None:
    """A client that stops reading while the upstream floods.

    With the legs registered as each other's producers, the proxy stops reading
    the upstream: the upstream's own transport pauses its producer and keeps
    the backlog, and the proxy holds no more than about a socket buffer. Without
    it, the proxy would read the whole flood (up to ``flood_limit``) into memory.
    """
    up, obs = Upstream(reactor), RecordingObserver()
    proxy = Proxy(reactor, up.url, obs)
    try:
        client = await ws_connect(reactor, proxy.number, "/socket.io/wsflood")
        await within(client.opened, reactor)
        client.transport.pauseProducing()  # the client never reads
        [relay] = proxy.site.ws_factory.relays.values()
        upstream_leg = up.ws_upstreams[0]
        stalled = False
        for _ in range(3000):  # bounded: about 30 s of reactor turns at most
            flood = up.flood
            assert flood is not None
            if flood.sent >= up.flood_limit:
                break
            upstream_backlog = pending_write_bytes(upstream_leg.transport)
            proxy_paused = relay._down.transport.producerPaused
            if flood.paused and upstream_backlog > 0 and proxy_paused:
                stalled = True
                break
            await turns(reactor)
        assert stalled, f"upstream sent {flood.sent} bytes without being paused"
        assert flood.sent < up.flood_limit
        assert relay.buffered_bytes() < 1024 * 1024
        # Let the client read again: every message arrives, in order, none lost.
        flood.limit = flood.sent
        client.transport.resumeProducing()
        for expected in range(flood.count):
            payload, binary = await within(client.messages.get(), reactor)
            assert (int.from_bytes(payload[:8], "big"), binary) == (expected, True)
    finally:
        await proxy.close()
        await up.close()


@pytest_twisted.ensureDeferred
async def test_client_dropping_tcp_drops_the_upstream_leg(reactor: Any) -> None:
    up, obs = Upstream(reactor), RecordingObserver()
    proxy = Proxy(reactor, up.url, obs)
    try:
        client = await ws_connect(reactor, proxy.number, "/socket.io/wsecho")
        await within(client.opened, reactor)
        client.dropConnection(abort=True)
        await within(obs.closed, reactor)
        [(_, _, initiator, code, _)] = obs.named("ws_close")
        assert (initiator, code) == (C2S, 1006)
        code, _ = await within(up.ws_closed.get(), reactor)
        assert code == 1006  # no close frame reached the upstream either
        assert proxy.site.ws_factory.relays == {}
    finally:
        await proxy.close()
        await up.close()


@pytest_twisted.ensureDeferred
async def test_upstream_legs_are_set_up_once_and_keep_their_own_handshake(
    reactor: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Each upstream leg's factory is a copy of one prototype (ws_relay._UpstreamFactory).

    Every connection still sends its own path, query and headers upstream; what
    is no longer paid per connection is autobahn's reseed of ``random`` (from
    os.urandom) and Twisted's "Starting factory" log event.
    """
    from sioproxy.proxy.edge.ws_relay import _UpstreamFactory

    seeded_by: list[Any] = []
    real_seed = random.seed

    def seed(*args: Any, **kwargs: Any) -> None:
        seeded_by.append(sys._getframe(1).f_locals.get("self"))
        real_seed(*args, **kwargs)

    monkeypatch.setattr(random, "seed", seed)
    events: list[Any] = []
    globalLogPublisher.addObserver(events.append)
    up, obs = Upstream(reactor), RecordingObserver()
    proxy = Proxy(reactor, up.url, obs)
    prototypes = [s for s in seeded_by if isinstance(s, _UpstreamFactory)]
    assert len(prototypes) == 1  # made with the proxy, before any connection
    clients: list[Any] = []
    try:
        clients = [
            await ws_connect(reactor, proxy.number, f"/socket.io/wsecho?n={n}", Cookie=f"io={n}")
            for n in range(3)
        ]
        for client in clients:
            await within(client.opened, reactor)
        sent = sorted((r.path, r.params["n"], r.headers["cookie"]) for r in up.ws_requests)
        assert sent == [("/socket.io/wsecho", [str(n)], f"io={n}") for n in range(3)]
        for client in clients:
            client.sendMessage(b"hello")
            assert await within(client.messages.get(), reactor) == (b"hello", False)
        assert [s for s in seeded_by if isinstance(s, _UpstreamFactory)] == prototypes
        started = [e for e in events if isinstance(e.get("factory"), _UpstreamFactory)]
        assert started == []
    finally:
        globalLogPublisher.removeObserver(events.append)
        for client in clients:
            client.sendClose(1000)
            await within(client.closed, reactor)
        await proxy.close()
        await up.close()
