"""The live proxy's brain: relayed traffic -> session events -> log, recording, counters.

Layer: pure (implements the transport's ``RelayObserver`` protocol without
importing twisted). Without a rewrite pipeline (or with one that cannot change
anything) every callback returns ``None`` so the relay forwards the original
bytes. With one, ``sioproxy.proxy.live_rewrite.RewriteStage`` runs each packet
through it and returns rebuilt bodies and messages only where something
changed (docs/rules.md "Using rules with the proxy").

Decoding is as deep as the consumers need: with no sink and no rewrite
(``proxy -q`` without admin port or recording) nobody would see a packet
event, so WebSocket messages and polling bodies are counted, not decoded
(docs/performance.md). Connections are still tracked (open, upgrade, close).

Each sink (packet log, recorder, metrics) gets every event on its own: one
that raises is reported (``sioproxy.failures``, rate-limited) and counted in
``internal_errors``, and the others, and the relay, go on as if it had not.

Without rewriting, events reach the sinks through ``SlicedPublisher``: a
polling body of thousands of packets is logged and recorded a slice per
reactor turn, in wire order, instead of in one long turn (``proxy.backlog``).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from typing import Protocol

from sioproxy.codec.limits import MAX_DECODE_CHARS
from sioproxy.codec.parsers import WireParser
from sioproxy.failures import FailureLog
from sioproxy.pipeline import Pipeline
from sioproxy.proxy.backlog import MAX_WAITING_BYTES, SlicedPublisher
from sioproxy.proxy.live_rewrite import RewriteStage
from sioproxy.proxy.observer import RelayControl, RequestInfo
from sioproxy.recording.slices import PREPARE_CHARS
from sioproxy.session import PacketSeen, SessionEvent, SessionTracker
from sioproxy.types import Direction

# How often (at most; checked on HTTP requests) polling connections whose
# client went away are looked for (SessionTracker.expire_idle).
IDLE_SWEEP_SECONDS = 10.0
# Messages and bodies this long may hold a text the recorder prepares in steps.
PREPARE_BYTES = PREPARE_CHARS
_FRAME_COUNTERS = {d: f"frames_{d.value}" for d in Direction}
_PACKET_COUNTERS = {d: f"packets_{d.value}" for d in Direction}


class EventSink(Protocol):
    def __call__(self, event: SessionEvent) -> None: ...


class LiveObserver:
    """Feeds the session tracker and fans its events out to sinks (log, recorder)."""

    def __init__(
        self,
        *,
        clock: Callable[[], float],
        sinks: Sequence[EventSink],
        resource_path: str = "/socket.io",
        note: Callable[[str], None] | None = None,
        pipeline: Pipeline | None = None,
        send_first: bool = True,
        failures: FailureLog | None = None,
        max_packet_bytes: int | None = None,
        parser: WireParser | None = None,
        max_decode: int = MAX_DECODE_CHARS,
    ) -> None:
        # max_packet_bytes: the proxy's max_body, which caps one binary packet
        # being reassembled (header and attachments together, docs/reliability.md).
        self.tracker = SessionTracker(
            clock=clock,
            resource_path=resource_path,
            max_packet_bytes=max_packet_bytes,
            parser=parser,
            max_decode=max_decode,
        )
        self._clock = clock
        self._next_sweep: float | None = None  # set at the first HTTP request
        self._sinks = list(sinks)
        self._note = note or (lambda _text: None)
        self._failures = failures if failures is not None else FailureLog()
        self._counters: Counter[str] = Counter()
        # Counted per message: plain dicts are cheaper than the Counter
        # (about 80 ns per message); ``counters`` copies them in when read.
        self._frames: dict[Direction, int] = dict.fromkeys(Direction, 0)
        self._packets: dict[Direction, int] = dict.fromkeys(Direction, 0)
        self.rewrite: RewriteStage | None = None
        if pipeline is not None and pipeline.active:
            self.rewrite = RewriteStage(
                pipeline, self.tracker, self._publish, self._note, resource_path
            )
        self._send_first = send_first
        # Nobody consumes packet events: skip decoding them (the hot path).
        self._decode = bool(self._sinks) or self.rewrite is not None
        # Room for two of the largest messages behind one being recorded in slices.
        waiting = max(MAX_WAITING_BYTES, 2 * (max_packet_bytes or 0))
        self._backlog = SlicedPublisher(self._publish, max_waiting_bytes=waiting)
        self._preworks: list[Callable[[SessionEvent], Iterator[None] | None]] = []

    def add_sink(self, sink: EventSink) -> None:
        """One more consumer of events (the recorder, opened once the port is bound)."""
        self._sinks.append(sink)
        self._decode = True

    @property
    def passive(self) -> bool:
        """True when the relay may send a message before showing it to us.

        Only without a rewrite pipeline, and not when each recording line
        must be written before its packet is relayed (``send_first`` False).
        """
        return self.rewrite is None and self._send_first

    @property
    def counters(self) -> Counter[str]:
        """frames_*/packets_* per direction, decode_errors, upstream_errors."""
        counters = self._counters
        for direction in Direction:
            if self._frames[direction]:
                counters[_FRAME_COUNTERS[direction]] = self._frames[direction]
            if self._packets[direction]:
                counters[_PACKET_COUNTERS[direction]] = self._packets[direction]
        return counters

    def attach(self, control: RelayControl) -> None:
        """The transport's handle for timers and out-of-band WebSocket sends."""
        if self.rewrite is not None:
            self.rewrite.control = control
        elif self.passive:  # sent first, so it may also be observed and published later
            self._backlog.attach(control.call_after_io)

    @property
    def backlog_steps(self) -> int:
        """Observations waiting for a later reactor turn (``/metrics``)."""
        return self._backlog.waiting_steps

    def add_prework(self, prework: Callable[[SessionEvent], Iterator[None] | None]) -> None:
        """A sink's costly work on one event, in steps run across reactor turns before
        the event is published (``LiveRecorder.prework``: a huge packet's text)."""
        self._preworks.append(prework)

    def _observe(
        self, step: Callable[[], Sequence[SessionEvent]], size: int = 0, *, later: bool = False
    ) -> None:
        """Run a tracker step and publish its events, after anything still waiting.

        ``size``: the bytes of the body or message the step decodes. From
        ``PREPARE_BYTES`` on, the sinks' prework for its events runs first,
        a step per turn (``SlicedPublisher.run_prepared``). ``later``: not in
        this turn even when nothing waits (a polling body, relayed first).
        """

        def step_then_forget() -> Sequence[SessionEvent]:
            events = step()
            self.tracker.forget_closed()
            return events

        if size >= PREPARE_BYTES and self._preworks:
            self._backlog.run_prepared(step_then_forget, self._prework_of, size)
        elif later:
            self._backlog.run_later(step_then_forget, size)
        else:
            self._backlog.run(step_then_forget, size)

    def _prework_of(self, events: Sequence[SessionEvent]) -> Iterator[None]:
        for event in events:
            for prework in self._preworks:
                steps = prework(event)
                if steps is not None:
                    yield from steps

    def _publish(self, events: Sequence[SessionEvent]) -> None:
        packets, sinks = self._packets, self._sinks
        for event in events:
            if isinstance(event, PacketSeen):
                packets[event.direction] += 1
                if event.error is not None:
                    self._counters["decode_errors"] += 1
            for sink in sinks:
                try:
                    sink(event)
                except Exception as exc:
                    self._sink_failed(sink, exc)

    def _sink_failed(self, sink: EventSink, exc: Exception) -> None:
        """One sink failed on one event: report it; the packet goes on to the others."""
        self._counters["internal_errors"] += 1
        name = getattr(sink, "__qualname__", None) or type(sink).__name__
        self._failures.report(f"sioproxy: {name}", exc)

    # -- RelayObserver ------------------------------------------------------

    def wants_body(self, req: RequestInfo) -> bool:
        # Not decoding: polling bodies are streamed through untouched.
        if self._decode and self.tracker.wants_body(req.path, req.query):
            return True
        transport = self.tracker.undecoded_transport(req.path, req.query)
        if transport is not None:
            # htmlfile is a never-ending chunked response (docs/protocol.md#a3-4).
            self._note(f"{transport} transport forwarded untouched, not decoded: {req.path}")
        return False

    def _sweep_idle(self) -> None:
        """Close abandoned polling connections (their recordings get their close)."""
        now = self._clock()
        if self._next_sweep is None:
            self._next_sweep = now + IDLE_SWEEP_SECONDS
        if now < self._next_sweep:
            return
        self._next_sweep = now + IDLE_SWEEP_SECONDS
        if self.rewrite is None:
            self._observe(self.tracker.expire_idle)
            return
        self.rewrite.close_all(self.tracker.expire_idle())
        self.tracker.forget_closed()

    def on_http_request(self, exchange_id: int, req: RequestInfo, body: bytes) -> bytes | None:
        self._sweep_idle()
        tracker = self.tracker
        if self.rewrite is None:
            # Passive: the relay sends the request on when this returns, and the
            # body is decoded and recorded once it is out (``run_later``).
            self._observe(
                lambda: tracker.http_request(
                    exchange_id, req.method, req.path, req.query, req.headers, body
                ),
                len(body),
                later=True,
            )
            return None
        events = tracker.http_request(
            exchange_id, req.method, req.path, req.query, req.headers, body
        )
        try:
            return self.rewrite.http_request(req, body, events)
        finally:
            tracker.forget_closed()

    def on_http_response(
        self,
        exchange_id: int,
        req: RequestInfo,
        status: int,
        headers: tuple[tuple[str, str], ...],
        body: bytes,
    ) -> bytes | None:
        tracker = self.tracker
        if self.rewrite is None:
            self._observe(
                lambda: tracker.http_response(exchange_id, status, headers, body),
                len(body),
                later=True,
            )
            return None
        events = tracker.http_response(exchange_id, status, headers, body)
        try:
            return self.rewrite.http_response(req, status, body, events)
        finally:
            tracker.forget_closed()

    def on_http_error(self, exchange_id: int, req: RequestInfo, reason: str) -> None:
        # A client that hung up keeps its session; a failed exchange ends it.
        gone = reason == "client went away"
        self._counters["upstream_errors"] += 1
        self._note(f"upstream error on {req.method} {req.path}: {reason}")
        failed = None if gone else reason
        if self.rewrite is None:
            self._observe(lambda: self.tracker.http_error(exchange_id, failed))
            return
        self.rewrite.close_all(self.tracker.http_error(exchange_id, failed))
        self.tracker.forget_closed()

    def on_ws_open(self, ws_id: int, req: RequestInfo, subprotocol: str | None) -> None:
        tracker = self.tracker
        if self.rewrite is None:
            self._observe(
                lambda: tracker.ws_open(ws_id, req.method, req.path, req.query, req.headers)
            )
            return
        self.rewrite.ws_open(
            ws_id, tracker.ws_open(ws_id, req.method, req.path, req.query, req.headers)
        )

    def on_ws_message(
        self, ws_id: int, direction: Direction, payload: bytes, is_binary: bool
    ) -> Sequence[tuple[bytes, bool]] | None:
        if not self._decode:
            self._frames[direction] += 1  # frames, not decoded packets
            return None
        if (self._backlog.busy or len(payload) >= PREPARE_BYTES) and self.rewrite is None:
            self._observe(
                lambda: self.tracker.ws_message(ws_id, direction, payload, is_binary), len(payload)
            )
            return None
        if not is_binary and self.rewrite is None:
            # The record path's hot loop: one whole packet per text message,
            # published without the general path's list and checks.
            event = self.tracker.ws_text(ws_id, direction, payload)
            if event is not None:
                self._packets[direction] += 1
                for sink in self._sinks:
                    try:
                        sink(event)
                    except Exception as exc:
                        self._sink_failed(sink, exc)
                return None
        if self.rewrite is None:
            self._observe(lambda: self.tracker.ws_message(ws_id, direction, payload, is_binary))
            return None
        events = self.tracker.ws_message(ws_id, direction, payload, is_binary)
        try:
            return self.rewrite.ws_message(ws_id, direction, payload, is_binary, events)
        finally:
            self.tracker.forget_closed()

    def on_ws_close(
        self, ws_id: int, initiator: Direction | None, code: int | None, reason: str | None
    ) -> None:
        if self.rewrite is None:
            self._observe(lambda: self.tracker.ws_close(ws_id, initiator, code, reason))
            return
        self.rewrite.ws_close(ws_id, self.tracker.ws_close(ws_id, initiator, code, reason))
        self.tracker.forget_closed()

    def shutdown(self, reason: str = "proxy stopped") -> None:
        """Close every open connection (recordings end each with a close entry)."""
        if self.rewrite is None:
            self._backlog.flush()  # everything seen so far is recorded before the closes
            self._observe(lambda: self.tracker.close_all(reason))
            self._backlog.flush()
            return
        self.rewrite.close_all(self.tracker.close_all(reason))
        self.tracker.forget_closed()
