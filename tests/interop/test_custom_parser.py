"""``--parser module:Class``: node socket.io 4 peers with the toy parser of
tests/peers/toy-parser, through ``sioproxy record``, against ``sioproxy replay``
and with ``replay-client`` (docs/packets.md "Custom parsers")."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from tests.interop.peers import PEERS_DIR, REPO, final_transport, run_client, start_server
from tests.interop.sioproxy_proc import record_args, start_sioproxy
from tests.interop.test_direct import MODERN
from tests.interop.test_replay import start_replay
from tests.replay_client.helpers import replay_client

pytestmark = pytest.mark.interop

PEER = "node-sio4-toy"
TOY = f"{PEERS_DIR / 'toy-parser' / 'toy_parser.py'}:ToyParser"


def record(tmp_path: Path, mode: str, *extra: str) -> tuple[Path, dict[str, object]]:
    upstream = start_server(PEER)
    out = tmp_path / "toy.jsonl"
    try:
        proxy = start_sioproxy(record_args(upstream.url, out, *extra))
        try:
            transcript = run_client(PEER, proxy.url, mode)
        finally:
            assert proxy.stop() == 0, proxy.stderr_text()
    finally:
        upstream.stop()
    return out, transcript


def sio_packets(recording: Path) -> list[dict[str, object]]:
    lines = [json.loads(line) for line in recording.read_text().splitlines()]
    return [e for e in lines if e["kind"] == "packet" and "sio" in e.get("packet", {})]


@pytest.mark.parametrize("mode", ["websocket", "polling"])
def test_record_decodes_with_the_given_parser(tmp_path: Path, mode: str) -> None:
    recording, transcript = record(tmp_path, mode, "--parser", TOY)
    assert transcript == {"transport": final_transport(mode), "namespaces": MODERN}
    packets = sio_packets(recording)
    assert packets
    assert all(e["packet"]["parser"] == "toy" for e in packets)  # type: ignore[index]
    kinds = {e["packet"]["sio"]["type"] for e in packets}  # type: ignore[index]
    assert {"connect", "event", "ack", "binary_event", "binary_ack"} <= kinds
    assert str(packets[0]["raw"]).startswith("4toy:")


def test_without_the_parser_frames_are_forwarded_undecoded(tmp_path: Path) -> None:
    recording, transcript = record(tmp_path, "websocket")
    assert transcript["namespaces"] == MODERN
    lines = [json.loads(line) for line in recording.read_text().splitlines()]
    assert any("toy:" in str(e.get("raw")) and e.get("error") for e in lines)


@pytest.mark.parametrize("mode", ["websocket", "polling"])
def test_replay_speaks_the_custom_parser(tmp_path: Path, mode: str) -> None:
    recording, _ = record(tmp_path, mode, "--parser", TOY)
    replay = start_replay(recording, "--parser", TOY)
    try:
        transcript = run_client(PEER, replay.url, mode)
        status = replay.wait()
    finally:
        replay.stop()
    summary = "\n".join(replay.lines)
    assert transcript == {"transport": final_transport(mode), "namespaces": MODERN}, summary
    assert "0 misses" in summary, summary
    assert status == 0, summary


def test_a_recording_with_a_custom_parser_needs_it_for_replay(tmp_path: Path) -> None:
    recording, _ = record(tmp_path, "websocket", "--parser", TOY)
    done = subprocess.run(
        [sys.executable, "-m", "sioproxy", "replay", str(recording), "--listen", "127.0.0.1:0"],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=REPO,
        check=False,
    )
    assert done.returncode == 2
    assert "recorded with the custom parser 'toy': pass --parser module:Class" in done.stderr


def test_a_parser_that_does_not_load_is_one_line() -> None:
    upstream = ["--upstream", "http://127.0.0.1:9"]
    done = subprocess.run(
        [sys.executable, "-m", "sioproxy", "proxy", *upstream, "--parser", "nosuch:X"],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=REPO,
        check=False,
    )
    assert done.returncode == 2
    assert done.stderr.strip() == (
        "sioproxy proxy: --parser 'nosuch:X': ModuleNotFoundError: No module named 'nosuch'"
    )


def test_replay_client_speaks_the_custom_parser(tmp_path: Path) -> None:
    recording, _ = record(tmp_path, "websocket", "--parser", TOY)
    live = start_server(PEER)
    try:
        report = tmp_path / "report.json"
        run = replay_client("replay-client", recording, live.url, "--parser", TOY, report=report)
    finally:
        live.stop()
    assert run.status == 0, run.stdout + run.stderr
    assert run.report is not None
    assert run.report["drift_count"] == 0, run.stdout
