"""Write docs/cli.md, the command-line reference, from the argument parser itself.

Layer: edge (docs tooling). ``python -m sioproxy.cli.reference > docs/cli.md``;
a test checks the committed file matches, so the reference never drifts from
the code.
"""

from __future__ import annotations

import argparse
import os

from sioproxy.cli.main import build_parser

INTRO = """# Command-line reference

Generated from the argument parser (`python -m sioproxy.cli.reference > docs/cli.md`).
Every option can also be set by an environment variable `SIOPROXY_<OPTION>`
(or `SIOPROXY_<COMMAND>_<OPTION>`) and by a TOML file given with `--config`;
the command line wins, then the environment, then the file, then the defaults
(see [operations.md](operations.md)). Exit codes: 0 success, 1 the run found a
problem (misses, unplayed packets, drift), 2 usage, input or connection errors.

Options are never abbreviated (`--upstr` is an unknown option, named with its
closest match), `--config FILE` may come before or after the command, and
every error is one line on stderr (`sioproxy COMMAND: ...`), never a
traceback. Output piped into a reader that stops early (`| head`) ends
quietly.
"""


def _subcommands(parser: argparse.ArgumentParser) -> dict[str, argparse.ArgumentParser]:
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            return dict(action.choices)
    return {}


def render() -> str:
    """The whole reference as Markdown."""
    saved = os.environ.get("COLUMNS")
    os.environ["COLUMNS"] = "100"  # stable wrapping of argparse's help text
    try:
        parser = build_parser()
        parts = [INTRO, "## sioproxy", "```text", parser.format_help().rstrip(), "```", ""]
        for name, sub in _subcommands(parser).items():
            parts += [f"## sioproxy {name}", "", "```text", sub.format_help().rstrip(), "```", ""]
    finally:
        if saved is None:
            del os.environ["COLUMNS"]
        else:
            os.environ["COLUMNS"] = saved
    return "\n".join(parts)


if __name__ == "__main__":
    print(render(), end="")
