"""What one recording entry is about, and the ``--filter`` expression language.

Layer: pure (inspect). Imports the standard library, ``sioproxy.errors`` and
``sioproxy.recording``; never twisted.

:func:`describe` reads the decoded dict of a packet entry in any generation
(0.9's gevent-socketio dict, Engine.IO's ``{"eio": ..., "sio": {...}}``) and
returns the fields people look for: namespace, type, event name, ack id,
arguments, whether it is a heartbeat. 0.9's main endpoint ``""`` is reported
as ``/`` so that ``nsp:/`` means the same in every generation.

The language (docs/inspect.md)::

    expr   := and ("or" and)*
    and    := unary ("and"? unary)*          juxtaposition is AND
    unary  := ("not" | "-") unary | "(" expr ")" | KEY ":" VALUE
    VALUE  := text with "*" globs; "..." quotes spaces (and makes "*" literal)

Errors are ``ConfigError`` naming the column (1-based) of the offending token.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from sioproxy.errors import ConfigError
from sioproxy.recording.delivery import packet_fate
from sioproxy.recording.model import CloseEvent, Entry, OpenEvent, PacketEntry, UpgradeEvent
from sioproxy.types import Fate

_EIO_HEARTBEATS = {"ping", "pong", "noop", "upgrade"}
_LEGACY_HEARTBEATS = {"heartbeat", "noop"}
_SIO_EVENTS = {"event", "binary_event"}


@dataclass(frozen=True, slots=True, kw_only=True)
class EntryInfo:
    """The searchable fields of one entry; ``None`` where the entry has no such field."""

    kind: str
    seq: int
    conn: str
    dir: str | None = None
    transport: str | None = None
    nsp: str | None = None
    type: str = ""
    event: str | None = None
    ack_id: int | None = None
    args: Any = None
    heartbeat: bool = False
    error: str | None = None
    raw: str | None = None
    fate: str | None = None  # what rules or hooks did with it (docs/recording-format.md)
    rule: str | None = None


def describe(entry: Entry) -> EntryInfo:
    """The fields of ``entry`` that ``show`` prints and filters match."""
    if isinstance(entry, OpenEvent):
        return EntryInfo(
            kind="open",
            seq=entry.seq,
            conn=entry.conn,
            type="open",
            transport=entry.transport.value,
        )
    if isinstance(entry, UpgradeEvent):
        return EntryInfo(
            kind="upgrade",
            seq=entry.seq,
            conn=entry.conn,
            type="upgrade",
            transport=entry.transport.value,
        )
    if isinstance(entry, CloseEvent):
        return EntryInfo(kind="close", seq=entry.seq, conn=entry.conn, type="close")
    return _describe_packet(entry)


def _describe_packet(entry: PacketEntry) -> EntryInfo:
    raw = entry.raw if isinstance(entry.raw, str) else None
    fate = packet_fate(entry)
    common: dict[str, Any] = {
        "kind": "packet",
        "seq": entry.seq,
        "conn": entry.conn,
        "dir": entry.dir.value,
        "transport": entry.transport.value,
        "raw": raw,
        "fate": None if fate is None else fate.value,
        "rule": entry.rule,
    }
    packet = entry.packet
    if packet is None:
        return EntryInfo(**common, type="undecoded", error=entry.error)
    if "eio" in packet:
        return EntryInfo(**common, **_eio_fields(packet))
    return EntryInfo(**common, **_legacy_fields(packet))


def _eio_fields(packet: Mapping[str, Any]) -> dict[str, Any]:
    sio = packet.get("sio")
    if not isinstance(sio, Mapping):
        eio = str(packet.get("eio"))
        data = packet.get("data", packet.get("binary"))
        return {"type": eio, "args": data, "heartbeat": eio in _EIO_HEARTBEATS}
    kind = str(sio.get("type"))
    data = sio.get("data")
    fields: dict[str, Any] = {"type": kind, "nsp": sio.get("nsp"), "ack_id": sio.get("id")}
    if kind in _SIO_EVENTS and isinstance(data, list) and data and isinstance(data[0], str):
        return fields | {"event": data[0], "args": data[1:]}
    return fields | {"args": data}


def _legacy_fields(packet: Mapping[str, Any]) -> dict[str, Any]:
    kind = str(packet.get("type"))
    endpoint = packet.get("endpoint")
    fields: dict[str, Any] = {
        "type": kind,
        "nsp": endpoint or "/",  # 0.9's main endpoint is "" (docs/protocol.md#a4)
        "heartbeat": kind in _LEGACY_HEARTBEATS,
    }
    if kind == "event":
        name = packet.get("name")
        return fields | {
            "event": name if isinstance(name, str) else None,
            "ack_id": packet.get("id"),
            "args": packet.get("args"),
        }
    if kind == "ack":
        return fields | {"ack_id": packet.get("ackId"), "args": packet.get("args")}
    if kind == "connect":
        return fields | {"args": packet.get("qs") or None}
    if kind == "error":
        return fields | {"args": [packet.get("reason"), packet.get("advice")]}
    return fields | {"ack_id": packet.get("id"), "args": packet.get("data")}


# --------------------------------------------------------------------------- the language

Predicate = Callable[[EntryInfo], bool]


def _field(name: str) -> Callable[[EntryInfo], str | None]:
    def get(info: EntryInfo) -> str | None:
        value = getattr(info, name)
        return None if value is None else str(value)

    return get


FIELDS: dict[str, Callable[[EntryInfo], str | None]] = {
    "nsp": _field("nsp"),
    "event": _field("event"),
    "dir": _field("dir"),
    "type": _field("type"),
    "conn": _field("conn"),
    "transport": _field("transport"),
    "kind": _field("kind"),
    "id": _field("ack_id"),
    "raw": _field("raw"),
    "fate": _field("fate"),
    "rule": _field("rule"),
}
_CHOICES = {
    "dir": ("c2s", "s2c"),
    "kind": ("packet", "open", "upgrade", "close"),
    "fate": tuple(f.value for f in Fate),
}
_KEYWORDS = {"or", "and", "not"}


class FilterSyntaxError(ConfigError):
    """A ``--filter`` expression that does not parse; names the column."""

    def __init__(self, text: str, column: int, reason: str) -> None:
        self.column = column
        super().__init__(None, None, f"--filter {text!r}: {reason} at column {column}")


@dataclass(frozen=True, slots=True)
class _Token:
    kind: str  # "term", "or", "and", "not", "(", ")"
    pos: int  # 0-based offset in the expression
    key: str = ""
    pattern: re.Pattern[str] | None = None


@dataclass(frozen=True, slots=True)
class Filter:
    """A compiled expression; call it with an :class:`EntryInfo`."""

    text: str
    predicate: Predicate

    def __call__(self, info: EntryInfo) -> bool:
        return self.predicate(info)

    def matches(self, entry: Entry) -> bool:
        return self.predicate(describe(entry))


def compile_filter(text: str) -> Filter:
    """Parse ``text``; raises :class:`FilterSyntaxError` (a ``ConfigError``)."""
    parser = _Parser(text, _tokenize(text))
    if not parser.tokens:
        raise FilterSyntaxError(text, 1, "empty expression")
    predicate = parser.parse_or()
    if parser.peek() is not None:
        token = parser.tokens[parser.index]
        raise FilterSyntaxError(text, token.pos + 1, "unexpected ')'")
    return Filter(text, predicate)


def _tokenize(text: str) -> list[_Token]:
    tokens: list[_Token] = []
    pos = 0
    while pos < len(text):
        char = text[pos]
        if char.isspace():
            pos += 1
        elif char in "()":
            tokens.append(_Token(char, pos))
            pos += 1
        elif char == "-" and pos + 1 < len(text) and not text[pos + 1].isspace():
            tokens.append(_Token("not", pos))
            pos += 1
        else:
            token, pos = _word(text, pos)
            tokens.append(token)
    return tokens


def _word(text: str, start: int) -> tuple[_Token, int]:
    """One word: a keyword or ``key:value``, with quoted parts in the value."""
    parts: list[tuple[str, bool]] = []  # (text, quoted)
    pos = start
    while pos < len(text) and not text[pos].isspace() and text[pos] not in "()":
        if text[pos] == '"':
            quoted, pos = _quoted(text, pos)
            parts.append((quoted, True))
        else:
            parts.append((text[pos], False))
            pos += 1
    plain = "".join(p for p, _ in parts)
    if not any(q for _, q in parts) and plain.lower() in _KEYWORDS:
        return _Token(plain.lower(), start), pos
    return _term(text, start, parts), pos


def _quoted(text: str, start: int) -> tuple[str, int]:
    out: list[str] = []
    pos = start + 1
    while pos < len(text):
        char = text[pos]
        if char == '"':
            return "".join(out), pos + 1
        if char == "\\" and pos + 1 < len(text):
            pos += 1
            char = text[pos]
        out.append(char)
        pos += 1
    raise FilterSyntaxError(text, start + 1, "unterminated quote")


def _term(text: str, start: int, parts: list[tuple[str, bool]]) -> _Token:
    colon = next((i for i, (p, q) in enumerate(parts) if p == ":" and not q), None)
    if colon is None:
        word = "".join(p for p, _ in parts)
        raise FilterSyntaxError(text, start + 1, f"expected key:value, got {word!r}")
    key = "".join(p for p, _ in parts[:colon]).lower()
    if key not in FIELDS:
        known = ", ".join(FIELDS)
        raise FilterSyntaxError(text, start + 1, f"unknown key {key!r} (known: {known})")
    value = parts[colon + 1 :]
    if not value:
        raise FilterSyntaxError(text, start + len(key) + 2, f"missing value after {key}:")
    regex = "".join(".*" if p == "*" and not q else re.escape(p) for p, q in value)
    plain = "".join(p for p, _ in value)
    choices = _CHOICES.get(key)
    if choices and "*" not in plain and plain not in choices:
        wanted = " or ".join(choices)
        raise FilterSyntaxError(
            text, start + len(key) + 2, f"{key} must be {wanted}, got {plain!r}"
        )
    return _Token("term", start, key, re.compile(regex, re.DOTALL))


class _Parser:
    def __init__(self, text: str, tokens: list[_Token]) -> None:
        self.text = text
        self.tokens = tokens
        self.index = 0

    def peek(self) -> str | None:
        return self.tokens[self.index].kind if self.index < len(self.tokens) else None

    def _fail(self, reason: str) -> FilterSyntaxError:
        pos = self.tokens[self.index].pos if self.index < len(self.tokens) else len(self.text)
        return FilterSyntaxError(self.text, pos + 1, reason)

    def parse_or(self) -> Predicate:
        if self.peek() == "or":
            raise self._fail("'or' needs a term before it")
        parts = [self.parse_and()]
        while self.peek() == "or":
            self.index += 1
            if self.peek() in (None, ")", "or"):
                raise self._fail("'or' needs a term after it")
            parts.append(self.parse_and())
        return parts[0] if len(parts) == 1 else (lambda info: any(p(info) for p in parts))

    def parse_and(self) -> Predicate:
        parts = [self.parse_unary()]
        while self.peek() not in (None, ")", "or"):
            if self.peek() == "and":
                self.index += 1
                if self.peek() in (None, ")", "or", "and"):
                    raise self._fail("'and' needs a term after it")
            parts.append(self.parse_unary())
        return parts[0] if len(parts) == 1 else (lambda info: all(p(info) for p in parts))

    def parse_unary(self) -> Predicate:
        kind = self.peek()
        if kind is None:
            raise self._fail("expected a term")
        token = self.tokens[self.index]
        self.index += 1
        if kind == "not":
            if self.peek() in (None, ")", "or", "and"):
                raise FilterSyntaxError(self.text, token.pos + 1, "nothing to negate")
            inner = self.parse_unary()
            return lambda info: not inner(info)
        if kind == "(":
            inner = self.parse_or()
            if self.peek() != ")":
                raise FilterSyntaxError(self.text, token.pos + 1, "unclosed '('")
            self.index += 1
            return inner
        if kind == "term":
            return _matcher(token)
        self.index -= 1
        raise self._fail(f"unexpected {kind!r}")


def _matcher(token: _Token) -> Predicate:
    get = FIELDS[token.key]
    pattern = token.pattern
    assert pattern is not None

    def match(info: EntryInfo) -> bool:
        value = get(info)
        return value is not None and pattern.fullmatch(value) is not None

    return match
