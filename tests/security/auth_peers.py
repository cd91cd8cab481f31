"""The auth-checking server and client of tests/security/peers, and running sioproxy commands.

Test-side only. Every process runs on 127.0.0.1, every wait is bounded and every
process is stopped by pid.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

from tests.interop.peers import NODE, READY_TIMEOUT, REPO, PeerError, RunningServer, peer
from tests.interop.peers import _read_first_line as read_first_line

PEERS = Path(__file__).resolve().parent / "peers"
RUN_TIMEOUT = 60.0


def start_auth_server(token: str) -> RunningServer:
    """``auth_server.js --token TOKEN``: refuses any other CONNECT auth token."""
    if not peer("node-sio4").installed():
        raise PeerError("node peers are not installed: run `make peers`")
    cmd = [NODE, str(PEERS / "auth_server.js"), "--port", "0", "--token", token]
    fd, name = tempfile.mkstemp(prefix="auth-server-", suffix=".stderr")
    with os.fdopen(fd, "wb") as stderr:
        process = subprocess.Popen(
            cmd, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=stderr, cwd=REPO
        )
    server = RunningServer("auth-server", process, 0, Path(name))
    try:
        line = read_first_line(process, READY_TIMEOUT).decode("utf-8", "replace").split()
    except PeerError:
        server.stop()
        raise
    if len(line) != 2 or line[0] != "listening":
        server.stop()
        raise PeerError(f"auth server printed {line!r}")
    server.port = int(line[1])
    server.url = f"http://127.0.0.1:{server.port}"
    return server


@dataclass(frozen=True, slots=True)
class Run:
    status: int
    stdout: str
    stderr: str

    @property
    def text(self) -> str:
        return self.stdout + self.stderr


def run_auth_client(
    url: str, *, token: str, query_token: str, password: str, extra: bool = False
) -> Run:
    """``auth_client.js``: auth {token, user: alice}, login, say, bye (bounded to 5 s)."""
    cmd = [NODE, str(PEERS / "auth_client.js"), "--url", url, "--token", token]
    cmd += ["--query-token", query_token, "--password", password]
    if extra:
        cmd.append("--extra")
    done = subprocess.run(
        cmd, capture_output=True, text=True, timeout=RUN_TIMEOUT, cwd=REPO, check=False
    )
    return Run(done.returncode, done.stdout, done.stderr)


def transcript(run: Run) -> dict[str, object]:
    assert run.status == 0, run.text
    data: dict[str, object] = json.loads(run.stdout.strip().splitlines()[-1])
    return data


def sioproxy(*args: str, cwd: Path | None = None) -> Run:
    """``python -m sioproxy ARGS`` to completion (show, export, diff...)."""
    done = subprocess.run(
        [sys.executable, "-m", "sioproxy", *args],
        capture_output=True,
        text=True,
        timeout=RUN_TIMEOUT,
        cwd=cwd or REPO,
        check=False,
    )
    return Run(done.returncode, done.stdout, done.stderr)
