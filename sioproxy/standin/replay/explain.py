"""Why a live client packet missed: the candidates, what the client should send, hints.

Layer: pure (replay); never twisted. ``explain_miss`` builds the
``MismatchReport`` (``report.py``) for a packet the ``ReplayEngine`` could not
match: the closest recorded candidates ranked by ``rank_candidates``, the
packet the match mode expected, and hints (``--match``, ``--ignore``, the
recorded connection it would match; docs/replay.md, "The mismatch report").
"""

from __future__ import annotations

from collections.abc import Sequence

from sioproxy.codec.packets import Packet, answer_id, is_ack
from sioproxy.recording.matching import ignore_hints, match_key
from sioproxy.recording.script import Step, to_dict, wire_text
from sioproxy.standin.replay.engine_view import EngineView
from sioproxy.standin.replay.report import Candidate, MismatchReport

__all__ = ["explain_miss", "rank_candidates"]


def rank_candidates(
    scored: Sequence[tuple[tuple[int, ...], Candidate]], limit: int = 3
) -> tuple[Candidate, ...]:
    """The ``limit`` best candidates by score (lower is closer), stable by recording order."""
    return tuple(c for _, c in sorted(scored, key=lambda item: item[0])[:limit])


# -- explaining a miss ---------------------------------------------------------


def explain_miss(
    engine: EngineView, packet: Packet, now: float, reason: str, live_index: int, action: str
) -> MismatchReport:
    """The report for a live client packet that ``engine`` could not match."""
    script = engine.script
    candidates = rank_candidates(_scored_candidates(engine, packet))
    client_steps = script.client_steps()
    played = sum(engine.is_played(s.index) for s in client_steps)
    return MismatchReport(
        conn=engine.label,
        recorded_conn=script.conn,
        live_index=live_index,
        at=now,
        wire=wire_text(packet),
        packet=to_dict(packet, script.revision),
        mode=engine.options.match,
        reason=reason,
        progress=f"{played} of {len(client_steps)} recorded client packets played",
        expected=_expected(engine, packet),
        candidates=candidates,
        hints=tuple(_hints(engine, packet, candidates)),
        action=action,
    )


def _scored_candidates(
    engine: EngineView, packet: Packet
) -> list[tuple[tuple[int, ...], Candidate]]:
    """Every unplayed candidate with its score: same (namespace, type, event) first,
    then fewer failed key matchers, fewer differences, in order, closest to the turn."""
    nxt = engine.next_ordered()
    scored: list[tuple[tuple[int, ...], Candidate]] = []
    for step in _pool(engine, packet):
        comparison = engine.compare(step.index, packet)
        failed = (*comparison.failed, *_id_or_order(engine, step, packet))
        score = (
            0 if match_key(step.packet) == match_key(packet) else 1,
            sum(m in failed for m in ("namespace", "type", "event")),
            comparison.size(),
            int("order" in failed),
            abs(step.index - (nxt if nxt is not None else step.index)),
            step.index,
        )
        cand = Candidate(
            seq=step.seq,
            t=step.t,
            wire=wire_text(step.packet),
            packet=to_dict(step.packet, engine.script.revision),
            failed=failed,
            differences=comparison.differences,
            note=_candidate_note(engine, step) or _order_note(engine, step),
        )
        scored.append((score, cand))
    return scored


def _pool(engine: EngineView, packet: Packet) -> list[Step]:
    """Unplayed recorded client packets; acks answering server requests only for an ack."""
    live_is_ack = is_ack(packet)
    return [
        s
        for s in engine.script.client_steps()
        if not engine.is_played(s.index) and (live_is_ack or s.index not in engine.script.answers)
    ]


def _id_or_order(engine: EngineView, step: Step, packet: Packet) -> tuple[str, ...]:
    """``order`` when the mode does not allow the step now; ``ack id`` for a wrong answer id."""
    request = engine.script.answers.get(step.index)
    if request is None:
        return () if engine.eligible(step.index) else ("order",)
    sent = engine.sent_id(request)
    if sent is None:
        return ("order",)  # the replay has not sent that request yet
    return () if answer_id(packet) == sent else ("ack id",)


def _candidate_note(engine: EngineView, step: Step) -> str | None:
    request = engine.script.answers.get(step.index)
    if request is None:
        return None
    req = engine.script.steps[request]
    sent = engine.sent_id(request)
    how = "not sent yet" if sent is None else f"sent with id {sent}"
    return f"the recorded answer to server request seq {req.seq} {wire_text(req.packet)} ({how})"


def _order_note(engine: EngineView, step: Step) -> str | None:
    """Why the match mode does not let ``step`` play now."""
    if step.index in engine.script.answers or engine.eligible(step.index):
        return None
    mode = engine.options.match
    if mode == "strict":
        nxt = engine.next_ordered()
        if nxt is not None:
            return f"not its turn: strict order plays seq {engine.script.steps[nxt].seq} first"
    key = match_key(step.packet)
    for other in engine.script.client_steps():
        if not engine.is_played(other.index) and match_key(other.packet) == key:
            return f"not its turn: seq {other.seq}, the same namespace, type and event, comes first"
    return None


def _expected(engine: EngineView, packet: Packet) -> str | None:
    script = engine.script
    mode = engine.options.match
    if is_ack(packet) and any(
        i in script.answers for i in (s.index for s in _pool(engine, packet))
    ):
        return None  # acks of server requests go by id; the reason line says which
    if mode == "strict":
        nxt = engine.next_ordered()
        if nxt is None:
            return "nothing: every recorded client packet in order was played"
        step = script.steps[nxt]
        return f"seq {step.seq}  {wire_text(step.packet)}"
    if mode == "per-event":
        ns, ptype, name = match_key(packet)
        what = f"{ptype} {name} in namespace {ns!r}".replace("  ", " ")
        for step in script.client_steps():
            if not engine.is_played(step.index) and match_key(step.packet) == (ns, ptype, name):
                return f"the next recorded {what}: seq {step.seq}  {wire_text(step.packet)}"
        return f"no unplayed recorded {what}"
    return None


def _hints(engine: EngineView, packet: Packet, candidates: Sequence[Candidate]) -> list[str]:
    hints: list[str] = []
    script = engine.script
    for step in script.client_steps():
        if engine.is_played(step.index) and engine.compare(step.index, packet).ok:
            hints.append(
                f"seq {step.seq} is this same packet but was already played"
                " (each recorded packet plays once): the client sends it more often than recorded"
            )
            break
    if not candidates:
        hints.append(
            f"every recorded client packet of connection {script.conn} has been played:"
            " the live client sends more than the recording holds (record again?)"
        )
        return hints
    best = candidates[0]
    if best.failed == ("order",):
        mode = "any" if engine.options.match == "per-event" else "per-event"
        if mode == "per-event" and not _first_of_key(engine, best.seq):
            mode = "any"
        hints.append(f"--match {mode} would accept this packet as seq {best.seq}")
    elif best.failed[:1] == ("args",) and set(best.failed) <= {"args", "order"}:
        hints.extend(ignore_hints(best.differences, best.seq))
    if all("event" in c.failed or "namespace" in c.failed for c in candidates):
        ns, ptype, name = match_key(packet)
        hints.append(f"no unplayed recorded {ptype} {name} in namespace {ns!r}".replace("  ", " "))
    own = any(set(c.failed) <= {"order"} for c in candidates)
    other = engine.elsewhere(packet) if engine.elsewhere is not None and not own else None
    if other is not None:
        hints.append(other)
    return hints


def _first_of_key(engine: EngineView, seq: int) -> bool:
    step = next(s for s in engine.script.steps if s.seq == seq)
    key = match_key(step.packet)
    first = next(
        s
        for s in engine.script.client_steps()
        if not engine.is_played(s.index) and match_key(s.packet) == key
    )
    return first.index == step.index
