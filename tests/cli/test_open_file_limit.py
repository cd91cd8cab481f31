"""Listening commands raise the soft open-file limit to the hard one at start-up.

The proxy holds two descriptors per relayed socket; a soft limit of 1,024 (a
common default) would refuse clients past about 500 (docs/operations.md).
The test starts ``sioproxy proxy`` with a soft limit of 256 and reads the
running process's limits from ``/proc``.
"""

from __future__ import annotations

import os
import resource
import signal
import subprocess
import sys
from pathlib import Path

from tests.interop.peers import REPO, _read_first_line


def lowered_soft_limit() -> None:
    _soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (256, hard))


def open_files_limits(pid: int) -> tuple[str, str]:
    for line in Path(f"/proc/{pid}/limits").read_text().splitlines():
        if line.startswith("Max open files"):
            soft, hard = line.split()[3:5]
            return soft, hard
    raise AssertionError("no Max open files line")


def test_proxy_raises_the_soft_open_file_limit_to_the_hard_one() -> None:
    args = ["proxy", "-q", "--listen", "127.0.0.1:0", "--upstream", "http://127.0.0.1:9"]
    process = subprocess.Popen(
        [sys.executable, "-m", "sioproxy", *args],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        cwd=REPO,
        preexec_fn=lowered_soft_limit,
    )
    try:
        assert _read_first_line(process, 30).startswith(b"sioproxy listening on ")
        soft, hard = open_files_limits(process.pid)
    finally:
        os.kill(process.pid, signal.SIGTERM)
        process.wait(20)
    _own_soft, own_hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    expected = "unlimited" if own_hard == resource.RLIM_INFINITY else str(own_hard)
    assert hard == expected
    assert soft != "256"
    assert soft == hard or hard == "unlimited"
