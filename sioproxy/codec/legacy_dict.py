"""Socket.IO 0.9 packets as gevent-socketio's dicts (docs/protocol.md#a6), and back.

Layer: pure codec. Imports only the standard library, ``legacy``,
``legacy_json`` and ``sioproxy.errors``; never twisted. The dict form is what
rules, hooks, ``--ignore`` pointers and replay comparisons see of a 0.9
packet (docs/packets.md), with node's tolerance where gevent is buggy (A.6, E.2).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from sioproxy.codec.legacy import (
    ADVICES,
    ID_LIMIT,
    MAX_ID_DIGITS,
    REASONS,
    LegacyPacket,
    LegacyType,
    ack_view,
    event_view,
    is_digits,
)
from sioproxy.codec.legacy_json import js_stringify
from sioproxy.errors import EncodeError

__all__ = ["packet_from_dict", "packet_to_dict"]

_TYPE_BY_NAME = {t.name.lower(): t for t in LegacyType}


def packet_to_dict(packet: LegacyPacket) -> dict[str, Any]:
    """gevent-socketio's dict for ``packet``, with node's tolerance for bad data.

    Beyond gevent: disconnect/heartbeat/noop keep an unexpected data field as
    ``data``, an ack whose data has no ack id keeps it as ``data``, and an id
    field of a lone ``+`` (node's encoding of id 0, A.4.2) gives ``ack: 'data'``
    without ``id``. So ``packet_from_dict`` gives the packet back.
    """
    ptype = packet.type
    out: dict[str, Any] = {"type": ptype.name.lower()}
    if packet.id is not None:
        out["id"] = packet.id
        out["ack"] = "data" if packet.ack_data else True
    elif packet.ack_data:
        out["ack"] = "data"
    out["endpoint"] = packet.endpoint
    if ptype is LegacyType.CONNECT:
        out["qs"] = packet.data or ""
    elif ptype is LegacyType.MESSAGE:
        out["data"] = packet.data or ""
    elif ptype is LegacyType.JSON:
        out["data"] = packet.json_data
    elif ptype is LegacyType.EVENT:
        has_name, name, args = event_view(packet)
        if has_name:
            out["name"] = name
        out["args"] = args
    elif ptype is LegacyType.ACK:
        ack_id, ack_args = ack_view(packet.data)
        if ack_id is None:
            out["data"] = packet.data or ""
        else:
            out["ackId"] = ack_id
            out["args"] = ack_args
    elif ptype is LegacyType.ERROR:
        out["reason"] = packet.reason
        out["advice"] = packet.advice
    elif packet.data is not None:
        out["data"] = packet.data
    return out


def packet_from_dict(d: Mapping[str, Any]) -> LegacyPacket:
    """Build a packet from the dict form; ``encode_packet`` then gives node's wire.

    Raises EncodeError with a clear message on a bad dict. Keys that do not
    belong to the type are ignored (gevent's own dicts carry some).
    """
    if not isinstance(d, Mapping):
        raise EncodeError(f"0.9 packet dict must be a mapping, got {type(d).__name__}")
    ptype = _dict_type(d.get("type"))
    endpoint = d.get("endpoint", "")
    if endpoint is None:
        endpoint = ""
    if not isinstance(endpoint, str) or ":" in endpoint:
        raise EncodeError(f"0.9 'endpoint' must be a str without ':', got {endpoint!r}")
    packet_id, ack_data = _dict_id(d)
    data = _DATA_BUILDERS[ptype](d)
    return LegacyPacket(
        type=ptype, id=packet_id, ack_data=ack_data, endpoint=endpoint, data=data or None
    )


def _dict_type(value: Any) -> LegacyType:
    if isinstance(value, str) and value in _TYPE_BY_NAME:
        return _TYPE_BY_NAME[value]
    if isinstance(value, LegacyType):
        return value
    names = ", ".join(_TYPE_BY_NAME)
    raise EncodeError(f"0.9 'type' must be one of {names}; got {value!r}")


def _dict_int(d: Mapping[str, Any], key: str) -> int:
    value = d[key]
    if isinstance(value, str) and is_digits(value):
        value = int(value) if len(value) <= MAX_ID_DIGITS else -1
    if type(value) is not int or value < 0 or value >= ID_LIMIT:
        raise EncodeError(f"0.9 {key!r} must be a non-negative integer, got {value!r}")
    return value


def _dict_id(d: Mapping[str, Any]) -> tuple[int | None, bool]:
    ack = d.get("ack", True)
    if ack is not True and ack != "data":
        raise EncodeError(f"0.9 'ack' must be true or \"data\", got {ack!r}")
    if d.get("id") is None:
        return None, ack == "data"
    return _dict_int(d, "id"), ack == "data"


def _dict_str(d: Mapping[str, Any], key: str) -> str:
    value = d.get(key, "")
    if value is None:
        return ""
    if not isinstance(value, str):
        raise EncodeError(f"0.9 {key!r} must be a str, got {type(value).__name__}")
    return value


def _js_has_length(value: Any) -> bool:
    # node: `args && args.length` — only arrays and strings have a length.
    return isinstance(value, list | tuple | str) and len(value) > 0


def _event_data(d: Mapping[str, Any]) -> str:
    obj: dict[str, Any] = {"name": d["name"]} if "name" in d else {}
    args = d.get("args")
    if _js_has_length(args):
        obj["args"] = args
    return js_stringify(obj)


def _ack_data(d: Mapping[str, Any]) -> str:
    if "ackId" not in d:
        if isinstance(d.get("data"), str):
            return str(d["data"])
        raise EncodeError("0.9 ack dict needs 'ackId'")
    args = d.get("args")
    tail = "+" + js_stringify(args) if _js_has_length(args) else ""
    return f"{_dict_int(d, 'ackId')}{tail}"


def _json_data(d: Mapping[str, Any]) -> str:
    if "data" not in d:
        raise EncodeError("0.9 json dict needs 'data'")
    return js_stringify(d["data"])


def _error_data(d: Mapping[str, Any]) -> str:
    reason = _error_index(d, "reason", REASONS)
    advice = _error_index(d, "advice", ADVICES)
    # Node's form 7::<ep>:<reason>[+<advice>], not gevent's 7:::<codes><ep> (A.6).
    return reason + (f"+{advice}" if advice else "")


def _error_index(d: Mapping[str, Any], key: str, names: tuple[str, ...]) -> str:
    value = d.get(key)
    if value is None or value == "":
        return ""
    if isinstance(value, str) and value in names:
        return str(names.index(value))
    if type(value) is int and 0 <= value < len(names):
        return str(value)  # a wire code instead of the name
    raise EncodeError(f"0.9 error {key!r} must be '' or one of {names}, got {value!r}")


_DATA_BUILDERS: dict[LegacyType, Callable[[Mapping[str, Any]], str]] = {
    LegacyType.DISCONNECT: lambda d: _dict_str(d, "data"),
    LegacyType.CONNECT: lambda d: _dict_str(d, "qs"),
    LegacyType.HEARTBEAT: lambda d: _dict_str(d, "data"),
    LegacyType.MESSAGE: lambda d: _dict_str(d, "data"),
    LegacyType.JSON: _json_data,
    LegacyType.EVENT: _event_data,
    LegacyType.ACK: _ack_data,
    LegacyType.ERROR: _error_data,
    LegacyType.NOOP: lambda d: _dict_str(d, "data"),
}
