"""One readable line per packet (or one JSON object), for the live log.

Layer: pure. Text lines look like::

    10:51:07.123 c1 -> websocket /chat event "echo" id=12 ["héllo",42]

Heartbeats, pings and noops are hidden unless verbose. Undecodable frames are
always shown with their raw text.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from typing import Any

from sioproxy.session.events import (
    ConnectionClosed,
    ConnectionOpened,
    ConnectionUpgraded,
    PacketSeen,
    SessionEvent,
)

ARGS_LIMIT = 120


def _compact(value: Any, limit: int = ARGS_LIMIT) -> str:
    try:
        text = json.dumps(value, ensure_ascii=False, separators=(",", ":"), default=_bytes_repr)
    except (TypeError, ValueError):
        text = repr(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _bytes_repr(value: Any) -> str:
    if isinstance(value, bytes):
        return f"<{len(value)} bytes>"
    raise TypeError(type(value).__name__)


def _clock_text(wall: float) -> str:
    return time.strftime("%H:%M:%S", time.localtime(wall)) + f".{int(wall % 1 * 1000):03d}"


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

    def event(self, event: SessionEvent) -> None:
        if isinstance(event, PacketSeen):
            if event.is_heartbeat and not self._verbose:
                return
            self._emit(self._packet_json(event) if self._json else self._packet_text(event))
        else:
            self._emit(self._lifecycle_json(event) if self._json else self._lifecycle_text(event))

    def note(self, text: str) -> None:
        """A free-form line (warnings, summaries), in the chosen format."""
        if self._json:
            self._emit(json.dumps({"time": self._wall(), "note": text}, ensure_ascii=False))
        else:
            self._emit(f"{_clock_text(self._wall())} {text}")

    def _packet_text(self, event: PacketSeen) -> str:
        parts = [_clock_text(self._wall()), event.conn, event.direction.arrow, event.transport]
        if event.error is not None:
            raw = event.raw if isinstance(event.raw, str) else event.raw.hex()
            # Only the start is shown: no need to escape a whole 1 MB body for it.
            parts += ["DECODE ERROR", event.error, "raw=" + _compact(raw[: 4 * ARGS_LIMIT])]
            return " ".join(parts)
        nsp = event.namespace
        if nsp is not None:
            parts.append(nsp or "''")
        parts.append(event.type_name)
        if event.event_name is not None:
            parts.append(json.dumps(event.event_name, ensure_ascii=False))
        if event.ack_id is not None:
            parts.append(f"id={event.ack_id}")
        if event.ack_of is not None:
            parts.append(f"(answers #{event.ack_of})")
        args = None if event.type_name == "connect" else event.args  # auth/query may hold secrets
        if args not in (None, "", []):
            parts.append(_compact(args))
        if event.attachments:
            parts.append(f"+{len(event.attachments)} attachment(s)")
        return " ".join(parts)

    def _packet_json(self, event: PacketSeen) -> str:
        obj: dict[str, Any] = {
            "time": self._wall(),
            "seq": event.seq,
            "conn": event.conn,
            "dir": event.direction.value,
            "transport": event.transport,
        }
        if event.error is not None:
            obj["error"] = event.error
            obj["raw"] = event.raw if isinstance(event.raw, str) else event.raw.hex()
        else:
            obj.update(
                nsp=event.namespace,
                type=event.type_name,
                event=event.event_name,
                id=event.ack_id,
                ack_of=event.ack_of,
                args=None if event.type_name == "connect" else _jsonable(event.args),
                attachments=len(event.attachments),
            )
        return json.dumps(obj, ensure_ascii=False)

    def _lifecycle_text(self, event: SessionEvent) -> str:
        stamp = _clock_text(self._wall())
        if isinstance(event, ConnectionOpened):
            sid = f" sid={event.sid}" if event.sid else ""
            return f"{stamp} {event.conn} open {event.generation.value} {event.transport}{sid}"
        if isinstance(event, ConnectionUpgraded):
            return f"{stamp} {event.conn} upgrade to {event.transport}"
        assert isinstance(event, ConnectionClosed)
        by = (
            f" by {'client' if event.by and event.by.value == 'c2s' else 'server'}"
            if event.by
            else ""
        )
        return f"{stamp} {event.conn} close{by}: {event.reason}"

    def _lifecycle_json(self, event: SessionEvent) -> str:
        obj: dict[str, Any] = {"time": self._wall(), "seq": event.seq, "conn": event.conn}
        if isinstance(event, ConnectionOpened):
            obj.update(
                event="open",
                generation=event.generation.value,
                transport=event.transport,
                sid=event.sid,
            )
        elif isinstance(event, ConnectionUpgraded):
            obj.update(event="upgrade", transport=event.transport)
        elif isinstance(event, ConnectionClosed):
            obj.update(event="close", reason=event.reason, by=event.by.value if event.by else None)
        return json.dumps(obj, ensure_ascii=False)


def _jsonable(value: Any) -> Any:
    """Bytes inside args become a short marker; everything else is JSON already."""
    if isinstance(value, bytes):
        return f"<{len(value)} bytes>"
    if isinstance(value, list):
        return [_jsonable(v) for v in value]
    if isinstance(value, dict):
        return {k: _jsonable(v) for k, v in value.items()}
    return value
