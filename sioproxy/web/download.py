"""The page's downloads: the filtered view as a JSONL recording or as HAR.

Layer: pure (web). Imports ``sioproxy.inspect`` and ``sioproxy.recording``;
never twisted. The server hands in the recordings it shows (files read
again, the live ring's entries, or the replayed recording) and the filter
box's text; the selection is ``show --filter``'s (:func:`is_visible`, so
heartbeats only with the page's "heartbeats" box ticked).

A recording must open a connection before any other entry of it
(docs/recording-format.md), so the ``open`` entry of every connection with a
selected entry is kept too. A live ring may have let a connection's ``open``
go: that connection's entries are left out and named in the header's
``meta.web_download.incomplete``.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Sequence

from sioproxy.inspect.filters import compile_filter, describe
from sioproxy.inspect.har import export_har
from sioproxy.inspect.merge import merge_recordings
from sioproxy.inspect.show import ShowOptions, is_visible
from sioproxy.recording import Recording, Redactor, encode_line
from sioproxy.recording.model import OpenEvent, Session
from sioproxy.textsafe import escape_controls


def select(recording: Recording, filter_text: str, *, show_all: bool = False) -> Recording:
    """The entries the page shows for ``filter_text``, as a recording that reads back.

    Raises :class:`~sioproxy.inspect.filters.FilterSyntaxError` for a bad filter.
    """
    text = filter_text.strip()
    options = ShowOptions(show_all=show_all, filter=compile_filter(text) if text else None)
    opens = {e.conn: e for e in recording.entries if isinstance(e, OpenEvent)}
    picked = [e for e in recording.entries if is_visible(describe(e), options)]
    incomplete = sorted({e.conn for e in picked} - opens.keys())
    wanted = {e.seq for e in picked if e.conn in opens}
    wanted |= {opens[conn].seq for conn in {e.conn for e in picked} if conn in opens}
    entries = tuple(e for e in recording.entries if e.seq in wanted)
    note = {"filter": text, "show_all": show_all}
    if incomplete:
        note["incomplete"] = incomplete
    header = dataclasses.replace(
        recording.header, meta={**recording.header.meta, "web_download": note}
    )
    last = entries[-1].seq if entries else 0
    sessions = tuple(s for s in recording.sessions if s.after_seq < last)
    return dataclasses.replace(recording, header=header, entries=entries, sessions=sessions)


def selected(recordings: Sequence[Recording], filter_text: str, show_all: bool) -> Recording:
    """One recording of the selection; several files are merged as ``sioproxy merge`` does."""
    picked = [select(r, filter_text, show_all=show_all) for r in recordings]
    if len(picked) == 1:
        return picked[0]
    header, entries = merge_recordings(picked)
    note = {"filter": filter_text.strip(), "show_all": show_all}
    header = dataclasses.replace(header, meta={**header.meta, "web_download": note})
    return Recording(header=header, entries=tuple(entries))


def jsonl_text(recording: Recording) -> str:
    """The recording file: header, entries, and later sessions' headers where they start."""
    lines = [encode_line(recording.header.to_json())]
    pending: list[Session] = list(recording.sessions)
    for entry in recording.entries:
        while pending and pending[0].after_seq < entry.seq:
            lines.append(encode_line(pending.pop(0).header.to_json()))
        lines.append(encode_line(entry.to_json()))
    return b"".join(lines).decode("utf-8")


def har_text(recording: Recording) -> str:
    """The HAR of the selection, redacted as ``sioproxy export --har`` redacts it."""
    har = export_har(recording)
    redactor = Redactor.from_summary(recording.header.redactions)
    return redactor.redact_output(json.dumps(har, ensure_ascii=False, indent=2)) + "\n"


def filter_error(exc: Exception) -> str:
    """The one line a bad filter gets (its column included), safe to show."""
    return escape_controls(str(exc))
