"""Codec throughput of sioproxy against python-socketio 5 and python-engineio 4.

Both sides run in one process on the same Socket.IO v5 / Engine.IO 4 inputs.

Layer: a benchmark script, not part of the package. It imports ``sioproxy.codec``
and the two peer libraries; run it as ``python bench/codec.py`` (``make bench-codec``).

Each row times one task on both sides: a loop over a fixed list of inputs, the
whole list ``loops`` times per sample. Samples of all rows and both sides are
interleaved (row by row, sides alternating who goes first) so drift in the
machine's speed hits both alike; the garbage collector is off during a sample,
as in ``timeit``. A row reports packets per second (median, min and max over the
repetitions) and the ratio of medians sioproxy/peer.

Equivalent work on both sides (checked before timing, see ``check_equivalence``):

* sio decode: ``decode_sio(text, 5)`` against ``socketio.packet.Packet(encoded_packet=text)``;
  both parse the header and the JSON payload (binary headers included).
* sio encode: build the packet from (type, nsp, id, data) and encode it; python-socketio
  looks for bytes in every payload, so sioproxy always goes through ``to_binary_packet``.
* sio forward: re-encode an already decoded packet (sioproxy gives back ``raw``
  after checking the packet is unchanged; python-socketio dumps the JSON again).
* eio / payload: ``decode_eio``/``encode_eio`` against ``engineio.packet.Packet``,
  ``decode_payload``/``encode_payload`` (bytes in and out) against
  ``engineio.payload.Payload`` plus the UTF-8 decode/encode its server does around it.
"""

from __future__ import annotations

import argparse
import gc
import json
import platform
import statistics
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from importlib.metadata import version
from typing import Any

from engineio import packet as eio_peer
from engineio import payload as payload_peer
from socketio import packet as sio_peer

from sioproxy.codec.binary import SioDecoder, to_binary_packet
from sioproxy.codec.engineio import EioPacket, EioType, decode_eio, encode_eio
from sioproxy.codec.payload import decode_payload, encode_payload
from sioproxy.codec.placeholders import reassemble
from sioproxy.codec.socketio import SioPacket, SioType, decode_sio, encode_sio

DECODE_TARGET = 1.5
MIXED = "mixed (all above)"

# --------------------------------------------------------------------------- corpus


def _placeholder(num: int) -> dict[str, Any]:
    return {"_placeholder": True, "num": num}


def _dumps(value: Any) -> str:
    # socket.io's JSON.stringify: compact, non-ASCII text as raw UTF-8.
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False)


def _medium_payloads() -> list[Any]:
    """JSON arguments of 0.4 to 2 KB: lists of records, nested objects, numbers of each kind."""
    users = [
        {
            "id": 1000 + i,
            "name": f"user-{i:03d}",
            "score": round(i * 3.14159, 3),
            "active": i % 3 != 0,
            "tags": ["admin", "beta"][: i % 3],
            "last_seen": None if i % 4 == 0 else 1712345678901 + i * 1000,
        }
        for i in range(12)
    ]
    room = {"room": "lobby", "topic": "weekly sync", "members": users[:5], "limits": {"max": 50}}
    prices = {"symbol": "EURUSD", "bids": [[1.0841 + i / 1e4, 100 * i] for i in range(20)]}
    return [users, room, prices, {"messages": [{"from": u["name"], "text": "ok"} for u in users]}]


def sio_corpus() -> dict[str, list[str]]:
    """Socket.IO v5 packet texts (the data of an EIO ``4`` message) by kind."""
    medium = _medium_payloads()
    return {
        "event small": [
            '2["message","hello"]',
            '2["typing",true]',
            '2["move",{"x":12,"y":-3,"t":1712345678901}]',
            '2/chat,["join","room-42"]',
            '27["get_user",{"id":1001}]',
            '2/admin,13["stats",{"window":"5m","detail":false}]',
        ],
        "event medium": [
            "2" + _dumps(["users", medium[0]]),
            "2/chat," + _dumps(["room", medium[1]]),
            "24" + _dumps(["prices", medium[2], 1.5, None]),
            "2/chat,99" + _dumps(["history", medium[3]]),
        ],
        "ack": [
            '30["ok"]',
            '37[{"status":"ok","id":1001}]',
            "3/chat,12" + _dumps([None, {"messages": medium[3]["messages"][:3]}]),
            "3255[]",
        ],
        "connect": [
            "0",
            "0/admin,",
            '0{"token":"eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMDAxIn0.c2lnbmF0dXJl","v":3}',
            '0/admin,{"token":"abc123","room":"ops"}',
            '0{"sid":"lNqN2fFkAzLRhyXSAAAB"}',
            '0/admin,{"sid":"oSO0OpakmV8ssf8yAAAD"}',
        ],
        "disconnect+error": [
            "1",
            "1/admin,",
            '4{"message":"Not authorized","data":{"code":401}}',
            '4/admin,{"message":"Invalid namespace"}',
        ],
        "non-ASCII+emoji": [
            '2["msg","héllo wörld, naïve café — déjà vu"]',
            '2/chat,["msg",{"text":"Привет, мир! 😀🎉","from":"Zoë"}]',
            '2["emoji","👍🏽👨\u200d👩\u200d👧\u200d👦🇫🇷"]',
            '21["translate",{"ja":"日本語のテキスト","ar":"مرحبا","emoji":"🚀"}]',
        ],
        "binary header": [
            "51-" + _dumps(["upload", _placeholder(0)]),
            "52-/files,9"
            + _dumps(["chunk", {"name": "photo.png", "data": _placeholder(0)}, _placeholder(1)]),
            "61-/files,9" + _dumps([_placeholder(0)]),
            "51-3" + _dumps(["avatar", {"user": 1001, "img": _placeholder(0)}]),
        ],
    }


def mixed(corpus: dict[str, list[str]]) -> list[str]:
    """Every input once, kinds interleaved round-robin (no two packets of a kind in a row)."""
    lists = list(corpus.values())
    longest = max(len(items) for items in lists)
    return [items[i] for i in range(longest) for items in lists if i < len(items)]


def _attachments(header: str) -> list[bytes]:
    count = decode_sio(header, 5).attachment_count or 0
    return [bytes(range(k, k + 64)) * 4 for k in range(count)]


OPEN = (
    '0{"sid":"lNqN2fFkAzLRhyXSAAAB","upgrades":["websocket"],'
    '"pingInterval":25000,"pingTimeout":20000,"maxPayload":1000000}'
)


def eio_corpus(sio: dict[str, list[str]]) -> dict[str, list[str | bytes]]:
    """Engine.IO 4 WebSocket frames by kind: control packets, the handshake, messages."""
    messages: list[str | bytes] = ["4" + text for text in mixed(sio)]
    return {
        "control": ["2", "3", "2probe", "3probe", "5", "6", "1"],
        "open": [OPEN],
        "message text": messages,
        "message binary": [bytes(range(n % 256)) * 4 for n in (16, 64, 200)],
    }


def payload_bodies(frames: Sequence[str | bytes], size: int) -> list[bytes]:
    """8 polling bodies of ``size`` packets each, cut from the frames in turn (B.5.1)."""
    bodies = []
    for start in range(8):
        parts = []
        for k in range(size):
            frame = frames[(start * size + k) % len(frames)]
            parts.append(encode_eio(decode_eio(frame, 4), 4, b64=True))
        bodies.append("\x1e".join(str(p) for p in parts).encode("utf-8"))
    return bodies


# --------------------------------------------------------------------------- tasks

Loop = Callable[[list[Any]], Any]


@dataclass
class Case:
    """One row: the same inputs through sioproxy (``ours``) and the peer library."""

    group: str
    name: str
    items: list[Any]
    ours: Loop
    peer: Loop
    per_item: int = 1  # packets in one input (a payload body holds several)
    samples: dict[str, list[float]] = field(default_factory=lambda: {"ours": [], "peer": []})

    @property
    def packets(self) -> int:
        return len(self.items) * self.per_item


def sio_decode_ours(items: list[str]) -> list[Any]:
    return [decode_sio(text, 5) for text in items]


def sio_decode_peer(items: list[str]) -> list[Any]:
    packet = sio_peer.Packet
    return [packet(encoded_packet=text) for text in items]


# Each side gets the type in its own form: SioType/EioType for sioproxy, an int for the peer.
SioFields = tuple[SioType, int, str, "int | None", Any]
EioFields = tuple[EioType, int, Any]


def sio_encode_ours(items: list[SioFields]) -> list[Any]:
    out = []
    for ptype, _, nsp, pid, data in items:
        packet = SioPacket(type=ptype, nsp=nsp, id=pid, data=data)
        out.append(encode_sio(to_binary_packet(packet)))
    return out


def sio_encode_peer(items: list[SioFields]) -> list[Any]:
    packet = sio_peer.Packet
    return [
        packet(ptype, data=data, namespace=nsp, id=pid).encode()
        for _, ptype, nsp, pid, data in items
    ]


def sio_forward_ours(items: list[tuple[SioPacket, Any]]) -> list[Any]:
    return [encode_sio(p) for p, _ in items]


def sio_forward_peer(items: list[tuple[SioPacket, Any]]) -> list[Any]:
    return [p.encode() for _, p in items]


def sio_binary_ours(items: list[tuple[str, list[bytes]]]) -> list[Any]:
    decoder = SioDecoder(5)
    feed = decoder.feed
    out = []
    for header, atts in items:
        packet = feed(header)
        for att in atts:
            packet = feed(att)
        assert packet is not None
        out.append(packet.resolved)
    return out


def sio_binary_peer(items: list[tuple[str, list[bytes]]]) -> list[Any]:
    out = []
    for header, atts in items:
        packet = sio_peer.Packet(encoded_packet=header)
        for att in atts:
            packet.add_attachment(att)
        out.append(packet.data)
    return out


def eio_decode_ours(items: list[str | bytes]) -> list[Any]:
    return [decode_eio(frame, 4) for frame in items]


def eio_decode_peer(items: list[str | bytes]) -> list[Any]:
    packet = eio_peer.Packet
    return [packet(encoded_packet=frame) for frame in items]


def eio_encode_ours(items: list[EioFields]) -> list[Any]:
    return [encode_eio(EioPacket(type=t, data=d), 4) for t, _, d in items]


def eio_encode_peer(items: list[EioFields]) -> list[Any]:
    packet = eio_peer.Packet
    return [packet(t, d).encode() for _, t, d in items]


def payload_decode_ours(items: list[bytes]) -> list[Any]:
    return [decode_payload(body, 4) for body in items]


def payload_decode_peer(items: list[bytes]) -> list[Any]:
    payload = payload_peer.Payload
    return [payload(encoded_payload=body.decode("utf-8")).packets for body in items]


def payload_encode_ours(items: list[list[EioFields]]) -> list[bytes]:
    make = EioPacket
    return [encode_payload([make(type=t, data=d) for t, _, d in body], 4) for body in items]


def payload_encode_peer(items: list[list[EioFields]]) -> list[bytes]:
    make, payload = eio_peer.Packet, payload_peer.Payload
    return [
        payload(packets=[make(t, d) for _, t, d in body]).encode().encode("utf-8") for body in items
    ]


def stack_ours(items: list[bytes]) -> list[Any]:
    return [[decode_sio(p.data, 5) for p in decode_payload(body, 4)] for body in items]  # type: ignore[arg-type]


def stack_peer(items: list[bytes]) -> list[Any]:
    payload, packet = payload_peer.Payload, sio_peer.Packet
    return [
        [packet(encoded_packet=p.data) for p in payload(encoded_payload=body.decode()).packets]
        for body in items
    ]


# --------------------------------------------------------------------------- cases


def _sio_fields(text: str) -> SioFields:
    """(type, nsp, id, data) to encode: a binary header gets real bytes back in its data."""
    p = decode_sio(text, 5)
    data = p.data
    ptype = p.type
    if p.attachment_count:
        data = reassemble(data, _attachments(text))
        ptype = SioType.EVENT if p.type is SioType.BINARY_EVENT else SioType.ACK
    return ptype, int(ptype), p.nsp, p.id, data


def sio_cases(corpus: dict[str, list[str]]) -> list[Case]:
    every = mixed(corpus)
    kinds = [*corpus.items(), (MIXED, every)]
    cases = [Case("sio decode", k, v, sio_decode_ours, sio_decode_peer) for k, v in kinds]
    cases += [
        Case("sio encode", k, [_sio_fields(t) for t in v], sio_encode_ours, sio_encode_peer)
        for k, v in kinds
    ]
    plain = [t for t in every if not t.startswith(("5", "6"))]
    cases.append(
        Case(
            "sio forward",
            "decoded, re-encode",
            list(zip(sio_decode_ours(plain), sio_decode_peer(plain), strict=True)),
            sio_forward_ours,
            sio_forward_peer,
        )
    )
    binary = [(t, _attachments(t)) for t in corpus["binary header"]]
    cases.append(Case("sio binary", "header+attachments", binary, sio_binary_ours, sio_binary_peer))
    return cases


def _eio_fields(frames: list[str | bytes]) -> list[EioFields]:
    return [(p.type, int(p.type), p.data) for p in eio_decode_ours(frames)]


def eio_cases(sio: dict[str, list[str]]) -> list[Case]:
    corpus = eio_corpus(sio)
    frames = [f for items in corpus.values() for f in items]
    kinds = [*corpus.items(), (MIXED, frames)]
    cases = [Case("eio decode", k, v, eio_decode_ours, eio_decode_peer) for k, v in kinds]
    cases += [
        Case("eio encode", k, _eio_fields(v), eio_encode_ours, eio_encode_peer) for k, v in kinds
    ]
    # Polling bodies: mostly messages, a ping now and then, binary as b<base64>.
    traffic = [*corpus["message text"], "2", *corpus["message binary"], "3", "6"]
    for size in (1, 5, 16):
        bodies = payload_bodies(traffic, size)
        fields = [_eio_fields(list(b.decode().split("\x1e"))) for b in bodies]
        name = f"{size} packet{'s' if size > 1 else ''}/body"
        cases.append(
            Case("payload decode", name, bodies, payload_decode_ours, payload_decode_peer, size)
        )
        cases.append(
            Case("payload encode", name, fields, payload_encode_ours, payload_encode_peer, size)
        )
    stack = payload_bodies(corpus["message text"], 16)
    cases.append(Case("payload+sio", "16 messages/body", stack, stack_ours, stack_peer, 16))
    return cases


def all_cases() -> list[Case]:
    sio = sio_corpus()
    return sio_cases(sio) + eio_cases(sio)


# --------------------------------------------------------------------------- equivalence


def _sio_view(p: Any) -> tuple[Any, ...]:
    if isinstance(p, SioPacket):
        return int(p.type), p.nsp, p.id, p.data, p.attachment_count or 0
    return p.packet_type, p.namespace or "/", p.id, p.data, p.attachment_count


def _header_view(encoded: Any) -> tuple[Any, ...]:
    parts = encoded if isinstance(encoded, list) else [encoded]
    return (*_sio_view(decode_sio(parts[0], 5)), parts[1:])


def _eio_view(p: Any) -> tuple[Any, ...]:
    if isinstance(p, EioPacket):
        data = p.data
        if p.type is EioType.OPEN and isinstance(data, str):
            data = json.loads(data)  # python-engineio parses the handshake JSON
        return int(p.type), data
    # python-engineio leaves "" where a packet has no data ("1"); sioproxy leaves None.
    return p.packet_type, None if p.data == "" else p.data


def _views(group: str, results: list[Any]) -> list[Any]:
    if group == "sio decode":
        return [_sio_view(p) for p in results]
    if group in ("sio encode", "sio forward"):
        return [_header_view(e) for e in results]
    if group == "eio decode":
        return [_eio_view(p) for p in results]
    if group == "payload decode":
        return [[_eio_view(p) for p in body] for body in results]
    if group == "payload+sio":
        return [[_sio_view(p) for p in body] for body in results]
    return results  # encoded bytes/str and reassembled data compare as they are


def check_equivalence(cases: Sequence[Case]) -> None:
    """Both sides must turn every input into the same packets; raise if not."""
    for case in cases:
        ours = _views(case.group, list(case.ours(case.items)))
        peer = _views(case.group, list(case.peer(case.items)))
        if len(ours) != len(case.items) or ours != peer:
            pairs = enumerate(zip(ours, peer, strict=False))
            bad = next((i for i, (a, b) in pairs if a != b), 0)
            raise AssertionError(
                f"{case.group} / {case.name}: outputs differ at input {bad}: "
                f"{ours[bad]!r} != {peer[bad]!r}"
            )


# --------------------------------------------------------------------------- timing

SIDES = ("ours", "peer")


def _run(fn: Loop, items: list[Any], loops: int) -> float:
    """Seconds for ``loops`` passes over ``items``, garbage collector off (as timeit)."""
    gc.disable()
    try:
        start = time.perf_counter()
        for _ in range(loops):
            fn(items)
        return time.perf_counter() - start
    finally:
        gc.enable()


def calibrate(case: Case, sample_time: float) -> dict[str, int]:
    """Loops per sample for each side so that one sample lasts about ``sample_time``."""
    loops = {}
    for side in SIDES:
        fn = getattr(case, side)
        n = 1
        elapsed = _run(fn, case.items, n)  # warm-up pass, then grow until measurable
        while elapsed < 0.005:
            n *= 4
            elapsed = _run(fn, case.items, n)
        loops[side] = max(1, round(n * sample_time / elapsed))
    return loops


def measure(cases: Sequence[Case], reps: int, sample_time: float) -> None:
    """Fill ``case.samples`` with packets/s; repetitions interleave every row and both sides."""
    # A full collection costs ~20 ms with both libraries imported: freeze the
    # heap once instead of collecting before every sample.
    gc.collect()
    gc.freeze()
    plan = [(case, calibrate(case, sample_time)) for case in cases]
    for rep in range(reps):
        for case, loops in plan:
            order = SIDES if rep % 2 == 0 else SIDES[::-1]
            for side in order:
                elapsed = _run(getattr(case, side), case.items, loops[side])
                case.samples[side].append(case.packets * loops[side] / elapsed)


# --------------------------------------------------------------------------- report


def _stats(samples: list[float]) -> dict[str, float]:
    return {"median": statistics.median(samples), "min": min(samples), "max": max(samples)}


def ratio(case: Case) -> float:
    return _stats(case.samples["ours"])["median"] / _stats(case.samples["peer"])["median"]


def _fmt(samples: list[float]) -> str:
    s = _stats(samples)
    return f"{s['median'] / 1e3:9,.0f}k [{s['min'] / 1e3:,.0f}-{s['max'] / 1e3:,.0f}]"


def table(cases: Sequence[Case]) -> str:
    head = (
        f"{'group':<15} {'case':<20} {'n':>4} "
        f"{'sioproxy pkt/s':>26} {'peer pkt/s':>26} {'ratio':>6}"
    )
    lines = [head, "-" * len(head)]
    for case in cases:
        lines.append(
            f"{case.group:<15} {case.name:<20} {len(case.items):>4} "
            f"{_fmt(case.samples['ours']):>26} {_fmt(case.samples['peer']):>26} "
            f"{ratio(case):>5.2f}x"
        )
    return "\n".join(lines)


def target_case(cases: Sequence[Case]) -> Case:
    return next(c for c in cases if c.group == "sio decode" and c.name == MIXED)


def verdict(cases: Sequence[Case]) -> tuple[bool, str]:
    case = target_case(cases)
    r = ratio(case)
    ours, peer = case.samples["ours"], case.samples["peer"]
    spread = f"per-rep range {min(ours) / max(peer):.2f}x-{max(ours) / min(peer):.2f}x"
    ok = r >= DECODE_TARGET
    word = "PASS" if ok else "FAIL"
    return ok, (
        f"{word}: decode_sio is {r:.2f}x python-socketio Packet on the mixed v5 corpus "
        f"(target >= {DECODE_TARGET}x; {spread})"
    )


def to_json(cases: Sequence[Case], args: argparse.Namespace, ok: bool) -> dict[str, Any]:
    rows = [
        {
            "group": c.group,
            "case": c.name,
            "inputs": len(c.items),
            "packets_per_input": c.per_item,
            "sioproxy": {**_stats(c.samples["ours"]), "samples": c.samples["ours"]},
            "peer": {**_stats(c.samples["peer"]), "samples": c.samples["peer"]},
            "ratio": ratio(c),
        }
        for c in cases
    ]
    meta = {
        "unit": "packets/s",
        "python": sys.version.split()[0],
        "platform": platform.platform(),
        "python-socketio": version("python-socketio"),
        "python-engineio": version("python-engineio"),
        "reps": args.reps,
        "sample_time_s": args.sample_time,
        "quick": args.quick,
    }
    target = {"ratio": ratio(target_case(cases)), "target": DECODE_TARGET, "pass": ok}
    return {"meta": meta, "decode_target": target, "rows": rows}


# --------------------------------------------------------------------------- main


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--quick", action="store_true", help="short run (a few seconds)")
    parser.add_argument("--json", metavar="FILE", help="also write the numbers to FILE")
    parser.add_argument("--check", action="store_true", help="exit 1 when the decode target fails")
    parser.add_argument(
        "--reps", type=int, help="repetitions per row and side (default 7, quick 5)"
    )
    parser.add_argument(
        "--budget", type=float, help="seconds of timed samples (default 40, quick 4)"
    )
    parser.add_argument("--filter", default="", help="only rows whose group or case contains this")
    args = parser.parse_args(argv)
    args.reps = max(5, args.reps or (5 if args.quick else 7))
    args.budget = args.budget or (4.0 if args.quick else 40.0)
    return args


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    cases = all_cases()
    try:
        check_equivalence(cases)
    except AssertionError as exc:
        print(f"bench/codec.py: the two sides disagree, nothing timed: {exc}", file=sys.stderr)
        return 2
    wanted = [c for c in cases if args.filter in f"{c.group} {c.name}"]
    if target_case(cases) not in wanted:
        wanted.insert(0, target_case(cases))  # the verdict needs it
    args.sample_time = min(0.25, args.budget / (len(wanted) * len(SIDES) * args.reps))
    print(
        f"sioproxy codec vs python-socketio {version('python-socketio')} / python-engineio "
        f"{version('python-engineio')}, Python {sys.version.split()[0]}: {len(wanted)} rows x "
        f"{args.reps} reps x 2 sides, {args.sample_time * 1e3:.0f} ms/sample",
        flush=True,
    )
    measure(wanted, args.reps, args.sample_time)
    ok, line = verdict(wanted)
    print("packets/s: median [min-max] over interleaved repetitions; ratio = median sioproxy/peer")
    print(table(wanted))
    print(line)
    if args.json:
        with open(args.json, "w", encoding="utf-8") as f:
            json.dump(to_json(wanted, args, ok), f, indent=1)
            f.write("\n")
    return 1 if args.check and not ok else 0


if __name__ == "__main__":
    sys.exit(main())
