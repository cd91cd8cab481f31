"""Test-side helpers to drive the pure sessions: a fake clock and effect filters."""

from __future__ import annotations

from typing import Any

from sioproxy.session.effects import WsSend
from sioproxy.standin.sessions.app import Effect, Ended, HttpResponse, ReplyPoll, WsClose


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def replies(effects: list[Effect]) -> list[tuple[int, HttpResponse]]:
    return [(e.poll_id, e.response) for e in effects if isinstance(e, ReplyPoll)]


def ws_sent(effects: list[Effect]) -> list[str | bytes]:
    return [e.data for e in effects if isinstance(e, WsSend)]


def ws_closed(effects: list[Effect]) -> bool:
    return any(isinstance(e, WsClose) for e in effects)


def ended(effects: list[Effect]) -> list[str]:
    return [e.reason for e in effects if isinstance(e, Ended)]


def advance_to_deadline(session: Any, clock: FakeClock) -> None:
    """Move the clock to the session's next deadline and fire its timers."""
    deadline = session.next_deadline()
    assert deadline is not None
    clock.now = deadline
    session.on_timer()
