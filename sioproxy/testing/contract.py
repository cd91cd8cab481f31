"""The pytest fixture's contract check: ``sioproxy.violations`` and ``spec_fail=True``.

Layer: pure test helper (the contracts package only). The fixture's journal
of packets, from a replay or a recording proxy alike, is checked against the
AsyncAPI document named by the ``spec`` option (docs/contracts.md).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from sioproxy.contracts import Contract, Finding, load_document
from sioproxy.contracts.check import journal_findings

_CACHE: dict[tuple[str, float], Contract] = {}


def _contract(path: Path) -> Contract:
    key = (str(path), path.stat().st_mtime if path.exists() else 0.0)
    if key not in _CACHE:
        _CACHE[key] = Contract(load_document(str(path)))
    return _CACHE[key]


def spec_findings(
    spec: str | None, base: Path | None, packets: Iterable[Mapping[str, Any]]
) -> list[Finding]:
    """Violations of ``spec`` (relative to ``base``, the test's folder) in ``packets``."""
    if spec is None:
        return []
    path = Path(spec)
    if not path.is_absolute() and base is not None:
        path = base / path
    return journal_findings(_contract(path), packets)


def spec_verdict(spec: str | None, findings: list[Finding]) -> str | None:
    """The failure message for ``spec_fail=True``, or None when nothing broke the spec."""
    if not findings:
        return None
    lines = [f"sioproxy: {len(findings)} packet(s) broke the spec {spec}:"]
    for finding in findings[:20]:
        lines.extend(finding.lines())
    return "\n".join(lines)
