"""A small demo Socket.IO app and client shipped with sioproxy (``make demo``).

Layer: edge; needs the ``demo`` extra (python-socketio, aiohttp).
"""
