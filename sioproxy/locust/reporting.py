"""Turn what a connection does into Locust request events (docs/load.md "Reading the results").

Layer: pure (standard library and sioproxy's codec/recording views; it takes
Locust's ``events.request.fire`` as a plain callable and imports neither
Locust nor gevent). Request types:

- ``emit``: a client packet that asks for an ack, named ``NAMESPACE EVENT``;
  its response time is the ack round trip. A changed ack is a failure whose
  message is the pointer diff; an ack that never came is a failure too.
- ``connect``: one per connection, named by its transport; the time from the
  first request to the open packet (or 0.9 ``1::``); a failure when the
  connection could not be opened.
- ``push``: a server packet that is not an ack (response time 0).
- ``drift``: any other drift (a changed, missing or unexpected server event,
  the connection closing early), a failure named ``NAMESPACE EVENT``.
- ``session``: one per played recorded session, its length; a failure when a
  connection could not be opened.
- ``order``: a failure per client packet (or connection open) that went after
  ``max_wait`` without the other connections having played what was recorded
  before it (``sioproxy.replay_client.order``), named by the recording.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from sioproxy.codec.packets import Packet, answer_id, is_ack, type_label
from sioproxy.recording.script import asks_ack, event_name, namespace
from sioproxy.replay_client import DriftItem
from sioproxy.replay_client.order import Release

__all__ = [
    "ConnectionReport",
    "DriftError",
    "Fire",
    "NotConnectedError",
    "OutOfOrderError",
    "drift_message",
    "release_event",
    "request_name",
    "session_event",
]

Fire = Callable[..., Any]  # locust's events.request.fire(request_type=..., name=..., ...)


class DriftError(Exception):
    """A server packet that did not come back as recorded (the message is the diff)."""


class NotConnectedError(Exception):
    """A recorded connection that could not be opened (the message is why)."""


class OutOfOrderError(Exception):
    """A packet released by max-wait: the session's recorded order was not kept."""


def request_name(ns: str, event: object) -> str:
    shown = ns or "''"  # the 0.9 root endpoint is empty
    return f"{shown} {event}"


def drift_message(item: DriftItem) -> str:
    """One line: kind, recorded seq and every pointer diff (no live timing, so it groups)."""
    where = f"seq {item.seq}" if item.seq is not None else "live only"
    diffs = "; ".join(d.text() for d in item.differences)
    return (
        f"{item.kind} {where} {item.event}"
        + (f": {diffs}" if diffs else "")
        + (f" ({item.note})" if item.kind != "changed" and item.note else "")
    )


class ConnectionReport:
    """The observer of one connection (``sioproxy.locust.transport.ConnectionObserver``)."""

    def __init__(self, fire: Fire, transport: str) -> None:
        self._fire = fire
        self._transport = transport
        self._asked: dict[tuple[str, int], tuple[str, float]] = {}  # (ns, id) -> name, sent
        self.opened = False

    def connected(self, conn: str, transport: str, seconds: float) -> None:
        self.opened = True
        self._event("connect", self._transport, seconds)

    def not_connected(self, reason: str, seconds: float) -> None:
        """The connection ended before it opened: a failed ``connect``."""
        self._event("connect", self._transport, seconds, NotConnectedError(reason))

    def sent(self, packet: Packet, now: float) -> None:
        if asks_ack(packet) and packet.id is not None:
            name = request_name(namespace(packet), event_name(packet))
            self._asked[(namespace(packet), packet.id)] = (name, now)

    def received(self, packet: Packet, now: float, drift: list[DriftItem]) -> None:
        live_id = answer_id(packet) if is_ack(packet) else None
        asked = self._asked.pop((namespace(packet), live_id), None) if live_id is not None else None
        if asked is None:
            if not is_ack(packet):
                name = event_name(packet)
                label = type_label(packet) if name is None else name
                self._event("push", request_name(namespace(packet), label), 0.0)
            self.drifted(drift)
            return
        name, sent = asked
        changed = [d for d in drift if d.event.startswith("ack of ")]
        failure = DriftError(drift_message(changed[0])) if changed else None
        self._event("emit", name, now - sent, failure)
        self.drifted([d for d in drift if d not in changed])

    def drifted(self, drift: Iterable[DriftItem]) -> None:
        for item in drift:
            if item.kind == "missing" and item.event.startswith("ack of "):
                name = request_name(item.namespace, item.event.removeprefix("ack of "))
                self._forget(name)
                self._event("emit", name, 0.0, DriftError(drift_message(item)))
            else:
                name = request_name(item.namespace, item.event.removeprefix("event "))
                self._event("drift", name, 0.0, DriftError(drift_message(item)))

    def _forget(self, name: str) -> None:
        for key, (asked, _) in list(self._asked.items()):
            if asked == name:
                del self._asked[key]
                return

    def _event(
        self, kind: str, name: str, seconds: float, failure: Exception | None = None
    ) -> None:
        self._fire(
            request_type=kind,
            name=name,
            response_time=seconds * 1000,
            response_length=0,
            exception=failure,
            context={},
        )


def session_event(fire: Fire, name: str, seconds: float, not_opened: list[str]) -> None:
    """The ``session`` entry: a failure naming the first connection that did not open."""
    failure = DriftError(f"not connected: {not_opened[0]}") if not_opened else None
    fire(
        request_type="session",
        name=name,
        response_time=seconds * 1000,
        response_length=0,
        exception=failure,
        context={},
    )


def release_event(fire: Fire, name: str, release: Release) -> None:
    """The ``order`` failure of one max-wait release (the message names seq and who lagged)."""
    fire(
        request_type="order",
        name=name,
        response_time=release.max_wait * 1000,
        response_length=0,
        exception=OutOfOrderError(release.note()),
        context={},
    )
