"""Reader for JSON Lines recordings: streaming and whole-file.

Layer: pure (recording). Imports only the standard library, ``sioproxy.errors``
and ``sioproxy.recording.model``; never twisted.

Rules (docs/recording-format.md, "Reading rules"): the first line is the
header; a newer major format version is refused; every other line is an entry
whose ``seq`` is greater than the one before (gaps are allowed: a writer that
hit a disk error drops lines) and whose connection was opened earlier. A
later header line starts a new session (``record --append``): it is checked
like the first and kept in ``sessions``, with the ``seq`` of the entry
before it. Blank lines are skipped. The one damage tolerated is a torn last line, what
``kill -9`` leaves mid-write: it lacks its ``\\n`` and does not parse. It is
dropped and described in ``torn_tail``. Anything else raises
``RecordingError`` with the file and line.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from types import TracebackType
from typing import Any, BinaryIO

from sioproxy.bulkwork import collector_paused
from sioproxy.errors import RecordingError
from sioproxy.recording.header import Header
from sioproxy.recording.model import Entry, OpenEvent, Recording, Session, entry_from_json


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


# Built once: ``json.loads(text, parse_constant=...)`` builds a decoder per call,
# which was a tenth of reading a recording.
_decode_json = json.JSONDecoder(parse_constant=_reject_constant).decode


def _parse_line(data: bytes) -> Any:
    """Decode one line; ValueError (or RecursionError) when it is not JSON."""
    return _decode_json(data.decode("utf-8"))


class _Checker:
    """Cross-line rules: increasing seq, connections opened before use."""

    def __init__(self, path: str) -> None:
        self._path = path
        self.last_seq = 0
        self._opened: set[str] = set()

    def check(self, entry: Entry, line: int) -> None:
        if entry.seq <= self.last_seq:
            raise RecordingError(
                self._path,
                line,
                f"{entry.kind} entry: seq {entry.seq} is not greater than "
                f"the previous seq {self.last_seq}",
            )
        self.last_seq = entry.seq
        if isinstance(entry, OpenEvent):
            if entry.conn in self._opened:
                raise RecordingError(
                    self._path, line, f'open entry: connection "{entry.conn}" opened twice'
                )
            self._opened.add(entry.conn)
        elif entry.conn not in self._opened:
            raise RecordingError(
                self._path,
                line,
                f'{entry.kind} entry: connection "{entry.conn}" was never opened',
            )


_HAR_PEEK = 65536


def _har_instead(file: BinaryIO, path: str) -> RecordingError | None:
    """The error to give when a bad header is a HAR file's start (a browser capture)."""
    try:
        file.seek(0)
        head = file.read(_HAR_PEEK)
    except OSError:
        return None
    text = head.lstrip(b"\xef\xbb\xbf \t\r\n")
    har_keys = b'"entries"' in text or b'"creator"' in text
    if text.startswith(b"{") and b'"log"' in text and har_keys:
        reason = "this is a HAR file, not a recording: use `sioproxy import` to convert it"
        return RecordingError(path, None, reason)
    return None


class EntryStream:
    """Entries of one recording, read lazily. Reads and checks the header at once.

    Iterate for the entries; after the iteration ``torn_tail`` says whether a
    torn last line was dropped, and ``sessions`` holds the later session
    headers met on the way. Use as a context manager, or call ``close()``.
    """

    def __init__(self, path: str | os.PathLike[str]) -> None:
        self.path = str(path)
        self.torn_tail: str | None = None
        self.sessions: list[Session] = []
        self._line = 0
        try:
            self._file: BinaryIO = open(path, "rb")  # noqa: SIM115 -- closed by close()
        except OSError as exc:
            raise RecordingError(self.path, None, f"cannot open: {exc}") from exc
        try:
            self.header = self._read_header()
        except RecordingError:
            har = _har_instead(self._file, self.path)
            self._file.close()
            if har is not None:
                raise har from None
            raise
        except BaseException:
            self._file.close()
            raise
        self._started = False

    def _next_line(self) -> tuple[Any, bool] | None:
        """The next non-blank line parsed, and whether it was complete; None at the end.

        Sets ``torn_tail`` and returns None for a torn last line.
        """
        for data in self._file:
            self._line += 1
            if not data.strip():
                continue
            complete = data.endswith(b"\n")
            try:
                return _parse_line(data), complete
            except (ValueError, RecursionError) as exc:
                if complete:
                    raise RecordingError(self.path, self._line, f"not valid JSON: {exc}") from None
                self.torn_tail = (
                    f"line {self._line}: torn last line ({len(data)} bytes, no newline) dropped"
                )
                return None
        return None

    def _read_header(self) -> Header:
        parsed = self._next_line()
        if parsed is None:
            if self.torn_tail is not None:
                raise RecordingError(self.path, self._line, "torn header line, no entries")
            raise RecordingError(self.path, None, "empty file, no header")
        return Header.from_json(parsed[0], path=self.path, line=self._line)

    def __iter__(self) -> Iterator[Entry]:
        if self._started:
            raise RuntimeError("an EntryStream can be iterated only once")
        self._started = True
        checker = _Checker(self.path)
        try:
            while (parsed := self._next_line()) is not None:
                obj = parsed[0]
                if isinstance(obj, dict) and obj.get("kind") == "header":
                    header = Header.from_json(obj, path=self.path, line=self._line)
                    self.sessions.append(
                        Session(header=header, line=self._line, after_seq=checker.last_seq)
                    )
                    continue
                entry = entry_from_json(obj, path=self.path, line=self._line)
                checker.check(entry, self._line)
                yield entry
        finally:
            self.close()

    def close(self) -> None:
        self._file.close()

    def __enter__(self) -> EntryStream:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()


def iter_entries(path: str | os.PathLike[str]) -> EntryStream:
    """Stream the entries of a recording; ``.header`` is read and checked at once."""
    return EntryStream(path)


def read_recording(path: str | os.PathLike[str]) -> Recording:
    """Read a whole recording file into memory (``collector_paused``: nothing read
    forms a cycle, and collections during the read were most of its time)."""
    with collector_paused(), EntryStream(path) as stream:
        entries = tuple(stream)
        return Recording(
            header=stream.header,
            entries=entries,
            path=stream.path,
            torn_tail=stream.torn_tail,
            sessions=tuple(stream.sessions),
        )
