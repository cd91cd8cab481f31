"""Connection state recovery in a recording: the packets ``show`` marks.

Layer: pure (inspect). socket.io 4.6+ with ``connectionStateRecovery``
(docs/protocol.md#c10): a client that lost its transport reconnects with a
CONNECT carrying its ``pid`` and the ``offset`` of the last event it got
(found by ``sioproxy.recording.recovery.recovery_links``), and the server
sends what it missed before its CONNECT reply. ``recovery_marks`` names
those packets for ``show``.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sioproxy.recording.model import Entry, PacketEntry
from sioproxy.recording.recovery import connect_data, recovery_links
from sioproxy.types import Direction


def _nsp(entry: PacketEntry) -> Any:
    sio = (entry.packet or {}).get("sio")
    return sio.get("nsp") if isinstance(sio, dict) else None


def recovery_marks(entries: Sequence[Entry]) -> dict[int, str]:
    """seq -> remark: the recovering CONNECT, the packets it got back, the reply."""
    links = {link.seq: link for link in recovery_links(entries)}
    waiting: dict[tuple[str, Any], str] = {}  # (conn, nsp) -> recovered conn, until the reply
    marks: dict[int, str] = {}
    for entry in entries:
        if not isinstance(entry, PacketEntry):
            continue
        key = (entry.conn, _nsp(entry))
        link = links.get(entry.seq)
        if link is not None:
            waiting[key] = link.of
            after = f" after offset {link.offset}" if link.offset is not None else ""
            marks[entry.seq] = f"recovers the session of {link.of}{after}"
        elif entry.dir is Direction.S2C and key in waiting:
            if connect_data(entry) is not None:
                marks[entry.seq] = f"session of {waiting.pop(key)} recovered"
            else:
                marks[entry.seq] = "missed while away, sent on recovery"
    return marks
