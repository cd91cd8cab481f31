"""Several recorded connections played at once, in their recorded order (no network)."""

from __future__ import annotations

import math
import random

import pytest

from sioproxy.recording.model import Recording
from sioproxy.recording.script import build_script, wire_text
from sioproxy.replay_client.actions import Action, ReplayClientOptions, SendPacket
from sioproxy.replay_client.order import PlayOrder, Release
from sioproxy.replay_client.replayer import ClientReplayer
from sioproxy.types import Generation, Side
from tests.standin.replay.factory import RecordingBuilder, sio


def sent(actions: list[Action]) -> list[str]:
    return [wire_text(a.packet) for a in actions if isinstance(a, SendPacket)]


def chat() -> Recording:
    """bob (c2) joins the room before alice (c1) speaks; bob hears her, then answers."""
    b = RecordingBuilder(Generation.EIO4)
    b.open("c1", 0.0).c('40{"user":"alice"}', 0.1).s('40{"sid":"a"}', 0.11)
    b.open("c2", 0.2).c('40{"user":"bob"}', 0.3).s('40{"sid":"b"}', 0.31)
    b.c('42["join","r1"]', 0.4).s('42["joined","r1"]', 0.41)
    b.conn = "c1"
    b.c('42["say","hi"]', 1.0).s('42["said","hi"]', 1.001)
    b.conn = "c2"
    b.s('42["said","hi"]', 1.002).c('42["say","yo"]', 1.1)
    return b.build()


def pair(rec: Recording, **options: float) -> tuple[PlayOrder, ClientReplayer, ClientReplayer]:
    order = PlayOrder(max_wait=options.pop("max_wait", 5.0))
    opts = ReplayClientOptions(**options)  # type: ignore[arg-type]
    replayers = []
    for conn in ("c1", "c2"):
        opened = next(e.seq for e in rec.entries_for(conn) if e.kind == "open")
        order.join(conn, opened)
        replayers.append(ClientReplayer(build_script(rec, conn, Side.SERVER), opts, order=order))
    return order, replayers[0], replayers[1]


def test_alice_speaks_only_once_bob_has_joined() -> None:
    order, alice, bob = pair(chat())
    assert order.may_play("c1", 1, 0.0)  # c1 opened first
    assert sent(alice.start(0.0)) == ['40{"user":"alice"}']
    assert not order.may_play("c2", 4, 0.0)  # bob's open waits for alice's CONNECT reply
    assert sent(alice.on_packet(sio('40{"sid":"A"}'), 0.01)) == []  # "say" waits for bob
    assert order.take_woken() == ["c2"]
    assert order.may_play("c2", 4, 0.01)
    assert sent(bob.start(0.02)) == ['40{"user":"bob"}']
    assert sent(bob.on_packet(sio('40{"sid":"B"}'), 0.03)) == ['42["join","r1"]']
    order.take_woken()
    assert sent(alice.on_timer(0.03)) == []  # bob's join is not answered yet
    bob.on_packet(sio('42["joined","r1"]'), 0.04)
    assert order.take_woken() == ["c1"]
    assert sent(alice.on_timer(0.05)) == ['42["say","hi"]']
    # bob's "yo" waits for his copy of the broadcast and for alice's, as recorded.
    assert sent(bob.on_packet(sio('42["said","hi"]'), 0.06)) == []
    alice.on_packet(sio('42["said","hi"]'), 0.06)
    assert alice.finished == "played"
    assert order.take_woken() == ["c2"]
    assert sent(bob.on_timer(0.07)) == ['42["say","yo"]']
    assert alice.drift == bob.drift == []
    assert order.releases == []


def test_a_connection_that_never_catches_up_holds_the_others_at_most_max_wait() -> None:
    order, alice, bob = pair(chat(), max_wait=2.0)
    alice.start(0.0)
    alice.on_packet(sio('40{"sid":"A"}'), 0.0)
    order.may_play("c2", 4, 0.0)
    bob.start(0.0)
    bob.on_packet(sio('40{"sid":"B"}'), 0.0)  # bob's "joined" never comes
    assert sent(alice.on_timer(1.0)) == []
    assert alice.next_wakeup() == pytest.approx(2.0)
    assert sent(alice.on_timer(2.0)) == ['42["say","hi"]']
    (release,) = order.releases
    assert (release.conn, release.behind) == ("c1", ("c2",))
    assert "sent after --max-wait 2 s: c2 had not played" in alice.notes[-1]


def test_a_closed_connection_holds_no_one() -> None:
    order, alice, bob = pair(chat())
    alice.start(0.0)
    alice.on_packet(sio('40{"sid":"A"}'), 0.0)
    bob.start(0.0)
    bob.on_closed("refused", 0.1)
    assert bob.frontier() == math.inf
    assert sent(alice.on_timer(0.1)) == ['42["say","hi"]']
    assert order.releases == []


def test_timed_playback_waits_for_the_others_client_packets_only() -> None:
    order, alice, bob = pair(chat(), speed=0)
    alice.start(0.0)
    alice.on_packet(sio('40{"sid":"A"}'), 0.0)  # a namespace's packets wait for its CONNECT
    order.may_play("c2", 4, 0.0)
    bob.start(0.0)
    bob.on_packet(sio('40{"sid":"B"}'), 0.0)
    # bob sent everything up to his join: alice's "say" goes without the join's answer.
    bob.on_timer(0.0)
    assert bob.frontier() == 12  # his "yo" waits for alice's "say"
    assert sent(alice.on_timer(0.0)) == ['42["say","hi"]']


def _brute_may_play(frontiers: dict[str, float], conn: str, seq: int) -> bool:
    return all(f >= seq for c, f in frontiers.items() if c != conn)


@pytest.mark.parametrize("seed", range(5))
def test_exactly_the_connections_that_may_play_are_woken(seed: int) -> None:
    # Random frontiers and waits, checked against the definition after every
    # advance: woken are the waiting connections (not the one advancing) that
    # nobody else is behind any more.
    rng = random.Random(seed)
    conns = [f"c{n}" for n in range(12)]
    order, frontiers = PlayOrder(max_wait=1e9), {}
    for n, conn in enumerate(conns):
        frontiers[conn] = float(n)
        order.join(conn, n)
    for _ in range(300):
        waiting = {}
        for conn in conns:
            if frontiers[conn] == math.inf:
                continue
            seq = int(frontiers[conn]) + rng.randint(0, 30)
            free = _brute_may_play(frontiers, conn, seq)
            assert order.may_play(conn, seq, 0.0) == free
            if not free:
                waiting[conn] = seq
        order.take_woken()
        mover = rng.choice(conns)
        step = math.inf if rng.random() < 0.02 else rng.randint(1, 8)
        frontiers[mover] = frontiers[mover] + step
        order.advance(mover, frontiers[mover])
        expected = {
            c for c, seq in waiting.items() if c != mover and _brute_may_play(frontiers, c, seq)
        }
        assert set(order.take_woken()) == expected


def test_an_advance_wakes_only_who_it_lets_go() -> None:
    # A recording of many clients: each waits for the ones recorded before it.
    # Waking every waiting connection on every advance (each then asking who is
    # behind) made `sioproxy diff` of 800 connections take minutes.
    order = PlayOrder(max_wait=1e9)
    count = 400
    for n in range(count):
        order.join(f"c{n}", 10 * n)
    for n in range(1, count):
        assert not order.may_play(f"c{n}", 10 * n, 0.0)
    wakes = 0
    for n in range(count):
        order.finish(f"c{n}")
        woken = order.take_woken()
        wakes += len(woken)
        assert woken == ([f"c{n + 1}"] if n + 1 < count else [])
    assert wakes == count - 1


def test_a_release_note_names_ten_connections_and_counts_the_rest() -> None:
    behind = tuple(f"c{n}" for n in range(2, 802))
    note = Release("c1", 2401, behind, 5.0).note()
    assert note == (
        "seq 2401 sent after --max-wait 5 s: c2, c3, c4, c5, c6, c7, c8, c9, c10, c11"
        " and 790 more had not played what came before it"
    )
    assert Release("c1", 9, ("c2",), 5.0).note().endswith(": c2 had not played what came before it")
