"""Rules and addons through ``sioproxy proxy|record`` subprocesses with real peers.

Each generation: socket.io 4 (EIO4), socket.io 2 (EIO3) and socket.io 0.9 servers
and clients from tests/peers, on loopback. The fault client (clients/fault_client.js)
reports "timeout" where an answer never came within its own bounded wait.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from tests.interop.conftest import require_installed
from tests.interop.peers import NODE, REPO, run_client
from tests.interop.sioproxy_proc import RunningSioproxy, record_args, start_sioproxy

pytestmark = pytest.mark.timeout(120)

FAULT_CLIENT = Path(__file__).parent / "clients" / "fault_client.js"


class Case:
    def __init__(self, gen: str, server: str, lib: str, transport: str) -> None:
        self.gen, self.server, self.lib, self.transport = gen, server, lib, transport

    def __repr__(self) -> str:
        return f"{self.gen}-{self.transport}"


POLLING = [
    Case("eio4", "node-sio4", "sio4", "polling"),
    Case("eio3", "node-sio2", "sio2", "polling"),
    Case("0.9", "node-sio09", "sio09", "xhr-polling"),
]
WEBSOCKET = [
    Case("eio4", "node-sio4", "sio4", "websocket"),
    Case("eio3", "node-sio2", "sio2", "websocket"),
    Case("0.9", "node-sio09", "sio09", "websocket"),
]
ids = repr


def proxy(servers: Any, case: Case, tmp_path: Path, *options: str) -> RunningSioproxy:
    server = servers(case.server)
    return start_sioproxy(record_args(server.url, tmp_path / "rec.jsonl", *options))


def fault_client(url: str, case: Case) -> dict[str, Any]:
    require_installed(case.server)
    cmd = [NODE, str(FAULT_CLIENT), "--lib", case.lib, "--url", url, "--transport", case.transport]
    done = subprocess.run(cmd, capture_output=True, timeout=40, cwd=REPO, check=False)
    assert done.returncode == 0, done.stderr.decode("utf-8", "replace")
    out: dict[str, Any] = json.loads(done.stdout.decode().strip().splitlines()[-1])
    assert out["transport"] == case.transport
    return out


def recording(tmp_path: Path) -> list[dict[str, Any]]:
    lines = (tmp_path / "rec.jsonl").read_text("utf-8").splitlines()
    return [json.loads(line) for line in lines[1:]]


def write(tmp_path: Path, name: str, text: str) -> str:
    path = tmp_path / name
    path.write_text(text, "utf-8")
    return str(path)


ECHO_RULES = """
[[rules]]
name = "shout back"
dir = "s2c"
event = "echo"
set = { "/args/0" = "rewritten 😀" }
"""


@pytest.mark.parametrize("case", POLLING + WEBSOCKET, ids=ids)
def test_rule_changes_echo_args(case: Case, tmp_path: Path, shared_peer_server: Any) -> None:
    px = proxy(shared_peer_server, case, tmp_path, "--rules", write(tmp_path, "r.toml", ECHO_RULES))
    try:
        impl = case.server  # the scenario client of the same library
        transcript = run_client(impl, px.url, case.transport, timeout=40)
    finally:
        px.stop()
    assert transcript["transport"] == case.transport
    first_echo = transcript["namespaces"]["/"][1]
    assert first_echo[:2] == ["event", "echo"]
    assert first_echo[2][0] == "rewritten 😀"
    assert first_echo[2][1:] == [42, {"k": [True, None]}]
    rewritten = [e for e in recording(tmp_path) if "original" in e]
    assert rewritten
    assert all(e["note"] == "rewritten by rule 'shout back'" for e in rewritten)
    assert "héllo wörld 😀" in json.dumps(rewritten[0]["original"], ensure_ascii=False)


@pytest.mark.parametrize("case", WEBSOCKET, ids=ids)
def test_drop_rule_removes_event(case: Case, tmp_path: Path, shared_peer_server: Any) -> None:
    rules = write(tmp_path, "r.toml", '[[rules]]\ndir = "s2c"\nevent = "echo"\naction = "drop"\n')
    px = proxy(shared_peer_server, case, tmp_path, "--rules", rules)
    try:
        out = fault_client(px.url, case)
    finally:
        px.stop()
    assert out["echo"] == "timeout"
    assert out["ack"] == ["x", "ack"]
    assert out["final"] == ["final", "ack"]
    notes = [e.get("note") for e in recording(tmp_path)]
    assert "not forwarded: dropped by rule 'rule 1'" in notes


INJECT = """
[[rules]]
name = "probe the client"
dir = "s2c"
event = "echo"
[[rules.inject]]
packet = {{ name = "probe", args = ["from the proxy"], id = 0{extra} }}
"""


@pytest.mark.parametrize("case", POLLING + WEBSOCKET, ids=ids)
def test_injected_request_reaches_client_and_its_ack_is_consumed(
    case: Case, tmp_path: Path, shared_peer_server: Any
) -> None:
    # 0.9 asks for the ack's data only with "+" (docs/protocol.md#a10).
    text = INJECT.format(extra=', ack = "data"' if case.gen == "0.9" else "")
    px = proxy(shared_peer_server, case, tmp_path, "--rules", write(tmp_path, "r.toml", text))
    try:
        out = fault_client(px.url, case)
    finally:
        px.stop()
    assert out["probe"] == ["from the proxy"]
    assert out["probe_acked"] is True
    assert out["echo"] == ["hi"]
    assert out["final"] == ["final", "ack"]
    entries = recording(tmp_path)
    injected = [e for e in entries if e.get("note") == "injected by rule 'probe the client'"]
    assert len(injected) == 1
    assert injected[0]["dir"] == "s2c"
    consumed = [e for e in entries if str(e.get("note", "")).startswith("consumed by the proxy")]
    assert len(consumed) == 1
    assert consumed[0]["dir"] == "c2s"
    assert "probe-answer" in json.dumps(consumed[0]["packet"])
    # Forwarded nowhere: the only c2s entry carrying the answer is the consumed one
    # (test_live_observer checks the relay gets an empty message list for it).
    answers = [e for e in entries if e["kind"] == "packet" and "probe-answer" in json.dumps(e)]
    assert answers == consumed


@pytest.mark.parametrize("case", POLLING, ids=ids)
def test_withheld_ack_fires_client_timeout(
    case: Case, tmp_path: Path, shared_peer_server: Any
) -> None:
    rules = '[[rules]]\ndir = "c2s"\nevent = "ack_me"\nwithhold_ack = true\ncount = 1\n'
    px = proxy(shared_peer_server, case, tmp_path, "--rules", write(tmp_path, "r.toml", rules))
    try:
        out = fault_client(px.url, case)
    finally:
        px.stop()
    assert out["echo"] == ["hi"]
    assert out["ack"] == "timeout"
    assert out["final"] == ["final", "ack"]


ADDON = """
def on_packet(ctx, packet):
    if ctx.direction == "s2c" and packet.get("name") == "echo":
        packet["args"] = ["addon:" + packet["args"][0]]
    return packet
"""

BROKEN_ADDON = """
def on_packet(ctx, packet):
    raise RuntimeError("addon bug")
"""


@pytest.mark.parametrize("case", WEBSOCKET, ids=ids)
def test_addon_changes_packets(case: Case, tmp_path: Path, shared_peer_server: Any) -> None:
    px = proxy(shared_peer_server, case, tmp_path, "--addon", write(tmp_path, "a.py", ADDON))
    try:
        out = fault_client(px.url, case)
    finally:
        px.stop()
    assert out["echo"] == ["addon:hi"]
    assert out["ack"] == ["x", "ack"]


@pytest.mark.parametrize("case", POLLING, ids=ids)
def test_addon_that_raises_leaves_traffic_flowing(
    case: Case, tmp_path: Path, shared_peer_server: Any
) -> None:
    addon = write(tmp_path, "broken.py", BROKEN_ADDON)
    px = proxy(shared_peer_server, case, tmp_path, "--addon", addon)
    try:
        out = fault_client(px.url, case)
    finally:
        px.stop()
    assert out["echo"] == ["hi"]
    assert out["ack"] == ["x", "ack"]
    assert out["final"] == ["final", "ack"]
    assert any("addon bug" in line for line in px.lines)


def test_bad_rules_file_exits_2_with_file_and_line(tmp_path: Path) -> None:
    rules = write(
        tmp_path, "bad.toml", '[[rules]]\nevent = "x"\naction = "drop"\n\n[[rules]]\nevnt = "y"\n'
    )
    cmd = [sys.executable, "-m", "sioproxy", "proxy", "--listen", "127.0.0.1:0"]
    cmd += ["--upstream", "http://127.0.0.1:9", "--rules", rules]
    done = subprocess.run(cmd, capture_output=True, timeout=30, cwd=REPO, check=False)
    assert done.returncode == 2
    err = done.stderr.decode()
    assert f"{rules}:6: rule 2: unknown key 'evnt'" in err
    assert done.stdout == b""
