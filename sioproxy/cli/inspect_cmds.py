"""``sioproxy show``, ``export``, ``import`` and ``merge``: looking at recordings.

Layer: edge over the pure ``sioproxy.inspect`` package (no twisted). Each
handler returns an exit status; input problems raise ``SioProxyError``
subclasses, which ``sioproxy.cli.main`` prints as one line with exit status 2.
docs/inspect.md is the user guide.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from typing import Any, TextIO

from sioproxy import limits
from sioproxy.cli.loading import load_recording, warn_torn
from sioproxy.cli.pipeout import stdout_closed
from sioproxy.cli.redact_opts import add_redaction_options, policy_from
from sioproxy.errors import ConfigError, RecordingError
from sioproxy.inspect.filters import compile_filter
from sioproxy.inspect.follow import DEFAULT_INTERVAL, RecordingTail, follow
from sioproxy.inspect.har import export_har, import_har
from sioproxy.inspect.merge import merge_files
from sioproxy.inspect.recovery import recovery_marks
from sioproxy.inspect.show import ARGS_LIMIT, ShowOptions, answers, render, want_color
from sioproxy.ops.config import bounded_float, bounded_int
from sioproxy.recording import RecordingWriter, Redactor
from sioproxy.recording.causes import DEFAULT_WINDOW, describe_cause, infer_causes
from sioproxy.textsafe import escape_controls


def add_parsers(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    show = sub.add_parser("show", help="print a recording, one line per packet")
    show.add_argument("file", metavar="FILE")
    show.add_argument("--all", action="store_true", help="also show heartbeats and probes")
    show.add_argument("--json", action="store_true", help="print the selected entries as JSONL")
    show.add_argument("--color", choices=["auto", "always", "never"], default="auto")
    show.add_argument("--filter", metavar="EXPR", help="e.g. 'nsp:/chat event:join or type:ack'")
    show.add_argument(
        "--max-args",
        type=bounded_int(1, limits.MAX_COUNT),
        default=ARGS_LIMIT,
        metavar="N",
        help=f"cut arguments to N characters (default {ARGS_LIMIT})",
    )
    show.add_argument(
        "--causes",
        action="store_true",
        help="under each server packet, what the replay waits for before sending it",
    )
    show.add_argument(
        "--cause-window",
        type=bounded_float(0.0, limits.MAX_TIMEOUT_SECONDS),
        default=DEFAULT_WINDOW,
        metavar="SECONDS",
        help="with --causes: how long another connection's packet can cause one "
        f"(default {DEFAULT_WINDOW:g})",
    )
    show.add_argument("--follow", action="store_true", help="keep printing as the file grows")
    show.add_argument(
        "--follow-timeout",
        type=bounded_float(0.0, limits.MAX_TIMEOUT_SECONDS),
        metavar="SECONDS",
        help="with --follow: stop after SECONDS",
    )
    show.add_argument(
        "--follow-interval",
        type=bounded_float(0.001, 60.0),
        default=DEFAULT_INTERVAL,
        metavar="SECONDS",
        help=f"poll interval (default {DEFAULT_INTERVAL})",
    )
    show.set_defaults(handler=run_show)

    export = sub.add_parser("export", help="write a recording as a HAR 1.2 file")
    export.add_argument("file", metavar="FILE")
    export.add_argument("--har", required=True, metavar="OUT.har")
    export.add_argument("--force", action="store_true", help="overwrite OUT.har")
    export.set_defaults(handler=run_export)

    imp = sub.add_parser("import", help="turn a browser's HAR capture into a recording")
    imp.add_argument("har", metavar="IN.har")
    imp.add_argument("--out", required=True, metavar="FILE")
    add_redaction_options(imp)
    imp.add_argument("--resource", default="/socket.io", help="Socket.IO path (default /socket.io)")
    imp.add_argument("--force", action="store_true", help="overwrite FILE")
    imp.set_defaults(handler=run_import)

    merge = sub.add_parser("merge", help="combine recordings of several proxies into one")
    merge.add_argument("files", nargs="+", metavar="FILE")
    merge.add_argument("--out", required=True, metavar="ALL.jsonl")
    merge.add_argument("--force", action="store_true", help="overwrite ALL.jsonl")
    merge.set_defaults(handler=run_merge)


def _options(args: argparse.Namespace) -> ShowOptions:
    return ShowOptions(
        show_all=args.all,
        color=not args.json and want_color(args.color, sys.stdout),
        filter=compile_filter(args.filter) if args.filter is not None else None,
        args_limit=max(args.max_args, 8),
    )


def run_show(args: argparse.Namespace) -> int:
    options = _options(args)
    if args.follow:
        if args.causes:
            raise ConfigError(None, None, "--causes needs the whole file: not with --follow")
        return _show_follow(args, options)
    recording = load_recording(args.file, "show")
    redact = Redactor.from_summary(recording.header.redactions).redact_output
    causes = None
    if args.causes and not args.json:
        inferred = infer_causes(recording, window=args.cause_window)
        causes = {seq: describe_cause(cause) for seq, cause in inferred.items()}
    lines = render(
        recording.entries,
        options,
        as_json=args.json,
        answered=answers(recording.entries),
        marks=recovery_marks(recording.entries),
        sessions=recording.sessions,
        causes=causes,
    )
    try:
        for line in lines:
            sys.stdout.write(redact(line) + "\n")
            if stdout_closed():  # `sioproxy show rec.jsonl | head`: stop rendering
                break
        sys.stdout.flush()
    except BrokenPipeError:  # the same, when called without the console wrapper
        return 0
    return 0


def _show_follow(args: argparse.Namespace, options: ShowOptions) -> int:
    tail = RecordingTail(args.file)
    entries = follow(tail, interval=args.follow_interval, timeout=args.follow_timeout)
    redactor: Redactor | None = None
    try:
        for entry in entries:
            if redactor is None:  # the header is read with the first entry
                redactor = Redactor.from_summary(tail.header.redactions if tail.header else None)
            for line in render([entry], options, as_json=args.json):
                sys.stdout.write(redactor.redact_output(line) + "\n")
            sys.stdout.flush()
            if stdout_closed():  # `show --follow | head -3`: the reader has gone
                return 0
    except KeyboardInterrupt:  # Ctrl-C is how a user stops following
        return 0
    return 0


def _create(path: str, force: bool) -> TextIO:
    try:
        return open(path, "w" if force else "x", encoding="utf-8")
    except FileExistsError:
        raise RecordingError(path, None, "file exists (use --force to overwrite)") from None
    except OSError as exc:
        raise RecordingError(path, None, f"cannot create: {exc}") from exc


def run_export(args: argparse.Namespace) -> int:
    recording = load_recording(args.file, "export")
    har = export_har(recording)
    redactor = Redactor.from_summary(recording.header.redactions)
    with _create(args.har, args.force) as out:
        # The whole document goes through the recording's redaction: a frame
        # that never decoded is still scanned by key name.
        out.write(redactor.redact_output(json.dumps(har, ensure_ascii=False, indent=2)))
        out.write("\n")
    count = len(har["log"]["entries"])
    print(escape_controls(f"sioproxy export: {args.har}: {count} HAR entries"), file=sys.stderr)
    return 0


def load_har(path: str) -> Any:
    try:
        with open(path, encoding="utf-8-sig") as file:
            return json.load(file)
    except OSError as exc:
        raise RecordingError(path, None, f"cannot open: {exc}") from exc
    except (ValueError, RecursionError) as exc:
        raise RecordingError(path, None, f"not JSON: {exc}") from None


def run_import(args: argparse.Namespace) -> int:
    redactor = Redactor(policy_from(args))
    try:
        result = import_har(
            load_har(args.har),
            path=os.path.basename(args.har),  # what the header's meta keeps
            redactor=redactor,
            resource_path=args.resource,
        )
    except RecordingError as exc:  # name the file as the user gave it
        raise RecordingError(args.har, exc.line, exc.reason) from None
    writer = RecordingWriter.create(args.out, result.header, overwrite=args.force)
    try:
        for entry in result.entries:
            writer.write(entry)
    finally:
        writer.close()
    if writer.failed:
        raise RecordingError(args.out, None, f"write failed: {writer.failed}")
    conns = sum(1 for e in result.entries if e.kind == "open")
    print(
        escape_controls(
            f"sioproxy import: {args.out}: {len(result.entries)} entries, {conns} connection(s);"
            f" {result.skipped} non-Socket.IO HAR entries skipped"
        ),
        file=sys.stderr,
    )
    return 0


def run_merge(args: argparse.Namespace) -> int:
    header, count = merge_files(
        args.files,
        args.out,
        overwrite=args.force,
        warn=lambda path, torn: warn_torn("merge", path, torn),
    )
    generation = header.generation.value if header.generation else "mixed/unknown"
    print(
        escape_controls(
            f"sioproxy merge: {args.out}: {count} entries from {len(args.files)} files"
            f" (generation {generation})"
        ),
        file=sys.stderr,
    )
    return 0
