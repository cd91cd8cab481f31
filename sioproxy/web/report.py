"""Rows of recording files, and ``sioproxy report --html``: the page as one static file.

Layer: pure (web). Imports the standard library, ``sioproxy.recording`` and
the other web modules; never twisted. The command module reads the files.

The report is the inspector page with its CSS and JavaScript inlined and the
data embedded as a JSON script element (``#sio-data``): the recording lines
the live page receives (:mod:`sioproxy.web.lines`; static/rows.js makes the
rows of both), and the
sequence pictures drawn here. It needs no server and nothing from the network,
so it works as a CI artifact opened from disk. Inside the embedded JSON every
``<`` is written ``\\u003c``: no recorded text can close the script element.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from importlib import resources
from typing import Any

from sioproxy.bulkwork import collector_paused
from sioproxy.recording import Recording, Redactor
from sioproxy.web.lines import entry_line
from sioproxy.web.rows import line_row
from sioproxy.web.sequence import conn_pictures, session_pictures


@dataclass(slots=True)
class LoadedRows:
    """The page lines (what the page receives) and the rows made of them."""

    lines: list[bytes] = field(default_factory=list)
    rows: list[dict[str, Any]] = field(default_factory=list)
    names: list[str] = field(default_factory=list)


def recording_rows(recording: Recording, *, file: int = 0) -> Iterable[bytes]:
    """The page lines of one recording, redacted with its header's policy."""
    redact = Redactor.from_summary(recording.header.redactions).redact_output
    starts = [s.after_seq for s in recording.sessions]
    session = 1
    for entry in recording.entries:
        while session - 1 < len(starts) and entry.seq > starts[session - 1]:
            session += 1
        yield entry_line(entry, redact, file=file, session=session)


def load_rows(recordings: Sequence[tuple[str, Recording]]) -> LoadedRows:
    out = LoadedRows()
    # Two rows per recorded line, all kept: the collector would only walk them.
    with collector_paused():
        for index, (name, recording) in enumerate(recordings):
            out.names.append(name)
            for line in recording_rows(recording, file=index):
                out.lines.append(line)
                out.rows.append(line_row(line))
    return out


# The page's scripts in index.html's order; a report adds those that make its downloads.
PAGE_SCRIPTS = ("filter.js", "rows.js", "diff.js", "detail.js", "sequence.js", "app.js")
OFFLINE_SCRIPTS = ("har.js", "offline.js")


def static_text(name: str) -> str:
    return resources.files("sioproxy.web").joinpath("static", name).read_text(encoding="utf-8")


def _embed_json(text: str) -> str:
    # Only inside JSON strings can "<" occur; \u003c keeps "</script>" out of the page.
    return text.replace("<", "\\u003c")


def build_report(
    loaded: LoadedRows,
    *,
    title: str = "sioproxy report",
    replay: dict[str, Any] | None = None,
    diff: dict[str, Any] | None = None,
    offline: dict[str, str] | None = None,
) -> str:
    """The self-contained HTML page of ``loaded``.

    ``replay``: marks and misses to show; ``diff``: a ``diff --report``'s view and row
    marks (``sioproxy.web.diffview``); ``offline``: the JSON script elements the
    page's downloads are made from (:func:`sioproxy.web.offline.offline_scripts`).
    """
    pictures = session_pictures(loaded.rows, names=loaded.names)
    per_conn = conn_pictures(loaded.rows, names=loaded.names)
    extra = {"replay": replay, "diff": diff, "conn_pictures": per_conn}
    data = (
        '{"lines":['
        + ",".join(line.decode("utf-8") for line in loaded.lines)
        + '],"names":'
        + json.dumps(loaded.names)
        + ',"pictures":'
        + json.dumps(pictures, ensure_ascii=False)
        + "".join(
            f',"{name}":' + json.dumps(value, ensure_ascii=False)
            for name, value in extra.items()
            if value is not None
        )
        + "}"
    )
    elements = {"sio-data": data, **(offline or {})}
    page = static_text("index.html")
    page = page.replace("<title>sioproxy inspector</title>", f"<title>{_html(title)}</title>")
    page = page.replace(
        '<link rel="stylesheet" href="static/style.css">',
        f"<style>\n{static_text('style.css')}</style>",
    )
    names = [*PAGE_SCRIPTS, *OFFLINE_SCRIPTS] if offline else PAGE_SCRIPTS
    scripts = "".join(f"<script>\n{static_text(name)}</script>\n" for name in names)
    json_elements = "".join(
        f'<script type="application/json" id="{id_}">{_embed_json(text)}</script>\n'
        for id_, text in elements.items()
    )
    served = "".join(f'<script src="static/{name}"></script>\n' for name in PAGE_SCRIPTS)
    assert served in page, "index.html's script tags changed"
    return page.replace(served, json_elements + scripts)


def _html(text: str) -> str:
    from html import escape

    return escape(text, quote=True)
