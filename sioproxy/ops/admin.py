"""The admin HTTP listener: ``/health``, ``/ready``, ``/version`` and ``/metrics``.

Layer: transport (Twisted). Started by ``proxy``, ``record`` and ``replay``
with ``--admin HOST:PORT`` on a port of its own, so probes and scrapes never
mix with proxied traffic. Like the replay listener it binds 127.0.0.1 unless
told otherwise (issue 9); the container passes ``0.0.0.0`` explicitly.

``/health`` is liveness (the reactor answers). ``/ready`` is readiness: the
proxy port is listening and, for ``proxy``/``record``, a TCP connection to the
upstream succeeds within ``PROBE_SECONDS`` and the recording file takes writes.
It answers 200 or 503 with a JSON body naming each check.
"""

from __future__ import annotations

import json
import platform
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from twisted.internet import defer
from twisted.internet.endpoints import HostnameEndpoint, connectProtocol
from twisted.internet.protocol import Protocol
from twisted.web.resource import Resource
from twisted.web.server import NOT_DONE_YET, Site

from sioproxy import __version__
from sioproxy.limits import ADMIN_MAX_BODY, EdgeLimits
from sioproxy.net.endpoints import describe_listening, listen_endpoint
from sioproxy.net.guard import GuardedSite
from sioproxy.net.upstream import parse_upstream
from sioproxy.ops.metrics import LiveMetrics, ReplayMetrics, add_edge_metrics
from sioproxy.ops.prometheus import CONTENT_TYPE

PROBE_SECONDS = 2.0


@dataclass(slots=True)
class Readiness:
    ready: bool
    checks: dict[str, str] = field(default_factory=dict)  # name -> "ok" or why not


ReadyCheck = Callable[[], Awaitable[Readiness]]


def _json(request: Any, status: int, body: dict[str, Any]) -> bytes:
    request.setResponseCode(status)
    request.setHeader(b"content-type", b"application/json")
    request.setHeader(b"cache-control", b"no-store")
    return json.dumps(body, sort_keys=True).encode("utf-8") + b"\n"


class AdminResource(Resource):
    """One leaf for the whole site: dispatch on the exact path, GET and HEAD only."""

    isLeaf = True  # noqa: N815 - twisted.web's name

    def __init__(self, *, metrics: Callable[[], str], ready: ReadyCheck) -> None:
        super().__init__()  # type: ignore[no-untyped-call]
        self._metrics = metrics
        self._ready = ready
        self._routes: dict[bytes, Callable[[Any], bytes | int]] = {
            b"/": self._index,
            b"/health": self._health,
            b"/ready": self._readiness,
            b"/version": self._version,
            b"/metrics": self._scrape,
        }

    def render(self, request: Any) -> bytes | int:
        if request.method not in (b"GET", b"HEAD"):
            request.setHeader(b"allow", b"GET, HEAD")
            return _json(request, 405, {"error": "method not allowed"})
        route = self._routes.get(request.path)
        if route is None:
            return _json(request, 404, {"error": "not found", "endpoints": self._names()})
        return route(request)

    def _names(self) -> list[str]:
        return [p.decode("ascii") for p in self._routes if p != b"/"]

    def _index(self, request: Any) -> bytes:
        return _json(request, 200, {"endpoints": self._names()})

    def _health(self, request: Any) -> bytes:
        return _json(request, 200, {"status": "ok"})

    def _version(self, request: Any) -> bytes:
        body = {"name": "sioproxy", "version": __version__, "python": platform.python_version()}
        return _json(request, 200, body)

    def _scrape(self, request: Any) -> bytes:
        request.setHeader(b"content-type", CONTENT_TYPE.encode("ascii"))
        request.setHeader(b"cache-control", b"no-store")
        return self._metrics().encode("utf-8")

    def _readiness(self, request: Any) -> int:
        gone: list[bool] = []
        request.notifyFinish().addErrback(lambda _failure: gone.append(True))

        def answer(result: Readiness) -> None:
            if gone:
                return  # the prober hung up before the upstream check ended
            status = 200 if result.ready else 503
            request.write(_json(request, status, {"ready": result.ready, "checks": result.checks}))
            request.finish()

        defer.ensureDeferred(_run(self._ready)).addCallback(answer)
        return NOT_DONE_YET


class _QuietSite(GuardedSite):
    """No access log lines: stdout is for the packet log, and scrapes come every few seconds."""

    def log(self, request: Any) -> None:
        return None


def build_admin_site(*, metrics: Callable[[], str], ready: ReadyCheck) -> Site:
    """The admin site; unknown paths are 404, other methods 405."""
    site = _QuietSite(AdminResource(metrics=metrics, ready=ready))  # type: ignore[no-untyped-call]
    site.displayTracebacks = False
    # GET and HEAD only: a body past a few KB is refused while it is read.
    site.guard(EdgeLimits(max_body=ADMIN_MAX_BODY))
    return site


async def _run(check: ReadyCheck) -> Readiness:
    try:
        return await check()
    except Exception as exc:  # a broken check means "not ready", never a 500 without a body
        return Readiness(False, {"check": f"failed: {exc!r}"})


@dataclass(slots=True)
class RunningAdmin:
    url: str
    port: Any  # IListeningPort

    async def stop(self) -> None:
        stopped = self.port.stopListening()
        if stopped is not None:
            await stopped


async def start_admin(
    reactor: Any, listen: str, *, metrics: Callable[[], str], ready: ReadyCheck
) -> RunningAdmin:
    """Listen on ``listen`` (HOST:PORT, default host 127.0.0.1, or an endpoint string)."""
    site = build_admin_site(metrics=metrics, ready=ready)
    endpoint: Any = listen_endpoint(reactor, listen)
    port = await endpoint.listen(site)
    return RunningAdmin(url=describe_listening(port, listen), port=port)


async def probe_tcp(reactor: Any, host: str, port: int, timeout: float = PROBE_SECONDS) -> str:
    """``"ok"`` when a TCP connection to host:port opens within ``timeout``, else why not."""
    endpoint = HostnameEndpoint(reactor, host, port, timeout=timeout)
    try:
        protocol = await connectProtocol(endpoint, Protocol())  # type: ignore[no-untyped-call]
    except Exception as exc:  # ConnectError and friends: report, do not raise
        return f"{host}:{port} unreachable: {exc.__class__.__name__}"
    if protocol.transport is not None:
        protocol.transport.loseConnection()
    return "ok"


def _listening(port: Any, stopped: bool) -> str:
    if stopped or not getattr(port, "connected", True):
        return "not listening"
    return "ok"


def proxy_readiness(reactor: Any, running: Any, upstream: str) -> ReadyCheck:
    """Readiness of a ``RunningProxy``: listening, upstream reachable, recording healthy."""
    target = parse_upstream(upstream)

    async def check() -> Readiness:
        checks = {"listening": _listening(running.port, running.stopped)}
        checks["upstream"] = await probe_tcp(reactor, target.host, target.port)
        if running.recorder is not None:
            failed = running.recorder.status().get("failed")
            checks["recording"] = f"write failed: {failed}" if failed else "ok"
        return Readiness(all(v == "ok" for v in checks.values()), checks)

    return check


def replay_readiness(running: Any) -> ReadyCheck:
    async def check() -> Readiness:
        checks = {"listening": _listening(running.port, False)}
        return Readiness(all(v == "ok" for v in checks.values()), checks)

    return check


async def start_proxy_admin(
    reactor: Any, listen: str, running: Any, metrics: LiveMetrics, upstream: str
) -> RunningAdmin:
    """Admin for ``proxy``/``record``: ``metrics.event`` must already be one of the sinks."""
    metrics.bind(running.observer, running.recorder)
    add_edge_metrics(metrics.registry, running.edge_stats)
    ready = proxy_readiness(reactor, running, upstream)
    return await start_admin(reactor, listen, metrics=metrics.render, ready=ready)


async def start_replay_admin(reactor: Any, listen: str, running: Any) -> RunningAdmin:
    metrics = ReplayMetrics(running.stats)
    add_edge_metrics(metrics.registry, running.edge_stats)
    ready = replay_readiness(running)
    return await start_admin(reactor, listen, metrics=metrics.render, ready=ready)


async def open_admin(
    command: str,
    listen: str,
    starting: Awaitable[RunningAdmin],
    *,
    announce: Callable[[str], None] | None = None,
) -> RunningAdmin | None:
    """Await ``starting`` and print ``sioproxy admin on URL`` (after the listening line).

    ``announce`` prints that line in the log's format (``PacketLog.announce``:
    a JSON ``note`` with ``--log-format json``); without it, a plain line.
    Returns None, with the reason on stderr, when the admin port cannot be opened.
    """
    import sys

    from twisted.internet.error import CannotListenError

    from sioproxy.errors import ConfigError
    from sioproxy.textsafe import escape_controls

    try:
        admin = await starting
    except (OSError, CannotListenError, ConfigError) as exc:
        line = f"sioproxy {command}: cannot start admin on {listen}: {exc}"
        print(escape_controls(line), file=sys.stderr)
        return None
    (announce or print)(f"sioproxy admin on {admin.url}")
    sys.stdout.flush()
    return admin
