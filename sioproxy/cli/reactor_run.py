"""Run a Twisted main function and return the command's own exit status.

Layer: edge. ``task.react`` ends with ``sys.exit``; commands report richer
statuses (0/1/2) through a one-element list their main function fills in.
A ``SioProxyError`` that ends the main function (a bad ``--listen`` value, a
file that cannot be opened) is printed as one line, exit status 2, instead of
Twisted's "main function encountered error" traceback.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from typing import Any

from sioproxy.errors import SioProxyError

EXIT_USAGE = 2


def react_with_status(main: Callable[[Any], Any], status: list[int], command: str = "") -> int:
    """Run ``main(reactor)`` under ``task.react``; return ``status[0]`` unless react failed."""
    from twisted.internet import defer, task

    def one_line(failure: Any) -> None:
        failure.trap(SioProxyError)
        prefix = f"sioproxy {command}" if command else "sioproxy"
        print(f"{prefix}: {failure.value}", file=sys.stderr, flush=True)
        status[0] = EXIT_USAGE

    def guarded(reactor: Any) -> Any:
        return defer.maybeDeferred(main, reactor).addErrback(one_line)

    try:
        task.react(guarded)
    except SystemExit as exc:
        if exc.code not in (0, None):
            return exc.code if isinstance(exc.code, int) else 1
    return status[0]
