"""Live validation for ``proxy``/``record --spec``: a session event sink, and the enforcer.

Layer: pure (contracts). :class:`LiveChecker` is an event sink of the live
observer, placed before the log and the recorder: each packet is checked as
its sender sent it (a rewritten packet's original; injected packets are
skipped), and a violation is

* written to the proxy's log (``[c1] spec violation: ...``),
* counted per namespace, event and direction (``/metrics``:
  ``sioproxy_spec_violations_total``),
* put in the packet's ``note``, so the recording and the inspector show it,
* kept in :attr:`LiveChecker.findings` (the pytest plugin reads them).

Traffic is never changed by the checker. ``--spec-enforce`` adds
:func:`enforcer`, an addon hook of the rewrite pipeline, which drops a
violating packet and answers a request that wanted an ack with an ack whose
single argument is ``{"error": "spec violation", "detail": ...}``.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Mapping
from types import ModuleType
from typing import Any

from sioproxy.codec.socketio import SioPacket, SioType
from sioproxy.contracts.check import Contract, Finding
from sioproxy.contracts.compiled import Predicate
from sioproxy.contracts.observe import Observation, OpKey, classify, namespace_of
from sioproxy.pipeline.hooks import Addon
from sioproxy.session import PacketSeen, SessionEvent
from sioproxy.types import Direction, Fate

_SIO_NAMES = {t: t.name.lower() for t in SioType}
_EVENT, _ACK = SioType.EVENT, SioType.ACK
#: Requests remembered for their acks; the oldest are forgotten past this.
MAX_PENDING = 10_000
MAX_FINDINGS = 1_000
ERROR = "spec violation"


def _sio_parts(sio: SioPacket, direction: Direction) -> tuple[str, str, str, Any, bool] | None:
    """The hot path of :func:`_event_parts`: a plain v4/v5 event or ack, read directly."""
    kind, data = sio.type, sio.data
    binary = kind is SioType.BINARY_EVENT or kind is SioType.BINARY_ACK
    if binary or kind is SioType.CONNECT:
        view = {"type": _SIO_NAMES[kind], "nsp": sio.nsp, "id": sio.id, "data": data}
        return classify({"eio": "message", "sio": view}, direction, sio.attachments)
    if type(data) is not list:
        return None
    nsp = sio.nsp if "?" not in sio.nsp else namespace_of(sio.nsp)
    if kind is SioType.EVENT:
        if not data or type(data[0]) is not str:
            return None
        return nsp, "event", data[0], data[1:], sio.id is not None
    if kind is SioType.ACK:
        return nsp, "ack", "", data, False
    return None


def _event_parts(event: PacketSeen) -> tuple[str, str, str, Any, bool] | None:
    source = event.original if event.original is not None else event
    if source.error is not None:
        return None
    sio = source.sio
    if sio is not None and source.legacy is None:
        return _sio_parts(sio, event.direction)
    return classify(source.decoded(), event.direction, source.attachments)


class LiveChecker:
    """Checks every packet event against a contract; see the module docstring."""

    def __init__(
        self,
        contract: Contract,
        *,
        log: Callable[[str], None] = lambda _text: None,
        count: Callable[[str, str, str], None] | None = None,
    ) -> None:
        self.contract = contract
        self.checked = 0
        self.violations: Counter[tuple[str, str, str]] = Counter()
        self.findings: list[Finding] = []
        self._log = log
        self._count = count
        self._requests: dict[int, OpKey] = {}
        self._events: dict[OpKey, Predicate] = {}
        self._replies: dict[OpKey, Predicate] = {}

    def __call__(self, event: SessionEvent) -> None:
        if not isinstance(event, PacketSeen) or event.fate is Fate.INJECTED:
            return
        sio = event.sio
        plain = sio is not None and event.original is None and event.legacy is None
        if not (plain and self._plain(event, sio)):  # type: ignore[arg-type]
            self._general(event)

    def _plain(self, event: PacketSeen, sio: SioPacket) -> bool:
        """The hot path: a text v4/v5 event or ack, read without any dict. False: not one."""
        data = sio.data
        if type(data) is not list or "?" in sio.nsp:
            return False
        kind = sio.type
        if kind is _EVENT and data and type(data[0]) is str:
            key = (sio.nsp, event.direction, "event", data[0])
            check = self._events.get(key)
            if check is None:
                check = self._events[key] = self.contract.predicate(key, False)
            if sio.id is not None:
                self._remember(event.seq, key)
            self.checked += 1
            payload = data[1:]
            if not check(payload):
                self._full(event, key, payload, sio.id is not None, False)
            return True
        if kind is _ACK:
            ack_of = event.ack_of
            request = self._requests.pop(ack_of, None) if ack_of is not None else None
            if request is not None:
                self.checked += 1
                check = self._replies.get(request)
                if check is None:
                    check = self._replies[request] = self.contract.predicate(request, True)
                if not check(data):
                    self._full(event, request, data, False, True)
            return True
        return False

    def _general(self, event: PacketSeen) -> None:
        parts = _event_parts(event)
        if parts is None:
            return
        namespace, kind, name, payload, wants = parts
        if kind == "ack":
            request = self._requests.pop(event.ack_of, None) if event.ack_of is not None else None
            if request is None:
                return
            key = request
        else:
            key = (namespace, event.direction, kind, name)
            if wants:
                self._remember(event.seq, key)
        self.checked += 1
        is_ack = kind == "ack"
        if not self.contract.accepts(key, payload, is_ack):
            self._full(event, key, payload, wants, is_ack)

    def _full(self, event: PacketSeen, key: OpKey, payload: Any, wants: bool, ack: bool) -> None:
        obs = Observation(event.seq, event.conn, key, payload, wants_ack=wants, is_ack=ack)
        finding = self.contract.check(obs)
        if finding is not None:
            self._report(event, finding)

    def _remember(self, seq: int, key: OpKey) -> None:
        if len(self._requests) >= MAX_PENDING:
            del self._requests[next(iter(self._requests))]
        self._requests[seq] = key

    def _report(self, event: PacketSeen, finding: Finding) -> None:
        direction = event.direction.value
        self.violations[(finding.obs.namespace, finding.event, direction)] += 1
        if self._count is not None:
            self._count(finding.obs.namespace, finding.event, direction)
        if len(self.findings) < MAX_FINDINGS:
            self.findings.append(finding)
        text = f"{ERROR}: {finding.detail()}"
        self._log(f"[{event.conn}] seq {event.seq} {finding.obs.describe()}: {text}")
        note = text if event.note is None else f"{event.note}; {text}"
        # The event is frozen for its consumers; the checker runs first and is
        # the one stage that annotates it, so the recorder writes the note.
        object.__setattr__(event, "note", note)

    def total(self) -> int:
        return sum(self.violations.values())


def _view_observation(ctx: Any, packet: Mapping[str, Any]) -> tuple[Observation, Any] | None:
    """(observation, ack id) of a rule-view event packet; acks are not enforced."""
    kind = packet.get("type")
    name = packet.get("name")
    if kind not in ("event", "binary_event") or not isinstance(name, str):
        return None
    direction = Direction(ctx.direction)
    args = list(packet.get("args") or [])
    attachments = packet.get("attachments")
    if attachments:
        view = {"type": "binary_event", "data": [name, *args], "attachments": attachments}
        found = classify({"eio": "message", "sio": view}, direction)
        args = found[3] if found is not None else args
    key: OpKey = (ctx.namespace, direction, "event", name)
    obs = Observation(ctx.seq or 0, ctx.conn, key, args, wants_ack=packet.get("id") is not None)
    return obs, packet.get("id")


def _error_ack(packet: Mapping[str, Any], ack_id: Any, detail: str) -> dict[str, Any]:
    error = {"error": ERROR, "detail": detail}
    if "endpoint" in packet:  # 0.9
        return {"type": "ack", "endpoint": packet["endpoint"], "ackId": ack_id, "args": [error]}
    return {"type": "ack", "nsp": packet.get("nsp", "/"), "id": ack_id, "data": [error]}


def enforcer(contract: Contract) -> Addon:
    """An addon for the rewrite pipeline: drop violating events, answer their acks."""

    def on_packet(ctx: Any, packet: dict[str, Any]) -> Any:
        found = _view_observation(ctx, packet)
        if found is None:
            return packet
        obs, ack_id = found
        finding = contract.check(obs)
        if finding is None:
            return packet
        if ack_id is not None:
            back = "s2c" if ctx.direction == "c2s" else "c2s"
            ctx.send(_error_ack(packet, ack_id, finding.detail()), back)
        return None

    module = ModuleType("sioproxy_spec_enforce")
    module.on_packet = on_packet  # type: ignore[attr-defined]
    return Addon(
        path="--spec-enforce",
        name="spec-enforce",
        module=module,
        on_packet=on_packet,
        on_connect=None,
        on_disconnect=None,
    )
