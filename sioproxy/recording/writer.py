"""Append-only JSON Lines writer for recordings.

Layer: pure (recording). Imports only the standard library and
``sioproxy.recording`` (model, outfile); never twisted. The Twisted layer owns the clock:
it passes ``now`` to ``maybe_flush`` from a timer.

Durability: with ``flush_interval == 0`` each line reaches the OS before
``write`` returns, so a ``kill -9`` loses at most a torn last line, which the
reader tolerates. With ``flush_interval > 0`` lines wait in memory until
``maybe_flush(now)`` finds the interval elapsed, the buffer passes 64 KiB, or
``close()``; a ``kill -9`` then loses at most the lines of the last
``flush_interval`` seconds (plus the lateness of the timer).

Disk errors (ENOSPC, EIO...) never raise out of ``write``/``maybe_flush``/
``close``: the lines are counted in ``lines_dropped``, ``failed`` keeps the
error text, a partly written line is cut off again (``truncate``) so the file
stays readable, and later writes try again.
"""

from __future__ import annotations

import contextlib
import json
import math
import os
from collections.abc import Callable, Iterator
from json.encoder import encode_basestring
from typing import Any, Protocol

from sioproxy.errors import RecordingError
from sioproxy.recording.header import Header
from sioproxy.recording.model import Entry, OpenEvent
from sioproxy.recording.outfile import DEFAULT_FILE_MODE, AppendPoint, open_output

BUFFER_LIMIT = 64 * 1024
# Failed "open" lines kept for retry: without its open line every later entry of
# that connection would make the file unreadable ("connection never opened").
RETRY_LIMIT = 1024


class Sink(Protocol):
    """The file operations the writer uses (a raw binary file, or a test double)."""

    def write(self, data: memoryview, /) -> int | None: ...
    def flush(self) -> None: ...
    def truncate(self, size: int, /) -> int: ...
    def fileno(self) -> int: ...
    def close(self) -> None: ...


def _not_json(obj: Any) -> Any:
    raise TypeError(f"Object of type {type(obj).__name__} is not JSON serializable")


# One encoder for every line: ``json.dumps`` builds a new encoder per call,
# which costs more than encoding a small packet. No circular-reference
# markers (their table would be shared between calls); a cycle ends in
# RecursionError, reported as the ValueError json.dumps would raise.
c_make_encoder: Any = getattr(json.encoder, "c_make_encoder", None)  # None without _json
_c_encoder = (
    c_make_encoder(None, _not_json, encode_basestring, None, ":", ",", False, False, False)
    if c_make_encoder is not None
    else None
)
_py_encoder = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"), allow_nan=False)


def json_text(obj: Any) -> str:
    """``obj`` as ``json.dumps(obj, ensure_ascii=False, separators=(",", ":"), allow_nan=False)``.

    Raises TypeError (not JSON) or ValueError (NaN/infinity, a cycle) like ``json.dumps``.
    """
    if _c_encoder is None:
        return _py_encoder.encode(obj)
    try:
        return "".join(_c_encoder(obj, 0))
    except RecursionError:
        raise ValueError("Circular reference detected (or nesting too deep)") from None


#: One string as a JSON string literal, non-ASCII kept (the ``json_text`` of a
#: str). The C function itself, not a wrapper: it runs several times per line.
json_string: Callable[[str], str] = encode_basestring


def encode_line(obj: dict[str, Any]) -> bytes:
    """One JSON object as one UTF-8 line: compact, ``ensure_ascii=False``, keys in given order."""
    text = json_text(obj)
    try:
        return text.encode("utf-8") + b"\n"
    except UnicodeEncodeError:
        # A lone surrogate (a JavaScript string split mid-pair) has no UTF-8 form;
        # \uXXXX escapes keep the line valid JSON and read back to the same str.
        text = json.dumps(obj, ensure_ascii=True, separators=(",", ":"), allow_nan=False)
        return text.encode("ascii") + b"\n"


class RecordingWriter:
    """Writes a header then entries to an append-only recording file."""

    def __init__(
        self,
        sink: Sink,
        *,
        path: str,
        flush_interval: float = 0.0,
        fsync: bool = False,
        start_offset: int = 0,
    ) -> None:
        if not (math.isfinite(flush_interval) and flush_interval >= 0):
            raise ValueError(f"flush_interval must be >= 0, got {flush_interval!r}")
        self.path = path
        self.flush_interval = flush_interval
        self.fsync = fsync
        self.failed: str | None = None
        self.lines_written = 0
        self.lines_dropped = 0
        self.bytes_written = 0
        self._sink = sink
        self._good_size = start_offset  # file size up to the last complete line
        self._torn = False  # a failed write may have left part of a line behind
        self._last_ok = True
        self._pending: list[bytes] = []
        self._pending_opens: list[bool] = []
        self._retry: list[bytes] = []  # open lines that failed, written before the next lines
        self._pending_size = 0
        self._last_flush = -math.inf
        self._seq = 0
        self._last_written_seq = 0
        self._closed = False
        self.append_point: AppendPoint | None = None  # set by create(policy="append")

    @classmethod
    def create(
        cls,
        path: str | os.PathLike[str],
        header: Header,
        *,
        flush_interval: float = 0.0,
        fsync: bool = False,
        overwrite: bool = False,
        policy: str | None = None,
        file_mode: int = DEFAULT_FILE_MODE,
        exists_hint: str = "use --force to replace it",
    ) -> RecordingWriter:
        """Create ``path`` (and its parent directories) and write the header line.

        ``policy`` (``outfile.open_output``): ``new`` refuses an existing file,
        ``force`` replaces it, ``append`` writes ``header`` as a new session
        after the file's entries (``append_point`` then says where the old
        ones end). ``overwrite`` is the older spelling of ``force``. ``path``
        may be a ``{date}``/``{time}``/``{pid}`` template; ``self.path`` is the
        name used. Errors here do raise (``RecordingError``): nothing has been
        recorded yet, so the caller can stop.
        """
        chosen = policy or ("force" if overwrite else "new")
        opened = open_output(path, policy=chosen, file_mode=file_mode, exists_hint=exists_hint)
        where = opened.path
        try:
            # Unbuffered: the writer does its own buffering and must know exactly
            # which bytes reached the file when a write fails. O_APPEND: after a
            # torn write is cut off (truncate), the next write must land at the
            # new end, not at the old offset (that would leave a hole of NULs).
            sink = open(opened.fd, "ab", buffering=0)  # noqa: SIM115
        except OSError as exc:
            os.close(opened.fd)
            raise RecordingError(where, None, f"cannot open: {exc}") from exc
        writer = cls(
            sink, path=where, flush_interval=flush_interval, fsync=fsync, start_offset=opened.size
        )
        writer.append_point = opened.append
        if opened.append is not None:
            writer._seq = writer._last_written_seq = opened.append.last_seq
        lead = [b"\n"] if opened.needs_newline else []  # an old last line without its newline
        if not writer._emit([*lead, encode_line(header.to_json())], [False] * (len(lead) + 1)):
            sink.close()
            raise RecordingError(where, None, f"cannot write the header: {writer.failed}")
        writer.lines_written -= len(lead)
        return writer

    def next_seq(self) -> int:
        """Reserve the next sequence number (1, 2, ...), shared by events and packets."""
        self._seq += 1
        return self._seq

    def write(self, entry: Entry) -> bytes:
        """Append one entry and return its line. Disk errors are counted, not raised; a
        bad entry raises."""
        self._check_seq(entry.seq)
        try:
            line = encode_line(entry.to_json())
        except (TypeError, ValueError) as exc:
            raise RecordingError(self.path, None, f"entry seq {entry.seq}: {exc}") from exc
        self.write_line(entry.seq, line, is_open=isinstance(entry, OpenEvent))
        return line

    def write_line(self, seq: int, line: bytes, *, is_open: bool = False) -> None:
        """Append one entry already encoded (``encode_line`` of its ``to_json()``).

        The live recorder's fast path builds packet lines without an entry
        object; ``seq`` must be the line's own and ``is_open`` true for an
        ``open`` line (kept for retry after a disk error).
        """
        if seq <= self._last_written_seq:
            self._check_seq(seq)  # raises
        self._last_written_seq = seq
        if seq > self._seq:
            self._seq = seq
        if self._closed:
            self.lines_dropped += 1
            return
        if self.flush_interval == 0:
            self._emit([line], [is_open])
            return
        self._pending.append(line)
        self._pending_opens.append(is_open)
        self._pending_size += len(line)
        if self._pending_size >= BUFFER_LIMIT:
            self.flush()

    def stream_line(self, seq: int, parts: Iterator[bytes]) -> Iterator[None]:
        """Write one long line straight to the file, part by part: a step per part.

        For a huge packet recorded in slices (``recording.slices``): the lines
        buffered before it are written first, and the caller writes nothing
        else until the steps end. A disk error cuts the partial line off
        again, like a failed flush; the line is then counted as dropped.
        """
        if seq <= self._last_written_seq:
            self._check_seq(seq)  # raises
        self._last_written_seq = seq
        self._seq = max(self._seq, seq)
        self.flush()
        if self._closed or self._retry:  # closed, or the disk failing: like write_line
            self.lines_dropped += 1
            return
        size = 0
        try:
            self._start_write()
            for part in parts:
                self._write_all(part)
                size += len(part)
                yield
            self._sink.flush()
            self._torn = False
        except OSError as exc:
            self._cut_off(exc)
            self.lines_dropped += 1
            return
        self._written(size)
        self.lines_written += 1

    def _check_seq(self, seq: int) -> None:
        if seq <= self._last_written_seq:
            raise RecordingError(
                self.path, None, f"seq {seq} written after seq {self._last_written_seq}"
            )

    def maybe_flush(self, now: float) -> bool:
        """Write buffered lines if ``flush_interval`` elapsed since the last flush."""
        if not (self._pending or self._retry) or now - self._last_flush < self.flush_interval:
            return False
        self._last_flush = now
        return self.flush()

    def flush(self) -> bool:
        """Write all buffered lines now; False if there were none or the write failed."""
        if not self._pending and not self._retry:
            return False
        lines, opens = self._pending, self._pending_opens
        self._pending, self._pending_opens, self._pending_size = [], [], 0
        return self._emit(lines, opens)

    def close(self) -> None:
        """Flush and close. Safe to call twice; never raises on disk errors."""
        if self._closed:
            return
        self.flush()
        self.lines_dropped += len(self._retry)  # open lines the disk never took
        self._retry = []
        self._closed = True
        try:
            self._sink.close()
        except OSError as exc:
            self._note_error(exc)

    @property
    def closed(self) -> bool:
        return self._closed

    def status(self) -> dict[str, Any]:
        """Counters and health for logs and metrics."""
        return {
            "path": self.path,
            "ok": self._last_ok,
            "failed": self.failed,
            "lines_written": self.lines_written,
            "lines_dropped": self.lines_dropped,
            "bytes_written": self.bytes_written,
            "pending_lines": len(self._pending),
            "retry_lines": len(self._retry),
            "closed": self._closed,
        }

    def _emit(self, lines: list[bytes], opens: list[bool]) -> bool:
        """Write retried open lines then ``lines``; keep failed open lines for a retry."""
        retry, self._retry = self._retry, []
        if self._write_chunk(b"".join(retry + lines), len(retry) + len(lines)):
            return True
        kept = retry + [line for line, is_open in zip(lines, opens, strict=True) if is_open]
        self._retry = kept[:RETRY_LIMIT]
        self.lines_dropped += len(retry) + len(lines) - len(self._retry)
        return False

    def _write_chunk(self, chunk: bytes, count: int) -> bool:
        """Write whole lines; on OSError cut off any partial line and return False.

        Straight-line: with ``--flush-interval 0`` it runs once per line.
        """
        try:
            self._start_write()
            self._write_all(chunk)
            self._sink.flush()
            self._torn = False
        except OSError as exc:
            self._cut_off(exc)
            return False
        self._written(len(chunk))
        self.lines_written += count
        return True

    def _start_write(self) -> None:
        """Before whole lines go out: cut off a torn one first; a failure may tear these."""
        if self._torn:
            self._sink.truncate(self._good_size)
        self._torn = True

    def _cut_off(self, exc: OSError) -> None:
        self._note_error(exc)
        # Best effort now; retried before the next write otherwise.
        with contextlib.suppress(OSError):
            self._sink.truncate(self._good_size)
            self._torn = False

    def _written(self, size: int) -> None:
        self._good_size += size
        self.bytes_written += size
        self._last_ok = True
        self._fsync_if_asked()

    def _fsync_if_asked(self) -> None:
        if self.fsync:
            try:
                os.fsync(self._sink.fileno())
            except OSError as exc:
                # The lines are in the file (the OS has them); only durability is in doubt.
                self._note_error(exc)

    def _write_all(self, chunk: bytes) -> None:
        view = memoryview(chunk)
        while view:
            written = self._sink.write(view)
            if written is None:  # a non-blocking raw file would return None; not ours
                raise OSError("write would block")
            view = view[written:]

    def _note_error(self, exc: OSError) -> None:
        self.failed = f"{type(exc).__name__}: {exc}"
        self._last_ok = False
