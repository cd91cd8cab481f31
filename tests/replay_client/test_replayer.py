"""The pure client-side replay engine: pacing, ack correlation, captures, drift."""

from __future__ import annotations

import pytest

from sioproxy.errors import ConfigError
from sioproxy.recording.matching import parse_ignore
from sioproxy.recording.script import build_script, wire_text
from sioproxy.replay_client.actions import Action, Finish, ReplayClientOptions, SendPacket
from sioproxy.replay_client.capture import parse_capture
from sioproxy.replay_client.replayer import ClientReplayer
from sioproxy.types import Generation
from tests.standin.replay.factory import RecordingBuilder, legacy, sio


def sent(actions: list[Action]) -> list[str]:
    return [wire_text(a.packet) for a in actions if isinstance(a, SendPacket)]


def finished(actions: list[Action]) -> bool:
    return any(isinstance(a, Finish) for a in actions)


def replayer(builder: RecordingBuilder, **options: object) -> ClientReplayer:
    script = build_script(builder.build(), "c1")
    return ClientReplayer(script, ReplayClientOptions(**options))  # type: ignore[arg-type]


def chat() -> RecordingBuilder:
    b = RecordingBuilder(Generation.EIO4).open("c1")
    b.c("40", t=0.1).s('40{"sid":"rec-sid"}', t=0.11)
    b.c('421["ack_me","x"]', t=0.2).s('431["x","ack"]', t=0.21, ack_of=4)
    b.c('42["echo","hi"]', t=0.3).s('42["echo","hi"]', t=0.31)
    return b


def test_reactive_waits_for_the_recorded_server_packets() -> None:
    r = replayer(chat())
    assert sent(r.start(0.0)) == ["40"]
    # The next client packet waits for the CONNECT reply; the live sid differs and
    # is never compared (a fresh one per connection).
    assert sent(r.on_packet(sio('40{"sid":"live"}'), 0.01)) == ['421["ack_me","x"]']
    assert sent(r.on_packet(sio('431["x","ack"]'), 0.02)) == ['42["echo","hi"]']
    assert finished(r.on_packet(sio('42["echo","hi"]'), 0.03))
    assert r.drift == []
    assert r.rtts == [pytest.approx(0.01)]
    assert (r.sent, r.received) == (3, 3)


def test_timeout_marks_missing_packets_and_goes_on() -> None:
    r = replayer(chat(), timeout=1.0)
    r.start(0.0)
    r.on_packet(sio('40{"sid":"live"}'), 0.01)
    assert r.next_wakeup() == pytest.approx(1.01)
    assert sent(r.on_timer(0.5)) == []
    assert sent(r.on_timer(1.01)) == ['42["echo","hi"]']
    (item,) = r.drift
    assert (item.kind, item.event, item.seq) == ("missing", "ack of ack_me", 5)
    assert item.recorded == '431["x","ack"]'
    # The late ack is now an extra: the recorded one was given up.
    r.on_packet(sio('431["x","ack"]'), 1.1)
    assert r.drift[-1].kind == "unexpected"


def test_changed_args_give_a_diff_by_pointer() -> None:
    r = replayer(chat())
    r.start(0.0)
    r.on_packet(sio('40{"sid":"live"}'), 0.01)
    r.on_packet(sio('431["x","nack"]'), 0.02)
    (item,) = r.drift
    assert item.kind == "changed"
    assert item.seq == 5
    assert [d.text() for d in item.differences] == ['/data/1: recorded "ack" != live "nack"']
    assert "CHANGED seq 5  namespace /  ack of ack_me" in "\n".join(item.lines())


def test_ignore_pointer_hides_a_difference() -> None:
    r = replayer(chat(), ignore=(parse_ignore("/data/1"),))
    r.start(0.0)
    r.on_packet(sio('40{"sid":"live"}'), 0.01)
    r.on_packet(sio('431["x","nack"]'), 0.02)
    assert r.drift == []


def test_unexpected_packet_is_listed_with_its_event() -> None:
    r = replayer(chat())
    r.start(0.0)
    r.on_packet(sio('42["surprise",1]'), 0.01)
    (item,) = r.drift
    assert (item.kind, item.event, item.seq, item.live) == (
        "unexpected",
        "event surprise",
        None,
        '42["surprise",1]',
    )


def test_server_request_is_answered_under_the_live_id() -> None:
    b = RecordingBuilder(Generation.EIO4).open("c1")
    b.c("40").s('40{"sid":"a"}').c('42["ask_me"]')
    b.s('425["question","what?"]').c('435["answer"]', ack_of=5).s('42["answer_received","answer"]')
    r = replayer(b)
    r.start(0.0)
    assert sent(r.on_packet(sio('40{"sid":"b"}'), 0.1)) == ['42["ask_me"]']
    # The live server picked id 17 (node: shared by every client, D.2).
    assert sent(r.on_packet(sio('4217["question","what?"]'), 0.2)) == ['4317["answer"]']
    assert finished(r.on_packet(sio('42["answer_received","answer"]'), 0.3))
    assert r.drift == []
    (remap,) = r.remaps
    assert (remap.recorded, remap.live, remap.event) == (5, 17, "event question")


def test_answer_to_a_request_that_never_came_is_not_sent() -> None:
    b = RecordingBuilder(Generation.EIO4).open("c1")
    b.c('42["ask_me"]').s('420["question"]').c('430["answer"]', ack_of=3)
    r = replayer(b, timeout=1.0)
    assert sent(r.start(0.0)) == ['42["ask_me"]']
    actions = r.on_timer(1.5)
    assert sent(actions) == []
    assert finished(actions)
    assert [d.kind for d in r.drift] == ["missing"]
    assert any("seq 4 not sent" in n for n in r.notes)


def test_ack_for_a_request_never_made_is_unexpected() -> None:
    r = replayer(chat())
    r.start(0.0)
    r.on_packet(sio("439[]"), 0.01)
    assert r.drift[0].note == "an ack for a request this client did not make"


def test_legacy_acks_and_server_requests() -> None:
    b = RecordingBuilder(Generation.LEGACY).open("c1")
    b.c('5:1+::{"name":"ack_me","args":["x"]}').s('6:::1+["x","ack"]', ack_of=2)
    b.c('5:::{"name":"ask_me"}').s('5:1+::{"name":"question","args":["what?"]}')
    b.c('6:::1+["answer"]', ack_of=5)
    r = replayer(b)
    assert sent(r.start(0.0)) == ['5:1+::{"name":"ack_me","args":["x"]}']
    assert sent(r.on_packet(legacy('6:::1+["x","ack"]'), 0.1)) == ['5:::{"name":"ask_me"}']
    got = r.on_packet(legacy('5:4+::{"name":"question","args":["what?"]}'), 0.2)
    assert sent(got) == ['6:::4+["answer"]']
    assert finished(got)
    assert r.drift == []


def test_capture_carries_a_minted_id_into_later_packets() -> None:
    b = RecordingBuilder(Generation.EIO4).open("c1")
    b.c('421["create"]').s('431[{"id":"rec-123"}]', ack_of=1)
    b.c('42["rename",{"id":"rec-123","path":"/items/rec-123"}]')
    capture = parse_capture("item=create:/data/0/id")
    r = replayer(b, captures=(capture,))
    r.start(0.0)
    actions = r.on_packet(sio('431[{"id":"live-9"}]'), 0.1)
    assert sent(actions) == ['42["rename",{"id":"live-9","path":"/items/live-9"}]']
    assert r.drift == []  # the captured value itself is not drift
    assert r.result("websocket", "x").captures == {"item": "live-9"}


def test_parse_capture_rejects_bad_text() -> None:
    with pytest.raises(ConfigError, match="NAME=EVENT"):
        parse_capture("create:/data/0")
    assert parse_capture("a=ev:/x/0").pointer.tokens == ("x", "0")


def test_timed_playback_keeps_recorded_gaps_scaled() -> None:
    b = RecordingBuilder(Generation.EIO4).open("c1", t=0.0)
    b.c('42["a"]', t=1.0).s('42["b"]', t=1.1).c('42["c"]', t=3.0)
    r = replayer(b, speed=2.0, max_gap=0.8)
    assert sent(r.start(10.0)) == []
    assert r.next_wakeup() == pytest.approx(10.5)  # gap 1.0 / 2
    assert sent(r.on_timer(10.5)) == ['42["a"]']
    # Timed mode does not wait for the server: gap 2.0 / 2 = 1.0, capped at 0.8.
    assert r.next_wakeup() == pytest.approx(11.3)
    assert sent(r.on_timer(11.3)) == ['42["c"]']


def test_timed_playback_waits_for_a_namespace_connect_answer() -> None:
    """A socket.io client holds a namespace's packets until it is connected (socket.io 4
    closes a connection that sends them sooner), so timed playback waits for it too."""
    b = RecordingBuilder(Generation.EIO4).open("c1", t=0.0)
    b.c("40/chat,", t=0.1).s('40/chat,{"sid":"rec"}', t=0.2).c('42/chat,["hi"]', t=0.3)
    b.c('42["main"]', t=0.4)
    r = replayer(b, speed=0.0)
    assert sent(r.start(10.0)) == ["40/chat,"]
    assert sent(r.on_timer(10.0)) == []  # not before the namespace is connected
    assert sent(r.on_packet(sio('40/chat,{"sid":"live"}'), 10.05)) == [
        '42/chat,["hi"]',
        '42["main"]',
    ]
    assert r.drift == []


def test_connection_closed_early_is_drift() -> None:
    r = replayer(chat())
    r.start(0.0)
    r.on_closed("server close", 0.1)
    kinds = [d.kind for d in r.drift]
    assert kinds == ["missing", "missing", "missing", "closed"]
    assert "2 client packet(s) unsent" in (r.drift[-1].note or "")


def test_options_are_checked() -> None:
    with pytest.raises(ConfigError):
        ReplayClientOptions(timeout=0)
    with pytest.raises(ConfigError):
        ReplayClientOptions(speed=-1)


def ticking() -> RecordingBuilder:
    """A server that pushes a clock between the client's packets."""
    b = RecordingBuilder(Generation.EIO4).open("c1")
    b.c("40").s('40{"sid":"rec-sid"}').s('42["tick",1]')
    b.c('421["time"]').s("431[1700000000]", ack_of=4)
    b.c('42["echo","hi"]').s('42["echo","hi"]')
    return b


def test_ignore_event_neither_expects_nor_compares_that_event() -> None:
    r = replayer(ticking(), ignore_events=frozenset({"tick", "time"}))
    assert sent(r.start(0.0)) == ["40"]
    # Neither the tick nor the "time" ack is waited for, nor compared.
    live = sent(r.on_packet(sio('40{"sid":"live"}'), 0.0))
    assert live == ['421["time"]', '42["echo","hi"]']
    assert sent(r.on_packet(sio("431[1800000000]"), 0.0)) == []
    r.on_packet(sio('42["tick",2]'), 0.0)  # a live tick is no extra either
    assert finished(r.on_packet(sio('42["echo","hi"]'), 0.0))
    assert r.drift == []


def test_a_changed_volatile_value_gets_an_ignore_hint() -> None:
    r = replayer(ticking())
    r.start(0.0)
    r.on_packet(sio('40{"sid":"live"}'), 0.0)
    r.on_packet(sio('42["tick",1]'), 0.0)
    r.on_packet(sio("431[1800000000]"), 0.0)
    (item,) = r.drift
    assert item.hints == ("only volatile-looking values differ from seq 6: try --ignore /data/0",)
    assert "    hint: only volatile-looking" in "\n".join(item.lines())


class _CountingSet(set[int]):
    """The replayer's set of done server steps, counting how often it is asked."""

    asked = 0

    def __contains__(self, item: object) -> bool:
        _CountingSet.asked += 1
        return super().__contains__(item)


def _pipelined(round_trips: int, in_flight: int) -> RecordingBuilder:
    """``round_trips`` emit-with-acks, each answered ``in_flight`` requests later."""
    b = RecordingBuilder(Generation.EIO4).open("c1")
    b.c("40").s('40{"sid":"rec-sid"}')
    request_seq: list[int] = []
    for k in range(round_trips + in_flight):
        if k < round_trips:
            b.c(f'42{k}["ack",{k}]')
            request_seq.append(len(b.entries))
        answered = k - in_flight
        if answered >= 0:
            b.s(f"43{answered}[{answered}]", ack_of=request_seq[answered])
    return b


def _done_checks_per_packet(round_trips: int) -> float:
    r = replayer(_pipelined(round_trips, in_flight=50))
    r._done = _CountingSet(r._done)
    _CountingSet.asked = 0
    live: list[str] = []

    def answer(actions: list[Action]) -> None:
        for text in sent(actions):
            if text == "40":
                live.append('40{"sid":"live"}')
            else:  # 42<id>["ack",<k>] -> 43<id>[<k>]
                ack_id, _, args = text[2:].partition("[")
                live.append(f"43{ack_id}[{args.split(',')[1]}")

    answer(r.start(0.0))
    while live:
        answer(r.on_packet(sio(live.pop(0)), 0.0))
    assert r.drift == []
    assert (r.sent, r.received) == (round_trips + 1, round_trips + 1)
    return _CountingSet.asked / (2 * round_trips)


def test_reactive_playback_work_per_packet_does_not_grow_with_the_script() -> None:
    # What blocks a send and what a live packet matches is looked up from the first
    # server step not yet done; scanning the whole script made `sioproxy diff` of
    # 20,000 round trips take 43 s instead of 10 (docs/performance.md, round 10).
    small, large = _done_checks_per_packet(300), _done_checks_per_packet(1_200)
    assert large < 1.5 * small
