"""The multi-room chat of server4.js on python-socketio 5 (aiohttp), for the causal replay tests.

"/": auth {user}; join(room) -> ack {joined: room}, tells the others in the
room ("joined") and asks the client to confirm (a server-initiated ack,
answered with "confirmed"); say(text) -> broadcasts "said" {from, text} to the
room, sender included, and acks "ok". "/admin" says "hello-admin" {user} to
whoever joins it. CHAT_DRIFT=said adds a "!" to every "said" text. Prints
``listening <port>`` and serves on 127.0.0.1 until SIGTERM, like the other peers.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import signal
import sys
from typing import Any

import socketio
from aiohttp import web

PENDING: set[asyncio.Task[None]] = set()


def chat(sio: Any) -> None:
    users: dict[str, str] = {}
    rooms: dict[str, str] = {}
    drift = os.environ.get("CHAT_DRIFT", "")

    async def connect(sid: str, environ: Any, auth: Any = None) -> None:
        users[sid] = str((auth or {}).get("user", "anonymous"))

    async def join(sid: str, name: Any) -> dict[str, str]:
        room = rooms[sid] = str(name)
        await sio.enter_room(sid, room)
        await sio.emit("joined", users[sid], room=room, skip_sid=sid)
        loop = asyncio.get_running_loop()

        def answered(answer: Any = None) -> None:
            task = loop.create_task(sio.emit("confirmed", answer, to=sid))
            PENDING.add(task)
            task.add_done_callback(PENDING.discard)

        await sio.emit("confirm", room, to=sid, callback=answered)
        return {"joined": room}

    async def say(sid: str, text: Any) -> str:
        room = rooms.get(sid)
        said = f"{text}!" if drift == "said" else text
        if room is not None:
            await sio.emit("said", {"from": users[sid], "text": said}, room=room)
        return "ok"

    async def admin(sid: str, environ: Any, auth: Any = None) -> None:
        user = str((auth or {}).get("user"))
        await sio.emit("hello-admin", {"user": user}, to=sid, namespace="/admin")

    sio.on("connect", connect)
    sio.on("join", join)
    sio.on("say", say)
    sio.on("connect", admin, namespace="/admin")


async def serve(port: int) -> None:
    sio = socketio.AsyncServer(async_mode="aiohttp", cors_allowed_origins="*")
    chat(sio)
    app = web.Application()
    sio.attach(app)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", port)
    await site.start()
    sys.stdout.write(f"listening {runner.addresses[0][1]}\n")
    sys.stdout.flush()
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    await stop.wait()
    await runner.cleanup()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--port", type=int, default=0)
    asyncio.run(serve(parser.parse_args().port))


if __name__ == "__main__":
    main()
