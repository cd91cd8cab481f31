"""Carry out a client session's effects: the one dispatch both event loops share.

Layer: pure (sans-IO; no twisted, no gevent). A ``ConnectionDriver`` owns one
live connection's client session and replayer and turns the session's effects
into calls of a few primitives that its event loop supplies: the time, a
timer started and cancelled, an HTTP request, a WebSocket opened, written to
and closed. ``sioproxy.replay_client.edge.connection`` supplies them from
Twisted, ``sioproxy.locust.transport`` from gevent; answers come back through
the session's own methods (``http_response``, ``ws_message`` ...) followed by
``_pump``. The ``_on_*`` hooks let an edge hear what happened (Locust's
request events, the Twisted runner's result); nothing in an edge decides
what to send or what counts as drift.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable
from typing import Any

from sioproxy.codec.legacy import LegacyPacket
from sioproxy.codec.packets import Packet
from sioproxy.codec.socketio import SioPacket
from sioproxy.replay_client.actions import Finish, SendPacket
from sioproxy.replay_client.effects import (
    Arm,
    ClientEffect,
    Closed,
    Connected,
    Disarm,
    HttpCall,
    Received,
    Upgraded,
    WsConnect,
    WsDisconnect,
)
from sioproxy.replay_client.legacy_client import LegacyClientSession
from sioproxy.replay_client.plan import ClientSession, ConnectionPlan
from sioproxy.replay_client.replayer import ClientReplayer
from sioproxy.session.effects import WsSend

__all__ = ["ConnectionDriver"]


class ConnectionDriver(ABC):
    """One live connection's session and replayer; an edge subclass supplies the I/O.

    Timers are named (the session's own, ``_connect`` for the connect timeout,
    ``_replay`` for the replayer's next wakeup). Each arming has a token: a
    timer's call that an event loop had already queued when the timer was
    disarmed or armed again is stale and does nothing.
    """

    def __init__(self, plan: ConnectionPlan, replayer: ClientReplayer, connect_timeout: float):
        self.plan = plan
        self.replayer = replayer
        self.session: ClientSession = plan.session()
        self.connected = False
        self._connect_timeout = connect_timeout
        self._timers: dict[str, tuple[Any, int]] = {}
        self._timer_count = 0
        self._pumping = False

    # -- primitives an edge supplies ----------------------------------------------------

    @abstractmethod
    def _now(self) -> float:
        """The loop's clock, in seconds."""

    @abstractmethod
    def _start_timer(self, delay: float, fire: Callable[[], None]) -> Any:
        """Call ``fire`` in the connection's own context after ``delay``; returns a handle."""

    @abstractmethod
    def _cancel_timer(self, handle: Any) -> None:
        """Stop a timer ``_start_timer`` started (it may have fired already)."""

    @abstractmethod
    def _http(self, call: HttpCall) -> None:
        """Make the request; answer with ``session.http_response`` or ``http_failed``."""

    @abstractmethod
    def _ws_connect(self, effect: WsConnect) -> None:
        """Open the WebSocket; answer with ``session.ws_opened``/``ws_message``/``ws_closed``."""

    @abstractmethod
    def _ws_send(self, data: str | bytes) -> None:
        """Send one message (text for ``str``, binary for ``bytes``) if the socket is open."""

    @abstractmethod
    def _ws_close(self) -> None:
        """Start the WebSocket's closing handshake if the socket is open."""

    # -- hooks (an edge overrides those it needs) -------------------------------------

    def _on_connected(self, transport: str, now: float) -> None:
        """The session is connected; the replayer starts right after."""
        return None  # nothing to hear by default

    def _on_sent(self, packet: Packet, now: float) -> None:
        """The replayer sends ``packet`` now."""
        return None  # nothing to hear by default

    def _on_received(self, packet: Packet, now: float) -> None:
        """The replayer has taken the live server's ``packet``."""
        return None  # nothing to hear by default

    def _on_acted(self) -> None:
        """The replayer's actions were carried out and its wakeup armed."""
        return None  # nothing to hear by default

    def _on_closed(self, reason: str) -> None:
        """The session ended (its timers are off)."""
        return None  # nothing to hear by default

    # -- the dispatch --------------------------------------------------------------------

    def _begin(self) -> None:
        self._arm("_connect", self._connect_timeout)
        self.session.start()
        self._pump()

    def _pump(self) -> None:
        if self._pumping:
            return  # the outer loop takes the new effects
        self._pumping = True
        try:
            while effects := self.session.take_effects():
                for effect in effects:
                    self._apply(effect)
        finally:
            self._pumping = False

    def _apply(self, effect: ClientEffect) -> None:
        if isinstance(effect, HttpCall):
            self._http(effect)
        elif isinstance(effect, WsConnect):
            self._ws_connect(effect)
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
            now = self._now()
            self._on_connected(effect.transport, now)
            self._act(self.replayer.start(now))
        elif isinstance(effect, Received):
            now = self._now()
            actions = self.replayer.on_packet(effect.packet, now)
            self._on_received(effect.packet, now)
            self._act(actions)
        elif isinstance(effect, Closed):
            self._timers_off()
            self._on_closed(effect.reason)
        elif isinstance(effect, Upgraded):
            pass  # the session switched transport by itself; nothing to carry out

    def _act(self, actions: list[SendPacket | Finish]) -> None:
        for action in actions:
            if isinstance(action, SendPacket):
                self._on_sent(action.packet, self._now())
                self._send(action.packet)
            else:
                self.session.close()
        self._disarm("_replay")
        wakeup = self.replayer.next_wakeup()
        if wakeup is not None and self.session.ended is None:
            self._arm("_replay", max(0.0, wakeup - self._now()))
        self._on_acted()

    def _replay_on(self) -> None:
        """Another connection played on: this one's next packet may go now."""
        if self.connected and self.replayer.finished is None and self.session.ended is None:
            self._act(self.replayer.on_timer(self._now()))
        self._pump()

    def _send(self, packet: Packet) -> None:
        session = self.session
        if isinstance(session, LegacyClientSession):
            assert isinstance(packet, LegacyPacket)
            session.send(packet)
        else:
            assert isinstance(packet, SioPacket)
            session.send(packet)

    # -- timers -------------------------------------------------------------------------

    def _arm(self, name: str, delay: float) -> None:
        self._disarm(name)
        self._timer_count += 1
        token = self._timer_count  # a call queued by an older arming of ``name`` is stale
        handle = self._start_timer(delay, lambda: self._fired(name, token))
        self._timers[name] = (handle, token)

    def _disarm(self, name: str) -> None:
        timer = self._timers.pop(name, None)
        if timer is not None:
            self._cancel_timer(timer[0])

    def _timers_off(self) -> None:
        for name in list(self._timers):
            self._disarm(name)

    def _fired(self, name: str, token: int) -> None:
        timer = self._timers.get(name)
        if timer is None or timer[1] != token:
            return  # disarmed or armed again after it had queued its call
        del self._timers[name]
        if name == "_replay":
            self._act(self.replayer.on_timer(self._now()))
        elif name == "_connect":
            self.session.abort(f"not connected within {self._connect_timeout:g} s")
        else:
            self.session.timer_fired(name)
        self._pump()
