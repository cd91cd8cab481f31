"""Diffs by JSON pointer, ignore pointers, placeholders, and which matcher failed."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from sioproxy.errors import ConfigError
from sioproxy.jsonpointer import format_tokens, parse
from sioproxy.recording.matching import (
    Difference,
    compare,
    diff,
    match_key,
    parse_ignore,
)

from .factory import legacy, sio


def texts(differences: list[Difference]) -> list[str]:
    return [d.text() for d in differences]


def test_diff_names_changed_missing_and_extra_by_pointer() -> None:
    recorded = {"args": ["hello", {"ts": 1, "user": "bob"}], "name": "chat"}
    live = {"args": ["hi", {"user": "bob", "room": "a/b"}], "name": "chat"}
    assert texts(diff(recorded, live)) == [
        '/args/0: recorded "hello" != live "hi"',
        "/args/1/ts: missing in live (recorded 1)",
        '/args/1/room: extra in live: "a/b"',
    ]


def test_diff_list_lengths() -> None:
    assert texts(diff([1, 2, 3], [1])) == [
        "/1: missing in live (recorded 2)",
        "/2: missing in live (recorded 3)",
    ]
    assert texts(diff([1], [1, {"a": True}])) == ['/1: extra in live: {"a":true}']


def test_json_number_and_bool_semantics() -> None:
    assert diff([1, 2.5], [1.0, 2.5]) == []  # one JSON number type
    assert texts(diff([True], [1])) == ["/0: recorded true != live 1"]
    assert texts(diff([0], [False])) == ["/0: recorded 0 != live false"]
    assert texts(diff([None], [0])) == ["/0: recorded null != live 0"]


def test_ignore_pointers_cover_subtrees_and_wildcards() -> None:
    recorded = {"args": [{"ts": 1, "n": 1}, {"ts": 2, "n": 2}]}
    live = {"args": [{"ts": 9, "n": 1}, {"ts": 8, "n": 3}]}
    ignore = [parse_ignore("/args/*/ts")]
    assert texts(diff(recorded, live, ignore)) == ["/args/1/n: recorded 2 != live 3"]
    assert diff(recorded, live, [parse_ignore("/args")]) == []
    # an ignored key may also be missing or extra
    assert diff({"a": 1, "ts": 1}, {"a": 1}, [parse_ignore("/ts")]) == []
    assert diff({"a": 1}, {"a": 1, "ts": 1}, [parse_ignore("/ts")]) == []


def test_redaction_placeholders_match_any_live_value() -> None:
    recorded = {"data": {"token": "[REDACTED:token]", "pin": "[REDACTED:pin]", "u": "bob"}}
    live = {"data": {"token": "s3cret", "pin": 1234, "u": "bob"}}
    assert diff(recorded, live) == []
    # inside a longer string (a 0.9 connect query, a v4 namespace query)
    assert diff("?token=[REDACTED:token]&x=1", "?token=abc&x=1") == []
    assert texts(diff("?token=[REDACTED:token]&x=1", "?token=abc&x=2")) == [
        '(whole value): recorded "?token=[REDACTED:token]&x=1" != live "?token=abc&x=2"'
    ]


@pytest.mark.parametrize(
    ("text", "tokens"),
    [("/args/0/ts", ("args", "0", "ts")), ("/a~1b/c~0d", ("a/b", "c~d")), ("/", ("",))],
)
def test_pointer_round_trip(text: str, tokens: tuple[str, ...]) -> None:
    assert parse_ignore(text).tokens == tokens
    assert format_tokens(tokens) == text


@pytest.mark.parametrize("bad", ["args/0", "", "/a~2"])
def test_bad_pointer_is_a_config_error(bad: str) -> None:
    with pytest.raises(ConfigError, match="--ignore"):
        parse_ignore(bad)


def test_compare_attributes_failures_to_matchers_modern() -> None:
    recorded = sio('42/chat,["msg",{"text":"hello"}]')
    assert compare(recorded, sio('42/chat,7["msg",{"text":"hello"}]'), 5).ok  # ack id aside
    assert compare(recorded, sio('42["msg",{"text":"hello"}]'), 5).failed == ("namespace",)
    assert compare(recorded, sio('42/chat,["other",{"text":"hello"}]'), 5).failed == ("event",)
    result = compare(recorded, sio('42/chat,["msg",{"text":"hi"}]'), 5)
    assert result.failed == ("args",)
    assert texts(list(result.differences)) == ['/data/1/text: recorded "hello" != live "hi"']
    assert "type" in compare(recorded, sio('43/chat,["msg",{"text":"hello"}]'), 5).failed


def test_compare_legacy_and_ignore() -> None:
    recorded = legacy('5:1+::{"name":"chat","args":["hello",{"ts":1}]}')
    live = legacy('5:9+::{"name":"chat","args":["hello",{"ts":2}]}')
    assert compare(recorded, live, None).failed == ("args",)
    assert compare(recorded, live, None, [parse_ignore("/args/1/ts")]).ok
    assert compare(
        recorded, legacy('5:::{"name":"chat2","args":["hello",{"ts":1}]}'), None
    ).failed == ("event",)
    assert compare(legacy("1::/chat"), legacy("1::/news"), None).failed == ("namespace",)


def test_binary_attachments_take_part_as_args() -> None:
    recorded = sio('451-["file",{"_placeholder":true,"num":0}]', attachments=(b"\x01\x02",))
    same = sio('451-["file",{"_placeholder":true,"num":0}]', attachments=(b"\x01\x02",))
    other = sio('451-["file",{"_placeholder":true,"num":0}]', attachments=(b"\x01\x03",))
    assert compare(recorded, same, 5).ok
    result = compare(recorded, other, 5)
    assert result.failed == ("args",)
    assert [d.pointer for d in result.differences] == ["/attachments/0"]


def test_match_key_ignores_v4_namespace_query() -> None:
    assert match_key(sio("40/admin?token=1,", 4)) == ("/admin", "connect", "")
    assert match_key(sio('42/a,["x",1]')) == ("/a", "event", '"x"')


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=5),
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=3), inner, max_size=3)
    ),
    max_leaves=10,
)


@given(json_values)
def test_a_value_never_differs_from_itself(value: Any) -> None:
    assert diff(value, value) == []


@given(json_values, json_values)
def test_ignoring_the_root_hides_every_difference(a: Any, b: Any) -> None:
    assert diff(a, b, [parse("")]) == []
    assert (diff(a, b) == []) == (a == b and _same_types(a, b))


def _same_types(a: Any, b: Any) -> bool:
    if isinstance(a, list):
        return all(_same_types(x, y) for x, y in zip(a, b, strict=True))
    if isinstance(a, dict):
        return all(_same_types(a[k], b[k]) for k in a)
    return type(a) is type(b)
