"""Matching a live client packet against recorded ones: keys, JSON pointers, diffs.

Layer: pure (replay). Imports the codec views of ``script`` and the recording's
placeholder helpers; never twisted.

Packets are compared in their dict form (gevent's for 0.9, docs/packets.md
for Socket.IO v4/v5), the same form ``--ignore`` JSON pointers (RFC 6901) point
into, e.g. ``/args/0/ts`` (0.9) or ``/data/1/ts`` (modern). Ack id numbers are
never part of the comparison (docs/protocol.md#d1: each side allocates its own),
and a redaction placeholder in the recording (``[REDACTED:token]``) matches
whatever the live client sends there, since the recording no longer knows the
real value. Each difference is attributed to the matcher that failed:
``namespace``, ``type``, ``event`` or ``args`` (``order`` is the engine's).
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Final

from sioproxy.codec.packets import Packet, type_label
from sioproxy.errors import ConfigError
from sioproxy.jsonpointer import Pointer, PointerError, format_tokens, parse
from sioproxy.recording.redact import is_placeholder
from sioproxy.recording.script import event_name, namespace, to_dict
from sioproxy.textsafe import preview

MATCH_MODES: Final = ("strict", "per-event", "any")
MATCHERS: Final = ("namespace", "type", "event", "args", "order")

Tokens = tuple[str, ...]
MatchKey = tuple[str, str, str]

_PLACEHOLDER_IN_TEXT: Final = re.compile(
    r"\[REDACTED:[A-Za-z0-9_.-]+\]|%5BREDACTED%3A[A-Za-z0-9_.-]+%5D"
)
_VOLATILE_KEY: Final = re.compile(
    r"(^|_)(ts|t|time|timestamp|date|at|created|updated|expires|nonce|uuid|guid|id|rid|seq|rand|random|token|sid)$",
    re.IGNORECASE,
)
_VOLATILE_TEXT: Final = re.compile(
    r"^(\d{4}-\d\d-\d\d[T ][\d:.]+(Z|[+-]\d\d:?\d\d)?"  # ISO 8601 time
    r"|[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})$",  # UUID
    re.IGNORECASE,
)


# -- --ignore pointers (sioproxy.jsonpointer) ----------------------------------


def parse_ignore(text: str) -> Pointer:
    """An ``--ignore`` pointer: ``/args/*/ts``, a ``*`` token matching any key or index.

    Raises ConfigError for text that is not a JSON pointer, or for ``""``
    (ignoring the whole packet would match anything).
    """
    if not isinstance(text, str) or not text.startswith("/"):
        raise ConfigError(None, None, f"--ignore {text!r}: a JSON pointer starts with '/'")
    try:
        return parse(text)
    except PointerError as exc:
        raise ConfigError(None, None, f"--ignore {text!r}: {exc}") from None


def _ignored(tokens: Tokens, ignore: Sequence[Pointer]) -> bool:
    """True when ``tokens`` is an ignored pointer or lies beneath one."""
    return any(pattern.covers(tokens) for pattern in ignore)


# -- differences -------------------------------------------------------------


@dataclass(frozen=True, slots=True, kw_only=True)
class Difference:
    """One place where the live packet differs from a recorded one."""

    pointer: str
    kind: str  # "changed", "missing" (in live) or "extra" (in live)
    recorded: Any = None
    live: Any = None

    def text(self) -> str:
        where = self.pointer or "(whole value)"
        if self.kind == "missing":
            return f"{where}: missing in live (recorded {preview(self.recorded, 60)})"
        if self.kind == "extra":
            return f"{where}: extra in live: {preview(self.live, 60)}"
        return f"{where}: recorded {preview(self.recorded, 60)} != live {preview(self.live, 60)}"

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"pointer": self.pointer, "kind": self.kind}
        if self.kind != "extra":
            out["recorded"] = self.recorded
        if self.kind != "missing":
            out["live"] = self.live
        return out

    @property
    def volatile(self) -> bool:
        """Looks like a value that changes from run to run (a timestamp, a random id)."""
        if self.kind != "changed":
            return False
        last = self.pointer.rsplit("/", 1)[-1]
        if _VOLATILE_KEY.search(last):
            return True
        values = (self.recorded, self.live)
        if all(type(v) in (int, float) for v in values):
            return all(abs(v) >= 1e9 for v in values)  # epoch seconds or milliseconds
        return all(isinstance(v, str) and _VOLATILE_TEXT.match(v) for v in values)


def ignore_hints(diffs: Sequence[Difference], seq: int) -> list[str]:
    """Hints naming the ``--ignore`` flags that would hide these differences from seq ``seq``.

    Shared by the stand-in's miss report and the replay client's drift report.
    """
    volatile = [d for d in diffs if d.volatile]
    flags = " ".join(f"--ignore {d.pointer}" for d in (volatile or diffs))
    if diffs and len(volatile) == len(diffs):
        return [f"only volatile-looking values differ from seq {seq}: try {flags}"]
    if volatile:
        rest = [d.pointer for d in diffs if not d.volatile]
        verb = "differs" if len(rest) == 1 else "differ"
        return [f"{flags} would hide the volatile-looking values; {', '.join(rest)} still {verb}"]
    if len(diffs) == 1 and diffs[0].kind == "changed":
        return [f"if this value changes from run to run, {flags} would match seq {seq}"]
    return []


def _same_leaf(recorded: Any, live: Any) -> bool:
    if isinstance(recorded, str) and isinstance(live, str) and recorded != live:
        if _PLACEHOLDER_IN_TEXT.search(recorded):
            parts = _PLACEHOLDER_IN_TEXT.split(recorded)
            return re.fullmatch(".*?".join(map(re.escape, parts)), live, re.DOTALL) is not None
        return False
    if isinstance(recorded, bool) or isinstance(live, bool):
        return type(recorded) is type(live) and recorded == live
    numbers = (int, float)
    if isinstance(recorded, numbers) and isinstance(live, numbers):
        # JSON has one number type: 1 and 1.0 are the same value to a JS peer.
        return recorded == live or (math.isnan(recorded) and math.isnan(live))
    return type(recorded) is type(live) and bool(recorded == live)


def _identical(a: Any, b: Any) -> bool:
    """Equal with the same JSON types throughout, so ``diff`` would find nothing.

    Stricter than ``diff`` (``1`` vs ``1.0``, NaN, placeholders all say False
    here), so a False only means the full walk decides.
    """
    kind = type(a)
    if kind is not type(b):
        return False
    if kind is dict:
        return len(a) == len(b) and all(k in b and _identical(v, b[k]) for k, v in a.items())
    if kind is list:
        return len(a) == len(b) and all(_identical(x, y) for x, y in zip(a, b, strict=True))
    return kind in _SCALARS and bool(a == b)


_SCALARS: Final = frozenset({str, int, float, bool, type(None)})


def diff(recorded: Any, live: Any, ignore: Sequence[Pointer] = ()) -> list[Difference]:
    """Differences between two JSON values, by JSON pointer, skipping ``ignore``."""
    out: list[Difference] = []
    _diff(recorded, live, (), ignore, out)
    return out


def _diff(
    rec: Any, live: Any, at: Tokens, ignore: Sequence[Pointer], out: list[Difference]
) -> None:
    if _ignored(at, ignore) or is_placeholder(rec):
        return
    if isinstance(rec, dict) and isinstance(live, dict):
        for key in rec:
            if key in live:
                _diff(rec[key], live[key], (*at, str(key)), ignore, out)
            elif not _ignored((*at, str(key)), ignore):
                out.append(
                    Difference(
                        pointer=format_tokens((*at, str(key))), kind="missing", recorded=rec[key]
                    )
                )
        for key in live:
            if key not in rec and not _ignored((*at, str(key)), ignore):
                out.append(
                    Difference(pointer=format_tokens((*at, str(key))), kind="extra", live=live[key])
                )
        return
    if isinstance(rec, list) and isinstance(live, list):
        for i in range(max(len(rec), len(live))):
            here = (*at, str(i))
            if i >= len(live):
                if not _ignored(here, ignore):
                    out.append(
                        Difference(pointer=format_tokens(here), kind="missing", recorded=rec[i])
                    )
            elif i >= len(rec):
                if not _ignored(here, ignore):
                    out.append(Difference(pointer=format_tokens(here), kind="extra", live=live[i]))
            else:
                _diff(rec[i], live[i], here, ignore, out)
        return
    if not _same_leaf(rec, live):
        out.append(Difference(pointer=format_tokens(at), kind="changed", recorded=rec, live=live))


# -- comparing packets -------------------------------------------------------


def match_dict(packet: Packet, revision: int | None) -> dict[str, Any]:
    """The dict form without ack id numbers; a v4 namespace query gets its own key.

    socket.io-client's msgpack ``options`` (the compress flag) is left out too:
    how a packet travels, not what it says.
    """
    d = to_dict(packet, revision)
    for volatile in ("id", "ack", "ackId", "options"):
        d.pop(volatile, None)
    nsp = d.get("nsp")
    if isinstance(nsp, str) and "?" in nsp:
        d["nsp"], d["query"] = nsp.split("?", 1)
    return d


def match_key(packet: Packet) -> MatchKey:
    """(namespace, type, event name): what ``--match per-event`` keeps in order."""
    name = event_name(packet)
    return namespace(packet), type_label(packet), "" if name is None else preview(name, 10**6)


def _matcher_of(tokens: Sequence[str], d: dict[str, Any]) -> str:
    head = tokens[0] if tokens else ""
    if head in ("endpoint", "nsp"):
        return "namespace"
    if head == "type":
        return "type"
    if head == "name":
        return "event"
    if head == "data" and tokens[1:2] == ("0",) and d.get("type") in ("event", "binary_event"):
        return "event"
    return "args"


@dataclass(frozen=True, slots=True, kw_only=True)
class Comparison:
    """How one recorded packet compares with the live one."""

    failed: tuple[str, ...]
    differences: tuple[Difference, ...]

    @property
    def ok(self) -> bool:
        return not self.failed

    def size(self) -> int:
        return len(self.differences)


SAME: Final = Comparison(failed=(), differences=())


def compare(
    recorded: Packet, live: Packet, revision: int | None, ignore: Sequence[Pointer] = ()
) -> Comparison:
    """Compare by namespace, type, event name and args; ack ids and ignored pointers aside."""
    return compare_dicts(match_dict(recorded, revision), match_dict(live, revision), ignore)


def compare_dicts(
    rec_d: dict[str, Any], live_d: dict[str, Any], ignore: Sequence[Pointer] = ()
) -> Comparison:
    """``compare`` on ``match_dict`` forms (the engine keeps the recorded ones)."""
    if _identical(rec_d, live_d):
        # The usual case when replaying: no walk by pointer, no difference to report.
        return SAME
    differences = diff(rec_d, live_d, ignore)
    failed = {_matcher_of(parse(d.pointer).tokens, rec_d) for d in differences}
    return Comparison(
        failed=tuple(m for m in MATCHERS if m in failed), differences=tuple(differences)
    )
