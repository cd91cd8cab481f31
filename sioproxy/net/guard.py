"""Limits every sioproxy HTTP listener enforces while it reads (proxy, replay, admin).

Layer: transport (Twisted). twisted.web reads a whole request body (into
memory, or a temporary file past 100 KB) before any resource sees it, waits
for request headers as long as bytes keep trickling in, and accepts any
request target. ``GuardedChannel`` and ``GuardedRequest`` refuse earlier:

* a body announced larger than ``max_body`` is refused (``413``) as soon as
  the headers are in; a chunked or unannounced body is refused the moment it
  passes the limit. Nothing past the limit is kept.
* a request target that is not origin-form (``/path?query``) gets ``400``
  before routing (``limits.bad_target``).
* the request line and headers must arrive within ``header_timeout`` of the
  connection opening (or of a later request's first byte): ``408`` and close.
* ``idle_timeout`` is twisted.web's own idle timer (reset by every read,
  paused while a request is being answered, so held long polls are safe).

A refused connection is half-closed: the answer goes out, what the client
keeps sending is read and dropped for ``linger`` seconds (closing with unread
data would be a TCP reset that can destroy the answer), then it is aborted.

``GuardedSite`` also caps concurrent connections per client address
(``max_per_client``, off by default); the count follows the TCP connection,
through a WebSocket takeover too. Everything refused or timed out is counted
in the site's ``EdgeStats`` (``/metrics``).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from twisted.internet.protocol import Protocol, connectionDone
from twisted.internet.task import LoopingCall
from twisted.protocols.policies import ProtocolWrapper
from twisted.protocols.tls import TLSMemoryBIOProtocol
from twisted.python.failure import Failure
from twisted.web.http import HTTPChannel
from twisted.web.server import Request, Site

from sioproxy.limits import EdgeLimits, EdgeStats, bad_target
from sioproxy.net.takeover import request_line

_PHRASES = {
    400: b"Bad Request",
    408: b"Request Timeout",
    413: b"Request Entity Too Large",
    503: b"Service Unavailable",
}

# (channel, request, status, reason): lets the proxy log and record a refusal.
RefusalHook = Callable[[Any, Any, int, str], None]


def plain_response(status: int, text: str) -> bytes:
    """A complete ``Connection: close`` response with a one-line text body."""
    body = f"sioproxy: {text}\n".encode()
    head = (
        b"HTTP/1.1 %d %s\r\nContent-Type: text/plain; charset=utf-8\r\n"
        b"Content-Length: %d\r\nConnection: close\r\n\r\n"
    ) % (status, _PHRASES.get(status, b"Error"), len(body))
    return head + body


def half_close(transport: Any) -> None:
    """End our side of a plain TCP connection but keep reading; TLS closes fully."""
    inner = transport
    while isinstance(inner, ProtocolWrapper):
        if isinstance(inner, TLSMemoryBIOProtocol):
            transport.loseConnection()  # no half-close under TLS
            return
        inner = inner.transport
    transport.loseWriteConnection()


class GuardedRequest(Request):
    """A ``Request`` that checks its target and counts its body as it arrives."""

    _body_size = 0
    refused = False

    def gotLength(self, length: int | None) -> None:  # noqa: N802 - twisted's name
        channel: Any = self.channel
        reason = bad_target(channel.target())
        if reason is not None:
            channel.refuse(self, 400, "bad_target", reason)
            return
        limit = channel.limits.max_body
        if length is not None and length > limit:
            channel.refuse(self, 413, "body_too_large", f"request body larger than {limit} bytes")
            return
        super().gotLength(length)  # type: ignore[no-untyped-call]

    def handleContentChunk(self, data: bytes) -> None:  # noqa: N802
        if self.refused:
            return
        self._body_size += len(data)
        channel: Any = self.channel
        limit = channel.limits.max_body
        if self._body_size > limit:
            channel.refuse(self, 413, "body_too_large", f"request body larger than {limit} bytes")
            return
        super().handleContentChunk(data)  # type: ignore[no-untyped-call]

    def requestReceived(self, command: bytes, path: bytes, version: bytes) -> None:  # noqa: N802
        if not self.refused:
            super().requestReceived(command, path, version)  # type: ignore[no-untyped-call]


class GuardedChannel(HTTPChannel):
    """An ``HTTPChannel`` with a header timeout and early, lingering refusals."""

    site: GuardedSite
    _head_timer: Any = None
    _abort_timer: Any = None
    closing = False

    @property
    def limits(self) -> EdgeLimits:
        return self.site.edge_limits

    def target(self) -> bytes:
        """The request target of the request being read (set with the request line)."""
        return request_line(self)[1]

    def connectionMade(self) -> None:  # noqa: N802
        super().connectionMade()  # type: ignore[no-untyped-call]
        self._start_head_timer()

    def dataReceived(self, data: bytes) -> None:  # noqa: N802
        if self.closing:
            return  # a refused connection: read and dropped while the answer goes out
        if self._head_timer is None and self.line_mode and not self._handlingRequest:
            self._start_head_timer()  # the first byte of a kept-alive connection's next request
        super().dataReceived(data)  # type: ignore[no-untyped-call]

    def allHeadersReceived(self) -> None:  # noqa: N802
        self._cancel_head_timer()
        super().allHeadersReceived()  # type: ignore[no-untyped-call]

    def _send100Continue(self) -> None:  # noqa: N802
        if not self.closing:
            super()._send100Continue()  # type: ignore[no-untyped-call]

    def timeoutConnection(self) -> None:  # noqa: N802 - twisted.web's idle timeout fired
        self.site.edge_stats.timed_out("idle")
        super().timeoutConnection()  # type: ignore[no-untyped-call]

    def connectionLost(self, reason: Failure = connectionDone) -> None:  # noqa: N802
        self._cancel_head_timer()
        if self._abort_timer is not None and self._abort_timer.active():
            self._abort_timer.cancel()
        self._abort_timer = None
        super().connectionLost(reason)  # type: ignore[no-untyped-call]

    # -- header timeout ------------------------------------------------------

    def _start_head_timer(self) -> None:
        seconds = self.limits.header_timeout
        if seconds > 0 and not self.closing:
            reactor: Any = self.site.reactor
            self._head_timer = reactor.callLater(seconds, self._head_timed_out)

    def _cancel_head_timer(self) -> None:
        timer, self._head_timer = self._head_timer, None
        if timer is not None and timer.active():
            timer.cancel()

    def _head_timed_out(self) -> None:
        self._head_timer = None
        self.site.edge_stats.timed_out("header")
        self.close_with(plain_response(408, "request headers took too long"))

    # -- refusing ----------------------------------------------------------------

    def refuse(self, request: GuardedRequest, status: int, key: str, reason: str) -> None:
        """Answer ``status`` now, keep nothing more of this request, close the connection."""
        request.refused = True
        self.site.edge_stats.refuse(key)
        hook = self.site.on_refused
        if hook is not None:
            # The request line, as requestReceived would have set it.
            request.method, request.uri, request.clientproto = request_line(self)
            hook(self, request, status, reason)
        self.close_with(plain_response(status, reason))

    def close_with(self, response: bytes) -> None:
        """Send ``response``, half-close, drop what still comes for ``linger`` s, then abort."""
        if self.closing or self.transport is None:
            return
        self.closing = True
        self._cancel_head_timer()
        self.setTimeout(None)  # type: ignore[no-untyped-call]
        # LineReceiver stops its parsing loop when paused: nothing more of
        # this read reaches the request either.
        self.paused = True
        self.clearLineBuffer()  # type: ignore[no-untyped-call]
        transport: Any = self.transport
        transport.write(response)
        half_close(transport)
        reactor: Any = self.site.reactor
        self._abort_timer = reactor.callLater(self.limits.linger, self._abort)

    def _abort(self) -> None:
        self._abort_timer = None
        if self.transport is not None:
            self.transport.abortConnection()


class _PerClient:
    """Open connections per client address; plays the ``WrappingFactory`` of ``_Counted``."""

    def __init__(self) -> None:
        self.open: dict[str, int] = {}

    def registerProtocol(self, wrapper: _Counted) -> None:  # noqa: N802
        pass  # counted in buildProtocol, before the connection is set up

    def unregisterProtocol(self, wrapper: _Counted) -> None:  # noqa: N802
        left = self.open.get(wrapper.client, 0) - 1
        if left > 0:
            self.open[wrapper.client] = left
        else:
            self.open.pop(wrapper.client, None)


class _Counted(ProtocolWrapper):
    """Counts one TCP connection for its whole life, whoever its protocol becomes."""

    def __init__(self, counts: _PerClient, wrapped: Any, client: str) -> None:
        super().__init__(counts, wrapped)  # type: ignore[arg-type]
        self.client = client


class _Refusal(Protocol):
    """Over the per-client cap: ``503``, then the same lingering close as a refusal."""

    def __init__(self, reactor: Any, linger: float) -> None:
        self._reactor = reactor
        self._linger = linger
        self._timer: Any = None

    def connectionMade(self) -> None:  # noqa: N802
        transport: Any = self.transport
        transport.write(plain_response(503, "too many connections from this address"))
        half_close(transport)
        self._timer = self._reactor.callLater(self._linger, transport.abortConnection)

    def dataReceived(self, data: bytes) -> None:  # noqa: N802
        pass

    def connectionLost(self, reason: Failure = connectionDone) -> None:  # noqa: N802
        if self._timer is not None and self._timer.active():
            self._timer.cancel()


class GuardedSite(Site):
    """A ``Site`` that enforces ``EdgeLimits`` (call ``guard`` before listening)."""

    edge_limits: EdgeLimits
    edge_stats: EdgeStats
    on_refused: RefusalHook | None = None
    _per_client: _PerClient | None = None

    def guard(
        self,
        limits: EdgeLimits,
        stats: EdgeStats | None = None,
        *,
        channel: type[GuardedChannel] = GuardedChannel,
        on_refused: RefusalHook | None = None,
    ) -> None:
        self.edge_limits = limits
        self.edge_stats = stats if stats is not None else EdgeStats()
        self.on_refused = on_refused
        self.protocol = channel  # type: ignore[assignment]
        self.requestFactory = GuardedRequest
        # twisted.web's idle timer; None (not 0) turns it off.
        self.timeOut = limits.idle_timeout or None
        self._per_client = _PerClient() if limits.max_per_client > 0 else None

    def buildProtocol(self, addr: Any) -> Any:  # noqa: N802
        counts = self._per_client
        if counts is None:
            return super().buildProtocol(addr)  # type: ignore[no-untyped-call]
        client = str(getattr(addr, "host", ""))
        if counts.open.get(client, 0) >= self.edge_limits.max_per_client:
            self.edge_stats.refuse("per_client_limit")
            return _Refusal(self.reactor, self.edge_limits.linger)
        channel = super().buildProtocol(addr)  # type: ignore[no-untyped-call]
        counts.open[client] = counts.open.get(client, 0) + 1
        return _Counted(counts, channel, client)


class IdleSweep:
    """Closes relayed WebSockets on which neither peer sent a byte for ``idle_timeout``.

    A check every quarter of the timeout instead of a timer per connection:
    the splice only zeroes its ``quiet`` count on each read (one store on the
    hot path), and a connection is closed (1001 to both peers) once four
    checks in a row found it quiet, so after 1 to 1.25 times the timeout.
    Runs only while there are relays.
    """

    CHECKS = 4

    def __init__(
        self, reactor: Any, relays: dict[int, Any], idle_timeout: float, stats: EdgeStats
    ) -> None:
        self._relays = relays
        self._timeout = idle_timeout
        self._stats = stats
        self._loop = LoopingCall(self._check)
        self._loop.clock = reactor

    def watch(self) -> None:
        """A relay was added: make sure the checks run."""
        if self._timeout > 0 and not self._loop.running:
            self._loop.start(self._timeout / self.CHECKS, now=False)

    def stop(self) -> None:
        if self._loop.running:
            self._loop.stop()

    def _check(self) -> None:
        if not self._relays:
            self.stop()
            return
        for relay in list(self._relays.values()):
            splice = relay.splice
            if splice is None or splice.first_close is not None:
                continue  # still opening (autobahn's handshake timeout), or closing
            splice.quiet += 1
            if splice.quiet > self.CHECKS:
                self._stats.timed_out("idle")
                splice.close_both(1001, "idle timeout")


__all__ = [
    "GuardedChannel",
    "GuardedRequest",
    "GuardedSite",
    "IdleSweep",
    "RefusalHook",
    "plain_response",
]
