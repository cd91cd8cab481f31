"""Command-line options of the redaction policy and of secrets filled back in.

Layer: edge (argument parsing only; no twisted). ``proxy``, ``record`` and
``import`` take the policy options (docs/recording-format.md "Redaction");
``replay-client``, ``diff`` and ``locust`` take ``--secret``/``--secrets-file``
(docs/replay-client.md "Secrets").
"""

from __future__ import annotations

import argparse

from sioproxy.recording.redact_policy import DEFAULT_HEADERS, DEFAULT_KEYS, RedactionPolicy


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
