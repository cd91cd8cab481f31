"""Socket.IO session ids of a replay: fresh ones, the same for the whole replay.

Layer: pure (replay). A v5 CONNECT reply carries the socket's ``sid`` and,
with socket.io's connectionStateRecovery (4.6+), its private ``pid``
(docs/protocol.md#c10). The stand-in never sends the recorded ones (D.3): each
recorded value gets one fresh value, kept for the whole replay, so that a
recovered connection gets back the sid and pid its first connection had. A
live client that reconnects sends its ``pid`` (and the last ``offset`` it
saw, which the replay sent as recorded) in its CONNECT; that pid is turned
back into the recorded one before the packet is matched.
"""

from __future__ import annotations

import dataclasses
import secrets
from typing import Any, TypeGuard

from sioproxy.codec.packets import Packet
from sioproxy.codec.socketio import SioPacket, SioType

_KEYS = ("sid", "pid")


class SessionIds:
    """Recorded sid/pid -> fresh value, and back for pids, over all connections."""

    def __init__(self) -> None:
        self._fresh: dict[str, str] = {}
        self._recorded: dict[str, str] = {}

    def _for(self, recorded: Any) -> Any:
        if not isinstance(recorded, str):
            return secrets.token_urlsafe(15)
        fresh = self._fresh.get(recorded)
        if fresh is None:
            fresh = self._fresh[recorded] = secrets.token_urlsafe(15)
            self._recorded[fresh] = recorded
        return fresh

    def fresh(self, packet: Packet) -> Packet:
        """A server CONNECT reply with fresh sid/pid; any other packet as it is."""
        if not _is_connect(packet) or not (set(_KEYS) & packet.data.keys()):
            return packet
        new = {k: self._for(v) if k in _KEYS else v for k, v in packet.data.items()}
        return dataclasses.replace(packet, data=new, raw=None)

    def recorded(self, packet: Packet) -> Packet:
        """A client CONNECT recovering a session: its pid as recorded (else as it is)."""
        if not _is_connect(packet):
            return packet
        pid = packet.data.get("pid")
        if not isinstance(pid, str) or pid not in self._recorded:
            return packet
        data = {**packet.data, "pid": self._recorded[pid]}
        return dataclasses.replace(packet, data=data, raw=None)


def _is_connect(packet: Packet) -> TypeGuard[SioPacket]:
    """A Socket.IO CONNECT whose payload is an object."""
    return (
        isinstance(packet, SioPacket)
        and packet.type is SioType.CONNECT
        and isinstance(packet.data, dict)
    )
