"""Connection state recovery in a recording: which connection recovers which session.

Layer: pure (recording). socket.io 4.6+ with ``connectionStateRecovery``
(docs/protocol.md#c10): the server's CONNECT reply gives the socket a private
``pid``; a client whose transport dropped opens a new connection whose
CONNECT carries that ``pid`` and the ``offset`` of the last event it got.
``recovery_links`` finds those CONNECTs and the connection that had the
session before (``show`` marks them, ``sioproxy.inspect.recovery``;
``replay-client`` reproduces them, ``sioproxy.replay_client.recovery``).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from sioproxy.recording.model import CloseEvent, Entry, OpenEvent, PacketEntry, Recording
from sioproxy.types import Direction

__all__ = ["RecoveryLink", "connect_data", "recovery_link_of", "recovery_links"]


@dataclass(frozen=True, slots=True)
class RecoveryLink:
    """``conn``'s CONNECT (entry ``seq``, namespace ``nsp``) recovers the session ``of`` had."""

    conn: str
    seq: int
    nsp: Any
    of: str
    pid: str
    offset: str | None
    away: float  # recorded seconds from the end of ``of`` to the open of ``conn`` (0: unknown)


def connect_data(entry: PacketEntry) -> dict[str, Any] | None:
    """The payload object of a Socket.IO CONNECT entry (None: another packet, or no object)."""
    sio = (entry.packet or {}).get("sio")
    if not isinstance(sio, dict) or sio.get("type") != "connect":
        return None
    data = sio.get("data")
    return data if isinstance(data, dict) else None


def recovery_link_of(recording: Recording, conn: str) -> RecoveryLink | None:
    """The session ``conn`` recovers, if it does.

    Only a connection whose own client CONNECT sends a ``pid`` can; the rest of
    the recording is read only then. A plan per connection that read all of it
    each time was quadratic in the number of connections.
    """
    if not any(_sends_pid(entry) for entry in recording.entries_for(conn)):
        return None
    return next((r for r in recovery_links(recording.entries) if r.conn == conn), None)


def _sends_pid(entry: Entry) -> bool:
    if not isinstance(entry, PacketEntry) or entry.dir is not Direction.C2S:
        return False
    data = connect_data(entry)
    return data is not None and isinstance(data.get("pid"), str)


def recovery_links(entries: Iterable[Entry]) -> list[RecoveryLink]:
    """Every client CONNECT that sends a ``pid`` an earlier server CONNECT reply gave out."""
    holder: dict[str, str] = {}  # pid -> the connection whose reply gave it last
    opened: dict[str, float] = {}
    closed: dict[str, float] = {}
    links: list[RecoveryLink] = []
    for entry in entries:
        if isinstance(entry, OpenEvent):
            opened[entry.conn] = entry.t
        elif isinstance(entry, CloseEvent):
            closed[entry.conn] = entry.t
        if not isinstance(entry, PacketEntry):
            continue
        data = connect_data(entry)
        pid = data.get("pid") if data is not None else None
        if not isinstance(pid, str):
            continue
        if entry.dir is Direction.S2C:
            holder[pid] = entry.conn
        elif pid in holder and holder[pid] != entry.conn:
            of = holder[pid]
            offset = data.get("offset") if data is not None else None
            away = opened.get(entry.conn, 0.0) - closed.get(of, opened.get(entry.conn, 0.0))
            sio = (entry.packet or {}).get("sio") or {}
            links.append(
                RecoveryLink(
                    conn=entry.conn,
                    seq=entry.seq,
                    nsp=sio.get("nsp"),
                    of=of,
                    pid=pid,
                    offset=offset if isinstance(offset, str) else None,
                    away=max(0.0, away),
                )
            )
    return links
