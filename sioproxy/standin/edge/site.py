"""The stand-in Socket.IO server: live sessions on real sockets, for replay.

Layer: transport (imports twisted/autobahn). Routes HTTP requests and
WebSocket connections under ``config.resource_path`` to the pure sessions of
``sioproxy.standin.sessions`` (Engine.IO 3/4 or 0.9, per ``config.generation``),
carries out their effects (answer a held poll, send or close a WebSocket,
forget a session) and runs their timers with ``reactor.callLater``. Session
ids are fresh ``secrets.token_urlsafe(15)`` values (20 URL-safe characters,
no ``:``), never taken from a recording.

The application behind each connection (the replay engine, or a test echo
app) comes from the ``AppFactory``; see ``sioproxy.standin.sessions.app``.

This module builds and listens the ``Site``; the parts live in ``server.py``
(sessions, effects, timers), ``http.py`` (the HTTP resource and response
helpers), ``handshake.py`` (autobahn's opening handshake), ``ws.py`` (the
open WebSocket) and ``host.py`` (what the request handlers ask of the server).
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from twisted.internet.interfaces import IListeningPort

from sioproxy.limits import EdgeLimits, EdgeStats
from sioproxy.net.endpoints import listen_endpoint
from sioproxy.net.guard import GuardedSite
from sioproxy.standin.edge.handshake import StandInWsFactory
from sioproxy.standin.edge.host import Request
from sioproxy.standin.edge.http import StandInResource
from sioproxy.standin.edge.server import StandInServer
from sioproxy.standin.sessions.app import AppFactory, StandInConfig

__all__ = ["StandInSite", "build_standin_site", "listen_standin"]


class StandInSite(GuardedSite):
    """A ``GuardedSite`` that exposes its ``StandInServer`` (sessions, for tests and shutdown)."""

    noisy = False
    server: StandInServer

    def log(self, request: Request) -> None:
        return None  # no access-log line per long poll


def build_standin_site(
    reactor: Any,
    config: StandInConfig,
    app_factory: AppFactory,
    limits: EdgeLimits | None = None,
    stats: EdgeStats | None = None,
) -> StandInSite:
    """The stand-in server's ``Site``: every request under ``config.resource_path``.

    Request bodies are refused past ``config.max_payload`` (the recorded
    server's ``maxPayload``) while they are read; ``limits`` sets the
    timeouts and the per-client cap (its ``max_body`` is replaced).
    """
    server = StandInServer(reactor, config, app_factory)
    resource = StandInResource(server, StandInWsFactory(reactor, server))
    site = StandInSite(resource, reactor=reactor)  # type: ignore[no-untyped-call]
    site.server = server
    edge = limits if limits is not None else EdgeLimits(max_body=config.max_payload)
    site.guard(replace(edge, max_body=config.max_payload), stats)
    return site


async def listen_standin(
    reactor: Any,
    spec: str,
    config: StandInConfig,
    app_factory: AppFactory,
    limits: EdgeLimits | None = None,
    stats: EdgeStats | None = None,
) -> tuple[IListeningPort, StandInSite]:
    """Listen on ``spec`` (``HOST:PORT`` or an endpoint string, see ``listen_endpoint``)."""
    site = build_standin_site(reactor, config, app_factory, limits, stats)
    endpoint: Any = listen_endpoint(reactor, spec)
    port: IListeningPort = await endpoint.listen(site)
    return port, site
