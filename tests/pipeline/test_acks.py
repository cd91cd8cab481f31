"""Ack-id consistency: injected requests, consumed answers, renumbering, ack faults."""

from __future__ import annotations

import random

import pytest

from sioproxy.codec.packets import answer_id
from sioproxy.pipeline import ConsumedAck, Dropped, Emit, Note
from sioproxy.pipeline.acks import ConnAcks
from sioproxy.pipeline.actions import request_id
from sioproxy.types import Direction, Generation

from .helpers import C2S, GENS, S2C, ack, emits, event, pipe, run, summary


def test_conn_acks_unit() -> None:
    book = ConnAcks(gap=10)
    assert [book.request("/", C2S, i) for i in (0, 1, 2)] == [0, 1, 2]
    assert book.inject("/", C2S, "p", "r") == 12  # above the highest id seen, plus the gap
    assert book.inject("/", S2C, "q", "r") == 10  # nothing seen that way yet
    assert book.request("/", C2S, 12) != 12  # the sender reached our id: renumber
    assert book.renumbering("/", C2S)
    assert not book.renumbering("/other", C2S)
    assert book.request("/other", C2S, 12) == 12  # other namespace, other scope
    assert book.answer("/", S2C, 12).consumed is not None
    assert book.answer("/", S2C, 12).consumed is None  # consumed once


@pytest.mark.parametrize("gen", GENS)
def test_injected_request_gets_a_fresh_id_and_its_answer_is_consumed(gen: Generation) -> None:
    p, _ = pipe(
        '[[rules]]\nname = "ask"\nevent = "go"\ndir = "c2s"\n'
        '[[rules.inject]]\ndir = "reverse"\npacket = { name = "q", id = 0 }\n'
    )
    for i in range(1, 4):  # the client's own requests, ids 1..3
        (e,) = run(p, gen, C2S, event(gen, "hi", id=i))
        assert e.origin == "unchanged"
    out = run(p, gen, C2S, event(gen, "go"))
    injected = out[1]
    assert injected.direction is S2C  # the proxy asks the client, speaking as the server
    wire_id = request_id(injected.packet)
    assert wire_id is not None
    assert wire_id >= 1000
    # the client answers our question: the server never hears of it
    answer = ack(gen, wire_id, "yes")
    (consumed,) = run(p, gen, C2S, answer)
    assert isinstance(consumed, ConsumedAck)
    assert consumed.packet is answer
    assert consumed.request == injected.packet
    assert consumed.rule == "ask"
    # a normal answer still passes
    normal = ack(gen, 2)
    assert run(p, gen, S2C, normal)[0].packet is normal


def simulate(gen: Generation, *, seed: int, gap: int, steps: int) -> int:
    """Real requests both ways interleaved with many injections; check consistency.

    The client and the server each allocate ids from their own counter (D.2); the
    proxy injects requests both ways with a small gap so that collisions happen.
    Every real request must reach its receiver with a wire id unused by any
    outstanding injected request of that scope, every answer must come back to
    the real sender with the id it chose, and no injected answer may leak.
    """
    p, _ = pipe(
        '[[rules]]\nevent = "inject_c2s"\naction = "drop"\n'
        '[[rules.inject]]\ndir = "c2s"\npacket = { name = "inj", id = 0 }\n'
        '[[rules]]\nevent = "inject_s2c"\naction = "drop"\n'
        '[[rules.inject]]\ndir = "s2c"\npacket = { name = "inj", id = 0 }\n',
        gap=gap,
    )
    rng = random.Random(seed)
    counters = {C2S: 0, S2C: 0}
    outstanding: dict[Direction, dict[int, int]] = {C2S: {}, S2C: {}}  # wire -> sender id
    injected: dict[Direction, set[int]] = {C2S: set(), S2C: set()}
    renumbered = 0
    for _ in range(steps):
        d = rng.choice([C2S, S2C])
        roll = rng.random()
        if roll < 0.4:  # a real request
            counters[d] += 1
            sent_id = counters[d]
            (e,) = emits(run(p, gen, d, event(gen, "req", id=sent_id)))
            wire = request_id(e.packet)
            assert wire is not None
            assert wire not in injected[d]
            assert wire not in outstanding[d]
            outstanding[d][wire] = sent_id
            renumbered += wire != sent_id
        elif roll < 0.6:  # a rule injects a request travelling d
            (e,) = emits(run(p, gen, rng.choice([C2S, S2C]), event(gen, f"inject_{d}")))
            assert e.direction is d
            assert e.origin == "injected"
            wire = request_id(e.packet)
            assert wire is not None
            assert wire not in injected[d]
            assert wire not in outstanding[d]
            injected[d].add(wire)
        elif outstanding[d] or injected[d]:  # the receiver answers something
            pool = [(w, False) for w in outstanding[d]] + [(w, True) for w in injected[d]]
            wire, was_injected = rng.choice(sorted(pool))
            out = run(p, gen, d.reverse(), ack(gen, wire, "r"))
            if was_injected:
                assert isinstance(out[0], ConsumedAck)
                injected[d].discard(wire)
            else:
                (e,) = emits(out)
                assert answer_id(e.packet) == outstanding[d].pop(wire)
    return renumbered


@pytest.mark.parametrize("gen", GENS)
@pytest.mark.parametrize("gap", [1, 3, 1000])
def test_renumbering_consistency(gen: Generation, gap: int) -> None:
    renumbered = sum(simulate(gen, seed=seed, gap=gap, steps=300) for seed in range(5))
    assert (renumbered > 0) is (gap < 1000)  # small gaps force collisions


def test_renumbering_translates_both_ways() -> None:
    gen = Generation.EIO4
    p, _ = pipe(
        '[[rules]]\nevent = "go"\n[[rules.inject]]\npacket = { name = "i", id = 0 }\n', gap=1
    )
    (e,) = run(p, gen, C2S, event(gen, "a", id=0))
    out = run(p, gen, C2S, event(gen, "go"))
    assert request_id(out[1].packet) == 1  # the next id after 0
    (e,) = run(p, gen, C2S, event(gen, "a", id=1))  # the client's own id 1 collides
    assert e.origin == "rewritten"
    assert e.rule == "ack renumbering"
    assert request_id(e.packet) == 2
    (e,) = run(p, gen, C2S, event(gen, "a", id=2))  # renumbering stays on
    assert request_id(e.packet) == 3
    (back,) = run(p, gen, S2C, ack(gen, 2, "x"))  # server answers wire id 2
    assert answer_id(back.packet) == 1
    assert back.origin == "rewritten"
    assert isinstance(run(p, gen, S2C, ack(gen, 1))[0], ConsumedAck)


@pytest.mark.parametrize("gen", GENS)
def test_withhold_and_delay_ack_of_named_event(gen: Generation) -> None:
    p, _ = pipe(
        '[[rules]]\nname = "mute"\nevent = "save"\nwithhold_ack = true\n'
        '[[rules]]\nevent = "load"\ndir = "c2s"\ndelay_ack = 750\n'
    )
    (e,) = run(p, gen, C2S, event(gen, "save", id=1, ns="/db"))
    assert e.origin == "unchanged"
    run(p, gen, C2S, event(gen, "load", id=2, ns="/db"))
    run(p, gen, C2S, event(gen, "other", id=3, ns="/db"))
    (withheld,) = run(p, gen, S2C, ack(gen, 1, ns="/db"))
    assert isinstance(withheld, Dropped)
    assert withheld.rule == "mute"
    assert "withheld" in withheld.reason
    (delayed,) = run(p, gen, S2C, ack(gen, 2, "x", ns="/db"))
    assert delayed.delay == 0.75
    assert delayed.origin == "unchanged"
    normal = ack(gen, 3, ns="/db")
    assert run(p, gen, S2C, normal) == [Emit(direction=S2C, packet=normal, origin="unchanged")]
    # only that request's ack: the same id in another namespace passes
    other_ns = ack(gen, 1, ns="/x")
    assert run(p, gen, S2C, other_ns)[0].packet is other_ns


@pytest.mark.parametrize("gen", GENS)
def test_dropped_request_is_noted(gen: Generation) -> None:
    p, logs = pipe('[[rules]]\nevent = "gone"\naction = "drop"\n')
    out = run(p, gen, C2S, event(gen, "gone", id=5), seq=17)
    assert isinstance(out[0], Dropped)
    assert out[1] == Note(conn="c1", text="request 17/5 dropped: its ack can never arrive")
    assert logs == ["[c1] request 17/5 dropped: its ack can never arrive"]
    out = run(p, gen, C2S, event(gen, "gone"))  # no id: nothing to say
    assert [type(a) for a in out] == [Dropped]


@pytest.mark.parametrize("gen", GENS)
def test_duplicated_request_gets_its_own_id(gen: Generation) -> None:
    p, _ = pipe('[[rules]]\nevent = "x"\naction = "duplicate"\n')
    original = event(gen, "x", id=4)
    first, copy = run(p, gen, C2S, original)
    assert first.packet is original
    copy_id = request_id(copy.packet)
    assert copy_id is not None
    assert copy_id != 4
    assert isinstance(run(p, gen, S2C, ack(gen, copy_id))[0], ConsumedAck)
    assert run(p, gen, S2C, ack(gen, 4))[0].origin == "unchanged"


def test_unanswered_injection_is_reported_at_disconnect() -> None:
    p, _logs = pipe('[[rules]]\nevent = "go"\n[[rules.inject]]\npacket = { name = "q", id = 0 }\n')
    run(p, Generation.EIO4, C2S, event(Generation.EIO4, "go"))
    out = p.on_disconnect("c1")
    assert len(out) == 1
    assert isinstance(out[0], Note)
    assert "never answered" in out[0].text
    assert p.on_disconnect("c1") == []


def test_injected_ids_avoid_all_namespaces_of_that_direction() -> None:
    # gevent-socketio shares one id counter across namespaces (D.2).
    p, _ = pipe('[[rules]]\nevent = "go"\n[[rules.inject]]\npacket = { name = "q", id = 0 }\n')
    gen = Generation.LEGACY
    run(p, gen, S2C, event(gen, "a", id=1500, ns="/other"))
    out = run(p, gen, S2C, event(gen, "go", ns="/chat"))
    assert request_id(out[1].packet) == 2500
    assert summary(gen, out)[1][3] == "/chat"
