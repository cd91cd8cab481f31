"""Test helpers for replay-client: the drift server, recording a scenario, running the command.

Test-side only. Every process runs on 127.0.0.1, every wait is bounded and every
process is stopped by pid (``RunningServer.stop``).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tests.interop.peers import (
    NODE,
    READY_TIMEOUT,
    REPO,
    PeerError,
    RunningServer,
    _read_first_line,
    peer,
    run_client,
)
from tests.interop.sioproxy_proc import record_args, start_sioproxy

DRIFT_SERVER = Path(__file__).resolve().parent / "peers" / "drift_server.js"
RUN_TIMEOUT = 120.0


def start_drift_server(impl: str, drift: str) -> RunningServer:
    """``drift_server.js --impl IMPL --drift DRIFT`` (sio4, sio2, sio09), bounded start."""
    if not peer("node-sio4").installed():
        raise PeerError("node peers are not installed: run `make peers`")
    cmd = [NODE, str(DRIFT_SERVER), "--impl", impl, "--drift", drift, "--port", "0"]
    fd, name = tempfile.mkstemp(prefix=f"drift-{impl}-", suffix=".stderr")
    with os.fdopen(fd, "wb") as stderr:
        process = subprocess.Popen(
            cmd, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=stderr, cwd=REPO
        )
    server = RunningServer(f"drift-{impl}-{drift}", process, 0, Path(name))
    try:
        line = _read_first_line(process, READY_TIMEOUT).decode("utf-8", "replace").split()
    except PeerError:
        server.stop()
        raise
    if len(line) != 2 or line[0] != "listening":
        server.stop()
        raise PeerError(f"drift server printed {line!r}")
    server.port = int(line[1])
    server.url = f"http://127.0.0.1:{server.port}"
    return server


def record_scenario(upstream: str, client: str, mode: str, out: Path) -> dict[str, Any]:
    """Run ``client``'s scenario through ``sioproxy record``; returns its transcript."""
    proxy = start_sioproxy(record_args(upstream, out))
    try:
        transcript = run_client(client, proxy.url, mode)
    finally:
        status = proxy.stop()
    if status != 0:
        raise PeerError(f"sioproxy record exited {status}\n{proxy.stderr_text()}")
    return transcript


@dataclass(frozen=True, slots=True)
class CommandRun:
    status: int
    stdout: str
    stderr: str
    report: dict[str, Any] | None


def replay_client(
    command: str, recording: Path, target: str, *args: str, report: Path | None = None
) -> CommandRun:
    """Run ``sioproxy replay-client``/``diff`` as a subprocess (the module's own ``main``)."""
    argv = [command, str(recording), "--target", target, *args]
    if report is not None:
        argv += ["--report", str(report)]
    cmd = [sys.executable, "-m", "sioproxy.cli.replay_client_cmd", *argv]
    done = subprocess.run(
        cmd, capture_output=True, text=True, timeout=RUN_TIMEOUT, cwd=REPO, check=False
    )
    data = None
    if report is not None and report.exists():
        data = json.loads(report.read_text("utf-8"))
    return CommandRun(done.returncode, done.stdout, done.stderr, data)


def drift_items(report: dict[str, Any]) -> list[dict[str, Any]]:
    return [item for conn in report["connections"] for item in conn["drift"]]
