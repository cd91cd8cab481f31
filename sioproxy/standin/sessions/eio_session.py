"""A sans-IO Engine.IO 3/4 server session for the stand-in server.

Layer: pure. Imports the standard library and sioproxy's codec and
``serverside.app``; never twisted. The transport feeds it polling requests and
WebSocket messages; it answers with ``HttpResponse`` values and ``Effect``s.

Behaviour follows engine.io (docs/protocol.md#part-b):

* handshake: the open packet with a fresh sid, ``upgrades`` ``["websocket"]``
  over polling and ``[]`` over WebSocket (B.3);
* heartbeats (B.4): EIO4 pings every ``ping_interval`` and closes when the pong
  is ``ping_timeout`` late; EIO3 answers pings with pongs and closes after
  ``ping_interval + ping_timeout`` of silence; the wrong direction closes;
* polling (B.5, B.6): a GET is answered at once when packets are queued, else
  held until there are; bodies are framed per request (v4 record separators,
  v3 lengths, v3 XHR2 binary framing when binary is present and the client
  did not ask for ``b64``, JSONP ``___eio[j]`` wrappers);
* upgrade (B.8): ``2probe`` -> ``3probe`` and a noop to the held GET, then
  ``5`` moves the queue to the WebSocket; polling afterwards gets 400 code 3;
* close (B.9): a client ``1`` ends the session (a held GET gets a noop); a
  server close appends ``1`` to the next poll, or closes the WebSocket.

Nothing queued is lost or reordered: packets wait in one queue until a GET or
the WebSocket takes them, whatever happens in between.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

from sioproxy.codec.binary import SioDecoder
from sioproxy.codec.engineio import EioPacket, EioType, decode_eio, encode_eio
from sioproxy.codec.handshake import OpenInfo, encode_open
from sioproxy.codec.parsers import ParserMismatchError, packet_messages, read_message
from sioproxy.codec.payload import (
    PayloadDecodeError,
    decode_jsonp_post,
    decode_payload,
    encode_jsonp_response,
    encode_payload,
)
from sioproxy.codec.socketio import SioPacket
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
    json_error,
)
from sioproxy.types import Direction

__all__ = ["EioSession", "PollMode"]

POLLING: Final = "polling"
WEBSOCKET: Final = "websocket"
_NOOP: Final = EioPacket(type=EioType.NOOP)
_CLOSE: Final = EioPacket(type=EioType.CLOSE)
_PING: Final = EioPacket(type=EioType.PING)
_HEARTBEATS: Final = frozenset({EioType.PING, EioType.PONG, EioType.NOOP})
_OK: Final = HttpResponse(content_type="text/html", body=b"ok")


@dataclass(frozen=True, slots=True, kw_only=True)
class PollMode:
    """How one polling request wants its body: ``j`` (JSONP) and ``b64`` of its query."""

    jsonp: int | None = None
    b64: bool = False


class EioSession(SessionBase):
    """One Engine.IO session, from the open packet to its end."""

    def __init__(
        self,
        *,
        sid: str,
        label: str,
        config: StandInConfig,
        app_factory: AppFactory,
        clock: Clock,
        transport: str = POLLING,
        b64: bool = False,
    ) -> None:
        super().__init__(sid=sid, label=label, config=config, app_factory=app_factory, clock=clock)
        version = config.generation.eio_version
        revision = config.generation.sio_revision
        if version is None or revision is None:
            raise ValueError(f"EioSession needs an Engine.IO generation, not {config.generation}")
        self.version = version
        self._transport = transport
        self._ws: str | None = "open" if transport == WEBSOCKET else None  # or "probing"
        self._ws_b64 = b64 and transport == WEBSOCKET
        self._probed = False
        self._closing = False
        self._queue: list[EioPacket] = []
        self._poll: tuple[int, PollMode] | None = None
        self._decoder = SioDecoder(revision)

    @property
    def transport_name(self) -> str:
        return self._transport

    # -- opening --------------------------------------------------------------

    def start(self) -> None:
        """Queue the open packet, start heartbeats, then open the app (which may send)."""
        can_upgrade = self._transport == POLLING and self.config.allows(WEBSOCKET)
        upgrades = (WEBSOCKET,) if can_upgrade else ()
        info = OpenInfo(
            sid=self.sid,
            upgrades=upgrades,
            ping_interval=round(self.config.ping_interval * 1000),
            ping_timeout=round(self.config.ping_timeout * 1000),
            max_payload=self.config.max_payload,
        )
        self._queue.append(EioPacket(type=EioType.OPEN, data=encode_open(info)))
        if self.version == 4:
            self._arm("ping", self.config.ping_interval)
        else:
            self._arm("idle", self.config.ping_interval + self.config.ping_timeout)
        self._start_app()
        self._flush()

    # -- the app's side -------------------------------------------------------

    def send(self, packet: AppPacket, text: str | None = None) -> None:
        """Queue a Socket.IO packet: its header, then one message per attachment (C.6).

        ``text`` is the packet's exact text when the app knows it (no attachments).
        """
        if not isinstance(packet, SioPacket):
            raise EncodeError(f"eio{self.version}: the stand-in sends SioPackets, not {packet!r}")
        if self.ended is not None or self._closing:
            return
        if text is not None and not packet.attachments and self.config.parser is None:
            self._queue.append(EioPacket(type=EioType.MESSAGE, data=text))
        else:
            parts = packet_messages(packet, self.config.parser)
            self._queue.extend(EioPacket(type=EioType.MESSAGE, data=part) for part in parts)
        self._flush()
        self.wake()

    def close(self) -> None:
        """Server close: ``1`` rides on the next poll, or the WebSocket closes (B.9)."""
        if self.ended is not None or self._closing:
            return
        if self._ws == "open":
            self._flush()
            self._emit(WsClose())
            self._end("server close")
        else:
            self._closing = True
            self._queue.append(_CLOSE)
            self._arm("close", self.config.ping_timeout)
            self._flush()
        self.wake()

    # -- polling ----------------------------------------------------------------

    def poll(self, poll_id: int, mode: PollMode) -> HttpResponse | None:
        """A polling GET: its response now, or ``None`` when held (answered by ``ReplyPoll``)."""
        if self.ended is not None:
            return json_error(1, "Session ID unknown")
        if self._transport != POLLING:
            return json_error(3, "Bad request")
        if self._poll is not None:
            # engine.io: "data request overlap from client" is fatal.
            self._abort("transport error")
            return json_error(3, "Bad request")
        if self._queue:
            packets, self._queue = self._queue, []
            response = self._encode_poll(packets, mode)
            if self._closing:
                self._end("server close")
            return response
        if self._probed:
            # The client is pausing polling for the upgrade (B.8): let it go.
            return self._encode_poll([_NOOP], mode)
        self._poll = (poll_id, mode)
        return None

    def poll_aborted(self, poll_id: int) -> None:
        """The held GET's connection went away; queued packets wait for the next one."""
        if self._poll is not None and self._poll[0] == poll_id:
            self._poll = None

    def post(self, body: bytes, content_type: str | None, *, jsonp: bool = False) -> HttpResponse:
        """A polling POST: decode its payload, handle each packet, answer ``ok``."""
        if self.ended is not None:
            return json_error(1, "Session ID unknown")
        if self._transport != POLLING:
            return json_error(3, "Bad request")
        if len(body) > self.config.max_payload:
            self._abort("transport error")
            return HttpResponse(status=413, body=b"Payload Too Large")
        failed = False
        try:
            if jsonp:
                text = decode_jsonp_post(body)
                packets = decode_payload(text.encode("utf-8"), self.version, content_type="text")
            else:
                packets = decode_payload(body, self.version, content_type=content_type or "text")
        except PayloadDecodeError as exc:
            packets, failed = exc.packets, True  # what came before was delivered (B.5)
        except DecodeError:
            packets, failed = [], True
        for packet in packets:
            if self.ended is not None:
                break
            self._on_packet(packet)
        if failed:
            self._abort("parse error")
            return json_error(3, "Bad request")
        self._flush()
        return _OK

    def _encode_poll(self, packets: list[EioPacket], mode: PollMode) -> HttpResponse:
        if mode.jsonp is not None:
            text = encode_payload(packets, self.version).decode("utf-8")
            body = encode_jsonp_response(mode.jsonp, text)
            return HttpResponse(content_type="text/javascript; charset=UTF-8", body=body)
        binary = (
            self.version == 3 and not mode.b64 and any(isinstance(p.data, bytes) for p in packets)
        )
        body = encode_payload(packets, self.version, binary=binary)
        ctype = "application/octet-stream" if binary else "text/plain; charset=UTF-8"
        return HttpResponse(content_type=ctype, body=body)

    # -- websocket ----------------------------------------------------------------

    def ws_attach(self, *, b64: bool = False) -> bool:
        """A WebSocket with this sid: becomes the upgrade probe, or is refused (False)."""
        if self.ended is not None or self._ws is not None or self._closing:
            return False
        self._ws = "probing"
        self._ws_b64 = b64
        self._arm("upgrade", self.config.upgrade_timeout)
        return True

    def ws_message(self, data: str | bytes) -> None:
        """One WebSocket message (text as ``str``, binary as ``bytes``)."""
        if self.ended is not None or self._ws is None:
            return
        try:
            packet = decode_eio(data, self.version)
        except DecodeError:
            if self._ws == "probing":
                self._drop_probe()
            else:
                self._abort("parse error")
            return
        if self._ws == "probing":
            self._probe_packet(packet)
            return
        self._on_packet(packet)
        self._flush()

    def ws_closed(self) -> None:
        """The WebSocket is gone: a failed probe leaves polling alone; else the end."""
        if self.ended is not None or self._ws is None:
            return
        if self._ws == "probing":
            self._ws, self._probed = None, False
            self._timers.pop("upgrade", None)
            return
        self._end("transport close")

    def _probe_packet(self, packet: EioPacket) -> None:
        if packet.type is EioType.PING and packet.data == "probe":
            self._emit(WsSend("3probe"))
            self._probed = True
            self._release_poll()
        elif packet.type is EioType.UPGRADE and self._probed:
            self._timers.pop("upgrade", None)
            self._ws, self._transport = "open", WEBSOCKET
            self._release_poll()
            self._flush()
        else:
            # engine.io closes a probe that sends anything else.
            self._drop_probe()

    def _release_poll(self) -> None:
        """Answer a held GET with a noop so the client can pause polling (B.8)."""
        if self._poll is not None:
            poll_id, mode = self._poll
            self._poll = None
            self._emit(ReplyPoll(poll_id, self._encode_poll([_NOOP], mode)))

    def _drop_probe(self) -> None:
        self._emit(WsClose())
        self._ws, self._probed = None, False
        self._timers.pop("upgrade", None)

    # -- packets from the client ------------------------------------------------

    def _on_packet(self, packet: EioPacket) -> None:
        if self.version == 3:
            self._arm("idle", self.config.ping_interval + self.config.ping_timeout)
        ptype = packet.type
        if ptype in _HEARTBEATS:
            self._heartbeat(Direction.C2S, packet)
        if ptype is EioType.MESSAGE:
            self._on_message(packet.data)
        elif ptype is EioType.PING:
            if self.version == 4:
                self._abort("invalid heartbeat direction")
            else:
                pong = EioPacket(type=EioType.PONG, data=packet.data)
                self._queue.append(pong)
                self._heartbeat(Direction.S2C, pong)
        elif ptype is EioType.PONG:
            if self.version == 3:
                self._abort("invalid heartbeat direction")
            elif self._timers.pop("pong", None) is not None:
                self._arm("ping", self.config.ping_interval)
        elif ptype is EioType.CLOSE:
            self._release_poll()  # a held GET gets a noop (B.9)
            if self._ws == "open":
                self._emit(WsClose())
            self._end("client close")
        elif ptype is EioType.OPEN:
            self._abort("parse error")
        # UPGRADE and NOOP outside an upgrade carry nothing.

    def _on_message(self, data: str | bytes | None) -> None:
        try:
            packet = read_message(self._decoder, self.config.parser, data or "")
        except ParserMismatchError as exc:
            self._abort(exc.reason)
            return
        except DecodeError:
            # socket.io closes the connection on a packet it cannot decode.
            self._abort("parse error")
            return
        if packet is not None:
            self._deliver(packet)

    # -- output, timers, the end ---------------------------------------------------

    def _flush(self) -> None:
        if not self._queue or self.ended is not None:
            return
        packets, closing = self._queue, self._closing
        if self._ws == "open":
            self._queue = []
            b64 = self._ws_b64 and self.version == 3
            for packet in packets:
                self._emit(WsSend(encode_eio(packet, self.version, b64=b64)))
        elif self._poll is not None:
            self._queue = []
            poll_id, mode = self._poll
            self._poll = None
            self._emit(ReplyPoll(poll_id, self._encode_poll(packets, mode)))
        else:
            return
        if closing:
            self._end("server close")

    def _fire(self, name: str) -> None:
        if name == "ping":
            self._queue.append(_PING)
            self._heartbeat(Direction.S2C, _PING)
            self._arm("pong", self.config.ping_timeout)
            self._flush()
        elif name in ("pong", "idle"):
            self._abort("ping timeout")
        elif name == "upgrade":
            if self._ws == "probing":
                self._drop_probe()
        elif name == "close":
            self._end("server close")

    def _abort(self, reason: str) -> None:
        """End now: a held GET gets ``1``, an open WebSocket is closed (engine.io onClose)."""
        if self._poll is not None:
            poll_id, mode = self._poll
            self._poll = None
            self._emit(ReplyPoll(poll_id, self._encode_poll([_CLOSE], mode)))
        if self._ws is not None:
            self._emit(WsClose())
        self._end(reason)
