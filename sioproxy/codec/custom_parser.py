"""An application's own Socket.IO parser, behind ``--parser module:Class`` (docs/packets.md).

Layer: pure codec; never twisted (the class is imported by the command line,
``sioproxy.cli.parser_opt``). The application's class speaks the packet dict
form and one Engine.IO message per packet:

* ``name``: a short string, recorded as the packet's ``"parser"``;
* ``decode(message: str | bytes) -> dict``: ``{"type", "nsp", "id"?, "data"?}``,
  ``type`` one of ``connect``, ``disconnect``, ``event``, ``ack``,
  ``connect_error``; ``data`` may hold ``bytes``; raise ``ValueError`` when
  the message is not a packet;
* ``encode(packet: dict) -> str | bytes``: the same dict form back to one message.

``DictParser`` turns that into a ``WireParser``: bytes in ``data`` become
placeholders and attachments (a ``binary_event``/``binary_ack``), as for
socket.io-msgpack-parser, and whatever the class raises becomes a
``DecodeError``/``EncodeError`` (a proxy forwards such a frame as it came).
"""

from __future__ import annotations

from typing import Any, Protocol

from sioproxy.codec import placeholders as _placeholders
from sioproxy.codec.sio_dict import type_name
from sioproxy.codec.socketio import SioPacket, SioType
from sioproxy.errors import DecodeError, EncodeError

__all__ = ["DictParser", "PacketDictParser"]

_TYPES = {
    "connect": SioType.CONNECT,
    "disconnect": SioType.DISCONNECT,
    "event": SioType.EVENT,
    "ack": SioType.ACK,
    "connect_error": SioType.CONNECT_ERROR,
    "binary_event": SioType.EVENT,
    "binary_ack": SioType.ACK,
}
_BINARY_OF = {SioType.EVENT: SioType.BINARY_EVENT, SioType.ACK: SioType.BINARY_ACK}
_PLAIN_OF = {SioType.BINARY_EVENT: SioType.EVENT, SioType.BINARY_ACK: SioType.ACK}


class PacketDictParser(Protocol):
    """What ``--parser module:Class`` names (see the module docstring)."""

    name: str

    def decode(self, message: str | bytes) -> dict[str, Any]: ...

    def encode(self, packet: dict[str, Any]) -> str | bytes: ...


class DictParser:
    """A ``WireParser`` around an application's ``PacketDictParser``."""

    def __init__(self, inner: PacketDictParser) -> None:
        self.inner = inner
        self.name = str(getattr(inner, "name", type(inner).__name__))

    def decode(self, data: str | bytes) -> SioPacket:
        protocol = f"sio {self.name}"
        try:
            d = self.inner.decode(data)
        except Exception as exc:
            raise DecodeError(protocol, f"{type(exc).__name__}: {exc}", data[:200]) from None
        if not isinstance(d, dict):
            raise DecodeError(protocol, f"decode gave {type(d).__name__}, not a dict", data[:200])
        ptype, nsp, pid = _TYPES.get(d.get("type")), d.get("nsp", "/"), d.get("id")  # type: ignore[arg-type]
        if ptype is None or not isinstance(nsp, str):
            raise DecodeError(protocol, f"bad type or nsp in {d!r}"[:200], data[:200])
        if pid is not None and (type(pid) is not int or pid < 0):
            raise DecodeError(protocol, f"bad id {pid!r}", data[:200])
        try:
            shown, buffers = _placeholders.deconstruct(d.get("data"))
        except EncodeError as exc:
            raise DecodeError(protocol, str(exc), data[:200]) from None
        if buffers:
            ptype = _BINARY_OF.get(ptype, ptype)
        binary = ptype in _PLAIN_OF
        return SioPacket(
            type=ptype,
            nsp=nsp,
            id=pid,
            data=shown,
            attachments=buffers,
            attachment_count=len(buffers) if binary else None,
        )

    def encode(self, packet: SioPacket) -> list[str | bytes]:
        d: dict[str, Any] = {
            "type": type_name(_PLAIN_OF.get(packet.type, packet.type), 5),
            "nsp": packet.nsp,
        }
        if packet.id is not None:
            d["id"] = packet.id
        if packet.data is not None:
            try:
                d["data"] = packet.resolved
            except DecodeError as exc:
                raise EncodeError(f"sio {self.name}: {exc}") from None
        try:
            message = self.inner.encode(d)
        except Exception as exc:
            raise EncodeError(f"sio {self.name}: {type(exc).__name__}: {exc}") from None
        if not isinstance(message, str | bytes):
            raise EncodeError(f"sio {self.name}: encode gave {type(message).__name__}")
        return [message]
