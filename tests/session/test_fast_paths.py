"""The short paths of polling bodies and 0.9 WebSocket frames give the general paths' events.

``Connection.eio_packets`` hands each text message of a polling body to
``_text_packet`` (the path ``ws_text`` takes) and ``Connection.legacy_text``
takes a 0.9 WebSocket frame of one packet (docs/performance.md). Two
connections are fed the same traffic, one through the short path and one
through the general one; the events must be equal field by field, and so must
the ack bookkeeping.
"""

from __future__ import annotations

import dataclasses
import itertools

import pytest

from sioproxy.codec import engineio, payload
from sioproxy.session import PacketSeen
from sioproxy.session.connection import Connection
from sioproxy.types import Direction, Generation

from .test_ws_text import FRAMES

C2S, S2C = Direction.C2S, Direction.S2C


def _pair(generation: Generation) -> tuple[Connection, Connection]:
    clocks = (itertools.count(1), itertools.count(1))
    fast = Connection("c1", generation, lambda: (next(clocks[0]), 0.5))
    slow = Connection("c1", generation, lambda: (next(clocks[1]), 0.5))
    return fast, slow


def _same(got: list[PacketSeen], expected: list[PacketSeen]) -> None:
    assert got == expected
    for a, b in zip(got, expected, strict=True):
        assert dataclasses.astuple(a) == dataclasses.astuple(b)
        if a.sio is not None and b.sio is not None:
            assert a.sio.raw == b.sio.raw


def _general(conn: Connection, direction: Direction, body: bytes) -> list[PacketSeen]:
    """What ``eio_packets`` gave before it had a short path: every packet the long way."""
    events = []
    for packet in payload.decode_payload(body, conn.eio_version):
        raw = engineio.encode_eio(packet, conn.eio_version, b64=True)
        event = conn._eio_packet(direction, packet, raw, "polling")
        if event is not None:
            events.append(event)
    return events


def _bodies(version: int) -> list[tuple[Direction, bytes]]:
    """FRAMES as polling bodies: runs of one direction, binary frames in base64 form."""
    bodies: list[tuple[Direction, list[bytes]]] = []
    for direction, data, is_binary in FRAMES:
        if data in (b"\xff\xfe", b"9garbage"):
            continue  # a body that does not decode is undecoded as a whole, not per packet
        if is_binary:
            packet = engineio.EioPacket(type=engineio.EioType.MESSAGE, data=data)
            data = str(engineio.encode_eio(packet, version, b64=True)).encode()
        if bodies and bodies[-1][0] is direction:
            bodies[-1][1].append(data)
        else:
            bodies.append((direction, [data]))
    if version == 4:
        return [(d, b"\x1e".join(parts)) for d, parts in bodies]
    return [(d, b"".join(_v3_frame(p.decode()) for p in parts)) for d, parts in bodies]


def _v3_frame(text: str) -> bytes:
    return f"{len(text.encode('utf-16-le')) // 2}:{text}".encode()  # UTF-16 units (B.5.2)


@pytest.mark.parametrize("generation", [Generation.EIO4, Generation.EIO3])
def test_polling_bodies_give_the_general_paths_events(
    generation: Generation, monkeypatch: pytest.MonkeyPatch
) -> None:
    fast, slow = _pair(generation)
    taken = []
    short = Connection._text_packet

    def counting(self: Connection, *args: object) -> PacketSeen | None:
        event = short(self, *args)  # type: ignore[arg-type]
        taken.append(event is not None)
        return event

    monkeypatch.setattr(Connection, "_text_packet", counting)
    for direction, body in _bodies(fast.eio_version):
        packets = payload.decode_payload(body, fast.eio_version)
        _same(fast.eio_packets(direction, packets, "polling"), _general(slow, direction, body))
    assert sum(taken) >= 10  # the plain messages really took the short path
    assert not all(taken)  # and the others the general one
    assert fast._outstanding == slow._outstanding


LEGACY_FRAMES: list[tuple[Direction, bytes]] = [
    (C2S, b"1::"),
    (S2C, b"1::"),
    (C2S, b'5:1+::{"name":"ack","args":[{"seq":0,"msg":"hello"}]}'),
    (S2C, b'6:::1+[{"seq":0,"msg":"hello"}]'),
    (C2S, b"3:2+::plain text"),
    (S2C, b"6:::2"),
    (C2S, b'4:::{"a":1}'),
    (S2C, b"2::"),
    (C2S, b"2::"),
    (C2S, b"1::/chat"),
    (C2S, b'5:3+:/chat:{"name":"say","args":["\xc3\xa9\xf0\x9f\x98\x80"]}'),
    (S2C, b"6:::3+[true]"),
    (S2C, b"7:::1+0"),
    (C2S, b"8::"),
    (C2S, b"x garbage"),
    (C2S, b""),
    (C2S, b"\xff\xfe"),  # not UTF-8: the general path's replacement characters
    (S2C, "\ufffd3\ufffd2::\ufffd3\ufffd8::".encode()),  # framed: the general path
    (C2S, b"0::/chat"),  # a namespace's disconnect: the general path
    (C2S, b"0::"),  # ends the session: the general path
]


def test_legacy_websocket_frames_give_the_general_paths_events() -> None:
    fast, slow = _pair(Generation.LEGACY)
    taken = 0
    for direction, data in LEGACY_FRAMES:
        event = fast.legacy_text(direction, data)
        if event is not None:
            taken += 1
            got = [event]
        else:
            got = fast.legacy_body(direction, data.decode("utf-8", "replace"), "websocket")
        _same(got, slow.legacy_body(direction, data.decode("utf-8", "replace"), "websocket"))
    assert taken == len(LEGACY_FRAMES) - 4
    assert fast._outstanding == slow._outstanding


def test_legacy_short_path_declines_without_consuming() -> None:
    fast, _slow = _pair(Generation.LEGACY)
    for data in (b"0::", b"0::/chat", "\ufffd3\ufffd2::".encode(), b"\xff"):
        assert fast.legacy_text(C2S, data) is None
    event = fast.legacy_text(C2S, b'5:1+::{"name":"a","args":[]}')
    assert event is not None
    assert event.seq == 1
    assert event.asks_ack
