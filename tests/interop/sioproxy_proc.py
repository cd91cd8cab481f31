"""Run ``sioproxy`` itself as a subprocess, the way users and docker run it.

Test-side helper. The first stdout line of every listening command is
``sioproxy listening on http://HOST:PORT``; the rest of stdout (the packet log)
is drained by a thread into a list so the pipe never fills.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import tempfile
import threading
from collections.abc import Sequence
from pathlib import Path

from tests.interop.peers import REPO, PeerError, _read_first_line

PREFIX = "sioproxy listening on "
STOP_TIMEOUT = 10.0


class RunningSioproxy:
    """A ``sioproxy`` subprocess; ``url`` is where clients connect."""

    def __init__(self, process: subprocess.Popen[bytes], url: str, stderr_path: Path) -> None:
        self.process = process
        self._stderr_path = stderr_path
        self.url = url
        self.lines: list[str] = []
        self._reader = threading.Thread(target=self._drain, daemon=True)
        self._reader.start()

    def _drain(self) -> None:
        assert self.process.stdout is not None
        for raw in self.process.stdout:
            self.lines.append(raw.decode("utf-8", "replace").rstrip("\n"))

    @property
    def pid(self) -> int:
        return self.process.pid

    def stop(self, sig: int = signal.SIGTERM) -> int:
        """Signal by pid and wait; SIGKILL if it lingers. Returns the exit status."""
        if self.process.poll() is None:
            os.kill(self.process.pid, sig)
            try:
                self.process.wait(STOP_TIMEOUT)
            except subprocess.TimeoutExpired:
                os.kill(self.process.pid, signal.SIGKILL)
                self.process.wait(STOP_TIMEOUT)
        self._reader.join(STOP_TIMEOUT)
        return self.process.returncode

    def wait(self, timeout: float = STOP_TIMEOUT) -> int:
        """Wait for the process to exit by itself (``--exit-when-done``)."""
        self.process.wait(timeout)
        self._reader.join(STOP_TIMEOUT)
        return self.process.returncode

    def stderr_text(self) -> str:
        return self._stderr_path.read_text("utf-8", "replace")


def start_sioproxy(args: Sequence[str], *, ready_timeout: float = 20.0) -> RunningSioproxy:
    """Start ``python -m sioproxy ARGS`` and wait for its listening line."""
    cmd = [sys.executable, "-m", "sioproxy", *args]
    env = dict(os.environ, PYTHONUNBUFFERED="1")
    fd, name = tempfile.mkstemp(prefix="sioproxy-", suffix=".stderr")
    with os.fdopen(fd, "wb") as stderr:
        process = subprocess.Popen(
            cmd, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=stderr, cwd=REPO, env=env
        )
    stderr_path = Path(name)
    try:
        first = _read_first_line(process, ready_timeout).decode("utf-8", "replace").strip()
    except PeerError:
        process.kill()
        process.wait()
        raise
    if not first.startswith(PREFIX):
        process.kill()
        process.wait(STOP_TIMEOUT)
        err = stderr_path.read_text("utf-8", "replace")
        raise PeerError(f"sioproxy did not start: {first!r}\n{err}")
    return RunningSioproxy(process, first[len(PREFIX) :], stderr_path)


def record_args(upstream: str, out: Path, *extra: str) -> list[str]:
    return ["record", "--listen", "127.0.0.1:0", "--upstream", upstream, "--out", str(out), *extra]
