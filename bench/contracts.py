"""The cost of live validation (``record --spec``), as a throughput ratio to ``record``.

Layer: a benchmark script, not part of the package. Run it as
``.venv/bin/python bench/contracts.py`` from the repository root.

Two record paths are built the way ``sioproxy record -q`` builds them (the
live observer, the recorder with redaction and batched writes; see
bench/record_path.py) and fed the same WebSocket messages, in-process:

* ``record``: the recorder as the only sink;
* ``record --spec``: the live checker first (``sioproxy.contracts.live``),
  checking every packet against a 50-operation AsyncAPI document, then the
  recorder.

The traffic is bench/record_path.py's (EIO4 / SIO v5): emit-with-ack round
trips (``42<id>["ack",{...}]`` and its ack) and pushed events
(``42["p",i,{...}]``). The document has the three operations of that traffic
(with the ack's reply) and 47 others, inferred like ``sioproxy spec`` does.
Runs of the two variants alternate (who goes first rotates) so drift in the
machine's speed hits both alike. Reported: CPU microseconds per packet
(median over the runs), the per-packet overhead, and the throughput ratio
``record --spec`` / ``record``, the median of the ratios of each pair of
back-to-back runs (the issue's target: at least 0.8).
"""

from __future__ import annotations

import argparse
import gc
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.append(str(Path(__file__).resolve().parent.parent))
sys.path.append(str(Path(__file__).resolve().parent))

from record_path import WS, Message, _clock, traffic

from sioproxy.contracts import Contract, Observation, build_document
from sioproxy.contracts.live import LiveChecker
from sioproxy.proxy.live import LiveObserver
from sioproxy.recording.live_recorder import LiveRecorder
from sioproxy.types import Direction

FLUSH_INTERVAL = 0.1
TICK_EVERY = 500
TARGET = 0.8


def fifty_operations() -> dict[str, Any]:
    """The document: the traffic's 3 operations (one with a reply) and 47 others."""
    arg = {"seq": 1, "msg": "hello from the client", "n": 7, "list": [1, 2, 3]}
    push = {"msg": "hello from the server", "n": 42, "ok": True}
    c2s, s2c = Direction.C2S, Direction.S2C
    observed = [
        Observation(1, "c1", ("/", c2s, "event", "ack"), [arg], wants_ack=True),
        Observation(2, "c1", ("/", c2s, "event", "ack"), [arg], is_ack=True),
        Observation(3, "c1", ("/", c2s, "event", "push"), [20000]),
        Observation(4, "c1", ("/", s2c, "event", "p"), [0, push]),
    ]
    for n in range(47):
        direction = c2s if n % 2 else s2c
        namespace = "/" if n < 30 else "/admin"
        payload = [{"id": n, "name": f"item {n}", "tags": ["a", "b"], "price": 1.5}]
        observed.append(
            Observation(10 + n, "c1", (namespace, direction, "event", f"e{n}"), payload)
        )
    doc = build_document(observed, {})
    assert len(doc["operations"]) == 50
    return doc


def run_once(messages: list[Message], path: str, contract: Contract | None) -> tuple[float, int]:
    """CPU seconds for one session, and the violations found (must be 0)."""
    recorder = LiveRecorder.open(
        path, upstream="http://127.0.0.1:3000", flush_interval=FLUSH_INTERVAL
    )
    checker = LiveChecker(contract) if contract is not None else None
    sinks: list[Any] = [recorder.event] if checker is None else [checker, recorder.event]
    observer = LiveObserver(clock=_clock(), sinks=sinks, resource_path="/socket.io")
    on_message = observer.on_ws_message
    blocks = [messages[i : i + TICK_EVERY] for i in range(0, len(messages), TICK_EVERY)]
    gc.collect()
    gc.disable()
    start = time.process_time()
    observer.on_ws_open(1, WS, None)
    for n, block in enumerate(blocks, 1):
        for direction, payload in block:
            on_message(1, direction, payload, False)
        recorder.tick(n * 0.1)
    observer.on_ws_close(1, Direction.C2S, 1000, None)
    recorder.close()
    elapsed = time.process_time() - start
    gc.enable()
    if checker is not None and checker.checked == 0:
        raise SystemExit("the checker saw no packet: the benchmark measures nothing")
    return elapsed, checker.total() if checker is not None else 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--round-trips", type=int, default=10_000)
    parser.add_argument("--pushes", type=int, default=10_000)
    parser.add_argument("--reps", type=int, default=11)
    args = parser.parse_args(argv)
    messages = traffic(args.round_trips, args.pushes)
    packets = 2 * args.round_trips + args.pushes + 4
    contract = Contract(fifty_operations())
    times: dict[str, list[float]] = {"record": [], "record --spec": []}
    with tempfile.TemporaryDirectory(prefix="sioproxy-bench-") as tmp:
        path = os.path.join(tmp, "rec.jsonl")
        for rep in range(args.reps):
            order = [None, contract] if rep % 2 == 0 else [contract, None]
            for variant in order:
                elapsed, violations = run_once(messages, path, variant)
                if violations:
                    raise SystemExit(f"{violations} violations: the traffic must match the spec")
                key = "record" if variant is None else "record --spec"
                times[key].append(elapsed / packets * 1e6)
    base = statistics.median(times["record"])
    spec = statistics.median(times["record --spec"])
    for name, samples in times.items():
        print(
            f"{name:14} {statistics.median(samples):6.2f} us/packet "
            f"(median of {args.reps}, range {min(samples):.2f}-{max(samples):.2f})"
        )
    # Each repetition ran both variants back to back: the median of the
    # per-repetition ratios is robust to the machine's load drifting in between.
    pairs = [b / s for b, s in zip(times["record"], times["record --spec"], strict=True)]
    ratio = statistics.median(pairs)
    print(f"overhead: {spec - base:.2f} us/packet; {packets} packets per run, 50-operation spec")
    verdict = "ok" if ratio >= TARGET else "BELOW TARGET"
    print(
        f"throughput record --spec / record: {ratio:.2f}x (median of paired runs, "
        f"range {min(pairs):.2f}-{max(pairs):.2f}; target >= {TARGET}x): {verdict}"
    )
    return 0 if ratio >= TARGET else 1


if __name__ == "__main__":
    raise SystemExit(main())
