"""socket.io-msgpack-parser peers (node socket.io 4 with the msgpack parser on
both sides) through ``sioproxy record``, against ``sioproxy replay`` and with
``replay-client`` (docs/protocol.md#c9)."""

from __future__ import annotations

import base64
import json
from pathlib import Path

import pytest

from sioproxy.codec.sio_msgpack import decode_sio_msgpack
from tests.interop.peers import final_transport, run_client
from tests.interop.test_direct import MODERN
from tests.interop.test_replay import record_session, start_replay
from tests.replay_client.helpers import replay_client

pytestmark = pytest.mark.interop

PEER = "node-sio4-msgpack"


def packets(recording: Path) -> list[dict[str, object]]:
    lines = [json.loads(line) for line in recording.read_text().splitlines()]
    return [e for e in lines if e["kind"] == "packet"]


@pytest.mark.parametrize("mode", ["websocket", "polling", "upgrade"])
def test_msgpack_traffic_is_recorded_decoded_with_its_bytes(tmp_path: Path, mode: str) -> None:
    recording = record_session(tmp_path, PEER, PEER, mode)
    sio = [e for e in packets(recording) if "sio" in e.get("packet", {})]  # type: ignore[operator]
    assert sio, "no Socket.IO packet decoded"
    for entry in sio:
        packet = entry["packet"]
        assert packet["parser"] == "msgpack", entry  # type: ignore[index]
        # The raw bytes are kept: a WebSocket frame as raw_b64, polling as b<base64>.
        raw = entry.get("raw_b64") or str(entry["raw"])[1:]
        wire = decode_sio_msgpack(base64.b64decode(str(raw)))
        assert wire.nsp == packet["sio"]["nsp"]  # type: ignore[index]
    connects = [e["packet"]["sio"] for e in sio if e["packet"]["sio"]["type"] == "connect"]  # type: ignore[index]
    assert {c["nsp"] for c in connects} == {"/", "/chat"}
    binary = {
        e["packet"]["sio"]["data"][0]: e["packet"]["sio"]  # type: ignore[index]
        for e in sio
        if e["packet"]["sio"]["type"] == "binary_event"  # type: ignore[index]
    }
    assert binary["bin"]["attachments"] == ["AQID/w==", "AQID/w=="]
    assert binary["bin_echo"]["attachments"] == ["AQID/w=="]
    assert not any(e.get("error") for e in packets(recording))


@pytest.mark.parametrize("mode", ["websocket", "polling"])
def test_a_msgpack_client_sees_the_same_against_the_replay(tmp_path: Path, mode: str) -> None:
    recording = record_session(tmp_path, PEER, PEER, mode)
    replay = start_replay(recording)
    try:
        transcript = run_client(PEER, replay.url, mode)
        status = replay.wait()
    finally:
        replay.stop()
    summary = "\n".join(replay.lines)
    assert transcript == {"transport": final_transport(mode), "namespaces": MODERN}, summary
    assert "0 misses" in summary, summary
    assert status == 0, summary


def test_a_json_client_against_a_msgpack_recording_is_one_clear_line(tmp_path: Path) -> None:
    recording = record_session(tmp_path, PEER, PEER, "websocket")
    replay = start_replay(recording)
    try:
        with pytest.raises(Exception):  # noqa: B017, PT011 - the client gives up, whatever it says
            run_client("node-sio4", replay.url, "websocket")
    finally:
        replay.stop()
    log = "\n".join(replay.lines)
    assert "parser mismatch: the recording speaks msgpack, the client json" in log, log


@pytest.mark.parametrize("transport", ["websocket", "polling"])
def test_replay_client_reproduces_a_msgpack_recording(tmp_path: Path, transport: str) -> None:
    from tests.interop.peers import start_server

    recording = record_session(tmp_path, PEER, PEER, "websocket")
    live = start_server(PEER)
    try:
        report = tmp_path / "report.json"
        run = replay_client(
            "replay-client", recording, live.url, "--transport", transport, report=report
        )
    finally:
        live.stop()
    assert run.status == 0, run.stdout + run.stderr
    assert run.report is not None
    assert run.report["drift_count"] == 0, run.stdout
