"""``sioproxy web`` of a ``sioproxy diff --report FILE``: recorded against live, side by side.

Layer: pure (web). Imports the codec, ``sioproxy.recording`` and
``sioproxy.textsafe``; never twisted. The command reads the files.

The report (docs/replay-client.md, "Drift") holds each drifting server packet
as wire text (``recorded``, ``live``) and its ``differences`` as JSON
pointers into the packet's dict form. For the page each text is decoded
again into that dict form, so the page can draw both sides as JSON trees and
highlight the value at every differing pointer. A text that does not decode
(a report from another version, a truncated text) is shown as text.

A report is told from a recording by its content: a recording's first line is
its header (``"kind": "header"``); a report is one JSON object with
``drift_count`` and ``connections``.
"""

from __future__ import annotations

import json
import re
from typing import Any

from sioproxy.codec.legacy import decode_packet
from sioproxy.codec.legacy_dict import packet_to_dict
from sioproxy.codec.sio_dict import sio_to_dict
from sioproxy.codec.socketio import decode_sio
from sioproxy.errors import SioProxyError
from sioproxy.types import Generation

_LEGACY = re.compile(r"\d:")  # a 0.9 packet: its type digit, then a colon
_ATTACHMENTS = re.compile(r" \(\+\d+ binary attachments?\)$")  # script.wire_text's suffix
MAX_REPORT_BYTES = 64 * 1024 * 1024


def looks_like_report(first_line: bytes) -> bool:
    """False when the first line is a recording's header; True when it may open a report."""
    text = first_line.strip()
    if not text.startswith(b"{"):
        return False
    try:
        obj = json.loads(text)
    except ValueError:
        return True  # an indented report's "{" line, or a torn header: the full parse decides
    return not (isinstance(obj, dict) and obj.get("kind") == "header")


def parse_report(data: bytes) -> dict[str, Any] | None:
    """The report in ``data``, or None when it is not a ``diff --report`` file."""
    try:
        obj = json.loads(data)
    except ValueError:
        return None
    if isinstance(obj, dict) and "drift_count" in obj and isinstance(obj.get("connections"), list):
        return obj
    return None


def revision_of(generation: Generation | None) -> int:
    """The Socket.IO revision SIO texts are decoded with (unknown: 5, as the replay's)."""
    return (generation.sio_revision if generation is not None else None) or 5


def dict_form(text: str | None, revision: int) -> Any:
    """The dict form of a report's wire text (what pointers point into), or None.

    A 0.9 text (``6:::1+[...]``) and an Engine.IO message carrying a Socket.IO
    packet (``431[...]``) tell themselves apart by their first characters.
    """
    if not text:
        return None
    body = _ATTACHMENTS.sub("", text)
    try:
        if _LEGACY.match(body):
            return packet_to_dict(decode_packet(body))
        if len(body) > 1 and body[0] == "4" and body[1].isdigit():
            return sio_to_dict(decode_sio(body[1:], revision), revision)
    except (SioProxyError, ValueError):
        return None
    return None


def _side(text: str | None, revision: int) -> dict[str, Any] | None:
    if text is None:
        return None
    return {"text": text, "dict": dict_form(text, revision)}


def _item(item: Any, revision: int) -> dict[str, Any]:
    differences = [d for d in item.get("differences") or [] if isinstance(d, dict)]
    return {
        "kind": str(item.get("kind")),
        "seq": item.get("seq"),
        "namespace": item.get("namespace"),
        "event": item.get("event"),
        "note": item.get("note"),
        "recorded": _side(item.get("recorded"), revision),
        "live": _side(item.get("live"), revision),
        "differences": differences,
        "pointers": sorted({str(d.get("pointer")) for d in differences}),
    }


def diff_view(report: dict[str, Any], revision: int) -> dict[str, Any]:
    """What the page's Diff view draws: per connection, each drift item with both sides."""
    connections = []
    for conn in report.get("connections") or []:
        if not isinstance(conn, dict):
            continue
        drift = [_item(d, revision) for d in conn.get("drift") or [] if isinstance(d, dict)]
        keep = ("conn", "client", "transport", "sent", "received", "end", "ack_remaps", "notes")
        connections.append({**{k: conn.get(k) for k in keep}, "drift": drift})
    return {
        "recording": report.get("recording"),
        "target": report.get("target"),
        "drift_count": report.get("drift_count"),
        "counts": report.get("counts"),
        "errors": report.get("errors") or [],
        "unreachable": report.get("unreachable"),
        "connections": connections,
    }


def drift_marks(view: dict[str, Any]) -> dict[str, str]:
    """Row marks for the recording's packets: ``"0:SEQ"`` -> ``changed`` / ``missing``."""
    marks: dict[str, str] = {}
    for conn in view["connections"]:
        for item in conn["drift"]:
            if isinstance(item["seq"], int):
                marks[f"0:{item['seq']}"] = item["kind"]
    return marks
