"""Compiled rules: ``Rule``, its conditions and injections, and the ``RuleSet`` index.

Layer: pure pipeline. Imports the standard library, ``sioproxy.types`` and
``sioproxy.jsonpointer``; never twisted. ``rules_file.py`` builds these from
the ``--rules`` TOML file (docs/rules.md), checking everything on the way, so
a packet never meets a malformed rule. ``RuleSet`` finds the rules that can
match a packet by (direction, type, event) without looking at the others.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal

from sioproxy.jsonpointer import Pointer
from sioproxy.types import Direction

__all__ = ["KINDS", "Condition", "Inject", "Rule", "RuleSet"]

# Rule `type` values: the 0.9 names (A.6) and the modern ones (docs/packets.md).

_LEGACY_KINDS = ("disconnect", "connect", "heartbeat", "message", "json", "event", "ack", "error")
_MODERN_KINDS = ("noop", "connect_error", "binary_event", "binary_ack")
KINDS = frozenset(_LEGACY_KINDS + _MODERN_KINDS)


@dataclass(frozen=True, slots=True)
class Condition:
    """A test on one value of the rule view."""

    pointer: Pointer
    op: Literal["equals", "regex", "exists"]
    value: Any

    def test(self, view: Any, get: Callable[[Any, Pointer, Any], Any]) -> bool:
        value = get(view, self.pointer, _MISSING)
        if self.op == "exists":
            return (value is not _MISSING) is self.value
        if self.op == "regex":
            return isinstance(value, str) and self.value.search(value) is not None
        return value is not _MISSING and _equal(value, self.value)


def _equal(a: Any, b: Any) -> bool:
    # TOML ints and floats compare as numbers; a bool is never a number here.
    if isinstance(a, bool) or isinstance(b, bool):
        return type(a) is type(b) and a == b
    return bool(a == b)


_MISSING = object()


@dataclass(frozen=True, slots=True, kw_only=True)
class Inject:
    """One packet a rule sends before or after the matched one."""

    direction: Literal["same", "reverse", "c2s", "s2c"]
    when: Literal["before", "after"]
    packet: dict[str, Any]
    delay: float  # seconds


@dataclass(frozen=True, slots=True, kw_only=True)
class Rule:
    """One compiled ``[[rules]]`` entry. Times are in seconds (the file says ms)."""

    index: int
    name: str
    line: int | None = None
    directions: frozenset[Direction] = frozenset(Direction)
    namespace: str | None = None
    kinds: frozenset[str] | None = None
    event: str | None = None
    conditions: tuple[Condition, ...] = ()
    set: tuple[tuple[Pointer, Any], ...] = ()
    replace: tuple[tuple[Pointer, Any], ...] = ()
    delete: tuple[Pointer, ...] = ()
    sub: tuple[tuple[Pointer, re.Pattern[str], str], ...] = ()
    rename: str | None = None
    action: str = "pass"
    copies: int = 1
    delay: float = 0.0
    inject: tuple[Inject, ...] = ()
    withhold_ack: bool = False
    delay_ack: float = 0.0
    probability: float = 1.0
    count: int | None = None
    after: int = 0
    per: Literal["connection", "proxy"] = "connection"

    @property
    def edits(self) -> bool:
        return bool(self.set or self.replace or self.delete or self.sub or self.rename)


# --------------------------------------------------------------------------- index


class _Entry:
    __slots__ = ("by_event", "generic", "needles")

    def __init__(self, generic: tuple[Rule, ...], by_event: dict[str, tuple[Rule, ...]]) -> None:
        self.generic = generic
        self.by_event = by_event
        # A 0.9 event's JSON holds '"<name>"' literally unless it uses escapes.
        self.needles = tuple(f'"{name}"' for name in by_event)


class RuleSet:
    """The rules of one file, indexed by (direction, packet kind) then event name.

    ``candidates`` returns the rules, in file order, that could match a packet
    of that direction, kind and event name; everything else (namespace,
    conditions, counters) is checked per rule by the caller.
    """

    def __init__(self, rules: list[Rule]) -> None:
        self.upgrade_rules = tuple(r for r in rules if r.action == "refuse_upgrade")
        self.rules = tuple(r for r in rules if r.action != "refuse_upgrade")
        self._index: dict[tuple[Direction, str], _Entry] = {}
        for direction in Direction:
            for kind in KINDS | {"connect_error"}:
                entry = self._entry(direction, kind)
                if entry is not None:
                    self._index[direction, kind] = entry

    def _entry(self, direction: Direction, kind: str) -> _Entry | None:
        fits = [
            r
            for r in self.rules
            if direction in r.directions and (r.kinds is None or kind in r.kinds)
        ]
        if not fits:
            return None
        generic = tuple(r for r in fits if r.event is None)
        names = {r.event for r in fits if r.event is not None}
        by_event = {n: tuple(r for r in fits if r.event is None or r.event == n) for n in names}
        return _Entry(generic, by_event)

    def __len__(self) -> int:
        return len(self.rules) + len(self.upgrade_rules)

    def entry(self, direction: Direction, kind: str) -> _Entry | None:
        return self._index.get((direction, kind))
