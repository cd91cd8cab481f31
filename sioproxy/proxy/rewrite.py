"""Re-encoding for the rewrite pipeline: what goes on the wire after rules and hooks.

Layer: pure. Imports the codec and ``sioproxy.session.events``; never twisted
or autobahn. The live observer (``sioproxy.proxy.live``) decides, per received frame
or polling body, which packets leave now; this module turns that list into
bytes. A *unit* is either ``Keep(event)`` (a received packet forwarded as it
arrived: its original wire parts are reused byte for byte) or an ``Outgoing``
packet (rewritten, injected, or a proxy-made disconnect/close) that is encoded
afresh:

* 0.9 bodies and WebSocket messages: one bare packet, or U+FFFD-framed with
  UTF-16 lengths when there are several (docs/protocol.md#a5).
* Engine.IO polling bodies: v3 text lengths in UTF-16 units, v3 XHR2 binary
  framing when the original body was binary, v4 ``\\x1e`` separators
  (B.5); JSONP wrappers re-applied (A.3.3, B.6).
* Engine.IO WebSocket: one message per Engine.IO packet; binary attachments
  as binary messages (v3 with the 0x04 type byte, v4 raw; B.7, C.6).

An empty polling body is not valid for Engine.IO peers (the parser reads one
empty packet and fails), so a body whose every packet was removed carries one
NOOP instead (``6``; 0.9 ``8::``).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from sioproxy.codec import legacy_framing, payload
from sioproxy.codec.engineio import EioPacket, EioType, decode_eio, encode_eio
from sioproxy.codec.legacy import LegacyPacket, LegacyType, encode_packet
from sioproxy.codec.parsers import WireParser
from sioproxy.codec.socketio import SioPacket, SioType, encode_sio
from sioproxy.errors import EncodeError
from sioproxy.session.events import PacketSeen
from sioproxy.session.routes import Route
from sioproxy.types import Direction, Fate, Generation

__all__ = [
    "BodyFormat",
    "Keep",
    "Outgoing",
    "Unit",
    "close_packets",
    "disconnect_packet",
    "eio_parts",
    "holds_exactly",
    "polling_body",
    "polling_packet_count",
    "seen_for",
    "ws_messages",
    "ws_units",
]

Outgoing = LegacyPacket | SioPacket | EioPacket
WsMessage = tuple[bytes, bool]


@dataclass(frozen=True, slots=True)
class Keep:
    """A received packet forwarded unchanged; ``frames`` are its WebSocket messages."""

    event: PacketSeen
    frames: tuple[WsMessage, ...] = ()


Unit = Keep | LegacyPacket | SioPacket | EioPacket

_NOOP_EIO = EioPacket(type=EioType.NOOP)
_NOOP_LEGACY = "8::"


@dataclass(frozen=True, slots=True, kw_only=True)
class BodyFormat:
    """How a polling body was framed, so a rebuilt one is framed the same way.

    ``jsonp_index`` is set for a JSONP response (s2c), ``jsonp_post`` for a
    JSONP form POST (c2s); ``binary`` for an Engine.IO 3 XHR2 binary payload.
    """

    generation: Generation
    direction: Direction
    jsonp_index: int | None = None
    jsonp_post: bool = False
    binary: bool = False
    parser: WireParser | None = None  # not the default parser (docs/protocol.md#c9)

    @classmethod
    def detect(
        cls,
        generation: Generation,
        route: Route,
        direction: Direction,
        body: bytes,
        parser: WireParser | None = None,
    ) -> BodyFormat:
        jsonp = route.jsonp_index is not None or (
            generation is Generation.LEGACY
            and route.transport is not None
            and route.transport.value == "jsonp-polling"
        )
        # A v3 binary payload starts with the 0/1 string/binary flag byte (B.5.2 (c)).
        binary = generation is Generation.EIO3 and body[:1] in (b"\x00", b"\x01")
        index: int | None = None
        if jsonp and direction is Direction.S2C:
            index = route.jsonp_index if route.jsonp_index is not None else 0
        return cls(
            generation=generation,
            direction=direction,
            jsonp_index=index,
            jsonp_post=jsonp and direction is Direction.C2S,
            binary=binary,
            parser=parser,
        )

    def unwrap(self, body: bytes) -> bytes:
        """The payload inside a JSONP wrapper (the body itself otherwise)."""
        if self.generation is Generation.LEGACY:
            text = body.decode("utf-8", "replace")
            if self.jsonp_post:
                text = legacy_framing.decode_jsonp_post(text)
            elif self.jsonp_index is not None:
                text = legacy_framing.decode_jsonp_response(text)[1]
            return text.encode("utf-8")
        if self.jsonp_post:
            return payload.decode_jsonp_post(body).encode("utf-8")
        if self.jsonp_index is not None:
            return payload.decode_jsonp_response(body)[1].encode("utf-8")
        return body


# --------------------------------------------------------------------------- packets


def _version(generation: Generation) -> int:
    version = generation.eio_version
    if version is None:
        raise EncodeError(f"generation {generation} has no Engine.IO layer")
    return version


def _bytes(part: str | bytes) -> bytes:
    return part.encode("utf-8") if isinstance(part, str) else bytes(part)


def _sio_parts(packet: SioPacket, parser: WireParser | None = None) -> list[EioPacket]:
    if parser is not None:
        return [EioPacket(type=EioType.MESSAGE, data=part) for part in parser.encode(packet)]
    parts = encode_sio(packet)
    header = parts[0]
    assert isinstance(header, str)
    out = [EioPacket(type=EioType.MESSAGE, data=header)]
    out.extend(EioPacket(type=EioType.MESSAGE, data=_bytes(a)) for a in parts[1:])
    return out


def eio_parts(
    unit: Unit, generation: Generation, parser: WireParser | None = None
) -> list[EioPacket]:
    """The Engine.IO packets of a unit: a binary Socket.IO packet is 1 + attachments."""
    if isinstance(unit, Keep):
        ev = unit.event
        if ev.sio is not None and (ev.sio.is_binary or ev.attachments):
            # ``raw`` is the header's Engine.IO text, type digit included ("451-[...]").
            head = decode_eio(ev.raw, _version(generation))
            return [head, *(EioPacket(type=EioType.MESSAGE, data=a) for a in ev.attachments)]
        if ev.eio is not None:
            return [ev.eio]
        # An undecodable packet inside a decodable body: its raw is the b64 text form.
        return [decode_eio(ev.raw, _version(generation))]
    if isinstance(unit, SioPacket):
        return _sio_parts(unit, parser)
    if isinstance(unit, EioPacket):
        return [unit]
    raise EncodeError(f"a 0.9 packet cannot travel over {generation}")


def _legacy_text(unit: Unit) -> str:
    if isinstance(unit, Keep):
        raw = unit.event.raw
        return raw if isinstance(raw, str) else raw.decode("utf-8", "replace")
    if isinstance(unit, LegacyPacket):
        return encode_packet(unit)
    raise EncodeError(f"not a 0.9 packet: {unit!r}")


def polling_packet_count(events: Sequence[PacketSeen], generation: Generation) -> int:
    """How many Engine.IO packets the events account for (to spot split binary packets)."""
    return sum(len(eio_parts(Keep(ev), generation)) for ev in events)


def holds_exactly(fmt: BodyFormat, body: bytes, seen: list[PacketSeen]) -> bool:
    """Whether a polling body holds exactly the events' packets (no split binary packet)."""
    if fmt.generation is Generation.LEGACY:
        return True
    version = 3 if fmt.generation is Generation.EIO3 else 4
    count = len(payload.decode_payload(fmt.unwrap(body), version))
    return count == polling_packet_count(seen, fmt.generation)


def polling_body(fmt: BodyFormat, units: Sequence[Unit]) -> bytes:
    """A polling body carrying ``units`` in order, framed like the original (``fmt``)."""
    if fmt.generation is Generation.LEGACY:
        frames = [_legacy_text(u) for u in units] or [_NOOP_LEGACY]
        text = legacy_framing.encode_payload(frames)
        if fmt.jsonp_post:
            text = legacy_framing.encode_jsonp_post(text)
        elif fmt.jsonp_index is not None:
            text = legacy_framing.encode_jsonp_response(fmt.jsonp_index, text)
        return text.encode("utf-8")
    version = _version(fmt.generation)
    packets = [p for u in units for p in eio_parts(u, fmt.generation, fmt.parser)] or [_NOOP_EIO]
    if fmt.jsonp_post or fmt.jsonp_index is not None:
        text = payload.encode_payload(packets, version).decode("utf-8")
        if fmt.jsonp_post:
            return payload.encode_jsonp_post(text)
        assert fmt.jsonp_index is not None
        return payload.encode_jsonp_response(fmt.jsonp_index, text)
    return payload.encode_payload(packets, version, binary=fmt.binary)


def ws_messages(
    packet: Outgoing, generation: Generation, parser: WireParser | None = None
) -> list[WsMessage]:
    """The WebSocket messages of one packet: 0.9 text; Engine.IO one per part."""
    if generation is Generation.LEGACY:
        return [(_legacy_text(packet).encode("utf-8"), False)]
    version = _version(generation)
    out: list[WsMessage] = []
    for part in eio_parts(packet, generation, parser):
        frame = encode_eio(part, version)
        out.append((frame, True) if isinstance(frame, bytes) else (frame.encode("utf-8"), False))
    return out


def ws_units(
    units: Sequence[Unit], generation: Generation, parser: WireParser | None = None
) -> list[WsMessage]:
    """The messages for a WebSocket exchange; a kept unit reuses its received frames.

    0.9 packets of one message are re-framed into one message (A.5), as the
    0.9 peers batch them.
    """
    if generation is Generation.LEGACY:
        if not units:
            return []
        text = legacy_framing.encode_payload([_legacy_text(u) for u in units])
        return [(text.encode("utf-8"), False)]
    out: list[WsMessage] = []
    for unit in units:
        if isinstance(unit, Keep):
            out.extend(unit.frames)
        else:
            out.extend(ws_messages(unit, generation, parser))
    return out


# --------------------------------------------------------------------------- proxy-made packets


def disconnect_packet(generation: Generation, namespace: str) -> LegacyPacket | SioPacket:
    """The Socket.IO disconnect of one namespace (0.9 ``0::/ns``, A.9; modern ``1/ns,``, C.3)."""
    if generation is Generation.LEGACY:
        endpoint = "" if namespace in ("", "/") else namespace
        return LegacyPacket(type=LegacyType.DISCONNECT, endpoint=endpoint)
    return SioPacket(type=SioType.DISCONNECT, nsp=namespace or "/")


def close_packets(generation: Generation) -> list[Outgoing]:
    """What ends a whole connection: 0.9 ``0::`` (A.9), Engine.IO close ``1`` (B.9)."""
    if generation is Generation.LEGACY:
        return [LegacyPacket(type=LegacyType.DISCONNECT)]
    return [EioPacket(type=EioType.CLOSE)]


# --------------------------------------------------------------------------- session events


def seen_for(
    packet: Outgoing,
    *,
    template: PacketSeen | None,
    conn: str,
    direction: Direction,
    transport: str,
    generation: Generation,
    stamp: Callable[[], tuple[int, float]],
    original: PacketSeen | None = None,
    note: str | None = None,
    fate: Fate | None = None,
    rule: str | None = None,
    delay: float | None = None,
    ack_of: int | None = None,
    parser: WireParser | None = None,
) -> PacketSeen:
    """The session event of a packet the proxy sent (rewritten, injected or proxy-made)."""
    seq, t = stamp()
    legacy = sio = None
    eio: EioPacket | None = None
    attachments: tuple[bytes, ...] = ()
    if isinstance(packet, LegacyPacket):
        raw: str | bytes = encode_packet(packet)
        legacy = packet
    elif isinstance(packet, SioPacket) and parser is not None:
        (eio,) = _sio_parts(packet, parser)  # such a parser sends one message per packet
        sio = packet
        websocket = (template.transport if template is not None else transport) == "websocket"
        if websocket and isinstance(eio.data, bytes):
            raw = eio.data
        else:
            raw = encode_eio(eio, _version(generation), b64=True)
    elif isinstance(packet, SioPacket):
        parts = encode_sio(packet)
        assert isinstance(parts[0], str)
        raw = "4" + parts[0]  # like the tracker's: the Engine.IO message text (B.2)
        attachments = tuple(_bytes(p) for p in parts[1:])
        eio, sio = EioPacket(type=EioType.MESSAGE, data=parts[0]), packet
    else:
        raw, eio = encode_eio(packet, _version(generation), b64=True), packet
    if template is not None:
        conn, transport, generation = template.conn, template.transport, template.generation
    return PacketSeen(
        seq=seq,
        conn=conn,
        t=t,
        direction=direction,
        transport=transport,
        generation=generation,
        raw=raw,
        attachments=attachments,
        legacy=legacy,
        eio=eio,
        sio=sio,
        ack_of=ack_of,
        original=original,
        note=note,
        fate=fate,
        rule=rule,
        delay=delay,
        parser=parser.name if parser is not None and sio is not None else None,
    )
