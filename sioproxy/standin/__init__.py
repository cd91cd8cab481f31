"""The stand-in: a Socket.IO server that replays a recording to a live client.

``replay`` is the pure replay engine, ``sessions`` the pure server sessions
(Engine.IO 3/4 and 0.9), ``edge`` the Twisted server that runs them.
"""
