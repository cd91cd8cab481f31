"""The live proxy: relays a client to its upstream, observes, rewrites and records.

Pure here (observer, live session, rewrite stage); the Twisted edge is
``sioproxy.proxy.edge`` (site, HTTP and WebSocket relays, the server).
"""
