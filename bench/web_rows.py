"""The Python cost per row of ``--web`` with a page following, in-process (µs per row).

Not in CI. Less noisy than ``bench/web.py`` on a shared machine: no sockets,
no browser, just the proxy's own work for a page. N socket.io 4 ``PacketSeen``
events like ``bench/soak/load.js`` makes (an emit with ack and its ack, 20
connections) go through what ``--web`` adds to the relay, with one page's
``/events`` stream (a fake request) following on a ``task.Clock`` reactor,
100 packets per 50 ms pump:

* ``record``: what ``record --web`` adds. The recorder makes each line anyway
  (``packet_line``, not timed); the web part is ``RecordedLines.tap`` and the
  stream. A tree without ``RecordedLines`` (before the page made its own rows)
  is measured on what its ``record --web`` did: the ``LiveRows`` sink.
* ``proxy``: what ``proxy --web`` adds (the ``LiveRows`` sink; the line made
  when the page reads it).

``--tree DIR`` measures another checkout (its ``sioproxy``, this script) in a
child process, so old and new can be interleaved in one run:

    python bench/web_rows.py --rounds 3 --tree /path/to/old/checkout
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]


def events(count: int) -> list[Any]:
    from sioproxy.codec.engineio import EioPacket, EioType
    from sioproxy.codec.socketio import SioPacket, SioType
    from sioproxy.session.events import PacketSeen
    from sioproxy.types import Direction, Generation

    out = []
    for i in range(count):
        c2s, body = i % 2 == 0, {"c": i % 20, "n": i}
        data = ["ack_me", body] if c2s else [body, "ack"]
        raw = (
            f'42{i}["ack_me",{{"c":{i % 20},"n":{i}}}]'
            if c2s
            else f'43{i}[{{"c":{i % 20},"n":{i}}},"ack"]'
        )
        out.append(
            PacketSeen(
                seq=i + 1,
                conn=f"c{i % 20}",
                t=i * 0.001,
                direction=Direction.C2S if c2s else Direction.S2C,
                transport="websocket",
                generation=Generation.EIO4,
                raw=raw,
                eio=EioPacket(type=EioType.MESSAGE, data=raw[1:]),
                sio=SioPacket(type=SioType.EVENT if c2s else SioType.ACK, nsp="/", data=data, id=i),
                ack_of=None if c2s else i,
            )
        )
    return out


class _Request:
    def __init__(self) -> None:
        self.bytes = 0

    def write(self, data: bytes | str) -> None:
        self.bytes += len(data)

    def registerProducer(self, producer: Any, streaming: bool) -> None:  # noqa: N802
        pass

    def notifyFinish(self) -> Any:  # noqa: N802
        from twisted.internet import defer

        return defer.Deferred()


def per_row(mode: str, count: int) -> float:
    from twisted.internet import task

    from sioproxy.recording import Redactor
    from sioproxy.recording.hot_line import packet_line
    from sioproxy.web import live
    from sioproxy.web.server import EventStream, WebHub

    clock, items = task.Clock(), events(count)
    redactor = Redactor()
    if mode == "record" and hasattr(live, "RecordedLines"):
        lines = live.RecordedLines(redactor, 100_000)
        hub, tap = WebHub(clock, lines.ring), lines.tap
        items = [packet_line(e) for e in items]  # the recorder's work, done anyway

        def sink(line: bytes) -> None:
            tap(line, True)
    else:
        rows = live.LiveRows(redactor, 100_000, keep_items=mode == "proxy")
        hub, sink = WebHub(clock, rows.ring), rows.sink
    EventStream(hub, _Request(), 0).start()
    start = time.process_time()
    for first in range(0, len(items), 100):
        for item in items[first : first + 100]:
            sink(item)
        clock.advance(0.05)
    return (time.process_time() - start) / len(items) * 1e6


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=40_000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--tree", type=Path, default=None, metavar="DIR")
    parser.add_argument("--one", choices=["record", "proxy"], help=argparse.SUPPRESS)
    opts = parser.parse_args()
    if opts.one:
        print(f"{per_row(opts.one, opts.rows):.2f}")
        return 0
    trees = [("this", REPO)] + ([("tree", opts.tree)] if opts.tree else [])
    results: dict[tuple[str, str], list[str]] = {}
    for _ in range(opts.rounds):
        for name, tree in trees:
            for mode in ("record", "proxy"):
                env = dict(os.environ, PYTHONPATH=str(tree))
                cmd = [sys.executable, __file__, "--one", mode, "--rows", str(opts.rows)]
                out = subprocess.run(cmd, env=env, cwd=tree, capture_output=True, text=True)
                results.setdefault((name, mode), []).append(out.stdout.strip() or "failed")
    print(f"µs per row, {opts.rows} rows, {opts.rounds} interleaved rounds")
    for (name, mode), values in results.items():
        print(f"{name} {mode}: {' '.join(values)}")
    print("load average (1, 5, 15 min): " + " ".join(f"{x:.2f}" for x in os.getloadavg()))
    return 0


if __name__ == "__main__":
    sys.exit(main())
