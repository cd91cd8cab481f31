"""Socket.IO packets of socket.io-msgpack-parser (docs/protocol.md#c9).

Layer: pure codec. Imports the standard library, ``sioproxy.errors`` and the
codec's own modules; never twisted.

With that parser each Socket.IO packet is one MessagePack map, sent as one
binary Engine.IO message (a binary WebSocket frame, ``b<base64>`` in a
polling payload): ``{"type": 0..4, "nsp": "/", "data": ..., "id": n}``, plus
whatever else the sender's packet object held. socket.io-client's emit adds
``options`` (``{"compress": true}``), kept in ``SioPacket.options`` and written
back where socket.io-client puts it; other keys are dropped. Binary values
travel inside the map as msgpack ``bin``; there are no attachments and no
BINARY_* types on the wire.

The packet decodes to the same ``SioPacket`` as the default parser would
give for it, so that everything after the codec (recordings, rules, replay
matching) sees one form: a packet whose data holds binary values becomes a
BINARY_EVENT/BINARY_ACK with placeholders and ``attachments``. Encoding
turns that back into the msgpack form: type 2/3, the buffers in place.
"""

from __future__ import annotations

from typing import Any, Final

from sioproxy.codec import placeholders as _placeholders
from sioproxy.codec.msgpack import decode_msgpack, encode_msgpack
from sioproxy.codec.socketio import SioPacket, SioType
from sioproxy.errors import DecodeError, EncodeError

__all__ = ["decode_sio_msgpack", "encode_sio_msgpack", "looks_like_msgpack_packet"]

_PROTOCOL: Final = "sio msgpack"
_WIRE_TYPES: Final = {
    SioType.BINARY_EVENT: SioType.EVENT,
    SioType.BINARY_ACK: SioType.ACK,
}
_BINARY_OF: Final = {SioType.EVENT: SioType.BINARY_EVENT, SioType.ACK: SioType.BINARY_ACK}


def decode_sio_msgpack(data: bytes) -> SioPacket:
    """One packet from one binary message; ``DecodeError`` where the parser throws.

    The checks are socket.io-msgpack-parser 3.0's ``checkPacket``: an integer
    type 0 to 4, a string namespace, an integer id if any, and the payload
    its type needs. One leniency: a ``data`` of nil counts as absent, where the
    parser wants it undefined; python-socketio's msgpack serializer writes nil
    (docs/packets.md, "python-socketio's msgpack vs socket.io-msgpack-parser").
    """
    value = decode_msgpack(data)
    if not isinstance(value, dict):
        raise DecodeError(_PROTOCOL, "not a map", data[:200])
    ptype = value.get("type")
    if type(ptype) is not int or not 0 <= ptype <= SioType.CONNECT_ERROR:
        raise DecodeError(_PROTOCOL, "invalid packet type", data[:200])
    nsp = value.get("nsp")
    if not isinstance(nsp, str):
        raise DecodeError(_PROTOCOL, "invalid namespace", data[:200])
    pid = value.get("id")
    if pid is not None and (type(pid) is not int or pid < 0):
        raise DecodeError(_PROTOCOL, "invalid packet id", data[:200])
    kind = SioType(ptype)
    payload = value.get("data")
    if not _payload_valid(kind, payload):
        raise DecodeError(_PROTOCOL, "invalid payload", data[:200])
    shown, buffers = _placeholders.deconstruct(payload)
    if buffers:
        kind = _BINARY_OF.get(kind, kind)
    options = value.get("options")
    return SioPacket(
        type=kind,
        nsp=nsp,
        id=pid,
        data=shown,
        attachments=buffers,
        attachment_count=len(buffers) if kind in _WIRE_TYPES else None,
        # The dict form is JSON: options holding bytes are dropped (none known).
        options=None if _placeholders.has_binary(options) else options,
    )


def _payload_valid(kind: SioType, payload: Any) -> bool:
    if kind is SioType.CONNECT:
        return payload is None or isinstance(payload, dict)
    if kind is SioType.DISCONNECT:
        return payload is None
    if kind is SioType.CONNECT_ERROR:
        return isinstance(payload, str | dict)
    return isinstance(payload, list)


def encode_sio_msgpack(packet: SioPacket) -> bytes:
    """The packet as socket.io-msgpack-parser sends it.

    Keys type, data, nsp, id; a packet with ``options`` is one of
    socket.io-client's emits, whose map notepack.io writes in the order the
    client built it: type, data, options, id, nsp (byte for byte the same).
    """
    if not isinstance(packet.type, SioType):
        raise EncodeError(f"sio msgpack: {packet.type!r} is not a SioType")
    if packet.attachments_expected > 0:
        raise EncodeError("sio msgpack: the packet still waits for attachments")
    if packet.id is not None and (type(packet.id) is not int or packet.id < 0):
        raise EncodeError(f"sio msgpack: ack id {packet.id!r} is not a non-negative int")
    out: dict[str, Any] = {"type": int(_WIRE_TYPES.get(packet.type, packet.type))}
    if packet.data is not None:
        try:
            out["data"] = packet.resolved
        except DecodeError as exc:  # a placeholder with no buffer behind it
            raise EncodeError(f"sio msgpack: {exc}") from None
    tail: dict[str, Any] = {"nsp": packet.nsp}
    if packet.id is not None:
        tail["id"] = packet.id
    if packet.options is not None:  # socket.io-client's emit: options, id, nsp
        out["options"] = packet.options
        tail = dict(reversed(tail.items()))
    return encode_msgpack(out | tail)


def looks_like_msgpack_packet(data: bytes) -> bool:
    """Whether a binary message with no binary header before it is a msgpack packet."""
    try:
        decode_sio_msgpack(data)
    except DecodeError:
        return False
    return True
