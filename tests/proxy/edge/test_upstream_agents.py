"""Kept-alive upstream connections of the HTTP relay (proxy/edge/upstream_agents.py).

Real loopback sockets for what the upstream sees; a connect that never
answers for the ordering rule.
"""

from __future__ import annotations

import json
from typing import Any

import pytest_twisted
from twisted.internet import defer
from twisted.web import server
from twisted.web.http_headers import Headers

from sioproxy.proxy.edge.upstream_agents import IDLE_SECONDS, UpstreamAgents, ordering_key
from tests.proxy.edge.peers import Echo, Proxy, RecordingObserver, Upstream, http, turns


class Connections:
    """Counts the TCP connections the upstream accepted, and those it lost."""

    def __init__(self, up: Upstream) -> None:
        self.made = 0
        self.lost = 0
        self._build = up.site.buildProtocol
        up.site.buildProtocol = self._counting  # type: ignore[method-assign]

    def _counting(self, addr: Any) -> Any:
        channel = self._build(addr)
        self.made += 1
        lose = channel.connectionLost

        def lost(reason: Any) -> None:
            self.lost += 1
            lose(reason)

        channel.connectionLost = lost
        return channel


@pytest_twisted.ensureDeferred
async def test_requests_of_new_client_connections_share_one_upstream_connection(
    reactor: Any,
) -> None:
    # node's polling client opens a TCP connection per request (``http`` too):
    # the proxy must not open (and close) an upstream connection for each.
    up, obs = Upstream(reactor), RecordingObserver()
    conns = Connections(up)
    proxy = Proxy(reactor, up.url, obs)
    try:
        for n in range(4):
            body = f'42["n",{n}]'.encode()
            resp, data = await http(reactor, b"POST", f"{proxy.url}/socket.io/?EIO=4", body=body)
            assert (resp.code, json.loads(data)["body"]) == (200, body.decode())
        resp, _ = await http(reactor, b"GET", f"{proxy.url}/page.html")  # streamed, same pool
        assert resp.code == 200
        assert conns.made == 1
    finally:
        await proxy.close()
        await up.close()


@pytest_twisted.ensureDeferred
async def test_an_idle_kept_connection_is_closed_soon(reactor: Any) -> None:
    up, obs = Upstream(reactor), RecordingObserver()
    conns = Connections(up)
    proxy = Proxy(reactor, up.url, obs)
    try:
        resp, _ = await http(reactor, b"GET", f"{proxy.url}/socket.io/?EIO=4")
        assert resp.code == 200
        for _ in range(int(IDLE_SECONDS * 100) + 300):  # bounded: IDLE_SECONDS + 3 s
            if conns.lost:
                break
            await turns(reactor)
        assert (conns.made, conns.lost) == (1, 1)
    finally:
        await proxy.close()
        await up.close()


@pytest_twisted.ensureDeferred
async def test_a_failed_exchange_leaves_no_connection_to_reuse(reactor: Any) -> None:
    # An oversized answer fails the exchange while its connection may still be
    # closing: the next request must get a fresh connection and its answer.
    up, obs = Upstream(reactor, big=5000), RecordingObserver()
    conns = Connections(up)
    proxy = Proxy(reactor, up.url, obs, max_body=4096)
    try:
        resp, _ = await http(reactor, b"GET", f"{proxy.url}/socket.io/big")
        assert resp.code == 502
        resp, data = await http(reactor, b"POST", f"{proxy.url}/socket.io/?EIO=4", body=b"2")
        assert (resp.code, json.loads(data)["body"]) == (200, "2")
        assert conns.made == 2
    finally:
        await proxy.close()
        await up.close()


@pytest_twisted.ensureDeferred
async def test_multipart_post_is_relayed_not_parsed(reactor: Any) -> None:
    # twisted.web parses form POSTs by default and answers 400 itself for a
    # multipart body it cannot split; a relay passes the body on unread.
    # (The upstream must not parse it either.)
    echo = server.Site(Echo(), parsePOSTFormSubmission=False)
    port = reactor.listenTCP(0, echo, interface="127.0.0.1")
    obs = RecordingObserver()
    proxy = Proxy(reactor, f"http://127.0.0.1:{port.getHost().port}", obs)
    try:
        headers = {b"Content-Type": [b"multipart/form-data; boundary=zz"]}
        resp, data = await http(
            reactor, b"POST", f"{proxy.url}/socket.io/?EIO=4", headers, b"not a multipart body"
        )
        assert (resp.code, json.loads(data)["body"]) == (200, "not a multipart body")
    finally:
        await proxy.close()
        await port.stopListening()


class NeverConnects:
    """An endpoint factory whose connects stay under way until fired."""

    def __init__(self) -> None:
        self.pending: list[defer.Deferred[Any]] = []

    def endpointForURI(self, uri: Any) -> NeverConnects:  # noqa: N802
        return self

    def connect(self, factory: Any) -> defer.Deferred[Any]:
        pending: defer.Deferred[Any] = defer.Deferred()
        self.pending.append(pending)
        return pending


def test_no_request_overtakes_a_connect_under_way(reactor: Any) -> None:
    endpoints = NeverConnects()
    agents = UpstreamAgents(reactor, endpoints)
    session = ordering_key("/socket.io/", "EIO=4&transport=polling&sid=abc")
    first = agents.lease(session)
    assert first.shared
    url = b"http://127.0.0.1:9/socket.io/?EIO=4&transport=polling&sid=abc"
    sent = agents.request(first, session, b"GET", url, Headers(), None)
    sent.addErrback(lambda _: None)
    assert len(endpoints.pending) == 1
    # A kept connection freed now must not carry the session's next request
    # before the first: the next one connects on its own.
    second = agents.lease(session)
    assert not second.shared
    # Another session's requests are not held back by this connect.
    assert agents.lease(ordering_key("/socket.io/", "EIO=4&sid=other")) is first
    endpoints.pending[0].errback(ConnectionRefusedError())
    agents.done(second, ok=True)
    assert agents.lease(session) is first  # no connect under way: the shared pool again


def test_ordering_keys() -> None:
    assert ordering_key("/socket.io/", "EIO=4&transport=polling&sid=a-b&t=1") == (
        "/socket.io/?sid=a-b"
    )
    assert ordering_key("/socket.io/", "EIO=4&transport=polling&t=Nx") == "/socket.io/"
    assert ordering_key("/socket.io/1/xhr-polling/123", "t=1") == "/socket.io/1/xhr-polling/123"
    assert ordering_key("/socket.io/", "xsid=1") == "/socket.io/"


def test_a_failure_retires_the_shared_pool(reactor: Any) -> None:
    agents = UpstreamAgents(reactor, NeverConnects())
    first = agents.lease("/socket.io/")
    agents.done(first, ok=True)
    assert agents.lease("/socket.io/") is first
    agents.done(first, ok=False)
    fresh = agents.lease("/socket.io/")
    assert fresh.shared
    assert fresh is not first
    agents.done(first, ok=False)  # a late failure on a retired pool changes nothing
    assert agents.lease("/socket.io/") is fresh
