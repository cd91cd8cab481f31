"""The stand-in Socket.IO server's pure core: sessions and the application interface.

Layer: pure (sans-IO), never imports twisted. ``sioproxy.standin.edge.site``
runs these sessions on real sockets; the replay engine plugs in through
``ConnectionApp``/``AppFactory``.
"""

from sioproxy.session.effects import WsSend
from sioproxy.standin.sessions.app import (
    AppFactory,
    ConnectionApp,
    Effect,
    Ended,
    HttpResponse,
    ReplyPoll,
    ServerConnection,
    StandInConfig,
    WsClose,
)
from sioproxy.standin.sessions.eio_session import EioSession, PollMode
from sioproxy.standin.sessions.legacy_session import LegacySession

__all__ = [
    "AppFactory",
    "ConnectionApp",
    "Effect",
    "EioSession",
    "Ended",
    "HttpResponse",
    "LegacySession",
    "PollMode",
    "ReplyPoll",
    "ServerConnection",
    "StandInConfig",
    "WsClose",
    "WsSend",
]
