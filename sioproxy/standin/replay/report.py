"""What replay tells the user: the mismatch report and the end-of-run summary.

Layer: pure (replay). Standard library, ``matching.Difference`` and
``sioproxy.textsafe`` only; never twisted. The mismatch report follows VCR.py's
"best matches" message: the live packet, where the connection stood, the
closest recorded candidates with the matcher that failed and a diff of the args
by JSON pointer, and a hint. ``explain.py`` works out what goes into it.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any

from sioproxy.recording.matching import Difference
from sioproxy.textsafe import escape_controls, preview


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}{'' if n == 1 else 's'}"


@dataclass(frozen=True, slots=True, kw_only=True)
class Candidate:
    """A recorded client packet that came close, and why it did not match."""

    seq: int
    t: float
    wire: str
    packet: dict[str, Any]
    failed: tuple[str, ...]
    differences: tuple[Difference, ...] = ()
    note: str | None = None

    def lines(self, rank: int) -> list[str]:
        out = [f"  {rank}. seq {self.seq} (t={self.t:.3f}s)  {self.wire}"]
        out.append(f"     failed: {', '.join(self.failed) or 'nothing'}")
        shown = self.differences[:8]
        out.extend(f"       {d.text()}" for d in shown)
        if len(self.differences) > len(shown):
            out.append(f"       ... and {len(self.differences) - len(shown)} more differences")
        if self.note:
            out.append(f"     note: {self.note}")
        return out

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "seq": self.seq,
            "t": self.t,
            "wire": self.wire,
            "packet": self.packet,
            "failed": list(self.failed),
            "differences": [d.to_json() for d in self.differences],
        }
        if self.note:
            out["note"] = self.note
        return out


@dataclass(frozen=True, slots=True, kw_only=True)
class MismatchReport:
    """A live client packet that matched nothing in the recording."""

    conn: str
    recorded_conn: str
    live_index: int
    at: float
    wire: str
    packet: dict[str, Any]
    mode: str
    reason: str
    progress: str
    expected: str | None = None
    candidates: tuple[Candidate, ...] = ()
    hints: tuple[str, ...] = ()
    action: str = ""

    def text(self, *, syntax: str = "cli") -> str:
        """The report as printed: each line escaped (namespaces and events come from peers).

        ``syntax="marker"`` writes hints as pytest marker options.
        """
        return "\n".join(escape_controls(line) for line in self.lines(syntax=syntax))

    def lines(self, *, syntax: str = "cli") -> list[str]:
        """The report's lines, unescaped (``text`` and the log escape each one)."""
        where = (
            self.conn
            if self.conn == self.recorded_conn
            else (f"{self.conn} (replaying recorded {self.recorded_conn})")
        )
        lines = [
            f"replay miss on connection {where}: live client packet #{self.live_index}"
            f" {self.reason}",
            f"  live packet: {self.wire}",
            f"  as dict:     {preview(self.packet, 200)}",
            f"  match mode:  {self.mode}; {self.progress}",
        ]
        if self.expected:
            lines.append(f"  expected:    {self.expected}")
        if self.candidates:
            lines.append("closest recorded client packets:")
            for rank, cand in enumerate(self.candidates, 1):
                lines.extend(cand.lines(rank))
        else:
            lines.append("closest recorded client packets: none left to compare with")
        restyle = marker_syntax if syntax == "marker" else str
        lines.extend(f"hint: {restyle(h)}" for h in self.hints)
        if self.action:
            lines.append(f"action: {self.action}")
        return lines

    def to_json(self) -> dict[str, Any]:
        return {
            "conn": self.conn,
            "recorded_conn": self.recorded_conn,
            "live_index": self.live_index,
            "at": self.at,
            "wire": self.wire,
            "packet": self.packet,
            "mode": self.mode,
            "reason": self.reason,
            "progress": self.progress,
            "expected": self.expected,
            "candidates": [c.to_json() for c in self.candidates],
            "hints": list(self.hints),
            "action": self.action,
        }

    def __str__(self) -> str:
        return self.text()


@dataclass(frozen=True, slots=True, kw_only=True)
class UnplayedPacket:
    """A recorded packet the replay never played."""

    conn: str
    seq: int
    dir: str
    wire: str
    recorded_conn: str = ""

    def where(self) -> str:
        same = self.recorded_conn in ("", self.conn)
        return self.conn if same else f"{self.conn} (recorded {self.recorded_conn})"

    def to_json(self) -> dict[str, Any]:
        return {
            "conn": self.conn,
            "recorded_conn": self.recorded_conn or self.conn,
            "seq": self.seq,
            "dir": self.dir,
            "wire": self.wire,
        }


@dataclass(frozen=True, slots=True, kw_only=True)
class ReplaySummary:
    """Totals over every replayed connection.

    ``unopened`` are recorded connections with packets that no live client
    opened; ``wrong_protocol`` counts live requests refused because the client
    speaks another protocol generation than the recording (``wrong_protocol_seen``
    says which). Unopened connections make the replay not ``ok``: something
    recorded was not played. A refused request alone does not: clients that
    detect the server's generation probe the other one first, as a real
    server would refuse them too; a client that never gets in leaves its
    recorded connection unopened, and that fails the run.
    """

    connections: int
    matched: int
    mismatches: tuple[MismatchReport, ...] = ()
    unplayed: tuple[UnplayedPacket, ...] = ()
    recorded_connections: int = 0
    unopened: tuple[str, ...] = ()
    wrong_protocol: int = 0
    wrong_protocol_seen: tuple[str, ...] = ()
    # Server packets sent after --max-wait without their cause on another connection.
    max_wait_releases: int = 0
    # Live retries the recording lacks, answered again with the recorded answer (retries.py).
    retries_answered: int = 0

    @property
    def ok(self) -> bool:
        """No miss, every recorded client packet and connection played."""
        return not (self.mismatches or self.unplayed or self.unopened)

    def text(self) -> str:
        """The summary as printed, each line escaped like ``MismatchReport.text``."""
        return "\n".join(escape_controls(line) for line in self.lines())

    def lines(self) -> list[str]:
        played = f"{self.connections} connection{'s' if self.connections != 1 else ''} played"
        if self.recorded_connections:
            played += f" (recording has {self.recorded_connections})"
        lines = [
            f"replay summary: {played}, {_count(self.matched, 'client packet')} matched,"
            f" {len(self.mismatches)} miss{'es' if len(self.mismatches) != 1 else ''},"
            f" {_count(len(self.unplayed), 'recorded client packet')} not played"
        ]
        if self.unopened:
            lines[0] += f", {_count(len(self.unopened), 'recorded connection')} never opened"
        if self.wrong_protocol:
            lines[0] += f", {_count(self.wrong_protocol, 'request')} of another protocol refused"
        if self.max_wait_releases:
            lines[0] += (
                f", {_count(self.max_wait_releases, 'server packet')} sent after --max-wait"
                " without its cause"
            )
        if self.retries_answered:
            n = self.retries_answered
            lines[0] += (
                f", {n} retr{'y' if n == 1 else 'ies'} the recording lacks"
                " answered again with the recorded answer"
            )
        for report in self.mismatches[:20]:
            lines.append(f"  miss: {report.conn} #{report.live_index} {report.wire}")
        if len(self.mismatches) > 20:
            lines.append(f"  ... and {len(self.mismatches) - 20} more misses")
        for packet in self.unplayed[:20]:
            lines.append(f"  not played: {packet.where()} seq {packet.seq} {packet.wire}")
        if len(self.unplayed) > 20:
            lines.append(f"  ... and {len(self.unplayed) - 20} more not played")
        if self.unopened:
            lines.append(f"  never opened: recorded {', '.join(self.unopened[:20])}")
        for seen in self.wrong_protocol_seen:
            lines.append(f"  refused: {seen}")
        return lines

    def to_json(self) -> dict[str, Any]:
        return {
            "connections": self.connections,
            "recorded_connections": self.recorded_connections,
            "matched": self.matched,
            "mismatches": [m.to_json() for m in self.mismatches],
            "unplayed": [u.to_json() for u in self.unplayed],
            "unopened": list(self.unopened),
            "wrong_protocol": self.wrong_protocol,
            "max_wait_releases": self.max_wait_releases,
            "retries_answered": self.retries_answered,
            "ok": self.ok,
        }


_IGNORE_RUN = re.compile(r"--ignore \S+(?: --ignore \S+)*")
_IGNORE_ONE = re.compile(r"--ignore (\S+)")
_MATCH = re.compile(r"--match (\S+)")


def marker_syntax(hint: str) -> str:
    """A hint written with command-line options, rewritten for the pytest marker.

    ``--ignore /a --ignore /b`` becomes ``ignore=["/a", "/b"]`` and ``--match
    any`` becomes ``match="any"``: what to write in ``@pytest.mark.sioproxy(...)``.
    """

    def ignore(found: re.Match[str]) -> str:
        return f"ignore={json.dumps(_IGNORE_ONE.findall(found.group(0)))}"

    hint = _IGNORE_RUN.sub(ignore, hint)
    return _MATCH.sub(lambda found: f"match={json.dumps(found.group(1))}", hint)
