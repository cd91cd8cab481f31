"""The stand-in server's settings, read from a recording.

Layer: pure (replay). Heartbeat values come from the recorded handshake (the
Engine.IO open packet, docs/protocol.md#b3, or the 0.9 handshake body, A.2): the
replay runs heartbeats live with the recorded intervals, never from the file.
"""

from __future__ import annotations

import dataclasses
from typing import Any

from sioproxy.codec.legacy_framing import decode_handshake
from sioproxy.codec.parsers import WireParser, recorded_parser
from sioproxy.errors import DecodeError, RecordingError
from sioproxy.recording import OpenEvent, PacketEntry, Recording
from sioproxy.standin.sessions.app import StandInConfig
from sioproxy.types import Direction, Generation


def standin_config(
    recording: Recording, *, resource_path: str = "/socket.io", parser: WireParser | None = None
) -> StandInConfig:
    """Generation, heartbeat settings and parser of the recording's first connection.

    ``parser`` is ``--parser`` (docs/protocol.md#c9); a recording made with a custom
    parser needs it (RecordingError otherwise).
    """
    opens = [e for e in recording.entries if isinstance(e, OpenEvent)]
    if not opens:
        raise RecordingError(recording.path or "<recording>", None, "no connection to replay")
    generations = {o.generation for o in opens}
    if len(generations) > 1:
        names = ", ".join(sorted(g.value for g in generations))
        raise RecordingError(
            recording.path or "<recording>",
            None,
            f"mixes protocol generations ({names}); one replay server speaks one",
        )
    first = opens[0]
    if first.generation is Generation.LEGACY:
        return _legacy_config(first, resource_path)
    config = _eio_config(recording, first.generation, resource_path)
    try:
        chosen = recorded_parser(recorded_parser_name(recording), parser)
    except ValueError as exc:
        raise RecordingError(recording.path or "<recording>", None, str(exc)) from None
    return dataclasses.replace(config, parser=chosen)


def _legacy_config(opened: OpenEvent, resource_path: str) -> StandInConfig:
    if opened.handshake is None:
        return StandInConfig(generation=Generation.LEGACY, resource_path=resource_path)
    try:
        handshake = decode_handshake(opened.handshake)
    except DecodeError:
        return StandInConfig(generation=Generation.LEGACY, resource_path=resource_path)
    return StandInConfig(
        generation=Generation.LEGACY,
        heartbeat_timeout=handshake.heartbeat_timeout,
        close_timeout=handshake.close_timeout,
        resource_path=resource_path,
    )


def _eio_config(recording: Recording, generation: Generation, resource_path: str) -> StandInConfig:
    data = _first_open_packet(recording)
    if data is None:
        return StandInConfig(generation=generation, resource_path=resource_path)
    return StandInConfig(
        generation=generation,
        ping_interval=_seconds(data.get("pingInterval"), 25.0),
        ping_timeout=_seconds(data.get("pingTimeout"), 20.0),
        max_payload=int(data.get("maxPayload") or 1_000_000),
        resource_path=resource_path,
    )


def recorded_parser_name(recording: Recording) -> str | None:
    """The parser the recording's packets came through, None for the default one."""
    for entry in recording.entries:
        if isinstance(entry, PacketEntry) and entry.packet and "parser" in entry.packet:
            return str(entry.packet["parser"])
    return None


def _first_open_packet(recording: Recording) -> dict[str, Any] | None:
    for entry in recording.entries:
        if isinstance(entry, PacketEntry) and entry.dir is Direction.S2C and entry.packet:
            packet = dict(entry.packet)
            if packet.get("eio") == "open" and isinstance(packet.get("data"), dict):
                return dict(packet["data"])
    return None


def _seconds(milliseconds: Any, default: float) -> float:
    return milliseconds / 1000.0 if isinstance(milliseconds, int | float) else default
