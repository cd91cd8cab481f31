"""``--web`` on proxy and record: the session events of a live proxy as page rows.

Layer: pure (web). Imports ``sioproxy.recording`` and the web rows; never
twisted. :meth:`LiveRows.sink` is one more observer sink (like the log and
the metrics): it appends the event to the ring and does nothing else, so the
relay pays one ``deque.append`` per packet. The row is made only when a page
reads it, through the same path as the recording: ``entry_for`` (the
recorder's entry), ``Redactor.redact_entry``, then :func:`encode_row` with
``redact_output``, so the page shows exactly what the recording holds.
"""

from __future__ import annotations

import datetime as dt
import time

from sioproxy.recording import Recording, Redactor
from sioproxy.recording.header import Header
from sioproxy.recording.live_recorder import entry_for
from sioproxy.session.events import PacketSeen, SessionEvent
from sioproxy.types import Direction
from sioproxy.web.ring import Ring
from sioproxy.web.rows import encode_row, entry_row, packet_row


def _plain(event: PacketSeen) -> bool:
    """What the recorder writes without redaction besides a clean ``raw`` (packet_line)."""
    return (
        not event.attachments
        and event.error is None
        and event.original is None
        and event.note is None
        and event.fate is None
    )


class LiveRows:
    """The ring of a live proxy and the sink that fills it."""

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

    def encode(self, event: SessionEvent) -> str:
        # The recorder's own shortcut (LiveRecorder.event, packet_line): a plain text
        # frame with nothing the policy could redact is written as it is, so its row,
        # made from the fields the log prints, needs no redaction pass either.
        # Other clean text frames (a fate, a note) are scanned as the log is;
        # everything else goes through the recorder's entry.
        if (
            type(event) is PacketSeen
            and type(event.raw) is str
            and self._redactor.raw_is_clean(event.raw, event.direction is Direction.C2S)
        ):
            row = packet_row(event, wall0=self._wall0)
            return encode_row(row, None if _plain(event) else self._redactor.redact_output)
        entry = self._redactor.redact_entry(entry_for(event))
        row = entry_row(entry, wall0=self._wall0)
        return encode_row(row, self._redactor.redact_output)

    def recording(self) -> Recording:
        """What the ring still holds as a recording, its entries as the recorder writes them."""
        started = dt.datetime.fromtimestamp(self._wall0, dt.UTC)
        header = Header.new(
            upstream=self._upstream, redactions=self._redactor.summary(), now=started
        )
        events = [e for e in self.ring.items() if e is not None]
        entries = [self._redactor.redact_entry(entry_for(e)) for e in events]
        return Recording(header=header, entries=tuple(entries))
