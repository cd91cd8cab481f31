"""``sioproxy proxy`` and ``sioproxy record``: the live reverse proxy.

Layer: edge (Twisted). Builds the pure observer (session, log, recording) and
hands it to the relay. The first stdout line is always
``sioproxy listening on http://HOST:PORT`` with the real port, so scripts can
use port 0.
"""

from __future__ import annotations

import argparse
import random
import sys
from typing import Any

from sioproxy import limits
from sioproxy.cli import web_cmds
from sioproxy.cli.contract_cmds import spec_pipeline, spec_sinks
from sioproxy.cli.logsink import DEFAULT_LIMIT, LogSink
from sioproxy.cli.parser_opt import add_parser_option, parser_from_args
from sioproxy.cli.reactor_run import EXIT_USAGE, react_with_status
from sioproxy.cli.redact_opts import add_redaction_options, policy_from
from sioproxy.codec.limits import MAX_DECODE_CHARS
from sioproxy.errors import RecordingError
from sioproxy.ops.config import bounded_float, bounded_int
from sioproxy.ops.logfmt import LOG_FORMATS, PacketLog
from sioproxy.pipeline import Pipeline
from sioproxy.proxy.live import EventSink
from sioproxy.recording.outfile import DEFAULT_FILE_MODE, parse_file_mode
from sioproxy.recording.redact import Redactor
from sioproxy.textsafe import escape_controls


def add_parsers(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    proxy = sub.add_parser("proxy", help="pass traffic through, decoding and logging every packet")
    _add_common(proxy)
    proxy.set_defaults(handler=run_proxy, record=False)
    record = sub.add_parser("record", help="like proxy, and record the session to a file")
    _add_common(record)
    record.add_argument(
        "--out",
        required=True,
        help=(
            "recording file (JSON Lines); refused if it exists unless --force or --append;"
            " may hold {date}, {time} and {pid}, numbered -2, -3... when the name is taken"
        ),
    )
    existing = record.add_mutually_exclusive_group()
    existing.add_argument("--force", action="store_true", help="replace an existing --out file")
    existing.add_argument(
        "--append",
        action="store_true",
        help="add a new session to an existing --out file (docs/recording-format.md)",
    )
    record.add_argument(
        "--file-mode",
        type=_file_mode,
        default=DEFAULT_FILE_MODE,
        metavar="OCTAL",
        help="permissions of a new recording file (default 0600: recordings hold private traffic)",
    )
    record.add_argument(
        "--flush-interval",
        type=bounded_float(0.0, limits.MAX_FLUSH_INTERVAL),
        # Batched by default: one write per 100 ms instead of one per packet
        # (docs/performance.md); SIGTERM/SIGINT still flush everything.
        default=0.1,
        metavar="SECONDS",
        help=(
            "write recorded lines in batches at most this old (default 0.1; 0 = each line"
            " written before its packet is relayed)"
        ),
    )
    record.set_defaults(handler=run_proxy, record=True)


def _file_mode(text: str | int) -> int:
    # A TOML config may give a number: 0o640 is already the mode.
    try:
        return parse_file_mode(oct(text) if isinstance(text, int) else text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def _out_policy(args: argparse.Namespace) -> str:
    # --force first: SIOPROXY_RECORD_APPEND=1 (the container default) must not
    # turn an explicit `record --force` into an append.
    if getattr(args, "force", False):
        return "force"
    return "append" if getattr(args, "append", False) else "new"


def _add_common(parser: argparse.ArgumentParser) -> None:
    add_parser_option(parser)
    parser.add_argument(
        "--listen",
        default="127.0.0.1:8080",
        help="HOST:PORT or a Twisted endpoint string (port 0 picks a free port)",
    )
    parser.add_argument(
        "--upstream", required=True, help="the real server, http(s)://host:port[/prefix]"
    )
    parser.add_argument("--path", default="/socket.io", help="Socket.IO resource path")
    parser.add_argument(
        "--resolve-ttl",
        type=bounded_float(0.0, limits.MAX_RESOLVE_TTL),
        default=60.0,
        metavar="SECONDS",
        help=(
            "keep the addresses of a host-name --upstream this long instead of looking the"
            " name up for every upstream connection (default 60; 0 = every connection)"
        ),
    )
    parser.add_argument(
        "--log-format",
        choices=LOG_FORMATS,
        default="text",
        help="text lines, or one JSON object per line (docs/logging.md)",
    )
    parser.add_argument(
        "--verbose", "-v", action="store_true", help="also log heartbeats and noops"
    )
    parser.add_argument("--quiet", "-q", action="store_true", help="no per-packet log lines")
    parser.add_argument(
        "--log-buffer",
        type=bounded_int(0, limits.MAX_LOG_BUFFER),
        default=DEFAULT_LIMIT,
        metavar="BYTES",
        help=(
            "log output held for a reader that falls behind (a slow terminal, a stalled pipe);"
            f" past it, log lines are dropped and counted (default {DEFAULT_LIMIT})"
        ),
    )
    parser.add_argument(
        "--insecure", action="store_true", help="do not verify upstream TLS certificates"
    )
    parser.add_argument(
        "--max-body",
        type=bounded_int(1, limits.MAX_BODY_CEILING),
        default=1_000_000,
        help="largest request body, polling response body or WebSocket message (bytes)",
    )
    parser.add_argument(
        "--max-decode",
        type=bounded_int(1, limits.MAX_BODY_CEILING),
        default=MAX_DECODE_CHARS,
        metavar="CHARS",
        help=(
            "longest packet decoded; a longer one is relayed and recorded raw, in slices"
            " (docs/reliability.md). Only matters with --max-body raised; decoding holds"
            f" the proxy about 2-60 ns a character (default {MAX_DECODE_CHARS})"
        ),
    )
    add_edge_options(parser)
    parser.add_argument(
        "--admin",
        metavar="HOST:PORT",
        help="serve /health, /ready, /version and /metrics here (host defaults to 127.0.0.1)",
    )
    parser.add_argument("--rules", metavar="FILE", help="TOML rewrite rules (docs/rules.md)")
    parser.add_argument(
        "--addon",
        action="append",
        default=[],
        metavar="FILE.py",
        help="Python hooks (on_packet/on_connect/on_disconnect); repeatable, run in order",
    )
    parser.add_argument(
        "--seed",
        type=bounded_int(*limits.SEED_RANGE),
        metavar="N",
        help="seed the dice of 'probability' rules",
    )
    parser.add_argument(
        "--spec",
        metavar="asyncapi.yaml",
        help="check every packet against this AsyncAPI document (docs/contracts.md)",
    )
    parser.add_argument(
        "--spec-enforce",
        action="store_true",
        help="with --spec: drop violating events (and answer their acks with an error)",
    )
    add_redaction_options(parser)
    web_cmds.add_web_options(parser)


def add_edge_options(parser: argparse.ArgumentParser) -> None:
    """Timeouts and the per-client cap of the listener (proxy, record, replay)."""
    seconds = bounded_float(0.0, limits.MAX_TIMEOUT_SECONDS)
    parser.add_argument(
        "--header-timeout",
        type=seconds,
        default=limits.HEADER_TIMEOUT,
        metavar="SECONDS",
        help=f"close a connection whose request head is not in after SECONDS"
        f" (default {limits.HEADER_TIMEOUT:g}; 0 = no limit)",
    )
    parser.add_argument(
        "--idle-timeout",
        type=seconds,
        default=limits.IDLE_TIMEOUT,
        metavar="SECONDS",
        help=f"close a connection that received nothing for SECONDS while no request of it"
        f" is answered (default {limits.IDLE_TIMEOUT:g}; 0 = never)",
    )
    parser.add_argument(
        "--max-connections-per-client",
        type=bounded_int(0, limits.MAX_PER_CLIENT_CEILING),
        default=0,
        metavar="N",
        help="refuse (503) connections past N open ones from one client address (0 = no cap)",
    )


def edge_limits(args: argparse.Namespace, max_body: int) -> limits.EdgeLimits:
    return limits.EdgeLimits(
        max_body=max_body,
        header_timeout=args.header_timeout,
        idle_timeout=args.idle_timeout,
        max_per_client=args.max_connections_per_client,
    )


def load_pipeline(args: argparse.Namespace) -> Pipeline | None:
    """``--rules``/``--addon``/``--seed``; raises ConfigError (file:line) before listening."""
    rules, addons = getattr(args, "rules", None), getattr(args, "addon", None) or []
    if rules is None and not addons:
        return None
    seed = getattr(args, "seed", None)
    rng = random.Random(seed) if seed is not None else None
    return Pipeline.from_files(rules, addons, rng=rng, log=lambda _msg: None)


def run_proxy(args: argparse.Namespace) -> int:
    args.wire_parser = parser_from_args(args)  # a bad --parser is exit 2 before listening
    args.pipeline = load_pipeline(args)
    args.redactor = Redactor(policy_from(args))  # before listening: a bad option is exit 2
    args.pipeline = spec_pipeline(args, args.pipeline)

    def _main(reactor: Any) -> Any:
        from twisted.internet import defer

        return defer.ensureDeferred(_serve(reactor, args))

    return react_with_status(_main, args.command)


def _emit_line(line: str) -> None:
    sys.stdout.write(line + "\n")


def _log_sink(args: argparse.Namespace, redactor: Redactor) -> LogSink | None:
    """The log's writer on standard output's descriptor (None: stdout is no real file)."""
    try:
        fd = sys.stdout.fileno()
    except (AttributeError, OSError, ValueError):  # replaced by a test's StringIO
        return None
    sys.stdout.flush()  # what print() buffered goes first
    # The log goes through the recording's redaction (one policy, one function,
    # and the secrets the recorder found are scrubbed from the log too).
    return LogSink(
        fd,
        redact_lines=redactor.redact_output_lines,
        json_lines=args.log_format == "json",
        verbose=args.verbose,
        limit=args.log_buffer,
    )


async def _serve(reactor: Any, args: argparse.Namespace) -> int | None:
    from twisted.internet import defer
    from twisted.internet.error import CannotListenError

    from sioproxy.net.resolve import HostCache
    from sioproxy.ops.admin import open_admin, start_proxy_admin
    from sioproxy.ops.metrics import LiveMetrics
    from sioproxy.proxy.edge.proxy_server import start_proxy

    redactor: Redactor = args.redactor
    sink = _log_sink(args, redactor)
    log = (
        sink.log
        if sink is not None
        else PacketLog(
            lambda line: _emit_line(redactor.redact_output(line)),
            json_lines=args.log_format == "json",
            verbose=args.verbose,
        )
    )
    pipeline: Pipeline | None = getattr(args, "pipeline", None)
    if pipeline is not None:
        pipeline.log = log.note  # rule notes and addon tracebacks go to the proxy's log
    sinks: list[EventSink] = []
    # After the recorder: a packet's line reuses the recorder's text of its arguments.
    log_sinks: list[EventSink] = [] if args.quiet else [sink.event if sink else log.event]
    metrics = LiveMetrics() if args.admin else None
    sinks[:0] = spec_sinks(args, log.note, metrics)  # first: it notes the packet
    if metrics is not None:
        sinks.append(metrics.event)
        metrics.bind_log(sink)
    web = web_cmds.live_web(reactor, args, redactor)  # --web: one more sink, a bounded ring
    sinks += [web.sink] if web is not None and web.sink is not None else []
    try:
        running = await start_proxy(
            reactor,
            args.upstream,
            listen=args.listen,
            out=args.out if args.record else None,
            resource_path=args.path,
            sinks=sinks,
            log_sinks=log_sinks,
            note=log.note,
            redactor=redactor,
            flush_interval=getattr(args, "flush_interval", 0.0),
            max_body=args.max_body,
            insecure=args.insecure,
            on_tick=[sys.stdout.flush],
            pipeline=pipeline,
            out_policy=_out_policy(args),
            file_mode=getattr(args, "file_mode", DEFAULT_FILE_MODE),
            limits=edge_limits(args, args.max_body),
            hosts=HostCache(reactor, ttl=args.resolve_ttl),
            parser=getattr(args, "wire_parser", None),
            max_decode=getattr(args, "max_decode", MAX_DECODE_CHARS),
        )
    except (OSError, CannotListenError) as exc:  # port in use, permission
        print(
            escape_controls(f"sioproxy {args.command}: cannot listen on {args.listen}: {exc}"),
            file=sys.stderr,
        )
        return EXIT_USAGE
    except RecordingError as exc:  # --out exists, is a directory, a link...
        print(escape_controls(f"sioproxy {args.command}: --out {exc}"), file=sys.stderr)
        return EXIT_USAGE
    if web is not None and web.tap is not None and running.recorder is not None:
        running.recorder.tap = web.tap  # record --web: the page gets the lines as written
    print(f"sioproxy listening on {running.url}", flush=True)
    if web is not None and not await web_cmds.start_live_web(reactor, args, web, log.announce):
        await running.stop()
        return EXIT_USAGE
    if metrics is not None:
        admin = start_proxy_admin(reactor, args.admin, running, metrics, args.upstream)
        if await open_admin(args.command, args.admin, admin, announce=log.announce) is None:
            await running.stop()
            return EXIT_USAGE
    if args.insecure:
        log.note("warning: --insecure: upstream TLS certificates are not verified", level="warning")
    recorder = running.recorder
    if recorder is not None and (recorder.path != args.out or recorder.resume is not None):
        # A template chose the name, or sessions are already there: say where this one goes.
        appended = " (appending a session)" if recorder.resume is not None else ""
        log.note(f"recording to {recorder.path}{appended}")

    def _shutdown() -> None:
        # SIGTERM/SIGINT: close every connection entry, then the file (nothing lost).
        running.close_recording()
        if running.recorder is not None:
            log.note(running.recorder.summary())
        if sink is not None:
            if sink.dropped:
                text = f"log: {sink.dropped} lines dropped (standard output did not keep up)"
                log.note(text, level="warning")
            sink.close()
        sys.stdout.flush()

    reactor.addSystemEventTrigger("before", "shutdown", _shutdown)
    if sink is not None:
        sys.stdout.flush()
        sink.start(reactor.callLater)  # from now on: once per reactor turn, never blocking
    await defer.Deferred()  # serve until the reactor is stopped by a signal
    return None
