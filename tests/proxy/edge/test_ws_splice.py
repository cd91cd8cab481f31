"""The open-WebSocket splice (transport/ws_splice.py) over real loopback sockets.

The client writes hand-made frames straight to its TCP connection, so the
proxy sees fragments, batches and close frames exactly as a peer may send them.
"""

from __future__ import annotations

import socket
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import pytest
import pytest_twisted

from sioproxy.codec.wsframe import BINARY, CLOSE, CONTINUATION, PING, TEXT, encode_frame
from sioproxy.proxy.edge.ws_relay import RelayControlImpl
from sioproxy.types import Direction
from tests.proxy.edge.peers import Proxy, RecordingObserver, Upstream, turns, within, ws_connect

C2S, S2C = Direction.C2S, Direction.S2C


def masked(opcode: int, payload: bytes, fin: bool = True) -> bytes:
    return encode_frame(opcode, payload, masked=True, fin=fin)


@asynccontextmanager
async def relayed(
    reactor: Any, obs: RecordingObserver | None = None
) -> AsyncIterator[tuple[Upstream, RecordingObserver, Proxy, Any]]:
    """Upstream, observer, proxy and an open client on ``/socket.io/wsecho``; closed after."""
    up, obs = Upstream(reactor), obs or RecordingObserver()
    proxy = Proxy(reactor, up.url, obs)
    try:
        client = await ws_connect(reactor, proxy.number, "/socket.io/wsecho")
        await within(client.opened, reactor)
        yield up, obs, proxy, client
    finally:
        await proxy.close()
        await up.close()


def observer(passive: bool) -> RecordingObserver:
    """passive: the observer promises not to rewrite, so the splice sends first."""
    obs = RecordingObserver()
    if passive:
        obs.passive = True  # type: ignore[attr-defined]
    return obs


def failing_on_boom() -> RecordingObserver:
    """An observer that raises on the message ``boom``."""

    def hook(direction: Direction, payload: bytes, binary: bool) -> Any:
        if payload == b"boom":
            raise RuntimeError("observer bug")
        return None

    return RecordingObserver(message_hook=hook)


both_orders = pytest.mark.parametrize("passive", [False, True], ids=["observer", "passive"])


async def wait_until(reactor: Any, check: Any) -> None:
    for _ in range(500):  # bounded: about 5 s of reactor turns
        if check():
            return
        await turns(reactor)
    raise AssertionError("condition not reached")


@both_orders
@pytest_twisted.ensureDeferred
async def test_fragments_batches_and_pings_pass_in_order(reactor: Any, passive: bool) -> None:
    async with relayed(reactor, observer(passive)) as (up, obs, _proxy, client):
        pongs: list[bytes] = []
        client.onPong = pongs.append
        # One TCP write: a message in three fragments with a ping between
        # them, then two whole messages.
        client.transport.write(
            masked(TEXT, b'42["fr', fin=False)
            + masked(PING, b"are you there")
            + masked(CONTINUATION, "agé".encode(), fin=False)
            + masked(CONTINUATION, b'nted"]')
            + masked(BINARY, b"\x04\x00\x01")
            + masked(TEXT, b"2")
        )
        got = [await within(client.messages.get(), reactor) for _ in range(3)]
        assert got == [('42["fragénted"]'.encode(), False), (b"\x04\x00\x01", True), (b"2", False)]
        assert up.ws_received == got
        seen = [(c[2], c[3]) for c in obs.named("ws_message") if c[2] is C2S]
        assert seen == [(C2S, '42["fragénted"]'.encode()), (C2S, b"\x04\x00\x01"), (C2S, b"2")]
        await wait_until(reactor, lambda: pongs)
        assert pongs == [b"are you there"]  # answered by the server, end to end


@pytest_twisted.ensureDeferred
async def test_replaced_message_keeps_its_place_in_a_batch(reactor: Any) -> None:
    def hook(direction: Direction, payload: bytes, binary: bool) -> Any:
        if direction is C2S and payload == b"b":
            return [(b"B1", False), (b"B2", True)]
        return None

    async with relayed(reactor, RecordingObserver(message_hook=hook)) as (_, _, _, client):
        client.transport.write(b"".join(masked(TEXT, m) for m in (b"a", b"b", b"c")))
        got = [await within(client.messages.get(), reactor) for _ in range(4)]
        assert got == [(b"a", False), (b"B1", False), (b"B2", True), (b"c", False)]


@pytest_twisted.ensureDeferred
async def test_injected_messages_and_a_proxy_close_reach_both_peers(reactor: Any) -> None:
    async with relayed(reactor) as (up, obs, proxy, client):
        control = RelayControlImpl(reactor, proxy.site.ws_factory)
        [ws_id] = proxy.site.ws_factory.relays
        assert control.ws_send(ws_id, S2C, [('42["é"]'.encode(), False), (b"\x01", True)])
        assert await within(client.messages.get(), reactor) == ('42["é"]'.encode(), False)
        assert await within(client.messages.get(), reactor) == (b"\x01", True)
        # Towards the server the proxy is a client: its frames must be masked,
        # or the upstream's autobahn would refuse them.
        assert control.ws_send(ws_id, C2S, [(b"to-server", False)])
        assert await within(client.messages.get(), reactor) == (b"to-server", False)  # echoed
        control.ws_close(ws_id, 4100, "rule closed it")
        assert await within(client.closed, reactor) == (4100, "rule closed it")
        assert await within(up.ws_closed.get(), reactor) == (4100, "rule closed it")
        await within(obs.closed, reactor)
        assert obs.named("ws_close")[0][2:] == (None, 4100, "rule closed it")
        assert not control.ws_send(ws_id, S2C, [(b"late", False)])
        assert proxy.site.ws_factory.relays == {}


@both_orders
@pytest_twisted.ensureDeferred
async def test_close_frame_with_a_reserved_code_is_a_protocol_error(
    reactor: Any, passive: bool
) -> None:
    async with relayed(reactor, observer(passive)) as (up, obs, _proxy, client):
        client.transport.write(masked(TEXT, b"before") + masked(CLOSE, (1005).to_bytes(2, "big")))
        code, _ = await within(client.closed, reactor)
        assert code == 1002
        assert (await within(up.ws_closed.get(), reactor))[0] == 1002
        assert up.ws_received == [(b"before", False)]  # what came first was relayed
        await within(obs.closed, reactor)
        assert obs.named("ws_close")[0][2:4] == (None, 1002)


@pytest_twisted.ensureDeferred
async def test_unmasked_client_frame_closes_with_1002_and_nothing_is_relayed(
    reactor: Any,
) -> None:
    async with relayed(reactor) as (up, obs, _proxy, client):
        client.transport.write(encode_frame(TEXT, b"bare", masked=False))
        code, _ = await within(client.closed, reactor)
        assert code == 1002
        await within(obs.closed, reactor)
        assert up.ws_received == []
        assert obs.named("ws_message") == []


@both_orders
@pytest_twisted.ensureDeferred
async def test_messages_before_a_bad_frame_in_the_same_read_are_relayed(
    reactor: Any, passive: bool
) -> None:
    async with relayed(reactor, observer(passive)) as (up, obs, _proxy, client):
        client.transport.write(masked(TEXT, b"first") + masked(TEXT, b"second") + b"\xf1\x80")
        code, _ = await within(client.closed, reactor)
        assert code == 1002
        await within(obs.closed, reactor)
        assert up.ws_received == [(b"first", False), (b"second", False)]
        assert [c[3] for c in obs.named("ws_message") if c[2] is C2S] == [b"first", b"second"]


@pytest_twisted.ensureDeferred
async def test_a_lone_message_is_sent_before_a_passive_observer_sees_it(reactor: Any) -> None:
    """One message per read: the send-first path, held fragments included."""
    async with relayed(reactor, observer(passive=True)) as (up, obs, _proxy, client):
        client.transport.write(masked(TEXT, b"whole"))
        assert await within(client.messages.get(), reactor) == (b"whole", False)
        client.transport.write(masked(TEXT, b"frag", fin=False))
        await turns(reactor, 5)  # the first fragment is read on its own
        client.transport.write(masked(CONTINUATION, b"mented"))
        assert await within(client.messages.get(), reactor) == (b"fragmented", False)
        assert up.ws_received == [(b"whole", False), (b"fragmented", False)]
        seen = [c[3] for c in obs.named("ws_message") if c[2] is C2S]
        assert seen == [b"whole", b"fragmented"]


@pytest_twisted.ensureDeferred
async def test_observer_failure_relays_what_it_passed_then_closes_with_1011(
    reactor: Any,
) -> None:
    async with relayed(reactor, failing_on_boom()) as (up, _, _, client):
        client.transport.write(masked(TEXT, b"fine") + masked(TEXT, b"boom"))
        code, _ = await within(client.closed, reactor)
        assert code == 1011
        assert (await within(up.ws_closed.get(), reactor))[0] == 1011
        assert up.ws_received == [(b"fine", False)]


@pytest_twisted.ensureDeferred
async def test_passive_observer_failing_on_a_lone_message_closes_with_1011_after_it(
    reactor: Any,
) -> None:
    """The send-first path of one whole message: it is relayed, then both legs get 1011."""
    obs = failing_on_boom()
    obs.passive = True  # type: ignore[attr-defined]
    async with relayed(reactor, obs) as (up, _, _, client):
        client.transport.write(masked(TEXT, b"fine"))
        assert await within(client.messages.get(), reactor) == (b"fine", False)
        client.transport.write(masked(TEXT, b"boom"))
        code, _ = await within(client.closed, reactor)
        assert code == 1011
        assert (await within(up.ws_closed.get(), reactor))[0] == 1011
        assert up.ws_received == [(b"fine", False), (b"boom", False)]


@pytest_twisted.ensureDeferred
async def test_both_legs_send_small_frames_without_nagle_delay(reactor: Any) -> None:
    """TCP_NODELAY on both connections: the upstream leg, opened through an
    endpoint, did not get autobahn's option and held frames for an ACK."""
    async with relayed(reactor) as (_up, _obs, proxy, _client):
        (relay,) = proxy.site.ws_factory.relays.values()
        for leg in (relay.splice.down, relay.splice.up):
            handle = leg.transport.getHandle()
            assert handle.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY) != 0, leg.direction
