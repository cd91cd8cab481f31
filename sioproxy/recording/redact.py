"""Redaction of secrets before anything reaches a recording.

Layer: pure (recording). Imports only the standard library and
``sioproxy.recording.model``; never twisted.

Two passes. The structured pass knows where secrets live: headers by name
(``Cookie``, ``Set-Cookie``, ``Authorization``), query and JSON keys by name
(``token``, ``auth``, ``access_token``, ``password``, plus ``--redact`` keys),
and every leaf of a Socket.IO v5 CONNECT auth object (protocol.md C.4: the
client's ``40{...}`` / ``40/nsp,{...}``). Each value it replaces is
remembered. The sweep pass then replaces every remembered value wherever it
appears in raw wire text (which repeats them verbatim, JSON-escaped or
percent-encoded), in decoded packets, decode-error messages and notes.

Placeholder: ``[REDACTED:<key>]``, written literally everywhere (headers, JSON
strings and query strings alike: it is not percent-encoded; ``[``, ``]`` and
``:`` pass through every query parser we know). The key is the name the value
was found under, with characters outside ``A-Za-z0-9_.-`` turned into ``_``.
``is_placeholder`` / ``placeholder_key`` also accept the percent-encoded
spelling, in case a client re-encodes it during replay.
"""

from __future__ import annotations

import dataclasses
import json
import re
from collections.abc import Iterable, Mapping, Sequence
from typing import Any
from urllib.parse import quote, quote_plus, unquote_plus

from sioproxy.codec.limits import too_deep
from sioproxy.recording.model import (
    CloseEvent,
    Entry,
    HttpRequest,
    OpenEvent,
    OriginalFrame,
    PacketEntry,
    UpgradeEvent,
)
from sioproxy.types import Direction

DEFAULT_HEADERS = ("Authorization", "Cookie", "Set-Cookie")
DEFAULT_KEYS = ("token", "auth", "access_token", "password")
# Shorter values are not worth a global sweep: an auth leaf ``"v":1`` would turn
# every later ``{"page":1}`` into a placeholder. They are removed from the entry
# they were found in, and there only where delimited (a JSON string or literal,
# a query value), so a 2-character secret does not eat every "12" of the frame.
MIN_BARE_SECRET = 4

_KEY_CHARS = re.compile(r"[^A-Za-z0-9_.\-]")
_PLACEHOLDER = re.compile(r"\[REDACTED:([A-Za-z0-9_.\-]+)\]")
_PLACEHOLDER_ENCODED = re.compile(r"%5BREDACTED%3A([A-Za-z0-9_.\-]+)%5D", re.IGNORECASE)
# key=value pairs of a query string embedded in any text: a URL, a 0.9 CONNECT
# qs (protocol.md A.9, "1::/chat:?token=x") or an SIO v4 namespace ("40/admin?token=x,", C.4).
_QUERY_PAIR = re.compile(r"(?:^|(?<=[?&;]))([^=&?#;\s,\"]+)=([^&#;\s,\"]*)")
# SIO v5 CONNECT with a payload, one Engine.IO message (EIO4 polling joins them with RS).
_V5_CONNECT = re.compile(r"40(?:/[^,{]*,)?(\{.*\})", re.DOTALL)
# Keys of the decoded packet dicts themselves (sio_to_dict, eio_to_dict,
# legacy packet_to_dict): a --redact key among them would redact the packet's
# structure, which the fast path below cannot see in the raw text.
_STRUCTURAL_KEYS = frozenset(
    {
        *("type", "nsp", "id", "data", "attachments", "attachments_expected", "eio", "sio"),
        *("binary", "ack", "advice", "args", "endpoint", "name", "qs", "reason"),
    }
)
_DELIMITED_BEFORE = r"(?<=[=\":])"
_DELIMITED_AFTER = r"(?=[&#;,\"}\]\s]|\Z)"


def placeholder(key: str) -> str:
    """The placeholder that replaces a value found under ``key``."""
    return f"[REDACTED:{_KEY_CHARS.sub('_', key) or 'value'}]"


def is_placeholder(value: object) -> bool:
    """True for a whole placeholder string, plain or percent-encoded."""
    return placeholder_key(value) is not None


def placeholder_key(value: object) -> str | None:
    """The key named by a placeholder string, or None if it is not one."""
    if not isinstance(value, str):
        return None
    match = _PLACEHOLDER.fullmatch(value) or _PLACEHOLDER_ENCODED.fullmatch(value)
    return match.group(1) if match else None


def fill_placeholders(text: str, values: Mapping[str, str]) -> str:
    """Put real values back for the placeholder keys in ``values`` (for replay)."""

    def repl(match: re.Match[str]) -> str:
        return values.get(match.group(1), match.group(0))

    return _PLACEHOLDER_ENCODED.sub(repl, _PLACEHOLDER.sub(repl, text))


def _json_inner(value: str, ascii_only: bool) -> str:
    return json.dumps(value, ensure_ascii=ascii_only)[1:-1]


def _secret_pattern(secret: str) -> str:
    forms = {
        secret,
        _json_inner(secret, True),
        _json_inner(secret, False),
        _json_inner(secret, True).replace("/", "\\/"),  # PHP-style escaped slashes
        quote(secret, safe=""),
        quote_plus(secret),
    }
    alternatives = "|".join(re.escape(f) for f in sorted(forms, key=len, reverse=True) if f)
    if len(secret) >= MIN_BARE_SECRET:
        return f"(?:{alternatives})"
    return f"{_DELIMITED_BEFORE}(?:{alternatives}){_DELIMITED_AFTER}"


class Redactor:
    """Replaces secrets by placeholders and remembers them to sweep raw text."""

    def __init__(
        self,
        *,
        enabled: bool = True,
        extra_keys: Iterable[str] = (),
        headers: Iterable[str] = DEFAULT_HEADERS,
        keys: Iterable[str] = DEFAULT_KEYS,
        auth: bool = True,
    ) -> None:
        extra = list(extra_keys)
        self.enabled = enabled
        self._header_names = _dedupe([*headers, *extra]) if enabled else []
        self._key_names = _dedupe([*keys, *extra]) if enabled else []
        self._headers = {h.lower() for h in self._header_names}
        self._keys = {k.lower() for k in self._key_names}
        self._auth = auth and enabled
        self._fast_path_ok = not (self._keys & _STRUCTURAL_KEYS)
        self.secrets: dict[str, str] = {}  # secret value -> key it was found under
        self._entry_secrets: dict[str, str] = {}  # short values, for the current entry only
        self._sweep_re: re.Pattern[str] | None = None
        self._sweep_keys: list[str] = []

    @classmethod
    def disabled(cls) -> Redactor:
        return cls(enabled=False)

    def summary(self) -> dict[str, Any]:
        """The ``redactions`` field of the recording header."""
        return {
            "headers": list(self._header_names),
            "query": list(self._key_names),
            "auth": self._auth,
        }

    def remember(self, value: str, key: str) -> None:
        """Record a secret value so that ``redact_text`` removes it everywhere.

        Values shorter than ``MIN_BARE_SECRET`` are kept for the current entry only.
        """
        if not value or is_placeholder(value):
            return
        if len(value) < MIN_BARE_SECRET:
            self._entry_secrets.setdefault(value, key)
        elif value not in self.secrets:
            self.secrets[value] = key
            self._sweep_re = None

    # -- structured pass -------------------------------------------------

    def redact_headers(self, headers: Sequence[tuple[str, str]]) -> list[tuple[str, str]]:
        """Replace the values of secret headers (case-insensitive names)."""
        out: list[tuple[str, str]] = []
        for name, value in headers:
            lower = name.lower()
            if lower not in self._headers or not value:
                out.append((name, value))
                continue
            self.remember(value, name)
            if lower == "authorization" and " " in value.strip():
                self.remember(value.strip().split(None, 1)[1], name)  # "Bearer <token>"
            if lower in ("cookie", "set-cookie"):
                self._remember_cookies(value, lower)
            out.append((name, placeholder(name)))
        return out

    def _remember_cookies(self, value: str, header: str) -> None:
        pairs = value.split(";")[:1] if header == "set-cookie" else value.split(";")
        for pair in pairs:
            cookie, sep, cookie_value = pair.strip().partition("=")
            if sep:
                self.remember(cookie_value, cookie)

    def redact_query(self, query: str) -> str:
        """Replace the values of secret keys; order, encoding and repeats are kept."""
        if not self.enabled:
            return query
        lead = "?" if query.startswith("?") else ""
        parts = query[len(lead) :].split("&")
        for index, part in enumerate(parts):
            raw_key, sep, raw_value = part.partition("=")
            key = unquote_plus(raw_key)
            if sep and raw_value and key.lower() in self._keys and not is_placeholder(raw_value):
                self.remember(raw_value, key)
                self.remember(unquote_plus(raw_value), key)
                parts[index] = f"{raw_key}={placeholder(key)}"
        return lead + "&".join(parts)

    def redact_json(self, value: Any) -> Any:
        """Deep copy of ``value`` with the value of every secret key (any depth) replaced."""
        if not self.enabled:
            return value
        if isinstance(value, dict):
            out: dict[Any, Any] = {}
            for key, item in value.items():
                if isinstance(key, str) and key.lower() in self._keys:
                    self._remember_leaves(item, key)
                    out[key] = placeholder(key)
                else:
                    out[key] = self.redact_json(item)
            return out
        if isinstance(value, list):
            return [self.redact_json(item) for item in value]
        return value

    def redact_auth(self, obj: Any) -> Any:
        """Replace every leaf of a v5 CONNECT auth object, keeping its shape."""
        if not self._auth:
            return obj
        return self._replace_leaves(obj, "auth")

    def _replace_leaves(self, value: Any, key: str) -> Any:
        if isinstance(value, dict):
            return {k: self._replace_leaves(v, str(k)) for k, v in value.items()}
        if isinstance(value, list):
            return [self._replace_leaves(v, key) for v in value]
        self._remember_leaves(value, key)
        return placeholder(key)

    def _remember_leaves(self, value: Any, key: str) -> None:
        if isinstance(value, dict):
            for k, v in value.items():
                self._remember_leaves(v, str(k))
        elif isinstance(value, list):
            for v in value:
                self._remember_leaves(v, key)
        elif isinstance(value, str):
            self.remember(value, key)
        elif isinstance(value, int | float) and not isinstance(value, bool):
            # Numbers show up in raw JSON as their literal text.
            self.remember(json.dumps(value), key)

    # -- sweep pass ------------------------------------------------------

    def _compiled(self) -> tuple[re.Pattern[str] | None, list[str]]:
        if self._sweep_re is None and self.secrets:
            ordered = sorted(self.secrets, key=len, reverse=True)
            self._sweep_keys = [self.secrets[s] for s in ordered]
            groups = "|".join(f"({_secret_pattern(s)})" for s in ordered)
            self._sweep_re = re.compile(groups)
        return self._sweep_re, self._sweep_keys

    def redact_text(self, text: str, secrets: Mapping[str, str] | None = None) -> str:
        """Replace every known secret value in ``text`` by its placeholder.

        ``secrets`` maps value -> key; by default the values collected so far.
        Secret values written inside text as ``key=value`` (query strings) are
        collected first, so a namespace or 0.9 connect query is cleaned too.
        """
        if not self.enabled or not text:
            return text
        if secrets is not None:
            return _sweep_with(text, secrets)
        self.scan_query_pairs(text)
        if self._entry_secrets:
            return _sweep_with(text, self.secrets | self._entry_secrets)
        pattern, keys = self._compiled()
        if pattern is None:
            return text
        return pattern.sub(lambda m: placeholder(keys[(m.lastindex or 1) - 1]), text)

    def redact_bytes(self, data: bytes) -> bytes:
        """Replace the UTF-8 form of every known secret in binary frame bytes."""
        if not self.enabled or not data:
            return data
        for secret in sorted(self.secrets, key=len, reverse=True):
            if len(secret) >= MIN_BARE_SECRET:
                data = data.replace(secret.encode(), placeholder(self.secrets[secret]).encode())
        return data

    def scan_query_pairs(self, text: str) -> None:
        """Collect the values of secret keys in every ``key=value`` pair found in ``text``."""
        if "=" not in text:
            return
        for match in _QUERY_PAIR.finditer(text):
            key = unquote_plus(match.group(1))
            value = match.group(2)
            if key.lower() in self._keys and value and not is_placeholder(value):
                self.remember(value, key)
                self.remember(unquote_plus(value), key)

    def scan_v5_connect(self, text: str) -> None:
        """Collect the auth leaves of client CONNECT packets in raw EIO4 text."""
        if not self._auth:
            return
        for message in text.split("\x1e"):  # EIO4 polling record separator (B.5.1)
            match = _V5_CONNECT.fullmatch(message)
            if match is None or too_deep(match.group(1)):
                continue  # too deep: a decode error, its leaves are not walked (codec.limits)
            try:
                auth = json.loads(match.group(1))
            except (ValueError, RecursionError):
                continue
            self._remember_leaves(auth, "auth")

    def _sweep_value(self, value: Any, *, is_key: bool = False) -> Any:
        if isinstance(value, str):
            if is_placeholder(value):
                return value
            # A short secret (an auth leaf like "bob") is removed from its own
            # entry where it stands alone: in the raw text between quotes, and
            # here as a whole decoded string (not as an object key).
            key = None if is_key else self._entry_secrets.get(value)
            return placeholder(key) if key is not None else self.redact_text(value)
        if isinstance(value, dict):
            return {
                self._sweep_value(k, is_key=True): self._sweep_value(v) for k, v in value.items()
            }
        if isinstance(value, list):
            return [self._sweep_value(v) for v in value]
        if isinstance(value, int | float) and not isinstance(value, bool):
            text = json.dumps(value)
            key = self.secrets.get(text) or self._entry_secrets.get(text)
            return placeholder(key) if key is not None else value
        return value

    # -- whole entries ---------------------------------------------------

    def redact_request(self, request: HttpRequest) -> HttpRequest:
        if not self.enabled:
            return request
        headers = tuple(self.redact_headers(request.headers))
        query = self.redact_query(request.query)
        return dataclasses.replace(
            request,
            headers=headers,
            query=self.redact_text(query),
            path=self.redact_text(request.path),
        )

    def redact_entry(self, entry: Entry) -> Entry:
        """The entry as it may be written to a recording."""
        if not self.enabled:
            return entry
        self._entry_secrets = {}
        try:
            return self._redact_entry(entry)
        finally:
            self._entry_secrets = {}

    def _redact_entry(self, entry: Entry) -> Entry:
        if isinstance(entry, OpenEvent | UpgradeEvent):
            return dataclasses.replace(entry, request=self.redact_request(entry.request))
        if isinstance(entry, CloseEvent):
            return dataclasses.replace(entry, reason=self.redact_text(entry.reason))
        return self._redact_packet(entry)

    def _redact_packet(self, entry: PacketEntry) -> PacketEntry:
        client = entry.dir is Direction.C2S
        if self._nothing_to_redact(entry, client):
            return entry
        original = entry.original
        if original is not None:
            raw, attachments, packet = self._redact_frame(
                original.raw, original.attachments, original.packet, client
            )
            original = OriginalFrame(raw=raw, attachments=attachments, packet=packet)
        raw, attachments, packet = self._redact_frame(
            entry.raw, entry.attachments, entry.packet, client
        )
        return dataclasses.replace(
            entry,
            raw=raw,
            attachments=attachments,
            packet=packet,
            error=None if entry.error is None else self.redact_text(entry.error),
            original=original,
            note=None if entry.note is None else self.redact_text(entry.note),
        )

    def _nothing_to_redact(self, entry: PacketEntry, client: bool) -> bool:
        """Fast path (the hot one: most packets carry no secret): True when the
        structured and sweep passes could not change ``entry``.

        The decoded ``packet`` comes from ``raw``, so when no secret key name and
        no remembered secret occurs in the raw text, neither occurs in the
        packet. Escapes (``\\u0074oken``) and attachments take the full path.
        """
        raw = entry.raw
        if not isinstance(raw, str) or entry.attachments:
            return False
        if entry.original is not None or entry.error is not None or entry.note is not None:
            return False
        return self._clean_raw(raw, client)

    def raw_is_clean(self, raw: str, client: bool) -> bool:
        """True when a packet entry with this text ``raw`` (and no attachments,
        original, error or note) would come out of ``redact_entry`` unchanged.

        The live recorder asks this before encoding a packet line itself,
        without building a ``PacketEntry`` (docs/performance.md). Secrets seen
        in ``raw`` are remembered, as ``redact_entry`` would.
        """
        if not self.enabled:
            return True
        if "\\" in raw or not self._fast_path_ok:
            return False
        connect = client and (raw.startswith("40") or "\x1e40" in raw)  # EIO4 polling: RS
        if "=" in raw or connect or self._entry_secrets:
            # The scans may remember secrets of this very frame.
            self._entry_secrets = {}
            try:
                return self._clean_raw(raw, client)
            finally:
                self._entry_secrets = {}
        # Nearly every packet: the scans could find nothing (no "key=value",
        # no CONNECT), so only the names and remembered secrets are looked for.
        return self._no_secret_in(raw)

    def _clean_raw(self, raw: str, client: bool) -> bool:
        if "\\" in raw or not self._fast_path_ok:
            return False
        self.scan_query_pairs(raw)  # may remember secrets of this very frame
        if client:
            self.scan_v5_connect(raw)
        if self._entry_secrets:
            return False
        return self._no_secret_in(raw)

    def _no_secret_in(self, raw: str) -> bool:
        lowered = raw.lower()
        for key in self._keys:
            if key in lowered:
                return False
        if not self.secrets:
            return True
        pattern, _keys = self._compiled()
        return pattern is None or pattern.search(raw) is None

    def _redact_frame(
        self,
        raw: str | bytes,
        attachments: tuple[bytes, ...],
        packet: Mapping[str, Any] | None,
        client: bool,
    ) -> tuple[str | bytes, tuple[bytes, ...], Mapping[str, Any] | None]:
        if isinstance(raw, str):
            self.scan_query_pairs(raw)
            if client:
                self.scan_v5_connect(raw)
        if packet is not None:
            packet = self._sweep_value(self.redact_json(packet))
        new_raw = self.redact_text(raw) if isinstance(raw, str) else self.redact_bytes(raw)
        return new_raw, tuple(self.redact_bytes(a) for a in attachments), packet


def _sweep_with(text: str, secrets: Mapping[str, str]) -> str:
    ordered = sorted((s for s in secrets if s), key=len, reverse=True)
    if not ordered:
        return text
    pattern = re.compile("|".join(f"({_secret_pattern(s)})" for s in ordered))
    return pattern.sub(lambda m: placeholder(secrets[ordered[(m.lastindex or 1) - 1]]), text)


def _dedupe(names: Iterable[str]) -> list[str]:
    seen: set[str] = set()
    out: list[str] = []
    for name in names:
        if name and name.lower() not in seen:
            seen.add(name.lower())
            out.append(name)
    return out
