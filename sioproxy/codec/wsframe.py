"""RFC 6455 WebSocket frames: an incremental reader and the encoder.

Layer: pure (no twisted/autobahn). The relay and the replay stand-in hand
the bytes of an open WebSocket to a ``FrameReader`` and write the frames they
get back verbatim, so an unchanged message costs one header parse (and, from
a client, one unmasking for the observer) instead of a decode, a re-encode
and a re-mask. Extensions are never negotiated on these connections, so any
RSV bit is an error.

``FrameReader.feed`` returns the buffer it parsed and one event per complete
message or control frame: ``(opcode, payload, start, end, held)``. The event's
frame (the last frame of a fragmented message) is ``buffer[start:end]``;
``held`` is the bytes of the message's earlier fragments (b"" for a message
in one frame), so ``held + buffer[start:end]`` re-sends the message exactly
as it arrived. ``payload`` is unmasked and, for a fragmented message, joined.
"""

from __future__ import annotations

import os

from sioproxy.errors import RemoteProtocolError

CONTINUATION = 0x0
TEXT = 0x1
BINARY = 0x2
CLOSE = 0x8
PING = 0x9
PONG = 0xA

# Close codes the proxy itself uses (RFC 6455 7.4.1).
PROTOCOL_ERROR = 1002
INVALID_DATA = 1007
MESSAGE_TOO_BIG = 1009

# Frames one message may be cut into. RFC 6455 sets no limit, but every
# fragment costs work and memory even when it is empty (a 2-byte frame, 6
# from a client), which ``max_message`` alone does not bound. Past it the
# connection is closed with 1009 like an oversized message
# (docs/reliability.md). Browsers and the ws/python peers send one frame
# per message; a streaming sender cuts a large one into tens.
MAX_FRAGMENTS = 10_000

_KNOWN_OPCODES = frozenset((CONTINUATION, TEXT, BINARY, CLOSE, PING, PONG))
# Codes a peer may send in a close frame (RFC 6455 7.4.1/7.4.2; 1004-1006 and
# 1015 are reserved for local use, 3000-4999 are registered/private).
_SENDABLE_CODES = frozenset((*range(1000, 1004), *range(1007, 1015)))

Event = tuple[int, bytes, int, int, bytes]


class FrameError(RemoteProtocolError):
    """A peer broke the framing; ``close_code`` is what to close the connection with."""

    def __init__(self, close_code: int, reason: str) -> None:
        self.close_code = close_code
        self.reason = reason
        # Set by FrameReader.feed: the read's buffer and the whole messages
        # before the bad frame, so that they are still delivered.
        self.buffer = b""
        self.events: list[Event] = []
        super().__init__(f"websocket: {reason} (close {close_code})")


# A masked frame at least this long is unmasked read by read as it arrives,
# not at once when complete: a 32 MiB frame took 80 ms of one reactor turn.
UNMASK_AHEAD = 1 << 16

# Payloads are XORed as integers of at most this many bytes: one integer of a
# whole 32 MiB payload took 2.4 times as long (int <-> bytes conversions out of cache).
_UNMASK_CHUNK = 1 << 16


def unmask(payload: bytes, key: bytes) -> bytes:
    """XOR ``payload`` with the 4-byte masking ``key`` (RFC 6455 5.3); its own inverse."""
    size = len(payload)
    if size <= _UNMASK_CHUNK:
        return _xor(payload, key) if size else payload
    chunk = _UNMASK_CHUNK
    whole = int.from_bytes(key * (chunk >> 2), "little")
    pieces = [
        (int.from_bytes(payload[at : at + chunk], "little") ^ whole).to_bytes(chunk, "little")
        for at in range(0, size - chunk + 1, chunk)
    ]
    tail = size % chunk  # chunks are a multiple of 4 bytes: the key lines up again
    if tail:
        pieces.append(_xor(payload[size - tail :], key))
    return b"".join(pieces)


def _rotated(key: bytes, offset: int) -> bytes:
    """The key that unmasks a payload from its byte ``offset`` on (byte i uses key[i % 4])."""
    shift = offset & 3
    return key[shift:] + key[:shift] if shift else key


def _xor(payload: bytes, key: bytes) -> bytes:
    size = len(payload)
    stream = (key * ((size + 3) >> 2))[:size]
    mixed = int.from_bytes(payload, "little") ^ int.from_bytes(stream, "little")
    return mixed.to_bytes(size, "little")


def encode_frame(opcode: int, payload: bytes, *, masked: bool, fin: bool = True) -> bytes:
    """One frame; ``masked`` for frames a client sends (a fresh random key each)."""
    size = len(payload)
    first = (0x80 if fin else 0) | opcode
    mask_bit = 0x80 if masked else 0
    if size < 126:
        head = bytes((first, mask_bit | size))
    elif size < 0x10000:
        head = bytes((first, mask_bit | 126)) + size.to_bytes(2, "big")
    else:
        head = bytes((first, mask_bit | 127)) + size.to_bytes(8, "big")
    if not masked:
        return head + payload
    key = os.urandom(4)
    return head + key + unmask(payload, key)


def close_payload(code: int | None, reason: str = "") -> bytes:
    """The body of a close frame; the reason is cut to fit 125 bytes on a UTF-8 boundary."""
    if code is None:
        return b""
    raw = reason.encode("utf-8")[:123].decode("utf-8", "ignore").encode("utf-8")
    return code.to_bytes(2, "big") + raw


def parse_close(payload: bytes) -> tuple[int | None, str]:
    """Code and reason of a close frame's body (code None: the frame had none)."""
    if not payload:
        return None, ""
    if len(payload) == 1:
        raise FrameError(PROTOCOL_ERROR, "close frame body of 1 byte")
    code = int.from_bytes(payload[:2], "big")
    if code not in _SENDABLE_CODES and not 3000 <= code <= 4999:
        raise FrameError(PROTOCOL_ERROR, f"close code {code} may not be sent")
    try:
        reason = payload[2:].decode("utf-8")
    except UnicodeDecodeError:
        raise FrameError(INVALID_DATA, "close reason is not UTF-8") from None
    return code, reason


class FrameReader:
    """Frames of one direction of one connection, fed as the bytes arrive.

    ``from_client``: frames must be masked (client to server) or must not be
    (server to client). ``max_message`` caps a message's payload (close 1009),
    ``MAX_FRAGMENTS`` the number of frames of one message (close 1009 too).

    Linear in what arrives, however it is cut: the reads of an incomplete
    frame are appended to a bytearray (amortised linear, no per-read object
    kept) and parsed once the frame is complete, so a frame of N bytes in
    reads of k bytes is copied a few times, not N/k times; a fragmented
    message's payload and frames grow in two bytearrays (running lengths, no
    sum over the fragments so far per fragment). A long masked frame is
    unmasked as its reads arrive (``UNMASK_AHEAD``), so that no single read
    pays for the whole payload.
    """

    __slots__ = (
        "_ahead",
        "_ahead_at",
        "_ahead_key",
        "_ahead_len",
        "_buffer",
        "_first_opcode",
        "_fragments",
        "_from_client",
        "_held",
        "_max",
        "_need",
        "_parts",
    )

    def __init__(self, *, from_client: bool, max_message: int) -> None:
        self._buffer = bytearray()  # the start of an incomplete frame
        self._need = 0  # bytes the incomplete frame (or header) needs before it can be parsed
        self._from_client = from_client
        self._max = max_message
        self._parts = bytearray()  # payloads of the fragments so far
        self._held = bytearray()  # their frames as received
        self._fragments = 0  # how many: 0 outside a fragmented message
        self._first_opcode = 0
        # The incomplete frame's payload unmasked so far (None: not unmasked ahead),
        # where its payload starts in ``_buffer``, its length and masking key.
        self._ahead: bytearray | None = None
        self._ahead_at = 0
        self._ahead_len = 0
        self._ahead_key = b""

    @property
    def pending(self) -> int:
        """Bytes held: an incomplete frame (and its payload unmasked ahead) plus the
        fragments of an unfinished message."""
        ahead = 0 if self._ahead is None else len(self._ahead)
        return len(self._buffer) + len(self._held) + ahead

    def feed(self, data: bytes) -> tuple[bytes, list[Event]]:
        """Parse what arrived; raises ``FrameError`` on a framing violation.

        The error carries the events parsed before the bad frame (``events``,
        spans into ``buffer``); the reader is unusable after it.
        """
        pending = self._buffer
        if pending:
            pending += data
            if self._ahead is not None:
                self._unmask_ahead(pending)
            if len(pending) < self._need:
                return b"", []  # the frame is still incomplete: nothing to parse yet
            buf = bytes(pending)
            self._buffer = bytearray()
        else:
            buf = data
        events: list[Event] = []
        try:
            return self._parse(buf, events)
        except FrameError as err:
            err.buffer, err.events = buf, events
            self._buffer, self._ahead = bytearray(), None
            raise

    def _unmask_ahead(self, pending: bytearray) -> None:
        """Unmask the payload bytes of the incomplete frame that arrived since the last read."""
        ahead = self._ahead
        assert ahead is not None
        done = len(ahead)
        start = self._ahead_at + done
        stop = min(len(pending), self._ahead_at + self._ahead_len)
        if stop > start:
            ahead += unmask(bytes(memoryview(pending)[start:stop]), _rotated(self._ahead_key, done))

    def _parse(self, buf: bytes, events: list[Event]) -> tuple[bytes, list[Event]]:
        pos, size = 0, len(buf)
        need = 2
        while size - pos >= 2:
            first, second = buf[pos], buf[pos + 1]
            length = second & 0x7F
            head = pos + 2
            masked = second & 0x80
            if length >= 126:
                wide = 2 if length == 126 else 8
                if size - head < wide:
                    need = 2 + wide + (4 if masked else 0)
                    break
                length = int.from_bytes(buf[head : head + wide], "big")
                head += wide
            if masked:
                head += 4
            end = head + length
            if first & 0x70 or (not masked) is self._from_client or length > self._max:
                self._check_header(first, bool(masked), length)
            opcode = first & 0x0F
            if opcode > BINARY:
                self._check_control(first, length)
            if end > size:
                need = end - pos
                if masked and length >= UNMASK_AHEAD:
                    if size < head:
                        need = head - pos  # parse it again once its key is here
                    else:
                        self._start_ahead(buf, pos, head, length)
                break
            if pos == 0 and self._ahead is not None:
                payload, self._ahead = bytes(self._ahead), None  # unmasked read by read
            else:
                payload = buf[head:end]
                if masked:
                    payload = unmask(payload, buf[head - 4 : head])
            if first & 0x80 and opcode and not self._fragments:
                if opcode == TEXT and not payload.isascii():
                    _check_utf8(payload)
                events.append((opcode, payload, pos, end, b""))
            else:
                message = self._fragment(opcode, bool(first & 0x80), payload, buf, pos, end)
                if message is not None:
                    events.append((message[0], message[1], pos, end, message[2]))
            pos = end
        if pos < size:
            self._buffer = bytearray(memoryview(buf)[pos:])
            self._need = need
        return buf, events

    def _start_ahead(self, buf: bytes, pos: int, head: int, length: int) -> None:
        """The frame at ``buf[pos:]`` is incomplete: unmask the payload bytes it has
        (from ``head`` on), and the rest as they come (``_unmask_ahead``)."""
        key = buf[head - 4 : head]
        self._ahead = bytearray(unmask(buf[head:], key))
        self._ahead_at, self._ahead_len, self._ahead_key = head - pos, length, key

    def _check_header(self, first: int, masked: bool, length: int) -> None:
        if first & 0x70:
            raise FrameError(PROTOCOL_ERROR, "reserved bits set (no extension was negotiated)")
        if masked is not self._from_client:
            side = "client frame not masked" if self._from_client else "server frame masked"
            raise FrameError(PROTOCOL_ERROR, side)
        raise FrameError(MESSAGE_TOO_BIG, f"frame of {length} bytes over the {self._max} limit")

    @staticmethod
    def _check_control(first: int, length: int) -> None:
        opcode = first & 0x0F
        if opcode not in _KNOWN_OPCODES:
            raise FrameError(PROTOCOL_ERROR, f"reserved opcode {opcode:#x}")
        if not first & 0x80 or length > 125:
            raise FrameError(PROTOCOL_ERROR, "control frame fragmented or over 125 bytes")

    def _fragment(
        self, opcode: int, fin: bool, payload: bytes, buf: bytes, start: int, end: int
    ) -> tuple[int, bytes, bytes] | None:
        """One frame of a fragmented message (or a control frame inside one)."""
        if opcode >= CLOSE:
            return opcode, payload, b""  # control frames may sit between fragments
        if opcode not in _KNOWN_OPCODES:
            raise FrameError(PROTOCOL_ERROR, f"reserved opcode {opcode:#x}")
        if (opcode == CONTINUATION) is not bool(self._fragments):
            which = "continuation without a message" if opcode == CONTINUATION else "new message"
            raise FrameError(PROTOCOL_ERROR, f"{which} inside a fragmented message")
        if opcode != CONTINUATION:
            self._first_opcode = opcode
        if len(self._parts) + len(payload) > self._max:
            raise FrameError(MESSAGE_TOO_BIG, f"message over the {self._max} byte limit")
        if self._fragments >= MAX_FRAGMENTS:
            # Each fragment costs the proxy work and memory even when empty.
            raise FrameError(MESSAGE_TOO_BIG, f"message of more than {MAX_FRAGMENTS} fragments")
        self._fragments += 1
        self._parts += payload
        if not fin:
            self._held += memoryview(buf)[start:end]
            return None
        message, held = bytes(self._parts), bytes(self._held)
        self._parts, self._held, self._fragments = bytearray(), bytearray(), 0
        if self._first_opcode == TEXT:
            _check_utf8(message)
        return self._first_opcode, message, held


def _check_utf8(payload: bytes) -> None:
    try:
        payload.decode("utf-8")
    except UnicodeDecodeError:
        raise FrameError(INVALID_DATA, "text message is not valid UTF-8") from None
