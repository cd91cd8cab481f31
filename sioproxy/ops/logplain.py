"""The default log's hot path: a plain packet's text line in one call.

Layer: pure. ``PlainLines.line`` makes the line ``PacketLog._general_text``
makes (sioproxy/ops/logfmt.py; compared by tests/cli/test_logsink_lines.py
and tests/recording/test_legacy_fast_lines.py) for nearly every packet: a
Socket.IO packet in an Engine.IO message, without attachments, and a 0.9
event or ack the recorder has just written. It runs once per packet in
``sioproxy record`` (sioproxy/cli/logsink.py), so it reads each field once,
keeps a line's head (connection, arrow, transport, namespace, type, event
name) under one flat key, and takes the arguments' JSON text from the
recorder, which has just made it (``encoded_data``, ``encoded_legacy``).

Also here, for both: the clock text of a line (``clock_text``) and the
compact JSON of arguments (``compact``).
"""

from __future__ import annotations

import json
import math
import time
from json.encoder import encode_basestring
from typing import Any

from sioproxy.codec.engineio import EioType
from sioproxy.codec.legacy import LegacyType
from sioproxy.codec.socketio import SioType
from sioproxy.recording.hot_line import encoded_data, encoded_legacy
from sioproxy.session.events import PacketSeen
from sioproxy.textsafe import shorten

ARGS_LIMIT = 120
#: Line heads (connection, direction, transport, namespace, type, event) kept at once.
HEADS_KEPT = 4096


def bytes_repr(value: Any) -> str:
    """How arguments' bytes show in the log (a JSON encoder's ``default``)."""
    if isinstance(value, bytes):
        return f"<{len(value)} bytes>"
    raise TypeError(type(value).__name__)


class _CompactJson:
    """``json.dumps(value, ensure_ascii=False, separators=(",", ":"), default=bytes_repr)``.

    ``json.dumps`` with options builds an encoder per call, which costs more than
    encoding a packet's few arguments; this one builds the C encoder once. Its
    circular-reference table is emptied by every encoding that succeeds; after a
    failure (which may leave entries behind) a fresh encoder is built.
    """

    def __init__(self) -> None:
        self._py = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"), default=bytes_repr)
        self._make: Any = getattr(json.encoder, "c_make_encoder", None)
        self._c: Any = None
        self._reset()

    def _reset(self) -> None:
        if self._make is not None:
            self._c = self._make(
                {}, bytes_repr, encode_basestring, None, ":", ",", False, False, True
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


def compact(value: Any, limit: int = ARGS_LIMIT) -> str:
    """``textsafe.preview`` with one C encoder built once (the log's hot path)."""
    try:
        text = _COMPACT.encode(value)
    except (TypeError, ValueError, RecursionError):
        text = repr(value)
    return shorten(text, limit)


def clock_text(wall: float) -> str:
    """``HH:MM:SS.mmm`` of ``wall`` (local time), as every text line starts."""
    if _clock[0] <= wall <= _clock[1]:
        text: str = _clock[2]
        return text
    return _new_clock(wall)


def _stamp_of(wall: float) -> tuple[int, int]:
    # What a line shows of ``wall``: its second and millisecond (up to 1000, which
    # float rounding can give). Never smaller for a later time from 0 on.
    return int(wall), int(wall % 1 * 1000)


def _new_clock(wall: float) -> str:
    """The text of ``wall``, kept with the times that have the same one.

    ``int(wall)`` and ``int(wall % 1 * 1000)`` cost more than the rest of a
    line, and many lines fall in one millisecond: the text is kept for the
    times from ``wall`` to a little before the next millisecond, once the
    stamp of that last one is seen to be the same (so every time between
    has it too).
    """
    second, ms = stamp = _stamp_of(wall)
    if second != _last_second[0]:  # the HH:MM:SS part changes once a second
        _last_second[:] = [second, time.strftime("%H:%M:%S", time.localtime(wall))]
    text: str = _last_second[1] + _MILLIS[ms]
    _clock[:] = [1.0, 0.0, ""]  # kept for no time
    if 0 <= wall < _CLOCK_MAX:
        end = second + (ms + 1) / 1000 if ms < 999 else second + 1.0
        last = end - 4 * math.ulp(end)
        if wall <= last and _stamp_of(last) == stamp:
            _clock[:] = [wall, last, text]
    return text


_last_second: list[Any] = [None, ""]
# ".000" to ".999" (and ".1000", which float rounding could give), made once.
_MILLIS = [f".{ms:03d}" for ms in range(1001)]
# [first, last, text]: the clock text of every time from first to last.
_clock: list[Any] = [1.0, 0.0, ""]
_CLOCK_MAX = float(2**52)  # a float's millisecond still exists below this

# Read once: enum lookups cost more than the rest of a plain line's checks.
_MESSAGE = EioType.MESSAGE
_CONNECT = SioType.CONNECT
_REQUESTS = frozenset((SioType.EVENT, SioType.BINARY_EVENT))
_KINDS = {ptype: ptype.name.lower() for ptype in SioType}
_L_EVENT = LegacyType.EVENT
_L_KINDS = {ptype: ptype.name.lower() for ptype in LegacyType}
# Args a line leaves out (``_general_text``: None, "" and []), as JSON text.
_NOT_SHOWN = frozenset(("[]", "null", '""'))  # none longer than 4


def head_text(key: tuple[Any, ...], kind: str) -> str:
    """ "c1 -> websocket /chat event "say"" of ``(conn, direction, transport, nsp, _, name)``."""
    conn, direction, transport, nsp, _type, name = key
    parts = [conn, direction.arrow, transport]
    if nsp is not None:
        parts.append(nsp or "''")
    parts.append(kind)
    if name is not None:
        parts.append(encode_basestring(name))  # = json.dumps(name, ensure_ascii=False)
    return " ".join(parts)


class PlainLines:
    """Text lines of plain packets, with the heads seen lately."""

    def __init__(self) -> None:
        # (conn, direction, transport, nsp, packet type, name) -> (head, where the
        # args follow the name in the data's JSON text); 0.9 types on their own
        # (an IntEnum member equals the SioType member of the same number).
        self._heads: dict[tuple[Any, ...], tuple[str, int]] = {}
        self._legacy_heads: dict[tuple[Any, ...], tuple[str, int]] = {}

    def line(self, event: PacketSeen, wall: float) -> str | None:
        """The text line of a plain Socket.IO packet (nearly all), not escaped yet.
        None for anything else (a heartbeat, Engine.IO only, attachments, a decode
        error, a 0.9 packet other than an event or ack the recorder has just written)."""
        sio = event.sio
        if sio is None or event.legacy is not None:
            return self._legacy_line(event, wall)
        eio = event.eio
        if (
            event.error is not None
            or event.attachments
            or sio.attachments
            or eio is None
            or eio.type is not _MESSAGE
        ):
            return None
        ptype, data = sio.type, sio.data
        name: str | None = None
        named = False  # an event's list: its args are data[1:]
        if type(data) is list:
            if ptype in _REQUESTS:
                named = True
                if data and isinstance(data[0], str):
                    name = data[0]
                shown = len(data) > 1
            else:
                shown = len(data) > 0 and ptype is not _CONNECT
        else:
            shown = ptype is not _CONNECT and data is not None and data != "" and data != []
        key = (event.conn, event.direction, event.transport, sio.nsp, ptype, name)
        known = self._heads.get(key)
        if known is None:
            known = _new_head(self._heads, key, _KINDS[ptype])
        clock = _clock
        stamp = clock[2] if clock[0] <= wall <= clock[1] else _new_clock(wall)
        ident = "" if sio.id is None else f" id={sio.id}"
        answers = "" if event.ack_of is None else f" (answers #{event.ack_of})"
        if not shown:
            return f"{stamp} {known[0]}{ident}{answers}"
        text = encoded_data(data)  # the recorder's text of the same data, if any
        if text is None or (named and name is None):
            text = compact(data[1:] if named else data)
        elif named:  # '["name",...]': what follows the name, shortened to one less
            text = text[known[1] :]
            if len(text) >= ARGS_LIMIT:  # (the call only when it cuts)
                text = shorten(text, ARGS_LIMIT - 1)
            return f"{stamp} {known[0]}{ident}{answers} [{text}"
        elif len(text) > ARGS_LIMIT:
            text = shorten(text, ARGS_LIMIT)
        return f"{stamp} {known[0]}{ident}{answers} {text}"

    def _legacy_line(self, event: PacketSeen, wall: float) -> str | None:
        """``line`` of a 0.9 event or ack, from what the recorder made of it a
        moment before (``encoded_legacy``): no second JSON parse and encoding."""
        packet = event.legacy
        if packet is None or event.error is not None:
            return None
        known = encoded_legacy(packet)
        if known is None:
            return None
        shown, args_text = known
        ptype = packet.type
        if ptype is _L_EVENT:
            name = shown if isinstance(shown, str) else None
            ack_id = packet.id
        else:
            name, ack_id = None, shown
        key = (event.conn, event.direction, event.transport, packet.endpoint, ptype, name)
        head = self._legacy_heads.get(key)
        if head is None:
            head = _new_head(self._legacy_heads, key, _L_KINDS[ptype])
        stamp = clock_text(wall)
        ident = "" if ack_id is None else f" id={ack_id}"
        answers = "" if event.ack_of is None else f" (answers #{event.ack_of})"
        if len(args_text) <= 4 and args_text in _NOT_SHOWN:  # no hash of long args
            return f"{stamp} {head[0]}{ident}{answers}"
        if len(args_text) > ARGS_LIMIT:
            args_text = shorten(args_text, ARGS_LIMIT)
        return f"{stamp} {head[0]}{ident}{answers} {args_text}"


def _new_head(
    heads: dict[tuple[Any, ...], tuple[str, int]], key: tuple[Any, ...], kind: str
) -> tuple[str, int]:
    if len(heads) >= HEADS_KEPT:
        heads.clear()
    name = key[-1]
    cut = 0 if name is None else len(encode_basestring(name)) + 2
    known = heads[key] = (head_text(key, kind), cut)
    return known
