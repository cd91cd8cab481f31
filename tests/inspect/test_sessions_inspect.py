"""``show`` and ``merge`` on a file with two sessions (``record --append``)."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import pytest

from sioproxy.cli.main import main
from sioproxy.recording import read_recording
from sioproxy.recording.writer import RecordingWriter
from tests.recording.test_model import sample_entries, sample_header


def _two_sessions(path: Path) -> None:
    first = sample_entries()[:2]
    writer = RecordingWriter.create(path, sample_header())
    for entry in first:
        writer.write(entry)
    writer.close()
    later = dataclasses.replace(
        sample_header(),
        created="2024-05-01T12:00:10.000Z",
        redactions={"headers": ["X-Secret"], "query": [], "auth": False},
    )
    writer = RecordingWriter.create(path, later, policy="append")
    for entry in first:
        writer.write(dataclasses.replace(entry, seq=entry.seq + 2, conn="c2", t=entry.t + 10))
    writer.close()


def test_show_marks_where_the_second_session_starts(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "r.jsonl"
    _two_sessions(path)
    assert main(["show", str(path), "--color", "never", "--all"]) == 0
    lines = capsys.readouterr().out.splitlines()
    marks = [i for i, line in enumerate(lines) if line.startswith("-- session 2:")]
    assert len(marks) == 1
    assert "2024-05-01T12:00:10.000Z" in lines[marks[0]]
    assert all(" c1 " in line for line in lines[: marks[0]])
    assert all(" c2 " in line for line in lines[marks[0] + 1 :])


def test_show_json_keeps_the_session_header(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "r.jsonl"
    _two_sessions(path)
    assert main(["show", str(path), "--json", "--all"]) == 0
    kinds = [json.loads(line)["kind"] for line in capsys.readouterr().out.splitlines()]
    assert kinds == ["open", "packet", "header", "open", "packet"]


def test_merge_of_a_two_session_file_keeps_every_connection(tmp_path: Path) -> None:
    path = tmp_path / "r.jsonl"
    _two_sessions(path)
    out = tmp_path / "all.jsonl"
    assert main(["merge", str(path), "--out", str(out)]) == 0
    merged = read_recording(out)
    assert merged.connections() == ["c1", "c2"]
    assert merged.sessions == ()
    assert "X-Secret" in merged.header.redactions["headers"]  # a later session's policy counts
    assert [e.t for e in merged.entries] == sorted(e.t for e in merged.entries)
