"""Run a Twisted main function and return the command's own exit status.

Layer: edge. ``task.react`` ends with ``sys.exit``; commands report richer
statuses (0/1/2). A main function returns its status (an ``int``; ``None``
keeps the current one); a status decided elsewhere, such as in a shutdown
trigger after a signal, goes into the ``ExitStatus`` the command passes in.
A ``SioProxyError`` that ends the main function (a bad ``--listen`` value, a
file that cannot be opened) is printed as one line, exit status 2, instead of
Twisted's "main function encountered error" traceback.

Before the reactor runs, the soft limit of open files is raised to the hard
limit (``raise_open_file_limit``): the proxy holds two descriptors per relayed
socket, and the usual soft limit of 1,024 would stop it at about 500 clients
(docs/operations.md, "Slow, idle and numerous clients").
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sioproxy.errors import SioProxyError

EXIT_USAGE = 2
#: Linux's own ceiling when the hard limit is "unlimited" (``fs.nr_open``).
_NR_OPEN = Path("/proc/sys/fs/nr_open")


def raise_open_file_limit() -> tuple[int, int]:
    """Soft RLIMIT_NOFILE up to the hard one; returns (soft, hard) afterwards."""
    try:
        import resource
    except ImportError:  # not a Unix
        return (0, 0)
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    wanted = hard
    if hard == resource.RLIM_INFINITY:
        try:
            wanted = int(_NR_OPEN.read_text())
        except (OSError, ValueError):
            wanted = 1 << 20
    if soft != resource.RLIM_INFINITY and soft < wanted:
        try:
            resource.setrlimit(resource.RLIMIT_NOFILE, (wanted, hard))
            soft = wanted
        except (OSError, ValueError):  # a sandbox may refuse: keep what we have
            pass
    return (soft, hard)


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
    raise_open_file_limit()

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
