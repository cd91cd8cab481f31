"""The stand-in's lean WebSocket (``sioproxy.standin.edge.ws``).

Unit tests drive ``StandInWebSocket`` on a ``StringTransport`` with a fake
clock; the socket tests run the stand-in site with the echo app on 127.0.0.1
and talk to it through a plain socket (raw frames: several messages in one
TCP write, fragments, pings, close codes, framing errors) or websocket-client.
Every wait is bounded by a socket timeout; nothing asserts on timing.
"""

from __future__ import annotations

import base64
import json
import os
import socket
from typing import Any

import pytest
import pytest_twisted
import websocket
from twisted.internet import threads
from twisted.internet.task import Clock
from twisted.internet.testing import StringTransport

from sioproxy.codec.wsframe import (
    BINARY,
    CLOSE,
    CONTINUATION,
    PING,
    PONG,
    TEXT,
    FrameReader,
    close_payload,
    encode_frame,
    parse_close,
)
from sioproxy.standin.edge.site import listen_standin
from sioproxy.standin.edge.ws import ABNORMAL, SEND_EARLY, StandInWebSocket
from sioproxy.standin.sessions.app import StandInConfig
from sioproxy.types import Generation
from tests.standin.sessions.echo import Recorder, echo_factory

WAIT = 10.0

# -- unit: StandInWebSocket on a StringTransport -----------------------------


class CountingTransport(StringTransport):
    def __init__(self) -> None:
        super().__init__()
        self.writes = 0

    def write(self, data: bytes) -> None:
        self.writes += 1
        super().write(data)


class Lean:
    """A StandInWebSocket whose app answers each text message with two messages."""

    def __init__(self, max_message: int = 1000) -> None:
        self.clock = Clock()
        self.messages: list[tuple[bytes, bool]] = []
        self.closes: list[tuple[int | None, str]] = []
        self.transport = CountingTransport()
        self.ws = StandInWebSocket(
            reactor=self.clock,
            max_message=max_message,
            on_message=self.on_message,
            on_close=lambda code, reason: self.closes.append((code, reason)),
        )
        self.ws.makeConnection(self.transport)

    def on_message(self, payload: bytes, binary: bool) -> None:
        self.messages.append((payload, binary))
        if not binary:
            self.ws.send_text("a:" + payload.decode())
            self.ws.send_text("b:" + payload.decode())

    def frames(self) -> list[tuple[int, bytes]]:
        _, events = FrameReader(from_client=False, max_message=1 << 20).feed(self.transport.value())
        return [(opcode, payload) for opcode, payload, *_ in events]


def client(opcode: int, payload: bytes, fin: bool = True) -> bytes:
    return encode_frame(opcode, payload, masked=True, fin=fin)


class SendingTransport(CountingTransport):
    """A TCP transport's ``doWrite``: sends what ``write`` buffered (here: notes how much)."""

    def __init__(self) -> None:
        super().__init__()
        self.sent: list[int] = []

    def doWrite(self) -> None:  # noqa: N802 - twisted's name
        self.sent.append(len(self.value()))


def test_many_messages_in_one_read_leave_in_writes_of_send_early_frames() -> None:
    # 40 answers: 16 and 16 sent while the read is handled (the client works on
    # them meanwhile), the last 8 in the write at the end of the read.
    lean = Lean()
    lean.transport = SendingTransport()
    lean.ws.makeConnection(lean.transport)
    lean.ws.dataReceived(b"".join(client(TEXT, f"m{i}".encode()) for i in range(20)))
    assert [p for p, _ in lean.messages] == [f"m{i}".encode() for i in range(20)]
    assert SEND_EARLY == 16
    assert lean.transport.writes == 3
    texts = [f"{k}:m{i}".encode() for i in range(20) for k in "ab"]
    answers = [encode_frame(TEXT, text, masked=False) for text in texts]
    assert lean.transport.sent == [len(b"".join(answers[:16])), len(b"".join(answers[:32]))]
    assert lean.transport.value() == b"".join(answers)


def test_sends_outside_a_read_go_out_at_once() -> None:
    lean = Lean()
    lean.ws.send_text("x" * 200)  # 16-bit length
    lean.ws.send_bytes(b"\x00\x01")
    assert lean.transport.writes == 2
    assert lean.frames() == [(TEXT, b"x" * 200), (BINARY, b"\x00\x01")]


def test_fragmented_message_with_a_ping_between_its_fragments() -> None:
    lean = Lean()
    data = client(TEXT, "hé".encode()[:2], fin=False) + client(PING, b"p1")
    lean.ws.dataReceived(data)
    lean.ws.dataReceived(client(CONTINUATION, "hé".encode()[2:] + b"llo"))
    assert lean.messages == [("héllo".encode(), False)]
    assert lean.frames() == [(PONG, b"p1"), (TEXT, "a:héllo".encode()), (TEXT, "b:héllo".encode())]


def test_binary_message_and_pong_ignored() -> None:
    lean = Lean()
    lean.ws.dataReceived(client(PONG, b"x") + client(BINARY, b"\xff\x00"))
    assert lean.messages == [(b"\xff\x00", True)]
    assert lean.frames() == []


def test_client_close_is_echoed_then_tcp_dropped() -> None:
    lean = Lean()
    lean.ws.dataReceived(client(CLOSE, close_payload(4001, "bye")) + client(TEXT, b"late"))
    assert lean.frames() == [(CLOSE, (4001).to_bytes(2, "big"))]
    assert lean.transport.disconnecting
    assert lean.messages == []  # nothing after the close frame is handled
    lean.ws.connectionLost()
    assert lean.closes == [(4001, "bye")]


def test_client_close_without_a_code() -> None:
    lean = Lean()
    lean.ws.dataReceived(client(CLOSE, b""))
    assert lean.frames() == [(CLOSE, b"")]
    lean.ws.connectionLost()
    assert lean.closes == [(None, "")]


def test_server_close_waits_for_the_client_close_then_drops() -> None:
    lean = Lean()
    lean.ws.close(1000)
    assert lean.frames() == [(CLOSE, close_payload(1000))]
    assert not lean.transport.disconnecting
    lean.ws.send_text("after close")  # dropped: a close frame was sent
    lean.ws.dataReceived(client(TEXT, b"ignored") + client(CLOSE, close_payload(1000)))
    assert lean.messages == []
    assert lean.transport.disconnecting
    assert lean.frames() == [(CLOSE, close_payload(1000))]  # no second close frame


def test_server_close_drops_tcp_when_the_client_never_answers() -> None:
    lean = Lean()
    lean.ws.close(1001, "going away")
    assert not lean.transport.disconnecting
    lean.clock.advance(lean.ws.close_wait)
    assert lean.transport.disconnecting
    lean.ws.connectionLost()
    assert lean.closes == [(ABNORMAL, "")]
    assert not lean.clock.getDelayedCalls()


def test_tcp_lost_without_close_reports_abnormal_once() -> None:
    lean = Lean()
    lean.ws.connectionLost()
    lean.ws.connectionLost()
    assert lean.closes == [(ABNORMAL, "")]


@pytest.mark.parametrize(
    ("data", "code", "bad_close"),
    [
        (encode_frame(TEXT, b"unmasked", masked=False), 1002, False),
        (client(TEXT, b"\xff\xfe"), 1007, False),
        (client(TEXT, b"x" * 101), 1009, False),
        (client(0x3, b""), 1002, False),  # reserved opcode
        (bytes((0xC1, 0x80)) + os.urandom(4), 1002, False),  # RSV1 without an extension
        (client(PING, b"p", fin=False), 1002, False),  # fragmented control frame
        (client(CONTINUATION, b"x"), 1002, False),  # continuation of nothing
        # A bad close frame ends the connection at once (it was the client's close).
        (client(CLOSE, b"\x03"), 1002, True),  # one-byte close body
        (client(CLOSE, (1005).to_bytes(2, "big")), 1002, True),  # code that may not be sent
        (client(CLOSE, (1000).to_bytes(2, "big") + b"\xff"), 1007, True),  # reason not UTF-8
    ],
    ids=[
        "unmasked",
        "bad-utf8",
        "too-big",
        "opcode",
        "rsv",
        "control-fragment",
        "continuation",
        "close-1-byte",
        "close-code",
        "close-reason",
    ],
)
def test_framing_errors_close_with_their_code(data: bytes, code: int, bad_close: bool) -> None:
    lean = Lean(max_message=100)
    lean.ws.dataReceived(client(TEXT, b"ok") + data)
    frames = lean.frames()
    # The whole message before the bad frame, in the same read, is still handled.
    assert [opcode for opcode, _ in frames] == [TEXT, TEXT, CLOSE]
    assert parse_close(frames[-1][1])[0] == code
    lean.ws.dataReceived(client(TEXT, b"after"))
    assert lean.messages == [(b"ok", False)]
    assert lean.transport.disconnecting is bad_close  # else: waits for the client's close


# -- real sockets: a raw client against the stand-in --------------------------


class RawClient:
    """A blocking WebSocket client that writes frames exactly as the test builds them."""

    def __init__(self, port: int, query: str = "EIO=4&transport=websocket") -> None:
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=WAIT)
        key = base64.b64encode(os.urandom(16)).decode()
        head = (
            f"GET /socket.io/?{query} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n"
            "Upgrade: websocket\r\nConnection: Upgrade\r\n"
            f"Sec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n\r\n"
        )
        self.sock.sendall(head.encode())
        self.buf = b""
        while b"\r\n\r\n" not in self.buf:
            self.buf += self._recv()
        status, _, self.buf = self.buf.partition(b"\r\n\r\n")
        assert status.startswith(b"HTTP/1.1 101"), status
        self.reader = FrameReader(from_client=False, max_message=1 << 20)
        self.pending: list[tuple[int, bytes]] = []
        if self.buf:
            self._parse(self.buf)

    def _recv(self) -> bytes:
        data = self.sock.recv(65536)
        if not data:
            raise EOFError("server closed TCP")
        return data

    def _parse(self, data: bytes) -> None:
        _, events = self.reader.feed(data)
        self.pending.extend((opcode, payload) for opcode, payload, *_ in events)

    def frame(self) -> tuple[int, bytes]:
        while not self.pending:
            self._parse(self._recv())
        return self.pending.pop(0)

    def text(self) -> str:
        opcode, payload = self.frame()
        assert opcode == TEXT, (opcode, payload)
        return payload.decode()

    def send(self, *frames: bytes) -> None:
        self.sock.sendall(b"".join(frames))

    def closed_by_server(self) -> bool:
        """Reads to the end: True when the server ended TCP (bounded by the timeout)."""
        try:
            while self.sock.recv(65536):
                pass
        except TimeoutError:
            return False
        return True

    def close(self) -> None:
        self.sock.close()


def text(message: str) -> bytes:
    return client(TEXT, message.encode())


def connected(port: int) -> RawClient:
    raw = RawClient(port)
    assert raw.text().startswith('0{"sid":')
    raw.send(text("40"))
    assert raw.text() == '40{"sid":"s-c1"}'
    return raw


async def serve(reactor: Any, **config: Any) -> tuple[Any, Recorder]:
    recorder = Recorder()
    settings = StandInConfig(generation=Generation.EIO4, **config)
    port, _site = await listen_standin(reactor, "127.0.0.1:0", settings, echo_factory(recorder))
    return port, recorder


def burst(port: int) -> list[str]:
    raw = connected(port)
    try:
        raw.send(*(text(f'42{i}["echo",{i}]') for i in range(100)))
        return [raw.text() for _ in range(200)]
    finally:
        raw.close()


@pytest_twisted.ensureDeferred
async def test_a_hundred_messages_in_one_tcp_write(reactor: Any) -> None:
    port, recorder = await serve(reactor)
    try:
        got = await threads.deferToThread(burst, port.getHost().port)
    finally:
        await port.stopListening()
    want = [m for i in range(100) for m in (f'42["echo",{i}]', f"43{i}[{i}]")]
    assert got == want
    assert len(recorder.packets) == 101


def fragments_and_ping(port: int) -> list[tuple[int, bytes]]:
    raw = connected(port)
    try:
        message = '42["echo","fragmented é"]'.encode()
        raw.send(client(TEXT, message[:5], fin=False), client(PING, b"hi"))
        raw.send(client(CONTINUATION, message[5:12], fin=False))
        raw.send(client(CONTINUATION, message[12:]))
        return [raw.frame(), raw.frame()]
    finally:
        raw.close()


@pytest_twisted.ensureDeferred
async def test_fragments_and_a_ping_over_a_socket(reactor: Any) -> None:
    port, _ = await serve(reactor)
    try:
        got = await threads.deferToThread(fragments_and_ping, port.getHost().port)
    finally:
        await port.stopListening()
    assert got == [(PONG, b"hi"), (TEXT, '42["echo","fragmented é"]'.encode())]


def client_closes(port: int) -> tuple[tuple[int, bytes], bool]:
    raw = connected(port)
    try:
        raw.send(client(CLOSE, close_payload(4000, "done")))
        return raw.frame(), raw.closed_by_server()
    finally:
        raw.close()


@pytest_twisted.ensureDeferred
async def test_client_close_code_is_echoed_and_the_server_ends_tcp(reactor: Any) -> None:
    port, recorder = await serve(reactor)
    try:
        reply, ended = await threads.deferToThread(client_closes, port.getHost().port)
    finally:
        await port.stopListening()
    assert reply == (CLOSE, (4000).to_bytes(2, "big"))
    assert ended
    assert recorder.closed == [("c1", "transport close")]


def server_closes(port: int) -> tuple[list[tuple[int, bytes]], bool]:
    raw = connected(port)
    try:
        raw.send(text('42["close-me"]'))
        frames = [raw.frame()]
        raw.send(client(CLOSE, frames[0][1]))
        return frames, raw.closed_by_server()
    finally:
        raw.close()


@pytest_twisted.ensureDeferred
async def test_server_close_handshake_then_the_server_ends_tcp(reactor: Any) -> None:
    port, recorder = await serve(reactor)
    try:
        frames, ended = await threads.deferToThread(server_closes, port.getHost().port)
    finally:
        await port.stopListening()
    assert frames == [(CLOSE, close_payload(1000))]
    assert ended
    assert recorder.closed == [("c1", "server close")]


def framing_error(port: int, bad: bytes) -> tuple[int | None, bool]:
    raw = connected(port)
    try:
        raw.send(bad)
        opcode, payload = raw.frame()
        assert opcode == CLOSE
        raw.send(client(CLOSE, payload[:2]))
        return parse_close(payload)[0], raw.closed_by_server()
    finally:
        raw.close()


@pytest.mark.parametrize(
    ("bad", "code"),
    [
        (encode_frame(TEXT, b"42[]", masked=False), 1002),
        (client(TEXT, b'42["\xff"]'), 1007),
        (client(TEXT, b"4" * 300), 1009),
    ],
    ids=["unmasked", "bad-utf8", "too-big"],
)
@pytest_twisted.ensureDeferred
async def test_framing_errors_over_a_socket(reactor: Any, bad: bytes, code: int) -> None:
    port, recorder = await serve(reactor, max_payload=200)
    try:
        got, ended = await threads.deferToThread(framing_error, port.getHost().port, bad)
    finally:
        await port.stopListening()
    assert got == code
    assert ended
    assert recorder.closed == [("c1", "transport close")]


def websocket_client(port: int) -> list[str]:
    """websocket-client (a real client library) sends a message in three fragments."""
    ws = websocket.create_connection(
        f"ws://127.0.0.1:{port}/socket.io/?EIO=4&transport=websocket", timeout=WAIT
    )
    try:
        out = [ws.recv()]
        ws.send("40")
        out.append(ws.recv())
        message = json.dumps(["echo", "in pieces"])
        parts = ["42" + message[:4], message[4:9], message[9:]]
        ws.send_frame(websocket.ABNF.create_frame(parts[0], websocket.ABNF.OPCODE_TEXT, fin=0))
        ws.send_frame(websocket.ABNF.create_frame(parts[1], websocket.ABNF.OPCODE_CONT, fin=0))
        ws.send_frame(websocket.ABNF.create_frame(parts[2], websocket.ABNF.OPCODE_CONT, fin=1))
        ws.ping("are you there")
        out.append(ws.recv())
        opcode, frame = ws.recv_data_frame(control_frame=True)
        out.append(f"{opcode}:{frame.data.decode()}")
        return out
    finally:
        ws.close()


@pytest_twisted.ensureDeferred
async def test_websocket_client_fragments_and_ping(reactor: Any) -> None:
    port, _ = await serve(reactor)
    try:
        out = await threads.deferToThread(websocket_client, port.getHost().port)
    finally:
        await port.stopListening()
    assert out[0].startswith('0{"sid":')
    assert out[1:] == ['40{"sid":"s-c1"}', '42["echo","in pieces"]', "10:are you there"]
