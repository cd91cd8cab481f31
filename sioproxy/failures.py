"""Tracebacks of sioproxy's own failures, rate-limited.

Layer: pure (standard library only). A failure that one packet triggers
(a bug in a sink, a hook, the relay) can be triggered by every packet: a
peer sending the same message in a loop once made the proxy write a
2,000-line traceback per message, ``-q`` or not. Here the first failure of
a kind (where, exception type, the line that raised) is written with the
last ``MAX_FRAMES`` frames of its traceback; repeats are counted and
summarised in one line at most every ``INTERVAL`` seconds.
"""

from __future__ import annotations

import sys
import time
import traceback
from collections.abc import Callable
from typing import Final

from sioproxy.textsafe import shorten

MAX_FRAMES: Final = 12  # the end of the traceback, where it failed
INTERVAL: Final = 60.0  # seconds between two lines about the same kind
MAX_KINDS: Final = 256  # kinds remembered (the oldest is forgotten)

Kind = tuple[str, str, str, int]


def _stderr(text: str) -> None:
    try:
        sys.stderr.write(text + "\n")
        sys.stderr.flush()
    except (OSError, ValueError):  # stderr closed: reporting must not fail the caller
        pass


class FailureLog:
    """``report(where, exc)``: the first of a kind in full, then a count now and then."""

    def __init__(
        self,
        emit: Callable[[str], None] = _stderr,
        clock: Callable[[], float] = time.monotonic,
        *,
        interval: float = INTERVAL,
    ) -> None:
        self._emit = emit
        self._clock = clock
        self._interval = interval
        self._kinds: dict[Kind, list[float]] = {}  # kind -> [last line's time, repeats since]
        self.total = 0  # failures reported, shown or not

    def report(self, where: str, exc: BaseException) -> None:
        self.total += 1
        kind = (where, type(exc).__name__, *_origin(exc))
        now = self._clock()
        state = self._kinds.get(kind)
        if state is None:
            if len(self._kinds) >= MAX_KINDS:
                del self._kinds[next(iter(self._kinds))]
            self._kinds[kind] = [now, 0]
            self._emit(f"{where} failed: {_summary(exc)}\n{_short_traceback(exc)}")
            return
        state[1] += 1
        if now - state[0] >= self._interval:
            count, state[0], state[1] = int(state[1]), now, 0
            self._emit(
                f"{where} failed again: {_summary(exc)}"
                f" ({count} times in {self._interval:g} s; the traceback was shown once)"
            )


def _summary(exc: BaseException) -> str:
    text = shorten(str(exc), 200)
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__


def _origin(exc: BaseException) -> tuple[str, int]:
    """File and line of the innermost frame: where it raised."""
    tb = exc.__traceback__
    if tb is None:
        return "", 0
    while tb.tb_next is not None:
        tb = tb.tb_next
    return tb.tb_frame.f_code.co_filename, tb.tb_lineno


def _short_traceback(exc: BaseException) -> str:
    frames = sum(1 for _ in traceback.walk_tb(exc.__traceback__))
    lines = traceback.format_exception(exc, limit=-MAX_FRAMES, chain=False)
    if frames > MAX_FRAMES:
        lines.insert(1, f"  ... {frames - MAX_FRAMES} outer frames not shown\n")
    return "".join(lines).rstrip("\n")
