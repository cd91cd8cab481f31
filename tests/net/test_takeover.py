"""The autobahn and Twisted behaviour ``sioproxy.net.takeover`` relies on.

A client may send its first frames in the same TCP read as its opening
handshake. autobahn keeps what it read past the handshake in its receive
buffer ``data`` while it calls ``onOpen``, and parses it as frames once
``onOpen`` returns. The proxy and the stand-in take the connection over from
``onOpen``: they take those bytes and autobahn must then parse nothing.

The request guard reads the request line an ``HTTPChannel`` has parsed
before its headers arrive, and the stand-in asks whether a held poll's
client went away: both are Twisted internals, pinned here too.
"""

from __future__ import annotations

import base64
import os
from typing import Any

from autobahn.twisted.websocket import WebSocketServerFactory, WebSocketServerProtocol
from twisted.internet.error import ConnectionDone
from twisted.internet.testing import StringTransport
from twisted.python.failure import Failure
from twisted.web.http import HTTPChannel
from twisted.web.resource import Resource
from twisted.web.server import NOT_DONE_YET, Request, Site

from sioproxy.net.takeover import client_gone, request_line, take_leftover

KEY = base64.b64encode(os.urandom(16))
HANDSHAKE = (
    b"GET /socket.io/?EIO=4&transport=websocket HTTP/1.1\r\n"
    b"Host: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
    b"Sec-WebSocket-Key: " + KEY + b"\r\nSec-WebSocket-Version: 13\r\n\r\n"
)
# A masked client text frame "2probe" (mask 0x00000000 keeps the payload readable).
FRAME = b"\x81\x86\x00\x00\x00\x00" + b"2probe"


class _Taker(WebSocketServerProtocol):  # type: ignore[misc]
    taken: bytes | None = None
    messages: list[Any]

    def onOpen(self) -> None:  # noqa: N802
        self.taken = take_leftover(self)

    def onMessage(self, payload: bytes, is_binary: bool) -> None:  # noqa: N802
        self.messages.append(payload)


class _Keeper(_Taker):
    def onOpen(self) -> None:  # noqa: N802
        self.taken = bytes(self.data)


def _open(cls: type[_Taker]) -> _Taker:
    factory = WebSocketServerFactory("ws://127.0.0.1")
    factory.protocol = cls
    proto = factory.buildProtocol(None)
    proto.messages = []
    proto.makeConnection(StringTransport())
    proto.dataReceived(HANDSHAKE + FRAME)
    return proto


def test_bytes_after_the_handshake_are_in_the_buffer_during_on_open() -> None:
    proto = _open(_Keeper)
    assert proto.taken == FRAME
    # Left in place, autobahn parses them itself once onOpen has returned.
    assert proto.messages == [b"2probe"]


def test_taken_bytes_are_not_parsed_again() -> None:
    proto = _open(_Taker)
    assert proto.taken == FRAME
    assert proto.messages == []
    assert proto.data == b""


class _Hold(Resource):
    isLeaf = True  # noqa: N815 - twisted.web's name

    def __init__(self) -> None:
        super().__init__()  # type: ignore[no-untyped-call]
        self.held: list[Request] = []

    def render_GET(self, request: Request) -> Any:  # noqa: N802
        self.held.append(request)
        return NOT_DONE_YET


def _channel(resource: Resource) -> Any:
    channel = Site(resource).buildProtocol(None)  # type: ignore[no-untyped-call]
    channel.makeConnection(StringTransport())
    return channel


def test_request_line_is_known_before_the_headers() -> None:
    channel = HTTPChannel()  # type: ignore[no-untyped-call]
    channel.makeConnection(StringTransport())
    assert request_line(channel) == (b"GET", b"", b"HTTP/1.1")
    channel.dataReceived(b"POST /socket.io/?EIO=4 HTTP/1.0\r\nHost: x\r\n")
    assert request_line(channel) == (b"POST", b"/socket.io/?EIO=4", b"HTTP/1.0")


def test_client_gone_once_a_held_request_loses_its_connection() -> None:
    resource = _Hold()
    channel = _channel(resource)
    channel.dataReceived(b"GET /poll HTTP/1.1\r\nHost: x\r\n\r\n")
    [request] = resource.held
    assert not client_gone(request)
    channel.connectionLost(Failure(ConnectionDone()))
    assert client_gone(request)
