"""``sioproxy show --follow``: read a recording while the proxy is still writing it.

Layer: pure (inspect). Imports the standard library and ``sioproxy.recording``;
never twisted. The clock and the sleep are parameters, so tests drive a tail
step by step.

:class:`RecordingTail` remembers the byte offset just after the last complete
line. Each :meth:`~RecordingTail.poll` reads from there to the end of the file
and parses only lines that end in ``\\n``: a line the writer is half-way
through (or one ``kill -9`` tore) waits until its ``\\n`` arrives. Re-reading
from the last line boundary also copes with the writer cutting a half-written
line off after a disk error and writing it again (docs/recording-format.md,
"Durability"). A complete line that is not valid JSON is an error naming the
line, as in the reader.
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Callable, Iterator

from sioproxy.errors import RecordingError
from sioproxy.recording.header import Header
from sioproxy.recording.model import Entry, OpenEvent, entry_from_json

DEFAULT_INTERVAL = 0.2
MAX_INTERVAL = 5.0


class RecordingTail:
    """Incremental reader of a growing recording file."""

    def __init__(self, path: str | os.PathLike[str]) -> None:
        self.path = str(path)
        self.header: Header | None = None
        self._offset = 0  # just after the last complete line
        self._line = 0
        self._last_seq = 0
        self._opened: set[str] = set()

    def poll(self) -> list[Entry]:
        """Entries of the lines completed since the last poll (none if the file is absent)."""
        try:
            with open(self.path, "rb") as file:
                file.seek(self._offset)
                data = file.read()
        except FileNotFoundError:
            return []
        except OSError as exc:
            raise RecordingError(self.path, None, f"cannot read: {exc}") from exc
        entries: list[Entry] = []
        start = 0
        while (end := data.find(b"\n", start)) >= 0:
            line = data[start : end + 1]
            start = end + 1
            self._line += 1
            if line.strip():
                entry = self._parse(line)
                if entry is not None:
                    entries.append(entry)
        self._offset += start
        return entries

    def _parse(self, line: bytes) -> Entry | None:
        try:
            obj = json.loads(line.decode("utf-8"))
        except (ValueError, RecursionError) as exc:
            raise RecordingError(self.path, self._line, f"not valid JSON: {exc}") from None
        if self.header is None:
            self.header = Header.from_json(obj, path=self.path, line=self._line)
            return None
        if isinstance(obj, dict) and obj.get("kind") == "header":
            # A session appended by ``record --append``: checked, not an entry.
            Header.from_json(obj, path=self.path, line=self._line)
            return None
        entry = entry_from_json(obj, path=self.path, line=self._line)
        self._check(entry)
        return entry

    def _check(self, entry: Entry) -> None:
        """The reader's cross-line rules: increasing seq, connection opened first."""
        if entry.seq <= self._last_seq:
            reason = f"seq {entry.seq} is not greater than the previous seq {self._last_seq}"
            raise RecordingError(self.path, self._line, f"{entry.kind} entry: {reason}")
        self._last_seq = entry.seq
        if isinstance(entry, OpenEvent):
            self._opened.add(entry.conn)
        elif entry.conn not in self._opened:
            reason = f'connection "{entry.conn}" was never opened'
            raise RecordingError(self.path, self._line, f"{entry.kind} entry: {reason}")


def follow(
    tail: RecordingTail,
    *,
    interval: float = DEFAULT_INTERVAL,
    timeout: float | None = None,
    clock: Callable[[], float] = time.monotonic,
    sleep: Callable[[float], None] = time.sleep,
) -> Iterator[Entry]:
    """Yield entries as they are written, polling every ``interval`` seconds.

    Stops after ``timeout`` seconds if given; otherwise runs until the caller stops
    iterating (SIGINT raises KeyboardInterrupt in the command, which ends it).
    """
    interval = min(max(interval, 0.01), MAX_INTERVAL)
    deadline = None if timeout is None else clock() + timeout
    while True:
        yield from tail.poll()
        if deadline is not None:
            remaining = deadline - clock()
            if remaining <= 0:
                return
            sleep(min(interval, remaining))
        else:
            sleep(interval)
