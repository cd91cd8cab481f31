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

``--legacy``: the same round trips as socket.io 0.9 over WebSocket (bench/run.py's
0.9 rows: the ``/socket.io/1/`` handshake, then ``1::``, then
``5:<id>+::{"name":"ack","args":[{...}]}`` answered by ``6:::<id>+[{...}]``;
no pushes), with a digest of its own. ``--legacy --polling``: those packets as
node socket.io 0.9 xhr-polling carries them (the handshake, a first GET answered
``1::``, then POST bodies of the client's packets, answered ``1``, and GET
bodies of the server's, 12 to a body, ``\ufffd<len>\ufffd``-framed; each
request with its own ``t=``), a digest of its own again.

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
SID = "mBsVbpT7iFnL3H9BAAAB"
POLL_PER_BODY = 12  # packets per polling body (about what bench/run.py's polling rows carry)
# (request, request body, response body) of one polling exchange, and its packet count.
Exchange = tuple[RequestInfo, bytes, bytes, int]


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


LEGACY_SID = "15521534681573741186"
LEGACY_HANDSHAKE = (
    RequestInfo(
        method="GET", path="/socket.io/1/", query="t=1", headers=(("Host", "127.0.0.1:8080"),),
        client="127.0.0.1:50000", scheme="http",
    ),
    f"{LEGACY_SID}:60:60:websocket,xhr-polling".encode(),
)  # fmt: skip
LEGACY_WS = RequestInfo(
    method="GET",
    path=f"/socket.io/1/websocket/{LEGACY_SID}",
    query="",
    headers=(("Host", "127.0.0.1:8080"), ("Upgrade", "websocket")),
    client="127.0.0.1:50000",
    scheme="http",
)


def legacy_traffic(round_trips: int) -> list[Message]:
    """The 0.9 WebSocket messages of one benchmark session, in order."""
    c2s, s2c = Direction.C2S, Direction.S2C
    out: list[Message] = [(s2c, b"1::")]
    for i in range(1, round_trips + 1):
        arg = _compact({"seq": i, "msg": "hello from the client", "n": 7, "list": [1, 2, 3]})
        out.append((c2s, f'5:{i}+::{{"name":"ack","args":[{arg}]}}'.encode()))
        out.append((s2c, f"6:::{i}+[{arg}]".encode()))
    return out


def _poll(query: str, method: str) -> RequestInfo:
    headers = (("Host", "127.0.0.1:8080"),)
    return RequestInfo(
        method=method, path="/socket.io/", query=query, headers=headers,
        client="127.0.0.1:50000", scheme="http",
    )  # fmt: skip


def _bodies(messages: list[Message], per_body: int) -> list[tuple[Direction, list[bytes]]]:
    """``messages`` as polling bodies with ``per_body`` requests in flight: in each
    window of ``2 * per_body`` packets the client's first, then the server's, at
    most ``per_body`` to a body."""
    ordered: list[Message] = []
    for start in range(0, len(messages), 2 * per_body):
        window = messages[start : start + 2 * per_body]
        ordered += sorted(window, key=lambda m: m[0] is not Direction.C2S)  # stable
    out: list[tuple[Direction, list[bytes]]] = []
    i = 0
    while i < len(ordered):
        direction, body = ordered[i][0], [ordered[i][1]]
        i += 1
        while i < len(ordered) and ordered[i][0] is direction and len(body) < per_body:
            body.append(ordered[i][1])
            i += 1
        out.append((direction, body))
    return out


def polling(messages: list[Message], per_body: int) -> list[Exchange]:
    """The same packets as EIO4 polling: the handshake, then the ``_bodies``, the
    client's as POSTs (answered ``ok``), the server's as GET responses."""
    handshake = _poll("EIO=4&transport=polling&t=a", "GET")
    out: list[Exchange] = [(handshake, b"", messages[0][1], 1)]
    query = f"EIO=4&transport=polling&t=b&sid={SID}"
    for direction, body in _bodies(messages[1:], per_body):
        joined = b"\x1e".join(body)
        if direction is Direction.C2S:
            out.append((_poll(query, "POST"), joined, b"ok", len(body)))
        else:
            out.append((_poll(query, "GET"), b"", joined, len(body)))
    return out


def _legacy_poll(n: int, method: str) -> RequestInfo:
    # socket.io-client 0.9's XHR transport: a fresh ``t=<+new Date>`` on every request.
    return RequestInfo(
        method=method, path=f"/socket.io/1/xhr-polling/{LEGACY_SID}",
        query=f"t={1_700_000_000_000 + n}", headers=(("Host", "127.0.0.1:8080"),),
        client="127.0.0.1:50000", scheme="http",
    )  # fmt: skip


def _legacy_payload(frames: list[bytes]) -> bytes:
    """socket.io 0.9's ``encodePayload``: one packet bare, several ``\ufffd<len>\ufffd<packet>``
    (the bench's packets are ASCII, so the UTF-16 length is the byte count)."""
    if len(frames) == 1:
        return frames[0]
    mark = "\ufffd".encode()
    return b"".join(mark + str(len(f)).encode() + mark + f for f in frames)


def legacy_polling(messages: list[Message], per_body: int) -> list[Exchange]:
    """The 0.9 packets as node socket.io 0.9 xhr-polling carries them: the
    ``/socket.io/1/`` handshake, the first GET answered ``1::``, then the
    ``_bodies`` framed, the client's as POSTs (answered ``1``), the server's as
    GET responses."""
    request, answer = LEGACY_HANDSHAKE
    out: list[Exchange] = [(request, b"", answer, 0)]
    out.append((_legacy_poll(0, "GET"), b"", messages[0][1], 1))
    for n, (direction, body) in enumerate(_bodies(messages[1:], per_body), 1):
        joined = _legacy_payload(body)
        if direction is Direction.C2S:
            out.append((_legacy_poll(n, "POST"), joined, b"1", len(body)))
        else:
            out.append((_legacy_poll(n, "GET"), b"", joined, len(body)))
    return out


def run_polling(exchanges: list[Exchange], path: str, tick_every: int = TICK_EVERY) -> float:
    """``run_once`` for polling: the exchanges through ``on_http_request``/``_response``."""
    recorder = LiveRecorder.open(
        path, upstream="http://127.0.0.1:3000", flush_interval=FLUSH_INTERVAL
    )
    observer = LiveObserver(clock=_clock(), sinks=[recorder.event], resource_path="/socket.io")
    gc.collect()
    start = time.process_time()
    packets, ticks = 0, 0
    for n, (req, body, answer, count) in enumerate(exchanges, 1):
        observer.wants_body(req)  # as the relay asks first
        observer.on_http_request(n, req, body)
        observer.on_http_response(n, req, 200, (), answer)
        packets += count
        if packets >= (ticks + 1) * tick_every:
            ticks += 1
            recorder.tick(ticks * 0.1)
    observer.shutdown()
    recorder.close()
    return time.process_time() - start


def _clock() -> Callable[[], float]:
    # A C-level callable (no Python frame per call, like reactor.seconds) that
    # still gives the same time stamps every run.
    return itertools.count(0.0, 0.000_125).__next__


def run_once(
    messages: list[Message],
    path: str,
    tick_every: int = TICK_EVERY,
    log_fd: int | None = None,
    legacy: bool = False,
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
    if legacy:  # the handshake makes the session the WebSocket attaches to
        request, answer = LEGACY_HANDSHAKE
        observer.wants_body(request)
        observer.on_http_request(2, request, b"")
        observer.on_http_response(2, request, 200, (), answer)
    observer.on_ws_open(1, LEGACY_WS if legacy else WS, None)
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
        "--polling",
        action="store_true",
        help=f"the same packets as polling bodies of {POLL_PER_BODY} (EIO4, or 0.9 xhr-polling "
        "with --legacy; a digest of its own)",
    )
    parser.add_argument(
        "--legacy", action="store_true", help="socket.io 0.9 over WebSocket (a digest of its own)"
    )
    parser.add_argument(
        "--log", action="store_true", help="also the default log (record without -q), to /dev/null"
    )
    args = parser.parse_args(argv)
    messages = (
        legacy_traffic(args.round_trips) if args.legacy else traffic(args.round_trips, args.pushes)
    )
    make = legacy_polling if args.legacy else polling
    exchanges = make(messages, POLL_PER_BODY)

    def once(path: str) -> float:
        if args.polling:
            return run_polling(exchanges, path)
        return run_once(messages, path, log_fd=log_fd, legacy=args.legacy)

    packets = len(messages)
    with tempfile.TemporaryDirectory(prefix="sioproxy-bench-") as tmp:
        path = os.path.join(tmp, "rec.jsonl")
        samples = []
        log_fd = os.open(os.devnull, os.O_WRONLY) if args.log else None
        for _ in range(args.reps):
            samples.append(once(path) / packets * 1e6)
        median = statistics.median(samples)
        kind = " (polling)" if args.polling else ""
        if args.legacy:
            kind = " (0.9 polling)" if args.polling else " (0.9)"
        print(
            f"record path{kind}: {median:.2f} us/packet (median of {args.reps}, "
            f"range {min(samples):.2f}-{max(samples):.2f}), {packets} packets per run, "
            f"sioproxy from {Path(sys.modules['sioproxy'].__file__ or '').parent.parent}"
        )
        if args.digest:
            print(f"lines sha256: {digest(path)} ({Path(path).stat().st_size} bytes)")
        if args.profile:
            profiler = cProfile.Profile()
            profiler.enable()
            once(path)
            profiler.disable()
            stats = pstats.Stats(profiler, stream=sys.stdout)
            stats.sort_stats("tottime").print_stats(args.top)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
