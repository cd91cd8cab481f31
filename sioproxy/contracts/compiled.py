"""Schemas compiled to Python functions: the fast path of live validation.

Layer: pure (contracts). ``compile_schema(schema, validator)`` writes the
source of one function ``ok(value) -> bool`` for a schema and compiles it:
every keyword ``sioproxy spec`` writes (``type``, ``enum``, ``const``,
``format``, ``properties``, ``required``, ``additionalProperties``,
``items``, ``prefixItems``, ``additionalItems``, ``minItems``, ``maxItems``
and local ``$ref``) becomes inline ``if`` statements, so a matching packet
costs a few type tests and no function call per value. A schema node with
any other keyword is handed to the validator itself. ``ok`` is true exactly
when ``validator.validate(value, schema)`` finds nothing; the live checker
calls it for every packet, and the validator only for a packet that fails it,
to write the report (bench/contracts.py measures the difference).

Decoded JSON holds only exact ``dict``, ``list``, ``str``, ``int``,
``float``, ``bool`` and ``None`` values (plus
:class:`~sioproxy.contracts.infer.Attachment` for binary), which the
generated tests rely on.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from sioproxy.contracts.infer import DATE_TIME, UUID, Attachment
from sioproxy.contracts.validate import Validator, _same

Predicate = Callable[[Any], bool]

_ANNOTATIONS = frozenset({"description", "title", "examples", "default", "$comment", "deprecated"})
_COMPILED = frozenset(
    {
        "type",
        "enum",
        "const",
        "format",
        "properties",
        "required",
        "additionalProperties",
        "items",
        "prefixItems",
        "additionalItems",
        "minItems",
        "maxItems",
        "$ref",
    }
)
_MAX_DEPTH = 24
_MAX_REF_DEPTH = 6  # a recursive $ref is inlined this deep, then left to the validator
_TESTS = {
    "string": "isinstance({v}, str)",
    "integer": "(type({v}) is int or (type({v}) is float and {v}.is_integer()))",
    "number": "(type({v}) is int or type({v}) is float)",
    "boolean": "type({v}) is bool",
    "null": "{v} is None",
    "object": "isinstance({v}, dict)",
    "array": "isinstance({v}, (list, tuple))",
}


def _pattern_check(pattern: Any) -> Predicate:
    match = pattern.match
    return lambda v: not isinstance(v, str) or match(v) is not None


class _Writer:
    """Emits the body of ``ok``; every failed test is ``return False``."""

    def __init__(self, validator: Validator) -> None:
        self.validator = validator
        self.lines: list[str] = []
        self.consts: list[Any] = []
        self.names = 0

    def var(self) -> str:
        self.names += 1
        return f"v{self.names}"

    def const(self, value: Any) -> str:
        self.consts.append(value)
        return f"_c[{len(self.consts) - 1}]"

    def emit(self, indent: int, line: str) -> None:
        self.lines.append("    " * indent + line)

    def fail_unless(self, indent: int, test: str) -> None:
        self.emit(indent, f"if not ({test}): return False")

    def fallback(self, schema: Any, v: str, indent: int) -> None:
        validate = self.validator.validate
        check = self.const(lambda value: not validate(value, schema))
        self.fail_unless(indent, f"{check}({v})")

    def node(self, schema: Any, v: str, indent: int, depth: int) -> None:
        """Tests for value ``v`` against ``schema`` at this indentation."""
        if schema is False:
            self.emit(indent, "return False")
            return
        if schema is True or not isinstance(schema, Mapping):
            return
        keys = {k for k in set(schema) - _ANNOTATIONS if not k.startswith("x-")}
        wanted = schema.get("type")
        names = wanted if isinstance(wanted, list) else [wanted] if wanted is not None else []
        deep = depth > _MAX_DEPTH or ("$ref" in schema and depth > _MAX_REF_DEPTH)
        if not keys <= _COMPILED or deep or not all(n in _TESTS for n in names):
            self.fallback(schema, v, indent)
            return
        if "$ref" in schema:
            self.node(self.validator.resolve(schema["$ref"]), v, indent, depth + 1)
        binary = schema.get("format") == "binary"
        if names:
            tests = [
                f"isinstance({v}, _Attachment)" if n == "string" and binary else _TESTS[n]
                for n in names
            ]
            self.fail_unless(indent, " or ".join(t.format(v=v) for t in tests))
        self._values(schema, v, indent)
        single = names[0] if len(names) == 1 else None
        if {"properties", "required", "additionalProperties"} & keys:
            inner = indent
            if single != "object":
                self.emit(indent, f"if isinstance({v}, dict):")
                inner += 1
            self._object(schema, v, inner, depth)
        if {"items", "prefixItems", "minItems", "maxItems"} & keys:
            inner = indent
            if single != "array":
                self.emit(indent, f"if isinstance({v}, (list, tuple)):")
                inner += 1
            self._array(schema, v, inner, depth)

    def _values(self, schema: Mapping[str, Any], v: str, indent: int) -> None:
        if "enum" in schema:
            values = self.const(list(schema["enum"]))
            self.fail_unless(indent, f"any(_same({v}, e) for e in {values})")
        if "const" in schema:
            self.fail_unless(indent, f"_same({v}, {self.const(schema['const'])})")
        fmt = schema.get("format")
        if fmt == "binary":
            self.fail_unless(indent, f"isinstance({v}, _Attachment)")
        elif fmt in ("date-time", "uuid"):
            check = self.const(_pattern_check(DATE_TIME if fmt == "date-time" else UUID))
            self.fail_unless(indent, f"{check}({v})")

    def _object(self, schema: Mapping[str, Any], v: str, indent: int, depth: int) -> None:
        properties = dict(schema.get("properties", {}))
        for key in schema.get("required", ()):
            self.emit(indent, f"if {key!r} not in {v}: return False")
        for key, sub in properties.items():
            item = self.var()
            self.emit(indent, f"{item} = {v}.get({key!r}, _MISSING)")
            self.emit(indent, f"if {item} is not _MISSING:")
            self.emit(indent + 1, "pass")
            self.node(sub, item, indent + 1, depth + 1)
        extra = schema.get("additionalProperties", True)
        if extra is True:
            return
        known = self.const(frozenset(properties))
        key, item = self.var(), self.var()
        self.emit(indent, f"for {key}, {item} in {v}.items():")
        self.emit(indent + 1, f"if {key} in {known}: continue")
        self.node(extra, item, indent + 1, depth + 1)

    def _array(self, schema: Mapping[str, Any], v: str, indent: int, depth: int) -> None:
        size = self.var()
        self.emit(indent, f"{size} = len({v})")
        if "minItems" in schema:
            self.emit(indent, f"if {size} < {self.const(schema['minItems'])}: return False")
        if "maxItems" in schema:
            self.emit(indent, f"if {size} > {self.const(schema['maxItems'])}: return False")
        items = schema.get("items")
        positional: list[Any] = list(schema.get("prefixItems", []))
        rest: Any = True
        if isinstance(items, list):
            positional, rest = items, schema.get("additionalItems", True)
        elif items is not None:
            rest = items
        for index, sub in enumerate(positional):
            item = self.var()
            self.emit(indent, f"if {size} > {index}:")
            self.emit(indent + 1, f"{item} = {v}[{index}]")
            self.node(sub, item, indent + 1, depth + 1)
        if rest is not True:
            item = self.var()
            self.emit(indent, f"for {item} in {v}[{len(positional)}:]:")
            self.emit(indent + 1, "pass")
            self.node(rest, item, indent + 1, depth + 1)


def compile_schema(schema: Any, validator: Validator) -> Predicate:
    """A predicate true exactly when ``validator.validate(value, schema)`` is empty."""
    writer = _Writer(validator)
    writer.node(schema, "v0", 1, 0)
    source = "\n".join(["def ok(v0):", *writer.lines, "    return True"])
    scope: dict[str, Any] = {
        "_c": writer.consts,
        "_same": _same,
        "_Attachment": Attachment,
        "_MISSING": _MISSING,
    }
    exec(compile(source, "<sioproxy spec schema>", "exec"), scope)  # our own generated source
    ok: Predicate = scope["ok"]
    return ok


_MISSING = object()
