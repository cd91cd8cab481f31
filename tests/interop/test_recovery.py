"""socket.io 4.6+ connection state recovery with a forced transport drop
(tests/peers/recovery): through ``sioproxy record``, shown by ``show``, against
``sioproxy replay`` (docs/protocol.md#c10), and played by ``sioproxy diff``
against a live server (docs/replay-client.md, "Connection state recovery")."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from tests.interop.peers import REPO, run_client, start_server
from tests.interop.test_replay import record_session, start_replay
from tests.replay_client.helpers import CommandRun, drift_items, replay_client

pytestmark = pytest.mark.interop

PEER = "recovery-node-sio4"
SEEN = [
    ["hello", "fresh"],
    ["tock", 1],
    ["hello", "recovered"],
    ["missed", "while away"],
    ["recovered", True],
    ["tock", 2],
]


def connects(recording: Path) -> list[dict[str, object]]:
    lines = [json.loads(line) for line in recording.read_text().splitlines()]
    return [
        e
        for e in lines
        if e["kind"] == "packet" and e.get("packet", {}).get("sio", {}).get("type") == "connect"
    ]


@pytest.mark.parametrize("mode", ["websocket", "polling"])
def test_a_recovered_session_is_recorded_linked_and_replayed(tmp_path: Path, mode: str) -> None:
    recording = record_session(tmp_path, PEER, PEER, mode)
    c1_reply, c2_connect = (
        next(e for e in connects(recording) if (e["conn"], e["dir"]) == pair)
        for pair in (("c1", "s2c"), ("c2", "c2s"))
    )
    pid = c1_reply["packet"]["sio"]["data"]["pid"]  # type: ignore[index]
    assert c2_connect["packet"]["sio"]["data"]["pid"] == pid  # type: ignore[index]
    shown = subprocess.run(
        [sys.executable, "-m", "sioproxy", "show", str(recording)],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=REPO,
        check=True,
    ).stdout
    assert "(recovers the session of c1 after offset " in shown, shown
    assert '"missed" ["while away",' in shown
    assert "(missed while away, sent on recovery)" in shown, shown
    assert "(session of c1 recovered)" in shown, shown

    replay = start_replay(recording)
    try:
        transcript = run_client(PEER, replay.url, mode)
        status = replay.wait()
    finally:
        replay.stop()
    summary = "\n".join(replay.lines)
    assert transcript == {"transport": mode, "seen": SEEN}, summary
    assert "0 misses" in summary, summary
    assert status == 0, summary
    assert pid not in summary  # the stand-in hands out its own pid


def diff_live(tmp_path: Path, recording: Path) -> CommandRun:
    """``sioproxy diff`` against a fresh live server; each connection captures its live pid."""
    live = start_server(PEER)
    try:
        return replay_client(
            "diff",
            recording,
            live.url,
            "--capture",
            "pid=connect:/data/pid",
            report=tmp_path / "drift.json",
        )
    finally:
        live.stop()


@pytest.mark.parametrize("mode", ["websocket", "polling"])
def test_diff_reproduces_the_recovery_against_a_live_server(tmp_path: Path, mode: str) -> None:
    recording = record_session(tmp_path, PEER, PEER, mode)
    recorded_pid = connects(recording)[1]["packet"]["sio"]["data"]["pid"]  # type: ignore[index]
    run = diff_live(tmp_path, recording)
    assert run.status == 0, run.stdout + run.stderr
    assert run.report is not None
    assert run.report["drift_count"] == 0, run.stdout
    c1, c2 = run.report["connections"]
    (recovery,) = c2["recoveries"]
    assert (recovery["of"], recovery["recorded"], recovery["live"]) == ("c1", True, True)
    # c2 sent the pid the live server gave c1, and the live reply kept it.
    assert recovery["sent_pid"] == recovery["reply_pid"] == c1["captures"]["pid"]
    assert recovery["sent_pid"] != recorded_pid
    assert f"recovery: seq {recovery['seq']} recovered the session of c1 as recorded" in run.stdout
    # Every recorded server packet of c2 came live and matched (drift none): the event it
    # missed while away included, which a server that did not recover never sends.
    shown = [json.loads(line) for line in recording.read_text().splitlines()]
    recorded_c2 = [e for e in shown if e.get("conn") == "c2" and e.get("dir") == "s2c"]
    assert c2["received"] == len([e for e in recorded_c2 if "sio" in e["packet"]])


@pytest.mark.parametrize(
    ("env", "why"),
    [
        ("RECOVERY_PEER_OFF", "no live pid to send (c1's live CONNECT reply had none)"),
        ("RECOVERY_PEER_MAX_MS", "its CONNECT reply has a new pid"),
    ],
)
def test_diff_reports_a_recovery_the_live_server_did_not_do(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, env: str, why: str
) -> None:
    recording = record_session(tmp_path, PEER, PEER, "websocket")
    connect_seq, reply_seq = (e["seq"] for e in connects(recording) if e["conn"] == "c2")
    monkeypatch.setenv(env, "1")  # recovery off, or a session kept 1 ms only
    run = diff_live(tmp_path, recording)
    assert run.status == 1, run.stdout + run.stderr
    assert run.report is not None
    (item,) = [i for i in drift_items(run.report) if i["kind"] == "recovery"]
    assert (item["event"], item["seq"]) == ("connect", reply_seq)
    assert item["note"] == (
        f"the live server did not recover the session of c1 (seq {connect_seq}): {why}"
    )
    assert run.report["counts"]["recovery"] == 1
    assert "RECOVERY seq " in run.stdout
    assert run.report["connections"][1]["recoveries"] == []
