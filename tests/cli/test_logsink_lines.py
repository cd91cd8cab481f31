"""The default log's hot path writes exactly the lines ``PacketLog`` writes.

``LogSink.event`` formats a plain Socket.IO packet at once with
``PacketLog.plain_text`` and escapes a turn's lines together
(docs/performance.md, round 6). These tests compare, on EIO4 WebSocket, EIO3
polling and 0.9 traffic, on packets with control characters in every field and
on random arguments: ``plain_text`` against the general formatter, and the
bytes a ``LogSink`` writes against ``PacketLog`` writing line by line (escape,
then redaction, per line), notes interleaved, in text and JSON.
"""

from __future__ import annotations

import itertools
import json
import os
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sioproxy.cli.logsink import LogSink
from sioproxy.ops.logfmt import PacketLog
from sioproxy.proxy.live import LiveObserver
from sioproxy.recording.live_recorder import LiveRecorder
from sioproxy.recording.redact import Redactor
from sioproxy.session import PacketSeen, SessionEvent
from sioproxy.textsafe import UNSAFE
from sioproxy.types import Direction
from tests.recording.test_live_recorder import (
    _eio3_polling,
    _eio4_ws,
    _legacy_ws,
    _request,
    json_values,
)

C2S, S2C = Direction.C2S, Direction.S2C
CTRL = "\x1b[2J\r\n12:00:00.000 c9 forged\x9b31m\u202e\u2066\x7f\x00\x85"
Feed = Callable[[LiveObserver], None]


def _hostile_ws(obs: LiveObserver) -> None:
    """Controls, C1 and bidi characters in the namespace, event name and args."""
    obs.on_ws_open(3, _request("EIO=4&transport=websocket"), None)
    nsp = "/x" + CTRL
    for direction, text in [
        (C2S, "40" + nsp + ","),
        (C2S, "42" + nsp + ",5" + json.dumps(["ev" + CTRL, CTRL, {"k": CTRL}])),
        (S2C, "43" + nsp + ",5" + json.dumps([CTRL], ensure_ascii=False)),
        (S2C, "42" + json.dumps(["\u202eplain", "a" * 300], ensure_ascii=False)),
        (S2C, '42[7,"name is a number"]'),
        # args of 119 to 122 characters: cut at 120 ("...") or not, events and acks
        *[(S2C, '42["cut",' + json.dumps("c" * n) + "]") for n in range(115, 119)],
        *[(S2C, "43" + json.dumps(["a" * n])) for n in range(114, 118)],
        (S2C, "42[]"),
        (S2C, '42["no args"]'),
        (S2C, '44{"message":"refused"}'),
        (S2C, "41" + nsp + ","),
    ]:
        obs.on_ws_message(3, direction, text.encode("utf-8", "surrogatepass"), False)
    obs.on_ws_close(3, S2C, 1000, "bye" + CTRL)


def _ascii_controls_ws(obs: LiveObserver) -> None:
    """ASCII controls in otherwise ASCII turns (the sink tests those on the bytes)."""
    obs.on_ws_open(4, _request("EIO=4&transport=websocket"), None)
    for n in range(12):
        ctrl = ["", "\x1b[2J", "\r\n12:00:00.000 c9 forged", "\x7f", "\t", "\x00"][n % 6]
        name, arg = ("ev" + ctrl, "a") if n % 2 else ("ev", "a" + ctrl)
        text = "42" + ("/n" + ctrl + "," if n % 3 == 2 else "") + json.dumps([name, arg])
        obs.on_ws_message(4, C2S, text.encode(), False)


FEEDS = [_eio4_ws, _eio3_polling, _legacy_ws, _hostile_ws, _ascii_controls_ws]
IDS = ["eio4-ws", "eio3-polling", "0.9-ws", "controls", "ascii-controls"]


def _events(feed: Feed, *sinks: Callable[[SessionEvent], None]) -> list[SessionEvent]:
    """The feed's events; ``sinks`` see each one after a recorder wrote it (as in record)."""
    seen: list[SessionEvent] = []
    with tempfile.TemporaryDirectory() as tmp:
        recorder = LiveRecorder.open(str(Path(tmp) / "rec.jsonl"), upstream="http://up")
        obs = LiveObserver(clock=lambda: 0.25, sinks=[recorder.event, seen.append, *sinks])
        feed(obs)
        obs.shutdown()
        recorder.close()
    return seen


@pytest.mark.parametrize("recorded", [True, False], ids=["after-recorder", "alone"])
@pytest.mark.parametrize("feed", FEEDS, ids=IDS)
def test_plain_text_is_the_general_text(feed: Feed, recorded: bool) -> None:
    log = PacketLog(lambda _line: None)
    walls = itertools.count(1_733_140_000.0, 0.0137)
    lines: list[tuple[str | None, str]] = []

    def check(event: SessionEvent) -> None:
        if isinstance(event, PacketSeen):
            wall = next(walls)
            lines.append((log.plain_text(event, wall), log._general_text(event, wall)))

    if recorded:  # right after the recorder encoded the packet (its text is reused)
        _events(feed, check)
    else:
        for event in _events(feed):
            check(event)
    plain = [(line, general) for line, general in lines if line is not None]
    assert len(plain) >= (0 if feed is _legacy_ws else 5)  # most packets take the hot path
    for line, general in plain:
        assert line == general


@settings(max_examples=150, deadline=None)
@given(
    args=st.lists(json_values, max_size=3),
    kind=st.sampled_from(["42", "425", "43", "437", "42/chat,", "44", "41"]),
    ack_of=st.booleans(),
)
def test_any_payload_gives_the_general_text(args: list[Any], kind: str, ack_of: bool) -> None:
    body = json.dumps(["ev", *args] if kind.startswith("42") else args, ensure_ascii=False)
    if kind in ("44", "41"):
        body = json.dumps(args[0]) if args else ""

    def feed(obs: LiveObserver) -> None:
        obs.on_ws_open(1, _request("EIO=4&transport=websocket"), None)
        if ack_of:  # the server's 43 answers the client's 42 with that id
            obs.on_ws_message(1, C2S, b'427["q"]', False)
        direction = S2C if ack_of else C2S
        obs.on_ws_message(1, direction, (kind + body).encode("utf-8", "surrogatepass"), False)

    log = PacketLog(lambda _line: None)
    wall = 1_733_140_000.999_9
    lines: list[tuple[str | None, str]] = []

    def check(event: SessionEvent) -> None:
        if isinstance(event, PacketSeen):
            lines.append((log.plain_text(event, wall), log._general_text(event, wall)))

    _events(feed, check)
    line, general = lines[-1]
    if line is not None:
        assert line == general


def _through_sink(feed: Feed, out: Path, **kw: Any) -> tuple[LogSink, list[SessionEvent]]:
    """The feed through a recorder, then a started LogSink (a note after every fifth
    event, a turn per 7), as ``sioproxy record`` wires them."""
    fd = os.open(out, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    clock = [1_733_139_999.5]
    count = itertools.count()
    sink = LogSink(
        fd, redact_lines=Redactor().redact_output_lines, wall_clock=lambda: clock[0], **kw
    )
    sink.log.note("before start: written at once")
    sink.start(lambda _delay, _call: None)

    def log_event(event: SessionEvent) -> None:
        n = next(count)
        clock[0] = 1_733_140_000.0 + n * 0.0137
        sink.event(event)
        if n % 5 == 4:
            sink.log.note(f"note {n} \x1b[31m", conn="c1")
        if n % 7 == 6:
            sink.flush()

    try:
        events = _events(feed, log_event)
        sink.close()
    finally:
        os.close(fd)
    return sink, events


def _reference(events: list[SessionEvent], clock: list[float], **kw: Any) -> bytes:
    """The same through PacketLog, one line at a time: escaped, then redacted."""
    redactor = Redactor()
    lines: list[str] = []
    log = PacketLog(lambda line: lines.append(redactor.redact_output(line)), **kw)
    log._wall = lambda: clock[0]
    clock[0] = 1_733_139_999.5
    log.note("before start: written at once")
    for n, event in enumerate(events):
        clock[0] = 1_733_140_000.0 + n * 0.0137
        log.event(event)
        if n % 5 == 4:
            log.note(f"note {n} \x1b[31m", conn="c1")
    return "".join(line + "\n" for line in lines).encode("utf-8", "surrogateescape")


@pytest.mark.parametrize("json_lines", [False, True], ids=["text", "json"])
@pytest.mark.parametrize("verbose", [False, True], ids=["quiet-pings", "verbose"])
@pytest.mark.parametrize("feed", FEEDS, ids=IDS)
def test_sink_writes_what_packetlog_writes(
    tmp_path: Path, feed: Feed, json_lines: bool, verbose: bool
) -> None:
    out = tmp_path / "log.txt"
    sink, events = _through_sink(feed, out, json_lines=json_lines, verbose=verbose)
    expected = _reference(events, [0.0], json_lines=json_lines, verbose=verbose)
    assert out.read_bytes() == expected
    assert sink.dropped == 0
    if feed in (_hostile_ws, _ascii_controls_ws) and not json_lines:
        text = out.read_text("utf-8", "surrogateescape")
        for char in "\x1b\u202e\x9b\x7f\x00":
            assert char not in text
        assert len(text.splitlines()) == len(expected.splitlines())


def _drain(fd: int) -> bytes:
    chunks = []
    while True:
        try:
            chunk = os.read(fd, 1 << 16)
        except BlockingIOError:
            return b"".join(chunks)
        if not chunk:
            return b"".join(chunks)
        chunks.append(chunk)


def test_a_stalled_pipe_drops_whole_events_and_counts_them() -> None:
    events = [e for e in _events(_eio4_ws) if isinstance(e, PacketSeen) and not e.is_heartbeat]
    read, write = os.pipe()
    os.set_blocking(read, False)
    try:
        sink = LogSink(write, redact_lines=Redactor().redact_output_lines, limit=4096)
        sink.start(lambda _delay, _call: None)
        for _ in range(400):  # nobody reads: the pipe fills, then the buffer
            for event in events:
                sink.event(event)
            sink.flush()
        assert sink.dropped > 0
        taken = _drain(read)  # the reader comes back: what was kept goes on
        sink.close()
        taken += _drain(read)
    finally:
        os.close(read)
        os.close(write)
    assert taken.endswith(b"\n")
    lines = taken.decode().splitlines()
    assert len(lines) == len(events) * 400 - sink.dropped  # every kept event, whole, once
    assert all(" c1 " in line for line in lines)


def test_every_unsafe_character_is_unprintable() -> None:
    # LogSink skips the UNSAFE search when the turn's text is printable.
    unsafe = [chr(c) for c in range(0x110000) if UNSAFE.match(chr(c))]
    assert len(unsafe) == 32 + 1 + 32 + 12
    assert not any(char.isprintable() for char in unsafe)
