"""``js_stringify``'s short cut (Python's json for plain values) writes what the walk writes."""

from __future__ import annotations

import random
from decimal import Decimal
from enum import IntEnum
from typing import Any

import pytest

from sioproxy.codec import legacy_json
from sioproxy.codec.legacy_json import js_stringify
from sioproxy.errors import EncodeError


class Level(IntEnum):
    HIGH = 3


SAMPLES: list[Any] = [
    {"name": "ack", "args": [{"seq": 1, "msg": 'héllo \u2028 \x01 "q" \\', "ok": True}]},
    ["x", None, False, 0, -12, 10**30, [], {}, [[["deep"]]]],
    {"lone": "\ud800 and \udfff", "\udc00key": ["\ud83d"]},
    ("a", ("b",)),
    {"float": 1.0, "small": 1e-7, "big": 1e21, "neg": -0.5},
    [Decimal("2.50"), Level.HIGH, float("nan")],
    "just a string",
    7,
    None,
]


def _random_value(rng: random.Random, depth: int = 0) -> Any:
    pick = rng.randrange(9 if depth < 4 else 5)
    if pick == 0:
        return "".join(
            chr(rng.choice([0x41, 0xE9, 0x1, 0x22, 0x5C, 0xD800, 0x1F600])) for _ in range(3)
        )
    if pick == 1:
        return rng.randrange(-(10**20), 10**20)
    if pick == 2:
        return rng.choice([True, False, None])
    if pick == 3:
        return rng.choice([1.0, 0.1, 1e-7, 123456789.5, -2.0])
    if pick == 4:
        return "k"
    if pick in (5, 6):
        return [_random_value(rng, depth + 1) for _ in range(rng.randrange(4))]
    return {
        f"k{i}\ud801"[: 2 + i % 3]: _random_value(rng, depth + 1) for i in range(rng.randrange(4))
    }


@pytest.mark.parametrize("value", SAMPLES)
def test_same_text_as_the_walk(value: Any) -> None:
    assert js_stringify(value) == legacy_json._walked(value)


def test_random_values_same_text_as_the_walk() -> None:
    rng = random.Random(9)
    for _ in range(2000):
        value = _random_value(rng)
        assert js_stringify(value) == legacy_json._walked(value), value


def test_plain_values_take_the_short_cut_and_others_do_not() -> None:
    assert legacy_json._plain({"a": [1, "x", None, True, ("t",)]})
    assert not legacy_json._plain({"a": [1.0]})
    assert not legacy_json._plain({1: "x"})  # json would write "1", JSON.stringify refuses
    assert not legacy_json._plain([Level.HIGH])


def test_refusals_are_the_walks() -> None:
    with pytest.raises(EncodeError, match="keys must be str"):
        js_stringify({1: "x"})
    circular: list[Any] = []
    circular.append(circular)
    with pytest.raises(EncodeError, match="too deeply"):
        js_stringify(circular)
