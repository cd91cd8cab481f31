"""How the client-side replay names steps and packets, and the drift items it reports.

Layer: pure; never twisted. ``event_of`` and ``label`` name a recorded step
(an event, or the ack of one), ``packet_label`` a live packet; ``missing``,
``unexpected``, ``changed`` and ``closed`` build the ``DriftItem``s of the
report (docs/replay-client.md, "Drift").
"""

from __future__ import annotations

from sioproxy.codec.packets import Packet, is_ack, type_label
from sioproxy.recording.matching import Comparison, ignore_hints
from sioproxy.recording.script import Script, Step, event_name, namespace, wire_text
from sioproxy.replay_client.drift import DriftItem

__all__ = ["changed", "closed", "event_of", "label", "missing", "packet_label", "unexpected"]


def event_of(script: Script, step: Step) -> str:
    """The event a step belongs to: its name, or the name of the request an ack answers."""
    request = script.answers.get(step.index)
    target = script.steps[request].packet if request is not None else step.packet
    name = event_name(target)
    return str(name) if name is not None else type_label(step.packet)


def label(script: Script, step: Step) -> str:
    if is_ack(step.packet):
        return f"ack of {event_of(script, step)}"
    return packet_label(step.packet)


def packet_label(packet: Packet) -> str:
    name = event_name(packet)
    if name is not None:
        return f"event {name}"
    return type_label(packet)


def missing(script: Script, step: Step, why: str) -> DriftItem:
    return DriftItem(
        kind="missing",
        namespace=namespace(step.packet),
        event=label(script, step),
        seq=step.seq,
        t=step.t,
        recorded=wire_text(step.packet),
        note=why,
    )


def unexpected(packet: Packet, note: str) -> DriftItem:
    return DriftItem(
        kind="unexpected",
        namespace=namespace(packet),
        event=packet_label(packet),
        live=wire_text(packet),
        note=note,
    )


def changed(script: Script, step: Step, packet: Packet, comparison: Comparison) -> DriftItem:
    """A server packet that came with other values; its hints name the ``--ignore`` flags."""
    return DriftItem(
        kind="changed",
        namespace=namespace(step.packet),
        event=label(script, step),
        seq=step.seq,
        t=step.t,
        recorded=wire_text(step.packet),
        live=wire_text(packet),
        differences=comparison.differences,
        note=f"failed: {', '.join(comparison.failed)}",
        hints=tuple(ignore_hints(comparison.differences, step.seq)),
    )


def closed(script: Script, unsent: list[Step], reason: str) -> DriftItem:
    """The live connection ended with client packets (``unsent``, in order) not sent."""
    first = unsent[0]
    return DriftItem(
        kind="closed",
        namespace=namespace(first.packet),
        event=label(script, first),
        seq=first.seq,
        t=first.t,
        recorded=wire_text(first.packet),
        note=f"the connection ended ({reason}) with {len(unsent)} client "
        f"packet(s) unsent, from seq {first.seq}",
    )
