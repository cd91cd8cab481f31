"""Redaction: placeholders, each API, and no secret reaching a written file."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl

import pytest

from sioproxy.recording.header import Header
from sioproxy.recording.model import (
    CloseEvent,
    Entry,
    HttpRequest,
    OpenEvent,
    OriginalFrame,
    PacketEntry,
    UpgradeEvent,
)
from sioproxy.recording.reader import read_recording
from sioproxy.recording.redact import (
    DEFAULT_HEADERS,
    DEFAULT_KEYS,
    RedactionPolicy,
    Redactor,
    fill_placeholders,
    is_placeholder,
    placeholder,
    placeholder_key,
)
from sioproxy.recording.redact_sweep import MAX_REMEMBERED
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
            ("cookie", "io=abc; session=xyz98765"),
            ("AUTHORIZATION", "Bearer tok-123456"),
            ("Set-Cookie", "sid=s1d5ecret; Path=/"),
            ("Proxy-Authorization", "Basic cHJveHk6cHc="),
            ("x-api-key", "k1k1k1k1k1"),
            ("X-Auth-Token", "a-long-auth-token"),
        ]
    )
    assert out == [
        ("Host", "example"),
        ("cookie", "[REDACTED:cookie]"),
        ("AUTHORIZATION", "[REDACTED:AUTHORIZATION]"),
        ("Set-Cookie", "[REDACTED:Set-Cookie]"),
        ("Proxy-Authorization", "[REDACTED:Proxy-Authorization]"),
        ("x-api-key", "[REDACTED:x-api-key]"),
        ("X-Auth-Token", "[REDACTED:X-Auth-Token]"),
    ]
    for secret in ("Bearer tok-123456", "tok-123456", "xyz98765", "s1d5ecret", "cHJveHk6cHc="):
        assert secret in r.secrets
    assert r.secrets["xyz98765"] == "cookie.session"
    assert "abc" not in r.secrets  # shorter than MIN_SCRUB: not swept elsewhere
    assert "Path=/" not in r.secrets


def test_redact_query_keeps_order_encoding_and_repeats() -> None:
    r = Redactor(extra_keys=["sig"])
    query = "EIO=4&TOKEN=a%20b&transport=polling&token=c+d&x&sig=&Sig=zz&password"
    assert r.redact_query(query) == (
        "EIO=4&TOKEN=[REDACTED:query.TOKEN]&transport=polling&token=[REDACTED:query.token]"
        "&x&sig=&Sig=[REDACTED:query.Sig]&password"
    )
    assert r.secrets == {}  # "a b", "c d", "zz": short, for the current entry only
    assert r.redact_query("?token=s3cr3t-long") == "?token=[REDACTED:query.token]"
    assert r.secrets == {"s3cr3t-long": "query.token"}
    assert r.redact_query("") == ""


def test_redact_query_exact_key_match_only() -> None:
    r = Redactor()
    assert r.redact_query("tokens=1&my_token=2&token_type=3") == "tokens=1&my_token=2&token_type=3"


def test_redact_json_deep_by_key_name_only() -> None:
    r = Redactor()
    value = {
        "a": [{"Password": "hunter22", "keep": 1}],
        "auth": {"user": "bob", "pin": 1234, "apiKey": "k-12345678"},
        "access_token": None,
        "key": "data-key",
        "id": 7,
        "session": "s-1",
        "creds": {"secret": {"deep": "x"}},
    }
    assert r.redact_json(value) == {
        "a": [{"Password": "[REDACTED:Password]", "keep": 1}],
        "auth": {"user": "bob", "pin": 1234, "apiKey": "[REDACTED:apiKey]"},
        "access_token": "[REDACTED:access_token]",
        "key": "data-key",
        "id": 7,
        "session": "s-1",
        "creds": {"secret": "[REDACTED:secret]"},
    }
    assert value["a"][0]["Password"] == "hunter22"  # input untouched
    assert set(r.secrets) == {"hunter22", "k-12345678"}
    assert r.redact_json({"auth": "a-scalar-auth"}) == {"auth": "[REDACTED:auth]"}


def test_redact_auth_keeps_everything_but_secret_keys() -> None:
    r = Redactor()
    auth = {"token": "s3cret-token-123", "user": "alice", "nested": {"password": "pw"}}
    assert r.redact_auth(auth) == {
        "token": "[REDACTED:auth.token]",
        "user": "alice",
        "nested": {"password": "[REDACTED:auth.password]"},
    }
    assert r.secrets == {"s3cret-token-123": "auth.token"}  # "pw" is too short to sweep
    assert Redactor.disabled().redact_auth(auth) == auth


def test_redact_text_forms() -> None:
    r = Redactor()
    r.redact_query("token=s3/cr3t%C3%A9")
    assert r.redact_text('42["x","s3/cr3té"]') == '42["x","[REDACTED:query.token]"]'
    assert r.redact_text('42["s3\\/cr3t\\u00e9"]') == '42["[REDACTED:query.token]"]'
    assert r.redact_text("u=s3%2Fcr3t%C3%A9") == "u=[REDACTED:query.token]"
    assert r.redact_text("nothing here") == "nothing here"
    assert r.redact_text("abc", {"b": "k"}) == "abc"  # short: only where delimited
    assert r.redact_text('["b"]', {"b": "k"}) == '["[REDACTED:k]"]'
    assert r.redact_text("x=b&y", {"b": "k"}) == "x=[REDACTED:k]&y"


def test_auth_user_name_survives_and_only_the_token_is_scrubbed_later() -> None:
    r = Redactor()
    raw = '40{"token":"s3cret-token-123","user":"alice"}'
    data = {"token": "s3cret-token-123", "user": "alice"}
    out = r.redact_entry(_pkt(1, "c1", raw, {"sio": {"type": "connect", "nsp": "/", "data": data}}))
    assert out.raw == '40{"token":"[REDACTED:auth.token]","user":"alice"}'
    assert out.packet == {
        "sio": {
            "type": "connect",
            "nsp": "/",
            "data": {"token": "[REDACTED:auth.token]", "user": "alice"},
        }
    }
    later = _pkt(2, "c1", '42["msg",{"from":"alice","text":"hi alice s3cret-token-123"}]', {"x": 1})
    assert r.redact_entry(later).raw == (
        '42["msg",{"from":"alice","text":"hi alice [REDACTED:auth.token]"}]'
    )


def test_short_secret_is_redacted_in_its_frame_only() -> None:
    r = Redactor()
    connect = _pkt(1, "c1", '40{"pin":7,"token":"bob","s":"longer-secret"}', {"data": {"n": 7}})
    out = r.redact_entry(connect)
    assert out.raw == '40{"pin":7,"token":"[REDACTED:auth.token]","s":"longer-secret"}'
    later = _pkt(2, "c1", '42[{"page":7},"bob"]', {"x": 7})
    assert r.redact_entry(later) is later


def test_escaped_short_secret_is_redacted_in_the_decoded_packet_too() -> None:
    r = Redactor()
    raw = '40{"\\u0074oken":"bob","n":"x"}'
    connect = _pkt(1, "c1", raw, {"data": {"token": "bob", "n": "x", "bob": "kept-key"}})
    out = r.redact_entry(connect)
    assert out.raw == '40{"\\u0074oken":"[REDACTED:token]","n":"x"}'
    # whole strings equal to the short secret go; an object key equal to one stays
    assert out.packet == {"data": {"token": "[REDACTED:token]", "n": "x", "bob": "kept-key"}}


def test_malformed_connect_auth_is_redacted_by_key() -> None:
    r = Redactor()
    entry = _pkt(1, "c1", '40/x,{"token":"cut-off-secret-1","user":"alice"', None)
    out = r.redact_entry(entry)
    assert out.raw == '40/x,{"token":"[REDACTED:auth.token]","user":"alice"'
    assert "cut-off-secret-1" not in (out.error or "")
    unterminated = r.redact_entry(_pkt(2, "c1", '40{"token":"runs-to-the-end', None))
    assert unterminated.raw == '40{"token":"[REDACTED:auth.token]'


def test_query_secret_in_raw_cleans_the_decoded_dict() -> None:
    r = Redactor()
    entry = _pkt(
        1, "c1", "40/admin?token=abcd1234,", {"nsp": "/admin?token=abcd1234", "q": "abcd1234"}
    )
    out = r.redact_entry(entry)
    assert out.raw == "40/admin?token=[REDACTED:query.token],"
    assert out.packet == {
        "nsp": "/admin?token=[REDACTED:query.token]",
        "q": "[REDACTED:query.token]",
    }


def test_redact_text_collects_query_pairs_in_raw_text() -> None:
    r = Redactor()
    assert r.redact_text("1::/chat:?token=s3cr3t") == "1::/chat:?token=[REDACTED:query.token]"
    assert r.redact_text("40/admin?token=abc12345&x=1,") == (
        "40/admin?token=[REDACTED:query.token]&x=1,"
    )
    assert r.redact_text('42["later abc12345"]') == '42["later [REDACTED:query.token]"]'


def test_disabled_redactor_changes_nothing() -> None:
    r = Redactor.disabled()
    assert r.summary()["enabled"] is False
    assert r.summary()["keys"] == []
    assert r.redact_query("token=x") == "token=x"
    assert r.redact_headers([("Cookie", "a=b")]) == [("Cookie", "a=b")]
    assert r.redact_json({"token": "x"}) == {"token": "x"}
    assert r.redact_output('{"password": "hunter22"}') == '{"password": "hunter22"}'
    entry = _entries()[2]
    assert r.redact_entry(entry) is entry


def test_summary_says_exactly_what_was_applied() -> None:
    summary = Redactor().summary()
    assert summary["policy"] == 2
    assert summary["enabled"] is True
    assert summary["keys"] == list(DEFAULT_KEYS)
    assert summary["headers"] == list(DEFAULT_HEADERS)
    assert summary["min_scrub"] == 8
    for name in ("api_key", "apiKey", "secret", "client_secret", "jwt", "credentials"):
        assert name.lower() in [k.lower() for k in summary["keys"]]
    for generic in ("key", "id", "session", "user"):
        assert generic not in summary["keys"]
    policy = RedactionPolicy.build(
        redact=["pin"],
        keep=["cookie", "jwt"],
        headers=["X-Session"],
        query=["sig"],
        pointers=["login:/0/otp"],
    )
    custom = Redactor(policy).summary()
    assert "pin" in custom["keys"]
    assert "jwt" not in custom["keys"]
    assert "Cookie" not in custom["headers"]
    assert "X-Session" in custom["headers"]
    assert custom["query"] == ["sig"]
    assert custom["pointers"] == ["login:/0/otp"]
    assert custom["kept"] == ["cookie", "jwt"]
    assert RedactionPolicy.from_summary(custom) == policy  # the header gives the policy back


def test_extra_key_applies_to_headers_query_and_json() -> None:
    r = Redactor(extra_keys=["X-Session"])
    assert r.redact_headers([("x-session", "k1k1k1")]) == [("x-session", "[REDACTED:x-session]")]
    assert r.redact_query("x-session=k2") == "x-session=[REDACTED:query.x-session]"
    assert r.redact_json({"X-SESSION": "k3"}) == {"X-SESSION": "[REDACTED:X-SESSION]"}


def test_keep_key_query_only_key_and_pointer() -> None:
    policy = RedactionPolicy.build(keep=["password"], query=["sig"], pointers=["login:/0/otp"])
    r = Redactor(policy)
    assert r.redact_json({"password": "visible", "sig": "json-stays"}) == {
        "password": "visible",
        "sig": "json-stays",
    }
    assert r.redact_query("sig=abc") == "sig=[REDACTED:query.sig]"
    raw = '42["login",{"otp":"123456","name":"alice"}]'
    data = ["login", {"otp": "123456", "name": "alice"}]
    out = r.redact_entry(_pkt(1, "c1", raw, {"sio": {"type": "event", "nsp": "/", "data": data}}))
    assert out.raw == '42["login",{"otp":"[REDACTED:login.0.otp]","name":"alice"}]'
    assert out.packet == {
        "sio": {
            "type": "event",
            "nsp": "/",
            "data": ["login", {"otp": "[REDACTED:login.0.otp]", "name": "alice"}],
        }
    }
    other = _pkt(
        2, "c1", '42["other",{"otp":"123456"}]', {"sio": {"type": "event", "data": ["other"]}}
    )
    assert r.redact_entry(other) is other


def test_redact_output_is_key_based_and_sweeps_long_values() -> None:
    r = Redactor()
    line = 'c1 -> event "login" [{"password":"hunter2-long","user":"al"}]'
    assert r.redact_output(line) == (
        'c1 -> event "login" [{"password":"[REDACTED:password]","user":"al"}]'
    )
    assert r.redact_output("echo hunter2-long") == "echo [REDACTED:password]"
    escaped = 'raw="40/x,{\\"token\\":\\"abcdefghij\\"" pin={\\"pin\\":1}'
    assert (
        r.redact_output(escaped)
        == 'raw="40/x,{\\"token\\":\\"[REDACTED:token]\\"" pin={\\"pin\\":1}'
    )
    assert json.loads(r.redact_output(json.dumps({"args": [{"password": 12345678}]}))) == {
        "args": [{"password": "[REDACTED:password]"}]
    }
    # a JSON log line: the "raw" pair before must not hide the escaped one inside it
    line = json.dumps({"raw": '40/x,{"token":"cut-off-0123","user":"alice"', "n": 1})
    assert json.loads(r.redact_output(line)) == {
        "raw": '40/x,{"token":"[REDACTED:token]","user":"alice"',
        "n": 1,
    }
    assert r.redact_output("c1 open 40/admin?token=t0k,1::/chat?token=t1k") == (
        "c1 open 40/admin?token=[REDACTED:query.token],1::/chat?token=[REDACTED:query.token]"
    )


SECRETS = [
    "s3cr3t-q1",
    "hdr-t0ken-9",
    "c00kieval",
    "v5-auth-XYZ",
    "0.9-qs-pw",
    "nsp-t0k-9",
    "42424242",
]


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
            request=_req("EIO=4&transport=websocket&token=s3cr3t-q1", headers),
        ),
        # v5 CONNECT with auth; the codec's dict shape is not known here
        _pkt(2, "c1", '40{"token":"s3cr3t-q1","apikey":"v5-auth-XYZ","secret":42424242}',
             {"eio": "message", "sio": {"type": "connect", "nsp": "/",
              "data": {"apikey": "v5-auth-XYZ", "secret": 42424242}}}),
        # v4 namespace query (docs/protocol.md#c4)
        _pkt(3, "c1", "40/admin?token=nsp-t0k-9,",
             {"type": "connect", "nsp": "/admin?token=nsp-t0k-9"}),
        # an echo of the secret later, and in an error message and note
        _pkt(4, "c1", '42["echo","v5-auth-XYZ"]', None, note="saw nsp-t0k-9"),
        _pkt(5, "c1", b"\x04bin v5-auth-XYZ", {"type": "binary"},
             attachments=(b"att s3cr3t-q1",), original=OriginalFrame(raw='42["s3cr3t-q1"]')),
        UpgradeEvent(seq=6, conn="c1", t=1, transport=WS, request=_req("token=s3cr3t-q1")),
        OpenEvent(
            seq=7,
            conn="c2",
            t=2,
            generation=Generation.LEGACY,
            transport=TransportName.WEBSOCKET,
            sid="1234",
            request=_req("password=0.9-qs-pw"),
        ),
        # 0.9 connect with a qs (docs/protocol.md#a9)
        _pkt(8, "c2", "1::/chat:?token=s3cr3t-q1&password=0.9-qs-pw",
             {"type": "connect", "endpoint": "/chat", "qs": "?token=s3cr3t-q1&password=0.9-qs-pw"}),
        _pkt(9, "c1", '43[{"pin":42424242}]', {"type": "ack", "data": [{"pin": 42424242}]},
             dir=S2C),
        CloseEvent(seq=10, conn="c1", t=3, reason="closed by s3cr3t-q1?", by=None),
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
    assert rec.header.redactions["policy"] == 2
    first_packet = rec.packets()[0]
    assert first_packet.raw == (
        '40{"token":"[REDACTED:query.token]","apikey":"[REDACTED:auth.apikey]",'
        '"secret":"[REDACTED:auth.secret]"}'
    )
    assert first_packet.packet is not None
    assert first_packet.packet["sio"]["data"] == {
        "apikey": "[REDACTED:auth.apikey]",
        "secret": "[REDACTED:auth.secret]",
    }
    assert rec.packets(conn="c2")[0].raw == (
        "1::/chat:?token=[REDACTED:query.token]&password=[REDACTED:query.password]"
    )
    opened = rec.entries[0]
    assert isinstance(opened, OpenEvent)
    assert opened.request.query == "EIO=4&transport=websocket&token=[REDACTED:query.token]"


@pytest.mark.parametrize("enabled", [True, False])
def test_redaction_switch(tmp_path: Path, enabled: bool) -> None:
    redactor = Redactor(enabled=enabled)
    entries = [redactor.redact_entry(e) for e in _entries()]
    text = json.dumps([e.to_json() for e in entries])
    assert ("s3cr3t-q1" in text) is not enabled


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
    assert out.raw == '42["echo","[REDACTED:query.token]"]'
    assert out.packet == {"data": ["echo", "[REDACTED:query.token]"]}


def test_extra_key_naming_a_packet_field_disables_the_fast_path() -> None:
    # --redact data: the decoded dict's own "data" key is redacted, though the
    # raw text never spells it.
    r = Redactor(extra_keys=["data"])
    entry = _pkt(1, "c1", '42["x",1]', {"type": "event", "data": ["x", 1]})
    assert r.redact_entry(entry).packet == {"type": "event", "data": "[REDACTED:data]"}


def test_remembered_secrets_are_bounded_oldest_forgotten_first() -> None:
    # A fresh token per connection must not grow the sweep for ever.
    redactor = Redactor()
    tokens = [f"token-value-{i:06d}" for i in range(MAX_REMEMBERED + 50)]
    for token in tokens:
        redactor.remember(token, "auth.token")
    assert len(redactor.secrets) == MAX_REMEMBERED
    assert tokens[0] not in redactor.secrets
    assert redactor.redact_output(f"echo {tokens[-1]}") == "echo [REDACTED:auth.token]"
    # A forgotten value is still found under its key name.
    assert tokens[0] not in redactor.redact_output(f'{{"token": "{tokens[0]}"}}')
