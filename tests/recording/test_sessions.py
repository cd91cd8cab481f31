"""Several sessions in one file (``record --append``): the reader and the writer."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path
from typing import Any

import pytest

from sioproxy.errors import RecordingError
from sioproxy.recording import FORMAT_MINOR, Header, OpenEvent, read_recording
from sioproxy.recording.live_recorder import session_offset
from sioproxy.recording.outfile import AppendPoint, scan_for_append
from sioproxy.recording.writer import RecordingWriter, encode_line
from tests.recording.test_model import sample_entries, sample_header


def _write(path: Path, header: Header, entries: list[Any], **kw: Any) -> RecordingWriter:
    writer = RecordingWriter.create(path, header, **kw)
    for entry in entries:
        writer.write(entry)
    writer.close()
    return writer


def _shifted(entries: list[Any], seq: int, label: str) -> list[Any]:
    out = []
    for entry in entries:
        changes: dict[str, Any] = {"seq": entry.seq + seq, "conn": label}
        if getattr(entry, "ack_of", None) is not None:
            changes["ack_of"] = entry.ack_of + seq
        out.append(dataclasses.replace(entry, **changes))
    return out


def test_append_adds_a_session_header_and_reads_back_as_one_recording(tmp_path: Path) -> None:
    path = tmp_path / "r.jsonl"
    first = sample_entries()
    _write(path, sample_header(), first)
    before = path.read_bytes()
    second_header = dataclasses.replace(sample_header(), created="2024-05-01T13:00:00.000Z")
    writer = RecordingWriter.create(path, second_header, policy="append")
    point = writer.append_point
    assert point is not None
    assert (point.last_seq, point.last_label, point.sessions) == (10, 1, 1)
    for entry in _shifted(first, point.last_seq, "c2"):
        writer.write(entry)
    writer.close()
    data = path.read_bytes()
    assert data.startswith(before)  # the first session is untouched
    rec = read_recording(path)
    assert rec.connections() == ["c1", "c2"]
    assert [s.header.created for s in rec.sessions] == ["2024-05-01T13:00:00.000Z"]
    assert rec.sessions[0].after_seq == 10
    assert rec.sessions[0].line == 12
    assert rec.headers()[0] == sample_header()


def test_new_headers_carry_the_minor_version_and_old_files_still_read(tmp_path: Path) -> None:
    assert sample_header().to_json()["minor"] == FORMAT_MINOR == 1
    old = sample_header().to_json()
    del old["minor"]  # as written before format 1.1
    path = tmp_path / "old.jsonl"
    path.write_bytes(
        encode_line(old) + b"".join(encode_line(e.to_json()) for e in sample_entries())
    )
    rec = read_recording(path)
    assert rec.header.minor == 0
    assert rec.sessions == ()
    assert len(rec.entries) == len(sample_entries())


def test_append_after_a_last_line_without_newline_keeps_both_lines(tmp_path: Path) -> None:
    path = tmp_path / "r.jsonl"
    _write(path, sample_header(), sample_entries()[:1])
    path.write_bytes(path.read_bytes().rstrip(b"\n"))
    _write(path, sample_header(), [], policy="append")
    rec = read_recording(path)
    assert len(rec.entries) == 1
    assert len(rec.sessions) == 1


def test_append_refuses_a_torn_file_and_leaves_it_alone(tmp_path: Path) -> None:
    path = tmp_path / "r.jsonl"
    _write(path, sample_header(), sample_entries()[:2])
    path.write_bytes(path.read_bytes() + b'{"kind":"pac')
    before = path.read_bytes()
    with pytest.raises(RecordingError, match="cannot append after a torn line"):
        RecordingWriter.create(path, sample_header(), policy="append")
    assert path.read_bytes() == before


def test_append_to_a_missing_file_starts_it(tmp_path: Path) -> None:
    path = tmp_path / "new.jsonl"
    writer = _write(path, sample_header(), sample_entries()[:1], policy="append")
    assert writer.append_point == AppendPoint()
    assert read_recording(path).sessions == ()


def test_scan_finds_the_highest_label_of_any_session(tmp_path: Path) -> None:
    path = tmp_path / "r.jsonl"
    entries = [
        dataclasses.replace(sample_entries()[0], conn="c7"),
        *_shifted(sample_entries()[:1], 1, "browser"),
    ]
    _write(path, sample_header(), entries)
    point = scan_for_append(str(path))
    assert point.last_label == 7
    assert point.labels == frozenset({"c7", "browser"})


def test_session_offset_counts_from_the_first_header_and_never_goes_back() -> None:
    point = AppendPoint(last_seq=3, last_t=5.0, first_created="2024-05-01T12:00:00.000Z")
    later = dataclasses.replace(sample_header(), created="2024-05-01T12:01:00.000Z")
    assert session_offset(point, later) == 60.0
    earlier = dataclasses.replace(sample_header(), created="2024-05-01T11:00:00.000Z")
    assert session_offset(point, earlier) == 5.0  # clock set back: time still goes on


def test_a_session_header_line_is_a_plain_header(tmp_path: Path) -> None:
    path = tmp_path / "r.jsonl"
    _write(path, sample_header(), sample_entries()[:1])
    _write(path, sample_header(), [], policy="append")
    lines = [json.loads(x) for x in path.read_text().splitlines()]
    assert [x["kind"] for x in lines] == ["header", "open", "header"]
    assert isinstance(read_recording(path).entries[0], OpenEvent)
