"""Options of the commands that play a recording's client side, declared once.

Layer: edge (argument parsing only; no twisted). ``replay-client``, ``diff``
and ``locust`` take the same playback options (docs/replay-client.md,
docs/load.md); ``add_seconds`` is the one declaration of a duration option,
which ``replay`` uses too. Every duration is 0 to ``limits.MAX_TIMEOUT_SECONDS``
(one day), every speed 0 to ``limits.MAX_SPEED``.
"""

from __future__ import annotations

import argparse

from sioproxy import limits
from sioproxy.cli.redact_opts import add_secret_options
from sioproxy.ops.config import bounded_float
from sioproxy.recording.causes import DEFAULT_MAX_WAIT

SECONDS = bounded_float(0.0, limits.MAX_TIMEOUT_SECONDS)
SPEED = bounded_float(0.0, limits.MAX_SPEED)


def add_seconds(
    parser: argparse.ArgumentParser | argparse._ArgumentGroup,
    flag: str,
    default: float | None,
    text: str,
) -> None:
    """A duration option: SECONDS from 0 to one day; ``text`` is its help."""
    parser.add_argument(flag, type=SECONDS, default=default, metavar="SECONDS", help=text)


def add_playback_options(
    parser: argparse.ArgumentParser, *, timed: bool, released: str, env_read_by: str = ""
) -> None:
    """The playback options; ``timed`` adds ``--speed``/``--max-gap``.

    ``released`` ends the ``--max-wait`` help (what a packet sent after the
    wait counts as); ``env_read_by`` tells who reads a ``--secret`` ``env:VAR``.
    """
    parser.add_argument(
        "--conn",
        action="append",
        default=[],
        metavar="LABEL",
        help="play only this recorded connection (repeatable; default: all)",
    )
    parser.add_argument(
        "--transport",
        default=None,
        help="websocket, polling or upgrade (0.9: websocket, xhr-polling); default: as recorded",
    )
    parser.add_argument("--path", default=None, help="Socket.IO path (default: as recorded)")
    add_seconds(parser, "--timeout", 5.0, "how long to wait for an expected server packet")
    add_seconds(
        parser,
        "--max-wait",
        DEFAULT_MAX_WAIT,
        "with several recorded connections, how long a packet waits for the others "
        f"to play what was recorded before it (then it goes, {released})",
    )
    add_seconds(parser, "--connect-timeout", 10.0, "give up a connection that does not open")
    if timed:
        parser.add_argument(
            "--speed",
            type=SPEED,
            default=None,
            metavar="S",
            help="timed playback: recorded client gaps divided by S (0 = no gaps; "
            "default: reactive)",
        )
        add_seconds(
            parser,
            "--max-gap",
            None,
            "timed playback: cap every gap (implies --speed 1 unless given)",
        )
    parser.add_argument(
        "--capture",
        action="append",
        default=[],
        metavar="NAME=EVENT:JSONPOINTER",
        help="carry a live server value into later client packets (repeatable)",
    )
    parser.add_argument(
        "--ignore",
        action="append",
        default=[],
        metavar="JSONPOINTER",
        help="leave this part of every server packet out of the comparison (repeatable)",
    )
    add_secret_options(parser, env_read_by=env_read_by)
