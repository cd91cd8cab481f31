"""socket.io 4.6+ connection state recovery with a forced transport drop
(tests/peers/recovery): through ``sioproxy record``, shown by ``show``, and
against ``sioproxy replay`` (docs/protocol.md#c10)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from tests.interop.peers import REPO, run_client
from tests.interop.test_replay import record_session, start_replay

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
