"""Recording model: the connection events, the packet entries and the recording.

Layer: pure (recording). Imports only the standard library, ``sioproxy.errors``,
``sioproxy.types`` and the header and line readers beside it; never twisted.
Each entry converts to the JSON object of one line of a format-version-1
recording (``to_json``) and back (``from_json``), which validates every key
and names the file and line in a ``RecordingError``.
docs/recording-format.md is the user-facing description.

Keys absent from this model are ignored when reading: a minor addition to the
format (a new optional key) must not break an older reader.
"""

from __future__ import annotations

import base64
import bisect
import itertools
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, ClassVar

from sioproxy.errors import RecordingError
from sioproxy.recording.header import Header
from sioproxy.recording.line_fields import JsonObject, LineFields, members_by_value, show_value
from sioproxy.types import Direction, Fate, Generation, TransportName


@dataclass(frozen=True, slots=True, kw_only=True)
class HttpRequest:
    """The HTTP request that opened or upgraded a connection (after redaction).

    ``query`` is the query string without its leading ``?``, exactly as sent.
    """

    method: str
    path: str
    query: str = ""
    headers: tuple[tuple[str, str], ...] = ()

    def to_json(self) -> JsonObject:
        return {
            "method": self.method,
            "path": self.path,
            "query": self.query,
            "headers": [[name, value] for name, value in self.headers],
        }

    @classmethod
    def from_json(cls, obj: Any, *, path: str, line: int | None) -> HttpRequest:
        return cls._parse(LineFields(obj, "request", path, line))

    @classmethod
    def _parse(cls, f: LineFields) -> HttpRequest:
        return cls(
            method=f.text("method"),
            path=f.text("path"),
            query=f.text("query"),
            headers=f.pairs("headers"),
        )


@dataclass(frozen=True, slots=True, kw_only=True)
class EntryBase:
    """Fields every entry after the header has."""

    kind: ClassVar[str] = ""
    seq: int
    conn: str
    t: float

    def _common(self) -> JsonObject:
        # Microseconds: enough for ordering and gaps, and keeps lines short.
        return {"kind": self.kind, "seq": self.seq, "conn": self.conn, "t": round(self.t, 6)}

    @staticmethod
    def _parse_common(f: LineFields) -> dict[str, Any]:
        seq = f.integer("seq", minimum=1)
        conn = f.text("conn")
        if not conn:
            f.bad("conn", "a non-empty connection label")
        return {"seq": seq, "conn": conn, "t": f.seconds("t")}


@dataclass(frozen=True, slots=True, kw_only=True)
class OpenEvent(EntryBase):
    """A new connection (Engine.IO or 0.9 session) was opened.

    ``handshake`` is the 0.9 handshake response body
    (``sid:heartbeat:close:transports``, docs/protocol.md#a2), which carries no
    packet; Engine.IO's open packet is recorded as a packet instead.
    """

    kind: ClassVar[str] = "open"
    generation: Generation
    transport: TransportName
    sid: str | None
    request: HttpRequest
    handshake: str | None = None

    def to_json(self) -> JsonObject:
        obj = self._common() | {
            "generation": self.generation.value,
            "transport": self.transport.value,
            "sid": self.sid,
            "request": self.request.to_json(),
        }
        if self.handshake is not None:
            obj["handshake"] = self.handshake
        return obj

    @classmethod
    def _parse(cls, f: LineFields) -> OpenEvent:
        return cls(
            **cls._parse_common(f),
            generation=f.choice("generation", Generation),
            transport=f.choice("transport", TransportName),
            sid=f.text("sid", nullable=True),
            request=HttpRequest._parse(f.sub("request")),
            handshake=f.text("handshake", nullable=True) if f.has("handshake") else None,
        )


@dataclass(frozen=True, slots=True, kw_only=True)
class UpgradeEvent(EntryBase):
    """The connection moved to another transport (polling -> websocket)."""

    kind: ClassVar[str] = "upgrade"
    transport: TransportName
    request: HttpRequest

    def to_json(self) -> JsonObject:
        return self._common() | {
            "transport": self.transport.value,
            "request": self.request.to_json(),
        }

    @classmethod
    def _parse(cls, f: LineFields) -> UpgradeEvent:
        return cls(
            **cls._parse_common(f),
            transport=f.choice("transport", TransportName),
            request=HttpRequest._parse(f.sub("request")),
        )


@dataclass(frozen=True, slots=True, kw_only=True)
class CloseEvent(EntryBase):
    """The connection ended; ``by`` is the direction of whoever closed it, if known."""

    kind: ClassVar[str] = "close"
    reason: str
    by: Direction | None = None

    def to_json(self) -> JsonObject:
        return self._common() | {
            "reason": self.reason,
            "by": None if self.by is None else self.by.value,
        }

    @classmethod
    def _parse(cls, f: LineFields) -> CloseEvent:
        return cls(
            **cls._parse_common(f),
            reason=f.text("reason"),
            by=f.choice("by", Direction, nullable=True),
        )


def _raw_to_json(raw: str | bytes, attachments: Sequence[bytes]) -> JsonObject:
    obj: JsonObject = (
        {"raw": raw} if isinstance(raw, str) else {"raw_b64": base64.b64encode(raw).decode()}
    )
    if attachments:
        obj["attachments_b64"] = [base64.b64encode(a).decode() for a in attachments]
    return obj


def _parse_raw(f: LineFields) -> tuple[str | bytes, tuple[bytes, ...]]:
    if f.has("raw") == f.has("raw_b64"):
        f.fail('needs exactly one of "raw" and "raw_b64"')
    raw: str | bytes = f.text("raw") if f.has("raw") else f.b64("raw_b64")
    return raw, f.b64_list("attachments_b64") if f.has("attachments_b64") else ()


@dataclass(frozen=True, slots=True, kw_only=True)
class OriginalFrame:
    """What the peer really sent, kept when a rule or hook rewrote the frame."""

    raw: str | bytes
    attachments: tuple[bytes, ...] = ()
    packet: Mapping[str, Any] | None = None

    def to_json(self) -> JsonObject:
        obj = _raw_to_json(self.raw, self.attachments)
        if self.packet is not None:
            obj["packet"] = dict(self.packet)
        return obj

    @classmethod
    def _parse(cls, f: LineFields) -> OriginalFrame:
        raw, attachments = _parse_raw(f)
        packet = f.mapping("packet") if f.has("packet") else None
        return cls(raw=raw, attachments=attachments, packet=packet)


@dataclass(frozen=True, slots=True, kw_only=True)
class PacketEntry(EntryBase):
    """One frame (text or binary, with its attachment frames) in one direction.

    ``raw`` is text for a text frame and bytes for a binary one. Exactly one of
    ``packet`` (the decoded dict form) and ``error`` (why it did not decode) is set.
    """

    kind: ClassVar[str] = "packet"
    dir: Direction
    transport: TransportName
    raw: str | bytes
    attachments: tuple[bytes, ...] = ()
    packet: Mapping[str, Any] | None = None
    error: str | None = None
    ack_of: int | None = None
    fate: Fate | None = None
    rule: str | None = None
    delay: float | None = None
    original: OriginalFrame | None = None
    note: str | None = None

    def __post_init__(self) -> None:
        if (self.packet is None) == (self.error is None):
            raise ValueError("PacketEntry needs exactly one of packet and error")

    def to_json(self) -> JsonObject:
        obj = self._common() | {"dir": self.dir.value, "transport": self.transport.value}
        obj |= _raw_to_json(self.raw, self.attachments)
        if self.packet is not None:
            obj["packet"] = dict(self.packet)
        else:
            obj["error"] = self.error
        if self.ack_of is not None:
            obj["ack_of"] = self.ack_of
        if self.fate is not None:
            obj["fate"] = self.fate.value
        if self.rule is not None:
            obj["rule"] = self.rule
        if self.delay is not None:
            obj["delay"] = round(self.delay, 6)
        if self.original is not None:
            obj["original"] = self.original.to_json()
        if self.note is not None:
            obj["note"] = self.note
        return obj

    @classmethod
    def _parse(cls, f: LineFields) -> PacketEntry:
        common = cls._parse_common(f)
        raw, attachments = _parse_raw(f)
        if f.has("packet") == f.has("error"):
            f.fail('needs exactly one of "packet" and "error"')
        ack_of = f.integer("ack_of", minimum=1) if f.has("ack_of") else None
        if ack_of is not None and ack_of >= common["seq"]:
            f.fail(f'"ack_of" must point at an earlier seq, got {ack_of}')
        return cls(
            **common,
            dir=f.choice("dir", Direction),
            transport=f.choice("transport", TransportName),
            raw=raw,
            attachments=attachments,
            packet=f.mapping("packet") if f.has("packet") else None,
            error=f.text("error") if f.has("error") else None,
            ack_of=ack_of,
            fate=f.choice("fate", Fate) if f.has("fate") else None,
            rule=f.text("rule") if f.has("rule") else None,
            delay=f.seconds("delay") if f.has("delay") else None,
            original=OriginalFrame._parse(f.sub("original")) if f.has("original") else None,
            note=f.text("note") if f.has("note") else None,
        )


Entry = OpenEvent | UpgradeEvent | CloseEvent | PacketEntry

# The keys of nearly every packet line: a plain packet, and an ack of one.
_PLAIN_KEYS = frozenset({"kind", "seq", "conn", "t", "dir", "transport", "raw", "packet"})
_PLAIN_ACK_KEYS = _PLAIN_KEYS | {"ack_of"}
_DIRECTIONS = members_by_value(Direction)
_TRANSPORTS = members_by_value(TransportName)
_INFINITY = float("inf")


def _plain_packet(obj: dict[str, Any]) -> PacketEntry | None:
    """``PacketEntry._parse`` of the common line, with its checks inline; None for
    any other line or any value that fails a check (the checked path then says
    why). Reading a recording is mostly this: a replay reads every line first."""
    keys = obj.keys()
    if keys != _PLAIN_KEYS and keys != _PLAIN_ACK_KEYS:
        return None
    seq, conn, t, raw, packet = obj["seq"], obj["conn"], obj["t"], obj["raw"], obj["packet"]
    kind_t = type(t)
    if (
        type(seq) is not int
        or seq < 1
        or type(conn) is not str
        or not conn
        or (kind_t is not float and kind_t is not int)
        or not 0 <= t < _INFINITY  # NaN fails too
        or type(raw) is not str
        or type(packet) is not dict
    ):
        return None
    direction = _DIRECTIONS.get(obj["dir"]) if type(obj["dir"]) is str else None
    transport = _TRANSPORTS.get(obj["transport"]) if type(obj["transport"]) is str else None
    ack_of = obj.get("ack_of")
    if direction is None or transport is None:
        return None
    if ack_of is not None and (type(ack_of) is not int or not 1 <= ack_of < seq):
        return None
    return PacketEntry(
        seq=seq,
        conn=conn,
        t=float(t),
        dir=direction,
        transport=transport,
        raw=raw,
        packet=packet,
        ack_of=ack_of,
    )


_KINDS: dict[str, type[Entry]] = {
    cls.kind: cls for cls in (OpenEvent, UpgradeEvent, CloseEvent, PacketEntry)
}


def entry_from_json(obj: Any, *, path: str, line: int | None) -> Entry:
    """Parse the JSON object of one line after the header."""
    if type(obj) is dict and obj.get("kind") == "packet":
        plain = _plain_packet(obj)
        if plain is not None:
            return plain
    if not isinstance(obj, dict):
        raise RecordingError(path, line, f"expected a JSON object, got {show_value(obj)}")
    kind = obj.get("kind")
    if kind == "header":
        raise RecordingError(path, line, "a second header: the header must be the first line only")
    cls = _KINDS.get(kind) if isinstance(kind, str) else None
    if cls is None:
        raise RecordingError(path, line, f"unknown entry kind {show_value(kind)}")
    return cls._parse(LineFields(obj, f"{kind} entry", path, line))


@dataclass(frozen=True, slots=True, kw_only=True)
class Session:
    """A later session of a file (``record --append``): its header line.

    ``after_seq`` is the seq of the last entry before the header (0: none), so
    the session's entries are those with a greater seq, up to the next session.
    """

    header: Header
    line: int | None = None
    after_seq: int = 0


@dataclass(frozen=True, slots=True, kw_only=True)
class Recording:
    """A whole recording: the header and its entries in ``seq`` order.

    ``header`` is the first session's; ``sessions`` the later ones, in file order.
    """

    header: Header
    entries: tuple[Entry, ...] = ()
    path: str | None = None
    torn_tail: str | None = None
    sessions: tuple[Session, ...] = ()
    _conn_index: dict[str, list[Entry]] | None = field(
        default=None, init=False, repr=False, compare=False
    )

    def headers(self) -> list[Header]:
        """Every session's header, the first one first."""
        return [self.header, *(s.header for s in self.sessions)]

    def __post_init__(self) -> None:
        seqs = [e.seq for e in self.entries]
        if any(a >= b for a, b in itertools.pairwise(seqs)):
            raise ValueError("Recording entries must be in increasing seq order")

    def connections(self) -> list[str]:
        """Connection labels in the order they were opened."""
        return [e.conn for e in self.entries if isinstance(e, OpenEvent)]

    def entries_for(self, conn: str) -> list[Entry]:
        return list(self._by_conn().get(conn, ()))

    def packets(
        self, conn: str | None = None, dir: Direction | str | None = None
    ) -> list[PacketEntry]:
        """Packet entries, optionally of one connection and/or one direction."""
        pool = self.entries if conn is None else self._by_conn().get(conn, ())
        return [e for e in pool if isinstance(e, PacketEntry) and (dir is None or e.dir == dir)]

    def _by_conn(self) -> dict[str, list[Entry]]:
        """Each connection's entries, in order, indexed once: a replay asks for
        every connection's, and a scan per connection made that quadratic."""
        index = self._conn_index
        if index is None:
            index = {}
            for entry in self.entries:
                index.setdefault(entry.conn, []).append(entry)
            object.__setattr__(self, "_conn_index", index)  # frozen: set once, lazily
        return index

    def find_seq(self, seq: int) -> Entry | None:
        """The entry with this sequence number, or None (seqs may have gaps)."""
        index = bisect.bisect_left(self.entries, seq, key=lambda e: e.seq)
        if index < len(self.entries) and self.entries[index].seq == seq:
            return self.entries[index]
        return None
