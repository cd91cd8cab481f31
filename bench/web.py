"""The cost of ``--web``: proxy CPU per packet with a browser following, against none.

Not in CI (speed is measured here, never asserted in tests). One run, one
real socket.io 4 server (tests/peers node-sio4), three ``sioproxy record``
processes in front of it, each driven in turn by the same node load
(``bench/soak/load.js``: N sockets emitting with ack), for ROUNDS rounds
interleaved so machine noise falls on all three alike:

* ``plain``: no ``--web``;
* ``web-idle``: ``--web``, no page attached;
* ``web-page``: ``--web`` with Chromium (Playwright, tests/web/conftest.py's
  flags) showing the page and following the live list.

For each it prints the proxy's CPU seconds (``/proc/PID/stat`` utime+stime)
per 1,000 recorded packets, the ratio to ``plain``, and the browser's CPU
(every Chromium process under this script) for ``web-page``.

``--before DIR`` adds ``web-page-before``: the same as ``web-page`` but run
from another checkout (``git archive REV | tar -x -C DIR``), with its own
page in the same browser, so a change is measured against the old code in
the same run.

    python bench/web.py --sockets 20 --seconds 8 --interval-ms 20 --rounds 2
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from tests.interop.peers import start_server  # noqa: E402
from tests.interop.sioproxy_proc import RunningSioproxy, start_sioproxy  # noqa: E402
from tests.web.conftest import CHROMIUM_FLAGS  # noqa: E402

TICK = os.sysconf("SC_CLK_TCK")


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICK


def descendants(root: int) -> list[int]:
    parents: dict[int, int] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                parents[int(entry.name)] = int(
                    (entry / "stat").read_text().rsplit(")", 1)[1].split()[1]
                )
            except OSError:
                continue
    found, frontier = [], [root]
    while frontier:
        pid = frontier.pop()
        kids = [child for child, parent in parents.items() if parent == pid]
        found += kids
        frontier += kids
    return found


def browser_cpu() -> float:
    total = 0.0
    for pid in descendants(os.getpid()):
        try:
            if b"chromium" in Path(f"/proc/{pid}/cmdline").read_bytes():
                total += cpu_seconds(pid)
        except OSError:
            continue
    return total


def lines(path: Path) -> int:
    with path.open("rb") as file:
        return sum(1 for _ in file)


def load_cmd(url: str, opts: argparse.Namespace, *extra: str) -> list[str]:
    """The soak's load generator: ``opts.sockets`` sockets emitting every ``opts.interval_ms``."""
    cmd = ["node", str(REPO / "bench" / "soak" / "load.js"), "--url", url]
    cmd += ["--sockets", str(opts.sockets), "--seconds", str(opts.seconds)]
    return [*cmd, "--interval-ms", str(opts.interval_ms), *extra]


def load(url: str, opts: argparse.Namespace) -> None:
    cmd = load_cmd(url, opts, "--drain-ms", "3000")
    subprocess.run(cmd, cwd=REPO, check=True, capture_output=True, timeout=opts.seconds + 120)


def print_load_average() -> None:
    print("load average (1, 5, 15 min): " + " ".join(f"{x:.2f}" for x in os.getloadavg()))


def web_url(proc: RunningSioproxy) -> str:
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        for line in list(proc.lines):
            if line.startswith("sioproxy web on "):
                return line.split()[-1]
        time.sleep(0.05)
    raise SystemExit("no 'sioproxy web on' line")


def start_tree(tree: Path, args: list[str]) -> RunningSioproxy:
    """``python -m sioproxy ARGS`` from another checkout (its own code, not this one)."""
    env = dict(os.environ, PYTHONUNBUFFERED="1", PYTHONPATH=str(tree))
    stderr = tempfile.NamedTemporaryFile(  # noqa: SIM115 - the process writes it until stopped
        prefix="sioproxy-", suffix=".stderr", delete=False
    )
    process = subprocess.Popen(
        [sys.executable, "-m", "sioproxy", *args],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=stderr,
        cwd=tree,
        env=env,
    )
    assert process.stdout is not None
    first = process.stdout.readline().decode("utf-8", "replace").split()
    if not first:
        raise SystemExit(f"{tree}: sioproxy did not start")
    return RunningSioproxy(process, first[-1], Path(stderr.name))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sockets", type=int, default=20)
    parser.add_argument("--seconds", type=int, default=8)
    parser.add_argument("--interval-ms", type=int, default=20)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--before", type=Path, default=None, metavar="DIR")
    opts = parser.parse_args()
    from playwright.sync_api import sync_playwright

    work = Path(tempfile.mkdtemp(prefix="sioproxy-bench-web-"))
    server = start_server("node-sio4")
    procs: dict[str, RunningSioproxy] = {}
    outs: dict[str, Path] = {}
    names = ["plain", "web-idle", "web-page"] + (["web-page-before"] if opts.before else [])
    totals = {name: [0.0, 0] for name in names}
    browser_totals = {name: 0.0 for name in names if name.startswith("web-page")}
    shown = {}
    try:
        for name in totals:
            outs[name] = work / f"{name}.jsonl"
            extra = [] if name == "plain" else ["--web", "127.0.0.1:0"]
            args = ["record", "--listen", "127.0.0.1:0", "--upstream", server.url]
            args += ["--out", str(outs[name]), "-q", *extra]
            before = name == "web-page-before"
            procs[name] = start_tree(opts.before, args) if before else start_sioproxy(args)
        with sync_playwright() as pw:
            chromium = shutil.which("chromium") or "/usr/bin/chromium"
            browser = pw.chromium.launch(executable_path=chromium, args=CHROMIUM_FLAGS)
            pages = {}
            for name in browser_totals:
                pages[name] = browser.new_page()
                pages[name].goto(web_url(procs[name]))
                pages[name].wait_for_function(
                    "document.getElementById('status').textContent.includes('live')"
                )
            for _ in range(opts.rounds):
                for name, proc in procs.items():
                    before, rows = cpu_seconds(proc.pid), lines(outs[name])
                    b0 = browser_cpu()
                    load(proc.url, opts)
                    time.sleep(0.5)  # the batched recording lines reach the file
                    totals[name][0] += cpu_seconds(proc.pid) - before
                    totals[name][1] += lines(outs[name]) - rows
                    if name in browser_totals:
                        browser_totals[name] += browser_cpu() - b0
            shown = {
                name: page.evaluate("window.sioInspector.rows()") for name, page in pages.items()
            }
            browser.close()
    finally:
        for proc in procs.values():
            proc.stop()
        server.stop()
        shutil.rmtree(work, ignore_errors=True)
    base = totals["plain"][0] / max(totals["plain"][1], 1)
    print(
        f"sockets={opts.sockets} seconds={opts.seconds} interval={opts.interval_ms}ms"
        f" rounds={opts.rounds}"
    )
    print("| proxy | packets | proxy CPU s | CPU ms / 1,000 packets | vs plain |")
    print("|---|---|---|---|---|")
    for name, (cpu, packets) in totals.items():
        per = cpu / max(packets, 1)
        print(f"| {name} | {packets} | {cpu:.2f} | {per * 1e6:.1f} | {per / base:.3f}x |")
    for name, browser_total in browser_totals.items():
        page_packets = max(totals[name][1], 1)
        print(
            f"browser CPU during {name}: {browser_total:.2f} s"
            f" ({browser_total / page_packets * 1e6:.1f} ms / 1,000 packets);"
            f" page held {shown.get(name)} rows"
        )
    print_load_average()
    return 0


if __name__ == "__main__":
    sys.exit(main())
