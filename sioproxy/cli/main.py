"""The ``sioproxy`` program: argument parsing and dispatch.

Layer: edge. Each verb lives in ``sioproxy.cli``; network verbs run under
Twisted's ``task.react`` with the reactor passed in, never imported at import
time. Exit codes: 0 success, 1 the run found a problem (drift, misses,
unplayed packets), 2 usage, input or connection errors.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence

from sioproxy import __version__
from sioproxy.cli.argparsing import ArgumentParser, subcommands
from sioproxy.errors import SioProxyError
from sioproxy.textsafe import escape_controls

EXIT_OK = 0
EXIT_PROBLEM = 1
EXIT_USAGE = 2
CONFIG_HELP = "TOML file of option values (also SIOPROXY_CONFIG); see docs/operations.md"


def build_parser() -> argparse.ArgumentParser:
    from sioproxy.cli import (
        codec_cmds,
        contract_cmds,
        inspect_cmds,
        locust_cmd,
        proxy_cmd,
        replay_client_cmd,
        replay_cmd,
        web_cmds,
    )

    parser = ArgumentParser(
        prog="sioproxy",
        description="Record, inspect and replay Socket.IO traffic (0.9, EIO3/SIO v4, EIO4/SIO v5).",
    )
    parser.add_argument("--version", action="version", version=f"sioproxy {__version__}")
    parser.add_argument(
        "--config",
        metavar="FILE",
        help=CONFIG_HELP,
    )
    sub = subcommands(parser)
    codec_cmds.add_parsers(sub)
    proxy_cmd.add_parsers(sub)
    replay_cmd.add_parsers(sub)
    replay_client_cmd.add_parsers(sub)
    inspect_cmds.add_parsers(sub)
    contract_cmds.add_parsers(sub)
    web_cmds.add_parsers(sub)
    locust_cmd.add_parsers(sub)
    for command in sub.choices.values():
        # ``sioproxy record --config f`` works as well as ``sioproxy --config f record``.
        command.add_argument(
            "--config", metavar="FILE", default=argparse.SUPPRESS, help=CONFIG_HELP
        )
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run one command and return its exit status."""
    from sioproxy.ops.config import parse_args

    parser = build_parser()
    # Command line over SIOPROXY_* environment over --config file over defaults.
    args = parse_args(parser, argv, os.environ)
    try:
        status: int = args.handler(args)
    except SioProxyError as exc:
        # One clear line, no traceback: the error names the file/line or offset.
        # Escaped: the message may quote a file name or a recorded string.
        print(escape_controls(f"sioproxy {args.command}: {exc}"), file=sys.stderr)
        return EXIT_USAGE
    return status


def console_main() -> None:
    from sioproxy.cli import pipeout

    pipeout.install()  # `sioproxy show rec.jsonl | head -1`: no BrokenPipeError traceback
    sys.exit(main())
