"""HAR 1.2 export of a recording (import: ``sioproxy.inspect.har_import``).

Layer: pure (inspect). Imports the standard library, the codec, the session
layer and ``sioproxy.recording``; never twisted.

Export writes what Chrome's DevTools writes ("Save all as HAR"): a WebSocket is
one entry for its handshake request, ``_resourceType: "websocket"``, response
101, and its frames in ``_webSocketMessages`` as ``{"type": "send" | "receive",
"time": <epoch seconds>, "opcode": 1 | 2, "data": <text or base64>}``. Polling
traffic is rebuilt as one request per run of consecutive packets of one
connection in one direction (a POST for client packets, a GET whose response
carries server packets); the real requests may have been split differently.
Binary attachments follow their header as their own frames (docs/protocol.md#c6).
A recording made through rules is exported as the client saw it: a rewritten
packet it sent as it sent it, a packet dropped on its way to it left out.

Import lives in ``har_import`` and is re-exported here.
"""

from __future__ import annotations

import base64
import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit

from sioproxy import __version__
from sioproxy.codec import engineio, legacy_framing, payload
from sioproxy.codec.engineio import EioPacket, EioType
from sioproxy.inspect.merge import created_epoch
from sioproxy.recording.delivery import as_seen_by
from sioproxy.recording.header import Header, utc_now_iso
from sioproxy.recording.model import (
    CloseEvent,
    Entry,
    HttpRequest,
    OpenEvent,
    PacketEntry,
    Recording,
    UpgradeEvent,
)
from sioproxy.types import Direction, Generation, Side, TransportName

JsonObject = dict[str, Any]
_POLLING_CONTENT = "text/plain; charset=UTF-8"


def _iso(epoch: float) -> str:
    return utc_now_iso(dt.datetime.fromtimestamp(epoch, dt.UTC))


def _pairs(items: Sequence[tuple[str, str]]) -> list[JsonObject]:
    return [{"name": name, "value": value} for name, value in items]


def _har_request(
    method: str, url: str, query: str, headers: Sequence[tuple[str, str]], body: str | None
) -> JsonObject:
    request: JsonObject = {
        "method": method,
        "url": url,
        "httpVersion": "HTTP/1.1",
        "headers": _pairs(headers),
        "queryString": _pairs(parse_qsl(query, keep_blank_values=True)),
        "cookies": [],
        "headersSize": -1,
        "bodySize": 0 if body is None else len(body.encode("utf-8")),
    }
    if body is not None:
        request["postData"] = {"mimeType": "text/plain;charset=UTF-8", "text": body}
    return request


def _har_response(status: int, text: str | None, mime: str) -> JsonObject:
    size = 0 if text is None else len(text.encode("utf-8"))
    content: JsonObject = {"size": size, "mimeType": mime}
    if text is not None:
        content["text"] = text
    reason = {101: "Switching Protocols", 200: "OK"}.get(status, "")
    return {
        "status": status,
        "statusText": reason,
        "httpVersion": "HTTP/1.1",
        "headers": [] if text is None else [{"name": "Content-Type", "value": mime}],
        "cookies": [],
        "content": content,
        "redirectURL": "",
        "headersSize": -1,
        "bodySize": size,
        "_transferSize": size,
        "_error": None,
    }


def _har_entry(
    kind: str, conn: str, started: float, duration: float, request: JsonObject, response: JsonObject
) -> JsonObject:
    ms = round(max(duration, 0.0) * 1000, 3)
    return {
        "_initiator": {"type": "other"},
        "_priority": "High",
        "_resourceType": kind,
        "cache": {},
        "connection": conn,
        "request": request,
        "response": response,
        "serverIPAddress": "",
        "startedDateTime": _iso(started),
        "time": ms,
        "timings": {
            "blocked": -1,
            "dns": -1,
            "ssl": -1,
            "connect": -1,
            "send": 0,
            "wait": ms,
            "receive": 0,
            "_blocked_queueing": -1,
        },
    }


@dataclass(slots=True)
class _Conn:
    open: OpenEvent
    host: str
    sid: str | None
    ws: JsonObject | None = None
    ws_started: float = 0.0
    group: list[PacketEntry] = field(default_factory=list)
    first_get_done: bool = False

    @property
    def eio_version(self) -> int:
        return 3 if self.open.generation is Generation.EIO3 else 4


class _Exporter:
    def __init__(self, header: Header, start: float) -> None:
        self._start = start
        self._secure = (header.upstream or "").startswith("https")
        self._upstream_host = urlsplit(header.upstream or "").netloc or "localhost"
        self._conns: dict[str, _Conn] = {}
        self.entries: list[tuple[float, int, JsonObject]] = []

    def _emit(self, started: float, entry: JsonObject) -> None:
        self.entries.append((started, len(self.entries), entry))

    def _url(self, conn: _Conn, path: str, query: str, *, ws: bool) -> str:
        scheme = ("wss" if self._secure else "ws") if ws else ("https" if self._secure else "http")
        return f"{scheme}://{conn.host}{path}" + (f"?{query}" if query else "")

    def add(self, entry: Entry) -> None:
        if isinstance(entry, OpenEvent):
            self._open(entry)
            return
        conn = self._conns[entry.conn]
        if isinstance(entry, PacketEntry):
            # A browser's HAR shows the client's side: what it sent, what reached it.
            seen, _ = as_seen_by(entry, Side.CLIENT)
            if seen is not None:
                self._packet(conn, seen)
            return
        self._flush(conn)
        if isinstance(entry, UpgradeEvent) and entry.transport is TransportName.WEBSOCKET:
            self._start_ws(conn, entry.request, entry.t)
        elif isinstance(entry, CloseEvent) and conn.ws is not None:
            self._end_ws(conn, entry.t)

    def finish(self) -> None:
        for conn in self._conns.values():
            self._flush(conn)

    def _open(self, entry: OpenEvent) -> None:
        host = next((v for k, v in entry.request.headers if k.lower() == "host"), None)
        conn = _Conn(open=entry, host=host or self._upstream_host, sid=entry.sid)
        self._conns[entry.conn] = conn
        if entry.generation is Generation.LEGACY and entry.sid:
            # The 0.9 handshake response (docs/protocol.md#a2) carries no packet; the open
            # entry keeps its body. Older recordings lack it: timeouts left empty.
            req = entry.request
            body = entry.handshake or f"{entry.sid}:::{entry.transport.value}"
            started = self._start + entry.t
            self._emit(
                started,
                _har_entry(
                    "xhr",
                    entry.conn,
                    started,
                    0.0,
                    _har_request(
                        req.method,
                        self._url(conn, req.path, req.query, ws=False),
                        req.query,
                        req.headers,
                        None,
                    ),
                    _har_response(200, body, _POLLING_CONTENT),
                ),
            )
        if entry.transport is TransportName.WEBSOCKET:
            self._start_ws(conn, self._ws_request(conn, entry.request), entry.t)

    def _ws_request(self, conn: _Conn, request: HttpRequest) -> HttpRequest:
        if conn.open.generation is not Generation.LEGACY or "/1/websocket/" in request.path:
            return request
        path = f"{_legacy_resource(request.path)}/1/websocket/{conn.sid}"
        return HttpRequest(method="GET", path=path, query="", headers=request.headers)

    def _start_ws(self, conn: _Conn, request: HttpRequest, t: float) -> None:
        started = self._start + t
        url = self._url(conn, request.path, request.query, ws=True)
        har_request = _har_request(request.method, url, request.query, request.headers, None)
        entry = _har_entry(
            "websocket",
            conn.open.conn,
            started,
            0.0,
            har_request,
            _har_response(101, None, "x-unknown"),
        )
        entry["_webSocketMessages"] = []
        conn.ws, conn.ws_started = entry, started
        self._emit(started, entry)

    def _end_ws(self, conn: _Conn, t: float) -> None:
        assert conn.ws is not None
        ms = round(max(self._start + t - conn.ws_started, 0.0) * 1000, 3)
        conn.ws["time"] = ms
        conn.ws["timings"]["wait"] = ms

    def _packet(self, conn: _Conn, entry: PacketEntry) -> None:
        packet = entry.packet or {}
        data = packet.get("data")
        if packet.get("eio") == "open" and isinstance(data, Mapping) and conn.sid is None:
            conn.sid = str(data.get("sid"))
        if entry.transport is TransportName.WEBSOCKET and conn.ws is not None:
            conn.ws["_webSocketMessages"].extend(self._frames(conn, entry))
            self._end_ws(conn, entry.t)
            return
        last = conn.group[-1] if conn.group else None
        if last is not None and (
            last.dir != entry.dir
            or last.transport != entry.transport
            or last.error is not None
            or entry.error is not None
        ):
            self._flush(conn)
        conn.group.append(entry)

    def _frames(self, conn: _Conn, entry: PacketEntry) -> list[JsonObject]:
        kind = "send" if entry.dir is Direction.C2S else "receive"
        time = round(self._start + entry.t, 6)
        frames: list[str | bytes] = [entry.raw]
        for attachment in entry.attachments:
            frame = engineio.encode_eio(
                EioPacket(type=EioType.MESSAGE, data=attachment), conn.eio_version
            )
            frames.append(frame)
        return [
            {"type": kind, "time": time, "opcode": 1, "data": f}
            if isinstance(f, str)
            else {"type": kind, "time": time, "opcode": 2, "data": base64.b64encode(f).decode()}
            for f in frames
        ]

    def _flush(self, conn: _Conn) -> None:
        group, conn.group = conn.group, []
        if not group:
            return
        first, last = group[0], group[-1]
        body = _polling_body(conn, group)
        path, query = self._polling_target(conn, first)
        if first.dir is Direction.C2S:
            method, request_body, response_body = "POST", body, "ok"
        else:
            method, request_body, response_body = "GET", None, body
        started = self._start + first.t
        url = self._url(conn, path, query, ws=False)
        headers = conn.open.request.headers
        self._emit(
            started,
            _har_entry(
                "xhr",
                conn.open.conn,
                started,
                last.t - first.t,
                _har_request(method, url, query, headers, request_body),
                _har_response(200, response_body, _POLLING_CONTENT),
            ),
        )

    def _polling_target(self, conn: _Conn, first: PacketEntry) -> tuple[str, str]:
        request = conn.open.request
        if conn.open.generation is Generation.LEGACY:
            resource = _legacy_resource(request.path)
            stamp = int((self._start + first.t) * 1000)
            return f"{resource}/1/{first.transport.value}/{conn.sid}", f"t={stamp}"
        if first.dir is Direction.S2C and not conn.first_get_done:
            conn.first_get_done = True
            if conn.open.transport is TransportName.POLLING:
                return request.path, request.query  # the handshake GET itself (B.3)
        params = [
            (k, v)
            for k, v in parse_qsl(request.query, keep_blank_values=True)
            if k not in ("sid", "transport", "j")
        ]
        params += [("transport", "polling"), ("sid", conn.sid or "")]
        return request.path, urlencode(params)


def _legacy_resource(path: str) -> str:
    index = path.find("/1/")
    return path[:index] if index >= 0 else path.rstrip("/")


def _polling_body(conn: _Conn, group: Sequence[PacketEntry]) -> str:
    """The polling body of a run of packets (B.5 for Engine.IO, A.5 for 0.9)."""
    if conn.open.generation is Generation.LEGACY:
        return legacy_framing.encode_payload([_text(e.raw) for e in group])
    if group[0].error is not None:
        return _text(group[0].raw)  # an undecodable body is exported as it was
    packets: list[EioPacket] = []
    for entry in group:
        packets.append(engineio.decode_eio(entry.raw, conn.eio_version))
        packets += [EioPacket(type=EioType.MESSAGE, data=a) for a in entry.attachments]
    return payload.encode_payload(packets, conn.eio_version).decode("utf-8")


def _text(raw: str | bytes) -> str:
    return raw if isinstance(raw, str) else raw.decode("utf-8", "replace")


def export_har(recording: Recording) -> JsonObject:
    """The HAR 1.2 document of ``recording``."""
    start = created_epoch(recording.header, recording.path or "?")
    exporter = _Exporter(recording.header, start)
    for entry in recording.entries:
        exporter.add(entry)
    exporter.finish()
    exporter.entries.sort(key=lambda item: (item[0], item[1]))
    return {
        "log": {
            "version": "1.2",
            "creator": {"name": "sioproxy", "version": __version__},
            "pages": [],
            "entries": [entry for _, _, entry in exporter.entries],
            "comment": f"exported from {recording.path or 'a recording'} by sioproxy",
        }
    }


# --------------------------------------------------------------------------- import


# Import lives in its own module; these names stay importable from here.
from sioproxy.inspect.har_import import ImportResult, import_har  # noqa: E402

__all__ = ["ImportResult", "export_har", "import_har"]
