"""A client's retry the recording lacks: the recorded answer again.

Layer: pure (replay). socket.io-client 4.6+ with ``retries`` and ``ackTimeout``
sends an acked emit again, under a new ack id, when its answer is late
(docs/packets.md, "Acknowledgements"). Each wire packet is a recorded packet
of its own, and a live retry the recording also has is matched like any
other. A live retry it lacks (the replay answered later than the server
did) matches no recorded packet: when it equals a request already played
whose recorded answer exists, the stand-in sends that answer again under the
retry's id and notes it, instead of reporting a miss.
"""

from __future__ import annotations

from typing import Protocol

from sioproxy.codec.packets import Packet
from sioproxy.recording.matching import Comparison
from sioproxy.recording.script import Script, asks_ack
from sioproxy.standin.replay.acks import with_answer_id
from sioproxy.standin.replay.actions import Action, Send
from sioproxy.types import Direction


class RetryHost(Protocol):
    """What a retry answer reads and counts of the replay engine (engine.py)."""

    script: Script
    notes: list[str]
    retried: list[int]

    def is_played(self, index: int) -> bool: ...

    def compare(self, index: int, packet: Packet) -> Comparison: ...


def answer_retry(engine: RetryHost, packet: Packet) -> list[Action] | None:
    """The recorded answer for a live retry of a played request, or None."""
    if not asks_ack(packet) or packet.id is None:
        return None
    script = engine.script
    for step in reversed(script.steps):
        answer = script.answered_by.get(step.index)
        if (
            step.dir == Direction.C2S
            and answer is not None
            and engine.is_played(step.index)
            and engine.compare(step.index, packet).ok
        ):
            recorded = script.steps[answer]
            engine.retried.append(recorded.seq)
            engine.notes.append(
                f"retry: live client packet answered again with the recorded answer"
                f" seq {recorded.seq} (its request, seq {step.seq}, was played already;"
                " the recording has no such retry)"
            )
            return [Send(packet=with_answer_id(recorded.packet, packet.id))]
    return None
