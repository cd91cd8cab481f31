"""Causal replay in the pure engine: own-namespace waits, cross-connection waits
(bounded by --max-wait, released when the cause's connection closes), and
which recorded connection a live one gets (--assign)."""

from __future__ import annotations

import dataclasses
from typing import Any

import pytest

from sioproxy.errors import ConfigError
from sioproxy.recording.model import OpenEvent, Recording
from sioproxy.recording.script import Script, build_script
from sioproxy.standin.replay import ReplayEngine, ReplayOptions
from sioproxy.standin.replay import engine as engine_module
from sioproxy.standin.replay import scheduler as scheduler_module
from sioproxy.standin.replay.causal import parse_assign
from sioproxy.standin.replay.scheduler import ConnectionScheduler
from sioproxy.types import Generation

from .factory import RecordingBuilder, sends, sio

FAST = ReplayOptions(speed=0)


def chat() -> Recording:
    """alice (c1) and bob (c2) in a room: bob's copy of "hi" follows alice's say."""
    b = RecordingBuilder(Generation.EIO4)
    b.open("c1", 0.0).c('40{"user":"alice"}', 0.1).s('40{"sid":"a"}', 0.11)
    b.open("c2", 0.2).c('40{"user":"bob"}', 0.3).s('40{"sid":"b"}', 0.31)
    b.conn = "c1"
    b.c('42["say","hi"]', 1.0).s('42["said","alice","hi"]', 1.001)
    b.conn = "c2"
    b.s('42["said","alice","hi"]', 1.002)
    return b.build()


def test_a_connect_reply_does_not_wait_for_another_namespace() -> None:
    b = RecordingBuilder(Generation.EIO4).open("c1")
    rec = b.c("40").c("40/chat,").s('40{"sid":"a"}').s('40/chat,{"sid":"b"}').build()
    engine = ReplayEngine(rec, "c1", ReplayOptions(speed=0, match="per-event"))
    assert [s[:2] for s in sends(engine.on_client_packet(sio("40"), 0.0))] == ["40"]


def test_a_full_client_keeps_the_recorded_order_across_namespaces() -> None:
    b = RecordingBuilder(Generation.EIO4).open("c1")
    b.c("40").s('40{"sid":"a"}').c("40/x,").s('40/x,{"sid":"b"}')
    rec = b.c('42["a"]').c('42/x,["b"]').s('42["after b"]').build()
    engine = ReplayEngine(rec, "c1", FAST)
    for raw in ("40", "40/x,"):
        engine.on_client_packet(sio(raw), 0.0)
    # "/x" was joined live: the reply in "/" also waits for the "/x" packet
    assert sends(engine.on_client_packet(sio('42["a"]'), 0.0)) == []
    assert sends(engine.on_client_packet(sio('42/x,["b"]'), 0.0)) == ['42["after b"]']


def scheduler(rec: Recording, assign: str = "auto", **options: float) -> ConnectionScheduler:
    return ConnectionScheduler(rec, ReplayOptions(speed=0, **options), assign=assign)


def test_bob_hears_the_broadcast_only_after_alice_said_it() -> None:
    s = scheduler(chat())
    bob = s.assign("live-bob", first=sio('40{"user":"bob"}'))
    assert bob is not None
    assert bob.script.conn == "c2"
    assert len(sends(bob.on_client_packet(sio('40{"user":"bob"}'), 0.0))) == 1
    assert sends(bob.poll(0.1)) == []  # waits for alice's say
    alice = s.assign("live-alice", first=sio('40{"user":"alice"}'))
    assert alice is not None
    alice.on_client_packet(sio('40{"user":"alice"}'), 0.5)
    assert sends(alice.on_client_packet(sio('42["say","hi"]'), 0.6)) == ['42["said","alice","hi"]']
    assert s.board.take_woken() == [bob]
    assert sends(bob.poll(0.6)) == ['42["said","alice","hi"]']
    assert s.summary().max_wait_releases == 0


def test_a_cause_that_never_comes_is_released_after_max_wait_with_a_note() -> None:
    s = scheduler(chat(), max_wait=2.0)
    bob = s.assign("live-bob", first=sio('40{"user":"bob"}'))
    assert bob is not None
    bob.on_client_packet(sio('40{"user":"bob"}'), 10.0)
    assert bob.next_deadline() == 12.0
    assert sends(bob.poll(11.9)) == []
    assert sends(bob.poll(12.0)) == ['42["said","alice","hi"]']
    assert any("sent after --max-wait 2 s without its cause c1 #" in n for n in bob.notes)
    summary = s.summary()
    assert summary.max_wait_releases == 1
    assert "1 server packet sent after --max-wait without its cause" in summary.text()


def test_a_closed_cause_connection_releases_at_once() -> None:
    s = scheduler(chat())
    bob = s.assign("live-bob", first=sio('40{"user":"bob"}'))
    assert bob is not None
    bob.on_client_packet(sio('40{"user":"bob"}'), 0.0)
    s.board.closed("c1")
    assert s.board.take_woken() == [bob]
    assert sends(bob.poll(0.1)) == ['42["said","alice","hi"]']
    assert s.summary().max_wait_releases == 0


def test_without_a_board_an_engine_ignores_other_connections() -> None:
    engine = ReplayEngine(chat(), "c2", FAST)
    out = engine.on_client_packet(sio('40{"user":"bob"}'), 0.0)
    assert sends(out)[1:] == ['42["said","alice","hi"]']


@pytest.mark.parametrize(
    ("assign", "first", "expected"),
    [
        ("order", '40{"user":"bob"}', "c1"),
        ("auto", '40{"user":"bob"}', "c2"),
        ("auto", '40{"user":"carol"}', "c1"),  # no match: the first in order
        ("auth:/user", '40{"user":"bob","token":"x"}', "c2"),
    ],
)
def test_assign_modes(assign: str, first: str, expected: str) -> None:
    engine = scheduler(chat(), assign).assign("live", first=sio(first))
    assert engine is not None
    assert engine.script.conn == expected


def test_a_server_that_speaks_first_is_assigned_at_open() -> None:
    b = RecordingBuilder(Generation.EIO3).open("c1").s("40").c('42["x"]')
    s = scheduler(b.build())
    assert not s.wants_first_packet


def test_bad_assign_is_a_config_error() -> None:
    with pytest.raises(ConfigError, match="--assign must be order, auto, auth:/POINTER"):
        parse_assign("name")
    with pytest.raises(ConfigError, match="--assign auth:user"):
        parse_assign("auth:user")


def test_ignore_event_takes_those_client_packets_as_they_come() -> None:
    """--ignore-event: a "ping" with other args is no miss, and its reply still goes out;
    the recorded pings the client did not send are not owed."""
    b = RecordingBuilder(Generation.EIO4).open("c1")
    b.c("40").s('40{"sid":"a"}').c('42["ping",1]').s('42["pong",1]')
    rec = b.c('42["ping",2]').s('42["pong",2]').c('42["bye"]').s('42["ciao"]').build()
    engine = ReplayEngine(rec, "c1", ReplayOptions(speed=0, ignore_events=("ping",)))
    engine.on_client_packet(sio("40"), 0.0)
    assert sends(engine.on_client_packet(sio('42["ping",99]'), 0.0)) == ['42["pong",1]']
    assert sends(engine.on_client_packet(sio('42["bye"]'), 0.0)) == ['42["ciao"]']
    assert engine.mismatches == []
    assert engine.all_played


def test_a_miss_names_the_recorded_connection_the_packet_matches() -> None:
    s = scheduler(chat(), "order")
    bob = s.assign("live-bob")  # --assign order: bob gets alice's recording
    assert bob is not None
    bob.on_client_packet(sio('40{"user":"bob"}'), 0.0)
    (report,) = bob.mismatches
    assert any(
        h.startswith(
            "it matches recorded c2 seq 5 (not assigned yet), but this live connection"
            " replays c1: --assign auth:/POINTER or query:NAME"
        )
        for h in report.hints
    ), report.hints


def reconnecting() -> Recording:
    """alice (c1) drops and comes back as c3 after bob (c2) joined."""
    b = RecordingBuilder(Generation.EIO4)
    b.open("c1", 0.0).c('40{"user":"alice"}', 0.1).s('40{"sid":"a"}', 0.11).close(0.2)
    b.open("c2", 0.3).c('40{"user":"bob"}', 0.4).s('40{"sid":"b"}', 0.41)
    b.open("c3", 0.5).c('40{"user":"alice"}', 0.6).s('40{"sid":"a2"}', 0.61)
    b.c('42["back"]', 0.7).s('42["welcome back"]', 0.71)
    return b.build()


@pytest.mark.parametrize("assign", ["auto", "auth:/user"])
def test_a_reconnection_maps_to_the_recorded_reconnection(assign: str) -> None:
    s = scheduler(reconnecting(), assign)
    picked = []
    for user in ("bob", "alice", "alice"):
        engine = s.assign(f"live-{user}", first=sio(f'40{{"user":"{user}"}}'))
        assert engine is not None
        picked.append(engine.script.conn)
    assert picked == ["c2", "c1", "c3"]


def with_queries(rec: Recording, queries: dict[str, str]) -> Recording:
    """The recording with each connection's handshake query set."""
    entries = [
        dataclasses.replace(e, request=dataclasses.replace(e.request, query=queries[e.conn]))
        if isinstance(e, OpenEvent)
        else e
        for e in rec.entries
    ]
    return dataclasses.replace(rec, entries=tuple(entries))


def test_assign_by_query_parameter_at_open() -> None:
    rec = with_queries(chat(), {"c1": "name=alice&EIO=4", "c2": "name=bob&EIO=4"})
    s = scheduler(rec, "query:name")
    assert not s.wants_first_packet  # the query is there at open
    bob = s.assign("live-bob", query=(("EIO", "4"), ("name", "bob")))
    assert bob is not None
    assert bob.script.conn == "c2"
    nobody = s.assign("live-x", query=(("name", "carol"),))
    assert nobody is not None
    assert nobody.script.conn == "c1"
    assert s.notes == ["--assign query:name: no recorded connection has name=carol; took c1"]


def test_each_recorded_connection_is_scripted_once_per_replay(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # A script build costs tens of µs per recorded packet: assignment, the
    # engines, the miss hints and the summary share one build per connection.
    built: list[str] = []

    def counting(recording: Recording, conn: str, *args: object) -> Script:
        built.append(conn)
        return build_script(recording, conn, *args)  # type: ignore[arg-type]

    monkeypatch.setattr(scheduler_module, "build_script", counting)
    monkeypatch.setattr(engine_module, "build_script", counting)
    s = scheduler(chat(), "auto")
    assert s.wants_first_packet
    alice = s.assign("live-alice", first=sio('40{"user":"alice"}'))
    assert alice is not None
    alice.on_client_packet(sio('40{"user":"bob"}'), 0.0)  # a miss: hints look at c2
    assert s.unopened() == ["c2"]
    bob = s.assign("live-bob", first=sio('40{"user":"bob"}'))
    assert bob is not None
    assert bob.script is s.script("c2")
    s.summary()
    assert sorted(built) == ["c1", "c2"]


class _CountingCauses(dict):  # type: ignore[type-arg]
    """The scheduler's causes, counting every cause an engine looks at."""

    touched = 0

    def values(self) -> Any:
        for cause in super().values():
            _CountingCauses.touched += 1
            yield cause

    def get(self, key: Any, default: Any = None) -> Any:
        _CountingCauses.touched += 1
        return super().get(key, default)


def _many_clients(count: int) -> Recording:
    b = RecordingBuilder(Generation.EIO4)
    for n in range(count):
        b.open(f"c{n}").c(f'40{{"user":"u{n}"}}').s(f'40{{"sid":"s{n}"}}')
    for n in range(count):
        b.conn = f"c{n}"
        b.c(f'42["say",{n}]').s(f'42["said",{n}]')
    return b.build()


def _work_per_client(
    count: int, assign: str, monkeypatch: pytest.MonkeyPatch
) -> tuple[float, float]:
    scored: list[str] = []
    real_score = ConnectionScheduler._score

    def score(self: ConnectionScheduler, conn: str, *args: Any) -> int:
        scored.append(conn)
        return real_score(self, conn, *args)

    monkeypatch.setattr(ConnectionScheduler, "_score", score)
    s = scheduler(_many_clients(count), assign)
    s.causes = _CountingCauses(s.causes)
    _CountingCauses.touched = 0
    for n in range(count):
        engine = s.assign(f"live-{n}", first=sio(f'40{{"user":"u{n}"}}'))
        assert engine is not None
        assert engine.script.conn == f"c{n}"
    return len(scored) / count, _CountingCauses.touched / count


@pytest.mark.parametrize("assign", ["auto", "auth:/user"])
def test_assigning_many_clients_does_not_slow_down_per_client(
    assign: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Each live client used to be scored against every recorded one left, and
    # each engine walked every cause of the recording: a replay of 800 clients
    # spent most of its time there (docs/performance.md, round 10).
    few_scores, few_causes = _work_per_client(50, assign, monkeypatch)
    many_scores, many_causes = _work_per_client(200, assign, monkeypatch)
    assert many_scores < 1.5 * few_scores
    assert many_causes < 1.5 * few_causes
