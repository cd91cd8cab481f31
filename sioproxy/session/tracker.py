"""All connections seen by one proxy: requests and messages in, events out.

Layer: pure (session); the Twisted relay calls it and carries out nothing
itself. Connections get stable labels ``c1``, ``c2``... in the order they are
first seen. A 0.9 session is born at its handshake (A.2) and found again by the
sid in each transport URL; an Engine.IO session by the open packet's sid and
the ``sid`` query parameter (B.1, B.3); a WebSocket with a known sid is an
upgrade (B.8).

Memory bounds live in ``upkeep`` (docs/reliability.md, "Limits"). A polling
request for a sid never seen (a session older than the proxy, or a made-up
one) is adopted only on the upstream's 200, so made-up sids leave nothing.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from sioproxy.codec.limits import MAX_DECODE_CHARS
from sioproxy.codec.parsers import WireParser
from sioproxy.session.bodies import body_packets, conn_request, handshake_in, not_handshaken
from sioproxy.session.budget import PendingBudget
from sioproxy.session.connection import Connection
from sioproxy.session.events import (
    ConnectionClosed,
    ConnectionOpened,
    ConnectionUpgraded,
    PacketSeen,
    RequestSummary,
    SessionEvent,
)
from sioproxy.session.routes import Route, RouteKind, classify
from sioproxy.session.upkeep import MAX_TRACKED_CONNECTIONS, Upkeep
from sioproxy.types import Direction, Generation

Headers = Sequence[tuple[str, str]]
_LEGACY = Generation.LEGACY  # per message: a module constant is cheaper than the enum lookup


@dataclass(slots=True)
class _Exchange:
    route: Route
    request: RequestSummary
    conn: Connection | None
    adopt_body: bytes | None = None  # an unknown sid's request, adopted on a 200 (its body)
    counted: bool = False  # in conn.inflight


class SessionTracker:
    """Turns relayed traffic into session events (sans-IO)."""

    def __init__(
        self,
        *,
        clock: Callable[[], float],
        resource_path: str = "/socket.io",
        max_packet_bytes: int | None = None,
        max_connections: int = MAX_TRACKED_CONNECTIONS,
        parser: WireParser | None = None,
        max_decode: int = MAX_DECODE_CHARS,
    ) -> None:
        self._clock = clock
        self._max_decode = max_decode  # --max-decode (codec.limits.MAX_DECODE_CHARS)
        self._parser = parser  # --parser: every connection's (else detected, C.9)
        self._start = clock()
        self._resource_path = resource_path
        self._seq = 0
        self._label_count = 0
        self._by_sid: dict[str, Connection] = {}
        self._exchanges: dict[int, _Exchange] = {}
        self._ws: dict[int, Connection] = {}
        self.connections: dict[str, Connection] = {}
        self.budget = PendingBudget(max_packet_bytes)
        self.upkeep = Upkeep(self.connections, self._by_sid, self.budget, max_connections)
        self.is_closed_sid = self.upkeep.is_closed_sid
        # Closed connections stay in ``connections`` until the caller, done with
        # the close event, calls this.
        self.forget_closed = self.upkeep.forget_closed

    def resume(self, *, seq: int, label: int, t_offset: float) -> None:
        """Continue a file's numbering (``record --append``): seqs after ``seq``,
        labels after ``c<label>``, times from ``t_offset``. Call before any traffic."""
        self._seq = max(self._seq, seq)
        self._label_count = max(self._label_count, label)
        self._start = self._clock() - t_offset

    # -- bookkeeping ------------------------------------------------------

    def stamp(self) -> tuple[int, float]:
        self._seq += 1
        return self._seq, round(self._clock() - self._start, 6)

    def _new_connection(self, generation: Generation) -> Connection | None:
        """A new tracked connection, or None when ``max_connections`` are tracked already."""
        if not self.upkeep.has_room():
            return None
        self._label_count += 1
        conn = Connection(
            f"c{self._label_count}",
            generation,
            self.stamp,
            self.budget,
            self._parser,
            self._max_decode,
        )
        self.connections[conn.label] = conn
        return conn

    def _open(
        self,
        conn: Connection,
        transport: str,
        request: RequestSummary,
        stamp: tuple[int, float] | None = None,
    ) -> ConnectionOpened:
        self.upkeep.opened(conn)
        conn.opened = True
        conn.transport = transport
        seq, t = stamp if stamp is not None else self.stamp()
        return ConnectionOpened(
            seq=seq,
            conn=conn.label,
            t=t,
            generation=conn.generation,
            transport=transport,
            sid=conn.sid,
            request=request,
            handshake=conn.handshake_body,
        )

    def _close(self, conn: Connection, reason: str, by: Direction | None) -> list[SessionEvent]:
        if conn.closed or not conn.opened:
            return []
        conn.closed = True
        self.upkeep.closed(conn)
        seq, t = self.stamp()
        return [ConnectionClosed(seq=seq, conn=conn.label, t=t, reason=reason, by=by)]

    def close_all(self, reason: str) -> list[SessionEvent]:
        events: list[SessionEvent] = []
        for conn in self.connections.values():
            events.extend(self._close(conn, reason, None))
        return events

    def open_connections(self) -> int:
        return sum(1 for c in self.connections.values() if c.opened and not c.closed)

    def state_totals(self) -> dict[str, int]:
        """What the tracker holds now, for ``/metrics`` (docs/operations.md)."""
        totals = self.upkeep.totals()
        totals["tracked_exchanges"] = len(self._exchanges)
        totals["tracked_websockets"] = len(self._ws)
        return totals

    # -- HTTP -------------------------------------------------------------

    def wants_body(self, path: str, query: str) -> bool:
        return classify(path, query, self._resource_path).decodable

    def undecoded_transport(self, path: str, query: str) -> str | None:
        """The 0.9 transport sioproxy forwards untouched (htmlfile), for the log."""
        route = classify(path, query, self._resource_path)
        if route.kind is RouteKind.LEGACY_TRANSPORT and not route.decodable:
            return route.transport.value if route.transport else None
        return None

    def http_request(
        self, exchange_id: int, method: str, path: str, query: str, headers: Headers, body: bytes
    ) -> list[SessionEvent]:
        route = classify(path, query, self._resource_path)
        request = RequestSummary(method=method, path=path, query=query, headers=tuple(headers))
        conn = self._by_sid.get(route.sid) if route.sid else None
        exchange = _Exchange(route, request, conn)
        self._exchanges[exchange_id] = exchange
        if self.is_closed_sid(route.sid):
            exchange.conn = None  # a late request for a closed session: nothing to record
            return []
        if conn is None:
            if route.sid and route.kind is not RouteKind.OTHER:
                exchange.adopt_body = body if method == "POST" else b""  # see the response
            return []
        exchange.counted = True
        conn.touch(self._clock(), +1)
        return self._request_events(conn, route, request, body)

    def _settle(self, exchange: _Exchange) -> None:
        if exchange.conn is not None:
            exchange.conn.touch(self._clock(), -1 if exchange.counted else 0)

    def expire_idle(self) -> list[SessionEvent]:
        """Close the polling connections whose client went away without a word.

        Their sessions are gone upstream too (see ``connection.IDLE_GRACE``).
        """
        now = self._clock()
        events: list[SessionEvent] = []
        for conn in self.upkeep.idle(now):
            reason = f"no request for {now - conn.last_active:.0f} s: the client went away"
            events.extend(self._close(conn, reason, None))
        return events

    def _request_events(
        self, conn: Connection, route: Route, request: RequestSummary, body: bytes
    ) -> list[SessionEvent]:
        events: list[SessionEvent] = []
        if not conn.opened and route.transport is not None:
            events.append(self._open(conn, route.transport.value, conn_request(conn, request)))
        if request.method != "POST" or not body:
            return events
        events.extend(self._decode_body(conn, route, Direction.C2S, body, post=True))
        if route.forced_disconnect:
            events.extend(self._close(conn, "client forced disconnect", Direction.C2S))
        return events

    def http_response(
        self, exchange_id: int, status: int, headers: Headers, body: bytes
    ) -> list[SessionEvent]:
        exchange = self._exchanges.pop(exchange_id, None)
        if exchange is None:
            return []
        self._settle(exchange)
        if exchange.adopt_body is not None:
            return self._adopted_response(exchange, status, headers, body)
        route, conn = exchange.route, exchange.conn
        if route.kind is RouteKind.LEGACY_HANDSHAKE:
            return self._legacy_handshake(exchange, status, body)
        if status != 200 or exchange.request.method != "GET" or route.kind is not RouteKind.EIO:
            if conn is None or status == 200:
                return self._legacy_response(exchange, status, body)
            return self._close(conn, f"HTTP {status} from upstream", Direction.S2C)
        if conn is None:
            if route.sid is not None:
                return []
            conn = self._new_connection(route.generation or Generation.EIO4)
            if conn is None:
                return []
            conn.touch(self._clock())
            opened_at = self.stamp()  # the open entry comes first, though the sid is in the body
            conn.opened = True
            events = self._decode_body(conn, route, Direction.S2C, body, post=False)
            if conn.sid is not None:
                self._by_sid[conn.sid] = conn
            return [self._open(conn, "polling", exchange.request, opened_at), *events]
        return self._decode_body(conn, route, Direction.S2C, body, post=False)

    def _adopted_response(
        self, exchange: _Exchange, status: int, headers: Headers, body: bytes
    ) -> list[SessionEvent]:
        """A request for a sid the proxy had not seen: a session only once the upstream says 200."""
        route, sid, request_body = exchange.route, exchange.route.sid, exchange.adopt_body
        assert sid is not None
        assert request_body is not None
        exchange.adopt_body = None
        if status != 200 or self.is_closed_sid(sid) or not_handshaken(route, body):
            return []  # a made-up (or expired) sid: nothing tracked, nothing recorded
        conn = self._by_sid.get(sid)  # another request may have adopted it meanwhile
        if conn is None:
            conn = self._adopt(route)
        if conn is None:
            return []
        exchange.conn = conn
        conn.touch(self._clock())
        events = self._request_events(conn, route, exchange.request, request_body)
        if conn.closed or exchange.request.method != "GET":
            return events
        return [*events, *self._decode_body(conn, route, Direction.S2C, body, post=False)]

    def http_error(self, exchange_id: int, reason: str | None = None) -> list[SessionEvent]:
        """An exchange failed in the relay; ``reason`` None means the client hung up.

        Otherwise the client got the proxy's 5xx/413 for a session's request,
        which an engine.io client takes as a transport error and closes on
        (B.9), so the session ends here too and its recording gets its close.
        """
        exchange = self._exchanges.pop(exchange_id, None)
        if exchange is not None:
            self._settle(exchange)
        if exchange is None or exchange.conn is None or reason is None:
            return []
        return self._close(exchange.conn, f"upstream error: {reason}", Direction.S2C)

    def _legacy_response(self, exchange: _Exchange, status: int, body: bytes) -> list[SessionEvent]:
        conn = exchange.conn
        if conn is None or status != 200 or exchange.request.method != "GET":
            return []
        return self._decode_body(conn, exchange.route, Direction.S2C, body, post=False)

    def _legacy_handshake(
        self, exchange: _Exchange, status: int, body: bytes
    ) -> list[SessionEvent]:
        found = handshake_in(exchange.route, body) if status == 200 else None
        if found is None:
            return []
        handshake, text = found
        conn = self._new_connection(Generation.LEGACY)
        if conn is None:
            return []
        conn.legacy_handshake(handshake, exchange.request, text)
        conn.touch(self._clock())
        self._by_sid[handshake.sid] = conn
        self.upkeep.unopened(conn)
        return []

    def _adopt(self, route: Route) -> Connection | None:
        conn = self._new_connection(route.generation or Generation.EIO4)
        if conn is None:
            return None
        conn.sid = route.sid
        assert route.sid is not None
        self._by_sid[route.sid] = conn
        return conn

    def _decode_body(
        self, conn: Connection, route: Route, direction: Direction, body: bytes, *, post: bool
    ) -> list[SessionEvent]:
        return self._with_close(conn, direction, body_packets(conn, route, direction, body, post))

    def _with_close(
        self, conn: Connection, direction: Direction, packets: list[PacketSeen]
    ) -> list[SessionEvent]:
        """Append the close event when one of the packets ends the session."""
        events: list[SessionEvent] = list(packets)
        for packet in packets:
            reason = conn.close_reason(packet)
            if reason is not None:
                events.extend(self._close(conn, reason, direction))
        return events

    # -- WebSocket --------------------------------------------------------

    def ws_open(
        self, ws_id: int, method: str, path: str, query: str, headers: Headers
    ) -> list[SessionEvent]:
        route = classify(path, query, self._resource_path)
        request = RequestSummary(method=method, path=path, query=query, headers=tuple(headers))
        if route.kind not in (RouteKind.EIO, RouteKind.LEGACY_TRANSPORT):
            return []
        if self.is_closed_sid(route.sid):
            return []
        conn = self._by_sid.get(route.sid) if route.sid else None
        if conn is None:
            # The upstream accepted this WebSocket, so an unknown sid is a real session.
            conn = (
                self._adopt(route)
                if route.sid
                else self._new_connection(route.generation or Generation.EIO4)
            )
        if conn is None:
            return []
        self._ws[ws_id] = conn
        if not conn.opened:
            return [self._open(conn, "websocket", conn_request(conn, request))]
        conn.transport = "websocket"
        seq, t = self.stamp()
        return [
            ConnectionUpgraded(
                seq=seq, conn=conn.label, t=t, transport="websocket", request=request
            )
        ]

    def ws_message(
        self, ws_id: int, direction: Direction, data: bytes, is_binary: bool
    ) -> list[SessionEvent]:
        conn = self._ws.get(ws_id)
        if conn is None:
            return []
        if conn.generation is Generation.LEGACY:
            text = data.decode("utf-8", "replace")
            return self._with_close(conn, direction, conn.legacy_body(direction, text, "websocket"))
        had_sid = conn.sid is not None
        packets = conn.ws_frame(direction, data, is_binary)
        if not had_sid and conn.sid is not None:
            self._by_sid[conn.sid] = conn
        return self._with_close(conn, direction, packets)

    def ws_text(self, ws_id: int, direction: Direction, data: bytes) -> PacketSeen | None:
        """The hot path: a text message that is one whole Socket.IO packet, as its event.

        That event is what ``ws_message`` would return alone: such a message
        teaches no sid and closes nothing. None, with nothing consumed, for
        any other message: then call ``ws_message``.
        """
        conn = self._ws.get(ws_id)
        if conn is None:
            return None
        if conn.generation is _LEGACY:
            return conn.legacy_text(direction, data)
        return conn.ws_text(direction, data)

    def ws_close(
        self, ws_id: int, initiator: Direction | None, code: int | None, reason: str | None
    ) -> list[SessionEvent]:
        conn = self._ws.pop(ws_id, None)
        if conn is None or conn.transport != "websocket":
            return []
        # No code: the peer dropped the TCP connection, or its close frame had no status.
        status = str(code) if code is not None else "no status code"
        text = f"websocket closed ({status}{' ' + reason if reason else ''})"
        return self._close(conn, text, initiator)
