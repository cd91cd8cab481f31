"""Run the live proxy (pass-through or recording) in a given reactor.

Layer: transport (Twisted). Used by ``sioproxy proxy``/``record`` and the
pytest plugin's record modes.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from twisted.internet.task import LoopingCall

from sioproxy.live import EventSink, LiveObserver
from sioproxy.pipeline import Pipeline
from sioproxy.recording.live_recorder import LiveRecorder
from sioproxy.transport.endpoints import describe_listening, listen_endpoint, parse_upstream
from sioproxy.transport.site import build_proxy_site

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


async def start_proxy(
    reactor: Any,
    upstream: str,
    *,
    listen: str = "127.0.0.1:0",
    out: str | None = None,
    resource_path: str = "/socket.io",
    sinks: Sequence[EventSink] = (),
    note: Callable[[str], None] = lambda _text: None,
    redact: bool = True,
    redact_keys: Sequence[str] = (),
    flush_interval: float = 0.0,
    max_body: int = 1_000_000,
    insecure: bool = False,
    on_tick: Sequence[Callable[[], None]] = (),
    pipeline: Pipeline | None = None,
) -> RunningProxy:
    """Listen on ``listen`` and relay to ``upstream``, recording to ``out`` when given.

    ``pipeline`` (rules and addons, docs/rules.md) rewrites traffic; without
    one, or with one that can change nothing, every byte passes unchanged.
    """
    target = parse_upstream(upstream)
    recorder = None
    if out is not None:
        recorder = LiveRecorder.open(
            out,
            upstream=upstream,
            redact=redact,
            extra_keys=redact_keys,
            flush_interval=flush_interval,
            note=note,
        )
    all_sinks = [*sinks, recorder.event] if recorder is not None else list(sinks)
    observer = LiveObserver(
        clock=reactor.seconds,
        sinks=all_sinks,
        resource_path=resource_path,
        note=note,
        pipeline=pipeline,
        # --flush-interval 0 promises each line is written before its packet
        # is relayed; batched recording may send first and record a moment later.
        send_first=recorder is None or flush_interval > 0,
        max_packet_bytes=max_body,
    )
    site = build_proxy_site(
        reactor,
        target,
        observer,
        resource_path=resource_path,
        max_body=max_body,
        insecure=insecure,
    )
    endpoint: Any = listen_endpoint(reactor, listen)
    port = await endpoint.listen(site)
    flusher = LoopingCall(lambda: running.tick(reactor.seconds()))
    flusher.clock = reactor
    running = RunningProxy(
        url=describe_listening(port, listen),
        port=port,
        observer=observer,
        recorder=recorder,
        _flusher=flusher,
        _on_tick=tuple(on_tick),
    )
    flusher.start(FLUSH_SECONDS, now=False)
    return running
