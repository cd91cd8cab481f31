"""A timer armed again after its old arming had fired and queued its call: the old call is stale.

Run as a subprocess by tests/locust/test_transport.py (gevent monkey-patching
stays out of pytest): prints ``ok`` or what went wrong.
"""

from __future__ import annotations

from gevent import monkey

monkey.patch_all()

import sys  # noqa: E402
from typing import Any  # noqa: E402

import gevent  # noqa: E402

from sioproxy.locust.transport import GeventConnection  # noqa: E402
from sioproxy.net.upstream import parse_upstream  # noqa: E402
from sioproxy.replay_client.plan import ConnectionPlan  # noqa: E402
from sioproxy.types import Generation  # noqa: E402


def main() -> int:
    plan = ConnectionPlan(
        conn="c1", generation=Generation.EIO4, mode="websocket", path="/socket.io/", query=()
    )
    no_replayer: Any = None  # never reached: only the timers run here
    target = parse_upstream("http://127.0.0.1:9", "target")
    connection = GeventConnection(target, plan, no_replayer, None)  # type: ignore[arg-type]
    connection._arm("watchdog", 0)
    gevent.sleep(0.05)  # the first arming fires and queues its call
    connection._arm("watchdog", 30)  # e.g. a server ping came in the meantime
    connection._inbox.get(timeout=1)()  # the queued call of the first arming
    if "watchdog" not in connection._timers:
        print("the stale call fired the new arming")
        return 1
    connection._disarm("watchdog")
    print("ok")
    return 0


if __name__ == "__main__":
    sys.exit(main())
