"""socket.io-client 4.6+ ``retries``/``ackTimeout`` against ``sioproxy replay``
(tests/peers/retries): each wire packet is recorded once, and a retry the
recording lacks gets the recorded answer again, noted in the replay log and
counted in its summary (text and JSON)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.interop.peers import run_client
from tests.interop.sioproxy_proc import start_sioproxy
from tests.interop.test_replay import record_session
from tests.log_schema import check_schema

pytestmark = pytest.mark.interop

PEER = "retries-node-sio4"


@pytest.mark.parametrize("fmt", ["text", "json"])
def test_a_retry_the_recording_lacks_gets_the_recorded_answer(tmp_path: Path, fmt: str) -> None:
    # The server acks after 300 ms, the client waits 1000 ms: no retry on record.
    recording = record_session(tmp_path, PEER, PEER, "websocket")
    lines = [json.loads(line) for line in recording.read_text().splitlines()]
    sent = [e for e in lines if e["kind"] == "packet" and str(e.get("raw", "")).startswith("42")]
    assert [e["raw"] for e in sent] == ['420["slow","x"]']
    # Five times slower, the recorded ack comes after 1.5 s: the client retries
    # (a new wire packet, id 1) and gets the recorded answer at once.
    # (No --exit-when-done: it would close the connection before the late ack.)
    args = ["replay", str(recording), "--listen", "127.0.0.1:0", "--speed", "0.2"]
    replay = start_sioproxy([*args, "--log-format", fmt])
    try:
        transcript = run_client(PEER, replay.url, "websocket")
    finally:
        status = replay.stop()
    log = "\n".join(replay.lines)
    assert transcript == {"transport": "websocket", "answer": "done x"}, log
    assert status == 0, log
    if fmt == "json":
        objs = [check_schema(line) for line in replay.lines]
        (summary,) = [o for o in objs if o["kind"] == "summary"]
        assert (summary["retries_answered"], summary["mismatches"]) == (1, []), log
        notes = [o["text"] for o in objs if o["kind"] == "note"]
        retried = [n for n in notes if n.startswith("retry: live client packet answered again")]
        assert len(retried) == 1, log
        return
    assert "retry: live client packet answered again with the recorded answer" in log, log
    assert ", 1 retry the recording lacks answered again with the recorded answer" in log, log
    assert "0 misses" in log, log
    assert "replay miss" not in log, log
