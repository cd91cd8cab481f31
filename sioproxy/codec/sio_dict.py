"""The JSON dict form of a modern Socket.IO packet (docs/packets.md).

Layer: pure codec. ``sio_to_dict`` and ``sio_from_dict`` turn a ``SioPacket``
into the dict a recording, a rule or a log line shows and back; ``type_name``
is a type's name there (type 4 is ``error`` in protocol revision 4,
``connect_error`` in 5). The wire format itself is ``codec/socketio.py``.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Mapping
from typing import Any, Final

from sioproxy.codec.socketio import BINARY_TYPES, SioPacket, SioType
from sioproxy.errors import EncodeError
from sioproxy.fastbuild import draft_builder

__all__ = ["sio_from_dict", "sio_to_dict", "type_name"]

_NAMES: Final = {
    SioType.CONNECT: "connect",
    SioType.DISCONNECT: "disconnect",
    SioType.EVENT: "event",
    SioType.ACK: "ack",
    SioType.CONNECT_ERROR: "connect_error",
    SioType.BINARY_EVENT: "binary_event",
    SioType.BINARY_ACK: "binary_ack",
}
_BY_NAME: Final = {v: k for k, v in _NAMES.items()} | {"error": SioType.CONNECT_ERROR}


def type_name(ptype: SioType, revision: int) -> str:
    """The dict-form name of a type: type 4 is ``error`` in revision 4."""
    if ptype is SioType.CONNECT_ERROR and revision == 4:
        return "error"
    return _NAMES[ptype]


def sio_to_dict(p: SioPacket, revision: int) -> dict[str, Any]:
    """The JSON dict form (docs/packets.md); ``id``/``data``/``options`` omitted when absent."""
    out: dict[str, Any] = {"type": type_name(p.type, revision), "nsp": p.nsp}
    if p.id is not None:
        out["id"] = p.id
    if p.data is not None:
        out["data"] = p.data
    if p.options is not None:
        out["options"] = p.options
    if p.attachments:
        out["attachments"] = [base64.b64encode(a).decode("ascii") for a in p.attachments]
    if p.attachments_expected > 0:
        out["attachments_expected"] = p.attachments_expected
    return out


def sio_from_dict(d: Mapping[str, Any], revision: int) -> SioPacket:
    """Inverse of ``sio_to_dict``; accepts ``error`` and ``connect_error`` in both revisions.

    Raises ``EncodeError`` for a malformed dict (it describes a packet we would send).
    """
    ptype = _BY_NAME.get(d.get("type"))  # type: ignore[arg-type]
    if ptype is None:
        raise EncodeError(f"sio: unknown packet type {d.get('type')!r}")
    nsp = d.get("nsp", "/")
    pid = d.get("id")
    if not isinstance(nsp, str) or (pid is not None and type(pid) is not int):
        raise EncodeError(f"sio: bad nsp or id in {d!r}")
    atts: tuple[bytes, ...] = ()
    if "attachments" in d:
        try:
            atts = tuple(base64.b64decode(a, validate=True) for a in d["attachments"])
        except (binascii.Error, TypeError, ValueError) as exc:
            raise EncodeError(f"sio: bad base64 attachment: {exc}") from None
    expected = d.get("attachments_expected", 0)
    if type(expected) is not int or expected < 0:
        raise EncodeError(f"sio: bad attachments_expected {expected!r}")
    count = len(atts) + expected if ptype in BINARY_TYPES else None
    if count is None and (atts or expected):
        raise EncodeError(f"sio: a {ptype.name} packet cannot carry attachments")
    # What ``SioPacket(...)`` makes (its __post_init__ sets only a binary
    # packet's count, given here), without the frozen __init__: a replay
    # builds one per recorded packet.
    packet: SioPacket = _build(
        type=ptype,
        nsp=nsp,
        id=pid,
        data=d.get("data"),
        attachments=atts,
        attachment_count=count,
        options=d.get("options"),
        raw=None,
        _pristine=False,
    )
    return packet


_build = draft_builder(SioPacket)
