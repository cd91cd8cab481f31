"""Upstream TLS certificates are verified by default; ``--insecure`` skips it, with a warning.

The upstream is a small HTTPS server in a thread with a freshly made
self-signed certificate: the proxy must refuse it (502, logged and counted)
unless told ``--insecure``, which it then says in its log.
"""

from __future__ import annotations

import datetime
import http.server
import ssl
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from tests.interop.sioproxy_proc import start_sioproxy
from tests.ops.helpers import http_get, launch_sioproxy, sioproxy_cmd

OPEN = b'0{"sid":"tls-sid","upgrades":[],"pingInterval":25000,"pingTimeout":20000}'


def _self_signed(directory: Path) -> tuple[Path, Path]:
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = datetime.datetime.now(datetime.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(days=1))
        .not_valid_after(now + datetime.timedelta(days=1))
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = directory / "cert.pem", directory / "key.pem"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return cert_path, key_path


class _Handler(http.server.BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        self.send_response(200)
        self.send_header("Content-Type", "text/plain; charset=UTF-8")
        self.send_header("Content-Length", str(len(OPEN)))
        self.end_headers()
        self.wfile.write(OPEN)

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def tls_upstream(tmp_path: Path) -> Iterator[str]:
    cert, key = _self_signed(tmp_path)
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)
    server.socket = context.wrap_socket(server.socket, server_side=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"https://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(10)


POLL = "/socket.io/?EIO=4&transport=polling"


def test_self_signed_upstream_is_refused_by_default(tls_upstream: str) -> None:
    proxy = start_sioproxy(["proxy", "--listen", "127.0.0.1:0", "--upstream", tls_upstream])
    try:
        status, _, body = http_get(proxy.url + POLL)
    finally:
        proxy.stop()
    assert status == 502, body
    assert "certificate" in body.lower() or "ssl" in body.lower(), body
    assert any("upstream error on GET /socket.io/" in line for line in proxy.lines)
    assert not any("--insecure" in line for line in proxy.lines)


def test_insecure_skips_verification_and_warns(tls_upstream: str) -> None:
    # launch_sioproxy reads the first lines byte by byte: the warning right after
    # them must not be swallowed with the rest of a 4 KiB read.
    proxy, _admin = launch_sioproxy(
        sioproxy_cmd(
            "proxy",
            "--listen",
            "127.0.0.1:0",
            "--upstream",
            tls_upstream,
            "--insecure",
            "--admin",
            "127.0.0.1:0",
        )
    )
    try:
        status, _, body = http_get(proxy.url + POLL)
    finally:
        proxy.stop()
    assert (status, body) == (200, OPEN.decode())
    warned = "\n".join(proxy.lines) + proxy.stderr_text()
    assert "warning: --insecure: upstream TLS certificates are not verified" in warned
