"""One readable line per packet (or one JSON object), for the proxy and replay logs.

Layer: pure. Text lines look like::

    10:51:07.123 c1 -> websocket /chat event "echo" id=12 ["héllo",42]

Heartbeats, pings and noops are hidden unless verbose. Undecodable frames are
always shown with their raw text. ``sioproxy replay`` logs through the same
``PacketLog`` (``packet_line``, ``opened``, ``closed``, ``block``), so both
programs print the same fields in the same order.

Every line goes through ``sioproxy.textsafe.escape_controls`` at ``_out``:
namespaces, event names, close reasons and paths come from peers, and a
control character in them must not forge a line or drive the terminal.

``--log-format json``: one object per line, the schema of docs/logging.md.
Every object has ``time`` and ``kind`` (``packet``, ``open``, ``upgrade``,
``close``, ``note``, ``miss``, ``summary``); a packet's event name is
``event`` and its ``args`` is always a list.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterable
from json.encoder import encode_basestring
from typing import Any

from sioproxy.codec.engineio import EioType
from sioproxy.codec.legacy import LegacyType
from sioproxy.codec.socketio import SioType
from sioproxy.recording.live_recorder import encoded_data, encoded_legacy
from sioproxy.session.events import (
    ConnectionOpened,
    ConnectionUpgraded,
    PacketSeen,
    SessionEvent,
)
from sioproxy.textsafe import escape_controls, shorten

ARGS_LIMIT = 120
#: Line heads (connection, direction, transport, namespace, type, event) kept at once.
HEADS_KEPT = 4096
LOG_FORMATS = ("text", "json")


def _compact(value: Any, limit: int = ARGS_LIMIT) -> str:
    """``textsafe.preview`` with one C encoder built once (the log's hot path)."""
    try:
        text = _COMPACT.encode(value)
    except (TypeError, ValueError, RecursionError):
        text = repr(value)
    return shorten(text, limit)


def _bytes_repr(value: Any) -> str:
    if isinstance(value, bytes):
        return f"<{len(value)} bytes>"
    raise TypeError(type(value).__name__)


class _CompactJson:
    """``json.dumps(value, ensure_ascii=False, separators=(",", ":"), default=_bytes_repr)``.

    ``json.dumps`` with options builds an encoder per call, which costs more than
    encoding a packet's few arguments; this one builds the C encoder once. Its
    circular-reference table is emptied by every encoding that succeeds; after a
    failure (which may leave entries behind) a fresh encoder is built.
    """

    def __init__(self) -> None:
        self._py = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"), default=_bytes_repr)
        self._make: Any = getattr(json.encoder, "c_make_encoder", None)
        self._c: Any = None
        self._reset()

    def _reset(self) -> None:
        if self._make is not None:
            self._c = self._make(
                {}, _bytes_repr, encode_basestring, None, ":", ",", False, False, True
            )

    def encode(self, value: Any) -> str:
        if self._c is None:
            return self._py.encode(value)
        try:
            return "".join(self._c(value, 0))
        except BaseException:
            self._reset()
            raise


_COMPACT = _CompactJson()


# One encoder for every JSON line (``json.dumps`` with options builds one per call).
_ENCODER = json.JSONEncoder(ensure_ascii=False, default=_bytes_repr)


def _clock_text(wall: float) -> str:
    # The HH:MM:SS part changes once a second: kept, not formatted per line.
    second = int(wall)
    if second != _last_second[0]:
        _last_second[:] = [second, time.strftime("%H:%M:%S", time.localtime(wall))]
    prefix: str = _last_second[1]
    return prefix + _MILLIS[int(wall % 1 * 1000)]


_last_second: list[Any] = [None, ""]
# ".000" to ".999" (and ".1000", which float rounding could give), made once.
_MILLIS = [f".{ms:03d}" for ms in range(1001)]

# Read once: enum lookups cost more than the rest of a plain line's checks.
_MESSAGE = EioType.MESSAGE
_CONNECT = SioType.CONNECT
_REQUESTS = frozenset((SioType.EVENT, SioType.BINARY_EVENT))
_KINDS = {ptype: ptype.name.lower() for ptype in SioType}
_L_EVENT = LegacyType.EVENT
_L_KINDS = {ptype: ptype.name.lower() for ptype in LegacyType}
# Args a line leaves out (``_general_text``: None, "" and []), as JSON text.
_NOT_SHOWN = frozenset(("[]", "null", '""'))


def args_list(value: Any) -> list[Any]:
    """A packet's args as the JSON log shows them: always a list (``[]`` for none)."""
    if value is None:
        return []
    return [_jsonable(v) for v in value] if isinstance(value, list) else [_jsonable(value)]


class PacketLog:
    """Formats session events and hands each line to ``emit``."""

    def __init__(
        self,
        emit: Callable[[str], None],
        *,
        json_lines: bool = False,
        verbose: bool = False,
        wall_clock: Callable[[], float] = time.time,
    ) -> None:
        self._emit = emit
        self._json = json_lines
        self._verbose = verbose
        self._wall = wall_clock
        self._heads: dict[tuple[Any, ...], str] = {}

    @property
    def json_lines(self) -> bool:
        return self._json

    @property
    def verbose(self) -> bool:
        """Heartbeats are logged (``--verbose``)."""
        return self._verbose

    def _out(self, line: str) -> None:
        self._emit(escape_controls(line))

    def _obj(self, kind: str, **fields: Any) -> None:
        obj: dict[str, Any] = {"time": self._wall(), "kind": kind}
        obj.update(fields)
        self._out(_ENCODER.encode(obj))

    def event(self, event: SessionEvent) -> None:
        if isinstance(event, PacketSeen):
            self.packet_line(event)
        elif isinstance(event, ConnectionOpened):
            self.opened(
                event.conn,
                generation=event.generation.value,
                transport=event.transport,
                sid=event.sid,
                seq=event.seq,
            )
        elif isinstance(event, ConnectionUpgraded):
            self.upgraded(event.conn, transport=event.transport, seq=event.seq)
        else:
            by = event.by.value if event.by else None
            self.closed(event.conn, reason=event.reason, by=by, seq=event.seq)

    def packet_line(self, event: PacketSeen, *, replayed: bool = False) -> None:
        """One packet; a ``replayed`` one has no recording seq (JSON ``seq`` is null)."""
        if event.is_heartbeat and not self._verbose:
            return
        if self._json:
            self._packet_json(event, None if replayed else event.seq)
        else:
            self._out(self._packet_text(event))

    def note(self, text: str, *, conn: str | None = None, level: str = "info") -> None:
        """A free-form line (warnings, summaries), in the chosen format."""
        if self._json:
            self._obj("note", level=level, conn=conn, text=text)
        else:
            who = f"{conn} " if conn else ""
            self._out(f"{_clock_text(self._wall())} {who}{text}")

    def announce(self, text: str) -> None:
        """A line scripts look for (``sioproxy admin on URL``): as it is in text, a note in JSON."""
        if self._json:
            self._obj("note", level="info", conn=None, text=text)
        else:
            self._out(text)

    def block(self, kind: str, lines: Iterable[str], obj: dict[str, Any]) -> None:
        """A report of several lines (text) or one object of ``kind`` (JSON).

        Each line is escaped on its own: a line break inside a field never
        starts a new line.
        """
        if self._json:
            self._obj(kind, **obj)
            return
        for n, line in enumerate(lines):
            self._out(f"{_clock_text(self._wall())} {line}" if n == 0 else line)

    def opened(
        self,
        conn: str,
        *,
        generation: str,
        transport: str,
        sid: str | None,
        seq: int | None = None,
        replaying: str | None = None,
    ) -> None:
        if self._json:
            fields: dict[str, Any] = {"seq": seq, "conn": conn, "generation": generation}
            fields.update(transport=transport, sid=sid)
            if replaying is not None:
                fields["replaying"] = replaying
            self._obj("open", **fields)
            return
        text = f"{_clock_text(self._wall())} {conn} open {generation} {transport}"
        text += f" sid={sid}" if sid else ""
        text += f" (replaying recorded {replaying})" if replaying is not None else ""
        self._out(text)

    def upgraded(self, conn: str, *, transport: str, seq: int | None = None) -> None:
        if self._json:
            self._obj("upgrade", seq=seq, conn=conn, transport=transport)
        else:
            self._out(f"{_clock_text(self._wall())} {conn} upgrade to {transport}")

    def closed(
        self, conn: str, *, reason: str | None, by: str | None, seq: int | None = None
    ) -> None:
        if self._json:
            self._obj("close", seq=seq, conn=conn, reason=reason or None, by=by)
            return
        who = {"c2s": " by client", "s2c": " by server"}.get(by or "", "")
        why = f": {reason}" if reason else ""
        self._out(f"{_clock_text(self._wall())} {conn} close{who}{why}")

    def _packet_text(self, event: PacketSeen) -> str:
        wall = self._wall()
        line = self.plain_text(event, wall)
        return self._general_text(event, wall) if line is None else line

    def plain_text(self, event: PacketSeen, wall: float) -> str | None:
        """The text line of a plain Socket.IO packet (nearly all), not escaped yet: the
        log's hot path, ``_general_text`` without its property calls (compared by
        tests/cli/test_logsink_lines.py). None for anything else (a heartbeat,
        Engine.IO only, attachments, a decode error, a 0.9 packet other than an
        event or ack the recorder has just written)."""
        if event.legacy is not None:
            return self._plain_legacy(event, wall)
        sio = event.sio
        if (
            sio is None
            or event.legacy is not None
            or event.error is not None
            or event.attachments
            or sio.attachments
            or event.eio is None
            or event.eio.type is not _MESSAGE
        ):
            return None
        ptype, data, nsp = sio.type, sio.data, sio.nsp
        name: str | None = None
        args: Any
        if ptype in _REQUESTS and type(data) is list:
            if data and isinstance(data[0], str):
                name = data[0]
            args = data[1:]
        else:
            args = None if ptype is _CONNECT else data
        key = (event.conn, event.direction, event.transport, nsp, _KINDS[ptype])
        head = self._heads.get((key, name))
        if head is None:
            head = self._head(key, name)
        line = f"{_clock_text(wall)} {head}"
        if sio.id is not None:
            line += f" id={sio.id}"
        if event.ack_of is not None:
            line += f" (answers #{event.ack_of})"
        if args not in (None, "", []):
            text = encoded_data(data)  # the recorder's text of the same data, if any
            if text is not None and args is data:
                line += " " + shorten(text, ARGS_LIMIT)
            elif text is not None and name is not None:  # '["name",...]': what follows it
                line += " [" + shorten(text[len(encode_basestring(name)) + 2 :], ARGS_LIMIT - 1)
            else:
                line += " " + _compact(args)
        return line

    def _plain_legacy(self, event: PacketSeen, wall: float) -> str | None:
        """``plain_text`` of a 0.9 event or ack, from what the recorder made of it
        a moment before (``encoded_legacy``): no second JSON parse and encoding."""
        packet = event.legacy
        if packet is None or event.error is not None:
            return None
        known = encoded_legacy(packet)
        if known is None:
            return None
        shown, args_text = known
        if packet.type is _L_EVENT:
            name = shown if isinstance(shown, str) else None
            ack_id = packet.id
        else:
            name, ack_id = None, shown
        key = (event.conn, event.direction, event.transport, packet.endpoint, _L_KINDS[packet.type])
        head = self._heads.get((key, name))
        if head is None:
            head = self._head(key, name)
        line = f"{_clock_text(wall)} {head}"
        if ack_id is not None:
            line += f" id={ack_id}"
        if event.ack_of is not None:
            line += f" (answers #{event.ack_of})"
        if args_text not in _NOT_SHOWN:
            line += " " + shorten(args_text, ARGS_LIMIT)
        return line

    def _general_text(self, event: PacketSeen, wall: float) -> str:
        parts = [_clock_text(wall), event.conn, event.direction.arrow, event.transport]
        if event.error is not None:
            raw = event.raw if isinstance(event.raw, str) else event.raw.hex()
            # Only the start is shown: no need to escape a whole 1 MB body for it.
            parts += [
                "DECODE ERROR",
                event.error,
                "raw=" + _compact(raw[: 4 * ARGS_LIMIT]),
            ]
            return " ".join(parts)
        kind = event.type_name
        key = (event.conn, event.direction, event.transport, event.namespace, kind)
        name = event.event_name
        head = self._heads.get((key, name))
        if head is None:
            head = self._head(key, name)
        parts = [parts[0], head]
        ack_id = event.ack_id
        if ack_id is not None:
            parts.append(f"id={ack_id}")
        if event.ack_of is not None:
            parts.append(f"(answers #{event.ack_of})")
        args = _shown_args(event, kind)
        if args not in (None, "", []):
            parts.append(_compact(args))
        if event.attachments:
            parts.append(f"+{len(event.attachments)} attachment(s)")
        return " ".join(parts)

    def _head(self, key: tuple[Any, ...], name: str | None) -> str:
        """ "c1 -> websocket /chat event "say"": the same for many lines, so kept."""
        conn, direction, transport, nsp, kind = key
        parts = [conn, direction.arrow, transport]
        if nsp is not None:
            parts.append(nsp or "''")
        parts.append(kind)
        if name is not None:
            parts.append(encode_basestring(name))  # = json.dumps(name, ensure_ascii=False)
        if len(self._heads) >= HEADS_KEPT:
            self._heads.clear()
        head = self._heads[(key, name)] = " ".join(parts)
        return head

    def _packet_json(self, event: PacketSeen, seq: int | None) -> None:
        fields: dict[str, Any] = {
            "time": self._wall(),
            "kind": "packet",
            "seq": seq,
            "conn": event.conn,
            "dir": event.direction.value,
            "transport": event.transport,
            "nsp": None,
            "type": event.type_name,
            "event": None,
            "id": None,
            "ack_of": event.ack_of,
            "args": [],
            "attachments": len(event.attachments),
        }
        if event.error is not None:
            fields["error"] = event.error
            fields["raw"] = event.raw if isinstance(event.raw, str) else event.raw.hex()
        else:
            fields.update(
                nsp=event.namespace,
                event=event.event_name,
                id=event.ack_id,
                args=args_list(_shown_args(event)),
            )
        self._out(_ENCODER.encode(fields))


def _shown_args(event: PacketSeen, kind: str | None = None) -> Any:
    """The args a line shows: none for a CONNECT (auth and query may hold secrets), and
    the Engine.IO handshake as the JSON it is, not as a string of escaped JSON."""
    if kind is None:
        kind = event.type_name
    if kind == "connect":
        return None
    args = event.args
    if kind == "open" and event.sio is None and event.legacy is None and isinstance(args, str):
        try:
            return json.loads(args)
        except ValueError:
            return args
    return args


def _jsonable(value: Any) -> Any:
    """Bytes inside args become a short marker; everything else is JSON already."""
    if isinstance(value, bytes):
        return f"<{len(value)} bytes>"
    if isinstance(value, list):
        return [_jsonable(v) for v in value]
    if isinstance(value, dict):
        return {k: _jsonable(v) for k, v in value.items()}
    return value
