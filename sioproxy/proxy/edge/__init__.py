"""The live proxy's Twisted edge: site, HTTP and WebSocket relays, the proxy server."""
