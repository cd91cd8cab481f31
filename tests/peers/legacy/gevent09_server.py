# -*- coding: utf-8 -*-
"""gevent-socketio 0.3.6 (Socket.IO 0.9, protocol "1") running the interop scenario.

Python 2.7 only: it runs in tests/peers/py/gevent09 (built by install_gevent09.sh with
gevent 1.0.2, gevent-websocket 0.10.1, greenlet 2.0.2). It lives under tests/peers/legacy/
because ruff (Python 3 syntax) must not read it.

    tests/peers/py/gevent09/bin/python tests/peers/legacy/gevent09_server.py --port 0

prints ``listening <port>`` as its first stdout line, then serves on 127.0.0.1 until
SIGTERM/SIGINT. Namespaces ``''`` (0.9's default endpoint) and ``/chat`` run the same
handlers. gevent's own semantics are kept, not patched (docs/protocol.md#a6, A.10, E.1):

* an event sent with ``<id>+`` is acked by gevent itself AFTER the handler returns, with
  ``list(retval)`` for a tuple and ``[retval]`` otherwise: ``ack_me`` returns the tuple
  ``(arg, "ack")``, ``bye`` returns ``()`` (gevent then writes ``6::/chat:<id>``, no
  ``+``), every other handler returns None (``+[null]`` if a client ever asked);
* a bare id (``3:5::x``) is never auto-acked;
* a namespace leave (``0::/chat``) drops the namespace object; the next packet on
  ``/chat`` builds a fresh one, so handlers are never doubled on re-join;
* ack ids for ``question`` come from one counter shared by all namespaces of a socket.
"""

from __future__ import print_function

import argparse
import signal
import sys
import urlparse

from gevent import monkey

monkey.patch_all()

import gevent  # noqa: E402
from socketio import socketio_manage  # noqa: E402
from socketio.handler import SocketIOHandler  # noqa: E402
from socketio.namespace import BaseNamespace  # noqa: E402
from socketio.server import SocketIOServer  # noqa: E402

# xhr-multipart is in gevent's default handshake list but cannot work
# (docs/protocol.md#a3-5); flashsocket needs the Flash policy server on port 10843, which is off.
TRANSPORTS = ["websocket", "xhr-polling", "jsonp-polling", "htmlfile"]


class Scenario(BaseNamespace):
    """The scenario's server side (tests/peers/README.md), in gevent's idiom."""

    def on_echo(self, *args):
        self.emit("echo", *args)

    def on_ack_me(self, *args):
        # The return value IS the ack (gevent sends it after this returns).
        return (args[0] if args else None, "ack")

    def on_ask_me(self, *args):
        self.emit("question", "what?", callback=self._answered)

    def _answered(self, *args):
        # Called by gevent with the args of the client's 6::<ep>:<id>+[...] ack.
        self.emit("answer_received", *args)

    def on_bye(self, *args):
        return ()  # an empty tuple: the ack carries no args

    def recv_message(self, data):
        self.send(data)

    def recv_json(self, data):
        self.send(data, json=True)


NAMESPACES = {"": Scenario, "/chat": Scenario}


class Handler(SocketIOHandler):
    """Two shims for gevent-socketio 0.3.6 on gevent 1.0.2; the library is not patched.

    1. The headers a transport asked for reach the wire. The polling transports call
    ``start_response`` with their own headers (``Content-Type: text/plain;
    charset=UTF-8``, or text/javascript for JSONP; ``Connection: close`` on the opening
    ``1::`` and on every POST answer), then write the body through the handler's
    ``write_smart()``, which calls ``start_response`` again with fresh headers
    (``text/plain``, no charset, no Connection). Two visible bugs follow: gevent 1.0.2
    keeps ``close_connection`` from the first call and closes the TCP connection
    unannounced, so a keep-alive client (node 20's default agent under 0.9's
    XMLHttpRequest) loses the POST it sends on it; and socketIO-client (requests)
    decodes a ``text/plain`` body without charset as latin-1, garbling any non-ASCII
    ``3:::`` message. The shim puts the transport's Content-Type and Connection back.

    2. A forced disconnect is recognised by a ``disconnect`` query key anywhere (the 0.9
    spec, docs/protocol.md#a9). gevent only checks ``QUERY_STRING.startswith("disconnect")``;
    socketIO-client sends ``?t=<ts>&disconnect=True``, which gevent would take for a
    long poll held for 25 s (heartbeat_interval), past the client's 20 s run bound.
    """

    def handle_one_response(self):
        query = self.environ.get("QUERY_STRING", "")
        keys = urlparse.parse_qs(query, keep_blank_values=True)
        if "disconnect" in keys and not query.startswith("disconnect"):
            self.environ["QUERY_STRING"] = "disconnect&" + query
        return SocketIOHandler.handle_one_response(self)

    def write_plain_result(self, data):
        # handle_one_response() resets status to None for each request, so a status
        # here means a transport already called start_response with its headers.
        meant = list(self.response_headers or []) if self.status is not None else []
        SocketIOHandler.write_plain_result(self, data)
        for name, value in meant:
            if name.lower() in ("content-type", "connection"):
                self.response_headers = [
                    h for h in self.response_headers if h[0].lower() != name.lower()
                ]
                self.response_headers.append((name, value))


def app(environ, start_response):
    if environ["PATH_INFO"].startswith("/socket.io/"):
        socketio_manage(environ, NAMESPACES)
        return []
    start_response("404 Not Found", [("Content-Type", "text/plain")])
    return [b"not found"]


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, default=0)
    opts = parser.parse_args()
    server = SocketIOServer(
        ("127.0.0.1", opts.port),
        app,
        resource="socket.io",
        transports=TRANSPORTS,
        policy_server=False,
        handler_class=Handler,
    )
    server.start()
    print("listening %d" % server.socket.getsockname()[1])
    sys.stdout.flush()

    def stop():
        server.stop(timeout=1)  # serve_forever() then returns: exit status 0

    gevent.signal(signal.SIGTERM, stop)
    gevent.signal(signal.SIGINT, stop)
    server.serve_forever()


if __name__ == "__main__":
    main()
