"""A recorded connection state recovery played against a live server (no network).

c1 got pid P1 and offsets, its transport dropped, c2 came back with
``{pid: P1, offset: O2}``; the live server gives its own pid and offsets
(docs/replay-client.md, "Connection state recovery").
"""

from __future__ import annotations

import math

import pytest

from sioproxy.recording import recovery as recovery_module
from sioproxy.recording.model import Recording
from sioproxy.recording.recovery import recovery_links
from sioproxy.recording.script import build_script
from sioproxy.replay_client.actions import ReplayClientOptions
from sioproxy.replay_client.order import PlayOrder
from sioproxy.replay_client.plan import plan_connection
from sioproxy.replay_client.recovery import LiveSessions
from sioproxy.replay_client.replayer import ClientReplayer
from sioproxy.types import Generation, Side
from tests.replay_client.test_order import sent
from tests.standin.replay.factory import RecordingBuilder, sio


def recovering() -> Recording:
    b = RecordingBuilder(Generation.EIO4)
    b.open("c1", 0.0).c("40", 0.1).s('40{"sid":"S1","pid":"P1"}', 0.11)
    b.s('42["hello","fresh","O1"]', 0.12).c('42["tick",1]', 0.2).s('42["tock",1,"O2"]', 0.21)
    b.close(0.3)
    b.open("c2", 0.8).c('40{"pid":"P1","offset":"O2"}', 0.81)
    b.s('42["missed","while away","O3"]', 0.82).s('40{"sid":"S1","pid":"P1"}', 0.83)
    b.s('42["hello","recovered","O4"]', 0.84).c('42["tick",2]', 0.9).s('42["tock",2,"O5"]', 0.91)
    return b.build()


def replayers(rec: Recording) -> tuple[ClientReplayer, ClientReplayer]:
    sessions = LiveSessions()
    options = ReplayClientOptions()
    c1, c2 = (
        ClientReplayer(build_script(rec, c, Side.SERVER), options, sessions=sessions)
        for c in ("c1", "c2")
    )
    return c1, c2


def play_c1(c1: ClientReplayer, *, pid: str = "L1", offsets: bool = True) -> None:
    tail = (lambda o: f',"{o}"') if offsets else (lambda _o: "")
    assert sent(c1.start(0.0)) == ["40"]
    c1.on_packet(sio('40{"sid":"T1"%s}' % (f',"pid":"{pid}"' if pid else "")), 0.01)
    assert sent(c1.on_packet(sio(f'42["hello","fresh"{tail("X1")}]'), 0.02)) == ['42["tick",1]']
    c1.on_packet(sio(f'42["tock",1{tail("X2")}]'), 0.03)
    assert c1.finished == "played"


def test_the_reconnection_sends_the_live_pid_and_offset_and_the_recovery_is_reproduced() -> None:
    c1, c2 = replayers(recovering())
    play_c1(c1)
    assert c1.drift == []  # the offsets differ from the recorded ones: compared by position
    assert sent(c2.start(1.0)) == ['40{"pid":"L1","offset":"X2"}']
    c2.on_packet(sio('42["missed","while away","X3"]'), 1.01)
    c2.on_packet(sio('40{"sid":"T1","pid":"L1"}'), 1.02)
    assert sent(c2.on_packet(sio('42["hello","recovered","X4"]'), 1.03)) == ['42["tick",2]']
    c2.on_packet(sio('42["tock",2,"X5"]'), 1.04)
    result = c2.result("websocket", "client close")
    assert result.drift == ()
    (recovered,) = result.recoveries
    assert (recovered.seq, recovered.of) == (9, "c1")
    assert recovered.recorded
    assert recovered.live
    assert recovered.sent_pid == recovered.reply_pid == "L1"
    assert "recovery: seq 9 recovered the session of c1 as recorded" in "\n".join(result.lines())
    assert result.to_json()["recoveries"][0]["reply_pid"] == "L1"


def test_a_new_pid_in_the_live_reply_is_recovery_drift() -> None:
    c1, c2 = replayers(recovering())
    play_c1(c1)
    c2.start(1.0)
    c2.on_packet(sio('40{"sid":"T2","pid":"L9"}'), 1.01)  # the live server did not recover
    c2.on_packet(sio('42["hello","fresh","X4"]'), 1.02)
    c2.on_timer(7.0)
    kinds = {item.kind: item for item in c2.drift}
    assert set(kinds) == {"recovery", "changed", "missing"}  # hello fresh, missed never came
    assert kinds["recovery"].seq == 11
    assert kinds["recovery"].note == (
        "the live server did not recover the session of c1 (seq 9): its CONNECT reply has a new pid"
    )
    assert c2.result("websocket", "x").recoveries == ()


def test_a_server_without_recovery_gets_the_recorded_values_and_clear_drift() -> None:
    c1, c2 = replayers(recovering())
    play_c1(c1, pid="", offsets=False)
    assert [d.pointer for item in c1.drift for d in item.differences] == ["/data/2", "/data/2"]
    assert sent(c2.start(1.0)) == ['40{"pid":"P1","offset":"O2"}']
    assert c2.notes[-2:] == [
        "seq 9: no live pid (the CONNECT reply of seq 3 came without one): sent as recorded",
        "seq 9: no live offset (the event of seq 6 came without one): sent as recorded",
    ]
    c2.on_packet(sio('40{"sid":"T2"}'), 1.01)
    (item,) = [i for i in c2.drift if i.kind == "recovery"]
    assert item.note is not None
    assert item.note.endswith("no live pid to send (c1's live CONNECT reply had none)")


def test_a_reconnection_played_alone_sends_the_recorded_values_with_a_note() -> None:
    _, c2 = replayers(recovering())
    assert sent(c2.start(0.0)) == ['40{"pid":"P1","offset":"O2"}']
    assert "its CONNECT reply did not come live" in c2.notes[-2]
    c2.on_packet(sio('40{"sid":"T2","pid":"L2"}'), 0.01)
    (item,) = [i for i in c2.drift if i.kind == "recovery"]
    assert item.note == (
        "the live server did not recover the session of the connection of the recorded pid "
        "(seq 9): no live pid to send (it was not played)"
    )


def test_an_offset_missing_live_is_still_drift() -> None:
    c1, _ = replayers(recovering())
    c1.start(0.0)
    c1.on_packet(sio('40{"sid":"T1","pid":"L1"}'), 0.01)
    c1.on_packet(sio('42["hello","fresh"]'), 0.02)  # the last argument is no offset now
    (item,) = c1.drift
    assert [d.text() for d in item.differences] == ['/data/2: missing in live (recorded "O1")']


def test_recovery_links_and_the_plan_name_the_dropped_connection_and_the_time_away() -> None:
    rec = recovering()
    (link,) = recovery_links(rec.entries)
    assert (link.conn, link.seq, link.of, link.pid, link.offset) == ("c2", 9, "c1", "P1", "O2")
    assert link.away == pytest.approx(0.5)
    plan = plan_connection(rec, "c2")
    assert (plan.recovers, plan.away) == ("c1", pytest.approx(0.5))
    assert plan_connection(rec, "c1").recovers is None


def test_the_reconnection_opens_the_time_away_after_the_dropped_connection_ended() -> None:
    order = PlayOrder()
    order.join("c1", 1)
    order.join("c2", 8, after="c1", away=0.5)
    assert order.reconnect_at("c1") is None
    assert order.reconnect_at("c2") == math.inf
    order.ended("c1", 10.0)
    assert order.take_woken() == ["c2"]
    assert order.reconnect_at("c2") == pytest.approx(10.5)
    alone = PlayOrder()
    alone.join("c2", 8, after="c1", away=0.5)  # c1 not played: nothing to wait for
    assert alone.reconnect_at("c2") is None


@pytest.mark.parametrize(
    ("options", "expected"),
    [({}, 0.5), ({"max_gap": 0.2}, 0.2), ({"speed": 2.0}, 0.25), ({"speed": 0.0}, 0.0)],
)
def test_the_time_away_is_as_recorded_when_reactive_and_scaled_when_timed(
    options: dict[str, float], expected: float
) -> None:
    assert ReplayClientOptions(**options).delay(0.5) == pytest.approx(expected)  # type: ignore[arg-type]


def test_only_a_connection_that_sends_a_pid_reads_the_whole_recording(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # A plan per connection used to read every entry for recovery links: a
    # diff of 800 clients spent a minute planning (docs/performance.md, round 10).
    b = RecordingBuilder(Generation.EIO4)
    count = 200
    for n in range(count):
        b.open(f"c{n}").c(f'40{{"user":"u{n}"}}').s(f'40{{"sid":"s{n}","pid":"p{n}"}}')
        b.c('42["tick"]').s('42["tock"]')
    many = b.build()
    read: list[int] = []
    real = recovery_module.connect_data
    monkeypatch.setattr(recovery_module, "connect_data", lambda e: read.append(1) or real(e))
    plans = [plan_connection(many, f"c{n}") for n in range(count)]
    assert all(plan.recovers is None for plan in plans)
    assert len(read) <= 2 * count  # each connection's own client packets
    rec = recovering()
    assert plan_connection(rec, "c1").recovers is None
    assert plan_connection(rec, "c2").recovers == "c1"
