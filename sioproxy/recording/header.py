"""The first line of a recording: ``Header``, and the format's name and versions.

Layer: pure (recording). Standard library, ``sioproxy.errors`` and
``sioproxy.types``; never twisted. docs/recording-format.md describes the
header's keys.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from sioproxy import __version__
from sioproxy.recording.line_fields import JsonObject, LineFields, show_value
from sioproxy.types import Generation

__all__ = ["FORMAT_MINOR", "FORMAT_NAME", "FORMAT_VERSION", "Header", "utc_now_iso"]

FORMAT_NAME = "sioproxy-recording"
FORMAT_VERSION = 1
#: Minor revision written in new headers. 1: a file may hold several sessions
#: (a header line before each, ``record --append``); 0 (no ``minor`` key): one.
FORMAT_MINOR = 1


def _no_redactions() -> dict[str, Any]:
    return {"headers": [], "query": [], "auth": False}


def utc_now_iso(now: dt.datetime | None = None) -> str:
    """ISO 8601 UTC with a ``Z`` suffix and milliseconds, as in the header's ``created``."""
    moment = (now or dt.datetime.now(dt.UTC)).astimezone(dt.UTC)
    return moment.isoformat(timespec="milliseconds").replace("+00:00", "Z")


@dataclass(frozen=True, slots=True, kw_only=True)
class Header:
    """First line of a recording."""

    generation: Generation | None
    created: str
    tool: str = f"sioproxy {__version__}"
    upstream: str | None = None
    redactions: Mapping[str, Any] = field(default_factory=_no_redactions)
    meta: Mapping[str, Any] = field(default_factory=dict)
    version: int = FORMAT_VERSION
    minor: int = FORMAT_MINOR

    @classmethod
    def new(
        cls,
        *,
        generation: Generation | None = None,
        upstream: str | None = None,
        redactions: Mapping[str, Any] | None = None,
        meta: Mapping[str, Any] | None = None,
        now: dt.datetime | None = None,
    ) -> Header:
        """A header stamped with the current time and this sioproxy's version."""
        return cls(
            generation=generation,
            created=utc_now_iso(now),
            upstream=upstream,
            redactions=dict(redactions) if redactions is not None else _no_redactions(),
            meta=dict(meta or {}),
        )

    def to_json(self) -> JsonObject:
        obj: JsonObject = {
            "kind": "header",
            "format": FORMAT_NAME,
            "version": self.version,
            "minor": self.minor,
            "generation": None if self.generation is None else self.generation.value,
            "created": self.created,
            "tool": self.tool,
            "upstream": self.upstream,
            "redactions": dict(self.redactions),
        }
        if self.meta:
            obj["meta"] = dict(self.meta)
        return obj

    @classmethod
    def from_json(cls, obj: Any, *, path: str, line: int | None) -> Header:
        f = LineFields(obj, "header", path, line)
        if f.get("kind") != "header":
            got = show_value(f.get("kind"))
            f.fail(f'first line must be the header ("kind": "header"), got {got}')
        if f.get("format") != FORMAT_NAME:
            f.fail(f'"format" must be "{FORMAT_NAME}", got {show_value(f.get("format"))}')
        version = f.integer("version", minimum=1)
        if version > FORMAT_VERSION:
            f.fail(
                f"written by a newer sioproxy: format version {version}; "
                f"this sioproxy reads version {FORMAT_VERSION}"
            )
        created = f.text("created")
        try:
            dt.datetime.fromisoformat(created)
        except ValueError:
            f.bad("created", "an ISO 8601 time")
        return cls(
            generation=f.choice("generation", Generation, nullable=True),
            created=created,
            tool=f.text("tool"),
            upstream=f.text("upstream", nullable=True),
            redactions=_parse_redactions(f.sub("redactions")),
            meta=f.mapping("meta") if f.has("meta") else {},
            version=version,
            minor=f.integer("minor") if f.has("minor") else 0,
        )


def _parse_redactions(f: LineFields) -> dict[str, Any]:
    auth = f.get("auth")
    if not isinstance(auth, bool):
        f.bad("auth", "true or false")
    # Policy 2 (docs/recording-format.md "Redaction") adds keys, pointers and
    # more; they are kept as written, for show, HAR export and replay logs.
    extra = {k: v for k, v in f.items().items() if k not in ("headers", "query", "auth")}
    return {
        **extra,
        "headers": list(f.strings("headers")),
        "query": list(f.strings("query")),
        "auth": auth,
    }
