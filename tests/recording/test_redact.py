"""Redaction: placeholders, each API, and no secret reaching a written file."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl

import pytest

from sioproxy.recording.model import (
    CloseEvent,
    Entry,
    Header,
    HttpRequest,
    OpenEvent,
    OriginalFrame,
    PacketEntry,
    UpgradeEvent,
)
from sioproxy.recording.reader import read_recording
from sioproxy.recording.redact import (
    Redactor,
    fill_placeholders,
    is_placeholder,
    placeholder,
    placeholder_key,
)
from sioproxy.recording.writer import RecordingWriter
from sioproxy.types import Direction, Generation, TransportName

C2S, S2C = Direction.C2S, Direction.S2C
WS = TransportName.WEBSOCKET


def test_placeholder_format_and_recognition() -> None:
    assert placeholder("token") == "[REDACTED:token]"
    assert placeholder("my key&x") == "[REDACTED:my_key_x]"
    assert placeholder("") == "[REDACTED:value]"
    assert is_placeholder("[REDACTED:access_token]")
    assert placeholder_key("[REDACTED:Set-Cookie]") == "Set-Cookie"
    assert placeholder_key("%5BREDACTED%3Atoken%5D") == "token"
    assert placeholder_key("%5bredacted%3atoken%5d") == "token"
    for other in ("token", "[REDACTED:]", "x[REDACTED:token]", 3, None):
        assert not is_placeholder(other)
        assert placeholder_key(other) is None


def test_placeholder_survives_query_json_and_header() -> None:
    ph = placeholder("token")
    assert parse_qsl(f"a=1&token={ph}&b=2") == [("a", "1"), ("token", ph), ("b", "2")]
    assert json.loads(json.dumps({"token": ph})) == {"token": ph}
    assert "\n" not in ph
    assert ph.isprintable()


def test_fill_placeholders() -> None:
    text = "token=[REDACTED:token]&x=%5BREDACTED%3Apassword%5D&y=[REDACTED:other]"
    filled = fill_placeholders(text, {"token": "T", "password": "P"})
    assert filled == "token=T&x=P&y=[REDACTED:other]"


def test_redact_headers_case_insensitive_and_collects() -> None:
    r = Redactor()
    out = r.redact_headers(
        [
            ("Host", "example"),
            ("cookie", "io=abc; session=xyz987"),
            ("AUTHORIZATION", "Bearer tok-123456"),
            ("Set-Cookie", "sid=s1d5ecret; Path=/"),
        ]
    )
    assert out == [
        ("Host", "example"),
        ("cookie", "[REDACTED:cookie]"),
        ("AUTHORIZATION", "[REDACTED:AUTHORIZATION]"),
        ("Set-Cookie", "[REDACTED:Set-Cookie]"),
    ]
    for secret in ("Bearer tok-123456", "tok-123456", "xyz987", "s1d5ecret"):
        assert secret in r.secrets
    assert "Path=/" not in r.secrets


def test_redact_query_keeps_order_encoding_and_repeats() -> None:
    r = Redactor(extra_keys=["sig"])
    query = "EIO=4&TOKEN=a%20b&transport=polling&token=c+d&x&sig=&Sig=zz&password"
    assert r.redact_query(query) == (
        "EIO=4&TOKEN=[REDACTED:TOKEN]&transport=polling&token=[REDACTED:token]"
        "&x&sig=&Sig=[REDACTED:Sig]&password"
    )
    assert "a%20b" in r.secrets  # "a b", "c d", "zz": short, for the current entry only
    assert r.redact_query("?token=s3cr3t") == "?token=[REDACTED:token]"
    assert r.redact_query("") == ""


def test_redact_query_exact_key_match_only() -> None:
    r = Redactor()
    assert r.redact_query("tokens=1&my_token=2&token_type=3") == "tokens=1&my_token=2&token_type=3"


def test_redact_json_deep() -> None:
    r = Redactor()
    value = {
        "a": [{"Password": "hunter22", "keep": 1}],
        "auth": {"user": "bob", "pin": 1234},
        "access_token": None,
    }
    assert r.redact_json(value) == {
        "a": [{"Password": "[REDACTED:Password]", "keep": 1}],
        "auth": "[REDACTED:auth]",
        "access_token": "[REDACTED:access_token]",
    }
    assert value["a"][0]["Password"] == "hunter22"  # input untouched
    assert {"hunter22", "1234"} <= set(r.secrets)


def test_redact_auth_replaces_every_leaf() -> None:
    r = Redactor()
    auth = {"token": "s3cr3t", "nested": {"k": ["v1", 2, True]}, "n": None}
    assert r.redact_auth(auth) == {
        "token": "[REDACTED:token]",
        "nested": {"k": ["[REDACTED:k]", "[REDACTED:k]", "[REDACTED:k]"]},
        "n": "[REDACTED:n]",
    }
    assert "s3cr3t" in r.secrets
    assert "v1" not in r.secrets  # short values only count for the entry at hand
    assert "true" not in r.secrets
    assert Redactor(auth=False).redact_auth(auth) == auth


def test_redact_text_forms() -> None:
    r = Redactor()
    r.redact_query("token=s3/cr3t%C3%A9")
    assert r.redact_text('42["x","s3/cr3té"]') == '42["x","[REDACTED:token]"]'
    assert r.redact_text('42["s3\\/cr3t\\u00e9"]') == '42["[REDACTED:token]"]'
    assert r.redact_text("u=s3%2Fcr3t%C3%A9") == "u=[REDACTED:token]"
    assert r.redact_text("nothing here") == "nothing here"
    assert r.redact_text("abc", {"b": "k"}) == "abc"  # short: only where delimited
    assert r.redact_text('["b"]', {"b": "k"}) == '["[REDACTED:k]"]'
    assert r.redact_text("x=b&y", {"b": "k"}) == "x=[REDACTED:k]&y"


def test_short_auth_values_are_redacted_in_their_frame_only() -> None:
    r = Redactor()
    connect = _pkt(1, "c1", '40{"n":7,"u":"bob","s":"longer-secret"}', {"data": {"n": 7}})
    out = r.redact_entry(connect)
    assert out.raw == '40{"n":[REDACTED:n],"u":"[REDACTED:u]","s":"[REDACTED:s]"}'
    assert out.packet == {"data": {"n": "[REDACTED:n]"}}
    later = _pkt(2, "c1", '42[{"page":7},"bob","longer-secret"]', {"x": 7})
    out = r.redact_entry(later)
    assert out.raw == '42[{"page":7},"bob","[REDACTED:s]"]'
    assert out.packet == {"x": 7}


def test_short_auth_string_is_redacted_in_the_decoded_packet_too() -> None:
    r = Redactor()
    raw = '40{"u":"bob","n":"x"}'
    connect = _pkt(1, "c1", raw, {"data": {"u": "bob", "n": "x", "bob": "kept-key"}})
    out = r.redact_entry(connect)
    assert out.raw == '40{"u":"[REDACTED:u]","n":"[REDACTED:n]"}'
    # whole strings equal to the short secret go; an object key equal to one stays
    assert out.packet == {"data": {"u": "[REDACTED:u]", "n": "[REDACTED:n]", "bob": "kept-key"}}


def test_query_secret_in_raw_cleans_the_decoded_dict() -> None:
    r = Redactor()
    entry = _pkt(
        1, "c1", "40/admin?token=abcd1234,", {"nsp": "/admin", "auth": None, "q": "abcd1234"}
    )
    out = r.redact_entry(entry)
    assert out.packet == {"nsp": "/admin", "auth": "[REDACTED:auth]", "q": "[REDACTED:token]"}


def test_redact_text_collects_query_pairs_in_raw_text() -> None:
    r = Redactor()
    assert r.redact_text("1::/chat:?token=s3cr3t") == "1::/chat:?token=[REDACTED:token]"
    assert r.redact_text("40/admin?token=abc123&x=1,") == "40/admin?token=[REDACTED:token]&x=1,"
    assert r.redact_text('42["later abc123"]') == '42["later [REDACTED:token]"]'


def test_disabled_redactor_changes_nothing() -> None:
    r = Redactor.disabled()
    assert r.summary() == {"headers": [], "query": [], "auth": False}
    assert r.redact_query("token=x") == "token=x"
    assert r.redact_headers([("Cookie", "a=b")]) == [("Cookie", "a=b")]
    assert r.redact_json({"token": "x"}) == {"token": "x"}
    entry = _entries()[2]
    assert r.redact_entry(entry) is entry


def test_summary_lists_applied_rules() -> None:
    assert Redactor().summary() == {
        "headers": ["Authorization", "Cookie", "Set-Cookie"],
        "query": ["token", "auth", "access_token", "password"],
        "auth": True,
    }
    assert Redactor(extra_keys=["X-Api-Key", "TOKEN"]).summary() == {
        "headers": ["Authorization", "Cookie", "Set-Cookie", "X-Api-Key", "TOKEN"],
        "query": ["token", "auth", "access_token", "password", "X-Api-Key"],
        "auth": True,
    }


def test_extra_key_applies_to_headers_query_and_json() -> None:
    r = Redactor(extra_keys=["X-Api-Key"])
    assert r.redact_headers([("x-api-key", "k1k1k1")]) == [("x-api-key", "[REDACTED:x-api-key]")]
    assert r.redact_query("x-api-key=k2") == "x-api-key=[REDACTED:x-api-key]"
    assert r.redact_json({"X-API-KEY": "k3"}) == {"X-API-KEY": "[REDACTED:X-API-KEY]"}


SECRETS = ["s3cr3t", "hdr-t0ken-9", "c00kieval", "v5-auth-XYZ", "0.9-qs-pw", "nsp-t0k", "42424242"]


def _req(query: str = "", headers: tuple[tuple[str, str], ...] = ()) -> HttpRequest:
    return HttpRequest(method="GET", path="/socket.io/", query=query, headers=headers)


def _pkt(seq: int, conn: str, raw: str | bytes, packet: dict[str, Any] | None = None, **kw: Any):  # type: ignore[no-untyped-def]
    error = None if packet is not None else f"cannot decode {raw!r}"
    fields: dict[str, Any] = {"dir": C2S, "transport": WS, "raw": raw}
    fields.update(kw)
    return PacketEntry(seq=seq, conn=conn, t=seq / 10, packet=packet, error=error, **fields)


def _entries() -> list[Entry]:
    headers = (("Authorization", "Bearer hdr-t0ken-9"), ("Cookie", "io=c00kieval"))
    return [
        OpenEvent(
            seq=1,
            conn="c1",
            t=0,
            generation=Generation.EIO4,
            transport=WS,
            sid=None,
            request=_req("EIO=4&transport=websocket&token=s3cr3t", headers),
        ),
        # v5 CONNECT with auth; the codec's dict shape is not known here
        _pkt(2, "c1", '40{"token":"s3cr3t","key":"v5-auth-XYZ","pin":42424242}',
             {"type": "connect", "nsp": "/", "data": {"key": "v5-auth-XYZ", "pin": 42424242}}),
        # v4 namespace query (protocol.md C.4)
        _pkt(3, "c1", "40/admin?token=nsp-t0k,",
             {"type": "connect", "nsp": "/admin?token=nsp-t0k"}),
        # an echo of the secret later, and in an error message and note
        _pkt(4, "c1", '42["echo","v5-auth-XYZ"]', None, note="saw nsp-t0k"),
        _pkt(5, "c1", b"\x04bin v5-auth-XYZ", {"type": "binary"},
             attachments=(b"att s3cr3t",), original=OriginalFrame(raw='42["s3cr3t"]')),
        UpgradeEvent(seq=6, conn="c1", t=1, transport=WS, request=_req("token=s3cr3t")),
        OpenEvent(
            seq=7,
            conn="c2",
            t=2,
            generation=Generation.LEGACY,
            transport=TransportName.WEBSOCKET,
            sid="1234",
            request=_req("password=0.9-qs-pw"),
        ),
        # 0.9 connect with a qs (protocol.md A.9)
        _pkt(8, "c2", "1::/chat:?token=s3cr3t&password=0.9-qs-pw",
             {"type": "connect", "endpoint": "/chat", "qs": "?token=s3cr3t&password=0.9-qs-pw"}),
        _pkt(9, "c1", '43[{"pin":42424242}]', {"type": "ack", "data": [{"pin": 42424242}]},
             dir=S2C),
        CloseEvent(seq=10, conn="c1", t=3, reason="closed by s3cr3t?", by=None),
    ]  # fmt: skip


def test_no_secret_reaches_the_file(tmp_path: Path) -> None:
    redactor = Redactor()
    path = tmp_path / "rec.jsonl"
    header = Header.new(generation=None, redactions=redactor.summary())
    writer = RecordingWriter.create(path, header)
    for entry in _entries():
        writer.write(redactor.redact_entry(entry))
    writer.close()
    data = path.read_bytes()
    for secret in SECRETS:
        assert secret.encode() not in data, secret
    rec = read_recording(path)  # still a valid recording
    assert rec.header.redactions["auth"] is True
    first_packet = rec.packets()[0]
    assert first_packet.raw == (
        '40{"token":"[REDACTED:token]","key":"[REDACTED:key]","pin":[REDACTED:pin]}'
    )
    assert first_packet.packet is not None
    assert first_packet.packet["data"] == {"key": "[REDACTED:key]", "pin": "[REDACTED:pin]"}
    assert rec.packets(conn="c2")[0].raw == (
        "1::/chat:?token=[REDACTED:token]&password=[REDACTED:password]"
    )
    opened = rec.entries[0]
    assert isinstance(opened, OpenEvent)
    assert opened.request.query == "EIO=4&transport=websocket&token=[REDACTED:token]"


@pytest.mark.parametrize("enabled", [True, False])
def test_redaction_switch(tmp_path: Path, enabled: bool) -> None:
    redactor = Redactor(enabled=enabled)
    entries = [redactor.redact_entry(e) for e in _entries()]
    text = json.dumps([e.to_json() for e in entries])
    assert ("s3cr3t" in text) is not enabled


# -- fast path: packets with nothing to redact are passed through untouched --


def test_plain_packet_is_returned_as_is() -> None:
    r = Redactor()
    entry = _pkt(1, "c1", '42["ack",{"seq":1,"msg":"hi"}]', {"type": "event", "data": ["ack"]})
    assert r.redact_entry(entry) is entry


def test_escaped_key_name_still_redacted() -> None:
    # "\u0074oken" is "token" once decoded: the raw text alone does not show it.
    r = Redactor()
    raw = '42["login",{"\\u0074oken":"abcdef12"}]'
    entry = _pkt(1, "c1", raw, {"type": "event", "data": ["login", {"token": "abcdef12"}]})
    out = r.redact_entry(entry)
    assert out.packet == {"type": "event", "data": ["login", {"token": "[REDACTED:token]"}]}


def test_remembered_secret_in_a_later_frame_is_swept() -> None:
    r = Redactor()
    r.redact_query("token=s3cr3tvalue")
    entry = _pkt(2, "c1", '42["echo","s3cr3tvalue"]', {"data": ["echo", "s3cr3tvalue"]})
    out = r.redact_entry(entry)
    assert out.raw == '42["echo","[REDACTED:token]"]'
    assert out.packet == {"data": ["echo", "[REDACTED:token]"]}


def test_extra_key_naming_a_packet_field_disables_the_fast_path() -> None:
    # --redact data: the decoded dict's own "data" key is redacted, though the
    # raw text never spells it.
    r = Redactor(extra_keys=["data"])
    entry = _pkt(1, "c1", '42["x",1]', {"type": "event", "data": ["x", 1]})
    assert r.redact_entry(entry).packet == {"type": "event", "data": "[REDACTED:data]"}
