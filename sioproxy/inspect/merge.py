"""``sioproxy merge``: one recording from the recordings of several proxy processes.

Layer: pure (inspect). Imports the standard library and ``sioproxy.recording``;
never twisted.

Rules (docs/inspect.md, "merge"):

* Entries are ordered by wall-clock time, ``created`` of their file's header
  plus their ``t``; ties keep the order of the files on the command line. The
  entries of one file keep their order even if its ``t`` ever went backwards,
  so an ack always follows its request.
* The merged header's ``created`` is the earliest one; every ``t`` is made
  relative to it.
* Connections are renumbered ``c1``, ``c2``... in the order they open in the
  merged file; ``meta.sources`` keeps, per input file, its path, ``created`` and
  the old-label -> new-label map.
* ``seq`` is renumbered 1..N and ``ack_of`` follows its request.
* ``generation`` is kept when every input agrees, else null; ``upstream`` the
  same; ``redactions`` is the union (a key redacted in any input is listed).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import heapq
import os
from collections.abc import Callable, Iterator, Sequence
from typing import Any

from sioproxy.errors import RecordingError
from sioproxy.recording.header import Header
from sioproxy.recording.model import Entry, OpenEvent, PacketEntry, Recording
from sioproxy.recording.reader import read_recording
from sioproxy.recording.writer import RecordingWriter


def created_epoch(header: Header, path: str) -> float:
    """``created`` as seconds since the epoch (a naive time is taken as UTC)."""
    try:
        moment = dt.datetime.fromisoformat(header.created)
    except ValueError:
        raise RecordingError(path, 1, f"header: bad created time {header.created!r}") from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=dt.UTC)
    return moment.timestamp()


def _union(lists: Sequence[Sequence[str]]) -> list[str]:
    seen: set[str] = set()
    out: list[str] = []
    for names in lists:
        for name in names:
            if name.lower() not in seen:
                seen.add(name.lower())
                out.append(name)
    return out


def _agreed(values: Sequence[Any]) -> Any:
    return values[0] if values and all(v == values[0] for v in values) else None


def merged_header(recordings: Sequence[Recording], sources: list[dict[str, Any]]) -> Header:
    firsts = [r.header for r in recordings]
    starts = [created_epoch(h, r.path or "?") for h, r in zip(firsts, recordings, strict=True)]
    earliest = firsts[starts.index(min(starts))]
    headers = [h for r in recordings for h in r.headers()]  # every session's redactions count
    redactions: dict[str, Any] = {
        "headers": _union([h.redactions.get("headers", []) for h in headers]),
        "query": _union([h.redactions.get("query", []) for h in headers]),
        "auth": any(bool(h.redactions.get("auth")) for h in headers),
    }
    policies = [h.redactions for h in headers if h.redactions.get("policy") == 2]
    if policies:  # the union of what any input redacted (docs/recording-format.md)
        redactions.update(
            policy=2,
            enabled=any(bool(p.get("enabled")) for p in policies),
            keys=_union([p.get("keys", []) for p in policies]),
            pointers=_union([p.get("pointers", []) for p in policies]),
            kept=[],
            min_scrub=min(int(p.get("min_scrub", 8)) for p in policies),
        )
    header = Header.new(
        generation=_agreed([h.generation for h in headers]),
        upstream=_agreed([h.upstream for h in headers]),
        redactions=redactions,
        meta={"merged_from": sources},
    )
    # Keep the earliest input's own spelling of the time: every t is relative to it.
    return dataclasses.replace(header, created=earliest.created)


def _tagged(index: int, recording: Recording, start: float) -> Iterator[tuple[float, int, Entry]]:
    for entry in recording.entries:
        yield start + entry.t, index, entry


def merge_recordings(recordings: Sequence[Recording]) -> tuple[Header, list[Entry]]:
    """The merged header and entries (see the module docstring for the rules)."""
    if not recordings:
        raise ValueError("merge needs at least one recording")
    starts = [created_epoch(r.header, r.path or "?") for r in recordings]
    base = min(starts)
    labels: list[dict[str, str]] = [{} for _ in recordings]
    seqs: list[dict[int, int]] = [{} for _ in recordings]
    streams = [_tagged(i, r, s) for i, (r, s) in enumerate(zip(recordings, starts, strict=True))]
    entries: list[Entry] = []
    # heapq.merge keeps each input's own order, which is the order that matters.
    for wall, index, entry in heapq.merge(*streams, key=lambda item: (item[0], item[1])):
        if isinstance(entry, OpenEvent):
            labels[index][entry.conn] = f"c{sum(len(m) for m in labels) + 1}"
        seq = len(entries) + 1
        seqs[index][entry.seq] = seq
        changes: dict[str, Any] = {
            "seq": seq,
            "conn": labels[index][entry.conn],
            "t": round(max(wall - base, 0.0), 6),
        }
        if isinstance(entry, PacketEntry) and entry.ack_of is not None:
            changes["ack_of"] = seqs[index].get(entry.ack_of)
        entries.append(dataclasses.replace(entry, **changes))
    sources = [
        {"path": r.path, "created": r.header.created, "connections": labels[i]}
        for i, r in enumerate(recordings)
    ]
    return merged_header(recordings, sources), entries


def merge_files(
    paths: Sequence[str | os.PathLike[str]],
    out: str | os.PathLike[str],
    *,
    overwrite: bool = False,
    warn: Callable[[str, str], None] | None = None,
) -> tuple[Header, int]:
    """Read, merge and write; returns the header written and the number of entries.

    ``warn(path, torn_tail)`` is told about each input whose torn last line was dropped.
    """
    recordings = [read_recording(p) for p in paths]
    for recording in recordings:
        if recording.torn_tail and warn is not None:
            warn(recording.path or "?", recording.torn_tail)
    header, entries = merge_recordings(recordings)
    writer = RecordingWriter.create(out, header, overwrite=overwrite)
    try:
        for entry in entries:
            writer.write(entry)
    finally:
        writer.close()
    if writer.failed:
        raise RecordingError(str(out), None, f"write failed: {writer.failed}")
    return header, len(entries)
