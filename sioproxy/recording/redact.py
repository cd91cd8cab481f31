"""Redaction of secrets: every recording entry and every line of output.

Layer: pure (recording). Imports only the standard library and
``sioproxy.recording``; never twisted. What counts as a secret is the
``RedactionPolicy`` (redact_policy.py): key names, headers, query
parameters and event pointers, never whole objects and never values by
their looks.

Two passes. The structured pass replaces the value of every secret key
where it stands: headers by name, query values by key, JSON values by key
at any depth (the v5 CONNECT auth payload included: ``{"token": ..,
"user": "alice"}`` keeps ``alice``), ``--redact-pointer`` values, and
``"key": value`` / ``key=value`` pairs found in raw text that does not
decode (a CONNECT cut off before its closing brace). Each value it replaces
is remembered; the sweep pass then replaces every remembered value of at
least ``MIN_SCRUB`` characters wherever it appears again (raw wire text
repeats it verbatim, JSON-escaped or percent-encoded). Shorter values are
swept from their own entry only, where delimited.

``Redactor.redact_output`` is the one function every human- or
machine-readable output goes through (log lines, replay logs, mismatch
reports, ``show``, HAR export, metrics labels, pytest failures).

Placeholder: ``[REDACTED:<label>]``, written literally everywhere (headers,
JSON strings and query strings alike: it is not percent-encoded; ``[``,
``]`` and ``:`` pass through every query parser we know).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Generator, Mapping
from typing import Any

from sioproxy.recording.model import (
    CloseEvent,
    Entry,
    HttpRequest,
    OpenEvent,
    OriginalFrame,
    PacketEntry,
    UpgradeEvent,
)
from sioproxy.recording.redact_core import TextRedactor
from sioproxy.recording.redact_policy import (
    DEFAULT_HEADERS,
    DEFAULT_KEYS,
    MIN_SCRUB,
    RedactionPolicy,
    is_placeholder,
    placeholder,
    placeholder_key,
)
from sioproxy.recording.redact_sweep import fill_placeholders
from sioproxy.recording.slices import windows
from sioproxy.types import Direction

__all__ = [
    "DEFAULT_HEADERS",
    "DEFAULT_KEYS",
    "MIN_SCRUB",
    "RedactionPolicy",
    "Redactor",
    "fill_placeholders",
    "is_placeholder",
    "placeholder",
    "placeholder_key",
]


class Redactor(TextRedactor):
    """A ``TextRedactor`` that also redacts whole recording entries."""

    # -- whole entries ------------------------------------------------------

    def redact_request(self, request: HttpRequest) -> HttpRequest:
        if not self.enabled:
            return request
        headers = tuple(self.redact_headers(request.headers))
        query = self.redact_query(request.query)
        return dataclasses.replace(
            request,
            headers=headers,
            query=self.redact_text(query),
            path=self.redact_text(request.path),
        )

    def redact_entry(self, entry: Entry) -> Entry:
        """The entry as it may be written to a recording."""
        if not self.enabled:
            return entry
        self._entry_secrets = {}
        try:
            return self._redact_entry(entry)
        finally:
            self._entry_secrets = {}

    def _redact_entry(self, entry: Entry) -> Entry:
        if isinstance(entry, OpenEvent | UpgradeEvent):
            return dataclasses.replace(entry, request=self.redact_request(entry.request))
        if isinstance(entry, CloseEvent):
            return dataclasses.replace(entry, reason=self.redact_output(entry.reason))
        return self._redact_packet(entry)

    def _redact_packet(self, entry: PacketEntry) -> PacketEntry:
        client = entry.dir is Direction.C2S
        if self._nothing_to_redact(entry, client):
            return entry
        original = entry.original
        if original is not None:
            raw, attachments, packet = self._redact_frame(
                original.raw, original.attachments, original.packet, client
            )
            original = OriginalFrame(raw=raw, attachments=attachments, packet=packet)
        raw, attachments, packet = self._redact_frame(
            entry.raw, entry.attachments, entry.packet, client
        )
        return dataclasses.replace(
            entry,
            raw=raw,
            attachments=attachments,
            packet=packet,
            error=None if entry.error is None else self._redact_note(entry.error),
            original=original,
            note=None if entry.note is None else self._redact_note(entry.note),
        )

    def _redact_note(self, text: str) -> str:
        return self.redact_text(self._replace_found(text, "", self._remember_found))

    def _nothing_to_redact(self, entry: PacketEntry, client: bool) -> bool:
        """Fast path (the hot one: most packets carry no secret): True when the
        structured and sweep passes could not change ``entry``.

        The decoded ``packet`` comes from ``raw``, so when no secret key name and
        no remembered secret occurs in the raw text, neither occurs in the
        packet. Escapes (``\\u0074oken``) and attachments take the full path.
        """
        raw = entry.raw
        if not isinstance(raw, str) or entry.attachments:
            return False
        if entry.original is not None or entry.error is not None or entry.note is not None:
            return False
        return self.text_is_clean(raw)

    def raw_is_clean(self, raw: str, client: bool) -> bool:
        """True when a packet entry with this text ``raw`` (and no attachments,
        original, error or note) would come out of ``redact_entry`` unchanged.

        The live recorder asks this before encoding a packet line itself,
        without building a ``PacketEntry`` (docs/performance.md).
        """
        return self.text_is_clean(raw)

    def text_is_clean(self, raw: str) -> bool:
        """``raw_is_clean`` for either direction (it does not depend on it): one call
        less for the live recorder, once per packet."""
        if not self.enabled:
            return True
        if "\\" in raw or not self._fast_path_ok:
            return False
        if self._match.may_hold(raw):  # a key name, in a pair or not: the full path decides
            return False
        for pointer in self._match.pointers:
            if pointer.event in raw:
                return False
        if not self._sweep.values:  # no secret remembered (the pattern would be None)
            return True
        pattern, _labels = self._sweep.pattern()
        return pattern is None or pattern.search(raw) is None

    def undecoded_is_clean(self, raw: str) -> Generator[None, None, bool]:
        """``raw_is_clean`` for the text of an undecoded packet entry, a slice per step.

        True when ``redact_entry`` would leave such an entry (an ``error``, no
        ``packet``, attachments or ``original``) unchanged: no key name and no
        remembered secret occurs in ``raw``. Only the raw text is scanned
        there, so a backslash does not matter. False (the one-turn path
        decides) also for a key name that is not ASCII: lower-casing it
        slice by slice might differ.
        """
        if not self.enabled:
            return True
        probes = self._match.probes
        if not self._fast_path_ok or not all(probe.isascii() for probe in probes):
            return False
        overlap = max(map(len, probes), default=1) - 1
        for window in windows(raw, overlap):
            if self._match.may_hold(window):
                return False
            yield
        if self._sweep.values:
            pattern, _labels = self._sweep.pattern()
            # A value's longest written form (\uXXXX escapes) and the character
            # either side its pattern looks at.
            overlap = 6 * max(map(len, self._sweep.values)) + 2
            for window in windows(raw, overlap):
                if pattern is not None and pattern.search(window):
                    return False
                yield
        return True

    def _redact_frame(
        self,
        raw: str | bytes,
        attachments: tuple[bytes, ...],
        packet: Mapping[str, Any] | None,
        client: bool,
    ) -> tuple[str | bytes, tuple[bytes, ...], Mapping[str, Any] | None]:
        if isinstance(raw, str):
            raw = self.scan_raw(raw, client)
        if packet is not None:
            packet = self._sweep_value(self.redact_json(self._redact_auth_of(packet, client)))
            packet = self.redact_pointers(packet)
        new_raw = self.redact_text(raw) if isinstance(raw, str) else self.redact_bytes(raw)
        return new_raw, tuple(self.redact_bytes(a) for a in attachments), packet

    def _redact_auth_of(self, packet: Mapping[str, Any], client: bool) -> Mapping[str, Any]:
        """A client CONNECT's auth payload, with ``auth.`` labels (C.4)."""
        sio = packet.get("sio")
        if not client or not isinstance(sio, Mapping) or sio.get("type") != "connect":
            return packet
        if "data" not in sio:
            return packet
        return {**packet, "sio": {**sio, "data": self.redact_auth(sio["data"])}}
