"""What a ``report --html`` page needs to make the downloads itself: the lines and HAR pieces.

Layer: pure (web). Imports ``sioproxy.recording`` and the web modules; never twisted.

With a server, ``/download.jsonl`` and ``/download.har`` are made by
:mod:`sioproxy.web.download`. A static page has none, so the report embeds
what those need and ``static/offline.js`` builds the same files in the
browser from the page's current selection:

* ``source``: the recording's lines as ``download.jsonl_text`` writes them
  (``encode_line`` of each entry, by seq), its header with ``meta.web_download``
  left as a marker the page replaces with ``{"filter": ..., "show_all": ...}``,
  and the headers of later sessions (``record --append``) with where they start;
* ``har``: :func:`sioproxy.web.har_pieces.har_pieces`.

Each is its own JSON script element, parsed only when a download is asked for.
"""

from __future__ import annotations

import contextlib
import dataclasses
import json
from typing import Any

from sioproxy.bulkwork import collector_paused
from sioproxy.errors import SioProxyError
from sioproxy.recording import Recording, encode_line
from sioproxy.web.har_pieces import har_pieces

MARKER = "@@sioproxy-web-download@@"  # offline.js replaces '"' + MARKER + '"'


def _line(obj: dict[str, Any]) -> str:
    return encode_line(obj).decode("utf-8").rstrip("\n")


def source_data(recording: Recording) -> dict[str, Any]:
    """The lines of ``recording`` as the JSONL download writes them."""
    header = recording.header
    marked = dataclasses.replace(header, meta={**header.meta, "web_download": MARKER})
    return {
        "marker": MARKER,
        "header": _line(marked.to_json()),
        "sessions": [[s.after_seq, _line(s.header.to_json())] for s in recording.sessions],
        "lines": {str(e.seq): _line(e.to_json()) for e in recording.entries},
    }


def offline_scripts(recording: Recording) -> dict[str, str]:
    """The script elements' ids and JSON texts (``<`` still to be escaped by the caller).

    A recording ``export --har`` refuses (a header without a readable ``created``)
    gets no HAR pieces: the page offers the JSONL only.
    """
    # A JSON value per recorded packet, twice: no cycles for the collector to find.
    with collector_paused():
        scripts = {"sio-source": json.dumps(source_data(recording), ensure_ascii=False)}
        with contextlib.suppress(SioProxyError):
            scripts["sio-har"] = json.dumps(har_pieces(recording), ensure_ascii=False)
    return scripts
