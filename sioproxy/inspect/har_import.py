"""Import of a browser's HAR capture as a recording.

Layer: pure (inspect). Imports the standard library, the session layer and
``sioproxy.recording``; never twisted.

Import feeds a HAR's Socket.IO requests and frames, in time order, through the
same ``SessionTracker`` the live proxy uses, so decoding, binary reassembly and
ack links are exactly the proxy's; entries are redacted like a live recording.

A HAR file comes from outside (a browser, a colleague, a bug report), so every
value is checked before it is used: a wrong type, a time that is no finite
number or lies outside the years 1-9999, a URL that does not parse, each is a
``RecordingError`` naming the file, the entry and the reason; nothing else
escapes.
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import SplitResult, urlsplit

from sioproxy.errors import RecordingError
from sioproxy.recording.header import Header
from sioproxy.recording.live_recorder import entry_for
from sioproxy.recording.model import Entry
from sioproxy.recording.redact import Redactor
from sioproxy.session import ConnectionOpened, SessionEvent, SessionTracker
from sioproxy.session.routes import RouteKind, classify
from sioproxy.textsafe import shorten
from sioproxy.types import Direction

Call = Callable[[SessionTracker], list[SessionEvent]]

# The epochs of 0001-01-01 and 9999-12-31 (UTC): what a datetime can hold.
_MIN_EPOCH = dt.datetime(1, 1, 1, tzinfo=dt.UTC).timestamp()
_MAX_EPOCH = dt.datetime.max.replace(tzinfo=dt.UTC).timestamp()


@dataclass(frozen=True, slots=True)
class ImportResult:
    header: Header
    entries: list[Entry]
    skipped: int  # HAR entries that are not Socket.IO traffic


class _BadValueError(Exception):
    """A bad value inside one HAR entry; the caller adds the file and the entry."""


# -- checked access to the HAR's JSON ----------------------------------------


def _obj(value: Any, what: str, *, optional: bool = True) -> Mapping[str, Any]:
    if value is None and optional:
        return {}
    if not isinstance(value, Mapping):
        raise _BadValueError(f"{what} is not an object ({_kind(value)})")
    return value


def _list(value: Any, what: str) -> list[Any]:
    if value is None:
        return []
    if not isinstance(value, list):
        raise _BadValueError(f"{what} is not a list ({_kind(value)})")
    return value


def _number(value: Any, what: str) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise _BadValueError(f"{what} {_short(value)} is not a number")
    number = float(value)
    if not math.isfinite(number):
        raise _BadValueError(f"{what} {_short(value)} is not a finite number")
    return number


def _epoch_in_range(value: float, what: str) -> float:
    if not _MIN_EPOCH <= value <= _MAX_EPOCH:
        raise _BadValueError(f"{what} {value!r} is outside the years 1-9999")
    return value


def _kind(value: Any) -> str:
    return "null" if value is None else type(value).__name__


def _short(value: Any) -> str:
    return shorten(repr(value), 43)


def _epoch(value: Any) -> float:
    if not isinstance(value, str):
        raise _BadValueError(f"startedDateTime {_short(value)} is not a string")
    try:
        moment = dt.datetime.fromisoformat(value)
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=dt.UTC)
        epoch = moment.astimezone(dt.UTC).timestamp()
    except (ValueError, OverflowError, OSError) as exc:
        raise _BadValueError(f"bad startedDateTime {_short(value)}: {exc}") from None
    return _epoch_in_range(epoch, "startedDateTime")


def _headers(obj: Mapping[str, Any], what: str) -> tuple[tuple[str, str], ...]:
    out: list[tuple[str, str]] = []
    for number, header in enumerate(_list(obj.get("headers"), f"{what}.headers")):
        item = _obj(header, f"{what}.headers[{number}]", optional=False)
        out.append((str(item.get("name", "")), str(item.get("value", ""))))
    return tuple(out)


def _url(request: Mapping[str, Any]) -> SplitResult:
    text = request.get("url")
    if not isinstance(text, str):
        raise _BadValueError("missing request.url")
    try:
        url = urlsplit(text)
        url.port  # noqa: B018 -- checks the port (a bad one raises ValueError)
    except ValueError as exc:
        raise _BadValueError(f"bad request.url {_short(text)}: {exc}") from None
    return url


def _content(response: Mapping[str, Any]) -> bytes:
    content = _obj(response.get("content"), "response.content")
    text = content.get("text")
    if not isinstance(text, str):
        return b""
    if content.get("encoding") == "base64":
        try:
            return base64.b64decode(text)
        except (binascii.Error, ValueError):
            return b""
    return text.encode("utf-8", "surrogatepass")


# -- HAR entries to tracker calls --------------------------------------------


def _ws_calls(index: int, item: Mapping[str, Any]) -> list[tuple[float, Call]]:
    calls: list[tuple[float, Call]] = []
    for number, raw in enumerate(_list(item.get("_webSocketMessages"), "_webSocketMessages")):
        where = f"WebSocket message {number}"
        message = _obj(raw, where, optional=False)
        kind, opcode, data = message.get("type"), message.get("opcode"), message.get("data", "")
        if kind not in ("send", "receive") or opcode not in (1, 2) or not isinstance(data, str):
            continue  # Chrome also lists errors and control frames
        time = _epoch_in_range(_number(message.get("time"), f"{where}: time"), f"{where}: time")
        try:
            frame = (
                data.encode("utf-8", "surrogatepass")
                if opcode == 1
                else base64.b64decode(data, validate=True)
            )
        except (binascii.Error, ValueError):
            raise _BadValueError(f"{where}: data is not base64") from None
        direction = Direction.C2S if kind == "send" else Direction.S2C

        def call(
            tracker: SessionTracker,
            d: Direction = direction,
            f: bytes = frame,
            binary: bool = opcode == 2,
        ) -> list[SessionEvent]:
            return tracker.ws_message(index, d, f, binary)

        calls.append((time, call))
    return calls


def _entry_calls(
    index: int, item: Any, resource: str
) -> tuple[list[tuple[float, Call]], str | None]:
    """The tracker calls of one HAR entry with their times, and its origin if Socket.IO."""
    item = _obj(item, "the entry", optional=False)
    request = _obj(item.get("request"), "request", optional=False)
    url = _url(request)
    if classify(url.path, url.query, resource).kind is RouteKind.OTHER:
        return [], None
    started = _epoch(item.get("startedDateTime"))
    method, headers = str(request.get("method", "GET")), _headers(request, "request")
    scheme = {"ws": "http", "wss": "https"}.get(url.scheme, url.scheme)
    origin = f"{scheme}://{url.netloc}"
    if item.get("_resourceType") == "websocket" or url.scheme in ("ws", "wss"):

        def ws_open(tracker: SessionTracker) -> list[SessionEvent]:
            return tracker.ws_open(index, method, url.path, url.query, headers)

        return [(started, ws_open), *_ws_calls(index, item)], origin
    post = _obj(request.get("postData"), "request.postData")
    text = post.get("text")
    body = text.encode("utf-8", "surrogatepass") if isinstance(text, str) else b""
    response = _obj(item.get("response"), "response")
    status = response.get("status")
    response_headers, content = _headers(response, "response"), _content(response)
    took = item.get("time")
    duration = 0.0 if took is None else max(_number(took, "time"), 0.0) / 1000
    ended = _epoch_in_range(started + duration, "startedDateTime + time")

    def send(tracker: SessionTracker) -> list[SessionEvent]:
        return tracker.http_request(index, method, url.path, url.query, headers, body)

    def answer(tracker: SessionTracker) -> list[SessionEvent]:
        if isinstance(status, bool) or not isinstance(status, int) or status <= 0:
            tracker.http_error(index)  # a request that never completed
            return []
        return tracker.http_response(index, status, response_headers, content)

    return [(started, send), (ended, answer)], origin


def _all_calls(
    items: Sequence[Any], path: str, resource: str
) -> tuple[list[tuple[float, int, Call]], list[str]]:
    calls: list[tuple[float, int, Call]] = []
    origins: list[str] = []
    for index, item in enumerate(items):
        try:
            found, origin = _entry_calls(index, item, resource)
        except _BadValueError as exc:
            raise RecordingError(path, None, f"HAR entry {index}: {exc}") from None
        calls += [(time, len(calls) + n, call) for n, (time, call) in enumerate(found)]
        if origin is not None:
            origins.append(origin)
    calls.sort(key=lambda c: (c[0], c[1]))
    return calls, origins


def import_har(
    har: Any,
    *,
    path: str = "<har>",
    redactor: Redactor | None = None,
    resource_path: str = "/socket.io",
) -> ImportResult:
    """Decode the Socket.IO traffic of a HAR document into redacted recording entries."""
    log = har.get("log") if isinstance(har, Mapping) else None
    items = log.get("entries") if isinstance(log, Mapping) else None
    if not isinstance(log, Mapping) or not isinstance(items, list):
        raise RecordingError(path, None, 'not a HAR file: no "log.entries" list')
    calls, origins = _all_calls(items, path, resource_path)
    base = math.floor(calls[0][0] * 1000) / 1000 if calls else 0.0
    now = [base]
    tracker = SessionTracker(clock=lambda: now[0], resource_path=resource_path)
    events: list[SessionEvent] = []
    for time, _, call in calls:
        now[0] = max(now[0], time)
        events += call(tracker)
    events += tracker.close_all("end of HAR capture")
    redactor = redactor if redactor is not None else Redactor()
    generations = {e.generation for e in events if isinstance(e, ConnectionOpened)}
    header = Header.new(
        generation=generations.pop() if len(generations) == 1 else None,
        upstream=origins[0] if origins else None,
        redactions=redactor.summary(),
        meta=_import_meta(log, path),
        now=dt.datetime.fromtimestamp(base, dt.UTC),
    )
    entries = [redactor.redact_entry(entry_for(event)) for event in events]
    return ImportResult(header=header, entries=entries, skipped=len(items) - len(origins))


def _import_meta(log: Mapping[str, Any], path: str) -> dict[str, Any]:
    creator = log.get("creator")
    meta: dict[str, Any] = {"imported_from": path}
    if isinstance(creator, Mapping):
        meta["har_creator"] = f"{creator.get('name', '?')} {creator.get('version', '')}".strip()
    return meta
