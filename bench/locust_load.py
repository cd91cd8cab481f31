"""Emit-with-ack throughput of ``sioproxy locust`` against replay-client and python-socketio.

Layer: a benchmark script, not part of the package. Run it as
``.venv/bin/python bench/locust_load.py`` (about 2 minutes; ``--seconds``,
``--users``). Everything runs on 127.0.0.1 against one node socket.io 4
server (tests/peers/node-sio4), in the same run:

1. a recording made through ``sioproxy record``: a python-socketio client
   makes ``--acks`` emits-with-ack (``ack_me``) over one WebSocket;
2. baseline: ``--users`` python-socketio ``AsyncClient``s in this process, each
   calling ``ack_me`` in a loop for ``--seconds``;
3. ``sioproxy replay-client --clients N`` with N = ``--users`` (each client
   plays the recording once);
4. ``sioproxy locust`` headless with a master and 1, then 2, worker
   processes, ``--users`` users for ``--seconds``.

Prints emits-with-ack per second (wall clock; for Locust, per worker too),
per client CPU second (every client-side process: this one for the
baseline, the command's processes otherwise, the Locust master included)
and the ratio of each to the baseline. docs/load.md "Benchmark"
holds a run's output.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import socketio

from tests.interop.peers import REPO, start_server
from tests.interop.sioproxy_proc import record_args, start_sioproxy
from tests.locust.helpers import run_locust


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def record(server_url: str, out: Path, acks: int) -> None:
    proxy = start_sioproxy(record_args(server_url, out))
    try:
        client = socketio.Client()
        client.connect(proxy.url, transports=["websocket"])
        for i in range(acks):
            client.call("ack_me", f"x{i}", timeout=10)
        client.disconnect()
    finally:
        proxy.stop()


def baseline(url: str, users: int, seconds: float) -> tuple[int, float, float]:
    async def one(deadline: float) -> int:
        client = socketio.AsyncClient()
        await client.connect(url, transports=["websocket"])
        done = 0
        while time.monotonic() < deadline:
            await client.call("ack_me", f"x{done}", timeout=10)
            done += 1
        await client.disconnect()
        return done

    async def run() -> int:
        deadline = time.monotonic() + seconds
        return sum(await asyncio.gather(*(one(deadline) for _ in range(users))))

    cpu, wall = time.process_time(), time.monotonic()
    count = asyncio.run(run())
    return count, time.monotonic() - wall, time.process_time() - cpu


def replay_clients(recording: Path, url: str, users: int) -> tuple[int, float, float]:
    cmd = [sys.executable, "-m", "sioproxy", "replay-client", str(recording), "--target", url]
    cmd += ["--clients", str(users), "--quiet", "--report", str(recording) + ".report.json"]
    cpu, wall = _children_cpu(), time.monotonic()
    subprocess.run(cmd, capture_output=True, timeout=600, cwd=REPO, check=True)
    elapsed, spent = time.monotonic() - wall, _children_cpu() - cpu
    report = json.loads(Path(str(recording) + ".report.json").read_text("utf-8"))
    stats = report["stats"]
    return stats["ack_round_trips"], stats["seconds"] or elapsed, spent


def locust(
    recording: Path, url: str, users: int, seconds: int, workers: int
) -> tuple[int, float, float]:
    out = Path(tempfile.mkdtemp(prefix="bench-locust-"))
    cpu = _children_cpu()
    run = run_locust(recording, url, out, users=users, seconds=seconds, workers=workers)
    spent = _children_cpu() - cpu
    emits = run.entries("emit")
    count = sum(e["num_requests"] for e in emits)
    # Locust's own clock: first emit entry started to last emit answered.
    wall = max(e["last_request_timestamp"] for e in emits) - min(e["start_time"] for e in emits)
    return count, wall, spent


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=int, default=15)
    parser.add_argument("--users", type=int, default=50)
    parser.add_argument("--acks", type=int, default=100)
    opts = parser.parse_args()
    server = start_server("node-sio4")
    rows: list[tuple[str, int, float, float]] = []
    try:
        recording = Path(tempfile.mkdtemp(prefix="bench-locust-")) / "acks.jsonl"
        record(server.url, recording, opts.acks)
        runs: list[tuple[str, Callable[[], tuple[int, float, float]]]] = [
            ("python-socketio AsyncClient loop", lambda: baseline(server.url, opts.users, 10)),
            (
                "replay-client --clients N",
                lambda: replay_clients(recording, server.url, opts.users),
            ),
            (
                "sioproxy locust, 1 worker",
                lambda: locust(recording, server.url, opts.users, opts.seconds, 1),
            ),
            (
                "sioproxy locust, 2 workers",
                lambda: locust(recording, server.url, opts.users, opts.seconds, 2),
            ),
        ]
        for name, run in runs:
            count, wall, cpu = run()
            rows.append((name, count, wall, cpu))
            print(f"  {name}: {count} emits-with-ack in {wall:.1f} s, {cpu:.1f} CPU s", flush=True)
    finally:
        server.stop()
    base_rate = rows[0][1] / rows[0][2]
    base_cpu = rows[0][1] / rows[0][3]
    load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
    print(f"\nusers/clients: {opts.users}, recording: {opts.acks} emits-with-ack each")
    print(f"load average at the end: {load} on {os.cpu_count()} CPUs (shared machines are noisy)")
    head = f"{'client':30} {'emits/s':>8} {'x base':>7} {'per worker':>10}"
    print(f"{head} {'emits/CPU s':>12} {'x base':>7}")
    for name, count, wall, cpu in rows:
        rate, per_cpu = count / wall, count / cpu if cpu else 0.0
        workers = 2 if name.endswith("2 workers") else 1
        per_worker = f"{rate / workers:10.0f}" if "locust" in name else f"{'-':>10}"
        ratios = f"{per_cpu:12.0f} {per_cpu / base_cpu:7.2f}"
        print(f"{name:30} {rate:8.0f} {rate / base_rate:7.2f} {per_worker} {ratios}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
