"""Cause inference: recorded sequences -> expected dependencies, all three generations.

Each case is a recording written as lines ``CONN DIR RAW [@T]`` (``>`` client
to server, ``<`` server to client; a connection opens at its first line and
the open takes a seq), and the expected cause of each server packet as
``KIND DEPS``: the seqs it waits for, ``cN#S`` for another connection's.
"""

from __future__ import annotations

import dataclasses
import gc
import sys
from typing import Any

import pytest

from sioproxy.codec.engineio import decode_eio, eio_to_dict
from sioproxy.codec.legacy import decode_packet
from sioproxy.codec.legacy_dict import packet_to_dict
from sioproxy.codec.socketio import decode_sio
from sioproxy.recording.causes import Cause, describe_cause, infer_causes
from sioproxy.recording.header import Header
from sioproxy.recording.model import (
    Entry,
    HttpRequest,
    OpenEvent,
    OriginalFrame,
    PacketEntry,
    Recording,
)
from sioproxy.recording.script import build_script
from sioproxy.types import Direction, Fate, Generation, Side, TransportName

V4, V3, V09 = Generation.EIO4, Generation.EIO3, Generation.LEGACY


def _decode(raw: str, generation: Generation) -> dict[str, Any]:
    if generation is V09:
        return packet_to_dict(decode_packet(raw))
    version = 4 if generation is V4 else 3
    sio = decode_sio(raw[1:], 5 if generation is V4 else 4) if raw.startswith("4") else None
    return eio_to_dict(decode_eio(raw, version), version, sio=sio)


def build(generation: Generation, lines: list[str], **extra: dict[str, Any]) -> Recording:
    """A recording from ``CONN DIR RAW [@T]`` lines; ``extra[seq]`` adds entry fields."""
    entries: list[Entry] = []
    t = 0.0
    opened: set[str] = set()
    for line in lines:
        conn, arrow, rest = line.split(" ", 2)
        raw, _, at = rest.partition(" @")
        t = float(at) if at else t + 0.001
        if conn not in opened:
            opened.add(conn)
            entries.append(
                OpenEvent(
                    seq=len(entries) + 1,
                    conn=conn,
                    t=t,
                    generation=generation,
                    transport=TransportName.WEBSOCKET,
                    sid=None,
                    request=HttpRequest(method="GET", path="/socket.io/"),
                )
            )
        seq = len(entries) + 1
        entry = PacketEntry(
            seq=seq,
            conn=conn,
            t=t,
            dir=Direction.C2S if arrow == ">" else Direction.S2C,
            transport=TransportName.WEBSOCKET,
            raw=raw,
            packet=_decode(raw, generation),
        )
        entries.append(dataclasses.replace(entry, **extra.get(f"s{seq}", {})))
    return Recording(header=Header.new(generation=generation), entries=tuple(entries))


def expected_text(cause: Cause) -> str:
    deps = [str(d.seq) if d.conn == cause.conn else f"{d.conn}#{d.seq}" for d in cause.after]
    if cause.also is not None:
        deps.append(f"also {cause.also}" + (f" gate {cause.gate}" if cause.gate else ""))
    return " ".join([cause.kind.value, *deps])


CASES: list[tuple[str, Generation, list[str], dict[int, str]]] = [
    (
        "v5 connect replies wait for their own namespace only",
        V4,
        ["c1 > 40", "c1 > 40/chat,", 'c1 < 40{"sid":"a"}', 'c1 < 40/chat,{"sid":"b"}'],
        # seq 1 is the open; the "/" reply does not wait for the /chat CONNECT
        {4: "connect 2 also 3 gate 3", 5: "connect 3"},
    ),
    (
        "v5 connect_error answers the CONNECT",
        V4,
        ["c1 > 40/admin,", 'c1 < 44/admin,{"message":"no"}'],
        {3: "connect 2"},
    ),
    (
        "v5 ack by ack_of and by id, reply, push",
        V4,
        [
            "c1 > 40",
            'c1 < 40{"sid":"a"}',
            'c1 > 421["hi"]',
            'c1 < 42["echo"]',
            'c1 < 431["ok"]',
            'c1 < 42["tick"] @5',
        ],
        {3: "connect 2", 5: "reply 4", 6: "ack 4", 7: "reply 4"},
    ),
    (
        "v5 a packet after another namespace's client packet waits for its own namespace",
        V4,
        [
            "c1 > 40",
            "c1 > 40/chat,",
            'c1 < 40{"sid":"a"}',
            'c1 < 40/chat,{"sid":"b"}',
            'c1 > 42/chat,["x"]',
            'c1 < 42["root news"]',
        ],
        {4: "connect 2 also 3 gate 3", 5: "connect 3", 7: "reply 2 also 6 gate 3"},
    ),
    (
        "v5 a push in a namespace the client never wrote to",
        V4,
        ["c1 > 40", 'c1 < 40{"sid":"a"}', 'c1 < 42/news,["x"]'],
        {3: "connect 2", 4: "push also 2 gate 2"},
    ),
    (
        "v5 broadcast: bob's packet follows alice's emit",
        V4,
        [
            "c1 > 40",
            'c1 < 40{"sid":"a"}',
            "c2 > 40",
            'c2 < 40{"sid":"b"}',
            'c1 > 42["say","hi"] @1.0',
            'c1 < 42["said","hi"] @1.001',
            'c2 < 42["said","hi"] @1.002',
        ],
        {3: "connect 2", 6: "connect 5", 8: "reply 7", 9: "cross 5 c1#7"},
    ),
    (
        "v5 no cross cause outside the window or after an own packet",
        V4,
        [
            "c1 > 40",
            "c2 > 40",
            'c1 > 42["say","hi"] @1.0',
            'c2 < 42["late"] @2.5',
            'c1 > 42["say","again"] @3.0',
            'c2 > 42["me"] @3.1',
            'c2 < 42["mine"] @3.2',
        ],
        {6: "reply 4", 9: "reply 8"},
    ),
    (
        "v5 cross cause only in the same namespace",
        V4,
        ["c1 > 40/chat,", "c2 > 40", 'c1 > 42/chat,["x"] @1', 'c2 < 42["y"] @1.1'],
        {6: "reply 4"},
    ),
    (
        "v5 the rest of a handler's burst recorded after another client's packet is no broadcast",
        V4,
        [
            "c1 > 40",
            "c2 > 40",
            'c2 > 420["join"] @1',
            'c1 > 42["say"] @1.001',
            'c2 < 430["ok"] @1.002',
            'c2 < 42["confirm"] @1.003',
            'c2 < 42["said"] @1.004',
            'c1 < 42["said"] @1.005',
        ],
        # "confirm" answers c2's join (its ack came first, and nobody else got
        # it); "said" has a copy on c1: a broadcast of c1's say
        {7: "ack 5", 8: "reply 5", 9: "cross 5 c1#6", 10: "reply 6"},
    ),
    (
        "v5 an own ack between: a broadcast copy keeps its cross cause, the ack's answer not",
        V4,
        [
            "c1 > 40",
            "c2 > 40",
            'c2 < 420["confirm"] @1',
            'c1 > 42["say"] @1.001',
            "c2 > 430[true] @1.002",
            'c2 < 42["said"] @1.003',
            'c1 < 42["said"] @1.004',
            'c2 < 42["confirmed"] @1.005',
        ],
        {5: "reply 4", 8: "cross 7 c1#6", 9: "reply 6", 10: "reply 7"},
    ),
    (
        "v5 two senders: the latest one, the other named",
        V4,
        [
            "c1 > 40",
            "c2 > 40",
            "c3 > 40",
            'c1 > 42["a"] @1',
            'c2 > 42["b"] @1.1',
            'c3 < 42["a"] @1.2',
        ],
        {9: "cross 6 c2#8"},
    ),
    (
        "v5 a request sent from the handler of the client's own request is no cross cause",
        V4,
        [
            "c1 > 40",
            'c1 < 40{"sid":"a"}',
            "c2 > 40",
            'c2 < 40{"sid":"b"}',
            'c2 > 420["join","r1"]',
            'c1 > 420["say","hi"]',
            'c2 < 421["confirm","r1"]',
            'c2 < 430[{"joined":"r1"}]',
        ],
        {3: "connect 2", 6: "connect 5", 9: "reply 7", 10: "ack 7"},
        # bob's confirm came while the server still handled his join (acked at 10)
    ),
    (
        "v5 a handler's burst recorded around another client's packet stays its own",
        V4,
        [
            "c1 > 40",
            'c1 < 40{"sid":"a"}',
            "c2 > 40",
            'c2 < 40{"sid":"b"}',
            'c2 > 420["join","r1"] @1',
            'c2 < 430[{"joined":"r1"}] @1.001',
            'c1 > 421["say","hi"] @1.002',
            'c2 < 422["confirm","r1"] @1.003',
            'c1 < 42["said","hi"] @1.004',
        ],
        {3: "connect 2", 6: "connect 5", 8: "ack 7", 10: "reply 7", 11: "reply 9"},
        # bob's join handler acked, then asked to confirm; alice's say came between
    ),
    (
        "v5 the first packet after the client's ack of a server request answers that ack",
        V4,
        [
            "c1 > 40",
            'c1 < 40{"sid":"a"}',
            "c2 > 40",
            'c2 < 40{"sid":"b"}',
            'c2 < 421["confirm","r1"]',
            'c2 > 431[{"ok":"bob"}]',
            'c1 > 420["say","hi"]',
            'c2 < 42["confirmed",{"ok":"bob"}]',
        ],
        {3: "connect 2", 6: "connect 5", 7: "reply 5", 10: "reply 8"},
        # an ack callback's emit, not alice's say: no other connection got "confirmed"
    ),
    (
        "v4 (eio3) the default namespace's unsolicited 40 is a push",
        V3,
        ["c1 < 40", "c1 > 40/chat", "c1 < 40/chat", 'c1 > 42/chat,1["x"]', 'c1 < 43/chat,1["ok"]'],
        {2: "push", 4: "connect 3", 6: "ack 5"},
    ),
    (
        "v4 (eio3) broadcast across connections",
        V3,
        ["c1 < 40", "c2 < 40", 'c2 > 42["msg"] @1', 'c1 < 42["msg"] @1.01'],
        {2: "push", 4: "push", 6: "cross c2#5"},
    ),
    (
        "0.9 endpoint connect, ack with data, broadcast",
        V09,
        [
            "c1 > 1::/chat",
            "c1 < 1::/chat",
            "c2 > 1::/chat",
            "c2 < 1::/chat",
            'c1 > 5:1+:/chat:{"name":"say","args":["x"]} @1',
            'c1 < 6:::1+["ok"] @1.001',
            'c2 < 5::/chat:{"name":"said","args":["x"]} @1.002',
        ],
        # the ack is in the default endpoint: no request there, so it is a push
        {3: "connect 2", 6: "connect 5", 8: "push also 7 gate 2", 9: "cross 5 c1#7"},
    ),
    (
        "0.9 ack of its request in the endpoint",
        V09,
        ["c1 > 1::/chat", 'c1 > 5:7+:/chat:{"name":"q","args":[]}', 'c1 < 6::/chat:7+["a"]'],
        {4: "ack 3"},
    ),
    (
        "0.9 session 1:: and heartbeats are not application packets",
        V09,
        ["c1 < 1::", "c1 < 2::", "c1 > 2::", 'c1 < 5:::{"name":"hello","args":[]}'],
        {5: "push"},
    ),
]


@pytest.mark.parametrize(
    ("generation", "lines", "expected"),
    [pytest.param(g, lines, exp, id=name) for name, g, lines, exp in CASES],
)
def test_inferred_causes(
    generation: Generation, lines: list[str], expected: dict[int, str]
) -> None:
    causes = infer_causes(build(generation, lines))
    assert {seq: expected_text(c) for seq, c in causes.items()} == expected


def test_ack_of_wins_over_id_matching() -> None:
    lines = ["c1 > 40", 'c1 > 421["a"]', 'c1 > 421["b"]', 'c1 < 431["x"] @1']
    rec = build(V4, lines, s5={"ack_of": 3})
    assert expected_text(infer_causes(rec)[5]) == "ack 3 also 4 gate 2"


def test_an_ack_answered_at_once_keeps_no_later_client_packet() -> None:
    # Emits in flight (a pipelining client): the proxy read #3..#5 in one
    # segment and recorded the acks after them. An ack within BURST_GAP of its
    # request did not wait for #4 or #5, so it waits for its request only; an
    # ack recorded later than that keeps the recorded order (also).
    lines = [
        "c1 > 40",
        'c1 < 40{"sid":"a"}',
        'c1 > 421["a"] @1.000',
        'c1 > 422["b"] @1.001',
        'c1 > 423["c"] @1.002',
        'c1 < 431["x"] @1.003',
        'c1 < 432["y"] @1.004',
        'c1 < 433["z"] @1.2',
    ]
    causes = infer_causes(build(V4, lines))
    assert expected_text(causes[7]) == "ack 4"
    assert expected_text(causes[8]) == "ack 5"
    assert expected_text(causes[9]) == "ack 6"  # #6 is the latest client packet anyway
    late = infer_causes(build(V4, [*lines[:5], 'c1 < 431["x"] @1.2']))
    assert expected_text(late[7]) == "ack 4 also 6 gate 2"


def test_the_side_decides_which_packets_count() -> None:
    # A client packet the proxy dropped: the client sent it (the stand-in waits
    # for it), the server never saw it (the replay client does not).
    lines = ["c1 > 40", 'c1 > 42["x"]', 'c1 < 42["y"]']
    rec = build(V4, lines, s3={"fate": Fate.DROPPED})
    assert expected_text(infer_causes(rec, view=Side.CLIENT)[4]) == "reply 3"
    assert expected_text(infer_causes(rec, view=Side.SERVER)[4]) == "reply 2"


def test_a_rewritten_client_packet_keeps_its_namespace_as_sent() -> None:
    lines = ["c1 > 40/a,", "c1 > 40/b,", 'c1 > 42/b,["x"]', 'c1 < 42/a,["y"]']
    original = OriginalFrame(raw='42/a,["x"]', packet=_decode('42/a,["x"]', V4))
    rec = build(V4, lines, s4={"fate": Fate.REWRITTEN, "original": original})
    assert expected_text(infer_causes(rec, view=Side.CLIENT)[5]) == "reply 4"
    assert expected_text(infer_causes(rec, view=Side.SERVER)[5]) == "reply 2 also 4 gate 3"


def test_the_window_is_a_parameter() -> None:
    lines = ["c1 > 40", "c2 > 40", 'c1 > 42["a"] @1', 'c2 < 42["a"] @2.5']
    rec = build(V4, lines)
    assert expected_text(infer_causes(rec)[6]) == "reply 4"
    assert expected_text(infer_causes(rec, window=2.0)[6]) == "cross 4 c1#5"


def test_reasons_say_why() -> None:
    lines = [
        "c1 > 40",
        "c1 > 40/chat,",
        "c2 > 40",
        'c1 > 42/chat,["x"] @1',
        'c2 > 42["say"] @1.1',
        'c1 < 42["said"] @1.2',
    ]
    cause = infer_causes(build(V4, lines))[8]
    text = describe_cause(cause)
    assert text.startswith("cross: waits for #2, c2 #7: ")
    assert "also after #6 while the client is in '/chat'" in text
    assert "follows c2's #7 in '/' within 1 s" in text
    push = infer_causes(build(V4, ["c1 < 42/n,[1]"]))[2]
    assert describe_cause(push) == (
        "push (no client packet in '/n' before it): timed from the previous server packet"
    )


def test_causes_and_scripts_of_a_long_recording_are_built_without_collections(
    gc_collections: list[int],
) -> None:
    # Both keep one object per packet and make no cycles; collections while
    # they run walked the whole recording again and again (bulkwork.py).
    lines = ["c1 > 40", 'c1 < 40{"sid":"a"}']
    for i in range(1500):
        lines += [f'c1 > 42{i}["e",{{"n":{i}}}]', f"c1 < 43{i}[{i}]"]
    rec = build(V4, lines)
    gc.collect()
    gc_collections.clear()
    causes = infer_causes(rec)
    script = build_script(rec, "c1")
    assert gc_collections == []
    assert len(causes) == 1501
    assert len(script.steps) == 3002


def _broadcast_chat(clients: int) -> Recording:
    """Clients join one after another; each join is announced to everyone there
    with the same text (a presence event), and the joiner gets an ack."""
    from tests.standin.replay.factory import RecordingBuilder

    b = RecordingBuilder(Generation.EIO4)
    t = 0.0
    for n in range(clients):  # within the cause window, as on a busy server
        b.open(f"c{n}", t := t + 1e-5).c(f'40{{"user":"u{n}"}}', t := t + 1e-5)
        b.s(f'40{{"sid":"s{n}"}}', t := t + 1e-5).c('421["join","room"]', t := t + 1e-5)
        join = len(b.entries)
        for other in range(n):
            b.conn = f"c{other}"
            b.s('42["joined"]', t := t + 1e-5)
        b.conn = f"c{n}"
        b.s('431["ok"]', t := t + 1e-5, ack_of=join)
    return b.build()


def _generator_steps_per_packet(clients: int) -> float:
    # Every step of a generator expression in causes.py resumes its frame, which
    # the profiler hook sees as a call: a count of those scans' steps.
    steps = 0

    def count(frame: Any, event: str, _arg: Any) -> None:
        nonlocal steps
        code = frame.f_code
        if (
            event == "call"
            and code.co_name == "<genexpr>"
            and code.co_filename.endswith("causes.py")
        ):
            steps += 1

    recording = _broadcast_chat(clients)
    sys.setprofile(count)
    try:
        infer_causes(recording)
    finally:
        sys.setprofile(None)
    return steps / len(recording.packets())


def test_looking_for_a_broadcast_copy_does_not_grow_with_the_clients() -> None:
    # Each copy of a broadcast asked whether another connection got a later copy
    # by scanning all of them: 150 clients made a replay's start-up 8 s of causes
    # instead of 2.8 (docs/performance.md, round 10).
    few, many = _generator_steps_per_packet(20), _generator_steps_per_packet(80)
    assert many < 1.5 * few
