"""The page's rows: one JSON object per packet or connection event.

Layer: pure (web). Imports the standard library, ``sioproxy.recording``,
``sioproxy.inspect`` and ``sioproxy.textsafe``; never twisted.

A row is the JSON log object of docs/logging.md (``kind`` ``packet``,
``open``, ``upgrade`` or ``close`` with the same keys), plus the keys the
page needs: ``t`` (seconds since the recording started, or since the proxy
started), ``file`` (index of the recording it came from), ``raw`` (the wire
text), ``heartbeat``, ``fate``/``rule``, and ``detail`` (the recording entry as
written, or the live packet's fields). The filter box evaluates the same
language as ``show --filter`` on these keys, so the fields come from
:func:`sioproxy.inspect.filters.describe` for recordings.

Every row leaves through :func:`encode_row`: redacted with the recording's
``Redactor.redact_output`` and control characters escaped, as the log is.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from sioproxy.inspect.filters import describe
from sioproxy.ops.logfmt import _shown_args, args_list
from sioproxy.recording.model import CloseEvent, Entry, OpenEvent, PacketEntry
from sioproxy.session.events import PacketSeen
from sioproxy.textsafe import escape_controls

Row = dict[str, Any]
RAW_LIMIT = 2000  # the detail pane shows the start of a huge frame, not all of it


def _cut(text: str | None) -> str | None:
    if text is None or len(text) <= RAW_LIMIT:
        return text
    return text[:RAW_LIMIT] + f"... ({len(text)} characters)"


def entry_row(entry: Entry, *, file: int = 0, wall0: float = 0.0) -> Row:
    """The row of one recording entry (fields as ``show`` and ``--filter`` see them)."""
    info = describe(entry)
    row: Row = {
        "time": wall0 + entry.t,
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
    row["detail"] = _detail(entry.to_json())
    return row


def packet_row(event: PacketSeen, *, wall0: float = 0.0) -> Row:
    """The row of a live text packet, from the fields the log prints: no entry is built.

    The fields are those :func:`entry_row` reads through ``describe()`` (0.9's
    main endpoint as ``/``, ``raw`` for a text frame), so the filter box
    selects the same rows live as in the recording; the detail pane shows the
    row itself (the recording has the entry's dict form).
    """
    nsp = event.namespace
    if event.legacy is not None:
        nsp = nsp or "/"
    kind = event.type_name
    raw = event.raw if type(event.raw) is str else None
    if event.error is not None or kind == "connect":
        args: Any = []  # a CONNECT's auth and query may hold secrets: never shown (logfmt)
    else:
        # The log's args (ops.logfmt._shown_args, args_list); bytes become "<N bytes>" in
        # the encoder's default, as args_list writes them.
        args = _shown_args(event)
        args = [] if args is None else args if type(args) is list else [args]
    row: Row = {
        "time": wall0 + event.t,
        "t": event.t,
        "kind": "packet",
        "seq": event.seq,
        "conn": event.conn,
        "file": 0,
        "dir": event.direction.value,
        "transport": event.transport,
        "nsp": nsp,
        "type": kind,
        "event": event.event_name,
        "id": event.ack_id,
        "ack_of": event.ack_of,
        "args": args,
        "attachments": len(event.attachments),
        "heartbeat": event.is_heartbeat,
        "raw": _cut(raw),
        "fate": None if event.fate is None else event.fate.value,
        "rule": event.rule,
        "note": event.note,
    }
    if event.error is not None:
        row["error"] = event.error
    return row


def _detail(obj: dict[str, Any]) -> dict[str, Any]:
    raw = obj.get("raw")
    if isinstance(raw, str) and len(raw) > RAW_LIMIT:
        obj = dict(obj, raw=_cut(raw))
    return obj


def _default(value: Any) -> Any:
    if isinstance(value, bytes):
        return f"<{len(value)} bytes>"
    return str(value)


# One encoder for every row (``json.dumps`` with options builds one per call).
_ENCODER = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"), default=_default)


def encode_row(row: Row, redact: Callable[[str], str] | None) -> str:
    """One line of JSON, redacted and with every control character escaped.

    ``redact`` None: the caller knows nothing in the row needs it (a packet the
    recorder writes without redaction, ``LiveRows.encode``).
    """
    text = _ENCODER.encode(row)
    # redact_output scans JSON text ("token": "..."), as it does for the log and HAR export.
    return escape_controls(text if redact is None else redact(text))
