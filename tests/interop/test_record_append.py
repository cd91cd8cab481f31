"""``record --append`` with real peers: two runs, one file, two sessions, one replay."""

from __future__ import annotations

from pathlib import Path

import pytest

from sioproxy.recording import read_recording
from tests.interop.peers import run_client, start_server
from tests.interop.sioproxy_proc import record_args, start_sioproxy
from tests.interop.test_direct import expected_namespaces

pytestmark = pytest.mark.interop

CLIENT = SERVER = "node-sio4"


def _record_once(upstream: str, out: Path, *flags: str) -> list[str]:
    proxy = start_sioproxy(record_args(upstream, out, *flags))
    try:
        run_client(CLIENT, proxy.url, "websocket")
    finally:
        assert proxy.stop() == 0, proxy.stderr_text()
    return proxy.lines


def test_append_records_a_second_session_and_replay_plays_both(tmp_path: Path) -> None:
    out = tmp_path / "rec.jsonl"
    server = start_server(SERVER)
    try:
        _record_once(server.url, out)
        first = out.read_bytes()
        lines = _record_once(server.url, out, "--append")
    finally:
        server.stop()
    assert out.read_bytes().startswith(first)  # the first session is kept byte for byte
    assert any(f"recording to {out} (appending a session)" in line for line in lines), lines
    rec = read_recording(out)
    labels = rec.connections()
    assert len(rec.sessions) == 1
    assert len(labels) == len(set(labels)) >= 2  # labels stay unique across sessions
    second = rec.sessions[0].after_seq
    assert {e.conn for e in rec.entries if e.seq > second}.isdisjoint(
        {e.conn for e in rec.entries if e.seq <= second}
    )
    ts = [e.t for e in rec.entries]
    assert ts == sorted(ts)  # one clock for the whole file

    replay = start_sioproxy(["replay", str(out), "--listen", "127.0.0.1:0", "--exit-when-done"])
    try:
        transcripts = [run_client(CLIENT, replay.url, "websocket") for _ in range(2)]
        status = replay.wait()
    finally:
        replay.stop()
    summary = "\n".join(replay.lines)
    for transcript in transcripts:
        assert transcript["namespaces"] == expected_namespaces(CLIENT, SERVER)
    assert status == 0, summary


def test_a_template_names_a_new_file_per_run(tmp_path: Path) -> None:
    template = str(tmp_path / "rec-{date}-{time}-{pid}.jsonl")
    server = start_server(SERVER)
    try:
        logs = [_record_once(server.url, Path(template)) for _ in range(2)]
    finally:
        server.stop()
    made = sorted(tmp_path.glob("rec-*.jsonl"))
    assert len(made) == 2  # different pids, or a counter: never the same file
    for path in made:
        assert read_recording(path).connections()
        assert (path.stat().st_mode & 0o777) == 0o600
    named = [
        line.split("recording to ", 1)[1] for log in logs for line in log if "recording to " in line
    ]
    assert sorted(named) == [str(p) for p in made]
