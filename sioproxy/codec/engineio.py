"""Engine.IO packets, protocol versions 3 and 4 (docs/protocol.md#b2, B.5, B.7).

Layer: pure codec. Imports the standard library, ``sioproxy.errors`` and the
Socket.IO codec (for the dict form of messages); never twisted.

A text packet is ``<type digit><data>``. Binary data has two spellings:

* base64 inside text (polling payloads, ``b64=1``): ``b4<b64>`` in v3 (with the
  type digit), ``b<b64>`` in v4 (always a message), B.5.1/B.5.2 (b);
* a WebSocket binary frame: a type byte ``0x04`` then the data in v3, the raw
  data alone in v4 (B.7).
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Mapping
from dataclasses import dataclass
from enum import IntEnum
from typing import Any, Final

from sioproxy.codec import sio_dict
from sioproxy.codec import socketio as _sio
from sioproxy.codec.limits import too_deep
from sioproxy.errors import DecodeError, EncodeError
from sioproxy.fastbuild import draft_builder

__all__ = [
    "EioPacket",
    "EioType",
    "decode_eio",
    "eio_from_dict",
    "eio_packets_from_dict",
    "eio_to_dict",
    "encode_eio",
    "message_packet",
]


class EioType(IntEnum):
    """Engine.IO packet type; the value is the wire digit (B.2)."""

    OPEN = 0
    CLOSE = 1
    PING = 2
    PONG = 3
    MESSAGE = 4
    UPGRADE = 5
    NOOP = 6


@dataclass(frozen=True, slots=True, kw_only=True)
class EioPacket:
    """One Engine.IO packet. ``data`` is text, ``bytes`` for a binary message, or ``None``.

    An empty text packet (``4``) decodes with ``data=None``, as engine.io-parser
    leaves the field out (B.2); ``data=""`` encodes the same way.
    """

    type: EioType
    data: str | bytes | None = None


_TYPE_BY_CHAR: Final = {str(t.value): t for t in EioType}
# Packets are built without the generated frozen __init__: same values, much
# cheaper, and every frame of a proxied connection goes through here.
_build: Final = draft_builder(EioPacket)


def _make(ptype: EioType, data: str | bytes | None) -> EioPacket:
    packet: EioPacket = _build(type=ptype, data=data)
    return packet


_MESSAGE: Final = EioType.MESSAGE  # a module constant: enum member lookups are slow


def message_packet(data: str) -> EioPacket:
    """A text MESSAGE packet carrying ``data`` (as ``decode_eio("4" + data)`` gives it).

    Once per relayed message on the live proxy's hot path.
    """
    packet: EioPacket = _build(type=_MESSAGE, data=data)
    return packet


_TYPES: Final = tuple(EioType)
_PACKETS_NO_DATA: Final = {t: EioPacket(type=t) for t in EioType}


def _check_version(version: int) -> None:
    if version != 3 and version != 4:
        raise ValueError(f"Engine.IO version must be 3 or 4, not {version!r}")


def decode_eio(frame: str | bytes, version: int) -> EioPacket:
    """Decode one packet: a text packet or base64 form (str), or a WebSocket binary frame."""
    _check_version(version)
    if isinstance(frame, str):
        if not frame:
            raise DecodeError(f"eio{version}", "empty packet", frame, 0)
        ptype = _TYPE_BY_CHAR.get(frame[0])
        if ptype is not None:
            if len(frame) == 1:
                return _PACKETS_NO_DATA[ptype]
            return _make(ptype, frame[1:])
        if frame[0] == "b":
            return _decode_b64(frame, version)
        raise DecodeError(f"eio{version}", f"unknown packet type {frame[0]!r}", frame, 0)
    if version == 4:
        # v4 binary frames are the raw message data, no type byte (B.7).
        return _make(EioType.MESSAGE, bytes(frame))
    if not frame:
        raise DecodeError("eio3", "empty binary frame", frame, 0)
    if frame[0] >= len(_TYPES):
        raise DecodeError("eio3", f"unknown packet type byte {frame[0]}", frame, 0)
    return EioPacket(type=_TYPES[frame[0]], data=bytes(frame[1:]))


def _decode_b64(frame: str, version: int) -> EioPacket:
    start = 1
    ptype = EioType.MESSAGE
    if version == 3:
        # v3 keeps the type digit after the "b" (B.5.2 (b)).
        found = _TYPE_BY_CHAR.get(frame[1:2])
        if found is None:
            raise DecodeError("eio3", "base64 packet without a type digit", frame, 1)
        ptype, start = found, 2
    try:
        data = binascii.a2b_base64(frame[start:])
    except (binascii.Error, ValueError) as exc:
        # binascii.Error for bad padding; ValueError for non-ASCII text.
        raise DecodeError(f"eio{version}", f"invalid base64: {exc}", frame, start) from None
    return EioPacket(type=ptype, data=data)


def encode_eio(packet: EioPacket, version: int, *, b64: bool = False) -> str | bytes:
    """Encode one packet.

    Text data gives the str ``<digit><data>``. Bytes give a WebSocket binary
    frame (bytes), or with ``b64=True`` the str base64 form for polling bodies.
    """
    _check_version(version)
    ptype, data = packet.type, packet.data
    if not isinstance(ptype, EioType):
        raise EncodeError(f"eio{version}: {ptype!r} is not an EioType")
    if data is None or isinstance(data, str):
        return _DIGITS[ptype] + data if data else _DIGITS[ptype]
    if not isinstance(data, bytes | bytearray | memoryview):
        raise EncodeError(f"eio{version}: packet data must be str, bytes or None, not {data!r}")
    if version == 4:
        if ptype is not EioType.MESSAGE:
            raise EncodeError(f"eio4: only a message can carry binary data, not {ptype.name}")
        if b64:
            return "b" + base64.b64encode(data).decode("ascii")
        return bytes(data)
    if b64:
        return "b" + _DIGITS[ptype] + base64.b64encode(data).decode("ascii")
    return bytes((ptype,)) + data


_DIGITS: Final = {t: str(t.value) for t in EioType}


# --------------------------------------------------------------------------- dict form


def eio_to_dict(
    p: EioPacket, version: int = 4, *, sio: _sio.SioPacket | None = None
) -> dict[str, Any]:
    """The JSON dict form of a packet (docs/packets.md).

    A text message is shown as ``{"eio":"message","sio":{...}}`` with ``sio``
    if given, else decoded here with revision 4 (``version`` 3) or 5
    (``version`` 4); text that is no valid Socket.IO packet is shown as
    ``"data"``. A binary header shows ``attachments_expected``.
    """
    out: dict[str, Any] = {"eio": p.type.name.lower()}
    data = p.data
    if isinstance(data, bytes):
        out["binary"] = base64.b64encode(data).decode("ascii")
    elif not data:
        pass
    elif p.type is EioType.MESSAGE:
        if sio is None:
            try:
                sio = _sio.decode_sio(data, 4 if version == 3 else 5)
            except DecodeError:
                out["data"] = data
                return out
        out["sio"] = sio_dict.sio_to_dict(sio, 4 if version == 3 else 5)
    elif p.type is EioType.OPEN:
        out["data"] = _parse_open(data)
    else:
        out["data"] = data
    return out


def _parse_open(data: str) -> Any:
    if too_deep(data):
        return data  # shown as the text it is (codec.limits)
    try:
        obj = json.loads(data)
    except (ValueError, RecursionError):
        return data
    return obj if isinstance(obj, dict) else data


def eio_from_dict(d: Mapping[str, Any], version: int = 4) -> EioPacket:
    """Inverse of ``eio_to_dict``: one packet (for a binary SIO message, the header only).

    Raises ``EncodeError`` for a malformed dict.
    """
    name = d.get("eio")
    ptype = EioType.__members__.get(name.upper()) if isinstance(name, str) else None
    if ptype is None:
        raise EncodeError(f"eio: unknown packet type {name!r}")
    if "sio" in d:
        sio = sio_dict.sio_from_dict(d["sio"], 4 if version == 3 else 5)
        return EioPacket(type=ptype, data=_sio.encode_header(sio))
    if "binary" in d:
        try:
            return EioPacket(type=ptype, data=base64.b64decode(d["binary"], validate=True))
        except (binascii.Error, TypeError, ValueError) as exc:
            raise EncodeError(f"eio: bad base64 in {d!r}: {exc}") from None
    data = d.get("data")
    if isinstance(data, dict):
        data = json.dumps(data, separators=(",", ":"), ensure_ascii=False)
    if data is not None and not isinstance(data, str):
        raise EncodeError(f"eio: data must be a string or an object, not {data!r}")
    return EioPacket(type=ptype, data=data)


def eio_packets_from_dict(d: Mapping[str, Any], version: int = 4) -> list[EioPacket]:
    """Like ``eio_from_dict`` but a binary SIO message also yields its attachment messages."""
    first = eio_from_dict(d, version)
    if "sio" not in d:
        return [first]
    sio = sio_dict.sio_from_dict(d["sio"], 4 if version == 3 else 5)
    return [first, *(EioPacket(type=EioType.MESSAGE, data=a) for a in sio.attachments)]
