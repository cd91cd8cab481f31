"""Hostile input for the parsers: many fragments, slow frames, huge polling bodies, deep JSON.

Real sockets against a live ``sioproxy record`` (node socket.io 4 upstream)
and a live ``sioproxy replay``. Each case asserts behaviour: what the peer
sent reaches the other side verbatim (the upstream echoes or acks it), the
recording holds it (decoded, or raw with the reason), ``/health`` answers
and fresh clients are served afterwards. How fast is bench/hostile_linear.py.
"""

from __future__ import annotations

import json
import socket
from pathlib import Path
from typing import Any

import pytest

from sioproxy.codec.limits import BODY_NOTE, MAX_DECODE_CHARS, MAX_JSON_DEPTH, MAX_PACKETS_PER_BODY
from sioproxy.codec.wsframe import MAX_FRAGMENTS, TEXT, encode_frame
from tests.hostile.harness import (
    Stack,
    WsClient,
    assert_survived,
    bystander_ws,
    iter_recording,
    polling_open,
    post,
    start_stack,
    wait_for,
)
from tests.hostile.test_frames import _closed_code
from tests.ops.helpers import http_get, launch_sioproxy, sioproxy_cmd

pytestmark = pytest.mark.interop


def fragments(text: str, empty: int) -> bytes:
    """``text`` as one message: its first byte, ``empty`` empty continuations, the rest."""
    data = text.encode()
    frames = [encode_frame(TEXT, data[:1], masked=True, fin=False)]
    frames += [encode_frame(0, b"", masked=True, fin=False)] * empty
    frames.append(encode_frame(0, data[1:], masked=True))
    return b"".join(frames)


def health_ok(admin: str) -> None:
    assert http_get(f"{admin}/health")[0] == 200


def recorded(stack: Stack, **fields: Any) -> list[dict[str, Any]]:
    return [
        entry
        for entry in iter_recording(stack.out)
        if all(entry.get(k) == v for k, v in fields.items())
    ]


def nested(depth: int) -> str:
    return "[" * depth + "]" * depth


def tracebacks(stack: Stack) -> int:
    return stack.proxy.stderr_text().count("Traceback")


# -- WebSocket framing -----------------------------------------------------------


def test_thousands_of_empty_fragments_are_relayed_as_one_message(stack: Stack) -> None:
    client = WsClient(stack.ws_url())
    try:
        client.open_sio()
        client.ws.sock.sendall(fragments('42["echo","fragmented"]', 5000))
        got = client.recv_until(lambda d: isinstance(d, str) and d.startswith("42"))
        assert got == '42["echo","fragmented"]'  # the upstream got it and echoed it
    finally:
        client.close()
    echoed = '42["echo","fragmented"]'
    wait_for("both in the recording", lambda: len(recorded(stack, raw=echoed)) == 2)
    health_ok(stack.admin)
    assert_survived(stack)


def test_a_message_of_too_many_fragments_is_closed_1009(stack: Stack) -> None:
    client = WsClient(stack.ws_url())
    try:
        client.open_sio()
        client.ws.sock.sendall(fragments('42["echo","too many"]', MAX_FRAGMENTS))
        assert _closed_code(client) == 1009
    finally:
        client.close()
    health_ok(stack.admin)
    assert_survived(stack)


def test_a_frame_dribbled_in_small_reads(stack: Stack) -> None:
    text = '42["echo","' + "d" * 50_000 + '"]'
    frame = encode_frame(TEXT, text.encode(), masked=True)
    client = WsClient(stack.ws_url())
    try:
        client.open_sio()
        client.ws.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        for start in range(0, len(frame), 100):
            client.ws.sock.sendall(frame[start : start + 100])
        got = client.recv_until(lambda d: isinstance(d, str) and d.startswith("42"))
        assert got == text
    finally:
        client.close()
    health_ok(stack.admin)
    assert_survived(stack)


# -- polling bodies over the decoding limit -------------------------------------------


def test_polling_body_over_the_packet_limit_is_relayed_and_recorded_raw(stack: Stack) -> None:
    sid = polling_open(stack)
    body = "6\x1e" * (2 * MAX_PACKETS_PER_BODY) + '421["ack_me","after-the-noops"]'
    assert post(stack, sid, body.encode()) == (200, b"ok")
    url = f"{stack.proxy.url}/socket.io/?EIO=4&transport=polling&sid={sid}"
    answer = http_get(url)[2]
    assert '431["after-the-noops","ack"]' in answer  # the upstream decoded every packet
    (entry,) = wait_for("the raw entry", lambda: recorded(stack, raw=body))
    assert entry["dir"] == "c2s"
    assert f"more than {MAX_PACKETS_PER_BODY} packets" in entry["error"]
    assert entry["note"] == BODY_NOTE
    health_ok(stack.admin)
    assert_survived(stack)


def test_a_body_at_the_packet_limit_is_recorded_whole_and_in_order(stack: Stack) -> None:
    """Logged and recorded in slices across reactor turns (proxy.backlog), none lost."""
    sid = polling_open(stack)
    noops = MAX_PACKETS_PER_BODY - 2
    body = '42["echo","before"]\x1e' + "6\x1e" * noops + '421["ack_me","after"]'
    assert post(stack, sid, body.encode()) == (200, b"ok")
    ws_event = '42["echo","meanwhile"]'
    client = WsClient(stack.ws_url())
    try:
        client.open_sio()
        client.ws.send(ws_event)  # another connection, served while the body is recorded
        client.recv_until(lambda d: d == ws_event)
    finally:
        client.close()

    def body_entries() -> list[dict[str, Any]]:
        first = recorded(stack, raw='42["echo","before"]')
        if not first:
            return []
        conn = first[0]["conn"]
        after = first[0]["seq"]
        entries = [e for e in recorded(stack, conn=conn, dir="c2s") if e["seq"] >= after]
        return entries if entries and entries[-1].get("raw") == '421["ack_me","after"]' else []

    entries = wait_for("the whole body recorded", body_entries)
    assert len(entries) == noops + 2
    assert [e["seq"] for e in entries] == sorted(e["seq"] for e in entries)
    assert all(e.get("raw") == "6" for e in entries[1:-1])
    health_ok(stack.admin)
    assert_survived(stack)


# -- JSON nested deeper than the limit --------------------------------------------------


@pytest.mark.parametrize(
    "payload",
    [
        f'42["echo",{nested(MAX_JSON_DEPTH + 1)}]',
        f'42["echo",{nested(900)}]',
        # A backslash takes redaction off its fast path: it used to walk the packet.
        f'42["echo","a\\n",{nested(500)}]',
    ],
    ids=["limit+1", "900", "500-escaped"],
)
def test_deep_json_over_websocket_is_relayed_and_recorded_raw(stack: Stack, payload: str) -> None:
    before = tracebacks(stack)
    client = WsClient(stack.ws_url())
    try:
        client.open_sio()
        client.ws.send(payload)
        got = client.recv_until(lambda d: isinstance(d, str) and d.startswith("42"))
        assert got == payload  # no 1011: the upstream got it verbatim, its echo came back
    finally:
        client.close()
    entries = wait_for("both directions recorded", lambda: len(recorded(stack, raw=payload)) == 2)
    assert entries
    for entry in recorded(stack, raw=payload):
        assert f"nested deeper than {MAX_JSON_DEPTH} levels" in entry["error"]
    assert tracebacks(stack) == before
    health_ok(stack.admin)
    assert_survived(stack)


def test_deep_json_over_polling_is_relayed_and_recorded_raw(stack: Stack) -> None:
    sid = polling_open(stack)
    payload = f'42["echo","a\\n",{nested(600)}]'
    assert post(stack, sid, payload.encode())[0] == 200
    url = f"{stack.proxy.url}/socket.io/?EIO=4&transport=polling&sid={sid}"
    assert http_get(url)[2] == payload  # the upstream's echo
    wait_for("both directions recorded", lambda: len(recorded(stack, raw=payload)) == 2)
    health_ok(stack.admin)
    assert_survived(stack)


# -- a packet over the decoding size limit ---------------------------------------------


def test_a_packet_over_the_size_limit_is_relayed_and_recorded_raw(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Both ways, verbatim: recorded raw (in slices, recording.slices) with the reason."""
    monkeypatch.setenv("SIO_MAX_HTTP_BUFFER_SIZE", str(8 << 20))
    stack = start_stack(tmp_path, "node-sio4", "--max-body", str(8 << 20))
    try:
        before = tracebacks(stack)
        payload = '42["echo","' + "é" * (MAX_DECODE_CHARS + 300_000) + '"]'
        client = WsClient(stack.ws_url())
        try:
            client.open_sio()
            client.ws.send(payload)
            got = client.recv_until(lambda d: isinstance(d, str) and d.startswith("42"))
            assert got == payload  # the upstream decoded it and echoed it
            client.ws.send('42["echo","after"]')  # and the session goes on
            assert client.recv_until(lambda d: isinstance(d, str) and d.startswith("42")) == (
                '42["echo","after"]'
            )
        finally:
            client.close()
        wait_for("both recorded", lambda: len(recorded(stack, raw=payload)) == 2)
        for entry in recorded(stack, raw=payload):
            assert f"longer than {MAX_DECODE_CHARS} characters" in entry["error"]
            assert "packet" not in entry
        wait_for("the next ones too", lambda: len(recorded(stack, raw='42["echo","after"]')) == 2)
        assert tracebacks(stack) == before
        health_ok(stack.admin)
        assert_survived(stack)
    finally:
        stack.stop()


# -- the replay server's frame reader ------------------------------------------------------


@pytest.fixture(scope="module")
def replay(tmp_path_factory: pytest.TempPathFactory) -> Any:
    """``sioproxy replay`` of three recorded emit-with-ack WebSocket sessions."""
    tmp = Path(tmp_path_factory.mktemp("replay-fragments"))
    recording = start_stack(tmp)
    try:
        for _ in range(3):
            bystander_ws(recording)
    finally:
        recording.stop()
    proxy, admin = launch_sioproxy(
        sioproxy_cmd("replay", str(recording.out), "--listen", "127.0.0.1:0", "--admin", ":0")
    )
    yield proxy, admin
    proxy.stop()


def test_replay_server_reads_thousands_of_fragments(replay: Any) -> None:
    proxy, admin = replay
    url = proxy.url.replace("http://", "ws://") + "/socket.io/?EIO=4&transport=websocket"
    client = WsClient(url)
    try:
        client.open_sio()
        client.ws.sock.sendall(fragments('421["ack_me","still-here"]', 5000))
        got = client.recv_until(lambda d: isinstance(d, str) and d.startswith("43"))
        assert got == '431["still-here","ack"]'  # matched the recording: read as one message
    finally:
        client.close()
    client = WsClient(url)
    try:
        client.open_sio()
        client.ws.sock.sendall(fragments('421["ack_me","still-here"]', MAX_FRAGMENTS))
        assert _closed_code(client) == 1009
    finally:
        client.close()
    health_ok(admin)
    client = WsClient(url)  # the third recorded session, played to a well-behaved client
    try:
        client.open_sio()
        client.ws.send('421["ack_me","still-here"]')
        got = client.recv_until(lambda d: isinstance(d, str) and d.startswith("43"))
        assert got == '431["still-here","ack"]'
    finally:
        client.close()
    assert json.loads(http_get(f"{admin}/health")[2])  # still answering
