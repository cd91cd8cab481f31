"""The multi-room chat of server4.js on python-socketio 5 (aiohttp), for the causal replay tests.

"/": auth {user}; join(room) -> ack {joined: room}, tells the others in the
room ("joined") and asks the client to confirm (a server-initiated ack,
answered with "confirmed"); say(text) -> broadcasts "said" {from, text} to the
room, sender included, and acks "ok". "/admin" says "hello-admin" {user} to
whoever joins it. CHAT_DRIFT=said adds a "!" to every "said" text. Prints
``listening <port>`` and serves on 127.0.0.1 until SIGTERM: the serving is
the python peers' own (tests/peers/python/sio_server.py).
"""

from __future__ import annotations

import asyncio
import os
import pathlib
import sys
from typing import Any

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[1] / "python"))

import sio_server

PENDING = sio_server.PENDING


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


if __name__ == "__main__":
    sio_server.main(chat, __doc__)
