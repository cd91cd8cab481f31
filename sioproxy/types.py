"""Small enums shared by every layer.

Layer: pure, imports nothing from sioproxy. Values are the spellings used in
recordings, logs and on the command line.
"""

from __future__ import annotations

from enum import StrEnum


class Direction(StrEnum):
    """Which way a frame travels."""

    C2S = "c2s"
    S2C = "s2c"

    @property
    def arrow(self) -> str:
        return "->" if self is Direction.C2S else "<-"

    def reverse(self) -> Direction:
        return Direction.S2C if self is Direction.C2S else Direction.C2S


class Generation(StrEnum):
    """Protocol generation of a connection: 0.9, Engine.IO 3 (SIO v4) or 4 (SIO v5)."""

    LEGACY = "0.9"
    EIO3 = "eio3"
    EIO4 = "eio4"

    @property
    def eio_version(self) -> int | None:
        return {Generation.EIO3: 3, Generation.EIO4: 4}.get(self)

    @property
    def sio_revision(self) -> int | None:
        return {Generation.EIO3: 4, Generation.EIO4: 5}.get(self)


class TransportName(StrEnum):
    """Transport of a frame. 0.9 names kept as the protocol spells them."""

    WEBSOCKET = "websocket"
    POLLING = "polling"
    XHR_POLLING = "xhr-polling"
    JSONP_POLLING = "jsonp-polling"
    HTMLFILE = "htmlfile"
    FLASHSOCKET = "flashsocket"


class Fate(StrEnum):
    """What the proxy did with a packet when rules or hooks ran (recordings' ``fate``).

    No fate: forwarded as received. ``dropped``: received, not forwarded (the
    receiver never saw it). ``injected``: made by the proxy (the sender never
    sent it). ``rewritten``: the entry is what was forwarded, its ``original``
    what the sender sent. ``delayed``: forwarded unchanged, ``delay`` seconds late.
    """

    DROPPED = "dropped"
    INJECTED = "injected"
    REWRITTEN = "rewritten"
    DELAYED = "delayed"


class Side(StrEnum):
    """One end of a proxied connection: whose view of a recording to take."""

    CLIENT = "client"
    SERVER = "server"

    def sends(self, direction: Direction) -> bool:
        """Whether this side is the sender of packets travelling ``direction``."""
        return (direction is Direction.C2S) == (self is Side.CLIENT)
