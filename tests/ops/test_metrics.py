"""The Prometheus registry and the live metrics, checked with prometheus_client's parser."""

from __future__ import annotations

import math

import pytest
from prometheus_client.parser import text_string_to_metric_families

from sioproxy.codec.socketio import SioPacket, SioType
from sioproxy.ops.metrics import LiveMetrics, ReplayMetrics
from sioproxy.ops.prometheus import Registry, escape_label
from sioproxy.session.events import ConnectionClosed, ConnectionOpened, PacketSeen, RequestSummary
from sioproxy.standin.replay.serve import ReplayStats
from sioproxy.types import Direction, Generation


def _families(text: str) -> dict[str, object]:
    return {f.name: f for f in text_string_to_metric_families(text)}


def _samples(text: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    out: dict[tuple[str, tuple[tuple[str, str], ...]], float] = {}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            out[(sample.name, tuple(sorted(sample.labels.items())))] = sample.value
    return out


@pytest.mark.parametrize(
    ("raw", "escaped"),
    [
        ('a"b', 'a\\"b'),
        ("back\\slash", "back\\\\slash"),
        ("two\nlines", "two\\nlines"),
        ("☕", "☕"),
    ],
)
def test_label_escaping_round_trips_through_a_real_parser(raw: str, escaped: str) -> None:
    assert escape_label(raw) == escaped
    registry = Registry()
    registry.counter("x_total", "help with \\ and\nnewline", ["v"]).inc(v=raw)
    samples = _samples(registry.render())
    assert samples[("x_total", (("v", raw),))] == 1.0


def test_counter_gauge_histogram_text() -> None:
    registry = Registry()
    counter = registry.counter("demo_events_total", "events", ["kind"])
    counter.inc(kind="a")
    counter.inc(2, kind="a")
    counter.inc(kind="b")
    gauge = registry.gauge("demo_level", "level")
    gauge.set(-1.5)
    hist = registry.histogram("demo_seconds", "durations", [0.1, 1.0])
    for value in (0.05, 0.1, 0.5, 3.0):
        hist.observe(value)
    text = registry.render()
    families = _families(text)
    assert {f: families[f].type for f in families} == {  # type: ignore[attr-defined]
        "demo_events": "counter",
        "demo_level": "gauge",
        "demo_seconds": "histogram",
    }
    samples = _samples(text)
    assert samples[("demo_events_total", (("kind", "a"),))] == 3.0
    assert samples[("demo_events_total", (("kind", "b"),))] == 1.0
    assert samples[("demo_level", ())] == -1.5
    assert samples[("demo_seconds_bucket", (("le", "0.1"),))] == 2.0  # le is inclusive
    assert samples[("demo_seconds_bucket", (("le", "1.0"),))] == 3.0
    assert samples[("demo_seconds_bucket", (("le", "+Inf"),))] == 4.0
    assert samples[("demo_seconds_count", ())] == 4.0
    assert math.isclose(samples[("demo_seconds_sum", ())], 3.65)


def test_counters_refuse_to_go_down_and_labels_must_match() -> None:
    registry = Registry()
    counter = registry.counter("c_total", "c", ["a"])
    with pytest.raises(ValueError, match="only go up"):
        counter.inc(-1, a="x")
    with pytest.raises(ValueError, match="labels"):
        counter.inc(b="x")
    with pytest.raises(ValueError, match="twice"):
        registry.gauge("c_total", "again")


def _request() -> RequestSummary:
    return RequestSummary(method="GET", path="/socket.io/", query="EIO=4", headers=())


def _sio(
    seq: int,
    t: float,
    direction: Direction,
    kind: SioType,
    ack_of: int | None = None,
    packet_id: int | None = 7,
) -> PacketSeen:
    sio = SioPacket(type=kind, nsp="/", data=["x"], id=packet_id)
    return PacketSeen(
        seq=seq,
        conn="c1",
        t=t,
        direction=direction,
        transport="websocket",
        generation=Generation.EIO4,
        raw="42" + "x" * seq,
        sio=sio,
        ack_of=ack_of,
    )


def test_live_metrics_from_events() -> None:
    metrics = LiveMetrics()
    metrics.event(
        ConnectionOpened(
            seq=1,
            conn="c1",
            t=0.0,
            generation=Generation.EIO4,
            transport="websocket",
            sid="s",
            request=_request(),
        )
    )
    metrics.event(_sio(2, 1.0, Direction.C2S, SioType.EVENT))
    metrics.event(_sio(3, 1.25, Direction.S2C, SioType.ACK, ack_of=2))
    metrics.event(
        PacketSeen(
            seq=4,
            conn="c1",
            t=2.0,
            direction=Direction.S2C,
            transport="websocket",
            generation=Generation.EIO4,
            raw=b"\xff",
            error="bad",
        )
    )
    metrics.event(ConnectionClosed(seq=5, conn="c1", t=3.0, reason="bye", by=None))
    samples = _samples(metrics.render())
    assert (
        samples[("sioproxy_connections_total", (("protocol", "eio4"), ("transport", "websocket")))]
        == 1.0
    )
    assert samples[("sioproxy_packets_total", (("direction", "c2s"), ("type", "event")))] == 1.0
    assert samples[("sioproxy_packets_total", (("direction", "s2c"), ("type", "undecoded")))] == 1
    assert samples[("sioproxy_decode_errors_total", (("direction", "s2c"),))] == 1.0
    assert samples[("sioproxy_decode_errors_total", (("direction", "c2s"),))] == 0.0
    assert samples[("sioproxy_bytes_total", (("direction", "c2s"),))] == 4.0  # "42xx"
    assert samples[("sioproxy_bytes_total", (("direction", "s2c"),))] == 6.0  # "42xxx" + b"\xff"
    assert samples[("sioproxy_ack_round_trip_seconds_count", (("direction", "c2s"),))] == 1.0
    assert samples[("sioproxy_ack_round_trip_seconds_sum", (("direction", "c2s"),))] == 0.25
    assert (
        samples[("sioproxy_ack_round_trip_seconds_bucket", (("direction", "c2s"), ("le", "0.1")))]
        == 0.0
    )
    assert (
        samples[("sioproxy_ack_round_trip_seconds_bucket", (("direction", "c2s"), ("le", "0.25")))]
        == 1.0
    )
    assert samples[("sioproxy_connections_closed_total", ())] == 1.0


def test_ack_for_unknown_request_is_not_timed() -> None:
    metrics = LiveMetrics()
    metrics.event(_sio(3, 1.25, Direction.S2C, SioType.ACK, ack_of=99))
    assert "sioproxy_ack_round_trip_seconds_count" not in metrics.render()


def test_replay_metrics_mirror_stats() -> None:
    stats = ReplayStats()
    metrics = ReplayMetrics(stats)
    stats.connections, stats.received, stats.misses, stats.sent = 2, 10, 3, 12
    samples = _samples(metrics.render())
    assert samples[("sioproxy_replay_connections_total", ())] == 2.0
    assert samples[("sioproxy_replay_misses_total", ())] == 3.0
    assert samples[("sioproxy_replay_matches_total", ())] == 7.0
    assert samples[("sioproxy_replay_packets_sent_total", ())] == 12.0
    stats.received = 11
    assert _samples(metrics.render())[("sioproxy_replay_matches_total", ())] == 8.0


def test_metrics_and_config_are_pure() -> None:
    import subprocess
    import sys

    code = (
        "import sys, sioproxy.ops.metrics, sioproxy.ops.config\n"
        "print(sorted(m for m in sys.modules if m.split('.')[0] in ('twisted', 'autobahn')))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
