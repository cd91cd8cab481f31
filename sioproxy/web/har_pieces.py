"""The pieces of ``export --har`` a static report assembles in the browser.

Layer: pure (web). Imports ``sioproxy.inspect.har`` (whose exporter makes the
pieces), the codec and ``sioproxy.recording``; never twisted.

A ``report --html`` page has no server, yet its **HAR** download must be the
document ``/download.har`` serves for the same filter: ``export_har`` of the
selected entries. What depends on the selection is only how the pieces are put
together (a polling request is a run of consecutive selected packets of one
connection in one direction; a WebSocket entry lasts until its last selected
frame), so everything else is made here, at report time, by the exporter's own
code: the entries an ``open`` or an ``upgrade`` emits, each packet's frames,
its share of a polling body, its time as text. ``static/har.js`` selects and
assembles them the way ``sioproxy.inspect.har._Exporter`` does.

The pieces go through the recording's ``Redactor.redact_output`` in one pass
(as ``download.har_text`` redacts the whole document): a secret found in one
piece is swept from all of them.
"""

from __future__ import annotations

import json
from typing import Any

from sioproxy import __version__
from sioproxy.codec import engineio, payload
from sioproxy.codec.engineio import EioPacket, EioType
from sioproxy.errors import SioProxyError
from sioproxy.inspect.har import _Conn, _Exporter, _iso, _legacy_resource, _pairs, _text
from sioproxy.inspect.merge import created_epoch
from sioproxy.recording import Recording, Redactor
from sioproxy.recording.delivery import as_seen_by
from sioproxy.recording.model import CloseEvent, OpenEvent, PacketEntry, UpgradeEvent
from sioproxy.types import Direction, Generation, Side, TransportName

Piece = dict[str, Any]


def _emitted(exporter: _Exporter, before: int, ws: Any) -> list[list[Any]]:
    """The entries the exporter emitted since ``before``: [started, entry, is_ws]."""
    return [[s, e, e is ws] for s, _, e in exporter.entries[before:]]


def _conn_info(exporter: _Exporter, conn: _Conn) -> Piece:
    request = conn.open.request
    scheme = "https" if exporter._secure else "http"
    params = [
        [k, v]
        for k, v in _pairs_of(request.query)
        if k not in ("sid", "transport", "j")  # as _Exporter._polling_target
    ]
    return {
        "legacy": conn.open.generation is Generation.LEGACY,
        "joiner": "\x1e" if conn.eio_version == 4 else "",
        "base": f"{scheme}://{conn.host}",
        "headers": _pairs(request.headers),
        "path": request.path,
        "params": params,
        "handshake": (
            [request.path, request.query, [[k, v] for k, v in _pairs_of(request.query)]]
            if conn.open.transport is TransportName.POLLING
            else None
        ),
    }


def _pairs_of(query: str) -> list[tuple[str, str]]:
    from urllib.parse import parse_qsl

    return parse_qsl(query, keep_blank_values=True)


def _poll_parts(conn: _Conn, entry: PacketEntry) -> list[str]:
    """This packet's share of a polling body (``har._polling_body``), one part per frame."""
    if conn.open.generation is Generation.LEGACY or entry.error is not None:
        return [_text(entry.raw)]
    try:
        packets = [engineio.decode_eio(entry.raw, conn.eio_version)]
    except SioProxyError:
        return [_text(entry.raw)]
    packets += [EioPacket(type=EioType.MESSAGE, data=a) for a in entry.attachments]
    return [payload.encode_payload([p], conn.eio_version).decode("utf-8") for p in packets]


def _packet(exporter: _Exporter, conn: _Conn, entry: PacketEntry, start: float) -> Piece:
    seen, _ = as_seen_by(entry, Side.CLIENT)
    if seen is None:
        return {"kind": "skip", "conn": entry.conn}
    piece: Piece = {
        "kind": "packet",
        "conn": entry.conn,
        "t": seen.t,
        "dir": seen.dir.value,
        "transport": seen.transport.value,
        "err": seen.error is not None,
        "iso": _iso(start + seen.t),
        "poll": _poll_parts(conn, seen),
    }
    packet = seen.packet or {}
    data = packet.get("data")
    if packet.get("eio") == "open" and isinstance(data, dict):
        piece["sid"] = str(data.get("sid"))
    if seen.transport is TransportName.WEBSOCKET:
        piece["frames"] = exporter._frames(conn, seen)
    if conn.open.generation is Generation.LEGACY:
        stamp = int((start + seen.t) * 1000)
        resource = _legacy_resource(conn.open.request.path)
        piece["legacy"] = [f"{resource}/1/{seen.transport.value}/{conn.sid}", f"t={stamp}"]
    return piece


def har_pieces(recording: Recording) -> Piece:
    """Per entry (by seq) its piece, per connection what its requests share, the log's frame."""
    start = created_epoch(recording.header, recording.path or "?")
    exporter = _Exporter(recording.header, start)
    entries: dict[str, Piece] = {}
    conns: dict[str, Piece] = {}
    for entry in recording.entries:
        before = len(exporter.entries)
        if isinstance(entry, OpenEvent):
            exporter._open(entry)
            conn = exporter._conns[entry.conn]
            conns[entry.conn] = _conn_info(exporter, conn)
            emit = _emitted(exporter, before, conn.ws)
            piece: Piece = {"kind": "open", "conn": entry.conn, "sid": conn.sid, "emit": emit}
        elif isinstance(entry, PacketEntry):
            conn = exporter._conns[entry.conn]
            piece = _packet(exporter, conn, entry, start)
        else:
            conn = exporter._conns[entry.conn]
            piece = {"kind": entry.kind, "conn": entry.conn, "t": entry.t}
            if isinstance(entry, UpgradeEvent) and entry.transport is TransportName.WEBSOCKET:
                exporter._start_ws(conn, entry.request, entry.t)
                piece["emit"] = _emitted(exporter, before, conn.ws)
            elif isinstance(entry, CloseEvent):
                piece["kind"] = "close"
        entries[str(entry.seq)] = piece
    log = {
        "version": "1.2",
        "creator": {"name": "sioproxy", "version": __version__},
        "pages": [],
        "entries": [],
        "comment": f"exported from {recording.path or 'a recording'} by sioproxy",
    }
    pieces = {
        "start": start,
        "polling_content": "text/plain; charset=UTF-8",
        "log": log,
        "conns": conns,
        "entries": entries,
        "c2s": Direction.C2S.value,
    }
    redactor = Redactor.from_summary(recording.header.redactions)
    result: Piece = json.loads(redactor.redact_output(json.dumps(pieces, ensure_ascii=False)))
    return result
