"""A packet the rewrite stage sends later or elsewhere: ``Pending``.

Layer: pure. Used by ``sioproxy.proxy.live_rewrite``; never twisted. A packet
that cannot ride in the current exchange (the other direction, or delayed)
waits as a ``Pending`` for its time or for the next polling body of its
connection; it carries what its recording entry will say (note, fate, rule).
"""

from __future__ import annotations

from dataclasses import dataclass

from sioproxy.pipeline import Emit
from sioproxy.proxy.rewrite import Outgoing
from sioproxy.session import PacketSeen
from sioproxy.types import Fate

__all__ = ["Pending", "late", "pending_for"]

_FOLLOWS = frozenset({Fate.REWRITTEN, Fate.DELAYED})


def late(delay: float) -> float | None:
    """A positive delay for the recording's ``delay`` key, else None."""
    return delay if delay > 0 else None


@dataclass(frozen=True, slots=True)
class Pending:
    """A packet waiting for its time, or for the next polling body of its connection."""

    packet: Outgoing
    original: PacketSeen | None
    note: str | None
    template: PacketSeen | None
    fate: Fate = Fate.INJECTED
    rule: str | None = None
    delay: float | None = None

    @property
    def follows(self) -> PacketSeen | None:
        """The received packet this one is a form of (rewritten or delayed), if any."""
        return self.template if self.fate in _FOLLOWS else None


def pending_for(action: Emit, ev: PacketSeen) -> Pending:
    """What the pipeline's ``Emit`` for received packet ``ev`` sends, and how it is recorded."""
    rule = f" by rule {action.rule!r}" if action.rule else ""
    if action.origin == "rewritten":
        note, fate = f"rewritten{rule}", Fate.REWRITTEN
    elif action.origin == "injected":
        note, fate = f"injected{rule}", Fate.INJECTED
    else:
        note, fate = f"delayed {action.delay:g} s{rule}", Fate.DELAYED
    original = ev if action.origin == "rewritten" else None
    return Pending(
        action.packet,
        original,
        note,
        ev,
        fate=fate,
        rule=action.rule,
        delay=late(action.delay),
    )
