"""Filling placeholders back in: --secret parsing, secrets files, what is filled where."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from sioproxy.errors import ConfigError
from sioproxy.recording.header import Header
from sioproxy.recording.model import HttpRequest, OpenEvent, PacketEntry, Recording
from sioproxy.recording.secrets import (
    env_name,
    fill_recording,
    parse_secret,
    secrets_from,
    unfilled,
    unfilled_line,
    values_for,
)
from sioproxy.types import Direction, Generation, TransportName

C2S, S2C = Direction.C2S, Direction.S2C
WS = TransportName.WEBSOCKET


def _recording() -> Recording:
    request = HttpRequest(
        method="GET",
        path="/socket.io/",
        query="EIO=4&token=[REDACTED:query.token]",
        headers=(("Cookie", "[REDACTED:Cookie]"),),
    )
    opened = OpenEvent(
        seq=1, conn="c1", t=0, generation=Generation.EIO4, transport=WS, sid=None, request=request
    )
    data = {"token": "[REDACTED:auth.token]", "user": "alice"}
    connect = PacketEntry(
        seq=2,
        conn="c1",
        t=0.1,
        dir=C2S,
        transport=WS,
        raw='40{"token":"[REDACTED:auth.token]","user":"alice"}',
        packet={"eio": "message", "sio": {"type": "connect", "nsp": "/", "data": data}},
    )
    said = PacketEntry(
        seq=3,
        conn="c1",
        t=0.2,
        dir=S2C,
        transport=WS,
        raw='42["said","[REDACTED:said.0]"]',
        packet={
            "eio": "message",
            "sio": {"type": "event", "nsp": "/", "data": ["said", "[REDACTED:said.0]"]},
        },
    )
    header = Header.new(generation=Generation.EIO4)
    return Recording(header=header, entries=(opened, connect, said))


def test_parse_secret_forms() -> None:
    assert parse_secret("auth.token=a=b", {}) == ("auth.token", "a=b")
    assert parse_secret("auth.token=env:T", {"T": "from-env"}) == ("auth.token", "from-env")
    with pytest.raises(ConfigError, match="expects NAME=VALUE") as bad:
        parse_secret("just-the-secret-value", {})
    assert "just-the-secret-value" not in str(bad.value)  # a mistyped secret is not echoed
    with pytest.raises(ConfigError, match="environment variable NOPE is not set"):
        parse_secret("x=env:NOPE", {})


def test_secrets_file_and_options(tmp_path: Path) -> None:
    file = tmp_path / "secrets.txt"
    file.write_text("# comment\n\nauth.token=from-file\npassword = pw\n")
    values = secrets_from(["auth.token=from-option"], str(file), {})
    assert values == {"auth.token": "from-option", "password": " pw"}
    file.write_text("no equals sign\n")
    with pytest.raises(ConfigError, match=r"secrets.txt:1: expects NAME=VALUE"):
        secrets_from([], str(file), {})


def test_client_side_fill_and_unfilled() -> None:
    recording = _recording()
    assert unfilled(recording, C2S) == ["query.token", "auth.token"]
    filled = fill_recording(recording, {"auth.token": 'to"k', "query.token": "a b&c"}, C2S)
    opened, connect, said = filled.entries
    assert isinstance(opened, OpenEvent)
    assert opened.request.query == "EIO=4&token=a%20b%26c"
    assert opened.request.headers == (("Cookie", "[REDACTED:Cookie]"),)  # headers are not sent
    assert isinstance(connect, PacketEntry)
    assert connect.raw == '40{"token":"to\\"k","user":"alice"}'
    assert connect.packet is not None
    assert connect.packet["sio"]["data"] == {"token": 'to"k', "user": "alice"}
    assert said == recording.entries[2]  # the server side is compared, not filled
    assert unfilled(filled, C2S) == []
    assert unfilled_line([], "x") is None
    line = unfilled_line(["auth.token"], "fill them with --secret NAME=VALUE")
    assert line == (
        "placeholders sent unfilled: [REDACTED:auth.token] (fill them with --secret NAME=VALUE)"
    )


def test_server_side_values_from_env_and_given() -> None:
    recording = _recording()
    assert env_name("said.0") == "SIOPROXY_SECRET_SAID_0"
    assert values_for(recording, {}, S2C, {"SIOPROXY_SECRET_SAID_0": "bob"}) == {"said.0": "bob"}
    given = {"said.0": "env:WHO"}
    env = {"WHO": "carol", "SIOPROXY_SECRET_SAID_0": "bob"}
    assert values_for(recording, given, S2C, env) == {"said.0": "carol"}  # given wins
    filled = fill_recording(recording, {"said.0": "carol"}, S2C)
    assert filled.entries[2].raw == '42["said","carol"]'  # type: ignore[union-attr]
    assert filled.entries[1] == recording.entries[1]


def _two_users() -> Recording:
    """Two clients, each with its own token in its CONNECT."""
    base = _recording()
    entries = list(base.entries)
    for entry in base.entries:
        if entry.conn == "c1" and entry.seq <= 2:
            entries.append(dataclasses.replace(entry, conn="c2", seq=entry.seq + 100))
    return dataclasses.replace(base, entries=tuple(entries))


def test_a_value_named_with_its_connection_fills_that_connection_only() -> None:
    values = {"auth.token": "shared", "c2:auth.token": "bob's", "c1:query.token": "q1"}
    filled = fill_recording(_two_users(), values, C2S)
    raws = {
        e.conn: e.raw for e in filled.entries if isinstance(e, PacketEntry) and e.seq in (2, 102)
    }
    assert raws == {
        "c1": '40{"token":"shared","user":"alice"}',
        "c2": '40{"token":"bob\'s","user":"alice"}',
    }
    queries = {e.conn: e.request.query for e in filled.entries if isinstance(e, OpenEvent)}
    assert queries == {"c1": "EIO=4&token=q1", "c2": "EIO=4&token=[REDACTED:query.token]"}


def test_unfilled_placeholders_are_found_in_binary_frames_too() -> None:
    """A msgpack CONNECT (raw bytes) carries its placeholder as UTF-8 bytes."""
    recording = _recording()
    _opened, connect, said = recording.entries
    assert isinstance(connect, PacketEntry)
    packed = b"\x83\xa4type\x00\xa4data\x81\xa5token\xb5[REDACTED:auth.token]\xa3nsp\xa1/"
    binary = dataclasses.replace(connect, raw=packed)
    attachment = dataclasses.replace(
        connect, seq=4, raw="451-[]", attachments=(b"\x00[REDACTED:file.key]\xff",)
    )
    only_binary = dataclasses.replace(recording, entries=(binary, said, attachment))
    assert unfilled(only_binary, C2S) == ["auth.token", "file.key"]
