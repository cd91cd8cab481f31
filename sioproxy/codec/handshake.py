"""The Engine.IO open packet (handshake), versions 3 and 4 (docs/protocol.md#b3).

Layer: pure codec, imports the standard library and ``sioproxy.errors`` only;
never twisted.

The data of the open packet is a JSON object. Node writes the keys in the
order ``sid, upgrades, pingInterval, pingTimeout, maxPayload``; v3 servers
leave ``maxPayload`` out. Other keys are kept in ``extra``. ``raw`` keeps the
text as received so an unchanged handshake re-encodes to the same bytes.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any, Final

from sioproxy.codec.limits import depth_error, too_deep
from sioproxy.errors import DecodeError, EncodeError

__all__ = ["OpenInfo", "decode_open", "encode_open"]

_KNOWN: Final = ("sid", "upgrades", "pingInterval", "pingTimeout", "maxPayload")
_PROTOCOL: Final = "eio open"


@dataclass(frozen=True, slots=True, kw_only=True)
class OpenInfo:
    """The parsed handshake. Times are milliseconds, ``max_payload`` bytes (v4 only)."""

    sid: str
    upgrades: tuple[str, ...] = ()
    ping_interval: int = 25000
    ping_timeout: int = 20000
    max_payload: int | None = None
    extra: dict[str, Any] = field(default_factory=dict)
    raw: str | None = field(default=None, compare=False)


def _is_int(value: Any) -> bool:
    return type(value) is int


def decode_open(data: str) -> OpenInfo:
    """Parse the data of an open packet (the JSON after the ``0``)."""
    if too_deep(data):
        raise DecodeError(_PROTOCOL, depth_error(), data, 0)
    try:
        obj = json.loads(data)
    except (ValueError, RecursionError) as exc:
        pos = getattr(exc, "pos", 0)
        raise DecodeError(_PROTOCOL, f"invalid JSON: {exc}", data, pos) from None
    if type(obj) is not dict:
        raise DecodeError(_PROTOCOL, "handshake is not a JSON object", data, 0)
    sid = obj.get("sid")
    if type(sid) is not str:
        raise DecodeError(_PROTOCOL, "sid is missing or not a string", data, 0)
    # The v3 spec's WebSocket sample omits "upgrades" (B.3): tolerate it.
    upgrades = obj.get("upgrades", [])
    if type(upgrades) is not list or not all(type(u) is str for u in upgrades):
        raise DecodeError(_PROTOCOL, "upgrades is not a list of strings", data, 0)
    for key in ("pingInterval", "pingTimeout"):
        if not _is_int(obj.get(key)):
            raise DecodeError(_PROTOCOL, f"{key} is missing or not an integer", data, 0)
    max_payload = obj.get("maxPayload")
    if max_payload is not None and not _is_int(max_payload):
        raise DecodeError(_PROTOCOL, "maxPayload is not an integer", data, 0)
    return OpenInfo(
        sid=sid,
        upgrades=tuple(upgrades),
        ping_interval=obj["pingInterval"],
        ping_timeout=obj["pingTimeout"],
        max_payload=max_payload,
        extra={k: v for k, v in obj.items() if k not in _KNOWN},
        raw=data,
    )


def encode_open(info: OpenInfo) -> str:
    """The open packet's data; ``raw`` when unchanged, else node's key order, compact JSON."""
    if info.raw is not None:
        try:
            if decode_open(info.raw) == info:
                return info.raw
        except DecodeError:
            pass
    obj: dict[str, Any] = {
        "sid": info.sid,
        "upgrades": list(info.upgrades),
        "pingInterval": info.ping_interval,
        "pingTimeout": info.ping_timeout,
    }
    if info.max_payload is not None:
        obj["maxPayload"] = info.max_payload
    for key, value in info.extra.items():
        if key in _KNOWN:
            raise EncodeError(f"eio open: extra key {key!r} shadows a handshake field")
        obj[key] = value
    try:
        return json.dumps(obj, separators=(",", ":"), ensure_ascii=False, allow_nan=False)
    except (TypeError, ValueError) as exc:
        raise EncodeError(f"eio open: not JSON: {exc}") from None
