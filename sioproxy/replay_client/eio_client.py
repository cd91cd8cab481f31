"""A sans-IO Engine.IO 3/4 client session, and the client sessions' I/O vocabulary.

Layer: pure. Imports the standard library and sioproxy's codec; never twisted.
The transport (``sioproxy.replay_client.edge.client``) carries out the ``ClientEffect``
values a session emits (HTTP calls, WebSocket opens/sends/closes, timers) and
feeds the answers back (``http_response``, ``ws_opened``, ``ws_message``,
``timer_fired``...). Application packets come out as ``Received``.

Behaviour follows engine.io-client (docs/protocol.md#part-b):

* handshake over polling (``GET ?EIO=v&transport=polling``) or straight over
  WebSocket, the open packet giving sid and heartbeat times (B.3);
* heartbeats in the right direction (B.4): EIO3 clients ping every
  ``pingInterval`` and wait ``pingTimeout`` for the pong; EIO4 clients answer
  the server's ``2`` with ``3`` and give up after ``pingInterval +
  pingTimeout`` without a ping;
* polling: one GET in flight at a time, re-issued after each answer; one POST
  in flight, packets queued meanwhile go out together in the next (B.5);
* upgrade (B.8): ``2probe``/``3probe`` on the new WebSocket, polling paused
  (the server releases the held GET with a noop), then ``5``;
* binary attachments: a Socket.IO packet with bytes goes out as its header and
  one Engine.IO message per attachment (C.6); bytes on polling are base64;
* close (B.9): ``1`` on the current transport.
"""

from __future__ import annotations

from typing import Final
from urllib.parse import urlencode

from sioproxy.codec.binary import SioDecoder
from sioproxy.codec.engineio import EioPacket, EioType, decode_eio, encode_eio
from sioproxy.codec.handshake import decode_open
from sioproxy.codec.parsers import WireParser, packet_messages, read_message
from sioproxy.codec.payload import PayloadDecodeError, decode_payload, encode_payload
from sioproxy.codec.socketio import SioPacket
from sioproxy.errors import DecodeError
from sioproxy.replay_client.effects import (
    ClientSessionBase,
    Connected,
    Received,
    Upgraded,
    WsConnect,
    WsDisconnect,
)
from sioproxy.session.effects import WsSend

__all__ = ["MODES", "EioClientSession"]

#: Client modes: WebSocket only, polling only, polling then upgrade.
MODES: Final = ("websocket", "polling", "upgrade")


class EioClientSession(ClientSessionBase):
    """One Engine.IO 3/4 client connection carrying Socket.IO packets."""

    def __init__(
        self,
        *,
        version: int,
        mode: str = "websocket",
        path: str = "/socket.io/",
        extra_query: tuple[tuple[str, str], ...] = (),
        parser: WireParser | None = None,
    ) -> None:
        super().__init__()
        self.parser = parser  # the recording's Socket.IO parser (docs/protocol.md#c9)
        if version not in (3, 4):
            raise ValueError(f"Engine.IO version must be 3 or 4, not {version!r}")
        if mode not in MODES:
            raise ValueError(f"mode must be one of {MODES}, not {mode!r}")
        self.version = version
        self.mode = mode
        self.path = path
        self._extra = extra_query
        self.transport = "websocket" if mode == "websocket" else "polling"
        self._decoder = SioDecoder(4 if version == 3 else 5)
        self._get_id: int | None = None
        self._post_id: int | None = None
        self._outbox: list[EioPacket] = []
        self._ws: str | None = None  # "connecting", "probing", "open"
        self._pausing = False
        self._ping_interval = 25.0
        self._ping_timeout = 20.0
        self._t = 0

    def _query(self, transport: str) -> str:
        pairs: list[tuple[str, str]] = [("EIO", str(self.version)), ("transport", transport)]
        if self.sid is not None:
            pairs.append(("sid", self.sid))
        if transport == "polling":
            self._t += 1
            pairs.append(("t", f"sioproxy{self._t}"))  # cache-buster (B.1)
        return urlencode([*pairs, *self._extra])

    # -- opening ---------------------------------------------------------------

    def start(self) -> None:
        """Begin the handshake on the mode's first transport."""
        if self.mode == "websocket":
            self._ws = "connecting"
            self._out.append(WsConnect(self.path, self._query("websocket")))
        else:
            self._get_id = self._call("GET", self.path, self._query("polling"))

    def _opened(self, data: str | bytes | None) -> None:
        try:
            info = decode_open(data if isinstance(data, str) else "")
        except DecodeError as exc:
            self._abort(f"bad open packet: {exc}")
            return
        self.sid = info.sid
        self._ping_interval = info.ping_interval / 1000
        self._ping_timeout = info.ping_timeout / 1000
        self._out.append(Connected(info.sid, self.transport))
        if self.version == 3:
            self._arm("ping", self._ping_interval)
        else:
            self._arm("watchdog", self._ping_interval + self._ping_timeout)
        if self.mode == "upgrade" and "websocket" in info.upgrades:
            self._ws = "connecting"
            self._out.append(WsConnect(self.path, self._query("websocket")))

    # -- the application's side ---------------------------------------------------

    def send(self, packet: SioPacket) -> None:
        """Send one Socket.IO packet (header, then one message per attachment, C.6)."""
        if self.ended is not None:
            return
        parts = packet_messages(packet, self.parser)
        self._send_eio([EioPacket(type=EioType.MESSAGE, data=part) for part in parts])

    def close(self) -> None:
        """Client close: ``1`` on the current transport, then the end (B.9)."""
        if self.ended is not None:
            return
        if self._ws == "open":
            self._out.append(WsSend(encode_eio(EioPacket(type=EioType.CLOSE), self.version)))
            self._out.append(WsDisconnect())
        elif self.sid is not None:
            self._call("POST", self.path, self._query("polling"), self._body([_CLOSE]))
        self._end("client close")

    def _send_eio(self, packets: list[EioPacket]) -> None:
        if self._ws == "open":
            for packet in packets:
                self._out.append(WsSend(encode_eio(packet, self.version)))
            return
        self._outbox.extend(packets)
        self._flush_post()

    def _body(self, packets: list[EioPacket]) -> bytes:
        # Text framing with base64 binary: engine.io-client never posts XHR2
        # binary payloads unless asked (B.5.1, B.5.2 (b)).
        return encode_payload(packets, self.version)

    def _flush_post(self) -> None:
        if self._post_id is not None or not self._outbox or self._pausing or self.sid is None:
            return
        packets, self._outbox = self._outbox, []
        self._post_id = self._call("POST", self.path, self._query("polling"), self._body(packets))

    # -- HTTP answers -------------------------------------------------------------

    def http_response(
        self, call_id: int, status: int, content_type: str | None, body: bytes
    ) -> None:
        """The answer to an ``HttpCall``."""
        if self.ended is not None:
            return
        if call_id == self._post_id:
            self._post_id = None
            if status != 200:
                self._abort(f"POST answered HTTP {status}")
                return
            self._flush_post()
            self._maybe_finish_upgrade()
        elif call_id == self._get_id:
            self._get_id = None
            if status != 200:
                self._abort(f"poll answered HTTP {status}: {body[:80]!r}")
                return
            self._poll_body(body, content_type)

    def http_failed(self, call_id: int, reason: str) -> None:
        if self.ended is None and call_id in (self._get_id, self._post_id):
            self._abort(f"transport error: {reason}")

    def _poll_body(self, body: bytes, content_type: str | None) -> None:
        failed: str | None = None
        try:
            packets = decode_payload(body, self.version, content_type=content_type)
        except PayloadDecodeError as exc:
            packets, failed = exc.packets, str(exc)  # B.5: what came before counts
        except DecodeError as exc:
            packets, failed = [], str(exc)
        for packet in packets:
            if self.ended is not None:
                return
            self._on_packet(packet)
        if failed is not None:
            self._abort(f"parse error: {failed}")
        elif self.ended is None and self.transport == "polling":
            if self._pausing:
                self._maybe_finish_upgrade()
            else:
                self._get_id = self._call("GET", self.path, self._query("polling"))
        self._flush_post()

    # -- WebSocket ----------------------------------------------------------------

    def ws_opened(self) -> None:
        if self.ended is not None or self._ws != "connecting":
            return
        if self.mode == "websocket":
            self._ws = "open"  # the open packet comes as the first frame (B.3)
        else:
            self._ws = "probing"
            self._out.append(WsSend("2probe"))

    def ws_message(self, data: str | bytes) -> None:
        if self.ended is not None or self._ws is None:
            return
        try:
            packet = decode_eio(data, self.version)
        except DecodeError as exc:
            self._abort(f"parse error: {exc}")
            return
        if self._ws == "probing":
            if packet.type is EioType.PONG and packet.data == "probe":
                self._pausing = True  # wait for the in-flight GET/POST (B.8)
                self._maybe_finish_upgrade()
            return
        self._on_packet(packet)

    def ws_closed(self, reason: str) -> None:
        if self.ended is not None or self._ws is None:
            return
        if self._ws in ("probing", "connecting") and self.mode == "upgrade":
            self._ws, self._pausing = None, False  # a failed probe leaves polling alone
            if self._get_id is None and self.sid is not None:
                self._get_id = self._call("GET", self.path, self._query("polling"))
            self._flush_post()
            return
        self._end(f"transport close: {reason}")

    def _maybe_finish_upgrade(self) -> None:
        if not self._pausing or self._get_id is not None or self._post_id is not None:
            return
        self._pausing = False
        self._ws, self.transport = "open", "websocket"
        self._out.append(WsSend("5"))
        self._out.append(Upgraded("websocket"))
        packets, self._outbox = self._outbox, []
        self._send_eio(packets)

    # -- packets from the server ------------------------------------------------------

    def _on_packet(self, packet: EioPacket) -> None:
        ptype = packet.type
        if ptype is EioType.MESSAGE:
            self._on_message(packet.data)
        elif ptype is EioType.OPEN:
            self._opened(packet.data)
        elif ptype is EioType.PING and self.version == 4:
            self._arm("watchdog", self._ping_interval + self._ping_timeout)
            self._send_eio([EioPacket(type=EioType.PONG, data=packet.data)])
        elif ptype is EioType.PONG and self.version == 3:
            if "pong" in self._armed:
                self._disarm("pong")
                self._arm("ping", self._ping_interval)
        elif ptype is EioType.CLOSE:
            if self._ws is not None:
                self._out.append(WsDisconnect())
            self._end("server close")
        # NOOP releases a poll; UPGRADE never comes from a server.

    def _on_message(self, data: str | bytes | None) -> None:
        try:
            packet = read_message(self._decoder, self.parser, data or "", "server")
        except DecodeError as exc:
            self._abort(f"parse error: {exc}")
            return
        if packet is not None:
            self._out.append(Received(packet))

    def _fire(self, name: str) -> None:
        if name == "ping":  # EIO3: the client pings (B.4)
            self._send_eio([EioPacket(type=EioType.PING)])
            self._arm("pong", self._ping_timeout)
        else:  # "pong" (EIO3) or "watchdog" (EIO4)
            self._abort("ping timeout")

    def _abort(self, reason: str) -> None:
        if self._ws is not None:
            self._out.append(WsDisconnect())
        self._end(reason)


_CLOSE: Final = EioPacket(type=EioType.CLOSE)
