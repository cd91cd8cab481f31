"""``GET /packet?file=F&seq=N``: one entry for the detail pane, asked for when a row is clicked.

Layer: pure (web). Imports ``sioproxy.recording`` and the web rows; never twisted.

Rows stay light (a live text packet's row is the log's fields only); the
detail pane asks for the entry as recorded when the user clicks the row. It
is answered from where the server's rows come from:

* a recording file (``sioproxy web FILE``, ``record --web``'s ``--out``): the
  line with that seq, found by bisection over the file's bytes (entries are
  written in seq order), so a click costs a few reads whatever the size;
* the ring's events (``proxy --web``, which keeps them): the recorder's entry
  of the event, through ``Redactor.redact_entry``;
* the replayed recording (``replay --web``).

The answer is ``{"entry": ...}``, the entry's dict form (its ``raw`` cut like
a row's detail), through ``redact_output`` and control characters escaped,
as every page line is (:func:`sioproxy.web.lines.page_line`).
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Iterable
from typing import Any, BinaryIO

from sioproxy.errors import SioProxyError
from sioproxy.recording import Redactor
from sioproxy.recording.live_recorder import entry_for
from sioproxy.recording.model import Entry, entry_from_json
from sioproxy.recording.writer import encode_line
from sioproxy.web.lines import page_line
from sioproxy.web.rows import detail_of

SCAN = 64 * 1024  # below this many bytes between the bounds, read the lines one by one


def _line_seq(line: bytes) -> tuple[int, Any] | None:
    """(seq, object) of a complete entry line; None for a header or a torn line."""
    if not line.endswith(b"\n"):
        return None
    try:
        obj = json.loads(line)
    except ValueError:
        return None
    seq = obj.get("seq") if isinstance(obj, dict) else None
    return (seq, obj) if isinstance(seq, int) and not isinstance(seq, bool) else None


def _first_after(file: BinaryIO, offset: int) -> tuple[int, Any] | None:
    """The first entry line starting at or after ``offset``."""
    if offset > 0:
        file.seek(offset - 1)
        file.readline()  # the rest of the line ``offset`` falls in (nothing if one starts there)
    else:
        file.seek(0)
    for line in iter(file.readline, b""):
        found = _line_seq(line)
        if found is not None:
            return found
    return None


def find_in_file(path: str | os.PathLike[str], seq: int) -> Entry | None:
    """The entry with ``seq`` in the recording at ``path``, or None (not there, not yet)."""
    try:
        with open(path, "rb") as file:
            low, high = 0, file.seek(0, os.SEEK_END)
            while high - low > SCAN:
                middle = (low + high) // 2
                found = _first_after(file, middle)
                if found is None or found[0] > seq:
                    high = middle
                elif found[0] == seq:
                    return entry_from_json(found[1], path=str(path), line=None)
                else:
                    low = middle
            found = _first_after(file, low)
            while found is not None and found[0] < seq:
                found = _first_after(file, file.tell())
    except (OSError, SioProxyError):
        return None
    if found is None or found[0] != seq:
        return None
    try:
        return entry_from_json(found[1], path=str(path), line=None)
    except SioProxyError:
        return None


def find_in_events(events: Iterable[Any], seq: int, redactor: Redactor) -> Entry | None:
    """The redacted entry of the ring's event with ``seq`` (newest first), or None."""
    for event in events:
        if event is not None and getattr(event, "seq", None) == seq:
            return redactor.redact_entry(entry_for(event))
    return None


def entry_text(entry: Entry | None, redact: Callable[[str], str] | None) -> str | None:
    """The endpoint's JSON answer for ``entry`` (None: nothing to answer)."""
    if entry is None:
        return None
    return page_line(encode_line({"entry": detail_of(entry.to_json())}), redact).decode()


Lookup = Callable[[int, int], str | None]  # (file, seq) -> the answer, or None


def file_lookup(paths: list[str], redactors: Callable[[int], Redactor]) -> Lookup:
    """``sioproxy web FILE...`` and ``record --web``: the entries in the files."""

    def lookup(file: int, seq: int) -> str | None:
        if not 0 <= file < len(paths):
            return None
        return entry_text(find_in_file(paths[file], seq), redactors(file).redact_output)

    return lookup


def ring_lookup(items: Callable[[], list[Any]], redactor: Redactor) -> Lookup:
    """``proxy --web``: the events the ring keeps."""

    def lookup(file: int, seq: int) -> str | None:
        if file != 0:
            return None
        entry = find_in_events(reversed(items()), seq, redactor)
        return entry_text(entry, redactor.redact_output)

    return lookup


def entries_lookup(entries: Iterable[Entry], redactor: Redactor) -> Lookup:
    """``replay --web``: the replayed recording."""
    by_seq = {entry.seq: entry for entry in entries}

    def lookup(file: int, seq: int) -> str | None:
        return entry_text(by_seq.get(seq), redactor.redact_output) if file == 0 else None

    return lookup
