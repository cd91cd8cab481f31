"""The pytest plugin and ``sioproxy replay`` fill the placeholders their replay sends.

A session between real peers (tests/security/peers) is recorded with
``--redact-pointer said:/0/from``, so the server's ``said {"from": "alice"}``
is recorded as ``[REDACTED:said.0.from]``. An inner suite replays it with the
plugin: the value comes from the marker's ``secrets={...}``, the
``sioproxy_secrets`` ini key or ``SIOPROXY_SECRET_SAID_0_FROM``; without any,
the client gets the placeholder and one warning line names it. ``sioproxy
replay --secret NAME=VALUE`` (or ``--secrets-file``) does the same from the
command line, and its log never shows the value.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.interop.peers import REPO
from tests.interop.sioproxy_proc import RunningSioproxy, record_args, start_sioproxy
from tests.security.auth_peers import run_auth_client, start_auth_server, transcript

pytestmark = pytest.mark.interop

TOKEN = "plugin-auth-token-1"
CLIENT = {"token": TOKEN, "query_token": "plugin-query-token-2", "password": "plugin-pw-3"}

INNER = """
import json, subprocess, pytest

@pytest.mark.sioproxy(speed=0{marker})
def test_login(sioproxy):
    done = subprocess.run({cmd!r} + ["--url", sioproxy.url], capture_output=True, text=True,
                          timeout=30, check=False)
    assert done.returncode == 0, done.stderr
    said = json.loads(done.stdout)["said"]
    assert said["from"] == "alice", said
"""


@pytest.fixture(scope="module")
def recording(tmp_path_factory: pytest.TempPathFactory) -> bytes:
    server = start_auth_server(TOKEN)
    rec = tmp_path_factory.mktemp("plugin-secrets") / "session.jsonl"
    try:
        proxy = start_sioproxy(record_args(server.url, rec, "--redact-pointer", "said:/0/from"))
        try:
            assert transcript(run_auth_client(proxy.url, **CLIENT))["said"] == {
                "from": "alice",
                "text": "hi alice",
            }
        finally:
            proxy.stop()
    finally:
        server.stop()
    data = rec.read_bytes()
    assert b'"from\\":\\"[REDACTED:said.0.from]\\"' in data
    return data


def _run_inner(where: Path, data: bytes, marker: str, ini: str, env: dict[str, str]) -> str:
    target = where / "recordings" / "test_inner" / "test_login.jsonl"
    target.parent.mkdir(parents=True)
    target.write_bytes(data)
    client = [
        "node",
        str(Path(__file__).parent / "peers" / "auth_client.js"),
        *("--token", TOKEN, "--query-token", "q", "--password", "p"),
    ]
    (where / "test_inner.py").write_text(INNER.format(marker=marker, cmd=client))
    (where / "pytest.ini").write_text(f"[pytest]\n{ini}")
    clean = {k: v for k, v in os.environ.items() if not k.startswith("SIOPROXY_SECRET_")}
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-rw", "test_inner.py"],
        cwd=where,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
        env={**clean, "PYTHONPATH": str(REPO), **env},
    )
    return f"exit {done.returncode}\n{done.stdout}{done.stderr}"


@pytest.mark.parametrize(
    ("marker", "ini", "env"),
    [
        pytest.param(', secrets={"said.0.from": "alice"}', "", {}, id="marker"),
        pytest.param("", "sioproxy_secrets = said.0.from=alice\n", {}, id="ini"),
        pytest.param("", "", {"SIOPROXY_SECRET_SAID_0_FROM": "alice"}, id="env"),
        pytest.param(', secrets={"said.0.from": "env:WHO"}', "", {"WHO": "alice"}, id="marker-env"),
    ],
)
def test_placeholder_filled(
    recording: bytes, tmp_path: Path, marker: str, ini: str, env: dict[str, str]
) -> None:
    out = _run_inner(tmp_path, recording, marker, ini, env)
    assert out.startswith("exit 0"), out
    assert "sent unfilled" not in out


def test_unfilled_placeholder_is_named_in_one_line(recording: bytes, tmp_path: Path) -> None:
    out = _run_inner(tmp_path, recording, "", "", {})
    assert out.startswith("exit 1"), out
    notices = [line for line in out.splitlines() if "sent unfilled" in line]
    assert len(notices) == 1, out
    assert "[REDACTED:said.0.from]" in notices[0]
    assert "[REDACTED:said.0.from]" in out  # what the client got instead of "alice"


def test_bad_secrets_option_is_one_line(recording: bytes, tmp_path: Path) -> None:
    out = _run_inner(tmp_path, recording, ', secrets="alice"', "", {})
    assert out.startswith("exit 1"), out
    assert "secrets must be a dict of NAME -> VALUE strings" in out
    assert "Traceback" not in out


def _replay_cli(
    data: bytes, tmp_path: Path, *extra: str
) -> tuple[dict[str, object], RunningSioproxy]:
    """``sioproxy replay`` of the recording, and what the real client got from it."""
    rec = tmp_path / "session.jsonl"
    rec.write_bytes(data)
    replay = start_sioproxy(["replay", str(rec), "--listen", "127.0.0.1:0", "--speed", "0", *extra])
    try:
        got = transcript(run_auth_client(replay.url, token=TOKEN, query_token="q", password="p"))
    finally:
        assert replay.stop() == 0, replay.stderr_text()
    return got, replay


@pytest.mark.parametrize("how", ["option", "file", "env"])
def test_replay_command_fills_the_placeholder(recording: bytes, tmp_path: Path, how: str) -> None:
    # Long enough to be swept from the log (redact_core.MIN_SCRUB): "alice" alone is not.
    value = "alice-as-the-server-said"
    (tmp_path / "secrets.txt").write_text(f"# the server's value\nsaid.0.from={value}\n")
    extra = {
        "option": ["--secret", f"said.0.from={value}"],
        "file": ["--secrets-file", str(tmp_path / "secrets.txt")],
        "env": ["--secret", "said.0.from=env:SIOPROXY_TEST_WHO"],
    }[how]
    os.environ["SIOPROXY_TEST_WHO"] = value  # inherited by the replay process
    try:
        got, replay = _replay_cli(recording, tmp_path, *extra)
    finally:
        del os.environ["SIOPROXY_TEST_WHO"]
    assert got["said"] == {"from": value, "text": "hi alice"}
    assert "sent unfilled" not in replay.stderr_text()
    said = [line for line in replay.lines if ' event "said" ' in line]
    assert len(said) == 1, replay.lines
    assert value not in "\n".join(replay.lines)  # the log shows the placeholder, never the value
    assert "[REDACTED:said.0.from]" in said[0]


def test_replay_command_names_an_unfilled_placeholder(recording: bytes, tmp_path: Path) -> None:
    got, replay = _replay_cli(recording, tmp_path)
    assert got["said"] == {"from": "[REDACTED:said.0.from]", "text": "hi alice"}
    notices = [line for line in replay.stderr_text().splitlines() if "sent unfilled" in line]
    assert notices == [
        "sioproxy replay: placeholders sent unfilled: [REDACTED:said.0.from]"
        " (fill them with --secret NAME=VALUE)"
    ]
