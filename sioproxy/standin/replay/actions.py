"""What the replay engine is told and what it tells back: options and actions.

Layer: pure (replay), sans-IO; never twisted. ``ReplayOptions`` says how a
replay matches and times packets (checked when built: a bad value is a
``ConfigError``); ``Send``, ``Mismatch`` and ``Done`` are the actions the
replay engine returns for the replay server to carry out.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from sioproxy.codec.legacy import LegacyPacket
from sioproxy.codec.socketio import SioPacket
from sioproxy.errors import ConfigError
from sioproxy.jsonpointer import Pointer
from sioproxy.recording.matching import MATCH_MODES, parse_ignore
from sioproxy.standin.replay.report import MismatchReport

MISS_MODES = ("error", "ignore", "ack-empty")


@dataclass(frozen=True, slots=True, kw_only=True)
class ReplayOptions:
    """How to match and time a replay; raises ConfigError on a bad value."""

    match: str = "strict"
    ignore: tuple[str, ...] = ()
    on_miss: str = "error"
    speed: float = 1.0
    max_gap: float | None = None
    auto_ack_legacy: bool = True
    # Causes across connections (docs/replay.md, "Causes"): how long after
    # another connection's client packet a server packet counts as caused by
    # it, and how long it waits for that packet live before it is sent anyway.
    cause_window: float = 1.0
    max_wait: float = 5.0
    # Client packets of these events are taken as they come: never compared, never a miss;
    # the recorded ones (and the server packets they cause) are not owed.
    ignore_events: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if self.match not in MATCH_MODES:
            raise ConfigError(None, None, f"--match must be one of {', '.join(MATCH_MODES)}")
        if self.on_miss not in MISS_MODES:
            raise ConfigError(None, None, f"--on-miss must be one of {', '.join(MISS_MODES)}")
        if not self.speed >= 0:
            raise ConfigError(None, None, f"--speed must be 0 or more, got {self.speed}")
        if self.max_gap is not None and not self.max_gap >= 0:
            raise ConfigError(None, None, f"--max-gap must be 0 or more, got {self.max_gap}")
        for name, value in (("--cause-window", self.cause_window), ("--max-wait", self.max_wait)):
            if not value >= 0:
                raise ConfigError(None, None, f"{name} must be 0 or more, got {value}")
        self.pointers()

    def pointers(self) -> tuple[Pointer, ...]:
        return tuple(parse_ignore(p) for p in self.ignore)

    def scale(self, seconds: float) -> float:
        """A recorded gap as a replay delay: divided by speed, capped by max_gap."""
        if self.speed == 0:
            return 0.0
        delay = max(0.0, seconds) / self.speed
        return delay if self.max_gap is None else min(delay, self.max_gap)


@dataclass(frozen=True, slots=True, kw_only=True)
class Send:
    """Send ``packet`` to the live client after ``delay`` seconds (list order kept on ties).

    ``text``: the packet's Socket.IO text when it is known exactly (a recorded
    packet sent as recorded), so the session need not encode it.
    """

    packet: LegacyPacket | SioPacket
    delay: float = 0.0
    text: str | None = field(default=None, compare=False)


@dataclass(frozen=True, slots=True, kw_only=True)
class Mismatch:
    """A live client packet matched nothing; log the report, the connection goes on."""

    report: MismatchReport


@dataclass(frozen=True, slots=True, kw_only=True)
class Done:
    """Every recorded packet of the connection was played."""


Action = Send | Mismatch | Done
