"""From a worked packet to the pipeline's actions: emits, copies, injections, drops, notes.

Layer: pure pipeline; never twisted. After the rules and hooks have worked
on a packet (``editing.Work``), ``finish`` says what to send: injections
before it, the packet itself (unchanged, rewritten, or ``Dropped`` with a
note when its request's ack can never arrive), its copies, injections after
it and any closes. Requests get their wire ids here (docs/protocol.md#d3):
the sender's own unless renumbered, fresh ones for injected requests, whose
answers the proxy consumes.
"""

from __future__ import annotations

from collections.abc import Callable

from sioproxy.codec.packets import Packet
from sioproxy.pipeline.acks import ConnAcks
from sioproxy.pipeline.actions import (
    Action,
    Dropped,
    Emit,
    Note,
    PacketContext,
    packet_namespace,
    request_id,
    with_request_id,
)
from sioproxy.pipeline.editing import Work

__all__ = ["finish", "finish_injected", "noted"]


def finish(
    ctx: PacketContext, acks: ConnAcks, work: Work, log: Callable[[str], None]
) -> list[Action]:
    """The actions for a packet the rules and hooks have worked on."""
    out: list[Action] = list(noted(ctx.conn, work.notes, log))
    out.extend(finish_injected(acks, work.before))
    current = work.current
    if current is None:
        out.extend(_dropped(ctx, work, log))
    else:
        out.append(_main_emit(ctx, acks, work, current))
        final = work.final
        for _ in range(work.copies):
            copy = Emit(
                direction=ctx.direction,
                packet=final,
                delay=work.delay,
                origin="injected",
                rule=work.copy_rule,
            )
            out.extend(finish_injected(acks, [copy]))
    out.extend(finish_injected(acks, work.after))
    out.extend(work.closes)
    return out


def _dropped(ctx: PacketContext, work: Work, log: Callable[[str], None]) -> list[Action]:
    incoming = work.incoming
    assert incoming is not None
    out: list[Action] = [
        Dropped(
            direction=ctx.direction,
            packet=incoming,
            reason=work.drop_reason,
            rule=work.drop_rule,
        )
    ]
    rid = request_id(incoming)
    if rid is not None:
        seq = "?" if ctx.seq is None else ctx.seq
        text = f"request {seq}/{rid} dropped: its ack can never arrive"
        out.extend(noted(ctx.conn, [text], log))
    return out


def _main_emit(ctx: PacketContext, acks: ConnAcks, work: Work, current: Packet) -> Emit:
    rid = request_id(current)
    if rid is not None:
        ns = packet_namespace(current)
        wire = acks.request(ns, ctx.direction, rid)
        if wire != rid:
            work.set_current(with_request_id(current, wire), "ack renumbering")
            current = work.final
        fault = work.ack_fault
        if fault is not None and fault.withhold_ack:
            acks.withhold(ns, ctx.direction, wire, fault.name)
        elif fault is not None:
            acks.delay(ns, ctx.direction, wire, fault.delay_ack, fault.name)
    if current is work.incoming:
        return Emit(
            direction=ctx.direction,
            packet=current,
            delay=work.delay,
            origin="unchanged",
            rule=work.delay_rule if work.delay > 0 else None,
        )
    return Emit(
        direction=ctx.direction,
        packet=current,
        delay=work.delay,
        origin="rewritten",
        original=work.incoming,
        rule=work.rule,
    )


def finish_injected(acks: ConnAcks, emits: list[Emit]) -> list[Action]:
    """Give injected requests fresh ids whose answers will be consumed."""
    out: list[Action] = []
    for emit in emits:
        packet = emit.packet
        if request_id(packet) is not None:
            ns = packet_namespace(packet)
            wire = acks.inject(ns, emit.direction, packet, emit.rule)
            packet = with_request_id(packet, wire)
            acks.set_packet(ns, emit.direction, wire, packet)
            emit = Emit(
                direction=emit.direction,
                packet=packet,
                delay=emit.delay,
                origin="injected",
                rule=emit.rule,
            )
        out.append(emit)
    return out


def noted(conn: str, texts: list[str], log: Callable[[str], None]) -> list[Action]:
    """Each text logged and returned as a ``Note`` of ``conn``."""
    for text in texts:
        log(f"[{conn}] {text}")
    return [Note(conn=conn, text=t) for t in texts]
