"""The causes of recorded server packets, and how they read.

Layer: pure (recording). ``Cause`` is what ``sioproxy.recording.causes``
infers for a server packet: the client packets it waits for
(``Dependency``), its ``CauseKind`` and why; ``describe_cause`` is its
one-line text for ``sioproxy show --causes`` and ``replay --verbose``.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

__all__ = ["Cause", "CauseKind", "Dependency", "describe_cause", "ns_name"]


class CauseKind(StrEnum):
    CONNECT = "connect"
    ACK = "ack"
    REPLY = "reply"
    CROSS = "cross"
    PUSH = "push"


@dataclass(frozen=True, slots=True)
class Dependency:
    """A recorded client packet (``seq`` on connection ``conn``) that must play first."""

    conn: str
    seq: int


@dataclass(frozen=True, slots=True, kw_only=True)
class Cause:
    """Why the server packet ``seq`` on ``conn`` was sent.

    ``after`` lists the client packets it waits for, its own connection's
    first; empty for a push. ``reason`` says it in words.
    """

    conn: str
    seq: int
    kind: CauseKind
    after: tuple[Dependency, ...] = ()
    reason: str = ""
    also: int | None = None
    gate: int | None = None

    def cross(self) -> tuple[Dependency, ...]:
        """The dependencies on other connections' packets."""
        return tuple(d for d in self.after if d.conn != self.conn)


def describe_cause(cause: Cause) -> str:
    """One short text for ``show --causes``: ``waits for #3, c2 #5: follows ...``."""
    if not cause.after:
        return cause.reason
    deps = ", ".join(
        f"#{d.seq}" if d.conn == cause.conn else f"{d.conn} #{d.seq}" for d in cause.after
    )
    return f"{cause.kind.value}: waits for {deps}: {cause.reason}"


def ns_name(nsp: str) -> str:
    return repr(nsp) if nsp else "the default endpoint"
