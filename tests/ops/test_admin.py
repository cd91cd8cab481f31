"""The admin listener of a real ``sioproxy record`` and ``replay`` process.

A demo client runs through the proxy; ``/metrics`` is parsed with
prometheus_client; ``/ready`` turns 503 when the upstream goes away.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from prometheus_client.parser import text_string_to_metric_families

from sioproxy import __version__
from tests.interop.sioproxy_proc import record_args, start_sioproxy
from tests.ops.helpers import (
    DemoServer,
    http_get,
    launch_sioproxy,
    run_demo_client,
    sioproxy_cmd,
    start_demo_server,
)

pytestmark = pytest.mark.interop


@pytest.fixture
def demo() -> Iterator[DemoServer]:
    server = start_demo_server()
    yield server
    server.stop()


def _metrics(admin: str) -> dict[str, dict[tuple[tuple[str, str], ...], float]]:
    status, content_type, text = http_get(f"{admin}/metrics")
    assert status == 200
    assert content_type.startswith("text/plain; version=0.0.4")
    out: dict[str, dict[tuple[tuple[str, str], ...], float]] = {}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            labels = tuple(sorted(sample.labels.items()))
            out.setdefault(sample.name, {})[labels] = sample.value
    return out


def test_record_admin_endpoints_and_metrics(tmp_path: Path, demo: DemoServer) -> None:
    out = tmp_path / "rec.jsonl"
    proxy, admin = launch_sioproxy(
        sioproxy_cmd(*record_args(demo.url, out), "--admin", "127.0.0.1:0", "-q")
    )
    try:
        assert admin.startswith("http://127.0.0.1:")
        assert http_get(f"{admin}/health")[0] == 200
        status, _, body = http_get(f"{admin}/version")
        assert (status, json.loads(body)["version"]) == (200, __version__)
        assert http_get(f"{admin}/nope")[0] == 404
        status, _, body = http_get(f"{admin}/ready")
        assert status == 200, body
        assert json.loads(body)["checks"] == {
            "listening": "ok",
            "upstream": "ok",
            "recording": "ok",
        }

        transcript = run_demo_client(proxy.url, "websocket")
        assert transcript["transport"] == "websocket"
        metrics = _metrics(admin)
        opened = metrics["sioproxy_connections_total"]
        assert opened[(("protocol", "eio4"), ("transport", "websocket"))] == 1.0
        packets = metrics["sioproxy_packets_total"]
        # The demo: chat, add, upload (binary) and ping_me from the client; acks both ways.
        assert packets[(("direction", "c2s"), ("type", "event"))] >= 3
        assert packets[(("direction", "c2s"), ("type", "binary_event"))] == 1
        assert packets[(("direction", "s2c"), ("type", "binary_ack"))] == 1
        assert packets[(("direction", "c2s"), ("type", "ack"))] == 1  # are_you_there
        acks = metrics["sioproxy_ack_round_trip_seconds_count"]
        assert acks[(("direction", "c2s"),)] == 3  # chat, add, upload
        assert acks[(("direction", "s2c"),)] == 1  # the server's are_you_there
        assert metrics["sioproxy_bytes_total"][(("direction", "s2c"),)] > 100
        assert metrics["sioproxy_decode_errors_total"][(("direction", "c2s"),)] == 0
        assert metrics["sioproxy_pending_acks"][()] == 0
        # Lines are written in batches every 0.1 s: wait (bounded) for the flush.
        deadline = time.monotonic() + 5.0
        while metrics["sioproxy_recording_lines_total"][()] <= 10 and time.monotonic() < deadline:
            time.sleep(0.05)
            metrics = _metrics(admin)
        assert metrics["sioproxy_recording_lines_total"][()] > 10
        assert metrics["sioproxy_recording_ok"][()] == 1

        demo.stop()  # the upstream goes away: not ready, still healthy
        status, _, body = http_get(f"{admin}/ready")
        assert status == 503
        checks = json.loads(body)["checks"]
        assert checks["listening"] == "ok"
        assert "unreachable" in checks["upstream"]
        assert http_get(f"{admin}/health")[0] == 200
    finally:
        assert proxy.stop() == 0


def test_admin_binds_loopback_by_default(tmp_path: Path, demo: DemoServer) -> None:
    proxy, admin = launch_sioproxy(
        sioproxy_cmd(*record_args(demo.url, tmp_path / "r.jsonl"), "--admin", ":0")
    )
    try:
        assert admin.startswith("http://127.0.0.1:")
    finally:
        proxy.stop()


def test_replay_admin_counts_matches(tmp_path: Path, demo: DemoServer) -> None:
    out = tmp_path / "rec.jsonl"
    recorder = start_sioproxy(record_args(demo.url, out))
    try:
        expected = run_demo_client(recorder.url, "websocket")
    finally:
        assert recorder.stop() == 0
    replay, admin = launch_sioproxy(
        sioproxy_cmd("replay", str(out), "--listen", "127.0.0.1:0", "--admin", "127.0.0.1:0", "-q")
    )
    try:
        assert http_get(f"{admin}/ready")[0] == 200
        assert run_demo_client(replay.url, "websocket") == expected
        metrics = _metrics(admin)
        assert metrics["sioproxy_replay_connections_total"][()] == 1
        assert metrics["sioproxy_replay_misses_total"][()] == 0
        assert metrics["sioproxy_replay_matches_total"][()] >= 5
        assert metrics["sioproxy_replay_packets_sent_total"][()] >= 5
    finally:
        replay.stop()


def test_admin_port_in_use_is_a_clean_error(tmp_path: Path, demo: DemoServer) -> None:
    first, admin = launch_sioproxy(
        sioproxy_cmd(*record_args(demo.url, tmp_path / "a.jsonl"), "--admin", "127.0.0.1:0")
    )
    try:
        taken = admin.rsplit(":", 1)[1]
        second = start_sioproxy(
            [*record_args(demo.url, tmp_path / "b.jsonl"), "--admin", f"127.0.0.1:{taken}"]
        )
        assert second.process.wait(20) == 2
        assert "cannot start admin" in second.stderr_text()
    finally:
        first.stop()
