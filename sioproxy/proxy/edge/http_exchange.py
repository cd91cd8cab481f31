"""One HTTP exchange of the relay: headers rewritten, bodies bounded or streamed.

Layer: transport (twisted). The parts of ``http_relay.py`` that do not depend on
the relay's state: which headers pass (RFC 9110 7.6.1 hop-by-hop ones do not,
``X-Forwarded-*`` are added), the body reader capped at ``max_body``, the
copier that streams a response to the client with back-pressure, the start of
the client's response, and the short reason an exchange failed.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from twisted.internet import defer
from twisted.internet.error import ConnectError, DNSLookupError
from twisted.internet.protocol import Protocol, connectionDone
from twisted.python.failure import Failure
from twisted.web import http
from twisted.web.client import ResponseDone, ResponseFailed
from twisted.web.http_headers import Headers

from sioproxy.proxy.observer import RequestInfo

# twisted.web's Request and the Agent's response are untyped: under mypy
# --strict every call on them would be an error, so they travel as Any.
WebRequest = Any
UpstreamResponse = Any

# RFC 9110 7.6.1 hop-by-hop headers, plus the ones the relay recomputes itself:
# Host (upstream's, the original goes to X-Forwarded-Host), Content-Length
# (the body may be replaced) and Expect (twisted.web already answered 100).
HOP_BY_HOP = frozenset(
    {
        b"connection",
        b"keep-alive",
        b"proxy-connection",
        b"proxy-authenticate",
        b"proxy-authorization",
        b"te",
        b"trailer",
        b"trailers",
        b"transfer-encoding",
        b"upgrade",
    }
)
_REQUEST_DROP = HOP_BY_HOP | {b"host", b"content-length", b"expect"}
_RESPONSE_DROP = HOP_BY_HOP | {b"content-length"}
_NO_BODY_STATUS = frozenset({204, 304})


class BodyTooLargeError(Exception):
    """An upstream response body above ``max_body``."""


class RequestTooLargeError(Exception):
    """A client request body above ``max_body`` on a buffered exchange."""


def request_info(request: WebRequest) -> RequestInfo:
    """The client's request as the observer sees it (raw path and query)."""
    path, _, query = request.uri.partition(b"?")
    peer = request.getClientAddress()
    host = getattr(peer, "host", "")
    port = getattr(peer, "port", 0)
    client = f"[{host}]:{port}" if ":" in host else f"{host}:{port}"
    headers = tuple(
        (name.decode("latin-1"), value.decode("latin-1"))
        for name, values in request.requestHeaders.getAllRawHeaders()
        for value in values
    )
    return RequestInfo(
        method=request.method.decode("latin-1"),
        path=path.decode("latin-1"),
        query=query.decode("latin-1"),
        headers=headers,
        client=client,
        scheme="https" if request.isSecure() else "http",
    )


def _connection_tokens(headers: Headers) -> set[bytes]:
    """Header names listed in Connection are hop-by-hop too (RFC 9110 7.6.1)."""
    tokens: set[bytes] = set()
    for value in headers.getRawHeaders(b"connection", []):
        tokens.update(t.strip().lower() for t in value.split(b",") if t.strip())
    return tokens


def forwarded_headers(request: WebRequest, info: RequestInfo) -> Headers:
    """The client's headers minus hop-by-hop ones, plus X-Forwarded-*."""
    source: Headers = request.requestHeaders
    drop = _REQUEST_DROP | _connection_tokens(source)
    out = Headers()
    for name, values in source.getAllRawHeaders():
        if name.lower() not in drop:
            out.setRawHeaders(name, list(values))
    client_host = info.client.rsplit(":", 1)[0].strip("[]")
    previous = out.getRawHeaders(b"x-forwarded-for")
    chain = [*previous, client_host.encode()] if previous else [client_host.encode()]
    out.setRawHeaders(b"X-Forwarded-For", [b", ".join(chain)])
    out.setRawHeaders(b"X-Forwarded-Proto", [info.scheme.encode()])
    host = source.getRawHeaders(b"host")
    if host:
        out.setRawHeaders(b"X-Forwarded-Host", [host[0]])
    return out


def response_headers(
    headers: Headers, *, keep_length: bool = False
) -> tuple[tuple[bytes, list[bytes]], ...]:
    """Upstream response headers to pass on: all but hop-by-hop and Content-Length.

    ``keep_length`` keeps Content-Length, for HEAD and 204/304 answers whose
    length describes a body that is not sent.
    """
    drop = (HOP_BY_HOP if keep_length else _RESPONSE_DROP) | _connection_tokens(headers)
    return tuple(
        (name, list(values))
        for name, values in headers.getAllRawHeaders()
        if name.lower() not in drop
    )


class BoundedBody(Protocol):
    """Collects a response body; fails with ``BodyTooLargeError`` beyond ``limit`` bytes."""

    def __init__(self, limit: int, expected: int | None) -> None:
        self._limit = limit
        self._expected = expected
        self._parts: list[bytes] = []
        self._size = 0
        self.done: defer.Deferred[bytes] = defer.Deferred(lambda _: self._stop())

    def connectionMade(self) -> None:  # noqa: N802
        # A declared length over the cap fails before reading a byte of it.
        if self._expected is not None and self._expected > self._limit:
            self._fail(
                BodyTooLargeError(f"upstream body of {self._expected} bytes > {self._limit}")
            )

    def dataReceived(self, data: bytes) -> None:  # noqa: N802
        if self.done.called:
            return
        self._size += len(data)
        if self._size > self._limit:
            self._fail(BodyTooLargeError(f"upstream body larger than {self._limit} bytes"))
            return
        self._parts.append(data)

    def connectionLost(self, reason: Failure = connectionDone) -> None:  # noqa: N802
        if self.done.called:
            return
        # PotentialDataLoss: a body delimited by connection close (HTTP/1.0 style).
        if caught(reason, ResponseDone, http.PotentialDataLoss):
            self.done.callback(b"".join(self._parts))
        else:
            self.done.errback(reason)

    def _fail(self, exc: Exception) -> None:
        self._stop()
        self.done.errback(exc)

    def _stop(self) -> None:
        producer: Any = self.transport
        if producer is not None:
            producer.stopProducing()


class StreamToClient(Protocol):
    """Copies a response body to the client as it arrives, with flow control."""

    def __init__(self, request: WebRequest) -> None:
        self._request = request
        self.done: defer.Deferred[None] = defer.Deferred(lambda _: self._stop())

    def connectionMade(self) -> None:  # noqa: N802
        # The upstream connection pauses while the client's write buffer is full.
        self._request.registerProducer(self.transport, True)

    def dataReceived(self, data: bytes) -> None:  # noqa: N802
        if not self.done.called:
            self._request.write(data)

    def connectionLost(self, reason: Failure = connectionDone) -> None:  # noqa: N802
        self._request.unregisterProducer()
        if self.done.called:
            return
        if caught(reason, ResponseDone, http.PotentialDataLoss):
            self.done.callback(None)
        else:
            self.done.errback(reason)

    def _stop(self) -> None:
        producer: Any = self.transport
        if producer is not None:
            producer.stopProducing()


def caught(failure: Failure, *kinds: type[BaseException]) -> bool:
    return isinstance(failure.value, kinds)


def describe_failure(failure: Failure) -> str:
    """A short reason for the observer and the error body sent to the client."""
    if caught(failure, ResponseFailed):
        reasons = getattr(failure.value, "reasons", [])
        inner = "; ".join(str(r.value) or type(r.value).__name__ for r in reasons)
        return f"upstream reset: {inner or failure.value}"
    if caught(failure, BodyTooLargeError, RequestTooLargeError):
        return str(failure.value)
    if caught(failure, defer.TimeoutError):
        return "upstream timed out"
    if caught(failure, ConnectError, DNSLookupError):
        return f"upstream unreachable: {failure.value}"
    return f"proxy error: {failure.getErrorMessage()}"


def no_body(request: WebRequest, response: UpstreamResponse) -> bool:
    code: int = response.code
    return bool(request.method == b"HEAD") or code in _NO_BODY_STATUS or code < 200


def has_body(request: WebRequest) -> bool:
    headers: Headers = request.requestHeaders
    return headers.hasHeader(b"content-length") or headers.hasHeader(b"transfer-encoding")


def start_response(
    request: WebRequest, response: UpstreamResponse, headers: Iterable[tuple[bytes, list[bytes]]]
) -> None:
    request.setResponseCode(response.code, response.phrase)
    # twisted.web added its own Server and Date and would add text/html: the
    # client should see the upstream's headers, not ours.
    request.defaultContentType = None
    request.responseHeaders.removeHeader(b"server")
    request.responseHeaders.removeHeader(b"date")
    for name, values in headers:
        request.responseHeaders.setRawHeaders(name, values)
