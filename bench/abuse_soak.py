"""Abuse soak: connect/abuse/close cycles through ``sioproxy record``; RSS must stay flat.

Not a test (no timing in CI): run by hand or ``make abuse-soak``. Starts a real
socket.io 4 server (tests/peers node-sio4) and ``sioproxy record -q
--max-body 65536 --admin``, then runs N cycles, each one abusive connection
that is opened, misbehaves and goes away, the kinds taken in turn:

  binary     a binary event announcing 10 attachments, 9 of 4 KiB sent, hang-up (RST)
  oversize   the same with 9 attachments of 63 KiB (past max_body together), closed
  acks       200 events asking for acks nobody sends, closed
  longnsp    50 events with ack ids on a 1,000-character namespace (the server hangs up)
  churn      a WebSocket session: one emit, closed
  polling    a polling session: open, one emit, close packet
  upgrade    a polling session upgraded to WebSocket, closed
  madeup     a GET and a POST with made-up sids (the upstream's 400)

After the first ``--baseline`` cycles and at the end, it waits for every
tracked-state gauge of ``/metrics`` to read 0 and samples the proxy's RSS
(VmRSS) and CPU time (utime + stime). Target: RSS at the end within 10 % of
RSS after the baseline. Prints a Markdown table; exit 1 when the target or the
gauges fail, ``--report FILE`` writes the figures as JSON.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from tests.hostile.harness import (  # noqa: E402
    Stack,
    WsClient,
    metrics,
    polling_open,
    post,
    start_stack,
    wait_for,
)
from tests.hostile.test_state_freed import STATE_GAUGES, drop, placeholder_header  # noqa: E402
from tests.ops.helpers import http_get  # noqa: E402

TARGET = 1.10


def rss_kib(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def binary(stack: Stack, n: int, size: int = 4096) -> None:
    client = WsClient(stack.ws_url())
    client.open_sio()
    client.ws.send(placeholder_header(10))
    for _ in range(9):
        client.ws.send_binary(b"\x01" * size)
    drop(client)


def oversize(stack: Stack, n: int) -> None:
    client = WsClient(stack.ws_url())
    client.open_sio()
    client.ws.send(placeholder_header(10))
    for _ in range(9):
        client.ws.send_binary(b"\x02" * (63 * 1024))
    client.close()


def acks(stack: Stack, n: int) -> None:
    client = WsClient(stack.ws_url())
    client.open_sio()
    for i in range(1, 201):
        client.ws.send(f'42{i}["nobody_listens"]')
    client.close()


def longnsp(stack: Stack, n: int) -> None:
    nsp = "/" + "n" * 1000
    client = WsClient(stack.ws_url())
    client.open_sio()
    try:
        for i in range(1, 51):
            client.ws.send(f'42{nsp},{i}["nobody_listens"]')
    except Exception:  # the server hangs up on a namespace it never joined
        pass
    client.close()


def churn(stack: Stack, n: int) -> None:
    client = WsClient(stack.ws_url())
    client.open_sio()
    client.ws.send('42["echo","x"]')
    client.close()


def polling(stack: Stack, n: int) -> None:
    sid = polling_open(stack)
    post(stack, sid, b'42["echo","x"]')
    post(stack, sid, b"1")


def upgrade(stack: Stack, n: int) -> None:
    sid = polling_open(stack)
    client = WsClient(stack.ws_url(f"EIO=4&transport=websocket&sid={sid}"))
    client.ws.send("2probe")
    client.recv_until(lambda d: d == "3probe")
    client.ws.send("5")
    client.close()


def madeup(stack: Stack, n: int) -> None:
    http_get(f"{stack.proxy.url}/socket.io/?EIO=4&transport=polling&sid=madeup{n}")
    post(stack, f"posted{n}", b"1")


KINDS: tuple[Callable[[Stack, int], None], ...] = (
    binary,
    oversize,
    acks,
    longnsp,
    churn,
    polling,
    upgrade,
    madeup,
)


def settle(stack: Stack, gauges: bool = True) -> dict[str, float]:
    def freed() -> bool:
        scraped = metrics(stack.admin)
        return not any(scraped.get(key, 1.0) for key in STATE_GAUGES)

    if gauges:
        wait_for("every tracked-state gauge at 0", freed, timeout=60)
    time.sleep(1.0 if gauges else 3.0)  # the last closes, then the allocator settles
    scraped = metrics(stack.admin)
    return {key: scraped[key] for key in STATE_GAUGES if key in scraped}


def sample(stack: Stack, cycles: int, t0: float, wait: bool) -> dict[str, Any]:
    gauges = settle(stack, wait)
    pid = stack.proxy.process.pid
    return {
        "cycles": cycles,
        "seconds": round(time.monotonic() - t0, 1),
        "rss_mib": round(rss_kib(pid) / 1024, 1),
        "cpu_s": round(cpu_seconds(pid), 1),
        "gauges": gauges,
    }


def run(cycles: int, baseline: int, every: int, wait: bool = True) -> dict[str, Any]:
    with tempfile.TemporaryDirectory(prefix="sioproxy-abuse-") as tmp:
        stack = start_stack(Path(tmp), "node-sio4", "-q")
        try:
            samples = [sample(stack, 0, time.monotonic(), wait)]
            t0 = time.monotonic()
            for n in range(cycles):
                KINDS[n % len(KINDS)](stack, n)
                done = n + 1
                if done in (baseline, cycles) or done % every == 0:
                    samples.append(sample(stack, done, t0, wait))
                    print(json.dumps(samples[-1]), file=sys.stderr, flush=True)
            recording = sum(1 for _ in (Path(tmp) / "rec.jsonl").open("rb"))
        finally:
            stack.stop()
    base = next(s for s in samples if s["cycles"] == baseline)
    end = samples[-1]
    ratio = end["rss_mib"] / base["rss_mib"]
    return {
        "cycles": cycles,
        "baseline": baseline,
        "samples": samples,
        "recording_lines": recording,
        "rss_ratio": round(ratio, 3),
        "cpu_ms_per_cycle": round(1000 * (end["cpu_s"] - samples[0]["cpu_s"]) / max(cycles, 1), 2),
        "ok": ratio <= TARGET,
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cycles", type=int, default=10_000)
    parser.add_argument("--baseline", type=int, default=100)
    parser.add_argument("--every", type=int, default=1000, help="sample every N cycles")
    parser.add_argument("--report", type=Path, help="write the figures as JSON")
    parser.add_argument(
        "--no-wait",
        action="store_true",
        help="do not wait for the state gauges to read 0 (for builds without them)",
    )
    args = parser.parse_args()
    if not 0 < args.baseline <= args.cycles:
        print(f"abuse_soak: --baseline {args.baseline}: must be in 1..--cycles", file=sys.stderr)
        return 2
    result = run(args.cycles, args.baseline, args.every, not args.no_wait)
    print("| cycles | seconds | proxy RSS (MiB) | proxy CPU (s) |")
    print("|---|---|---|---|")
    for s in result["samples"]:
        print(f"| {s['cycles']:,} | {s['seconds']} | {s['rss_mib']} | {s['cpu_s']} |")
    print(
        f"\nRSS end / RSS after {result['baseline']} cycles: {result['rss_ratio']} "
        f"(target <= {TARGET}); CPU {result['cpu_ms_per_cycle']} ms per cycle; "
        f"recording {result['recording_lines']:,} lines: {'OK' if result['ok'] else 'FAILED'}"
    )
    if args.report is not None:
        args.report.write_text(json.dumps(result, indent=2) + "\n")
    return 0 if result["ok"] else 1


if __name__ == "__main__":
    sys.exit(main())
