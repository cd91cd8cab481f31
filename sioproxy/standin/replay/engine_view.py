"""What a miss report reads of a replay engine: ``EngineView``.

Layer: pure (replay); types only. ``report.py`` explains a miss from the
engine's state and ``engine.py`` builds those reports, so the report names
the engine by this protocol and imports run one way: engine -> report.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Protocol

from sioproxy.codec.packets import Packet
from sioproxy.recording.matching import Comparison
from sioproxy.recording.script import Script

__all__ = ["EngineView", "MatchOptions"]


class MatchOptions(Protocol):
    """The replay options a report names (``ReplayOptions``)."""

    @property
    def match(self) -> str: ...


class EngineView(Protocol):
    """One connection's replay engine, as its mismatch reports see it."""

    script: Script
    label: str
    # Which other recorded connection a packet would match (scheduler), if any.
    elsewhere: Callable[[Packet], str | None] | None

    @property
    def options(self) -> MatchOptions: ...

    def compare(self, index: int, packet: Packet) -> Comparison: ...

    def next_ordered(self) -> int | None: ...

    def eligible(self, index: int) -> bool: ...

    def is_played(self, index: int) -> bool: ...

    def sent_id(self, request: int) -> int | None: ...
