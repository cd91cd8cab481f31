"""Build recordings and live packets for replay tests from wire text.

Every recorded packet dict is produced by the real codecs (decode, then the
dict form the proxy writes), so the tests exercise the same shapes as files
written by ``sioproxy record``.
"""

from __future__ import annotations

import dataclasses
from typing import Any

from sioproxy.codec.engineio import decode_eio, eio_to_dict
from sioproxy.codec.legacy import LegacyPacket, decode_packet
from sioproxy.codec.legacy_dict import packet_to_dict
from sioproxy.codec.socketio import SioPacket, decode_sio
from sioproxy.recording.header import Header
from sioproxy.recording.model import (
    CloseEvent,
    Entry,
    HttpRequest,
    OpenEvent,
    PacketEntry,
    Recording,
)
from sioproxy.recording.script import wire_text
from sioproxy.standin.replay.engine import Action, Done, Mismatch, Send
from sioproxy.types import Direction, Generation, TransportName

REVISION = {Generation.EIO3: 4, Generation.EIO4: 5}


class RecordingBuilder:
    """Appends entries with increasing seq; ``c``/``s`` add client/server packets."""

    def __init__(self, generation: Generation) -> None:
        self.generation = generation
        self.entries: list[Entry] = []
        self.conn = "c1"

    def _seq(self) -> int:
        return len(self.entries) + 1

    def open(self, conn: str, t: float = 0.0) -> RecordingBuilder:
        self.conn = conn
        transport = (
            TransportName.WEBSOCKET
            if self.generation is not Generation.LEGACY
            else TransportName.XHR_POLLING
        )
        self.entries.append(
            OpenEvent(
                seq=self._seq(),
                conn=conn,
                t=t,
                generation=self.generation,
                transport=transport,
                sid=None,
                request=HttpRequest(method="GET", path="/socket.io/"),
            )
        )
        return self

    def close(self, t: float) -> RecordingBuilder:
        self.entries.append(CloseEvent(seq=self._seq(), conn=self.conn, t=t, reason="x"))
        return self

    def c(self, raw: str, t: float | None = None, **kw: Any) -> RecordingBuilder:
        return self.packet(Direction.C2S, raw, t, **kw)

    def s(self, raw: str, t: float | None = None, **kw: Any) -> RecordingBuilder:
        return self.packet(Direction.S2C, raw, t, **kw)

    def packet(
        self,
        direction: Direction,
        raw: str,
        t: float | None = None,
        *,
        attachments: tuple[bytes, ...] = (),
        ack_of: int | None = None,
        error: str | None = None,
    ) -> RecordingBuilder:
        if t is None:
            t = self.entries[-1].t + 0.001 if self.entries else 0.0
        packet = None if error is not None else self._decode(raw, attachments)
        self.entries.append(
            PacketEntry(
                seq=self._seq(),
                conn=self.conn,
                t=t,
                dir=direction,
                transport=TransportName.WEBSOCKET,
                raw=raw,
                attachments=attachments,
                packet=packet,
                error=error,
                ack_of=ack_of,
            )
        )
        return self

    def _decode(self, raw: str, attachments: tuple[bytes, ...]) -> dict[str, Any]:
        if self.generation is Generation.LEGACY:
            return packet_to_dict(decode_packet(raw))
        version = 3 if self.generation is Generation.EIO3 else 4
        eio = decode_eio(raw, version)
        sio = None
        if raw.startswith("4"):
            sio = decode_sio(raw[1:], REVISION[self.generation])
            sio = dataclasses.replace(sio, attachments=attachments)
        return eio_to_dict(eio, version, sio=sio)

    def build(self) -> Recording:
        return Recording(header=Header.new(generation=self.generation), entries=tuple(self.entries))


def legacy(raw: str) -> LegacyPacket:
    return decode_packet(raw)


def sio(raw: str, revision: int = 5, attachments: tuple[bytes, ...] = ()) -> SioPacket:
    """A live SIO packet from its Engine.IO message text (``42[...]``)."""
    assert raw.startswith("4")
    return dataclasses.replace(decode_sio(raw[1:], revision), attachments=attachments)


def sends(actions: list[Action]) -> list[str]:
    """The wire texts of the Send actions, in order."""
    return [wire_text(a.packet) for a in actions if isinstance(a, Send)]


def delays(actions: list[Action]) -> list[tuple[str, float]]:
    return [(wire_text(a.packet), round(a.delay, 6)) for a in actions if isinstance(a, Send)]


def mismatches(actions: list[Action]) -> list[Mismatch]:
    return [a for a in actions if isinstance(a, Mismatch)]


def sent(actions: list[object]) -> list[Send]:
    """The Send actions themselves (their ``text`` too), in order."""
    return [a for a in actions if isinstance(a, Send)]


class Quiet:
    """An app for a bare stand-in session: it does nothing."""

    def on_open(self, conn: object) -> None:
        return None

    def on_packet(self, conn: object, packet: object) -> None:
        return None

    def on_close(self, conn: object, reason: str) -> None:
        return None


def done(actions: list[Action]) -> bool:
    return any(isinstance(a, Done) for a in actions)
