"""A canary secret through every output: none of them may show it.

Real peers (tests/security/peers: a socket.io 4 server that checks the CONNECT
auth token, and socket.io-client 4 with auth ``{token, user: "alice"}``, a
query token and a login password) talk through ``sioproxy record`` (text log)
and ``sioproxy proxy --log-format json``; a hand-driven client sends a CONNECT
whose auth JSON is cut off before its closing brace. Then the recording is
replayed to a client that sends the live secrets in a packet the recording
does not have (a mismatch report), shown, exported to HAR, served with
``/metrics``, replayed by the pytest plugin to a failing test, and diffed
against the live server with ``--secret``. The canary must be in none of
those outputs; what is not a secret ("alice") must still be there.
"""

from __future__ import annotations

import contextlib
import json
import os
import subprocess
import sys
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.hostile.harness import WsClient
from tests.interop.peers import REPO, RunningServer
from tests.interop.sioproxy_proc import RunningSioproxy, record_args, start_sioproxy
from tests.security.auth_peers import (
    Run,
    run_auth_client,
    sioproxy,
    start_auth_server,
    transcript,
)

pytestmark = pytest.mark.interop

CANARY = "CANARY-7d1f"
TOKEN = f"{CANARY}-auth-token"
QUERY_TOKEN = f"{CANARY}-query-token"
PASSWORD = f"{CANARY}-password"
CUT_OFF = f"{CANARY}-cut-off"
SECRETS = {"token": TOKEN, "query_token": QUERY_TOKEN, "password": PASSWORD}


@pytest.fixture(scope="module")
def server() -> Iterator[RunningServer]:
    live = start_auth_server(TOKEN)
    yield live
    live.stop()


def _stop(proc: RunningSioproxy) -> str:
    proc.stop()
    return "\n".join(proc.lines) + "\n" + proc.stderr_text()


def _cut_off_connect(url: str) -> None:
    """A v5 CONNECT whose auth JSON lacks its closing brace (the server refuses it)."""
    host = url.removeprefix("http://")
    client = WsClient(f"ws://{host}/socket.io/?EIO=4&transport=websocket")
    try:
        client.recv()  # the open packet
        client.ws.send('40/x,{"token":"' + CUT_OFF + '","user":"alice"')
        with contextlib.suppress(Exception):
            client.recv()
    finally:
        client.close()


@pytest.fixture(scope="module")
def recorded(server: RunningServer, tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    """Record through the proxy; returns the outputs and the recording path."""
    where = tmp_path_factory.mktemp("canary")
    rec = where / "session.jsonl"
    proxy = start_sioproxy(record_args(server.url, rec))
    try:
        said = transcript(run_auth_client(proxy.url, **SECRETS))
        assert said["said"] == {"from": "alice", "text": "hi alice"}
        _cut_off_connect(proxy.url)
    finally:
        record_log = _stop(proxy)
    json_proxy = start_sioproxy(
        ["proxy", "--listen", "127.0.0.1:0", "--upstream", server.url, "--log-format", "json"]
    )
    try:
        transcript(run_auth_client(json_proxy.url, **SECRETS))
        _cut_off_connect(json_proxy.url)
    finally:
        json_log = _stop(json_proxy)
    return {"rec": str(rec), "record log": record_log, "json log": json_log}


def _assert_clean(name: str, text: str) -> None:
    assert CANARY not in text, f"the canary leaked into {name}:\n{text}"


def test_recording_and_proxy_logs_hide_only_the_secrets(recorded: dict[str, str]) -> None:
    recording = Path(recorded["rec"]).read_text("utf-8")
    for name, text in [("the recording", recording), *recorded.items()]:
        _assert_clean(name, text)
    assert '"user\\":\\"alice\\"' in recording  # the auth's user name is no secret
    assert "hi alice" in recording
    assert "[REDACTED:auth.token]" in recording
    assert "[REDACTED:query.token]" in recording
    assert "[REDACTED:password]" in recording
    assert "hi alice" in recorded["record log"]
    assert "[REDACTED:password]" in recorded["record log"]  # the login packet, redacted
    header = json.loads(recording.splitlines()[0])
    assert header["redactions"]["policy"] == 2
    assert "password" in header["redactions"]["keys"]


def test_replay_gives_the_client_what_the_server_said(recorded: dict[str, str]) -> None:
    # Only the token was a secret: "alice" is replayed as "alice" (it used to
    # come back as "[REDACTED:user]" and fail the client).
    replay = start_sioproxy(["replay", recorded["rec"], "--listen", "127.0.0.1:0", "--speed", "0"])
    try:
        said = transcript(run_auth_client(replay.url, **SECRETS))
    finally:
        log = _stop(replay)
    assert said == {"login": "ok", "said": {"from": "alice", "text": "hi alice"}}
    assert "replay miss" not in log
    _assert_clean("the replay log", log)


def test_replay_log_and_mismatch_report(recorded: dict[str, str]) -> None:
    replay = start_sioproxy(["replay", recorded["rec"], "--listen", "127.0.0.1:0", "--speed", "0"])
    try:
        # --extra: a login the recording does not have, carrying the live password
        run = run_auth_client(replay.url, extra=True, **SECRETS)
    finally:
        log = _stop(replay)
    assert "replay miss" in log
    assert '"user":"alice"' in log
    _assert_clean("the replay log", log)
    _assert_clean("the client's output", run.text)


def test_show_and_har_export(recorded: dict[str, str], tmp_path: Path) -> None:
    for args in (["show", recorded["rec"]], ["show", "--json", recorded["rec"]]):
        shown = sioproxy(*args)
        assert shown.status == 0, shown.text
        assert "alice" in shown.stdout
        _assert_clean(" ".join(args[:-1]), shown.text)
    har = tmp_path / "out.har"
    exported = sioproxy("export", recorded["rec"], "--har", str(har))
    assert exported.status == 0, exported.text
    json.loads(har.read_text("utf-8"))  # still a valid document
    _assert_clean("the HAR export", har.read_text("utf-8") + exported.text)


def test_metrics(recorded: dict[str, str]) -> None:
    replay = start_sioproxy(
        ["replay", recorded["rec"], "--listen", "127.0.0.1:0", "--admin", "127.0.0.1:0"]
    )
    try:
        run_auth_client(replay.url, extra=True, **SECRETS)
        admin = next(
            line.split()[-1] for line in replay.lines if line.startswith("sioproxy admin on")
        )
        with urllib.request.urlopen(f"{admin}/metrics", timeout=10) as response:
            metrics = response.read().decode()
    finally:
        log = _stop(replay)
    assert "sioproxy_" in metrics
    _assert_clean("/metrics", metrics + log)


INNER_TEST = """
import json, subprocess, pytest

@pytest.mark.sioproxy(speed=0)
def test_login(sioproxy):
    cmd = {cmd!r} + ["--url", sioproxy.url]
    subprocess.run(cmd, capture_output=True, timeout=30, check=False)
"""


def test_pytest_plugin_failure(recorded: dict[str, str], tmp_path: Path) -> None:
    inner = tmp_path / "inner"
    target = inner / "recordings" / "test_inner" / "test_login.jsonl"
    target.parent.mkdir(parents=True)
    target.write_bytes(Path(recorded["rec"]).read_bytes())
    client = [
        "node",
        str(Path(__file__).parent / "peers" / "auth_client.js"),
        *("--token", TOKEN, "--query-token", QUERY_TOKEN, "--password", PASSWORD, "--extra"),
    ]
    (inner / "test_inner.py").write_text(INNER_TEST.format(cmd=client))
    env = dict(os.environ, PYTHONPATH=str(REPO))
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "test_inner.py"],
        cwd=inner,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
        env=env,
    )
    assert done.returncode == 1, done.stdout + done.stderr
    assert "replay miss" in done.stdout
    _assert_clean("the pytest failure", done.stdout + done.stderr)


def test_diff_fills_secrets_and_names_unfilled_placeholders(
    recorded: dict[str, str], server: RunningServer, tmp_path: Path
) -> None:
    without = sioproxy("diff", recorded["rec"], "--target", server.url, "--timeout", "2")
    assert without.status == 1, without.text
    notice = [line for line in without.stderr.splitlines() if "sent unfilled" in line]
    assert len(notice) == 1, without.stderr
    assert "[REDACTED:auth.token]" in notice[0]
    assert "--secret" in notice[0]
    assert "bad token" in without.stdout  # the server refused the unfilled token

    secrets_file = tmp_path / "secrets.txt"
    secrets_file.write_text(f"# test secrets\npassword={PASSWORD}\n")
    report = tmp_path / "report.json"
    filled = _diff_with_env(recorded["rec"], server.url, secrets_file, report)
    assert filled.status == 0, filled.text
    assert "sent unfilled" not in filled.stderr
    assert "drift: none" in filled.stdout
    _assert_clean("the diff output", filled.text + report.read_text("utf-8"))


def _diff_with_env(rec: str, url: str, secrets_file: Path, report: Path) -> Run:
    """``diff`` with every secret given: env:VAR, NAME=VALUE and a secrets file."""
    env = dict(os.environ, CANARY_AUTH_TOKEN=TOKEN)
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "sioproxy",
            *("diff", rec, "--target", url, "--timeout", "5", "--conn", "c1"),
            *("--secret", "auth.token=env:CANARY_AUTH_TOKEN"),
            *("--secret", f"query.token={QUERY_TOKEN}", "--secrets-file", str(secrets_file)),
            *("--report", str(report)),
        ],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=REPO,
        check=False,
        env=env,
    )
    return Run(done.returncode, done.stdout, done.stderr)
