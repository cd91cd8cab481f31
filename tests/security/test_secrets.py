"""Secrets are redacted by default: known values go through ``sioproxy record``
(query parameters, Cookie, Authorization, the CONNECT auth payload, on both
transports) and must appear nowhere in the recording, the log or stderr."""

from __future__ import annotations

import http.client
import json
from pathlib import Path

import pytest

from tests.hostile.harness import WsClient, start_stack, wait_for
from tests.interop.conftest import require_installed

pytestmark = pytest.mark.interop

SECRETS = {
    "query_token": "Sekr1t-query-token-4f1a",
    "query_access": "Sekr1t-access-token-77c2",
    "query_password": "Sekr1t-password-90d3",
    "cookie": "Sekr1t-cookie-5e6b",
    "authorization": "Sekr1t-bearer-0a8e",
    "connect_auth": "Sekr1t-connect-auth-c3d9",
}


def _query(transport: str) -> str:
    return (
        f"EIO=4&transport={transport}&token={SECRETS['query_token']}"
        f"&access_token={SECRETS['query_access']}&password={SECRETS['query_password']}"
    )


HEADERS = {
    "Cookie": f"session={SECRETS['cookie']}",
    "Authorization": f"Bearer {SECRETS['authorization']}",
}
CONNECT = "40" + json.dumps({"token": SECRETS["connect_auth"]})


def _websocket_session(url: str) -> None:
    client = WsClient(url, header=[f"{k}: {v}" for k, v in HEADERS.items()])
    try:
        first = client.recv()
        assert isinstance(first, str)
        assert first.startswith("0{")
        client.ws.send(CONNECT)
        client.recv_until(lambda d: isinstance(d, str) and d.startswith("40"))
        client.ws.send('421["ack_me","public"]')
        client.recv_until(lambda d: isinstance(d, str) and d.startswith("431"))
    finally:
        client.close()


def _polling_session(host: str, port: int) -> None:
    conn = http.client.HTTPConnection(host, port, timeout=20)
    try:
        conn.request("GET", f"/socket.io/?{_query('polling')}", headers=HEADERS)
        body = conn.getresponse().read().decode()
        sid = json.loads(body[1:])["sid"]
        path = f"/socket.io/?{_query('polling')}&sid={sid}"
        conn.request("POST", path, body=CONNECT.encode(), headers=HEADERS)
        assert conn.getresponse().read() == b"ok"
        conn.request("GET", path, headers=HEADERS)
        assert conn.getresponse().read().startswith(b"40")
        conn.request("POST", path, body=b"1", headers=HEADERS)
        conn.getresponse().read()
    finally:
        conn.close()


def test_known_secrets_appear_nowhere(tmp_path: Path) -> None:
    require_installed("node-sio4")
    stack = start_stack(tmp_path)
    try:
        _websocket_session(stack.ws_url(_query("websocket")))
        _polling_session(*stack.host_port)
        wait_for("both sessions closed", lambda: stack.out.read_text().count('"close"') >= 2)
    finally:
        stack.stop()  # SIGTERM: the recording and the log are complete
    recording = stack.out.read_text("utf-8")
    log = "\n".join(stack.proxy.lines)
    stderr = stack.proxy.stderr_text()
    assert "ack_me" in recording  # the traffic is there...
    assert "ack_me" in log
    for name, value in SECRETS.items():  # ...its secrets are not
        assert value not in recording, f"{name} in the recording"
        assert value not in log, f"{name} in the log"
        assert value not in stderr, f"{name} on stderr"
    assert "[REDACTED" in recording
