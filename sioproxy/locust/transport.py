"""Run one recorded connection under gevent: the replay client's sans-IO core, a second loop.

Layer: transport for Locust workers (imports gevent, urllib3 and
websocket-client; never twisted). It carries out the effects of a client
session (``sioproxy.replay_client``) the way ``sioproxy.replay_client.edge.client``
does under Twisted: ``HttpCall`` through a urllib3 pool, ``WsConnect``/``WsSend``
through websocket-client, ``Arm``/``Disarm`` as gevent timers. Both libraries
speak plain blocking sockets, which gevent's monkey-patching (done by
``import locust``) turns cooperative; both are what Locust's own users and
python-socketio's client already rely on.

Everything that touches the session or the replayer runs in the connection's
own greenlet: helper greenlets (an HTTP request, the WebSocket reader, a
timer) only put a callable into its inbox. Nothing here decides what to send
or what counts as drift; the observer hears what happened (docs/load.md).
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Callable
from typing import Any, Protocol

import gevent
import urllib3
import websocket
from gevent.queue import Queue

from sioproxy.codec.legacy import LegacyPacket
from sioproxy.codec.packets import Packet
from sioproxy.net.upstream import Upstream
from sioproxy.replay_client import (
    Arm,
    ClientEffect,
    ClientReplayer,
    Closed,
    Connected,
    ConnectionResult,
    Disarm,
    DriftItem,
    Finish,
    HttpCall,
    LegacyClientSession,
    Received,
    SendPacket,
    WsConnect,
    WsDisconnect,
)
from sioproxy.replay_client.plan import ClientSession, ConnectionPlan
from sioproxy.session.effects import WsSend

__all__ = ["ConnectionObserver", "GeventConnection"]

# A held poll lasts up to pingInterval (25 s by default); leave room for pingTimeout.
_POLL_READ_TIMEOUT = 70.0
# How long a client close's last requests (the polling close packet ``1``) may take to go.
_CLOSE_GRACE = 1.0


class ConnectionObserver(Protocol):
    """What a connection tells its user as it plays (times from ``time.monotonic``)."""

    def connected(self, conn: str, transport: str, seconds: float) -> None: ...

    def not_connected(self, reason: str, seconds: float) -> None: ...

    def sent(self, packet: Packet, now: float) -> None: ...

    def received(self, packet: Packet, now: float, drift: list[DriftItem]) -> None: ...

    def drifted(self, drift: list[DriftItem]) -> None: ...


class GeventConnection:
    """One live connection: a client session, its replayer, its sockets and timers."""

    def __init__(
        self,
        target: Upstream,
        plan: ConnectionPlan,
        replayer: ClientReplayer,
        observer: ConnectionObserver,
        *,
        connect_timeout: float = 10.0,
        pool: urllib3.PoolManager | None = None,
        on_progress: Callable[[], None] | None = None,
    ) -> None:
        self.target = target
        self.plan = plan
        self.replayer = replayer
        self.observer = observer
        self.session: ClientSession = plan.session()
        self.connected = False
        self._connect_timeout = connect_timeout
        self._inbox: Queue[Callable[[], None]] = Queue()
        self._timers: dict[str, tuple[gevent.Greenlet[Any, Any], int]] = {}
        self._timer_count = 0
        self._helpers: list[gevent.Greenlet[Any, Any]] = []
        self._ws: Any = None
        self._started = 0.0
        self._pool = pool or urllib3.PoolManager(maxsize=4, retries=False)
        self._own_pool = pool is None
        self._drift_seen = 0
        # Called in this greenlet after each step (the session's PlayOrder may let others go).
        self._on_progress = on_progress or (lambda: None)

    def run(self) -> ConnectionResult:
        """Play the connection to its end (blocks this greenlet) and return its result."""
        self._started = time.monotonic()
        self._arm("_connect", self._connect_timeout)
        self.session.start()
        try:
            self._pump()
            self._on_progress()
            while self.session.ended is None:
                self._inbox.get()()
                self._pump()
                self._on_progress()
        finally:
            self._shut()
        if not self.connected:
            self.observer.not_connected(
                self.session.ended or "ended", time.monotonic() - self._started
            )
        self.replayer.on_closed(self.session.ended or "ended", time.monotonic())
        self._report_drift()
        self._on_progress()  # an ended connection no longer holds the others
        return self.replayer.result(self.session.transport, self.session.ended or "ended")

    def poke(self) -> None:
        """Another connection played on: this one's next packet may go now.

        Any greenlet may call it; the replayer is asked in this connection's own.
        """
        self._inbox.put(self._poked)

    def _poked(self) -> None:
        if self.connected and self.replayer.finished is None and self.session.ended is None:
            self._act(self.replayer.on_timer(time.monotonic()))

    # -- effects --------------------------------------------------------------------------

    def _pump(self) -> None:
        while effects := self.session.take_effects():
            for effect in effects:
                self._apply(effect)

    def _apply(self, effect: ClientEffect) -> None:
        if isinstance(effect, HttpCall):
            self._spawn(self._http, effect)
        elif isinstance(effect, WsConnect):
            self._spawn(self._ws_run, effect)
        elif isinstance(effect, WsSend):
            self._ws_send(effect.data)
        elif isinstance(effect, WsDisconnect):
            self._ws_close()
        elif isinstance(effect, Arm):
            self._arm(effect.name, effect.delay)
        elif isinstance(effect, Disarm):
            self._disarm(effect.name)
        elif isinstance(effect, Connected):
            self.connected = True
            self._disarm("_connect")
            now = time.monotonic()
            self.observer.connected(self.plan.conn, effect.transport, now - self._started)
            self._act(self.replayer.start(now))
        elif isinstance(effect, Received):
            now = time.monotonic()
            actions = self.replayer.on_packet(effect.packet, now)
            self.observer.received(effect.packet, now, self._new_drift())
            self._act(actions)
        elif isinstance(effect, Closed):
            self._timers_off()
        # Upgraded: the session switched transport by itself; nothing to carry out.

    def _act(self, actions: list[SendPacket | Finish]) -> None:
        for action in actions:
            if isinstance(action, SendPacket):
                self.observer.sent(action.packet, time.monotonic())
                self._send(action.packet)
            else:
                self.session.close()
        self._report_drift()
        self._disarm("_replay")
        wakeup = self.replayer.next_wakeup()
        if wakeup is not None and self.session.ended is None:
            self._arm("_replay", max(0.0, wakeup - time.monotonic()))

    def _send(self, packet: Packet) -> None:
        session = self.session
        if isinstance(session, LegacyClientSession):
            assert isinstance(packet, LegacyPacket)
            session.send(packet)
        else:
            assert not isinstance(packet, LegacyPacket)
            session.send(packet)

    def _new_drift(self) -> list[DriftItem]:
        fresh = self.replayer.drift[self._drift_seen :]
        self._drift_seen = len(self.replayer.drift)
        return fresh

    def _report_drift(self) -> None:
        fresh = self._new_drift()
        if fresh:
            self.observer.drifted(fresh)

    # -- helpers and timers ---------------------------------------------------------------

    def _spawn(self, run: Callable[..., None], *args: Any) -> None:
        self._helpers = [g for g in self._helpers if not g.dead]
        self._helpers.append(gevent.spawn(run, *args))

    def _arm(self, name: str, delay: float) -> None:
        self._disarm(name)
        self._timer_count += 1
        token = self._timer_count  # a call queued by an older arming of ``name`` is stale
        fire = gevent.spawn_later(delay, self._inbox.put, lambda: self._fired(name, token))
        self._timers[name] = (fire, token)

    def _disarm(self, name: str) -> None:
        timer = self._timers.pop(name, None)
        if timer is not None:
            timer[0].kill(block=False)

    def _timers_off(self) -> None:
        for name in list(self._timers):
            self._disarm(name)

    def _fired(self, name: str, token: int) -> None:
        timer = self._timers.get(name)
        if timer is None or timer[1] != token:
            return  # disarmed or armed again after it had queued its call
        del self._timers[name]
        if name == "_replay":
            self._act(self.replayer.on_timer(time.monotonic()))
        elif name == "_connect":
            self.session.abort(f"not connected within {self._connect_timeout:g} s")
        else:
            self.session.timer_fired(name)

    def _shut(self) -> None:
        self._timers_off()
        if self._ws is not None:
            self._ws.shutdown()
            self._ws = None
        if self.session.ended == "client close":
            # The close packet must reach the server (else it waits for a ping timeout and
            # keeps a recoverable session, docs/protocol.md#c10, in use): the held poll the
            # close ends goes too.
            gevent.joinall([g for g in self._helpers if not g.dead], timeout=_CLOSE_GRACE)
        gevent.killall([g for g in self._helpers if not g.dead], block=False)
        if self._own_pool:
            self._pool.clear()

    # -- HTTP (polling) -----------------------------------------------------------------------

    def _http(self, call: HttpCall) -> None:
        url = self.target.http_url(call.path, call.query)
        headers = {"content-type": call.content_type or "text/plain"} if call.body else {}
        session = self.session
        try:
            answer = self._pool.request(
                call.method,
                url,
                body=call.body or None,
                headers=headers,
                timeout=urllib3.Timeout(connect=self._connect_timeout, read=_POLL_READ_TIMEOUT),
                preload_content=True,
                redirect=False,
            )
        except Exception as exc:  # any socket or protocol error ends this request only
            reason = f"{type(exc).__name__}: {exc}"
            self._inbox.put(lambda: session.http_failed(call.call_id, reason))
            return
        ctype = answer.headers.get("content-type")
        status, data = answer.status, answer.data

        def deliver() -> None:
            session.http_response(call.call_id, status, ctype, data)

        self._inbox.put(deliver)

    # -- WebSocket --------------------------------------------------------------------------

    def _ws_run(self, effect: WsConnect) -> None:
        """Connect, then read until the socket ends (a helper greenlet)."""
        session = self.session
        try:
            ws = websocket.create_connection(
                self.target.ws_url(effect.path, effect.query),
                timeout=self._connect_timeout,
                enable_multithread=True,
                suppress_origin=True,
            )
        except Exception as exc:
            reason = f"{type(exc).__name__}: {exc}"
            self._inbox.put(lambda: session.ws_closed(reason))
            return
        ws.settimeout(None)
        self._inbox.put(lambda: self._ws_opened(ws))
        reason = "closed by the server"
        try:
            while True:
                opcode, data = ws.recv_data()
                if opcode == websocket.ABNF.OPCODE_CLOSE:
                    break
                message: str | bytes = (
                    data.decode("utf-8", "replace")
                    if opcode == websocket.ABNF.OPCODE_TEXT
                    else bytes(data)
                )
                self._inbox.put(lambda m=message: session.ws_message(m))
        except Exception as exc:
            reason = f"{type(exc).__name__}: {exc}"
        self._inbox.put(lambda: self._ws_ended(ws, reason))

    def _ws_opened(self, ws: Any) -> None:
        self._ws = ws
        self.session.ws_opened()

    def _ws_ended(self, ws: Any, reason: str) -> None:
        if ws is self._ws or self._ws is None:
            self._ws = None
            self.session.ws_closed(reason)

    def _ws_send(self, data: str | bytes) -> None:
        if self._ws is None:
            return
        try:
            if isinstance(data, bytes):
                self._ws.send_binary(data)
            else:
                self._ws.send(data)
        except Exception as exc:  # the reader sees the same end and reports it
            self.replayer.notes.append(f"WebSocket send failed: {exc}")

    def _ws_close(self) -> None:
        if self._ws is not None:
            with contextlib.suppress(Exception):  # already gone: the reader reports the end
                self._ws.send_close()
