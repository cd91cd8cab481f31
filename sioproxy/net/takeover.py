"""Hand a twisted.web request's connection over to an autobahn WebSocket protocol.

Layer: transport (Twisted). twisted.web has already parsed the request head;
autobahn wants to parse the handshake itself, so the head is replayed into
the new protocol. Shared by the proxy's site and the replay stand-in.

This is the one module that reaches into Twisted's and autobahn's internals:
a wrapper's ``wrappedProtocol``, autobahn's unparsed ``data`` buffer, a TCP
transport's write buffer (``write_now``, ``pending_write_bytes``), the request
line an ``HTTPChannel`` is reading (``request_line``) and a request's
``_disconnected`` flag (``client_gone``); tests/net/test_takeover.py pins the
behaviour relied on.
"""

from __future__ import annotations

import contextlib
from typing import Any

from twisted.internet import tcp
from twisted.protocols.policies import ProtocolWrapper
from twisted.web.server import Request


def is_websocket_upgrade(request: Request) -> bool:
    """A GET asking to upgrade to WebSocket (header value compared case-insensitively)."""
    upgrade = request.getHeader(b"upgrade") or b""
    return request.method == b"GET" and b"websocket" in upgrade.lower()


def rebind(transport: Any, proto: Any) -> None:
    """Deliver ``transport``'s further events (data, loss) to ``proto`` instead.

    The caller sets ``proto.transport``. Works for TCP (server and client
    connections, whose ``protocol`` may be an endpoint's wrapper) and for TLS,
    whose wrapper protocol is the transport the application protocol sees.
    """
    if isinstance(transport, ProtocolWrapper):
        transport.wrappedProtocol = proto  # TLS
    elif isinstance(getattr(transport, "protocol", None), ProtocolWrapper):
        transport.protocol.wrappedProtocol = proto
    else:
        transport.protocol = proto


def hand_over(request: Request, transport: Any, proto: Any) -> None:
    """Move ``transport`` from the HTTP channel to ``proto`` and feed it the request head.

    The HTTP channel's producer registration is removed, or it would be
    paused instead of the other leg when the client reads slowly.
    """
    request.channel.transport = None
    transport.unregisterProducer()
    rebind(transport, proto)
    proto.makeConnection(transport)
    transport.resumeProducing()
    head = [request.method + b" " + request.uri + b" HTTP/1.1"]
    for name, values in request.requestHeaders.getAllRawHeaders():
        if name.lower() == b"origin" and not all(b"://" in v or v == b"null" for v in values):
            # The 0.9.16 client's `ws` sends "Origin: host:port"; autobahn refuses a
            # schemeless origin. Only our parser skips it: the proxy still forwards
            # the client's Origin upstream (taken from the request beforehand).
            continue
        head.append(name + b": " + b", ".join(values))
    proto.dataReceived(b"\r\n".join(head) + b"\r\n\r\n")


def request_line(channel: Any) -> tuple[bytes, bytes, bytes]:
    """Method, target and version of the request an ``HTTPChannel`` is reading.

    Set as soon as the request line is parsed, before the headers; defaults
    (``GET``, empty target, ``HTTP/1.1``) before it.
    """
    method: bytes = getattr(channel, "_command", b"GET")
    target: bytes = getattr(channel, "_path", b"")
    version: bytes = getattr(channel, "_version", b"HTTP/1.1")
    return method, target, version


def client_gone(request: Any) -> bool:
    """Whether a twisted.web request's connection was lost before it finished."""
    return bool(getattr(request, "_disconnected", False))


def take_leftover(proto: Any) -> bytes:
    """The bytes autobahn ``proto`` read past its opening handshake, taken away from it.

    autobahn keeps them in its receive buffer ``data`` and parses them as frames
    once ``onOpen`` returns; a caller that takes the connection over from
    ``onOpen`` empties the buffer so they are parsed once, by the new owner.
    """
    rest: bytes = proto.data
    proto.data = b""
    return rest


_PLAIN_TCP = (tcp.Server, tcp.Client)
# Longer data is queued as it is: a first send takes only a socket buffer's
# worth, and the rest would be copied out of ``data`` at once (32 MiB: 30 ms).
_SEND_NOW_LIMIT = 1 << 20


def write_now(transport: Any, data: bytes) -> None:
    """``transport.write(data)``, but sent in this reactor turn when nothing is queued.

    Twisted queues every write until the reactor's next poll says the socket
    is writable; a relay that forwards as soon as it has read saves that turn
    (two ``epoll_ctl`` calls and a wake-up) on every hop. Only for plain TCP
    transports with an empty buffer, so bytes never overtake queued ones;
    anything unsent, or an error, goes through ``write`` as usual.
    """
    if (
        type(transport) in _PLAIN_TCP
        and len(data) <= _SEND_NOW_LIMIT
        and not transport._tempDataLen
        and transport.offset == len(transport.dataBuffer)
        and transport.connected
        and not transport.disconnecting
        and not transport._writeDisconnected
    ):
        sent = transport.writeSomeData(data)
        if isinstance(sent, int):  # else a ConnectionLost: write() lets Twisted handle it
            if sent == len(data):
                return
            data = data[sent:]
    transport.write(data)


def no_delay(transport: Any) -> None:
    """Nagle's algorithm off on the TCP connection under ``transport``.

    A relay must not hold a peer's small frame back waiting for an ACK of the
    previous one: node's peers set no-delay on their own sockets. autobahn's
    option did not reach the upstream leg, which is opened through an endpoint.
    """
    # Not a TCP connection (a test transport, a Unix socket): nothing to turn off.
    with contextlib.suppress(AttributeError, OSError):
        transport.setTcpNoDelay(True)


def pending_write_bytes(transport: Any) -> int:
    """Bytes a transport (and the TLS wrappers under it) still has to write."""
    total = 0
    for _ in range(4):  # TCP, or TLS over TCP: a short chain
        if transport is None:
            break
        buffered = getattr(transport, "dataBuffer", b"")
        total += len(buffered) - getattr(transport, "offset", 0)
        total += getattr(transport, "_tempDataLen", 0)
        transport = getattr(transport, "transport", None)
    return total
