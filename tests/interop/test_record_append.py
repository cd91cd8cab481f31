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


def _record_once(upstream: str, out: Path, *flags: str) -> None:
    proxy = start_sioproxy(record_args(upstream, out, *flags))
    try:
        run_client(CLIENT, proxy.url, "websocket")
    finally:
        assert proxy.stop() == 0, proxy.stderr_text()


def test_append_records_a_second_session_and_replay_plays_both(tmp_path: Path) -> None:
    out = tmp_path / "rec.jsonl"
    server = start_server(SERVER)
    try:
        _record_once(server.url, out)
        first = out.read_bytes()
        _record_once(server.url, out, "--append")
    finally:
        server.stop()
    assert out.read_bytes().startswith(first)  # the first session is kept byte for byte
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
