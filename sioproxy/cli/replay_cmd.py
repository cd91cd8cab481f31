"""``sioproxy replay FILE``: serve a recording as a stand-in Socket.IO server.

Layer: edge (Twisted). Exit status with ``--exit-when-done``: 0 when every
recorded connection was played with no miss, 1 otherwise; 2 on a bad
recording or options.
"""

from __future__ import annotations

import argparse
import sys
from typing import Any

from sioproxy.cli import web_cmds
from sioproxy.cli.loading import load_recording
from sioproxy.cli.parser_opt import add_parser_option, parser_from_args
from sioproxy.cli.playback_opts import SPEED, add_seconds
from sioproxy.cli.proxy_cmd import add_edge_options, edge_limits
from sioproxy.cli.reactor_run import EXIT_USAGE, ExitStatus, react_with_status
from sioproxy.cli.redact_opts import add_secret_options, with_secrets
from sioproxy.ops.logfmt import LOG_FORMATS, PacketLog
from sioproxy.recording import Redactor
from sioproxy.recording.matching import MATCH_MODES
from sioproxy.standin.replay.causal import parse_assign
from sioproxy.standin.replay.config import standin_config
from sioproxy.standin.replay.engine import MISS_MODES, ReplayOptions
from sioproxy.textsafe import escape_controls
from sioproxy.types import Direction


def add_parsers(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    replay = sub.add_parser("replay", help="serve a recording as a stand-in Socket.IO server")
    replay.add_argument("recording", metavar="FILE", help="a recording made by sioproxy record")
    replay.add_argument("--listen", default="127.0.0.1:8080", help="HOST:PORT (port 0 = any)")
    replay.add_argument("--path", default="/socket.io", help="Socket.IO resource path")
    add_matching_options(replay)
    replay.add_argument(
        "--speed",
        type=SPEED,
        default=1.0,
        help="time scale; 0 = no waiting",
    )
    add_seconds(replay, "--max-gap", None, "cap idle gaps between recorded packets")
    replay.add_argument(
        "--assign",
        default="auto",
        metavar="order|auto|auth:/POINTER|query:NAME",
        help="which recorded connection a live one replays (default auto: the one whose"
        " CONNECT is most alike; order: in the order they opened; auth:/POINTER or"
        " query:NAME: the one with the same auth value or handshake query parameter)",
    )
    add_seconds(
        replay,
        "--cause-window",
        1.0,
        "how long after another connection's client packet a server packet counts"
        " as caused by it (default 1)",
    )
    add_seconds(
        replay,
        "--max-wait",
        5.0,
        "longest wait for another connection's cause before sending anyway (default 5)",
    )
    replay.add_argument(
        "--loop", action="store_true", help="serve the recording again to every new connection"
    )
    replay.add_argument(
        "--exit-when-done",
        action="store_true",
        help="exit once every recorded connection was played (0 = all matched)",
    )
    replay.add_argument(
        "--log-format",
        choices=LOG_FORMATS,
        default="text",
        help="text lines, or one JSON object per line (docs/logging.md)",
    )
    replay.add_argument(
        "--verbose", "-v", action="store_true", help="also log heartbeats and noops"
    )
    replay.add_argument("--quiet", "-q", action="store_true", help="no per-packet log lines")
    replay.add_argument(
        "--admin",
        metavar="HOST:PORT",
        help="serve /health, /ready, /version and /metrics here (host defaults to 127.0.0.1)",
    )
    add_edge_options(replay)
    add_parser_option(replay)
    web_cmds.add_web_options(replay)
    add_secret_options(replay, env_read_by=" at start-up")
    replay.set_defaults(handler=run_replay)


def add_matching_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--match", choices=MATCH_MODES, default="strict", help="order: strict, per-event or any"
    )
    parser.add_argument(
        "--ignore",
        action="append",
        default=[],
        metavar="JSONPOINTER",
        help="skip this value when matching (repeatable)",
    )
    parser.add_argument(
        "--ignore-event",
        action="append",
        default=[],
        metavar="NAME",
        help="take the client's packets of event NAME as they come: never compared, "
        "never a miss, not owed at the end (repeatable)",
    )
    parser.add_argument(
        "--on-miss",
        choices=MISS_MODES,
        default="error",
        help="what to do with an unrecorded client packet",
    )


def options_from(args: argparse.Namespace) -> ReplayOptions:
    return ReplayOptions(
        match=args.match,
        ignore=tuple(args.ignore),
        on_miss=args.on_miss,
        speed=args.speed,
        max_gap=args.max_gap,
        cause_window=getattr(args, "cause_window", 1.0),
        max_wait=getattr(args, "max_wait", 5.0),
        ignore_events=tuple(args.ignore_event),
    )


def run_replay(args: argparse.Namespace) -> int:
    parse_assign(args.assign)  # a bad --assign is a usage error before the file is read
    recording = load_recording(args.recording, "replay")
    args.wire_parser = parser_from_args(args)
    standin_config(recording, parser=args.wire_parser)  # a custom parser needs --parser: exit 2
    options = options_from(args)
    status = ExitStatus()
    # The stand-in sends the server's packets; the web page shows the file as it is.
    served, redactor = with_secrets(recording, args, Direction.S2C, "replay")

    def _main(reactor: Any) -> Any:
        from twisted.internet import defer

        serving = _serve(reactor, args, recording, served, redactor, options, status)
        return defer.ensureDeferred(serving)

    return react_with_status(_main, args.command, status)


def _emit(line: str) -> None:
    sys.stdout.write(line + "\n")
    sys.stdout.flush()


async def _serve(
    reactor: Any,
    args: argparse.Namespace,
    recording: Any,
    served: Any,
    redactor: Redactor,
    options: ReplayOptions,
    status: ExitStatus,
) -> int | None:
    """Serve ``served`` (the recording with ``--secret`` filled in); the web page
    shows ``recording`` as it is on disk."""
    from twisted.internet import defer
    from twisted.internet.error import CannotListenError

    from sioproxy.ops.admin import open_admin, start_replay_admin
    from sioproxy.standin.edge.replay_server import start_replay

    finished: defer.Deferred[None] = defer.Deferred()
    # Every line goes through the recording's redaction: live clients send real secrets.
    redact = redactor.redact_output
    log = PacketLog(
        lambda line: _emit(redact(line)),
        json_lines=args.log_format == "json",
        verbose=args.verbose,
    )

    def _all_done() -> None:
        if args.exit_when_done and not finished.called:
            # Let the last packets reach the client before closing.
            reactor.callLater(0.2, finished.callback, None)

    try:
        running = await start_replay(
            reactor,
            served,
            options,
            listen=args.listen,
            resource_path=args.path,
            packet_log=log,
            verbose=not args.quiet,  # -q: no per-packet lines; misses are still reported
            loop=args.loop,
            on_all_done=_all_done,
            # max_body: the stand-in takes the recording's maxPayload instead.
            limits=edge_limits(args, 0),
            assign=args.assign,
            parser=getattr(args, "wire_parser", None),
        )
    except (OSError, CannotListenError) as exc:  # port in use, permission
        print(
            escape_controls(f"sioproxy replay: cannot listen on {args.listen}: {exc}"),
            file=sys.stderr,
        )
        return EXIT_USAGE

    print(f"sioproxy listening on {running.url}", flush=True)
    if args.web and not await web_cmds.start_replay_web(
        reactor, args, recording, running, log.announce
    ):
        await running.stop()
        return EXIT_USAGE
    if args.admin:
        admin = start_replay_admin(reactor, args.admin, running)
        if await open_admin(args.command, args.admin, admin, announce=log.announce) is None:
            await running.stop()
            return EXIT_USAGE

    reported: list[bool] = []

    def _summary() -> None:
        if reported:
            return
        reported.append(True)
        summary = running.summary()
        log.block("summary", summary.lines(), summary.to_json())
        status.code = 0 if summary.ok else 1

    # SIGINT/SIGTERM: the summary and the exit status still tell what was played.
    reactor.addSystemEventTrigger("before", "shutdown", _summary)
    if not args.exit_when_done:
        await defer.Deferred()  # serve until a signal stops the reactor
        return None
    await finished
    await running.stop()
    _summary()
    return status.code
