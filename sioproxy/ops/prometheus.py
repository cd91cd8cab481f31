"""A small Prometheus registry: counters, gauges, histograms and the text format.

Layer: pure, standard library only; never twisted. The output is the
Prometheus text exposition format 0.0.4: ``# HELP``/``# TYPE`` lines, label
values escaped (backslash, double quote, newline), histograms as cumulative
``_bucket{le=...}`` plus ``_sum`` and ``_count``. ``metrics.py`` defines the
families sioproxy exports.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Sequence
from typing import Any

__all__ = [
    "CONTENT_TYPE",
    "Counter",
    "Gauge",
    "Histogram",
    "Registry",
    "escape_help",
    "escape_label",
    "format_value",
]

CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"
LabelValues = tuple[str, ...]


def escape_label(value: str) -> str:
    return value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")


def escape_help(text: str) -> str:
    return text.replace("\\", "\\\\").replace("\n", "\\n")


def format_value(value: float) -> str:
    if math.isinf(value):
        return "+Inf" if value > 0 else "-Inf"
    if math.isnan(value):
        return "NaN"
    return repr(float(value))


class _Family:
    kind = "untyped"

    def __init__(self, name: str, help_text: str, labels: Sequence[str]) -> None:
        self.name = name
        self.help = help_text
        self.labels = tuple(labels)

    def _key(self, labels: dict[str, str]) -> LabelValues:
        if set(labels) != set(self.labels):
            raise ValueError(f"{self.name}: labels {sorted(labels)} != {sorted(self.labels)}")
        return tuple(str(labels[name]) for name in self.labels)

    def _label_text(self, values: LabelValues, extra: tuple[tuple[str, str], ...] = ()) -> str:
        pairs = [*zip(self.labels, values, strict=True), *extra]
        if not pairs:
            return ""
        return "{" + ",".join(f'{k}="{escape_label(v)}"' for k, v in pairs) + "}"

    def samples(self) -> Iterable[str]:
        raise NotImplementedError

    def render(self) -> list[str]:
        head = [f"# HELP {self.name} {escape_help(self.help)}", f"# TYPE {self.name} {self.kind}"]
        return [*head, *self.samples()]


class Counter(_Family):
    """A monotonically increasing count per label set (name should end in ``_total``)."""

    kind = "counter"

    def __init__(self, name: str, help_text: str, labels: Sequence[str] = ()) -> None:
        super().__init__(name, help_text, labels)
        self.values: dict[LabelValues, float] = {}

    def inc(self, amount: float = 1.0, **labels: str) -> None:
        if amount < 0:
            raise ValueError(f"{self.name}: counters only go up")
        key = self._key(labels)
        self.values[key] = self.values.get(key, 0.0) + amount

    def set_total(self, value: float, **labels: str) -> None:
        """Mirror a count kept elsewhere (it must never go down)."""
        self.values[self._key(labels)] = float(value)

    def get(self, **labels: str) -> float:
        return self.values.get(self._key(labels), 0.0)

    def samples(self) -> Iterable[str]:
        for key, value in sorted(self.values.items()):
            yield f"{self.name}{self._label_text(key)} {format_value(value)}"


class Gauge(Counter):
    """A value that goes up and down; ``clear()`` before refilling from live state."""

    kind = "gauge"

    def set(self, value: float, **labels: str) -> None:
        self.values[self._key(labels)] = float(value)

    def clear(self) -> None:
        self.values.clear()


class Histogram(_Family):
    """Observations counted into cumulative buckets, with sum and count."""

    kind = "histogram"

    def __init__(
        self, name: str, help_text: str, buckets: Sequence[float], labels: Sequence[str] = ()
    ) -> None:
        super().__init__(name, help_text, labels)
        self.buckets = tuple(sorted(buckets))
        self._counts: dict[LabelValues, list[int]] = {}
        self._sums: dict[LabelValues, float] = {}

    def observe(self, value: float, **labels: str) -> None:
        key = self._key(labels)
        counts = self._counts.setdefault(key, [0] * (len(self.buckets) + 1))
        for index, bound in enumerate(self.buckets):
            if value <= bound:
                counts[index] += 1
        counts[-1] += 1  # +Inf
        self._sums[key] = self._sums.get(key, 0.0) + value

    def count(self, **labels: str) -> int:
        counts = self._counts.get(self._key(labels))
        return counts[-1] if counts else 0

    def samples(self) -> Iterable[str]:
        keys = sorted(self._counts) or ([()] if not self.labels else [])
        for key in keys:
            counts = self._counts.get(key, [0] * (len(self.buckets) + 1))
            for bound, count in zip((*self.buckets, math.inf), counts, strict=True):
                le = (("le", format_value(bound)),)
                yield f"{self.name}_bucket{self._label_text(key, le)} {format_value(count)}"
            labels = self._label_text(key)
            yield f"{self.name}_sum{labels} {format_value(self._sums.get(key, 0.0))}"
            yield f"{self.name}_count{labels} {format_value(counts[-1])}"


class Registry:
    """Metric families in registration order, plus hooks that refresh them before a render."""

    def __init__(self) -> None:
        self._families: dict[str, _Family] = {}
        self._hooks: list[Callable[[], None]] = []

    def _add(self, family: _Family) -> Any:
        if family.name in self._families:
            raise ValueError(f"metric {family.name} registered twice")
        self._families[family.name] = family
        return family

    def counter(self, name: str, help_text: str, labels: Sequence[str] = ()) -> Counter:
        counter: Counter = self._add(Counter(name, help_text, labels))
        return counter

    def gauge(self, name: str, help_text: str, labels: Sequence[str] = ()) -> Gauge:
        gauge: Gauge = self._add(Gauge(name, help_text, labels))
        return gauge

    def histogram(
        self, name: str, help_text: str, buckets: Sequence[float], labels: Sequence[str] = ()
    ) -> Histogram:
        histogram: Histogram = self._add(Histogram(name, help_text, buckets, labels))
        return histogram

    def on_collect(self, hook: Callable[[], None]) -> None:
        self._hooks.append(hook)

    def render(self) -> str:
        for hook in self._hooks:
            hook()
        lines: list[str] = []
        for family in self._families.values():
            lines.extend(family.render())
        return "\n".join(lines) + "\n"
