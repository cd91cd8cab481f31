"""``sioproxy locust`` distributed: a headless master and two workers on loopback, bounded.

Recordings are made through ``sioproxy record`` with real peers (tests/peers),
websocket and polling ones and a 0.9 one; each is played by 50 Locust users
for 20 s against an unchanged server of its kind: every recorded
emit-with-ack of every completed session is a request, and none fails. A
drifting server (tests/replay_client/peers/drift_server.js) gives failures
naming the event and the pointer.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from tests.interop.conftest import ServerFactory
from tests.interop.peers import REPO
from tests.locust.helpers import emits_with_ack, run_locust
from tests.replay_client.helpers import record_scenario, start_drift_server

pytestmark = pytest.mark.interop


@pytest.mark.parametrize(
    ("server", "mode"),
    [
        pytest.param("node-sio4", "websocket", id="sio4-websocket"),
        pytest.param("py-sio5", "polling", id="python-sio5-polling"),
        pytest.param("node-sio2", "polling", id="sio2-polling"),
        pytest.param("node-sio09", "xhr-polling", id="0.9-xhr-polling"),
    ],
)
def test_master_and_two_workers_play_every_emit_without_failure(
    peer_server: ServerFactory, tmp_path: Path, server: str, mode: str
) -> None:
    live = peer_server(server)
    recording = tmp_path / "session.jsonl"
    record_scenario(live.url, server, mode, recording)
    run = run_locust(recording, live.url, tmp_path, users=50, seconds=20, workers=2)
    assert run.status == 0, run.stdout + run.stderr
    sessions = run.requests("session")
    assert sessions >= 50  # every user played at least one whole session
    assert run.requests("emit") == emits_with_ack(recording) * sessions
    assert run.requests("connect") == sessions  # one recorded connection
    assert run.failures() == 0, run.stdout
    assert run.requests("push") > 0


@pytest.mark.parametrize(
    ("impl", "server", "mode", "drift", "failure"),
    [
        pytest.param(
            "sio4",
            "node-sio4",
            "websocket",
            "ack",
            "emit / ack_me: DriftError('changed seq {seq} ack of ack_me: "
            '/data/1: recorded "ack" != live "ACK-CHANGED"\')',
            id="changed-ack",
        ),
        pytest.param(
            "sio09",
            "node-sio09",
            "xhr-polling",
            "missing",
            "drift /chat echo: DriftError('missing seq {seq} event echo "
            "(not received within 0.5 s)')",
            id="missing-event-0.9",
        ),
    ],
)
def test_drifting_server_gives_failures_naming_event_and_pointer(
    peer_server: ServerFactory,
    tmp_path: Path,
    impl: str,
    server: str,
    mode: str,
    drift: str,
    failure: str,
) -> None:
    recording = tmp_path / "session.jsonl"
    record_scenario(peer_server(server).url, server, mode, recording)
    drifting = start_drift_server(impl, drift)
    try:
        run = run_locust(
            recording,
            drifting.url,
            tmp_path,
            users=4,
            seconds=4,
            extra=("--timeout", "0.5"),
            json_stats=False,
        )
    finally:
        drifting.stop()
    assert run.status == 1, run.stdout + run.stderr
    expected = [failure.format(seq=seq) for seq in range(1, 100)]
    summary = run.stdout + run.stderr  # Locust prints its summary through its logger
    assert any(line in summary for line in expected), summary


def test_a_locust_process_refuses_twisted(tmp_path: Path) -> None:
    locustfile = tmp_path / "locustfile.py"
    locustfile.write_text(
        "import twisted.internet  # noqa: F401\n"
        "from sioproxy.locust import RecordingUser\n\n"
        "class Session(RecordingUser):\n"
        f"    recording = {str(tmp_path / 'none.jsonl')!r}\n",
        "utf-8",
    )
    cmd = [sys.executable, "-m", "locust", "-f", str(locustfile), "--host", "http://127.0.0.1:9"]
    cmd += ["--headless", "-u", "1", "-r", "1", "-t", "2s", "--only-summary"]
    done = subprocess.run(cmd, capture_output=True, text=True, timeout=60, cwd=REPO, check=False)
    assert "twisted is imported in a Locust process" in done.stderr
