"""A client whose names carry terminal control characters (tests/interop/test_log_output.py).

Runs on the project's venv (python-socketio 5, websocket-client). Three
connections to an Engine.IO 4 server on ``--url``:

1. python-socketio to the namespace ``/x<CTRL>`` (the scenario server refuses it);
2. python-socketio on ``/``: emits the event ``ev<CTRL>`` with ``<CTRL>`` as its
   argument, then calls ``ack_me`` (acked by the scenario server, so the event
   was relayed before the client leaves);
3. a raw WebSocket that joins ``/`` and closes with code 4000 and reason ``<CTRL>``.

``<CTRL>`` holds ESC/OSC sequences, CR LF and a fake log line, C1 CSI, DEL and
bidi controls. ``--event NAME`` replaces connection 2's event name (a replay
miss). Prints one JSON line (what happened) and exits 0.
"""

from __future__ import annotations

import argparse
import json
import sys
from urllib.parse import urlsplit

import socketio
import websocket

CTRL = "\x1b[2J\x1b]0;pwn\x07\r\n12:00:00.000 c9 forged\x9b31m\u202edesab\u2066\x7f\x85"
NSP = "/x" + CTRL
EVENT = "ev" + CTRL


def refused_namespace(url: str) -> str:
    client = socketio.Client(reconnection=False)
    try:
        client.connect(url, namespaces=[NSP], transports=["websocket"], wait_timeout=5)
    except socketio.exceptions.ConnectionError as exc:
        return f"refused: {exc}"
    finally:
        client.disconnect()
    return "connected"


def emit_event(url: str, event: str) -> list[object]:
    client = socketio.Client(reconnection=False)
    client.connect(url, transports=["websocket"], wait_timeout=5)
    try:
        client.emit(event, CTRL)
        return list(client.call("ack_me", CTRL, timeout=5))
    finally:
        client.disconnect()


def close_with_reason(url: str) -> str:
    parts = urlsplit(url)
    ws = websocket.create_connection(
        f"ws://{parts.netloc}/socket.io/?EIO=4&transport=websocket", timeout=5
    )
    opened = ws.recv()  # 0{"sid":...}
    ws.send("40")
    joined = ws.recv()  # 40{"sid":...}
    ws.close(status=4000, reason=CTRL.encode("utf-8"))
    return f"{str(opened)[:1]} {str(joined)[:2]}"


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--url", required=True)
    parser.add_argument("--event", default=EVENT)
    parser.add_argument("--no-close", action="store_true", help="skip connection 3")
    args = parser.parse_args()
    out = {
        "namespace": refused_namespace(args.url),
        "ack": emit_event(args.url, args.event),
        "close": "skipped" if args.no_close else close_with_reason(args.url),
    }
    print(json.dumps(out))
    return 0


if __name__ == "__main__":
    sys.exit(main())
