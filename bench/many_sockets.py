"""Many concurrent sockets through ``sioproxy record``, and host-name vs IP upstreams.

Benchmark tool (not part of the package; a bench script, not a test). Uses
bench/run.py's peers (bench/node/server.js, bench/node/load.js) and process
helpers. Per repetition, interleaved, fresh processes each time:

* ``direct`` and ``record -q`` with ``--sockets`` (default 9,000) sockets opened
  at once: sockets connected, seconds until every ``connect``, proxy RSS (MB)
  then; with the sockets still open, a steady emit+ack load on one more socket
  (``--acks`` with 100 in flight): acks answered of those sent (no loss) and
  ops/s;
* ``record -q --upstream http://127.0.0.1:PORT`` and ``http://localhost:PORT``
  with ``--name-sockets`` (default 5,000) sockets: connect time (the name is
  looked up once per ``--resolve-ttl``, sioproxy/net/resolve.py).

The proxy holds two descriptors per socket: 9,000 sockets need about 18,000,
under the hard open-file limit of 20,000 here; sioproxy raises its soft limit
to the hard one at start-up, and this script does the same for the node peers.

    python bench/many_sockets.py [--reps 3] [--sockets 9000] [--name-sockets 5000]
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

import run  # bench/run.py: peers and process helpers


def start_record(upstream: str, tmp: Path) -> tuple[subprocess.Popen[str], str]:
    args = [run.PY, "-m", "sioproxy", "record", "-q", "--listen", "127.0.0.1:0"]
    args += ["--upstream", upstream, "--out", str(tmp / f"rec-{time.monotonic_ns()}.jsonl")]
    errors = (tmp / "record.stderr").open("a")
    proc = run.spawn(args, stderr=errors)
    errors.close()
    port = int(run.read_line(proc, 30).rsplit(":", 1)[1])
    return proc, f"http://127.0.0.1:{port}"


def many(kind: str, count: int, acks: int, tmp: Path, out: dict[str, list[float]]) -> None:
    """``count`` sockets at once, then an emit+ack load beside them."""
    with run.node_server() as port:
        proc, pid = None, None
        url = f"http://127.0.0.1:{port}"
        if kind == "record":
            proc, url = start_record(url, tmp)
            pid = proc.pid
        conns = run.load("conns", url, {"sockets": count, "limit": 120})
        try:
            res = run.result_line(conns, 180)
            out[f"{kind} connected"].append(res["connected"])
            out[f"{kind} connect s"].append(res["seconds"])
            if pid is not None:
                out[f"{kind} RSS MB"].append(run.rss_mb(pid))
            phase = {"phase": "tput", "n": acks, "inflight": 100, "limit": 60}
            (tput,) = run.session(url, pid, [phase], {"transport": "websocket"})
            out[f"{kind} acks answered"].append(tput["ops"])
            out[f"{kind} emit+ack ops/s"].append(tput["rate"])
        finally:
            run.stop(conns)
            run.stop(proc)


def by_name(host: str, count: int, tmp: Path, out: dict[str, list[float]]) -> None:
    with run.node_server() as port:
        proc, url = start_record(f"http://{host}:{port}", tmp)
        try:
            res = run.connections(url, proc.pid, count, 120)
            out[f"upstream {host} connected"].append(res["connected"])
            out[f"upstream {host} connect s"].append(res["seconds"])
        finally:
            run.stop(proc)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reps", type=int, default=3)
    parser.add_argument("--sockets", type=int, default=9000)
    parser.add_argument("--name-sockets", type=int, default=5000)
    parser.add_argument("--acks", type=int, default=20000)
    args = parser.parse_args()
    run.raise_fd_limit()
    out: dict[str, list[float]] = defaultdict(list)
    jobs: list[tuple[Any, ...]] = [
        (many, "direct", args.sockets, args.acks),
        (many, "record", args.sockets, args.acks),
        (by_name, "127.0.0.1", args.name_sockets),
        (by_name, "localhost", args.name_sockets),
    ]
    with tempfile.TemporaryDirectory(prefix="sioproxy-bench-") as tmpdir:
        for rep in range(args.reps):
            for fn, *params in jobs[rep % len(jobs) :] + jobs[: rep % len(jobs)]:
                started = time.monotonic()
                try:
                    fn(*params, Path(tmpdir), out)
                except (RuntimeError, OSError, KeyError, subprocess.SubprocessError) as exc:
                    print(f"  {fn.__name__} {params[0]}: failed: {exc}", file=sys.stderr)
                took = time.monotonic() - started
                print(f"  {fn.__name__} {params[0]}: {took:.1f} s", file=sys.stderr, flush=True)
    print(f"| metric ({args.reps} interleaved repetitions) | median [min-max] |")
    print("|---|---|")
    for key, values in out.items():
        med = statistics.median(values)
        print(f"| {key} | {med:,.2f} [{min(values):,.2f}-{max(values):,.2f}] |")
    ratios = (
        ("record / direct connect time", "record connect s", "direct connect s"),
        ("localhost / 127.0.0.1 upstream connect", "upstream localhost connect s",
         "upstream 127.0.0.1 connect s"),
    )  # fmt: skip
    for label, a, b in ratios:
        if out.get(a) and out.get(b):
            print(f"| {label} | {statistics.median(out[a]) / statistics.median(out[b]):.2f}x |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
