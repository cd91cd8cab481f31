"""The WebSocket hot path (``ws_text``) gives exactly the events of the general path.

``Connection.ws_text`` decodes a plain text message with a shorter call chain
and builds its ``PacketSeen`` without ``__init__`` (docs/performance.md). Two
connections are fed the same frames, one through ``ws_text`` (falling back to
``ws_frame`` when it declines) and one through ``ws_frame`` only; the events
must be equal field by field, and so must the ack bookkeeping.
"""

from __future__ import annotations

import dataclasses
import itertools
import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sioproxy.proxy.live import LiveObserver
from sioproxy.proxy.observer import RequestInfo
from sioproxy.session import PacketSeen, SessionEvent
from sioproxy.session.connection import Connection
from sioproxy.types import Direction, Generation

C2S, S2C = Direction.C2S, Direction.S2C
Frame = tuple[Direction, bytes, bool]

FRAMES: list[Frame] = [
    (S2C, b'0{"sid":"S1","upgrades":[],"pingInterval":25000,"pingTimeout":20000}', False),
    (C2S, b"40", False),
    (S2C, b'40{"sid":"N1"}', False),
    (C2S, b'420["ack",{"seq":0,"msg":"hello from the client","n":7,"list":[1,2,3]}]', False),
    (S2C, b'430[{"seq":0,"msg":"hello from the client","n":7,"list":[1,2,3]}]', False),
    (S2C, b'42["p",1,{"msg":"hello from the server","n":42,"ok":true}]', False),
    (C2S, b'42/admin,7["x",1.5e3,-0,{"a":1,"a":2}]', False),
    (S2C, b'43/admin,0007[ "spaced" ]', False),
    (C2S, b'4200042["leading zeros"]', False),
    (S2C, b"430042[]", False),
    (C2S, b"2", False),
    (S2C, b"3", False),
    (C2S, b"4", False),  # an empty message: the general path
    (C2S, b'451-["file",{"_placeholder":true,"num":0}]', False),
    (C2S, b"\x01\x02", True),
    (C2S, b'42["after binary"]', False),
    (S2C, b'452-["two",{"_placeholder":true,"num":0}]', False),
    (S2C, b'42["text while attachments pending"]', False),
    (S2C, b'42["connect"]', False),  # reserved in v5: a decode error
    (C2S, b'42["bad json"', False),
    (C2S, b"9garbage", False),
    (C2S, b"\xff\xfe", False),  # not UTF-8
    (C2S, b'42["\xc3\xa9t\xc3\xa9 \xf0\x9f\x98\x80"]', False),
    (C2S, b"42" + b"1" * 101 + b'["long id"]', False),
    (C2S, b"42" + b"1" * 100 + b'["longest id"]', False),
    (S2C, b"41", False),
    (C2S, b"1", False),
]


def _connections(generation: Generation) -> tuple[Connection, Connection]:
    clocks = (itertools.count(1), itertools.count(1))
    fast = Connection("c1", generation, lambda: (next(clocks[0]), 0.5))
    slow = Connection("c1", generation, lambda: (next(clocks[1]), 0.5))
    return fast, slow


def _feed(fast: Connection, slow: Connection, frames: list[Frame]) -> int:
    """Feed both; returns how many frames the hot path took."""
    taken = 0
    for direction, payload, is_binary in frames:
        event = None if is_binary else fast.ws_text(direction, payload)
        if event is not None:
            taken += 1
            got = [event]
        else:
            got = fast.ws_frame(direction, payload, is_binary)
        expected = slow.ws_frame(direction, payload, is_binary)
        assert got == expected, payload
        for a, b in zip(got, expected, strict=True):
            assert type(a) is PacketSeen
            # fields compare=False in SioPacket (raw) must agree too
            assert dataclasses.astuple(a) == dataclasses.astuple(b)
            if a.sio is not None and b.sio is not None:
                assert a.sio.raw == b.sio.raw
    assert fast.pending_acks == slow.pending_acks
    return taken


@pytest.mark.parametrize("generation", [Generation.EIO4, Generation.EIO3])
def test_hot_path_events_equal_the_general_path(generation: Generation) -> None:
    fast, slow = _connections(generation)
    taken = _feed(fast, slow, FRAMES)
    assert taken >= 10  # the plain messages really took the hot path
    assert fast._outstanding == slow._outstanding


def test_hot_path_declines_without_consuming() -> None:
    fast, _slow = _connections(Generation.EIO4)
    for payload in (b"2", b"4", b'42["bad"', b"\xff", b'451-["f",{"_placeholder":true,"num":0}]'):
        assert fast.ws_text(C2S, payload) is None
    # nothing was stamped, no decoder state was kept
    assert fast.ws_text(C2S, b'42["x"]') is not None
    event = fast.ws_frame(C2S, b'42["y"]', False)[0]
    assert event.seq == 2


def test_hot_path_event_is_a_frozen_packet_seen() -> None:
    fast, _slow = _connections(Generation.EIO4)
    event = fast.ws_text(C2S, b'425["ev",{"a":1}]')
    assert event is not None
    with pytest.raises(dataclasses.FrozenInstanceError):
        event.seq = 3  # type: ignore[misc]
    replaced = dataclasses.replace(event, note="x")
    assert replaced.note == "x"
    assert replaced.sio == event.sio
    assert event.event_name == "ev"
    assert event.asks_ack
    assert event.extra == {}
    assert event.extra is not fast.ws_text(C2S, b'42["ev"]').extra  # type: ignore[union-attr]


json_texts = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=5),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=3), inner),
    max_leaves=8,
)


@settings(max_examples=200, deadline=None)
@given(
    frames=st.lists(
        st.tuples(
            st.sampled_from([C2S, S2C]),
            st.sampled_from(["42", "43", "421", "431", "42/n,", "43/n,2", "451-", "40", "2"]),
            st.lists(json_texts, max_size=3),
            st.booleans(),
        ),
        max_size=12,
    )
)
def test_any_sequence_gives_the_general_path_events(
    frames: list[tuple[Direction, str, list[object], bool]],
) -> None:
    fast, slow = _connections(Generation.EIO4)
    feed: list[Frame] = []
    for direction, head, args, spaced in frames:
        seps = (", ", ": ") if spaced else (",", ":")
        body = json.dumps(args if head.startswith("43") else ["ev", *args], separators=seps)
        feed.append((direction, (head + body).encode("utf-8", "surrogatepass"), False))
        if head == "451-":
            feed.append((direction, b"\x00bin", True))
    _feed(fast, slow, feed)


def test_live_observer_publishes_hot_path_events_like_the_general_path() -> None:
    request = RequestInfo(
        method="GET",
        path="/socket.io/",
        query="EIO=4&transport=websocket",
        headers=(),
        client="127.0.0.1:1",
        scheme="http",
    )
    seen: list[SessionEvent] = []
    observer = LiveObserver(clock=lambda: 1.0, sinks=[seen.append])
    observer.on_ws_open(1, request, None)
    assert "packets_c2s" not in observer.counters  # a Counter: no key before the first
    for direction, payload, is_binary in FRAMES:
        assert observer.on_ws_message(1, direction, payload, is_binary) is None
    packets = [e for e in seen if isinstance(e, PacketSeen)]
    assert [p.seq for p in packets] == list(range(2, len(packets) + 2))
    assert observer.counters["packets_c2s"] + observer.counters["packets_s2c"] == len(packets)
    assert observer.counters["decode_errors"] == sum(p.error is not None for p in packets)
    ack = next(p for p in packets if p.raw.startswith("430["))  # type: ignore[union-attr]
    assert ack.ack_of == next(p.seq for p in packets if p.raw.startswith("420["))  # type: ignore[union-attr]
