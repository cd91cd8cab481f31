"""RFC 6901 pointers (sioproxy.jsonpointer): parsing, the wildcard, the operations."""

from __future__ import annotations

from typing import Any

import pytest

from sioproxy.jsonpointer import (
    PointerError,
    delete,
    exists,
    find,
    format_tokens,
    get,
    parse,
    set_value,
)


@pytest.mark.parametrize(
    ("text", "tokens"),
    [
        ("", ()),
        ("/", ("",)),
        ("/args/0", ("args", "0")),
        ("/a~1b/~0c", ("a/b", "~c")),
        ("/~01", ("~1",)),  # ~0 then 1, not ~ then 01 (RFC 6901 section 4)
        ("/é/🎉", ("é", "🎉")),
    ],
)
def test_parse(text: str, tokens: tuple[str, ...]) -> None:
    assert parse(text).tokens == tokens
    assert parse(text).text == text


@pytest.mark.parametrize("text", ["args", "/a~2", "/a~", "~1", 5, None])
def test_parse_rejects(text: Any) -> None:
    with pytest.raises(PointerError):
        parse(text)


DOC = {"type": "event", "args": ["a", {"x/y": 1, "t~": [True]}], "": "empty"}


@pytest.mark.parametrize(
    ("text", "found", "value"),
    [
        ("", True, DOC),
        ("/type", True, "event"),
        ("/args/0", True, "a"),
        ("/args/1/x~1y", True, 1),
        ("/args/1/t~0/0", True, True),
        ("/", True, "empty"),
        ("/args/2", False, None),
        ("/args/-", False, None),
        ("/args/01", False, None),  # leading zero is not an index
        ("/args/0/0", False, None),  # a string is no container
        ("/missing/deep", False, None),
    ],
)
def test_get_and_exists(text: str, found: bool, value: Any) -> None:
    p = parse(text)
    assert exists(DOC, p) is found
    assert get(DOC, p, "dflt") == (value if found else "dflt")
    assert find(DOC, p) == (found, value)


@pytest.mark.parametrize(
    ("tokens", "text"), [(("args", "0", "ts"), "/args/0/ts"), (("a/b", "c~d"), "/a~1b/c~0d")]
)
def test_format_tokens_round_trips(tokens: tuple[str, ...], text: str) -> None:
    assert format_tokens(tokens) == text
    assert parse(text).tokens == tokens


@pytest.mark.parametrize(
    ("pattern", "tokens", "covered"),
    [
        ("/args/*/ts", ("args", "3", "ts"), True),
        ("/args/*/ts", ("args", "3", "ts", "deep"), True),  # beneath it
        ("/args/*/ts", ("args", "3"), False),  # above it
        ("/args/*/ts", ("args", "3", "t"), False),
        ("/args", ("args",), True),
        ("", ("anything",), True),
        ("/a~1*", ("a/*",), True),  # only a whole "*" token is the wildcard
        ("/a~1*", ("a/b",), False),
    ],
)
def test_covers_with_the_wildcard(pattern: str, tokens: tuple[str, ...], covered: bool) -> None:
    assert parse(pattern).covers(tokens) is covered


def test_set_creates_members_and_appends() -> None:
    doc: dict[str, Any] = {"args": [1, 2]}
    set_value(doc, parse("/new"), "v")
    set_value(doc, parse("/args/-"), 3)
    set_value(doc, parse("/args/3"), 4)  # index == length appends too
    set_value(doc, parse("/args/0"), "one")
    assert doc == {"args": ["one", 2, 3, 4], "new": "v"}


def test_set_root_returns_the_value() -> None:
    assert set_value({"a": 1}, parse(""), {"b": 2}) == {"b": 2}


@pytest.mark.parametrize(
    ("text", "create"),
    [
        ("/nope/x", True),  # parent missing
        ("/args/5", True),  # beyond the end
        ("/args/x", True),  # not an index
        ("/type/x", True),  # parent is a string
        ("/missing", False),  # replace needs an existing member
        ("/args/-", False),
        ("/args/2", False),
    ],
)
def test_set_errors(text: str, create: bool) -> None:
    doc = {"type": "event", "args": [1, 2]}
    with pytest.raises(PointerError):
        set_value(doc, parse(text), 0, create=create)
    assert doc == {"type": "event", "args": [1, 2]}


def test_replace_existing() -> None:
    doc = {"args": [1, 2]}
    set_value(doc, parse("/args/1"), "b", create=False)
    assert doc == {"args": [1, "b"]}


def test_delete() -> None:
    doc: dict[str, Any] = {"args": [1, 2, 3], "id": 4}
    assert delete(doc, parse("/args/1")) is True
    assert delete(doc, parse("/id")) is True
    assert delete(doc, parse("/id")) is False
    assert delete(doc, parse("/args/9")) is False
    assert delete(doc, parse("/args/-")) is False
    assert delete(doc, parse("/nope/x")) is False
    assert doc == {"args": [1, 3]}
    with pytest.raises(PointerError):
        delete(doc, parse(""))
