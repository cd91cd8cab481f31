"""A sans-IO Socket.IO 0.9 client session.

Layer: pure. Imports the standard library, sioproxy's 0.9 codec and the effect
vocabulary of ``eio_client``; never twisted. It behaves like socket.io-client
0.9.16 (docs/protocol.md#part-a):

* handshake ``GET /socket.io/1/?t=...`` answered ``sid:heartbeat:close:transports`` (A.2);
* then ``websocket`` (``/socket.io/1/websocket/<sid>``, one packet per frame,
  tolerating framed payloads from the server, A.3.1) or ``xhr-polling``
  (``GET``/``POST /socket.io/1/xhr-polling/<sid>``, U+FFFD framing with UTF-16
  lengths when a POST carries several packets, A.3.2, A.5);
* the session counts as connected on the server's ``1::`` (A.3);
* every server heartbeat ``2::`` is answered ``2::``; on websocket the
  connection is given up after ``heartbeat timeout`` seconds without any
  packet (A.7); noops ``8::`` are dropped;
* ``0::`` from the server ends the session (A.9); ``close()`` sends ``0::``.
"""

from __future__ import annotations

from typing import Final

from sioproxy.codec.legacy import LegacyPacket, LegacyType, encode_packet
from sioproxy.codec.legacy_framing import decode_handshake, decode_payload, encode_packets
from sioproxy.errors import DecodeError
from sioproxy.replay_client.effects import (
    ClientSessionBase,
    Connected,
    Received,
    WsConnect,
    WsDisconnect,
)
from sioproxy.session.effects import WsSend

__all__ = ["LEGACY_MODES", "LegacyClientSession"]

LEGACY_MODES: Final = ("websocket", "xhr-polling")
_HEARTBEAT: Final = LegacyPacket(type=LegacyType.HEARTBEAT)
_DISCONNECT: Final = LegacyPacket(type=LegacyType.DISCONNECT)


class LegacyClientSession(ClientSessionBase):
    """One 0.9 client connection (handshake plus one transport)."""

    def __init__(
        self, *, mode: str = "websocket", resource: str = "/socket.io", extra_query: str = ""
    ) -> None:
        super().__init__()
        if mode not in LEGACY_MODES:
            raise ValueError(f"0.9 mode must be one of {LEGACY_MODES}, not {mode!r}")
        self.mode = mode
        self.transport = mode
        self.resource = resource.rstrip("/")
        self._extra = extra_query
        self._hs_id: int | None = None
        self._get_id: int | None = None
        self._post_id: int | None = None
        self._outbox: list[LegacyPacket] = []
        self._ws_open = False
        self._connected = False
        self._heartbeat_timeout: int | None = None
        self._t = 0

    def _query(self, *, cache_bust: bool) -> str:
        parts = [self._extra] if self._extra else []
        if cache_bust:
            self._t += 1
            parts.append(f"t={self._t}")  # the client's cache-buster (A.1)
        return "&".join(parts)

    def _transport_path(self) -> str:
        return f"{self.resource}/1/{self.mode}/{self.sid}"

    def start(self) -> None:
        """Handshake first (A.2); the transport opens when it is answered."""
        self._hs_id = self._call("GET", f"{self.resource}/1/", self._query(cache_bust=True))

    # -- the application's side -----------------------------------------------------

    def send(self, packet: LegacyPacket) -> None:
        if self.ended is not None:
            return
        if self._ws_open:
            self._out.append(WsSend(encode_packet(packet)))
            return
        self._outbox.append(packet)
        self._flush_post()

    def close(self) -> None:
        """Send ``0::`` (whole-socket disconnect, A.9) and end."""
        if self.ended is not None:
            return
        if self._ws_open:
            self._out.append(WsSend(encode_packet(_DISCONNECT)))
            self._out.append(WsDisconnect())
        elif self.sid is not None and self.mode == "xhr-polling":
            body = encode_packets([*self._outbox, _DISCONNECT]).encode("utf-8")
            self._call("POST", self._transport_path(), self._query(cache_bust=True), body)
        self._end("client close")

    def _flush_post(self) -> None:
        if not self._outbox or not self._connected:
            return
        if self._ws_open:
            packets, self._outbox = self._outbox, []
            self._out.extend(WsSend(encode_packet(p)) for p in packets)
            return
        if self._post_id is not None or self.mode != "xhr-polling":
            return
        packets, self._outbox = self._outbox, []
        body = encode_packets(packets).encode("utf-8")
        self._post_id = self._call(
            "POST", self._transport_path(), self._query(cache_bust=True), body
        )

    # -- HTTP answers ---------------------------------------------------------------

    def http_response(
        self, call_id: int, status: int, content_type: str | None, body: bytes
    ) -> None:
        if self.ended is not None:
            return
        text = body.decode("utf-8", "replace")
        if call_id == self._hs_id:
            self._hs_id = None
            self._handshake(status, text)
        elif call_id == self._post_id:
            self._post_id = None
            if status != 200:
                self._end(f"POST answered HTTP {status}")
                return
            self._flush_post()
        elif call_id == self._get_id:
            self._get_id = None
            if status != 200:
                self._end(f"poll answered HTTP {status}: {text[:80]!r}")
                return
            self._frames(text)
            if self.ended is None:
                self._get_id = self._call(
                    "GET", self._transport_path(), self._query(cache_bust=True)
                )

    def http_failed(self, call_id: int, reason: str) -> None:
        if self.ended is None and call_id in (self._hs_id, self._get_id, self._post_id):
            self._end(f"transport error: {reason}")

    def _handshake(self, status: int, text: str) -> None:
        if status != 200:
            self._end(f"handshake refused: HTTP {status} {text[:80]!r}")
            return
        try:
            handshake = decode_handshake(text)
        except DecodeError as exc:
            self._end(f"bad handshake: {exc}")
            return
        if handshake.transports and self.mode not in handshake.transports:
            self._end(f"server does not offer {self.mode} ({','.join(handshake.transports)})")
            return
        self.sid = handshake.sid
        self._heartbeat_timeout = handshake.heartbeat_timeout
        if self.mode == "websocket":
            self._out.append(WsConnect(self._transport_path(), self._query(cache_bust=False)))
        else:
            self._get_id = self._call("GET", self._transport_path(), self._query(cache_bust=True))

    # -- WebSocket ------------------------------------------------------------------

    def ws_opened(self) -> None:
        if self.ended is None:
            self._ws_open = True
            self._watchdog()

    def ws_message(self, data: str | bytes) -> None:
        if self.ended is not None:
            return
        text = data if isinstance(data, str) else data.decode("utf-8", "replace")
        self._watchdog()
        self._frames(text)

    def ws_closed(self, reason: str) -> None:
        if self.ended is None:
            self._end(f"transport close: {reason}")

    def _watchdog(self) -> None:
        # The 0.9.16 client's timer, reset by any packet; off on polling (A.7).
        if self._heartbeat_timeout:
            self._arm("heartbeat", float(self._heartbeat_timeout))

    def _fire(self, name: str) -> None:
        if self._ws_open:
            self._out.append(WsDisconnect())
        self._end("heartbeat timeout")

    # -- packets from the server -------------------------------------------------------

    def _frames(self, text: str) -> None:
        # The 0.9.16 client runs decodePayload on every body and frame (A.3.1).
        try:
            packets = decode_payload(text)
        except DecodeError as exc:
            self._end(f"parse error: {exc}")
            return
        for packet in packets:
            if self.ended is not None:
                return
            self._on_packet(packet)

    def _on_packet(self, packet: LegacyPacket) -> None:
        ptype = packet.type
        if ptype is LegacyType.HEARTBEAT:
            self.send(_HEARTBEAT)
        elif ptype is LegacyType.NOOP:
            return
        elif ptype is LegacyType.CONNECT and packet.endpoint == "" and not self._connected:
            self._connected = True
            self._out.append(Connected(self.sid or "", self.transport))
            self._flush_post()
        elif ptype is LegacyType.DISCONNECT and packet.endpoint == "":
            self._out.append(Received(packet))
            if self._ws_open:
                self._out.append(WsDisconnect())
            self._end("server disconnect")
        else:
            self._out.append(Received(packet))
