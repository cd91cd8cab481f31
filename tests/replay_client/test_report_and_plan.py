"""Drift report forms, load statistics, connection plans, and the pure-layer rule."""

from __future__ import annotations

import subprocess
import sys

import pytest

from sioproxy.errors import ConfigError
from sioproxy.recording.matching import Difference
from sioproxy.recording.model import HttpRequest, OpenEvent, UpgradeEvent
from sioproxy.replay_client import ConnectionResult, DriftItem, DriftReport, LoadStats, percentile
from sioproxy.replay_client.plan import plan_connection
from sioproxy.types import Generation, TransportName
from tests.standin.replay.factory import RecordingBuilder


def _report(*items: DriftItem, errors: tuple[str, ...] = ()) -> DriftReport:
    result = ConnectionResult(
        conn="c1",
        client=1,
        transport="websocket",
        sent=3,
        received=2,
        end="client close",
        drift=items,
    )
    return DriftReport(recording="r.jsonl", target="http://t", results=(result,), errors=errors)


def test_report_text_and_json_name_the_packet_and_the_diff() -> None:
    item = DriftItem(
        kind="changed",
        namespace="/chat",
        event="ack of ack_me",
        seq=7,
        t=0.5,
        recorded='43/chat,1["x","ack"]',
        live='43/chat,1["x","nack"]',
        differences=(Difference(pointer="/data/1", kind="changed", recorded="ack", live="nack"),),
    )
    report = _report(item)
    text = report.text()
    assert "drift: 1 changed" in text
    assert "CHANGED seq 7  namespace /chat  ack of ack_me" in text
    assert '/data/1: recorded "ack" != live "nack"' in text
    data = report.to_json()
    assert data["counts"] == {
        "missing": 0,
        "unexpected": 0,
        "changed": 1,
        "closed": 0,
        "recovery": 0,
    }
    assert data["connections"][0]["drift"][0]["differences"] == [
        {"pointer": "/data/1", "kind": "changed", "recorded": "ack", "live": "nack"}
    ]
    assert report.exit_status == 1


def test_exit_status() -> None:
    assert _report().exit_status == 0
    assert _report(errors=("could not connect",)).exit_status == 2
    assert "drift: none" in _report().text()


def test_percentiles_and_summary() -> None:
    assert percentile([], 50) is None
    assert percentile([0.3, 0.1, 0.2], 50) == 0.2
    assert percentile([float(i) for i in range(1, 101)], 99) == 99.0
    stats = LoadStats(clients=2, started=10.0)
    stats.add_connection(sent=4, received=6, drift=1, rtts=[0.010, 0.020])
    stats.clients_done = 1
    assert stats.throughput(12.0) == 5.0
    assert stats.progress_line(12.0, running_sent=2) == (
        "[   2.0s] clients 1/2 done, 12 packets, 6.0 pkt/s, drift 1"
    )
    lines = stats.summary_lines(12.0)
    assert "packets: 4 sent, 6 received, 5.0 packets/s" in lines
    assert "ack round trips: 2, p50 10.0 ms, p90 20.0 ms, p99 20.0 ms, max 20.0 ms" in lines


def _builder(generation: Generation, transport: TransportName, query: str) -> RecordingBuilder:
    b = RecordingBuilder(generation)
    path = "/socket.io/1/" if generation is Generation.LEGACY else "/app/socket.io/"
    b.entries.append(
        OpenEvent(
            seq=1,
            conn="c1",
            t=0.0,
            generation=generation,
            transport=transport,
            sid=None,
            request=HttpRequest(method="GET", path=path, query=query),
        )
    )
    return b


def test_plan_follows_the_recording_and_keeps_user_query() -> None:
    b = _builder(Generation.EIO4, TransportName.POLLING, "EIO=4&transport=polling&t=x&room=7")
    b.entries.append(
        UpgradeEvent(
            seq=2,
            conn="c1",
            t=0.1,
            transport=TransportName.WEBSOCKET,
            request=HttpRequest(method="GET", path="/app/socket.io/"),
        )
    )
    plan = plan_connection(b.build(), "c1")
    assert (plan.mode, plan.path, plan.query) == ("upgrade", "/app/socket.io/", (("room", "7"),))
    assert plan_connection(b.build(), "c1", transport="websocket").mode == "websocket"
    with pytest.raises(ConfigError, match="xhr-polling"):
        plan_connection(b.build(), "c1", transport="xhr-polling")


def test_plan_for_legacy_maps_transports_it_cannot_speak() -> None:
    b = _builder(Generation.LEGACY, TransportName.JSONP_POLLING, "t=1&jsonp=0&user=a")
    plan = plan_connection(b.build(), "c1")
    assert (plan.mode, plan.query) == ("xhr-polling", (("user", "a"),))
    session = plan.session()
    session.start()
    (call,) = session.take_effects()
    assert call.path == "/socket.io/1/"  # type: ignore[union-attr]
    assert call.query == "user=a&t=1"  # type: ignore[union-attr]


@pytest.mark.parametrize(
    "module",
    [
        "sioproxy.replay_client",
        "sioproxy.replay_client.plan",
        "sioproxy.replay_client.replayer",
        "sioproxy.replay_client.actions",
        "sioproxy.replay_client.describe",
        "sioproxy.replay_client.order",
        "sioproxy.replay_client.drift",
        "sioproxy.replay_client.load",
    ],
)
def test_client_side_core_does_not_import_twisted(module: str) -> None:
    code = (
        f"import importlib, sys; importlib.import_module({module!r}); "
        "print(sorted(m for m in sys.modules if m.split('.')[0] in ('twisted', 'autobahn')))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout.strip()
    assert out == "[]"
