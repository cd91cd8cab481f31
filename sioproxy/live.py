"""The live proxy's brain: relayed traffic -> session events -> log, recording, counters.

Layer: pure (implements the transport's ``RelayObserver`` protocol without
importing twisted). Nothing here changes traffic yet: every callback returns
``None`` so the relay forwards the original bytes.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Sequence
from typing import Protocol

from sioproxy.session import PacketSeen, SessionEvent, SessionTracker
from sioproxy.transport.observer import RequestInfo
from sioproxy.types import Direction


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
    ) -> None:
        self.tracker = SessionTracker(clock=clock, resource_path=resource_path)
        self._sinks = list(sinks)
        self._note = note or (lambda _text: None)
        self.counters: Counter[str] = Counter()

    def _publish(self, events: Sequence[SessionEvent]) -> None:
        for event in events:
            if isinstance(event, PacketSeen):
                self.counters[f"packets_{event.direction.value}"] += 1
                if event.error is not None:
                    self.counters["decode_errors"] += 1
            for sink in self._sinks:
                sink(event)

    # -- RelayObserver ------------------------------------------------------

    def wants_body(self, req: RequestInfo) -> bool:
        return self.tracker.wants_body(req.path, req.query)

    def on_http_request(self, exchange_id: int, req: RequestInfo, body: bytes) -> bytes | None:
        self._publish(
            self.tracker.http_request(
                exchange_id, req.method, req.path, req.query, req.headers, body
            )
        )
        return None

    def on_http_response(
        self,
        exchange_id: int,
        req: RequestInfo,
        status: int,
        headers: tuple[tuple[str, str], ...],
        body: bytes,
    ) -> bytes | None:
        self._publish(self.tracker.http_response(exchange_id, status, headers, body))
        return None

    def on_http_error(self, exchange_id: int, req: RequestInfo, reason: str) -> None:
        self.tracker.http_error(exchange_id)
        self.counters["upstream_errors"] += 1
        self._note(f"upstream error on {req.method} {req.path}: {reason}")

    def on_ws_open(self, ws_id: int, req: RequestInfo, subprotocol: str | None) -> None:
        self._publish(self.tracker.ws_open(ws_id, req.method, req.path, req.query, req.headers))

    def on_ws_message(
        self, ws_id: int, direction: Direction, payload: bytes, is_binary: bool
    ) -> Sequence[tuple[bytes, bool]] | None:
        self._publish(self.tracker.ws_message(ws_id, direction, payload, is_binary))
        return None

    def on_ws_close(
        self, ws_id: int, initiator: Direction | None, code: int | None, reason: str | None
    ) -> None:
        self._publish(self.tracker.ws_close(ws_id, initiator, code, reason))

    def shutdown(self, reason: str = "proxy stopped") -> None:
        """Close every open connection (recordings end each with a close entry)."""
        self._publish(self.tracker.close_all(reason))
