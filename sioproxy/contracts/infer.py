"""JSON Schema inference from sample values.

Layer: pure (contracts). A :class:`Shape` accumulates every value seen at one
place of a payload; :meth:`Shape.schema` turns what it saw into the narrowest
schema of the subset :mod:`sioproxy.contracts.validate` checks:

* ``type`` (a list when several were seen; ``integer`` only when every number
  was one, ``null`` added when null was seen);
* objects: ``properties`` and ``required`` (the keys present in every sample);
* lists: ``items`` merged over all elements; the top level of an argument list
  is a tuple instead (``prefixItems`` with ``minItems``/``maxItems``);
* strings: ``enum`` for at most :data:`ENUM_MAX` distinct values over at least
  :data:`ENUM_MIN_SAMPLES` samples, ``format`` ``date-time`` or ``uuid`` when
  every sample has it; redaction placeholders never become enums or formats;
* binary attachments (:class:`Attachment`): ``{"type": "string", "format": "binary"}``.

Every schema produced names a type, so no sampled place is left as the
permissive ``{}``. Dict keys come out sorted, so the output is deterministic.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

JsonSchema = dict[str, Any]

ENUM_MAX = 5
ENUM_MIN_SAMPLES = 20
#: Distinct strings remembered per place; one more than ENUM_MAX tells "too many".
_STRINGS_KEPT = ENUM_MAX + 1

DATE_TIME = re.compile(
    r"^\d{4}-\d{2}-\d{2}[Tt]\d{2}:\d{2}:\d{2}(\.\d+)?([Zz]|[+-]\d{2}:\d{2})$", re.ASCII
)
UUID = re.compile(r"^[0-9a-fA-F]{8}-([0-9a-fA-F]{4}-){3}[0-9a-fA-F]{12}$", re.ASCII)
_PLACEHOLDER = re.compile(r"^(\[|%5B)REDACTED(:|%3A)", re.IGNORECASE)


class Attachment(bytes):
    """A binary attachment in a payload (where the packet had a placeholder)."""


def json_type(value: Any) -> str:
    """The JSON Schema type name of a value (``binary`` for an attachment)."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        return "integer"
    if isinstance(value, float):
        return "number"
    if isinstance(value, Attachment):
        return "binary"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list | tuple):
        return "array"
    if isinstance(value, dict):
        return "object"
    raise TypeError(f"not a JSON value: {type(value).__name__}")


def is_placeholder(text: str) -> bool:
    return _PLACEHOLDER.match(text) is not None


@dataclass(slots=True)
class _Strings:
    count: int = 0
    distinct: list[str] = field(default_factory=list)
    all_date_time: bool = True
    all_uuid: bool = True
    redacted: bool = False

    def add(self, text: str) -> None:
        self.count += 1
        if len(self.distinct) < _STRINGS_KEPT and text not in self.distinct:
            self.distinct.append(text)
        self.all_date_time = self.all_date_time and DATE_TIME.match(text) is not None
        self.all_uuid = self.all_uuid and UUID.match(text) is not None
        self.redacted = self.redacted or is_placeholder(text)

    def keywords(self, nullable: bool) -> JsonSchema:
        if self.redacted:
            return {"description": "redacted in the recording"}
        if self.all_date_time:
            return {"format": "date-time"}
        if self.all_uuid:
            return {"format": "uuid"}
        if len(self.distinct) <= ENUM_MAX and self.count >= ENUM_MIN_SAMPLES:
            values: list[Any] = sorted(self.distinct)
            return {"enum": [*values, None] if nullable else values}
        return {}


@dataclass(slots=True)
class Shape:
    """Everything seen at one place of a payload, over all samples."""

    tuple_mode: bool = False
    types: set[str] = field(default_factory=set)
    strings: _Strings = field(default_factory=_Strings)
    objects: int = 0
    properties: dict[str, Shape] = field(default_factory=dict)
    presence: dict[str, int] = field(default_factory=dict)
    items: Shape | None = None
    positions: list[Shape] = field(default_factory=list)
    min_len: int | None = None
    max_len: int = 0

    @classmethod
    def of(cls, samples: list[Any], *, as_tuple: bool = False) -> Shape:
        shape = cls(tuple_mode=as_tuple)
        for sample in samples:
            shape.add(sample)
        return shape

    def add(self, value: Any) -> None:
        kind = json_type(value)
        self.types.add(kind)
        if kind == "string":
            self.strings.add(value)
        elif kind == "object":
            self._add_object(value)
        elif kind == "array":
            self._add_array(list(value))

    def _add_object(self, value: dict[str, Any]) -> None:
        self.objects += 1
        for key, item in value.items():
            self.properties.setdefault(key, Shape()).add(item)
            self.presence[key] = self.presence.get(key, 0) + 1

    def _add_array(self, value: list[Any]) -> None:
        self.min_len = len(value) if self.min_len is None else min(self.min_len, len(value))
        self.max_len = max(self.max_len, len(value))
        if self.tuple_mode:
            while len(self.positions) < len(value):
                self.positions.append(Shape())
            for position, item in zip(self.positions, value, strict=False):
                position.add(item)
            return
        for item in value:
            if self.items is None:
                self.items = Shape()
            self.items.add(item)

    def schema(self) -> JsonSchema:
        """The narrowest schema accepting every sample seen."""
        if "binary" in self.types:
            binary: JsonSchema = {"type": "string", "format": "binary"}
            rest = self._without_binary()
            return binary if rest is None else {"anyOf": [binary, rest.schema()]}
        names = set(self.types)
        if {"integer", "number"} <= names:
            names.discard("integer")
        ordered = sorted(names)
        schema: JsonSchema = {"type": ordered[0] if len(ordered) == 1 else ordered}
        nullable = "null" in names
        if names - {"null"} == {"string"}:
            schema |= self.strings.keywords(nullable)
        if "object" in names:
            schema |= self._object_keywords()
        if "array" in names:
            schema |= self._array_keywords()
        return ordered_schema(schema)

    def _without_binary(self) -> Shape | None:
        if self.types == {"binary"}:
            return None
        rest = Shape(
            tuple_mode=self.tuple_mode,
            types=self.types - {"binary"},
            strings=self.strings,
            objects=self.objects,
            properties=self.properties,
            presence=self.presence,
            items=self.items,
            positions=self.positions,
            min_len=self.min_len,
            max_len=self.max_len,
        )
        return rest

    def _object_keywords(self) -> JsonSchema:
        keys = sorted(self.properties)
        out: JsonSchema = {}
        if keys:
            out["properties"] = {key: self.properties[key].schema() for key in keys}
        required = [key for key in keys if self.presence[key] == self.objects]
        if required:
            out["required"] = required
        return out

    def _array_keywords(self) -> JsonSchema:
        if self.tuple_mode:
            out: JsonSchema = {"minItems": self.min_len or 0, "maxItems": self.max_len}
            if self.positions:
                out["prefixItems"] = [position.schema() for position in self.positions]
            return out
        return {} if self.items is None else {"items": self.items.schema()}


def ordered_schema(schema: JsonSchema) -> JsonSchema:
    """``type`` first, then the other keywords by name: a stable, readable order."""
    rest = sorted(((k, v) for k, v in schema.items() if k != "type"), key=lambda kv: kv[0])
    return ({"type": schema["type"]} if "type" in schema else {}) | dict(rest)


def infer_schema(samples: list[Any], *, as_tuple: bool = False) -> JsonSchema:
    """The schema of a list of samples (argument lists when ``as_tuple``)."""
    if not samples:
        raise ValueError("no samples to infer a schema from")
    return Shape.of(samples, as_tuple=as_tuple).schema()
