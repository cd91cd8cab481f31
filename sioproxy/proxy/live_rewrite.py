"""The live proxy's rewrite stage: session events -> pipeline actions -> bytes and timers.

Layer: pure. Implements the rewriting half of ``LiveObserver`` (sioproxy.proxy.live)
without importing twisted: timers and out-of-band WebSocket sends go through
the ``RelayControl`` the transport attaches (transport/observer.py).

For each received polling body or WebSocket message the tracker's events are
run through ``Pipeline.process``. When every packet comes back unchanged,
undelayed and in its own direction, the relay forwards the original bytes
(return ``None``). Otherwise the body or message is rebuilt by
``sioproxy.proxy.rewrite`` from the kept packets' original parts and the new
packets. Packets that cannot ride in the current exchange (the other
direction, or delayed) are sent on the connection's WebSocket when it has
one; on polling they are queued and added to the next body of that
connection in their direction (s2c: the next GET response; c2s: the next
POST: a polling client with nothing to POST gets its c2s injections late).

The recording sees what went on the wire (``rewrite_publish.py``); a packet
sent later or elsewhere waits as a ``Pending`` (``pending.py``); a refused
upgrade edits the handshake (``upgrade_refusal.py``).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Sequence

from sioproxy.codec.engineio import EioType
from sioproxy.errors import DecodeError, EncodeError
from sioproxy.pipeline import (
    Action,
    CloseConnection,
    CloseNamespace,
    ConsumedAck,
    Dropped,
    Emit,
    PacketContext,
    Pipeline,
)
from sioproxy.pipeline.actions import packet_namespace
from sioproxy.proxy.observer import RelayControl, RequestInfo
from sioproxy.proxy.pending import Pending, late, pending_for
from sioproxy.proxy.rewrite import (
    BodyFormat,
    Keep,
    Unit,
    close_packets,
    disconnect_packet,
    holds_exactly,
    polling_body,
    ws_messages,
    ws_units,
)
from sioproxy.proxy.rewrite_publish import Publish, Publisher
from sioproxy.proxy.upgrade_refusal import refused_legacy_handshake, refused_open
from sioproxy.session import PacketSeen, SessionEvent, SessionTracker
from sioproxy.session.events import ConnectionClosed, ConnectionOpened, ConnectionUpgraded
from sioproxy.session.routes import classify
from sioproxy.types import Direction, Fate, Generation

__all__ = ["RewriteStage"]

C2S, S2C = Direction.C2S, Direction.S2C
WsMessage = tuple[bytes, bool]


class RewriteStage:
    """Per-proxy rewrite state: queues, held binary parts, which connection is on which socket."""

    def __init__(
        self,
        pipeline: Pipeline,
        tracker: SessionTracker,
        publish: Publish,
        note: Callable[[str], None],
        resource_path: str = "/socket.io",
    ) -> None:
        self.pipeline = pipeline
        self.tracker = tracker
        self.control: RelayControl | None = None
        self._published = Publisher(tracker, publish)
        self._note = note
        self._resource_path = resource_path
        self._sid_conn: dict[str, str] = {}
        self._conn_ws: dict[str, int] = {}  # the WebSocket a connection talks on now
        self._ws_conn: dict[int, str] = {}
        self._probing: set[int] = set()  # Engine.IO sockets before the upgrade packet (B.8)
        self._queues: dict[tuple[str, Direction], list[Pending]] = {}
        self._held: dict[tuple[int, Direction], list[WsMessage]] = {}

    # ------------------------------------------------------------------ HTTP

    def http_request(
        self, req: RequestInfo, body: bytes, events: list[SessionEvent]
    ) -> bytes | None:
        units, changed = self._run(events, C2S)
        queued = self._take_queue(req, events, C2S) if req.method == "POST" else []
        if not changed and not queued:
            return None
        return self._rebuild_body(req, body, events, units, queued, C2S)

    def http_response(
        self, req: RequestInfo, status: int, body: bytes, events: list[SessionEvent]
    ) -> bytes | None:
        units, changed = self._run(events, S2C)
        if status != 200:
            return None
        if self.pipeline.rules.upgrade_rules and not events:
            return self._legacy_handshake(req, body)
        queued = self._take_queue(req, events, S2C) if req.method == "GET" else []
        if not changed and not queued:
            return None
        return self._rebuild_body(req, body, events, units, queued, S2C)

    def _take_queue(
        self, req: RequestInfo, events: list[SessionEvent], direction: Direction
    ) -> list[Pending]:
        if not self._queues:
            return []
        conn = events[0].conn if events else None
        if conn is None:
            sid = classify(req.path, req.query, self._resource_path).sid
            conn = self._sid_conn.get(sid) if sid else None
        return self._queues.pop((conn, direction), []) if conn is not None else []

    def _rebuild_body(
        self,
        req: RequestInfo,
        body: bytes,
        events: list[SessionEvent],
        units: list[Unit],
        queued: list[Pending],
        direction: Direction,
    ) -> bytes | None:
        seen = [e for e in events if isinstance(e, PacketSeen) and e.direction is direction]
        conn_label = events[0].conn if events else None
        if conn_label is None and queued:
            conn_label = self._label_of(queued[0], req)
        conn = self.tracker.connections.get(conn_label) if conn_label else None
        if conn is None:
            return None
        route = classify(req.path, req.query, self._resource_path)
        fmt = BodyFormat.detect(conn.generation, route, direction, body, conn.parser)
        try:
            if seen and not holds_exactly(fmt, body, seen):
                raise EncodeError("a binary packet is split across polling bodies")
            out = polling_body(fmt, [*units, *(p.packet for p in queued)])
        except (EncodeError, DecodeError) as exc:
            self._note(f"[{conn.label}] body forwarded as received: {exc}")
            if queued:
                self._queues.setdefault((conn.label, direction), [])[:0] = queued
            return None
        for item in queued:
            self._published.sent(item, conn.label, direction)
        return out

    def _label_of(self, item: Pending, req: RequestInfo) -> str | None:
        if item.template is not None:
            return item.template.conn
        sid = classify(req.path, req.query, self._resource_path).sid
        return self._sid_conn.get(sid) if sid else None

    def _legacy_handshake(self, req: RequestInfo, body: bytes) -> bytes | None:
        """0.9: leave ``websocket`` out of a refused connection's transports (A.2)."""
        route = classify(req.path, req.query, self._resource_path)
        connections = self.tracker.connections.values()
        return refused_legacy_handshake(route, body, connections, self.pipeline, self._note)

    # ------------------------------------------------------------------ WebSocket

    def ws_open(self, ws_id: int, events: list[SessionEvent]) -> None:
        for event in events:
            self._ws_conn[ws_id] = event.conn
            upgrading = isinstance(event, ConnectionUpgraded)
            conn = self.tracker.connections.get(event.conn)
            if upgrading and conn is not None and conn.generation is not Generation.LEGACY:
                self._probing.add(ws_id)
            else:
                self._conn_ws[event.conn] = ws_id
        self._run(events, C2S)

    def ws_message(
        self,
        ws_id: int,
        direction: Direction,
        data: bytes,
        is_binary: bool,
        events: list[SessionEvent],
    ) -> Sequence[WsMessage] | None:
        key = (ws_id, direction)
        if not events:
            if ws_id not in self._ws_conn:
                return None
            # The header or an attachment of a binary packet: hold it until the
            # packet is whole, since a rule may rewrite or drop it (C.6).
            self._held.setdefault(key, []).append((data, is_binary))
            return []
        held = self._held.pop(key, None)
        frames = (*held, (data, is_binary)) if held else ((data, is_binary),)
        if ws_id in self._probing and direction is C2S:
            self._maybe_upgraded(ws_id, events)
        units, changed = self._run(events, direction, frames)
        if not changed:
            return None if held is None else list(frames)
        first = events[0]
        conn = self.tracker.connections.get(first.conn)
        generation = conn.generation if conn is not None else Generation.EIO4
        try:
            return ws_units(units, generation, conn.parser if conn is not None else None)
        except EncodeError as exc:
            self._note(f"[{first.conn}] message forwarded as received: {exc}")
            return list(frames)

    def _maybe_upgraded(self, ws_id: int, events: list[SessionEvent]) -> None:
        for event in events:
            eio = event.eio if isinstance(event, PacketSeen) else None
            if eio is not None and eio.type is EioType.UPGRADE:
                self._probing.discard(ws_id)
                self._conn_ws[event.conn] = ws_id
                self.control_flush(event.conn)

    def control_flush(self, conn: str) -> None:
        """A connection got a WebSocket: what waited for polling bodies goes on it."""
        for direction in Direction:
            for item in self._queues.pop((conn, direction), []):
                self._send_now(conn, direction, item)

    def ws_close(self, ws_id: int, events: list[SessionEvent]) -> None:
        conn = self._ws_conn.pop(ws_id, None)
        self._probing.discard(ws_id)
        for direction in Direction:
            self._held.pop((ws_id, direction), None)
        if conn is not None and self._conn_ws.get(conn) == ws_id:
            del self._conn_ws[conn]
        self._run(events, C2S)

    def close_all(self, events: list[SessionEvent]) -> None:
        self._run(events, C2S)

    # ------------------------------------------------------------------ events -> actions

    def _run(
        self, events: list[SessionEvent], direction: Direction, frames: tuple[WsMessage, ...] = ()
    ) -> tuple[list[Unit], bool]:
        units: list[Unit] = []
        changed = False
        for event in events:
            if type(event) is PacketSeen:
                changed = self._packet(event, frames, units) or changed
            else:
                self._lifecycle(event)
        return units, changed

    def _lifecycle(self, event: SessionEvent) -> None:
        self._published.emit(event)
        if isinstance(event, ConnectionOpened):
            if event.sid is not None:
                self._sid_conn[event.sid] = event.conn
            actions = self.pipeline.on_connect(event.conn, event.generation, event.transport)
            for action in actions:
                if isinstance(action, Emit):
                    note = f"sent by {action.rule}" if action.rule else None
                    item = Pending(
                        action.packet, None, note, None, rule=action.rule, delay=late(action.delay)
                    )
                    self._schedule(event.conn, action.direction, action.delay, item)
        elif isinstance(event, ConnectionClosed):
            self.pipeline.on_disconnect(event.conn)
            self._forget(event.conn)

    def _forget(self, conn: str) -> None:
        for direction in Direction:
            for item in self._queues.pop((conn, direction), []):
                self._note(f"[{conn}] {item.note or 'queued packet'}: not sent, connection closed")
        self._conn_ws.pop(conn, None)
        self._published.forget(conn)
        for sid in [s for s, c in self._sid_conn.items() if c == conn]:
            del self._sid_conn[sid]

    def _packet(self, ev: PacketSeen, frames: tuple[WsMessage, ...], units: list[Unit]) -> bool:
        packet = ev.legacy if ev.legacy is not None else ev.sio
        if packet is None or ev.error is not None:
            eio = ev.eio
            if eio is not None and eio.type is EioType.OPEN and ev.direction is S2C:
                return self._open_packet(ev, frames, units)
            units.append(Keep(ev, frames))
            self._published.emit(ev)
            return False
        ctx = PacketContext(
            conn=ev.conn,
            direction=ev.direction,
            transport=ev.transport,
            generation=ev.generation,
            namespace=packet_namespace(packet),
            seq=ev.seq,
        )
        actions = self.pipeline.process(ctx, packet)
        if len(actions) == 1:
            first = actions[0]
            if type(first) is Emit and first.origin == "unchanged" and first.delay <= 0:
                units.append(Keep(ev, frames))
                self._published.emit(ev)
                return False
        for action in actions:
            self._action(action, ev, frames, units)
        return True

    def _action(
        self, action: Action, ev: PacketSeen, frames: tuple[WsMessage, ...], units: list[Unit]
    ) -> None:
        if isinstance(action, Emit):
            self._emit_action(action, ev, frames, units)
        elif isinstance(action, Dropped):
            note = f"not forwarded: {action.reason}"
            self._published.emit(
                dataclasses.replace(ev, note=note, fate=Fate.DROPPED, rule=action.rule)
            )
        elif isinstance(action, ConsumedAck):
            self._published.consumed(ev, action)
        elif isinstance(action, CloseNamespace):
            directions = [action.direction] if action.direction is not None else [S2C, C2S]
            note = f"namespace {action.namespace} closed by rule {action.rule!r}"
            for direction in directions:
                packet = disconnect_packet(ev.generation, action.namespace)
                item = Pending(packet, None, note, ev, rule=action.rule, delay=late(action.delay))
                self._out(ev, direction, action.delay, item, units)
        elif isinstance(action, CloseConnection):
            self._close_connection(ev, action, units)

    def _emit_action(
        self, action: Emit, ev: PacketSeen, frames: tuple[WsMessage, ...], units: list[Unit]
    ) -> None:
        origin = action.origin
        if origin == "unchanged" and action.direction is ev.direction and action.delay <= 0:
            units.append(Keep(ev, frames))
            self._published.emit(ev)
            return
        self._out(ev, action.direction, action.delay, pending_for(action, ev), units)

    def _close_connection(self, ev: PacketSeen, action: CloseConnection, units: list[Unit]) -> None:
        note = f"connection closed by rule {action.rule!r}"
        for direction in (S2C, C2S):
            for packet in close_packets(ev.generation):
                item = Pending(packet, None, note, ev, rule=action.rule, delay=late(action.delay))
                self._out(ev, direction, action.delay, item, units)
        ws_id = self._conn_ws.get(ev.conn)
        control = self.control
        if ws_id is not None and control is not None:
            # After the close packets are written (the current message goes first).
            control.call_later(
                action.delay, lambda: control.ws_close(ws_id, 1000, "closed by rule")
            )

    # ------------------------------------------------------------------ sending

    def _out(
        self, ev: PacketSeen, direction: Direction, delay: float, item: Pending, units: list[Unit]
    ) -> None:
        """Into the current exchange when it can ride there, else sent or queued."""
        if direction is ev.direction and delay <= 0:
            units.append(item.packet)
            self._published.sent(item, ev.conn, direction)
        else:
            self._schedule(ev.conn, direction, delay, item)

    def _schedule(self, conn: str, direction: Direction, delay: float, item: Pending) -> None:
        control = self.control
        if delay > 0 and control is not None:
            control.call_later(delay, lambda: self._send_now(conn, direction, item))
        else:
            self._send_now(conn, direction, item)

    def _send_now(self, conn: str, direction: Direction, item: Pending) -> None:
        state = self.tracker.connections.get(conn)
        if state is None or state.closed:
            self._note(f"[{conn}] {item.note or 'packet'}: not sent, connection closed")
            return
        ws_id = self._conn_ws.get(conn)
        if ws_id is not None and self.control is not None:
            messages = ws_messages(item.packet, state.generation, state.parser)
            if self.control.ws_send(ws_id, direction, messages):
                self._published.sent(item, conn, direction)
                return
        self._queues.setdefault((conn, direction), []).append(item)

    def _open_packet(
        self, ev: PacketSeen, frames: tuple[WsMessage, ...], units: list[Unit]
    ) -> bool:
        """Engine.IO: a refused connection is told it has no upgrades (B.3, B.8)."""
        item = refused_open(ev, self.pipeline)
        if item is None:
            units.append(Keep(ev, frames))
            self._published.emit(ev)
            return False
        self._out(ev, S2C, 0.0, item, units)
        return True
