"""``sioproxy locust`` distributed: a headless master and two workers on loopback, bounded.

Recordings are made through ``sioproxy record`` with real peers (tests/peers),
websocket and polling ones and a 0.9 one; each is played by 50 Locust users
for 20 s against an unchanged server of its kind: every recorded
emit-with-ack of every completed session is a request, and none fails. A
drifting server (tests/replay_client/peers/drift_server.js) gives failures
naming the event and the pointer. A recorded chat (three clients, a broadcast
each) plays in its recorded causal order.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.interop.conftest import ServerFactory
from tests.interop.peers import REPO, start_server
from tests.interop.test_chat_replay import record_chat
from tests.locust.helpers import emits_with_ack, record_clients, run_locust
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


def test_a_user_plays_every_connection_of_its_session(
    peer_server: ServerFactory, tmp_path: Path
) -> None:
    # Two clients recorded at once: one session of two connections.
    live = peer_server("node-sio4")
    recording = tmp_path / "session.jsonl"
    record_clients(live.url, "node-sio4", "websocket", recording, clients=2)
    run = run_locust(recording, live.url, tmp_path, users=10, seconds=8, workers=2)
    assert run.status == 0, run.stdout + run.stderr
    sessions = run.requests("session")
    assert sessions >= 10
    assert run.requests("connect") == 2 * sessions
    assert run.requests("emit") == emits_with_ack(recording) * sessions
    assert emits_with_ack(recording) == 10  # five per connection
    assert run.failures() == 0


def opened_together(recording: Path) -> None:
    """Every ``open`` entry at the first one's time: no recorded start offset keeps them apart.

    As if the live server were slower than when recorded (under load): the
    offsets no longer leave room for the earlier clients' handshakes.
    """
    entries = [json.loads(line) for line in recording.read_text("utf-8").splitlines()]
    first = min(e["t"] for e in entries if e["kind"] == "open")
    for entry in entries:
        if entry["kind"] == "open":
            entry["t"] = first
    recording.write_text("".join(json.dumps(e) + "\n" for e in entries), "utf-8")


def test_a_chat_session_plays_in_its_recorded_causal_order(tmp_path: Path) -> None:
    """carol alone in r2, then alice and bob in r1 (tests/interop/test_chat_replay.py).

    With the three connections opening at once, only the session's PlayOrder
    keeps bob from joining before alice (she would miss "joined", he would
    get one) and so the broadcasts where they were recorded. One user, so no
    other session shares the rooms; reactive playback (the default).
    """
    chat = record_chat(tmp_path, "chat-node-sio4")
    opened_together(chat.path)
    server = start_server("chat-node-sio4")
    try:
        run = run_locust(chat.path, server.url, tmp_path, users=1, seconds=10, workers=0)
    finally:
        server.stop()
    assert run.status == 0, run.stdout + run.stderr
    sessions = run.requests("session")
    assert sessions >= 1
    assert run.requests("connect") == 3 * sessions
    pushes = {e["name"]: e["num_requests"] for e in run.entries("push")}
    assert pushes["/ said"] == 5 * sessions  # alice and bob hear "hi" and "yo", carol "alone"
    assert pushes["/ joined"] == sessions  # alice hears bob join
    assert run.requests("order") == 0  # nothing released by --max-wait
    assert run.failures() == 0, run.stats


def test_the_documented_locustfile_runs(peer_server: ServerFactory, tmp_path: Path) -> None:
    live = peer_server("node-sio4")
    recording = tmp_path / "session.jsonl"
    record_scenario(live.url, "node-sio4", "websocket", recording)
    locustfile = REPO / "docs" / "examples" / "locustfile.py"
    stats = tmp_path / "stats"
    cmd = [sys.executable, "-m", "locust", "-f", str(locustfile), "--host", live.url]
    cmd += ["--headless", "-u", "3", "-r", "3", "-t", "4s", "--stop-timeout", "30"]
    cmd += ["--json-file", str(stats)]
    env = dict(os.environ, RECORDINGS=str(tmp_path / "*.jsonl"), APP_TOKEN="unused")
    done = subprocess.run(
        cmd, capture_output=True, text=True, timeout=90, cwd=REPO, env=env, check=False
    )
    assert done.returncode == 0, done.stdout + done.stderr
    entries = json.loads(Path(f"{stats}.json").read_text("utf-8"))
    sessions = sum(e["num_requests"] for e in entries if e["method"] == "session")
    emits = sum(e["num_requests"] for e in entries if e["method"] == "emit")
    assert sessions >= 3
    assert emits == emits_with_ack(recording) * sessions
    assert sum(e["num_failures"] for e in entries) == 0
