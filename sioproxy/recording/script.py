"""One recorded connection turned into a script of application packets.

Layer: pure (replay). Imports the codec, the recording model and the shared
enums; never twisted. The replay engine plays a ``Script``: the ordered
Socket.IO packets of one connection, both directions, each rebuilt as a codec
packet (``LegacyPacket`` for 0.9, ``SioPacket`` for Engine.IO 3/4) with the
ack request each ack answers already worked out.

A recording made through rules or hooks holds both sides' views of a
rewritten packet and packets only one side saw (a packet's ``fate``,
docs/recording-format.md). A script is built for one side: ``Side.CLIENT``
(the stand-in server: what the client sent, what the client received) or
``Side.SERVER`` (the replay client: what the server received, what the server
sent).

Transport-level packets never become steps: they are generated live by the
replay server and never replayed from the file (docs/protocol.md#d3 item 5):
0.9 heartbeats ``2::``, noops ``8::`` and the session-opening ``1::`` (a
connect with an empty endpoint, A.9), and every Engine.IO packet that is not
a ``message`` (open, ping, pong, noop, upgrade, close).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from sioproxy.bulkwork import collector_paused
from sioproxy.codec.jsonvalue import same_json
from sioproxy.codec.legacy import LegacyPacket, LegacyType, decode_packet, encode_packet
from sioproxy.codec.legacy_dict import packet_from_dict, packet_to_dict
from sioproxy.codec.limits import is_size_error
from sioproxy.codec.packets import Packet, answer_id, is_ack
from sioproxy.codec.sio_dict import sio_from_dict, sio_to_dict
from sioproxy.codec.socketio import (
    SioPacket,
    SioType,
    decode_sio,
    encode_sio,
)
from sioproxy.errors import DecodeError, EncodeError, RecordingError
from sioproxy.fastbuild import replacer
from sioproxy.recording.delivery import as_seen_by
from sioproxy.recording.model import OpenEvent, PacketEntry, Recording
from sioproxy.types import Direction, Generation, Side

_LEGACY_REQUESTS = frozenset({LegacyType.MESSAGE, LegacyType.JSON, LegacyType.EVENT})
_LEGACY_TRANSPORT = frozenset({LegacyType.HEARTBEAT, LegacyType.NOOP})
_SIO_REQUESTS = frozenset({SioType.EVENT, SioType.BINARY_EVENT})


# -- views of a packet, the same for both generations -----------------------


def namespace(packet: Packet) -> str:
    """The 0.9 endpoint, or the Socket.IO namespace without a v4 ``?query`` (C.4)."""
    return packet.endpoint if isinstance(packet, LegacyPacket) else packet.nsp_path


def event_name(packet: Packet) -> Any:
    """The event name of an event packet (any JSON value in 0.9), else None."""
    if isinstance(packet, LegacyPacket):
        return packet.name
    data = packet.data
    if packet.type in _SIO_REQUESTS and type(data) is list and data:
        return data[0]
    return None


def asks_ack(packet: Packet) -> bool:
    """Whether the packet asks the peer for an acknowledgement (A.10, C.5)."""
    if isinstance(packet, LegacyPacket):
        return packet.type in _LEGACY_REQUESTS and packet.id is not None
    return packet.type in _SIO_REQUESTS and packet.id is not None


def is_bare_legacy_request(packet: Packet) -> bool:
    """A 0.9 request with a bare id: node's server library acks it itself (A.10)."""
    return isinstance(packet, LegacyPacket) and asks_ack(packet) and not packet.ack_data


def is_disconnect(packet: Packet) -> bool:
    """A namespace or session disconnect (0.9 type 0, SIO type 1).

    Disconnects are lifecycle, not requests: whether a client sends its last
    ``41`` before dropping the transport depends on timing, so an unrecorded
    one is noted (not a miss) and an unplayed recorded one is not owed.
    """
    if isinstance(packet, LegacyPacket):
        return packet.type is LegacyType.DISCONNECT
    return packet.type is SioType.DISCONNECT


def is_transport_level(packet: Packet) -> bool:
    """0.9 heartbeat/noop and the session ``1::``: generated live, never matched."""
    if not isinstance(packet, LegacyPacket):
        return False
    if packet.type in _LEGACY_TRANSPORT:
        return True
    return packet.type is LegacyType.CONNECT and packet.endpoint == ""


def to_dict(packet: Packet, revision: int | None) -> dict[str, Any]:
    """The packet's dict form, the one ``--ignore`` JSON pointers point into."""
    if isinstance(packet, LegacyPacket):
        return packet_to_dict(packet)
    return sio_to_dict(packet, revision or 5)


def wire_text(packet: Packet) -> str:
    """The text as it travels (an SIO packet inside its Engine.IO message ``4``)."""
    if isinstance(packet, LegacyPacket):
        return encode_packet(packet)
    header, *attachments = encode_sio(packet)
    extra = len(attachments)
    suffix = f" (+{extra} binary attachment{'s' if extra != 1 else ''})" if extra else ""
    text = header if isinstance(header, str) else header.decode("utf-8", "replace")
    return f"4{text}{suffix}"


# -- the script ---------------------------------------------------------------


@dataclass(frozen=True, slots=True, kw_only=True)
class Step:
    """One application packet of the recorded connection."""

    index: int
    entry: PacketEntry
    packet: Packet
    # The Socket.IO text (no ``4``; a 0.9 packet's whole text) that decodes to
    # exactly ``packet``, types and key order included, when the recorded raw
    # text is that: the engine sends it as it is and compares a live packet of
    # the same text without the dict walk. None otherwise (binary, or a raw
    # text that says something else than the recorded dict form).
    text: str | None = None

    @property
    def dir(self) -> Direction:
        return self.entry.dir

    @property
    def seq(self) -> int:
        return self.entry.seq

    @property
    def t(self) -> float:
        return self.entry.t


@dataclass(frozen=True, slots=True, kw_only=True)
class Script:
    """The steps of one connection, and which ack answers which request.

    ``answers`` maps the index of an ack step to the index of the request it
    answers (the other direction); ``answered_by`` is its inverse. ``notes``
    say which entries were skipped and why.
    """

    conn: str
    generation: Generation
    start_t: float
    steps: tuple[Step, ...]
    answers: Mapping[int, int] = field(default_factory=dict)
    answered_by: Mapping[int, int] = field(default_factory=dict)
    notes: tuple[str, ...] = ()

    @property
    def revision(self) -> int | None:
        return self.generation.sio_revision

    def client_steps(self) -> list[Step]:
        return [s for s in self.steps if s.dir == Direction.C2S]

    def triggers(self) -> list[int | None]:
        """For each step, the index of the latest client step before it (None: before any)."""
        out: list[int | None] = []
        last: int | None = None
        for step in self.steps:
            out.append(last)
            if step.dir == Direction.C2S:
                last = step.index
        return out


def build_script(recording: Recording, conn: str, view: Side = Side.CLIENT) -> Script:
    """The script of connection ``conn`` as ``view`` saw it; RecordingError if never opened."""
    with collector_paused():  # one step per packet, all kept, no cycles (bulkwork.py)
        return _build_script(recording, conn, view)


def _build_script(recording: Recording, conn: str, view: Side) -> Script:
    path = recording.path or "<recording>"
    opened = [e for e in recording.entries_for(conn) if isinstance(e, OpenEvent)]
    if not opened:
        known = ", ".join(recording.connections()) or "none"
        raise RecordingError(path, None, f"no connection {conn!r} (connections: {known})")
    generation = opened[0].generation
    steps: list[Step] = []
    notes: list[str] = []
    for recorded in recording.packets(conn):
        entry, note = as_seen_by(recorded, view)
        if entry is None:
            notes.append(f"seq {recorded.seq}: skipped, {note}")
            continue
        packet, note, text = _entry_packet(entry, generation)
        if note is not None:
            notes.append(f"seq {entry.seq}: {note}")
        if packet is not None:
            steps.append(Step(index=len(steps), entry=entry, packet=packet, text=text))
    answers = _correlate(steps)
    return Script(
        conn=conn,
        generation=generation,
        start_t=opened[0].t,
        steps=tuple(steps),
        answers=answers,
        answered_by={req: ack for ack, req in answers.items()},
        notes=tuple(notes),
    )


def _entry_packet(
    entry: PacketEntry, generation: Generation
) -> tuple[Packet | None, str | None, str | None]:
    """(packet, note, exact text) of an application entry (see ``Step.text``).

    Transport-level packets give (None, None, None): skipping them is normal.
    """
    if entry.packet is None:
        past_limit = _decoded_past_the_limit(entry, generation)
        if past_limit is not None:
            return past_limit
        return None, f"skipped, the frame did not decode: {entry.error}", None
    d = entry.packet
    try:
        if generation is Generation.LEGACY:
            legacy = packet_from_dict(d)
            if is_transport_level(legacy):
                return None, None, None
            legacy, text = _with_legacy_raw(legacy, entry.raw)
            return legacy, None, text
        if d.get("eio") != "message":
            return None, None, None
        if not isinstance(d.get("sio"), Mapping):
            return None, "skipped, an Engine.IO message without a Socket.IO packet", None
        revision = generation.sio_revision or 5
        packet, text = _with_sio_raw(sio_from_dict(d["sio"], revision), entry.raw, revision)
        return packet, None, text
    except EncodeError as exc:
        return None, f"skipped, the recorded packet is not valid: {exc}", None


def _decoded_past_the_limit(
    entry: PacketEntry, generation: Generation
) -> tuple[Packet | None, None, str | None] | None:
    """A text packet the live proxy left raw only for its size (``--max-decode``),
    decoded now: the replay programs decode what their peer sends, so they
    play it like any packet. None when it is not one, or does not decode."""
    raw = entry.raw
    if not isinstance(raw, str) or not is_size_error(entry.error or ""):
        return None
    try:
        if generation is Generation.LEGACY:
            legacy = decode_packet(raw)
            return (None, None, None) if is_transport_level(legacy) else (legacy, None, raw)
        if not raw.startswith("4"):
            return None, None, None  # another Engine.IO packet: transport level
        sio = decode_sio(raw[1:], generation.sio_revision or 5)
    except DecodeError:
        return None
    if sio.attachment_count:
        return None  # a binary header: its attachments were recorded apart
    return dataclasses.replace(sio, raw=raw[1:]), None, raw[1:]


def _with_legacy_raw(packet: LegacyPacket, raw: str | bytes) -> tuple[LegacyPacket, str | None]:
    # Keep the recorded bytes when they still say the same thing, so replay is
    # byte-exact (C.8 "keep raw text"); a redacted raw still decodes consistently.
    # A 0.9 packet's fields are text, so decoding to the same packet is exact.
    if isinstance(raw, str):
        try:
            if decode_packet(raw) == packet:
                return _legacy_with_raw(packet, raw), raw
        except DecodeError:
            pass
    return packet, None


def _with_sio_raw(
    packet: SioPacket, raw: str | bytes, revision: int
) -> tuple[SioPacket, str | None]:
    """The packet keeping its recorded text when that still says the same; the exact text."""
    if isinstance(raw, str) and raw.startswith("4"):
        try:
            header = decode_sio(raw[1:], revision)
        except DecodeError:
            return packet, None
        if packet.attachments:
            same = dataclasses.replace(header, attachments=packet.attachments) == packet
        else:
            same = header == packet
        if same:
            # The dict form's packet is kept (its values are the recording's own, so
            # nothing new stays alive per step); the text stands for it when exact.
            exact = header.attachment_count is None and same_json(header.data, packet.data)
            return _sio_with_raw(packet, raw[1:]), raw[1:] if exact else None
    return packet, None


# ``dataclasses.replace(packet, raw=...)``, a tenth of its cost: a script build
# makes one per recorded packet (docs/performance.md, replay start-up).
_sio_with_raw = replacer(SioPacket, "raw")
_legacy_with_raw = replacer(LegacyPacket, "raw")


def _correlate(steps: list[Step]) -> dict[int, int]:
    """ack index -> request index, by ``ack_of`` when recorded, else by (namespace, id).

    Ids are scoped to (connection, namespace, direction) (docs/protocol.md#d1): an
    ack answers the latest unanswered request of the other direction with the
    same namespace and id.
    """
    by_seq = {s.seq: s.index for s in steps}
    answers: dict[int, int] = {}
    taken: set[int] = set()
    for step in steps:
        if not is_ack(step.packet):
            continue
        req = by_seq.get(step.entry.ack_of) if step.entry.ack_of is not None else None
        if req is None or not _answers(step, steps[req]) or req in taken:
            req = _find_request(step, steps, taken)
        if req is not None:
            answers[step.index] = req
            taken.add(req)
    return answers


def _answers(ack: Step, request: Step) -> bool:
    return (
        request.index < ack.index
        and request.dir != ack.dir
        and asks_ack(request.packet)
        and namespace(request.packet) == namespace(ack.packet)
    )


def _find_request(ack: Step, steps: list[Step], taken: set[int]) -> int | None:
    wanted = answer_id(ack.packet)
    if wanted is None:
        return None
    for candidate in reversed(steps[: ack.index]):
        if (
            candidate.index not in taken
            and _answers(ack, candidate)
            and candidate.packet.id == wanted
        ):
            return candidate.index
    return None
