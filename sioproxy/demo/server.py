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

    @sio.event
    async def connect(sid: str, environ: dict[str, Any], auth: Any = None) -> None:
        await sio.emit("welcome", {"motd": "Welcome to the sioproxy demo ☕"}, to=sid)

    @sio.on("chat")
    async def chat(sid: str, text: str) -> dict[str, Any]:
        await sio.emit("chat", {"from": "demo-user", "text": text}, to=sid)
        return {"ok": True, "length": len(text)}

    @sio.on("add")
    async def add(sid: str, a: int, b: int) -> int:
        return a + b

    @sio.on("ping_me")
    async def ping_me(sid: str) -> None:
        answer = await sio.call("are_you_there", {"question": "ping?"}, to=sid, timeout=5)
        await sio.emit("pong_received", answer, to=sid)

    @sio.on("upload")
    async def upload(sid: str, blob: bytes) -> dict[str, Any]:
        return {"size": len(blob), "reversed": blob[::-1]}

    @sio.on("echo", namespace="/admin")
    async def admin_echo(sid: str, *args: Any) -> None:
        await sio.emit("echo", list(args), to=sid, namespace="/admin")

    return app


async def serve(host: str, port: int) -> None:
    runner = web.AppRunner(build_app())
    await runner.setup()
    site = web.TCPSite(runner, host, port)
    await site.start()
    server = site._server
    assert server is not None
    bound = server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
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
