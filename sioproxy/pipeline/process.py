"""The pipeline entry point: one packet in, a list of actions out.

Layer: pure pipeline. Imports the codec, ``sioproxy.types`` and the pipeline
modules; never twisted (timers are the ``delay`` of the returned actions).

Order for each packet (docs/rules.md "Processing order"):

1. An ack answering a request the proxy injected is consumed; a withheld ack
   is dropped; a renumbered one is translated back to the sender's id (D.3).
2. Rules, in file order. Selectors (dir, namespace, type, event) look at the
   packet as it arrived; conditions and edits work on the rule view.
3. Addon ``on_packet`` hooks, in ``--addon`` order, each seeing the result of
   the previous stage.
4. Requests (packets with an ack id) get their wire ids: the real sender's
   ids pass unless the scope renumbers; injected ones get fresh ids.

Fast path: with no rule that can match the packet's (direction, type, event)
and no hook, nothing is decoded further and the packet object itself is
returned in one ``Emit``.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from sioproxy import jsonpointer as _ptr
from sioproxy.codec.legacy import LegacyPacket
from sioproxy.codec.packets import Packet, answer_id, is_ack, type_label
from sioproxy.pipeline import acks as _acks
from sioproxy.pipeline.actions import (
    Action,
    CloseConnection,
    CloseNamespace,
    ConsumedAck,
    Dropped,
    Emit,
    PacketContext,
    packet_namespace,
    request_id,
    with_answer_id,
)
from sioproxy.pipeline.editing import Work, apply_edits, apply_hook_result, build_injected
from sioproxy.pipeline.hooks import HOOK_FAILED, Addon, HookContext, call_hook, load_addon
from sioproxy.pipeline.outcome import finish, finish_injected, noted
from sioproxy.pipeline.rules import Rule, RuleSet
from sioproxy.pipeline.rules_file import load_rules
from sioproxy.types import Direction, Generation

__all__ = ["Pipeline"]


@dataclass(slots=True)
class _Counter:
    matches: int = 0
    applied: int = 0


@dataclass(slots=True)
class _Conn:
    generation: Generation
    transport: str
    acks: _acks.ConnAcks
    counters: dict[int, _Counter] = field(default_factory=dict)


class Pipeline:
    """Rules plus addon hooks plus per-connection ack bookkeeping.

    ``log`` receives every Note the pipeline returns and every hook traceback.
    ``rng`` decides ``probability`` rules (seed it for reproducible runs).
    """

    def __init__(
        self,
        rules: RuleSet | None = None,
        addons: Sequence[Addon] = (),
        *,
        rng: random.Random | None = None,
        log: Callable[[str], None] = lambda _msg: None,
        inject_id_gap: int = _acks.DEFAULT_GAP,
    ) -> None:
        self.rules = rules if rules is not None else RuleSet([])
        self.addons = tuple(addons)
        self._packet_hooks = tuple(a for a in self.addons if a.on_packet is not None)
        self.rng = rng if rng is not None else random.Random()
        self.log = log
        self.inject_id_gap = inject_id_gap
        self._conns: dict[str, _Conn] = {}
        self._global: dict[int, _Counter] = {}
        self._upgrade: dict[str, bool] = {}
        self._empty = not self.rules.rules and not self._packet_hooks

    @classmethod
    def from_files(
        cls,
        rules: str | None,
        addons: Sequence[str],
        *,
        rng: random.Random | None = None,
        log: Callable[[str], None],
    ) -> Pipeline:
        """Load ``--rules`` and ``--addon`` files. Raises ConfigError with file and line."""
        ruleset = load_rules(rules) if rules is not None else None
        return cls(ruleset, [load_addon(p) for p in addons], rng=rng, log=log)

    @property
    def empty(self) -> bool:
        """No packet rules and no ``on_packet`` hook: every packet passes as is."""
        return self._empty

    @property
    def active(self) -> bool:
        """Whether it can change anything (else the live proxy keeps its fast path)."""
        hooks = any(a.on_connect or a.on_disconnect for a in self.addons)
        return not self._empty or bool(self.rules.upgrade_rules) or hooks

    # ------------------------------------------------------------------ lifecycle

    def on_connect(self, conn: str, generation: Generation, transport: str) -> list[Action]:
        """A connection opened; runs ``on_connect`` hooks (they may send packets)."""
        state = self._conns[conn] = _Conn(generation, transport, _acks.ConnAcks(self.inject_id_gap))
        out: list[Action] = []
        for addon in self.addons:
            if addon.on_connect is None:
                continue
            ctx = HookContext(
                conn=conn, direction=None, transport=transport, generation=generation, log=self.log
            )
            if call_hook(addon, "on_connect", (ctx,), self.log, conn) is HOOK_FAILED:
                continue
            work = Work(ctx=None, incoming=None, generation=generation)
            for sent in ctx.sent:
                build_injected(work, sent.packet, sent.direction, "/", sent.delay, addon.name)
            out.extend(finish_injected(state.acks, work.after))
            out.extend(noted(conn, work.notes, self.log))
        return out

    def on_disconnect(self, conn: str) -> list[Action]:
        """A connection closed: runs ``on_disconnect`` hooks and forgets its state."""
        state = self._conns.pop(conn, None)
        self._upgrade.pop(conn, None)
        notes: list[str] = []
        if state is not None:
            for ns, direction, req in state.acks.unanswered():
                notes.append(
                    f"injected request {direction} {ns} id {req.wire_id} was never answered"
                )
            for addon in self.addons:
                if addon.on_disconnect is None:
                    continue
                ctx = HookContext(
                    conn=conn,
                    direction=None,
                    transport=state.transport,
                    generation=state.generation,
                    log=self.log,
                )
                call_hook(addon, "on_disconnect", (ctx,), self.log, conn)
                if ctx.sent:
                    notes.append(f"{addon.name}: ctx.send in on_disconnect ignored")
        return noted(conn, notes, self.log)

    def allow_upgrade(self, conn: str | None) -> bool:
        """False when a ``refuse_upgrade`` rule fires; decided once per connection.

        Its ``count`` / ``after`` / ``probability`` count connections proxy-wide.
        """
        if not self.rules.upgrade_rules:
            return True
        if conn is not None and conn in self._upgrade:
            return self._upgrade[conn]
        allowed = not any(self._fire(self._global, r) for r in self.rules.upgrade_rules)
        if conn is not None:
            self._upgrade[conn] = allowed
        return allowed

    # ------------------------------------------------------------------ packets

    def process(self, ctx: PacketContext, packet: Packet) -> list[Action]:
        """Decide what happens to ``packet``; see the module docstring for the order."""
        if self._empty:
            return [Emit(direction=ctx.direction, packet=packet, origin="unchanged")]
        state = self._conns.get(ctx.conn)
        if state is None:
            state = self._conns[ctx.conn] = _Conn(
                ctx.generation, ctx.transport, _acks.ConnAcks(self.inject_id_gap)
            )
        candidates = self._candidates(ctx, packet)
        if not candidates and not self._packet_hooks and state.acks.idle:
            # Nothing can touch this packet and no injection happened on this
            # connection: only remember its ack id, for injections to come.
            rid = request_id(packet)
            if rid is not None:
                state.acks.seen(ctx.direction, rid)
            return [Emit(direction=ctx.direction, packet=packet, origin="unchanged")]
        work = Work(ctx=ctx, incoming=packet, generation=ctx.generation)
        if is_ack(packet):
            early = self._answer(ctx, state, work)
            if early is not None:
                return early
        if candidates:
            self._run_rules(ctx, state, work, candidates)
        for addon in self._packet_hooks:
            if work.current is None:
                break
            self._run_hook(ctx, addon, work)
        return finish(ctx, state.acks, work, self.log)

    def _answer(self, ctx: PacketContext, state: _Conn, work: Work) -> list[Action] | None:
        packet = work.incoming
        assert packet is not None
        wire = answer_id(packet)
        if wire is None:
            return None
        ns = packet_namespace(packet)
        fate = state.acks.answer(ns, ctx.direction, wire)
        if fate.consumed is not None:
            return [
                ConsumedAck(
                    direction=ctx.direction,
                    packet=packet,
                    request=fate.consumed.packet,
                    rule=fate.rule,
                )
            ]
        if fate.withheld:
            reason = f"ack {ns} {wire} withheld"
            return [Dropped(direction=ctx.direction, packet=packet, reason=reason, rule=fate.rule)]
        if fate.sender_id is not None:
            work.set_current(with_answer_id(packet, fate.sender_id), "ack renumbering")
        work.delay += fate.delay
        if fate.delay:
            work.delay_rule = fate.rule
        return None

    # ------------------------------------------------------------------ rules

    def _candidates(self, ctx: PacketContext, packet: Packet) -> tuple[Rule, ...]:
        entry = self.rules.entry(ctx.direction, type_label(packet))
        if entry is None:
            return ()
        if not entry.by_event:
            return entry.generic
        if type(packet) is LegacyPacket:
            data = packet.data or ""
            # Skip parsing the JSON when no wanted name can be in it (no escapes, A.4.5).
            if "\\" not in data and not any(n in data for n in entry.needles):
                return entry.generic
        name = packet.name
        return entry.by_event.get(name, entry.generic) if isinstance(name, str) else entry.generic

    def _run_rules(
        self, ctx: PacketContext, state: _Conn, work: Work, candidates: tuple[Rule, ...]
    ) -> None:
        packet = work.current
        assert packet is not None
        ns = packet_namespace(packet)
        for rule in candidates:
            if work.current is None:
                break
            if rule.namespace is not None and rule.namespace != ns:
                continue
            if rule.conditions:
                view = work.view()
                if not all(c.test(view, _ptr.get) for c in rule.conditions):
                    continue
            counters = self._global if rule.per == "proxy" else state.counters
            if self._fire(counters, rule):
                self._apply(rule, work, ns)
        work.commit(self.log)

    def _fire(self, counters: dict[int, _Counter], rule: Rule) -> bool:
        """Apply ``after``, ``count`` and ``probability`` to a rule that matched."""
        counter = counters.get(rule.index)
        if counter is None:
            counter = counters[rule.index] = _Counter()
        counter.matches += 1
        if counter.matches <= rule.after:
            return False
        if rule.count is not None and counter.applied >= rule.count:
            return False
        if rule.probability < 1.0 and self.rng.random() >= rule.probability:
            return False
        counter.applied += 1
        return True

    def _apply(self, rule: Rule, work: Work, ns: str) -> None:
        if rule.edits:
            apply_edits(rule, work, self.log)
        work.delay += rule.delay
        if rule.delay:
            work.delay_rule = rule.name
        if rule.withhold_ack or rule.delay_ack:
            work.ack_fault = rule
        for inj in rule.inject:
            assert work.ctx is not None
            d = work.ctx.direction
            direction = {"same": d, "reverse": d.reverse()}.get(inj.direction) or Direction(
                inj.direction
            )
            target = work.before if inj.when == "before" else work.after
            build_injected(work, inj.packet, direction, ns, inj.delay, rule.name, target)
        action = rule.action
        if action == "drop":
            work.drop(rule.name, f"dropped by rule {rule.name!r}")
        elif action == "duplicate":
            work.copies += rule.copies
            work.copy_rule = rule.name
        elif action == "close_namespace":
            work.closes.append(CloseNamespace(namespace=ns, rule=rule.name))
            work.drop(rule.name, f"namespace {ns} closed by rule {rule.name!r}")
        elif action == "close_connection":
            work.closes.append(CloseConnection(rule=rule.name))
            work.drop(rule.name, f"connection closed by rule {rule.name!r}")

    def _run_hook(self, ctx: PacketContext, addon: Addon, work: Work) -> None:
        current = work.current
        assert current is not None
        assert addon.on_packet is not None
        hctx = HookContext(
            conn=ctx.conn,
            direction=ctx.direction,
            transport=ctx.transport,
            generation=ctx.generation,
            namespace=packet_namespace(current),
            seq=ctx.seq,
            log=self.log,
        )
        view = work.fresh_view()
        result = call_hook(addon, "on_packet", (hctx, view), self.log, ctx.conn)
        if result is HOOK_FAILED:
            return
        apply_hook_result(work, result, view, addon.name, self.log)
        for sent in hctx.sent:
            build_injected(
                work, sent.packet, sent.direction, hctx.namespace, sent.delay, addon.name
            )
