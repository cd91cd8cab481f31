"""Soak: thousands of sockets through ``sioproxy record`` with steady emit-with-ack traffic.

Run by ``make soak`` (not in CI). Starts a real socket.io 4 server
(tests/peers node-sio4), ``sioproxy record`` in front of it, and the node load
generator ``bench/soak/load.js``; samples the proxy's RSS every 10 s; at the
end checks the load generator's counts (zero lost, duplicated or reordered
acks) and the recording (every emit and every ack recorded once, in order per
socket). Prints a Markdown summary; ``--report`` writes the figures as JSON.
"""

from __future__ import annotations

import argparse
import json
import resource
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections import defaultdict
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from tests.interop.peers import start_server  # noqa: E402
from tests.interop.sioproxy_proc import start_sioproxy  # noqa: E402

SAMPLE_SECONDS = 10.0


def rss_kib(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


def raise_fd_limit() -> int:
    _soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    return hard


class Sampler(threading.Thread):
    """RSS of the proxy every ``SAMPLE_SECONDS`` until stopped."""

    def __init__(self, pid: int) -> None:
        super().__init__(daemon=True)
        self.pid = pid
        self.samples: list[tuple[float, int]] = []
        self._stop_event = threading.Event()
        self._t0 = time.monotonic()

    def run(self) -> None:
        while not self._stop_event.is_set():
            try:
                self.samples.append((round(time.monotonic() - self._t0, 1), rss_kib(self.pid)))
            except OSError:
                return
            self._stop_event.wait(SAMPLE_SECONDS)

    def stop(self) -> None:
        self._stop_event.set()
        self.join(SAMPLE_SECONDS * 2)


def check_recording(path: Path) -> dict[str, Any]:
    """Per socket: the emits and acks the recording holds, in order, once each."""
    emits: dict[int, list[int]] = defaultdict(list)
    acks: dict[int, list[int]] = defaultdict(list)
    lines = 0
    with path.open("rb") as fh:
        for raw in fh:
            lines += 1
            entry = json.loads(raw)
            sio = entry.get("packet", {}).get("sio") if entry.get("kind") == "packet" else None
            if not sio:
                continue
            data = sio.get("data")
            if sio["type"] == "event" and data and data[0] == "ack_me":
                emits[data[1]["c"]].append(data[1]["n"])
            elif sio["type"] == "ack" and data and isinstance(data[0], dict) and "c" in data[0]:
                acks[data[0]["c"]].append(data[0]["n"])

    def broken(series: dict[int, list[int]]) -> int:
        return sum(1 for ns in series.values() if ns != list(range(len(ns))))

    return {
        "lines": lines,
        "emits": sum(map(len, emits.values())),
        "acks": sum(map(len, acks.values())),
        "sockets_with_emits": len(emits),
        "sockets_out_of_order_or_gapped_emits": broken(emits),
        "sockets_out_of_order_or_gapped_acks": broken(acks),
        "sockets_with_unacked_emits": sum(
            1 for c in emits if len(acks.get(c, [])) != len(emits[c])
        ),
    }


def run(opts: argparse.Namespace) -> dict[str, Any]:
    fd_limit = raise_fd_limit()
    out = Path(opts.out or tempfile.mkdtemp(prefix="sioproxy-soak-")) / "soak.jsonl"
    server = start_server("node-sio4")
    proxy = None
    try:
        proxy = start_sioproxy(
            ["record", "--listen", "127.0.0.1:0", "--upstream", server.url, "--out", str(out), "-q"]
        )
        sampler = Sampler(proxy.pid)
        sampler.start()
        cmd = [
            "node",
            str(REPO / "bench" / "soak" / "load.js"),
            "--url",
            proxy.url,
            "--sockets",
            str(opts.sockets),
            "--seconds",
            str(opts.seconds),
            "--interval-ms",
            str(opts.interval_ms),
            "--ramp-per-s",
            str(opts.ramp_per_s),
        ]
        load = subprocess.Popen(cmd, stdout=subprocess.PIPE, text=True, cwd=REPO)
        result: dict[str, Any] = {}
        progress: list[dict[str, Any]] = []
        assert load.stdout is not None
        for line in load.stdout:
            kind, _, body = line.partition(" ")
            if kind == "progress":
                progress.append(json.loads(body))
                p = progress[-1]
                rss = sampler.samples[-1][1] if sampler.samples else 0
                print(
                    f"t={p['t']}s connected={p['connected']} sent={p['sent']} "
                    f"acked={p['acked']} rss={rss} KiB",
                    flush=True,
                )
            elif kind == "result":
                result = json.loads(body)
        load.wait(60)
        sampler.stop()
        proxy.stop(signal.SIGTERM)  # closes every connection entry and the file
        proxy_status = proxy.process.returncode
    finally:
        if proxy is not None:
            proxy.stop()
        server.stop()
    recorded = check_recording(out)
    size = out.stat().st_size
    if not opts.out:  # a 10-minute soak records hundreds of MB
        shutil.rmtree(out.parent, ignore_errors=True)
    return {
        "sockets": opts.sockets,
        "seconds": opts.seconds,
        "interval_ms": opts.interval_ms,
        "fd_limit": fd_limit,
        "load": result,
        "recording": recorded,
        "recording_bytes": size,
        "proxy_exit": proxy_status,
        "rss_kib": sampler.samples,
        "progress": progress,
    }


def verdict(report: dict[str, Any]) -> list[str]:
    load, rec = report["load"], report["recording"]
    problems = [
        f"{k}={load.get(k)}" for k in ("lost", "duplicated", "reordered", "foreign") if load.get(k)
    ]
    if load.get("connected") != report["sockets"]:
        problems.append(f"connected {load.get('connected')} of {report['sockets']}")
    if rec["emits"] != load.get("sent") or rec["acks"] != load.get("acked"):
        problems.append(f"recording has {rec['emits']} emits/{rec['acks']} acks")
    for key in (
        "sockets_out_of_order_or_gapped_emits",
        "sockets_out_of_order_or_gapped_acks",
        "sockets_with_unacked_emits",
    ):
        if rec[key]:
            problems.append(f"{key}={rec[key]}")
    return problems


def markdown(report: dict[str, Any]) -> str:
    load, rec = report["load"], report["recording"]
    rows = [
        "| figure | value |",
        "|---|---|",
        f"| sockets connected | {load.get('connected')} / {report['sockets']} |",
        f"| connect errors / disconnects before the end | {load.get('connect_errors')} / "
        f"{load.get('disconnects')} |",
        f"| emits sent / acked | {load.get('sent')} / {load.get('acked')} |",
        f"| lost / duplicated / reordered / foreign | {load.get('lost')} / "
        f"{load.get('duplicated')} / {load.get('reordered')} / {load.get('foreign')} |",
        f"| ack latency mean / max (ms) | {load.get('ack_ms_mean')} / {load.get('ack_ms_max')} |",
        f"| recording: emits / acks / lines | {rec['emits']} / {rec['acks']} / {rec['lines']} |",
        f"| recording size | {report['recording_bytes']} bytes |",
        "",
        "| t (s) | proxy RSS (MiB) |",
        "|---|---|",
    ]
    rows += [f"| {t:.0f} | {kib / 1024:.1f} |" for t, kib in report["rss_kib"]]
    return "\n".join(rows)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sockets", type=int, default=5000)
    parser.add_argument("--seconds", type=int, default=600)
    parser.add_argument("--interval-ms", type=int, default=4000, help="per socket, between emits")
    parser.add_argument("--ramp-per-s", type=int, default=500, help="new sockets per second")
    parser.add_argument("--out", help="directory for the recording (default: a temp dir)")
    parser.add_argument("--report", help="write the figures here as JSON")
    opts = parser.parse_args()
    report = run(opts)
    if opts.report:
        Path(opts.report).write_text(json.dumps(report, indent=1))
    print(markdown(report))
    problems = verdict(report)
    print("OK: nothing lost, duplicated or reordered" if not problems else f"FAIL: {problems}")
    return 0 if not problems else 1


if __name__ == "__main__":
    sys.exit(main())
