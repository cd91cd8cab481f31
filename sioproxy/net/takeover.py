"""Hand a twisted.web request's connection over to an autobahn WebSocket protocol.

Layer: transport (Twisted). twisted.web has already parsed the request head;
autobahn wants to parse the handshake itself, so the head is replayed into
the new protocol. Shared by the proxy's site and the replay stand-in.
"""

from __future__ import annotations

from typing import Any

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
