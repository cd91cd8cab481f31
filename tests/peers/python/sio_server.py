"""The interop scenario's server side for python-socketio (4.x with EIO3, 5.x with EIO4).

Runs an ``AsyncServer`` on aiohttp, bound to 127.0.0.1, and prints ``listening <port>``
as its first stdout line. Imports only python-socketio, aiohttp and the standard library,
so it runs in whichever venv carries the python-socketio version under test.
"""

from __future__ import annotations

import argparse
import asyncio
import signal
import sys
from collections.abc import Callable
from typing import Any

import socketio
from aiohttp import web

NAMESPACES = ("/", "/chat")
PENDING: set[asyncio.Task[None]] = set()


def register(sio: Any, namespace: str) -> None:
    """Attach the scenario handlers for one namespace."""

    async def echo(sid: str, *args: Any) -> None:
        await sio.emit("echo", args, room=sid, namespace=namespace)

    async def ack_me(sid: str, *args: Any) -> tuple[Any, str]:
        return (args[0] if args else None, "ack")

    async def ask_me(sid: str, *args: Any) -> None:
        loop = asyncio.get_running_loop()

        def answered(*answer: Any) -> None:
            # Ack callbacks are plain calls from the server's packet handler, so the
            # emit runs as a task; the set keeps it referenced until it is done.
            task = loop.create_task(
                sio.emit("answer_received", answer, room=sid, namespace=namespace)
            )
            PENDING.add(task)
            task.add_done_callback(PENDING.discard)

        await sio.emit("question", ("what?",), room=sid, namespace=namespace, callback=answered)

    async def bin_echo(sid: str, data: bytes, *rest: Any) -> bytes:
        # The event is queued before the ack, which is sent when this returns.
        await sio.emit("bin", (data, {"nested": data}), room=sid, namespace=namespace)
        return bytes(reversed(data))

    async def bye(sid: str, *args: Any) -> None:
        return None

    for handler in (echo, ack_me, ask_me, bin_echo, bye):
        sio.on(handler.__name__, handler, namespace=namespace)


# "msgpack" for the py-sio5-msgpack peer (python-socketio 5's serializer="msgpack").
SERIALIZER = "default"


def scenario(sio: Any) -> None:
    """The interop scenario on every namespace of NAMESPACES."""
    for namespace in NAMESPACES:
        register(sio, namespace)  # looked up now: tests/contracts/drift_server.py swaps it


async def serve(port: int, setup: Callable[[Any], None]) -> None:
    """Serve an ``AsyncServer`` that ``setup`` gave its handlers, until SIGTERM or SIGINT."""
    extra = {} if SERIALIZER == "default" else {"serializer": SERIALIZER}
    sio = socketio.AsyncServer(async_mode="aiohttp", cors_allowed_origins="*", **extra)
    setup(sio)
    app = web.Application()
    sio.attach(app)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", port)
    await site.start()
    bound = runner.addresses[0][1]
    sys.stdout.write(f"listening {bound}\n")
    sys.stdout.flush()
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    await stop.wait()
    await runner.cleanup()


def main(setup: Callable[[Any], None] = scenario, description: str | None = __doc__) -> None:
    """``--port N`` (0: any); other peers pass their own ``setup`` and docstring."""
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--port", type=int, default=0)
    asyncio.run(serve(parser.parse_args().port, setup))


if __name__ == "__main__":
    main()
