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
level), two ``str.count`` calls for one with few brackets, and a linear pass
(strings removed, then a running sum over the brackets, all in C) otherwise.
"""

from __future__ import annotations

import re
from itertools import accumulate
from typing import Final

from sioproxy.errors import DecodeError

# Levels of arrays and objects a peer's JSON may nest (a packet's ``data``,
# a 0.9 event or ack, an open packet); deeper is a decode error.
MAX_JSON_DEPTH: Final = 256
# Shorter texts cannot be valid JSON nested deeper than the limit.
SHORT_ENOUGH: Final = 2 * MAX_JSON_DEPTH

# A string literal; the closing quote is optional so that the pattern never
# fails once it has started (a failed match would be retried from the next
# quote: quadratic on text full of unterminated strings).
_STRING: Final = re.compile(r'"[^"\\]*(?:\\.[^"\\]*)*"?', re.DOTALL)
_NOT_BRACKET: Final = re.compile(r"[^\[\]{}]+")
_STEP: Final = {"[": 1, "{": 1, "]": -1, "}": -1}


def too_deep(text: str, start: int = 0) -> bool:
    """True when the JSON in ``text[start:]`` nests deeper than ``MAX_JSON_DEPTH``.

    Brackets that do not balance are never valid JSON: False, and the
    decoder refuses the text as it always did (a 0.9 event with bad JSON
    still decodes, with no name, as node has it).
    """
    if len(text) - start <= SHORT_ENOUGH:
        return False
    if text.count("[", start) + text.count("{", start) <= MAX_JSON_DEPTH:
        return False
    brackets = _NOT_BRACKET.sub("", _STRING.sub("", text[start:] if start else text))
    opens = brackets.count("[") + brackets.count("{")
    if opens <= MAX_JSON_DEPTH or 2 * opens != len(brackets):
        return False
    return max(accumulate(map(_STEP.__getitem__, brackets)), default=0) > MAX_JSON_DEPTH


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
