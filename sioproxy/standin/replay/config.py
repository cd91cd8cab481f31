"""The stand-in server's settings, read from a recording.

Layer: pure (replay). Heartbeat values come from the recorded handshake (the
Engine.IO open packet, docs/protocol.md#b3, or the 0.9 handshake body, A.2): the
replay runs heartbeats live with the recorded intervals, never from the file.
"""

from __future__ import annotations

from typing import Any

from sioproxy.codec.legacy_framing import decode_handshake
from sioproxy.errors import DecodeError, RecordingError
from sioproxy.recording import OpenEvent, PacketEntry, Recording
from sioproxy.standin.sessions.app import StandInConfig
from sioproxy.types import Direction, Generation


def standin_config(recording: Recording, *, resource_path: str = "/socket.io") -> StandInConfig:
    """Generation and heartbeat settings of the recording's first connection."""
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
    return _eio_config(recording, first.generation, resource_path)


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
        parser = recorded_parser(recording)
        return StandInConfig(generation=generation, resource_path=resource_path, parser=parser)
    return StandInConfig(
        generation=generation,
        ping_interval=_seconds(data.get("pingInterval"), 25.0),
        ping_timeout=_seconds(data.get("pingTimeout"), 20.0),
        max_payload=int(data.get("maxPayload") or 1_000_000),
        resource_path=resource_path,
        parser=recorded_parser(recording),
    )


def recorded_parser(recording: Recording) -> str | None:
    """``"msgpack"`` when the recording's packets came through socket.io-msgpack-parser."""
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
