"""Command-line options of the redaction policy and of secrets filled back in.

Layer: edge (argument parsing only; no twisted). ``proxy``, ``record`` and
``import`` take the policy options (docs/recording-format.md "Redaction");
``replay``, ``replay-client``, ``diff`` and ``locust`` take
``--secret``/``--secrets-file`` (docs/replay-client.md "Secrets", docs/replay.md).
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Iterable
from typing import TYPE_CHECKING

from sioproxy.recording.redact_policy import DEFAULT_HEADERS, DEFAULT_KEYS, RedactionPolicy
from sioproxy.textsafe import escape_controls
from sioproxy.types import Direction

if TYPE_CHECKING:
    from sioproxy.recording import Recording, Redactor


def add_redaction_options(parser: argparse.ArgumentParser) -> None:
    group = parser.add_argument_group(
        "redaction (recording, log and every other output; docs/recording-format.md)"
    )
    group.add_argument(
        "--redact",
        action="append",
        default=[],
        metavar="KEY",
        help="also redact this JSON/query key and header (repeatable); the defaults still apply",
    )
    group.add_argument(
        "--keep-key",
        action="append",
        default=[],
        metavar="KEY",
        help="do not redact this default key or header (repeatable)",
    )
    group.add_argument(
        "--redact-header",
        action="append",
        default=[],
        metavar="NAME",
        help=f"also redact this HTTP header (defaults: {', '.join(DEFAULT_HEADERS)})",
    )
    group.add_argument(
        "--redact-query",
        action="append",
        default=[],
        metavar="NAME",
        help="also redact this query parameter (URL, namespace or 0.9 connect query)",
    )
    group.add_argument(
        "--redact-pointer",
        action="append",
        default=[],
        metavar="EVENT:POINTER",
        help="also redact the value at this JSON pointer into EVENT's arguments (/0/pin)",
    )
    group.add_argument(
        "--no-redact",
        action="store_true",
        help=f"record and log secrets as they are (default keys: {', '.join(DEFAULT_KEYS)})",
    )


def policy_from(args: argparse.Namespace) -> RedactionPolicy:
    """The policy the options name; raises ConfigError for a bad --redact-pointer."""
    return RedactionPolicy.build(
        enabled=not getattr(args, "no_redact", False),
        redact=getattr(args, "redact", None) or [],
        keep=getattr(args, "keep_key", None) or [],
        headers=getattr(args, "redact_header", None) or [],
        query=getattr(args, "redact_query", None) or [],
        pointers=getattr(args, "redact_pointer", None) or [],
    )


def add_secret_options(parser: argparse.ArgumentParser, *, env_read_by: str = "") -> None:
    """``--secret`` and ``--secrets-file``; ``env_read_by`` tells who reads ``env:VAR``."""
    group = parser.add_argument_group("secrets filled into [REDACTED:NAME] placeholders")
    group.add_argument(
        "--secret",
        action="append",
        default=[],
        metavar="NAME=VALUE",
        help=(
            f"value of the placeholder [REDACTED:NAME]; NAME=env:VAR reads $VAR{env_read_by};"
            " CONN:NAME=VALUE fills recorded connection CONN only (repeatable)"
        ),
    )
    group.add_argument(
        "--secrets-file",
        metavar="FILE",
        help="NAME=VALUE lines (# comments; VALUE may be env:VAR)",
    )


def with_secrets(
    recording: Recording,
    args: argparse.Namespace,
    sender: Direction,
    command: str,
    conns: Iterable[str] = (),
) -> tuple[Recording, Redactor]:
    """The recording with ``--secret`` values filled into what ``sender`` sends, and
    the output redactor: the recording's policy plus the filled values, so no
    log line or report shows them.

    Placeholders still left in what will be sent (by ``conns``, or every
    connection) are named in one line on stderr.
    """
    # Imported here, as the commands did: only the playing commands need them.
    from sioproxy.recording import Redactor
    from sioproxy.recording.secrets import fill_recording, secrets_from, unfilled, unfilled_line

    values = secrets_from(args.secret, args.secrets_file, os.environ)
    filled = fill_recording(recording, values, sender)
    line = unfilled_line(unfilled(filled, sender, conns), "fill them with --secret NAME=VALUE")
    if line is not None:
        print(escape_controls(f"sioproxy {command}: {line}"), file=sys.stderr)
    redactor = Redactor.from_summary(recording.header.redactions)
    for name, value in values.items():
        redactor.remember_output(value, name)
    return filled, redactor
