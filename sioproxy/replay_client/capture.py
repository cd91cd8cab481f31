"""Value carry-over for client-side replay: ``--capture NAME=EVENT:JSONPOINTER``.

Layer: pure. Imports the standard library, ``sioproxy.errors`` and
``sioproxy.jsonpointer``; never twisted. The replayer reads the value at the
pointer of a packet's dict form (``jsonpointer.find``); ``substitute`` puts a
live value wherever the recorded one appears in a later value, ``carry`` in a later packet
(docs/replay-client.md "Carrying values over").
"""

from __future__ import annotations

import dataclasses
import re
from dataclasses import dataclass
from typing import Any, Final

from sioproxy.codec.legacy_dict import packet_from_dict, packet_to_dict
from sioproxy.codec.packets import Packet
from sioproxy.codec.socketio import SioPacket
from sioproxy.errors import ConfigError
from sioproxy.jsonpointer import Pointer, PointerError, parse

__all__ = ["STRUCTURAL_KEYS", "Capture", "carry", "parse_capture", "substitute"]

_CAPTURE: Final = re.compile(r"^(?P<name>[A-Za-z_][A-Za-z0-9_.-]*)=(?P<event>[^:]+):(?P<ptr>/.*)$")
#: Dict-form keys a carried value never replaces (0.9 and modern).
STRUCTURAL_KEYS: Final = frozenset({"type", "endpoint", "nsp", "id", "ack", "ackId"})


@dataclass(frozen=True, slots=True, kw_only=True)
class Capture:
    """``NAME=EVENT:POINTER``: carry a live value over into later client packets."""

    name: str
    event: str
    pointer: Pointer
    text: str


def parse_capture(text: str) -> Capture:
    """Parse ``NAME=EVENT:JSONPOINTER``; raises ConfigError."""
    found = _CAPTURE.match(text)
    if found is None:
        raise ConfigError(None, None, f"--capture {text!r}: expected NAME=EVENT:/json/pointer")
    try:
        pointer = parse(found["ptr"])
    except PointerError as exc:
        raise ConfigError(None, None, f"--capture {text!r}: {exc}") from None
    return Capture(name=found["name"], event=found["event"], pointer=pointer, text=text)


def substitute(value: Any, old: Any, new: Any) -> Any:
    """``value`` with every JSON value equal to ``old`` (same type) replaced by ``new``."""
    if type(value) is type(old) and value == old:
        return new
    if isinstance(value, list):
        return [substitute(v, old, new) for v in value]
    if isinstance(value, dict):
        return {k: substitute(v, old, new) for k, v in value.items()}
    if isinstance(value, str) and isinstance(old, str) and len(old) >= 4 and old in value:
        return value.replace(old, str(new))  # an id inside a longer string, e.g. a path
    return value


def carry(packet: Packet, old: Any, new: Any) -> Packet:
    """``packet`` with the live value ``new`` wherever the recorded ``old`` was.

    Raises EncodeError when a 0.9 packet cannot be rebuilt from its changed dict form.
    """
    if isinstance(packet, SioPacket):
        data = substitute(packet.data, old, new)
        return packet if data == packet.data else dataclasses.replace(packet, data=data)
    d = packet_to_dict(packet)
    changed = {k: v if k in STRUCTURAL_KEYS else substitute(v, old, new) for k, v in d.items()}
    return packet if changed == d else packet_from_dict(changed)
