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

import time

from sioproxy.recording import Redactor
from sioproxy.recording.live_recorder import entry_for
from sioproxy.session.events import PacketSeen, SessionEvent
from sioproxy.types import Direction
from sioproxy.web.ring import Ring
from sioproxy.web.rows import encode_row, entry_row, packet_row


class LiveRows:
    """The ring of a live proxy and the sink that fills it."""

    def __init__(self, redactor: Redactor, capacity: int, wall0: float | None = None) -> None:
        self._redactor = redactor
        self._wall0 = time.time() if wall0 is None else wall0
        self.ring = Ring(capacity, self.encode)
        self.sink = self.ring.append

    def encode(self, event: SessionEvent) -> str:
        # The recorder's own shortcut (LiveRecorder.event): a text frame with nothing
        # the policy could redact is taken as it is, and its row is made from the
        # fields the log prints; everything else goes through the recorder's entry.
        if (
            type(event) is PacketSeen
            and type(event.raw) is str
            and self._redactor.raw_is_clean(event.raw, event.direction is Direction.C2S)
        ):
            row = packet_row(event, wall0=self._wall0)
        else:
            entry = self._redactor.redact_entry(entry_for(event))
            row = entry_row(entry, wall0=self._wall0)
        return encode_row(row, self._redactor.redact_output)
