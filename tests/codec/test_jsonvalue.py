"""The one JSON equality: equal as JSON texts, so ``-0.0`` is not ``0.0``."""

from __future__ import annotations

import json
from typing import Any

import pytest

from sioproxy.codec.jsonvalue import same_json


@pytest.mark.parametrize(
    ("a", "b"),
    [
        (-0.0, 0.0),
        ([-0.0], [0.0]),
        ({"x": 0.0}, {"x": -0.0}),
        (1, 1.0),
        (1, True),
        ([1], (1,)),
        ({"a": 1, "b": 2}, {"b": 2, "a": 1}),
    ],
)
def test_values_that_encode_differently_are_not_the_same(a: Any, b: Any) -> None:
    assert not same_json(a, b)
    assert not same_json(b, a)


@pytest.mark.parametrize("value", [0.0, -0.0, [1, 1.5, "é", None, {"k": [True]}], {}])
def test_a_value_is_the_same_as_its_round_trip(value: Any) -> None:
    assert same_json(value, json.loads(json.dumps(value)))


def test_negative_zero_encodes_differently() -> None:
    # Why -0.0 counts as a difference: the two texts differ on the wire.
    assert json.dumps(-0.0) != json.dumps(0.0)
