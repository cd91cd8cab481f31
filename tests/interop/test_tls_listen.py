"""Browsers reach the proxy over TLS: ``--listen ssl:...`` with a real certificate."""

from __future__ import annotations

import subprocess
import threading
from pathlib import Path

import pytest
import requests
import socketio

from tests.interop.conftest import ServerFactory
from tests.interop.sioproxy_proc import start_sioproxy

pytestmark = pytest.mark.interop


def self_signed(tmp_path: Path) -> tuple[Path, Path]:
    key, cert = tmp_path / "key.pem", tmp_path / "cert.pem"
    subprocess.run(
        [
            "openssl",
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-days",
            "1",
            "-subj",
            "/CN=127.0.0.1",
            "-addext",
            "subjectAltName=IP:127.0.0.1",
            "-keyout",
            str(key),
            "-out",
            str(cert),
        ],
        check=True,
        capture_output=True,
        timeout=60,
    )
    return key, cert


@pytest.mark.parametrize("transports", [["websocket"], ["polling"], ["polling", "websocket"]])
def test_clients_reach_the_proxy_over_tls(
    shared_peer_server: ServerFactory, tmp_path: Path, transports: list[str]
) -> None:
    upstream = shared_peer_server("py-sio5")
    key, cert = self_signed(tmp_path)
    out = tmp_path / "tls.jsonl"
    listen = f"ssl:0:interface=127.0.0.1:privateKey={key}:certKey={cert}"
    proxy = start_sioproxy(
        ["record", "--listen", listen, "--upstream", upstream.url, "--out", str(out), "-q"]
    )
    try:
        assert proxy.url.startswith("https://127.0.0.1:")
        session = requests.Session()
        session.verify = str(cert)  # trust exactly our certificate; engineio reuses it for ws
        session.trust_env = False  # else REQUESTS_CA_BUNDLE from the environment wins
        client = socketio.Client(reconnection=False, http_session=session)
        client.connect(proxy.url, transports=transports, wait_timeout=10)
        answer = client.call("ack_me", "over tls", timeout=10)
        # python-engineio servers hold a pending poll past the client's close
        # (tests/peers/python/sio_client.py bounded_disconnect): do not wait it out.
        closer = threading.Thread(target=client.disconnect, daemon=True)
        closer.start()
        closer.join(2.0)
    finally:
        assert proxy.stop() == 0
    assert list(answer) == ["over tls", "ack"]
    assert '"ack_me"' in out.read_text(encoding="utf-8")
