"""The ``--rules`` TOML file: schema and validation with file:line errors.

Layer: pure pipeline. Imports the standard library (``tomllib``, ``re``),
``sioproxy.errors``, ``sioproxy.types``, ``sioproxy.jsonpointer`` and the
compiled rules (``rules.py``); never twisted.

Everything that can be checked is checked at load time (pointers parsed,
regexes compiled, enums spelled right, unknown keys refused), so a packet
never meets a malformed rule. docs/rules.md is the user-facing schema; keep
the two in step (a test parses every example of the doc).

``tomllib`` reports no positions for values, so the line of a bad value is
found by scanning the text of the rule for the key (best effort; the rule's
``[[rules]]`` header line otherwise).
"""

from __future__ import annotations

import math
import re
import tomllib
from collections.abc import Callable
from typing import Any

from sioproxy.errors import ConfigError
from sioproxy.jsonpointer import Pointer, PointerError, parse
from sioproxy.pipeline.rules import KINDS, Condition, Inject, Rule, RuleSet
from sioproxy.types import Direction

__all__ = ["ACTIONS", "load_rules", "parse_rules"]

ACTIONS = ("pass", "drop", "duplicate", "close_namespace", "close_connection", "refuse_upgrade")
# "event", "ack" and "error" (rule `type` values) also cover their binary / modern spellings.
_TYPE_EXPANSION: dict[str, frozenset[str]] = {
    "event": frozenset({"event", "binary_event"}),
    "ack": frozenset({"ack", "binary_ack"}),
    "error": frozenset({"error", "connect_error"}),
}
_MATCH_KEYS = ("name", "dir", "namespace", "type", "event", "equals", "regex", "exists")
_EDIT_KEYS = ("set", "replace", "delete", "sub", "rename", "action", "copies", "delay", "inject")
_MISC_KEYS = ("withhold_ack", "delay_ack", "probability", "count", "after", "per")
_RULE_KEYS = frozenset(_MATCH_KEYS + _EDIT_KEYS + _MISC_KEYS)
_UPGRADE_KEYS = frozenset({"name", "action", "probability", "count", "after", "per"})
_INJECT_KEYS = frozenset({"dir", "when", "packet", "delay"})
# Bounds of the numbers in a rule (docs/rules.md). Each copy or injected
# packet is held and written once per matching packet, and each delay keeps
# packets in memory for that long: a typo must not cost gigabytes.
MAX_COPIES = 100
MAX_INJECTS = 100
MAX_DELAY_MS = 3_600_000  # one hour
MAX_COUNTER = 1_000_000_000  # count and after


def load_rules(path: str) -> RuleSet:
    """Read and validate a rules file. Raises ConfigError naming the file and line."""
    try:
        with open(path, "rb") as fh:
            raw = fh.read()
    except OSError as exc:
        raise ConfigError(path, None, f"cannot read rules file: {exc.strerror or exc}") from None
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ConfigError(path, None, f"rules file is not UTF-8: {exc}") from None
    return parse_rules(text, path)


def parse_rules(text: str, path: str = "<rules>") -> RuleSet:
    """Parse rules from TOML ``text``; ``path`` only names the file in errors."""
    try:
        doc = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        match = re.search(r"at line (\d+)", str(exc))
        raise ConfigError(path, int(match.group(1)) if match else None, str(exc)) from None
    lines = _Lines(text)
    unknown = sorted(set(doc) - {"rules"})
    if unknown:
        key = unknown[0]
        raise ConfigError(path, lines.key(0, lines.n, key), f"unknown top-level key {key!r}")
    entries = doc.get("rules", [])
    if not isinstance(entries, list) or not all(isinstance(e, dict) for e in entries):
        raise ConfigError(path, lines.key(0, lines.n, "rules"), "'rules' must be [[rules]] tables")
    return RuleSet([_Builder(path, lines, i, e).build() for i, e in enumerate(entries)])


class _Lines:
    """Best-effort line numbers for keys of the i-th ``[[rules]]`` table."""

    def __init__(self, text: str) -> None:
        self.text = text.splitlines()
        self.n = len(self.text)
        header = re.compile(r"\s*\[\[\s*rules\s*\]\]")
        self.starts = [i for i, line in enumerate(self.text) if header.match(line)]

    def span(self, index: int) -> tuple[int, int]:
        if index >= len(self.starts):
            return 0, self.n
        end = self.starts[index + 1] if index + 1 < len(self.starts) else self.n
        return self.starts[index], end

    def key(self, start: int, end: int, key: str) -> int | None:
        pattern = re.compile(
            rf"\s*(?:{re.escape(key)}|\"{re.escape(key)}\"|'{re.escape(key)}')\s*="
        )
        return self.find(start, end, pattern.match)

    def needle(self, start: int, end: int, needle: str) -> int | None:
        return self.find(start, end, lambda line: needle in line)

    def find(self, start: int, end: int, test: Callable[[str], Any]) -> int | None:
        for i in range(start, end):
            if test(self.text[i]):
                return i + 1
        return None


class _Builder:
    """Validates one rule table; every error is a ConfigError with file and line."""

    def __init__(self, path: str, lines: _Lines, index: int, entry: dict[str, Any]) -> None:
        self.path, self.lines, self.index, self.entry = path, lines, index, entry
        self.start, self.end = lines.span(index)
        self.header = self.start + 1 if index < len(lines.starts) else None
        name = entry.get("name", f"rule {index + 1}")
        self.name = name if isinstance(name, str) else f"rule {index + 1}"

    def fail(self, key: str | None, reason: str, needle: str | None = None) -> ConfigError:
        line = None
        if needle is not None:
            line = self.lines.needle(self.start, self.end, needle)
        if line is None and key is not None:
            line = self.lines.key(self.start, self.end, key)
        where = f"rule {self.index + 1} ({self.name!r})" if "name" in self.entry else ""
        where = where or f"rule {self.index + 1}"
        return ConfigError(self.path, line or self.header, f"{where}: {reason}")

    def build(self) -> Rule:
        e = self.entry
        for key in e:
            if key not in _RULE_KEYS:
                raise self.fail(key, f"unknown key {key!r}")
        action = self.choice("action", ACTIONS, "pass")
        if action == "refuse_upgrade":
            extra = sorted(set(e) - _UPGRADE_KEYS)
            if extra:
                raise self.fail(extra[0], f"{extra[0]!r} makes no sense in a refuse_upgrade rule")
        kinds, event = self.kinds(), self.opt_str("event")
        rule = Rule(
            index=self.index,
            name=self.name,
            line=self.header,
            directions=self.directions(),
            namespace=self.namespace(),
            kinds=kinds,
            event=event,
            conditions=self.conditions(),
            set=self.values("set"),
            replace=self.values("replace"),
            delete=self.delete(),
            sub=self.subs(),
            rename=self.opt_str("rename"),
            action=action,
            copies=self.integer("copies", 1, minimum=1, maximum=MAX_COPIES) or 1,
            delay=self.millis("delay"),
            inject=self.injects(),
            withhold_ack=self.boolean("withhold_ack"),
            delay_ack=self.millis("delay_ack"),
            probability=self.probability(),
            count=self.integer("count", None, minimum=1, maximum=MAX_COUNTER),
            after=self.integer("after", 0, minimum=0, maximum=MAX_COUNTER) or 0,
            per=self.choice("per", ("connection", "proxy"), "connection"),  # type: ignore[arg-type]
        )
        self.check_consistency(rule)
        return rule

    def check_consistency(self, rule: Rule) -> None:
        e = self.entry
        if "copies" in e and rule.action != "duplicate":
            raise self.fail("copies", "'copies' needs action = \"duplicate\"")
        if rule.withhold_ack and rule.delay_ack:
            raise self.fail("delay_ack", "a rule cannot both withhold and delay an ack")
        does = rule.edits or rule.inject or rule.delay or rule.withhold_ack or rule.delay_ack
        if rule.action == "pass" and not does:
            raise self.fail(None, "the rule does nothing (no action, edit, delay or inject)")
        if rule.rename is not None and rule.kinds is not None and not rule.kinds & {"event"}:
            raise self.fail("rename", "'rename' only applies to events")

    # -- scalar fields

    def choice(self, key: str, allowed: tuple[str, ...], default: str) -> str:
        value = self.entry.get(key, default)
        if value not in allowed:
            raise self.fail(key, f"{key!r} must be one of {', '.join(allowed)}; got {value!r}")
        return str(value)

    def opt_str(self, key: str) -> str | None:
        value = self.entry.get(key)
        if value is not None and not isinstance(value, str):
            raise self.fail(key, f"{key!r} must be a string, got {value!r}")
        return value

    def boolean(self, key: str) -> bool:
        value = self.entry.get(key, False)
        if type(value) is not bool:
            raise self.fail(key, f"{key!r} must be true or false, got {value!r}")
        return value

    def integer(self, key: str, default: int | None, *, minimum: int, maximum: int) -> int | None:
        value = self.entry.get(key, default)
        if value is None:
            return None
        if type(value) is not int or not minimum <= value <= maximum:
            raise self.fail(
                key, f"{key!r} must be an integer from {minimum} to {maximum:,}, got {value!r}"
            )
        return value

    def millis(self, key: str, table: dict[str, Any] | None = None) -> float:
        value = (self.entry if table is None else table).get(key, 0)
        ok = type(value) in (int, float) and math.isfinite(value) and 0 <= value <= MAX_DELAY_MS
        if not ok:
            raise self.fail(
                key, f"{key!r} must be milliseconds from 0 to {MAX_DELAY_MS:,}, got {value!r}"
            )
        return float(value) / 1000.0

    def probability(self) -> float:
        value = self.entry.get("probability", 1.0)
        if type(value) not in (int, float) or not 0.0 <= value <= 1.0:
            raise self.fail("probability", f"'probability' must be between 0 and 1, got {value!r}")
        return float(value)

    def directions(self) -> frozenset[Direction]:
        value = self.choice("dir", ("c2s", "s2c", "both"), "both")
        return frozenset(Direction) if value == "both" else frozenset({Direction(value)})

    def namespace(self) -> str | None:
        value = self.opt_str("namespace")
        if value is None:
            return None
        if value == "":
            return "/"  # 0.9's default endpoint is "" (A.9); rules call it "/"
        if not value.startswith("/"):
            raise self.fail("namespace", f"'namespace' must start with '/', got {value!r}")
        return value

    def kinds(self) -> frozenset[str] | None:
        value = self.entry.get("type")
        if value is None:
            return frozenset(_TYPE_EXPANSION["event"]) if "event" in self.entry else None
        names = [value] if isinstance(value, str) else value
        if not isinstance(names, list) or not names:
            raise self.fail("type", f"'type' must be a type name or a list of them, got {value!r}")
        out: set[str] = set()
        for name in names:
            if not isinstance(name, str) or name not in KINDS:  # a list is unhashable
                known = ", ".join(sorted(KINDS))
                raise self.fail("type", f"unknown packet type {name!r} (known: {known})")
            out |= _TYPE_EXPANSION.get(name, {name})
        if "event" in self.entry and not out & _TYPE_EXPANSION["event"]:
            raise self.fail("event", "'event' needs a type that includes event")
        return frozenset(out)

    # -- pointer tables

    def pointer(self, key: str, text: Any) -> Pointer:
        try:
            return parse(text)
        except PointerError as exc:
            needle = text if isinstance(text, str) else None
            raise self.fail(key, f"{key!r}: {exc}", needle=needle) from None

    def table(self, key: str) -> dict[str, Any]:
        value = self.entry.get(key, {})
        if not isinstance(value, dict):
            raise self.fail(key, f"{key!r} must be a table of JSON pointers, got {value!r}")
        return value

    def values(self, key: str) -> tuple[tuple[Pointer, Any], ...]:
        return tuple((self.pointer(key, p), v) for p, v in self.table(key).items())

    def conditions(self) -> tuple[Condition, ...]:
        out = [
            Condition(self.pointer("equals", p), "equals", v)
            for p, v in self.table("equals").items()
        ]
        for p, v in self.table("regex").items():
            if not isinstance(v, str):
                raise self.fail("regex", f"regex for {p!r} must be a string", needle=p)
            try:
                out.append(Condition(self.pointer("regex", p), "regex", re.compile(v)))
            except re.error as exc:
                raise self.fail("regex", f"bad regex for {p!r}: {exc}", needle=p) from None
        for p, v in self.table("exists").items():
            if type(v) is not bool:
                raise self.fail("exists", f"exists for {p!r} must be true or false", needle=p)
            out.append(Condition(self.pointer("exists", p), "exists", v))
        return tuple(out)

    def delete(self) -> tuple[Pointer, ...]:
        value = self.entry.get("delete", [])
        items = [value] if isinstance(value, str) else value
        if not isinstance(items, list):
            raise self.fail("delete", f"'delete' must be a pointer or a list, got {value!r}")
        out = tuple(self.pointer("delete", p) for p in items)
        if any(not p.tokens for p in out):
            raise self.fail("delete", 'cannot delete the whole packet (use action = "drop")')
        return out

    def subs(self) -> tuple[tuple[Pointer, re.Pattern[str], str], ...]:
        out = []
        for p, spec in self.table("sub").items():
            ok = isinstance(spec, dict) and set(spec) == {"pattern", "repl"}
            if not ok or not all(isinstance(v, str) for v in spec.values()):
                raise self.fail("sub", f"sub for {p!r} must be {{ pattern = ..., repl = ... }}", p)
            try:
                out.append((self.pointer("sub", p), re.compile(spec["pattern"]), spec["repl"]))
            except re.error as exc:
                raise self.fail("sub", f"bad regex for {p!r}: {exc}", needle=p) from None
        return tuple(out)

    def injects(self) -> tuple[Inject, ...]:
        value = self.entry.get("inject", [])
        items = [value] if isinstance(value, dict) else value
        if not isinstance(items, list) or not all(isinstance(i, dict) for i in items):
            raise self.fail("inject", "'inject' must be a table or [[rules.inject]] tables")
        if len(items) > MAX_INJECTS:
            raise self.fail("inject", f"at most {MAX_INJECTS} injected packets per rule")
        return tuple(self.inject(item) for item in items)

    def inject(self, item: dict[str, Any]) -> Inject:
        for key in item:
            if key not in _INJECT_KEYS:
                raise self.fail(key, f"unknown key {key!r} in inject")
        direction = item.get("dir", "same")
        if direction not in ("same", "reverse", "c2s", "s2c"):
            raise self.fail(
                "dir", f"inject 'dir' must be same, reverse, c2s or s2c; got {direction!r}"
            )
        when = item.get("when", "after")
        if when not in ("before", "after"):
            raise self.fail("when", f"inject 'when' must be before or after; got {when!r}")
        packet = item.get("packet")
        if not isinstance(packet, dict):
            raise self.fail("packet", "inject needs a 'packet' table (the rule view of a packet)")
        kind = packet.get("type", "event")
        if not isinstance(kind, str) or kind not in KINDS:
            raise self.fail("packet", f"inject packet has unknown type {kind!r}")
        return Inject(
            direction=direction, when=when, packet=packet, delay=self.millis("delay", item)
        )
