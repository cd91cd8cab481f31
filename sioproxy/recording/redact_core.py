"""Redaction of secrets in text and JSON: the policy applied, values remembered.

Layer: pure (recording). Standard library and ``sioproxy.recording`` only.
``TextRedactor`` is the structured pass (headers, queries, JSON by key,
``--redact-pointer`` values, key scans of raw text) and the sweep, plus
``redact_output``: the one function every output goes through.
``redact.Redactor`` adds whole recording entries.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Iterable, Mapping, Sequence
from typing import Any, Self
from urllib.parse import unquote_plus

from sioproxy.jsonpointer import find, set_value
from sioproxy.recording.redact_policy import (
    MIN_SCRUB,
    Found,
    KeyMatcher,
    RedactionPolicy,
    RedactPointer,
    is_placeholder,
    placeholder,
)
from sioproxy.recording.redact_sweep import Sweep, json_unescape, sweep_with

__all__ = ["TextRedactor"]

# Keys of the decoded packet dicts themselves (sio_to_dict, eio_to_dict,
# legacy packet_to_dict): a --redact key among them would redact the packet's
# structure, which the fast path below cannot see in the raw text.
_STRUCTURAL_KEYS = frozenset(
    {
        *("type", "nsp", "id", "data", "attachments", "attachments_expected", "eio", "sio"),
        *("binary", "ack", "advice", "args", "endpoint", "name", "qs", "reason", "options"),
    }
)


def _connect_prefix(message: str, client: bool) -> str:
    """``auth.`` for the payload of a client's v5 CONNECT (docs/protocol.md#c4)."""
    return "auth." if client and message.startswith("40") else ""


class TextRedactor:
    """Applies one ``RedactionPolicy``; remembers the secrets it replaced."""

    def __init__(
        self,
        policy: RedactionPolicy | None = None,
        *,
        enabled: bool = True,
        extra_keys: Iterable[str] = (),
    ) -> None:
        if policy is None:
            policy = RedactionPolicy.build(enabled=enabled, redact=extra_keys)
        self.policy = policy
        self.enabled = policy.enabled
        self._match = KeyMatcher(policy)
        self._fast_path_ok = not (self._match.query & _STRUCTURAL_KEYS)
        self._sweep = Sweep()  # values replaced in the traffic (>= MIN_SCRUB)
        self._output = Sweep()  # those plus values seen only in output text
        self._entry_secrets: dict[str, str] = {}  # short values, for the current entry only

    @classmethod
    def disabled(cls) -> Self:
        return cls(RedactionPolicy.disabled())

    @classmethod
    def from_summary(cls, summary: Mapping[str, Any] | None) -> Self:
        """The redactor of a recording's header ``redactions`` (show, HAR, replay)."""
        return cls(RedactionPolicy.from_summary(summary))

    @property
    def secrets(self) -> dict[str, str]:
        """Remembered secret values -> their labels."""
        return self._sweep.values

    def summary(self) -> dict[str, Any]:
        """The ``redactions`` field of the recording header."""
        return self.policy.summary()

    def remember(self, value: str, label: str) -> None:
        """Record a secret value so that the sweeps remove it everywhere.

        Values shorter than ``MIN_SCRUB`` are kept for the current entry only.
        """
        if not value or is_placeholder(value):
            return
        if len(value) < MIN_SCRUB:
            self._entry_secrets.setdefault(value, label)
        else:
            self._sweep.add(value, label)
            self._output.add(value, label)

    def remember_output(self, value: str, label: str) -> None:
        """A value known to be secret (``--secret``): scrubbed from every output."""
        if len(value) >= MIN_SCRUB:
            self._output.add(value, label)

    def _label(self, value: str, label: str) -> str:
        """The label ``value`` was first found under, so one secret has one name."""
        return self._sweep.values.get(value) or self._output.values.get(value) or label

    # -- the one function for output ----------------------------------------

    def redact_output(self, text: str) -> str:
        """``text`` as it may be shown: a log line, report, HAR document, label.

        Values of secret keys written in it (``"password": ".."``,
        ``token=..``, also in JSON that does not parse) are replaced where
        they stand, whatever their length, and every remembered secret of
        at least ``MIN_SCRUB`` characters is swept.
        """
        if not self.enabled or not text:
            return text
        text = self._replace_found(text, "", self._remember_output)
        return self._output.sub(text)

    def redact_output_lines(self, lines: list[str]) -> list[str]:
        """``redact_output`` of each line; one test of their joined text in the common case.

        A key name or remembered secret inside a line is inside the joined text,
        so when the text holds no secret key name and no secret is remembered,
        no line would change.
        """
        if not self.enabled or (
            not self._output.values and not self._match.may_hold("\n".join(lines))
        ):
            return lines
        return [self.redact_output(line) for line in lines]

    def _remember_output(self, found: Found, label: str) -> None:
        if found.quote or len(found.value) < MIN_SCRUB:
            return  # a number is swept only from traffic: in JSON output it is a literal
        self._output.add(found.value, label)
        unescaped = json_unescape(found.value)
        if unescaped != found.value:
            self._output.add(unescaped, label)

    def _replace_found(self, text: str, prefix: str, keep: Any) -> str:
        pieces: list[str] = []
        pos = 0
        for found in sorted(self._match.scan(text, prefix), key=lambda f: f.start):
            if found.start < pos:
                continue
            label = self._label(found.value, found.label)
            pieces += [text[pos : found.start], found.quote + placeholder(label) + found.quote]
            pos = found.end
            keep(found, label)
        return "".join(pieces) + text[pos:] if pieces else text

    # -- structured pass ----------------------------------------------------

    def redact_headers(self, headers: Sequence[tuple[str, str]]) -> list[tuple[str, str]]:
        """Replace the values of secret headers (case-insensitive names)."""
        out: list[tuple[str, str]] = []
        for name, value in headers:
            lower = name.lower()
            if not self._match.header(name) or not value:
                out.append((name, value))
                continue
            self.remember(value, name)
            if lower in ("authorization", "proxy-authorization") and " " in value.strip():
                self.remember(value.strip().split(None, 1)[1], name)  # "Bearer <token>"
            if lower in ("cookie", "set-cookie"):
                self._remember_cookies(value, lower)
            out.append((name, placeholder(name)))
        return out

    def _remember_cookies(self, value: str, header: str) -> None:
        pairs = value.split(";")[:1] if header == "set-cookie" else value.split(";")
        for pair in pairs:
            cookie, sep, cookie_value = pair.strip().partition("=")
            if sep:
                self.remember(cookie_value, "cookie." + cookie)

    def redact_query(self, query: str) -> str:
        """Replace the values of secret keys; order, encoding and repeats are kept."""
        if not self.enabled:
            return query
        lead = "?" if query.startswith("?") else ""
        parts = query[len(lead) :].split("&")
        for index, part in enumerate(parts):
            raw_key, sep, raw_value = part.partition("=")
            key = unquote_plus(raw_key)
            if sep and raw_value and self._match.query_key(key) and not is_placeholder(raw_value):
                label = self._label(unquote_plus(raw_value), "query." + key)
                self.remember(raw_value, label)
                self.remember(unquote_plus(raw_value), label)
                parts[index] = f"{raw_key}={placeholder(label)}"
        return lead + "&".join(parts)

    def redact_json(self, value: Any, prefix: str = "") -> Any:
        """Deep copy of ``value`` with the value of every secret key (any depth) replaced.

        ``prefix`` starts the label (``auth.`` for a CONNECT auth payload).
        """
        if not self.enabled:
            return value
        if isinstance(value, dict):
            out: dict[Any, Any] = {}
            for key, item in value.items():
                if self._match.json_key(key, item) and not is_placeholder(item):
                    label = prefix + str(key)
                    self._remember_leaves(item, label)
                    out[key] = placeholder(self._leaf_label(item, label))
                else:
                    out[key] = self.redact_json(item, prefix)
            return out
        if isinstance(value, list):
            return [self.redact_json(item, prefix) for item in value]
        return value

    def redact_auth(self, obj: Any) -> Any:
        """A v5 CONNECT auth payload: secret keys replaced, everything else kept."""
        return self.redact_json(obj, "auth.")

    def _leaf_label(self, value: Any, label: str) -> str:
        return self._label(value, label) if isinstance(value, str) else label

    def _remember_leaves(self, value: Any, label: str) -> None:
        if isinstance(value, dict):
            for v in value.values():
                self._remember_leaves(v, label)
        elif isinstance(value, list):
            for v in value:
                self._remember_leaves(v, label)
        elif isinstance(value, str):
            self.remember(value, self._label(value, label))
        elif isinstance(value, int | float) and not isinstance(value, bool):
            # Numbers show up in raw JSON as their literal text.
            self.remember(json.dumps(value), label)

    def redact_pointers(self, packet: Mapping[str, Any]) -> Mapping[str, Any]:
        """Replace the ``--redact-pointer`` values of an event packet's arguments."""
        if not self._match.pointers:
            return packet
        name, args = _event_of(packet)
        if name is None:
            return packet
        changed = False
        for pointer in self._match.pointers:
            if pointer.event == name:
                changed = self._replace_at(args, pointer) or changed
        return _with_args(packet, args) if changed else packet

    def _replace_at(self, args: list[Any], pointer: RedactPointer) -> bool:
        """Replace the value at ``pointer`` inside ``args`` (a private copy)."""
        found, node = find(args, pointer.pointer)
        if not found or is_placeholder(node):
            return False
        self._remember_leaves(node, pointer.label)
        set_value(args, pointer.pointer, placeholder(pointer.label), create=False)
        return True

    # -- sweep pass ---------------------------------------------------------

    def redact_text(self, text: str, secrets: Mapping[str, str] | None = None) -> str:
        """Replace every known secret value in ``text`` by its placeholder.

        ``secrets`` maps value -> label; by default the values collected so far.
        Secret values written inside text as ``key=value`` (query strings) are
        collected first, so a namespace or 0.9 connect query is cleaned too.
        """
        if not self.enabled or not text:
            return text
        if secrets is not None:
            return sweep_with(text, secrets)
        self.scan_query_pairs(text)
        if self._entry_secrets:
            return sweep_with(text, self._sweep.values | self._entry_secrets)
        return self._sweep.sub(text)

    def redact_bytes(self, data: bytes) -> bytes:
        """Replace the UTF-8 form of every known secret in binary frame bytes."""
        if not self.enabled or not data:
            return data
        for secret in sorted(self.secrets, key=len, reverse=True):
            data = data.replace(secret.encode(), placeholder(self.secrets[secret]).encode())
        return data

    def scan_query_pairs(self, text: str) -> None:
        """Collect the values of secret keys in every ``key=value`` pair found in ``text``."""
        if "=" not in text:
            return
        for found in self._match.scan(text):
            if found.label.startswith("query."):
                label = self._label(unquote_plus(found.value), found.label)
                self.remember(found.value, label)
                self.remember(unquote_plus(found.value), label)

    def scan_raw(self, text: str, client: bool) -> str:
        """Raw wire text with the values of secret keys replaced where they stand.

        Each Engine.IO message (EIO4 polling joins them with RS, B.5.1) is
        scanned on its own, so a client CONNECT's payload is labelled ``auth.``
        whether it decodes or not.
        """
        if not self.enabled or not self._match.may_hold(text):
            return text
        messages = text.split("\x1e")
        return "\x1e".join(
            self._replace_found(m, _connect_prefix(m, client), self._remember_found)
            for m in messages
        )

    def _remember_found(self, found: Found, label: str) -> None:
        self.remember(found.value, label)
        unescaped = json_unescape(found.value)
        if unescaped != found.value:
            self.remember(unescaped, label)
        if found.label.startswith("query."):
            self.remember(unquote_plus(found.value), label)

    def _sweep_value(self, value: Any, *, is_key: bool = False) -> Any:
        if isinstance(value, str):
            if is_placeholder(value):
                return value
            # A short secret (a token "x1") is removed from its own entry where
            # it stands alone: in the raw text between delimiters, and here as
            # a whole decoded string (not as an object key).
            label = None if is_key else self._entry_secrets.get(value)
            return placeholder(label) if label is not None else self.redact_text(value)
        if isinstance(value, dict):
            return {
                self._sweep_value(k, is_key=True): self._sweep_value(v) for k, v in value.items()
            }
        if isinstance(value, list):
            return [self._sweep_value(v) for v in value]
        if isinstance(value, int | float) and not isinstance(value, bool):
            text = json.dumps(value)
            label = self.secrets.get(text) or self._entry_secrets.get(text)
            return placeholder(label) if label is not None else value
        return value


def _event_of(packet: Mapping[str, Any]) -> tuple[str | None, list[Any]]:
    """An event packet's name and a private copy of its arguments (modern or 0.9)."""
    sio = packet.get("sio")
    if isinstance(sio, Mapping):
        data = sio.get("data")
        is_event = sio.get("type") in ("event", "binary_event")
        if is_event and isinstance(data, list) and data and isinstance(data[0], str):
            return data[0], copy.deepcopy(data[1:])
        return None, []
    if packet.get("type") == "event" and isinstance(packet.get("args"), list):
        name = packet.get("name")
        return (name if isinstance(name, str) else None), copy.deepcopy(packet["args"])
    return None, []


def _with_args(packet: Mapping[str, Any], args: list[Any]) -> dict[str, Any]:
    sio = packet.get("sio")
    if isinstance(sio, Mapping):
        return {**packet, "sio": {**sio, "data": [sio["data"][0], *args]}}
    return {**packet, "args": args}
