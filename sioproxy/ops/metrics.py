"""The proxy's and replay's Prometheus metrics (the registry is ``prometheus.py``).

Layer: pure (no twisted; reads the live observer, recorder and replay stats
through duck-typed attributes). Gauges that mirror live state are refreshed
by a collect hook right before each render, so a scrape always sees the
present.
"""

from __future__ import annotations

from typing import Any

from sioproxy import __version__
from sioproxy.ops.prometheus import Registry
from sioproxy.session.connection import MAX_OUTSTANDING_ACKS
from sioproxy.session.events import (
    ConnectionClosed,
    ConnectionOpened,
    ConnectionUpgraded,
    PacketSeen,
    SessionEvent,
)

__all__ = ["LiveMetrics", "ReplayMetrics", "add_edge_metrics"]

ACK_BUCKETS = (0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0)


def _info(registry: Registry) -> None:
    info = registry.gauge("sioproxy_build_info", "sioproxy version (always 1)", ["version"])
    info.set(1, version=__version__)


def _raw_size(raw: str | bytes) -> int:
    if isinstance(raw, bytes) or raw.isascii():  # str.isascii costs nothing: CPython knows
        return len(raw)
    return len(raw.encode("utf-8"))


class LiveMetrics:
    """Metrics of ``proxy``/``record``: a session event sink plus gauges read at scrape time.

    Pass ``metrics.event`` in ``start_proxy(..., sinks=[...])``, then ``bind()`` the
    running proxy's observer and recorder so open connections, pending acks and
    recording health are read live.
    """

    def __init__(self) -> None:
        self.registry = Registry()
        _info(self.registry)
        self._traffic_families(self.registry)
        self._state_families(self.registry)
        for direction in ("c2s", "s2c"):  # present from the start, so rate() works
            self.decode_errors.inc(0, direction=direction)
            self.bytes.inc(0, direction=direction)
        self._asked: dict[str, dict[int, float]] = {}
        self._observer: Any = None
        self._recorder: Any = None
        self._log: Any = None
        self.registry.on_collect(self._collect)

    def _traffic_families(self, r: Registry) -> None:
        self.connections = r.counter(
            "sioproxy_connections_total",
            "Socket.IO connections opened, by first transport and protocol",
            ["transport", "protocol"],
        )
        self.open = r.gauge(
            "sioproxy_connections_open",
            "Connections open now, by current transport and protocol",
            ["transport", "protocol"],
        )
        self.upgrades = r.counter(
            "sioproxy_upgrades_total", "Connections upgraded to another transport", ["transport"]
        )
        self.closed = r.counter("sioproxy_connections_closed_total", "Connections closed")
        self.packets = r.counter(
            "sioproxy_packets_total",
            "Packets relayed, by direction and type",
            ["direction", "type"],
        )
        self.decode_errors = r.counter(
            "sioproxy_decode_errors_total", "Frames that did not decode", ["direction"]
        )
        self.bytes = r.counter(
            "sioproxy_bytes_total", "Packet bytes relayed (raw wire form)", ["direction"]
        )
        self.ack_rtt = r.histogram(
            "sioproxy_ack_round_trip_seconds",
            "Time from a packet asking for an ack to its ack",
            ACK_BUCKETS,
            ["direction"],
        )

    def _state_families(self, r: Registry) -> None:
        """Mirrors of live state, refreshed by ``_collect`` at each scrape."""
        self.pending_acks = r.gauge("sioproxy_pending_acks", "Requests waiting for their ack")
        self.upstream_errors = r.counter(
            "sioproxy_upstream_errors_total", "HTTP exchanges that failed upstream"
        )
        self.recording_lines = r.counter(
            "sioproxy_recording_lines_total", "Recording lines written to the file"
        )
        self.recording_dropped = r.counter(
            "sioproxy_recording_write_failures_total", "Recording lines lost to write errors"
        )
        self.log_dropped = r.counter(
            "sioproxy_log_lines_dropped_total",
            "Log lines dropped because standard output did not keep up",
        )
        self.recording_ok = r.gauge(
            "sioproxy_recording_ok", "1 when the last recording write succeeded"
        )
        self._memory_families(r)

    def _memory_families(self, r: Registry) -> None:
        """What the proxy holds per connection: back to 0 once every connection closed."""
        self.state = {
            key: r.gauge(f"sioproxy_{key}", text)
            for key, text in (
                ("tracked_connections", "Connections whose state the proxy holds"),
                ("tracked_exchanges", "Buffered HTTP exchanges waiting for their response"),
                ("tracked_websockets", "Relayed WebSockets mapped to a connection"),
                ("pending_attachment_bytes", "Bytes of half-received binary packets"),
                ("closed_sids_remembered", "Sids of closed sessions kept (bounded, 10,000)"),
            )
        }
        self.ack_entries = r.gauge(
            "sioproxy_pending_ack_entries",
            "Ack requests remembered: by the session tracker, and for round-trip times",
            ["table"],
        )
        self.publish_backlog = r.gauge(
            "sioproxy_publish_backlog",
            "Observations waiting for a later reactor turn to be logged and recorded",
        )
        self.untracked = r.counter(
            "sioproxy_untracked_connections_total",
            "Connections relayed but not decoded or recorded: too many tracked already",
        )

    def bind_log(self, log: Any) -> None:
        """Read the dropped log lines from a ``LogSink`` (``dropped``) at each scrape."""
        self._log = log

    def bind(self, observer: Any, recorder: Any = None) -> None:
        """Read gauges from a ``LiveObserver`` (and a ``LiveRecorder`` when recording)."""
        self._observer = observer
        self._recorder = recorder

    def event(self, event: SessionEvent) -> None:
        if isinstance(event, PacketSeen):
            self._packet(event)
        elif isinstance(event, ConnectionOpened):
            protocol = event.generation.value
            self.connections.inc(transport=event.transport, protocol=protocol)
        elif isinstance(event, ConnectionUpgraded):
            self.upgrades.inc(transport=event.transport)
        elif isinstance(event, ConnectionClosed):
            self.closed.inc()
            self._asked.pop(event.conn, None)

    def _packet(self, event: PacketSeen) -> None:
        direction = event.direction.value
        self.packets.inc(direction=direction, type=event.type_name)
        self.bytes.inc(_raw_size(event.raw), direction=direction)
        if event.error is not None:
            self.decode_errors.inc(direction=direction)
        if event.asks_ack and not event.is_ack:
            table = self._asked.setdefault(event.conn, {})
            table[event.seq] = event.t
            if len(table) > MAX_OUTSTANDING_ACKS:  # bounded like the tracker's table
                del table[next(iter(table))]
            return
        asked = self._asked.get(event.conn)
        if event.ack_of is not None and asked is not None and event.ack_of in asked:
            # The ack answers the request's direction; label by who asked.
            self.ack_rtt.observe(
                max(event.t - asked.pop(event.ack_of), 0.0),
                direction=event.direction.reverse().value,
            )

    def _collect(self) -> None:
        self.log_dropped.set_total(float(self._log.dropped if self._log is not None else 0))
        if self._observer is not None:
            self._collect_connections(self._observer)
        if self._recorder is not None:
            status = self._recorder.status()
            self.recording_lines.set_total(float(status.get("lines_written", 0)))
            self.recording_dropped.set_total(float(status.get("lines_dropped", 0)))
            self.recording_ok.set(1.0 if not status.get("failed") else 0.0)

    def _collect_connections(self, observer: Any) -> None:
        self.open.clear()
        pending = 0
        for conn in observer.tracker.connections.values():
            if not conn.opened or conn.closed:
                continue
            labels = {"transport": conn.transport or "unknown", "protocol": conn.generation.value}
            self.open.set(self.open.get(**labels) + 1, **labels)
            pending += conn.pending_acks
        self.pending_acks.set(pending)
        self.upstream_errors.set_total(float(observer.counters.get("upstream_errors", 0)))
        totals = observer.tracker.state_totals()
        for key, gauge in self.state.items():
            gauge.set(float(totals[key]))
        self.ack_entries.set(float(totals["pending_ack_entries"]), table="tracker")
        round_trip = sum(len(table) for table in self._asked.values())
        self.ack_entries.set(float(round_trip), table="round_trip")
        self.untracked.set_total(float(observer.tracker.upkeep.untracked))
        self.publish_backlog.set(float(observer.backlog_steps))

    def render(self) -> str:
        return self.registry.render()


class ReplayMetrics:
    """Metrics of ``replay``, mirrored from a ``ReplayStats`` at scrape time."""

    _FIELDS = (
        ("connections", "sioproxy_replay_connections_total", "Connections given a recording"),
        ("refused", "sioproxy_replay_refused_total", "Connections refused (nothing left)"),
        ("received", "sioproxy_replay_packets_received_total", "Client packets received"),
        ("sent", "sioproxy_replay_packets_sent_total", "Recorded packets sent"),
        ("misses", "sioproxy_replay_misses_total", "Client packets matching no recording"),
        ("done", "sioproxy_replay_connections_done_total", "Connections played to the end"),
    )

    def __init__(self, stats: Any) -> None:
        self.stats = stats
        self.registry = r = Registry()
        _info(r)
        self._counters = [(attr, r.counter(name, text)) for attr, name, text in self._FIELDS]
        self.matches = r.counter(
            "sioproxy_replay_matches_total", "Client packets that matched the recording"
        )
        r.on_collect(self._collect)

    def _collect(self) -> None:
        for attr, counter in self._counters:
            counter.set_total(float(getattr(self.stats, attr, 0)))
        matched = max(int(self.stats.received) - int(self.stats.misses), 0)
        self.matches.set_total(float(matched))

    def render(self) -> str:
        return self.registry.render()


def add_edge_metrics(registry: Registry, stats: Any) -> None:
    """Counters of a listener's refusals and timeouts, mirrored from a ``limits.EdgeStats``."""
    timeouts = registry.counter(
        "sioproxy_timeouts_total",
        "Client connections closed by a timeout (header: request head too slow; idle)",
        ["kind"],
    )
    refused = registry.counter(
        "sioproxy_refused_total",
        "Requests or connections refused while reading (body_too_large, bad_target,"
        " per_client_limit)",
        ["reason"],
    )

    def collect() -> None:
        for kind, count in stats.timeouts.items():
            timeouts.set_total(float(count), kind=kind)
        for reason, count in stats.refused.items():
            refused.set_total(float(count), reason=reason)

    registry.on_collect(collect)
