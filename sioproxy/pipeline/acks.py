"""Ack-id bookkeeping of one connection: injected requests, renumbering, ack faults.

Layer: pure pipeline. Imports only the standard library and ``sioproxy.types``;
never twisted. Works on plain ids; ``process`` rewrites the packets.

docs/protocol.md#d1: the sender of a request allocates its id and the receiver
echoes it in the ack, so ids live in a scope (connection, namespace, request
direction) and the two directions never mix. The proxy injecting a request
speaks for the apparent sender of that scope, so its id must not collide with
the ids that sender uses:

* An injected id is chosen above every id seen so far in that direction,
  across namespaces (gevent shares one counter across namespaces, D.2), plus
  ``gap``, so the sender's own counter does not reach it for a long time.
* If the sender does reach an id the proxy injected in that scope, the scope
  switches to renumbering for the rest of the connection: every later request
  of the sender gets a fresh wire id, and the answer coming back is
  translated to the id the sender used. Consistent in both directions, at the
  cost of re-encoding those packets.
* The answer to an injected request is consumed (the sender never asked).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sioproxy.types import Direction

__all__ = ["AnswerFate", "ConnAcks", "InjectedRequest"]

#: Distance between the highest id seen and the first injected id of a scope.
DEFAULT_GAP = 1000


@dataclass(frozen=True, slots=True)
class InjectedRequest:
    """A request the proxy sent; ``packet`` is what went on the wire."""

    wire_id: int
    packet: Any
    rule: str | None


@dataclass(slots=True)
class _Scope:
    injected: dict[int, InjectedRequest] = field(default_factory=dict)
    injected_ever: set[int] = field(default_factory=set)
    renumbering: bool = False
    to_sender: dict[int, int] = field(default_factory=dict)  # wire id -> the sender's id
    withheld: dict[int, str | None] = field(default_factory=dict)  # wire id -> rule
    delayed: dict[int, tuple[float, str | None]] = field(default_factory=dict)


@dataclass(frozen=True, slots=True, kw_only=True)
class AnswerFate:
    """What to do with an ack arriving (see ``ConnAcks.answer``)."""

    consumed: InjectedRequest | None = None
    withheld: bool = False
    sender_id: int | None = None  # translate the ack to this id
    delay: float = 0.0
    rule: str | None = None


_PASS = AnswerFate()


class ConnAcks:
    """The ack ids of one connection. ``direction`` is always the request's direction."""

    __slots__ = ("_max", "_scopes", "gap")

    def __init__(self, gap: int = DEFAULT_GAP) -> None:
        self.gap = gap
        self._max: dict[Direction, int] = {}
        self._scopes: dict[tuple[str, Direction], _Scope] = {}

    def _scope(self, namespace: str, direction: Direction) -> _Scope:
        key = (namespace, direction)
        scope = self._scopes.get(key)
        if scope is None:
            scope = self._scopes[key] = _Scope()
        return scope

    @property
    def idle(self) -> bool:
        """True until the first injection or ack fault: every id passes as it is."""
        return not self._scopes

    def seen(self, direction: Direction, wire_id: int) -> None:
        """Remember the highest id of a direction (injected ids are chosen above it)."""
        if wire_id > self._max.get(direction, -1):
            self._max[direction] = wire_id

    def _fresh(self, direction: Direction, gap: int) -> int:
        top = self._max.get(direction)
        return gap if top is None else top + gap

    def request(self, namespace: str, direction: Direction, sender_id: int) -> int:
        """A request of the real sender passes: returns its wire id (usually ``sender_id``)."""
        scope = self._scopes.get((namespace, direction)) if self._scopes else None
        if scope is None or not (scope.renumbering or sender_id in scope.injected_ever):
            self.seen(direction, sender_id)
            return sender_id
        scope.renumbering = True
        wire = self._fresh(direction, 1)
        self.seen(direction, wire)
        scope.to_sender[wire] = sender_id
        return wire

    def inject(self, namespace: str, direction: Direction, packet: Any, rule: str | None) -> int:
        """Allocate the wire id of a request the proxy injects; its answer will be consumed."""
        scope = self._scope(namespace, direction)
        wire = self._fresh(direction, 1 if scope.renumbering else self.gap)
        self.seen(direction, wire)
        scope.injected_ever.add(wire)
        scope.injected[wire] = InjectedRequest(wire, packet, rule)
        return wire

    def set_packet(self, namespace: str, direction: Direction, wire_id: int, packet: Any) -> None:
        """Remember the final form of an injected request (after its id was set)."""
        scope = self._scope(namespace, direction)
        old = scope.injected.get(wire_id)
        if old is not None:
            scope.injected[wire_id] = InjectedRequest(wire_id, packet, old.rule)

    def withhold(
        self, namespace: str, direction: Direction, wire_id: int, rule: str | None
    ) -> None:
        self._scope(namespace, direction).withheld[wire_id] = rule

    def delay(
        self, namespace: str, direction: Direction, wire_id: int, seconds: float, rule: str | None
    ) -> None:
        self._scope(namespace, direction).delayed[wire_id] = (seconds, rule)

    def answer(self, namespace: str, ack_direction: Direction, wire_id: int) -> AnswerFate:
        """An ack travelling ``ack_direction`` answers request ``wire_id`` of the other way."""
        scope = self._scopes.get((namespace, ack_direction.reverse())) if self._scopes else None
        if scope is None:
            return _PASS
        injected = scope.injected.pop(wire_id, None)
        if injected is not None:
            return AnswerFate(consumed=injected, rule=injected.rule)
        sender_id = scope.to_sender.pop(wire_id, None)
        if wire_id in scope.withheld:
            return AnswerFate(withheld=True, rule=scope.withheld.pop(wire_id))
        seconds, rule = scope.delayed.pop(wire_id, (0.0, None))
        if sender_id is None and not seconds:
            return _PASS
        return AnswerFate(sender_id=sender_id, delay=seconds, rule=rule)

    def unanswered(self) -> list[tuple[str, Direction, InjectedRequest]]:
        """Injected requests still waiting for their answer (reported at disconnect)."""
        return [
            (ns, direction, req)
            for (ns, direction), scope in self._scopes.items()
            for req in scope.injected.values()
        ]

    def renumbering(self, namespace: str, direction: Direction) -> bool:
        scope = self._scopes.get((namespace, direction))
        return scope is not None and scope.renumbering
