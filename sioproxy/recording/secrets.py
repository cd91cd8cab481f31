"""Secrets filled back into a redacted recording's ``[REDACTED:NAME]`` placeholders.

Layer: pure (recording). Standard library and ``sioproxy.recording`` only.

``replay-client`` and ``diff`` fill what the client sends (handshake queries
and client packets); the pytest plugin's stand-in fills what the server sends.
NAME is the placeholder's label as written in the recording (``auth.token``,
``query.token``, ``password``). Values come from ``--secret NAME=VALUE``,
``--secret NAME=env:VAR`` or a file of such lines; ``unfilled`` names the
placeholders still left in what will be sent, for a one-line notice.
"""

from __future__ import annotations

import dataclasses
import json
import re
from collections.abc import Iterable, Mapping
from typing import Any
from urllib.parse import quote

from sioproxy.errors import ConfigError
from sioproxy.recording.model import OpenEvent, PacketEntry, Recording, UpgradeEvent
from sioproxy.recording.redact_policy import PLACEHOLDER_ENCODED_RE, PLACEHOLDER_RE
from sioproxy.types import Direction

__all__ = [
    "env_name",
    "fill_recording",
    "parse_secret",
    "read_secrets_file",
    "secrets_from",
    "unfilled",
    "unfilled_line",
    "values_for",
    "values_of_connection",
]


def parse_secret(spec: str, env: Mapping[str, str], origin: str = "--secret") -> tuple[str, str]:
    """``NAME=VALUE`` or ``NAME=env:VAR``; raises ConfigError naming ``origin``."""
    name, sep, value = spec.partition("=")
    name = name.strip()
    if not sep or not name:
        # The text is not echoed: it may be the secret itself, typed without NAME=.
        raise ConfigError(None, None, f"{origin} expects NAME=VALUE or NAME=env:VAR")
    if value.startswith("env:"):
        var = value[4:]
        if var not in env:
            raise ConfigError(None, None, f"{origin} {name}: environment variable {var} is not set")
        value = env[var]
    return name, value


def read_secrets_file(path: str, env: Mapping[str, str]) -> dict[str, str]:
    """``NAME=VALUE`` lines; blank lines and ``#`` comments are skipped."""
    try:
        with open(path, encoding="utf-8") as file:
            lines = file.read().splitlines()
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(path, None, f"cannot read secrets file: {exc}") from None
    out: dict[str, str] = {}
    for number, line in enumerate(lines, 1):
        text = line.strip()
        if text and not text.startswith("#"):
            name, value = parse_secret(text, env, origin=f"{path}:{number}:")
            out[name] = value
    return out


def secrets_from(specs: Iterable[str], file: str | None, env: Mapping[str, str]) -> dict[str, str]:
    """The file's values, then ``--secret`` options over them."""
    values = read_secrets_file(file, env) if file else {}
    for spec in specs:
        name, value = parse_secret(spec, env)
        values[name] = value
    return values


def env_name(label: str) -> str:
    """``SIOPROXY_SECRET_<NAME>``: the label upper-cased, other characters as ``_``."""
    return "SIOPROXY_SECRET_" + re.sub(r"[^A-Z0-9]", "_", label.upper())


def values_for(
    recording: Recording, given: Mapping[str, str], sender: Direction, env: Mapping[str, str]
) -> dict[str, str]:
    """``given`` (``NAME: VALUE`` or ``NAME: env:VAR``) plus ``SIOPROXY_SECRET_<NAME>``
    variables for the placeholders ``sender`` sends; ``given`` wins."""
    values = {
        label: env[env_name(label)]
        for label in unfilled(recording, sender)
        if env_name(label) in env
    }
    for name, value in given.items():
        values.update([parse_secret(f"{name}={value}", env, origin=f"secrets[{name!r}]")])
    return values


def _filler(values: Mapping[str, str], where: str) -> Any:
    """Replacement for a placeholder match in ``where``: raw, query or value text."""

    def repl(match: Any) -> str:
        label = match.group(1)
        if label not in values:
            return str(match.group(0))
        value = values[label]
        if label.startswith("query.") or where == "query":
            return quote(value, safe="")
        if where == "raw":
            return json.dumps(value, ensure_ascii=False)[1:-1]
        return value

    return repl


def _fill_text(text: str, values: Mapping[str, str], where: str) -> str:
    if "REDACTED" not in text.upper():
        return text
    repl = _filler(values, where)
    return str(PLACEHOLDER_ENCODED_RE.sub(repl, PLACEHOLDER_RE.sub(repl, text)))


def _fill_json(value: Any, values: Mapping[str, str]) -> Any:
    if isinstance(value, str):
        return _fill_text(value, values, "value")
    if isinstance(value, list):
        return [_fill_json(v, values) for v in value]
    if isinstance(value, dict):
        return {k: _fill_json(v, values) for k, v in value.items()}
    return value


_SCOPED = re.compile(r"^(c\d+):(.+)$")


def values_of_connection(values: Mapping[str, str], conn: str) -> dict[str, str]:
    """The values for recorded connection ``conn``: ``c2:auth.token`` over ``auth.token``.

    Each client of a multi-user recording has its own token; a value named
    with its connection's label fills that connection's placeholders only.
    """
    mine = {name: value for name, value in values.items() if not _SCOPED.match(name)}
    for name, value in values.items():
        scoped = _SCOPED.match(name)
        if scoped and scoped.group(1) == conn:
            mine[scoped.group(2)] = value
    return mine


def fill_recording(recording: Recording, values: Mapping[str, str], sender: Direction) -> Recording:
    """``recording`` with the placeholders of what ``sender`` sends filled from ``values``.

    For the client side that is every handshake query and path and every
    client packet; for the server side, every server packet. A value named
    ``CONN:NAME`` (``c2:auth.token``) fills connection CONN's only.
    """
    if not values:
        return recording
    per_conn: dict[str, Mapping[str, str]] = {}
    entries = []
    for entry in recording.entries:
        conn = getattr(entry, "conn", None)
        if conn is not None and conn not in per_conn:
            per_conn[conn] = values_of_connection(values, conn)
        mine = per_conn[conn] if conn is not None else values
        if isinstance(entry, PacketEntry) and entry.dir is sender:
            raw = entry.raw
            if isinstance(raw, str):
                raw = _fill_text(raw, mine, "raw")
            packet = None if entry.packet is None else _fill_json(entry.packet, mine)
            entry = dataclasses.replace(entry, raw=raw, packet=packet)
        elif isinstance(entry, OpenEvent | UpgradeEvent) and sender is Direction.C2S:
            request = dataclasses.replace(
                entry.request,
                query=_fill_text(entry.request.query, mine, "query"),
                path=_fill_text(entry.request.path, mine, "query"),
            )
            entry = dataclasses.replace(entry, request=request)
        entries.append(entry)
    return dataclasses.replace(recording, entries=tuple(entries))


def unfilled(recording: Recording, sender: Direction, conns: Iterable[str] = ()) -> list[str]:
    """Labels of the placeholders left in what ``sender`` sends, in first-seen order."""
    only = set(conns)
    found: dict[str, None] = {}
    for entry in recording.entries:
        if only and entry.conn not in only:
            continue
        texts: list[str] = []
        if isinstance(entry, PacketEntry) and entry.dir is sender:
            # A binary frame (msgpack) or attachment holds the ASCII placeholder as bytes.
            for part in (entry.raw, *entry.attachments):
                texts.append(part if isinstance(part, str) else part.decode("latin-1"))
        elif isinstance(entry, OpenEvent) and sender is Direction.C2S:
            texts.append(entry.request.query)
        for text in texts:
            for regex in (PLACEHOLDER_RE, PLACEHOLDER_ENCODED_RE):
                found.update((m.group(1), None) for m in regex.finditer(text))
    return list(found)


def unfilled_line(labels: list[str], hint: str) -> str | None:
    """The one-line notice about placeholders sent unfilled, or None."""
    if not labels:
        return None
    shown = ", ".join(f"[REDACTED:{label}]" for label in labels)
    return f"placeholders sent unfilled: {shown} ({hint})"
