"""Each rule action on 0.9 and modern packets, and the rule selectors."""

from __future__ import annotations

import dataclasses
import random
from typing import Any

import pytest

from sioproxy.codec.socketio import decode_sio, encode_sio
from sioproxy.pipeline import CloseConnection, CloseNamespace, Dropped, Emit
from sioproxy.types import Generation

from .helpers import C2S, EIO3, EIO4, GENS, LEGACY, S2C, decode, emits, event, pipe, run, summary
from .helpers import wire as wire_of


@pytest.mark.parametrize("gen", GENS)
def test_brief_example(gen: Generation) -> None:
    p, _ = pipe(
        '[[rules]]\nname = "shout back"\ndir = "s2c"\nnamespace = "/chat"\nevent = "echo"\n'
        'set = { "/args/0" = "rewritten" }\n'
        '[[rules]]\nevent = "tick"\naction = "drop"\n'
    )
    pk = event(gen, "echo", "hi", 2, ns="/chat")
    out = run(p, gen, S2C, pk)
    assert summary(gen, out) == [("s2c", "echo", ["rewritten", 2], "/chat", "rewritten")]
    (e,) = emits(out)
    assert e.original is pk
    assert e.rule == "shout back"
    # other direction, other namespace: the very same object comes back
    for other, d in ((event(gen, "echo", "hi", ns="/chat"), C2S), (event(gen, "echo", "x"), S2C)):
        (e,) = run(p, gen, d, other)
        assert e.packet is other
        assert e.origin == "unchanged"
    (dropped,) = run(p, gen, C2S, event(gen, "tick"))
    assert isinstance(dropped, Dropped)
    assert dropped.rule == "rule 2"


EDITS = [
    # (rule body, event args in, args out)
    ('set = { "/args/1" = { deep = [1, 2] } }', ["a"], ["a", {"deep": [1, 2]}]),
    ('set = { "/args/-" = "end" }', ["a"], ["a", "end"]),
    ('replace = { "/args/0" = "b" }', ["a"], ["b"]),
    ('replace = { "/args/3" = "b" }', ["a"], ["a"]),  # missing: no-op
    ('delete = ["/args/0/secret"]', [{"secret": 1, "keep": 2}], [{"keep": 2}]),
    ('sub = { "/args/0" = { pattern = "o+", repl = "0" } }', ["foo boo"], ["f0 b0"]),
    ('sub = { "/args/0" = { pattern = "o", repl = "0" } }', [5], [5]),  # not a string
]


@pytest.mark.parametrize("gen", GENS)
@pytest.mark.parametrize(("body", "args_in", "args_out"), EDITS)
def test_edits(gen: Generation, body: str, args_in: list[Any], args_out: list[Any]) -> None:
    p, _ = pipe(f'[[rules]]\nevent = "e"\n{body}\n')
    pk = event(gen, "e", *args_in, ns="/n")
    (e,) = run(p, gen, C2S, pk)
    assert summary(gen, [e])[0][1:3] == ("e", args_out)
    assert (e.packet is pk) == (args_in == args_out)
    if e.origin == "rewritten":
        assert wire_of(e.packet) != wire_of(pk)


@pytest.mark.parametrize("gen", GENS)
def test_set_to_same_value_keeps_the_object(gen: Generation) -> None:
    p, _ = pipe('[[rules]]\nevent = "e"\nset = { "/args/0" = 1 }\n')
    pk = event(gen, "e", 1)
    (e,) = run(p, gen, C2S, pk)
    assert e.packet is pk


@pytest.mark.parametrize("gen", GENS)
def test_rename_and_namespace_edit(gen: Generation) -> None:
    p, _ = pipe('[[rules]]\nevent = "old"\nrename = "new"\nset = { "/namespace" = "/other" }\n')
    (e,) = run(p, gen, S2C, event(gen, "old", 1, ns="/chat", id=4))
    assert summary(gen, [e]) == [("s2c", "new", [1], "/other", "rewritten")]


def test_rewrite_wire_forms() -> None:
    p, _ = pipe('[[rules]]\nevent = "e"\nset = { "/args/0" = "🎉" }\n')
    (e,) = run(p, LEGACY, C2S, event(LEGACY, "e", 1, ns="/chat", id=7))
    assert wire_of(e.packet) == '5:7+:/chat:{"name":"e","args":["🎉"]}'
    (e,) = run(p, EIO3, C2S, decode(EIO3, '2/chat?x=1,7 ["e", 1]'))
    assert wire_of(e.packet) == '2/chat?x=1,7["e","🎉"]'  # the v4 query stays in nsp
    (e,) = run(p, EIO4, C2S, decode(EIO4, '2/chat,7["e",1]'))
    assert wire_of(e.packet) == '2/chat,7["e","🎉"]'


def test_binary_rewrite_keeps_attachments() -> None:
    p, _ = pipe('[[rules]]\nevent = "up"\nset = { "/args/1" = "renamed.bin" }\n')
    header = decode_sio('51-["up",{"_placeholder":true,"num":0},"a.bin"]', 5)
    pk = dataclasses.replace(header, attachments=(b"\x00\x01",))
    (e,) = run(p, EIO4, C2S, pk)
    assert e.origin == "rewritten"
    assert encode_sio(e.packet) == [
        '51-["up",{"_placeholder":true,"num":0},"renamed.bin"]',
        b"\x00\x01",
    ]


def test_binary_rewrite_that_breaks_placeholders_is_refused() -> None:
    p, logs = pipe('[[rules]]\nevent = "up"\ndelete = "/args/0/num"\n')
    header = decode_sio('51-["up",{"_placeholder":true,"num":0}]', 5)
    pk = dataclasses.replace(header, attachments=(b"\x01",))
    out = run(p, EIO4, C2S, pk)
    assert emits(out)[0].packet is pk
    assert any("invalid packet" in line for line in logs)


@pytest.mark.parametrize("gen", GENS)
def test_drop_delay_duplicate(gen: Generation) -> None:
    p, _ = pipe(
        '[[rules]]\nevent = "d"\naction = "drop"\n'
        '[[rules]]\nevent = "s"\ndelay = 1500\n'
        '[[rules]]\nevent = "x"\naction = "duplicate"\ncopies = 2\n'
    )
    (dropped,) = run(p, gen, C2S, event(gen, "d"))
    assert isinstance(dropped, Dropped)
    slow = event(gen, "s")
    (e,) = run(p, gen, C2S, slow)
    assert (e.packet, e.delay, e.origin) == (slow, 1.5, "unchanged")
    dup = event(gen, "x", 1)
    out = run(p, gen, S2C, dup)
    assert [(e.packet is dup, e.origin) for e in out] == [
        (True, "unchanged"),
        (True, "injected"),
        (True, "injected"),
    ]


@pytest.mark.parametrize("gen", GENS)
def test_inject_before_after_both_directions(gen: Generation) -> None:
    p, _ = pipe(
        '[[rules]]\nname = "inj"\nevent = "go"\n'
        '[[rules.inject]]\nwhen = "before"\npacket = { name = "pre", args = [1] }\n'
        '[[rules.inject]]\ndir = "reverse"\ndelay = 20\npacket = { name = "back" }\n'
        '[[rules.inject]]\ndir = "c2s"\npacket = { name = "up", namespace = "/x" }\n'
        '[[rules.inject]]\ndir = "s2c"\nwhen = "after"\npacket = { name = "down", args = [] }\n'
    )
    out = run(p, gen, C2S, event(gen, "go", ns="/chat"))
    assert summary(gen, out) == [
        ("c2s", "pre", [1], "/chat", "injected"),
        ("c2s", "go", [], "/chat", "unchanged"),
        ("s2c", "back", [], "/chat", "injected"),
        ("c2s", "up", [], "/x", "injected"),
        ("s2c", "down", [], "/chat", "injected"),
    ]
    assert [e.delay for e in out] == [0.0, 0.0, 0.02, 0.0, 0.0]
    assert {e.rule for e in out if e.origin == "injected"} == {"inj"}


@pytest.mark.parametrize("gen", GENS)
def test_inject_native_dict_forms(gen: Generation) -> None:
    pkt = (
        '{ type = "message", data = "hello", endpoint = "/chat" }'
        if gen is LEGACY
        else '{ type = "event", nsp = "/chat", data = ["hello", 1] }'
    )
    p, _ = pipe(f'[[rules]]\nevent = "go"\n[[rules.inject]]\npacket = {pkt}\n')
    out = run(p, gen, C2S, event(gen, "go"))
    expected = "3::/chat:hello" if gen is LEGACY else '2/chat,["hello",1]'
    assert wire_of(out[1].packet) == expected


def test_bad_injected_packet_is_a_note_not_a_crash() -> None:
    p, logs = pipe('[[rules]]\nevent = "go"\n[[rules.inject]]\npacket = { type = "json" }\n')
    out = run(p, LEGACY, C2S, event(LEGACY, "go"))
    assert [type(a).__name__ for a in out] == ["Note", "Emit"]
    assert "cannot inject" in logs[0]


@pytest.mark.parametrize("gen", GENS)
def test_close_namespace_and_connection(gen: Generation) -> None:
    p, _ = pipe(
        '[[rules]]\nname = "kick"\nevent = "kick"\naction = "close_namespace"\n'
        '[[rules]]\nevent = "die"\naction = "close_connection"\n'
    )
    out = run(p, gen, S2C, event(gen, "kick", ns="/chat"))
    assert isinstance(out[0], Dropped)
    assert out[1] == CloseNamespace(namespace="/chat", rule="kick")
    out = run(p, gen, S2C, event(gen, "die"))
    assert isinstance(out[0], Dropped)
    assert out[1] == CloseConnection(rule="rule 2")


@pytest.mark.parametrize("gen", GENS)
def test_conditions(gen: Generation) -> None:
    p, _ = pipe(
        '[[rules]]\nequals = { "/args/0/user" = "bob" }\naction = "drop"\n'
        '[[rules]]\nregex = { "/args/1" = "^sec" }\naction = "drop"\n'
        '[[rules]]\nexists = { "/args/2" = true }\naction = "drop"\n'
        '[[rules]]\nexists = { "/args/0" = false }\ntype = "event"\naction = "drop"\n'
    )
    cases = [
        (event(gen, "e", {"user": "bob"}), True),
        (event(gen, "e", {"user": "ann"}, "x"), False),
        (event(gen, "e", {"user": "ann"}, "secret"), True),
        (event(gen, "e", {"user": "ann"}, 5), False),  # regex on a number: no match
        (event(gen, "e", 1, 2, 3), True),
        (event(gen, "e"), True),
    ]
    for pk, dropped in cases:
        out = run(p, gen, C2S, pk)
        assert isinstance(out[0], Dropped) is dropped, pk


def test_equals_is_strict_about_booleans() -> None:
    p, _ = pipe('[[rules]]\nequals = { "/args/0" = 1 }\naction = "drop"\n')
    assert isinstance(run(p, EIO4, C2S, event(EIO4, "e", 1.0))[0], Dropped)
    assert isinstance(run(p, EIO4, C2S, event(EIO4, "e", True))[0], Emit)


def test_type_selectors() -> None:
    p, _ = pipe(
        '[[rules]]\ntype = "message"\nset = { "/data" = "changed" }\n'
        '[[rules]]\ntype = "ack"\ndir = "s2c"\nset = { "/args" = ["x"] }\n'
    )
    (e,) = run(p, LEGACY, C2S, decode(LEGACY, "3:::hello"))
    assert wire_of(e.packet) == "3:::changed"
    (e,) = run(p, LEGACY, S2C, decode(LEGACY, "6::/chat:4+[1]"))
    assert wire_of(e.packet) == '6::/chat:4+["x"]'
    (e,) = run(p, EIO4, S2C, decode(EIO4, "3/chat,4[1]"))
    assert wire_of(e.packet) == '3/chat,4["x"]'
    pk = decode(EIO4, "2/chat,4[1]")  # an event whose name is a number: no rule fits
    assert run(p, EIO4, S2C, pk)[0].packet is pk


def test_legacy_escaped_event_name_still_matches() -> None:
    # The substring pre-filter must not hide an event whose name uses JSON escapes.
    p, _ = pipe('[[rules]]\nevent = "tick"\naction = "drop"\n')
    assert isinstance(run(p, LEGACY, C2S, decode(LEGACY, '5:::{"name":"ti\\u0063k"}'))[0], Dropped)
    keep = decode(LEGACY, '5:::{"name":"tock","args":["tick"]}')
    assert run(p, LEGACY, C2S, keep)[0].packet is keep


@pytest.mark.parametrize("gen", GENS)
def test_count_after_probability(gen: Generation) -> None:
    p, _ = pipe(
        '[[rules]]\nevent = "a"\naction = "drop"\nafter = 1\ncount = 2\n'
        '[[rules]]\nevent = "b"\naction = "drop"\nprobability = 0.5\n',
        seed=42,
    )
    got = [isinstance(run(p, gen, C2S, event(gen, "a"))[0], Dropped) for _ in range(5)]
    assert got == [False, True, True, False, False]
    rng = random.Random(42)
    expected = [rng.random() < 0.5 for _ in range(40)]
    got = [isinstance(run(p, gen, C2S, event(gen, "b"))[0], Dropped) for _ in range(40)]
    assert got == expected
    assert True in got
    assert False in got


def test_counters_per_connection_or_proxy() -> None:
    p, _ = pipe(
        '[[rules]]\nevent = "a"\naction = "drop"\ncount = 1\n'
        '[[rules]]\nevent = "b"\naction = "drop"\ncount = 1\nper = "proxy"\n'
    )

    def dropped(name: str, conn: str) -> bool:
        return isinstance(run(p, EIO4, C2S, event(EIO4, name), conn=conn)[0], Dropped)

    assert [dropped("a", "c1"), dropped("a", "c1"), dropped("a", "c2")] == [True, False, True]
    assert [dropped("b", "c1"), dropped("b", "c2")] == [True, False]
    p.on_disconnect("c1")  # per-connection counters start again with a new connection
    assert dropped("a", "c1") is True


def test_rules_apply_in_file_order_and_stop_at_drop() -> None:
    p, _ = pipe(
        '[[rules]]\nevent = "e"\nset = { "/args/0" = 1 }\n'
        '[[rules]]\nequals = { "/args/0" = 1 }\nset = { "/args/1" = 2 }\n'
        '[[rules]]\nevent = "e"\naction = "drop"\ncount = 1\n'
        '[[rules]]\nevent = "e"\nset = { "/args/2" = 3 }\n'
    )
    assert isinstance(run(p, EIO4, C2S, event(EIO4, "e", 0))[0], Dropped)
    (e,) = run(p, EIO4, C2S, event(EIO4, "e", 0))
    assert summary(EIO4, [e])[0][2] == [1, 2, 3]
    assert e.rule == "rule 1, rule 2, rule 4"


def test_refuse_upgrade() -> None:
    p, _ = pipe('[[rules]]\naction = "refuse_upgrade"\nafter = 1\ncount = 1\n')
    assert p.empty  # no packet rules: packets take the fast path
    assert p.allow_upgrade("c1") is True
    assert p.allow_upgrade("c2") is False
    assert p.allow_upgrade("c2") is False  # decided once per connection
    assert p.allow_upgrade("c3") is True
    open_pipe, _ = pipe()
    assert open_pipe.allow_upgrade(None) is True
    always, _ = pipe('[[rules]]\naction = "refuse_upgrade"\n')
    assert always.allow_upgrade(None) is False
