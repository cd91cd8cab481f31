"""Effects shared by the sans-IO sessions of both replay programs.

Layer: pure (session). The stand-in's server sessions and the replay client's
client sessions each return a union of effects for their Twisted edge to carry
out; the effects both sides share live here once.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["WsSend"]


@dataclass(frozen=True, slots=True)
class WsSend:
    """Send one WebSocket message: text for ``str``, binary for ``bytes``."""

    data: str | bytes
