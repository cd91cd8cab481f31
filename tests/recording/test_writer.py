"""RecordingWriter: header, per-line flushing, buffered flushing, disk errors."""

from __future__ import annotations

import errno
import json
from pathlib import Path

import pytest

from sioproxy.errors import RecordingError
from sioproxy.recording.model import CloseEvent, Entry, PacketEntry
from sioproxy.recording.reader import read_recording
from sioproxy.recording.writer import BUFFER_LIMIT, RecordingWriter, encode_line
from sioproxy.types import Direction, TransportName
from tests.recording.test_model import sample_entries, sample_header


def _lines(path: Path) -> list[str]:
    return path.read_bytes().decode().splitlines()


def _event(seq: int, size: int = 10) -> PacketEntry:
    return PacketEntry(
        seq=seq,
        conn="c1",
        t=seq / 10,
        dir=Direction.C2S,
        transport=TransportName.WEBSOCKET,
        raw="4" + "x" * size,
        packet={"type": "message"},
    )


class FlakySink:
    """An in-memory file whose writes, flushes and truncates fail on demand."""

    def __init__(self) -> None:
        self.data = bytearray()
        self.write_error: OSError | None = None
        self.partial = 0  # bytes that reach the "disk" before a failing write raises
        self.truncate_error: OSError | None = None
        self.closed = False

    def write(self, data: memoryview, /) -> int:
        if self.write_error is not None:
            self.data += bytes(data[: self.partial])
            raise self.write_error
        self.data += bytes(data)
        return len(data)

    def flush(self) -> None:
        pass

    def truncate(self, size: int, /) -> int:
        if self.truncate_error is not None:
            raise self.truncate_error
        del self.data[size:]
        return size

    def fileno(self) -> int:
        raise OSError(errno.EBADF, "no descriptor")

    def close(self) -> None:
        self.closed = True


ENOSPC = OSError(errno.ENOSPC, "No space left on device")


def test_create_writes_header_at_once_and_makes_dirs(tmp_path: Path) -> None:
    path = tmp_path / "a" / "b" / "rec.jsonl"
    writer = RecordingWriter.create(path, sample_header())
    lines = _lines(path)  # read while the writer is still open
    assert len(lines) == 1
    assert json.loads(lines[0]) == sample_header().to_json()
    assert lines[0].startswith('{"kind":"header","format":"sioproxy-recording","version":1,')
    writer.close()


def test_create_refuses_existing_file_unless_overwrite(tmp_path: Path) -> None:
    path = tmp_path / "rec.jsonl"
    path.write_text("precious\n")
    with pytest.raises(RecordingError, match="file exists"):
        RecordingWriter.create(path, sample_header())
    assert path.read_text() == "precious\n"
    RecordingWriter.create(path, sample_header(), overwrite=True).close()
    assert len(_lines(path)) == 1


def test_unbuffered_writer_flushes_every_line(tmp_path: Path) -> None:
    path = tmp_path / "rec.jsonl"
    writer = RecordingWriter.create(path, sample_header())
    for count, entry in enumerate(sample_entries(), start=2):
        writer.write(entry)
        assert len(_lines(path)) == count
    writer.close()
    assert read_recording(path).entries == tuple(read_recording(path).entries)


def test_buffered_writer_waits_for_interval(tmp_path: Path) -> None:
    path = tmp_path / "rec.jsonl"
    writer = RecordingWriter.create(path, sample_header(), flush_interval=1.0)
    assert writer.maybe_flush(50.0) is False  # nothing pending
    writer.write(_event(1))
    assert len(_lines(path)) == 1
    assert writer.maybe_flush(100.0) is True  # first flush: no earlier flush to wait for
    assert len(_lines(path)) == 2
    writer.write(_event(2))
    assert writer.maybe_flush(100.5) is False
    assert len(_lines(path)) == 2
    assert writer.status()["pending_lines"] == 1
    assert writer.maybe_flush(101.0) is True
    assert len(_lines(path)) == 3
    writer.close()


def test_buffered_writer_flushes_past_64_kib(tmp_path: Path) -> None:
    path = tmp_path / "rec.jsonl"
    writer = RecordingWriter.create(path, sample_header(), flush_interval=60.0)
    line_size = len(encode_line(_event(1, 1000).to_json()))
    needed = BUFFER_LIMIT // line_size + 1
    for seq in range(1, needed):
        writer.write(_event(seq, 1000))
    assert len(_lines(path)) == 1
    writer.write(_event(needed, 1000))
    assert len(_lines(path)) == needed + 1
    assert writer.status()["pending_lines"] == 0
    writer.close()


def test_close_flushes_and_is_idempotent(tmp_path: Path) -> None:
    path = tmp_path / "rec.jsonl"
    writer = RecordingWriter.create(path, sample_header(), flush_interval=10.0)
    for entry in sample_entries():
        writer.write(entry)
    assert len(_lines(path)) == 1
    writer.close()
    writer.close()
    assert writer.closed
    assert len(read_recording(path).entries) == len(sample_entries())
    writer.write(_event(99))  # a late frame during shutdown: counted, not raised
    assert writer.lines_dropped == 1
    assert len(read_recording(path).entries) == len(sample_entries())


def test_next_seq_and_order_check(tmp_path: Path) -> None:
    writer = RecordingWriter.create(tmp_path / "r.jsonl", sample_header())
    assert [writer.next_seq(), writer.next_seq()] == [1, 2]
    writer.write(sample_entries()[0])  # seq 1
    writer.write(_event(5))
    assert writer.next_seq() == 6
    with pytest.raises(RecordingError, match="seq 5 written after seq 5"):
        writer.write(_event(5))
    writer.close()


def test_unserialisable_entry_raises(tmp_path: Path) -> None:
    writer = RecordingWriter.create(tmp_path / "r.jsonl", sample_header())
    bad = PacketEntry(
        seq=1, conn="c1", t=0, dir=Direction.C2S, transport=TransportName.POLLING, raw="4",
        packet={"x": float("nan")},
    )  # fmt: skip
    with pytest.raises(RecordingError, match="entry seq 1"):
        writer.write(bad)
    writer.close()


def test_encode_line_is_compact_utf8_and_survives_lone_surrogates() -> None:
    line = encode_line({"raw": "é😀", "n": [1, 2]})
    assert line == '{"raw":"é😀","n":[1,2]}\n'.encode()
    lone = encode_line({"raw": "a\ud800b"})
    lone.decode("utf-8")  # valid UTF-8
    assert json.loads(lone) == {"raw": "a\ud800b"}


def _sink_writer(sink: FlakySink, **kwargs: float) -> RecordingWriter:
    writer = RecordingWriter(sink, path="mem.jsonl", **kwargs)  # type: ignore[arg-type]
    writer._emit([encode_line(sample_header().to_json())], [False])
    return writer


def _sink_recording(sink: FlakySink, tmp_path: Path) -> list[Entry]:
    path = tmp_path / "copy.jsonl"
    path.write_bytes(bytes(sink.data))
    return list(read_recording(path).entries)


def test_disk_full_is_counted_and_partial_line_cut(tmp_path: Path) -> None:
    sink = FlakySink()
    writer = _sink_writer(sink)
    entries = sample_entries()
    writer.write(entries[0])
    good = bytes(sink.data)
    sink.write_error, sink.partial = ENOSPC, 7
    writer.write(entries[1])  # must not raise
    assert bytes(sink.data) == good  # the 7 bytes that got through were cut off
    assert writer.failed is not None
    assert "No space left" in writer.failed
    assert writer.lines_dropped == 1
    assert writer.status()["ok"] is False
    sink.write_error = None  # the disk recovers
    writer.write(entries[2])
    assert writer.status()["ok"] is True
    assert writer.failed is not None  # sticky: the recording has a gap
    assert [e.seq for e in _sink_recording(sink, tmp_path)] == [1, 3]
    assert writer.status()["lines_written"] == 3  # header, 1, 3


def test_truncate_failure_is_retried_before_next_write(tmp_path: Path) -> None:
    sink = FlakySink()
    writer = _sink_writer(sink)
    writer.write(sample_entries()[0])
    good = len(sink.data)
    sink.write_error, sink.partial, sink.truncate_error = ENOSPC, 5, ENOSPC
    writer.write(sample_entries()[1])
    assert len(sink.data) == good + 5  # could not cut yet
    sink.write_error = None
    writer.write(sample_entries()[2])  # truncate still fails: the line is dropped, not torn
    assert len(sink.data) == good + 5
    assert writer.lines_dropped == 2
    sink.truncate_error = None
    writer.write(sample_entries()[3])
    assert [e.seq for e in _sink_recording(sink, tmp_path)] == [1, 4]


def test_buffered_failure_drops_the_chunk_but_keeps_open_lines(tmp_path: Path) -> None:
    sink = FlakySink()
    writer = _sink_writer(sink, flush_interval=5.0)
    for entry in sample_entries()[:3]:  # open, packet, packet
        writer.write(entry)
    sink.write_error, sink.partial = ENOSPC, 100
    assert writer.maybe_flush(10.0) is False
    assert writer.lines_dropped == 2
    assert writer.status()["retry_lines"] == 1
    assert writer.maybe_flush(20.0) is False  # still failing: the open line is kept
    assert writer.lines_dropped == 2
    sink.write_error = None
    writer.write(sample_entries()[3])
    writer.close()
    assert sink.closed
    # Without the retried open line the file would not read ("never opened").
    assert [e.seq for e in _sink_recording(sink, tmp_path)] == [1, 4]
    status = writer.status()
    assert status["lines_dropped"] == 2
    assert status["retry_lines"] == 0
    assert status["closed"] is True


def test_unbuffered_open_line_retried_with_next_write(tmp_path: Path) -> None:
    sink = FlakySink()
    writer = _sink_writer(sink)
    sink.write_error = ENOSPC
    writer.write(sample_entries()[0])  # the open line fails
    writer.write(sample_entries()[1])  # fails too: dropped, the open line kept
    assert writer.lines_dropped == 1
    sink.write_error = None
    writer.write(sample_entries()[2])
    assert [e.seq for e in _sink_recording(sink, tmp_path)] == [1, 3]


def test_open_lines_lost_at_close_are_counted() -> None:
    sink = FlakySink()
    writer = _sink_writer(sink)
    sink.write_error = ENOSPC
    writer.write(sample_entries()[0])
    assert writer.lines_dropped == 0
    writer.close()
    assert writer.lines_dropped == 1


def test_fsync_option(tmp_path: Path) -> None:
    path = tmp_path / "r.jsonl"
    writer = RecordingWriter.create(path, sample_header(), fsync=True)
    writer.write(sample_entries()[0])
    writer.close()
    assert writer.failed is None
    assert writer.lines_written == 2
    sink = FlakySink()  # fileno() fails: the line is written, the fsync error noted
    mem = _sink_writer(sink)
    mem.fsync = True
    mem.write(sample_entries()[0])
    assert mem.lines_written == 2
    assert mem.lines_dropped == 0
    assert mem.failed is not None
    assert "no descriptor" in mem.failed


def test_bad_flush_interval() -> None:
    with pytest.raises(ValueError, match="flush_interval"):
        RecordingWriter(FlakySink(), path="x", flush_interval=-1)  # type: ignore[arg-type]


def test_close_entry_written_last(tmp_path: Path) -> None:
    path = tmp_path / "r.jsonl"
    writer = RecordingWriter.create(path, sample_header())
    writer.write(sample_entries()[0])
    writer.write(CloseEvent(seq=writer.next_seq(), conn="c1", t=2.0, reason="bye"))
    writer.close()
    assert json.loads(_lines(path)[-1])["kind"] == "close"


# -- one long line streamed part by part (a huge packet, recording.slices) --------


def test_a_streamed_line_follows_the_buffered_ones_and_reads_back(tmp_path: Path) -> None:
    sink = FlakySink()
    writer = _sink_writer(sink)
    entries = sample_entries()
    writer.flush_interval = 10.0  # buffered: not on disk yet
    writer.write(entries[0])
    line = encode_line(entries[1].to_json())
    parts = [line[:5], line[5:20], line[20:]]
    steps = writer.stream_line(entries[1].seq, iter(parts))
    next(steps)  # the first part: the buffered line went first
    assert bytes(sink.data).endswith(encode_line(entries[0].to_json()) + parts[0])
    assert list(steps) == [None, None]
    writer.write(entries[2])
    writer.flush()
    assert [e.seq for e in _sink_recording(sink, tmp_path)] == [e.seq for e in entries[:3]]
    assert writer.status()["lines_written"] == 4  # header and three


def test_a_streamed_line_cut_by_a_disk_error_is_cut_off(tmp_path: Path) -> None:
    sink = FlakySink()
    writer = _sink_writer(sink)
    entries = sample_entries()
    writer.write(entries[0])
    good = bytes(sink.data)
    line = encode_line(entries[1].to_json())
    steps = writer.stream_line(entries[1].seq, iter([line[:9], line[9:]]))
    next(steps)
    sink.write_error, sink.partial = ENOSPC, 3
    assert list(steps) == []  # ended by the error, without raising
    assert bytes(sink.data) == good  # the part written and the 3 bytes cut off
    assert writer.lines_dropped == 1
    assert writer.failed is not None
    sink.write_error = None
    writer.write(entries[2])
    assert [e.seq for e in _sink_recording(sink, tmp_path)] == [entries[0].seq, entries[2].seq]


def test_a_streamed_line_keeps_the_seq_order(tmp_path: Path) -> None:
    writer = _sink_writer(FlakySink())
    entries = sample_entries()
    writer.write(entries[1])
    with pytest.raises(RecordingError, match="written after"):
        list(writer.stream_line(entries[0].seq, iter([b"{}\n"])))
