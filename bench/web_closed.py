"""Does a browser that went away cost the proxy anything? Relay after the page closed vs never.

Not in CI (speed is measured here, never asserted in tests; the behaviour is
tests/web/test_live_browser.py's "closing the browser mid-stream" test). One
run, one real socket.io 4 server (tests/peers node-sio4), two ``sioproxy
record --web`` processes in front of it, each driven in turn by the same node
load (``bench/soak/load.js``), for ROUNDS rounds interleaved so machine noise
falls on both alike:

* ``never``: no page is ever attached;
* ``closed``: Chromium (Playwright, tests/web/conftest.py's flags) follows the
  live page from the start of the load and is closed ``--close-after``
  seconds into it (a new page each round).

For each, over the same window (from ``--settle`` seconds after the close
mark, once Chromium's teardown has stopped taking CPU from the same cores,
to one second before the load stops sending), it prints the packets relayed (the proxy's own
count: ``sioproxy_web_rows_total`` on its web port), packets per second, and
the proxy's CPU seconds (``/proc/PID/stat``) per 1,000 packets, with the
``closed``/``never`` ratios.

    python bench/web_closed.py --sockets 20 --seconds 12 --interval-ms 10 --rounds 4
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from urllib.request import urlopen

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from bench.web import cpu_seconds, load_cmd, print_load_average, web_url  # noqa: E402
from tests.interop.peers import start_server  # noqa: E402
from tests.interop.sioproxy_proc import RunningSioproxy, start_sioproxy  # noqa: E402
from tests.web.conftest import CHROMIUM_FLAGS  # noqa: E402


def rows_total(web: str) -> int:
    with urlopen(f"{web}/metrics", timeout=10) as response:
        for line in response.read().decode("utf-8").splitlines():
            if line.startswith("sioproxy_web_rows_total "):
                return int(float(line.split()[1]))
    raise SystemExit("no sioproxy_web_rows_total in /metrics")


def start_load(url: str, opts: argparse.Namespace) -> subprocess.Popen[bytes]:
    cmd = load_cmd(url, opts, "--drain-ms", "2000", "--ramp-per-s", "1000")
    return subprocess.Popen(cmd, cwd=REPO, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)


def one_round(
    proc: RunningSioproxy, web: str, opts: argparse.Namespace, browser: object | None
) -> tuple[int, float, float]:
    """(packets, seconds, proxy CPU seconds) over the window after the close mark."""
    context = page = None
    if browser is not None:
        context = browser.new_context()  # type: ignore[attr-defined]
        page = context.new_page()
        page.goto(web)
        page.wait_for_function("document.getElementById('status').textContent.includes('live')")
    load = start_load(proc.url, opts)
    began = time.monotonic()
    time.sleep(opts.close_after)
    if context is not None:
        assert page is not None
        page.evaluate("window.sioInspector.rows()")  # it was following
        context.close()  # the browser goes away mid-stream
    # The window starts --settle seconds after the close mark for both proxies: Chromium's
    # own teardown takes CPU from the same cores (and the load generator) for a moment.
    time.sleep(max(0.0, began + opts.close_after + opts.settle - time.monotonic()))
    cpu0, rows0, t0 = cpu_seconds(proc.pid), rows_total(web), time.monotonic()
    time.sleep(max(0.5, began + opts.seconds - 1.0 - time.monotonic()))
    cpu1, rows1, t1 = cpu_seconds(proc.pid), rows_total(web), time.monotonic()
    _, err = load.communicate(timeout=opts.seconds + 60)
    if load.returncode != 0:
        raise SystemExit(f"load failed: {err.decode('utf-8', 'replace')[-400:]}")
    return rows1 - rows0, t1 - t0, cpu1 - cpu0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sockets", type=int, default=20)
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--interval-ms", type=int, default=10)
    parser.add_argument("--close-after", type=float, default=3.0)
    parser.add_argument("--settle", type=float, default=1.5)
    parser.add_argument("--rounds", type=int, default=3)
    opts = parser.parse_args()
    if opts.seconds < opts.close_after + opts.settle + 3:
        parser.error("--seconds must leave at least 3 s after --close-after + --settle")
    from playwright.sync_api import sync_playwright

    work = Path(tempfile.mkdtemp(prefix="sioproxy-bench-web-closed-"))
    server = start_server("node-sio4")
    procs: dict[str, RunningSioproxy] = {}
    totals = {name: [0, 0.0, 0.0] for name in ("never", "closed")}
    try:
        for name in totals:
            args = ["record", "--listen", "127.0.0.1:0", "--upstream", server.url]
            args += ["--out", str(work / f"{name}.jsonl"), "-q", "--web", "127.0.0.1:0"]
            procs[name] = start_sioproxy(args)
        webs = {name: web_url(proc) for name, proc in procs.items()}
        with sync_playwright() as pw:
            chromium = shutil.which("chromium") or "/usr/bin/chromium"
            browser = pw.chromium.launch(executable_path=chromium, args=CHROMIUM_FLAGS)
            for n in range(opts.rounds):
                order = list(totals) if n % 2 == 0 else list(reversed(totals))
                for name in order:
                    use = browser if name == "closed" else None
                    got = one_round(procs[name], webs[name], opts, use)
                    for i, value in enumerate(got):
                        totals[name][i] += value
                    print(
                        f"round {n + 1} {name}: {got[0]} packets in {got[1]:.2f} s,"
                        f" CPU {got[2]:.2f} s",
                        flush=True,
                    )
            browser.close()
    finally:
        for proc in procs.values():
            proc.stop()
        server.stop()
        shutil.rmtree(work, ignore_errors=True)
    print(
        f"sockets={opts.sockets} seconds={opts.seconds} interval={opts.interval_ms}ms"
        f" close-after={opts.close_after}s settle={opts.settle}s rounds={opts.rounds}"
    )
    print("| proxy | packets | packets/s | CPU ms / 1,000 packets |")
    print("|---|---|---|---|")
    rate, per = {}, {}
    for name, (packets, seconds, cpu) in totals.items():
        rate[name] = packets / max(seconds, 1e-9)
        per[name] = cpu / max(packets, 1) * 1e6
        print(f"| {name} | {packets} | {rate[name]:.0f} | {per[name]:.1f} |")
    print(
        f"closed/never: throughput {rate['closed'] / rate['never']:.3f}x,"
        f" CPU per packet {per['closed'] / per['never']:.3f}x"
    )
    print_load_average()
    return 0


if __name__ == "__main__":
    sys.exit(main())
