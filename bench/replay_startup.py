"""Wall time of a replay's start-up, as a test suite meets it.

Layer: a benchmark script, not part of the package. Run it as
``.venv/bin/python bench/replay_startup.py`` (``--baseline DIR`` to measure an
older checkout's ``sioproxy`` in the same run, taking turns:
``git archive REV sioproxy | tar -x -C DIR``).

It writes bench/replay_path.py's recording (``--round-trips`` emit-with-ack
round trips of node socket.io 4 over WebSocket), then per repetition starts
``sioproxy replay FILE --speed 0 -q`` in a fresh process and measures, in
seconds of wall time:

* ``listening``: from the start of the process to its "listening" line
  (interpreter, imports, reading the file, the causes of every server packet);
* ``connected``: from then to the node socket.io 4 client's ``connect``
  (bench/node/load.js; the stand-in builds the connection's script there);
* ``first ack``: from then to the first round trip answered.

Medians over ``--reps``; with ``--baseline``, the ratio of the baseline's to
this tree's. Every process is stopped by its pid; loopback only.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from replay_path import write_recording
from run import PY, ROOT, load, read_line, result_line, spawn, stop

PHASES = ("listening", "connected", "first ack")


def start_once(recording: Path, cwd: Path) -> dict[str, float]:
    """One replay process, one client: the three durations."""
    started = time.monotonic()
    args = [PY, "-m", "sioproxy", "replay", str(recording), "--speed", "0", "-q"]
    replay = spawn([*args, "--listen", "127.0.0.1:0"], cwd=cwd)
    client = None
    try:
        url = read_line(replay, 120).split()[-1]
        listening = time.monotonic()
        client = load("session", url, {"transport": "websocket", "flavor": "4"})
        result_line(client, 120)  # {"ready": true}: connected
        connected = time.monotonic()
        assert client.stdin is not None
        client.stdin.write('{"phase":"rtt","n":1,"warmup":0,"limit":30}\n')
        client.stdin.flush()
        result_line(client, 60)
        answered = time.monotonic()
    finally:
        stop(client)
        stop(replay)
    return {
        "listening": listening - started,
        "connected": connected - listening,
        "first ack": answered - connected,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--round-trips", type=int, default=20_000)
    parser.add_argument("--reps", type=int, default=3)
    parser.add_argument("--baseline", type=Path, help="a checkout of older code to compare")
    args = parser.parse_args(argv)
    trees = {"this tree": ROOT}
    if args.baseline is not None:
        trees["baseline"] = args.baseline.resolve()
    samples: dict[str, dict[str, list[float]]] = {
        name: {phase: [] for phase in PHASES} for name in trees
    }
    with tempfile.TemporaryDirectory(prefix="sioproxy-bench-") as tmp:
        recording = Path(tmp) / "rec.jsonl"
        write_recording(str(recording), args.round_trips)
        size = recording.stat().st_size / 1e6
        for rep in range(args.reps):
            order = list(trees.items())
            for name, cwd in order if rep % 2 == 0 else order[::-1]:  # take turns going first
                for phase, seconds in start_once(recording, cwd).items():
                    samples[name][phase].append(seconds)
    print(
        f"replay start-up, {args.round_trips} round trips ({size:.1f} MB),"
        f" wall seconds, medians of {args.reps}:"
    )
    for name, phases in samples.items():
        cells = ", ".join(f"{p} {statistics.median(v):.2f}" for p, v in phases.items())
        total = statistics.median(sum(s) for s in zip(*phases.values(), strict=True))
        print(f"  {name}: {cells}; total {total:.2f}")
    if "baseline" in samples:
        for phase in PHASES[:2]:  # the first ack takes milliseconds: no ratio
            new = statistics.median(samples["this tree"][phase])
            old = statistics.median(samples["baseline"][phase])
            print(f"  {phase}: baseline / this tree = {old / new:.2f}x")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
