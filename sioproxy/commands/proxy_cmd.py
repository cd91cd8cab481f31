"""``sioproxy proxy`` and ``sioproxy record``: the live reverse proxy.

Layer: edge (Twisted). Builds the pure observer (session, log, recording) and
hands it to the relay. The first stdout line is always
``sioproxy listening on http://HOST:PORT`` with the real port, so scripts can
use port 0.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Callable
from typing import Any

from sioproxy.commands.reactor_run import react_with_status
from sioproxy.live import EventSink, LiveObserver
from sioproxy.logfmt import PacketLog

FLUSH_SECONDS = 0.1


def add_parsers(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    proxy = sub.add_parser("proxy", help="pass traffic through, decoding and logging every packet")
    _add_common(proxy)
    proxy.set_defaults(handler=run_proxy, record=False)
    record = sub.add_parser("record", help="like proxy, and record the session to a file")
    _add_common(record)
    record.add_argument("--out", required=True, help="recording file (JSON Lines)")
    record.add_argument(
        "--redact", action="append", default=[], metavar="KEY",
        help="also redact this query/auth key (repeatable); defaults always apply",
    )
    record.add_argument("--no-redact", action="store_true", help="record secrets as they are")
    record.add_argument(
        "--flush-interval", type=float, default=0.0, metavar="SECONDS",
        help="batch recording writes (0 = write and flush every line)",
    )
    record.set_defaults(handler=run_proxy, record=True)


def _add_common(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--listen", default="127.0.0.1:8080",
        help="HOST:PORT or a Twisted endpoint string (port 0 picks a free port)",
    )
    parser.add_argument("--upstream", required=True, help="the real server, http(s)://host:port[/prefix]")
    parser.add_argument("--path", default="/socket.io", help="Socket.IO resource path")
    parser.add_argument("--log-format", choices=["text", "json"], default="text")
    parser.add_argument("--verbose", "-v", action="store_true", help="also log heartbeats and noops")
    parser.add_argument("--quiet", "-q", action="store_true", help="no per-packet log lines")
    parser.add_argument("--insecure", action="store_true", help="do not verify upstream TLS certificates")
    parser.add_argument("--max-body", type=int, default=1_000_000, help="largest polling body / message")


def run_proxy(args: argparse.Namespace) -> int:
    status: list[int] = [0]

    def _main(reactor: Any) -> Any:
        return _serve(reactor, args, status)

    return react_with_status(_main, status)


def _emit_line(line: str) -> None:
    sys.stdout.write(line + "\n")


def _serve(reactor: Any, args: argparse.Namespace, status: list[int]) -> Any:
    from twisted.internet import defer
    from twisted.internet.task import LoopingCall

    from sioproxy.transport.endpoints import describe_listening, listen_endpoint, parse_upstream
    from sioproxy.transport.site import build_proxy_site

    upstream = parse_upstream(args.upstream)
    log = PacketLog(_emit_line, json_lines=args.log_format == "json", verbose=args.verbose)
    sinks: list[EventSink] = [] if args.quiet else [log.event]
    recorder = _open_recorder(args, log) if args.record else None
    if recorder is not None:
        sinks.append(recorder.event)
    observer = LiveObserver(
        clock=time.monotonic, sinks=sinks, resource_path=args.path, note=log.note
    )
    site = build_proxy_site(
        reactor, upstream, observer, resource_path=args.path, max_body=args.max_body,
        insecure=args.insecure,
    )
    done: defer.Deferred[None] = defer.Deferred()

    def _flush() -> None:
        sys.stdout.flush()
        if recorder is not None:
            recorder.tick(time.monotonic())

    flusher = LoopingCall(_flush)

    def _shutdown() -> None:
        observer.shutdown()
        if recorder is not None:
            recorder.close()
            log.note(recorder.summary())
        sys.stdout.flush()

    reactor.addSystemEventTrigger("before", "shutdown", _shutdown)

    def _listening(port: Any) -> None:
        print(f"sioproxy listening on {describe_listening(port, args.listen)}", flush=True)
        flusher.start(FLUSH_SECONDS, now=False)

    d = listen_endpoint(reactor, args.listen).listen(site)
    d.addCallback(_listening)
    d.addErrback(lambda f: _fail_listen(f, status, done))
    return done


def _fail_listen(failure: Any, status: list[int], done: Any) -> None:
    print(f"sioproxy: cannot listen: {failure.getErrorMessage()}", file=sys.stderr)
    status[0] = 2
    done.callback(None)


def _open_recorder(args: argparse.Namespace, log: PacketLog) -> Any:
    from sioproxy.recording.live_recorder import LiveRecorder

    return LiveRecorder.open(
        args.out,
        upstream=args.upstream,
        redact=not args.no_redact,
        extra_keys=args.redact,
        flush_interval=args.flush_interval,
        note=log.note,
    )


Note = Callable[[str], None]
