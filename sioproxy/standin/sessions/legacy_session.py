"""A sans-IO Socket.IO 0.9 server session for the stand-in server.

Layer: pure. Imports the standard library, sioproxy's 0.9 codec and
``standin.sessions.app``; never twisted. It follows node socket.io 0.9.19
(docs/protocol.md#part-a), the server the 0.9.16 client was written against:

* handshake ``sid:heartbeat:close:transports`` (A.2), JSONP variant ``io.j[n](...)``;
* ``1::`` on the first transport connection of the session (A.3, A.9);
* websocket/flashsocket: one packet per frame, ``2::`` every heartbeat interval,
  closed when the client's ``2::`` is ``heartbeat_timeout`` late (A.7);
* xhr-polling/jsonp-polling: no heartbeats; a GET is held until data or for the
  polling duration, then answered ``8::``; several packets are U+FFFD-framed
  with UTF-16 lengths (A.5); after a GET completes the close timeout runs and
  ends the session unless another request comes (A.7);
* ``0::`` from the client or ``?disconnect`` ends the session, ``0::`` being
  echoed on an open transport (A.9);
* an unknown sid gets ``7:::1+0`` on that transport (node's choice, A.8; gevent
  would answer 400), see ``unknown_sid_response``.

Heartbeat timeout ends the session at once (node ends the transport and lets
the close timeout end the session; the 0.9 client reconnects with a new
handshake either way).
"""

from __future__ import annotations

from typing import Final

from sioproxy.codec.legacy import LegacyPacket, LegacyType, decode_packet, encode_packet
from sioproxy.codec.legacy_framing import (
    LegacyHandshake,
    decode_jsonp_post,
    encode_handshake,
    encode_jsonp_response,
    encode_payload,
    split_payload,
)
from sioproxy.errors import DecodeError, EncodeError
from sioproxy.session.effects import WsSend
from sioproxy.standin.sessions.app import (
    AppFactory,
    AppPacket,
    Clock,
    HttpResponse,
    ReplyPoll,
    SessionBase,
    StandInConfig,
    WsClose,
)
from sioproxy.types import Direction

__all__ = [
    "LEGACY_TRANSPORTS",
    "LegacySession",
    "handshake_response",
    "offered_transports",
    "unknown_sid_response",
]

#: Transports the stand-in serves; flashsocket is websocket framing (A.3.1).
LEGACY_TRANSPORTS: Final = ("websocket", "flashsocket", "xhr-polling", "jsonp-polling")
WS_TRANSPORTS: Final = frozenset({"websocket", "flashsocket"})
#: node garbage-collects a handshake no transport used within 30 s (A.2).
HANDSHAKE_EXPIRY: Final = 30.0
_TEXT: Final = "text/plain; charset=UTF-8"
_JS: Final = "text/javascript; charset=UTF-8"
_NOT_HANDSHAKEN: Final = "7:::1+0"  # client not handshaken, advice reconnect (A.8)
_BAD_JSONP_POST: Final = "7:::undefined+0"
_ONE: Final = HttpResponse(body=b"1")
_HEARTBEAT: Final = decode_packet("2::")


def offered_transports(config: StandInConfig) -> tuple[str, ...]:
    """The handshake's transport list: the configured ones the stand-in can serve."""
    if not config.transports:
        return ("websocket", "xhr-polling", "jsonp-polling")
    return tuple(t for t in config.transports if t in LEGACY_TRANSPORTS)


def handshake_response(sid: str, config: StandInConfig, jsonp: int | None) -> HttpResponse:
    """``200`` with the handshake body, or ``io.j[n]("...");`` for a JSONP handshake (A.2)."""
    body = encode_handshake(
        LegacyHandshake(
            sid=sid,
            heartbeat_timeout=config.heartbeat_timeout,
            close_timeout=config.close_timeout,
            transports=offered_transports(config),
        )
    )
    if jsonp is None:
        return HttpResponse(content_type="text/plain", body=body.encode("utf-8"))
    wrapped = encode_jsonp_response(jsonp, body)
    return HttpResponse(content_type="application/javascript", body=wrapped.encode("utf-8"))


def poll_response(frames: list[str], jsonp: int | None) -> HttpResponse:
    """A polling body: one bare packet or a framed payload, JSONP-wrapped for jsonp-polling."""
    payload = encode_payload(frames)
    if jsonp is None:
        return HttpResponse(content_type=_TEXT, body=payload.encode("utf-8"))
    body = encode_jsonp_response(jsonp, payload).encode("utf-8")
    return HttpResponse(content_type=_JS, body=body, headers=(("X-XSS-Protection", "0"),))


def unknown_sid_response(jsonp: int | None) -> HttpResponse:
    """What a polling request with an unknown sid gets: ``7:::1+0`` (node, A.8)."""
    return poll_response([_NOT_HANDSHAKEN], jsonp)


UNKNOWN_SID_FRAME: Final = _NOT_HANDSHAKEN


class LegacySession(SessionBase):
    """One 0.9 session, from the handshake to its end, over any mix of transports."""

    def __init__(
        self, *, sid: str, label: str, config: StandInConfig, app_factory: AppFactory, clock: Clock
    ) -> None:
        super().__init__(sid=sid, label=label, config=config, app_factory=app_factory, clock=clock)
        self._transport = ""
        self._connected = False
        self._ws = False
        self._queue: list[str] = []
        self._poll: tuple[int, int | None] | None = None  # (poll id, jsonp index)
        self._closing: str | None = None

    @property
    def transport_name(self) -> str:
        return self._transport

    def start(self) -> None:
        """After the handshake: wait for the first transport connection."""
        self._arm("expiry", HANDSHAKE_EXPIRY)

    # -- the app's side -------------------------------------------------------

    def send(self, packet: AppPacket, text: str | None = None) -> None:
        if not isinstance(packet, LegacyPacket):
            raise EncodeError(f"0.9: the stand-in sends LegacyPackets, not {packet!r}")
        if self.ended is not None or self._closing is not None:
            return
        # ``text``: the packet's exact 0.9 text when the app knows it (a recorded one).
        self._queue.append(encode_packet(packet) if text is None else text)
        self._flush()
        self.wake()

    def close(self) -> None:
        """Server disconnect of the whole session: ``0::`` then the end (A.9)."""
        if self.ended is None and self._closing is None:
            self._shut("server disconnect")
            self.wake()

    def _shut(self, reason: str, frame: str = "0::") -> None:
        """Send ``frame`` where a transport can take it, then end."""
        self._queue.append(frame)
        self._closing = reason
        self._flush()
        if self.ended is None:
            self._arm("close", self.config.close_timeout or 0)

    # -- requests ---------------------------------------------------------------

    def poll(self, poll_id: int, transport: str, jsonp: int | None = None) -> HttpResponse | None:
        """A polling GET: a response now, or ``None`` when held (then ``ReplyPoll``)."""
        if self.ended is not None:
            return unknown_sid_response(jsonp)
        self._request(transport)
        if self._poll is not None:
            # A newer GET replaces a held one, which returns empty-handed.
            old_id, old_jsonp = self._poll
            self._emit(ReplyPoll(old_id, poll_response(["8::"], old_jsonp)))
            self._poll = None
        if self._queue:
            frames, self._queue = self._queue, []
            self._idle()
            if self._closing is not None:
                self._end(self._closing)
            return poll_response(frames, jsonp)
        self._poll = (poll_id, jsonp)
        self._arm("poll", self.config.polling_duration)
        return None

    def poll_aborted(self, poll_id: int) -> None:
        if self._poll is not None and self._poll[0] == poll_id:
            self._poll = None
            self._timers.pop("poll", None)
            self._idle()

    def post(self, body: bytes, transport: str, *, jsonp: bool = False) -> HttpResponse:
        """A polling POST (xhr body or jsonp ``d=`` form): handle its packets, answer ``1``."""
        if self.ended is not None:
            return unknown_sid_response(None)
        self._request(transport)
        try:
            text = decode_jsonp_post(body) if jsonp else body.decode("utf-8", "replace")
        except DecodeError:
            self._shut("parse error", _BAD_JSONP_POST)
            return _ONE
        try:
            frames = split_payload(text)
        except DecodeError:
            frames = []  # node would make garbage of it; nothing sensible to deliver
        for frame in frames:
            if self.ended is not None or self._closing is not None:
                break
            try:
                packet = decode_packet(frame)
            except DecodeError:
                continue  # node ignores an undecodable packet (A.8)
            self._on_packet(packet)
        self._idle()
        return _ONE

    def disconnect_request(self) -> HttpResponse:
        """``?disconnect`` on any transport URL: ``200`` empty, session over (A.9)."""
        if self.ended is None:
            self._shut("client disconnect")
            self._end("client disconnect")
        return HttpResponse(body=b"")

    def _request(self, transport: str) -> None:
        self._transport = transport
        self._timers.pop("close", None)
        self._connect()

    def _connect(self) -> None:
        """First transport connection: ``1::`` goes out and the app opens (A.3)."""
        if self._connected:
            return
        self._connected = True
        self._timers.pop("expiry", None)
        self._queue.append("1::")
        self._start_app()

    def _idle(self) -> None:
        """No request in progress: the close timeout runs (A.7)."""
        if self.ended is None and self._poll is None and not self._ws:
            if self.config.close_timeout is None:
                return
            self._arm("close", self.config.close_timeout)

    # -- websocket ----------------------------------------------------------------

    def ws_attach(self, transport: str) -> bool:
        """A websocket/flashsocket connection with this sid; False if one is already open."""
        if self.ended is not None or self._ws:
            return False
        self._ws = True
        self._request(transport)
        self._arm_heartbeat()
        self._flush()
        return True

    def ws_message(self, text: str) -> None:
        if self.ended is not None or not self._ws:
            return
        try:
            packet = decode_packet(text)  # one packet per frame, as node decodes (A.3.1)
        except DecodeError:
            return
        self._on_packet(packet)

    def ws_closed(self) -> None:
        if self.ended is not None or not self._ws:
            return
        self._ws = False
        self._timers.pop("heartbeat", None)
        self._timers.pop("heartbeat timeout", None)
        if self._closing is not None:
            self._end(self._closing)
        elif self.config.close_timeout is None:
            self._end("transport close")
        else:
            self._idle()

    def _arm_heartbeat(self) -> None:
        if self.config.heartbeat_timeout is not None:
            self._arm("heartbeat", self.config.ping_interval)

    # -- packets from the client ------------------------------------------------

    def _on_packet(self, packet: LegacyPacket) -> None:
        ptype = packet.type
        if ptype in (LegacyType.HEARTBEAT, LegacyType.NOOP):
            self._heartbeat(Direction.C2S, packet)
        if ptype is LegacyType.HEARTBEAT:
            self._timers.pop("heartbeat timeout", None)
            if self._ws:
                self._arm_heartbeat()
        elif ptype is LegacyType.NOOP:
            pass
        elif ptype is LegacyType.DISCONNECT and not packet.endpoint:
            self._shut("client disconnect")
        else:
            self._deliver(packet)

    # -- output, timers -------------------------------------------------------------

    def _flush(self) -> None:
        if not self._queue or self.ended is not None:
            return
        frames = self._queue
        if self._ws:
            self._queue = []
            for frame in frames:
                self._emit(WsSend(frame))
            if self._closing is not None:
                self._emit(WsClose())
        elif self._poll is not None:
            self._queue = []
            poll_id, jsonp = self._poll
            self._poll = None
            self._timers.pop("poll", None)
            self._emit(ReplyPoll(poll_id, poll_response(frames, jsonp)))
            self._idle()
        else:
            return
        if self._closing is not None:
            self._end(self._closing)

    def _fire(self, name: str) -> None:
        if name == "poll" and self._poll is not None:
            poll_id, jsonp = self._poll
            self._poll = None
            self._emit(ReplyPoll(poll_id, poll_response(["8::"], jsonp)))
            self._idle()
        elif name == "heartbeat" and self._ws:
            self._queue.append("2::")
            self._heartbeat(Direction.S2C, _HEARTBEAT)
            self._arm("heartbeat timeout", float(self.config.heartbeat_timeout or 0))
            self._flush()
        elif name == "heartbeat timeout":
            self._emit(WsClose())
            self._end("heartbeat timeout")
        elif name == "close":
            self._end(self._closing or "close timeout")
        elif name == "expiry":
            self._end("handshake expired")
