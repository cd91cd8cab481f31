"""Property tests of the rules parser: any text parses or raises ConfigError.

Three layers of input: arbitrary text; TOML-shaped text built from the rule
keys of docs/rules.md with arbitrary values; and valid documents with one
value mutated. Nothing but ``ConfigError`` may escape ``parse_rules``, and a
ConfigError names a line that exists (or none).
"""

from __future__ import annotations

import json
import os
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sioproxy.errors import ConfigError
from sioproxy.pipeline.rules_file import parse_rules

FUZZ = settings(
    max_examples=int(os.environ.get("SIOPROXY_FUZZ_EXAMPLES", "400")),
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
KEYS = [
    "name",
    "dir",
    "namespace",
    "event",
    "type",
    "action",
    "set",
    "replace",
    "delete",
    "sub",
    "rename",
    "equals",
    "regex",
    "exists",
    "copies",
    "delay",
    "probability",
    "per",
    "every",
    "after",
    "limit",
    "inject",
    "reply",
    "ack",
    "jitter",
    "close",
    "x",
]
SCALARS = (
    st.booleans()
    | st.integers(min_value=-(10**20), max_value=10**20)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=12)
    | st.sampled_from(["c2s", "s2c", "both", "drop", "duplicate", "/args/0", "(?i)x", "[", "/"])
)


def _toml_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return repr(value)
    if isinstance(value, str):
        return json.dumps(value)  # a TOML basic string is JSON-compatible here
    if isinstance(value, list):
        return "[" + ", ".join(_toml_value(v) for v in value) + "]"
    return "{ " + ", ".join(f"{json.dumps(k)} = {_toml_value(v)}" for k, v in value.items()) + " }"


VALUES = st.recursive(
    SCALARS,
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=6), inner, max_size=3)
    ),
    max_leaves=8,
)
RULE = st.dictionaries(st.sampled_from(KEYS), VALUES, max_size=6)


def _check(text: str) -> None:
    error: ConfigError | None = None
    try:
        parse_rules(text, "fuzz.toml")
    except ConfigError as exc:
        error = exc
    if error is not None:
        assert error.path == "fuzz.toml"
        assert error.line is None or 1 <= error.line <= text.count("\n") + 1, error


@FUZZ
@given(st.text(max_size=300))
def test_arbitrary_text(text: str) -> None:
    _check(text)


@FUZZ
@given(st.lists(RULE, max_size=4))
def test_rule_shaped_documents(rules: list[dict[str, Any]]) -> None:
    blocks = [
        "[[rules]]\n" + "".join(f"{k} = {_toml_value(v)}\n" for k, v in rule.items())
        for rule in rules
    ]
    _check("\n".join(blocks))


VALID = [
    {"event": "tick", "action": "drop"},
    {"name": "r", "dir": "s2c", "event": "echo", "set": {"/args/0": "x"}},
    {"event": "save", "delay": 1500},
    {"event": "tick", "action": "duplicate", "copies": 2},
]


@FUZZ
@given(st.sampled_from(VALID), st.sampled_from(KEYS), VALUES)
def test_valid_rules_with_one_value_changed(base: dict[str, Any], key: str, value: Any) -> None:
    rule = dict(base) | {key: value}
    _check("[[rules]]\n" + "".join(f"{k} = {_toml_value(v)}\n" for k, v in rule.items()))


# Found by the property tests above: a list where a type name belongs raised
# TypeError (unhashable) out of parse_rules instead of ConfigError.
@pytest.mark.parametrize(
    "text",
    [
        '[[rules]]\nevent = "tick"\naction = "drop"\ntype = [[]]\n',
        "[[rules]]\ntype = [{ a = 1 }]\n",
        '[[rules]]\nevent = "x"\ninject = { packet = { type = ["event"] } }\n',
    ],
)
def test_regression_unhashable_type_names(text: str) -> None:
    with pytest.raises(ConfigError, match="type"):
        parse_rules(text, "fuzz.toml")
