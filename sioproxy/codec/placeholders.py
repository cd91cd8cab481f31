"""Binary attachment placeholders in Socket.IO JSON data (docs/protocol.md#c6).

Layer: pure codec. Imports the standard library and ``sioproxy.errors`` only,
so both ``socketio`` (decoding a header) and ``binary`` (packets with
attachments) can use it without importing each other.

A binary packet's JSON holds ``{"_placeholder":true,"num":k}`` objects where
the k-th attachment goes; these functions find, check, fill and cut them.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sioproxy.errors import DecodeError, EncodeError

__all__ = ["check_placeholders", "deconstruct", "has_binary", "reassemble"]

_BUFFER_TYPES = (bytes, bytearray, memoryview)


def _placeholder_num(obj: dict[str, Any]) -> Any:
    """``num`` of a placeholder object, or ``...`` when ``obj`` is no placeholder.

    node tests ``data._placeholder === true`` (C.3, CVE-2022-2421 fix).
    """
    return obj.get("num") if obj.get("_placeholder") is True else ...


def _valid_num(num: Any, count: int) -> bool:
    return type(num) is int and 0 <= num < count


def check_placeholders(data: Any, count: int, protocol: str, text: str, offset: int) -> None:
    """Raise ``DecodeError`` unless every placeholder's ``num`` is an int in ``[0, count)``.

    Iterative, so JSON nested as deep as the json module allows cannot blow the stack.
    """
    stack = [data]
    pop, push = stack.pop, stack.extend
    while stack:
        item = pop()
        kind = type(item)
        if kind is list:
            push(item)
        elif kind is dict:
            num = _placeholder_num(item)
            if num is ...:
                push(item.values())
            elif not _valid_num(num, count):
                reason = f"illegal attachments: placeholder num {num!r} not in [0, {count})"
                raise DecodeError(protocol, reason, text, offset)


def reassemble(data: Any, attachments: Sequence[bytes]) -> Any:
    """A copy of ``data`` with each placeholder replaced by ``attachments[num]``.

    Raises ``DecodeError`` (protocol ``sio``) for a placeholder whose ``num``
    is not an integer index into ``attachments``.
    """
    try:
        return _reassemble(data, attachments)
    except RecursionError:
        raise DecodeError("sio", "payload nested too deeply", repr(data)[:200], 0) from None


def _reassemble(data: Any, attachments: Sequence[bytes]) -> Any:
    kind = type(data)
    if kind is list:
        return [_reassemble(x, attachments) for x in data]
    if kind is dict:
        num = _placeholder_num(data)
        if num is ...:
            return {k: _reassemble(v, attachments) for k, v in data.items()}
        if not _valid_num(num, len(attachments)):
            reason = f"illegal attachments: placeholder num {num!r} not in [0, {len(attachments)})"
            raise DecodeError("sio", reason, repr(data)[:200], 0)
        return attachments[num]
    return data


def deconstruct(data: Any) -> tuple[Any, tuple[bytes, ...]]:
    """Replace every buffer in ``data`` by a placeholder, depth-first (C.6).

    Lists (and tuples) in index order, dicts in insertion order; ``num`` counts
    0, 1, ... in discovery order. Returns the new data and the buffers; the
    input is not modified.
    """
    found: list[bytes] = []
    try:
        return _deconstruct(data, found), tuple(found)
    except RecursionError:
        raise EncodeError("sio: payload nested too deeply") from None


def _deconstruct(data: Any, found: list[bytes]) -> Any:
    if isinstance(data, _BUFFER_TYPES):
        found.append(bytes(data))
        return {"_placeholder": True, "num": len(found) - 1}
    if isinstance(data, list | tuple):
        return [_deconstruct(x, found) for x in data]
    if isinstance(data, dict):
        return {k: _deconstruct(v, found) for k, v in data.items()}
    return data


def has_binary(data: Any) -> bool:
    """True when ``data`` contains bytes, bytearray or memoryview anywhere."""
    stack = [data]
    while stack:
        item = stack.pop()
        if isinstance(item, _BUFFER_TYPES):
            return True
        if isinstance(item, list | tuple):
            stack.extend(item)
        elif isinstance(item, dict):
            stack.extend(item.values())
    return False
