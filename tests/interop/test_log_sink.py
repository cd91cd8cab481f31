"""The default log of ``record`` on standard output: nothing dropped when the reader
keeps up, and a reader that stalls costs log lines, never the relay.

Real peers: the node socket.io 4 scenario server and a python-socketio client
(websocket) making emit-with-ack round trips through ``sioproxy record`` (log
lines on). Standard output of the proxy is a file, a pipe read by a real ``cat``
process, or a pipe this test never reads (docs/logging.md, "A slow reader").
"""

from __future__ import annotations

import os
import re
import select
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from typing import Any

import pytest
import socketio

from tests.interop.conftest import ServerFactory
from tests.interop.peers import REPO
from tests.interop.sioproxy_proc import record_args

pytestmark = pytest.mark.interop

ROUND_TRIPS = 500
PAYLOAD = {"text": "a log line long enough to fill a pipe soon " * 3}
DROPPED = re.compile(r"^sioproxy_log_lines_dropped_total (\d+)", re.M)
WAIT = 60.0


def start_proxy(args: list[str], stdout: Any) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [sys.executable, "-m", "sioproxy", *args],
        stdin=subprocess.DEVNULL,
        stdout=stdout,
        stderr=subprocess.DEVNULL,
        cwd=REPO,
    )


def stop(process: subprocess.Popen[Any]) -> None:
    if process.poll() is None:
        os.kill(process.pid, signal.SIGTERM)
        try:
            process.wait(20)
        except subprocess.TimeoutExpired:
            os.kill(process.pid, signal.SIGKILL)
            process.wait(10)


def urls_from(read_text: Any) -> tuple[str, str]:
    """The proxy and admin URLs from the first lines of its output (bounded wait)."""
    deadline = time.monotonic() + WAIT
    while time.monotonic() < deadline:
        text = read_text()
        proxy = re.search(r"sioproxy listening on (\S+)", text)
        admin = re.search(r"sioproxy admin on (\S+)", text)
        if proxy and admin:
            return proxy.group(1), admin.group(1)
        time.sleep(0.05)
    raise AssertionError(f"no listening lines in {read_text()!r}")


def round_trips(url: str) -> int:
    """Emit-with-ack ``ROUND_TRIPS`` times; returns how many acks came back."""
    client = socketio.Client(reconnection=False)
    client.connect(url, transports=["websocket"], wait_timeout=30)
    answered = 0
    try:
        for i in range(ROUND_TRIPS):
            reply = client.call("ack_me", {"seq": i, **PAYLOAD}, timeout=30)
            answered += reply == ({"seq": i, **PAYLOAD}, "ack")
    finally:
        client.disconnect()
    return answered


def dropped(admin: str) -> int:
    with urllib.request.urlopen(f"{admin}/metrics", timeout=30) as response:
        match = DROPPED.search(response.read().decode())
    assert match is not None, "no sioproxy_log_lines_dropped_total in /metrics"
    return int(match.group(1))


@pytest.mark.parametrize("stdout", ["file", "pipe read by cat"])
def test_a_reader_that_keeps_up_gets_every_line(
    peer_server: ServerFactory, tmp_path: Path, stdout: str
) -> None:
    upstream = peer_server("node-sio4").url
    log = tmp_path / "log.txt"
    args = record_args(upstream, tmp_path / "rec.jsonl", "--admin", "127.0.0.1:0")
    with log.open("wb") as sink:
        if stdout == "file":
            reader = None
            proxy = start_proxy(args, sink)
        else:
            reader = subprocess.Popen(["cat"], stdin=subprocess.PIPE, stdout=sink)
            assert reader.stdin is not None
            proxy = start_proxy(args, reader.stdin)
            reader.stdin.close()  # the proxy holds the pipe's only writer now
    try:
        url, admin = urls_from(lambda: log.read_text("utf-8", "replace"))
        assert round_trips(url) == ROUND_TRIPS
        assert dropped(admin) == 0
    finally:
        stop(proxy)
        if reader is not None:
            reader.wait(20)
    lines = log.read_text("utf-8").splitlines()
    asked = [line for line in lines if ' -> websocket / event "ack_me" id=' in line]
    answered = [line for line in lines if " <- websocket / ack id=" in line]
    assert (len(asked), len(answered)) == (ROUND_TRIPS, ROUND_TRIPS)
    assert not [line for line in lines if "dropped" in line]
    assert "recording " in lines[-1]


def test_a_stalled_reader_costs_log_lines_not_the_relay(
    peer_server: ServerFactory, tmp_path: Path
) -> None:
    upstream = peer_server("node-sio4").url
    extra = ["--admin", "127.0.0.1:0", "--log-buffer", "10000"]
    read_end, write_end = os.pipe()
    proxy = start_proxy(record_args(upstream, tmp_path / "rec.jsonl", *extra), write_end)
    os.close(write_end)
    seen = bytearray()

    def read_some() -> str:
        if select.select([read_end], [], [], 0.05)[0]:
            seen.extend(os.read(read_end, 4096))
        return seen.decode("utf-8", "replace")

    try:
        url, admin = urls_from(read_some)
        # From here on nobody reads the pipe: 1,000 lines of about 230 bytes
        # overflow the pipe (64 KiB) and the 10,000-byte log buffer.
        assert round_trips(url) == ROUND_TRIPS
        lost = dropped(admin)
        assert lost > 0
    finally:
        if proxy.poll() is None:
            os.kill(proxy.pid, signal.SIGTERM)
        deadline = time.monotonic() + WAIT
        while time.monotonic() < deadline:  # read to the end: the exit summary comes last
            if select.select([read_end], [], [], 0.5)[0]:
                chunk = os.read(read_end, 1 << 16)
                if not chunk:
                    break
                seen.extend(chunk)
        os.close(read_end)
        stop(proxy)
    tail = seen.decode("utf-8", "replace").splitlines()[-3:]
    summary = [line for line in tail if "lines dropped" in line]
    assert summary, tail
    assert int(re.search(r"log: (\d+) lines dropped", summary[0]).group(1)) >= lost  # type: ignore[union-attr]
    assert any("recording " in line for line in tail)
