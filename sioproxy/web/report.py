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

from sioproxy.recording import Recording, Redactor
from sioproxy.web.lines import entry_line
from sioproxy.web.rows import line_row
from sioproxy.web.sequence import session_pictures


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
    for index, (name, recording) in enumerate(recordings):
        out.names.append(name)
        for line in recording_rows(recording, file=index):
            out.lines.append(line)
            out.rows.append(line_row(line))
    return out


def static_text(name: str) -> str:
    return resources.files("sioproxy.web").joinpath("static", name).read_text(encoding="utf-8")


def _embed_json(text: str) -> str:
    # Only inside JSON strings can "<" occur; \u003c keeps "</script>" out of the page.
    return text.replace("<", "\\u003c")


def build_report(
    loaded: LoadedRows, *, title: str = "sioproxy report", replay: dict[str, Any] | None = None
) -> str:
    """The self-contained HTML page of ``loaded``; ``replay``: marks and misses to show."""
    pictures = session_pictures(loaded.rows, names=loaded.names)
    data = (
        '{"lines":['
        + ",".join(line.decode("utf-8") for line in loaded.lines)
        + '],"names":'
        + json.dumps(loaded.names)
        + ',"pictures":'
        + json.dumps(pictures, ensure_ascii=False)
        + (',"replay":' + json.dumps(replay, ensure_ascii=False) if replay is not None else "")
        + "}"
    )
    page = static_text("index.html")
    page = page.replace("<title>sioproxy inspector</title>", f"<title>{_html(title)}</title>")
    page = page.replace(
        '<link rel="stylesheet" href="static/style.css">',
        f"<style>\n{static_text('style.css')}</style>",
    )
    scripts = "".join(
        f"<script>\n{static_text(name)}</script>\n"
        for name in ("filter.js", "rows.js", "diff.js", "app.js")
    )
    page = page.replace(
        '<script src="static/filter.js"></script>\n<script src="static/rows.js"></script>\n'
        '<script src="static/diff.js"></script>\n'
        '<script src="static/app.js"></script>\n',
        f'<script type="application/json" id="sio-data">{_embed_json(data)}</script>\n{scripts}',
    )
    return page


def _html(text: str) -> str:
    from html import escape

    return escape(text, quote=True)
