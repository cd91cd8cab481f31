"""Publishing session events in bounded slices, so one huge body never holds the reactor.

Layer: pure. A polling body may carry up to ``codec.limits.MAX_PACKETS_PER_BODY``
packets; logging and recording all of them in the request's reactor turn
took about 0.1 s at the limit, while ``/health`` and every other connection
waited. When the live proxy may send before it records (its observer is
*passive*, docs/reliability.md "Hostile inputs: linear time"), events are
handed to the sinks at most ``PUBLISH_SLICE`` per reactor turn; the rest
wait in a first-in, first-out backlog drained by ``call_later(0, ...)``.

Order is the wire's: while anything waits, every later observation (the
tracker step itself, not only its events) joins the end of the backlog, so
the session tracker sees requests and messages in arrival order and sinks
see events in seq order. ``flush`` publishes everything at once (shutdown,
and a peer that sends faster than the proxy records: ``MAX_WAITING``).
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Sequence

from sioproxy.session import SessionEvent

# Events handed to the sinks in one reactor turn (a log line and a recording
# line each: about 5 ms on the reference machine).
PUBLISH_SLICE = 1_000
_EVERYTHING = 1 << 62
# Observations allowed to wait. Each holds its raw body (at most max_body) and
# only the front one its decoded events, so memory stays bounded; past this,
# a peer sends faster than the proxy records and everything is published at
# once, which stalls reading as the proxy did before slicing (backpressure).
MAX_WAITING = 16

Step = Callable[[], Sequence[SessionEvent]]
Publish = Callable[[Sequence[SessionEvent]], None]
Schedule = Callable[[Callable[[], None]], None]


class _Pending:
    """Events made by a step and not yet published."""

    __slots__ = ("events", "start")

    def __init__(self, events: Sequence[SessionEvent], start: int) -> None:
        self.events = events
        self.start = start


class SlicedPublisher:
    """Runs observation steps in order and publishes their events a slice per turn."""

    def __init__(self, publish: Publish, slice_size: int = PUBLISH_SLICE) -> None:
        self._publish = publish
        self._slice = slice_size
        self._waiting: deque[Step | _Pending] = deque()
        self._schedule: Schedule | None = None  # None: publish everything at once
        self._scheduled = False

    def attach(self, schedule: Schedule) -> None:
        """Slicing on: ``schedule(fn)`` runs ``fn`` in a later reactor turn."""
        self._schedule = schedule

    @property
    def busy(self) -> bool:
        """Something waits: a new observation must join the backlog (wire order)."""
        return bool(self._waiting)

    @property
    def waiting_steps(self) -> int:
        """Observations and event batches not yet published (for ``/metrics``)."""
        return len(self._waiting)

    def run(self, step: Step) -> None:
        """Observe now, or after what already waits; publish at most one slice now."""
        if self._waiting:
            self._waiting.append(step)
            if len(self._waiting) > MAX_WAITING:
                self.flush()
            return
        self._take(step(), self._slice)

    def flush(self) -> None:
        """Publish everything waiting, now (shutdown: the recording must be complete)."""
        while self._waiting:
            self._drain(_EVERYTHING)

    def _take(self, events: Sequence[SessionEvent], budget: int) -> int:
        """Publish up to ``budget`` events; queue the rest at the front. Returns what is left."""
        if self._schedule is None or len(events) <= budget:
            self._publish(events)
            return budget - len(events)
        self._publish(events[:budget])
        self._waiting.appendleft(_Pending(events, budget))
        self._wake()
        return 0

    def _wake(self) -> None:
        if not self._scheduled and self._schedule is not None:
            self._scheduled = True
            self._schedule(self._turn)

    def _turn(self) -> None:
        self._scheduled = False
        self._drain(self._slice)
        if self._waiting:
            self._wake()

    def _drain(self, budget: int) -> None:
        while self._waiting and budget > 0:
            item = self._waiting.popleft()
            if isinstance(item, _Pending):
                end = item.start + budget
                self._publish(item.events[item.start : end])
                budget -= len(item.events) - item.start
                if end < len(item.events):
                    self._waiting.appendleft(_Pending(item.events, end))
                continue
            budget = self._take(item(), budget)
