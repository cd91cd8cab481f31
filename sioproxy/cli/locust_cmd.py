"""``sioproxy locust FILE --target URL [LOCUST OPTIONS]``: load tests from recordings on Locust.

Layer: edge (no twisted, and never ``sioproxy.locust``: importing Locust
monkey-patches the process for gevent). It checks the recording and the
options here, then replaces itself with ``python -m locust`` running the
built-in locustfile (sioproxy/locust/locustfile.py); its own options travel
as JSON in ``SIOPROXY_LOCUST``, and every option it does not know is Locust's
and is passed through as it is (``--headless -u 50 -r 10 -t 20s --csv PREFIX``,
``--master``, ``--worker``). See docs/load.md.
"""

from __future__ import annotations

import argparse
import glob
import importlib.util
import json
import os
import sys
from pathlib import Path
from typing import Any

from sioproxy.cli.argparsing import ArgumentParser
from sioproxy.cli.playback_opts import add_playback_options
from sioproxy.errors import SioProxyError
from sioproxy.textsafe import escape_controls

EXIT_USAGE = 2
ENV = "SIOPROXY_LOCUST"  # read by sioproxy/locust/locustfile.py
LOCUSTFILE = Path(__file__).resolve().parent.parent / "locust" / "locustfile.py"
PASSED_HELP = (
    "Locust's own options, passed through: --headless -u USERS -r RATE -t TIME "
    "--csv PREFIX, --master / --worker --master-host H, --stop-timeout S ... "
    "(`locust --help`)"
)


def add_parsers(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = sub.add_parser(
        "locust",
        help="load test on Locust: each user plays a recorded session (docs/load.md)",
        description="Run Locust with a built-in locustfile whose users play the "
        "recording's client side against --target. sioproxy's options may come "
        "before or after FILE; every other option is Locust's.",
    )
    parser.add_argument("file", metavar="FILE", help="recording, or a quoted glob of recordings")
    _add_options(parser)
    parser.add_argument(
        "locust_options", nargs=argparse.REMAINDER, metavar="LOCUST OPTIONS", help=PASSED_HELP
    )
    parser.set_defaults(handler=run_locust)
    parser.passes_options_through = True  # type: ignore[attr-defined]  # see argparsing


def _add_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--target", metavar="URL", help="the live server (required)")
    add_playback_options(
        parser, timed=True, released="an 'order' failure", env_read_by=" in each Locust process"
    )


def _merged(args: argparse.Namespace) -> tuple[argparse.Namespace, list[str]]:
    """sioproxy's options given after FILE, merged in; the rest is Locust's."""
    late = ArgumentParser(prog="sioproxy locust", add_help=False)
    _add_options(late)
    late.set_defaults(**{k: v for k, v in vars(args).items() if k != "locust_options"})
    merged, rest = late.parse_known_args(args.locust_options)
    return merged, rest


def _settings(args: argparse.Namespace) -> dict[str, Any]:
    from sioproxy.recording.matching import parse_ignore
    from sioproxy.recording.secrets import parse_secret
    from sioproxy.replay_client import parse_capture

    for text in args.capture:
        parse_capture(text)  # raises ConfigError naming the bad one
    for text in args.ignore:
        parse_ignore(text)
    secrets = {}
    for spec in args.secret:
        name, _ = parse_secret(spec, os.environ)  # checked here, read again by each process
        secrets[name] = spec.split("=", 1)[1]  # as given: env:VAR stays a name
    return {
        "recording": args.file,
        "conns": args.conn,
        "transport": args.transport,
        "path": args.path,
        "timeout": args.timeout,
        "max_wait": args.max_wait,
        "connect_timeout": args.connect_timeout,
        "speed": args.speed,
        "max_gap": args.max_gap,
        "captures": args.capture,
        "ignore": args.ignore,
        "secrets": secrets,
        "secrets_file": args.secrets_file,
    }


def _check_recordings(pattern: str, conns: list[str]) -> None:
    from sioproxy.cli.loading import load_recording
    from sioproxy.replay_client.plan import plan_connection

    paths = sorted(glob.glob(pattern)) if glob.has_magic(pattern) else [pattern]
    if not paths or not all(os.path.exists(p) for p in paths):
        raise SioProxyError(f"{pattern}: no such recording")
    for path in paths:
        recording = load_recording(path, "locust")
        for conn in conns or recording.connections():
            plan_connection(recording, conn)


def run_locust(args: argparse.Namespace) -> int:
    """Check the options and recordings, then exec Locust (returns only on an error)."""
    try:
        args, rest = _merged(args)
        if not args.target:
            raise SioProxyError("--target URL is required")
        settings = _settings(args)
        if "--master" not in rest:  # a master plays nothing: its workers need the files
            _check_recordings(args.file, args.conn)
        if importlib.util.find_spec("locust") is None:
            raise SioProxyError("Locust is not installed: pip install 'sioproxy[load]'")
    except (SioProxyError, OSError) as exc:
        print(escape_controls(f"sioproxy locust: {exc}"), file=sys.stderr)
        return EXIT_USAGE
    argv = [sys.executable, "-m", "locust", "-f", str(LOCUSTFILE), "--host", args.target, *rest]
    env = dict(os.environ, **{ENV: json.dumps(settings)})
    sys.stdout.flush()
    sys.stderr.flush()
    os.execve(sys.executable, argv, env)
    return EXIT_USAGE  # not reached: execve returns only by raising
