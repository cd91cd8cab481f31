"""Limits of the listening servers: their defaults, bounds, and the counts of refusals.

Layer: pure (no twisted). ``transport.guard`` enforces ``EdgeLimits`` on every
HTTP server sioproxy runs (proxy, replay stand-in, admin) and counts what it
refused or timed out in an ``EdgeStats``, which ``/metrics`` renders
(``sioproxy_timeouts_total``, ``sioproxy_refused_total``). docs/reliability.md
has the table of limits; keep the two in step.
"""

from __future__ import annotations

from dataclasses import dataclass, field

# A request line and its headers must be in within this many seconds of the
# connection opening, or of the request's first byte on a kept-alive one.
HEADER_TIMEOUT = 30.0
# Nothing received for this long (and no request of the connection being
# answered; for a WebSocket: nothing from either peer) closes the connection.
# Engine.IO pings every 25 s by default, 0.9 heartbeats too: generous.
IDLE_TIMEOUT = 300.0
# After refusing a request whose body is still coming, the proxy reads and
# throws away what the client keeps sending for at most this long, so the
# client can read the answer before the connection is closed (a close with
# unread data is a TCP reset, which may destroy the answer in flight).
LINGER_SECONDS = 2.0
# The admin listener answers GET and HEAD only: a body is never needed.
ADMIN_MAX_BODY = 4096

TIMEOUT_KINDS = ("header", "idle")
REFUSAL_REASONS = ("body_too_large", "bad_target", "per_client_limit")


@dataclass(slots=True)
class EdgeLimits:
    """What one listener enforces. ``0`` for a timeout or the per-client cap = off."""

    max_body: int
    header_timeout: float = HEADER_TIMEOUT
    idle_timeout: float = IDLE_TIMEOUT
    max_per_client: int = 0
    linger: float = LINGER_SECONDS


@dataclass(slots=True)
class EdgeStats:
    """Counts of refusals and timeouts of one listener (monotonic, for /metrics)."""

    timeouts: dict[str, int] = field(default_factory=lambda: dict.fromkeys(TIMEOUT_KINDS, 0))
    refused: dict[str, int] = field(default_factory=lambda: dict.fromkeys(REFUSAL_REASONS, 0))

    def timed_out(self, kind: str) -> None:
        self.timeouts[kind] = self.timeouts.get(kind, 0) + 1

    def refuse(self, reason: str) -> None:
        self.refused[reason] = self.refused.get(reason, 0) + 1


def bad_target(target: bytes) -> str | None:
    """Why a request target is refused, or None for an origin-form ``/path?query``.

    The proxy builds the upstream URL as ``scheme://host:port`` + prefix +
    path: a target not starting with ``/`` would extend the port or the host
    (``1/x`` turned port 4800 into 48001), and absolute or authority forms are
    for forward proxies. Control characters, spaces, non-ASCII bytes and ``#``
    are not allowed in a request target either (RFC 9112 3.2, RFC 3986).
    """
    if not target.startswith(b"/"):
        return "request target must start with '/'"
    if b"#" in target or any(byte <= 0x20 or byte >= 0x7F for byte in target):
        return "request target has a character not allowed there"
    return None


# Bounds of option values (command line, SIOPROXY_*, config file): a value
# outside is refused with exit 2 before anything listens.
MAX_BODY_CEILING = 1 << 30  # --max-body: 1 byte .. 1 GiB
MAX_TIMEOUT_SECONDS = 86_400.0  # --header-timeout / --idle-timeout: 0 (off) .. 1 day
MAX_FLUSH_INTERVAL = 60.0  # --flush-interval: 0 .. 60 s
MAX_PER_CLIENT_CEILING = 1_000_000  # --max-connections-per-client: 0 (off) .. 1,000,000
SEED_RANGE = (0, 2**64 - 1)  # --seed
MAX_SPEED = 1_000_000.0  # replay --speed
MAX_COUNT = 1_000_000  # show --max-args
MAX_CLIENTS = 100_000  # replay-client --clients
MAX_LOG_BUFFER = 1 << 30  # --log-buffer: 0 .. 1 GiB
MAX_RESOLVE_TTL = 86_400.0  # --resolve-ttl: 0 (every connection) .. 1 day
