"""Text for humans: safe to print (``escape_controls``) and short (``shorten``, ``preview``).

Layer: pure (standard library only). Namespaces, event names, close reasons,
paths and args come from the network or from a recording; printed raw, an
ESC or CSI sequence recolours or clears the terminal, a CR or LF forges a
log line, and a bidi override shows text in another order than it is. Every
human-readable output (the proxy and replay logs, ``show``, the mismatch and
drift reports, pytest failure messages, CLI error lines) passes its text
through ``escape_controls`` before printing it.

Escaped: C0 (U+0000-U+001F), DEL (U+007F), C1 (U+0080-U+009F) and the bidi
controls U+061C, U+200E, U+200F, U+202A-U+202E, U+2066-U+2069. Each becomes
a JSON escape (``\\n``, ``\\r``, ``\\t``, else ``\\u001b`` style), so a
JSON text stays valid JSON with the same value after escaping: ``json.dumps``
never leaves C0 raw, and the only raw characters this changes sit inside
strings. Backslashes are left alone (JSON already doubles them inside
strings), so escaping twice changes nothing.

``shorten`` is the one truncation: text cut to at most ``limit`` characters,
ending in ``...`` when cut. ``preview`` is a value as JSON (compact for log
lines and reports; ``spaced`` as ``json.dumps`` writes it, for the error
messages that quote a value) shortened the same way.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from typing import Any, Final

__all__ = ["UNSAFE", "escape_controls", "preview", "shorten"]

_BIDI: Final = "\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069"
UNSAFE: Final = re.compile(f"[\x00-\x1f\x7f-\x9f{_BIDI}]")
_SHORT: Final = {"\n": "\\n", "\r": "\\r", "\t": "\\t"}


def _escape_one(match: re.Match[str]) -> str:
    char = match.group()
    return _SHORT.get(char) or f"\\u{ord(char):04x}"


def escape_controls(text: str) -> str:
    """``text`` with every control and bidi character written as a JSON escape."""
    # The search is the common path: most lines hold nothing to escape.
    if UNSAFE.search(text) is None:
        return text
    return UNSAFE.sub(_escape_one, text)


def shorten(text: str, limit: int) -> str:
    """``text`` if it fits in ``limit`` characters, else its start and ``...`` in ``limit``."""
    return text if len(text) <= limit else text[: max(limit - 3, 0)] + "..."


def preview(
    value: Any,
    limit: int,
    *,
    spaced: bool = False,
    default: Callable[[Any], Any] | None = repr,
) -> str:
    """``value`` as JSON, shortened to ``limit``; ``repr(value)`` if JSON cannot hold it.

    ``default`` writes what JSON has no form for (``None``: the whole value
    falls back to ``repr``).
    """
    separators = None if spaced else (",", ":")
    try:
        text = json.dumps(value, ensure_ascii=False, separators=separators, default=default)
    except (TypeError, ValueError, RecursionError):
        text = repr(value)
    return shorten(text, limit)
