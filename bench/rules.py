"""The cost of a rules file that matches nothing, as a ratio to no rules at all.

Layer: a benchmark script, not part of the package. Run it as
``python bench/rules.py`` (from the repository root).

Three live observers (``sioproxy.proxy.live.LiveObserver``, the pure brain of the
proxy; no sockets, no reactor) are fed the same traffic in-process:

* ``none``: no pipeline (the proxy without ``--rules``),
* ``rules20``: 20 rules that match nothing of this traffic (events with other
  names, other namespaces, conditions on other events, one of each kind), and
* ``rules20-hit``: the same plus one rule that rewrites every ``echo`` reply
  (for scale: the price of a real rewrite and re-encoding).

The traffic per round, per generation (EIO4 WebSocket frames, EIO3 polling
bodies, 0.9 WebSocket frames): a connection opens, then 200 echo / ack
round trips with realistic payloads, then it closes. Rounds of the three
variants are interleaved (rotating who goes first) so machine drift hits all
alike; the garbage collector is off during a round. Reported: microseconds
per packet (median over rounds) and the ratio rules20 / none.
"""

from __future__ import annotations

import argparse
import gc
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sioproxy.codec import payload
from sioproxy.codec.engineio import EioPacket, EioType
from sioproxy.pipeline import Pipeline, parse_rules
from sioproxy.proxy.live import LiveObserver
from sioproxy.proxy.observer import RequestInfo
from sioproxy.types import Direction

C2S, S2C = Direction.C2S, Direction.S2C
ROUND_TRIPS = 200
OPEN = '{"sid":"S%d","upgrades":["websocket"],"pingInterval":25000,"pingTimeout":20000}'


def twenty_rules() -> str:
    """20 rules of every kind, none of which matches the benchmark's traffic."""
    parts: list[str] = []
    for i in range(8):
        parts.append(f'[[rules]]\nevent = "never{i}"\nset = {{ "/args/0" = {i} }}\n')
    for i in range(4):
        parts.append(f'[[rules]]\nevent = "drop{i}"\naction = "drop"\n')
    for i in range(3):
        parts.append(f'[[rules]]\nnamespace = "/other{i}"\ntype = "event"\naction = "duplicate"\n')
    parts.append('[[rules]]\ndir = "c2s"\nevent = "save"\nwithhold_ack = true\n')
    parts.append('[[rules]]\ndir = "s2c"\nevent = "confirm"\ndelay_ack = 100\n')
    parts.append(
        '[[rules]]\nevent = "chat"\nregex = { "/args/0/text" = "spam" }\naction = "drop"\n'
    )
    parts.append('[[rules]]\ntype = "json"\nnamespace = "/nowhere"\naction = "drop"\n')
    parts.append('[[rules]]\nevent = "late"\ndelay = 10\n')
    return "\n".join(parts)


HIT = '\n[[rules]]\ndir = "s2c"\nevent = "echo"\nset = { "/args/0/text" = "rewritten" }\n'


def request(query: str, path: str = "/socket.io/") -> RequestInfo:
    return RequestInfo(
        method="GET", path=path, query=query, headers=(), client="127.0.0.1:1", scheme="http"
    )


ARG = '{"text":"héllo wörld 😀","n":%d,"tags":["a","b"],"ok":true}'


def eio4_ws(obs: LiveObserver, n: int) -> int:
    obs.on_ws_open(n, request("EIO=4&transport=websocket"), None)
    obs.on_ws_message(n, S2C, b"0" + (OPEN % n).encode(), False)
    obs.on_ws_message(n, C2S, b"40", False)
    obs.on_ws_message(n, S2C, b'40{"sid":"x"}', False)
    for i in range(ROUND_TRIPS):
        arg = (ARG % i).encode()
        obs.on_ws_message(n, C2S, b'42["echo",' + arg + b"]", False)
        obs.on_ws_message(n, S2C, b'42["echo",' + arg + b"]", False)
        obs.on_ws_message(n, C2S, b"42" + str(i).encode() + b'["ack_me",' + arg + b"]", False)
        obs.on_ws_message(n, S2C, b"43" + str(i).encode() + b"[" + arg + b',"ack"]', False)
    obs.on_ws_close(n, C2S, 1000, None)
    return 4 + 4 * ROUND_TRIPS


def _body3(*texts: str) -> bytes:
    return payload.encode_payload([EioPacket(type=EioType.MESSAGE, data=t) for t in texts], 3)


def eio3_polling(obs: LiveObserver, n: int) -> int:
    q = "EIO=3&transport=polling"
    xid = n * 100_000
    obs.on_http_request(xid, request(q), b"")
    open_body = payload.encode_payload(
        [EioPacket(type=EioType.OPEN, data=OPEN % n), EioPacket(type=EioType.MESSAGE, data="0")], 3
    )
    obs.on_http_response(xid, request(q), 200, (), open_body)
    q += f"&sid=S{n}"
    post = RequestInfo(
        method="POST", path="/socket.io/", query=q, headers=(), client="c", scheme="http"
    )
    for i in range(ROUND_TRIPS):
        arg = ARG % i
        xid += 2
        obs.on_http_request(xid, post, _body3(f'2["echo",{arg}]', f'2{i}["ack_me",{arg}]'))
        obs.on_http_response(xid, post, 200, (), b"ok")
        obs.on_http_request(xid + 1, request(q), b"")
        body = _body3(f'2["echo",{arg}]', f'3{i}[{arg},"ack"]')
        obs.on_http_response(xid + 1, request(q), 200, (), body)
    obs.shutdown()
    return 2 + 4 * ROUND_TRIPS


def legacy_ws(obs: LiveObserver, n: int) -> int:
    obs.on_http_request(n, request("", "/socket.io/1/"), b"")
    obs.on_http_response(n, request("", "/socket.io/1/"), 200, (), f"L{n}:60:60:websocket".encode())
    ws = n + 1
    obs.on_ws_open(ws, request("", f"/socket.io/1/websocket/L{n}"), None)
    obs.on_ws_message(ws, S2C, b"1::", False)
    for i in range(ROUND_TRIPS):
        ev = ('{"name":"echo","args":[%s]}' % (ARG % i)).encode()
        obs.on_ws_message(ws, C2S, b"5:::" + ev, False)
        obs.on_ws_message(ws, S2C, b"5:::" + ev, False)
        ack_me = ('{"name":"ack_me","args":[%s]}' % (ARG % i)).encode()
        obs.on_ws_message(ws, C2S, b"5:" + str(i).encode() + b"+::" + ack_me, False)
        reply = f'6:::{i}+[{ARG % i},"ack"]'.encode()
        obs.on_ws_message(ws, S2C, reply, False)
    obs.on_ws_close(ws, C2S, 1000, None)
    return 1 + 4 * ROUND_TRIPS


TRAFFIC: dict[str, Callable[[LiveObserver, int], int]] = {
    "eio4 websocket": eio4_ws,
    "eio3 polling": eio3_polling,
    "0.9 websocket": legacy_ws,
}


def observer(rules: str | None) -> LiveObserver:
    pipeline = Pipeline(parse_rules(rules), rng=None) if rules is not None else None
    return LiveObserver(clock=time.monotonic, sinks=[lambda _e: None], pipeline=pipeline)


def one_round(rules: str | None, traffic: Callable[[LiveObserver, int], int], n: int) -> float:
    obs = observer(rules)
    gc.disable()
    try:
        start = time.perf_counter()
        count = traffic(obs, n)
        elapsed = time.perf_counter() - start
    finally:
        gc.enable()
    return elapsed / count * 1e6


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rounds", type=int, default=15)
    args = parser.parse_args(argv)
    variants = {"none": None, "rules20": twenty_rules(), "rules20-hit": twenty_rules() + HIT}
    assert observer(variants["rules20"]).rewrite is not None  # the slow path is measured
    print(f"python {sys.version.split()[0]}, {args.rounds} rounds, {ROUND_TRIPS} round trips each")
    print(f"{'traffic':16} {'none us/pkt':>12} {'rules20':>10} {'ratio':>7} {'+1 hit':>10}")
    names = list(variants)
    for label, traffic in TRAFFIC.items():
        samples: dict[str, list[float]] = {k: [] for k in variants}
        for r in range(args.rounds):
            order = names[r % 3 :] + names[: r % 3]
            for k in order:
                samples[k].append(one_round(variants[k], traffic, r * 10 + 1))
        med = {k: statistics.median(v) for k, v in samples.items()}
        ratio = med["rules20"] / med["none"]
        print(
            f"{label:16} {med['none']:12.2f} {med['rules20']:10.2f} {ratio:7.2f}"
            f" {med['rules20-hit']:10.2f}"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
