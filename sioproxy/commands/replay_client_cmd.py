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
import contextlib
import json
import sys
from collections.abc import Sequence
from typing import Any

from sioproxy.argparsing import ArgumentParser, subcommands
from sioproxy.errors import SioProxyError

EXIT_USAGE = 2


def add_parsers(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    replay = sub.add_parser(
        "replay-client", help="play a recording's client side against a live server"
    )
    _add_common(replay)
    replay.add_argument(
        "--speed",
        type=float,
        default=None,
        metavar="S",
        help="timed playback: recorded client gaps divided by S (0 = no gaps)",
    )
    replay.add_argument(
        "--max-gap",
        type=float,
        default=None,
        metavar="SECONDS",
        help="timed playback: cap every gap (implies --speed 1 unless given)",
    )
    replay.add_argument(
        "--clients", type=int, default=1, metavar="N", help="replay N copies at once"
    )
    replay.add_argument(
        "--progress",
        action="store_true",
        help="progress line on stderr (default with --clients > 1)",
    )
    replay.set_defaults(handler=run_replay_client, report_only=False)
    diff = sub.add_parser("diff", help="report-only replay-client for CI: drift report, exit 0/1/2")
    _add_common(diff)
    diff.set_defaults(handler=run_replay_client, report_only=True)


def _add_common(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("file", metavar="FILE", help="recording (JSON Lines)")
    parser.add_argument(
        "--target", required=True, help="the live server, http(s)://host:port[/prefix]"
    )
    parser.add_argument(
        "--transport",
        default=None,
        help="websocket, polling or upgrade (0.9: websocket, xhr-polling); default: as recorded",
    )
    parser.add_argument("--path", default=None, help="Socket.IO path (default: as recorded)")
    parser.add_argument(
        "--timeout",
        type=float,
        default=5.0,
        metavar="SECONDS",
        help="how long to wait for an expected server packet",
    )
    parser.add_argument("--connect-timeout", type=float, default=10.0, metavar="SECONDS")
    parser.add_argument(
        "--ignore",
        action="append",
        default=[],
        metavar="JSONPOINTER",
        help="leave this part of every server packet out of the comparison (repeatable)",
    )
    parser.add_argument(
        "--capture",
        action="append",
        default=[],
        metavar="NAME=EVENT:JSONPOINTER",
        help="carry a live server value into later client packets (repeatable)",
    )
    parser.add_argument(
        "--conn",
        action="append",
        default=[],
        metavar="LABEL",
        help="replay only this recorded connection (repeatable; default: all)",
    )
    parser.add_argument(
        "--report", default=None, metavar="FILE", help="also write the report as JSON"
    )
    parser.add_argument(
        "--quiet", "-q", action="store_true", help="print only connections with drift"
    )


def _options(args: argparse.Namespace) -> Any:
    from sioproxy.clientside.replayer import ReplayClientOptions, parse_capture
    from sioproxy.errors import ConfigError
    from sioproxy.replay.matching import parse_pointer
    from sioproxy.transport.client import RunOptions

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
        ignore=tuple(parse_pointer(p) for p in args.ignore),
        captures=tuple(parse_capture(c) for c in args.capture),
    )
    return RunOptions(
        replay=replay,
        clients=clients,
        transport=args.transport,
        path=args.path,
        conns=tuple(args.conn),
        connect_timeout=args.connect_timeout,
    )


def run_replay_client(args: argparse.Namespace) -> int:
    """Handler of both commands; returns the exit status."""
    command = "diff" if args.report_only else "replay-client"
    try:
        from sioproxy.recording import read_recording
        from sioproxy.transport.endpoints import parse_upstream

        recording = read_recording(args.file)
        target = parse_upstream(args.target)
        options = _options(args)
        for conn in options.conns:
            if conn not in recording.connections():
                known = ", ".join(recording.connections()) or "none"
                raise SioProxyError(f"--conn {conn}: no such connection (recorded: {known})")
    except (SioProxyError, OSError) as exc:
        print(f"sioproxy {command}: {exc}", file=sys.stderr)
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
    from twisted.internet import task

    from sioproxy.transport.client import run_replay

    status = [EXIT_USAGE]

    def progress(line: str) -> None:
        print(line, file=sys.stderr, flush=True)

    def done(report: Any) -> None:
        status[0] = report.exit_status
        if report.unreachable is not None:
            # Nothing was reached: a drift report would list every recorded packet as missing.
            reason = report.unreachable
            for prefix in ("transport close: ", "transport error: "):
                reason = reason.removeprefix(prefix)
            print(
                f"sioproxy {command}: upstream unreachable: {args.target}: {reason}",
                file=sys.stderr,
            )
            _write_json(report, args)
            return
        _print_report(report, args)

    def failed(failure: Any) -> None:
        print(f"sioproxy {command}: replay failed: {failure.getErrorMessage()}", file=sys.stderr)
        status[0] = EXIT_USAGE

    def _main(reactor: Any) -> Any:
        d = run_replay(reactor, recording, target, options, progress=progress if show else None)
        d.addCallbacks(done, failed)
        return d

    with contextlib.suppress(SystemExit):  # react always exits; the status is ours
        task.react(_main)
    return status[0]


def _print_report(report: Any, args: argparse.Namespace) -> None:
    print(report.text(only_drift=args.quiet))
    if not args.report_only:
        for line in report.stats.get("summary", []):
            print(line)
    _write_json(report, args)
    sys.stdout.flush()


def _write_json(report: Any, args: argparse.Namespace) -> None:
    if args.report is not None:
        with open(args.report, "w", encoding="utf-8") as out:
            json.dump(report.to_json(), out, ensure_ascii=False, indent=2)
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
