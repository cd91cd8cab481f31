"""HTTP relay: long-polling requests and plain pages, client <-> upstream.

Layer: transport (the only layer importing twisted). One ``HttpRelay`` per
proxy site sends through ``UpstreamAgents`` (upstream_agents.py): kept-alive
upstream connections shared by every client, in arrival order; an Engine.IO
long-poll GET holds one upstream connection while the POSTs of the same
session use another (docs/protocol.md#b5, A.3.2).

Two modes, chosen per request by ``RelayObserver.wants_body``:

* buffered: whole request body -> ``on_http_request`` -> upstream -> whole
  response body (at most ``max_body`` bytes) -> ``on_http_response`` -> client,
  with Content-Length recomputed because the observer may rewrite the bodies;
* streaming: the response is copied to the client chunk by chunk as it arrives,
  with the upstream connection registered as the producer of the client's, so
  a slow client pauses the upstream read. 0.9's htmlfile transport is a
  never-ending chunked response and must never be buffered (docs/protocol.md#a3-4).

Requests outside ``resource_path`` (the app's pages) always stream and never
reach the observer's body hooks.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from twisted.internet import defer, task
from twisted.logger import Logger
from twisted.python.failure import Failure
from twisted.web import http
from twisted.web.client import FileBodyProducer
from twisted.web.iweb import UNKNOWN_LENGTH, IPolicyForHTTPS

from sioproxy.net.clients import BytesProducer
from sioproxy.net.endpoints import UpstreamEndpoints
from sioproxy.net.resolve import HostCache
from sioproxy.net.upstream import Upstream
from sioproxy.proxy.edge.http_exchange import (
    BoundedBody,
    RequestTooLargeError,
    StreamToClient,
    WebRequest,
    caught,
    describe_failure,
    forwarded_headers,
    has_body,
    no_body,
    request_info,
    response_headers,
    start_response,
)
from sioproxy.proxy.edge.upstream_agents import Lease, UpstreamAgents, ordering_key
from sioproxy.proxy.observer import RelayObserver, RequestInfo

log = Logger()
_Via = tuple[Lease, str]  # the exchange's Agent and its ordering key


class HttpRelay:
    """Relays client requests to the upstream (see module docstring)."""

    def __init__(
        self,
        reactor: Any,
        upstream: Upstream,
        observer: RelayObserver,
        *,
        next_id: Callable[[], int],
        resource_path: str,
        max_body: int,
        tls_policy: IPolicyForHTTPS,
        timeout: float,
        hosts: HostCache | None = None,
    ) -> None:
        self._reactor = reactor
        self._upstream = upstream
        self._observer = observer
        self._next_id = next_id
        self._resource_path = resource_path.rstrip("/")
        self._max_body = max_body
        self._timeout = timeout
        self._tls_policy = tls_policy
        # Kept-alive upstream connections shared by every client connection,
        # in arrival order (upstream_agents.py).
        self._agents = UpstreamAgents(
            reactor, UpstreamEndpoints(reactor, tls_policy, timeout, hosts)
        )
        self._cooperator = task.Cooperator(scheduler=lambda f: reactor.callLater(0, f))

    def refused(self, channel: object, request: WebRequest, status: int, reason: str) -> None:
        """The channel refused a request while reading it (transport/guard.py): log it.

        Like any failed exchange, a refused request of a polling session ends
        that session in the recording.
        """
        self._observer.on_http_error(self._next_id(), request_info(request), reason)

    def close(self) -> defer.Deferred[list[Any]]:
        """Close every kept upstream connection (shutdown)."""
        return self._agents.close()

    def is_socketio(self, path: str) -> bool:
        """Requests under ``resource_path`` are Socket.IO; others are plain pages."""
        root = self._resource_path
        return not root or path == root or path.startswith(root + "/")

    def handle(self, request: WebRequest) -> None:
        """Start relaying ``request``; twisted.web already read its whole body."""
        info = request_info(request)
        exchange_id = self._next_id()
        buffered = self.is_socketio(info.path) and self._observer.wants_body(info)
        run = self._buffered if buffered else self._streaming
        key = ordering_key(info.path, info.query)
        lease = self._agents.lease(key)
        relay = defer.Deferred.fromCoroutine(run(exchange_id, request, info, (lease, key)))
        state = _Exchange(exchange_id, request, info, lease)
        request.notifyFinish().addErrback(state.client_gone, relay)
        relay.addCallbacks(
            self._succeeded, self._failed, callbackArgs=(lease,), errbackArgs=(state,)
        )

    async def _buffered(
        self, exchange_id: int, request: WebRequest, info: RequestInfo, via: _Via
    ) -> None:
        request.content.seek(0)
        body: bytes = request.content.read(self._max_body + 1)
        if len(body) > self._max_body:
            raise RequestTooLargeError(f"request body larger than {self._max_body} bytes")
        replaced = self._observer.on_http_request(exchange_id, info, body)
        if replaced is not None:
            body = replaced
        producer = BytesProducer(body) if body or has_body(request) else None
        response = await self._send(via, request, info, producer)
        expected = None if response.length is UNKNOWN_LENGTH else int(response.length)
        reader = BoundedBody(self._max_body, expected)
        response.deliverBody(reader)
        data = await reader.done
        bodiless = no_body(request, response)
        raw_headers = response_headers(response.headers, keep_length=bodiless)
        headers = tuple(
            (name.decode("latin-1"), value.decode("latin-1"))
            for name, values in raw_headers
            for value in values
        )
        replaced = self._observer.on_http_response(exchange_id, info, response.code, headers, data)
        if replaced is not None:
            data = replaced
        start_response(request, response, raw_headers)
        if not bodiless:
            request.setHeader(b"content-length", str(len(data)).encode())
            request.write(data)
        request.finish()

    async def _streaming(
        self, exchange_id: int, request: WebRequest, info: RequestInfo, via: _Via
    ) -> None:
        request.content.seek(0)
        producer = None
        if has_body(request):
            producer = FileBodyProducer(  # type: ignore[no-untyped-call]
                request.content, cooperator=self._cooperator
            )
        response = await self._send(via, request, info, producer)
        bodiless = no_body(request, response)
        start_response(request, response, response_headers(response.headers, keep_length=bodiless))
        if response.length is not UNKNOWN_LENGTH and not bodiless:
            request.setHeader(b"content-length", str(response.length).encode())
        copier = StreamToClient(request)
        response.deliverBody(copier)
        await copier.done
        request.finish()

    async def _send(self, via: _Via, request: WebRequest, info: RequestInfo, producer: Any) -> Any:
        url = self._upstream.http_url(info.path, info.query).encode("latin-1")
        headers = forwarded_headers(request, info)
        pending = self._agents.request(*via, request.method, url, headers, producer)
        # Bounds connecting and waiting for the headers (a long poll included).
        pending.addTimeout(self._timeout, self._reactor)
        return await pending

    def _succeeded(self, _: None, lease: Lease) -> None:
        self._agents.done(lease, ok=True)

    def _failed(self, failure: Failure, state: _Exchange) -> None:
        exchange_id, request, info = state.exchange_id, state.request, state.info
        # Its upstream connection may be closing yet back in the pool.
        self._agents.done(state.lease, ok=False)
        if state.gone:
            self._observer.on_http_error(exchange_id, info, "client went away")
            return
        reason = describe_failure(failure)
        if reason.startswith("proxy error"):
            log.failure("exchange {id} failed in the proxy", failure, id=exchange_id)
        self._observer.on_http_error(exchange_id, info, reason)
        if request.startedWriting:
            # Headers are out: the only honest signal left is an aborted stream.
            request.channel.transport.abortConnection()
            return
        status = http.BAD_GATEWAY
        if caught(failure, defer.TimeoutError):
            status = http.GATEWAY_TIMEOUT
        elif caught(failure, RequestTooLargeError):
            status = http.REQUEST_ENTITY_TOO_LARGE
        request.setResponseCode(status)
        request.setHeader(b"content-type", b"text/plain; charset=utf-8")
        payload = f"sioproxy: {reason}\n".encode()
        request.setHeader(b"content-length", str(len(payload)).encode())
        request.write(payload)
        request.finish()


class _Exchange:
    """One relayed request; remembers whether the client hung up."""

    def __init__(
        self, exchange_id: int, request: WebRequest, info: RequestInfo, lease: Lease
    ) -> None:
        self.exchange_id = exchange_id
        self.request = request
        self.info = info
        self.lease = lease
        self.gone = False

    def client_gone(self, _: Failure, relay: defer.Deferred[None]) -> None:
        # Cancelling the coroutine cancels the pending upstream request or body
        # read, which closes that upstream connection instead of pooling it.
        self.gone = True
        relay.cancel()


__all__ = ["HttpRelay", "WebRequest", "request_info"]
