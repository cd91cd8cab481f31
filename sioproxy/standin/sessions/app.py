"""The stand-in server's application interface and the sessions' I/O vocabulary.

Layer: pure (sans-IO). Imports the standard library, ``sioproxy.types`` and the
codec; never twisted. The Twisted side (``sioproxy.standin.edge.site``) feeds
requests and WebSocket messages into a session and carries out the
``Effect`` values the session emits; the replay engine plugs in as a
``ConnectionApp`` built per live client connection by an ``AppFactory``.

Everything transport-level (sids, open packet, heartbeats, polling framing,
JSONP, upgrade, close) is done by the sessions, live; the app only sees
application packets (Socket.IO packets, or 0.9 packets other than heartbeats
and noops) and sends application packets back.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Protocol

from sioproxy.codec.engineio import EioPacket
from sioproxy.codec.legacy import LegacyPacket
from sioproxy.codec.parsers import WireParser
from sioproxy.codec.socketio import SioPacket
from sioproxy.session.effects import WsSend
from sioproxy.types import Direction, Generation

__all__ = [
    "AppFactory",
    "ConnectionApp",
    "Effect",
    "Ended",
    "HttpResponse",
    "ReplyPoll",
    "ServerConnection",
    "StandInConfig",
    "WsClose",
    "json_error",
    "wrong_protocol_text",
]

AppPacket = LegacyPacket | SioPacket


@dataclass(frozen=True, slots=True, kw_only=True)
class StandInConfig:
    """How the stand-in server behaves; the replay command fills it from the recording.

    Times are seconds. ``ping_interval``/``ping_timeout`` are the Engine.IO
    handshake values; for 0.9, ``ping_interval`` is node's ``heartbeat
    interval`` (the period of ``2::`` on websocket, never sent to the client)
    and ``heartbeat_timeout``/``close_timeout`` are the handshake fields
    (integer seconds, ``None`` = empty field; docs/protocol.md#a2, A.7).
    ``transports`` empty means every transport of the generation.
    """

    generation: Generation
    ping_interval: float = 25.0
    ping_timeout: float = 20.0
    heartbeat_timeout: int | None = 60
    close_timeout: int | None = 60
    polling_duration: float = 20.0
    transports: tuple[str, ...] = ()
    max_payload: int = 1_000_000
    upgrade_timeout: float = 10.0
    resource_path: str = "/socket.io"
    # The recording's Socket.IO parser when not the default one (C.9).
    parser: WireParser | None = None

    def allows(self, transport: str) -> bool:
        return not self.transports or transport in self.transports


@dataclass(frozen=True, slots=True, kw_only=True)
class HttpResponse:
    """A complete HTTP response for the transport to write."""

    status: int = 200
    content_type: str = "text/plain; charset=UTF-8"
    body: bytes = b""
    headers: tuple[tuple[str, str], ...] = ()


def json_error(code: int, message: str) -> HttpResponse:
    """engine.io's error response (docs/protocol.md#b1): 400 (403 for code 4), JSON body."""
    body = f'{{"code":{code},"message":"{message}"}}'.encode()
    return HttpResponse(
        status=403 if code == 4 else 400, content_type="application/json", body=body
    )


_SPEAKS = {
    "4": "Engine.IO 4 (Socket.IO v5: socket.io-client 3.x/4.x, python-socketio 5)",
    "3": "Engine.IO 3 (Socket.IO v4: socket.io-client 2.x, python-socketio 4)",
}
_RECORDED = {
    Generation.EIO4: "eio4 (Engine.IO 4, Socket.IO v5)",
    Generation.EIO3: "eio3 (Engine.IO 3, Socket.IO v4)",
    Generation.LEGACY: "0.9 (Socket.IO 0.9)",
}


def wrong_protocol_text(recorded: Generation, eio: str | None, answer: str) -> str:
    """One line for a client of another protocol generation than the recording."""
    if eio is None:
        speaks = "Socket.IO 0.9 (no EIO= parameter)"
    else:
        speaks = _SPEAKS.get(eio, f"EIO={eio[:8]!r}")
    return (
        f"a client of another protocol was refused: it speaks {speaks},"
        f" the recording is {_RECORDED[recorded]}; answered {answer}"
    )


# -- effects: what a session asks its transport to do, in order --------------


@dataclass(frozen=True, slots=True)
class ReplyPoll:
    """Answer the held polling GET ``poll_id``."""

    poll_id: int
    response: HttpResponse


@dataclass(frozen=True, slots=True)
class WsClose:
    """Close the session's WebSocket (a probe that failed, or the session's end)."""

    code: int = 1000


@dataclass(frozen=True, slots=True)
class Ended:
    """The session is over: forget its sid, cancel its timer."""

    reason: str


Effect = ReplyPoll | WsSend | WsClose | Ended


class _Session(Protocol):
    """What a ``ServerConnection`` needs from the session behind it."""

    @property
    def transport_name(self) -> str: ...

    def send(self, packet: AppPacket, text: str | None = None) -> None: ...

    def close(self) -> None: ...


@dataclass(eq=False, slots=True, kw_only=True)
class ServerConnection:
    """The app's handle on one live client connection."""

    label: str
    sid: str
    generation: Generation
    _session: _Session = field(repr=False)
    # The handshake request's query parameters (``--assign query:NAME``).
    query: tuple[tuple[str, str], ...] = ()

    @property
    def transport(self) -> str:
        """The current transport (``polling``/``websocket``, or a 0.9 transport name)."""
        return self._session.transport_name

    def send(self, packet: AppPacket, text: str | None = None) -> None:
        """Queue ``packet`` for the client, encoded for the transport in use when sent.

        ``text``: the packet's Socket.IO text, when the app knows it exactly
        (a Socket.IO packet without attachments); the session then sends it
        as it is instead of encoding ``packet``.
        """
        self._session.send(packet, text)

    def close(self) -> None:
        """End the connection from the server side."""
        self._session.close()


class ConnectionApp(Protocol):
    """One per live client connection; the replay engine implements this."""

    def on_open(self, conn: ServerConnection) -> None:
        """The session is established (v4 apps send ``40`` themselves if recorded)."""

    def on_packet(self, conn: ServerConnection, packet: AppPacket) -> None:
        """An application packet from the client (binary attachments reassembled)."""

    def on_close(self, conn: ServerConnection, reason: str) -> None:
        """The connection ended; called exactly once."""


AppFactory = Callable[[ServerConnection], ConnectionApp]


Clock = Callable[[], float]


def _nothing() -> None:
    return None


class SessionBase:
    """What both session machines share: effects, timers, the app's lifecycle.

    Input methods of a session emit effects; the transport takes them with
    ``take_effects`` after every call, and also when ``wake`` is called (the
    app sent something from outside an input, e.g. from a replay timer).
    Timers are named deadlines on ``clock``; the transport calls ``on_timer``
    once ``next_deadline`` has passed.
    """

    def __init__(
        self, *, sid: str, label: str, config: StandInConfig, app_factory: AppFactory, clock: Clock
    ) -> None:
        self.sid = sid
        self.config = config
        self.clock = clock
        self.wake: Callable[[], None] = _nothing
        self.ended: str | None = None
        self.conn = ServerConnection(
            label=label, sid=sid, generation=config.generation, _session=self
        )
        self._app_factory = app_factory
        self._app: ConnectionApp | None = None
        self._effects: list[Effect] = []
        self._timers: dict[str, float] = {}

    @property
    def transport_name(self) -> str:
        raise NotImplementedError

    def send(self, packet: AppPacket, text: str | None = None) -> None:
        raise NotImplementedError

    def close(self) -> None:
        raise NotImplementedError

    def take_effects(self) -> list[Effect]:
        effects, self._effects = self._effects, []
        return effects

    def next_deadline(self) -> float | None:
        return min(self._timers.values(), default=None)

    def on_timer(self) -> None:
        """Fire every timer that is due, earliest first."""
        now = self.clock()
        while self.ended is None:
            due = [(at, name) for name, at in self._timers.items() if at <= now]
            if not due:
                return
            _, name = min(due)
            del self._timers[name]
            self._fire(name)

    def _fire(self, name: str) -> None:
        raise NotImplementedError

    def _arm(self, name: str, delay: float) -> None:
        self._timers[name] = self.clock() + delay

    def _emit(self, effect: Effect) -> None:
        self._effects.append(effect)

    def _start_app(self) -> None:
        self._app = self._app_factory(self.conn)
        self._app.on_open(self.conn)

    def _heartbeat(self, direction: Direction, packet: EioPacket | LegacyPacket) -> None:
        """A ping, pong or noop the session handled itself, shown to an app that has
        ``on_heartbeat(conn, direction, packet)`` (``replay --verbose`` logs them)."""
        seen = getattr(self._app, "on_heartbeat", None)
        if seen is not None and self.ended is None:
            seen(self.conn, direction, packet)

    def _deliver(self, packet: AppPacket) -> None:
        if self._app is not None and self.ended is None:
            self._app.on_packet(self.conn, packet)

    def _end(self, reason: str) -> None:
        """Finish the session once: timers off, ``Ended`` out, the app told."""
        if self.ended is not None:
            return
        self.ended = reason
        self._timers.clear()
        self._emit(Ended(reason))
        if self._app is not None:
            self._app.on_close(self.conn, reason)
