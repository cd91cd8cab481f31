"""The observer interface between the relay and the pure layer.

Layer: pure. This module is the seam between ``sioproxy.proxy.edge`` (Twisted,
autobahn) and the sans-IO core: it must NOT import twisted or autobahn, so the
session, pipeline and recording code can implement ``RelayObserver`` without
touching the reactor. Every callback runs on the reactor thread, synchronously,
and must not block.

Identifiers: HTTP exchanges and WebSocket connections share one counter per
proxy site, so an id names exactly one exchange or connection in the logs.

Sending later: an observer may define ``attach(control: RelayControl)``; the
site calls it once, before serving, with a handle that sends messages on an
open relayed WebSocket outside any callback (delayed or injected packets of
the rewrite pipeline), closes a relayed WebSocket, and schedules a call on
the reactor. HTTP polling has no such channel: an observer queues what it
wants to send and adds it to the next body of that connection.

Sending first: an observer whose ``on_ws_message`` never returns
replacements may say so with a true ``passive`` attribute; the WebSocket
relay then writes a read's frames on before calling it (the same calls, in
the same order, a few microseconds later), which takes the observer's work
out of the round trip. The HTTP relay calls ``on_http_request`` and
``on_http_response`` before it forwards, as always; a passive observer
returns None at once and does its work later (``RelayControl.call_after_io``:
``LiveObserver`` observes a polling body once the relayed bytes are out).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Protocol

from sioproxy.types import Direction

Headers = tuple[tuple[str, str], ...]


@dataclass(frozen=True, slots=True, kw_only=True)
class RequestInfo:
    """What the client asked for, as it reached the proxy.

    ``path`` is the request path without the query, ``query`` the query without
    ``?``, both exactly as the client sent them (not percent-decoded). Header
    names and values are latin-1 decoded, in arrival order. ``client`` is
    ``host:port`` (``[v6]:port`` for IPv6) and ``scheme`` is ``http`` or
    ``https`` as the client reached the proxy.
    """

    method: str
    path: str
    query: str
    headers: Headers
    client: str
    scheme: str

    def header(self, name: str) -> str | None:
        """The first value of header ``name`` (case-insensitive), or None."""
        wanted = name.lower()
        for key, value in self.headers:
            if key.lower() == wanted:
                return value
        return None


class RelayControl(Protocol):
    """What the transport lets an observer do outside its callbacks (reactor thread only)."""

    def call_later(self, delay: float, fn: Callable[[], None]) -> None:
        """Run ``fn`` after ``delay`` seconds on the reactor."""
        ...

    def call_after_io(self, fn: Callable[[], None]) -> None:
        """Run ``fn`` in a later reactor turn, once the reactor has polled its sockets:
        what the relay wrote before this call has been handed to the kernel."""
        ...

    def ws_send(
        self, ws_id: int, direction: Direction, messages: Sequence[tuple[bytes, bool]]
    ) -> bool:
        """Send ``(payload, is_binary)`` messages toward the server (C2S) or the client (S2C).

        They bypass ``on_ws_message``. False when the WebSocket is not open (nothing sent).
        """
        ...

    def ws_close(self, ws_id: int, code: int, reason: str) -> None:
        """Close both legs of a relayed WebSocket with ``code`` and ``reason``."""
        ...


class RelayObserver(Protocol):
    """Called by the relay at each step; return values may rewrite traffic."""

    def wants_body(self, req: RequestInfo) -> bool:
        """True to buffer the exchange and see both bodies, False to stream it untouched."""
        ...

    def on_http_request(self, exchange_id: int, req: RequestInfo, body: bytes) -> bytes | None:
        """Before forwarding; returned bytes replace the body (Content-Length fixed)."""
        ...

    def on_http_response(
        self,
        exchange_id: int,
        req: RequestInfo,
        status: int,
        headers: Headers,
        body: bytes,
    ) -> bytes | None:
        """The whole upstream response, before the client sees it; bytes replace the body."""
        ...

    def on_http_error(self, exchange_id: int, req: RequestInfo, reason: str) -> None:
        """The exchange failed (upstream unreachable/reset, body too big, client gone)."""
        ...

    def on_ws_open(self, ws_id: int, req: RequestInfo, subprotocol: str | None) -> None:
        """Both legs of a WebSocket are open."""
        ...

    def on_ws_message(
        self, ws_id: int, direction: Direction, payload: bytes, is_binary: bool
    ) -> Sequence[tuple[bytes, bool]] | None:
        """Before forwarding: None forwards unchanged, a sequence is sent instead (empty drops)."""
        ...

    def on_ws_close(
        self, ws_id: int, initiator: Direction | None, code: int | None, reason: str | None
    ) -> None:
        """Once per opened WebSocket, after both legs are closed.

        ``initiator`` is the direction the close travelled first (C2S: the client
        closed or dropped), None when the proxy itself failed the connection
        (message too big, protocol violation, handshake timeout).
        """
        ...


class NullObserver:
    """Forwards everything unchanged and streams every HTTP exchange."""

    passive = True

    def wants_body(self, req: RequestInfo) -> bool:
        return False

    def on_http_request(self, exchange_id: int, req: RequestInfo, body: bytes) -> bytes | None:
        return None

    def on_http_response(
        self,
        exchange_id: int,
        req: RequestInfo,
        status: int,
        headers: Headers,
        body: bytes,
    ) -> bytes | None:
        return None

    def on_http_error(self, exchange_id: int, req: RequestInfo, reason: str) -> None:
        return None

    def on_ws_open(self, ws_id: int, req: RequestInfo, subprotocol: str | None) -> None:
        return None

    def on_ws_message(
        self, ws_id: int, direction: Direction, payload: bytes, is_binary: bool
    ) -> Sequence[tuple[bytes, bool]] | None:
        return None

    def on_ws_close(
        self, ws_id: int, initiator: Direction | None, code: int | None, reason: str | None
    ) -> None:
        return None
