"""Checking traffic against an AsyncAPI document.

Layer: pure (contracts). A :class:`Contract` is a document read for checking:
each observation (a packet, see :mod:`sioproxy.contracts.observe`) must be an
operation of the document for its namespace and direction, its payload must
match the message's schema, and an ack must match the operation's ``reply``.
The report names the packet, the JSON pointer in its payload and what the
schema said, in the style of the replay miss report.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from sioproxy.contracts.compiled import Predicate, compile_schema
from sioproxy.contracts.document import ACTIONS, OpSpec, index_document
from sioproxy.contracts.observe import Observation, OpKey, classify, observe
from sioproxy.contracts.validate import Validator, Violation, show
from sioproxy.types import Direction


@dataclass(frozen=True, slots=True)
class Finding:
    """The violations of one observed message."""

    obs: Observation
    op_id: str | None
    violations: tuple[Violation, ...]

    @property
    def event(self) -> str:
        """The event (or kind) name, for counting."""
        kind, name = self.obs.key[2], self.obs.key[3]
        return name if kind == "event" else f"({kind})"

    def lines(self, wire: str | None = None) -> list[str]:
        head = f"seq {self.obs.seq} {self.obs.conn} {self.obs.describe()}"
        out = [head + (f"  {wire}" if wire else "")]
        if self.op_id:
            out.append(f"  operation {self.op_id}{' reply' if self.obs.is_ack else ''}")
        out.extend(f"  {violation}" for violation in self.violations)
        return out

    def detail(self) -> str:
        """One line for logs and error acks."""
        return "; ".join(str(v) for v in self.violations)


def _never(_payload: Any) -> bool:
    return False


class Contract:
    """A document indexed for checking packets one at a time.

    Each operation's payload and reply schemas are compiled to predicates
    (:mod:`sioproxy.contracts.compiled`) when first needed; the validator
    runs only for a message that fails one, to say why.
    """

    def __init__(self, doc: Mapping[str, Any]) -> None:
        self.doc = doc
        self.ops: dict[Any, OpSpec] = index_document(doc)
        self._validator = Validator(doc)
        self._payloads: dict[OpKey, Predicate] = {}
        self._replies: dict[OpKey, Predicate] = {}

    def predicate(self, key: OpKey, is_ack: bool) -> Predicate:
        """The compiled check of an operation's payload (or reply); false for an unknown one."""
        cache = self._replies if is_ack else self._payloads
        fast = cache.get(key)
        if fast is None:
            spec = self.ops.get(key)
            schema = None if spec is None else (spec.reply if is_ack else spec.payload)
            if spec is None or schema is None:
                fast = _never
            else:
                fast = compile_schema(schema, self._validator)
            cache[key] = fast
        return fast

    def accepts(self, key: OpKey, payload: Any, is_ack: bool) -> bool:
        """True when the document has the operation (and reply) and the payload matches."""
        return self.predicate(key, is_ack)(payload)

    def check(self, obs: Observation) -> Finding | None:
        """None when the message is what the document says."""
        if self.accepts(obs.key, obs.payload, obs.is_ack):
            return None
        spec = self.ops.get(obs.key)
        if spec is None:
            return Finding(obs, None, (self._unknown(obs),))
        if obs.is_ack:
            if spec.reply is None:
                said = "no reply"
                reason = "an acknowledgement, but the operation has no reply"
                return Finding(obs, spec.op_id, (Violation("", reason, said),))
            schema = spec.reply
        else:
            schema = spec.payload
        found = self._validator.validate(obs.payload, schema)
        return Finding(obs, spec.op_id, tuple(found)) if found else None

    def _unknown(self, obs: Observation) -> Violation:
        namespace, direction, kind, name = obs.key
        action = ACTIONS[direction]
        what = f"event {show(name)}" if kind == "event" else f"a {kind} packet"
        channels = {key[0] for key in self.ops}
        if namespace not in channels:
            return Violation("", f"namespace {namespace} is not a channel of the spec", "channels")
        reason = f"{what} is not a {action} operation of namespace {namespace}"
        return Violation("", reason, "operations")


def check_entries(contract: Contract, entries: Iterable[Any]) -> tuple[int, list[Finding]]:
    """(messages checked, findings) for a recording's entries."""
    count = 0
    findings = []
    for obs in observe(entries):
        count += 1
        finding = contract.check(obs)
        if finding is not None:
            findings.append(finding)
    return count, findings


def _journal_observations(packets: Iterable[Mapping[str, Any]]) -> Iterable[Observation]:
    """Observations of the pytest fixture's journal (``{"conn", "dir", "packet"}``).

    The journal has no ``ack_of``: an ack is matched to the request of the
    same connection and namespace, in the other direction, with its id.
    """
    requests: dict[tuple[str, str, Direction, Any], OpKey] = {}
    for number, item in enumerate(packets, 1):
        packet, direction, conn = item.get("packet"), Direction(item["dir"]), str(item["conn"])
        if not isinstance(packet, Mapping):
            continue
        modern = "nsp" in packet
        found = classify({"eio": "message", "sio": packet} if modern else packet, direction)
        if found is None:
            continue
        namespace, kind, name, payload, wants = found
        ack_id = packet.get("id") if modern else packet.get("ackId", packet.get("id"))
        if kind == "ack":
            back = Direction.S2C if direction is Direction.C2S else Direction.C2S
            key = requests.pop((conn, namespace, back, ack_id), None)
            if key is not None:
                yield Observation(number, conn, key, payload, is_ack=True)
            continue
        key = (namespace, direction, kind, name)
        if wants:
            requests[(conn, namespace, direction, ack_id)] = key
        yield Observation(number, conn, key, payload, wants_ack=wants)


def journal_findings(contract: Contract, packets: Iterable[Mapping[str, Any]]) -> list[Finding]:
    """The violations in a journal of packets (the pytest fixture's ``packets``)."""
    found = (contract.check(obs) for obs in _journal_observations(packets))
    return [finding for finding in found if finding is not None]
