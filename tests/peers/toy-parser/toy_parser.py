"""sioproxy's side of tests/peers/toy-parser/parser.js, for ``--parser toy_parser.py:ToyParser``.

The interface is docs/packets.md "Custom parsers": ``name``, ``decode(message)``
and ``encode(packet)`` between one message and the packet dict form.
"""

from __future__ import annotations

import base64
import json
from typing import Any

_TYPES = ["connect", "disconnect", "event", "ack", "connect_error"]


def _unpack(value: Any) -> Any:
    if isinstance(value, list):
        return [_unpack(v) for v in value]
    if isinstance(value, dict):
        if list(value) == ["$b"]:
            return base64.b64decode(value["$b"])
        return {k: _unpack(v) for k, v in value.items()}
    return value


def _pack(value: Any) -> Any:
    if isinstance(value, bytes):
        return {"$b": base64.b64encode(value).decode("ascii")}
    if isinstance(value, list):
        return [_pack(v) for v in value]
    if isinstance(value, dict):
        return {k: _pack(v) for k, v in value.items()}
    return value


class ToyParser:
    name = "toy"

    def decode(self, message: str | bytes) -> dict[str, Any]:
        if not isinstance(message, str) or not message.startswith("toy:"):
            raise ValueError("not a toy packet")
        wire = json.loads(message[4:])
        packet: dict[str, Any] = {"type": _TYPES[wire["type"]], "nsp": wire["nsp"]}
        if "id" in wire:
            packet["id"] = wire["id"]
        if "data" in wire:
            packet["data"] = _unpack(wire["data"])
        return packet

    def encode(self, packet: dict[str, Any]) -> str:
        wire: dict[str, Any] = {"type": _TYPES.index(packet["type"]), "nsp": packet["nsp"]}
        if "id" in packet:
            wire["id"] = packet["id"]
        if "data" in packet:
            wire["data"] = _pack(packet["data"])
        return "toy:" + json.dumps(wire, separators=(",", ":"), ensure_ascii=False)
