"""Demo Socket.IO server (python-socketio on aiohttp): a chat room with acks.

Run: ``python -m sioproxy.demo.server --port 0``; the first stdout line is
``listening <port>``.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from typing import Any

import socketio
from aiohttp import web


def build_app() -> web.Application:
    sio = socketio.AsyncServer(async_mode="aiohttp", cors_allowed_origins="*")
    app = web.Application()
    sio.attach(app)

    async def connect(sid: str, environ: dict[str, Any], auth: Any = None) -> None:
        await sio.emit("welcome", {"motd": "Welcome to the sioproxy demo ☕"}, to=sid)

    async def chat(sid: str, text: str) -> dict[str, Any]:
        await sio.emit("chat", {"from": "demo-user", "text": text}, to=sid)
        return {"ok": True, "length": len(text)}

    async def add(sid: str, a: int, b: int) -> int:
        return a + b

    async def ping_me(sid: str) -> None:
        answer = await sio.call("are_you_there", {"question": "ping?"}, to=sid, timeout=5)
        await sio.emit("pong_received", answer, to=sid)

    async def upload(sid: str, blob: bytes) -> dict[str, Any]:
        return {"size": len(blob), "reversed": blob[::-1]}

    async def admin_echo(sid: str, *args: Any) -> None:
        await sio.emit("echo", list(args), to=sid, namespace="/admin")

    sio.on("connect", connect)
    sio.on("chat", chat)
    sio.on("add", add)
    sio.on("ping_me", ping_me)
    sio.on("upload", upload)
    sio.on("echo", admin_echo, namespace="/admin")
    return app


async def serve(host: str, port: int) -> None:
    runner = web.AppRunner(build_app())
    await runner.setup()
    site = web.TCPSite(runner, host, port)
    await site.start()
    server = site._server
    assert server is not None
    bound = getattr(server, "sockets")[0].getsockname()[1]  # noqa: B009 (not in the stubs)
    print(f"listening {bound}", flush=True)
    await asyncio.Event().wait()


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="sioproxy demo Socket.IO server")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=5000)
    args = parser.parse_args(argv)
    try:
        asyncio.run(serve(args.host, args.port))
    except KeyboardInterrupt:
        sys.exit(0)


if __name__ == "__main__":
    main()
