"""Reading one JSON object of a recording line: ``LineFields``.

Layer: pure (recording). Standard library, ``sioproxy.errors`` and
``sioproxy.textsafe`` only; never twisted. Every ``from_json`` of the
recording model reads its keys through ``LineFields``, which checks each type
and raises a ``RecordingError`` naming the file, line, key and what was found.
"""

from __future__ import annotations

import base64
import binascii
import functools
import math
from enum import StrEnum
from typing import Any, NoReturn, TypeVar

from sioproxy.errors import RecordingError
from sioproxy.textsafe import preview

__all__ = ["JsonObject", "LineFields", "is_int", "members_by_value", "show_value"]

JsonObject = dict[str, Any]
_E = TypeVar("_E", bound=StrEnum)
_SHOW_LIMIT = 63


def show_value(value: Any) -> str:
    """A value as JSON, cut short, for error messages."""
    return preview(value, _SHOW_LIMIT, spaced=True, default=None)


def is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


@functools.cache
def members_by_value(enum: type[_E]) -> dict[str, _E]:
    """``enum``'s members by value, in definition order: iterating an enum per
    field read was a third of reading a recording."""
    return {member.value: member for member in enum}


class LineFields:
    """Typed access to one JSON object of a recording line; raises RecordingError."""

    __slots__ = ("_line", "_obj", "_path", "_prefix", "_what")

    def __init__(self, obj: Any, what: str, path: str, line: int | None, prefix: str = "") -> None:
        self._what, self._path, self._line, self._prefix = what, path, line, prefix
        if not isinstance(obj, dict):
            self.fail(f"expected a JSON object, got {show_value(obj)}")
        self._obj: dict[str, Any] = obj

    def fail(self, reason: str) -> NoReturn:
        raise RecordingError(self._path, self._line, f"{self._what}: {reason}")

    def _name(self, key: str) -> str:
        return f'"{self._prefix}{key}"'

    def items(self) -> dict[str, Any]:
        """The whole object, for keys kept as written."""
        return self._obj

    def has(self, key: str) -> bool:
        """True when ``key`` is present and not null (optional keys)."""
        return self._obj.get(key) is not None

    def get(self, key: str) -> Any:
        if key not in self._obj:
            self.fail(f"missing {self._name(key)}")
        return self._obj[key]

    def bad(self, key: str, wanted: str) -> NoReturn:
        self.fail(f"{self._name(key)} must be {wanted}, got {show_value(self._obj.get(key))}")

    def text(self, key: str, *, nullable: bool = False) -> Any:
        value = self.get(key)
        if isinstance(value, str) or (nullable and value is None):
            return value
        self.bad(key, "a string or null" if nullable else "a string")

    def integer(self, key: str, *, minimum: int = 0) -> int:
        value = self.get(key)
        if not is_int(value) or value < minimum:
            self.bad(key, f"an integer >= {minimum}")
        return int(value)

    def seconds(self, key: str) -> float:
        value = self.get(key)
        if is_int(value) or isinstance(value, float):
            number = float(value)
            if math.isfinite(number) and number >= 0:
                return number
        self.bad(key, "a number of seconds >= 0")

    def choice(self, key: str, enum: type[_E], *, nullable: bool = False) -> Any:
        value = self.get(key)
        if value is None and nullable:
            return None
        members = members_by_value(enum)
        if isinstance(value, str):
            member = members.get(value)
            if member is not None:
                return member
        names = [f'"{v}"' for v in members] + (["null"] if nullable else [])
        wanted = " or ".join(names) if len(names) <= 3 else "one of " + ", ".join(names)
        self.bad(key, wanted)

    def mapping(self, key: str) -> dict[str, Any]:
        value = self.get(key)
        if not isinstance(value, dict):
            self.bad(key, "an object")
        return value

    def sub(self, key: str) -> LineFields:
        return LineFields(self.mapping(key), self._what, self._path, self._line, f"{key}.")

    def strings(self, key: str) -> tuple[str, ...]:
        value = self.get(key)
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            self.bad(key, "a list of strings")
        return tuple(value)

    def pairs(self, key: str) -> tuple[tuple[str, str], ...]:
        value = self.get(key)
        ok = isinstance(value, list) and all(
            isinstance(p, list) and len(p) == 2 and all(isinstance(s, str) for s in p)
            for p in value
        )
        if not ok:
            self.bad(key, "a list of [name, value] string pairs")
        return tuple((p[0], p[1]) for p in value)

    def b64(self, key: str) -> bytes:
        value = self.text(key)
        try:
            return base64.b64decode(value, validate=True)
        except (binascii.Error, ValueError):
            self.bad(key, "base64 text")

    def b64_list(self, key: str) -> tuple[bytes, ...]:
        texts = self.strings(key)
        try:
            return tuple(base64.b64decode(t, validate=True) for t in texts)
        except (binascii.Error, ValueError):
            self.bad(key, "a list of base64 texts")
