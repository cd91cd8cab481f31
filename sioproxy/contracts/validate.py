"""A small JSON Schema validator for the subset sioproxy writes and people add.

Layer: pure (contracts). Keywords checked: ``type``, ``enum``, ``const``,
``format`` (``date-time``, ``uuid``, ``binary``), ``properties``,
``required``, ``additionalProperties``, ``items`` (a schema, or the draft-07
list form), ``prefixItems``, ``additionalItems``, ``minItems``,
``maxItems``, ``minimum``, ``maximum``, ``exclusiveMinimum``,
``exclusiveMaximum``, ``minLength``, ``maxLength``, ``pattern``, ``allOf``,
``anyOf``, ``oneOf``, ``not`` and local ``$ref`` (``#/...`` into the
document). Other keywords are annotations and ignored, as JSON Schema says.

A binary attachment (:class:`~sioproxy.contracts.infer.Attachment`) is a
``string`` only for a schema whose ``format`` is ``binary``, and such a schema
accepts nothing else: a payload that changes between text and binary is a
violation. Each violation carries the JSON pointer of the value and what the
schema said there.
"""

from __future__ import annotations

import operator
import re
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from sioproxy.contracts.infer import DATE_TIME, UUID, Attachment, json_type
from sioproxy.jsonpointer import PointerError, find, format_tokens, parse
from sioproxy.textsafe import preview

_SHOW = 63
_MAX_DEPTH = 64


@dataclass(frozen=True, slots=True)
class Violation:
    """One value that broke one keyword of a schema."""

    pointer: str
    reason: str
    said: str

    def __str__(self) -> str:
        where = self.pointer or "(the payload)"
        return f"{where}: {self.reason} (schema: {self.said})"


def show(value: Any) -> str:
    """A value as short JSON for reports."""
    if isinstance(value, Attachment):
        return f"<binary {len(value)} bytes>"
    return preview(value, _SHOW, spaced=True, default=lambda v: f"<{type(v).__name__}>")


def _said(keyword: str, value: Any) -> str:
    return f"{keyword}: {show(value)}"


def type_name(value: Any) -> str:
    kind = json_type(value)
    return "binary attachment" if kind == "binary" else kind


def _type_ok(value: Any, wanted: str, binary_format: bool) -> bool:
    if isinstance(value, Attachment):
        return wanted == "string" and binary_format
    kind = json_type(value)
    if wanted == "number":
        return kind in ("integer", "number")
    if wanted == "integer" and kind == "number":
        return float(value).is_integer()
    return kind == wanted


class Validator:
    """Checks values against schemas of one document (for ``$ref``)."""

    def __init__(self, root: Mapping[str, Any] | None = None) -> None:
        self._root = root or {}

    def validate(self, value: Any, schema: Any, pointer: str = "") -> list[Violation]:
        return list(self._check(value, schema, pointer, 0))

    def resolve(self, ref: str) -> Any:
        if not ref.startswith("#"):
            raise KeyError(f"only local references are supported: {ref}")
        try:
            found, node = find(self._root, parse(ref[1:]))
        except PointerError:
            found = False
        if not found:
            raise KeyError(f"unresolvable reference {ref}")
        return node

    def _check(self, value: Any, schema: Any, at: str, depth: int) -> Iterator[Violation]:
        if schema is True or depth > _MAX_DEPTH:
            return
        if schema is False:
            yield Violation(at, f"nothing is allowed here, got {show(value)}", "false")
            return
        if not isinstance(schema, Mapping):
            return
        if "$ref" in schema:
            yield from self._check(value, self.resolve(schema["$ref"]), at, depth + 1)
        yield from self._own(value, schema, at)
        yield from self._combinators(value, schema, at, depth)
        if isinstance(value, dict):
            yield from self._object(value, schema, at, depth)
        elif isinstance(value, list | tuple):
            yield from self._array(list(value), schema, at, depth)

    def _own(self, value: Any, schema: Mapping[str, Any], at: str) -> Iterator[Violation]:
        binary = schema.get("format") == "binary"
        wanted = schema.get("type")
        if wanted is not None:
            names = wanted if isinstance(wanted, list) else [wanted]
            if not any(_type_ok(value, name, binary) for name in names):
                reason = f"expected {' or '.join(names)}, got {type_name(value)} {show(value)}"
                yield Violation(at, reason, _said("type", wanted))
                return
        if "enum" in schema and not any(_same(value, v) for v in schema["enum"]):
            yield Violation(
                at, f"{show(value)} is not one of the values", _said("enum", schema["enum"])
            )
        if "const" in schema and not _same(value, schema["const"]):
            yield Violation(
                at, f"{show(value)} is not the constant", _said("const", schema["const"])
            )
        yield from _format(value, schema.get("format"), at)
        yield from _bounds(value, schema, at)

    def _combinators(
        self, value: Any, schema: Mapping[str, Any], at: str, depth: int
    ) -> Iterator[Violation]:
        for sub in schema.get("allOf", ()):
            yield from self._check(value, sub, at, depth + 1)
        for keyword in ("anyOf", "oneOf"):
            if keyword not in schema:
                continue
            passing = [s for s in schema[keyword] if not any(self._check(value, s, at, depth + 1))]
            if not passing or (keyword == "oneOf" and len(passing) > 1):
                count = "none" if not passing else f"{len(passing)}"
                reason = f"{show(value)} matches {count} of the {keyword} alternatives"
                yield Violation(at, reason, _said(keyword, schema[keyword]))
        if "not" in schema and not any(self._check(value, schema["not"], at, depth + 1)):
            yield Violation(
                at, f"{show(value)} matches a forbidden schema", _said("not", schema["not"])
            )

    def _object(
        self, value: dict[str, Any], schema: Mapping[str, Any], at: str, depth: int
    ) -> Iterator[Violation]:
        properties = schema.get("properties", {})
        for key in schema.get("required", ()):
            if key not in value:
                reason = f"missing required key {show(key)}"
                yield Violation(at, reason, _said("required", schema["required"]))
        extra = schema.get("additionalProperties", True)
        for key, item in value.items():
            where = at + format_tokens((str(key),))
            if key in properties:
                yield from self._check(item, properties[key], where, depth + 1)
            elif extra is False:
                yield Violation(where, f"unexpected key {show(key)}", "additionalProperties: false")
            else:
                yield from self._check(item, extra, where, depth + 1)

    def _array(
        self, value: list[Any], schema: Mapping[str, Any], at: str, depth: int
    ) -> Iterator[Violation]:
        if "minItems" in schema and len(value) < schema["minItems"]:
            reason = f"{len(value)} items, fewer than {schema['minItems']}"
            yield Violation(at, reason, _said("minItems", schema["minItems"]))
        if "maxItems" in schema and len(value) > schema["maxItems"]:
            reason = f"{len(value)} items, more than {schema['maxItems']}"
            yield Violation(at, reason, _said("maxItems", schema["maxItems"]))
        items = schema.get("items")
        positional = schema.get("prefixItems")
        rest: Any = True
        if isinstance(items, list):  # draft-07 tuple form
            positional, rest = items, schema.get("additionalItems", True)
        elif items is not None:
            rest = items
        positional = positional or []
        for index, item in enumerate(value):
            sub = positional[index] if index < len(positional) else rest
            yield from self._check(item, sub, f"{at}/{index}", depth + 1)


def _same(a: Any, b: Any) -> bool:
    if isinstance(a, bool) or isinstance(b, bool):
        return a is b
    return bool(a == b)


def _format(value: Any, fmt: Any, at: str) -> Iterator[Violation]:
    if fmt == "binary" and not isinstance(value, Attachment):
        yield Violation(at, f"expected a binary attachment, got {show(value)}", "format: binary")
    elif isinstance(value, str) and not isinstance(value, Attachment):
        pattern = {"date-time": DATE_TIME, "uuid": UUID}.get(fmt) if isinstance(fmt, str) else None
        if pattern is not None and pattern.match(value) is None:
            yield Violation(at, f"{show(value)} is not a {fmt}", _said("format", fmt))


_NUMBER_BOUNDS: tuple[tuple[str, Callable[[float, float], bool], str], ...] = (
    ("minimum", operator.ge, "below"),
    ("maximum", operator.le, "above"),
    ("exclusiveMinimum", operator.gt, "not above"),
    ("exclusiveMaximum", operator.lt, "not below"),
)


def _bounds(value: Any, schema: Mapping[str, Any], at: str) -> Iterator[Violation]:
    if isinstance(value, int | float) and not isinstance(value, bool):
        for keyword, ok, word in _NUMBER_BOUNDS:
            bound = schema.get(keyword)
            if isinstance(bound, int | float) and not ok(value, bound):
                yield Violation(at, f"{show(value)} is {word} {bound}", _said(keyword, bound))
    if isinstance(value, str) and not isinstance(value, Attachment):
        length = len(value)
        if "minLength" in schema and length < schema["minLength"]:
            yield Violation(at, f"{length} characters", _said("minLength", schema["minLength"]))
        if "maxLength" in schema and length > schema["maxLength"]:
            yield Violation(at, f"{length} characters", _said("maxLength", schema["maxLength"]))
        pattern = schema.get("pattern")
        if isinstance(pattern, str) and re.search(pattern, value) is None:
            yield Violation(at, f"{show(value)} does not match", _said("pattern", pattern))
