"""Hostile inputs against live processes: is the work linear, does /health keep answering?

    .venv/bin/python bench/hostile_linear.py [--json FILE] [--only TEXT] [--nice N]

Starts the node socket.io 4 peer, ``sioproxy record --max-body 40000000
--admin`` in front of it and ``sioproxy replay --admin`` of a small
recording, then sends each hostile input of issue "T2 2/10" at sizes N, 2N
and 4N: empty WebSocket continuation fragments (to the proxy and to the
replay server), one big frame cut into 64 KiB writes, one event of dense
JSON (many small values, objects or arrays) up to the default --max-body, a
polling POST of noops (under and over the decoding limit), and JSON nested
300/600/900 deep. For each it prints the wall time until the answer (the
echo, the ack, the 1009 close or the HTTP response), the CPU seconds the
sioproxy process used, the ratio to the size-N row (linear: about 2 and 4),
and the slowest ``/health`` answer measured every 20 ms meanwhile (target:
under 100 ms).
Timing lives here, not in the tests (tests/hostile/test_parsers.py asserts
the behaviour).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sioproxy.codec.wsframe import TEXT, encode_frame
from tests.hostile.harness import (
    WsClient,
    bystander_ws,
    polling_open,
    post,
    start_stack,
)
from tests.hostile.test_parsers import fragments, nested
from tests.ops.helpers import http_get, launch_sioproxy, sioproxy_cmd

CHUNK = 64 * 1024
SETTLE_SECONDS = 0.3


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / 100  # utime + stime, in ticks of 10 ms


@contextmanager
def health_probe(admin: str) -> Iterator[list[float]]:
    """GET /health every 20 ms in a thread; yields the list of latencies (seconds)."""
    latencies: list[float] = []
    stop = threading.Event()

    def run() -> None:
        while not stop.is_set():
            start = time.perf_counter()
            http_get(f"{admin}/health", timeout=30.0)
            latencies.append(time.perf_counter() - start)
            stop.wait(0.02)

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    try:
        yield latencies
    finally:
        stop.set()
        thread.join(35)


def measure(pid: int, admin: str, action: Callable[[], None]) -> dict[str, float]:
    cpu0 = cpu_seconds(pid)
    with health_probe(admin) as latencies:
        time.sleep(0.05)  # a baseline probe first
        start = time.perf_counter()
        action()
        wall = time.perf_counter() - start
        # Logging and recording may go on in slices after the answer
        # (sioproxy.proxy.backlog): the CPU and the probe include them.
        time.sleep(SETTLE_SECONDS)
    return {"wall": wall, "cpu": cpu_seconds(pid) - cpu0, "health_max": max(latencies)}


def ws_echo(url: str, data: bytes, prefix: str = "42", answers: int = 1) -> Callable[[], None]:
    """Open a session, send ``data`` raw, wait for ``answers`` messages starting with ``prefix``."""

    def action() -> None:
        client = WsClient(url)
        try:
            client.open_sio()
            client.ws.sock.sendall(data)
            for _ in range(answers):
                client.recv_until(lambda d: isinstance(d, str) and d.startswith(prefix))
        finally:
            client.close()

    return action


def ws_chunked_until_closed(
    url: str, frame: bytes, chunk: int = CHUNK, *, echoed: bool = False
) -> Callable[[], None]:
    def action() -> None:
        client = WsClient(url)
        try:
            client.open_sio()
            for start in range(0, len(frame), chunk):
                client.ws.sock.sendall(frame[start : start + chunk])
            if echoed:
                client.recv_until(lambda d: isinstance(d, str) and d.startswith("42"))
                return
            for _ in range(100):  # the upstream refuses it (1009); the close comes back
                opcode, _ = client.ws.recv_data_frame(True)
                if opcode == 0x8:
                    return
        except Exception:  # closed without a close frame: done as well
            return
        finally:
            client.close()

    return action


def ws_closed(url: str, data: bytes) -> Callable[[], None]:
    """Send ``data``; wait until the proxy closes the connection."""

    def action() -> None:
        client = WsClient(url)
        try:
            client.open_sio()
            client.ws.sock.sendall(data)
            for _ in range(100):
                opcode, _ = client.ws.recv_data_frame(True)
                if opcode == 0x8:
                    return
        except Exception:  # closed without a close frame: done as well
            return
        finally:
            client.close()

    return action


def echo_frame(kib: int) -> bytes:
    return encode_frame(TEXT, b'42["echo","' + b"e" * (kib << 10) + b'"]', masked=True)


def poll_post(stack: Any, body: bytes) -> Callable[[], None]:
    sid = polling_open(stack)

    def action() -> None:
        status, _ = post(stack, sid, body)
        assert status == 200, status

    return action


def row(
    name: str, sizes: list[int], unit: str, run: Callable[[int], dict[str, float]]
) -> dict[str, Any]:
    results = []
    for size in sizes:
        got = run(size)
        results.append({"size": size, **got})
    base = results[0]
    print(f"\n{name}")
    print(f"  {'size':>12} {unit:<10} {'wall s':>8} {'cpu s':>7} {'ratio':>6} {'/health max':>12}")
    for r in results:
        ratio = r["cpu"] / base["cpu"] if base["cpu"] > 0 else float("nan")
        print(
            f"  {r['size']:>12,} {'':<10} {r['wall']:>8.3f} {r['cpu']:>7.2f} {ratio:>6.2f}"
            f" {r['health_max'] * 1000:>9.1f} ms"
        )
    return {"name": name, "unit": unit, "rows": results}


def noops(count: int) -> bytes:
    return "\x1e".join(["6"] * count).encode()


def deep_frame(depth: int) -> bytes:
    return encode_frame(TEXT, f'42["echo","a\\n",{nested(depth)}]'.encode(), masked=True)


def dense_frame(kib: int, unit: str) -> bytes:
    """``42["echo",[UNIT,UNIT,...,0]]`` of about ``kib`` KiB: one event, dense JSON."""
    count = (kib << 10) // len(unit)
    return encode_frame(TEXT, f'42["echo",[{unit * count}0]]'.encode(), masked=True)


# Dense JSON units: many small values, many objects, many small nested arrays.
DENSE_UNITS = ("0,", '{"a":1},', "[[0]],")


def big_frame(kib: int) -> bytes:
    return encode_frame(TEXT, b"4" + b"x" * (kib << 10), masked=True)


PER_MESSAGE = 2500  # fragments per message in the many-fragments rows (the cap is 10,000)


def fragmented_messages(text: str, total: int) -> bytes:
    """``total`` empty continuation fragments, in messages of ``PER_MESSAGE``."""
    return fragments(text, PER_MESSAGE - 2) * (total // PER_MESSAGE)


Spec = tuple[str, list[int], str, Callable[[int], dict[str, float]]]


def specs(stack: Any, replay: Any, replay_admin: str) -> list[Spec]:
    pid, admin, url = stack.proxy.process.pid, stack.admin, stack.ws_url()
    rpid = replay.process.pid
    rurl = replay.url.replace("http://", "ws://") + "/socket.io/?EIO=4&transport=websocket"
    ack_me = '421["ack_me","still-here"]'
    return [
        (
            "proxy: one message in N empty continuation fragments (echoed)",
            [2500, 5000, 10000 - 2],
            "fragments",
            lambda n: measure(pid, admin, ws_echo(url, fragments('42["echo","f"]', n - 2))),
        ),
        (
            f"proxy: N empty continuation fragments, {PER_MESSAGE:,} per message (all echoed)",
            [50_000, 100_000, 200_000],
            "fragments",
            lambda n: measure(
                pid,
                admin,
                ws_echo(url, fragmented_messages('42["echo","f"]', n), answers=n // PER_MESSAGE),
            ),
        ),
        (
            "proxy: the attack, 20,000 empty fragments in one message (closed 1009 at 10,000)",
            [20_000],
            "fragments",
            lambda n: measure(pid, admin, ws_closed(url, fragments('42["echo","f"]', n - 2))),
        ),
        (
            "replay server: one message in N empty continuation fragments (acked)",
            [2500, 5000, 10000 - 2],
            "fragments",
            lambda n: measure(rpid, replay_admin, ws_echo(rurl, fragments(ack_me, n - 2), "43")),
        ),
        (
            "proxy: one frame of N KiB in 64 KiB writes (until the upstream's 1009 close)",
            [8 << 10, 16 << 10, 32 << 10],
            "KiB",
            lambda n: measure(pid, admin, ws_chunked_until_closed(url, big_frame(n))),
        ),
        (
            "proxy: the same frames in one write",
            [8 << 10, 16 << 10, 32 << 10],
            "KiB",
            lambda n: measure(pid, admin, ws_chunked_until_closed(url, big_frame(n), 1 << 30)),
        ),
        (
            "proxy: one frame of N KiB in 4 KiB writes (up to the default --max-body, echoed)",
            [250, 500, 976],
            "KiB",
            lambda n: measure(
                pid, admin, ws_chunked_until_closed(url, echo_frame(n), 4096, echoed=True)
            ),
        ),
        *(
            (
                f"proxy: dense JSON event ({unit}) in 4 KiB writes, echoed",
                [250, 500, 976],
                "KiB",
                lambda n, unit=unit: measure(
                    pid,
                    admin,
                    ws_chunked_until_closed(url, dense_frame(n, unit), 4096, echoed=True),
                ),
            )
            for unit in DENSE_UNITS
        ),
        (
            "proxy: polling POST of N noops, decoded (under the 10,000 limit)",
            [2500, 5000, 10000],
            "packets",
            lambda n: measure(pid, admin, poll_post(stack, noops(n))),
        ),
        (
            "proxy: polling POST of N noops, over the limit (relayed, recorded raw)",
            [83250, 166500, 333000],
            "packets",
            lambda n: measure(pid, admin, poll_post(stack, noops(n))),
        ),
        (
            "proxy: event with JSON nested N deep (echoed; over 256: recorded raw)",
            [300, 600, 900],
            "levels",
            lambda n: measure(pid, admin, ws_echo(url, deep_frame(n))),
        ),
    ]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--json", metavar="FILE", help="also write the figures as JSON")
    parser.add_argument(
        "--only", metavar="TEXT", default="", help="run only the rows whose name contains TEXT"
    )
    parser.add_argument(
        "--nice",
        type=int,
        default=0,
        metavar="N",
        help=(
            "run this script, the proxies and the upstream at priority N (e.g. -10, as root):"
            " on a machine busy with other work, /health then shows the proxy's own delays"
        ),
    )
    args = parser.parse_args(argv)
    tmp = Path(tempfile.mkdtemp(prefix="hostile-linear-"))
    stack = start_stack(tmp, "node-sio4", "--max-body", "40000000")
    out: list[dict[str, Any]] = []
    try:
        for _ in range(6):
            bystander_ws(stack)  # sessions for the replay server below
        time.sleep(1.0)  # the recorder writes every 0.1 s
        replay, replay_admin = launch_sioproxy(
            sioproxy_cmd("replay", str(stack.out), "--listen", "127.0.0.1:0", "--admin", ":0")
        )
        if args.nice:
            pids = (0, stack.proxy.process.pid, stack.server.process.pid, replay.process.pid)
            for pid in pids:
                os.setpriority(os.PRIO_PROCESS, pid, args.nice)
        try:
            for name, sizes, unit, run in specs(stack, replay, replay_admin):
                if args.only in name:
                    out.append(row(name, sizes, unit, run))
        finally:
            replay.stop()
    finally:
        stack.stop()
    if args.json:
        Path(args.json).write_text(json.dumps(out, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
