"""Listen/upstream parsing, and the observer module's import rule."""

from __future__ import annotations

import subprocess
import sys
from typing import Any

import pytest
import pytest_twisted
from twisted.internet.endpoints import HostnameEndpoint, TCP4ClientEndpoint, TCP6ClientEndpoint

from sioproxy.errors import ConfigError
from sioproxy.net.endpoints import describe_listening, listen_endpoint, tcp_endpoint
from sioproxy.net.upstream import Upstream, parse_upstream
from sioproxy.proxy.edge.site import build_proxy_site
from sioproxy.proxy.observer import NullObserver


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("http://127.0.0.1:5000", Upstream(scheme="http", host="127.0.0.1", port=5000, prefix="")),
        ("https://example.com", Upstream(scheme="https", host="example.com", port=443, prefix="")),
        ("http://h:80/app/", Upstream(scheme="http", host="h", port=80, prefix="/app")),
        ("ws://h:81", Upstream(scheme="http", host="h", port=81, prefix="")),
        ("wss://[::1]:8443/x", Upstream(scheme="https", host="::1", port=8443, prefix="/x")),
        ("localhost:3000", Upstream(scheme="http", host="localhost", port=3000, prefix="")),
    ],
)
def test_parse_upstream(url: str, expected: Upstream) -> None:
    assert parse_upstream(url) == expected


def test_upstream_urls_keep_the_query_verbatim() -> None:
    up = parse_upstream("https://[::1]:8443/app")
    assert (
        up.http_url("/socket.io/", "EIO=4&t=a%2Fb")
        == "https://[::1]:8443/app/socket.io/?EIO=4&t=a%2Fb"
    )
    assert (
        up.ws_url("/socket.io/1/websocket/x", "") == "wss://[::1]:8443/app/socket.io/1/websocket/x"
    )


@pytest.mark.parametrize(
    "url",
    ["ftp://h:1", "http://", "http://h:99999", "http://h:1/?q=1", "http://u:p@h:1", "http://h:0"],
)
def test_parse_upstream_rejects(url: str) -> None:
    with pytest.raises(ConfigError, match="bad upstream URL"):
        parse_upstream(url)


@pytest.mark.parametrize(
    ("spec", "host"),
    [
        ("127.0.0.1:0", "127.0.0.1"),
        (":0", "127.0.0.1"),
        ("0", "127.0.0.1"),
        ("http://127.0.0.1:0", "127.0.0.1"),
        ("tcp:0:interface=127.0.0.1", "127.0.0.1"),
        ("[::1]:0", "[::1]"),
    ],
)
@pytest_twisted.ensureDeferred
async def test_listen_endpoint_binds_and_describes_the_real_port(
    reactor: Any, spec: str, host: str
) -> None:
    site = build_proxy_site(reactor, parse_upstream("http://127.0.0.1:9"), NullObserver())
    try:
        port = await listen_endpoint(reactor, spec).listen(site)
    except Exception as exc:  # IPv6 may be missing in the sandbox
        if host.startswith("["):
            pytest.skip(f"no IPv6 loopback: {exc}")
        raise
    try:
        bound = port.getHost().port
        assert bound != 0
        assert describe_listening(port, spec) == f"http://{host}:{bound}"
    finally:
        await port.stopListening()


@pytest.mark.parametrize(
    "spec",
    ["h:port", "1:2:3", "::1:80", "70000", "https://h:1", "ssl:0:privateKey=/nonexistent.pem"],
)
def test_listen_endpoint_rejects(reactor: Any, spec: str) -> None:
    with pytest.raises(ConfigError, match=r"bad listen"):
        listen_endpoint(reactor, spec)


def test_observer_module_does_not_import_twisted() -> None:
    code = (
        "import sys, sioproxy.proxy.observer as o; o.NullObserver(); "
        "bad = [m for m in sys.modules if m.split('.')[0] in ('twisted', 'autobahn')]; "
        "assert not bad, bad"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


def test_upstream_prefix_and_raw_query_are_kept_in_both_urls() -> None:
    upstream = parse_upstream("https://h:8443/app/")
    query = "EIO=4&transport=polling&t=N8hyd6w&token=a%20b"
    assert upstream.http_url("/socket.io/", query) == f"https://h:8443/app/socket.io/?{query}"
    assert upstream.ws_url("/socket.io/", query) == f"wss://h:8443/app/socket.io/?{query}"
    assert upstream.http_url("/socket.io/1/", "") == "https://h:8443/app/socket.io/1/"


def test_upstream_ip_addresses_skip_the_resolver(reactor: Any) -> None:
    assert isinstance(tcp_endpoint(reactor, "127.0.0.1", 80, 5), TCP4ClientEndpoint)
    assert isinstance(tcp_endpoint(reactor, "[::1]", 80, 5), TCP6ClientEndpoint)
    assert isinstance(tcp_endpoint(reactor, "localhost", 80, 5), HostnameEndpoint)
