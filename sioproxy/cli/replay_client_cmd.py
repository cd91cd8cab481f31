"""``sioproxy replay-client`` and ``sioproxy diff``: play a recorded client against a live server.

Layer: edge (Twisted under ``task.react``, imported only when a command runs).
``replay-client`` plays the client side of a recording against ``--target``
(reactive, or timed with ``--speed``/``--max-gap``), optionally with
``--clients N`` copies at once, and prints the drift report and a load
summary; ``diff`` is the report-only form for CI. Exit status: 0 no drift,
1 drift, 2 usage, recording or connection errors. See docs/replay-client.md.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from typing import Any

from sioproxy import limits
from sioproxy.cli.argparsing import ArgumentParser, subcommands
from sioproxy.cli.parser_opt import add_parser_option, parser_from_args
from sioproxy.cli.playback_opts import add_playback_options
from sioproxy.cli.reactor_run import ExitStatus, react_with_status
from sioproxy.cli.redact_opts import with_secrets
from sioproxy.errors import SioProxyError
from sioproxy.ops.config import bounded_int
from sioproxy.textsafe import escape_controls
from sioproxy.types import Direction

EXIT_USAGE = 2


def add_parsers(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    replay = sub.add_parser(
        "replay-client", help="play a recording's client side against a live server"
    )
    _add_common(replay, timed=True)
    replay.add_argument(
        "--clients",
        type=bounded_int(1, limits.MAX_CLIENTS),
        default=1,
        metavar="N",
        help="replay N copies at once",
    )
    replay.add_argument(
        "--progress",
        action="store_true",
        help="progress line on stderr (default with --clients > 1)",
    )
    replay.set_defaults(handler=run_replay_client, report_only=False)
    diff = sub.add_parser("diff", help="report-only replay-client for CI: drift report, exit 0/1/2")
    _add_common(diff, timed=False)
    diff.set_defaults(handler=run_replay_client, report_only=True)


def _add_common(parser: argparse.ArgumentParser, *, timed: bool) -> None:
    add_parser_option(parser)
    parser.add_argument("file", metavar="FILE", help="recording (JSON Lines)")
    parser.add_argument(
        "--target", required=True, help="the live server, http(s)://host:port[/prefix]"
    )
    add_playback_options(parser, timed=timed, released="counted in the report")
    parser.add_argument(
        "--ignore-event",
        action="append",
        default=[],
        metavar="NAME",
        help="neither expect nor compare the server's packets of event NAME, nor the acks "
        "of the client's NAME requests (repeatable)",
    )
    parser.add_argument(
        "--report", default=None, metavar="FILE", help="also write the report as JSON"
    )
    parser.add_argument(
        "--quiet", "-q", action="store_true", help="print only connections with drift"
    )


def _options(args: argparse.Namespace) -> Any:
    from sioproxy.errors import ConfigError
    from sioproxy.recording.matching import parse_ignore
    from sioproxy.replay_client.actions import ReplayClientOptions
    from sioproxy.replay_client.capture import parse_capture
    from sioproxy.replay_client.edge.client import RunOptions

    speed = getattr(args, "speed", None)
    max_gap = getattr(args, "max_gap", None)
    if max_gap is not None and speed is None:
        speed = 1.0
    clients = getattr(args, "clients", 1)
    if clients < 1:
        raise ConfigError(None, None, "--clients must be 1 or more")
    replay = ReplayClientOptions(
        timeout=args.timeout,
        speed=speed,
        max_gap=max_gap,
        ignore=tuple(parse_ignore(p) for p in args.ignore),
        captures=tuple(parse_capture(c) for c in args.capture),
        max_wait=args.max_wait,
        ignore_events=frozenset(args.ignore_event),
    )
    return RunOptions(
        replay=replay,
        clients=clients,
        transport=args.transport,
        path=args.path,
        conns=tuple(args.conn),
        connect_timeout=args.connect_timeout,
        parser=parser_from_args(args),
    )


def run_replay_client(args: argparse.Namespace) -> int:
    """Handler of both commands; returns the exit status."""
    command = "diff" if args.report_only else "replay-client"
    try:
        from sioproxy.cli.loading import load_recording
        from sioproxy.net.upstream import parse_upstream

        recording = load_recording(args.file, command)
        target = parse_upstream(args.target)
        options = _options(args)
        from sioproxy.replay_client.plan import plan_connection

        for conn in options.conns or recording.connections():
            plan_connection(recording, conn, parser=options.parser)  # a custom parser: --parser
        for conn in options.conns:
            if conn not in recording.connections():
                known = ", ".join(recording.connections()) or "none"
                raise SioProxyError(f"--conn {conn}: no such connection (recorded: {known})")
        # The report shows live traffic: the redactor keeps the filled values out of it.
        recording, args.redactor = with_secrets(
            recording, args, Direction.C2S, command, options.conns
        )
    except (SioProxyError, OSError) as exc:
        print(escape_controls(f"sioproxy {command}: {exc}"), file=sys.stderr)
        return EXIT_USAGE
    show_progress = not args.report_only and (args.progress or options.clients > 1)
    return _react(recording, target, options, args, show_progress, command)


def _react(
    recording: Any,
    target: Any,
    options: Any,
    args: argparse.Namespace,
    show: bool,
    command: str,
) -> int:
    from sioproxy.replay_client.edge.client import run_replay

    def progress(line: str) -> None:
        print(line, file=sys.stderr, flush=True)

    def done(report: Any) -> int:
        status: int = report.exit_status
        if report.unreachable is not None:
            # Nothing was reached: a drift report would list every recorded packet as missing.
            reason = report.unreachable
            for prefix in ("transport close: ", "transport error: "):
                reason = reason.removeprefix(prefix)
            line = f"sioproxy {command}: upstream unreachable: {args.target}: {reason}"
            print(escape_controls(line), file=sys.stderr)
            _write_json(report, args)
            return status
        _print_report(report, args)
        return status

    def failed(failure: Any) -> int:
        message = f"sioproxy {command}: replay failed: {failure.getErrorMessage()}"
        print(escape_controls(message), file=sys.stderr)
        return EXIT_USAGE

    def _main(reactor: Any) -> Any:
        d = run_replay(reactor, recording, target, options, progress=progress if show else None)
        d.addCallbacks(done, failed)
        return d

    return react_with_status(_main, command, ExitStatus(EXIT_USAGE))


def _print_report(report: Any, args: argparse.Namespace) -> None:
    redact = args.redactor.redact_output  # the report shows live traffic: no secrets in it
    print(redact(report.text(only_drift=args.quiet)))
    if not args.report_only:
        for line in report.stats.get("summary", []):
            print(redact(line))
    _write_json(report, args)
    sys.stdout.flush()


def _write_json(report: Any, args: argparse.Namespace) -> None:
    redact = args.redactor.redact_output
    if args.report is not None:
        with open(args.report, "w", encoding="utf-8") as out:
            out.write(redact(json.dumps(report.to_json(), ensure_ascii=False, indent=2)))
            out.write("\n")


def build_parser() -> argparse.ArgumentParser:
    """A parser with just these two commands (tests, and until cli.py registers them)."""
    parser = ArgumentParser(prog="sioproxy")
    sub = subcommands(parser)
    add_parsers(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    status: int = args.handler(args)
    return status


if __name__ == "__main__":
    sys.exit(main())
