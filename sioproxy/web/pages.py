"""Resources of the inspector's server that answer from its hub: ``/packet``, ``/pictures.json``.

Layer: edge (Twisted web). The hub is :class:`sioproxy.web.server.WebHub`;
what they answer comes from the pure modules (:mod:`sioproxy.web.packets`,
:mod:`sioproxy.web.sequence`).
"""

from __future__ import annotations

import json
from typing import Any

from twisted.internet import threads
from twisted.web.resource import Resource
from twisted.web.server import NOT_DONE_YET

from sioproxy.net.takeover import client_gone


def refuse(request: Any, status: int, message: str) -> bytes:
    """A plain-text error answer: one line."""
    request.setResponseCode(status)
    request.setHeader(b"content-type", b"text/plain; charset=utf-8")
    return (message + "\n").encode("utf-8")


def query_int(request: Any, name: bytes) -> int | None:
    try:
        return int((request.args.get(name) or [b""])[0])
    except ValueError:
        return None


class HubPage(Resource):
    """A leaf resource answering GET from the hub, never cached."""

    isLeaf = True  # noqa: N815 - twisted.web's name

    def __init__(self, hub: Any) -> None:
        super().__init__()  # type: ignore[no-untyped-call]
        self.hub = hub

    def render_GET(self, request: Any) -> bytes:  # noqa: N802 - twisted names it
        request.setHeader(b"cache-control", b"no-store")
        return self.answer(request)

    def answer(self, request: Any) -> bytes:
        raise NotImplementedError


class PacketPage(HubPage):
    """``/packet?file=F&seq=N``: the entry the detail pane shows for a clicked row."""

    def answer(self, request: Any) -> bytes:
        file, seq = query_int(request, b"file") or 0, query_int(request, b"seq")
        if seq is None:
            return refuse(request, 400, "seq=N is required")
        found = None if self.hub.packet is None else self.hub.packet(file, seq)
        if found is None:
            why = "gone from the ring, or not on disk yet"
            return refuse(request, 404, f"entry #{seq} is not held here ({why})")
        request.setHeader(b"content-type", b"application/json; charset=utf-8")
        return str(found).encode("utf-8")


class PicturesPage(HubPage):
    """``/pictures.json``: [title, svg] per session; ``?file=F&conn=C``: that connection's.

    Drawn in a thread from a copy of the ring: the pictures of a full ring take seconds of
    Python, and the relay must go on meanwhile (it shares the interpreter, not the reactor).
    """

    def render_GET(self, request: Any) -> int:  # type: ignore[override]  # noqa: N802
        request.setHeader(b"cache-control", b"no-store")
        request.setHeader(b"content-type", b"application/json; charset=utf-8")
        conn = request.args.get(b"conn")
        which = None if not conn else (query_int(request, b"file") or 0, conn[0].decode())
        job = self.hub.pictures_job(which)
        drawn = threads.deferToThread(lambda: json.dumps(job(), ensure_ascii=False).encode())
        drawn.addCallbacks(lambda body: _finish(request, body), lambda f: _failed(request, f))
        return NOT_DONE_YET


def _finish(request: Any, body: bytes) -> None:
    if not request.finished and not client_gone(request):
        request.write(body)
        request.finish()


def _failed(request: Any, failure: Any) -> None:
    if not request.finished and not client_gone(request):
        request.setResponseCode(500)
        request.write(f"pictures failed: {failure.getErrorMessage()}\n".encode())
        request.finish()
