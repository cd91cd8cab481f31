"""Running the gevent transport and Locust as subprocesses, bounded, on 127.0.0.1.

``import locust`` (and gevent's monkey-patching) must stay out of pytest's
process, so every run here is a child process, stopped by pid.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sioproxy.recording import read_recording
from sioproxy.recording.script import asks_ack, build_script
from sioproxy.types import Side
from tests.interop.peers import REPO, PeerError, run_client
from tests.interop.sioproxy_proc import record_args, start_sioproxy

PLAY_TIMEOUT = 60.0
# Locust's run time plus spawning, the sessions in flight finishing, and the report.
LOCUST_GRACE = 90.0


def record_clients(
    upstream: str,
    client: str,
    mode: str,
    out: Path,
    *,
    clients: int = 1,
    extra: tuple[str, ...] = (),
) -> None:
    """``clients`` peer clients at once through one ``sioproxy record`` (one connection each)."""
    proxy = start_sioproxy(record_args(upstream, out, *extra))
    failed: list[BaseException] = []

    def one() -> None:
        try:
            run_client(client, proxy.url, mode)
        except BaseException as exc:  # reported below, in the test's thread
            failed.append(exc)

    threads = [threading.Thread(target=one) for _ in range(clients)]
    try:
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(PLAY_TIMEOUT)
    finally:
        status = proxy.stop()
    if failed or status != 0:
        raise PeerError(f"recording failed: {failed}, sioproxy record exited {status}")


def play_once(
    recording: Path,
    url: str,
    transport: str | None = None,
    *secrets: str,
    options: dict[str, float] | None = None,
) -> dict[str, Any]:
    """``python -m tests.locust.play_once``: one session through the gevent transport.

    ``options``: ``ReplayClientOptions`` fields (``timeout``, ``max_wait``...).
    """
    cmd = [sys.executable, "-m", "tests.locust.play_once", str(recording), url]
    cmd += [transport or "-", *secrets]
    env = dict(os.environ, PLAY_ONCE_OPTIONS=json.dumps(options or {}))
    done = subprocess.run(
        cmd, capture_output=True, text=True, timeout=PLAY_TIMEOUT, cwd=REPO, env=env, check=False
    )
    assert done.returncode == 0, done.stderr
    data: dict[str, Any] = json.loads(done.stdout)
    return data


def emits_with_ack(recording: Path) -> int:
    """Client packets asking for an ack, over every recorded connection (as played)."""
    rec = read_recording(recording)
    return sum(
        1
        for conn in rec.connections()
        for step in build_script(rec, conn, Side.SERVER).client_steps()
        if asks_ack(step.packet)
    )


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@dataclass(frozen=True, slots=True)
class LocustRun:
    status: int
    stdout: str
    stderr: str
    stats: list[dict[str, Any]]

    def entries(self, kind: str) -> list[dict[str, Any]]:
        return [e for e in self.stats if e["method"] == kind]

    def requests(self, kind: str) -> int:
        return sum(e["num_requests"] for e in self.entries(kind))

    def failures(self) -> int:
        return sum(e["num_failures"] for e in self.stats)


def _sioproxy_locust(recording: Path, target: str, *options: str) -> list[str]:
    return [
        sys.executable,
        "-m",
        "sioproxy",
        "locust",
        str(recording),
        "--target",
        target,
        *options,
    ]


def _stop(process: subprocess.Popen[str]) -> None:
    if process.poll() is None:
        os.kill(process.pid, signal.SIGTERM)
        try:
            process.wait(10)
        except subprocess.TimeoutExpired:
            os.kill(process.pid, signal.SIGKILL)
            process.wait(10)


def run_locust(
    recording: Path,
    target: str,
    out: Path,
    *,
    users: int = 50,
    seconds: int = 20,
    workers: int = 2,
    extra: tuple[str, ...] = (),
    json_stats: bool = True,
) -> LocustRun:
    """``sioproxy locust`` headless: a master and ``workers`` worker processes (0: one process).

    With ``json_stats`` the stats are read from ``--json-file`` (written after
    the sessions in flight have finished); without, Locust prints its tables
    and error report (``stdout``/``stderr``) instead.
    """
    run = ["--headless", "-u", str(users), "-r", str(max(1, users // 2)), "-t", f"{seconds}s"]
    run += ["--stop-timeout", "30", "--only-summary", *extra]
    if json_stats:
        run += ["--json-file", str(out / "stats")]
    port = free_port()
    started: list[subprocess.Popen[str]] = []
    try:
        if workers:
            master_opts = ["--master", "--expect-workers", str(workers)]
            master_opts += ["--master-bind-host", "127.0.0.1", "--master-bind-port", str(port)]
            master_cmd = _sioproxy_locust(recording, target, *run, *master_opts)
        else:
            master_cmd = _sioproxy_locust(recording, target, *run)
        master = subprocess.Popen(
            master_cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=REPO
        )
        started.append(master)
        for _ in range(workers):
            worker_opts = ["--worker", "--master-host", "127.0.0.1", "--master-port", str(port)]
            started.append(
                subprocess.Popen(
                    _sioproxy_locust(recording, target, *worker_opts, *extra),
                    stdout=subprocess.DEVNULL,
                    stderr=subprocess.DEVNULL,
                    cwd=REPO,
                )
            )
        stdout, stderr = master.communicate(timeout=seconds + LOCUST_GRACE)
    finally:
        for process in started:
            _stop(process)
    stats_file = out / "stats.json"
    stats = json.loads(stats_file.read_text("utf-8")) if stats_file.exists() else []
    return LocustRun(master.returncode, stdout, stderr, stats)
