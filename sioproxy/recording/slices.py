"""Recording one huge text in bounded steps, so the live proxy can spread it over reactor turns.

Layer: pure. A packet of tens of MiB (``--max-body`` raised far above its
default) is relayed at once but not decoded (``codec.limits.MAX_DECODE_CHARS``);
what is left of its recording is linear work on its raw text: the secret
scan and the JSON string literal of the line. Done in one turn, that held
the reactor for about 0.5 s per 32 MiB (docs/reliability.md). Here each
step handles one slice of ``SLICE_CHARS`` characters; the live observer runs
one step per reactor turn (``proxy.backlog``). The line written at the end
is the very line the one-turn path writes.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Generator, Iterator

from sioproxy.recording.model import PacketEntry
from sioproxy.recording.writer import json_string, json_text

# Characters handled per step: a key-name probe, a secret-value search or a
# slice of the JSON literal takes at most a few ms at this size.
SLICE_CHARS = 1 << 18
# Texts at least this long are prepared in steps; shorter ones are cheap enough
# for one turn.
PREPARE_CHARS = 1 << 20


def windows(text: str, overlap: int, size: int = SLICE_CHARS) -> Iterator[str]:
    """``text`` in slices of ``size``, each starting ``overlap`` characters early.

    Anything of at most ``overlap + 1`` characters in ``text`` lies whole in
    one window: a search of every window finds what a search of the text does.
    """
    for start in range(0, len(text), size):
        yield text[max(0, start - overlap) : start + size]


def has_utf8_form(text: str) -> Generator[None, None, bool]:
    """False when ``text`` holds a lone surrogate (a JavaScript string cut
    mid-pair): ``encode_line`` then writes the whole line ASCII-only, which
    the one-turn path does. A slice per step, none for ASCII text (CPython
    knows that of a str without a pass over it)."""
    if text.isascii():
        return True
    for start in range(0, len(text), SLICE_CHARS):
        piece = text[start : start + SLICE_CHARS]
        if not piece.isascii() and _SURROGATE.search(piece):
            return False
        yield
    return True


def line_ends(entry: PacketEntry) -> tuple[bytes, bytes] | None:
    """The bytes of ``encode_line(entry.to_json())`` before and after the raw
    text's JSON literal (quotes included in neither); None when that cannot
    be cut so (the line would need its ASCII-only form, or the stand-in text
    occurs twice)."""
    text = json_text(dataclasses.replace(entry, raw=_STAND_IN).to_json())
    try:
        line = text.encode("utf-8")
    except UnicodeEncodeError:
        return None  # encode_line's \uXXXX fallback would escape the raw text too
    head, found, tail = line.partition(_STAND_IN_LITERAL)
    if not found or _STAND_IN_LITERAL in tail:
        return None
    return head + b'"', b'"' + tail + b"\n"


def line_parts(ends: tuple[bytes, bytes], text: str) -> Iterator[bytes]:
    """The line of ``line_ends`` with ``text`` in it, in parts: the head, the
    JSON literal of each slice of ``text`` (escaping is per character, so the
    slices' literals joined are the literal of the whole), the tail."""
    yield ends[0]
    for start in range(0, len(text), SLICE_CHARS):
        yield json_string(text[start : start + SLICE_CHARS])[1:-1].encode("utf-8")
    yield ends[1]


# Written where the raw text goes, then replaced by its literal.
_STAND_IN = "\x00sioproxy: the raw text goes here\x00"
_STAND_IN_LITERAL = json_string(_STAND_IN).encode()
_SURROGATE = re.compile("[\ud800-\udfff]")
