"""The page's lines: recording entries as the recording holds them.

Layer: pure (web). Imports the standard library, ``sioproxy.recording`` and
``sioproxy.textsafe``; never twisted.

What a page receives for each row is the JSON line of a recording entry
(docs/recording-format.md), redacted as the recording is; the page computes
the row's fields from it in JavaScript (sioproxy/web/static/rows.js, the port
of :func:`sioproxy.web.rows.entry_row`, kept equal by
tests/web/test_rows_js.py). ``record --web`` hands the page the very line the
recorder wrote (:attr:`sioproxy.recording.live_recorder.LiveRecorder.tap`), so
a row costs the proxy no encoding of its own. A line from another file than
the first carries ``"file": N`` as its first key, one from a later session
of an appended recording ``"session": N`` (what the sequence pictures group by).

Every line leaves through :func:`page_line`: no newline, and every control
and bidi character escaped as ``sioproxy.textsafe.escape_controls`` does (a
raw one is only possible inside a JSON string, where the escape reads back
the same). Lines are JSON texts as ``sioproxy.recording.writer`` encodes them.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from sioproxy.recording.model import Entry
from sioproxy.recording.writer import encode_line
from sioproxy.textsafe import escape_controls

# textsafe.UNSAFE in UTF-8: C0 and DEL, C1 (U+0080-U+009F), U+061C, U+200E/F,
# U+202A-U+202E, U+2066-U+2069. In valid UTF-8 these bytes are only those characters.
_UNSAFE_UTF8 = re.compile(
    rb"[\x00-\x1f\x7f]|\xc2[\x80-\x9f]|\xd8\x9c|\xe2\x80[\x8e\x8f\xaa-\xae]|\xe2\x81[\xa6-\xa9]"
)


def page_line(line: bytes, redact: Callable[[str], str] | None = None) -> bytes:
    """One recording line (``encode_line``'s, newline or not) as the page gets it.

    ``redact``: the recording's ``Redactor.redact_output``, the text scan
    ``show`` applies; None for a line the recorder wrote without redaction.
    """
    if line.endswith(b"\n"):
        line = line[:-1]
    if redact is None:
        # A JSON encoder leaves no C0 raw, so only DEL and the lead bytes of C1 (C2),
        # U+061C (D8) and the bidi controls (E2) can start an unsafe character: four
        # memchr scans instead of the regular expression for nearly every line.
        if (
            b"\x7f" not in line
            and b"\xc2" not in line
            and b"\xd8" not in line
            and b"\xe2" not in line
        ) or _UNSAFE_UTF8.search(line) is None:
            return line  # the common case: the recorder's bytes as they are
        return escape_controls(line.decode("utf-8")).encode("utf-8")
    return escape_controls(redact(line.decode("utf-8"))).encode("utf-8")


def entry_line(
    entry: Entry, redact: Callable[[str], str] | None, *, file: int = 0, session: int = 1
) -> bytes:
    """The page line of an entry of session ``session`` of recording number ``file``."""
    line = encode_line(entry.to_json())
    if session != 1:
        line = b'{"session":%d,' % session + line[1:]
    if file:
        line = b'{"file":%d,' % file + line[1:]
    return page_line(line, redact)
