"""Connection state recovery in a recording: which connection recovers which.

Layer: pure (inspect). socket.io 4.6+ with ``connectionStateRecovery``
(docs/protocol.md#c10): the server's CONNECT reply gives the socket a private
``pid``; a client that lost its transport reconnects with a CONNECT carrying
that ``pid`` and the ``offset`` of the last event it got, and the server
sends what it missed before its CONNECT reply. ``recovery_marks`` names
those packets for ``show``.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from sioproxy.recording.model import Entry, PacketEntry
from sioproxy.types import Direction


def _connect_data(entry: PacketEntry) -> dict[str, Any] | None:
    sio = (entry.packet or {}).get("sio")
    if not isinstance(sio, dict) or sio.get("type") != "connect":
        return None
    data = sio.get("data")
    return data if isinstance(data, dict) else None


def _nsp(entry: PacketEntry) -> Any:
    sio = (entry.packet or {}).get("sio")
    return sio.get("nsp") if isinstance(sio, dict) else None


def recovery_marks(entries: Iterable[Entry]) -> dict[int, str]:
    """seq -> remark: the recovering CONNECT, the packets it got back, the reply."""
    owner: dict[str, str] = {}  # pid -> the connection that got it first
    waiting: dict[tuple[str, Any], str] = {}  # (conn, nsp) -> recovered conn, until the reply
    marks: dict[int, str] = {}
    for entry in entries:
        if not isinstance(entry, PacketEntry):
            continue
        data = _connect_data(entry)
        key = (entry.conn, _nsp(entry))
        pid = data.get("pid") if data is not None else None
        if entry.dir is Direction.C2S and isinstance(pid, str) and pid in owner:
            waiting[key] = owner[pid]
            offset = data.get("offset") if data is not None else None
            after = f" after offset {offset}" if isinstance(offset, str) else ""
            marks[entry.seq] = f"recovers the session of {owner[pid]}{after}"
        elif entry.dir is Direction.S2C and key in waiting:
            if data is not None:
                marks[entry.seq] = f"session of {waiting.pop(key)} recovered"
            else:
                marks[entry.seq] = "missed while away, sent on recovery"
        if entry.dir is Direction.S2C and isinstance(pid, str):
            owner.setdefault(pid, entry.conn)
    return marks
