"""Publishing session events in bounded slices, so one huge body never holds the reactor.

Layer: pure. A polling body may carry up to ``codec.limits.MAX_PACKETS_PER_BODY``
packets; logging and recording all of them in the request's reactor turn
took about 0.1 s at the limit, while ``/health`` and every other connection
waited. When the live proxy may send before it records (its observer is
*passive*, docs/reliability.md "Hostile inputs: linear time"), events are
handed to the sinks at most ``PUBLISH_SLICE`` per reactor turn; the rest
wait in a first-in, first-out backlog drained in later turns, each after the
reactor has polled (``RelayControl.call_after_io``). A polling body is not
even decoded in the turn that relays it (``run_later``): its request or
response goes out first, and the round trip does not wait for the recording.

Order is the wire's: while anything waits, every later observation (the
tracker step itself, not only its events) joins the end of the backlog, so
the session tracker sees requests and messages in arrival order and sinks
see events in seq order. ``flush`` publishes everything at once (shutdown,
and a peer that sends faster than the proxy records: ``MAX_WAITING``).

One huge message (``--max-body`` raised to tens of MiB) is one event, but
recording it is linear work on its text: ``run_prepared`` takes the sinks'
``prework`` steps for its events (``recording.slices``) one per turn before
publishing them, so no turn does more than one slice of it.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Iterator, Sequence

from sioproxy.session import SessionEvent

# Events handed to the sinks in one reactor turn (a log line and a recording
# line each: about 5 ms on the reference machine).
PUBLISH_SLICE = 1_000
_EVERYTHING = 1 << 62
# Observations allowed to wait, and the bytes of the bodies and messages they
# hold (only the front one holds its decoded events), so memory stays
# bounded; past either, peers send faster than the proxy records and
# everything is published at once, which stalls reading as the proxy did
# before slicing (backpressure). Generous: a huge message worked on in
# slices (``run_prepared``) takes a few hundred turns, and other clients'
# traffic waits behind it meanwhile.
MAX_WAITING = 1_024
MAX_WAITING_BYTES = 32 << 20  # or two of the largest messages (``max_waiting_bytes``)

Step = Callable[[], Sequence[SessionEvent]]
Publish = Callable[[Sequence[SessionEvent]], None]
Schedule = Callable[[Callable[[], None]], None]
# The steps to run before some events are published, one per turn.
Prework = Callable[[Sequence[SessionEvent]], Iterator[None]]
_DONE = object()


class _Pending:
    """Events made by a step and not yet published."""

    __slots__ = ("events", "start")

    def __init__(self, events: Sequence[SessionEvent], start: int) -> None:
        self.events = events
        self.start = start


class _Prepared:
    """An observation whose events wait for their prework steps."""

    __slots__ = ("events", "prework", "step", "steps")

    def __init__(self, step: Step, prework: Prework) -> None:
        self.step = step
        self.prework = prework
        self.events: Sequence[SessionEvent] = ()
        self.steps: Iterator[None] | None = None


class SlicedPublisher:
    """Runs observation steps in order and publishes their events a slice per turn."""

    def __init__(
        self,
        publish: Publish,
        slice_size: int = PUBLISH_SLICE,
        max_waiting_bytes: int = MAX_WAITING_BYTES,
    ) -> None:
        self._publish = publish
        self._slice = slice_size
        self._max_bytes = max_waiting_bytes
        self._waiting: deque[Step | _Pending | _Prepared] = deque()
        self._schedule: Schedule | None = None  # None: publish everything at once
        self._scheduled = False
        # Sizes of the observations queued since the backlog was last empty
        # (an upper bound of what it holds: not lowered as they are taken).
        self._queued_bytes = 0

    def attach(self, schedule: Schedule) -> None:
        """Slicing on: ``schedule(fn)`` runs ``fn`` in a later reactor turn, after its poll."""
        self._schedule = schedule

    @property
    def busy(self) -> bool:
        """Something waits: a new observation must join the backlog (wire order)."""
        return bool(self._waiting)

    @property
    def waiting_steps(self) -> int:
        """Observations and event batches not yet published (for ``/metrics``)."""
        return len(self._waiting)

    def run(self, step: Step, size: int = 0) -> None:
        """Observe now, or after what already waits; publish at most one slice now.

        ``size``: the bytes the step holds until it runs (a body, a message).
        """
        if self._waiting:
            self._queue(step, size)
            return
        self._take(step(), self._slice)

    def run_later(self, step: Step, size: int = 0) -> None:
        """``run`` in a later turn, after what already waits (at once without slicing)."""
        if self._schedule is None:
            self.run(step, size)
            return
        self._queue(step, size)
        self._wake()

    def run_prepared(self, step: Step, prework: Prework, size: int = 0) -> None:
        """``run`` for an observation whose events need costly work first (a huge
        message): ``prework(events)`` runs one step per reactor turn (all at once
        without slicing), then the events are published."""
        if self._waiting:
            self._queue(_Prepared(step, prework), size)
            return
        self._waiting.append(_Prepared(step, prework))
        if self._schedule is None:
            self._drain(self._slice)
        else:
            self._wake()  # the step too in a later turn: the message's last read costs enough

    def _queue(self, item: Step | _Prepared, size: int) -> None:
        self._waiting.append(item)
        self._queued_bytes += size
        if len(self._waiting) > MAX_WAITING or self._queued_bytes > self._max_bytes:
            self.flush()

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
        self._drain_some(budget)
        if not self._waiting:
            self._queued_bytes = 0

    def _drain_some(self, budget: int) -> None:
        while self._waiting and budget > 0:
            item = self._waiting.popleft()
            if isinstance(item, _Prepared):
                if item.steps is None:
                    item.events = item.step()
                    item.steps = item.prework(item.events)
                if self._schedule is None:
                    for _ in item.steps:
                        pass
                elif next(item.steps, _DONE) is not _DONE:
                    self._waiting.appendleft(item)  # one step per turn
                    self._wake()
                    return
                budget = self._take(item.events, budget)
                continue
            if isinstance(item, _Pending):
                end = item.start + budget
                self._publish(item.events[item.start : end])
                budget -= len(item.events) - item.start
                if end < len(item.events):
                    self._waiting.appendleft(_Pending(item.events, end))
                continue
            budget = self._take(item(), budget)
