"""Record modes that keep the old recording: appending and the new-episodes router.

Layer: transport-side test helper (imports twisted.web). ``merge_recordings``
and ``write_recording`` are pure; ``EpisodeRouter`` is the resource that lets
one URL serve recorded connections from the replay and forward new ones to
the live proxy.

What ``new_episodes`` means for Socket.IO (docs/pytest.md): a recording holds
connections, played to live clients in the order they open. The first N live
connections (N = recorded connections) are replayed; every connection after
them is a new episode, forwarded to ``upstream`` and recorded. The new
connections are appended to the file when the test passes. A connection is
pinned to one side by its handshake: later requests carry its session id
(``sid=`` for Engine.IO, the path segment for 0.9, docs/protocol.md#a1 and B.1),
and the replay's stand-in server knows the ids it issued.
"""

from __future__ import annotations

import dataclasses
import os
from pathlib import Path
from typing import Any

from twisted.web.resource import Resource
from twisted.web.server import Request

from sioproxy.recording import Entry, PacketEntry, Recording, RecordingWriter


def merge_recordings(old: Recording, new: Recording) -> list[Entry]:
    """``old``'s entries, then ``new``'s with fresh connection labels, seqs and times after them.

    New connections are labelled ``c<n>`` from the first free number on, so
    replay order (the order connections opened) puts them after the old ones.
    """
    last_seq = old.entries[-1].seq if old.entries else 0
    last_t = max((e.t for e in old.entries), default=0.0)
    taken = set(old.connections())
    labels: dict[str, str] = {}
    number = len(taken)
    for conn in new.connections():
        number += 1
        while f"c{number}" in taken:
            number += 1
        labels[conn] = f"c{number}"
        taken.add(labels[conn])
    merged: list[Entry] = list(old.entries)
    for entry in new.entries:
        if entry.conn not in labels:
            continue
        changes: dict[str, Any] = {
            "seq": entry.seq + last_seq,
            "conn": labels[entry.conn],
            "t": entry.t + last_t,
        }
        if isinstance(entry, PacketEntry) and entry.ack_of is not None:
            changes["ack_of"] = entry.ack_of + last_seq
        merged.append(dataclasses.replace(entry, **changes))
    return merged


def write_recording(path: Path, old: Recording, entries: list[Entry]) -> None:
    """Write ``old``'s header and ``entries`` to ``path`` (created or replaced)."""
    writer = RecordingWriter.create(path, old.header, overwrite=True)
    try:
        for entry in entries:
            writer.write(entry)
    finally:
        writer.close()
    if writer.failed:
        os.unlink(path)
        raise OSError(f"writing {path} failed: {writer.failed}")


def session_id(request: Request, resource_path: str) -> str | None:
    """The session id a Socket.IO request names, or None for a handshake."""
    sid: list[bytes] | None = (request.args or {}).get(b"sid")
    if sid:
        return sid[0].decode("utf-8", "replace")
    path = (request.path or b"/").decode("utf-8", "replace")
    rest = path[len(resource_path.rstrip("/")) :].strip("/").split("/")
    # 0.9: /socket.io/1/<transport>/<sid>; /socket.io/1/ alone is the handshake.
    if len(rest) >= 3 and rest[0] == "1" and rest[2]:
        return rest[2]
    return None


class EpisodeRouter(Resource):
    """Sends recorded connections to the replay and new episodes to the proxy."""

    isLeaf = True  # noqa: N815 - twisted.web's name

    def __init__(
        self, replay: Any, proxy_resource: Resource, resource_path: str = "/socket.io"
    ) -> None:
        super().__init__()  # type: ignore[no-untyped-call]
        self._replay = replay  # RunningReplay
        self._proxy: Any = proxy_resource
        self._standin: Any = replay.site.resource
        self._resource_path = resource_path
        self.forwarded = 0

    def render(self, request: Request) -> Any:
        sid = session_id(request, self._resource_path)
        if sid is None:
            to_replay = not self._replay.service.scheduler.exhausted
        else:
            to_replay = sid in self._replay.site.server.sessions
        if to_replay:
            return self._standin.render(request)
        self.forwarded += 1
        return self._proxy.render(request)
