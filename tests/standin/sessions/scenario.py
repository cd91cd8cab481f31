"""The interop scenario's server side (tests/peers/README.md) as stand-in apps.

Test-side helper: lets the real peer clients (node socket.io-client 0.9/2/4,
python-socketio 4/5, socketIO-client, the JSONP client) run their scenario
against the stand-in server. On ``/`` and ``/chat``: ``echo`` emits back,
``ack_me`` acks ``[arg0, "ack"]``, ``ask_me`` asks ``question`` with an ack
request and reports the answer as ``answer_received``, ``bin_echo`` emits
``bin`` then acks the reversed bytes, ``bye`` acks nothing; 0.9 echoes
messages and json messages.
"""

from __future__ import annotations

import json
from typing import Any

from sioproxy.codec.legacy import LegacyPacket, LegacyType
from sioproxy.codec.socketio import SioPacket, SioType
from sioproxy.standin.sessions.app import ServerConnection
from sioproxy.types import Generation

AppPacket = LegacyPacket | SioPacket


def _answer(name: str, args: list[Any]) -> tuple[list[Any] | None, list[Any] | None]:
    """(event to emit, ack arguments) for an incoming event."""
    if name == "echo":
        return ["echo", *args], None
    if name == "ack_me":
        return None, [args[0] if args else None, "ack"]
    if name == "bin_echo":
        data = args[0]
        return ["bin", data, {"nested": data}], [bytes(reversed(data))]
    if name == "bye":
        return None, []
    return None, None


class ModernScenario:
    def __init__(self, conn: ServerConnection) -> None:
        self.revision = 4 if conn.generation is Generation.EIO3 else 5
        self.asked: dict[int, str] = {}  # server ack id -> namespace

    def on_open(self, conn: ServerConnection) -> None:
        if self.revision == 4:
            conn.send(SioPacket(type=SioType.CONNECT))

    def on_packet(self, conn: ServerConnection, packet: AppPacket) -> None:
        assert isinstance(packet, SioPacket)
        nsp = packet.nsp_path
        if packet.type is SioType.CONNECT:
            data = {"sid": f"{conn.label}{nsp}"} if self.revision == 5 else None
            conn.send(SioPacket(type=SioType.CONNECT, nsp=nsp, data=data))
        elif packet.type in (SioType.ACK, SioType.BINARY_ACK) and packet.id in self.asked:
            args = packet.resolved
            conn.send(SioPacket(type=SioType.EVENT, nsp=nsp, data=["answer_received", *args]))
        elif packet.type in (SioType.EVENT, SioType.BINARY_EVENT):
            name, *args = packet.resolved
            if name == "ask_me":
                ack_id = len(self.asked)
                self.asked[ack_id] = nsp
                conn.send(
                    SioPacket(type=SioType.EVENT, nsp=nsp, id=ack_id, data=["question", "what?"])
                )
                return
            event, ack = _answer(name, args)
            if event is not None:
                conn.send(SioPacket(type=SioType.EVENT, nsp=nsp, data=event))
            if ack is not None and packet.id is not None:
                conn.send(SioPacket(type=SioType.ACK, nsp=nsp, id=packet.id, data=ack))

    def on_close(self, conn: ServerConnection, reason: str) -> None:
        return None


def _event(endpoint: str, data: list[Any], ack_id: int | None = None) -> LegacyPacket:
    body = json.dumps({"name": data[0], "args": data[1:]}, ensure_ascii=False)
    return LegacyPacket(
        type=LegacyType.EVENT, endpoint=endpoint, id=ack_id, ack_data=ack_id is not None, data=body
    )


class LegacyScenario:
    def __init__(self, conn: ServerConnection) -> None:
        self.asked = 0

    def on_open(self, conn: ServerConnection) -> None:
        return None

    def on_packet(self, conn: ServerConnection, packet: AppPacket) -> None:
        assert isinstance(packet, LegacyPacket)
        ep = packet.endpoint
        if packet.type is LegacyType.CONNECT:
            conn.send(LegacyPacket(type=LegacyType.CONNECT, endpoint=ep))
        elif packet.type in (LegacyType.MESSAGE, LegacyType.JSON):
            conn.send(LegacyPacket(type=packet.type, endpoint=ep, data=packet.data))
        elif packet.type is LegacyType.ACK:
            conn.send(_event(ep, ["answer_received", *packet.ack_args]))
        elif packet.type is LegacyType.EVENT:
            if packet.name == "ask_me":
                self.asked += 1
                conn.send(_event(ep, ["question", "what?"], self.asked))
                return
            event, ack = _answer(packet.name, list(packet.args))
            if event is not None:
                conn.send(_event(ep, event))
            if ack is not None and packet.id is not None:
                data = f"{packet.id}+{json.dumps(ack, ensure_ascii=False)}"
                conn.send(LegacyPacket(type=LegacyType.ACK, endpoint=ep, data=data))

    def on_close(self, conn: ServerConnection, reason: str) -> None:
        return None


def scenario_app(conn: ServerConnection) -> ModernScenario | LegacyScenario:
    if conn.generation is Generation.LEGACY:
        return LegacyScenario(conn)
    return ModernScenario(conn)
