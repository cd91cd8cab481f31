"""One readable line per packet (or one JSON object), for the proxy and replay logs.

Layer: pure. Text lines look like::

    10:51:07.123 c1 -> websocket /chat event "echo" id=12 ["héllo",42]

Heartbeats, pings and noops are hidden unless verbose. Undecodable frames are
always shown with their raw text. A plain packet's line (nearly every one) is
made by ``sioproxy.ops.logplain.PlainLines`` (``plain_text``), the same text as
``_general_text`` in fewer steps. ``sioproxy replay`` logs through the same
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
from typing import Any

from sioproxy.ops.logplain import (
    ARGS_LIMIT,
    HEADS_KEPT,
    PlainLines,
    bytes_repr,
    clock_text,
    compact,
    head_text,
)
from sioproxy.session.events import (
    ConnectionOpened,
    ConnectionUpgraded,
    PacketSeen,
    SessionEvent,
)
from sioproxy.textsafe import escape_controls

LOG_FORMATS = ("text", "json")

# One encoder for every JSON line (``json.dumps`` with options builds one per call).
_ENCODER = json.JSONEncoder(ensure_ascii=False, default=bytes_repr)


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
        #: The hot path's line maker (``plain_text``), with its own heads.
        self.plain_lines = PlainLines()

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
            self._out(f"{clock_text(self._wall())} {who}{text}")

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
            self._out(f"{clock_text(self._wall())} {line}" if n == 0 else line)

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
        text = f"{clock_text(self._wall())} {conn} open {generation} {transport}"
        text += f" sid={sid}" if sid else ""
        text += f" (replaying recorded {replaying})" if replaying is not None else ""
        self._out(text)

    def upgraded(self, conn: str, *, transport: str, seq: int | None = None) -> None:
        if self._json:
            self._obj("upgrade", seq=seq, conn=conn, transport=transport)
        else:
            self._out(f"{clock_text(self._wall())} {conn} upgrade to {transport}")

    def closed(
        self, conn: str, *, reason: str | None, by: str | None, seq: int | None = None
    ) -> None:
        if self._json:
            self._obj("close", seq=seq, conn=conn, reason=reason or None, by=by)
            return
        who = {"c2s": " by client", "s2c": " by server"}.get(by or "", "")
        why = f": {reason}" if reason else ""
        self._out(f"{clock_text(self._wall())} {conn} close{who}{why}")

    def _packet_text(self, event: PacketSeen) -> str:
        wall = self._wall()
        line = self.plain_text(event, wall)
        return self._general_text(event, wall) if line is None else line

    def plain_text(self, event: PacketSeen, wall: float) -> str | None:
        """The text line of a plain packet (nearly all), not escaped yet: the log's hot
        path (``plain_lines``; compared with ``_general_text`` by
        tests/cli/test_logsink_lines.py). None for anything else."""
        return self.plain_lines.line(event, wall)

    def _general_text(self, event: PacketSeen, wall: float) -> str:
        parts = [clock_text(wall), event.conn, event.direction.arrow, event.transport]
        if event.error is not None:
            raw = event.raw if isinstance(event.raw, str) else event.raw.hex()
            # Only the start is shown: no need to escape a whole 1 MB body for it.
            parts += [
                "DECODE ERROR",
                event.error,
                "raw=" + compact(raw[: 4 * ARGS_LIMIT]),
            ]
            return " ".join(parts)
        kind = event.type_name
        key = (
            event.conn,
            event.direction,
            event.transport,
            event.namespace,
            kind,
            event.event_name,
        )
        head = self._heads.get(key)
        if head is None:
            head = self._head(key, kind)
        parts = [parts[0], head]
        ack_id = event.ack_id
        if ack_id is not None:
            parts.append(f"id={ack_id}")
        if event.ack_of is not None:
            parts.append(f"(answers #{event.ack_of})")
        args = _shown_args(event, kind)
        if args not in (None, "", []):
            parts.append(compact(args))
        if event.attachments:
            parts.append(f"+{len(event.attachments)} attachment(s)")
        return " ".join(parts)

    def _head(self, key: tuple[Any, ...], kind: str) -> str:
        """ "c1 -> websocket /chat event "say"": the same for many lines, so kept."""
        if len(self._heads) >= HEADS_KEPT:
            self._heads.clear()
        head = self._heads[key] = head_text(key, kind)
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
