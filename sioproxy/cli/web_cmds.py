"""``sioproxy report --html`` and ``sioproxy web``: the inspector page.

Layer: edge. ``report`` is pure file work; ``web`` runs the Twisted server of
``sioproxy.web.server`` under ``task.react``. docs/web.md is the user guide.
"""

from __future__ import annotations

import argparse
import os
import sys
from typing import Any

from sioproxy import limits
from sioproxy.cli.loading import load_recording
from sioproxy.cli.reactor_run import react_with_status
from sioproxy.errors import ConfigError, RecordingError, SioProxyError
from sioproxy.ops.config import bounded_float, bounded_int
from sioproxy.textsafe import escape_controls
from sioproxy.web.ring import DEFAULT_CAPACITY


def add_parsers(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    report = sub.add_parser(
        "report",
        help="write a recording, a `diff --report` file or both as one self-contained HTML page",
    )
    report.add_argument(
        "files",
        nargs="+",
        metavar="FILE",
        help="a recording, a `sioproxy diff --report` file (told by its content), or both",
    )
    report.add_argument("--html", required=True, metavar="OUT.html")
    report.add_argument("--force", action="store_true", help="overwrite OUT.html")
    report.set_defaults(handler=run_report)

    web = sub.add_parser(
        "web",
        help="serve recordings (and a `diff --report` file) in the web inspector,"
        " following growing files",
    )
    web.add_argument(
        "files",
        nargs="+",
        metavar="FILE",
        help="recordings, and at most one `sioproxy diff --report` file (told by its content)",
    )
    web.add_argument(
        "--listen", default="127.0.0.1:8090", help="HOST:PORT (port 0 picks a free port)"
    )
    add_ring_option(web)
    web.add_argument(
        "--follow-interval",
        type=bounded_float(0.01, 60.0),
        default=0.2,
        metavar="SECONDS",
        help="how often to look for new lines (default 0.2)",
    )
    web.set_defaults(handler=run_web)


def add_web_options(parser: argparse.ArgumentParser) -> None:
    """``--web HOST:PORT`` and ``--web-ring N`` of proxy, record and replay."""
    parser.add_argument(
        "--web",
        metavar="HOST:PORT",
        help="serve the live inspector page here (host defaults to 127.0.0.1; docs/web.md)",
    )
    add_ring_option(parser)


def add_ring_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--web-ring",
        type=bounded_int(1, limits.MAX_COUNT),
        default=DEFAULT_CAPACITY,
        metavar="N",
        help=f"rows the page can catch up on (default {DEFAULT_CAPACITY:,})",
    )


def run_report(args: argparse.Namespace) -> int:
    from sioproxy.web.offline import offline_scripts
    from sioproxy.web.report import LoadedRows, build_report, load_rows

    paths, diff = _split_files(args.files)
    if len(paths) > 1:
        raise ConfigError(None, None, "report takes one recording (and a diff report)")
    recording = load_recording(paths[0], "report") if paths else None
    name = os.path.basename(paths[0] if paths else args.files[0])
    page = build_report(
        load_rows([(name, recording)]) if recording is not None else LoadedRows(),
        title=f"sioproxy report: {name}",
        diff=diff,
        offline=offline_scripts(recording) if recording is not None else None,
    )
    try:
        with open(args.html, "w" if args.force else "x", encoding="utf-8") as out:
            out.write(page)
    except FileExistsError:
        raise RecordingError(args.html, None, "file exists (use --force to overwrite)") from None
    except OSError as exc:
        raise RecordingError(args.html, None, f"cannot create: {exc}") from exc
    rows = 0 if recording is None else len(recording.entries)
    print(escape_controls(f"sioproxy report: {args.html}: {rows} rows"), file=sys.stderr)
    return 0


def run_web(args: argparse.Namespace) -> int:
    paths, diff = _split_files(args.files)  # a bad mix: ConfigError, one line and exit 2

    def _main(reactor: Any) -> Any:
        from twisted.internet import defer

        from sioproxy.web.server import serve_files

        return defer.ensureDeferred(serve_files(reactor, args, paths, diff))

    return react_with_status(_main, args.command)


def _split_files(files: list[str]) -> tuple[list[str], dict[str, Any] | None]:
    """The recordings to follow, and the page's view of a ``diff --report`` file if one is given.

    A report's Socket.IO texts are decoded with the generation of the first
    connection of the first recording given, or else of the recording the
    report names, if it can be read.
    """
    from sioproxy.web import diffview

    paths: list[str] = []
    reports: list[tuple[str, dict[str, Any]]] = []
    for path in files:
        report = _read_report(path)
        if report is None:
            paths.append(path)
        else:
            reports.append((path, report))
    if not reports:
        return paths, None
    if len(reports) > 1:
        raise ConfigError(None, None, "give one diff report at a time")
    report = reports[0][1]
    named = report.get("recording")
    generation = None
    for candidate in [*paths, *([named] if isinstance(named, str) else [])]:
        generation = _first_generation(candidate)
        if generation is not None:
            break
    view = diffview.diff_view(report, diffview.revision_of(generation))
    return paths, {"view": view, "marks": diffview.drift_marks(view)}


def _first_generation(path: str) -> Any:
    """The generation of the first connection of a recording, or None if it cannot be read."""
    from sioproxy.recording import iter_entries
    from sioproxy.recording.model import OpenEvent

    try:
        with iter_entries(path) as stream:
            for entry in stream:
                if isinstance(entry, OpenEvent):
                    return entry.generation
    except SioProxyError:
        return None
    return None


def _read_report(path: str) -> dict[str, Any] | None:
    """The diff report in ``path``, or None for a recording (or a file not there yet)."""
    from sioproxy.web import diffview

    try:
        with open(path, "rb") as file:
            if not diffview.looks_like_report(file.readline(65536)):
                return None
            file.seek(0)
            data = file.read(diffview.MAX_REPORT_BYTES + 1)
    except OSError:
        return None
    if len(data) > diffview.MAX_REPORT_BYTES:
        return None
    return diffview.parse_report(data)


def live_web(reactor: Any, args: argparse.Namespace, redactor: Any) -> Any:
    """The hub of ``--web``, or None without it.

    ``proxy --web``: ``hub.sink`` is one more observer sink. ``record --web``:
    ``hub.sink`` is None and ``hub.tap`` goes to the recorder (``LiveRecorder.tap``),
    which hands it each line it writes.
    """
    if not getattr(args, "web", None):
        return None
    from sioproxy.web.live import LiveRows, RecordedLines
    from sioproxy.web.server import WebHub

    out = getattr(args, "out", None) if getattr(args, "record", False) else None
    # Downloads: record reads its own file again (all of it, as written); proxy keeps the
    # ring's events to make entries of them.
    from sioproxy.web.packets import file_lookup, ring_lookup

    if out is None:
        rows = LiveRows(
            redactor, args.web_ring, upstream=getattr(args, "upstream", None), keep_items=True
        )
        hub = WebHub(reactor, rows.ring)
        hub.sink = rows.sink
        hub.recordings = lambda: [rows.recording()]
        hub.packet = ring_lookup(rows.ring.items, redactor)
        return hub
    from sioproxy.recording import read_recording

    lines = RecordedLines(redactor, args.web_ring)
    hub = WebHub(reactor, lines.ring)
    hub.sink = None
    hub.tap = lines.tap
    hub.recordings = lambda: [read_recording(out)]
    hub.packet = file_lookup([out], lambda _file: redactor)
    return hub


async def start_live_web(reactor: Any, args: argparse.Namespace, hub: Any, announce: Any) -> bool:
    """Listen for ``--web`` after the listening line; False (said on stderr) if it cannot."""
    from sioproxy.web.server import open_web

    return await open_web(reactor, args.command, args.web, hub, announce) is not None


async def start_replay_web(
    reactor: Any, args: argparse.Namespace, recording: Any, running: Any, announce: Any
) -> bool:
    """``replay --web``: the recording's rows, marked played/waiting/unplayed as the run goes."""
    import json

    from twisted.internet import task

    from sioproxy.recording import Redactor
    from sioproxy.web.packets import entries_lookup
    from sioproxy.web.replay_marks import ReplayMarks
    from sioproxy.web.report import recording_rows
    from sioproxy.web.ring import Ring, same_line
    from sioproxy.web.server import WebHub, open_web

    hub = WebHub(reactor, Ring(args.web_ring, same_line), names=[os.path.basename(args.recording)])
    for line in recording_rows(recording):
        hub.publish(line)
    hub.recordings = lambda: [recording]
    marks = ReplayMarks(recording)
    # A miss quotes what the live client sent: redacted like the replay's log.
    redactor = Redactor.from_summary(recording.header.redactions)
    redact = redactor.redact_output
    hub.packet = entries_lookup(recording.entries, redactor)

    def tick() -> None:
        changed, misses = marks.update(running.service.scheduler.engines)
        for miss in misses:
            hub.replay_update({}, json.loads(redact(json.dumps(miss, ensure_ascii=False))))
        if changed:
            hub.replay_update(changed)

    loop = task.LoopingCall(tick)
    loop.clock = reactor
    loop.start(0.25)
    return await open_web(reactor, args.command, args.web, hub, announce) is not None
