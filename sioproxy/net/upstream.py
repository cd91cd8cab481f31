"""An upstream or target server: ``http(s)://host:port[/prefix]`` and its URLs.

Layer: pure (standard library only; never twisted), so the Locust workers use
it too. ``parse_upstream`` turns ``--upstream``/``--target``/Locust's
``--host`` into an ``Upstream``; bad input raises ``ConfigError`` naming it.
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlsplit

from sioproxy.errors import ConfigError

__all__ = ["Upstream", "parse_upstream"]


@dataclass(frozen=True, slots=True, kw_only=True)
class Upstream:
    """Where the proxy forwards to: ``scheme://host:port`` plus a path prefix."""

    scheme: str  # "http" or "https"
    host: str
    port: int
    prefix: str  # "" or "/app" (no trailing slash)

    @property
    def secure(self) -> bool:
        return self.scheme == "https"

    @property
    def ws_scheme(self) -> str:
        return "wss" if self.secure else "ws"

    @property
    def netloc(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"{host}:{self.port}"

    def http_url(self, path: str, query: str) -> str:
        """Upstream URL for a client ``path`` and raw ``query`` (kept byte for byte)."""
        return self._url(self.scheme, path, query)

    def ws_url(self, path: str, query: str) -> str:
        return self._url(self.ws_scheme, path, query)

    def _url(self, scheme: str, path: str, query: str) -> str:
        if path and not path.startswith("/"):
            # Appended to host:port, "1/x" would change the port (the listeners
            # refuse such targets with 400 before they get here). "" is the
            # upstream's own URL (reports, reachability checks).
            raise ValueError(f"request path must start with '/': {path[:60]!r}")
        tail = f"?{query}" if query else ""
        return f"{scheme}://{self.netloc}{self.prefix}{path}{tail}"


def parse_upstream(url: str, what: str = "upstream") -> Upstream:
    """Parse ``http[s]://host[:port][/prefix]`` (``ws``/``wss`` accepted as aliases).

    ``what`` names the URL in errors (``bad target URL ...`` for ``--target``).
    """
    text = url.strip()
    if "://" not in text:
        text = "http://" + text
    try:
        parts = urlsplit(text)
        port = parts.port
    except ValueError as exc:
        raise ConfigError(None, None, f"bad {what} URL {url!r}: {exc}") from None
    scheme = {"http": "http", "ws": "http", "https": "https", "wss": "https"}.get(parts.scheme)
    if scheme is None:
        raise ConfigError(None, None, f"bad {what} URL {url!r}: scheme must be http or https")
    if not parts.hostname:
        raise ConfigError(None, None, f"bad {what} URL {url!r}: no host")
    if parts.query or parts.fragment or parts.username or parts.password:
        raise ConfigError(
            None, None, f"bad {what} URL {url!r}: no query, fragment or credentials allowed"
        )
    if port is None:
        port = 443 if scheme == "https" else 80
    if port == 0:
        raise ConfigError(None, None, f"bad {what} URL {url!r}: port 0")
    return Upstream(scheme=scheme, host=parts.hostname, port=port, prefix=parts.path.rstrip("/"))
