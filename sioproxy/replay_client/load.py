"""Load statistics of a client-side replay: throughput, ack round trips, progress.

Layer: pure. Standard library only; never twisted. The transport adds each
finished connection's counts and ack round-trip times and asks for the
progress line (while running) and the summary (at the end); times are passed
in, never read from a clock here.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

__all__ = ["LoadStats", "percentile"]


def percentile(values: Sequence[float], pct: float) -> float | None:
    """The nearest-rank percentile (``pct`` in 0..100) of ``values``; None when empty."""
    if not values:
        return None
    ordered = sorted(values)
    rank = max(1, math.ceil(pct / 100 * len(ordered)))
    return ordered[min(rank, len(ordered)) - 1]


def _ms(value: float | None) -> str:
    return "-" if value is None else f"{value * 1000:.1f} ms"


@dataclass(slots=True)
class LoadStats:
    """Counts over every client and connection of one run."""

    clients: int
    started: float
    sent: int = 0
    received: int = 0
    connections: int = 0
    clients_done: int = 0
    drift: int = 0
    rtts: list[float] = field(default_factory=list)

    def add_connection(
        self, *, sent: int, received: int, drift: int, rtts: Sequence[float]
    ) -> None:
        self.connections += 1
        self.sent += sent
        self.received += received
        self.drift += drift
        self.rtts.extend(rtts)

    def throughput(self, now: float) -> float:
        elapsed = now - self.started
        return (self.sent + self.received) / elapsed if elapsed > 0 else 0.0

    def rtt_percentiles(self) -> dict[str, float | None]:
        return {f"p{p}": percentile(self.rtts, p) for p in (50, 90, 99)} | {
            "max": max(self.rtts) if self.rtts else None
        }

    def progress_line(self, now: float, *, running_sent: int = 0, running_received: int = 0) -> str:
        packets = self.sent + self.received + running_sent + running_received
        elapsed = now - self.started
        rate = packets / elapsed if elapsed > 0 else 0.0
        return (
            f"[{elapsed:6.1f}s] clients {self.clients_done}/{self.clients} done, "
            f"{packets} packets, {rate:.1f} pkt/s, drift {self.drift}"
        )

    def summary_lines(self, now: float) -> list[str]:
        pct = self.rtt_percentiles()
        elapsed = now - self.started
        return [
            f"clients: {self.clients}, connections: {self.connections}, time: {elapsed:.2f} s",
            f"packets: {self.sent} sent, {self.received} received, "
            f"{self.throughput(now):.1f} packets/s",
            f"ack round trips: {len(self.rtts)}, p50 {_ms(pct['p50'])}, p90 {_ms(pct['p90'])}, "
            f"p99 {_ms(pct['p99'])}, max {_ms(pct['max'])}",
            f"drift: {self.drift}",
        ]

    def to_json(self, now: float) -> dict[str, Any]:
        return {
            "clients": self.clients,
            "connections": self.connections,
            "seconds": round(now - self.started, 6),
            "sent": self.sent,
            "received": self.received,
            "packets_per_second": round(self.throughput(now), 3),
            "ack_rtt_seconds": self.rtt_percentiles(),
            "ack_round_trips": len(self.rtts),
            "drift": self.drift,
        }
