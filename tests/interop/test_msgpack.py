"""socket.io-msgpack-parser peers (node socket.io 4 with the msgpack parser on
both sides) through ``sioproxy record``, against ``sioproxy replay`` and with
``replay-client`` (docs/protocol.md#c9)."""

from __future__ import annotations

import base64
import json
from pathlib import Path

import pytest

from sioproxy.codec.sio_dict import sio_from_dict
from sioproxy.codec.sio_msgpack import decode_sio_msgpack, encode_sio_msgpack
from tests.interop.peers import final_transport, run_client, start_server
from tests.interop.sioproxy_proc import record_args, start_sioproxy
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
    # socket.io-client's emits carry options, kept in the dict form and written
    # back byte for byte from it (what replay-client and a rule send).
    emits = [e for e in sio if e["dir"] == "c2s" and e["packet"]["sio"]["type"] != "connect"]  # type: ignore[index]
    emits = [e for e in emits if "data" in e["packet"]["sio"]]  # type: ignore[index]
    assert emits
    for entry in emits:
        shown = entry["packet"]["sio"]  # type: ignore[index]
        if shown["type"] in ("event", "binary_event"):
            assert shown["options"] == {"compress": True}, entry
            raw = entry.get("raw_b64") or str(entry["raw"])[1:]
            again = encode_sio_msgpack(sio_from_dict(shown, 5))
            assert again == base64.b64decode(str(raw)), entry


# python-socketio 5 with serializer="msgpack" speaks socket.io-msgpack-parser too,
# but its client is left out against the node server: its namespace leave is
# {"type": 1, "data": nil, "nsp": "/chat"} (83 a4 type 01 a4 data c0 a3 nsp ...),
# and socket.io-msgpack-parser throws "invalid payload" on a DISCONNECT whose data
# is not undefined, so the node server closes the whole connection when the
# client leaves /chat, directly as through sioproxy (docs/packets.md,
# "python-socketio's msgpack vs socket.io-msgpack-parser").
PY = "py-sio5-msgpack"
PAIRINGS = [
    (PEER, PEER, "websocket"),
    (PEER, PEER, "polling"),
    (PY, PY, "upgrade"),
    (PY, PY, "polling"),
    (PEER, PY, "websocket"),
    (PEER, PY, "polling"),
]


@pytest.mark.parametrize(("client", "server", "mode"), PAIRINGS)
def test_a_msgpack_client_sees_the_same_against_the_replay(
    tmp_path: Path, client: str, server: str, mode: str
) -> None:
    recording = record_session(tmp_path, client, server, mode)
    assert any(e["packet"].get("parser") == "msgpack" for e in packets(recording))  # type: ignore[attr-defined]
    replay = start_replay(recording)
    try:
        transcript = run_client(client, replay.url, mode)
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


@pytest.mark.parametrize(
    ("command", "transport"),
    [("replay-client", "websocket"), ("replay-client", "polling"), ("diff", "websocket")],
)
def test_replay_client_reproduces_a_msgpack_recording(
    tmp_path: Path, command: str, transport: str
) -> None:
    recording = record_session(tmp_path, PEER, PEER, "websocket")
    live = start_server(PEER)
    try:
        report = tmp_path / "report.json"
        run = replay_client(command, recording, live.url, "--transport", transport, report=report)
    finally:
        live.stop()
    assert run.status == 0, run.stdout + run.stderr
    assert run.report is not None
    assert run.report["drift_count"] == 0, run.stdout


RULES = """
[[rules]]
name = "x-to-y"
dir = "c2s"
event = "ack_me"
set = { "/args/0" = "y" }

[[rules]]
name = "louder"
dir = "s2c"
event = "bin"
set = { "/args/-" = "louder" }
"""


@pytest.mark.parametrize("mode", ["websocket", "polling"])
def test_rules_rewrite_msgpack_packets_in_msgpack(tmp_path: Path, mode: str) -> None:
    """A rewritten packet is re-encoded with the msgpack parser, both directions,
    and recorded with what the peer really sent."""
    rules = tmp_path / "rules.toml"
    rules.write_text(RULES)
    upstream = start_server(PEER)
    out = tmp_path / "rec.jsonl"
    try:
        proxy = start_sioproxy(record_args(upstream.url, out, "--rules", str(rules)))
        try:
            transcript = run_client(PEER, proxy.url, mode)
        finally:
            assert proxy.stop() == 0, proxy.stderr_text()
    finally:
        upstream.stop()
    root = transcript["namespaces"]["/"]
    assert ["ack", "ack_me", ["y", "ack"]] in root, root
    (bin_event,) = [item for item in root if item[:2] == ["event", "bin"]]
    assert bin_event[2][-1] == "louder"
    assert bin_event[2][0] == {"$bytes": "010203ff"}
    rewritten = [e for e in packets(out) if e.get("fate") == "rewritten"]
    assert {e["rule"] for e in rewritten} == {"x-to-y", "louder"}
    for entry in rewritten:
        assert entry["packet"]["parser"] == "msgpack"  # type: ignore[index]
        assert entry["original"]["packet"]["parser"] == "msgpack"  # type: ignore[index]
    ack_me = [e["packet"]["sio"] for e in rewritten if e["dir"] == "c2s"]  # type: ignore[index]
    assert ack_me
    assert all(p["options"] == {"compress": True} for p in ack_me)  # the client's options go on
