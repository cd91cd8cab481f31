"""Cost of one packet log line (text and ``--log-format json``), escaping included.

Layer: a benchmark script, not part of the package. Run it as
``.venv/bin/python bench/log_lines.py``. It formats one typical event packet
(``42["chat",{...}]`` with an emoji, nothing to escape) through
``sioproxy.ops.logfmt.PacketLog`` ``--n`` times, ``--reps`` times, and prints the
best time per line in microseconds for each format, plus the same for a line
whose namespace and event name carry control characters (escaped).
"""

from __future__ import annotations

import argparse
import time

from sioproxy.codec.engineio import EioPacket, EioType
from sioproxy.codec.socketio import decode_sio
from sioproxy.ops.logfmt import PacketLog
from sioproxy.session.events import PacketSeen
from sioproxy.types import Direction, Generation

PLAIN = '42["chat",{"from":"alice","text":"hello from the demo client 😀","n":42}]'
HOSTILE = '42/x\x1b[2J\r\n,["ev\\u009b\\u202e",{"text":"\\u001b[31m"}]'


def packet(raw: str) -> PacketSeen:
    return PacketSeen(
        seq=1,
        conn="c1",
        t=0.0,
        direction=Direction.C2S,
        transport="websocket",
        generation=Generation.EIO4,
        raw=raw,
        eio=EioPacket(type=EioType.MESSAGE, data=raw[1:]),
        sio=decode_sio(raw[1:], 5),
    )


def per_line(event: PacketSeen, json_lines: bool, n: int, reps: int) -> float:
    out: list[str] = []
    log = PacketLog(out.append, json_lines=json_lines)
    best = float("inf")
    for _ in range(reps):
        out.clear()
        start = time.perf_counter()
        for _ in range(n):
            log.event(event)
        best = min(best, time.perf_counter() - start)
    return best / n * 1e6


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=50_000)
    parser.add_argument("--reps", type=int, default=5)
    args = parser.parse_args()
    for name, raw in (("plain", PLAIN), ("controls", HOSTILE)):
        event = packet(raw)
        for fmt in ("text", "json"):
            cost = per_line(event, fmt == "json", args.n, args.reps)
            print(f"{name:9} {fmt:5} {cost:6.2f} us/line")


if __name__ == "__main__":
    main()
