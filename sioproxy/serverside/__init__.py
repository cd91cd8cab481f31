"""The stand-in Socket.IO server's pure core: sessions and the application interface.

Layer: pure (sans-IO), never imports twisted. ``sioproxy.transport.standin``
runs these sessions on real sockets; the replay engine plugs in through
``ConnectionApp``/``AppFactory``.
"""

from sioproxy.serverside.app import (
    AppFactory,
    ConnectionApp,
    Effect,
    Ended,
    HttpResponse,
    ReplyPoll,
    ServerConnection,
    StandInConfig,
    WsClose,
    WsSend,
)
from sioproxy.serverside.eio_session import EioSession, PollMode
from sioproxy.serverside.legacy_session import LegacySession

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
