"""The stand-in server's sessions: registry, effects and timers.

Layer: transport (imports twisted). ``StandInServer`` owns the pure sessions
of ``sioproxy.standin.sessions`` (Engine.IO 3/4 or 0.9) of one stand-in site,
carries out their effects (answer a held poll, send or close a WebSocket,
forget a session) and runs their timers with ``reactor.callLater``. Session
ids are fresh ``secrets.token_urlsafe(15)`` values (20 URL-safe characters,
no ``:``), never taken from a recording.
"""

from __future__ import annotations

import itertools
import secrets
from collections.abc import Callable
from typing import Any

from twisted.logger import Logger
from twisted.python.failure import Failure

from sioproxy.session.effects import WsSend
from sioproxy.standin.edge.host import Request, WsPeer
from sioproxy.standin.edge.http import write_response
from sioproxy.standin.sessions.app import (
    AppFactory,
    Effect,
    Ended,
    HttpResponse,
    ReplyPoll,
    SessionBase,
    StandInConfig,
    WsClose,
    json_error,
)
from sioproxy.standin.sessions.eio_session import EioSession
from sioproxy.standin.sessions.legacy_session import LegacySession, unknown_sid_response

log = Logger()


def new_sid() -> str:
    """20 URL-safe characters from ``secrets`` (node's base64id shape, A.2/B.3)."""
    return secrets.token_urlsafe(15)


class StandInServer:
    """The sessions of one stand-in site, their held polls, WebSockets and timers."""

    def __init__(self, reactor: Any, config: StandInConfig, app_factory: AppFactory) -> None:
        self.reactor = reactor
        self.config = config
        self.app_factory = app_factory
        self.sessions: dict[str, SessionBase] = {}
        self._polls: dict[int, tuple[str, Request]] = {}
        self._ws: dict[str, WsPeer] = {}
        self._timers: dict[str, tuple[float, Any]] = {}
        self._draining: set[str] = set()
        self._again: set[str] = set()
        self._next_poll = itertools.count(1).__next__
        self._labels = itertools.count(1)
        # Told (one line) about each request of another protocol generation.
        self.on_wrong_protocol: Callable[[str], None] | None = None

    def wrong_protocol(self, text: str) -> None:
        if self.on_wrong_protocol is not None:
            self.on_wrong_protocol(text)

    # -- sessions ---------------------------------------------------------------

    def new_eio_session(
        self, transport: str, b64: bool = False, query: tuple[tuple[str, str], ...] = ()
    ) -> EioSession:
        sid = new_sid()
        session = EioSession(
            sid=sid,
            label=f"c{next(self._labels)}",
            config=self.config,
            app_factory=self.app_factory,
            clock=self.reactor.seconds,
            transport=transport,
            b64=b64,
        )
        session.conn.query = query
        self._register(session)
        return session

    def new_legacy_session(self, query: tuple[tuple[str, str], ...] = ()) -> LegacySession:
        session = LegacySession(
            sid=new_sid(),
            label=f"c{next(self._labels)}",
            config=self.config,
            app_factory=self.app_factory,
            clock=self.reactor.seconds,
        )
        session.conn.query = query
        self._register(session)
        session.start()
        self.drain(session)
        return session

    def _register(self, session: SessionBase) -> None:
        self.sessions[session.sid] = session
        session.wake = lambda: self.drain(session)

    def poll(self, session: SessionBase, request: Request, *args: Any) -> HttpResponse | None:
        """A polling GET; remembered under a fresh poll id while the session holds it."""
        poll_id = self._next_poll()
        self._polls[poll_id] = (session.sid, request)
        if isinstance(session, (EioSession, LegacySession)):
            response = session.poll(poll_id, *args)
        else:
            raise TypeError(f"not a stand-in session: {session!r}")
        if response is not None:
            del self._polls[poll_id]
        else:
            request.notifyFinish().addErrback(self._poll_gone, session, poll_id)
        return response

    def _poll_gone(self, _: Failure, session: SessionBase, poll_id: int) -> None:
        if self._polls.pop(poll_id, None) is not None and session.ended is None:
            if isinstance(session, EioSession | LegacySession):
                session.poll_aborted(poll_id)
            self.drain(session)

    def attach_ws(self, sid: str, proto: WsPeer) -> None:
        self._ws[sid] = proto

    def ws_is(self, sid: str, proto: WsPeer) -> bool:
        return self._ws.get(sid) is proto

    def forget_ws(self, sid: str, proto: WsPeer) -> None:
        if self._ws.get(sid) is proto:
            del self._ws[sid]

    # -- effects and timers -------------------------------------------------------

    def drain(self, session: SessionBase) -> None:
        """Carry out the session's effects, then re-arm its timer. Re-entrant safe."""
        sid = session.sid
        if sid in self._draining:
            self._again.add(sid)
            return
        self._draining.add(sid)
        try:
            while True:
                self._again.discard(sid)
                for effect in session.take_effects():
                    self._apply(sid, effect)
                if sid not in self._again:
                    break
        finally:
            self._draining.discard(sid)
        self._schedule(session)

    def _apply(self, sid: str, effect: Effect) -> None:
        if isinstance(effect, ReplyPoll):
            held = self._polls.pop(effect.poll_id, None)
            if held is None or not write_response(held[1], effect.response):
                log.warn("stand-in {sid}: a poll response was lost (client gone)", sid=sid)
        elif isinstance(effect, WsSend):
            proto = self._ws.get(sid)
            if proto is not None and proto.open:
                data = effect.data
                if isinstance(data, str):
                    proto.send_text(data)
                else:
                    proto.send_bytes(data)
        elif isinstance(effect, WsClose):
            proto = self._ws.pop(sid, None)
            if proto is not None:
                proto.close(effect.code)
        elif isinstance(effect, Ended):
            self._ended(sid)

    def _ended(self, sid: str) -> None:
        session = self.sessions.pop(sid, None)
        timer = self._timers.pop(sid, None)
        if timer is not None and timer[1].active():
            timer[1].cancel()
        proto = self._ws.pop(sid, None)
        if proto is not None:
            proto.close(1000)
        for poll_id, (owner, request) in list(self._polls.items()):
            if owner == sid:
                del self._polls[poll_id]
                gone = (
                    unknown_sid_response(None)
                    if isinstance(session, LegacySession)
                    else json_error(1, "Session ID unknown")
                )
                write_response(request, gone)

    def _schedule(self, session: SessionBase) -> None:
        sid = session.sid
        deadline = session.next_deadline()
        if session.ended is not None:
            deadline = None
        timer = self._timers.get(sid)
        if timer is not None:
            if timer[0] == deadline and timer[1].active():
                return  # most messages leave the heartbeat deadline as it was
            del self._timers[sid]
            if timer[1].active():
                timer[1].cancel()
        if deadline is None:
            return
        delay = max(0.0, deadline - self.reactor.seconds())
        self._timers[sid] = (deadline, self.reactor.callLater(delay, self._fire, session))

    def _fire(self, session: SessionBase) -> None:
        self._timers.pop(session.sid, None)
        session.on_timer()
        self.drain(session)

    def close_all(self) -> None:
        """Close every session (shutdown)."""
        for session in list(self.sessions.values()):
            session.close()
            self.drain(session)
