"""How to reconnect a recorded connection: generation, transport mode, path, query.

Layer: pure. Imports the recording model and the client sessions; never
twisted. ``plan_connection`` reads the connection's ``open`` (and ``upgrade``)
entries; ``ConnectionPlan.session()`` builds the matching sans-IO client
session. Reserved query keys (``EIO``, ``transport``, ``sid``, ``t``, JSONP
indices...) are generated live; the user's own keys are kept as recorded.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final
from urllib.parse import parse_qsl, urlencode

from sioproxy.codec.parsers import WireParser, recorded_parser
from sioproxy.errors import ConfigError, RecordingError
from sioproxy.recording.model import OpenEvent, PacketEntry, Recording, UpgradeEvent
from sioproxy.recording.recovery import recovery_link_of
from sioproxy.replay_client.eio_client import MODES, EioClientSession
from sioproxy.replay_client.legacy_client import LEGACY_MODES, LegacyClientSession
from sioproxy.types import Generation

__all__ = ["ClientSession", "ConnectionPlan", "plan_connection"]

ClientSession = EioClientSession | LegacyClientSession

_RESERVED: Final = frozenset(
    {"EIO", "transport", "sid", "t", "b64", "j", "jsonp", "i", "disconnect"}
)
# 0.9 transports the client replays with, for those it does not speak itself (A.3).
_LEGACY_EQUIVALENT: Final = {
    "websocket": "websocket",
    "flashsocket": "websocket",
    "xhr-polling": "xhr-polling",
    "jsonp-polling": "xhr-polling",
    "htmlfile": "xhr-polling",
}


@dataclass(frozen=True, slots=True, kw_only=True)
class ConnectionPlan:
    """One recorded connection, ready to be opened again."""

    conn: str
    generation: Generation
    mode: str
    path: str
    query: tuple[tuple[str, str], ...]
    opened_seq: int = 0  # the recorded ``open`` entry: where the connection starts
    parser: WireParser | None = None  # not the default parser (docs/protocol.md#c9)
    # A reconnection recovering ``recovers``'s session, ``away`` s after it ended (C.10).
    recovers: str | None = None
    away: float = 0.0

    def session(self) -> ClientSession:
        version = self.generation.eio_version
        if version is None:
            resource = self.path.split("/1/", 1)[0] if "/1/" in self.path else self.path
            return LegacyClientSession(
                mode=self.mode, resource=resource or "/socket.io", extra_query=urlencode(self.query)
            )
        return EioClientSession(
            version=version,
            mode=self.mode,
            path=self.path,
            extra_query=self.query,
            parser=self.parser,
        )


def _recorded_mode(generation: Generation, opened: OpenEvent, upgraded: bool) -> str:
    transport = opened.transport.value
    if generation is Generation.LEGACY:
        return _LEGACY_EQUIVALENT.get(transport, "websocket")
    if transport == "websocket":
        return "websocket"
    return "upgrade" if upgraded else "polling"


def plan_connection(
    recording: Recording,
    conn: str,
    *,
    transport: str | None = None,
    path: str | None = None,
    parser: WireParser | None = None,
) -> ConnectionPlan:
    """The plan for ``conn``; ``transport``/``path`` override the recorded ones.

    Raises RecordingError for an unknown connection and ConfigError for a
    transport the connection's generation does not have.
    """
    entries = recording.entries_for(conn)
    opened = next((e for e in entries if isinstance(e, OpenEvent)), None)
    if opened is None:
        raise RecordingError(recording.path or "<recording>", None, f"no connection {conn!r}")
    generation = opened.generation
    upgraded = any(isinstance(e, UpgradeEvent) for e in entries)
    modes = LEGACY_MODES if generation is Generation.LEGACY else MODES
    mode = transport or _recorded_mode(generation, opened, upgraded)
    if mode not in modes:
        raise ConfigError(
            None,
            None,
            f"--transport {mode!r}: a {generation.value} client speaks {', '.join(modes)}",
        )
    query = tuple(
        (k, v)
        for k, v in parse_qsl(opened.request.query, keep_blank_values=True)
        if k not in _RESERVED
    )
    default = "/socket.io/1/" if generation is Generation.LEGACY else "/socket.io/"
    chosen = path or opened.request.path or default
    if generation is Generation.LEGACY and "/1/" not in chosen:
        chosen = chosen.rstrip("/") + "/1/"
    name = next(
        (
            str(e.packet["parser"])
            for e in entries
            if isinstance(e, PacketEntry) and e.packet and "parser" in e.packet
        ),
        None,
    )
    try:
        chosen_parser = recorded_parser(name, parser)
    except ValueError as exc:
        raise RecordingError(recording.path or "<recording>", None, str(exc)) from None
    link = recovery_link_of(recording, conn)
    return ConnectionPlan(
        conn=conn,
        generation=generation,
        mode=mode,
        path=chosen,
        query=query,
        opened_seq=opened.seq,
        parser=chosen_parser,
        recovers=link.of if link is not None else None,
        away=link.away if link is not None else 0.0,
    )
