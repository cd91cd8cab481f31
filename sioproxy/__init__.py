"""sioproxy: a recording and replay proxy for Socket.IO traffic."""

__version__ = "0.1.0"
