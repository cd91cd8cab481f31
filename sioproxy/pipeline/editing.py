"""The packet being worked on: lazy rule view, edits, drops, injections, hook results.

Layer: pure pipeline. Imports the codec packet types, ``sioproxy.types`` and
the pipeline's pointer/actions/rules modules; never twisted. ``process`` owns
the order of the stages; this module owns what one stage does to a ``Work``.

The rule view is built only when a rule with conditions or edits fires, once
per stage, and converted back only when it really changed (``same_json``), so
a rule whose edit is a no-op leaves the packet object, and its bytes, alone.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from sioproxy import jsonpointer as _ptr
from sioproxy.codec.jsonvalue import same_json
from sioproxy.codec.legacy import LegacyPacket
from sioproxy.codec.packets import Packet
from sioproxy.codec.socketio import SioPacket
from sioproxy.errors import EncodeError
from sioproxy.pipeline.actions import (
    CloseConnection,
    CloseNamespace,
    Emit,
    PacketContext,
    copy_json,
    from_view,
    packet_namespace,
    to_view,
)
from sioproxy.pipeline.rules import Rule
from sioproxy.types import Direction, Generation

__all__ = ["Work", "apply_edits", "apply_hook_result", "build_injected"]


class Work:
    """One packet's trip through the stages (mutable, private to one ``process`` call)."""

    def __init__(
        self, *, ctx: PacketContext | None, incoming: Packet | None, generation: Generation
    ) -> None:
        self.ctx = ctx
        self.incoming = incoming
        self.generation = generation
        self.current: Packet | None = incoming
        self.rules: list[str] = []
        self._view: dict[str, Any] | None = None
        self._base: dict[str, Any] | None = None
        self._pending: list[str] = []
        self.delay = 0.0
        self.delay_rule: str | None = None  # what held the packet back (the recording's ``rule``)
        self.copies = 0
        self.copy_rule: str | None = None
        self.before: list[Emit] = []
        self.after: list[Emit] = []
        self.closes: list[CloseNamespace | CloseConnection] = []
        self.notes: list[str] = []
        self.drop_reason = ""
        self.drop_rule: str | None = None
        self.ack_fault: Rule | None = None

    @property
    def rule(self) -> str | None:
        """The rules and hooks that rewrote the packet, comma-separated."""
        return ", ".join(dict.fromkeys(self.rules)) or None

    @property
    def final(self) -> Packet:
        assert self.current is not None
        return self.current

    def view(self) -> dict[str, Any]:
        """The rule view of the current packet, shared by the rules of one stage."""
        if self._view is None:
            self._view = to_view(self.final, self.generation)
            self._base = copy_json(self._view)
        return self._view

    def base(self) -> dict[str, Any]:
        self.view()
        assert self._base is not None
        return self._base

    def fresh_view(self) -> dict[str, Any]:
        """A new view for a hook (its own copy; the base stays pristine)."""
        self._view = None
        self._pending = []
        return self.view()

    def set_current(self, packet: Packet, rule: str) -> None:
        self.current = packet
        self.rules.append(rule)
        self._view = self._base = None

    def drop(self, rule: str | None, reason: str) -> None:
        self.current = None
        self.drop_rule, self.drop_reason = rule, reason
        self._view = self._base = None

    def edited(self, rule: str) -> None:
        self._pending.append(rule)

    def commit(self, log: Callable[[str], None]) -> None:
        """Turn the edited view back into a packet, if it changed."""
        view, base, pending = self._view, self._base, self._pending
        self._pending = []
        if not pending or view is None or base is None or self.current is None:
            return
        if same_json(view, base):
            return
        try:
            packet = from_view(view, self.generation, base, packet_namespace(self.current))
        except EncodeError as exc:
            names = ", ".join(pending)
            self.notes.append(f"rule {names} made an invalid packet ({exc}); forwarded unchanged")
            self._view = self._base = None
            return
        for name in pending:
            self.set_current(packet, name)


def apply_edits(rule: Rule, work: Work, log: Callable[[str], None]) -> None:
    """set / replace / delete / sub / rename on the rule view (RFC 6902 semantics)."""
    view = work.view()
    for pointer, value in rule.set:
        try:
            _ptr.set_value(view, pointer, copy_json(value), create=True)
        except _ptr.PointerError as exc:
            work.notes.append(f"rule {rule.name!r}: set {exc}")
    for pointer, value in rule.replace:
        if _ptr.exists(view, pointer):
            _ptr.set_value(view, pointer, copy_json(value), create=False)
    for pointer in rule.delete:
        _ptr.delete(view, pointer)
    for pointer, pattern, repl in rule.sub:
        old = _ptr.get(view, pointer)
        if isinstance(old, str):
            _ptr.set_value(view, pointer, pattern.sub(repl, old), create=False)
    if rule.rename is not None and "name" in view and view.get("type") != "ack":
        view["name"] = rule.rename
    work.edited(rule.name)


def build_injected(
    work: Work,
    packet: Mapping[str, Any] | Packet,
    direction: Direction,
    namespace: str,
    delay: float,
    rule: str | None,
    target: list[Emit] | None = None,
) -> None:
    """Queue an injected packet (a view dict or a codec packet); bad ones become notes."""
    try:
        built = _as_packet(packet, work.generation, None, namespace)
    except EncodeError as exc:
        work.notes.append(f"{rule}: cannot inject {packet!r}: {exc}")
        return
    emit = Emit(direction=direction, packet=built, delay=delay, origin="injected", rule=rule)
    (work.after if target is None else target).append(emit)


def _as_packet(
    item: Any, generation: Generation, base: Mapping[str, Any] | None, namespace: str
) -> Packet:
    if isinstance(item, LegacyPacket | SioPacket):
        legacy = generation is Generation.LEGACY
        if isinstance(item, LegacyPacket) is not legacy:
            raise EncodeError(f"a {type(item).__name__} does not fit a {generation} connection")
        return item
    if not isinstance(item, Mapping):
        raise EncodeError(f"expected a packet dict, got {type(item).__name__}")
    # A copy: the packet must not share lists with a rule's template or a hook's state.
    return from_view(copy_json(dict(item)), generation, base, namespace)


def apply_hook_result(
    work: Work, result: Any, view: dict[str, Any], name: str, log: Callable[[str], None]
) -> None:
    """Interpret what ``on_packet`` returned (docs/rules.md "Addon hooks")."""
    current = work.final
    base = work.base()
    if result is None:
        work.drop(name, f"dropped by {name}")
        return
    if isinstance(result, list | tuple):
        if not result:
            work.drop(name, f"dropped by {name} (empty list)")
            return
        idx = next((i for i, item in enumerate(result) if _is_same(item, current, base)), None)
        if idx is None:
            main, before, after = result[0], [], list(result[1:])
        else:
            main, before, after = result[idx], list(result[:idx]), list(result[idx + 1 :])
        ns = packet_namespace(current)
        assert work.ctx is not None
        for item in before:
            build_injected(work, item, work.ctx.direction, ns, 0.0, name, work.before)
        _set_main(work, main, base, name)
        for item in after:
            build_injected(work, item, work.ctx.direction, ns, 0.0, name, work.after)
        return
    if isinstance(result, Mapping | LegacyPacket | SioPacket):
        _set_main(work, result, base, name)
        return
    work.notes.append(f"{name}: on_packet returned a {type(result).__name__}; packet unchanged")


def _is_same(item: Any, current: Packet, base: Mapping[str, Any]) -> bool:
    if item is current:
        return True
    return isinstance(item, Mapping) and same_json(dict(item), base)


def _set_main(work: Work, item: Any, base: Mapping[str, Any], name: str) -> None:
    current = work.final
    if _is_same(item, current, base):
        return
    try:
        packet = _as_packet(item, work.generation, base, packet_namespace(current))
    except EncodeError as exc:
        work.notes.append(f"{name} returned an invalid packet ({exc}); forwarded unchanged")
        return
    work.set_current(packet, name)
