"""The TOML schema: every field, and file:line errors for bad values."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

from sioproxy.errors import ConfigError
from sioproxy.jsonpointer import parse
from sioproxy.pipeline import load_rules, parse_rules
from sioproxy.types import Direction

BRIEF_EXAMPLE = """
[[rules]]
name = "shout back"
dir = "s2c"                 # c2s, s2c or both (default both)
namespace = "/chat"         # optional
event = "echo"              # optional; also type = "message" | "json" | "ack" | ...
set = { "/args/0" = "rewritten" }   # JSON pointers into the packet's dict form

[[rules]]
event = "tick"
action = "drop"
"""


def one(body: str) -> Any:
    rules = parse_rules("[[rules]]\n" + body, "r.toml")
    assert len(rules.rules) == 1
    return rules.rules[0]


def test_brief_example() -> None:
    rules = parse_rules(BRIEF_EXAMPLE, "r.toml").rules
    assert [r.name for r in rules] == ["shout back", "rule 2"]
    shout, tick = rules
    assert shout.directions == {Direction.S2C}
    assert shout.namespace == "/chat"
    assert shout.event == "echo"
    assert shout.kinds == frozenset({"event", "binary_event"})
    assert shout.set == ((parse("/args/0"), "rewritten"),)
    assert shout.line == 2
    assert tick.action == "drop"
    assert tick.directions == set(Direction)
    assert tick.line == 9


@pytest.mark.parametrize(
    ("body", "attr", "value"),
    [
        ('dir = "c2s"\naction = "drop"', "directions", {Direction.C2S}),
        ('dir = "both"\naction = "drop"', "directions", set(Direction)),
        ('namespace = ""\naction = "drop"', "namespace", "/"),
        ('type = "message"\naction = "drop"', "kinds", {"message"}),
        ('type = ["ack", "json"]\naction = "drop"', "kinds", {"ack", "binary_ack", "json"}),
        ('type = "error"\naction = "drop"', "kinds", {"error", "connect_error"}),
        ('type = "binary_event"\naction = "drop"', "kinds", {"binary_event"}),
        ('action = "drop"', "kinds", None),
        ('equals = { "/args/0" = 1 }\naction = "drop"', "conditions", 1),
        ('replace = { "/id" = 3 }', "replace", ((parse("/id"), 3),)),
        ('delete = "/args/1"', "delete", (parse("/args/1"),)),
        ('delete = ["/a", "/b"]', "delete", (parse("/a"), parse("/b"))),
        ('rename = "other"', "rename", "other"),
        ('action = "duplicate"', "copies", 1),
        ('action = "duplicate"\ncopies = 3', "copies", 3),
        ("delay = 250", "delay", 0.25),
        ("delay = 1.5", "delay", 0.0015),
        ('event = "x"\nwithhold_ack = true', "withhold_ack", True),
        ('event = "x"\ndelay_ack = 2000', "delay_ack", 2.0),
        ('action = "drop"\nprobability = 0.25', "probability", 0.25),
        ('action = "drop"\ncount = 2', "count", 2),
        ('action = "drop"\nafter = 3', "after", 3),
        ('action = "drop"\nper = "proxy"', "per", "proxy"),
        ('action = "close_namespace"', "action", "close_namespace"),
        ('action = "close_connection"', "action", "close_connection"),
    ],
)
def test_fields(body: str, attr: str, value: Any) -> None:
    rule = one(body)
    got = getattr(rule, attr)
    if attr == "conditions":
        assert len(got) == value
    else:
        assert got == value


def test_conditions_compiled() -> None:
    rule = one(
        'equals = { "/args/0/user" = "bob" }\n'
        'regex = { "/args/1" = "^he(l+)o" }\n'
        'exists = { "/id" = true, "/args/2" = false }\n'
        'action = "drop"'
    )
    ops = [(c.pointer.text, c.op) for c in rule.conditions]
    assert ops == [
        ("/args/0/user", "equals"),
        ("/args/1", "regex"),
        ("/id", "exists"),
        ("/args/2", "exists"),
    ]
    assert isinstance(rule.conditions[1].value, re.Pattern)


def test_sub_and_inject() -> None:
    rule = one(
        'sub = { "/args/0" = { pattern = "a+", repl = "b" } }\n'
        "[[rules.inject]]\n"
        'dir = "reverse"\nwhen = "before"\ndelay = 100\n'
        'packet = { type = "event", name = "hello", args = [1] }\n'
    )
    (ptr, pattern, repl) = rule.sub[0]
    assert (ptr.text, pattern.pattern, repl) == ("/args/0", "a+", "b")
    (inj,) = rule.inject
    assert (inj.direction, inj.when, inj.delay) == ("reverse", "before", 0.1)
    assert inj.packet == {"type": "event", "name": "hello", "args": [1]}


def test_refuse_upgrade_rule_is_kept_apart() -> None:
    rules = parse_rules('[[rules]]\naction = "refuse_upgrade"\ncount = 1\n', "r.toml")
    assert rules.rules == ()
    assert [r.count for r in rules.upgrade_rules] == [1]


def test_empty_file() -> None:
    assert len(parse_rules("", "r.toml")) == 0


ERRORS = [
    # (rules body after a first valid rule, expected line, message fragment)
    ('[[rules]]\naction = "drop"\nbogus = 1\n', 5, "unknown key 'bogus'"),
    ('[[rules]]\nset = { "args/0" = 1 }\n', 4, "must be empty or start with '/'"),
    ('[[rules]]\naction = "drop"\nequals = { "/a~2" = 1 }\n', 5, "'~' must be followed"),
    ('[[rules]]\naction = "drop"\nregex = { "/args/0" = "(unclosed" }\n', 5, "bad regex"),
    ('[[rules]]\naction = "drop"\n\ndir = "up"\n', 6, "'dir' must be one of c2s, s2c, both"),
    ('[[rules]]\ntype = "evnt"\naction = "drop"\n', 4, "unknown packet type 'evnt'"),
    ('[[rules]]\naction = "explode"\n', 4, "'action' must be one of"),
    ('[[rules]]\naction = "drop"\nprobability = 1.5\n', 5, "between 0 and 1"),
    ('[[rules]]\naction = "drop"\ncount = 0\n', 5, "'count' must be an integer from 1"),
    ('[[rules]]\naction = "drop"\nafter = -1\n', 5, "'after' must be an integer from 0"),
    ('[[rules]]\naction = "drop"\nafter = true\n', 5, "'after' must be an integer"),
    ("[[rules]]\ndelay = -5\n", 4, "milliseconds"),
    ('[[rules]]\naction = "drop"\ncopies = 2\n', 5, "'copies' needs action"),
    ('[[rules]]\nname = "idle"\n', 3, "does nothing"),
    ('[[rules]]\naction = "refuse_upgrade"\nevent = "x"\n', 5, "refuse_upgrade"),
    ('[[rules]]\nevent = "x"\nwithhold_ack = true\ndelay_ack = 5\n', 6, "both withhold"),
    ('[[rules]]\naction = "drop"\nexists = { "/id" = "yes" }\n', 5, "true or false"),
    ('[[rules]]\naction = "drop"\nnamespace = "chat"\n', 5, "must start with '/'"),
    ('[[rules]]\nsub = { "/a" = "x" }\n', 4, "pattern = ..., repl = ..."),
    ('[[rules]]\ntype = "ack"\nevent = "x"\naction = "drop"\n', 5, "'event' needs a type"),
    ('[[rules]]\ntype = "ack"\nrename = "x"\n', 5, "'rename' only applies"),
    ('[[rules]]\ndelete = [""]\n', 4, "whole packet"),
    ('[[rules]]\nwithhold_ack = "yes"\n', 4, "true or false"),
    ('[[rules]]\n[[rules.inject]]\nwhen = "later"\npacket = {}\n', 5, "'when' must be"),
    ('[[rules]]\n[[rules.inject]]\ndir = "up"\npacket = {}\n', 5, "'dir' must be"),
    ("[[rules]]\n[[rules.inject]]\ncolour = 1\n", 5, "unknown key 'colour' in inject"),
    ("[[rules]]\n[[rules.inject]]\ndelay = 1\n", 3, "needs a 'packet' table"),
    ('[[rules]]\n[[rules.inject]]\npacket = { type = "nope" }\n', 5, "unknown type 'nope'"),
    ('[[rules]]\naction = "drop"\nset = 5\n', 5, "'set' must be a table"),
    # Bounds (issue 15): numbers that would cost memory or never fire.
    (
        '[[rules]]\naction = "duplicate"\ncopies = 3000000\n',
        5,
        "'copies' must be an integer from 1 to 100",
    ),
    ('[[rules]]\naction = "drop"\ncount = 10000000000\n', 5, "'count' must be an integer from 1"),
    ('[[rules]]\naction = "drop"\nafter = 10000000000\n', 5, "'after' must be an integer from 0"),
    ("[[rules]]\ndelay = 1e12\n", 4, "milliseconds from 0 to 3,600,000"),
    ("[[rules]]\ndelay = nan\n", 4, "milliseconds from 0"),
    ("[[rules]]\ndelay = inf\n", 4, "milliseconds from 0"),
    ('[[rules]]\nevent = "x"\ndelay_ack = 3600001\n', 5, "'delay_ack' must be milliseconds"),
    ('[[rules]]\naction = "drop"\nprobability = nan\n', 5, "between 0 and 1"),
    (
        '[[rules]]\n[[rules.inject]]\ndelay = 1e300\npacket = { name = "x" }\n',
        5,
        "'delay' must be milliseconds",
    ),
    (
        "[[rules]]\ninject = [" + ", ".join(["{ packet = { name = 'x' } }"] * 101) + "]\n",
        4,
        "at most 100 injected packets",
    ),
]


@pytest.mark.parametrize(("body", "line", "fragment"), ERRORS)
def test_errors_name_file_and_line(body: str, line: int, fragment: str) -> None:
    text = '[[rules]]\naction = "drop"\n' + body
    with pytest.raises(ConfigError) as info:
        parse_rules(text, "bad.toml")
    err = info.value
    assert (err.path, err.line) == ("bad.toml", line), str(err)
    assert fragment in err.reason
    assert str(err).startswith(f"bad.toml:{line}: rule 2")


def test_named_rule_is_named_in_errors() -> None:
    with pytest.raises(ConfigError, match=r"r\.toml:3: rule 1 \('slow'\): 'delay'"):
        parse_rules('[[rules]]\nname = "slow"\ndelay = "fast"\n', "r.toml")


def test_toml_syntax_error_has_line() -> None:
    with pytest.raises(ConfigError) as info:
        parse_rules('[[rules]]\naction = "drop"\nset = {\n', "r.toml")
    assert info.value.line == 3


def test_unknown_top_level_key() -> None:
    with pytest.raises(ConfigError) as info:
        parse_rules('version = 2\n[[rules]]\naction = "drop"\n', "r.toml")
    assert info.value.line == 1
    assert "unknown top-level key 'version'" in str(info.value)


def test_load_rules_from_file(tmp_path: Path) -> None:
    path = tmp_path / "r.toml"
    path.write_text(BRIEF_EXAMPLE, encoding="utf-8")
    assert len(load_rules(str(path))) == 2
    with pytest.raises(ConfigError, match="cannot read rules file") as info:
        load_rules(str(tmp_path / "missing.toml"))
    assert info.value.path == str(tmp_path / "missing.toml")
    path.write_bytes(b"\xff\xfe")
    with pytest.raises(ConfigError, match="not UTF-8"):
        load_rules(str(path))
