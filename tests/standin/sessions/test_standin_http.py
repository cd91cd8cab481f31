"""Raw HTTP and WebSocket requests against the stand-in (EIO3, EIO4 errors, 0.9).

Requests run in a thread (``deferToThread``) with ``requests``/``websocket-client``
while the reactor serves on 127.0.0.1; every request has a timeout.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any, TypeVar

import pytest_twisted
import requests
import websocket
from twisted.internet import threads

from sioproxy.codec.jsstr import utf16_len
from sioproxy.codec.payload import encode_jsonp_post
from sioproxy.standin.edge.site import StandInSite, listen_standin
from sioproxy.standin.sessions.app import StandInConfig
from sioproxy.types import Generation
from tests.standin.sessions.echo import Recorder, echo_factory

T = TypeVar("T")
WAIT = 10


async def serve_and_run(
    reactor: Any, config: StandInConfig, client: Callable[[str], T]
) -> tuple[T, StandInSite, Recorder]:
    recorder = Recorder()
    port, site = await listen_standin(reactor, "127.0.0.1:0", config, echo_factory(recorder))
    try:
        result = await threads.deferToThread(client, f"127.0.0.1:{port.getHost().port}")
    finally:
        await port.stopListening()
    return result, site, recorder


def eio3_polling(host: str) -> list[tuple[str, Any]]:
    s = requests.Session()
    base = f"http://{host}/socket.io/?EIO=3&transport=polling"
    out: list[tuple[str, Any]] = []
    hs = s.get(base, timeout=WAIT)
    out.append(("handshake", hs.text))
    sid = json.loads(hs.text.split(":", 1)[1].split("2:40")[0][1:])["sid"]
    url = f"{base}&sid={sid}"
    out.append(("post ping", s.post(url, data=b"1:2", timeout=WAIT).text))
    out.append(("get pong", s.get(url, timeout=WAIT).text))
    out.append(("post event", s.post(url, data='9:42["é",1]'.encode(), timeout=WAIT).text))
    out.append(("get echo", s.get(url, timeout=WAIT).text))
    binary_event = '451-["b",{"_placeholder":true,"num":0}]'
    body = f"{len(binary_event)}:{binary_event}6:b4AQID".encode()
    s.post(url, data=body, timeout=WAIT)
    xhr2 = s.get(url, timeout=WAIT)
    out.append(("xhr2", (xhr2.headers["content-type"], xhr2.content)))
    s.post(url, data=body, timeout=WAIT)
    out.append(("b64", s.get(url + "&b64=1", timeout=WAIT).text))
    out.append(("close", s.post(url, data=b"1:1", timeout=WAIT).text))
    gone = s.get(url, timeout=WAIT)
    out.append(("after close", (gone.status_code, gone.json())))
    return out


@pytest_twisted.ensureDeferred
async def test_eio3_polling_vectors(reactor: Any) -> None:
    config = StandInConfig(generation=Generation.EIO3, ping_interval=25, ping_timeout=5)
    out, site, recorder = await serve_and_run(reactor, config, eio3_polling)
    got = dict(out)
    handshake = got["handshake"]
    length, _, rest = handshake.partition(":")
    open_packet = rest[: int(length)]
    assert rest[int(length) :] == "2:40"
    info = json.loads(open_packet[1:])
    assert len(info["sid"]) == 20
    assert ":" not in info["sid"]
    assert (info["upgrades"], info["pingInterval"], info["pingTimeout"]) == (
        ["websocket"],
        25000,
        5000,
    )
    assert got["post ping"] == "ok"
    assert got["get pong"] == "1:3"
    assert got["get echo"] == '9:42["é",1]'
    ctype, body = got["xhr2"]
    header = b'451-["b",{"_placeholder":true,"num":0}]'
    assert ctype == "application/octet-stream"
    digits = bytes(int(c) for c in str(len(header)))  # B.5.2 (c): one byte per digit
    assert body == b"\x00" + digits + b"\xff" + header + b"\x01\x04\xff\x04\x01\x02\x03"
    assert got["b64"] == f"{len(header)}:{header.decode()}6:b4AQID"
    assert got["close"] == "ok"
    assert got["after close"] == (400, {"code": 1, "message": "Session ID unknown"})
    assert recorder.closed == [("c1", "client close")]
    assert site.server.sessions == {}


def eio3_jsonp(host: str) -> list[str]:
    base = f"http://{host}/socket.io/?EIO=3&transport=polling&j=4"
    hs = requests.get(base, timeout=WAIT).text
    payload = json.loads(hs[len("___eio[4](") : -2])
    sid = json.loads(payload.split(":", 1)[1].split("2:40")[0][1:])["sid"]
    url = f"{base}&sid={sid}"
    form = encode_jsonp_post('10:42["a\\nb"]')  # the client's newline escaping (B.6)
    headers = {"content-type": "application/x-www-form-urlencoded"}
    posted = requests.post(url, data=form, headers=headers, timeout=WAIT).text
    return [hs, posted, requests.get(url, timeout=WAIT).text]


@pytest_twisted.ensureDeferred
async def test_eio3_jsonp_polling(reactor: Any) -> None:
    config = StandInConfig(generation=Generation.EIO3)
    (hs, posted, echo), _, recorder = await serve_and_run(reactor, config, eio3_jsonp)
    assert hs.startswith('___eio[4]("')
    assert hs.endswith('2:40");')
    assert posted == "ok"
    assert [p.data for _, p in recorder.packets] == [["a\nb"]]
    assert echo == '___eio[4]("10:42[\\"a\\\\nb\\"]");'


def eio4_errors(host: str) -> list[tuple[int, Any]]:
    base = f"http://{host}/socket.io/"
    cases = [
        requests.get(base + "?EIO=4&transport=polling&sid=nope", timeout=WAIT),
        requests.get(base + "?EIO=4&transport=carrier-pigeon", timeout=WAIT),
        requests.get(base + "?EIO=3&transport=polling", timeout=WAIT),
        requests.post(base + "?EIO=4&transport=polling", data=b"40", timeout=WAIT),
        requests.get(f"http://{host}/elsewhere", timeout=WAIT),
    ]
    return [(r.status_code, r.json() if r.status_code == 400 else r.text) for r in cases]


@pytest_twisted.ensureDeferred
async def test_eio_error_responses(reactor: Any) -> None:
    config = StandInConfig(generation=Generation.EIO4)
    out, _, _ = await serve_and_run(reactor, config, eio4_errors)
    assert out == [
        (400, {"code": 1, "message": "Session ID unknown"}),
        (400, {"code": 0, "message": "Transport unknown"}),
        (400, {"code": 5, "message": "Unsupported protocol version"}),
        (400, {"code": 2, "message": "Bad handshake method"}),
        (404, "Not Found"),
    ]


def legacy_polling(host: str) -> dict[str, Any]:
    s = requests.Session()
    base = f"http://{host}/socket.io/1"
    out: dict[str, Any] = {}
    out["handshake"] = hs = s.get(base + "/?t=1", timeout=WAIT).text
    sid = hs.split(":")[0]
    url = f"{base}/xhr-polling/{sid}"
    out["connect"] = s.get(url, timeout=WAIT).text
    out["post"] = s.post(url, data='5:1+::{"name":"e","args":["😀"]}'.encode(), timeout=WAIT).text
    out["echo"] = s.get(url, timeout=WAIT).text
    out["jsonp handshake"] = s.get(base + "/?jsonp=3", timeout=WAIT).text
    jsonp_url = f"{base}/jsonp-polling/{sid}?i=2"
    s.post(jsonp_url, data={"d": json.dumps("\ufffd5\ufffd3:::a\ufffd5\ufffd3:::b")}, timeout=WAIT)
    out["jsonp echo"] = s.get(jsonp_url, timeout=WAIT).text
    out["disconnect"] = s.get(f"{base}//{sid}/?disconnect=1", timeout=WAIT).text
    out["unknown"] = s.get(url, timeout=WAIT).text
    return out


@pytest_twisted.ensureDeferred
async def test_legacy_polling_and_jsonp(reactor: Any) -> None:
    config = StandInConfig(generation=Generation.LEGACY, heartbeat_timeout=15, close_timeout=10)
    out, site, recorder = await serve_and_run(reactor, config, legacy_polling)
    sid, heartbeat, close, transports = out["handshake"].split(":")
    assert len(sid) == 20
    assert (heartbeat, close, transports) == ("15", "10", "websocket,xhr-polling,jsonp-polling")
    assert out["connect"] == "1::"
    assert out["post"] == "1"
    event = '5:::{"name":"e","args":["😀"]}'
    ack = '6:::1+["😀"]'
    framed = f"\ufffd{utf16_len(event)}\ufffd{event}\ufffd{utf16_len(ack)}\ufffd{ack}"
    assert out["echo"] == framed
    assert out["jsonp handshake"].startswith('io.j[3]("')
    assert out["jsonp handshake"].endswith('");')
    assert out["jsonp echo"] == 'io.j[2]("\ufffd5\ufffd3:::a\ufffd5\ufffd3:::b");'
    assert out["disconnect"] == ""
    assert out["unknown"] == "7:::1+0"
    assert ("c1", "client disconnect") in recorder.closed
    assert sid not in site.server.sessions


def legacy_websocket(host: str) -> list[str]:
    sid = requests.get(f"http://{host}/socket.io/1/", timeout=WAIT).text.split(":")[0]
    ws = websocket.create_connection(f"ws://{host}/socket.io/1/websocket/{sid}", timeout=WAIT)
    try:
        got = [ws.recv()]
        ws.send("1::/chat")
        got.append(ws.recv())
        ws.send('5:7+:/chat:{"name":"hi","args":[1]}')
        got += [ws.recv(), ws.recv()]
        ws.send("0::")
        got.append(ws.recv())
    finally:
        ws.close()
    bad = websocket.create_connection(f"ws://{host}/socket.io/1/websocket/nope", timeout=WAIT)
    try:
        got.append(bad.recv())
    finally:
        bad.close()
    return got


@pytest_twisted.ensureDeferred
async def test_legacy_websocket(reactor: Any) -> None:
    config = StandInConfig(generation=Generation.LEGACY)
    got, _, recorder = await serve_and_run(reactor, config, legacy_websocket)
    assert got == [
        "1::",
        "1::/chat",
        '5::/chat:{"name":"hi","args":[1]}',
        "6:::7+[1]".replace(":::", "::/chat:"),
        "0::",
        "7:::1+0",
    ]
    assert recorder.opened[0].transport == "websocket"
