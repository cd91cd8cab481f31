"""Run one recorded connection under gevent: the replay client's sans-IO core, a second loop.

Layer: transport for Locust workers (imports gevent, urllib3 and
websocket-client; never twisted). It supplies the primitives with which the
pure ``sioproxy.replay_client.driver`` carries out a client session's effects,
the same dispatch ``sioproxy.replay_client.edge.connection`` runs under
Twisted: ``HttpCall`` through a urllib3 pool, ``WsConnect``/``WsSend``
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

from sioproxy.codec.packets import Packet
from sioproxy.net.upstream import Upstream
from sioproxy.replay_client import ClientReplayer, ConnectionResult, DriftItem, HttpCall, WsConnect
from sioproxy.replay_client.driver import ConnectionDriver
from sioproxy.replay_client.plan import ConnectionPlan

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


class GeventConnection(ConnectionDriver):
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
        super().__init__(plan, replayer, connect_timeout)
        self.target = target
        self.observer = observer
        self._inbox: Queue[Callable[[], None]] = Queue()
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
        try:
            self._begin()
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
        self._inbox.put(self._replay_on)

    # -- what the driver hears --------------------------------------------------------------

    def _on_connected(self, transport: str, now: float) -> None:
        self.observer.connected(self.plan.conn, transport, now - self._started)

    def _on_received(self, packet: Packet, now: float) -> None:
        self.observer.received(packet, now, self._new_drift())

    def _on_sent(self, packet: Packet, now: float) -> None:
        self.observer.sent(packet, now)

    def _on_acted(self) -> None:
        self._report_drift()

    def _new_drift(self) -> list[DriftItem]:
        fresh = self.replayer.drift[self._drift_seen :]
        self._drift_seen = len(self.replayer.drift)
        return fresh

    def _report_drift(self) -> None:
        fresh = self._new_drift()
        if fresh:
            self.observer.drifted(fresh)

    # -- helpers and timers ---------------------------------------------------------------

    def _now(self) -> float:
        return time.monotonic()

    def _spawn(self, run: Callable[..., None], *args: Any) -> None:
        self._helpers = [g for g in self._helpers if not g.dead]
        self._helpers.append(gevent.spawn(run, *args))

    def _start_timer(self, delay: float, fire: Callable[[], None]) -> Any:
        return gevent.spawn_later(delay, self._inbox.put, fire)

    def _cancel_timer(self, handle: Any) -> None:
        handle.kill(block=False)

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
        self._spawn(self._http_run, call)

    def _http_run(self, call: HttpCall) -> None:
        """Make one request and queue its answer (a helper greenlet)."""
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

    def _ws_connect(self, effect: WsConnect) -> None:
        self._spawn(self._ws_run, effect)

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
