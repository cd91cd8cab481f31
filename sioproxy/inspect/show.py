"""``sioproxy show``: one readable line per recording entry, optionally coloured.

Layer: pure (inspect). Imports the standard library, ``sioproxy.recording``,
``sioproxy.textsafe`` and ``sioproxy.inspect.filters``; never twisted. Every
recorded string is escaped (``escape_controls``) before it is printed or
coloured. The command module does the I/O.

A packet line::

    #6       0.520 c1 -> websocket / event "hello" id=1 ["world"] ↪ answered by #7

Heartbeats (0.9 ``heartbeat``/``noop``; Engine.IO ping, pong, noop, upgrade and
the ``probe`` pair, docs/protocol.md#b8) are hidden unless ``show_all``. Acks point
at their request through the entry's ``ack_of``; a request shows the ack that
answered it when that ack is in the same set of entries (not while following).
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import TextIO

from sioproxy.inspect.filters import EntryInfo, Filter, describe
from sioproxy.recording.delivery import packet_fate
from sioproxy.recording.model import (
    CloseEvent,
    Entry,
    OpenEvent,
    PacketEntry,
    Session,
    UpgradeEvent,
)
from sioproxy.recording.writer import encode_line
from sioproxy.textsafe import escape_controls as safe
from sioproxy.textsafe import preview, shorten

ARGS_LIMIT = 100
RAW_LIMIT = 80

RESET = "\x1b[0m"
_STYLES = {
    "dim": "\x1b[2m",
    "bold": "\x1b[1m",
    "error": "\x1b[1;31m",
    "c2s": "\x1b[32m",
    "s2c": "\x1b[36m",
    "life": "\x1b[33m",
    "event": "\x1b[1;35m",
    "link": "\x1b[34m",
}


def want_color(mode: str, stream: TextIO, environ: Mapping[str, str] | None = None) -> bool:
    """``--color``: ``always``, ``never``, or ``auto`` (a terminal and no ``NO_COLOR``)."""
    if mode == "always":
        return True
    if mode == "never":
        return False
    env = os.environ if environ is None else environ
    isatty = getattr(stream, "isatty", None)
    return bool(isatty and isatty()) and not env.get("NO_COLOR")


@dataclass(frozen=True, slots=True, kw_only=True)
class ShowOptions:
    show_all: bool = False
    color: bool = False
    filter: Filter | None = None
    args_limit: int = ARGS_LIMIT


def is_visible(info: EntryInfo, options: ShowOptions) -> bool:
    """Whether ``show`` prints the entry: heartbeats only with ``show_all``, then the filter."""
    if info.heartbeat and not options.show_all:
        return False
    return options.filter is None or options.filter(info)


def answers(entries: Iterable[Entry]) -> dict[int, int]:
    """Request seq -> seq of the ack that answered it."""
    return {e.ack_of: e.seq for e in entries if isinstance(e, PacketEntry) and e.ack_of is not None}


class Formatter:
    """Turns entries into lines; ``answered`` maps request seq to ack seq."""

    def __init__(
        self,
        *,
        color: bool = False,
        args_limit: int = ARGS_LIMIT,
        answered: Mapping[int, int] | None = None,
        marks: Mapping[int, str] | None = None,
    ) -> None:
        self._color = color
        self._args_limit = args_limit
        self._answered = answered or {}
        self._marks = marks or {}  # seq -> remark (session recovery, inspect/recovery.py)

    def _paint(self, style: str, text: str) -> str:
        # Escaped before the colour codes wrap it: recorded text never drives the terminal.
        text = safe(text)
        return f"{_STYLES[style]}{text}{RESET}" if self._color else text

    def line(self, entry: Entry, info: EntryInfo | None = None) -> str:
        info = info or describe(entry)
        head = self._paint("dim", f"#{entry.seq:<4} {entry.t:8.3f}") + f" {safe(entry.conn)}"
        if isinstance(entry, PacketEntry):
            return f"{head} {self._packet(entry, info)}"
        return f"{head} {self._paint('life', self._lifecycle(entry))}"

    def cause_line(self, cause: str) -> str:
        """The ``show --causes`` line under a server packet: why it waits."""
        return " " * 19 + self._paint("link", f"cause {cause}")

    def _lifecycle(self, entry: Entry) -> str:
        if isinstance(entry, OpenEvent):
            req = entry.request
            sid = f" sid={entry.sid}" if entry.sid else ""
            url = req.path + (f"?{req.query}" if req.query else "")
            gen, transport = entry.generation.value, entry.transport.value
            return f"open {gen} {transport}{sid} {req.method} {url}"
        if isinstance(entry, UpgradeEvent):
            return f"upgrade to {entry.transport.value}"
        assert isinstance(entry, CloseEvent)
        by = {"c2s": " by client", "s2c": " by server"}.get(entry.by.value if entry.by else "", "")
        return f"close{by}: {entry.reason}"

    def _packet(self, entry: PacketEntry, info: EntryInfo) -> str:
        arrow = self._paint(entry.dir.value, entry.dir.arrow)
        parts = [arrow, entry.transport.value]
        if entry.error is not None:
            raw = entry.raw if isinstance(entry.raw, str) else entry.raw.hex()
            parts += [
                self._paint("error", f"DECODE ERROR: {entry.error}"),
                safe("raw=" + preview(raw, RAW_LIMIT, default=None)),
            ]
            return " ".join(parts)
        if info.nsp is not None:
            parts.append(safe(info.nsp))
        parts.append(self._paint("bold", info.type))
        if info.event is not None:
            parts.append(self._paint("event", json.dumps(info.event, ensure_ascii=False)))
        if info.ack_id is not None:
            parts.append(f"id={info.ack_id}")
        if info.args not in (None, "", []):
            parts.append(safe(preview(info.args, self._args_limit, default=None)))
        if entry.attachments:
            parts.append(f"+{len(entry.attachments)} attachment(s)")
        parts += self._links(entry)
        fate = fate_text(entry)
        if fate is not None:
            parts.append(self._paint("life", f"({fate})"))
        elif entry.note:  # a remark on a forwarded packet (a --spec violation)
            parts.append(self._paint("life", f"({entry.note})"))
        return " ".join(parts)

    def _links(self, entry: PacketEntry) -> list[str]:
        links = []
        if entry.ack_of is not None:
            links.append(self._paint("link", f"↩ #{entry.ack_of}"))
        answer = self._answered.get(entry.seq)
        if answer is not None:
            links.append(self._paint("link", f"↪ answered by #{answer}"))
        mark = self._marks.get(entry.seq)
        if mark is not None:
            links.append(self._paint("link", f"({mark})"))
        return links


def session_line(number: int, session: Session, *, as_json: bool = False) -> str:
    """The line that marks where a later session (``record --append``) begins."""
    if as_json:
        return encode_line(session.header.to_json()).decode("utf-8").rstrip("\n")
    header = session.header
    upstream = f", upstream {header.upstream}" if header.upstream else ""
    return f"-- session {number}: {header.created}, {header.tool}{upstream} --"


def fate_text(entry: PacketEntry) -> str | None:
    """What rules or hooks did with the packet, e.g. ``dropped by rule 'x'``.

    A rewritten packet also shows what its sender really sent. Recordings
    written before ``fate`` existed show their ``note`` instead.
    """
    fate = packet_fate(entry)
    if fate is None:
        return None
    if entry.fate is None:
        return fate.value + (f": {entry.note}" if entry.note else "")
    text = fate.value
    if entry.delay:
        text += f" {entry.delay:g} s"
    if entry.rule:
        text += f" by rule {entry.rule!r}"
    original = entry.original
    if original is not None:
        raw = original.raw if isinstance(original.raw, str) else original.raw.hex()
        text += f"; sent: {shorten(raw, RAW_LIMIT)}"
    return text


def render(
    entries: Iterable[Entry],
    options: ShowOptions,
    *,
    as_json: bool = False,
    answered: Mapping[int, int] | None = None,
    sessions: Sequence[Session] = (),
    causes: Mapping[int, str] | None = None,
    marks: Mapping[int, str] | None = None,
) -> Iterator[str]:
    """The lines ``show`` prints for ``entries`` (no trailing newline).

    A later session's line comes before its first entry, whatever the filter.
    ``causes`` (``show --causes``) maps a server packet's seq to why the
    replay holds it back; it is printed on an indented line below the packet.
    """
    formatter = Formatter(
        color=options.color, args_limit=options.args_limit, answered=answered, marks=marks
    )
    pending = list(enumerate(sessions, start=2))
    for entry in entries:
        while pending and pending[0][1].after_seq < entry.seq:
            number, session = pending.pop(0)
            yield session_line(number, session, as_json=as_json)
        info = describe(entry)
        if not is_visible(info, options):
            continue
        if as_json:
            yield safe(encode_line(entry.to_json()).decode("utf-8").rstrip("\n"))
        else:
            yield formatter.line(entry, info)
            cause = causes.get(entry.seq) if causes is not None else None
            if cause is not None:
                yield formatter.cause_line(cause)
    for number, session in pending:
        yield session_line(number, session, as_json=as_json)
