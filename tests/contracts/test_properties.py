"""Properties of inference (hypothesis): what was sampled is accepted, a changed type is not.

1. A schema inferred from samples accepts every one of them.
2. Changing the type of any sampled value (to one never seen at that place)
   gives a violation at that value's JSON pointer.
3. No place of an inferred schema is the permissive ``{}``.
4. The compiled fast path accepts exactly what the validator accepts.
"""

from __future__ import annotations

from typing import Any

from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from sioproxy.contracts import Attachment, Validator, infer_schema
from sioproxy.contracts.compiled import compile_schema

KEYS = st.sampled_from(["a", "b", "c", "id", "x/y", "~"])
LEAVES = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-1000, 1000),
    st.floats(allow_nan=False, allow_infinity=False, width=32).filter(lambda f: not f.is_integer()),
    st.text(max_size=6),
    st.binary(max_size=4).map(Attachment),
)
VALUES = st.recursive(
    LEAVES,
    lambda inner: st.one_of(st.lists(inner, max_size=3), st.dictionaries(KEYS, inner, max_size=3)),
    max_leaves=12,
)
ARG_LISTS = st.lists(st.lists(VALUES, max_size=3), min_size=1, max_size=6)

# No deadline: a loaded CI machine must not turn a slow example into a failure.
PROPERTY = settings(deadline=None)

# Type groups: a replacement must come from a group never seen at the place.
GROUPS = {
    "null": None,
    "boolean": True,
    "number": 7,
    "string": "changed",
    "binary": Attachment(b"\x00"),
    "object": {"changed": 1},
    "array": [1],
}


def _group(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int | float):
        return "number"
    if isinstance(value, Attachment):
        return "binary"
    if isinstance(value, str):
        return "string"
    return "array" if isinstance(value, list) else "object"


def _places(
    value: Any, pointer: str, place: tuple[Any, ...], top: bool
) -> list[tuple[str, tuple[Any, ...]]]:
    """(JSON pointer, place) of every value; list items share a place, tuple items do not."""
    out = [(pointer, place)]
    if isinstance(value, list):
        for index, item in enumerate(value):
            token = index if top else "*"
            out += _places(item, f"{pointer}/{index}", (*place, token), False)
    elif isinstance(value, dict):
        for key, item in value.items():
            escaped = key.replace("~", "~0").replace("/", "~1")
            out += _places(item, f"{pointer}/{escaped}", (*place, key), False)
    return out


def _replace(value: Any, tokens: list[str], new: Any) -> Any:
    if not tokens:
        return new
    head = tokens[0].replace("~1", "/").replace("~0", "~")
    if isinstance(value, list):
        copy = list(value)
        copy[int(head)] = _replace(copy[int(head)], tokens[1:], new)
        return copy
    return {**value, head: _replace(value[head], tokens[1:], new)}


def _subschemas(schema: Any) -> list[Any]:
    found = [schema]
    for sub in (schema.get("properties") or {}).values():
        found += _subschemas(sub)
    for key in ("prefixItems", "anyOf"):
        for sub in schema.get(key, []):
            found += _subschemas(sub)
    if "items" in schema:
        found += _subschemas(schema["items"])
    return found


@PROPERTY
@given(ARG_LISTS)
def test_inferred_schema_accepts_every_sample(samples: list[list[Any]]) -> None:
    schema = infer_schema(samples, as_tuple=True)
    for sample in samples:
        assert Validator().validate(sample, schema) == []


@PROPERTY
@given(ARG_LISTS)
def test_no_permissive_schemas(samples: list[list[Any]]) -> None:
    for sub in _subschemas(infer_schema(samples, as_tuple=True)):
        assert sub, "an empty schema accepts anything"
        assert "type" in sub or "anyOf" in sub, sub


@settings(deadline=None, suppress_health_check=[HealthCheck.filter_too_much, HealthCheck.too_slow])
@given(ARG_LISTS, st.data())
def test_changing_a_sampled_type_is_a_violation(
    samples: list[list[Any]], data: st.DataObject
) -> None:
    schema = infer_schema(samples, as_tuple=True)
    index = data.draw(st.integers(0, len(samples) - 1))
    places = _places(samples[index], "", (), True)[1:]  # not the argument list itself
    assume(places)
    pointer, place = data.draw(st.sampled_from(places))
    seen = {
        _group(_get(sample, p))
        for sample in samples
        for p, other in _places(sample, "", (), True)
        if other == place
    }
    unseen = [group for group in GROUPS if group not in seen]
    assume(unseen)
    new = GROUPS[data.draw(st.sampled_from(unseen))]
    mutated = _replace(samples[index], pointer.split("/")[1:], new)
    found = Validator().validate(mutated, schema)
    assert found, (pointer, new, schema)
    # At the value itself, or at an enclosing anyOf (a place seen as text and binary).
    assert any(
        v.pointer == pointer or (pointer.startswith(v.pointer + "/") and "anyOf" in v.said)
        for v in found
    ), [str(v) for v in found]


def _get(value: Any, pointer: str) -> Any:
    for token in pointer.split("/")[1:]:
        token = token.replace("~1", "/").replace("~0", "~")
        value = value[int(token)] if isinstance(value, list) else value[token]
    return value


@PROPERTY
@given(ARG_LISTS, st.lists(VALUES, max_size=3))
def test_compiled_schema_agrees_with_the_validator(
    samples: list[list[Any]], other: list[Any]
) -> None:
    schema = infer_schema(samples, as_tuple=True)
    ok = compile_schema(schema, Validator())
    for value in [*samples, other]:
        assert ok(value) == (Validator().validate(value, schema) == []), (value, schema)
