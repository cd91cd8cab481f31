"""The plugin's settings: record modes, what each does, and how layers merge.

Layer: pure (testing helpers). Imports the replay options and errors only.

Merge order, lowest first (docs/pytest.md): built-in defaults, ini options,
the ``sioproxy_config`` fixture, ``--sio-record-mode``, the marker. Later
layers override single keys; ``None`` in a layer means "not set here".
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sioproxy.errors import ConfigError
from sioproxy.standin.replay.causal import parse_assign
from sioproxy.standin.replay.engine import ReplayOptions

RECORD_MODES = ("none", "once", "new_episodes", "all", "rewrite")

# What the fixture does, given the mode and whether the file exists.
REPLAY = "replay"  # serve the recording, never touch the network
RECORD = "record"  # proxy to upstream, the new recording replaces the file
APPEND = "append"  # proxy to upstream, new connections appended to the file
EPISODES = "episodes"  # replay recorded connections, proxy and append the rest


@dataclass(frozen=True, slots=True, kw_only=True)
class Settings:
    """Everything the ``sioproxy`` fixture needs to know for one test."""

    mode: str = "none"
    recording: str | None = None
    upstream: str | None = None
    recordings_dir: str = "recordings"
    strict: bool = False
    match: str = "strict"
    ignore: tuple[str, ...] = ()
    on_miss: str = "error"
    speed: float = 1.0
    max_gap: float | None = 1.0
    resource_path: str = "/socket.io"
    redact: bool = True
    # Values for the [REDACTED:NAME] placeholders the replay sends (docs/pytest.md).
    secrets: Mapping[str, str] = dataclasses.field(default_factory=dict)
    judge_disconnects: bool = False  # count disconnect packets as misses/unplayed
    settle: float = 2.0  # longest wait for in-flight traffic after the test (seconds)
    background: bool | None = None  # None: decide from the test (docs/pytest.md)
    spec: str | None = None  # AsyncAPI document checked against (docs/contracts.md)
    spec_fail: bool = False  # fail the test on a violation of ``spec``
    # Several clients in one test (docs/replay.md "Causes"): as the replay's options.
    assign: str = "auto"
    cause_window: float = 1.0
    max_wait: float = 5.0
    ignore_events: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if self.mode not in RECORD_MODES:
            raise ConfigError(
                None,
                None,
                f"record mode must be one of {', '.join(RECORD_MODES)}, got {self.mode!r}",
            )
        try:
            self.replay_options()
            parse_assign(self.assign)
        except ConfigError as exc:  # it speaks of --on-miss; the marker says on_miss
            raise ConfigError(None, None, marker_names(exc.reason)) from None
        if not isinstance(self.secrets, Mapping) or not all(
            isinstance(k, str) and isinstance(v, str) for k, v in self.secrets.items()
        ):
            raise ConfigError(None, None, "secrets must be a dict of NAME -> VALUE strings")

    @classmethod
    def merge(cls, *layers: Mapping[str, Any]) -> Settings:
        """Defaults overridden by each layer in turn (None values are skipped)."""
        known = {f.name for f in dataclasses.fields(cls)}
        values: dict[str, Any] = {}
        for layer in layers:
            unknown = sorted(set(layer) - known)
            if unknown:
                raise ConfigError(
                    None,
                    None,
                    f"unknown sioproxy option(s) {', '.join(unknown)};"
                    f" known: {', '.join(sorted(known))}",
                )
            given = layer.get("secrets") or {}
            if not isinstance(given, Mapping):
                raise ConfigError(None, None, "secrets must be a dict of NAME -> VALUE strings")
            secrets = {**values.get("secrets", {}), **given}  # per name, the closest wins
            values.update({k: v for k, v in layer.items() if v is not None})
            values["secrets"] = secrets
        for many in ("ignore", "ignore_events"):
            if isinstance(values.get(many), str):
                values[many] = (values[many],)
            if many in values:
                values[many] = tuple(values[many])
        return cls(**values)

    def replay_options(self) -> ReplayOptions:
        return ReplayOptions(
            match=self.match,
            ignore=self.ignore,
            on_miss=self.on_miss,
            speed=self.speed,
            max_gap=self.max_gap,
            cause_window=self.cause_window,
            max_wait=self.max_wait,
            ignore_events=self.ignore_events,
        )


def plan(settings: Settings, path: Path) -> str:
    """What to do for ``settings.mode`` given whether ``path`` exists (see RECORD_MODES)."""
    exists = path.exists()
    mode = settings.mode
    if mode == "none":
        if not exists:
            raise ConfigError(
                None,
                None,
                f"recording {path} does not exist and the record mode is 'none';"
                " record it with --sio-record-mode=once and an upstream"
                " (marker upstream=..., or the sioproxy_upstream ini option)",
            )
        action = REPLAY
    elif mode == "once":
        action = REPLAY if exists else RECORD
    elif mode == "new_episodes":
        action = EPISODES if exists else RECORD
    elif mode == "all":
        action = APPEND if exists else RECORD
    else:
        action = RECORD
    if action != REPLAY and not settings.upstream:
        raise ConfigError(
            None,
            None,
            f"record mode {mode!r} needs to record {path} but no upstream is set"
            " (marker upstream=..., sioproxy_config, or the sioproxy_upstream ini option)",
        )
    return action


_FLAG = re.compile(r"--([a-z][a-z-]*)")


def marker_names(text: str) -> str:
    """``--on-miss must be...`` as the marker and ``sioproxy_config`` name it: ``on_miss``."""
    return _FLAG.sub(lambda found: found.group(1).replace("-", "_"), text)


def ini_bool(value: Any) -> bool | None:
    """An ini or command-line flag: true/false/yes/no/1/0, or None when unset."""
    if value is None or value == "":
        return None
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in ("1", "true", "yes", "on"):
        return True
    if text in ("0", "false", "no", "off"):
        return False
    raise ConfigError(None, None, f"expected true or false, got {value!r}")
