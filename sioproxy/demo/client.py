"""Scripted demo client (python-socketio): prints what it saw as one JSON line.

Run: ``python -m sioproxy.demo.client --url http://127.0.0.1:PORT``.
The transcript is deterministic, so a run through the proxy and a run against
a replay can be compared with a run against the real server.
"""

from __future__ import annotations

import argparse
import json
import sys
import threading
from typing import Any

import socketio


def run(url: str, transports: list[str], timeout: float = 10.0) -> dict[str, Any]:
    seen: list[Any] = []
    done = threading.Event()
    admin_done = threading.Event()
    client = socketio.Client(reconnection=False)

    def welcome(data: Any) -> None:
        seen.append(["welcome", data])

    def chat(data: Any) -> None:
        seen.append(["chat", data])

    def are_you_there(data: Any) -> list[str]:
        seen.append(["are_you_there", data])
        return ["yes, here 🙋"]

    def pong_received(*data: Any) -> None:
        seen.append(["pong_received", list(data)])
        done.set()

    def admin_echo(data: Any) -> None:
        seen.append(["admin echo", data])
        admin_done.set()

    client.on("welcome", welcome)
    client.on("chat", chat)
    client.on("are_you_there", are_you_there)
    client.on("pong_received", pong_received)
    client.on("echo", admin_echo, namespace="/admin")
    client.connect(url, transports=transports, namespaces=["/", "/admin"], wait_timeout=timeout)
    seen.append(["chat ack", client.call("chat", "hello from the demo client 😀", timeout=timeout)])
    seen.append(["add ack", client.call("add", (2, 3), timeout=timeout)])
    upload = client.call("upload", b"\x01\x02\x03\xff", timeout=timeout)
    seen.append(["upload ack", {"size": upload["size"], "reversed": upload["reversed"].hex()}])
    client.emit("ping_me")
    done.wait(timeout)
    client.emit("echo", ["admin", "ünïcode"], namespace="/admin")
    admin_done.wait(timeout)
    transport = client.transport()
    client.disconnect()
    return {"transport": transport, "seen": seen}


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="sioproxy demo client")
    parser.add_argument("--url", required=True)
    parser.add_argument(
        "--transport", choices=["websocket", "polling", "upgrade"], default="upgrade"
    )
    args = parser.parse_args(argv)
    transports = {"websocket": ["websocket"], "polling": ["polling"]}.get(
        args.transport, ["polling", "websocket"]
    )
    result = run(args.url, transports)
    print(json.dumps(result, ensure_ascii=False), flush=True)
    sys.exit(0)


if __name__ == "__main__":
    main()
