"""The HTTP relay's upstream Agents: kept-alive connections shared by all clients.

Layer: transport (twisted). Clients that open one TCP connection per polling
request (node's engine.io-client does: ``agent: false``) would otherwise cost
the proxy one upstream connect and close per request. One shared
``HTTPConnectionPool`` keeps idle upstream connections for the next request of
any client, under three rules, all through Twisted's public API:

* **Order.** A request that finds an idle connection is written at once; one
  that does not connects first. While a connect for an earlier request of the
  same Engine.IO session (``ordering_key``) is under way, a new one must not
  overtake it on an idle connection (a close POST would reach the upstream
  before the long-poll GET sent just before it), so it gets a one-off pool and
  connects too, as every request did before: those connects race as they
  always did, a kept connection never jumps the queue. Other sessions' connects
  do not matter, so a busy proxy keeps reusing connections.
* **No doubtful connection is reused.** An exchange that failed (a body over
  the cap, a client gone, an upstream reset) may have left its connection
  closing but back in the pool; the shared pool is then retired (its idle
  connections closed on the next reactor turn) and a fresh one takes over.
* **Short idle time.** A kept connection is dropped after ``IDLE_SECONDS``
  without a request, well below common upstream keep-alive timeouts (node 5 s),
  so the proxy does not write a request into a connection the upstream is
  closing.
"""

from __future__ import annotations

from collections import deque
from typing import Any

from twisted.internet import defer
from twisted.web.client import Agent, HTTPConnectionPool
from twisted.web.iweb import IAgentEndpointFactory
from zope.interface import implementer  # type: ignore[import-untyped]

IDLE_SECONDS = 1.0
# Idle connections kept at most (each closes after IDLE_SECONDS anyway).
MAX_IDLE = 64
# Retired pools kept for shutdown; older ones have closed their connections.
_RETIRED_KEPT = 32


class Lease:
    """The Agent one exchange uses; given back with ``UpstreamAgents.done``."""

    __slots__ = ("agent", "pool", "shared")

    def __init__(self, agent: Any, pool: Any, shared: bool) -> None:
        self.agent = agent
        self.pool = pool
        self.shared = shared


@implementer(IAgentEndpointFactory)
class _CountingEndpoints:
    """Wraps the endpoint factory and counts the connects under way, per ordering key.

    The Agent asks for an endpoint on every request, a kept connection or not;
    an endpoint can connect any number of times, so one per address is kept.
    """

    def __init__(self, endpoints: Any) -> None:
        self._endpoints = endpoints
        self._made: dict[tuple[bytes, bytes, int], _CountingEndpoint] = {}
        self.connecting: dict[str, int] = {}
        self.sending: str | None = None  # the key of the request being handed to the Agent

    def endpointForURI(self, uri: Any) -> _CountingEndpoint:  # noqa: N802 - twisted's name
        key = (uri.scheme, uri.host, uri.port)
        endpoint = self._made.get(key)
        if endpoint is None:
            endpoint = _CountingEndpoint(self, self._endpoints.endpointForURI(uri))
            self._made[key] = endpoint
        return endpoint


class _CountingEndpoint:
    def __init__(self, owner: _CountingEndpoints, endpoint: Any) -> None:
        self._owner = owner
        self._endpoint = endpoint

    def connect(self, factory: Any) -> defer.Deferred[Any]:
        owner, key = self._owner, self._owner.sending
        pending: defer.Deferred[Any] = self._endpoint.connect(factory)
        if key is None or pending.called:  # a retry of a sent request, or settled at once
            return pending
        owner.connecting[key] = owner.connecting.get(key, 0) + 1

        def settled(result: Any) -> Any:
            left = owner.connecting.pop(key) - 1
            if left:
                owner.connecting[key] = left
            return result

        return pending.addBoth(settled)


class UpstreamAgents:
    """Hands out the shared Agent, or a one-off one behind a connect under way."""

    def __init__(self, reactor: Any, endpoints: Any) -> None:
        self._reactor = reactor
        self._endpoints = _CountingEndpoints(endpoints)
        self._shared = self._new(shared=True)
        self._one_off: set[Lease] = set()
        self._retired: deque[Any] = deque(maxlen=_RETIRED_KEPT)

    def _new(self, *, shared: bool) -> Lease:
        pool = HTTPConnectionPool(self._reactor, persistent=True)  # type: ignore[no-untyped-call]
        pool.maxPersistentPerHost = MAX_IDLE if shared else 1
        pool.cachedConnectionTimeout = IDLE_SECONDS  # type: ignore[assignment]
        agent = Agent.usingEndpointFactory(  # type: ignore[no-untyped-call]
            self._reactor, self._endpoints, pool=pool
        )
        return Lease(agent, pool, shared)

    def lease(self, key: str) -> Lease:
        """The Agent for the next request of ``key`` (``ordering_key``), in arrival order."""
        if key not in self._endpoints.connecting:
            return self._shared
        lease = self._new(shared=False)
        self._one_off.add(lease)
        return lease

    def request(
        self, lease: Lease, key: str, method: bytes, url: bytes, headers: Any, body: Any
    ) -> defer.Deferred[Any]:
        """``lease.agent.request(...)``; a connect it starts is counted under ``key``."""
        self._endpoints.sending = key
        try:
            sent: defer.Deferred[Any] = lease.agent.request(method, url, headers, body)
        finally:
            self._endpoints.sending = None
        return sent

    def done(self, lease: Lease, ok: bool) -> None:
        """The exchange on ``lease`` ended; ``ok`` False when it failed."""
        if not lease.shared:
            self._one_off.discard(lease)
            lease.pool.closeCachedConnections()
        elif not ok and lease is self._shared:
            self._retired.append(lease.pool)
            self._shared = self._new(shared=True)
            self._reactor.callLater(0, lease.pool.closeCachedConnections)

    def close(self) -> defer.Deferred[list[Any]]:
        """Close every kept upstream connection (shutdown)."""
        pools = [self._shared.pool, *self._retired, *(lease.pool for lease in self._one_off)]
        self._one_off.clear()
        self._retired.clear()
        return defer.gatherResults([pool.closeCachedConnections() for pool in pools])


def ordering_key(path: str, query: str) -> str:
    """What must keep its order: the requests of one Engine.IO session.

    The path and the ``sid`` query field (EIO 2-4); a 0.9 session's id is in
    the path. Other requests (handshakes, pages) are ordered by path alone.
    """
    if "sid=" in query:
        for field in query.split("&"):
            if field.startswith("sid="):
                return f"{path}?{field}"
    return path


__all__ = ["IDLE_SECONDS", "Lease", "UpstreamAgents", "ordering_key"]
