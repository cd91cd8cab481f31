"""Following a recording that is being written: torn lines, a writer thread, the CLI."""

from __future__ import annotations

import argparse
import datetime as dt
import threading
import time
from pathlib import Path

import pytest

from sioproxy.cli import inspect_cmds
from sioproxy.errors import RecordingError
from sioproxy.inspect.follow import RecordingTail, follow
from sioproxy.recording import Header, RecordingWriter, encode_line, read_recording
from sioproxy.recording.model import Entry

DATA = Path(__file__).parent / "data"


def _lines() -> list[bytes]:
    recording = read_recording(DATA / "eio4_session.jsonl")
    return [encode_line(recording.header.to_json())] + [
        encode_line(e.to_json()) for e in recording.entries
    ]


def test_poll_waits_for_a_torn_line_to_complete(tmp_path: Path) -> None:
    path = tmp_path / "live.jsonl"
    lines = _lines()
    tail = RecordingTail(path)
    assert tail.poll() == []  # no file yet
    path.write_bytes(lines[0][:30])
    assert tail.poll() == []
    assert tail.header is None
    with path.open("ab") as file:
        file.write(lines[0][30:] + lines[1] + lines[2][:17])  # header, open, torn packet
    first = tail.poll()
    assert tail.header is not None
    assert [e.seq for e in first] == [1]
    assert tail.poll() == []  # still torn
    with path.open("ab") as file:
        file.write(lines[2][17:] + lines[3])
    assert [e.seq for e in tail.poll()] == [2, 3]


def test_writer_cutting_a_half_line_is_reread(tmp_path: Path) -> None:
    """The writer truncates a half-written line after a disk error and writes it again."""
    path = tmp_path / "live.jsonl"
    lines = _lines()
    path.write_bytes(lines[0] + lines[1] + b'{"kind":"pack')
    tail = RecordingTail(path)
    assert [e.seq for e in tail.poll()] == [1]
    with path.open("r+b") as file:
        file.truncate(len(lines[0]) + len(lines[1]))
    with path.open("ab") as file:
        file.write(lines[2])
    assert [e.seq for e in tail.poll()] == [2]


def test_broken_complete_line_names_the_line(tmp_path: Path) -> None:
    path = tmp_path / "live.jsonl"
    lines = _lines()
    path.write_bytes(lines[0] + lines[1] + b"{oops\n")
    with pytest.raises(RecordingError, match=r"live.jsonl:3: not valid JSON"):
        RecordingTail(path).poll()


def test_follow_with_fake_clock_writes_between_polls(tmp_path: Path) -> None:
    path = tmp_path / "live.jsonl"
    lines = _lines()
    chunks = [lines[0] + lines[1][:5], lines[1][5:], lines[2] + lines[3][:3], lines[3][3:]]
    clock = [0.0]

    def sleep(seconds: float) -> None:
        clock[0] += seconds
        if chunks:
            with path.open("ab") as file:
                file.write(chunks.pop(0))

    seen = [
        e.seq
        for e in follow(
            RecordingTail(path), interval=1.0, timeout=10.0, clock=lambda: clock[0], sleep=sleep
        )
    ]
    assert seen == [1, 2, 3]
    assert clock[0] == pytest.approx(10.0)


def test_follow_a_writer_thread(tmp_path: Path) -> None:
    path = tmp_path / "live.jsonl"
    source = read_recording(DATA / "eio4_session.jsonl")
    header = Header.new(now=dt.datetime(2024, 5, 1, tzinfo=dt.UTC))
    writer = RecordingWriter.create(path, header)

    def produce() -> None:
        for entry in source.entries:
            writer.write(entry)
            time.sleep(0.002)  # let the follower catch up mid-file now and then
        writer.close()

    thread = threading.Thread(target=produce)
    thread.start()
    got: list[Entry] = []
    try:
        for entry in follow(RecordingTail(path), interval=0.01, timeout=30.0):
            got.append(entry)
            if len(got) == len(source.entries):
                break
    finally:
        thread.join(10)
    assert got == list(source.entries)


def test_show_follow_cli_stops_at_the_timeout(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "live.jsonl"
    lines = _lines()
    path.write_bytes(b"".join(lines[:12]) + lines[12][:10])  # a torn last line
    parser = argparse.ArgumentParser()
    inspect_cmds.add_parsers(parser.add_subparsers())
    args = parser.parse_args(
        ["show", str(path), "--follow", "--follow-timeout", "0.05", "--follow-interval", "0.01"]
    )
    assert args.handler(args) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[0].startswith("#1 ")
    assert out[-1].startswith("#11 ")  # #7-#9 are probes, hidden; #12 is torn
    assert len(out) == 8
