"""The per-packet log of ``proxy``/``record`` on standard output, off the relay's path.

Layer: edge helper for ``cli`` (no Twisted import: the reactor's ``callLater``
is passed in). A log line per packet used to cost about as much as relaying
the packet (docs/performance.md, round 5), and a slow terminal or a pipe
nobody read blocked the whole proxy. ``LogSink`` makes it cheap and harmless:

* cheap per packet: a plain packet's line is made at once by
  ``PacketLog.plain_lines`` (sioproxy/ops/logplain.py: one call, not escaped
  yet); any other event is queued as it is and formatted by ``PacketLog``
  when the queue is written, with its own wall-clock time;
* batched: the queue is written once per reactor turn (``call_later(0, ...)``);
  the turn's lines are joined once and escaped and redacted as one text when
  it holds nothing to escape (for ASCII text, one C pass over its bytes), no
  secret key name and nothing was remembered (else line by line, as before),
  encoded once and written with one ``write`` system call;
* never blocking: a pipe, socket or terminal is written without blocking; what
  the reader has not taken yet waits in a buffer of at most ``limit`` bytes.
  While that buffer is full, new events are dropped before they are formatted,
  and counted (``dropped``: ``/metrics`` and the exit summary). A regular file
  or a reader that keeps up never drops anything.

Lines written before ``start()`` (and by ``close()``) are written at once,
blocking, so the order against ``print`` stays as it was.
"""

from __future__ import annotations

import errno
import os
import select
import stat
import time
from collections.abc import Callable
from typing import Any

from sioproxy.ops.logfmt import PacketLog
from sioproxy.session.events import PacketSeen, SessionEvent
from sioproxy.textsafe import UNSAFE, escape_controls

#: Bytes the reader may fall behind before events are dropped (about 40,000 lines).
DEFAULT_LIMIT = 4 << 20
#: Largest single write (a pipe takes 64 KiB at a time on Linux).
CHUNK = 1 << 16
#: How often a full pipe is tried again.
RETRY_SECONDS = 0.005
#: How long ``close()`` waits for a reader that stopped reading.
CLOSE_WAIT_SECONDS = 2.0


class LogSink:
    """Queues log events and lines; writes them to ``fd`` once per reactor turn."""

    def __init__(
        self,
        fd: int,
        *,
        redact_lines: Callable[[list[str]], list[str]],
        json_lines: bool = False,
        verbose: bool = False,
        limit: int = DEFAULT_LIMIT,
        wall_clock: Callable[[], float] = time.time,
    ) -> None:
        self._fd = self._stdout_fd = fd
        self._redact_lines = redact_lines
        self._limit = limit
        self._wall = wall_clock
        self._queue: list[Any] = []  # (wall, event) pairs and ready-made lines, in order
        self._lines: list[str] = []  # what the formatter made of the queue
        self._buffer = bytearray()  # encoded, not taken by the reader yet
        self._at = 0.0  # the time stamp of the event being formatted
        self._call_later: Callable[..., Any] | None = None
        # A flush is coming, or (before ``start`` and after ``close``) none can be
        # asked for: ``event`` has nothing to do for the turn.
        self._scheduled = False
        self._held = 0  # events in the queue (not lines)
        self._full = False  # the buffer holds ``limit`` bytes: drop events
        self._restore_flags: int | None = None
        self._own_fd: int | None = None
        self.reader_gone = False
        self.dropped = 0
        #: Notes, announcements and reports: one line each, kept in order with the events.
        self.log = PacketLog(
            self._line, json_lines=json_lines, verbose=verbose, wall_clock=self._clock
        )
        self._formatter = PacketLog(
            self._lines.append, json_lines=json_lines, verbose=verbose, wall_clock=self._clock
        )
        # A plain packet's text line in one call (none for JSON lines).
        self._plain = _no_line if json_lines else self._formatter.plain_lines.line

    def _clock(self) -> float:
        # While the queue is formatted, each event's own time; else now.
        return self._at or self._wall()

    # -- input --------------------------------------------------------------

    def event(self, event: SessionEvent) -> None:
        """A session sink: the event is kept, formatted at the end of the turn."""
        if self._full:
            self.dropped += 1  # the reader stalled: drop before spending anything on it
            return
        wall = self._wall()
        line = self._plain(event, wall) if type(event) is PacketSeen else None
        # A plain packet's line now (its objects are freed at once: holding them
        # until the end of the turn cost more than formatting); the rest later.
        if line is None:
            self._queue.append((wall, event))
            self._held += 1
        else:
            self._queue.append(line)
        if not self._scheduled:
            self._schedule()

    def _line(self, line: str) -> None:
        """A line made elsewhere (notes, announcements): kept in its place in the queue."""
        self._queue.append(line)
        if self._call_later is None:
            self.flush()
        else:
            self._schedule()

    def _schedule(self) -> None:
        if not self._scheduled:
            self._scheduled = True
            if self._call_later is not None:
                self._call_later(0, self.flush)

    # -- output -------------------------------------------------------------

    def start(self, call_later: Callable[..., Any]) -> None:
        """From now on, write once per reactor turn and never block."""
        self._call_later = call_later
        self._scheduled = False
        if self._queue:  # events of connections made while the start-up lines were written
            self._schedule()
        if not _may_block(self._fd):
            return
        try:
            # A file description of our own (Linux): stderr and other processes
            # that share standard output's description keep their blocking writes.
            own = os.open(f"/proc/self/fd/{self._fd}", os.O_WRONLY | os.O_NONBLOCK | os.O_CLOEXEC)
        except OSError:  # a socket, or no /proc: make the shared one non-blocking
            self._set_nonblocking()
        else:
            self._own_fd = self._fd = own

    def _set_nonblocking(self) -> None:
        try:
            import fcntl

            flags = fcntl.fcntl(self._fd, fcntl.F_GETFL)
            fcntl.fcntl(self._fd, fcntl.F_SETFL, flags | os.O_NONBLOCK)
            self._restore_flags = flags
        except (OSError, ImportError):
            pass

    def flush(self) -> None:
        """Format the queue, add it to the buffer, write what the reader takes."""
        self._scheduled = False
        if self._queue:
            self._format_queue()
        self._write()
        self._full = len(self._buffer) >= self._limit

    def _format_queue(self) -> None:
        queue, self._queue = self._queue, []
        if not self._held:  # lines only (nearly always)
            self._add(queue)
            return
        self._held = 0
        lines = self._lines
        append = lines.append
        formatter = self._formatter
        for item in queue:
            if type(item) is str:
                append(item)
                continue
            self._at = item[0]
            formatter.event(item[1])
        self._at = 0.0
        self._add(lines)
        lines.clear()

    def _add(self, lines: list[str]) -> None:
        """A turn's lines, escaped, redacted and encoded, to the buffer."""
        if not lines:
            return
        text = "\n".join(lines) + "\n"
        safe = _is_safe(text, lines)
        if not safe:
            lines = [escape_controls(line) for line in lines]  # rare: line by line
        redacted = self._redact_lines(lines)
        if redacted is not lines or not safe:  # the text joined above is not the one
            text = "\n".join(redacted) + "\n"
        if not self.reader_gone:
            self._buffer += text.encode("utf-8", "surrogateescape")

    def _write(self) -> None:
        buffer = self._buffer
        while buffer and not self.reader_gone:
            try:
                written = os.write(self._fd, buffer[:CHUNK])
            except BlockingIOError:
                break
            except InterruptedError:
                continue
            except OSError as exc:
                self._gone(exc)
                return
            del buffer[:written]
        if buffer and self._call_later is not None and not self._scheduled:
            self._scheduled = True
            self._call_later(RETRY_SECONDS, self.flush)

    def _gone(self, exc: OSError) -> None:
        # The reader closed the pipe (``| head``): stop writing, as PipeSafeStdout does.
        if exc.errno not in (errno.EPIPE, errno.EBADF, errno.ENOSPC, errno.EIO):
            raise exc
        self.reader_gone = True
        self._buffer.clear()
        self._full = False

    def close(self) -> None:
        """Write everything left, waiting at most ``CLOSE_WAIT_SECONDS`` for the reader."""
        self._call_later = None
        self._format_queue()
        deadline = time.monotonic() + CLOSE_WAIT_SECONDS
        while self._buffer and not self.reader_gone:
            self._write()
            left = deadline - time.monotonic()
            if not self._buffer or left <= 0:
                break
            select.select([], [self._fd], [], min(left, 0.1))
        self._buffer.clear()
        self._full = False
        if self._own_fd is not None:  # later lines (none expected) go to stdout, blocking
            os.close(self._own_fd)
            self._own_fd, self._fd = None, self._stdout_fd
        if self._restore_flags is not None:
            try:
                import fcntl

                fcntl.fcntl(self._fd, fcntl.F_SETFL, self._restore_flags)
            except OSError:
                pass
            self._restore_flags = None


def _no_line(_event: PacketSeen, _wall: float) -> None:
    """JSON lines: every event is formatted when the queue is written."""
    return None


def _is_safe(text: str, lines: list[str]) -> bool:
    """No character of ``lines`` needs escaping (``text``: each ended by a line feed)."""
    if text.isascii():  # known without a pass over the text
        # What is left once printable ASCII is removed: the line feeds alone.
        return len(text.encode("ascii").translate(None, _PRINTABLE_ASCII)) == len(lines)
    # isprintable() is False for every UNSAFE character, and faster than the search.
    joined = "".join(lines)
    return joined.isprintable() or UNSAFE.search(joined) is None


_PRINTABLE_ASCII = bytes(range(0x20, 0x7F))


def _may_block(fd: int) -> bool:
    """A pipe, socket or terminal (a regular file never makes a writer wait long)."""
    try:
        mode = os.fstat(fd).st_mode
    except OSError:
        return False
    return stat.S_ISFIFO(mode) or stat.S_ISSOCK(mode) or stat.S_ISCHR(mode)
