"""Run a Twisted main function and return the command's own exit status.

Layer: edge. ``task.react`` ends with ``sys.exit``; commands report richer
statuses (0/1/2). A main function returns its status (an ``int``; ``None``
keeps the current one); a status decided elsewhere, such as in a shutdown
trigger after a signal, goes into the ``ExitStatus`` the command passes in.
A ``SioProxyError`` that ends the main function (a bad ``--listen`` value, a
file that cannot be opened) is printed as one line, exit status 2, instead of
Twisted's "main function encountered error" traceback.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sioproxy.errors import SioProxyError

EXIT_USAGE = 2


@dataclass
class ExitStatus:
    """The status a command exits with, as far as it is known yet."""

    code: int = 0


def react_with_status(
    main: Callable[[Any], Any], command: str = "", status: ExitStatus | None = None
) -> int:
    """Run ``main(reactor)`` under ``task.react``; return its status unless react failed."""
    from twisted.internet import defer, task

    outcome = status if status is not None else ExitStatus()

    def keep(code: Any) -> None:
        if isinstance(code, int):
            outcome.code = code

    def one_line(failure: Any) -> None:
        failure.trap(SioProxyError)
        prefix = f"sioproxy {command}" if command else "sioproxy"
        print(f"{prefix}: {failure.value}", file=sys.stderr, flush=True)
        outcome.code = EXIT_USAGE

    def guarded(reactor: Any) -> Any:
        return defer.maybeDeferred(main, reactor).addCallbacks(keep, one_line)

    try:
        task.react(guarded)
    except SystemExit as exc:
        if exc.code not in (0, None):
            return exc.code if isinstance(exc.code, int) else 1
    return outcome.code
