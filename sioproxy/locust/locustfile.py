"""The locustfile ``sioproxy locust`` runs: one ``RecordingUser`` set from the command line.

Layer: Locust. ``sioproxy locust FILE --target URL ...`` (sioproxy/cli/locust_cmd.py)
puts its own options as JSON into the ``SIOPROXY_LOCUST`` environment variable
and starts ``python -m locust -f`` this file with Locust's options; see
docs/load.md. For a locustfile of your own, copy docs/examples/locustfile.py.
"""

from __future__ import annotations

import json
import os
from typing import ClassVar

from locust import events

from sioproxy.locust.quitting import finish_sessions_on_quit
from sioproxy.locust.user import RecordingUser, assert_no_twisted
from sioproxy.recording.causes import DEFAULT_MAX_WAIT

ENV = "SIOPROXY_LOCUST"
_settings = json.loads(os.environ.get(ENV) or "{}")
assert_no_twisted()
events.init.add_listener(finish_sessions_on_quit)  # type: ignore[no-untyped-call]


class RecordedSession(RecordingUser):
    recording = _settings.get("recording", "")
    conns = tuple(_settings.get("conns", ()))
    speed = _settings.get("speed")
    max_gap = _settings.get("max_gap")
    timeout = _settings.get("timeout", 5.0)
    order_max_wait = _settings.get("max_wait", DEFAULT_MAX_WAIT)
    connect_timeout = _settings.get("connect_timeout", 10.0)
    captures = tuple(_settings.get("captures", ()))
    ignore = tuple(_settings.get("ignore", ()))
    secrets: ClassVar[dict[str, str]] = dict(_settings.get("secrets", {}))
    secrets_file = _settings.get("secrets_file")
    transport = _settings.get("transport")
    path = _settings.get("path")
