"""Per-connection decoding state: frames in, ``PacketSeen`` events out.

Layer: pure (session). One ``Connection`` spans every HTTP request and the
WebSocket of one Socket.IO session. It keeps the Socket.IO binary decoders
(a header and its attachments stay one unit, docs/protocol.md#c6) and the table of
outstanding ack requests, so that an ack can point at the request it answers
(ids are scoped by connection, namespace and requester, D.1). 0.9 bodies and
frames are decoded in ``legacy_frames``.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from sioproxy.codec import engineio, legacy, legacy_framing
from sioproxy.codec.binary import SioDecoder
from sioproxy.codec.engineio import EioPacket, EioType, message_packet
from sioproxy.codec.handshake import decode_open
from sioproxy.codec.limits import (
    BODY_NOTE,
    MAX_DECODE_CHARS,
    LimitError,
    size_error,
)
from sioproxy.codec.parsers import MSGPACK, WireParser
from sioproxy.codec.sio_msgpack import decode_sio_msgpack
from sioproxy.codec.socketio import SioPacket, decode_sio
from sioproxy.errors import DecodeError
from sioproxy.session import legacy_frames
from sioproxy.session.acks import MAX_ACK_TABLE_BYTES as MAX_ACK_TABLE_BYTES
from sioproxy.session.acks import MAX_OUTSTANDING_ACKS as MAX_OUTSTANDING_ACKS
from sioproxy.session.acks import AckKey, AckTable
from sioproxy.session.budget import PendingBudget
from sioproxy.session.events import PacketSeen, RequestSummary, build_packet_seen
from sioproxy.types import Direction, Generation

_MESSAGE = EioType.MESSAGE

Stamp = Callable[[], tuple[int, float]]
# A polling client always has a request in flight or sends the next at once;
# one silent for its session's ping interval + ping timeout (0.9: heartbeat +
# close timeout) is gone, and the upstream has dropped the session. The
# tracker closes it after that plus IDLE_GRACE (DEFAULT_IDLE when unknown).
IDLE_GRACE = 60.0
DEFAULT_IDLE = 120.0


class Connection:
    """Decoding state of one Socket.IO session."""

    def __init__(
        self,
        label: str,
        generation: Generation,
        stamp: Stamp,
        budget: PendingBudget | None = None,
        parser: WireParser | None = None,
        max_decode: int = MAX_DECODE_CHARS,
    ) -> None:
        self.label = label
        # The Socket.IO parser (docs/protocol.md#c9): None is the default one,
        # until a binary message decodes as msgpack; or what ``--parser`` forced.
        self.parser = parser
        self.generation = generation
        self.sid: str | None = None
        self.transport: str | None = None
        self.opened = False
        self.closed = False
        self.handshake_request: RequestSummary | None = None
        self.handshake_body: str | None = None  # 0.9 only
        self.inflight = 0  # HTTP exchanges of this connection waiting for their response
        self.last_active = 0.0  # clock time of the last request or response
        self.idle_limit = DEFAULT_IDLE
        self._stamp = stamp
        revision = 4 if generation is Generation.EIO3 else 5
        self._revision = revision
        self._budget = budget if budget is not None else PendingBudget()
        self._sio = {d: SioDecoder(revision, self._budget.packet) for d in Direction}
        self._pending_header: dict[Direction, str | None] = dict.fromkeys(Direction)
        self._acks = AckTable()
        self._max_decode = max_decode  # longer packets are recorded raw (codec.limits)

    def release(self) -> None:
        """Free the decoding state once the connection is closed (nothing more will come)."""
        for direction, decoder in self._sio.items():
            self._budget.used -= decoder.pending_bytes
            decoder.reset()
            self._pending_header[direction] = None
        self._acks.clear()
        self.handshake_request = None
        self.handshake_body = None

    def touch(self, now: float, inflight: int = 0) -> None:
        """A request of this connection began (+1) or ended (-1) at ``now``."""
        self.last_active = now
        self.inflight += inflight

    def legacy_handshake(
        self, handshake: legacy_framing.LegacyHandshake, request: RequestSummary, text: str
    ) -> None:
        """A 0.9 session is born at its handshake (A.2); it opens on its first transport."""
        self.sid = handshake.sid
        self.handshake_request = request
        self.handshake_body = text
        if handshake.heartbeat_timeout is not None and handshake.close_timeout is not None:
            self.idle_limit = handshake.heartbeat_timeout + handshake.close_timeout + IDLE_GRACE

    @property
    def pending_attachment_bytes(self) -> int:
        """Bytes of half-received binary packets (both directions)."""
        return sum(decoder.pending_bytes for decoder in self._sio.values())

    @property
    def eio_version(self) -> int:
        return 3 if self.generation is Generation.EIO3 else 4

    # -- 0.9 -------------------------------------------------------------

    def legacy_body(self, direction: Direction, text: str, transport: str) -> list[PacketSeen]:
        """A 0.9 polling body or WebSocket frame: one bare packet or a framed payload."""
        return legacy_frames.body_events(self, direction, text, transport)

    def legacy_text(self, direction: Direction, payload: bytes) -> PacketSeen | None:
        """``ws_text`` for 0.9: a frame of one packet that does not end the session."""
        return legacy_frames.text_event(self, direction, payload)

    # -- Engine.IO / Socket.IO ----------------------------------------------

    def eio_packets(
        self, direction: Direction, packets: Sequence[EioPacket], transport: str
    ) -> list[PacketSeen]:
        """Decoded Engine.IO packets of a polling body, in order (``ws_text``'s path first)."""
        events: list[PacketSeen] = []
        for packet in packets:
            data = packet.data
            if packet.type is _MESSAGE and data and isinstance(data, str):
                event = self._text_packet(direction, "4" + data, data, transport, packet)
                if event is not None:
                    events.append(event)
                    continue
            raw = engineio.encode_eio(packet, self.eio_version, b64=True)
            if isinstance(raw, str) and len(raw) > self._max_decode:
                events.append(self._too_long(direction, transport, raw, f"eio{self.eio_version}"))
                continue
            event = self._eio_packet(direction, packet, raw, transport)
            if event is not None:
                events.append(event)
        return events

    def ws_text(self, direction: Direction, payload: bytes) -> PacketSeen | None:
        """The common WebSocket message, a whole Socket.IO packet in one text frame.

        The live proxy's hot path: the event ``ws_frame`` gives for an
        Engine.IO message ``4<sio>`` that decodes to a complete packet, with a
        short call chain and no ``PacketSeen.__init__`` (docs/performance.md).
        None, with nothing consumed (no seq, no decoder state), for anything
        else: the caller then takes ``ws_frame``.
        """
        try:
            frame = payload.decode("utf-8")
        except UnicodeDecodeError:
            return None
        if len(frame) < 2 or frame[0] != "4":
            return None  # not a message with data (B.2)
        return self._text_packet(direction, frame, frame[1:], "websocket", None)

    def _text_packet(
        self, direction: Direction, raw: str, text: str, transport: str, eio: EioPacket | None
    ) -> PacketSeen | None:
        """The event of Engine.IO message ``raw`` = ``4<text>``, a whole Socket.IO packet,
        or None with nothing consumed (the caller takes the general path)."""
        if text[0] in "56" or self._sio[direction].header is not None or self.parser is not None:
            return None  # a binary header (C.6), attachments pending, or another parser
        if len(raw) > self._max_decode:
            return None
        try:
            sio = decode_sio(text, self._revision)
        except DecodeError:
            return None
        if sio.attachment_count:
            return None  # a binary header waits for its attachments (C.6)
        seq, t = self._stamp()
        event: PacketSeen = build_packet_seen(
            seq=seq,
            conn=self.label,
            t=t,
            direction=direction,
            transport=transport,
            generation=self.generation,
            raw=raw,
            attachments=sio.attachments,
            eio=message_packet(text) if eio is None else eio,
            sio=sio,
            ack_of=None if sio.id is None else self._acks.track_sio(direction, sio, seq),
        )  # the other fields keep their defaults (fewer keywords: a cheaper call)
        return event

    def ws_frame(self, direction: Direction, payload: bytes, is_binary: bool) -> list[PacketSeen]:
        """One WebSocket message of an Engine.IO session."""
        frame: str | bytes = payload
        if not is_binary:
            try:
                frame = payload.decode("utf-8")
            except UnicodeDecodeError as exc:
                error = DecodeError(
                    f"eio{self.eio_version}", f"invalid UTF-8: {exc.reason}", payload, exc.start
                )
                return [self._undecoded(direction, "websocket", payload, error)]
            if len(frame) > self._max_decode:
                return [self._too_long(direction, "websocket", frame, f"eio{self.eio_version}")]
        try:
            packet = engineio.decode_eio(frame, self.eio_version)
        except DecodeError as exc:
            return [self._undecoded(direction, "websocket", frame, exc)]
        event = self._eio_packet(direction, packet, frame, "websocket")
        return [event] if event is not None else []

    def _eio_packet(
        self, direction: Direction, packet: EioPacket, raw: str | bytes, transport: str
    ) -> PacketSeen | None:
        if packet.type is EioType.OPEN and isinstance(packet.data, str):
            self._learn_sid(packet.data)
        if packet.type is not EioType.MESSAGE or packet.data is None:
            return self._plain_eio(direction, packet, raw, transport)
        return self._sio_part(direction, packet, raw, transport)

    def _learn_sid(self, data: str) -> None:
        try:
            info = decode_open(data)
        except DecodeError:
            self.sid = None  # the packet itself is still recorded; the sid stays unknown
            return
        self.sid = info.sid
        self.idle_limit = (info.ping_interval + info.ping_timeout) / 1000 + IDLE_GRACE

    def _plain_eio(
        self, direction: Direction, packet: EioPacket, raw: str | bytes, transport: str
    ) -> PacketSeen:
        seq, t = self._stamp()
        return PacketSeen(
            seq=seq,
            conn=self.label,
            t=t,
            direction=direction,
            transport=transport,
            generation=self.generation,
            raw=raw,
            eio=packet,
        )

    def _sio_part(
        self, direction: Direction, packet: EioPacket, raw: str | bytes, transport: str
    ) -> PacketSeen | None:
        decoder = self._sio[direction]
        data = packet.data
        assert data is not None
        parser = self.parser
        if parser is not None:
            try:
                parsed = parser.decode(data)
            except DecodeError as exc:
                return self._undecoded(direction, transport, raw, exc)
            return self._sio_seen(direction, packet, raw, transport, parsed, parser.name)
        if isinstance(data, bytes) and decoder.header is None:
            # A binary message with no binary header before it: msgpack (C.9); if
            # not, the default decoder says why.
            try:
                parsed = decode_sio_msgpack(data)
            except DecodeError:
                pass
            else:
                self.parser = MSGPACK
                return self._sio_seen(direction, packet, raw, transport, parsed, MSGPACK.name)
        budget = self._budget
        held = decoder.pending_bytes
        error: DecodeError | None = None
        try:
            sio = decoder.feed(data)
        except DecodeError as exc:
            sio, error = None, exc
        budget.used += decoder.pending_bytes - held
        if sio is None and error is None and not budget.allows(0):
            error = budget.over(data)  # a half packet past the total cap
        if error is not None:
            budget.used -= decoder.pending_bytes
            decoder.reset()  # the half packet is dropped from decoding, not from the wire
            self._pending_header[direction] = None
            return self._undecoded(direction, transport, raw, error)
        if sio is None:
            self._hold_part(direction, raw)
            return None
        header = self._pending_header[direction]
        self._pending_header[direction] = None
        return self._sio_seen(
            direction, packet, header if header is not None else raw, transport, sio
        )

    def _sio_seen(
        self,
        direction: Direction,
        packet: EioPacket,
        raw: str | bytes,
        transport: str,
        sio: SioPacket,
        parser: str | None = None,
    ) -> PacketSeen:
        seq, t = self._stamp()
        return PacketSeen(
            seq=seq,
            conn=self.label,
            t=t,
            direction=direction,
            transport=transport,
            generation=self.generation,
            raw=raw,
            # msgpack has no attachment frames: its buffers are in ``sio`` alone.
            attachments=sio.attachments if parser is None else (),
            eio=packet,
            sio=sio,
            ack_of=self._acks.track_sio(direction, sio, seq),
            parser=parser,
        )

    def _hold_part(self, direction: Direction, raw: str | bytes) -> None:
        """Keep the header text of a binary packet until its attachments arrive."""
        if self._pending_header[direction] is None and isinstance(raw, str):
            self._pending_header[direction] = raw

    def close_reason(self, event: PacketSeen) -> str | None:
        """Why this packet ends the whole session, or None (0.9 ``0::``, A.9; EIO close, B.9)."""
        if event.legacy is not None:
            is_end = event.legacy.type is legacy.LegacyType.DISCONNECT and not event.legacy.endpoint
            return "disconnect packet" if is_end else None
        if event.eio is not None and event.eio.type is EioType.CLOSE:
            return "close packet"
        return None

    @property
    def pending_acks(self) -> int:
        return len(self._acks.outstanding)

    @property
    def ack_table_bytes(self) -> int:
        """The ack table's size as counted against MAX_ACK_TABLE_BYTES."""
        return self._acks.bytes

    @property
    def _outstanding(self) -> dict[AckKey, int]:
        return self._acks.outstanding

    def _too_long(
        self, direction: Direction, transport: str, raw: str, protocol: str
    ) -> PacketSeen:
        error = DecodeError(protocol, size_error(self._max_decode), raw, 0)
        return self._undecoded(direction, transport, raw, error)

    def _undecoded(
        self, direction: Direction, transport: str, raw: str | bytes, error: DecodeError
    ) -> PacketSeen:
        seq, t = self._stamp()
        return PacketSeen(
            seq=seq,
            conn=self.label,
            t=t,
            direction=direction,
            transport=transport,
            generation=self.generation,
            raw=raw,
            error=str(error),
            note=BODY_NOTE if isinstance(error, LimitError) else None,
        )
