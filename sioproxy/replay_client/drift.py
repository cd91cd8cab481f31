"""The drift report of a client-side replay: what the live server said differently.

Layer: pure. Standard library, ``sioproxy.recording.matching.Difference`` and
``sioproxy.textsafe`` only; never twisted. Every server packet of the recording
is compared with what the live server sent; each disagreement is a ``DriftItem``:

* ``missing``: the recording has a server packet the live server never sent;
* ``unexpected``: the live server sent a packet the recording does not have;
* ``changed``: the packet came, but its args differ (a JSON diff by pointer);
* ``closed``: the live connection ended before every client packet was sent;
* ``recovery``: a recorded connection state recovery the live server did not
  do, or one it did that the recording does not have (``Recovered``).

The text form follows the style of the stand-in replay's mismatch report
(``sioproxy.standin.replay.report``): one block per connection, the recorded ``seq`` so
``jq 'select(.seq == N)'`` finds the entry, and ``POINTER: recorded X != live Y``
lines for the differences.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Final

from sioproxy.recording.matching import Difference
from sioproxy.textsafe import escape_controls, preview

__all__ = ["DRIFT_KINDS", "ConnectionResult", "DriftItem", "DriftReport", "Recovered", "Remap"]

DRIFT_KINDS: Final = ("missing", "unexpected", "changed", "closed", "recovery")
_MAX_DIFFS: Final = 8


@dataclass(frozen=True, slots=True, kw_only=True)
class DriftItem:
    """One server packet that did not come back as recorded."""

    kind: str
    namespace: str
    event: str  # event name, "ack of <event>", or the packet type
    seq: int | None = None  # the recorded entry, when there is one
    t: float | None = None
    recorded: str | None = None  # wire text
    live: str | None = None
    differences: tuple[Difference, ...] = ()
    note: str | None = None
    hints: tuple[str, ...] = ()  # the --ignore flags that would hide the differences

    def lines(self) -> list[str]:
        where = f"seq {self.seq}" if self.seq is not None else "live only"
        ns = self.namespace or "''"
        out = [f"  {self.kind.upper()} {where}  namespace {ns}  {self.event}"]
        if self.recorded is not None:
            out.append(f"    recorded: {self.recorded}")
        if self.live is not None:
            out.append(f"    live:     {self.live}")
        out.extend(f"    {d.text()}" for d in self.differences[:_MAX_DIFFS])
        if len(self.differences) > _MAX_DIFFS:
            out.append(f"    ... and {len(self.differences) - _MAX_DIFFS} more differences")
        if self.note:
            out.append(f"    note: {self.note}")
        out.extend(f"    hint: {hint}" for hint in self.hints)
        return out

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"kind": self.kind, "namespace": self.namespace, "event": self.event}
        for key in ("seq", "t", "recorded", "live", "note"):
            value = getattr(self, key)
            if value is not None:
                out[key] = value
        out["differences"] = [d.to_json() for d in self.differences]
        out["hints"] = list(self.hints)
        return out


@dataclass(frozen=True, slots=True, kw_only=True)
class Remap:
    """A server request whose live ack id differs from the recorded one (D.3 item 2)."""

    namespace: str
    event: str
    recorded: int
    live: int

    def to_json(self) -> dict[str, Any]:
        return {
            "namespace": self.namespace,
            "event": self.event,
            "recorded": self.recorded,
            "live": self.live,
        }


@dataclass(frozen=True, slots=True, kw_only=True)
class Recovered:
    """A recovering CONNECT (recorded ``seq``): did each server recover ``of``'s session."""

    seq: int
    of: str | None  # the connection that had the session (None: it was not played)
    recorded: bool
    live: bool
    sent_pid: str | None  # the live pid sent (None: none known)
    reply_pid: Any  # the live CONNECT reply's pid

    def text(self) -> str:
        of = self.of or "the connection of the recorded pid"
        if self.recorded and self.live:
            return (
                f"seq {self.seq} recovered the session of {of} as recorded: the live "
                f"CONNECT reply kept the pid the live server gave {of}"
            )
        if self.live:
            return (
                f"the live server recovered the session of {of} (seq {self.seq}), "
                "the recorded one did not"
            )
        if self.sent_pid is None:
            why = "no live pid to send (" + (
                f"{self.of}'s live CONNECT reply had none)" if self.of else "it was not played)"
            )
        elif isinstance(self.reply_pid, str):
            why = "its CONNECT reply has a new pid"
        else:
            why = "its CONNECT reply has no pid (connectionStateRecovery off?)"
        return f"the live server did not recover the session of {of} (seq {self.seq}): {why}"

    def to_json(self) -> dict[str, Any]:
        return {
            "seq": self.seq,
            "of": self.of,
            "recorded": self.recorded,
            "live": self.live,
            "sent_pid": self.sent_pid,
            "reply_pid": self.reply_pid,
        }


@dataclass(frozen=True, slots=True, kw_only=True)
class ConnectionResult:
    """The replay of one recorded connection by one live client."""

    conn: str
    client: int
    transport: str
    sent: int
    received: int
    end: str
    drift: tuple[DriftItem, ...] = ()
    remaps: tuple[Remap, ...] = ()
    captures: dict[str, Any] = field(default_factory=dict)
    notes: tuple[str, ...] = ()
    recoveries: tuple[Recovered, ...] = ()  # reproduced as recorded (the others are drift)

    def lines(self) -> list[str]:
        head = (
            f"connection {self.conn} (client {self.client}, {self.transport}): "
            f"{self.sent} sent, {self.received} received, "
            f"{len(self.drift)} drift, ended: {self.end}"
        )
        out = [head]
        for item in self.drift:
            out.extend(item.lines())
        for remap in self.remaps:
            out.append(
                f"  ack id {remap.namespace} {remap.event}: recorded {remap.recorded}, "
                f"answered live as {remap.live}"
            )
        out.extend(f"  captured {k} = {preview(v, 200)}" for k, v in self.captures.items())
        out.extend(f"  recovery: {r.text()}" for r in self.recoveries)
        out.extend(f"  note: {n}" for n in self.notes)
        return out

    def to_json(self) -> dict[str, Any]:
        return {
            "conn": self.conn,
            "client": self.client,
            "transport": self.transport,
            "sent": self.sent,
            "received": self.received,
            "end": self.end,
            "drift": [d.to_json() for d in self.drift],
            "ack_remaps": [r.to_json() for r in self.remaps],
            "captures": dict(self.captures),
            "notes": list(self.notes),
            "recoveries": [r.to_json() for r in self.recoveries],
        }


@dataclass(frozen=True, slots=True, kw_only=True)
class DriftReport:
    """Every connection's result; ``drift_count`` decides the exit status."""

    recording: str
    target: str
    results: tuple[ConnectionResult, ...]
    errors: tuple[str, ...] = ()
    # Set when no connection could be made at all: the report is then one line.
    unreachable: str | None = None
    stats: dict[str, Any] = field(default_factory=dict)
    # Client packets sent after --max-wait without the other connections catching up.
    max_wait_releases: int = 0

    @property
    def drift_count(self) -> int:
        return sum(len(r.drift) for r in self.results)

    def counts(self) -> dict[str, int]:
        found = Counter(item.kind for r in self.results for item in r.drift)
        return {kind: found[kind] for kind in DRIFT_KINDS}

    @property
    def exit_status(self) -> int:
        """0 no drift, 1 drift, 2 a connection could not be made at all."""
        if self.errors:
            return 2
        return 1 if self.drift_count else 0

    def text(self, *, only_drift: bool = False) -> str:
        counts = self.counts()
        summary = ", ".join(f"{n} {kind}" for kind, n in counts.items() if n) or "none"
        out = [
            f"replay-client {self.recording} -> {self.target}: "
            f"{len(self.results)} connection(s), drift: {summary}"
        ]
        if self.max_wait_releases:
            out.append(
                f"{self.max_wait_releases} client packet(s) sent after --max-wait: "
                "another connection had not played what was recorded before them"
            )
        for result in self.results:
            if only_drift and not result.drift:
                continue
            out.extend(result.lines())
        out.extend(f"error: {e}" for e in self.errors)
        # Each line escaped on its own: namespaces, events and close reasons come from peers.
        return "\n".join(escape_controls(line) for line in out)

    def to_json(self) -> dict[str, Any]:
        return {
            "recording": self.recording,
            "target": self.target,
            "drift_count": self.drift_count,
            "counts": self.counts(),
            "connections": [r.to_json() for r in self.results],
            "errors": list(self.errors),
            "unreachable": self.unreachable,
            "max_wait_releases": self.max_wait_releases,
            "stats": dict(self.stats),
        }


def merge_results(results: Sequence[ConnectionResult]) -> tuple[ConnectionResult, ...]:
    """Results ordered by client, then by recorded connection order."""
    return tuple(sorted(results, key=lambda r: (r.client, _conn_order(r.conn))))


def _conn_order(conn: str) -> tuple[int, str]:
    digits = conn.lstrip("c")
    return (int(digits), conn) if digits.isdigit() else (1 << 30, conn)
