"""``sioproxy spec`` and ``sioproxy check``: AsyncAPI contracts from and for recordings.

Layer: edge over the pure ``sioproxy.contracts`` package (no twisted).
``spec`` infers an AsyncAPI 3.0 document from recordings (or merges new
observations into an edited one with ``--update``); ``check`` validates every
packet of a recording against a document. Exit codes: 0 clean, 1 violations
(or, for ``spec --update``, contradictions), 2 bad input with one line on
stderr. docs/contracts.md is the user guide.
"""

from __future__ import annotations

import argparse
import os
import re
import sys
from typing import Any

from sioproxy.cli.loading import load_recording
from sioproxy.contracts import (
    Contract,
    SpecError,
    build_document,
    check_entries,
    load_document,
    observe,
    update_document,
    write_document,
)
from sioproxy.contracts.document import server_objects
from sioproxy.contracts.live import LiveChecker, enforcer
from sioproxy.errors import ConfigError
from sioproxy.pipeline import Pipeline
from sioproxy.recording import OpenEvent, PacketEntry, Recording

_REPORT_LIMIT = 50


def add_parsers(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    spec = sub.add_parser("spec", help="write an AsyncAPI 3.0 document inferred from recordings")
    spec.add_argument("files", nargs="+", metavar="FILE")
    spec.add_argument("--out", required=True, metavar="asyncapi.yaml|.json")
    spec.add_argument(
        "--update", metavar="EXISTING", help="merge into this (edited) document, keeping its edits"
    )
    spec.add_argument("--force", action="store_true", help="overwrite --out")
    spec.add_argument("--title", default="Socket.IO API", help="info.title of a new document")
    spec.add_argument("--api-version", default="1.0.0", help="info.version of a new document")
    spec.set_defaults(handler=run_spec)

    check = sub.add_parser("check", help="validate a recording against an AsyncAPI document")
    check.add_argument("file", metavar="FILE")
    check.add_argument("--spec", required=True, metavar="asyncapi.yaml|.json")
    check.set_defaults(handler=run_check)


def _servers(recordings: list[Recording]) -> dict[str, Any]:
    upstreams: list[tuple[str, list[str]]] = []
    for recording in recordings:
        gens = sorted({e.generation.value for e in recording.entries if isinstance(e, OpenEvent)})
        upstreams.extend((h.upstream or "", gens) for h in recording.headers())
    return server_objects(upstreams)


def _observations(recordings: list[Recording]) -> list[Any]:
    return [obs for recording in recordings for obs in observe(recording.entries)]


def run_spec(args: argparse.Namespace) -> int:
    recordings = [load_recording(path, "spec") for path in args.files]
    existing = load_document(args.update) if args.update else None
    same_file = args.update and os.path.abspath(args.update) == os.path.abspath(args.out)
    if os.path.exists(args.out) and not (args.force or same_file):
        raise SpecError(args.out, "file exists (use --force to overwrite, or --update it)")
    observations = _observations(recordings)
    servers = _servers(recordings)
    if existing is None:
        doc = build_document(observations, servers, title=args.title, version=args.api_version)
        contradictions = []
    else:
        doc, contradictions = _update(existing, observations, servers, args.update)
    write_document(doc, args.out)
    ops = doc.get("operations") or {}
    replies = sum(1 for op in ops.values() if isinstance(op, dict) and "reply" in op)
    print(
        f"sioproxy spec: {args.out}: {len(doc.get('channels') or {})} channel(s), "
        f"{len(ops)} operation(s) ({replies} with replies) from {len(observations)} "
        f"message(s) in {len(recordings)} recording(s)",
        file=sys.stderr,
    )
    for contradiction in contradictions[:_REPORT_LIMIT]:
        print(f"contradiction: {contradiction}")
    if contradictions:
        print(f"{len(contradictions)} contradiction(s) with hand-edited schemas, not merged")
    return 1 if contradictions else 0


def _update(existing: dict[str, Any], observations: list[Any], servers: Any, path: str) -> Any:
    try:
        return update_document(existing, observations, servers)
    except (KeyError, IndexError, TypeError, ValueError, re.error) as exc:
        raise SpecError(path, f"unusable document: {exc}") from exc


def _contract(path: str) -> Contract:
    doc = load_document(path)
    try:
        return Contract(doc)
    except (KeyError, IndexError, TypeError, ValueError) as exc:
        raise SpecError(path, f"unusable document: {exc}") from exc


def run_check(args: argparse.Namespace) -> int:
    contract = _contract(args.spec)
    recording = load_recording(args.file, "check")
    try:
        count, findings = check_entries(contract, recording.entries)
    except (KeyError, IndexError, TypeError, ValueError, re.error) as exc:
        raise SpecError(args.spec, f"unusable schema: {exc}") from exc
    wires = {e.seq: e.raw for e in recording.entries if isinstance(e, PacketEntry)}
    for finding in findings[:_REPORT_LIMIT]:
        raw = wires.get(finding.obs.seq)
        wire = raw if isinstance(raw, str) and len(raw) <= 120 else None
        for line in finding.lines(wire):
            print(line)
    if len(findings) > _REPORT_LIMIT:
        print(f"... and {len(findings) - _REPORT_LIMIT} more messages with violations")
    total = sum(len(f.violations) for f in findings)
    print(
        f"sioproxy check: {args.file} against {args.spec}: {count} message(s) checked, "
        f"{total} violation(s) in {len(findings)} message(s)",
        file=sys.stderr,
    )
    return 1 if findings else 0


# -- proxy/record --spec: live validation ------------------------------------


def spec_pipeline(args: argparse.Namespace, pipeline: Pipeline | None) -> Pipeline | None:
    """Read ``--spec`` (before listening) and, with ``--spec-enforce``, add the enforcer."""
    path = getattr(args, "spec", None)
    if path is None:
        if getattr(args, "spec_enforce", False):
            raise ConfigError(None, None, "--spec-enforce needs --spec FILE")
        return pipeline
    args.contract = _contract(path)
    if not args.spec_enforce:
        return pipeline
    guard = enforcer(args.contract)
    if pipeline is None:
        return Pipeline(None, [guard])
    # First among the addons: it judges what the sender sent, before other hooks.
    return Pipeline(
        pipeline.rules,
        [guard, *pipeline.addons],
        rng=pipeline.rng,
        log=pipeline.log,
        inject_id_gap=pipeline.inject_id_gap,
    )


def spec_sinks(args: argparse.Namespace, note: Any, metrics: Any) -> list[LiveChecker]:
    """The live checker as an event sink (none without ``--spec``)."""
    contract = getattr(args, "contract", None)
    if contract is None:
        return []
    count = None
    if metrics is not None:
        family = metrics.registry.counter(
            "sioproxy_spec_violations_total",
            "Packets that broke the --spec document, by namespace, event and direction",
            ["namespace", "event", "direction"],
        )

        def count(namespace: str, event: str, direction: str) -> None:
            family.inc(namespace=namespace, event=event, direction=direction)

    checker = LiveChecker(contract, log=note, count=count)
    args.spec_checker = checker
    return [checker]
