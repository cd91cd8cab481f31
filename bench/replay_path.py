"""In-process cost of the replay path: stand-in WebSocket + session + replay engine.

Layer: a benchmark script, not part of the package. Run it as
``.venv/bin/python bench/replay_path.py`` (``--profile`` for cProfile,
``--digest`` to print a hash of the bytes written to the client, which must
not change when the replay path is optimised).

It writes a recording of bench/run.py's replay row (EIO4 / SIO v5 over
WebSocket, node socket.io 4: ``40``, then ``--round-trips`` emit-with-ack
``42<id>["ack",{...}]`` answered by ``43<id>[{...}]``, then ``41``), builds the
stand-in site the way ``sioproxy replay --speed 0 -q`` does
(``sioproxy.standin.edge.replay_server``), and drives one WebSocket connection
of it without a network: the upgrade request and then the client's masked
frames, ``--chunk`` frames per ``dataReceived`` (a client with many acks in
flight sends several frames per TCP segment), into the protocol the site
builds, on a ``StringTransport`` and a deterministic ``Clock``.

``--legacy``: the same for bench/run.py's 0.9 replay row (node socket.io
0.9 over the websocket transport: ``1::`` from the server, then
``5:<id>+::{"name":"ack","args":[{...}]}`` answered by ``6:::<id>+[{...}]``,
then ``0::``); the session is made by the stand-in's handshake and the
WebSocket attaches to it, as the 0.9 client's ``/socket.io/1/websocket/<sid>``.
Its digest is its own (printed with ``--digest`` too).

Reports CPU time (``time.process_time``) per Socket.IO packet (2 per round
trip): the median and range over ``--reps`` runs, each on a fresh server.
Then the start-up, medians in CPU milliseconds: ``read`` (``read_recording``
of the file, with the objects of the earlier reads still alive, as in a test
session that replays several recordings), ``service`` (the replay service:
the causes of every server packet) and ``opening`` (the first connection:
upgrade, script build, ``40``).
"""

from __future__ import annotations

import argparse
import cProfile
import gc
import hashlib
import json
import os
import pstats
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from twisted.internet.address import IPv4Address
from twisted.internet.task import Clock
from twisted.internet.testing import StringTransport

from sioproxy.codec.legacy import decode_packet
from sioproxy.codec.legacy_dict import packet_to_dict
from sioproxy.codec.wsframe import TEXT, encode_frame
from sioproxy.recording.model import Recording
from sioproxy.recording.reader import read_recording
from sioproxy.standin.edge.handshake import WsRoute
from sioproxy.standin.edge.site import build_standin_site
from sioproxy.standin.replay.config import standin_config
from sioproxy.standin.replay.engine import ReplayOptions
from sioproxy.standin.replay.serve import ReplayService

OPEN = (
    '0{"sid":"24KmPmknektQ9EPXAAAA","upgrades":[],"pingInterval":25000,'
    '"pingTimeout":60000,"maxPayload":10000000}'
)
UPGRADE = (
    b"GET /socket.io/?EIO=4&transport=websocket HTTP/1.1\r\n"
    b"Host: 127.0.0.1:8080\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
    b"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n"
)


def _arg(i: int) -> str:
    return json.dumps(
        {"seq": i, "msg": "hello from the client", "n": 7, "list": [1, 2, 3]},
        separators=(",", ":"),
    )


def write_recording(path: str, round_trips: int) -> list[str]:
    """The recording bench/run.py makes (same packet shapes); returns the client's messages."""
    lines: list[dict[str, Any]] = [
        {
            "kind": "header",
            "format": "sioproxy-recording",
            "version": 1,
            "generation": None,
            "created": "2026-11-27T00:00:00.000Z",
            "tool": "sioproxy bench",
            "upstream": "http://127.0.0.1:3000",
            "redactions": {"headers": [], "query": [], "auth": False},
        },
        {
            "kind": "open",
            "seq": 1,
            "conn": "c1",
            "t": 0.0,
            "generation": "eio4",
            "transport": "websocket",
            "sid": None,
            "request": {"method": "GET", "path": "/socket.io/", "query": "EIO=4", "headers": []},
        },
    ]
    t = 0.0
    seq = 1

    def packet(direction: str, raw: str, decoded: dict[str, Any], **extra: Any) -> None:
        nonlocal t, seq
        t += 0.0001
        seq += 1
        sio = {"eio": "message", "sio": decoded} if raw[0] == "4" else json.loads(raw[1:])
        if raw[0] == "0":
            sio = {"eio": "open", "data": sio}
        lines.append(
            {"kind": "packet", "seq": seq, "conn": "c1", "t": round(t, 6), "dir": direction}
            | {"transport": "websocket", "raw": raw, "packet": sio}
            | extra
        )

    packet("s2c", OPEN, {})
    packet("c2s", "40", {"type": "connect", "nsp": "/"})
    packet("s2c", '40{"sid":"lLC9mLZ0LBlR8qFxAAAA"}', _connect_reply())
    client = ["40"]
    for i in range(round_trips):
        arg = json.loads(_arg(i))
        packet("c2s", f'42{i}["ack",{_arg(i)}]', _sio("event", i, ["ack", arg]))
        request_seq = seq
        packet("s2c", f"43{i}[{_arg(i)}]", _sio("ack", i, [arg]), ack_of=request_seq)
        client.append(f'42{i}["ack",{_arg(i)}]')
    packet("c2s", "41", {"type": "disconnect", "nsp": "/"})
    client.append("41")
    with open(path, "w", encoding="utf-8") as out:
        for line in lines:
            out.write(json.dumps(line, separators=(",", ":")) + "\n")
    return client


def write_legacy_recording(path: str, round_trips: int) -> list[str]:
    """bench/run.py's 0.9 replay row's recording; returns the client's messages."""
    with open(path, "w", encoding="utf-8") as out:
        for line in _legacy_lines(round_trips):
            out.write(json.dumps(line, separators=(",", ":")) + "\n")
    return [m for d, m in _legacy_traffic(round_trips) if d == "c2s"]


def _legacy_traffic(round_trips: int) -> list[tuple[str, str]]:
    traffic = [("s2c", "1::")]
    for i in range(1, round_trips + 1):  # the 0.9 client's ack ids start at 1
        traffic.append(("c2s", f'5:{i}+::{{"name":"ack","args":[{_arg(i)}]}}'))
        traffic.append(("s2c", f"6:::{i}+[{_arg(i)}]"))
    return [*traffic, ("c2s", "0::")]


def _legacy_lines(round_trips: int) -> list[dict[str, Any]]:
    header = {"kind": "header", "format": "sioproxy-recording", "version": 1}
    header |= {"generation": "0.9", "created": "2026-11-27T00:00:00.000Z"}
    header |= {"tool": "sioproxy bench", "upstream": "http://127.0.0.1:3000"}
    header |= {"redactions": {"headers": [], "query": [], "auth": False}}
    request = {"method": "GET", "path": "/socket.io/1/", "query": "", "headers": []}
    opened = {"kind": "open", "seq": 1, "conn": "c1", "t": 0.0, "generation": "0.9"}
    lines = [header, opened | {"transport": "websocket", "sid": None, "request": request}]
    for seq, (direction, raw) in enumerate(_legacy_traffic(round_trips), start=2):
        line = {"kind": "packet", "seq": seq, "conn": "c1", "t": round(seq * 0.0001, 6)}
        line |= {"dir": direction, "transport": "websocket", "raw": raw}
        line |= {"packet": packet_to_dict(decode_packet(raw))}
        if raw.startswith("6:"):  # as `sioproxy record` writes it: the request's seq
            line |= {"ack_of": seq - 1}
        lines.append(line)
    return lines


def _sio(kind: str, ack_id: int, data: list[Any]) -> dict[str, Any]:
    return {"type": kind, "nsp": "/", "id": ack_id, "data": data}


def _connect_reply() -> dict[str, Any]:
    return {"type": "connect", "nsp": "/", "data": {"sid": "lLC9mLZ0LBlR8qFxAAAA"}}


def client_chunks(messages: list[str], chunk: int) -> list[bytes]:
    """The client's masked frames: the first (``40``; 0.9: the first emit, which
    picks the recorded connection) alone, then ``chunk`` to a ``dataReceived``."""
    frames = [encode_frame(TEXT, m.encode(), masked=True) for m in messages]
    rest = frames[1:]
    return [frames[0], *(b"".join(rest[i : i + chunk]) for i in range(0, len(rest), chunk))]


class _Transport(StringTransport):
    """A ``StringTransport`` that, like TCP, lets a protocol unregister no producer."""

    def unregisterProducer(self) -> None:  # noqa: N802 - twisted's name
        self.producer = None


def run_once(
    recording: Recording,
    chunks: list[bytes],
    profiler: cProfile.Profile | None = None,
    legacy: bool = False,
) -> tuple[float, float, bytes]:
    """One connection served start to end.

    Returns the CPU seconds of making the service (the causes), of the opening
    (upgrade, script build, ``40``) and of the rest (the round trips and the
    close), and the bytes written.
    """
    clock = Clock()
    gc.collect()
    begun = time.process_time()
    service = ReplayService(
        recording,
        ReplayOptions(speed=0.0),
        clock=clock.seconds,
        schedule=clock.callLater,
        log=None,
        verbose=False,
    )
    site = build_standin_site(clock, standin_config(recording), service.app_factory)
    factory = site.resource.ws_factory
    transport = _Transport(peerAddress=IPv4Address("TCP", "127.0.0.1", 50000))
    made = time.process_time() - begun
    gc.collect()
    start = time.process_time()
    route, upgrade = WsRoute(sid=None), UPGRADE
    if legacy:  # the handshake (GET /socket.io/1/), then the websocket transport
        sid = site.server.new_legacy_session().sid
        route = WsRoute(sid=sid)
        upgrade = UPGRADE.replace(b"/?EIO=4&transport=websocket", f"/1/websocket/{sid}".encode())
    proto = factory.build(transport.getPeer(), route)
    transport.protocol = proto
    proto.makeConnection(transport)
    proto.dataReceived(upgrade)
    transport.protocol.dataReceived(chunks[0])
    opened = time.process_time()
    if profiler is not None:
        profiler.enable()
    for data in chunks[1:]:
        transport.protocol.dataReceived(data)
        clock.advance(0)  # --speed 0 pushes: due now
    transport.protocol.dataReceived(encode_frame(0x8, b"\x03\xe8", masked=True))
    if profiler is not None:
        profiler.disable()
    done = time.process_time()
    if service.stats.misses or service.summary().unplayed:
        raise SystemExit(f"replay went wrong: {service.stats}")
    return made, opened - start, done - opened, transport.value()


def digest(written: bytes) -> str:
    """SHA-256 of the written bytes with the random sids blanked out."""
    _head, _, frames = written.partition(b"\r\n\r\n")
    text = frames.decode("latin-1")
    for marker in ('"sid":"',):
        parts = text.split(marker)
        text = marker.join([parts[0], *(p[20:] for p in parts[1:])])
    return hashlib.sha256(text.encode("latin-1")).hexdigest()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--round-trips", type=int, default=20_000)
    parser.add_argument("--chunk", type=int, default=8, help="client frames per read")
    parser.add_argument("--reps", type=int, default=5)
    parser.add_argument("--profile", action="store_true", help="one extra run under cProfile")
    parser.add_argument("--top", type=int, default=30, help="profile rows shown")
    parser.add_argument("--digest", action="store_true", help="print the written bytes' hash")
    parser.add_argument("--legacy", action="store_true", help="socket.io 0.9 (websocket)")
    args = parser.parse_args(argv)
    write = write_legacy_recording if args.legacy else write_recording
    packets = 2 * args.round_trips + 1  # + the disconnect
    with tempfile.TemporaryDirectory(prefix="sioproxy-bench-") as tmp:
        path = os.path.join(tmp, "rec.jsonl")
        chunks = client_chunks(write(path, args.round_trips), args.chunk)
        reads, kept = [], []
        for _ in range(args.reps):
            begun = time.process_time()
            kept.append(read_recording(path))
            reads.append((time.process_time() - begun) * 1e3)
        recording = kept[0]
    samples, opens, makes, written = [], [], [], b""
    for _ in range(args.reps):
        made, opening, seconds, written = run_once(recording, chunks, legacy=args.legacy)
        samples.append(seconds / packets * 1e6)
        opens.append(opening * 1e3)
        makes.append(made * 1e3)
    median = statistics.median(samples)
    kind = " (0.9)" if args.legacy else ""
    print(
        f"replay path{kind}: {median:.2f} us/packet (median of {args.reps}, "
        f"range {min(samples):.2f}-{max(samples):.2f}), {packets} packets per run, "
        f"{args.chunk} frames per read; opening {statistics.median(opens):.1f} ms"
    )
    print(
        f"start-up: read {statistics.median(reads):.0f} ms, service"
        f" {statistics.median(makes):.0f} ms, opening {statistics.median(opens):.0f} ms"
        f" (CPU, medians of {args.reps})"
    )
    if args.digest:
        print(f"written sha256: {digest(written)} ({len(written)} bytes)")
    if args.profile:
        profiler = cProfile.Profile()
        run_once(recording, chunks, profiler, args.legacy)  # the round trips only
        stats = pstats.Stats(profiler, stream=sys.stdout)
        stats.sort_stats("tottime").print_stats(args.top)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
