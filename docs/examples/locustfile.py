"""A locustfile of your own that plays recorded Socket.IO sessions (docs/load.md).

    pip install 'sioproxy[load]'
    RECORDINGS='recordings/*.jsonl' locust -f locustfile.py --host http://staging:3000

Each user plays one recorded session per task run (every connection of it at
once), then the next file of the glob. Locust's usual options apply: --headless
-u -r -t, --csv, --master / --worker, the web UI on :8089.
"""

import os

from locust import between, events

from sioproxy.locust import RecordingUser
from sioproxy.locust.quitting import finish_sessions_on_quit

# Distributed runs: let sessions in flight finish (--stop-timeout) before the master quits.
events.init.add_listener(finish_sessions_on_quit)


class RecordedVisitor(RecordingUser):
    recording = os.environ.get("RECORDINGS", "recordings/*.jsonl")
    # Think time between two sessions of one user; the recorded pacing inside a session.
    wait_time = between(0.5, 2)
    timeout = 5.0  # wait this long for each expected server packet
    speed = None  # reactive (default); 1.0 plays the recorded gaps; 0 plays without gaps
    captures = ("room=create_room:/data/1/id",)  # carry a server-minted id into later packets
    ignore = ("/data/1/ts",)  # a volatile value the comparison leaves out
    secrets = {"auth.token": "env:APP_TOKEN"}  # fills [REDACTED:auth.token]
