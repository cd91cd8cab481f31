"""What the stand-in's HTTP and WebSocket sides ask of its server: ``SessionHost``.

Layer: transport (types only; imports no twisted at run time). ``http.py`` and
``handshake.py`` serve requests for ``StandInServer`` (``server.py``), which
itself imports them to build the site; they name the server by this
protocol, so the three modules import each other in one direction only.
"""

from __future__ import annotations

from typing import Any, Protocol

from sioproxy.standin.sessions.app import HttpResponse, SessionBase, StandInConfig
from sioproxy.standin.sessions.eio_session import EioSession
from sioproxy.standin.sessions.legacy_session import LegacySession

__all__ = ["Request", "SessionHost", "WsPeer"]

# twisted.web's Request is unannotated; like http_relay, treat it as Any.
Request = Any


class WsPeer(Protocol):
    """An open client WebSocket as the sessions' effects use it.

    During the opening handshake this is the autobahn protocol; once open,
    the lean ``StandInWebSocket`` that took its connection over.
    """

    @property
    def open(self) -> bool: ...

    def send_text(self, text: str) -> None: ...

    def send_bytes(self, data: bytes) -> None: ...

    def close(self, code: int = 1000, reason: str = "") -> None: ...


class SessionHost(Protocol):
    """The sessions of one stand-in site, as its request handlers use them."""

    reactor: Any
    config: StandInConfig
    sessions: dict[str, SessionBase]

    def wrong_protocol(self, text: str) -> None: ...

    def new_eio_session(
        self, transport: str, b64: bool = False, query: tuple[tuple[str, str], ...] = ()
    ) -> EioSession: ...

    def new_legacy_session(self, query: tuple[tuple[str, str], ...] = ()) -> LegacySession: ...

    def poll(self, session: SessionBase, request: Request, *args: Any) -> HttpResponse | None: ...

    def drain(self, session: SessionBase) -> None: ...

    def attach_ws(self, sid: str, proto: WsPeer) -> None: ...

    def ws_is(self, sid: str, proto: WsPeer) -> bool: ...

    def forget_ws(self, sid: str, proto: WsPeer) -> None: ...
