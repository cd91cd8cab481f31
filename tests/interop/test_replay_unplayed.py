"""Replay counts what it did not play: connections never opened, clients of another protocol.

Real peers: a Socket.IO v5 client against an EIO3 recording and a v4 client
against an EIO4 one are refused by the stand-in; the replay log says so in one
line, the summary counts it, and the exit status is 1.
"""

from __future__ import annotations

import signal
import time
from pathlib import Path

import pytest

from sioproxy.cli.main import main
from tests.interop.peers import PeerError, run_client
from tests.interop.sioproxy_proc import RunningSioproxy, start_sioproxy

pytestmark = pytest.mark.interop

DATA = Path(__file__).resolve().parents[1] / "inspect" / "data"


def _replay(recording: Path, *extra: str) -> RunningSioproxy:
    return start_sioproxy(["replay", str(recording), "--listen", "127.0.0.1:0", *extra])


def test_no_client_at_all_is_not_a_success(tmp_path: Path) -> None:
    two = tmp_path / "two.jsonl"  # the same session twice: two recorded connections
    assert (
        main(
            [
                "merge",
                str(DATA / "eio4_session.jsonl"),
                str(DATA / "eio4_session.jsonl"),
                "--out",
                str(two),
            ]
        )
        == 0
    )
    replay = _replay(two)
    status = replay.stop(signal.SIGTERM)
    summary = "\n".join(replay.lines)
    assert "0 connections played (recording has 2)" in summary
    assert "2 recorded connections never opened" in summary
    assert "never opened: recorded c1, c2" in summary
    assert status == 1, summary


@pytest.mark.parametrize(
    ("client", "recording", "speaks", "recorded"),
    [
        ("node-sio4", "eio3_session.jsonl", "Engine.IO 4", "eio3"),
        ("node-sio2", "eio4_session.jsonl", "Engine.IO 3", "eio4"),
        ("node-sio4", "legacy_session.jsonl", "Engine.IO 4", "0.9"),
    ],
)
def test_a_client_of_another_generation_is_logged_counted_and_fails(
    client: str, recording: str, speaks: str, recorded: str
) -> None:
    replay = _replay(DATA / recording, "--exit-when-done")
    try:
        with pytest.raises(PeerError):
            run_client(client, replay.url, "polling", timeout=30)
        deadline = time.monotonic() + 10
        while not any("another protocol" in line for line in replay.lines):
            assert time.monotonic() < deadline, replay.lines
            time.sleep(0.05)
    finally:
        status = replay.stop(signal.SIGTERM)
    refused = [line for line in replay.lines if "a client of another protocol" in line]
    assert refused, replay.lines
    assert f"it speaks {speaks}" in refused[0]
    assert f"the recording is {recorded}" in refused[0]
    summary = "\n".join(replay.lines)
    assert "of another protocol refused" in summary
    assert status == 1, summary
