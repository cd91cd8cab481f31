"""Reader: round trip with the writer, torn last line, damage, and a kill -9."""

from __future__ import annotations

import gc
import os
import signal
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

import pytest

from sioproxy.errors import RecordingError
from sioproxy.recording.model import Entry
from sioproxy.recording.reader import iter_entries, read_recording
from sioproxy.recording.writer import RecordingWriter, encode_line
from tests.recording.test_model import sample_entries, sample_header

REPO = Path(__file__).resolve().parents[2]


def _write(path: Path, entries: list[Entry] | None = None) -> bytes:
    writer = RecordingWriter.create(path, sample_header())
    for entry in sample_entries() if entries is None else entries:
        writer.write(entry)
    writer.close()
    return path.read_bytes()


def _lines_file(path: Path, objs: list[Any]) -> Path:
    path.write_bytes(b"".join(encode_line(o) for o in objs))
    return path


def test_writer_then_reader_gives_the_same_entries(tmp_path: Path) -> None:
    path = tmp_path / "r.jsonl"
    _write(path)
    rec = read_recording(path)
    assert rec.header == sample_header()
    assert rec.torn_tail is None
    assert rec.path == str(path)
    assert len(rec.entries) == len(sample_entries())
    for got, want in zip(rec.entries, sample_entries(), strict=True):
        assert got.to_json() == want.to_json()
    assert rec.entries[4] == sample_entries()[4]  # non-BMP text survives byte for byte


def test_iter_entries_streams_and_reads_header_first(tmp_path: Path) -> None:
    path = tmp_path / "r.jsonl"
    _write(path)
    with iter_entries(path) as stream:
        assert stream.header == sample_header()
        first = next(iter(stream))
        assert first.kind == "open"
    stream2 = iter_entries(path)
    assert [e.seq for e in stream2] == list(range(1, 11))
    assert stream2.torn_tail is None


def test_torn_last_line_at_every_byte_offset(tmp_path: Path) -> None:
    whole = _write(tmp_path / "whole.jsonl")
    last_start = whole.rindex(b"\n", 0, len(whole) - 1) + 1
    path = tmp_path / "cut.jsonl"
    for cut in range(last_start, len(whole) + 1):
        path.write_bytes(whole[:cut])
        rec = read_recording(path)
        seqs = [e.seq for e in rec.entries]
        if cut == last_start:  # ends right after a complete line
            assert (seqs, rec.torn_tail) == (list(range(1, 10)), None)
        elif cut >= len(whole) - 1:  # the whole last line, with or without its newline
            assert (seqs, rec.torn_tail) == (list(range(1, 11)), None)
        else:
            assert seqs == list(range(1, 10)), cut
            assert rec.torn_tail is not None
            assert rec.torn_tail.startswith("line 11: torn last line"), rec.torn_tail


def test_torn_multibyte_character_is_a_torn_line(tmp_path: Path) -> None:
    entries = sample_entries()[:5]  # the last one carries "é😀"
    whole = _write(tmp_path / "w.jsonl", entries)
    emoji = whole.rindex("😀".encode())
    path = tmp_path / "cut.jsonl"
    path.write_bytes(whole[: emoji + 2])
    rec = read_recording(path)
    assert [e.seq for e in rec.entries] == [1, 2, 3, 4]
    assert rec.torn_tail is not None


def test_damaged_middle_line_raises_with_its_line_number(tmp_path: Path) -> None:
    lines = _write(tmp_path / "w.jsonl").split(b"\n")
    lines[4] = lines[4][:20]  # line 5: cut short but followed by more lines
    path = tmp_path / "bad.jsonl"
    path.write_bytes(b"\n".join(lines))
    with pytest.raises(RecordingError) as info:
        read_recording(path)
    assert info.value.line == 5
    assert f"{path}:5: not valid JSON" in str(info.value)


def test_invalid_utf8_in_middle_raises(tmp_path: Path) -> None:
    lines = _write(tmp_path / "w.jsonl").split(b"\n")
    lines[2] = lines[2].replace(b"polling", b"poll\xffing", 1)
    path = tmp_path / "bad.jsonl"
    path.write_bytes(b"\n".join(lines))
    with pytest.raises(RecordingError, match=r":3: not valid JSON"):
        read_recording(path)


def test_complete_last_line_without_newline_that_is_invalid_raises(tmp_path: Path) -> None:
    whole = _write(tmp_path / "w.jsonl")
    path = tmp_path / "bad.jsonl"
    path.write_bytes(whole.rstrip(b"\n"))  # complete JSON, only the newline missing
    rec = read_recording(path)
    assert (len(rec.entries), rec.torn_tail) == (10, None)
    path.write_bytes(whole + b'{"kind":"packet","seq":11}')  # parses: damage, not a tear
    with pytest.raises(RecordingError, match=r':12: packet entry: missing "conn"'):
        read_recording(path)


def test_blank_lines_are_skipped(tmp_path: Path) -> None:
    whole = _write(tmp_path / "w.jsonl")
    path = tmp_path / "blank.jsonl"
    path.write_bytes(whole.replace(b"\n", b"\n\n", 2) + b"\n  \n")
    assert len(read_recording(path).entries) == 10


def _header() -> dict[str, Any]:
    return sample_header().to_json()


def _open(seq: int, conn: str = "c1") -> dict[str, Any]:
    return sample_entries()[0].to_json() | {"seq": seq, "conn": conn}


def _packet(seq: int, conn: str = "c1") -> dict[str, Any]:
    return sample_entries()[4].to_json() | {"seq": seq, "conn": conn}


@pytest.mark.parametrize(
    ("objs", "where", "reason"),
    [
        ([_open(1)], 1, 'header: first line must be the header ("kind": "header"), got "open"'),
        ([_header() | {"format": "x"}], 1, 'header: "format" must be "sioproxy-recording"'),
        (
            [_header() | {"version": 2}, _open(1)],
            1,
            "written by a newer sioproxy: format version 2; this sioproxy reads version 1",
        ),
        (
            [_header(), _open(1), _header() | {"version": 2}],
            3,
            "header: written by a newer sioproxy: format version 2",
        ),
        ([_header(), _open(1), _header(), _open(2)], 4, 'connection "c1" opened twice'),
        ([_header(), _open(1), {"kind": "ping", "seq": 2}], 3, 'unknown entry kind "ping"'),
        ([_header(), _open(1), ["kind"]], 3, 'expected a JSON object, got ["kind"]'),
        (
            [_header(), _open(1), _packet(3), _packet(3)],
            4,
            "packet entry: seq 3 is not greater than the previous seq 3",
        ),
        ([_header(), _open(2), _packet(1)], 3, "seq 1 is not greater than the previous seq 2"),
        ([_header(), _open(1), _packet(2, "c9")], 3, 'connection "c9" was never opened'),
        ([_header(), _open(1), _open(2)], 3, 'open entry: connection "c1" opened twice'),
        ([_header(), _open(1), _packet(2) | {"dir": "up"}], 3, '"dir" must be "c2s" or "s2c"'),
    ],
)
def test_reader_rejects_damage(tmp_path: Path, objs: list[Any], where: int, reason: str) -> None:
    path = _lines_file(tmp_path / "r.jsonl", objs)
    with pytest.raises(RecordingError) as info:
        read_recording(path)
    assert info.value.line == where
    assert reason in str(info.value)
    assert str(info.value).startswith(f"{path}:{where}: ")


def test_close_for_unopened_connection(tmp_path: Path) -> None:
    close = {"kind": "close", "seq": 2, "conn": "c2", "t": 0, "reason": "x", "by": None}
    path = _lines_file(tmp_path / "r.jsonl", [_header(), _open(1), close])
    with pytest.raises(RecordingError, match='close entry: connection "c2" was never opened'):
        read_recording(path)


@pytest.mark.parametrize(
    ("content", "reason"),
    [
        (b"", "empty file, no header"),
        (b"\n\n", "empty file, no header"),
        (b'{"kind":"hea', "torn header line"),
        (b"not json\n", "not valid JSON"),
        (b"NaN\n", "not valid JSON"),
        (b"[" * 100000 + b"\n", "not valid JSON"),
    ],
)
def test_reader_rejects_bad_files(tmp_path: Path, content: bytes, reason: str) -> None:
    path = tmp_path / "r.jsonl"
    path.write_bytes(content)
    with pytest.raises(RecordingError, match=reason):
        read_recording(path)


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(RecordingError, match="cannot open"):
        read_recording(tmp_path / "nope.jsonl")


def test_seq_gaps_are_allowed(tmp_path: Path) -> None:
    path = _lines_file(tmp_path / "r.jsonl", [_header(), _open(1), _packet(5), _packet(9)])
    assert [e.seq for e in read_recording(path).entries] == [1, 5, 9]


CHILD = textwrap.dedent(
    """
    import sys
    from sioproxy.recording.writer import RecordingWriter
    from tests.recording.test_model import sample_entries, sample_header
    from sioproxy.recording.model import PacketEntry
    from sioproxy.types import Direction, TransportName

    writer = RecordingWriter.create(sys.argv[1], sample_header(), flush_interval=0)
    writer.write(sample_entries()[0])
    for seq in range(2, 2_000_000):
        writer.write(PacketEntry(
            seq=seq, conn="c1", t=seq / 1000, dir=Direction.C2S,
            transport=TransportName.WEBSOCKET, raw='42["tick",%d]' % seq,
            packet={"type": "event", "data": ["tick", seq]},
        ))
        if seq == 500:
            print("ready", flush=True)
    """
)


def test_kill_9_mid_run_leaves_a_readable_prefix(tmp_path: Path) -> None:
    path = tmp_path / "killed.jsonl"
    env = dict(os.environ, PYTHONPATH=str(REPO))
    child = subprocess.Popen(
        [sys.executable, "-c", CHILD, str(path)], cwd=REPO, env=env, stdout=subprocess.PIPE
    )
    try:
        assert child.stdout is not None
        assert child.stdout.readline() == b"ready\n"
    finally:
        os.kill(child.pid, signal.SIGKILL)
        child.wait()
        if child.stdout is not None:
            child.stdout.close()
    assert child.returncode == -signal.SIGKILL
    rec = read_recording(path)
    seqs = [e.seq for e in rec.entries]
    assert len(seqs) >= 500
    assert seqs == list(range(1, len(seqs) + 1))
    data = path.read_bytes()
    newline_lines = data.count(b"\n")
    if rec.torn_tail is None:  # a last line without newline only counts if it parsed
        assert len(seqs) + 1 == newline_lines + (0 if data.endswith(b"\n") else 1)
    else:
        assert not data.endswith(b"\n")
        assert len(seqs) + 1 == newline_lines


def test_reading_runs_no_garbage_collection(tmp_path: Path, gc_collections: list[int]) -> None:
    # Entries are acyclic: a collection during the read only walks every live
    # object (a test session's, the other recordings'), for nothing.
    path = tmp_path / "r.jsonl"
    _write(path)
    path.write_bytes(path.read_bytes() + b"".join(_packet_line(s) for s in range(100, 3100)))
    rec = read_recording(path)
    assert gc_collections == []
    assert gc.isenabled()
    assert len(rec.entries) == len(sample_entries()) + 3000


def _packet_line(seq: int) -> bytes:
    return encode_line(
        {
            "kind": "packet",
            "seq": seq,
            "conn": "c1",
            "t": 1.0,
            "dir": "c2s",
            "transport": "websocket",
            "raw": f'42["e",{{"n":{seq}}}]',
            "packet": {"eio": "message", "sio": {"type": "event", "nsp": "/", "data": ["e"]}},
        }
    )
