"""Binary Socket.IO packets: attachment reassembly (docs/protocol.md#c6).

Layer: pure codec. Imports the standard library, ``sioproxy.errors``,
``sioproxy.codec.socketio`` and ``sioproxy.codec.placeholders``; never twisted.

A BINARY_EVENT/BINARY_ACK travels as a text header whose JSON holds
``{"_placeholder":true,"num":k}`` objects, followed by k = 0, 1, ... binary
Engine.IO messages. ``SioDecoder`` (one per connection and direction) glues
them back together with socket.io-parser's rules (C.3 "Decoder state").
"""

from __future__ import annotations

import dataclasses

from sioproxy.codec import socketio as _sio
from sioproxy.codec.placeholders import deconstruct, has_binary
from sioproxy.errors import DecodeError, EncodeError

__all__ = ["SioDecoder", "to_binary_packet"]


def to_binary_packet(packet: _sio.SioPacket) -> _sio.SioPacket:
    """What socket.io-parser >= 4 does before encoding (C.2 encoder notes).

    An EVENT/ACK (or a binary packet) whose ``data`` holds bytes becomes a
    BINARY_EVENT/BINARY_ACK with placeholders and attachments. A packet
    without bytes in ``data`` is returned unchanged.
    """
    if not has_binary(packet.data):
        return packet
    kinds = {
        _sio.SioType.EVENT: _sio.SioType.BINARY_EVENT,
        _sio.SioType.ACK: _sio.SioType.BINARY_ACK,
        _sio.SioType.BINARY_EVENT: _sio.SioType.BINARY_EVENT,
        _sio.SioType.BINARY_ACK: _sio.SioType.BINARY_ACK,
    }
    ptype = kinds.get(packet.type)
    if ptype is None or packet.attachments:
        raise EncodeError(f"sio: a {packet.type.name} packet cannot carry binary data here")
    data, atts = deconstruct(packet.data)
    return dataclasses.replace(
        packet, type=ptype, data=data, attachments=atts, attachment_count=len(atts), raw=None
    )


class SioDecoder:
    """Reassembles binary packets; one per connection and direction.

    ``feed`` takes the data of each Engine.IO message in order: the text of a
    packet, or the bytes of a binary message. It returns a complete packet, or
    ``None`` while a binary header still waits for its attachments.

    ``max_bytes`` caps one packet being reassembled, header text and
    attachments together: a peer may announce many attachments and send all
    but the last, and each may be as large as a message may be. Past the cap
    the half packet is dropped (``DecodeError``); None means no cap.
    """

    __slots__ = ("_parts", "header", "max_bytes", "pending_bytes", "revision")

    def __init__(self, revision: int, max_bytes: int | None = None) -> None:
        if revision not in (4, 5):
            raise ValueError(f"Socket.IO revision must be 4 or 5, not {revision!r}")
        self.revision = revision
        self.max_bytes = max_bytes
        #: The binary header being reassembled, None when idle (read-only outside).
        self.header: _sio.SioPacket | None = None
        #: Size of the packet being reassembled so far (header text + attachments).
        self.pending_bytes = 0
        self._parts: list[bytes] = []

    @property
    def pending(self) -> int:
        """Attachments still expected by the header being reassembled (0 when idle)."""
        header = self.header
        return 0 if header is None else header.attachments_expected - len(self._parts)

    @property
    def partial(self) -> _sio.SioPacket | None:
        """The header being reassembled, with the attachments received so far."""
        if self.header is None:
            return None
        return dataclasses.replace(self.header, attachments=tuple(self._parts))

    def reset(self) -> None:
        """Forget a half-received binary packet."""
        self.header = None
        self.pending_bytes = 0
        self._parts = []

    def feed(self, data: str | bytes) -> _sio.SioPacket | None:
        """Feed one message; see the class docstring. Raises ``DecodeError``.

        Text arriving while attachments are pending raises and drops the
        half-received packet; that text is not consumed, so a caller that
        wants to go on can feed it again.
        """
        header = self.header
        if header is None:
            if isinstance(data, str):
                packet = _sio.decode_sio(data, self.revision)
                if packet.attachment_count:
                    # surrogatepass: a lone surrogate (text decoded with
                    # surrogateescape) is sized, not an UnicodeEncodeError.
                    size = len(data.encode("utf-8", "surrogatepass"))
                    self._check_size(size, data)
                    self.header = packet
                    self.pending_bytes = size
                    return None
                return packet
            raise DecodeError(
                f"sio v{self.revision}", "got binary data when not reconstructing a packet", data
            )
        if isinstance(data, str):
            # socket.io-parser >= 3.4.3/4.2.3 throws here (C.3); drop the half packet.
            self.reset()
            raise DecodeError(
                f"sio v{self.revision}", "got plaintext data when reconstructing a packet", data
            )
        self._check_size(self.pending_bytes + len(data), data)
        parts = self._parts
        parts.append(data if type(data) is bytes else bytes(data))
        if len(parts) < header.attachments_expected:
            self.pending_bytes += len(data)
            return None
        self.reset()
        return dataclasses.replace(header, attachments=tuple(parts))

    def _check_size(self, size: int, data: str | bytes) -> None:
        """Drop the half packet (and refuse ``data``) when it would pass ``max_bytes``."""
        limit = self.max_bytes
        if limit is not None and size > limit:
            self.reset()
            reason = f"binary packet larger than {limit} bytes while reassembling: dropped"
            raise DecodeError(f"sio v{self.revision}", reason, data[:200])
