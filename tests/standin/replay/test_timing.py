"""Timing: reactive replies after their trigger, pushes at recorded gaps, speed and max_gap."""

from __future__ import annotations

import pytest

from sioproxy.errors import ConfigError
from sioproxy.recording.model import Recording
from sioproxy.standin.replay import ReplayEngine, ReplayOptions
from sioproxy.types import Generation

from .factory import RecordingBuilder, delays, done, sends, sio


def timed() -> Recording:
    return (
        RecordingBuilder(Generation.EIO4)
        .open("c1", t=0.0)
        .c("40", 1.0)
        .s('40{"sid":"s"}', 1.1)  # reactive: 0.1 s after its trigger
        .s('42["push1"]', 1.6)  # then pushes, at their gap to the previous packet
        .s('42["push2"]', 3.6)
        .c('42["x"]', 10.0)
        .s('42["y"]', 10.3)
        .build()
    )


def run(options: ReplayOptions) -> ReplayEngine:
    return ReplayEngine(timed(), "c1", options)


def test_speed_one_follows_the_recorded_gaps() -> None:
    engine = run(ReplayOptions())
    out = engine.on_client_packet(sio("40"), 100.0)
    assert [round(a[1], 6) for a in delays(out)] == [0.1]
    assert engine.next_deadline() == pytest.approx(100.6)
    assert engine.poll(100.59) == []
    assert delays(engine.poll(100.6)) == [('42["push1"]', 0.0)]
    assert engine.next_deadline() == pytest.approx(102.6)
    assert delays(engine.poll(102.7)) == [('42["push2"]', 0.0)]
    assert engine.next_deadline() is None
    last = engine.on_client_packet(sio('42["x"]'), 150.0)
    assert delays(last) == [('42["y"]', 0.3)]
    assert done(last)


def test_speed_two_halves_every_gap() -> None:
    engine = run(ReplayOptions(speed=2))
    assert [d for _, d in delays(engine.on_client_packet(sio("40"), 100.0))] == [0.05]
    assert engine.next_deadline() == pytest.approx(100.3)
    engine.poll(100.3)
    assert engine.next_deadline() == pytest.approx(101.3)


def test_speed_zero_sends_everything_at_once_in_order() -> None:
    engine = run(ReplayOptions(speed=0))
    out = delays(engine.on_client_packet(sio("40"), 100.0))
    assert [d for _, d in out] == [0.0, 0.0, 0.0]
    assert [text for text, _ in out][1:] == ['42["push1"]', '42["push2"]']
    assert engine.next_deadline() is None


def test_max_gap_caps_each_gap() -> None:
    engine = run(ReplayOptions(max_gap=0.5))
    assert [d for _, d in delays(engine.on_client_packet(sio("40"), 100.0))] == [0.1]
    assert engine.next_deadline() == pytest.approx(100.6)  # 0.5 s, not capped below
    engine.poll(100.6)
    assert engine.next_deadline() == pytest.approx(101.1)  # 2 s capped to 0.5 s


def test_a_late_poll_sends_every_due_push_in_order() -> None:
    engine = run(ReplayOptions())
    engine.on_client_packet(sio("40"), 100.0)
    assert sends(engine.poll(500.0)) == ['42["push1"]', '42["push2"]']


def test_reactive_reply_does_not_wait_for_pending_pushes() -> None:
    engine = run(ReplayOptions())
    engine.on_client_packet(sio("40"), 100.0)
    # the client is quicker than the recording: its next packet comes before the pushes
    assert delays(engine.on_client_packet(sio('42["x"]'), 100.2)) == [('42["y"]', 0.3)]
    assert engine.next_deadline() == pytest.approx(100.6)
    assert not engine.all_played
    out = engine.poll(103.0)
    assert sends(out) == ['42["push1"]', '42["push2"]']
    assert done(out)


def test_start_sends_what_the_server_said_first_after_its_recorded_gap() -> None:
    rec = (
        RecordingBuilder(Generation.EIO3)
        .open("c1", t=5.0)
        .s("40", 5.25)
        .s('42["motd"]', 6.25)
        .c('42["hi"]', 7.0)
        .build()
    )
    engine = ReplayEngine(rec, "c1", ReplayOptions())
    assert delays(engine.start(50.0)) == [("40", 0.25)]
    assert engine.next_deadline() == pytest.approx(51.25)
    assert engine.start(50.0) == []  # once only


@pytest.mark.parametrize(
    "bad",
    [
        {"speed": -1},
        {"max_gap": -0.1},
        {"match": "fuzzy"},
        {"on_miss": "forward"},
        {"ignore": ("x",)},
    ],
)
def test_bad_options_are_config_errors(bad: dict[str, object]) -> None:
    with pytest.raises(ConfigError):
        ReplayOptions(**bad)  # type: ignore[arg-type]
