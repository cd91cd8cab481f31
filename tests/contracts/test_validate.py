"""The validator: each keyword of the subset, with the pointer and what the schema said."""

from __future__ import annotations

from typing import Any

import pytest

from sioproxy.contracts import Attachment, Validator
from sioproxy.contracts.compiled import compile_schema

CASES: list[tuple[str, Any, Any, list[str]]] = [
    ("type ok", 1, {"type": "integer"}, []),
    ("type wrong", "1", {"type": "integer"}, ['(the payload): expected integer, got string "1"']),
    ("integer is a number", 1, {"type": "number"}, []),
    ("bool is no integer", True, {"type": "integer"}, ["expected integer, got boolean true"]),
    ("type list", None, {"type": ["null", "string"]}, []),
    (
        "nested pointer",
        {"a": [1, "x"]},
        {"properties": {"a": {"items": {"type": "integer"}}}},
        ["/a/1: expected integer"],
    ),
    (
        "pointer escapes",
        {"a/b~": 1},
        {"properties": {"a/b~": {"type": "string"}}},
        ["/a~1b~0: expected string"],
    ),
    ("required", {}, {"type": "object", "required": ["k"]}, ['missing required key "k"']),
    (
        "additionalProperties false",
        {"x": 1},
        {"additionalProperties": False},
        ['/x: unexpected key "x"'],
    ),
    (
        "enum",
        "c",
        {"enum": ["a", "b"]},
        ['"c" is not one of the values (schema: enum: ["a", "b"])'],
    ),
    ("const", 2, {"const": 1}, ["2 is not the constant"]),
    (
        "prefixItems",
        ["a", 1],
        {"prefixItems": [{"type": "string"}, {"type": "string"}]},
        ["/1: expected string"],
    ),
    (
        "draft-07 tuple",
        ["a", 1],
        {"items": [{"type": "string"}], "additionalItems": False},
        ["/1: nothing is allowed here"],
    ),
    ("maxItems", [1, 2], {"maxItems": 1}, ["2 items, more than 1 (schema: maxItems: 1)"]),
    ("minItems", [], {"minItems": 1}, ["0 items, fewer than 1"]),
    (
        "date-time",
        "yesterday",
        {"type": "string", "format": "date-time"},
        ['"yesterday" is not a date-time'],
    ),
    ("uuid", "123", {"format": "uuid"}, ['"123" is not a uuid']),
    ("binary ok", Attachment(b"x"), {"type": "string", "format": "binary"}, []),
    (
        "text is not binary",
        "x",
        {"type": "string", "format": "binary"},
        ['expected a binary attachment, got "x"'],
    ),
    (
        "binary is not text",
        Attachment(b"x"),
        {"type": "string"},
        ["expected string, got binary attachment"],
    ),
    ("minimum", 1, {"minimum": 2}, ["1 is below 2"]),
    ("maxLength", "abc", {"maxLength": 2}, ["3 characters (schema: maxLength: 2)"]),
    ("pattern", "abc", {"pattern": "^x"}, ['"abc" does not match']),
    (
        "anyOf",
        1.5,
        {"anyOf": [{"type": "integer"}, {"type": "string"}]},
        ["matches none of the anyOf"],
    ),
    (
        "oneOf twice",
        1,
        {"oneOf": [{"type": "integer"}, {"type": "number"}]},
        ["matches 2 of the oneOf"],
    ),
    ("allOf", 1, {"allOf": [{"type": "integer"}, {"minimum": 5}]}, ["1 is below 5"]),
    ("not", 1, {"not": {"type": "integer"}}, ["matches a forbidden schema"]),
    ("true accepts all", [1], True, []),
    ("false accepts nothing", 1, False, ["nothing is allowed here"]),
    ("unknown keywords are annotations", 1, {"x-note": 1, "description": "d"}, []),
]


@pytest.mark.parametrize(
    ("value", "schema", "expected"), [c[1:] for c in CASES], ids=[c[0] for c in CASES]
)
def test_validate(value: Any, schema: Any, expected: list[str]) -> None:
    found = [str(v) for v in Validator().validate(value, schema)]
    assert len(found) == len(expected), found
    for text, wanted in zip(found, expected, strict=True):
        assert wanted in text


@pytest.mark.parametrize(
    ("value", "schema", "expected"), [c[1:] for c in CASES], ids=[c[0] for c in CASES]
)
def test_compiled_fast_path_agrees(value: Any, schema: Any, expected: list[str]) -> None:
    assert compile_schema(schema, Validator())(value) == (not expected)


def test_compiled_recursive_refs_stay_small() -> None:
    doc = {"s": {"type": "object", "properties": {"a": {"$ref": "#/s"}, "b": {"$ref": "#/s"}}}}
    ok = compile_schema({"$ref": "#/s"}, Validator(doc))
    deep: Any = {}
    for _ in range(12):
        deep = {"a": deep, "b": {}}
    assert ok(deep)
    deep["b"] = {"a": 1}
    assert not ok(deep)


def test_local_refs_resolve_into_the_document() -> None:
    doc = {"components": {"schemas": {"Id": {"type": "integer"}}}}
    found = Validator(doc).validate(["x"], {"items": {"$ref": "#/components/schemas/Id"}})
    assert [v.pointer for v in found] == ["/0"]


def test_unresolvable_ref_is_a_key_error() -> None:
    with pytest.raises(KeyError, match="unresolvable"):
        Validator({}).validate(1, {"$ref": "#/nowhere"})
