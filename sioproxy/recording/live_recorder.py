"""Session events -> redacted recording entries, appended as they happen.

Layer: pure (recording). The command layer owns the timer that calls
:meth:`LiveRecorder.tick` and closes the recorder on shutdown.

Hot path: a packet with nothing to redact, no attachments, no rewrite and no
decode error (nearly every packet) is encoded straight to its line by
:func:`sioproxy.recording.hot_line.packet_line`; everything else takes the
entry path (:func:`entry_for`, redaction, ``encode_line``).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Generator, Iterator, Sequence

from sioproxy.recording.header import Header
from sioproxy.recording.hot_line import packet_line
from sioproxy.recording.model import (
    CloseEvent,
    Entry,
    HttpRequest,
    OpenEvent,
    OriginalFrame,
    PacketEntry,
    UpgradeEvent,
)
from sioproxy.recording.outfile import DEFAULT_FILE_MODE, AppendPoint
from sioproxy.recording.redact import Redactor
from sioproxy.recording.slices import PREPARE_CHARS, has_utf8_form, line_ends, line_parts
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
            fate=event.fate,
            rule=event.rule,
            delay=event.delay,
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


# Streamed lines remembered until their events arrive (one per huge packet of
# a step: a polling body may carry a few).
_STREAMED_KEPT = 4


def _keeping(parts: Iterator[bytes], kept: list[bytes]) -> Iterator[bytes]:
    for part in parts:
        kept.append(part)
        yield part


class LiveRecorder:
    """Appends every session event to a recording file, redacted."""

    def __init__(
        self, writer: RecordingWriter, redactor: Redactor, note: Callable[[str], None]
    ) -> None:
        self._writer = writer
        self._redactor = redactor
        self._text_is_clean = redactor.text_is_clean
        self._write_line = writer.write_line
        self._note = note
        self._reported_failure: str | None = None
        self.entries = 0
        # Also handed every line written (``record --web``): the line, and True when it
        # took the hot path (``packet_line``: nothing in it the policy redacts).
        self.tap: Callable[[bytes, bool], None] | None = None
        # (last seq, highest cN label, t offset) of the sessions already in the file.
        self.resume: tuple[int, int, float] | None = None
        # Huge raw texts whose lines ``prework`` wrote, with the line for ``tap``.
        self._streamed: list[tuple[str, list[bytes]]] = []

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
        policy: str | None = None,
        file_mode: int = DEFAULT_FILE_MODE,
        redactor: Redactor | None = None,
    ) -> LiveRecorder:
        """Open the file (``policy``: new, force or append; see ``open_output``).

        After an ``append``, ``resume`` says where the session's numbering goes
        on: the last seq, the highest ``cN`` label and the time offset.
        """
        if redactor is None:
            redactor = Redactor(extra_keys=extra_keys) if redact else Redactor.disabled()
        header = Header.new(upstream=upstream, redactions=redactor.summary())
        writer = RecordingWriter.create(
            path,
            header,
            flush_interval=flush_interval,
            overwrite=overwrite,
            policy=policy,
            file_mode=file_mode,
            exists_hint="use --force to replace it or --append to add a session to it",
        )
        recorder = cls(writer, redactor, note)
        point = writer.append_point
        if point is not None and point.first_created is not None:
            recorder.resume = (point.last_seq, point.last_label, session_offset(point, header))
        return recorder

    @property
    def path(self) -> str:
        return self._writer.path

    def event(self, event: SessionEvent) -> None:
        # The hot path: a plain packet (nearly all) becomes its line directly.
        if type(event) is PacketSeen:
            # The line first: it is None at once for the packets that need the
            # entry path (a decode error...), which then scan the text only once.
            line = packet_line(event)
            # (a line means a text raw: packet_line is None for bytes)
            if line is not None and self._text_is_clean(event.raw):  # type: ignore[arg-type]
                self._write_line(event.seq, line)
                self.entries += 1
                if self.tap is not None:
                    self.tap(line, True)
                if self._writer.failed != self._reported_failure:
                    self._report_disk_trouble()
                return
        if self._streamed and self._was_streamed(event):
            return
        line = self._writer.write(self._redactor.redact_entry(entry_for(event)))
        self.entries += 1
        if self.tap is not None:
            self.tap(line, False)
        self._report_disk_trouble()

    def _was_streamed(self, event: SessionEvent) -> bool:
        """True (and counted) when ``prework`` already wrote ``event``'s line."""
        for at, (raw, parts) in enumerate(self._streamed):
            if type(event) is PacketSeen and raw is event.raw:
                del self._streamed[at]
                self.entries += 1
                if self.tap is not None:
                    self.tap(b"".join(parts), False)
                self._report_disk_trouble()
                return True
        return False

    def prework(self, event: SessionEvent) -> Iterator[None] | None:
        """Steps to run before ``event`` is recorded, one per reactor turn; None if none.

        A text packet too long to decode (``codec.limits.MAX_DECODE_CHARS``) is
        recorded raw: its secret scan, its line's JSON literal and the write
        are linear in its size. These steps do them a slice at a time
        (``recording.slices``) and write the very line the one-turn path
        would; ``event`` then only counts it. A text with a key name or a
        secret in it is left to ``event``, which redacts it at once.
        """
        if type(event) is not PacketSeen:
            return None
        raw = event.raw
        if type(raw) is not str or len(raw) < PREPARE_CHARS or event.error is None:
            return None
        if event.attachments or event.original is not None:
            return None
        return self._prepare(event)

    def _prepare(self, event: PacketSeen) -> Generator[None, None, None]:
        raw, entry = event.raw, entry_for(event)
        if not isinstance(raw, str) or not isinstance(entry, PacketEntry):
            return
        if not (yield from self._redactor.undecoded_is_clean(raw)):
            return  # a key name or a secret in it: redact_entry decides, at once
        if not (yield from has_utf8_form(raw)):
            return
        ends = line_ends(entry)
        if ends is None:
            return
        kept: list[bytes] = []
        parts = line_parts(ends, raw)
        if self.tap is not None:  # record --web: the page gets the whole line
            parts = _keeping(parts, kept)
        yield from self._writer.stream_line(event.seq, parts)
        self._streamed.append((raw, kept))
        del self._streamed[:-_STREAMED_KEPT]

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


def session_offset(point: AppendPoint, header: Header) -> float:
    """The ``t`` an appended session starts at: its time since the file's first header.

    Every ``t`` of a file counts from the first header's ``created``, so tools
    that put entries on a clock (merge, HAR export) need no per-session
    arithmetic. Never less than the file's last ``t``: a clock set back must
    not make time run backwards inside one file.
    """
    try:
        first = dt.datetime.fromisoformat(point.first_created or "")
        now = dt.datetime.fromisoformat(header.created)
    except ValueError:
        return point.last_t
    if first.tzinfo is None:
        first = first.replace(tzinfo=dt.UTC)
    return round(max(point.last_t, (now - first).total_seconds()), 6)
