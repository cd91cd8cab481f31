"""Recordings written line by line for the web tests (the file format of docs/recording-format.md).

``three_clients`` is a chat session: three EIO4 clients connect, c1 emits
"chat" with an ack, the server broadcasts "chat" to all three and answers
the ack, c2 joins /admin, everybody leaves. ``many_packets`` is one
connection with N events, for the 100,000-row test.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

HEADER = {
    "kind": "header",
    "format": "sioproxy-recording",
    "version": 1,
    "generation": "eio4",
    "created": "2026-12-01T10:00:00.000Z",
    "tool": "sioproxy test",
    "upstream": "http://127.0.0.1:3000",
    "redactions": {"headers": ["Authorization"], "query": ["token"], "auth": True},
}


class Lines:
    def __init__(self) -> None:
        self.seq = 0
        self.out: list[dict[str, Any]] = [HEADER]

    def _next(self, t: float, **fields: Any) -> int:
        self.seq += 1
        self.out.append({"seq": self.seq, "t": t, **fields})
        return self.seq

    def open(self, conn: str, t: float) -> int:
        request = {"method": "GET", "path": "/socket.io/", "query": "EIO=4&transport=websocket"}
        return self._next(
            t,
            kind="open",
            conn=conn,
            generation="eio4",
            transport="websocket",
            sid=None,
            request={**request, "headers": []},
        )

    def sio(
        self,
        conn: str,
        t: float,
        direction: str,
        kind: str,
        data: Any,
        *,
        nsp: str = "/",
        ack_id: int | None = None,
        ack_of: int | None = None,
    ) -> int:
        code = {"connect": "0", "event": "2", "ack": "3"}[kind]
        text = "4" + code + ("" if nsp == "/" else nsp + ",")
        text += "" if ack_id is None else str(ack_id)
        text += "" if data is None else json.dumps(data)
        sio: dict[str, Any] = {"type": kind, "nsp": nsp}
        if data is not None:
            sio["data"] = data
        if ack_id is not None:
            sio["id"] = ack_id
        fields: dict[str, Any] = {"eio": "message", "sio": sio}
        extra = {} if ack_of is None else {"ack_of": ack_of}
        return self._next(
            t,
            kind="packet",
            conn=conn,
            dir=direction,
            transport="websocket",
            raw=text,
            packet=fields,
            **extra,
        )

    def ping(self, conn: str, t: float) -> int:
        return self._next(
            t,
            kind="packet",
            conn=conn,
            dir="s2c",
            transport="websocket",
            raw="2",
            packet={"eio": "ping"},
        )

    def close(self, conn: str, t: float) -> int:
        return self._next(t, kind="close", conn=conn, reason="websocket closed (1000)", by="c2s")

    def text(self) -> str:
        return "".join(json.dumps(o, ensure_ascii=False) + "\n" for o in self.out)


def three_clients() -> Lines:
    rec = Lines()
    t = 0.0
    for conn in ("c1", "c2", "c3"):
        rec.open(conn, t := t + 0.01)
        rec.sio(conn, t := t + 0.01, "c2s", "connect", None)
        rec.sio(conn, t := t + 0.01, "s2c", "connect", {"sid": f"s-{conn}"})
    request = rec.sio("c1", t := t + 0.01, "c2s", "event", ["chat", "hi all"], ack_id=1)
    for conn in ("c1", "c2", "c3"):  # the broadcast: one cause, three arrows
        rec.sio(conn, t := t + 0.001, "s2c", "event", ["chat", {"from": "c1", "text": "hi all"}])
    rec.sio("c1", t := t + 0.001, "s2c", "ack", [{"ok": True}], ack_id=1, ack_of=request)
    rec.ping("c2", t := t + 0.01)
    rec.sio("c2", t := t + 5.0, "c2s", "connect", None, nsp="/admin")  # after a 5 s gap
    rec.sio("c2", t := t + 0.01, "s2c", "connect", {"sid": "a-c2"}, nsp="/admin")
    for conn in ("c1", "c2", "c3"):
        rec.close(conn, t := t + 0.01)
    return rec


def many_packets(count: int) -> Iterator[str]:
    """The lines of a recording with one connection and ``count`` events (and its open)."""
    yield json.dumps(HEADER) + "\n"
    yield (
        json.dumps(
            {
                "kind": "open",
                "seq": 1,
                "conn": "c1",
                "t": 0.0,
                "generation": "eio4",
                "transport": "websocket",
                "sid": None,
                "request": {
                    "method": "GET",
                    "path": "/socket.io/",
                    "query": "EIO=4",
                    "headers": [],
                },
            }
        )
        + "\n"
    )
    for n in range(2, count + 2):
        data = ["tick", n]
        raw = "42" + json.dumps(data)
        packet = {"eio": "message", "sio": {"type": "event", "nsp": "/", "data": data}}
        yield (
            json.dumps(
                {
                    "kind": "packet",
                    "seq": n,
                    "conn": "c1",
                    "t": n / 1000,
                    "dir": "s2c",
                    "transport": "websocket",
                    "raw": raw,
                    "packet": packet,
                }
            )
            + "\n"
        )


def write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path
