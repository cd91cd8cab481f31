"""The live server a Locust user plays against: ``http(s)://host:port[/prefix]``.

Layer: pure (standard library only; never twisted). Locust's ``--host`` names
the target; this turns it into the URLs the gevent transport opens. It is the
replay client's ``Upstream`` (``sioproxy.net.endpoints``) without Twisted.
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlsplit

from sioproxy.errors import ConfigError

__all__ = ["Target", "parse_target"]


@dataclass(frozen=True, slots=True)
class Target:
    scheme: str  # http or https
    host: str
    port: int
    prefix: str  # "" or "/app", no trailing slash

    @property
    def netloc(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"{host}:{self.port}"

    def http_url(self, path: str, query: str) -> str:
        return self._url(self.scheme, path, query)

    def ws_url(self, path: str, query: str) -> str:
        return self._url("wss" if self.scheme == "https" else "ws", path, query)

    def _url(self, scheme: str, path: str, query: str) -> str:
        tail = f"?{query}" if query else ""
        return f"{scheme}://{self.netloc}{self.prefix}{path}{tail}"


def parse_target(url: str) -> Target:
    """Parse Locust's ``--host``; raises ConfigError naming what is wrong."""
    text = url.strip()
    if "://" not in text:
        text = "http://" + text
    try:
        parts = urlsplit(text)
        port = parts.port
    except ValueError as exc:
        raise ConfigError(None, None, f"bad target URL {url!r}: {exc}") from None
    scheme = {"http": "http", "ws": "http", "https": "https", "wss": "https"}.get(parts.scheme)
    if scheme is None or not parts.hostname:
        raise ConfigError(None, None, f"bad target URL {url!r}: expected http(s)://host:port")
    if port is None:
        port = 443 if scheme == "https" else 80
    return Target(scheme, parts.hostname, port, parts.path.rstrip("/"))
