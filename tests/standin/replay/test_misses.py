"""Misses: the on-miss modes, the mismatch report's content, the summary, the scheduler."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from sioproxy.recording.model import Recording
from sioproxy.standin.replay import ConnectionScheduler, ReplayEngine, ReplayOptions
from sioproxy.standin.replay.engine import Mismatch
from sioproxy.types import Generation

from .factory import RecordingBuilder, done, legacy, mismatches, sends, sio


def chat() -> Recording:
    return (
        RecordingBuilder(Generation.EIO4)
        .open("c1")
        .c("40/chat,")
        .s('40/chat,{"sid":"x"}')
        .c('42/chat,1["message",{"text":"hello","ts":1714567890123}]')
        .s('43/chat,1["ok"]')
        .c('42/chat,["typing",true]')
        .c('42/chat,2["message",{"text":"bye","ts":1714567891000}]')
        .s('43/chat,2["ok"]')
        .build()
    )


def joined(options: ReplayOptions, label: str | None = None) -> ReplayEngine:
    engine = ReplayEngine(chat(), "c1", options, label=label)
    engine.on_client_packet(sio("40/chat,"), 0.0)
    return engine


LIVE_HI = '42/chat,0["message",{"text":"hi","ts":1714999999999}]'


def test_report_names_packet_position_candidates_failed_matchers_and_diff() -> None:
    engine = joined(ReplayOptions(speed=0), label="live-3")
    (miss,) = mismatches(engine.on_client_packet(sio(LIVE_HI), 7.5))
    text = miss.report.text()
    lines = text.splitlines()
    assert lines[0] == (
        "replay miss on connection live-3 (replaying recorded c1): "
        "live client packet #2 matched no recorded packet"
    )
    assert f"  live packet: {LIVE_HI}" in lines
    assert '"text":"hi"' in lines[2]  # the dict form
    assert "  match mode:  strict; 1 of 4 recorded client packets played" in lines
    assert '  expected:    seq 4  42/chat,1["message",{"text":"hello","ts":1714567890123}]' in lines
    assert [c.seq for c in miss.report.candidates] == [4, 7, 6]
    first = text.index("  1. seq 4")
    assert text.index("failed: args", first) < text.index("  2. seq 7")
    assert '/data/1/text: recorded "hello" != live "hi"' in text
    assert "/data/1/ts: recorded 1714567890123 != live 1714999999999" in text
    assert "failed: event, args, order" in text  # the typing event
    assert '/data/0: recorded "typing" != live "message"' in text
    assert "hint: --ignore /data/1/ts would hide the volatile-looking values;" in text
    assert text.endswith("action: nothing sent (--on-miss error)")


def test_report_json_round_trips() -> None:
    engine = joined(ReplayOptions(speed=0))
    (miss,) = mismatches(engine.on_client_packet(sio(LIVE_HI), 7.5))
    data = json.loads(json.dumps(miss.report.to_json()))
    assert data["candidates"][0]["seq"] == 4
    assert data["candidates"][0]["failed"] == ["args"]
    assert data["candidates"][0]["differences"][0] == {
        "pointer": "/data/1/text",
        "kind": "changed",
        "recorded": "hello",
        "live": "hi",
    }
    assert data["at"] == 7.5


def test_only_volatile_values_differ_hint_and_the_ignore_that_fixes_it() -> None:
    live = '42/chat,5["message",{"text":"hello","ts":1714999999999}]'
    engine = joined(ReplayOptions(speed=0))
    (miss,) = mismatches(engine.on_client_packet(sio(live), 0.0))
    assert miss.report.hints == (
        "only volatile-looking values differ from seq 4: try --ignore /data/1/ts",
    )
    engine = joined(ReplayOptions(speed=0, ignore=("/data/1/ts",)))
    assert sends(engine.on_client_packet(sio(live), 0.0)) == ['43/chat,5["ok"]']


def test_on_miss_error_reports_and_sends_nothing() -> None:
    engine = joined(ReplayOptions(speed=0))
    out = engine.on_client_packet(sio(LIVE_HI), 0.0)
    assert [type(a) for a in out] == [Mismatch]
    assert len(engine.mismatches) == 1


def test_on_miss_ignore_records_the_report_only() -> None:
    engine = joined(ReplayOptions(speed=0, on_miss="ignore"))
    assert engine.on_client_packet(sio(LIVE_HI), 0.0) == []
    assert len(engine.mismatches) == 1
    assert engine.mismatches[0].action == "ignored (--on-miss ignore)"


def test_on_miss_ack_empty_answers_requests_so_the_client_does_not_hang() -> None:
    engine = joined(ReplayOptions(speed=0, on_miss="ack-empty"))
    out = engine.on_client_packet(sio(LIVE_HI), 0.0)
    assert sends(out) == ["43/chat,0[]"]
    assert len(mismatches(out)) == 1
    # no ack asked, nothing to answer
    out = engine.on_client_packet(sio('42/chat,["nope"]'), 0.0)
    assert sends(out) == []
    assert len(mismatches(out)) == 1


def test_on_miss_ack_empty_legacy() -> None:
    rec = RecordingBuilder(Generation.LEGACY).open("c1").c('5:1+:/a:{"name":"x"}').build()
    engine = ReplayEngine(rec, "c1", ReplayOptions(on_miss="ack-empty"))
    assert sends(engine.on_client_packet(legacy('5:3+:/a:{"name":"y"}'), 0.0)) == ["6::/a:3"]


def test_no_candidates_left_says_so() -> None:
    rec = RecordingBuilder(Generation.EIO4).open("c1").c("40").build()
    engine = ReplayEngine(rec, "c1", ReplayOptions())
    assert done(engine.on_client_packet(sio("40"), 0.0))
    (miss,) = mismatches(engine.on_client_packet(sio('42["more"]'), 0.0))
    text = miss.report.text()
    assert "closest recorded client packets: none left to compare with" in text
    assert "every recorded client packet of connection c1 has been played" in text


def test_unplayed_and_summary() -> None:
    engine = joined(ReplayOptions(speed=0))
    engine.on_client_packet(sio(LIVE_HI), 0.0)
    assert not engine.all_played
    assert [e.seq for e in engine.unplayed()] == [4, 5, 6, 7, 8]
    scheduler = ConnectionScheduler(chat(), ReplayOptions())
    summary = scheduler.summary()
    assert summary.connections == 0
    # A recorded connection no client opened was not played: not a success.
    assert summary.unopened == ("c1",)
    assert not summary.ok
    assert "1 recorded connection never opened" in summary.text()
    scheduler.assign()
    assert scheduler.summary().unopened == ()


def test_scheduler_hands_out_connections_in_order_and_loops() -> None:
    b = RecordingBuilder(Generation.EIO4)
    b.open("c1").c('42["first"]').s('42["one"]')
    b.open("c2").c('42["second"]').s('42["two"]')
    rec = b.build()
    once = ConnectionScheduler(rec, ReplayOptions(speed=0))
    assert [e.script.conn for e in (once.assign(), once.assign())] == ["c1", "c2"]  # type: ignore[union-attr]
    assert once.exhausted
    assert once.assign() is None

    looping = ConnectionScheduler(rec, ReplayOptions(speed=0), loop=True)
    engines = [looping.assign(f"L{i}") for i in range(3)]
    assert [e.script.conn for e in engines if e] == ["c1", "c2", "c1"]
    assert not looping.exhausted
    first, second, third = (e for e in engines if e)
    assert sends(first.on_client_packet(sio('42["first"]'), 0.0)) == ['42["one"]']
    second.on_client_packet(sio('42["oops"]'), 0.0)
    summary = looping.summary()
    assert (summary.connections, summary.matched, len(summary.mismatches)) == (3, 1, 1)
    assert [(u.conn, u.seq) for u in summary.unplayed] == [("L1", 5), ("L2", 2)]
    text = summary.text()
    assert text.startswith(
        "replay summary: 3 connections played (recording has 2), 1 client packet matched,"
        " 1 miss, 2 recorded client packets not played"
    )
    assert '  miss: L1 #1 42["oops"]' in text
    assert '  not played: L2 (recorded c1) seq 2 42["first"]' in text
    assert not summary.ok
    assert third.script.conn == "c1"


@pytest.mark.parametrize(
    "module",
    [
        "sioproxy.standin.replay",
        "sioproxy.standin.replay.engine",
        "sioproxy.recording.matching",
        "sioproxy.standin.replay.report",
        "sioproxy.standin.replay.explain",
        "sioproxy.recording.script",
        "sioproxy.standin.replay.acks",
    ],
)
def test_replay_is_pure(module: str) -> None:
    code = (
        "import sys, importlib\n"
        f"importlib.import_module({module!r})\n"
        "bad = [m for m in sys.modules if m.split('.')[0] in ('twisted', 'autobahn')]\n"
        "print(','.join(sorted(bad)))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == ""
