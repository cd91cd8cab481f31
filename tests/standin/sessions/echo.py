"""Test applications for the stand-in server: echo events back, ack acks.

Test-side helper. ``ModernEcho`` speaks Socket.IO v4/v5 (answers CONNECTs,
auto-connects ``/`` for v4 as socket.io 2.x does, docs/protocol.md#c4);
``LegacyEcho`` speaks 0.9 (answers ``1::/ns``, echoes messages, json and
events, acks with the event's args).
"""

from __future__ import annotations

import dataclasses
import json
from typing import Any

from sioproxy.codec.legacy import LegacyPacket, LegacyType
from sioproxy.codec.socketio import SioPacket, SioType
from sioproxy.standin.sessions.app import ServerConnection
from sioproxy.types import Generation

AppPacket = LegacyPacket | SioPacket


class Recorder:
    """What every app of one test saw: opens, packets, closes."""

    def __init__(self) -> None:
        self.opened: list[ServerConnection] = []
        self.packets: list[tuple[str, AppPacket]] = []
        self.closed: list[tuple[str, str]] = []


class ModernEcho:
    def __init__(self, conn: ServerConnection, recorder: Recorder) -> None:
        self.recorder = recorder
        self.revision = 4 if conn.generation is Generation.EIO3 else 5

    def on_open(self, conn: ServerConnection) -> None:
        self.recorder.opened.append(conn)
        if self.revision == 4:
            conn.send(SioPacket(type=SioType.CONNECT))  # socket.io 2.x auto-connects "/"

    def on_packet(self, conn: ServerConnection, packet: AppPacket) -> None:
        self.recorder.packets.append((conn.label, packet))
        assert isinstance(packet, SioPacket)
        if packet.type is SioType.CONNECT:
            data = {"sid": "s-" + conn.label} if self.revision == 5 else None
            conn.send(SioPacket(type=SioType.CONNECT, nsp=packet.nsp_path, data=data))
        elif packet.type in (SioType.EVENT, SioType.BINARY_EVENT):
            if packet.name == "close-me":
                conn.close()
                return
            conn.send(dataclasses.replace(packet, id=None, raw=None))
            if packet.id is not None:
                kind = SioType.BINARY_ACK if packet.is_binary else SioType.ACK
                conn.send(dataclasses.replace(packet, type=kind, data=packet.data[1:], raw=None))

    def on_close(self, conn: ServerConnection, reason: str) -> None:
        self.recorder.closed.append((conn.label, reason))


class LegacyEcho:
    def __init__(self, conn: ServerConnection, recorder: Recorder) -> None:
        self.recorder = recorder

    def on_open(self, conn: ServerConnection) -> None:
        self.recorder.opened.append(conn)

    def on_packet(self, conn: ServerConnection, packet: AppPacket) -> None:
        self.recorder.packets.append((conn.label, packet))
        assert isinstance(packet, LegacyPacket)
        ep = packet.endpoint
        if packet.type is LegacyType.CONNECT:
            conn.send(LegacyPacket(type=LegacyType.CONNECT, endpoint=ep))
        elif packet.type in (LegacyType.MESSAGE, LegacyType.JSON):
            conn.send(LegacyPacket(type=packet.type, endpoint=ep, data=packet.data))
        elif packet.type is LegacyType.EVENT:
            if packet.name == "close-me":
                conn.close()
                return
            conn.send(LegacyPacket(type=LegacyType.EVENT, endpoint=ep, data=packet.data))
            if packet.id is not None and packet.ack_data:
                args = json.dumps(packet.args, separators=(",", ":"), ensure_ascii=False)
                ack = f"{packet.id}+{args}"
                conn.send(LegacyPacket(type=LegacyType.ACK, endpoint=ep, data=ack))

    def on_close(self, conn: ServerConnection, reason: str) -> None:
        self.recorder.closed.append((conn.label, reason))


def echo_factory(recorder: Recorder) -> Any:
    def build(conn: ServerConnection) -> ModernEcho | LegacyEcho:
        if conn.generation is Generation.LEGACY:
            return LegacyEcho(conn, recorder)
        return ModernEcho(conn, recorder)

    return build
