"""The one error tree of sioproxy.

Layer: pure, imports nothing from sioproxy. Split by who broke the rules (h11
style): a peer's garbage is a ``RemoteProtocolError`` (log it, record the raw
frame, forward it verbatim, never crash); something we or a hook produced is a
``LocalProtocolError`` (fail loudly).
"""

from __future__ import annotations

_REPR_LIMIT = 60


def short_repr(data: str | bytes, limit: int = _REPR_LIMIT) -> str:
    """A repr of ``data`` cut to about ``limit`` characters, for error messages."""
    if len(data) <= limit:
        return repr(data)
    head = data[:limit]
    return f"{head!r}... ({len(data)} {'bytes' if isinstance(data, bytes) else 'chars'})"


class SioProxyError(Exception):
    """Base class of every error sioproxy raises on purpose."""


class RemoteProtocolError(SioProxyError):
    """A peer sent something that breaks the protocol."""


class DecodeError(RemoteProtocolError):
    """Input that does not decode.

    The message names the protocol, the offset and a short repr of the input:
    ``eio3 payload: length prefix is not a number at offset 0 in '1!'``.
    """

    def __init__(self, protocol: str, reason: str, data: str | bytes, offset: int = 0) -> None:
        self.protocol = protocol
        self.reason = reason
        self.data = data
        self.offset = offset
        super().__init__(f"{protocol}: {reason} at offset {offset} in {short_repr(data)}")


class LocalProtocolError(SioProxyError):
    """sioproxy itself, a rule or a hook produced something illegal."""


class EncodeError(LocalProtocolError):
    """A packet that cannot be encoded."""


class RecordingError(SioProxyError):
    """A recording file that cannot be read or written; names the file and line."""

    def __init__(self, path: str, line: int | None, reason: str) -> None:
        self.path = path
        self.line = line
        self.reason = reason
        where = f"{path}:{line}" if line is not None else path
        super().__init__(f"{where}: {reason}")


class ConfigError(SioProxyError):
    """A bad configuration, rules or addon file; names the file and line when known."""

    def __init__(self, path: str | None, line: int | None, reason: str) -> None:
        self.path = path
        self.line = line
        self.reason = reason
        where = ""
        if path is not None:
            where = f"{path}:{line}: " if line is not None else f"{path}: "
        super().__init__(f"{where}{reason}")
