"""Session events -> redacted recording entries, appended as they happen.

Layer: pure (recording). The command layer owns the timer that calls
:meth:`LiveRecorder.tick` and closes the recorder on shutdown.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from sioproxy.recording.model import (
    CloseEvent,
    Entry,
    Header,
    HttpRequest,
    OpenEvent,
    OriginalFrame,
    PacketEntry,
    UpgradeEvent,
)
from sioproxy.recording.redact import Redactor
from sioproxy.recording.writer import RecordingWriter
from sioproxy.session.events import (
    ConnectionOpened,
    ConnectionUpgraded,
    PacketSeen,
    RequestSummary,
    SessionEvent,
)
from sioproxy.types import TransportName


def _request(summary: RequestSummary) -> HttpRequest:
    return HttpRequest(
        method=summary.method, path=summary.path, query=summary.query, headers=summary.headers
    )


def _original(event: PacketSeen | None) -> OriginalFrame | None:
    """What the peer really sent, beside a packet a rule or hook rewrote."""
    if event is None:
        return None
    packet = event.decoded() if event.error is None else None
    return OriginalFrame(raw=event.raw, attachments=event.attachments, packet=packet)


def entry_for(event: SessionEvent) -> Entry:
    """The recording entry of one session event (before redaction)."""
    if isinstance(event, PacketSeen):
        return PacketEntry(
            seq=event.seq,
            conn=event.conn,
            t=event.t,
            dir=event.direction,
            transport=TransportName(event.transport),
            raw=event.raw,
            attachments=event.attachments,
            packet=event.decoded() if event.error is None else None,
            error=event.error,
            ack_of=event.ack_of,
            original=_original(event.original),
            note=event.note,
        )
    if isinstance(event, ConnectionOpened):
        return OpenEvent(
            seq=event.seq,
            conn=event.conn,
            t=event.t,
            generation=event.generation,
            transport=TransportName(event.transport),
            sid=event.sid,
            request=_request(event.request),
            handshake=event.handshake,
        )
    if isinstance(event, ConnectionUpgraded):
        return UpgradeEvent(
            seq=event.seq,
            conn=event.conn,
            t=event.t,
            transport=TransportName(event.transport),
            request=_request(event.request),
        )
    return CloseEvent(seq=event.seq, conn=event.conn, t=event.t, reason=event.reason, by=event.by)


class LiveRecorder:
    """Appends every session event to a recording file, redacted."""

    def __init__(
        self, writer: RecordingWriter, redactor: Redactor, note: Callable[[str], None]
    ) -> None:
        self._writer = writer
        self._redactor = redactor
        self._note = note
        self._reported_failure: str | None = None
        self.entries = 0

    @classmethod
    def open(
        cls,
        path: str,
        *,
        upstream: str | None,
        redact: bool = True,
        extra_keys: Sequence[str] = (),
        flush_interval: float = 0.0,
        note: Callable[[str], None] = lambda _text: None,
        overwrite: bool = True,
    ) -> LiveRecorder:
        redactor = Redactor(extra_keys=extra_keys) if redact else Redactor.disabled()
        header = Header.new(upstream=upstream, redactions=redactor.summary())
        writer = RecordingWriter.create(
            path, header, flush_interval=flush_interval, overwrite=overwrite
        )
        return cls(writer, redactor, note)

    @property
    def path(self) -> str:
        return self._writer.path

    def event(self, event: SessionEvent) -> None:
        self._writer.write(self._redactor.redact_entry(entry_for(event)))
        self.entries += 1
        self._report_disk_trouble()

    def tick(self, now: float) -> None:
        """Called by the command's timer: write batched lines when due."""
        self._writer.maybe_flush(now)
        self._report_disk_trouble()

    def _report_disk_trouble(self) -> None:
        failed = self._writer.failed
        if failed and failed != self._reported_failure:
            self._note(f"recording {self.path}: write failed ({failed}); relaying goes on")
        self._reported_failure = failed

    def status(self) -> dict[str, object]:
        return self._writer.status()

    def close(self) -> None:
        self._writer.close()

    def summary(self) -> str:
        dropped = self._writer.lines_dropped
        lost = f", {dropped} lines lost to write errors" if dropped else ""
        return f"recording {self.path}: {self.entries} entries{lost}"
