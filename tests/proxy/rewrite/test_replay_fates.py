"""A recording made through rules replays what each side really saw.

``sioproxy record --rules`` with real peers, then the same real client against
``sioproxy replay`` (it must see exactly what it saw through the proxy), and
``sioproxy diff`` against the real server (it must find no drift: the rules'
changes are not the server's). Also: every ``ack_of`` names an earlier entry
that asked for that ack, also when a rule rewrote the request or the ack.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from tests.interop.peers import REPO
from tests.interop.sioproxy_proc import start_sioproxy
from tests.proxy.rewrite.test_real_peers import (
    INJECT,
    Case,
    fault_client,
    ids,
    proxy,
    recording,
    write,
)

pytestmark = pytest.mark.timeout(120)

# One transport of each generation.
CASES = [
    Case("eio4", "node-sio4", "sio4", "websocket"),
    Case("eio3", "node-sio2", "sio2", "polling"),
    Case("0.9", "node-sio09", "sio09", "websocket"),
]

DROP_ECHO = '[[rules]]\nname = "no echo"\ndir = "s2c"\nevent = "echo"\naction = "drop"\n'

REWRITE_REQUEST = """
[[rules]]
name = "x to y"
dir = "c2s"
event = "ack_me"
count = 1
set = { "/args/0" = "y" }
"""

REWRITE_ACK = """
[[rules]]
name = "loud ack"
dir = "s2c"
type = "ack"
count = 1
set = { "/args/1" = "ACK" }
"""

SHOUT_BACK = """
[[rules]]
name = "shout back"
dir = "s2c"
event = "echo"
set = { "/args/0" = "rewritten" }
"""


def record_with(
    servers: Any, case: Case, tmp_path: Path, rules: str
) -> tuple[dict[str, Any], Path]:
    px = proxy(servers, case, tmp_path, "--rules", write(tmp_path, "r.toml", rules))
    try:
        seen = fault_client(px.url, case)
    finally:
        assert px.stop() == 0, px.stderr_text()
    return seen, tmp_path / "rec.jsonl"


def replay_to_client(case: Case, rec: Path) -> tuple[dict[str, Any], str, int]:
    replay = start_sioproxy(["replay", str(rec), "--listen", "127.0.0.1:0", "--exit-when-done"])
    try:
        seen = fault_client(replay.url, case)
        status = replay.wait()
    finally:
        replay.stop()
    return seen, "\n".join(replay.lines), status


def packets(tmp_path: Path) -> list[dict[str, Any]]:
    return [e for e in recording(tmp_path) if e["kind"] == "packet"]


@pytest.mark.parametrize("case", CASES, ids=ids)
def test_replay_does_not_send_a_packet_a_rule_dropped(
    case: Case, tmp_path: Path, shared_peer_server: Any
) -> None:
    recorded, rec = record_with(shared_peer_server, case, tmp_path, DROP_ECHO)
    assert recorded["echo"] == "timeout"
    dropped = [e for e in packets(tmp_path) if e.get("fate") == "dropped"]
    assert [(e["dir"], e["rule"]) for e in dropped] == [("s2c", "no echo")]
    replayed, summary, status = replay_to_client(case, rec)
    assert replayed == recorded
    assert "0 misses" in summary, summary
    assert status == 0, summary


@pytest.mark.parametrize("case", CASES, ids=ids)
def test_replay_expects_what_the_client_sent_before_a_rewrite(
    case: Case, tmp_path: Path, shared_peer_server: Any
) -> None:
    recorded, rec = record_with(shared_peer_server, case, tmp_path, REWRITE_REQUEST)
    assert recorded["ack"] == ["y", "ack"]
    rewritten = [e for e in packets(tmp_path) if e.get("fate") == "rewritten"]
    assert len(rewritten) == 1
    assert rewritten[0]["rule"] == "x to y"
    assert "x" in str(rewritten[0]["original"]["packet"])
    replayed, summary, status = replay_to_client(case, rec)
    assert replayed == recorded
    assert "0 misses" in summary, summary
    assert status == 0, summary


def _request_id(entry: dict[str, Any]) -> Any:
    packet = entry["packet"]
    return packet["sio"].get("id") if "sio" in packet else packet.get("id")


def _answer_id(entry: dict[str, Any]) -> Any:
    packet = entry["packet"]
    return packet["sio"].get("id") if "sio" in packet else packet.get("ackId")


def _is_ack(entry: dict[str, Any]) -> bool:
    packet = entry["packet"]
    kind = packet["sio"]["type"] if "sio" in packet else packet.get("type")
    return kind in ("ack", "binary_ack")


@pytest.mark.parametrize("case", CASES, ids=ids)
def test_every_ack_of_names_the_request_it_answers(
    case: Case, tmp_path: Path, shared_peer_server: Any
) -> None:
    recorded, _ = record_with(shared_peer_server, case, tmp_path, REWRITE_REQUEST + REWRITE_ACK)
    assert recorded["ack"] == ["y", "ACK"]
    entries = packets(tmp_path)
    by_seq = {e["seq"]: e for e in entries}
    acks = [e for e in entries if "packet" in e and _is_ack(e)]
    assert len(acks) == 2, acks  # "x" (rewritten to "y") and "final"
    for ack in acks:
        assert "ack_of" in ack, ack
        request = by_seq.get(ack["ack_of"])
        assert request is not None, f"ack_of {ack['ack_of']} names no entry: {ack}"
        assert request["seq"] < ack["seq"]
        assert request["dir"] != ack["dir"]
        assert _request_id(request) == _answer_id(ack)
    first, last = acks
    assert first["fate"] == "rewritten"
    assert first["rule"] == "loud ack"
    assert by_seq[first["ack_of"]]["fate"] == "rewritten"
    assert "fate" not in last
    assert "final" in str(by_seq[last["ack_of"]]["packet"])


@pytest.mark.parametrize("case", CASES, ids=ids)
def test_diff_against_the_server_ignores_what_the_rules_did(
    case: Case, tmp_path: Path, shared_peer_server: Any
) -> None:
    inject = INJECT.format(extra=', ack = "data"' if case.gen == "0.9" else "")
    recorded, rec = record_with(shared_peer_server, case, tmp_path, SHOUT_BACK + inject)
    assert recorded["echo"] == ["rewritten"]
    assert recorded["probe"] == ["from the proxy"]
    target = shared_peer_server(case.server).url
    cmd = [sys.executable, "-m", "sioproxy", "diff", str(rec), "--target", target]
    done = subprocess.run(cmd, capture_output=True, timeout=60, cwd=REPO, check=False)
    report = done.stdout.decode("utf-8", "replace") + done.stderr.decode("utf-8", "replace")
    assert done.returncode == 0, report


DELAY_ECHO = '[[rules]]\nname = "slow echo"\ndir = "s2c"\nevent = "echo"\ndelay = 400\n'
# On polling a delayed packet waits for the next GET, which the server may hold
# until its ping (docs/rules.md): WebSocket only.
WS_CASES = [
    Case("eio4", "node-sio4", "sio4", "websocket"),
    Case("eio3", "node-sio2", "sio2", "websocket"),
    Case("0.9", "node-sio09", "sio09", "websocket"),
]


@pytest.mark.parametrize("case", WS_CASES, ids=ids)
def test_a_delayed_packet_says_so_and_replays(
    case: Case, tmp_path: Path, shared_peer_server: Any
) -> None:
    recorded, rec = record_with(shared_peer_server, case, tmp_path, DELAY_ECHO)
    assert recorded["echo"] == ["hi"]
    delayed = [e for e in packets(tmp_path) if e.get("fate") == "delayed"]
    assert [(e["dir"], e["rule"], e["delay"]) for e in delayed] == [("s2c", "slow echo", 0.4)]
    replayed, summary, status = replay_to_client(case, rec)
    assert replayed == recorded
    assert "0 misses" in summary, summary
    assert status == 0, summary


HOOKS = """
def on_packet(ctx, packet):
    name = packet.get("name")
    if ctx.direction == "s2c" and name == "echo":
        return None
    if ctx.direction == "c2s" and name == "ack_me" and packet["args"] == ["x"]:
        packet["args"] = ["from the hook"]
        ctx.send({"name": "note", "args": ["seen"]}, "s2c")
    return packet
"""


@pytest.mark.parametrize("case", CASES, ids=ids)
def test_replay_of_a_recording_made_through_an_addon(
    case: Case, tmp_path: Path, shared_peer_server: Any
) -> None:
    addon = write(tmp_path, "hooks.py", HOOKS)
    px = proxy(shared_peer_server, case, tmp_path, "--addon", addon)
    try:
        recorded = fault_client(px.url, case)
    finally:
        assert px.stop() == 0, px.stderr_text()
    assert recorded["echo"] == "timeout"
    assert recorded["ack"] == ["from the hook", "ack"]
    fates = [(e["dir"], e["fate"], e["rule"]) for e in packets(tmp_path) if "fate" in e]
    assert fates == [
        ("s2c", "dropped", "addon:hooks"),
        ("c2s", "rewritten", "addon:hooks"),
        ("s2c", "injected", "addon:hooks"),
    ]
    replayed, summary, status = replay_to_client(case, tmp_path / "rec.jsonl")
    assert replayed == recorded
    assert "0 misses" in summary, summary
    assert status == 0, summary
