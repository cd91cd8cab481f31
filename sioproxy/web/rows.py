"""The page's rows: one JSON object per packet or connection event.

Layer: pure (web). Imports the standard library, ``sioproxy.recording``,
``sioproxy.inspect`` and ``sioproxy.ops.logfmt``; never twisted.

A row is the JSON log object of docs/logging.md (``kind`` ``packet``,
``open``, ``upgrade`` or ``close`` with the same keys), plus the keys the
page needs: ``t`` (seconds since the recording started, or since the proxy
started; ``time`` is the same), ``file`` (index of the recording it came
from), ``raw`` (the wire text), ``heartbeat``, ``fate``/``rule``, and
``detail`` (the recording entry as written). The filter box evaluates the
same language as ``show --filter`` on these keys, so the fields come from
:func:`sioproxy.inspect.filters.describe`.

The page makes its rows itself from the recording lines it receives
(:mod:`sioproxy.web.lines`): static/rows.js is the port of :func:`entry_row`,
and tests/web/test_rows_js.py runs both over the same lines. Python makes
rows for what it draws or checks itself (the sequence pictures).
"""

from __future__ import annotations

import json
from typing import Any

from sioproxy.inspect.filters import describe
from sioproxy.ops.logfmt import args_list
from sioproxy.recording.model import CloseEvent, Entry, OpenEvent, PacketEntry, entry_from_json

Row = dict[str, Any]
RAW_LIMIT = 2000  # the detail pane shows the start of a huge frame, not all of it


def _cut(text: str | None) -> str | None:
    if text is None or len(text) <= RAW_LIMIT:
        return text
    return text[:RAW_LIMIT] + f"... ({len(text)} characters)"


def entry_row(entry: Entry, *, file: int = 0) -> Row:
    """The row of one recording entry (fields as ``show`` and ``--filter`` see them)."""
    info = describe(entry)
    row: Row = {
        "time": entry.t,
        "t": entry.t,
        "kind": info.kind,
        "seq": entry.seq,
        "conn": entry.conn,
        "file": file,
    }
    if isinstance(entry, PacketEntry):
        # ``raw`` only for a text frame, as ``show --filter raw:`` sees it; binary is in detail.
        raw = entry.raw if isinstance(entry.raw, str) else None
        row.update(
            dir=info.dir,
            transport=info.transport,
            nsp=info.nsp,
            type=info.type,
            event=info.event,
            id=info.ack_id,
            ack_of=entry.ack_of,
            args=args_list(info.args) if info.type != "connect" else [],
            attachments=len(entry.attachments),
            heartbeat=info.heartbeat,
            raw=_cut(raw),
            fate=info.fate,
            rule=info.rule,
            note=entry.note,  # e.g. a --spec violation (docs/contracts.md)
        )
        if entry.error is not None:
            row["error"] = entry.error
    elif isinstance(entry, OpenEvent):
        row.update(
            generation=entry.generation.value, transport=info.transport, sid=entry.sid, type="open"
        )
    elif isinstance(entry, CloseEvent):
        row.update(reason=entry.reason, by=entry.by.value if entry.by else None, type="close")
    else:
        row.update(transport=info.transport, type="upgrade")
    row["detail"] = detail_of(entry.to_json())
    return row


def detail_of(obj: dict[str, Any]) -> dict[str, Any]:
    """An entry's dict form as the detail pane shows it (a huge ``raw`` cut)."""
    raw = obj.get("raw")
    if isinstance(raw, str) and len(raw) > RAW_LIMIT:
        obj = dict(obj, raw=_cut(raw))
    return obj


def line_row(line: bytes | str) -> Row:
    """The row of one page line (:mod:`sioproxy.web.lines`), as static/rows.js makes it."""
    obj = json.loads(line)
    file = obj.pop("file", 0)
    session = obj.pop("session", 1)
    row = entry_row(entry_from_json(obj, path="<web>", line=None), file=file)
    row["session"] = session
    return row
