"""``--web`` on proxy and record: the session events of a live proxy as page lines.

Layer: pure (web). Imports ``sioproxy.recording`` and the web lines; never
twisted. The page gets the recording's own lines (:mod:`sioproxy.web.lines`)
and makes the rows itself (static/rows.js), so:

* ``record --web`` (:class:`RecordedLines`): the recorder hands each line it
  wrote to :meth:`RecordedLines.tap`, which appends it to the ring. No row is
  made in Python, nothing encoded twice, and the ring holds bytes only (which
  the garbage collector never walks).
* ``proxy --web`` (:class:`LiveRows`): there is no recorder, so the ring holds
  the events (one ``deque.append`` per packet, :meth:`LiveRows.sink` being one
  more observer sink like the log) and a page's read makes each line the way
  the recorder would: ``packet_line`` for a clean text frame, else
  ``entry_for``, ``Redactor.redact_entry`` and ``encode_line``.

A line that did not take the recorder's hot path is also scanned with
``Redactor.redact_output`` (as ``show`` does), so the page shows exactly what
the recording holds (or would hold).
"""

from __future__ import annotations

import datetime as dt
import time

from sioproxy.recording import Recording, Redactor
from sioproxy.recording.header import Header
from sioproxy.recording.hot_line import packet_line
from sioproxy.recording.live_recorder import entry_for
from sioproxy.session.events import PacketSeen, SessionEvent
from sioproxy.types import Direction
from sioproxy.web.lines import entry_line, page_line
from sioproxy.web.ring import Ring


class RecordedLines:
    """The ring of ``record --web``: the lines the recorder wrote."""

    def __init__(self, redactor: Redactor, capacity: int) -> None:
        self._redact = redactor.redact_output
        self.ring = Ring(capacity, page_line)
        self._append = self.ring.append

    def tap(self, line: bytes, plain: bool) -> None:
        """``LiveRecorder.tap``: a plain line is kept as written (``page_line`` runs when
        a page reads it); any other is scanned now, as ``show`` does."""
        self._append(line if plain else page_line(line, self._redact))


class LiveRows:
    """The ring of ``proxy --web`` (no recording) and the sink that fills it."""

    def __init__(
        self,
        redactor: Redactor,
        capacity: int,
        wall0: float | None = None,
        upstream: str | None = None,
        keep_items: bool = False,
    ) -> None:
        self._redactor = redactor
        self._upstream = upstream
        self._wall0 = time.time() if wall0 is None else wall0
        self.ring = Ring(capacity, self.encode, keep_items=keep_items)
        self.sink = self.ring.append

    def encode(self, event: SessionEvent) -> bytes:
        """The line ``LiveRecorder.event`` would write for ``event``, as the page gets it."""
        redactor = self._redactor
        if (
            type(event) is PacketSeen
            and type(event.raw) is str
            and redactor.raw_is_clean(event.raw, event.direction is Direction.C2S)
        ):
            line = packet_line(event)
            if line is not None:
                return page_line(line)
        return entry_line(redactor.redact_entry(entry_for(event)), redactor.redact_output)

    def recording(self) -> Recording:
        """What the ring still holds as a recording, its entries as the recorder writes them."""
        started = dt.datetime.fromtimestamp(self._wall0, dt.UTC)
        header = Header.new(
            upstream=self._upstream, redactions=self._redactor.summary(), now=started
        )
        events = [e for e in self.ring.items() if e is not None]
        entries = [self._redactor.redact_entry(entry_for(e)) for e in events]
        return Recording(header=header, entries=tuple(entries))
