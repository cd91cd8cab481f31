"""Routing: one listening port for HTTP relaying and WebSocket relaying.

Layer: transport (imports twisted/autobahn). ``build_proxy_site`` returns a
``twisted.web.server.Site`` whose single leaf resource sends every request
carrying ``Upgrade: websocket`` (on any path) to the WebSocket relay and every
other request to the HTTP relay, with the path and raw query unchanged.
"""

from __future__ import annotations

import inspect
import ipaddress
import itertools
from dataclasses import replace
from typing import Any

from OpenSSL import SSL
from twisted.internet import defer, ssl
from twisted.internet.interfaces import IOpenSSLClientConnectionCreator
from twisted.logger import Logger
from twisted.web.client import BrowserLikePolicyForHTTPS
from twisted.web.iweb import IPolicyForHTTPS
from twisted.web.resource import Resource
from twisted.web.server import NOT_DONE_YET, Site
from zope.interface import implementer  # type: ignore[import-untyped]

from sioproxy.limits import EdgeLimits, EdgeStats
from sioproxy.net.guard import GuardedSite, IdleSweep
from sioproxy.net.resolve import HostCache
from sioproxy.net.takeover import hand_over, is_websocket_upgrade
from sioproxy.net.upstream import Upstream
from sioproxy.proxy.edge.http_relay import HttpRelay, WebRequest, request_info
from sioproxy.proxy.edge.ws_relay import DownstreamProtocol, RelayControlImpl, WsRelayFactory
from sioproxy.proxy.observer import RelayObserver

log = Logger()


@implementer(IOpenSSLClientConnectionCreator)
class _NoVerifyCreator:
    """TLS to the upstream with SNI but without certificate checks (``insecure``)."""

    def __init__(self, hostname: bytes) -> None:
        self._hostname = hostname
        options: Any = ssl.CertificateOptions(verify=False)
        self._context = options.getContext()

    def clientConnectionForTLS(self, tlsProtocol: Any) -> SSL.Connection:  # noqa: N802, N803
        connection = SSL.Connection(self._context, None)
        connection.set_app_data(tlsProtocol)
        if not _is_ip(self._hostname):
            connection.set_tlsext_host_name(self._hostname)
        return connection


@implementer(IPolicyForHTTPS)
class InsecurePolicy:
    """``IPolicyForHTTPS`` that skips verification; for test upstreams only."""

    def creatorForNetloc(self, hostname: bytes, port: int) -> _NoVerifyCreator:  # noqa: N802
        return _NoVerifyCreator(hostname)


def _is_ip(hostname: bytes) -> bool:
    try:
        ipaddress.ip_address(hostname.decode("ascii", "replace"))
    except ValueError:
        return False
    return True


# A relay passes request bodies on as they are: twisted.web must not parse a
# form POST into ``request.args`` (an email-module parse of Content-Type per
# POST, and a 400 from the proxy for a multipart body it cannot split). The
# option is recent in Twisted; older ones parse, and the relay ignores the result.
_RAW_BODIES: dict[str, Any] = (
    {"parsePOSTFormSubmission": False}
    if "parsePOSTFormSubmission" in inspect.signature(Site.__init__).parameters
    else {}
)


def take_over(request: WebRequest, factory: WsRelayFactory) -> int | bytes:
    """Hand the request's connection from twisted.web to a WebSocket protocol.

    twisted.web parsed the HTTP request; autobahn wants to parse the handshake
    itself, so the request head is replayed into the new protocol. The HTTP
    channel's producer registration is removed, or it would be paused instead
    of the other leg when the client reads slowly.
    """
    transport: Any = request.channel.transport
    if transport is None:  # HTTP/2: no raw transport to take over
        request.setResponseCode(426, b"Upgrade Required")
        return b""
    proto: DownstreamProtocol = factory.buildProtocol(transport.getPeer())
    proto.request_info = request_info(request)
    hand_over(request, transport, proto)
    return NOT_DONE_YET


class RelayResource(Resource):
    """The site's only resource: WebSocket upgrades one way, the rest the other."""

    isLeaf = True  # noqa: N815 - twisted.web's name

    def __init__(self, http_relay: HttpRelay, ws_factory: WsRelayFactory) -> None:
        super().__init__()  # type: ignore[no-untyped-call]
        self._http = http_relay
        self._ws = ws_factory

    def render(self, request: WebRequest) -> int | bytes:
        if is_websocket_upgrade(request):
            return take_over(request, self._ws)
        self._http.handle(request)
        return NOT_DONE_YET


class ProxySite(GuardedSite):
    """A ``GuardedSite`` that also exposes its relays (for metrics, tests and shutdown)."""

    noisy = False
    http_relay: HttpRelay
    ws_factory: WsRelayFactory

    def log(self, request: WebRequest) -> None:
        # No access log line per long poll: the observer records exchanges.
        return None

    def close(self) -> defer.Deferred[list[Any]]:
        """Close the kept upstream connections and stop the idle checks (call on shutdown)."""
        if self.ws_factory.sweep is not None:
            self.ws_factory.sweep.stop()
        return self.http_relay.close()


def build_proxy_site(
    reactor: Any,
    upstream: Upstream,
    observer: RelayObserver,
    *,
    resource_path: str = "/socket.io",
    max_body: int = 1_000_000,
    insecure: bool = False,
    timeout: float = 60,
    limits: EdgeLimits | None = None,
    stats: EdgeStats | None = None,
    hosts: HostCache | None = None,
) -> ProxySite:
    """The proxy's ``Site``: relays HTTP and WebSocket traffic to ``upstream``.

    ``max_body`` caps request bodies (while they are read), buffered response
    bodies and WebSocket messages; ``timeout`` bounds connecting and waiting
    for response headers (long polls included). ``limits`` (its ``max_body``
    is replaced by ``max_body``) sets the header and idle timeouts and the
    per-client cap; refusals and timeouts are counted in ``stats``. A host-name
    upstream is looked up through ``hosts`` (net/resolve.py).
    """
    policy: Any
    if insecure:
        log.warn("upstream TLS certificates are NOT verified (insecure mode)")
        policy = InsecurePolicy()
    else:
        policy = BrowserLikePolicyForHTTPS()  # type: ignore[no-untyped-call]
    counter = itertools.count(1)
    next_id = counter.__next__
    http_relay = HttpRelay(
        reactor,
        upstream,
        observer,
        next_id=next_id,
        resource_path=resource_path,
        max_body=max_body,
        tls_policy=policy,
        timeout=timeout,
        hosts=hosts,
    )
    ws_factory = WsRelayFactory(
        reactor,
        upstream,
        observer,
        next_id=next_id,
        max_body=max_body,
        tls_policy=policy,
        timeout=timeout,
        hosts=hosts,
    )
    site = ProxySite(  # type: ignore[no-untyped-call]
        RelayResource(http_relay, ws_factory), reactor=reactor, **_RAW_BODIES
    )
    site.http_relay = http_relay
    site.ws_factory = ws_factory
    attach = getattr(observer, "attach", None)
    if attach is not None:  # optional observer hook, see transport/observer.py
        attach(RelayControlImpl(reactor, ws_factory))
    edge = EdgeLimits(max_body=max_body) if limits is None else replace(limits, max_body=max_body)
    stats = stats if stats is not None else EdgeStats()
    site.guard(edge, stats, on_refused=http_relay.refused)
    ws_factory.sweep = IdleSweep(reactor, ws_factory.relays, edge.idle_timeout, stats)
    return site
