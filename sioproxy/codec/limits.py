"""sioproxy's decoding limits: JSON nesting depth, packet size, packets per polling body.

Layer: pure codec helper, standard library only.

Past a limit sioproxy stops *decoding*, never *relaying*: what a peer sent
goes on verbatim and is recorded raw once, with the reason as its decode
error (docs/reliability.md "Limits"). Only the memory limits (``--max-body``)
refuse traffic.

JSON nesting: Python's json decodes about 990 levels of ``[[[...]]]`` before it gives up
with RecursionError, but every recursive walk after it (redaction, the log
line, the recording, rules) runs out of stack sooner: a 500-level packet
used to decode, then fail in redaction, close the WebSocket with 1011 and
vanish from the recording. Refusing deeper JSON at decode time keeps every
later walk far from the interpreter's limit. Such a packet is an ordinary
decode error: forwarded verbatim, recorded raw with the reason, logged as
``DECODE ERROR`` (docs/reliability.md). node's JSON.parse accepts it, so the
peers still see it unchanged.

The check costs one comparison for a text shorter than ``2 * MAX_JSON_DEPTH``
characters (valid JSON that deep needs an opening and a closing bracket per
level), two ``str.count`` calls for one with few brackets, and otherwise a few
passes of ``bytes`` methods (strings removed, then innermost ``[]`` pairs
while that shrinks the text fast), with a running sum only over what is left
(0.5 to 4.5 ns per character on dense JSON, docs/reliability.md).
"""

from __future__ import annotations

import re
from itertools import accumulate
from operator import add
from typing import Final

from sioproxy.errors import DecodeError

# Levels of arrays and objects a peer's JSON may nest (a packet's ``data``,
# a 0.9 event or ack, an open packet); deeper is a decode error.
MAX_JSON_DEPTH: Final = 256
# Shorter texts cannot be valid JSON nested deeper than the limit.
SHORT_ENOUGH: Final = 2 * MAX_JSON_DEPTH

# The bracket pass works on the UTF-8 bytes of the text (``surrogatepass``:
# any str encodes). No byte of a multi-byte sequence is ASCII, so quotes,
# backslashes and brackets are the text's own; 0xFF never occurs in UTF-8
# and stands for an escaped quote below.
_ESCAPED_QUOTE: Final = b"\xff"
# bytes.translate: ``{`` and ``}`` become ``[`` and ``]`` (the depth does not
# tell them apart), and every byte but a bracket, a quote or 0xFF goes.
_SAME_BRACKETS: Final = bytes(range(256)).replace(b"{", b"[").replace(b"}", b"]")
_NOT_KEPT: Final = bytes(c for c in range(256) if c not in b'[]{}"\xff')
# In that reduced text, a string: opened by a quote or an escaped quote (a
# backslash then a quote, outside a string), closed by a plain quote, or not
# at all (it then runs to the end, so the pattern never fails once started).
_REDUCED_STRING: Final = re.compile(b"[\x22\xff][^\x22]*\x22?")
# Passes that remove every innermost ``[]`` go on while they shrink the text
# by at least this fraction; past that, one running sum over what is left.
_SHRINK: Final = 4
_OPEN: Final = ord("[")
# Eight brackets as the bits of one byte, first bracket highest, ``[`` 1:
# their sum, and the highest running sum within them.
_BITS: Final = bytes.maketrans(b"[]", b"10")
_NET8: Final[tuple[int, ...]] = tuple(2 * code.bit_count() - 8 for code in range(256))
_PEAK8: Final[tuple[int, ...]] = tuple(
    max(accumulate(1 if code >> bit & 1 else -1 for bit in range(7, -1, -1))) for code in range(256)
)


def too_deep(text: str, start: int = 0) -> bool:
    """True when the JSON in ``text[start:]`` nests deeper than ``MAX_JSON_DEPTH``.

    Brackets that do not balance are never valid JSON: False, and the
    decoder refuses the text as it always did (a 0.9 event with bad JSON
    still decodes, with no name, as node has it).

    Precisely: the brackets outside string literals (a literal opens at a
    quote, a backslash escapes the next character, the closing quote may be
    missing), ``[`` and ``{`` counting +1, ``]`` and ``}`` -1; when there are
    as many openings as closings and more than ``MAX_JSON_DEPTH`` of them,
    True iff a running sum over them exceeds ``MAX_JSON_DEPTH``.
    """
    if len(text) - start <= SHORT_ENOUGH:
        return False
    if text.count("[", start) + text.count("{", start) <= MAX_JSON_DEPTH:
        return False
    brackets = _brackets(text[start:] if start else text)
    opens = brackets.count(_OPEN)
    if opens <= MAX_JSON_DEPTH or 2 * opens != len(brackets):
        return False
    return _peak_over(brackets, MAX_JSON_DEPTH)


def _brackets(text: str) -> bytes:
    """The brackets of ``text`` outside its string literals, as ``[`` and ``]``, in C passes."""
    data = text.encode("utf-8", "surrogatepass")
    if b"\\" in data:
        # Backslashes only matter in a string, where ``\\`` is one escaped
        # backslash (a run pairs from its start, as replace does) and ``\"``
        # one escaped quote; any other escaped character is dropped with the
        # rest below. Outside a string, ``\"`` is a plain character then an
        # opening quote: 0xFF opens a string there too.
        data = data.replace(b"\\\\", b"").replace(b'\\"', _ESCAPED_QUOTE)
    kept = data.translate(_SAME_BRACKETS, _NOT_KEPT)
    if b'"' in kept or _ESCAPED_QUOTE in kept:
        # Two quotes in a row, in or out of a string, leave the state as it
        # was and hold no bracket: most strings go here, in C.
        kept = kept.replace(b'""', b"")
        if b'"' in kept or _ESCAPED_QUOTE in kept:
            # Between quotes, in turn outside and inside a string, unless an
            # escaped quote stands outside one (not JSON): then the pattern.
            outside = b"".join(kept.split(b'"')[::2])
            kept = outside if _ESCAPED_QUOTE not in outside else _REDUCED_STRING.sub(b"", kept)
    return kept


def _peak_over(brackets: bytes, limit: int) -> bool:
    """True when a running sum over balanced ``brackets`` (``[`` +1, ``]`` -1) exceeds ``limit``.

    Removing every ``[]`` lowers the highest sum by exactly one while it is
    2 or more (each highest point is the top of a ``[]``, the level below it
    stays), and leaves it at 0 or below from 1: after ``k`` passes the
    question is whether the sum still exceeds ``limit - k``.
    """
    while limit > 0:
        size = len(brackets)
        if size <= 2 * limit:  # the sum cannot exceed the number of openings
            return False
        brackets = brackets.replace(b"[]", b"")
        limit -= 1
        if len(brackets) == size:  # all closings before all openings: the sum stays <= 0
            return False
        if len(brackets) > size - size // _SHRINK:
            break
    return _highest(brackets) > limit


def _highest(brackets: bytes) -> int:
    """The highest running sum over ``brackets`` (``[`` +1, ``]`` -1), or 0 if that is higher.

    Eight brackets at a time: one byte of their bits (``[`` is 1) indexes
    the sum of those eight and the highest running sum within them. Closings
    added at the end make whole bytes and never raise the highest sum.
    """
    if not brackets:
        return 0
    padded = brackets + b"]" * (-len(brackets) & 7)
    codes = int(padded.translate(_BITS), 2).to_bytes(len(padded) >> 3)
    starts = accumulate(map(_NET8.__getitem__, codes), initial=0)
    highest: int = max(map(add, starts, map(_PEAK8.__getitem__, codes)))
    return max(0, highest)


def depth_error(limit: int = MAX_JSON_DEPTH) -> str:
    """The decode-error reason every decoder gives for JSON over the limit."""
    return f"JSON nested deeper than {limit} levels (sioproxy's decoding limit)"


# Packets decoded from one polling body (Engine.IO 3/4, JSONP, 0.9 framing).
# Decoding, logging and recording cost about 10 us per packet, all of it on
# the reactor: a 666 KB body of 333,000 noops held it for 5 s and wrote 41 MB
# of recording. A body with more packets is relayed verbatim and recorded as
# one raw entry; the cap bounds the reactor time one request can take (about
# 0.1 s at the limit on a 2-core machine, docs/reliability.md).
MAX_PACKETS_PER_BODY: Final = 10_000


def packets_error(limit: int = MAX_PACKETS_PER_BODY) -> str:
    """The decode-error reason for a polling body over the packet limit."""
    return f"more than {limit} packets in one body: not decoded (sioproxy's decoding limit)"


class LimitError(DecodeError):
    """The input was not decoded because it is over a decoding limit (it may be valid)."""


# What the recording's ``note`` says for a polling body over the packet limit.
BODY_NOTE: Final = (
    f"body relayed verbatim, not decoded: over {MAX_PACKETS_PER_BODY} packets"
    " (limits.MAX_PACKETS_PER_BODY)"
)


# Characters of one packet the live proxy decodes (``record``/``proxy``,
# ``--max-decode``). json.loads, the recording's re-encoding of the decoded
# data and the redaction walk are each one pass that cannot be cut into
# slices, at 2 to 60 ns a character (dense arrays and objects cost the most):
# a 32 MiB event held the shared reactor for about a second. A longer packet
# is relayed verbatim and recorded raw with this reason, in slices across
# reactor turns (docs/reliability.md). The default ``--max-body`` (1 MB) lets
# no such packet through. The decoders themselves have no such cap: the
# replay programs decode whatever their peer may send.
MAX_DECODE_CHARS: Final = 1 << 20


_SIZE_ERROR_END: Final = " characters: not decoded (sioproxy's decoding limit)"


def size_error(limit: int = MAX_DECODE_CHARS) -> str:
    """The decode-error reason for a packet over the live proxy's size limit."""
    return f"longer than {limit}{_SIZE_ERROR_END}"


def is_size_error(error: str) -> bool:
    """True for a recorded decode error that only says the packet was over the size
    limit (``size_error``): the packet itself may decode."""
    return _SIZE_ERROR_END in error and "longer than " in error
