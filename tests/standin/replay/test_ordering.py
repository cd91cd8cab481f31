"""Match modes: strict order, order per (namespace, type, event), or any order."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sioproxy.recording.model import Recording
from sioproxy.recording.script import build_script
from sioproxy.standin.replay import ReplayEngine, ReplayOptions
from sioproxy.standin.replay.matcher import ClientMatcher
from sioproxy.types import Generation

from .factory import RecordingBuilder, done, mismatches, sends, sio

CLIENT = ['42["a",1]', '42["b",1]', '42["a",2]', '42/x,["a",1]', '42["c",{"k":[1,2]}]']


def five_events() -> Recording:
    # Each reply is in its request's namespace: a reply waits for the latest
    # client packet of its own namespace (docs/replay.md, "Causes").
    b = RecordingBuilder(Generation.EIO4).open("c1")
    for i, raw in enumerate(CLIENT):
        b.c(raw).s(f'42{raw[2:5] if raw.startswith("42/") else ""}["reply",{i}]')
    return b.build()


def engine(match: str) -> ReplayEngine:
    return ReplayEngine(five_events(), "c1", ReplayOptions(match=match, speed=0))


def test_strict_accepts_only_the_next_packet() -> None:
    e = engine("strict")
    (miss,) = mismatches(e.on_client_packet(sio('42["b",1]'), 0.0))
    assert miss.report.candidates[0].seq == 4
    assert miss.report.candidates[0].failed == ("order",)
    assert "--match per-event would accept this packet as seq 4" in miss.report.hints
    assert sends(e.on_client_packet(sio('42["a",1]'), 0.0)) == ['42["reply",0]']
    assert sends(e.on_client_packet(sio('42["b",1]'), 0.0)) == ['42["reply",1]']


def test_per_event_keeps_order_within_one_event_only() -> None:
    e = engine("per-event")
    assert sends(e.on_client_packet(sio('42["b",1]'), 0.0)) == ['42["reply",1]']
    # the next "a" in "/" is ["a",1]; ["a",2] comes after it
    (miss,) = mismatches(e.on_client_packet(sio('42["a",2]'), 0.0))
    first, second = miss.report.candidates[:2]
    assert (first.seq, first.failed) == (6, ("order",))  # the same packet, out of order
    assert (second.seq, second.failed) == (2, ("args",))  # the one whose turn it is
    assert sends(e.on_client_packet(sio('42["a",1]'), 0.0)) == ['42["reply",0]']
    assert sends(e.on_client_packet(sio('42["a",2]'), 0.0)) == ['42["reply",2]']


def test_per_event_hint_points_to_any() -> None:
    e = engine("per-event")
    (miss,) = mismatches(e.on_client_packet(sio('42["a",2]'), 0.0))
    order_only = [c for c in miss.report.candidates if c.failed == ("order",)]
    assert [c.seq for c in order_only] == [6]
    assert miss.report.expected is not None
    assert miss.report.expected.startswith("the next recorded event \"a\" in namespace '/': seq 2")


def test_each_recorded_packet_plays_once() -> None:
    e = engine("any")
    e.on_client_packet(sio('42["a",1]'), 0.0)
    (miss,) = mismatches(e.on_client_packet(sio('42["a",1]'), 0.0))
    assert any("seq 2 is this same packet but was already played" in h for h in miss.report.hints)


@settings(max_examples=60, deadline=None)
@given(st.permutations(range(len(CLIENT))))
def test_any_order_plays_everything(order: list[int]) -> None:
    e = engine("any")
    replies = []
    finished = False
    for i in order:
        out = e.on_client_packet(sio(CLIENT[i]), 0.0)
        replies += sends(out)
        finished = finished or done(out)
    assert replies == [f'42{"/x," if i == 3 else ""}["reply",{i}]' for i in order]
    assert e.mismatches == []
    assert e.all_played
    assert finished
    assert e.matched == len(CLIENT)


def test_strict_hint_says_any_when_an_earlier_packet_of_the_same_event_waits() -> None:
    e = engine("strict")
    (miss,) = mismatches(e.on_client_packet(sio('42["a",2]'), 0.0))
    assert "--match any would accept this packet as seq 6" in miss.report.hints


class _CountingPlayed(list[bool]):
    """The engine's played flags, counting how often the matcher reads them."""

    reads = 0

    def __getitem__(self, index: Any) -> Any:
        _CountingPlayed.reads += 1
        return super().__getitem__(index)


def _played_reads_per_packet(mode: str, count: int) -> float:
    b = RecordingBuilder(Generation.EIO4).open("c1")
    for k in range(count):
        b.c(f'42["say",{k}]').s(f'42["heard",{k}]')
    script = build_script(b.build(), "c1")
    played = _CountingPlayed([False] * len(script.steps))
    matcher = ClientMatcher(script, ReplayOptions(match=mode), played)
    _CountingPlayed.reads = 0
    for k in range(count):
        index = matcher.find(sio(f'42["say",{k}]'))
        assert index is not None
        played[index] = True
    return _CountingPlayed.reads / count


@pytest.mark.parametrize("mode", ["strict", "per-event", "any"])
def test_finding_a_packet_does_not_grow_with_the_recording(mode: str) -> None:
    # `--match any` listed every unplayed step for each live packet: a replay of
    # 20,000 round trips took 26 s instead of 12 (docs/performance.md, round 10).
    small, large = _played_reads_per_packet(mode, 300), _played_reads_per_packet(mode, 1_200)
    assert large < 1.5 * small
