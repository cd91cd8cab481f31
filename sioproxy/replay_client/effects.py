"""The client sessions' I/O vocabulary (effects) and their shared base.

Layer: pure. Imports the standard library and sioproxy's codec packet types;
never twisted. A sans-IO client session (``EioClientSession``,
``LegacyClientSession``) appends ``ClientEffect`` values; the transport
(``sioproxy.replay_client.edge.client``) takes them with ``take_effects()`` and carries
them out in order, then feeds the answers back into the session.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

from sioproxy.codec.legacy import LegacyPacket
from sioproxy.codec.socketio import SioPacket
from sioproxy.session.effects import WsSend

__all__ = [
    "TEXT_CONTENT_TYPE",
    "Arm",
    "ClientEffect",
    "ClientSessionBase",
    "Closed",
    "Connected",
    "Disarm",
    "HttpCall",
    "Received",
    "Upgraded",
    "WsConnect",
    "WsDisconnect",
]

TEXT_CONTENT_TYPE: Final = "text/plain;charset=UTF-8"


# -- effects: what a client session asks its transport to do, in order -------


@dataclass(frozen=True, slots=True)
class HttpCall:
    """Make an HTTP request; answer with ``http_response(call_id, ...)`` or ``http_failed``."""

    call_id: int
    method: str
    path: str
    query: str
    body: bytes = b""
    content_type: str | None = None


@dataclass(frozen=True, slots=True)
class WsConnect:
    """Open a WebSocket to ``path?query``; answer with ``ws_opened`` or ``ws_closed``."""

    path: str
    query: str


@dataclass(frozen=True, slots=True)
class WsDisconnect:
    """Close the session's WebSocket."""


@dataclass(frozen=True, slots=True)
class Arm:
    """(Re)start the timer ``name``; answer with ``timer_fired(name)`` after ``delay`` s."""

    name: str
    delay: float


@dataclass(frozen=True, slots=True)
class Disarm:
    """Cancel the timer ``name`` if it runs."""

    name: str


@dataclass(frozen=True, slots=True)
class Connected:
    """The session is open (Engine.IO open packet, or 0.9 ``1::``)."""

    sid: str
    transport: str


@dataclass(frozen=True, slots=True)
class Upgraded:
    """The session moved to ``transport`` (polling -> websocket)."""

    transport: str


@dataclass(frozen=True, slots=True)
class Received:
    """An application packet from the server (binary packets complete)."""

    packet: SioPacket | LegacyPacket


@dataclass(frozen=True, slots=True)
class Closed:
    """The session is over; nothing more will be emitted."""

    reason: str


ClientEffect = (
    HttpCall | WsConnect | WsSend | WsDisconnect | Arm | Disarm | Connected | Upgraded | Received
) | Closed


class ClientSessionBase:
    """Effect queue, call ids, timers and the end, shared by both client sessions."""

    def __init__(self) -> None:
        self._out: list[ClientEffect] = []
        self._next_call = 0
        self._armed: set[str] = set()
        self.ended: str | None = None
        self.sid: str | None = None
        self.transport = ""

    def take_effects(self) -> list[ClientEffect]:
        """The effects emitted since the last call, in order."""
        out, self._out = self._out, []
        return out

    def _call(self, method: str, path: str, query: str, body: bytes = b"") -> int:
        self._next_call += 1
        ctype = TEXT_CONTENT_TYPE if method == "POST" else None
        self._out.append(HttpCall(self._next_call, method, path, query, body, ctype))
        return self._next_call

    def _arm(self, name: str, delay: float) -> None:
        self._armed.add(name)
        self._out.append(Arm(name, delay))

    def _disarm(self, name: str) -> None:
        if name in self._armed:
            self._armed.discard(name)
            self._out.append(Disarm(name))

    def timer_fired(self, name: str) -> None:
        if self.ended is None and name in self._armed:
            self._armed.discard(name)
            self._fire(name)

    def _fire(self, name: str) -> None:
        raise NotImplementedError

    def abort(self, reason: str) -> None:
        """Give up now (the runner's connect timeout): drop the transport, no goodbye."""
        if self.ended is None:
            self._out.append(WsDisconnect())
            self._end(reason)

    def _end(self, reason: str) -> None:
        if self.ended is not None:
            return
        for name in sorted(self._armed):
            self._out.append(Disarm(name))
        self._armed.clear()
        self.ended = reason
        self._out.append(Closed(reason))
