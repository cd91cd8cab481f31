"""Value carry-over for client-side replay: ``--capture NAME=EVENT:JSONPOINTER``.

Layer: pure. Imports the standard library, the codec, ``sioproxy.errors``,
``sioproxy.jsonpointer`` and the recording's ``wire_text``; never twisted.
``NAME=EVENT:POINTER`` takes the value at POINTER (into the dict form, like
``--ignore``) of the live server packet for EVENT (an event name, or the event
an ack answers) and, in every later client packet, puts it wherever the
recorded value was; captured pointers are not compared. ``Captured`` holds one
connection's values (``take``, with ``jsonpointer.find``) and puts them in
(``apply``); ``substitute`` puts a live value wherever the recorded one appears
in a later value, ``carry`` in a later packet (docs/replay-client.md "Carrying
values over").
"""

from __future__ import annotations

import dataclasses
import re
from dataclasses import dataclass
from typing import Any, Final

from sioproxy.codec.legacy_dict import packet_from_dict, packet_to_dict
from sioproxy.codec.packets import Packet
from sioproxy.codec.socketio import SioPacket
from sioproxy.errors import ConfigError, EncodeError
from sioproxy.jsonpointer import Pointer, PointerError, find, parse
from sioproxy.recording.script import wire_text

__all__ = ["STRUCTURAL_KEYS", "Capture", "Captured", "carry", "parse_capture", "substitute"]

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


class Captured:
    """One connection's captured values: NAME -> (recorded, live); notes what fails."""

    def __init__(self, notes: list[str]) -> None:
        self.values: dict[str, tuple[Any, Any]] = {}
        self.notes = notes

    def take(self, capture: Capture, seq: int, recorded: Any, live: Any) -> None:
        """Take ``capture`` from the dict forms of recorded step ``seq`` and its live packet."""
        ok_rec, old = find(recorded, capture.pointer)
        ok_live, new = find(live, capture.pointer)
        if not (ok_rec and ok_live):
            self.notes.append(f"--capture {capture.text}: no value at seq {seq}")
        elif old != new or type(old) is not type(new):
            self.values[capture.name] = (old, new)
        else:
            self.values.setdefault(capture.name, (old, new))

    def apply(self, packet: Packet) -> Packet:
        """``packet`` with every captured live value wherever its recorded one was."""
        for old, new in self.values.values():
            try:
                packet = carry(packet, old, new)
            except EncodeError as exc:
                self.notes.append(f"capture not applied to {wire_text(packet)}: {exc}")
        return packet
