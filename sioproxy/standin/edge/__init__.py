"""The stand-in's Twisted edge: sockets, polling and WebSocket transports, handshake."""
