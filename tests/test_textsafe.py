"""``escape_controls`` (which characters, in which form, JSON stays JSON); ``shorten``."""

from __future__ import annotations

import json

import pytest
from hypothesis import given
from hypothesis import strategies as st

from sioproxy.textsafe import escape_controls, preview, shorten

UNSAFE = [
    *(chr(c) for c in range(0x20)),
    "\x7f",
    *(chr(c) for c in range(0x80, 0xA0)),
    "\u061c",
    "\u200e",
    "\u200f",
    *(chr(c) for c in range(0x202A, 0x202F)),
    *(chr(c) for c in range(0x2066, 0x206A)),
]


@pytest.mark.parametrize("char", UNSAFE, ids=lambda c: f"U+{ord(c):04X}")
def test_every_control_and_bidi_character_is_escaped(char: str) -> None:
    out = escape_controls(f"a{char}b")
    assert char not in out
    assert out.startswith("a\\")
    assert out.endswith("b")
    assert json.loads(f'"{out}"') == f"a{char}b"  # a JSON escape of the same character


def test_short_forms_and_plain_text() -> None:
    assert escape_controls("x\r\ny\tz") == "x\\r\\ny\\tz"
    assert escape_controls("\x1b[31m\x9b\u202e") == "\\u001b[31m\\u009b\\u202e"
    text = 'héllo wörld 😀 \\u001b "quoted" \u00a0\u200d'  # printable, ZWJ and NBSP stay
    assert escape_controls(text) is text


@given(st.text())
def test_json_text_stays_the_same_json(value: str) -> None:
    dumped = json.dumps({"k": value}, ensure_ascii=False)
    escaped = escape_controls(dumped)
    assert json.loads(escaped) == {"k": value}
    assert escape_controls(escaped) == escaped


@pytest.mark.parametrize(
    ("text", "limit", "out"),
    [("abcdef", 6, "abcdef"), ("abcdefg", 6, "abc..."), ("abcdefg", 2, "..."), ("", 0, "")],
)
def test_shorten_keeps_within_the_limit(text: str, limit: int, out: str) -> None:
    assert shorten(text, limit) == out


@given(st.text(), st.integers(min_value=3, max_value=50))
def test_shorten_never_exceeds_the_limit(text: str, limit: int) -> None:
    out = shorten(text, limit)
    assert len(out) <= limit
    assert out == text or (out.endswith("...") and text.startswith(out[:-3]))


def test_preview_forms() -> None:
    value = {"a": [1, "é"]}
    assert preview(value, 100) == '{"a":[1,"é"]}'
    assert preview(value, 100, spaced=True) == '{"a": [1, "é"]}'
    assert preview(value, 8) == '{"a":...'
    assert preview({"b": b"x"}, 100) == '{"b":"b\'x\'"}'  # repr for what JSON cannot hold
    assert preview({"b": b"x"}, 100, default=None) == "{'b': b'x'}"
    loop: list[object] = []
    loop.append(loop)
    assert preview(loop, 100) == "[[...]]"
