"""What redaction hides: the policy, placeholders and the key-based text scan.

Layer: pure (recording). Standard library only; never twisted.

The policy names secrets by where they live, never by what they look like:
JSON keys (any depth, case-insensitive), query parameters, HTTP headers and
JSON pointers into the arguments of a named event. Generic names that
applications use for data (``key``, ``id``, ``session``, ``user``) are not in
the defaults. ``RedactionPolicy.summary`` is the ``redactions`` field of a
recording's header and says exactly what was applied; ``from_summary`` reads
it back so that ``show``, HAR export and replay logs apply the same policy.

Placeholder labels say where a value was found, so that two secrets with the
same key name stay apart: ``auth.token`` (a Socket.IO v5 CONNECT auth
payload), ``query.token`` (a URL, namespace or 0.9 connect query), the
header name (``Authorization``), ``cookie.NAME``, the bare key for JSON
elsewhere (``password``) and ``EVENT.POINTER`` for ``--redact-pointer``.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import unquote_plus

from sioproxy.errors import ConfigError
from sioproxy.jsonpointer import Pointer, PointerError, parse

#: JSON and query keys redacted by default (compared case-insensitively, so
#: ``apiKey`` is ``apikey``). ``auth`` is only a secret when it holds a
#: scalar: a v5 CONNECT ``auth`` object is searched by key like any other.
DEFAULT_KEYS = (
    *("token", "access_token", "refresh_token", "id_token", "auth_token", "session_token"),
    *("password", "passwd", "passphrase", "secret", "client_secret", "private_key"),
    *("api_key", "apikey", "x-api-key", "authorization", "cookie", "jwt", "credentials"),
    "auth",
)
SCALAR_ONLY_KEYS = frozenset({"auth"})
DEFAULT_HEADERS = (
    *("Authorization", "Proxy-Authorization", "Cookie", "Set-Cookie"),
    *("X-Api-Key", "X-Auth-Token"),
)
#: A value found under a secret key is replaced where it stands, whatever its
#: length; it is scrubbed from the rest of the traffic and of the output only
#: when it is at least this long, so a user name, a small number or a word
#: that happens to equal a short secret survives everywhere else.
MIN_SCRUB = 8
POLICY_VERSION = 2

_KEY_CHARS = re.compile(r"[^A-Za-z0-9_.\-]")
PLACEHOLDER_RE = re.compile(r"\[REDACTED:([A-Za-z0-9_.\-]+)\]")
PLACEHOLDER_ENCODED_RE = re.compile(r"%5BREDACTED%3A([A-Za-z0-9_.\-]+)%5D", re.IGNORECASE)
# key=value pairs of a query string embedded in any text: a URL, a 0.9 CONNECT
# qs (docs/protocol.md#a9, "1::/chat:?token=x") or an SIO v4 namespace ("40/admin?token=x,", C.4).
QUERY_PAIR_RE = re.compile(r"(?:^|(?<=[?&;]))([^=&?#;\s,\"]+)=([^&#;\s,\"]*)")
# "key": "value" or "key": literal in JSON text, also inside a JSON string
# (one level of \" escaping) and in JSON that is cut off or malformed: the
# string value may run to the end of the text. Only secret keys are in the
# pattern, so a pair of another key never swallows the text around a secret.
_JSON_PAIR = (
    r'(?P<q>\\?)"(?P<key>(?i:{keys}))(?P=q)"\s*:\s*'
    r'(?:(?P=q)"(?P<str>(?:[^"\\]|\\.)*?)(?:(?P=q)"|\Z)'
    r"|(?P<lit>-?[0-9][0-9.eE+\-]*))"
)


def placeholder(label: str) -> str:
    """The placeholder that replaces a value found under ``label``."""
    return f"[REDACTED:{_KEY_CHARS.sub('_', label) or 'value'}]"


def placeholder_key(value: object) -> str | None:
    """The label named by a placeholder string, or None if it is not one."""
    if not isinstance(value, str):
        return None
    match = PLACEHOLDER_RE.fullmatch(value) or PLACEHOLDER_ENCODED_RE.fullmatch(value)
    return match.group(1) if match else None


def is_placeholder(value: object) -> bool:
    """True for a whole placeholder string, plain or percent-encoded."""
    return placeholder_key(value) is not None


@dataclass(frozen=True, slots=True)
class RedactPointer:
    """``--redact-pointer EVENT:/json/pointer`` into that event's arguments."""

    event: str
    pointer: Pointer
    text: str

    @property
    def label(self) -> str:
        return ".".join((self.event, *self.pointer.tokens))


def parse_redact_pointer(text: str) -> RedactPointer:
    """``EVENT:/0/pin``; raises ConfigError naming the option."""
    event, sep, pointer = text.rpartition(":")
    if not sep or not event or not pointer.startswith("/"):
        raise ConfigError(None, None, f"--redact-pointer {text!r}: expected EVENT:/json/pointer")
    try:
        parsed = parse(pointer)
    except PointerError as exc:
        raise ConfigError(None, None, f"--redact-pointer {text!r}: {exc}") from None
    return RedactPointer(event=event, pointer=parsed, text=text)


def _dedupe(names: Iterable[str]) -> tuple[str, ...]:
    seen: set[str] = set()
    out: list[str] = []
    for name in names:
        if name and name.lower() not in seen:
            seen.add(name.lower())
            out.append(name)
    return tuple(out)


@dataclass(frozen=True, slots=True)
class RedactionPolicy:
    """Which keys, headers, query parameters and event values are secrets."""

    enabled: bool = True
    keys: tuple[str, ...] = DEFAULT_KEYS
    headers: tuple[str, ...] = DEFAULT_HEADERS
    query: tuple[str, ...] = ()
    pointers: tuple[RedactPointer, ...] = ()
    kept: tuple[str, ...] = ()

    @classmethod
    def build(
        cls,
        *,
        enabled: bool = True,
        redact: Iterable[str] = (),
        keep: Iterable[str] = (),
        headers: Iterable[str] = (),
        query: Iterable[str] = (),
        pointers: Iterable[str] = (),
    ) -> RedactionPolicy:
        """The defaults plus the command-line additions; ``keep`` wins over defaults."""
        if not enabled:
            return cls.disabled()
        extra = list(redact)
        kept = _dedupe(keep)
        dropped = {k.lower() for k in kept}
        return cls(
            keys=_dedupe(k for k in [*DEFAULT_KEYS, *extra] if k.lower() not in dropped),
            headers=_dedupe(
                h for h in [*DEFAULT_HEADERS, *headers, *extra] if h.lower() not in dropped
            ),
            query=_dedupe(query),
            pointers=tuple(parse_redact_pointer(p) for p in pointers),
            kept=kept,
        )

    @classmethod
    def disabled(cls) -> RedactionPolicy:
        return cls(enabled=False, keys=(), headers=(), query=(), pointers=(), kept=())

    def summary(self) -> dict[str, Any]:
        """The ``redactions`` field of a recording header: exactly what was applied."""
        return {
            "policy": POLICY_VERSION,
            "enabled": self.enabled,
            "keys": list(self.keys),
            "headers": list(self.headers),
            "query": list(self.query),
            "pointers": [p.text for p in self.pointers],
            "kept": list(self.kept),
            "min_scrub": MIN_SCRUB,
            # Older readers require a boolean here: the CONNECT auth payload
            # is redacted (by key name since policy 2).
            "auth": self.enabled,
        }

    @classmethod
    def from_summary(cls, summary: Mapping[str, Any] | None) -> RedactionPolicy:
        """The policy a recording was made with; older headers get today's defaults.

        A header that says nothing was redacted (``--no-redact``) gives a
        disabled policy: its outputs show what the user chose to keep.
        """
        if not summary or summary.get("policy") != POLICY_VERSION:
            old = summary or {}
            if old and not old.get("headers") and not old.get("query") and not old.get("auth"):
                return cls.disabled()
            return cls.build(redact=[str(k) for k in old.get("query", ()) if k != "auth"])
        if not summary.get("enabled", True):
            return cls.disabled()
        try:
            pointers = tuple(parse_redact_pointer(str(p)) for p in summary.get("pointers", ()))
        except ConfigError:
            pointers = ()
        return cls(
            keys=_dedupe(str(k) for k in summary.get("keys", DEFAULT_KEYS)),
            headers=_dedupe(str(h) for h in summary.get("headers", DEFAULT_HEADERS)),
            query=_dedupe(str(q) for q in summary.get("query", ())),
            pointers=pointers,
            kept=_dedupe(str(k) for k in summary.get("kept", ())),
        )


@dataclass(frozen=True, slots=True)
class Found:
    """A secret value found in text by its key: where it is and its label."""

    start: int
    end: int
    value: str
    label: str
    quote: str = ""  # wrapped around the placeholder of a JSON literal: '"' or '\\"'


# ``may_hold`` first looks for names among the bytes they have in a text
# longer than this (a dense JSON event: 6 ms a MB for 13 names, 0.4 ms).
_LONG_TEXT = 4096


def _bytes_not_in(pieces: tuple[bytes, ...]) -> bytes:
    """The bytes none of ``pieces`` has (``bytes.translate`` removes them)."""
    used = set(b"".join(pieces))
    return bytes(b for b in range(256) if b not in used)


def _anchors(names: tuple[bytes, ...]) -> tuple[bytes, ...]:
    """Pieces of at most 3 bytes such that every name holds one: few of them, with
    few distinct bytes (the default 13 names: 7 pieces over 12 bytes, not 22).

    Searching a long text for them and no name found costs a third of searching
    it for the names (the log's turn of lines, docs/performance.md).
    """
    left = set(names)
    chosen: list[bytes] = []
    while left:  # each round covers at least one more name
        covers: dict[bytes, set[bytes]] = {}
        for name in left:
            for i in range(max(len(name) - 2, 1)):
                covers.setdefault(name[i : i + 3], set()).add(name)
        used = set(b"".join(chosen))
        best = max(sorted(covers), key=lambda p: (len(covers[p]), -len(set(p) - used)))
        chosen.append(best)
        left -= covers[best]
    return tuple(chosen)


class KeyMatcher:
    """Case-insensitive lookups of a policy's names, and the text scan."""

    def __init__(self, policy: RedactionPolicy) -> None:
        self.enabled = policy.enabled
        self.keys = frozenset(k.lower() for k in policy.keys)
        self.query = self.keys | {q.lower() for q in policy.query}
        self.headers = frozenset(h.lower() for h in policy.headers)
        self.pointers = policy.pointers
        names = "|".join(re.escape(k) for k in sorted(self.keys, key=len, reverse=True))
        self._json_pair = re.compile(_JSON_PAIR.format(keys=names)) if names else None
        # For the fast test: a name that contains another (access_token, token)
        # needs no check of its own.
        self._probes = tuple(
            sorted(k for k in self.query if not any(o != k and o in k for o in self.query))
        )
        # For a long text: the same names as UTF-8, and the bytes no name has.
        self._probe_bytes = tuple(p.encode("utf-8", "surrogatepass") for p in self._probes)
        self._not_in_names = _bytes_not_in(self._probe_bytes)
        # Before that, fewer and shorter pieces (one in each name) among fewer bytes.
        self._anchors = _anchors(self._probe_bytes)
        self._not_in_anchors = _bytes_not_in(self._anchors)

    def json_key(self, key: object, value: object) -> bool:
        if not isinstance(key, str) or key.lower() not in self.keys:
            return False
        return not (key.lower() in SCALAR_ONLY_KEYS and isinstance(value, dict | list))

    def query_key(self, key: str) -> bool:
        return key.lower() in self.query

    def header(self, name: str) -> bool:
        return name.lower() in self.headers

    @property
    def probes(self) -> tuple[str, ...]:
        """The lower-case key names ``may_hold`` looks for."""
        return self._probes

    def may_hold(self, text: str) -> bool:
        """False when no secret key name occurs in ``text`` (the common case)."""
        lowered = text.lower()
        if len(lowered) > _LONG_TEXT and not self._in_name_bytes(lowered):
            return False
        for probe in self._probes:  # noqa: SIM110 - a loop: no generator frame per call
            if probe in lowered:
                return True
        return False

    def _in_name_bytes(self, lowered: str) -> bool:
        """False when no name occurs in ``lowered``, looked for among only the bytes
        that names have (removed in C: little of a dense text of numbers and
        brackets is left). Removing bytes can join two pieces into a name,
        never break one: True may be wrong, False is not. The same first with
        the anchors: a name holds one of them, so a text without them has no name."""
        data = lowered.encode("utf-8", "surrogatepass")
        kept = data.translate(None, self._not_in_anchors)
        for anchor in self._anchors:  # a loop: no generator frame per call
            if anchor in kept:
                break
        else:
            return False
        kept = data.translate(None, self._not_in_names)
        for probe in self._probe_bytes:  # noqa: SIM110 - as in may_hold
            if probe in kept:
                return True
        return False

    def scan(self, text: str, json_prefix: str = "") -> Iterator[Found]:
        """Values of secret keys written as ``"key": value`` or ``key=value`` in ``text``.

        Works on any text, decodable or not: a CONNECT whose JSON lost its
        closing brace, a log line, a report, a HAR document.
        """
        if not self.enabled or not self.may_hold(text):
            return
        for m in self._json_pair.finditer(text) if self._json_pair is not None else ():
            key = m.group("key")
            group = "str" if m.group("str") is not None else "lit"
            value = m.group(group)
            if value and not is_placeholder(value):
                quote = "" if group == "str" else m.group("q") + '"'
                yield Found(m.start(group), m.end(group), value, json_prefix + key, quote)
        if "=" in text:
            for m in QUERY_PAIR_RE.finditer(text):
                key, value = unquote_plus(m.group(1)), m.group(2)
                if self.query_key(key) and value and not is_placeholder(value):
                    yield Found(m.start(2), m.end(2), value, "query." + key)
