"""Addon hooks: loading, return values, ctx.send, lifecycle hooks, failures."""

from __future__ import annotations

import random
import textwrap
from pathlib import Path
from typing import Any

import pytest

from sioproxy.codec.packets import Packet
from sioproxy.codec.socketio import encode_sio
from sioproxy.errors import ConfigError
from sioproxy.pipeline import Dropped, Emit, Note, Pipeline, load_addon, parse_rules
from sioproxy.pipeline.actions import request_id
from sioproxy.types import Direction, Generation

from .helpers import C2S, EIO4, GENS, LEGACY, S2C, event, summary, wire
from .helpers import run as helper_run


def addon_pipe(tmp_path: Path, source: str, rules: str = "") -> tuple[Pipeline, list[str]]:
    path = tmp_path / "addon.py"
    path.write_text(textwrap.dedent(source), encoding="utf-8")
    logs: list[str] = []
    p = Pipeline.from_files(None, [str(path)], rng=random.Random(0), log=logs.append)
    if rules:
        p = Pipeline(parse_rules(rules), p.addons, log=logs.append)
    return p, logs


def run(
    p: Pipeline, gen: Generation, direction: Direction, packet: Packet, conn: str = "c1"
) -> list[Any]:
    return helper_run(p, gen, direction, packet, conn=conn)


@pytest.mark.parametrize("gen", GENS)
def test_return_same_view_keeps_the_object(gen: Generation, tmp_path: Path) -> None:
    p, _ = addon_pipe(tmp_path, "def on_packet(ctx, packet):\n    return packet\n")
    assert not p.empty
    pk = event(gen, "e", 1)
    (e,) = run(p, gen, C2S, pk)
    assert e.packet is pk
    assert e.origin == "unchanged"


@pytest.mark.parametrize("gen", GENS)
def test_changed_view_is_rewritten(gen: Generation, tmp_path: Path) -> None:
    p, _ = addon_pipe(
        tmp_path,
        """
        def on_packet(ctx, packet):
            if packet.get("name") == "e":
                packet["args"].append(ctx.direction.value)
            return packet
        """,
    )
    pk = event(gen, "e", 1, ns="/chat")
    (e,) = run(p, gen, S2C, pk)
    assert summary(gen, [e]) == [("s2c", "e", [1, "s2c"], "/chat", "rewritten")]
    assert e.original is pk
    assert e.rule == "addon:addon"


@pytest.mark.parametrize("gen", GENS)
def test_none_drops_and_lists_replace_or_inject(gen: Generation, tmp_path: Path) -> None:
    p, _ = addon_pipe(
        tmp_path,
        """
        def on_packet(ctx, packet):
            name = packet.get("name")
            if name == "drop":
                return None
            if name == "empty":
                return []
            if name == "around":
                return [{"name": "before"}, packet, {"name": "after", "args": [2]}]
            if name == "split":
                return [{"name": "one"}, {"name": "two"}]
            return packet
        """,
    )
    assert isinstance(run(p, gen, C2S, event(gen, "drop"))[0], Dropped)
    assert isinstance(run(p, gen, C2S, event(gen, "empty"))[0], Dropped)
    around = event(gen, "around", ns="/n")
    out = run(p, gen, C2S, around)
    assert summary(gen, out) == [
        ("c2s", "before", [], "/n", "injected"),
        ("c2s", "around", [], "/n", "unchanged"),
        ("c2s", "after", [2], "/n", "injected"),
    ]
    assert out[1].packet is around
    out = run(p, gen, C2S, event(gen, "split"))
    assert [(s[1], s[4]) for s in summary(gen, out)] == [("one", "rewritten"), ("two", "injected")]


@pytest.mark.parametrize("gen", GENS)
def test_ctx_describes_the_packet_and_sends_both_ways(gen: Generation, tmp_path: Path) -> None:
    p, _ = addon_pipe(
        tmp_path,
        """
        seen = []
        def on_packet(ctx, packet):
            seen.append((ctx.conn, ctx.direction, ctx.transport, ctx.protocol, ctx.namespace))
            ctx.send({"name": "reply", "args": [packet["name"]]}, "s2c")
            ctx.send({"name": "ask", "id": 0}, delay=0.5)
            return packet
        """,
    )
    pk = event(gen, "hi", ns="/chat")
    out = run(p, gen, C2S, pk, conn="k9")
    seen = p.addons[0].module.seen
    assert seen == [("k9", C2S, "websocket", gen.value, "/chat")]
    assert summary(gen, out) == [
        ("c2s", "hi", [], "/chat", "unchanged"),
        ("s2c", "reply", ["hi"], "/chat", "injected"),
        ("c2s", "ask", [], "/chat", "injected"),
    ]
    assert out[2].delay == 0.5
    assert request_id(out[2].packet) == 1000  # an injected request gets a fresh id


@pytest.mark.parametrize("gen", GENS)
def test_raising_hook_leaves_packet_unchanged_and_logs_traceback(
    gen: Generation, tmp_path: Path
) -> None:
    p, logs = addon_pipe(
        tmp_path,
        """
        def on_packet(ctx, packet):
            ctx.send({"name": "half-done"})
            packet["args"] = ["mangled"]
            raise RuntimeError("boom in hook")
        """,
    )
    pk = event(gen, "e", 1)
    out = run(p, gen, C2S, pk)
    assert out == [Emit(direction=C2S, packet=pk, origin="unchanged")]
    assert out[0].packet is pk
    (line,) = logs
    assert "Traceback" in line
    assert "RuntimeError: boom in hook" in line
    assert "on_packet raised" in line
    assert line.startswith("[c1] addon:addon")


def test_bad_return_values_are_notes(tmp_path: Path) -> None:
    p, logs = addon_pipe(
        tmp_path,
        """
        def on_packet(ctx, packet):
            return 42 if packet["name"] == "num" else {"type": "nonsense"}
        """,
    )
    for name in ("num", "bad"):
        pk = event(EIO4, name)
        out = run(p, EIO4, C2S, pk)
        assert isinstance(out[0], Note)
        assert out[1].packet is pk
    assert len(logs) == 2


def test_hook_may_return_codec_packets_and_bytes(tmp_path: Path) -> None:
    p, _ = addon_pipe(
        tmp_path,
        """
        from sioproxy.codec.socketio import SioPacket, SioType
        def on_packet(ctx, packet):
            if packet["name"] == "obj":
                return SioPacket(type=SioType.EVENT, nsp="/", data=["made"])
            packet["args"].append(b"\\x01\\x02")
            return packet
        """,
    )
    (e,) = run(p, EIO4, C2S, event(EIO4, "obj"))
    assert wire(e.packet) == '2["made"]'
    assert e.origin == "rewritten"
    (e,) = run(p, EIO4, C2S, event(EIO4, "bin", "x"))
    assert encode_sio(e.packet) == [
        '51-["bin","x",{"_placeholder":true,"num":0}]',
        b"\x01\x02",
    ]


def test_hook_sees_the_result_of_the_rules(tmp_path: Path) -> None:
    p, _ = addon_pipe(
        tmp_path,
        "def on_packet(ctx, packet):\n    packet['args'].append('hook')\n    return packet\n",
        rules='[[rules]]\nname = "r"\nevent = "e"\nset = { "/args/0" = "rule" }\n',
    )
    pk = event(LEGACY, "e", 0)
    (e,) = run(p, LEGACY, C2S, pk)
    assert summary(LEGACY, [e])[0][2] == ["rule", "hook"]
    assert e.rule == "r, addon:addon"
    assert e.original is pk


def test_on_connect_and_on_disconnect(tmp_path: Path) -> None:
    p, logs = addon_pipe(
        tmp_path,
        """
        events = []
        def on_connect(ctx):
            events.append(("connect", ctx.conn, ctx.protocol, ctx.transport))
            ctx.send({"name": "welcome"}, "s2c")
            ctx.log("said hello")
        def on_disconnect(ctx):
            events.append(("disconnect", ctx.conn))
        """,
    )
    assert p.empty  # no on_packet hook: packets take the fast path
    out = p.on_connect("c7", EIO4, "polling")
    assert summary(EIO4, out) == [("s2c", "welcome", [], "/", "injected")]
    assert logs == ["[c7] said hello"]
    assert p.on_disconnect("c7") == []
    assert p.addons[0].module.events == [
        ("connect", "c7", "eio4", "polling"),
        ("disconnect", "c7"),
    ]


def test_on_connect_send_without_direction_is_logged(tmp_path: Path) -> None:
    p, logs = addon_pipe(tmp_path, "def on_connect(ctx):\n    ctx.send({'name': 'x'})\n")
    assert p.on_connect("c1", EIO4, "websocket") == []
    assert "needs a direction" in logs[0]


@pytest.mark.parametrize(
    ("source", "line", "fragment"),
    [
        ("x = 1\ndef on_packet(ctx, p)\n    return p\n", 2, "syntax error"),
        ("x = 1\nraise ValueError('no config')\n", 2, "addon raised on import"),
        ("def helper():\n    pass\n", None, "defines none of"),
        ("on_packet = 5\n", None, "is not callable"),
    ],
)
def test_load_errors(tmp_path: Path, source: str, line: int | None, fragment: str) -> None:
    path = tmp_path / "bad.py"
    path.write_text(source, encoding="utf-8")
    with pytest.raises(ConfigError) as info:
        load_addon(str(path))
    assert (info.value.path, info.value.line) == (str(path), line)
    assert fragment in info.value.reason


def test_missing_addon_file(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="not found"):
        load_addon(str(tmp_path / "nope.py"))
