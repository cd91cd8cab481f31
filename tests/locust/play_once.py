"""Play a recording once with the gevent transport and print the results as one JSON line.

Run as a subprocess by tests/locust (gevent's monkey-patching stays out of
pytest's process): ``python -m tests.locust.play_once FILE URL TRANSPORT
[NAME=VALUE...]`` (TRANSPORT ``-``: as recorded; NAME=VALUE: secrets);
``PLAY_ONCE_OPTIONS`` in the environment: ``ReplayClientOptions`` fields as JSON.
"""

from __future__ import annotations

from gevent import monkey

monkey.patch_all()

import json  # noqa: E402  (after monkey-patching, as a Locust worker has it)
import os  # noqa: E402
import sys  # noqa: E402

from sioproxy.locust.reporting import ConnectionReport, release_event  # noqa: E402
from sioproxy.locust.session import play_session, prepare  # noqa: E402
from sioproxy.net.upstream import parse_upstream  # noqa: E402
from sioproxy.replay_client import ReplayClientOptions  # noqa: E402
from sioproxy.replay_client.plan import ConnectionPlan  # noqa: E402


def main(argv: list[str]) -> int:
    path, url, transport, *secrets = argv
    events: list[dict[str, object]] = []

    def fire(**event: object) -> None:
        failure = event["exception"]
        events.append(
            {
                "type": event["request_type"],
                "name": event["name"],
                "ms": event["response_time"],
                "error": None if failure is None else str(failure),
            }
        )

    def observer(plan: ConnectionPlan) -> ConnectionReport:
        return ConnectionReport(fire, plan.mode)

    values = dict(spec.split("=", 1) for spec in secrets)
    prepared = prepare(path, transport=None if transport == "-" else transport, secrets=values)
    options = ReplayClientOptions(**json.loads(os.environ.get("PLAY_ONCE_OPTIONS") or "{}"))
    results = play_session(
        prepared,
        parse_upstream(url, "target"),
        options,
        observer,
        released=lambda release: release_event(fire, prepared.name, release),
    )
    out = {
        "results": [r.to_json() for r in results],
        "events": events,
        "emits_with_ack": prepared.emits_with_ack(),
        "twisted": "twisted" in sys.modules,
    }
    print(json.dumps(out))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
