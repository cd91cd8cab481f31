"""Recording model: the header, the connection events and the packet entries.

Layer: pure (recording). Imports only the standard library, ``sioproxy.errors``
and ``sioproxy.types``; never twisted. Each entry converts to the JSON object
of one line of a format-version-1 recording (``to_json``) and back
(``from_json``), which validates every key and names the file and line in a
``RecordingError``. docs/recording-format.md is the user-facing description.

Keys absent from this model are ignored when reading: a minor addition to the
format (a new optional key) must not break an older reader.
"""

from __future__ import annotations

import base64
import binascii
import bisect
import dataclasses
import datetime as dt
import itertools
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any, ClassVar, NoReturn, TypeVar

from sioproxy import __version__
from sioproxy.errors import RecordingError
from sioproxy.textsafe import preview
from sioproxy.types import Direction, Fate, Generation, Side, TransportName

FORMAT_NAME = "sioproxy-recording"
FORMAT_VERSION = 1
#: Minor revision written in new headers. 1: a file may hold several sessions
#: (a header line before each, ``record --append``); 0 (no ``minor`` key): one.
FORMAT_MINOR = 1

JsonObject = dict[str, Any]
_E = TypeVar("_E", bound=StrEnum)
_SHOW_LIMIT = 63


def _show(value: Any) -> str:
    """A value as JSON, cut short, for error messages."""
    return preview(value, _SHOW_LIMIT, spaced=True, default=None)


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


class _Fields:
    """Typed access to one JSON object of a recording line; raises RecordingError."""

    __slots__ = ("_line", "_obj", "_path", "_prefix", "_what")

    def __init__(self, obj: Any, what: str, path: str, line: int | None, prefix: str = "") -> None:
        self._what, self._path, self._line, self._prefix = what, path, line, prefix
        if not isinstance(obj, dict):
            self.fail(f"expected a JSON object, got {_show(obj)}")
        self._obj: dict[str, Any] = obj

    def fail(self, reason: str) -> NoReturn:
        raise RecordingError(self._path, self._line, f"{self._what}: {reason}")

    def _name(self, key: str) -> str:
        return f'"{self._prefix}{key}"'

    def has(self, key: str) -> bool:
        """True when ``key`` is present and not null (optional keys)."""
        return self._obj.get(key) is not None

    def get(self, key: str) -> Any:
        if key not in self._obj:
            self.fail(f"missing {self._name(key)}")
        return self._obj[key]

    def bad(self, key: str, wanted: str) -> NoReturn:
        self.fail(f"{self._name(key)} must be {wanted}, got {_show(self._obj.get(key))}")

    def text(self, key: str, *, nullable: bool = False) -> Any:
        value = self.get(key)
        if isinstance(value, str) or (nullable and value is None):
            return value
        self.bad(key, "a string or null" if nullable else "a string")

    def integer(self, key: str, *, minimum: int = 0) -> int:
        value = self.get(key)
        if not _is_int(value) or value < minimum:
            self.bad(key, f"an integer >= {minimum}")
        return int(value)

    def seconds(self, key: str) -> float:
        value = self.get(key)
        if _is_int(value) or isinstance(value, float):
            number = float(value)
            if math.isfinite(number) and number >= 0:
                return number
        self.bad(key, "a number of seconds >= 0")

    def choice(self, key: str, enum: type[_E], *, nullable: bool = False) -> Any:
        value = self.get(key)
        if value is None and nullable:
            return None
        values = [member.value for member in enum]
        if isinstance(value, str) and value in values:
            return enum(value)
        names = [f'"{v}"' for v in values] + (["null"] if nullable else [])
        wanted = " or ".join(names) if len(names) <= 3 else "one of " + ", ".join(names)
        self.bad(key, wanted)

    def mapping(self, key: str) -> dict[str, Any]:
        value = self.get(key)
        if not isinstance(value, dict):
            self.bad(key, "an object")
        return value

    def sub(self, key: str) -> _Fields:
        return _Fields(self.mapping(key), self._what, self._path, self._line, f"{key}.")

    def strings(self, key: str) -> tuple[str, ...]:
        value = self.get(key)
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            self.bad(key, "a list of strings")
        return tuple(value)

    def pairs(self, key: str) -> tuple[tuple[str, str], ...]:
        value = self.get(key)
        ok = isinstance(value, list) and all(
            isinstance(p, list) and len(p) == 2 and all(isinstance(s, str) for s in p)
            for p in value
        )
        if not ok:
            self.bad(key, "a list of [name, value] string pairs")
        return tuple((p[0], p[1]) for p in value)

    def b64(self, key: str) -> bytes:
        value = self.text(key)
        try:
            return base64.b64decode(value, validate=True)
        except (binascii.Error, ValueError):
            self.bad(key, "base64 text")

    def b64_list(self, key: str) -> tuple[bytes, ...]:
        texts = self.strings(key)
        try:
            return tuple(base64.b64decode(t, validate=True) for t in texts)
        except (binascii.Error, ValueError):
            self.bad(key, "a list of base64 texts")


def _no_redactions() -> dict[str, Any]:
    return {"headers": [], "query": [], "auth": False}


def utc_now_iso(now: dt.datetime | None = None) -> str:
    """ISO 8601 UTC with a ``Z`` suffix and milliseconds, as in the header's ``created``."""
    moment = (now or dt.datetime.now(dt.UTC)).astimezone(dt.UTC)
    return moment.isoformat(timespec="milliseconds").replace("+00:00", "Z")


@dataclass(frozen=True, slots=True, kw_only=True)
class Header:
    """First line of a recording."""

    generation: Generation | None
    created: str
    tool: str = f"sioproxy {__version__}"
    upstream: str | None = None
    redactions: Mapping[str, Any] = field(default_factory=_no_redactions)
    meta: Mapping[str, Any] = field(default_factory=dict)
    version: int = FORMAT_VERSION
    minor: int = FORMAT_MINOR

    @classmethod
    def new(
        cls,
        *,
        generation: Generation | None = None,
        upstream: str | None = None,
        redactions: Mapping[str, Any] | None = None,
        meta: Mapping[str, Any] | None = None,
        now: dt.datetime | None = None,
    ) -> Header:
        """A header stamped with the current time and this sioproxy's version."""
        return cls(
            generation=generation,
            created=utc_now_iso(now),
            upstream=upstream,
            redactions=dict(redactions) if redactions is not None else _no_redactions(),
            meta=dict(meta or {}),
        )

    def to_json(self) -> JsonObject:
        obj: JsonObject = {
            "kind": "header",
            "format": FORMAT_NAME,
            "version": self.version,
            "minor": self.minor,
            "generation": None if self.generation is None else self.generation.value,
            "created": self.created,
            "tool": self.tool,
            "upstream": self.upstream,
            "redactions": dict(self.redactions),
        }
        if self.meta:
            obj["meta"] = dict(self.meta)
        return obj

    @classmethod
    def from_json(cls, obj: Any, *, path: str, line: int | None) -> Header:
        f = _Fields(obj, "header", path, line)
        if f.get("kind") != "header":
            f.fail(f'first line must be the header ("kind": "header"), got {_show(f.get("kind"))}')
        if f.get("format") != FORMAT_NAME:
            f.fail(f'"format" must be "{FORMAT_NAME}", got {_show(f.get("format"))}')
        version = f.integer("version", minimum=1)
        if version > FORMAT_VERSION:
            f.fail(
                f"written by a newer sioproxy: format version {version}; "
                f"this sioproxy reads version {FORMAT_VERSION}"
            )
        created = f.text("created")
        try:
            dt.datetime.fromisoformat(created)
        except ValueError:
            f.bad("created", "an ISO 8601 time")
        return cls(
            generation=f.choice("generation", Generation, nullable=True),
            created=created,
            tool=f.text("tool"),
            upstream=f.text("upstream", nullable=True),
            redactions=_parse_redactions(f.sub("redactions")),
            meta=f.mapping("meta") if f.has("meta") else {},
            version=version,
            minor=f.integer("minor") if f.has("minor") else 0,
        )


def _parse_redactions(f: _Fields) -> dict[str, Any]:
    auth = f.get("auth")
    if not isinstance(auth, bool):
        f.bad("auth", "true or false")
    # Policy 2 (docs/recording-format.md "Redaction") adds keys, pointers and
    # more; they are kept as written, for show, HAR export and replay logs.
    extra = {k: v for k, v in f._obj.items() if k not in ("headers", "query", "auth")}
    return {
        **extra,
        "headers": list(f.strings("headers")),
        "query": list(f.strings("query")),
        "auth": auth,
    }


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
        return cls._parse(_Fields(obj, "request", path, line))

    @classmethod
    def _parse(cls, f: _Fields) -> HttpRequest:
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
    def _parse_common(f: _Fields) -> dict[str, Any]:
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
    def _parse(cls, f: _Fields) -> OpenEvent:
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
    def _parse(cls, f: _Fields) -> UpgradeEvent:
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
    def _parse(cls, f: _Fields) -> CloseEvent:
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


def _parse_raw(f: _Fields) -> tuple[str | bytes, tuple[bytes, ...]]:
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
    def _parse(cls, f: _Fields) -> OriginalFrame:
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
    def _parse(cls, f: _Fields) -> PacketEntry:
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


# How recordings written before ``fate`` existed (format 1.0) said it in ``note``.
_NOTE_FATES = (
    ("not forwarded", Fate.DROPPED),
    ("consumed by the proxy", Fate.DROPPED),
    ("injected", Fate.INJECTED),
    ("sent by ", Fate.INJECTED),
    ("namespace ", Fate.INJECTED),  # "namespace /x closed by rule 'r'": a proxy-made disconnect
    ("connection closed by rule", Fate.INJECTED),
    ("delayed ", Fate.DELAYED),
)


def packet_fate(entry: PacketEntry) -> Fate | None:
    """What the proxy did with the packet: the recorded ``fate``, or for an older
    recording the one its ``original`` and ``note`` imply. None: forwarded as received.
    """
    if entry.fate is not None:
        return entry.fate
    if entry.original is not None:
        return Fate.REWRITTEN
    note = entry.note
    if note is not None:
        for prefix, fate in _NOTE_FATES:
            if note.startswith(prefix):
                return fate
    return None


def delivered(entry: PacketEntry) -> bool:
    """Whether the receiver (the other side of ``dir``) got this packet."""
    return packet_fate(entry) is not Fate.DROPPED


def sent_by_peer(entry: PacketEntry) -> bool:
    """Whether the sender (the side ``dir`` starts from) sent this packet."""
    return packet_fate(entry) is not Fate.INJECTED


def as_sent(entry: PacketEntry) -> PacketEntry:
    """The entry as its sender wrote it: a rewritten packet's ``original``, and
    a held-back packet at the time it was sent (``t`` minus ``delay``)."""
    if entry.delay:
        entry = dataclasses.replace(entry, t=max(entry.t - entry.delay, 0.0))
    original = entry.original
    if original is None or packet_fate(entry) is not Fate.REWRITTEN:
        return entry
    packet = original.packet
    return dataclasses.replace(
        entry,
        raw=original.raw,
        attachments=original.attachments,
        packet=packet,
        error=None if packet is not None else "the original frame did not decode",
    )


def as_seen_by(entry: PacketEntry, side: Side) -> tuple[PacketEntry | None, str | None]:
    """The entry as ``side`` saw it: what it sent, or what was delivered to it.

    (None, why) when ``side`` never saw it: a packet the proxy injected, seen
    from its apparent sender, or one it dropped, seen from its receiver.
    """
    fate = packet_fate(entry)
    if fate is None:
        return entry, None
    rule = f" by rule {entry.rule!r}" if entry.rule else ""
    if side.sends(entry.dir):
        if not sent_by_peer(entry):
            return None, f"injected{rule}: the {side.value} never sent it"
        return as_sent(entry), None
    if not delivered(entry):
        return None, f"dropped{rule}: the {side.value} never received it"
    return entry, None


Entry = OpenEvent | UpgradeEvent | CloseEvent | PacketEntry
_KINDS: dict[str, type[Entry]] = {
    cls.kind: cls for cls in (OpenEvent, UpgradeEvent, CloseEvent, PacketEntry)
}


def entry_from_json(obj: Any, *, path: str, line: int | None) -> Entry:
    """Parse the JSON object of one line after the header."""
    if not isinstance(obj, dict):
        raise RecordingError(path, line, f"expected a JSON object, got {_show(obj)}")
    kind = obj.get("kind")
    if kind == "header":
        raise RecordingError(path, line, "a second header: the header must be the first line only")
    cls = _KINDS.get(kind) if isinstance(kind, str) else None
    if cls is None:
        raise RecordingError(path, line, f"unknown entry kind {_show(kind)}")
    return cls._parse(_Fields(obj, f"{kind} entry", path, line))


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
        return [e for e in self.entries if e.conn == conn]

    def packets(
        self, conn: str | None = None, dir: Direction | str | None = None
    ) -> list[PacketEntry]:
        """Packet entries, optionally of one connection and/or one direction."""
        return [
            e
            for e in self.entries
            if isinstance(e, PacketEntry)
            and (conn is None or e.conn == conn)
            and (dir is None or e.dir == dir)
        ]

    def find_seq(self, seq: int) -> Entry | None:
        """The entry with this sequence number, or None (seqs may have gaps)."""
        index = bisect.bisect_left(self.entries, seq, key=lambda e: e.seq)
        if index < len(self.entries) and self.entries[index].seq == seq:
            return self.entries[index]
        return None
