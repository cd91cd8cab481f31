"""HTTP relay over real loopback sockets: upstream, proxy and client in one reactor."""

from __future__ import annotations

import json
from typing import Any

import pytest_twisted
from twisted.internet import defer
from twisted.internet.protocol import Protocol
from twisted.web.client import Agent, HTTPConnectionPool, ResponseDone
from twisted.web.http_headers import Headers

from tests.proxy.edge.peers import SET_COOKIES, Proxy, RecordingObserver, Upstream, http, within

QUERY = "EIO=4&transport=polling&t=Nx%2F9&b=%E2%9C%93&empty=&dup=1&dup=2"
# An EIO4 payload with a record separator, a newline and a non-BMP character.
POST_BODY = '42["msg","a\\nb 😀"]\x1e2'.encode()


def header_values(echo: dict[str, Any], name: str) -> list[str]:
    return [v for k, v in echo["headers"] if k == name]


@pytest_twisted.ensureDeferred
async def test_get_and_post_keep_path_query_and_body(reactor: Any) -> None:
    up, obs = Upstream(reactor), RecordingObserver()
    proxy = Proxy(reactor, up.url, obs)
    try:
        resp, data = await http(reactor, b"GET", f"{proxy.url}/socket.io/?{QUERY}")
        assert resp.code == 200
        assert json.loads(data)["uri"] == f"/socket.io/?{QUERY}"
        resp, data = await http(
            reactor,
            b"POST",
            f"{proxy.url}/socket.io/?{QUERY}",
            {b"Content-Type": [b"text/plain;charset=UTF-8"]},
            POST_BODY,
        )
        echo = json.loads(data)
        assert (echo["method"], echo["body"].encode("latin-1")) == ("POST", POST_BODY)
        assert header_values(echo, "content-length") == [str(len(POST_BODY))]
        requests, responses = obs.named("request"), obs.named("response")
        assert [r[1:] for r in requests] == [
            (requests[0][1], "GET", "/socket.io/", QUERY, b""),
            (requests[1][1], "POST", "/socket.io/", QUERY, POST_BODY),
        ]
        assert [r[2] for r in responses] == [200, 200]
        assert responses[1][3] == data  # the observer saw exactly what the client got
        # wants_body, request, response for one exchange before the next starts
        assert [c[0] for c in obs.calls] == ["wants_body", "request", "response"] * 2
    finally:
        await proxy.close()
        await up.close()


@pytest_twisted.ensureDeferred
async def test_headers_pass_and_forwarded_headers_are_added(reactor: Any) -> None:
    up, obs = Upstream(reactor), RecordingObserver()
    proxy = Proxy(reactor, up.url, obs)
    try:
        headers = {
            b"Cookie": [b"io=abc; sticky=node1"],
            b"Origin": [b"http://app.example"],
            b"Authorization": [b"Bearer t0ken"],
            b"X-Forwarded-For": [b"10.0.0.1"],
            b"Connection": [b"X-Secret"],
            b"X-Secret": [b"hop-by-hop"],
            b"Proxy-Authorization": [b"Basic eA=="],
            b"Accept-Language": [b"fr", b"en;q=0.5"],  # a header sent twice
        }
        resp, data = await http(reactor, b"GET", f"{proxy.url}/socket.io/?EIO=3", headers)
        echo = json.loads(data)
        assert header_values(echo, "cookie") == ["io=abc; sticky=node1"]
        assert header_values(echo, "origin") == ["http://app.example"]
        assert header_values(echo, "authorization") == ["Bearer t0ken"]
        assert header_values(echo, "accept-language") == ["fr", "en;q=0.5"]
        assert header_values(echo, "x-forwarded-for") == ["10.0.0.1, 127.0.0.1"]
        assert header_values(echo, "x-forwarded-proto") == ["http"]
        assert header_values(echo, "x-forwarded-host") == [f"127.0.0.1:{proxy.number}"]
        assert header_values(echo, "host") == [up.url.removeprefix("http://")]
        for name in ("x-secret", "proxy-authorization", "connection"):
            assert header_values(echo, name) == []
        assert resp.headers.getRawHeaders(b"set-cookie") == SET_COOKIES
        assert resp.headers.getRawHeaders(b"access-control-allow-credentials") == [b"true"]
        assert resp.length == len(data)  # Agent moves Content-Length to .length
        assert ("Set-Cookie", SET_COOKIES[1].decode()) in obs.response_headers
    finally:
        await proxy.close()
        await up.close()


@pytest_twisted.ensureDeferred
async def test_observer_replaces_both_bodies(reactor: Any) -> None:
    up = Upstream(reactor)
    obs = RecordingObserver(
        request_hook=lambda body: body.replace(b"hello", b"hello, rewritten"),
        response_hook=lambda body: b"3:::replaced \xf0\x9f\x98\x80",
    )
    proxy = Proxy(reactor, up.url, obs)
    try:
        resp, data = await http(reactor, b"POST", f"{proxy.url}/socket.io/1/", body=b"hello")
        assert data == b"3:::replaced \xf0\x9f\x98\x80"
        assert resp.length == len(data)
        echo = json.loads(obs.named("response")[0][3])
        assert echo["body"] == "hello, rewritten"
        assert header_values(echo, "content-length") == ["16"]
    finally:
        await proxy.close()
        await up.close()


@pytest_twisted.ensureDeferred
async def test_upstream_down_gives_502_and_on_http_error(reactor: Any) -> None:
    up = Upstream(reactor)
    dead_url = up.url
    await up.close()  # nothing listens there any more
    obs = RecordingObserver()
    proxy = Proxy(reactor, dead_url, obs)
    try:
        resp, data = await http(reactor, b"GET", f"{proxy.url}/socket.io/?EIO=4")
        assert resp.code == 502
        assert b"unreachable" in data
        [(_, _, reason)] = obs.named("error")
        assert "unreachable" in reason
        assert obs.named("response") == []
    finally:
        await proxy.close()


@pytest_twisted.ensureDeferred
async def test_response_bigger_than_max_body_is_a_502(reactor: Any) -> None:
    up, obs = Upstream(reactor, big=5000), RecordingObserver()
    proxy = Proxy(reactor, up.url, obs, max_body=4096)
    try:
        resp, data = await http(reactor, b"GET", f"{proxy.url}/socket.io/big")
        assert resp.code == 502
        [(_, _, reason)] = obs.named("error")
        assert "4096" in reason
        # the same body streams through when the observer does not buffer it
        obs.buffer = False
        resp, data = await http(reactor, b"GET", f"{proxy.url}/socket.io/big")
        assert (resp.code, len(data)) == (200, 5000)
    finally:
        await proxy.close()
        await up.close()


@pytest_twisted.ensureDeferred
async def test_plain_page_outside_resource_path_streams_past_the_observer(reactor: Any) -> None:
    up, obs = Upstream(reactor), RecordingObserver()
    proxy = Proxy(reactor, up.url, obs)
    try:
        resp, data = await http(reactor, b"GET", f"{proxy.url}/page.html")
        assert (resp.code, data) == (200, b"<html><body>app page</body></html>")
        assert resp.headers.getRawHeaders(b"content-type") == [b"text/html; charset=utf-8"]
        assert obs.calls == []
    finally:
        await proxy.close()
        await up.close()


class FirstChunk(Protocol):
    def __init__(self) -> None:
        self.chunks: list[bytes] = []
        self.first: defer.Deferred[bytes] = defer.Deferred()
        self.done: defer.Deferred[None] = defer.Deferred()

    def dataReceived(self, data: bytes) -> None:  # noqa: N802
        self.chunks.append(data)
        if not self.first.called:
            self.first.callback(data)

    def connectionLost(self, reason: Any = None) -> None:  # noqa: N802
        if reason is not None and reason.check(ResponseDone):
            self.done.callback(None)
        else:
            self.done.errback(reason)


@pytest_twisted.ensureDeferred
async def test_streaming_response_reaches_client_before_upstream_finishes(reactor: Any) -> None:
    up, obs = Upstream(reactor), RecordingObserver(buffer=False)
    proxy = Proxy(reactor, up.url, obs)
    agent = Agent(reactor, pool=HTTPConnectionPool(reactor, persistent=False))
    try:
        url = f"{proxy.url}/socket.io/stream?t=1".encode()
        response = await agent.request(b"GET", url, Headers())
        assert response.headers.getRawHeaders(b"content-type") == [b"text/html"]
        reader = FirstChunk()
        response.deliverBody(reader)
        first = await within(reader.first, reactor)
        assert first.startswith(b"<html><body>")
        [upstream_request] = up.stream.requests
        assert not upstream_request.finished  # upstream still open: this was streamed
        upstream_request.write(b'<script>_("1::");</script>')
        upstream_request.finish()
        await within(reader.done, reactor)
        assert (
            b"".join(reader.chunks) == b"<html><body>" + b" " * 173 + b'<script>_("1::");</script>'
        )
        assert [c[0] for c in obs.calls] == ["wants_body"]
    finally:
        await proxy.close()
        await up.close()


@pytest_twisted.ensureDeferred
async def test_client_going_away_cancels_the_upstream_request(reactor: Any) -> None:
    up, obs = Upstream(reactor), RecordingObserver()
    proxy = Proxy(reactor, up.url, obs, timeout=3600)  # only the cancel can end it
    agent = Agent(reactor, pool=HTTPConnectionPool(reactor, persistent=False))
    try:
        pending = agent.request(b"GET", f"{proxy.url}/socket.io/hold".encode(), Headers())
        pending.addErrback(lambda _: None)
        await within(up.hold.arrived, reactor)
        pending.cancel()  # the long-polling client gives up
        await within(up.hold.lost, reactor)  # ...and the proxy hung up on the upstream too
        assert await obs.errored == "client went away"
    finally:
        await proxy.close()
        await up.close()
