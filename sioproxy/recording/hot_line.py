"""The recording line of a plain packet, made straight from its event: the hot path.

Layer: pure (recording). :func:`packet_line` gives the same bytes as
``encode_line(entry_for(event).to_json())`` (``live_recorder.entry_for``) for
a packet with nothing to redact, no attachments, no rewrite and no decode
error, which is nearly every packet, without a ``PacketEntry``, a ``to_json``
dict or a redaction copy (tests/recording/test_live_recorder.py and
tests/recording/test_legacy_fast_lines.py compare the two). It keeps the JSON
text of the last packet's arguments for the default log (``encoded_data``,
``encoded_legacy``), which shows the same text.
"""

from __future__ import annotations

import math
from typing import Any

from sioproxy.codec.legacy import LegacyPacket, LegacyType, ack_view, event_view
from sioproxy.codec.legacy_dict import packet_to_dict
from sioproxy.codec.sio_dict import type_name
from sioproxy.codec.socketio import SioPacket, SioType
from sioproxy.recording.writer import json_string, json_text
from sioproxy.session.events import PacketSeen
from sioproxy.types import Direction, Generation, TransportName

_DIRS = {d: f'"{d.value}"' for d in Direction}
_TRANSPORTS = {t.value: json_string(t.value) for t in TransportName}


def packet_line(event: PacketSeen) -> bytes | None:
    """The recording line of a plain packet, as ``encode_line(entry_for(event).to_json())``.

    None when the event needs the entry path: attachments, binary raw, a
    decode error, a rewrite (``original``/``note``), values the line cannot
    hold as they are (an unknown transport, a non-finite time: the entry path
    raises for those), or text with no UTF-8 form (the entry path escapes it).
    """
    raw, t, seq = event.raw, event.t, event.seq
    if (
        type(raw) is not str
        or event.attachments
        or event.error is not None
        or event.original is not None
        or event.note is not None
        or event.fate is not None
        or event.parser is not None
        or type(t) is not float
        or not math.isfinite(t)
        or type(seq) is not int
        or type(event.conn) is not str
    ):
        return None
    transport = _TRANSPORTS.get(event.transport)
    if transport is None:
        return None
    sio = event.sio
    if sio is not None and event.legacy is None and event.eio is not None:
        packet = _sio_text(sio, event.generation)
        if packet is None:
            return None
    elif event.legacy is not None:
        packet = _legacy_text(event.legacy)
    else:
        decoded = event.decoded()
        if decoded is None:
            return None
        packet = json_text(decoded)
    ack_of = event.ack_of
    tail = "}\n" if ack_of is None else f',"ack_of":{_int_text(ack_of)}}}\n'
    text = (
        f'{{"kind":"packet","seq":{_int_text(seq)},"conn":{_string(event.conn)},'
        f'"t":{_float_text(round(t, 6))},"dir":{_DIRS[event.direction]},'
        f'"transport":{transport},"raw":{_string(raw)},"packet":{packet}{tail}'
    )
    try:
        return text.encode("utf-8")
    except UnicodeEncodeError:
        return None  # a lone surrogate: encode_line's \uXXXX fallback


def _sio_text(sio: SioPacket, generation: Generation) -> str | None:
    """``{"eio":"message","sio":{...}}`` as ``PacketSeen.decoded`` and ``sio_to_dict`` give it."""
    pid, data = sio.id, sio.data
    if sio.attachment_count or type(sio.nsp) is not str:
        return None
    if pid is None:
        id_part = ""
    elif type(pid) is int:
        id_part = f',"id":{_int_text(pid)}'
    else:
        return None
    head = _SIO_HEADS[generation is _EIO3][sio.type]
    if data is None:
        return f"{head}{_string(sio.nsp)}{id_part}}}}}"
    text = json_text(data)
    _last_data[0], _last_data[1] = data, text
    return f'{head}{_string(sio.nsp)}{id_part},"data":{text}}}}}'


# The last packet data encoded for a line, and its text (``encoded_data``).
_last_data: list[Any] = [None, ""]


def _legacy_text(packet: LegacyPacket) -> str:
    """``json_text(packet_to_dict(packet))``; for an event or an ack, made from its parts
    (one JSON parse, no dict) with the args' text kept for the log (``encoded_legacy``)."""
    ptype = packet.type
    if ptype is _L_EVENT:
        has_name, name, args = event_view(packet)
        tail = f',"name":{json_text(name)},"args":' if has_name else ',"args":'
    elif ptype is _L_ACK:
        ack_id, args = ack_view(packet.data)
        if ack_id is None:
            return json_text(packet_to_dict(packet))
        tail = f',"ackId":{ack_id},"args":'
    else:
        return json_text(packet_to_dict(packet))
    pid = packet.id
    if pid is not None:
        ack = _LEGACY_ACK_DATA if packet.ack_data else ',"ack":true'
        head = f'{_LEGACY_HEADS[ptype]},"id":{pid}{ack},"endpoint":'
    else:
        head = _LEGACY_HEADS[ptype] + (_LEGACY_ACK_DATA if packet.ack_data else "")
        head += ',"endpoint":'
    args_text = json_text(args)
    shown = (name if has_name else None) if ptype is _L_EVENT else ack_id
    _last_legacy[0], _last_legacy[1], _last_legacy[2] = packet, shown, args_text
    return f"{head}{_string(packet.endpoint)}{tail}{args_text}}}"


_L_EVENT = LegacyType.EVENT
_L_ACK = LegacyType.ACK
_LEGACY_HEADS = {t: f'{{"type":"{t.name.lower()}"' for t in LegacyType}
_LEGACY_ACK_DATA = ',"ack":"data"'


# The last 0.9 event or ack written to a line: (packet, the event's name (None
# without one) or the ack's id, the args' JSON text). The packet is held, so the
# identity test cannot be fooled by a new packet at a freed one's address.
_last_legacy: list[Any] = [None, None, ""]


def encoded_legacy(packet: LegacyPacket) -> tuple[Any, str] | None:
    """(event name or ack id, JSON text of the args) of this very 0.9 event or ack
    if ``packet_line`` wrote it last, else None: ``encoded_data`` for 0.9 packets."""
    if _last_legacy[0] is not packet:
        return None
    return _last_legacy[1], _last_legacy[2]


def encoded_data(data: object) -> str | None:
    """The JSON text of this very ``data`` object if it is the last packet data
    ``packet_line`` encoded, else None.

    The default log shows a packet's arguments as the same compact JSON
    (``json.dumps(..., ensure_ascii=False, separators=(",", ":"))``), so it
    takes the text the recorder made a moment before instead of encoding the
    arguments again (docs/performance.md, round 6). Identity, not equality:
    another packet's equal data is another object.
    """
    text: str = _last_data[1]
    return text if _last_data[0] is data else None


# The line's constant parts, formatted once: per revision (4 over EIO3, else
# 5), the packet object up to the namespace string.
_SIO_HEADS = {
    eio3: {
        ptype: f'{{"eio":"message","sio":{{"type":"{type_name(ptype, 4 if eio3 else 5)}","nsp":'
        for ptype in SioType
    }
    for eio3 in (False, True)
}
_string = json_string  # a str's JSON literal
# Enum members as constants: ``Generation.EIO3`` is a slow metaclass lookup.
_EIO3 = Generation.EIO3
_int_text = int.__repr__
_float_text = float.__repr__
