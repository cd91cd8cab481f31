"""Docker HEALTHCHECK: GET the admin ``/health`` of the sioproxy in this container.

Reads the admin address from ``SIOPROXY_ADMIN`` (``HOST:PORT``; a wildcard host
is probed on loopback). Exit 0 when healthy, 1 otherwise, as docker expects.
Standard library only.
"""

from __future__ import annotations

import os
import sys
import urllib.error
import urllib.request

WILDCARDS = {"", "0.0.0.0", "::", "[::]", "*"}


def admin_url(spec: str) -> str:
    text = spec.strip().removeprefix("http://").rstrip("/")
    if text.startswith("tcp:"):  # a Twisted endpoint string: tcp:PORT[:interface=HOST]
        fields = text.split(":")
        port = fields[1]
        host = next((f[len("interface=") :] for f in fields if f.startswith("interface=")), "")
    else:
        host, _, port = text.rpartition(":")
    host = "127.0.0.1" if host in WILDCARDS else host
    return f"http://{host}:{port}/health"


def main() -> int:
    spec = os.environ.get("SIOPROXY_ADMIN", "0.0.0.0:9090")
    try:
        with urllib.request.urlopen(admin_url(spec), timeout=4) as response:
            return 0 if response.status == 200 else 1
    except (OSError, urllib.error.URLError) as exc:
        print(f"unhealthy: {exc}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
