"""The --filter language: matching table, combinators, and errors that name the column."""

from __future__ import annotations

from pathlib import Path

import pytest

from sioproxy.errors import ConfigError
from sioproxy.inspect.filters import compile_filter, describe
from sioproxy.recording import read_recording

DATA = Path(__file__).parent / "data"


def _selected(expr: str, name: str = "eio4_session.jsonl") -> list[int]:
    flt = compile_filter(expr)
    return [e.seq for e in read_recording(DATA / name).entries if flt.matches(e)]


MATCHES = [
    ("nsp:/chat", [12, 13, 15]),
    ("event:join", [12]),
    ("event:j*", [12]),
    ("type:ack", [11, 13]),
    ("dir:s2c type:ack", [11, 13]),
    ("nsp:/chat dir:c2s", [12]),
    ("nsp:/chat -type:ack", [12, 15]),
    ("nsp:/chat not type:ack", [12, 15]),
    ("event:join or type:binary_event", [12, 14]),
    ("type:ack or event:hello dir:c2s", [10, 11, 13]),
    ("(type:ack or event:hello) dir:c2s", [10]),
    ("kind:open or kind:upgrade or kind:close", [1, 6, 19]),
    ("transport:polling kind:packet", [2, 3, 4, 5]),
    ("conn:c1 type:undecoded", [16]),
    ("conn:c2", []),
    ("id:2", [12, 13]),
    ("raw:*probe", [7, 8]),
    ('event:"a b c"', []),
    ('raw:"42/chat,[\\"message\\",\\"a b c\\"]"', [15]),
    ('event:"*"', []),  # a quoted * is literal
    ("type:ping and dir:c2s", [7]),
    ("TYPE:ACK", []),  # keys are case-insensitive, values are not
]


@pytest.mark.parametrize(("expr", "seqs"), MATCHES)
def test_filter_selects(expr: str, seqs: list[int]) -> None:
    assert _selected(expr) == seqs


def test_glob_over_event_names() -> None:
    # "hello", "join" (no e), "welcome", "message", "file": names containing "e".
    assert _selected("event:*e*") == [5, 10, 14, 15]


def test_legacy_main_endpoint_is_slash() -> None:
    assert _selected("nsp:/ type:heartbeat", "legacy_session.jsonl") == [7, 8]
    assert _selected("nsp:/chat event:join", "legacy_session.jsonl") == [4]


def test_describe_legacy_ack() -> None:
    entry = read_recording(DATA / "legacy_session.jsonl").entries[5]
    info = describe(entry)
    assert (info.type, info.nsp, info.ack_id, info.args) == ("ack", "/chat", 1, ["ok"])


ERRORS = [
    ("", "empty expression at column 1"),
    ("nsp:/a foo:b", "unknown key 'foo'.* at column 8"),
    ("nsp", "expected key:value, got 'nsp' at column 1"),
    ("nsp:", "missing value after nsp: at column 5"),
    ("dir:up", "dir must be c2s or s2c, got 'up' at column 5"),
    ('event:"abc', "unterminated quote at column 7"),
    ("or nsp:/", "'or' needs a term before it at column 1"),
    ("nsp:/ or", "'or' needs a term after it at column 9"),
    ("nsp:/ -", "expected key:value, got '-' at column 7"),
    ("not", "nothing to negate at column 1"),
    ("(nsp:/ type:ack", r"unclosed '\(' at column 1"),
    ("nsp:/ )", r"unexpected '\)' at column 7"),
    ("nsp:/ and", "'and' needs a term after it at column 10"),
]


@pytest.mark.parametrize(("expr", "message"), ERRORS)
def test_filter_errors_name_the_column(expr: str, message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        compile_filter(expr)
