"""Run the live proxy (pass-through or recording) in a given reactor.

Layer: transport (Twisted). Used by ``sioproxy proxy``/``record`` and the
pytest plugin's record modes.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from twisted.internet.task import LoopingCall

from sioproxy.codec.limits import MAX_DECODE_CHARS
from sioproxy.codec.parsers import WireParser
from sioproxy.limits import EdgeLimits, EdgeStats
from sioproxy.net.endpoints import describe_listening, listen_endpoint
from sioproxy.net.resolve import HostCache
from sioproxy.net.upstream import parse_upstream
from sioproxy.pipeline import Pipeline
from sioproxy.proxy.edge.site import build_proxy_site
from sioproxy.proxy.live import EventSink, LiveObserver
from sioproxy.recording.live_recorder import LiveRecorder
from sioproxy.recording.outfile import DEFAULT_FILE_MODE
from sioproxy.recording.redact import Redactor

FLUSH_SECONDS = 0.1


@dataclass(slots=True)
class RunningProxy:
    """A listening proxy; ``stop()`` closes every connection entry and the recording."""

    url: str
    port: Any  # IListeningPort
    observer: LiveObserver
    recorder: LiveRecorder | None
    _flusher: LoopingCall
    _on_tick: Sequence[Callable[[], None]] = field(default_factory=tuple)
    stopped: bool = False
    edge_stats: EdgeStats = field(default_factory=EdgeStats)  # refusals, timeouts

    def tick(self, now: float) -> None:
        if self.recorder is not None:
            self.recorder.tick(now)
        for callback in self._on_tick:
            callback()

    def close_recording(self) -> None:
        """Write the close entries and close the file (idempotent; safe at shutdown)."""
        if self.stopped:
            return
        self.stopped = True
        if self._flusher.running:
            self._flusher.stop()
        self.observer.shutdown()
        if self.recorder is not None:
            self.recorder.close()

    async def stop(self) -> None:
        self.close_recording()
        stopped = self.port.stopListening()
        if stopped is not None:
            await stopped


async def _stop_listening(port: Any) -> None:
    stopped = port.stopListening()
    if stopped is not None:
        await stopped


async def start_proxy(
    reactor: Any,
    upstream: str,
    *,
    listen: str = "127.0.0.1:0",
    out: str | None = None,
    resource_path: str = "/socket.io",
    sinks: Sequence[EventSink] = (),
    log_sinks: Sequence[EventSink] = (),
    note: Callable[[str], None] = lambda _text: None,
    redact: bool = True,
    redact_keys: Sequence[str] = (),
    redactor: Redactor | None = None,
    flush_interval: float = 0.0,
    max_body: int = 1_000_000,
    insecure: bool = False,
    on_tick: Sequence[Callable[[], None]] = (),
    pipeline: Pipeline | None = None,
    out_policy: str = "force",
    file_mode: int = DEFAULT_FILE_MODE,
    limits: EdgeLimits | None = None,
    hosts: HostCache | None = None,
    parser: WireParser | None = None,
    max_decode: int = MAX_DECODE_CHARS,
) -> RunningProxy:
    """Listen on ``listen`` and relay to ``upstream``, recording to ``out`` when given.

    ``pipeline`` (rules and addons, docs/rules.md) rewrites traffic; without
    one, or with one that can change nothing, every byte passes unchanged.
    ``out_policy`` (new, force, append) and ``file_mode`` say how ``out`` is
    opened (``sioproxy.recording.outfile``), after the port is bound.
    ``limits``: header and idle timeouts, per-client cap (docs/reliability.md).
    ``hosts``: where a host-name upstream is looked up (default: kept 60 s).
    ``log_sinks`` see each event after the recorder (the log reuses the
    recorder's encoding of a packet's arguments: ``encoded_data``).
    """
    target = parse_upstream(upstream)
    observer = LiveObserver(
        clock=reactor.seconds,
        sinks=list(sinks),
        resource_path=resource_path,
        note=note,
        pipeline=pipeline,
        # --flush-interval 0 promises each line is written before its packet
        # is relayed; batched recording may send first and record a moment later.
        send_first=out is None or flush_interval > 0,
        max_packet_bytes=max_body,
        parser=parser,  # --parser (docs/protocol.md#c9); None: detected per connection
        max_decode=max_decode,  # --max-decode: longer packets are recorded raw
    )
    edge_stats = EdgeStats()
    site = build_proxy_site(
        reactor,
        target,
        observer,
        resource_path=resource_path,
        max_body=max_body,
        insecure=insecure,
        limits=limits,
        stats=edge_stats,
        hosts=hosts if hosts is not None else HostCache(reactor),
    )
    endpoint: Any = listen_endpoint(reactor, listen)
    port = await endpoint.listen(site)
    # The file is touched only once the port is ours: a port in use must leave
    # an existing recording as it was. No request is read before this returns.
    recorder = None
    if out is not None:
        try:
            recorder = LiveRecorder.open(
                out,
                upstream=upstream,
                redact=redact,
                extra_keys=redact_keys,
                redactor=redactor,
                flush_interval=flush_interval,
                note=note,
                policy=out_policy,
                file_mode=file_mode,
            )
        except BaseException:
            await _stop_listening(port)
            raise
        if recorder.resume is not None:
            seq, label, t_offset = recorder.resume
            observer.tracker.resume(seq=seq, label=label, t_offset=t_offset)
        observer.add_sink(recorder.event)
        observer.add_prework(recorder.prework)
    for sink in log_sinks:
        observer.add_sink(sink)
    flusher = LoopingCall(lambda: running.tick(reactor.seconds()))
    flusher.clock = reactor
    running = RunningProxy(
        url=describe_listening(port, listen),
        port=port,
        observer=observer,
        recorder=recorder,
        _flusher=flusher,
        _on_tick=tuple(on_tick),
        edge_stats=edge_stats,
    )
    flusher.start(FLUSH_SECONDS, now=False)
    return running
