"""The stand-in server's open WebSocket, without autobahn in the data path.

Layer: transport (Twisted). autobahn does the opening handshake (request
validation, headers, the 101 response); in ``onOpen`` the stand-in re-points
the TCP transport at a ``StandInWebSocket`` (``adopt``), which reads frames
with the pure ``sioproxy.codec.wsframe`` reader and writes its own. Per
frame that saves autobahn's frame state machine, its unmasking and UTF-8
objects, its ``onMessage`` dispatch and one ``transport.write`` per message:
what is sent while one read is handled (the answers to several client
messages of one TCP segment) leaves in one write, at most ``SEND_EARLY``
frames at a time. A longer read (a client with many emits in flight) sends
each ``SEND_EARLY`` answers at once, before the rest of the read is handled,
so the client works on those while the server works on the rest; Twisted
would otherwise hold every write until the read is over, and client and
server would take turns (docs/performance.md).

RFC 6455 behaviour, as autobahn had it for this server: pings are answered
with a pong carrying the same payload, pongs are ignored; a client close
frame is answered with a close frame with the same code, then the server
ends TCP (5.5.1, 7.1.1: the server closes first); a server close sends its
close frame and waits ``close_wait`` seconds for the client's before
ending TCP anyway. A framing error (``FrameError``: 1002, 1007, 1009) is a
server close with the error's code; nothing read after a close frame is
handled.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from twisted.internet.protocol import Protocol, connectionDone
from twisted.python.failure import Failure

from sioproxy.codec.wsframe import (
    BINARY,
    CLOSE,
    PING,
    PONG,
    TEXT,
    Event,
    FrameError,
    FrameReader,
    close_payload,
    encode_frame,
    parse_close,
)
from sioproxy.net.takeover import rebind

__all__ = ["ABNORMAL", "CLOSE_WAIT", "SEND_EARLY", "StandInWebSocket"]

ABNORMAL = 1006  # what the application is told when TCP ended without a close frame
CLOSE_WAIT = 1.0  # autobahn's closeHandshakeTimeout, which this server used before
SEND_EARLY = 16  # frames held while a read is handled before they are sent (measured)

OnMessage = Callable[[bytes, bool], None]
OnClose = Callable[[int | None, str], None]


def _unframed(payload: bytes) -> bytes:
    """A server frame's header (unmasked, FIN set) followed by ``payload``."""
    size = len(payload)
    if size < 126:
        return bytes((0x81, size)) + payload
    return encode_frame(TEXT, payload, masked=False)


class StandInWebSocket(Protocol):
    """One open WebSocket of the stand-in server.

    ``on_message(payload, binary)`` gets each complete message (text as
    UTF-8 bytes, already checked); ``on_close(code, reason)`` is called once
    when the connection is over, with the client's close code (None: its close
    frame had none; ``ABNORMAL``: TCP ended without one).
    """

    transport: Any  # twisted's ITransport (its stubs do not type-check as a value here)

    def __init__(
        self,
        *,
        reactor: Any,
        max_message: int,
        on_message: OnMessage,
        on_close: OnClose,
        close_wait: float = CLOSE_WAIT,
    ) -> None:
        self.reactor = reactor
        self.reader = FrameReader(from_client=True, max_message=max_message)
        self.on_message = on_message
        self.on_close = on_close
        self.close_wait = close_wait
        self.open = True  # False once a close frame was sent or received
        self._closed_by: tuple[int | None, str] | None = None  # the client's close frame
        self._reported = False
        self._out: list[bytes] | None = None  # frames held while a read is handled
        self._timer: Any = None

    @classmethod
    def adopt(cls, proto: Any, **kwargs: Any) -> StandInWebSocket:
        """Take over autobahn protocol ``proto``'s connection, from its ``onOpen``.

        The bytes autobahn read past the handshake are taken from it (it would
        parse them once ``onOpen`` returns) and must be passed to ``start``.
        """
        ws = cls(**kwargs)
        transport = proto.transport
        rebind(transport, ws)
        ws.makeConnection(transport)  # type: ignore[no-untyped-call]
        return ws

    # -- sending --------------------------------------------------------------

    def send_text(self, text: str) -> None:
        if self.open:
            self._write(_unframed(text.encode("utf-8")))

    def send_bytes(self, data: bytes) -> None:
        if self.open:
            self._write(encode_frame(BINARY, data, masked=False))

    def close(self, code: int = 1000, reason: str = "") -> None:
        """Server close: the close frame now, TCP once the client answers (or later)."""
        if not self.open:
            return
        self.open = False
        self._write(encode_frame(CLOSE, close_payload(code, reason), masked=False))
        self._flush()
        if self.transport is not None:
            self._timer = self.reactor.callLater(self.close_wait, self._drop)

    def _write(self, frame: bytes) -> None:
        out = self._out
        if out is not None:
            out.append(frame)
        elif self.transport is not None:
            self.transport.write(frame)

    def _flush(self) -> None:
        out = self._out
        if out:
            self._out = []
            if self.transport is not None:
                self.transport.write(b"".join(out))

    def _send_early(self) -> None:
        """Send the frames held so far now, in the middle of a read (``SEND_EARLY``).

        ``transport.write`` only buffers until the reactor's next turn; a TCP
        transport's ``doWrite`` sends the buffer now (others, e.g. a test's
        ``StringTransport``, have none: the bytes are the same either way).
        """
        out, self._out = self._out, []
        transport = self.transport
        if out and transport is not None:
            transport.write(b"".join(out))
            do_write = getattr(transport, "doWrite", None)
            if do_write is not None and not transport.disconnecting:
                do_write()  # an error shows again at the reactor's next doWrite or doRead

    def _drop(self) -> None:
        self._timer = None
        if self.transport is not None:
            self.transport.loseConnection()

    # -- receiving ------------------------------------------------------------

    def start(self, rest: bytes) -> None:
        """Handle the bytes read past the handshake (``take_leftover``)."""
        if rest:
            self.dataReceived(rest)

    def dataReceived(self, data: bytes) -> None:  # noqa: N802 - twisted's name
        if self._closed_by is not None:
            return  # nothing may follow the client's close frame
        self._out = []
        try:
            self._handle(data)
        finally:
            out, self._out = self._out, None
            if out and self.transport is not None:
                self.transport.write(b"".join(out))

    def _handle(self, data: bytes) -> None:
        try:
            _, events = self.reader.feed(data)
        except FrameError as err:
            # The whole messages before the bad frame are still handled.
            if self._events(err.events):
                self.close(err.close_code, err.reason)
            return
        self._events(events)

    def _events(self, events: list[Event]) -> bool:
        """Handle parsed events; False once a close frame was among them."""
        on_message = self.on_message
        for opcode, payload, _start, _end, _held in events:
            if opcode in (TEXT, BINARY):
                if self.open:
                    on_message(payload, opcode == BINARY)
                    out = self._out
                    if out is not None and len(out) >= SEND_EARLY:
                        self._send_early()
            elif opcode == CLOSE:
                self._close_received(payload)
                return False
            elif opcode == PING and self.open:
                self._write(encode_frame(PONG, payload, masked=False))
        return True

    def _close_received(self, payload: bytes) -> None:
        try:
            code, reason = parse_close(payload)
        except FrameError as err:
            self.close(err.close_code, err.reason)
            self._closed_by = (err.close_code, err.reason)
            self._flush()
            self._drop()
            return
        self._closed_by = (code, reason)
        if self.open:  # the client closes first: echo its code (RFC 6455 5.5.1)
            self.open = False
            self._write(encode_frame(CLOSE, close_payload(code), masked=False))
        self._flush()
        self._drop()  # the server ends TCP after the closing handshake (7.1.1)

    def connectionLost(self, reason: Failure = connectionDone) -> None:  # noqa: N802
        self.open = False
        if self._timer is not None and self._timer.active():
            self._timer.cancel()
        self._timer = None
        if not self._reported:
            self._reported = True
            code, text = self._closed_by if self._closed_by is not None else (ABNORMAL, "")
            self.on_close(code, text)
