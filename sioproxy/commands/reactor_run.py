"""Run a Twisted main function and return the command's own exit status.

Layer: edge. ``task.react`` ends with ``sys.exit``; commands report richer
statuses (0/1/2) through a one-element list their main function fills in.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any


def react_with_status(main: Callable[[Any], Any], status: list[int]) -> int:
    """Run ``main(reactor)`` under ``task.react``; return ``status[0]`` unless react failed."""
    from twisted.internet import task

    try:
        task.react(main)
    except SystemExit as exc:
        if exc.code not in (0, None):
            return exc.code if isinstance(exc.code, int) else 1
    return status[0]
