"""Run a replay: the stand-in site driven by the replay engine, in a given reactor.

Layer: transport (Twisted). Used by ``sioproxy replay`` and the pytest plugin.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from sioproxy.codec.parsers import WireParser
from sioproxy.limits import EdgeLimits, EdgeStats
from sioproxy.net.endpoints import describe_listening
from sioproxy.ops.logfmt import PacketLog
from sioproxy.recording import Recording
from sioproxy.standin.edge.site import StandInSite, listen_standin
from sioproxy.standin.replay.config import standin_config
from sioproxy.standin.replay.engine import ReplayOptions
from sioproxy.standin.replay.report import ReplaySummary
from sioproxy.standin.replay.serve import ReplayService, ReplayStats


@dataclass(slots=True)
class RunningReplay:
    """A listening replay server."""

    url: str
    port: Any  # IListeningPort
    site: StandInSite
    service: ReplayService
    edge_stats: EdgeStats = field(default_factory=EdgeStats)  # refusals, timeouts

    @property
    def stats(self) -> ReplayStats:
        return self.service.stats

    def summary(self) -> ReplaySummary:
        return self.service.summary()

    async def stop(self) -> None:
        self.site.server.close_all()
        stopped = self.port.stopListening()
        if stopped is not None:
            await stopped


async def start_replay(
    reactor: Any,
    recording: Recording,
    options: ReplayOptions,
    *,
    listen: str = "127.0.0.1:0",
    resource_path: str = "/socket.io",
    log: Callable[[str], None] | None = None,
    verbose: bool = True,
    loop: bool = False,
    on_all_done: Callable[[], None] | None = None,
    keep_journal: bool = False,
    packet_log: PacketLog | None = None,
    limits: EdgeLimits | None = None,
    assign: str = "auto",
    parser: WireParser | None = None,
) -> RunningReplay:
    """Serve ``recording`` as a stand-in Socket.IO server on ``listen``.

    ``limits``: header and idle timeouts, per-client cap; request bodies are
    limited to the recording's ``maxPayload`` (docs/reliability.md).
    """
    config = standin_config(recording, resource_path=resource_path, parser=parser)
    service = ReplayService(
        recording,
        options,
        clock=reactor.seconds,
        schedule=reactor.callLater,
        log=log,
        verbose=verbose,
        loop=loop,
        on_all_done=on_all_done,
        keep_journal=keep_journal,
        packet_log=packet_log,
        assign=assign,
    )
    stats = EdgeStats()
    port, site = await listen_standin(reactor, listen, config, service.app_factory, limits, stats)
    site.server.on_wrong_protocol = service.wrong_protocol
    return RunningReplay(
        url=describe_listening(port, listen),
        port=port,
        site=site,
        service=service,
        edge_stats=stats,
    )
