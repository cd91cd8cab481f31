"""What the client-side replay engine is told and what it asks for: options and actions.

Layer: pure (sans-IO); never twisted. ``ReplayClientOptions`` says how to
play (docs/replay-client.md, "Options"); the engine (``replayer.py``) returns
``SendPacket`` and ``Finish`` actions for the transport to carry out.
"""

from __future__ import annotations

from dataclasses import dataclass

from sioproxy.codec.packets import Packet
from sioproxy.errors import ConfigError
from sioproxy.jsonpointer import Pointer
from sioproxy.recording.causes import DEFAULT_MAX_WAIT
from sioproxy.replay_client.capture import Capture

__all__ = ["Action", "Finish", "ReplayClientOptions", "SendPacket"]


@dataclass(frozen=True, slots=True, kw_only=True)
class ReplayClientOptions:
    """How to play. Times in seconds; ``speed=None`` means reactive playback."""

    timeout: float = 5.0
    speed: float | None = None
    max_gap: float | None = None
    ignore: tuple[Pointer, ...] = ()
    captures: tuple[Capture, ...] = ()
    max_wait: float = DEFAULT_MAX_WAIT
    # Server packets of these events (and acks of requests of them): neither expected nor compared.
    ignore_events: frozenset[str] = frozenset()

    def __post_init__(self) -> None:
        if self.timeout <= 0:
            raise ConfigError(None, None, "--timeout must be positive")
        if self.max_wait < 0:
            raise ConfigError(None, None, "--max-wait must be 0 or more")
        if self.speed is not None and self.speed < 0:
            raise ConfigError(None, None, "--speed must be 0 or more")
        if self.max_gap is not None and self.max_gap < 0:
            raise ConfigError(None, None, "--max-gap must be 0 or more")

    def scale(self, gap: float) -> float:
        gap = max(gap, 0.0)
        gap = 0.0 if not self.speed else gap / self.speed
        return gap if self.max_gap is None else min(gap, self.max_gap)

    def delay(self, recorded: float) -> float:
        """A recorded wait outside the packets (a connection's start, a reconnection's time
        away): as recorded when reactive, else scaled like a gap; capped by ``max_gap``."""
        if self.speed is not None:
            return self.scale(recorded)
        recorded = max(recorded, 0.0)
        return recorded if self.max_gap is None else min(recorded, self.max_gap)


@dataclass(frozen=True, slots=True)
class SendPacket:
    """Send ``packet`` to the live server (the recorded client step ``index``)."""

    packet: Packet
    index: int


@dataclass(frozen=True, slots=True)
class Finish:
    """Every recorded packet is played or given up: close the connection."""

    reason: str


Action = SendPacket | Finish
