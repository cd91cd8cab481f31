"""The logs of real sessions: nothing a peer sends can forge a line, and the JSON
log follows one schema (docs/logging.md), for ``record`` and ``replay`` alike.

Real peers only: the node socket.io 4 scenario server, the node socket.io-client 4
scenario client, and ``tests/peers/python/control_chars_client.py`` (python-socketio 5
and a raw WebSocket) whose namespace, event name, args and close reason carry
terminal control characters.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from tests.interop.conftest import ServerFactory
from tests.interop.peers import PEERS_DIR, REPO, run_client
from tests.interop.sioproxy_proc import RunningSioproxy, record_args, start_sioproxy
from tests.log_schema import check_schema

pytestmark = pytest.mark.interop

CLIENT = PEERS_DIR / "python" / "control_chars_client.py"
CTRL = "\x1b[2J\x1b]0;pwn\x07\r\n12:00:00.000 c9 forged\x9b31m\u202edesab\u2066\x7f\x85"
FORBIDDEN = re.compile("[\x00-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]")
STAMP = re.compile(r"\d\d:\d\d:\d\d\.\d{3} ")


def assert_safe(lines: list[str]) -> None:
    for line in lines:
        assert FORBIDDEN.search(line) is None, repr(line)
        assert not line.startswith("12:00:00.000 c9 forged"), repr(line)


def hostile_client(url: str, *extra: str) -> dict[str, Any]:
    done = subprocess.run(
        [sys.executable, str(CLIENT), "--url", url, *extra],
        capture_output=True,
        timeout=60,
        cwd=REPO,
        check=False,
    )
    assert done.returncode == 0, done.stderr.decode("utf-8", "replace")
    out: dict[str, Any] = json.loads(done.stdout.decode().strip().splitlines()[-1])
    return out


def record_hostile(servers: ServerFactory, tmp_path: Path, fmt: str) -> tuple[Path, list[str]]:
    out = tmp_path / f"{fmt}.jsonl"
    upstream = servers("node-sio4").url
    extra = ["--log-format", fmt, "--insecure", "--admin", "127.0.0.1:0"]
    proxy = start_sioproxy(record_args(upstream, out, *extra))
    try:
        sent = hostile_client(proxy.url)
    finally:
        assert proxy.stop() == 0, proxy.stderr_text()
    assert sent["namespace"].startswith("refused")
    assert sent["ack"] == [CTRL, "ack"]
    assert sent["close"] == "0 40"
    return out, proxy.lines


def sioproxy(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "sioproxy", *args],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=REPO,
        check=False,
    )


def test_record_text_log_and_show_escape_what_peers_send(
    peer_server: ServerFactory, tmp_path: Path
) -> None:
    recording, lines = record_hostile(peer_server, tmp_path, "text")
    assert_safe(lines)
    assert lines[0].startswith("sioproxy admin on http://127.0.0.1:")
    assert all(STAMP.match(line) for line in lines[1:]), lines
    logged = "\n".join(lines)
    assert '/ event "ev\\u001b[2J\\u001b]0;pwn\\u0007\\r\\n12:00:00.000 c9 forged\\u009b' in logged
    assert "connect_error" in logged  # the refused namespace, escaped
    assert "close by client: websocket closed (4000 \\u001b[2J" in logged
    for extra in ([], ["--color", "always"], ["--json"], ["--all"]):
        shown = sioproxy("show", str(recording), *extra)
        assert shown.returncode == 0, shown.stderr
        out = shown.stdout.splitlines()
        if extra == ["--color", "always"]:
            out = [re.sub(r"\x1b\[[0-9;]*m", "", line) for line in out]  # show's own colours
            assert "\\u001b[2J" in shown.stdout
        assert_safe(out)
        assert len(out) >= 14


def test_record_json_log_every_line_follows_the_schema(
    peer_server: ServerFactory, tmp_path: Path
) -> None:
    _recording, lines = record_hostile(peer_server, tmp_path, "json")
    assert_safe(lines)
    objs = [check_schema(line) for line in lines]  # not one plain-text line
    kinds = {o["kind"] for o in objs}
    assert {"packet", "open", "close", "note"} <= kinds
    notes = [o for o in objs if o["kind"] == "note"]
    assert notes[0]["text"].startswith("sioproxy admin on http://127.0.0.1:")
    assert any(n["level"] == "warning" and "--insecure" in n["text"] for n in notes)
    assert notes[-1]["text"].startswith("recording ")
    packets = [o for o in objs if o["kind"] == "packet"]
    assert any(p["event"] == "ev" + CTRL and p["args"] == [CTRL] for p in packets)
    assert any(p["nsp"] == "/x" + CTRL for p in packets)
    opens = [p for p in packets if p["type"] == "open"]
    assert opens
    assert all(isinstance(p["args"][0], dict) and "sid" in p["args"][0] for p in opens)
    reasons = [o["reason"] for o in objs if o["kind"] == "close"]
    assert f"websocket closed (4000 {CTRL})" in reasons


def run_replay(recording: Path, *extra: str) -> RunningSioproxy:
    return start_sioproxy(["replay", str(recording), "--listen", "127.0.0.1:0", *extra])


@pytest.mark.parametrize("fmt", ["text", "json"])
def test_replay_log_escapes_and_reports_misses_in_the_chosen_format(
    peer_server: ServerFactory, tmp_path: Path, fmt: str
) -> None:
    recording, _ = record_hostile(peer_server, tmp_path, "text")
    replay = run_replay(recording, "--log-format", fmt, "--match", "per-event")
    try:
        hostile_client(replay.url, "--event", "other" + CTRL)  # a miss
    finally:
        assert replay.stop() == 1, replay.stderr_text()  # the summary counts the miss
    lines = replay.lines
    assert_safe(lines)
    if fmt == "text":
        text = "\n".join(lines)
        assert "replay miss on connection c2" in text
        assert 'live packet: 42["other\\u001b[2J' in text
        assert STAMP.match(lines[0])
        return
    objs = [check_schema(line) for line in lines]
    (miss,) = [o for o in objs if o["kind"] == "miss"]
    assert miss["report"]["packet"]["data"][0] == "other" + CTRL
    (summary,) = [o for o in objs if o["kind"] == "summary"]
    assert summary["ok"] is False
    opens = [o for o in objs if o["kind"] == "open"]
    assert [o["replaying"] for o in opens] == ["c1", "c2", "c3"]
    packets = [o for o in objs if o["kind"] == "packet"]
    assert any(p["event"] == "ack_me" and p["args"] == [CTRL] for p in packets)
    assert all(p["seq"] is None for p in packets)  # a replayed packet has no recording seq


def without_time(line: str) -> str:
    return re.sub(r" \(answers #\d+\)", "", STAMP.sub("", line, count=1))


def test_replay_logs_packets_in_the_proxy_format(
    peer_server: ServerFactory, tmp_path: Path
) -> None:
    out = tmp_path / "echo.jsonl"
    proxy = start_sioproxy(record_args(peer_server("node-sio4").url, out))
    try:
        run_client("node-sio4", proxy.url, "websocket")
    finally:
        assert proxy.stop() == 0, proxy.stderr_text()
    replay = run_replay(out, "--exit-when-done")
    try:
        run_client("node-sio4", replay.url, "websocket")
        assert replay.wait() == 0, "\n".join(replay.lines)
    finally:
        replay.stop()
    proxy_packets = {without_time(line) for line in proxy.lines if " event " in line}
    replay_lines = replay.lines
    replay_packets = [without_time(line) for line in replay_lines if " event " in line]
    assert replay_packets
    assert set(replay_packets) <= proxy_packets, (replay_packets, proxy_packets)
    assert any('"héllo wörld 😀"' in line for line in replay_packets)
    text = "\n".join(replay_lines)
    assert "\\ud83d" not in text
    assert '\\"' not in text  # no JSON inside a JSON string
    assert "None" not in text
    assert all(STAMP.match(line) for line in replay_lines[:-1]), replay_lines


def test_drift_report_escapes_a_namespace_from_the_recording(
    peer_server: ServerFactory, tmp_path: Path
) -> None:
    """Recorded against node socket.io 4, diffed against python-socketio 5: the two
    refuse the control-character namespace with different messages, a drift item."""
    recording, _ = record_hostile(peer_server, tmp_path, "text")
    done = sioproxy("diff", str(recording), "--target", peer_server("py-sio5").url)
    assert done.returncode == 1, done.stdout + done.stderr
    lines = done.stdout.splitlines()
    assert_safe(lines)
    assert_safe(done.stderr.splitlines())
    (changed,) = [line for line in lines if "CHANGED" in line]
    assert "namespace /x\\u001b[2J\\u001b]0;pwn\\u0007\\r\\n12:00:00.000 c9" in changed
