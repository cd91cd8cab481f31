"""A synthetic 3-client chat recording for the replay benchmarks (bench/run.py, row ``replay``).

Layer: a benchmark helper, not part of the package. alice, bob and carol
(``c1``-``c3``, Engine.IO 4 / Socket.IO v5 over WebSocket) connect with
``auth {"user": NAME}``; then, ``rounds`` times, one of them in turn says
``m<i>`` with an ack: the server acks ``"ok"`` to the speaker and broadcasts
``said {"from", "text"}`` to all three, the speaker's copy first. Every
broadcast copy on another connection is caused by the speaker's ``say``
(docs/replay.md, "Causes"), so a replay must follow the conversation.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

USERS = ("alice", "bob", "carol")


class _Writer:
    def __init__(self) -> None:
        self.lines: list[dict[str, Any]] = [
            {
                "kind": "header",
                "format": "sioproxy-recording",
                "version": 1,
                "generation": None,
                "created": "2026-12-02T00:00:00.000Z",
                "tool": "sioproxy bench",
                "upstream": "http://127.0.0.1:3000",
                "redactions": {"headers": [], "query": [], "auth": False},
            }
        ]
        self.seq = 0
        self.t = 0.0

    def _next(self) -> tuple[int, float]:
        self.seq += 1
        self.t += 0.0001
        return self.seq, round(self.t, 6)

    def open(self, conn: str) -> None:
        seq, t = self._next()
        request = {"method": "GET", "path": "/socket.io/", "query": "EIO=4", "headers": []}
        self.lines.append(
            {"kind": "open", "seq": seq, "conn": conn, "t": t, "generation": "eio4"}
            | {"transport": "websocket", "sid": None, "request": request}
        )

    def packet(self, conn: str, direction: str, sio: dict[str, Any], **extra: Any) -> int:
        seq, t = self._next()
        raw = "4" + _sio_text(sio)
        self.lines.append(
            {"kind": "packet", "seq": seq, "conn": conn, "t": t, "dir": direction}
            | {"transport": "websocket", "raw": raw, "packet": {"eio": "message", "sio": sio}}
            | extra
        )
        return seq


def _sio_text(sio: dict[str, Any]) -> str:
    kind = {"connect": "0", "event": "2", "ack": "3"}[sio["type"]]
    ack_id = "" if sio.get("id") is None else str(sio["id"])
    data = "" if sio.get("data") is None else json.dumps(sio["data"], separators=(",", ":"))
    return kind + ack_id + data


def write_chat(path: Path, rounds: int) -> int:
    """Write the recording; returns how many application packets it holds."""
    w = _Writer()
    for n, user in enumerate(USERS, start=1):
        conn = f"c{n}"
        w.open(conn)
        w.packet(conn, "c2s", {"type": "connect", "nsp": "/", "data": {"user": user}})
        w.packet(conn, "s2c", {"type": "connect", "nsp": "/", "data": {"sid": f"sid-{user}"}})
    for i in range(rounds):
        speaker = i % len(USERS)
        conn = f"c{speaker + 1}"
        said = {"from": USERS[speaker], "text": f"m{i}"}
        request = w.packet(
            conn, "c2s", {"type": "event", "nsp": "/", "id": i, "data": ["say", f"m{i}"]}
        )
        for other in [speaker, *(k for k in range(len(USERS)) if k != speaker)]:
            copy = {"type": "event", "nsp": "/", "data": ["said", said]}
            w.packet(f"c{other + 1}", "s2c", copy)
        w.packet(conn, "s2c", {"type": "ack", "nsp": "/", "id": i, "data": ["ok"]}, ack_of=request)
    with path.open("w", encoding="utf-8") as out:
        for line in w.lines:
            out.write(json.dumps(line, separators=(",", ":")) + "\n")
    return sum(1 for line in w.lines if line["kind"] == "packet")
