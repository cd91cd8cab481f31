"""No peer-controlled text reaches the terminal raw: every human-readable output.

A namespace, an event name, a close reason, a sid and args carry ESC/OSC
sequences, CR and LF (a forged log line), DEL, NUL, C1 CSI (U+009B) and bidi
controls (U+202E, U+2066). Each output must keep one line per line it means
to print and hold none of those characters; the JSON forms must still decode
to the very same strings (escaping is lossless there).
"""

from __future__ import annotations

import json
import re
from typing import Any

import pytest

from sioproxy.cli.main import main
from sioproxy.inspect.show import _STYLES, RESET, ShowOptions, render
from sioproxy.ops.logfmt import PacketLog
from sioproxy.recording.model import CloseEvent, HttpRequest, OpenEvent
from sioproxy.replay_client.drift import ConnectionResult, DriftItem, DriftReport
from sioproxy.session.events import (
    ConnectionClosed,
    ConnectionOpened,
    ConnectionUpgraded,
    PacketSeen,
    RequestSummary,
)
from sioproxy.standin.replay import ReplayEngine, ReplayOptions
from sioproxy.standin.replay.report import ReplaySummary, UnplayedPacket
from sioproxy.types import Direction, Generation, TransportName
from tests.log_schema import check_schema
from tests.standin.replay.factory import RecordingBuilder, mismatches, sio

CTRL = "\x1b[2J\x1b]0;pwn\x07\r\n12:00:00.000 c9 forged\x9b31m\u202edesab\u2066\x7f\x00\x85"
NSP = "/x" + CTRL
EVENT = "ev" + CTRL
RAW = "42" + NSP + "," + json.dumps([EVENT, CTRL])

# Written out here, not imported: the test must not trust the code it checks.
FORBIDDEN = re.compile("[\x00-\x09\x0b-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]")


def assert_safe(text: str, lines: int) -> None:
    """No control or bidi character; exactly ``lines`` lines (no forged line break)."""
    assert FORBIDDEN.search(text) is None, repr(text)
    assert len(text.split("\n")) == lines, repr(text)
    assert "\n12:00:00.000 c9 forged" not in text


def hostile_packet(direction: Direction = Direction.C2S) -> PacketSeen:
    return PacketSeen(
        seq=3,
        conn="c1",
        t=0.0,
        direction=direction,
        transport="websocket",
        generation=Generation.EIO4,
        raw=RAW,
        sio=sio(RAW),
    )


def logged(json_lines: bool) -> list[str]:
    lines: list[str] = []
    log = PacketLog(lines.append, json_lines=json_lines, wall_clock=lambda: 0.0)
    request = RequestSummary(method="GET", path="/socket.io/", query="", headers=())
    log.event(
        ConnectionOpened(
            seq=1,
            conn="c1",
            t=0.0,
            generation=Generation.EIO4,
            transport="websocket",
            sid="sid" + CTRL,
            request=request,
        )
    )
    log.event(ConnectionUpgraded(seq=2, conn="c1", t=0.0, transport="websocket", request=request))
    log.event(hostile_packet())
    log.event(
        PacketSeen(
            seq=4,
            conn="c1",
            t=0.0,
            direction=Direction.S2C,
            transport="websocket",
            generation=Generation.EIO4,
            raw="4" + CTRL,
            error="bad" + CTRL,
        )
    )
    log.event(ConnectionClosed(seq=5, conn="c1", t=0.0, reason="bye" + CTRL, by=Direction.C2S))
    log.note("upstream error on GET /socket.io/" + CTRL)
    log.block("miss", ["first" + CTRL, "second" + CTRL], {"report": {"text": CTRL}})
    return lines


def test_proxy_text_log_escapes_every_field() -> None:
    lines = logged(json_lines=False)
    assert len(lines) == 8
    for line in lines:
        assert_safe(line, 1)
    packet = lines[2]
    assert "/x\\u001b[2J\\u001b]0;pwn\\u0007\\r\\n12:00:00.000 c9 forged\\u009b31m\\u202e" in packet
    assert "close by client: bye\\u001b[2J" in lines[4]


def test_proxy_json_log_escapes_and_still_decodes_to_the_same_strings() -> None:
    lines = logged(json_lines=True)
    assert len(lines) == 7  # the block is one object
    for line in lines:
        assert_safe(line, 1)
    objs = [check_schema(line) for line in lines]
    assert [o["kind"] for o in objs] == [
        "open",
        "upgrade",
        "packet",
        "packet",
        "close",
        "note",
        "miss",
    ]
    del objs[1]
    assert objs[0]["sid"] == "sid" + CTRL
    assert (objs[1]["nsp"], objs[1]["event"], objs[1]["args"]) == (NSP, EVENT, [CTRL])
    assert objs[2]["raw"] == "4" + CTRL
    assert objs[3]["reason"] == "bye" + CTRL
    assert objs[4]["text"].endswith(CTRL)
    assert objs[5]["report"] == {"text": CTRL}


def hostile_entries() -> list[Any]:
    builder = RecordingBuilder(Generation.EIO4).open("c1").c(RAW).s(RAW)
    request = HttpRequest(method="GET", path="/socket.io/" + CTRL, query="q=" + CTRL)
    builder.entries.append(
        OpenEvent(
            seq=4,
            conn="c2" + CTRL,
            t=1.0,
            generation=Generation.EIO4,
            transport=TransportName.WEBSOCKET,
            sid="sid" + CTRL,
            request=request,
        )
    )
    builder.entries.append(CloseEvent(seq=5, conn="c1", t=2.0, reason="bye" + CTRL))
    builder.packet(Direction.S2C, "4" + CTRL, error="bad" + CTRL)
    return builder.entries


@pytest.mark.parametrize("color", [False, True])
def test_show_escapes_recorded_strings(color: bool) -> None:
    lines = list(render(hostile_entries(), ShowOptions(color=color)))
    assert len(lines) == 6
    for line in lines:
        for style in (*_STYLES.values(), RESET):  # show's own colours are the only ESCs
            line = line.replace(style, "")
        assert_safe(line, 1)


def test_show_json_escapes_and_still_decodes() -> None:
    entries = hostile_entries()
    lines = list(render(entries, ShowOptions(show_all=True), as_json=True))
    for line in lines:
        assert_safe(line, 1)
    assert [json.loads(line) for line in lines] == [e.to_json() for e in entries]


def test_mismatch_report_and_summary_escape_each_line() -> None:
    recording = RecordingBuilder(Generation.EIO4).open("c1").c("40").c('42["hello"]').build()
    engine = ReplayEngine(recording, "c1", ReplayOptions(speed=0))
    engine.on_client_packet(sio("40"), 0.0)
    (miss,) = mismatches(engine.on_client_packet(sio(RAW), 1.0))
    report = miss.report
    assert_safe(report.text(), len(report.lines()))
    unplayed = UnplayedPacket(conn="c1", seq=3, dir="c2s", wire=RAW)
    summary = ReplaySummary(connections=1, matched=1, mismatches=(report,), unplayed=(unplayed,))
    assert_safe(summary.text(), 3)


def test_drift_report_escapes_each_line() -> None:
    item = DriftItem(
        kind="changed",
        namespace=NSP,
        event=EVENT,
        seq=4,
        recorded=RAW,
        live=RAW,
        note="n" + CTRL,
    )
    result = ConnectionResult(
        conn="c1",
        client=1,
        transport="websocket",
        sent=1,
        received=1,
        end="closed" + CTRL,
        drift=(item,),
        notes=("note" + CTRL,),
    )
    report = DriftReport(
        recording="rec" + CTRL, target="t", results=(result,), errors=("e" + CTRL,)
    )
    assert_safe(report.text(), 8)


def test_cli_error_line_escapes_the_file_name(capsys: pytest.CaptureFixture[str]) -> None:
    name = CTRL.replace("\x00", "")  # a command line cannot hold NUL
    assert main(["show", "/nonexistent/dir/rec" + name + ".jsonl"]) == 2
    err = capsys.readouterr().err
    assert err.endswith("\n")
    assert_safe(err[:-1], 1)
    assert "rec\\u001b[2J" in err


def test_argparse_error_line_escapes_the_argument(capsys: pytest.CaptureFixture[str]) -> None:
    name = CTRL.replace("\x00", "")
    with pytest.raises(SystemExit) as exited:
        main(["show", "rec.jsonl", "extra" + name])
    assert exited.value.code == 2
    last = capsys.readouterr().err.rstrip("\n").split("\n")[-1]
    assert last.startswith("sioproxy: unrecognized arguments: extra\\u001b[2J")
    assert_safe(last, 1)


def test_decode_prints_json_with_controls_escaped(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["decode", "--protocol", "eio4", RAW]) == 0
    out = capsys.readouterr().out.rstrip("\n")
    assert_safe(out, 1)
    assert json.loads(out)["sio"]["data"] == [EVENT, CTRL]
