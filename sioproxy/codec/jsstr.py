"""JavaScript string lengths: UTF-16 code units.

Layer: pure codec helper. Both 0.9 framing (docs/protocol.md#a5) and EIO3 text
payloads (B.5.2) count lengths in ``String.length`` units, where a non-BMP
character such as an emoji counts 2. Python's ``len()`` counts code points.
"""

from __future__ import annotations


def utf16_len(text: str) -> int:
    """Length of ``text`` in UTF-16 code units (JavaScript ``String.length``)."""
    if text.isascii():
        return len(text)
    # Each astral code point needs a surrogate pair: one extra unit.
    return len(text) + sum(1 for ch in text if ord(ch) > 0xFFFF)


def utf16_take(text: str, start: int, units: int) -> tuple[str, int] | None:
    """Take ``units`` UTF-16 code units of ``text`` from code-point index ``start``.

    Returns the slice and the code-point index just after it, or ``None`` when
    ``text`` is too short or the slice would end in the middle of a surrogate
    pair (which a JavaScript peer would have split into garbage).
    """
    chunk = text[start : start + units]
    if len(chunk) == units and (chunk.isascii() or utf16_len(chunk) == units):
        return chunk, start + units
    end = start
    taken = 0
    limit = len(text)
    while taken < units:
        if end >= limit:
            return None
        taken += 2 if ord(text[end]) > 0xFFFF else 1
        end += 1
    if taken != units:
        return None
    return text[start:end], end
