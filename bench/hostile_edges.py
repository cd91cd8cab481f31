"""Edge limits under load: huge bodies, endless chunked bodies, slowloris, with RSS and CPU.

Not a test (no pass/fail on speed): prints a Markdown table of what each
hostile client cost the server process. Starts a real socket.io 4 server
(tests/peers node-sio4), ``sioproxy record --admin`` in front of it and
``sioproxy replay`` of the example recording, then:

* ``post-300MiB``: a POST announcing and sending 300 MiB (Content-Length) to
  the proxy and to the replay server;
* ``chunked-300MiB``: the same amount as a chunked body, to the proxy;
* ``slowloris``: N connections (default 1,500) each dribbling a header byte
  every 5 s, held for ``--header-timeout`` + 10 s;

and after each case a fresh WebSocket and polling session must complete an
emit with ack. For each case: the answer, seconds to it, what the client
managed to send, the server's RSS before, peak during (sampled every 10 ms)
and after, and its CPU seconds. ``--extra`` arguments go to both servers
(to run the same cases against an older sioproxy, leave them out).

    python bench/hostile_edges.py [--slowloris 1500] [--header-timeout 30]
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import socket
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from tests.hostile.edge_clients import (  # noqa: E402
    MIB,
    ChunkedFlood,
    connect,
    read_until_closed,
    replay_process,
    request_head,
)
from tests.hostile.harness import (  # noqa: E402
    Stack,
    bystander_polling,
    bystander_ws,
    polling_open,
    start_stack,
)
from tests.ops.helpers import http_get  # noqa: E402

TICKS = os.sysconf("SC_CLK_TCK")
Row = tuple[str, dict[str, Any]]


def rss_mib(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICKS  # utime + stime


class Peak(threading.Thread):
    """The highest RSS of ``pid`` while running (sampled every 10 ms)."""

    def __init__(self, pid: int) -> None:
        super().__init__(daemon=True)
        self.pid = pid
        self.peak = rss_mib(pid)
        self._halt = threading.Event()

    def run(self) -> None:
        while not self._halt.wait(0.01):
            self.peak = max(self.peak, rss_mib(self.pid))

    def stop(self) -> float:
        self._halt.set()
        self.join()
        return self.peak


def measure(pid: int, case: Callable[[], dict[str, Any]]) -> dict[str, Any]:
    rss0, cpu0 = rss_mib(pid), cpu_seconds(pid)
    peak = Peak(pid)
    peak.start()
    t0 = time.monotonic()
    result = case()
    result["seconds"] = time.monotonic() - t0
    result["peak"] = peak.stop()
    result.update(rss_before=rss0, rss_after=rss_mib(pid), cpu=cpu_seconds(pid) - cpu0)
    return result


def answer_line(data: bytes) -> str:
    return data.split(b"\r\n", 1)[0].decode("latin-1") or "(closed, no answer)"


def huge_post(url: str, target: str, size: int) -> dict[str, Any]:
    sock = connect(url, timeout=120)
    sent = [0]

    def send() -> None:
        piece = b"x" * MIB
        try:
            while sent[0] < size:
                sock.sendall(piece)
                sent[0] += len(piece)
        except OSError:
            pass

    try:
        sock.sendall(request_head("POST", target, f"Content-Length: {size}"))
        sender = threading.Thread(target=send, daemon=True)
        sender.start()
        data = read_until_closed(sock)
        sender.join(120)
    finally:
        sock.close()
    return {"answer": answer_line(data), "client_sent_mib": sent[0] / MIB}


def chunked_post(url: str, target: str, size: int) -> dict[str, Any]:
    sock = connect(url, timeout=120)
    try:
        sock.sendall(request_head("POST", target, "Transfer-Encoding: chunked"))
        flood = ChunkedFlood(sock, size, chunk=MIB).start()
        data = read_until_closed(sock)
        flood.stop()
    finally:
        sock.close()
    return {"answer": answer_line(data), "client_sent_mib": flood.sent / MIB}


def slowloris(url: str, count: int, hold: float) -> dict[str, Any]:
    socks: list[socket.socket] = []
    for _ in range(count):
        sock = connect(url, timeout=5)
        sock.sendall(b"GET /socket.io/?EIO=4&transport=polling HTTP/1.1\r\nHost: x\r\n")
        sock.setblocking(False)
        socks.append(sock)
    deadline = time.monotonic() + hold
    open_socks = list(socks)
    while open_socks and time.monotonic() < deadline:
        for sock in list(open_socks):
            try:
                sock.send(b"X")
                if sock.recv(4096) == b"":
                    open_socks.remove(sock)
            except BlockingIOError:
                continue
            except OSError:
                open_socks.remove(sock)
        time.sleep(5.0)
    for sock in socks:
        sock.close()
    return {"answer": f"{count - len(open_socks)} of {count} closed", "client_sent_mib": 0.0}


def fresh_clients(stack: Stack) -> str:
    bystander_ws(stack, "bench-ws")
    bystander_polling(stack, "bench-polling")
    return "ok"


def report(rows: list[Row]) -> None:
    print(
        "| case | answer | s | client sent (MiB) | RSS before | peak | after (MiB) | CPU s |"
        " fresh client |"
    )
    print("|---|---|---|---|---|---|---|---|---|")
    for name, r in rows:
        print(
            f"| {name} | {r['answer']} | {r['seconds']:.2f} | {r['client_sent_mib']:.0f} |"
            f" {r['rss_before']:.1f} | {r['peak']:.1f} | {r['rss_after']:.1f} |"
            f" {r['cpu']:.2f} | {r.get('fresh', '-')} |"
        )


def proxy_rows(args: argparse.Namespace, extra: list[str], tmp: Path) -> list[Row]:
    size = args.size_mib * MIB
    stack = start_stack(tmp, "node-sio4", *extra)
    rows: list[Row] = []
    try:
        pid, url = stack.proxy.pid, stack.proxy.url
        sid = polling_open(stack)
        target = f"/socket.io/?EIO=4&transport=polling&sid={sid}"
        cases = [
            (f"proxy: POST {args.size_mib} MiB", lambda: huge_post(url, target, size)),
            (f"proxy: chunked {args.size_mib} MiB", lambda: chunked_post(url, target, size)),
            (
                f"proxy: slowloris x{args.slowloris}",
                lambda: slowloris(url, args.slowloris, args.header_timeout + 10),
            ),
        ]
        for name, case in cases:
            row = measure(pid, case)
            row["fresh"] = fresh_clients(stack)
            rows.append((name, row))
    finally:
        stack.stop()
    return rows


def replay_row(args: argparse.Namespace, extra: list[str]) -> Row:
    with replay_process(*extra) as (replay, _admin):
        # A live session's POST: a body for an unknown sid is never looked at.
        _status, _type, body = http_get(f"{replay.url}/socket.io/?EIO=4&transport=polling")
        sid = json.loads(body[1:])["sid"]
        target = f"/socket.io/?EIO=4&transport=polling&sid={sid}"
        row = measure(replay.pid, lambda: huge_post(replay.url, target, args.size_mib * MIB))
        return (f"replay: POST {args.size_mib} MiB", row)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size-mib", type=int, default=300)
    parser.add_argument("--slowloris", type=int, default=1500)
    parser.add_argument("--header-timeout", type=float, default=30.0, help="the servers' value")
    parser.add_argument("--extra", nargs="*", default=None, help="extra server arguments")
    parser.add_argument("--replay-only", action="store_true", help="only the replay case")
    args = parser.parse_args()
    _soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    extra = args.extra if args.extra is not None else ["--header-timeout", str(args.header_timeout)]
    rows: list[Row] = []
    with tempfile.TemporaryDirectory() as tmp:
        if not args.replay_only:
            rows.extend(proxy_rows(args, extra, Path(tmp)))
        rows.append(replay_row(args, extra))
    report(rows)


if __name__ == "__main__":
    main()
