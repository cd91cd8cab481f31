"""Let a distributed run's sessions in flight finish before the master quits.

Layer: Locust. At ``--run-time``, a headless Locust master sends ``quit`` to
its workers and waits half a second for their last report; each worker first
lets its users finish their current task for up to ``--stop-timeout``
seconds, so what those sessions did never reached the master. This wraps the
master runner's ``quit`` to wait for every worker's goodbye (bounded by
``--stop-timeout`` plus a margin) before quitting (docs/load.md "Distributed").
"""

from __future__ import annotations

from typing import Any

import gevent
from locust.rpc import Message
from locust.runners import MasterRunner

__all__ = ["finish_sessions_on_quit"]

_MARGIN = 10.0  # seconds beyond --stop-timeout for the workers' last reports


def finish_sessions_on_quit(environment: Any, **_: Any) -> None:
    """A ``events.init`` listener: on a master with ``--stop-timeout``, quit patiently."""
    runner = environment.runner
    if not isinstance(runner, MasterRunner) or not environment.stop_timeout:
        return
    original = runner.quit
    quitting = False

    def quit_after_workers() -> None:
        nonlocal quitting
        if not quitting and len(runner.clients):
            quitting = True
            runner.stop(send_stop_to_client=False)
            for client in list(runner.clients.all):
                goodbye = Message("quit", None, client.id)  # type: ignore[no-untyped-call]
                runner.server.send_to_client(goodbye)
            # A worker's last report comes before its "quit" answer, which removes it.
            with gevent.Timeout(environment.stop_timeout + _MARGIN, False):
                while len(runner.clients):
                    gevent.sleep(0.2)
        original()

    runner.quit = quit_after_workers  # type: ignore[method-assign]
