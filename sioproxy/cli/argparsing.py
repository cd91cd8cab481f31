"""The argument parser every ``sioproxy`` command uses.

Layer: edge helper for ``cli`` (imports only argparse, difflib and textsafe). Three
differences from a plain ``argparse.ArgumentParser``, all so that a mistake
on the command line is named in one line:

* no abbreviations: ``--upsteam`` is a typo, not a prefix of ``--upstream``;
* an unknown option is reported before a missing required one (argparse
  checks required options first, so a typo of a required option used to
  read "the following arguments are required"), with a close match named;
* errors are one line on stderr (``sioproxy record: ...; see --help``),
  exit status 2, and ``--help`` shows every default.
"""

from __future__ import annotations

import argparse
import copy
import difflib
import re
import sys
from collections.abc import Sequence
from typing import Any, NoReturn, cast

from sioproxy.ops.config import subcommand_parsers
from sioproxy.textsafe import escape_controls

_NUMBER = re.compile(r"^-\d+$|^-\d*\.\d+$")


class HelpFormatter(argparse.HelpFormatter):
    """Adds ``(default: X)`` to every option that has a default worth showing."""

    def _get_help_string(self, action: argparse.Action) -> str | None:
        text = action.help or ""
        default = action.default
        # By identity for None and False: a default of 0 is worth showing.
        hidden = default is None or default is False or default in ([], (), "", argparse.SUPPRESS)
        shown = not hidden
        optional = action.option_strings or action.nargs in ("?", "*")
        if shown and optional and "%(default)" not in text and "default" not in text.lower():
            text = f"{text} (default: %(default)s)" if text else "default: %(default)s"
        return text or None

    def _format_action(self, action: argparse.Action) -> str:
        # argparse leaves out the help of an option without help text; give a
        # copy of it one so its default still shows.
        if not action.help:
            text = self._get_help_string(action)
            if text:
                action = copy.copy(action)
                action.help = text
        return super()._format_action(action)


class ArgumentParser(argparse.ArgumentParser):
    """``argparse.ArgumentParser`` with one-line errors and no abbreviations."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("allow_abbrev", False)
        kwargs.setdefault("formatter_class", HelpFormatter)
        super().__init__(*args, **kwargs)

    def error(self, message: str) -> NoReturn:
        # argparse quotes the offending value: escape it like every output.
        self.exit(2, escape_controls(f"{self.prog}: {message} (see {self.prog} --help)") + "\n")

    def parse_args(  # type: ignore[override]
        self, args: Sequence[str] | None = None, namespace: Any = None
    ) -> argparse.Namespace:
        tokens = list(sys.argv[1:] if args is None else args)
        check_unknown_options(self, tokens)
        parsed: argparse.Namespace = super().parse_args(tokens, namespace)
        return parsed


def subcommands(parser: ArgumentParser) -> argparse._SubParsersAction[argparse.ArgumentParser]:
    """The ``COMMAND`` subparsers of ``parser`` (typed for the commands' ``add_parsers``)."""
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    return cast("argparse._SubParsersAction[argparse.ArgumentParser]", sub)


def check_unknown_options(parser: argparse.ArgumentParser, tokens: Sequence[str]) -> None:
    """Fail on the first option the chosen (sub)parser does not know, naming a close match."""
    current = parser
    subs = subcommand_parsers(parser)
    skip_value = False
    for token in tokens:
        if token == "--":
            return
        if skip_value:
            skip_value = False
            continue
        if not token.startswith("-") or token == "-" or _NUMBER.match(token):
            if current is parser and token in subs:
                current = subs[token]
            elif getattr(current, "passes_options_through", False):
                return  # after its FILE, the command hands on options it does not know
            continue
        name = token.split("=", 1)[0] if token.startswith("--") else token[:2]
        action = current._option_string_actions.get(name)
        if action is None:
            close = difflib.get_close_matches(name, list(current._option_string_actions), n=1)
            hint = f" (did you mean {close[0]}?)" if close else ""
            current.error(f"unknown option {name}{hint}")
        elif current is parser and action.nargs is None and "=" not in token:
            skip_value = True  # the value of a top-level option such as --config FILE
