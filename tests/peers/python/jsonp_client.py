"""A raw JSONP-polling Socket.IO client (standard library only) for the interop scenario.

node clients cannot do JSONP outside a browser, so this speaks it by hand:

* Socket.IO 0.9 (docs/protocol.md#a2, A.3.3): handshake ``GET /socket.io/1/?jsonp=0`` answered
  ``io.j[0]("<sid>:<hb>:<close>:<transports>");``, polls ``GET .../jsonp-polling/<sid>?i=0``
  answered ``io.j[0]("<payload>");``, sends ``POST`` form ``d=<JSON string of the payload>``.
* Engine.IO 3 (docs/protocol.md#b5-2, B.6): ``...&transport=polling&j=0`` answered
  ``___eio[0]("<payload>");`` with length-prefixed text payloads; ``POST`` form ``d=<payload>``.

Both count payload lengths in UTF-16 code units. It runs the reduced scenario (connect, echo
with non-ASCII and emoji, ack_me, disconnect) and prints the usual transcript line.
"""

from __future__ import annotations

import argparse
import itertools
import json
import re
import sys
import urllib.error
import urllib.parse
import urllib.request
from typing import Any

sys.path.insert(0, __file__.rsplit("/", 1)[0])

from scenario import Inbox, Transcript, first_echo, run_main

HTTP_TIMEOUT = 10.0
FFFD = "\ufffd"
JSONP_09 = re.compile(r"^io\.j\[(\d+)\]\((.*)\);$", re.DOTALL)
JSONP_EIO = re.compile(r"^___eio\[(\d+)\]\((.*)\);$", re.DOTALL)


def utf16_len(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


def utf16_take(text: str, start: int, units: int) -> tuple[str, int]:
    """Take ``units`` UTF-16 code units of ``text`` from code point ``start``."""
    taken, count, i = [], 0, start
    while count < units:
        if i >= len(text):
            raise ValueError(f"payload shorter than its declared length {units}")
        taken.append(text[i])
        count += 2 if ord(text[i]) > 0xFFFF else 1
        i += 1
    if count != units:
        raise ValueError("declared length splits a surrogate pair")
    return "".join(taken), i


class Http:
    """GET/POST with a deterministic cache-buster (no clocks in the wire)."""

    def __init__(self, base: str) -> None:
        self.base = base.rstrip("/")
        self._t = itertools.count()

    def url(self, path: str, query: dict[str, str]) -> str:
        q = dict(query, t=str(next(self._t)))
        return f"{self.base}{path}?{urllib.parse.urlencode(q)}"

    def get(self, path: str, query: dict[str, str]) -> str:
        with urllib.request.urlopen(self.url(path, query), timeout=HTTP_TIMEOUT) as resp:
            return str(resp.read().decode("utf-8"))

    def post_form(self, path: str, query: dict[str, str], d: str) -> str:
        body = urllib.parse.urlencode({"d": d}).encode("ascii")
        req = urllib.request.Request(
            self.url(path, query),
            data=body,
            headers={"Content-Type": "application/x-www-form-urlencoded"},
        )
        with urllib.request.urlopen(req, timeout=HTTP_TIMEOUT) as resp:
            return str(resp.read().decode("utf-8"))


def unwrap(pattern: re.Pattern[str], body: str) -> str:
    match = pattern.match(body)
    if match is None:
        raise ValueError(f"not a JSONP answer: {body[:200]!r}")
    return str(json.loads(match.group(2)))


class Sio09:
    """Socket.IO 0.9 over jsonp-polling; endpoint "" only."""

    def __init__(self, base: str) -> None:
        self.http = Http(base)
        handshake = unwrap(JSONP_09, self.http.get("/socket.io/1/", {"jsonp": "0"}))
        self.sid = handshake.split(":")[0]
        self.path = f"/socket.io/1/jsonp-polling/{self.sid}"
        self._ids = itertools.count(1)

    def poll(self) -> list[str]:
        payload = unwrap(JSONP_09, self.http.get(self.path, {"i": "0"}))
        if not payload.startswith(FFFD):
            return [payload]
        packets, i = [], 0
        while i < len(payload):
            end = payload.index(FFFD, i + 1)
            packet, i = utf16_take(payload, end + 1, int(payload[i + 1 : end]))
            packets.append(packet)
        return packets

    def send(self, packet: str) -> None:
        self.http.post_form(self.path, {"i": "0"}, json.dumps(packet, ensure_ascii=False))

    def emit(self, name: str, args: list[Any], ack: bool) -> int | None:
        ack_id = next(self._ids) if ack else None
        ident = f"{ack_id}+" if ack_id else ""
        self.send(f"5:{ident}::" + json.dumps({"name": name, "args": args}, ensure_ascii=False))
        return ack_id

    def decode(self, packet: str) -> list[Any] | None:
        kind, _ident, endpoint, data = [*packet.split(":", 3), "", "", ""][:4]
        if endpoint:
            return ["unexpected", packet]
        if kind == "1":
            return ["connect"]
        if kind == "5":
            event = json.loads(data)
            return ["event", event["name"], event.get("args", [])]
        if kind == "6":
            ack_id, _, args = data.partition("+")
            return ["ack", int(ack_id), json.loads(args) if args else []]
        if kind in ("2", "8"):
            return None  # heartbeat / noop
        return ["unexpected", packet]

    def close(self) -> None:
        self.send("0::")


class Eio3:
    """Engine.IO 3 / Socket.IO v4 over JSONP polling; namespace "/" only."""

    def __init__(self, base: str) -> None:
        self.http = Http(base)
        self.query = {"EIO": "3", "transport": "polling", "j": "0"}
        self._buffer: list[str] = []
        packets = self._get()
        if not packets or not packets[0].startswith("0"):
            raise ValueError(f"no open packet in {packets!r}")
        self.query["sid"] = json.loads(packets[0][1:])["sid"]
        self._buffer = packets[1:]
        self._ids = itertools.count(0)

    def _get(self) -> list[str]:
        payload = unwrap(JSONP_EIO, self.http.get("/socket.io/", self.query))
        packets, i = [], 0
        while i < len(payload):
            colon = payload.index(":", i)
            packet, i = utf16_take(payload, colon + 1, int(payload[i:colon]))
            packets.append(packet)
        return packets

    def poll(self) -> list[str]:
        if self._buffer:
            out, self._buffer = self._buffer, []
            return out
        return self._get()

    def send(self, *packets: str) -> None:
        payload = "".join(f"{utf16_len(p)}:{p}" for p in packets)
        # engine.io-client's JSONP escaping (docs/protocol.md#b6): an escaped newline gets a
        # backslash before a real newline, then every real newline becomes "\\n".
        payload = payload.replace("\\n", "\\\n").replace("\n", "\\n")
        self.http.post_form("/socket.io/", self.query, payload)

    def emit(self, name: str, args: list[Any], ack: bool) -> int | None:
        ack_id = next(self._ids) if ack else None
        ident = "" if ack_id is None else str(ack_id)
        self.send(f"42{ident}" + json.dumps([name, *args], ensure_ascii=False))
        return ack_id

    def decode(self, packet: str) -> list[Any] | None:
        if packet in ("3", "6") or packet.startswith("3"):
            return None  # pong / noop
        if packet == "40":
            return ["connect"]
        match = re.match(r"^4([23])(\d*)(.*)$", packet, re.DOTALL)
        if match is None:
            return ["unexpected", packet]
        kind, ident, data = match.groups()
        body = json.loads(data)
        if kind == "2":
            return ["event", body[0], body[1:]]
        return ["ack", int(ident), body]

    def close(self) -> None:
        self.send("41", "1")


def detect(base: str) -> str:
    """0.9 answers the /socket.io/1/ handshake; engine.io refuses it (no transport)."""
    try:
        unwrap(JSONP_09, Http(base).get("/socket.io/1/", {"jsonp": "0"}))
    except (urllib.error.HTTPError, ValueError):
        return "eio3"
    return "0.9"


def scenario(opts: argparse.Namespace) -> dict[str, Any]:
    generation = detect(opts.url) if opts.generation == "auto" else opts.generation
    conn: Sio09 | Eio3 = Sio09(opts.url) if generation == "0.9" else Eio3(opts.url)
    names: dict[int, str] = {}

    def pump(_left: float) -> None:
        for packet in conn.poll():
            item = conn.decode(packet)
            if item is not None and item[0] == "ack":
                item[1] = names.pop(item[1], f"unknown ack id {item[1]}")
            if item is not None:
                inbox.push(item)

    def acked(name: str, *args: Any) -> None:
        ack_id = conn.emit(name, list(args), ack=True)
        assert ack_id is not None
        names[ack_id] = name

    t = Transcript()
    del t.namespaces["/chat"]
    inbox = Inbox("/", pump)
    t.expect(inbox, "/", "connect")
    if opts.extra_ack_first:
        acked("ack_me", "warmup")
        t.warmup = inbox.next("warmup ack")[2]
    conn.emit("echo", first_echo(opts.echo_text), ack=False)
    t.expect(inbox, "/", "event:echo")
    acked("ack_me", "x")
    t.expect(inbox, "/", "ack:ack_me")
    conn.close()
    return t.result("jsonp-polling")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--url", required=True)
    parser.add_argument("--transport", choices=["jsonp-polling"], default="jsonp-polling")
    parser.add_argument("--generation", choices=["auto", "0.9", "eio3"], default="auto")
    parser.add_argument("--extra-ack-first", action="store_true")
    parser.add_argument("--echo-text", default=None)
    opts = parser.parse_args()
    run_main(lambda: scenario(opts))


if __name__ == "__main__":
    main()
