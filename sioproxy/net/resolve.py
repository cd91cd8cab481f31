"""Host-name upstreams: resolved once, then reused for a bounded time.

Layer: transport (imports twisted). ``HostnameEndpoint`` asks the resolver's
thread pool for every connection it opens; behind a proxy that opens one
upstream connection per client connection, a storm of 5,000 WebSocket clients
became 5,000 thread-pool look-ups of the same name. ``HostCache`` looks a name
up once and hands the addresses to every connection for ``ttl`` seconds
(``--resolve-ttl``, default 60; 0 looks up for every connection); look-ups
asked for while one is under way wait for it. A connection that fails on every
address forgets the name, so a server that moved is found again at once.
"""

from __future__ import annotations

import socket
from collections.abc import Callable
from typing import Any

from twisted.internet import defer, threads
from twisted.internet.endpoints import TCP4ClientEndpoint, TCP6ClientEndpoint
from twisted.internet.error import DNSLookupError
from twisted.internet.interfaces import IStreamClientEndpoint
from zope.interface import implementer  # type: ignore[import-untyped]

DEFAULT_TTL = 60.0
#: Names kept at once (a proxy has one upstream; this only bounds the table).
MAX_NAMES = 64

Address = tuple[int, str]  # (socket family, address text)
Lookup = Callable[[str, int], "defer.Deferred[list[Address]]"]


def thread_lookup(reactor: Any) -> Lookup:
    """The system resolver (``getaddrinfo``) in the reactor's thread pool."""

    def lookup(host: str, port: int) -> defer.Deferred[list[Address]]:
        pool = reactor.getThreadPool()
        return threads.deferToThreadPool(reactor, pool, _getaddrinfo, host, port)

    return lookup


def _getaddrinfo(host: str, port: int) -> list[Address]:
    found: list[Address] = []
    for family, _type, _proto, _name, sockaddr in socket.getaddrinfo(
        host, port, type=socket.SOCK_STREAM
    ):
        address = (int(family), str(sockaddr[0]))
        if address not in found:
            found.append(address)
    return found


class HostCache:
    """Addresses of host names, each kept ``ttl`` seconds of ``reactor.seconds()``."""

    def __init__(
        self, reactor: Any, ttl: float = DEFAULT_TTL, lookup: Lookup | None = None
    ) -> None:
        self._reactor = reactor
        self.ttl = ttl
        self._lookup = lookup if lookup is not None else thread_lookup(reactor)
        self._known: dict[tuple[str, int], tuple[float, list[Address]]] = {}
        self._waiting: dict[tuple[str, int], list[defer.Deferred[list[Address]]]] = {}

    def addresses(self, host: str, port: int) -> defer.Deferred[list[Address]]:
        key = (host, port)
        known = self._known.get(key)
        if known is not None and self._reactor.seconds() < known[0]:
            return defer.succeed(known[1])
        waiter: defer.Deferred[list[Address]] = defer.Deferred()
        if key in self._waiting:  # one look-up at a time per name
            self._waiting[key].append(waiter)
            return waiter
        self._waiting[key] = [waiter]
        looked_up = self._lookup(host, port)
        looked_up.addCallbacks(self._found, self._failed, callbackArgs=(key,), errbackArgs=(key,))
        return waiter

    def prefer(self, host: str, port: int, address: Address) -> None:
        """``address`` answered: later connections try it first (``localhost``: ::1 refused)."""
        known = self._known.get((host, port))
        if known is not None and address in known[1]:
            rest = [a for a in known[1] if a != address]
            self._known[(host, port)] = (known[0], [address, *rest])

    def forget(self, host: str, port: int) -> None:
        self._known.pop((host, port), None)

    def _found(self, found: list[Address], key: tuple[str, int]) -> None:
        if self.ttl > 0 and found:
            if len(self._known) >= MAX_NAMES:
                del self._known[next(iter(self._known))]
            self._known[key] = (self._reactor.seconds() + self.ttl, found)
        for waiter in self._waiting.pop(key, []):
            waiter.callback(found)

    def _failed(self, failure: Any, key: tuple[str, int]) -> None:
        for waiter in self._waiting.pop(key, []):
            waiter.errback(failure)


@implementer(IStreamClientEndpoint)
class CachedHostEndpoint:
    """Connects to ``host`` through a ``HostCache``: each address in turn until one answers."""

    def __init__(self, reactor: Any, hosts: HostCache, host: str, port: int, timeout: float):
        self._reactor = reactor
        self._hosts = hosts
        self._host = host
        self._port = port
        self._timeout = timeout

    def connect(self, factory: Any) -> defer.Deferred[Any]:
        found = self._hosts.addresses(self._host, self._port)
        return found.addCallback(self._connect_in_turn, factory)

    @defer.inlineCallbacks
    def _connect_in_turn(self, addresses: list[Address], factory: Any) -> Any:
        if not addresses:
            raise DNSLookupError(f"no address for {self._host}")
        last: BaseException | None = None
        for n, (family, address) in enumerate(addresses):
            kind: Any = TCP6ClientEndpoint if family == socket.AF_INET6 else TCP4ClientEndpoint
            endpoint = kind(self._reactor, address, self._port, timeout=self._timeout)
            try:
                protocol = yield endpoint.connect(factory)
            except Exception as exc:  # refused on this address: try the next one
                last = exc
                continue
            if n:
                self._hosts.prefer(self._host, self._port, (family, address))
            return protocol
        self._hosts.forget(self._host, self._port)
        assert last is not None
        raise last
