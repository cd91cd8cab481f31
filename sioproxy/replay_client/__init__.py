"""Client side: play a recorded client against a live Socket.IO server.

Layer: pure (sans-IO). Imports the codec, the recording model and the replay
package's script and matching; never twisted. ``EioClientSession`` and
``LegacyClientSession`` speak the wire protocols as a client would;
``ClientReplayer`` decides what to send and compares what comes back;
``drift`` holds the report and ``load`` the run's statistics. The Twisted
runner is ``sioproxy.replay_client.edge.client``. User documentation: docs/replay-client.md.
"""

from sioproxy.replay_client.actions import Finish, ReplayClientOptions, SendPacket
from sioproxy.replay_client.capture import Capture, parse_capture
from sioproxy.replay_client.drift import (
    ConnectionResult,
    DriftItem,
    DriftReport,
    Recovered,
    Remap,
)
from sioproxy.replay_client.effects import (
    Arm,
    ClientEffect,
    Closed,
    Connected,
    Disarm,
    HttpCall,
    Received,
    Upgraded,
    WsConnect,
    WsDisconnect,
)
from sioproxy.replay_client.eio_client import EioClientSession
from sioproxy.replay_client.legacy_client import LegacyClientSession
from sioproxy.replay_client.load import LoadStats, percentile
from sioproxy.replay_client.order import PlayOrder
from sioproxy.replay_client.recovery import LiveSessions
from sioproxy.replay_client.replayer import ClientReplayer
from sioproxy.session.effects import WsSend

__all__ = [
    "Arm",
    "Capture",
    "ClientEffect",
    "ClientReplayer",
    "Closed",
    "Connected",
    "ConnectionResult",
    "Disarm",
    "DriftItem",
    "DriftReport",
    "EioClientSession",
    "Finish",
    "HttpCall",
    "LegacyClientSession",
    "LiveSessions",
    "LoadStats",
    "PlayOrder",
    "Received",
    "Recovered",
    "Remap",
    "ReplayClientOptions",
    "SendPacket",
    "Upgraded",
    "WsConnect",
    "WsDisconnect",
    "WsSend",
    "parse_capture",
    "percentile",
]
