"""Schema inference from samples, table-driven (docs/contracts.md, "What is inferred")."""

from __future__ import annotations

from typing import Any

import pytest

from sioproxy.contracts import Attachment, infer_schema

UUIDS = [f"123e4567-e89b-12d3-a456-4266141740{n:02d}" for n in range(3)]

CASES: list[tuple[str, list[Any], dict[str, Any]]] = [
    ("integer", [1, 2, 3], {"type": "integer"}),
    ("integer and float make number", [1, 2.5], {"type": "number"}),
    ("boolean is not integer", [True, False], {"type": "boolean"}),
    ("nullable", ["a", None], {"type": ["null", "string"]}),
    ("only null", [None], {"type": "null"}),
    ("mixed types", [1, "a"], {"type": ["integer", "string"]}),
    (
        "required keys are those in every sample",
        [{"a": 1, "b": "x"}, {"a": 2}],
        {
            "type": "object",
            "properties": {"a": {"type": "integer"}, "b": {"type": "string"}},
            "required": ["a"],
        },
    ),
    ("empty object", [{}], {"type": "object"}),
    (
        "list items merged",
        [[1, "a"], []],
        {"type": "array", "items": {"type": ["integer", "string"]}},
    ),
    ("empty list", [[]], {"type": "array"}),
    (
        "date-time",
        ["2024-05-01T12:00:00.000Z", "2024-05-01T12:00:00+02:00"],
        {"type": "string", "format": "date-time"},
    ),
    ("uuid", UUIDS, {"type": "string", "format": "uuid"}),
    ("not all date-time", ["2024-05-01T12:00:00Z", "later"], {"type": "string"}),
    ("enum needs 20 samples", ["a", "b"] * 9, {"type": "string"}),
    ("enum of at most 5 values", ["b", "a"] * 10, {"type": "string", "enum": ["a", "b"]}),
    (
        "nullable enum",
        ["a", None] * 20,
        {"type": ["null", "string"], "enum": ["a", None]},
    ),
    ("6 values are no enum", [str(n % 6) for n in range(30)], {"type": "string"}),
    (
        "redacted values are strings, never enums",
        ["[REDACTED:token]"] * 25,
        {"type": "string", "description": "redacted in the recording"},
    ),
    ("binary", [Attachment(b"\x01")], {"type": "string", "format": "binary"}),
    (
        "binary or text",
        [Attachment(b"\x01"), "x"],
        {"anyOf": [{"type": "string", "format": "binary"}, {"type": "string"}]},
    ),
]


@pytest.mark.parametrize(("samples", "expected"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_infer(samples: list[Any], expected: dict[str, Any]) -> None:
    assert infer_schema(samples) == expected


def test_argument_lists_are_tuples() -> None:
    schema = infer_schema([["x", 1], ["y", 2, True]], as_tuple=True)
    assert schema == {
        "type": "array",
        "maxItems": 3,
        "minItems": 2,
        "prefixItems": [{"type": "string"}, {"type": "integer"}, {"type": "boolean"}],
    }


def test_no_arguments_is_an_empty_tuple() -> None:
    assert infer_schema([[]], as_tuple=True) == {"type": "array", "maxItems": 0, "minItems": 0}


def test_type_comes_first_then_keywords_by_name() -> None:
    schema = infer_schema([{"b": 1, "a": [1]}])
    assert list(schema) == ["type", "properties", "required"]
    assert list(schema["properties"]) == ["a", "b"]


def test_no_samples_is_an_error() -> None:
    with pytest.raises(ValueError, match="no samples"):
        infer_schema([])
