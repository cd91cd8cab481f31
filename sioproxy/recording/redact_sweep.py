"""The sweep pass of redaction: remembered secret values, wherever they recur.

Layer: pure (recording). Standard library only.

A secret value recurs verbatim, JSON-escaped (``\\u00e9``, PHP's ``\\/``)
or percent-encoded; all of those spellings are replaced. A value shorter
than ``MIN_SCRUB`` is replaced only where delimited (after ``=``, ``"`` or
``:`` and before a separator), so a 3-letter secret does not eat every
``abc`` of the text.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from urllib.parse import quote, quote_plus

from sioproxy.recording.redact_policy import (
    MIN_SCRUB,
    PLACEHOLDER_ENCODED_RE,
    PLACEHOLDER_RE,
    placeholder,
)

_DELIMITED_BEFORE = r"(?<=[=\":])"
_DELIMITED_AFTER = r"(?=[&#;,\"}\]\s]|\Z)"


def fill_placeholders(text: str, values: Mapping[str, str]) -> str:
    """Put real values back for the placeholder labels in ``values`` (for replay)."""

    def repl(match: re.Match[str]) -> str:
        return values.get(match.group(1), match.group(0))

    return PLACEHOLDER_ENCODED_RE.sub(repl, PLACEHOLDER_RE.sub(repl, text))


def _json_inner(value: str, ascii_only: bool) -> str:
    return json.dumps(value, ensure_ascii=ascii_only)[1:-1]


def json_unescape(value: str) -> str:
    try:
        decoded = json.loads(f'"{value}"')
    except ValueError:
        return value
    return decoded if isinstance(decoded, str) else value


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
    if len(secret) >= MIN_SCRUB:
        return f"(?:{alternatives})"
    return f"{_DELIMITED_BEFORE}(?:{alternatives}){_DELIMITED_AFTER}"


# A client that sends a fresh token per connection would otherwise grow the
# set (and the alternation recompiled from it) for the life of the process.
# The key-name scan still finds a forgotten value under its key; only an echo
# of it elsewhere, after MAX_REMEMBERED newer secrets, is no longer swept.
MAX_REMEMBERED = 1_000


class Sweep:
    """Remembered secret values (value -> label) and their compiled pattern.

    At most ``limit`` values are kept; the oldest is forgotten first.
    """

    def __init__(self, limit: int = MAX_REMEMBERED) -> None:
        self.values: dict[str, str] = {}
        self._limit = limit
        self._pattern: re.Pattern[str] | None = None
        self._labels: list[str] = []

    def add(self, value: str, label: str) -> None:
        if value not in self.values:
            if len(self.values) >= self._limit:
                del self.values[next(iter(self.values))]  # dicts keep insertion order
            self.values[value] = label
            self._pattern = None

    def pattern(self) -> tuple[re.Pattern[str] | None, list[str]]:
        if self._pattern is None and self.values:
            ordered = sorted(self.values, key=len, reverse=True)
            self._labels = [self.values[s] for s in ordered]
            self._pattern = re.compile("|".join(f"({_secret_pattern(s)})" for s in ordered))
        return self._pattern, self._labels

    def sub(self, text: str) -> str:
        pattern, labels = self.pattern()
        if pattern is None:
            return text
        return pattern.sub(lambda m: placeholder(labels[(m.lastindex or 1) - 1]), text)


def sweep_with(text: str, secrets: Mapping[str, str]) -> str:
    """``text`` with every value of ``secrets`` (value -> label) replaced."""
    sweep = Sweep()
    for value, label in secrets.items():
        if value:
            sweep.add(value, label)
    return sweep.sub(text)
