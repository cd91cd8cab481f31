"""Packet factories and shorthands for the pipeline tests (generation-independent)."""

from __future__ import annotations

import random
from typing import Any

from sioproxy.codec.legacy import LegacyPacket, decode_packet, encode_packet
from sioproxy.codec.legacy_dict import packet_from_dict
from sioproxy.codec.packets import Packet
from sioproxy.codec.sio_dict import sio_from_dict
from sioproxy.codec.socketio import decode_sio, encode_sio
from sioproxy.pipeline import Emit, PacketContext, Pipeline, parse_rules, to_view
from sioproxy.pipeline.actions import packet_namespace
from sioproxy.types import Direction, Generation

C2S, S2C = Direction.C2S, Direction.S2C
LEGACY, EIO3, EIO4 = Generation.LEGACY, Generation.EIO3, Generation.EIO4
GENS = [LEGACY, EIO3, EIO4]


def pipe(toml: str = "", *, seed: int = 0, gap: int = 1000) -> tuple[Pipeline, list[str]]:
    logs: list[str] = []
    rules = parse_rules(toml, "test.toml") if toml else None
    return Pipeline(rules, rng=random.Random(seed), log=logs.append, inject_id_gap=gap), logs


def wire(packet: Packet) -> str:
    """The wire text (modern: the header only) of a packet."""
    if isinstance(packet, LegacyPacket):
        return encode_packet(packet)
    return str(encode_sio(packet)[0])


def decode(gen: Generation, text: str) -> Packet:
    if gen is LEGACY:
        return decode_packet(text)
    return decode_sio(text, 4 if gen is EIO3 else 5)


def event(gen: Generation, name: str, *args: Any, ns: str = "/", id: int | None = None) -> Packet:
    """An event as a peer would have sent it (decoded from wire text, so ``raw`` is set)."""
    if gen is LEGACY:
        d: dict[str, Any] = {"type": "event", "name": name, "args": list(args)}
        d["endpoint"] = "" if ns == "/" else ns
        if id is not None:
            d["id"], d["ack"] = id, "data"
        return decode_packet(encode_packet(packet_from_dict(d)))
    rev = 4 if gen is EIO3 else 5
    p = sio_from_dict({"type": "event", "nsp": ns, "id": id, "data": [name, *args]}, rev)
    return decode_sio(str(encode_sio(p)[0]), rev)


def ack(gen: Generation, ack_id: int, *args: Any, ns: str = "/") -> Packet:
    if gen is LEGACY:
        ep = "" if ns == "/" else ns
        d = {"type": "ack", "endpoint": ep, "ackId": ack_id, "args": list(args)}
        return decode_packet(encode_packet(packet_from_dict(d)))
    rev = 4 if gen is EIO3 else 5
    p = sio_from_dict({"type": "ack", "nsp": ns, "id": ack_id, "data": list(args)}, rev)
    return decode_sio(str(encode_sio(p)[0]), rev)


def ctx(
    gen: Generation, direction: Direction, conn: str = "c1", seq: int | None = None
) -> PacketContext:
    return PacketContext(
        conn=conn,
        direction=direction,
        transport="websocket",
        generation=gen,
        namespace="/",
        seq=seq,
    )


def run(p: Pipeline, gen: Generation, direction: Direction, packet: Packet, **kw: Any) -> list[Any]:
    c = ctx(gen, direction, **kw)
    return p.process(
        PacketContext(
            conn=c.conn,
            direction=c.direction,
            transport=c.transport,
            generation=gen,
            namespace=packet_namespace(packet),
            seq=c.seq,
        ),
        packet,
    )


def emits(actions: list[Any]) -> list[Emit]:
    return [a for a in actions if isinstance(a, Emit)]


def summary(gen: Generation, actions: list[Any]) -> list[tuple[Any, ...]]:
    """(direction, name, args, namespace, origin) of each Emit, the same for every generation."""
    out = []
    for e in emits(actions):
        v = to_view(e.packet, gen)
        out.append((str(e.direction), v.get("name"), v.get("args"), v["namespace"], e.origin))
    return out
