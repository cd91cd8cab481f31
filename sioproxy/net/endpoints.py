"""Listen and upstream addresses: parsing, and the endpoints that reach them.

Layer: transport (imports twisted). Turns the command line's ``--listen`` and
``--upstream`` strings into Twisted endpoints (the ``Upstream`` value itself is
parsed by the pure ``sioproxy.net.upstream``). Bad
input raises ``ConfigError`` with the offending string in the message.
``tcp_endpoint``/``UpstreamEndpoints`` open the proxy's upstream connections
(WebSocket legs and the polling Agent).
"""

from __future__ import annotations

import ipaddress
import re
from typing import Any, cast

from twisted.internet.endpoints import (
    HostnameEndpoint,
    TCP4ClientEndpoint,
    TCP4ServerEndpoint,
    TCP6ClientEndpoint,
    TCP6ServerEndpoint,
    serverFromString,
    wrapClientTLS,
)
from twisted.internet.interfaces import IListeningPort, IReactorCore, IStreamServerEndpoint
from twisted.web.iweb import IAgentEndpointFactory, IPolicyForHTTPS
from zope.interface import implementer  # type: ignore[import-untyped]

from sioproxy.errors import ConfigError
from sioproxy.net.resolve import CachedHostEndpoint, HostCache
from sioproxy.net.upstream import Upstream

DEFAULT_HOST = "127.0.0.1"

# First segments that make a listen spec a Twisted endpoint description.
_ENDPOINT_TYPES = frozenset({"tcp", "tcp6", "ssl", "unix", "systemd"})
_BRACKETED = re.compile(r"^\[(?P<host>[^\]]+)\]:(?P<port>\d+)$")


LISTEN_BACKLOG = 4096


def listen_endpoint(reactor: IReactorCore, spec: str) -> IStreamServerEndpoint:
    """A server endpoint for ``HOST:PORT``, ``:PORT``, ``PORT``, ``[v6]:PORT``,
    ``http://HOST:PORT`` or a Twisted endpoint string (``tcp:8080:interface=...``,
    ``ssl:8443:privateKey=key.pem:certKey=cert.pem``). Default host 127.0.0.1."""
    text = spec.strip()
    head = text.split(":", 1)[0].lower()
    if head in _ENDPOINT_TYPES and ":" in text:
        try:
            described: Any = serverFromString(reactor, text)  # type: ignore[no-untyped-call]
        except (ValueError, TypeError, KeyError, OSError) as exc:
            raise ConfigError(None, None, f"bad listen endpoint {spec!r}: {exc}") from None
        return cast(IStreamServerEndpoint, described)
    host, port = _split_host_port(spec, text)
    kind = TCP6ServerEndpoint if ":" in host else TCP4ServerEndpoint
    # Twisted's default backlog is 50: a burst of clients connecting at once
    # (a reconnect storm, the 5,000-socket benchmark) then overflows the accept
    # queue and the kernel retries SYNs only after 1 s, 3 s... The kernel caps
    # this at net.core.somaxconn.
    endpoint: Any = kind(reactor, port, backlog=LISTEN_BACKLOG, interface=host)
    return cast(IStreamServerEndpoint, endpoint)


def _split_host_port(spec: str, text: str) -> tuple[str, int]:
    if text.startswith("https://"):
        raise ConfigError(
            None,
            None,
            f"bad listen address {spec!r}: for TLS use ssl:PORT:privateKey=...:certKey=...",
        )
    if text.startswith("http://"):
        text = text[len("http://") :].rstrip("/")
    match = _BRACKETED.match(text)
    if match:
        host, port_text = match["host"], match["port"]
        try:
            ipaddress.IPv6Address(host)
        except ValueError:
            raise ConfigError(None, None, f"bad listen address {spec!r}: not IPv6") from None
    elif text.count(":") == 1:
        host, port_text = text.split(":")
        host = host or DEFAULT_HOST
    elif ":" not in text:
        host, port_text = DEFAULT_HOST, text
    else:
        raise ConfigError(None, None, f"bad listen address {spec!r}: IPv6 needs [brackets]")
    if not port_text.isdigit() or not 0 <= int(port_text) <= 65535:
        raise ConfigError(None, None, f"bad listen address {spec!r}: port must be 0-65535")
    return host, int(port_text)


def describe_listening(port: IListeningPort, spec: str) -> str:
    """``http://HOST:PORT`` (``https://`` for ssl specs) with the port actually bound."""
    address = cast(Any, port).getHost()
    scheme = "https" if spec.strip().lower().startswith("ssl:") else "http"
    host = getattr(address, "host", None)
    bound = getattr(address, "port", None)
    if host is None or bound is None:
        return f"{scheme}+unix://{getattr(address, 'name', address)!s}"
    if ":" in host:
        host = f"[{host}]"
    return f"{scheme}://{host}:{bound}"


def tcp_endpoint(
    reactor: Any, host: str, port: int, timeout: float, hosts: HostCache | None = None
) -> Any:
    """A client endpoint for ``host``; an IP address is connected to without resolving.

    HostnameEndpoint sends even a literal address through the resolver's
    thread pool; in a storm of thousands of WebSocket connections that costs
    connect time and memory for nothing. A host name goes through ``hosts``
    (looked up once per ``--resolve-ttl``, net/resolve.py) when given.
    """
    try:
        address = ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        if hosts is not None:
            return CachedHostEndpoint(reactor, hosts, host, port, timeout)
        return HostnameEndpoint(reactor, host, port, timeout=timeout)
    if address.version == 6:
        return TCP6ClientEndpoint(reactor, str(address), port, timeout=timeout)  # type: ignore[no-untyped-call]
    return TCP4ClientEndpoint(reactor, str(address), port, timeout=timeout)


@implementer(IAgentEndpointFactory)
class UpstreamEndpoints:
    """The Agent's endpoints: ``tcp_endpoint`` (no resolver for an IP address), TLS for https."""

    def __init__(
        self,
        reactor: Any,
        tls_policy: IPolicyForHTTPS,
        timeout: float,
        hosts: HostCache | None = None,
    ) -> None:
        self._reactor = reactor
        self._tls_policy = tls_policy
        self._timeout = timeout
        self._hosts = hosts

    def endpointForURI(self, uri: Any) -> Any:  # noqa: N802 - twisted's name
        host = uri.host.decode("ascii")
        endpoint = tcp_endpoint(self._reactor, host, uri.port, self._timeout, self._hosts)
        if uri.scheme != b"https":
            return endpoint
        policy: Any = self._tls_policy
        creator = policy.creatorForNetloc(host.strip("[]").encode("idna"), uri.port)
        return wrapClientTLS(creator, endpoint)


async def check_reachable(
    reactor: Any, upstream: Upstream, timeout: float = 5.0, hosts: HostCache | None = None
) -> None:
    """Open and close one TCP connection to ``upstream``; ``ConfigError`` when that fails.

    Used before recording: a stopped server is then one clear line
    ("upstream unreachable") instead of the client's own connect error.
    """
    from twisted.internet.protocol import Factory, Protocol

    endpoint = tcp_endpoint(reactor, upstream.host, upstream.port, timeout, hosts)
    try:
        protocol = await endpoint.connect(Factory.forProtocol(Protocol))
    except Exception as exc:
        where = upstream.http_url("", "")
        raise ConfigError(None, None, f"upstream unreachable: {where}: {exc}") from None
    protocol.transport.loseConnection()
