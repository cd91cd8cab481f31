"""The example recordings shipped in recordings/examples read, show and replay."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from sioproxy.recording import OpenEvent, PacketEntry, read_recording
from tests.interop.sioproxy_proc import start_sioproxy

EXAMPLES = Path(__file__).resolve().parent.parent / "recordings" / "examples"


@pytest.mark.parametrize("path", sorted(EXAMPLES.glob("*.jsonl")), ids=lambda p: p.name)
def test_example_reads_cleanly(path: Path) -> None:
    recording = read_recording(path)
    assert recording.torn_tail is None
    assert any(isinstance(e, OpenEvent) for e in recording.entries)
    packets = [e for e in recording.entries if isinstance(e, PacketEntry)]
    assert packets
    assert all(p.error is None for p in packets)


def test_demo_example_replays_to_the_demo_client() -> None:
    replay = start_sioproxy(
        [
            "replay",
            str(EXAMPLES / "demo-eio4.jsonl"),
            "--listen",
            "127.0.0.1:0",
            "--speed",
            "0",
            "--exit-when-done",
            "-q",
        ]
    )
    try:
        results = [
            json.loads(
                subprocess.run(
                    [
                        sys.executable,
                        "-m",
                        "sioproxy.demo.client",
                        "--url",
                        replay.url,
                        "--transport",
                        transport,
                    ],
                    capture_output=True,
                    text=True,
                    timeout=60,
                    check=True,
                ).stdout
            )
            for transport in ("websocket", "upgrade")
        ]
        status = replay.wait(20)
    finally:
        replay.stop()
    assert status == 0, replay.lines
    for result in results:
        assert result["transport"] == "websocket"
        seen = dict(result["seen"])
        assert seen["add ack"] == 5
        assert seen["upload ack"] == {"size": 4, "reversed": "ff030201"}
        assert seen["pong_received"] == [["yes, here 🙋"]]
