"""In-process cost of the record path: LiveObserver + LiveRecorder per packet.

Layer: a benchmark script, not part of the package. Run it as
``.venv/bin/python bench/record_path.py`` (``--profile`` for cProfile,
``--digest`` to print a hash of the recorded lines, which must not change
when the record path is optimised).

It builds the observer the way ``sioproxy record -q`` does
(``sioproxy.proxy.edge.proxy_server.start_proxy``: the recorder as the only
sink, redaction on, batched writes every 0.1 s) on a temporary recording file,
and feeds it the WebSocket messages of bench/run.py's traffic (EIO4 / SIO v5,
node socket.io 4): ``--round-trips`` emit-with-ack round trips
(``42<id>["ack",{...}]`` and ``43<id>[{...}]``) and ``--pushes`` pushed events
(``42["p",i,{...}]``) through ``on_ws_open`` / ``on_ws_message`` /
``on_ws_close``. The messages are built before timing; the clock is a
deterministic counter (time stamps, and so the lines, are the same every run).

``--log`` adds the default log of ``sioproxy record`` (no ``-q``): a
``LogSink`` writing to /dev/null, flushed once per block of messages, called
after the recorder as ``record`` wires it (a packet's line reuses the
recorder's text of its arguments).

Reports CPU time (``time.process_time``) per Socket.IO packet: the median and
range over ``--reps`` runs, each on a fresh observer and file. To measure an
older tree with the same driver:
``git archive REV sioproxy | tar -x -C /tmp/base`` then
``PYTHONPATH=/tmp/base .venv/bin/python bench/record_path.py``.
"""

from __future__ import annotations

import argparse
import cProfile
import gc
import hashlib
import itertools
import json
import os
import pstats
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

# Appended, so PYTHONPATH=<other checkout> measures that tree's code instead.
sys.path.append(str(Path(__file__).resolve().parent.parent))

from sioproxy.cli.logsink import LogSink
from sioproxy.proxy.live import LiveObserver
from sioproxy.proxy.observer import RequestInfo
from sioproxy.recording.live_recorder import LiveRecorder
from sioproxy.recording.redact import Redactor
from sioproxy.types import Direction

FLUSH_INTERVAL = 0.1  # `sioproxy record` default
TICK_EVERY = 500  # packets between the flush timer's ticks (about 0.1 s of bench traffic)
WS = RequestInfo(
    method="GET",
    path="/socket.io/",
    query="EIO=4&transport=websocket",
    headers=(("Host", "127.0.0.1:8080"), ("Upgrade", "websocket")),
    client="127.0.0.1:50000",
    scheme="http",
)
OPEN = (
    b'0{"sid":"mBsVbpT7iFnL3H9BAAAB","upgrades":[],"pingInterval":25000,'
    b'"pingTimeout":20000,"maxPayload":1000000}'
)

Message = tuple[Direction, bytes]


def _compact(obj: object) -> str:
    return json.dumps(obj, separators=(",", ":"))


def traffic(round_trips: int, pushes: int) -> list[Message]:
    """The WebSocket messages of one benchmark session, in order."""
    c2s, s2c = Direction.C2S, Direction.S2C
    out: list[Message] = [
        (s2c, OPEN),
        (c2s, b"40"),
        (s2c, b'40{"sid":"3Pc6kF_9mbDeD8ZFAAAC"}'),
    ]
    for i in range(round_trips):
        arg = _compact({"seq": i, "msg": "hello from the client", "n": 7, "list": [1, 2, 3]})
        out.append((c2s, f'42{i}["ack",{arg}]'.encode()))
        out.append((s2c, f"43{i}[{arg}]".encode()))
    out.append((c2s, b'42["push",' + str(pushes).encode() + b"]"))
    for i in range(pushes):
        arg = _compact({"msg": "hello from the server", "n": 42, "ok": True})
        out.append((s2c, f'42["p",{i},{arg}]'.encode()))
    return out


def _clock() -> Callable[[], float]:
    # A C-level callable (no Python frame per call, like reactor.seconds) that
    # still gives the same time stamps every run.
    return itertools.count(0.0, 0.000_125).__next__


def run_once(
    messages: list[Message], path: str, tick_every: int = TICK_EVERY, log_fd: int | None = None
) -> float:
    """Feed one session; returns CPU seconds spent in the observer (and the final close).

    With ``log_fd``, the default log (``sioproxy record`` without ``-q``) is written
    there too, flushed once per block of messages (a reactor turn's worth).
    """
    recorder = LiveRecorder.open(
        path, upstream="http://127.0.0.1:3000", flush_interval=FLUSH_INTERVAL
    )
    sinks = [recorder.event]
    log = None
    if log_fd is not None:
        log = LogSink(log_fd, redact_lines=Redactor().redact_output_lines)
        sinks.append(log.event)  # after the recorder, as `sioproxy record` wires it
    observer = LiveObserver(clock=_clock(), sinks=sinks, resource_path="/socket.io")
    on_message = observer.on_ws_message
    blocks = [messages[i : i + tick_every] for i in range(0, len(messages), tick_every)]
    gc.collect()
    start = time.process_time()
    observer.on_ws_open(1, WS, None)
    for n, block in enumerate(blocks, 1):
        for direction, payload in block:
            on_message(1, direction, payload, False)
        recorder.tick(n * 0.1)  # the flush timer, on its own time line
        if log is not None:
            log.flush()
    observer.on_ws_close(1, Direction.C2S, 1000, None)
    recorder.close()
    if log is not None:
        log.close()
    return time.process_time() - start


def digest(path: str) -> str:
    """SHA-256 of every line but the header (which holds the creation time)."""
    lines = Path(path).read_bytes().splitlines(keepends=True)
    return hashlib.sha256(b"".join(lines[1:])).hexdigest()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--round-trips", type=int, default=20_000)
    parser.add_argument("--pushes", type=int, default=20_000)
    parser.add_argument("--reps", type=int, default=5)
    parser.add_argument("--profile", action="store_true", help="one extra run under cProfile")
    parser.add_argument("--top", type=int, default=30, help="profile rows shown")
    parser.add_argument("--digest", action="store_true", help="print the recorded lines' hash")
    parser.add_argument(
        "--log", action="store_true", help="also the default log (record without -q), to /dev/null"
    )
    args = parser.parse_args(argv)
    messages = traffic(args.round_trips, args.pushes)
    packets = 2 * args.round_trips + args.pushes + 4  # + open, connects, push request
    with tempfile.TemporaryDirectory(prefix="sioproxy-bench-") as tmp:
        path = os.path.join(tmp, "rec.jsonl")
        samples = []
        log_fd = os.open(os.devnull, os.O_WRONLY) if args.log else None
        for _ in range(args.reps):
            samples.append(run_once(messages, path, log_fd=log_fd) / packets * 1e6)
        median = statistics.median(samples)
        print(
            f"record path: {median:.2f} us/packet (median of {args.reps}, "
            f"range {min(samples):.2f}-{max(samples):.2f}), {packets} packets per run, "
            f"sioproxy from {Path(sys.modules['sioproxy'].__file__ or '').parent.parent}"
        )
        if args.digest:
            print(f"lines sha256: {digest(path)} ({Path(path).stat().st_size} bytes)")
        if args.profile:
            profiler = cProfile.Profile()
            profiler.enable()
            run_once(messages, path, log_fd=log_fd)
            profiler.disable()
            stats = pstats.Stats(profiler, stream=sys.stdout)
            stats.sort_stats("tottime").print_stats(args.top)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
