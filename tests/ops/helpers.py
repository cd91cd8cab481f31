"""Processes and HTTP for the operations tests: demo server, sioproxy with admin, probes.

Test-side helper. Every process is started here and stopped by its pid;
waits are bounded loops, never fixed sleeps used as assertions.
"""

from __future__ import annotations

import json
import os
import selectors
import signal
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tests.interop.peers import REPO, _read_first_line
from tests.interop.sioproxy_proc import PREFIX, RunningSioproxy

ADMIN_PREFIX = "sioproxy admin on "
WAIT_SECONDS = 20.0
STOP_TIMEOUT = 10.0


@dataclass
class DemoServer:
    process: subprocess.Popen[bytes]
    url: str

    def stop(self) -> None:
        stop_process(self.process)
        if self.process.stdout is not None:
            self.process.stdout.close()


def stop_process(process: subprocess.Popen[Any], sig: int = signal.SIGTERM) -> int:
    """Signal by pid, wait; SIGKILL if it lingers. Returns the exit status."""
    if process.poll() is None:
        os.kill(process.pid, sig)
        try:
            process.wait(STOP_TIMEOUT)
        except subprocess.TimeoutExpired:
            os.kill(process.pid, signal.SIGKILL)
            process.wait(STOP_TIMEOUT)
    return process.returncode


def start_demo_server() -> DemoServer:
    process = subprocess.Popen(
        [sys.executable, "-m", "sioproxy.demo.server", "--port", "0"],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        cwd=REPO,
    )
    try:
        line = _read_first_line(process, WAIT_SECONDS).decode()
    except Exception:
        stop_process(process)
        raise
    word, port = line.split()
    assert word == "listening", line
    return DemoServer(process, f"http://127.0.0.1:{port}")


def run_demo_client(url: str, transport: str, timeout: float = 60.0) -> dict[str, Any]:
    done = subprocess.run(
        [sys.executable, "-m", "sioproxy.demo.client", "--url", url, "--transport", transport],
        stdin=subprocess.DEVNULL,
        capture_output=True,
        timeout=timeout,
        cwd=REPO,
        check=False,
    )
    assert done.returncode == 0, done.stderr.decode("utf-8", "replace")
    result: dict[str, Any] = json.loads(done.stdout.decode().strip().splitlines()[-1])
    return result


def http_get(url: str, timeout: float = 10.0) -> tuple[int, str, str]:
    """(status, content type, body) without raising on 4xx/5xx."""
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response:
            body = response.read().decode("utf-8")
            return response.status, response.headers.get("content-type", ""), body
    except urllib.error.HTTPError as exc:
        body = exc.read().decode("utf-8")
        return exc.code, exc.headers.get("content-type", ""), body


def read_recording(path: Path) -> list[dict[str, Any]]:
    lines = path.read_text(encoding="utf-8").splitlines()
    return [json.loads(line) for line in lines if line.strip()]


def _read_lines(process: subprocess.Popen[bytes], count: int) -> list[str]:
    """The first ``count`` stdout lines, read without buffering so nothing is lost."""
    assert process.stdout is not None
    fd = process.stdout.fileno()
    data = b""
    deadline = time.monotonic() + WAIT_SECONDS
    with selectors.DefaultSelector() as sel:
        sel.register(fd, selectors.EVENT_READ)
        while data.count(b"\n") < count:
            left = deadline - time.monotonic()
            if left <= 0 or not sel.select(left):
                raise AssertionError(f"fewer than {count} lines within {WAIT_SECONDS} s: {data!r}")
            chunk = os.read(fd, 1)  # one byte at a time: the drain thread gets the rest
            if not chunk:
                raise AssertionError(f"stdout closed after {data!r}")
            data += chunk
    return data.decode("utf-8", "replace").splitlines()


def launch_sioproxy(
    argv: Sequence[str], *, env: dict[str, str] | None = None, cwd: Path = REPO
) -> tuple[RunningSioproxy, str]:
    """Start ``argv`` (a whole command line, e.g. ``[python, -m, sioproxy, record, ...]``)
    that has an admin listener; return it and the admin URL."""
    fd, name = tempfile.mkstemp(prefix="sioproxy-ops-", suffix=".stderr")
    stderr_path = Path(name)
    with os.fdopen(fd, "wb") as stderr:
        process = subprocess.Popen(
            list(argv),
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=stderr,
            cwd=cwd,
            env=dict(os.environ, PYTHONUNBUFFERED="1") if env is None else env,
        )
    try:
        first, second = _read_lines(process, 2)
    except AssertionError as exc:
        stop_process(process)
        raise AssertionError(f"{exc}\n{stderr_path.read_text('utf-8', 'replace')}") from None
    assert first.startswith(PREFIX), first
    assert second.startswith(ADMIN_PREFIX), second
    return RunningSioproxy(process, first[len(PREFIX) :], stderr_path), second[len(ADMIN_PREFIX) :]


def sioproxy_cmd(*args: str) -> list[str]:
    return [sys.executable, "-m", "sioproxy", *args]
