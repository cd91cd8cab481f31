"""Hostile websocket peers through the live proxy: garbage, oversize, bad UTF-8, binary.

Each case: the proxy stays up, other connections still work (``assert_survived``),
the case shows in the packet log and in ``/metrics``.
"""

from __future__ import annotations

import pytest
import websocket

from tests.hostile.harness import (
    MAX_BODY,
    Stack,
    WsClient,
    assert_survived,
    log_has,
    metric,
    wait_for,
    wait_for_log,
)

pytestmark = pytest.mark.interop

C2S_ERRORS = 'sioproxy_decode_errors_total{direction="c2s"}'


def _closed_code(client: WsClient) -> int | None:
    """Read until the proxy closes the socket; the close code it sent, if any."""
    for _ in range(100):
        try:
            opcode, frame = client.ws.recv_data_frame(True)
        except (websocket.WebSocketConnectionClosedException, ConnectionError):
            return None
        if opcode == websocket.ABNF.OPCODE_CLOSE:
            data = frame.data
            return int.from_bytes(data[:2], "big") if len(data) >= 2 else None
    raise AssertionError("the proxy never closed the connection")


def test_garbage_frames_are_logged_counted_and_relayed(stack: Stack) -> None:
    before = metric(stack.admin, C2S_ERRORS)
    client = WsClient(stack.ws_url())
    try:
        client.open_sio()
        client.ws.send("zzz not a packet")
        client.ws.send("4" + "[" * 5000)  # deep nesting in a message packet
        client.ws.send_binary(b"\x00\xff garbage")  # binary with no header pending
    finally:
        client.close()
    wait_for("three c2s decode errors", lambda: metric(stack.admin, C2S_ERRORS) >= before + 3)
    wait_for_log(stack.proxy, r"-> websocket DECODE ERROR .*zzz not a packet")
    assert_survived(stack)


def test_oversized_websocket_message_is_closed_with_1009(stack: Stack) -> None:
    client = WsClient(stack.ws_url())
    try:
        client.open_sio()
        client.ws.send("42" + '["echo","' + "x" * MAX_BODY + '"]')
        assert _closed_code(client) == 1009  # RFC 6455 "message too big"
    finally:
        client.close()
    wait_for(
        "the close in the log", lambda: log_has(stack.proxy, r"close: websocket closed \(1009 ")
    )
    assert_survived(stack)


def test_invalid_utf8_text_frame_is_closed_with_1007(stack: Stack) -> None:
    client = WsClient(stack.ws_url())
    try:
        client.open_sio()
        frame = websocket.ABNF.create_frame(b'42["echo","\xff\xfe"]', websocket.ABNF.OPCODE_TEXT)
        client.ws.sock.sendall(frame.format())  # websocket-client would not send it itself
        assert _closed_code(client) == 1007  # RFC 6455 "invalid frame payload data"
    finally:
        client.close()
    wait_for(
        "the close in the log", lambda: log_has(stack.proxy, r"close: websocket closed \(1007 ")
    )
    assert_survived(stack)


def test_truncated_binary_attachments_then_disconnect(stack: Stack) -> None:
    """A header announcing two attachments, one sent, then the client hangs up."""
    client = WsClient(stack.ws_url())
    try:
        client.open_sio()
        holders = ",".join(f'{{"_placeholder":true,"num":{n}}}' for n in (0, 1))
        client.ws.send(f'452-["bin",{holders}]')
        client.ws.send_binary(b"\x01\x02")
    finally:
        client.close()
    wait_for("the close", lambda: log_has(stack.proxy, r"c\d+ close by client"))
    assert_survived(stack)


def test_attachment_count_that_never_completes(stack: Stack) -> None:
    """Text arrives while attachments are pending: a decode error, and the session goes on."""
    before = metric(stack.admin, C2S_ERRORS)
    client = WsClient(stack.ws_url())
    try:
        client.open_sio()
        client.ws.send('453-["bin",{"_placeholder":true,"num":0}]')
        client.ws.send_binary(b"\x01")
        client.ws.send('421["ack_me","after"]')  # breaks the pending binary packet
    finally:
        client.close()
    wait_for("a decode error", lambda: metric(stack.admin, C2S_ERRORS) >= before + 1)
    wait_for_log(stack.proxy, r"DECODE ERROR .*plaintext data when reconstructing")
    assert_survived(stack)


def test_websocket_upgrade_for_unknown_sid_is_refused(stack: Stack) -> None:
    before = metric(stack.admin, "sioproxy_upstream_errors_total")
    with pytest.raises(websocket.WebSocketBadStatusException) as info:
        WsClient(stack.ws_url("EIO=4&transport=websocket&sid=no-such-sid"))
    assert info.value.status_code == 400  # the upstream's own refusal, passed through
    wait_for(
        "the refusal counted",
        lambda: metric(stack.admin, "sioproxy_upstream_errors_total") >= before + 1,
    )
    wait_for_log(stack.proxy, r"upstream error on GET /socket.io/")
    assert_survived(stack)
