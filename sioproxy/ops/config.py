"""Option values from the environment and a TOML file, merged under the command line.

Layer: pure (edge helper for ``cli``; imports only argparse, tomllib and
``sioproxy.errors``). Precedence for every option of every command: command
line, then ``SIOPROXY_<COMMAND>_<OPTION>``, then ``SIOPROXY_<OPTION>``, then the
config file's ``[<command>]`` table, then its top-level keys, then the
parser's defaults. Option names are the long flag without dashes, inner dashes
becoming underscores in the environment (``--log-format`` ->
``SIOPROXY_LOG_FORMAT``) and staying dashes or underscores in TOML. The config
file comes from ``--config FILE`` or ``SIOPROXY_CONFIG``.

It works by turning the found values into argparse defaults of the chosen
subcommand (and dropping ``required`` where a value was found), so argparse
still converts, checks choices and prints usage. Repeatable options take a
comma-separated list in the environment and a TOML array; given on the command
line they replace, not extend, the configured list.
"""

from __future__ import annotations

import argparse
import math
import re
import tomllib
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from sioproxy.errors import ConfigError
from sioproxy.textsafe import shorten

ENV_PREFIX = "SIOPROXY_"
CONFIG_ENV = "SIOPROXY_CONFIG"
_TRUE = frozenset({"1", "true", "yes", "on"})
_FALSE = frozenset({"0", "false", "no", "off", ""})
_TOML_LINE = re.compile(r"at line (\d+)")
_SKIP = (argparse._HelpAction, argparse._VersionAction, argparse._SubParsersAction)


@dataclass(slots=True)
class Resolved:
    """What ``resolve`` changed: the subcommand, the config path and per-option sources."""

    command: str | None
    config_path: str | None
    sources: dict[str, str] = field(default_factory=dict)  # dest -> "env NAME" / "FILE:LINE"
    list_defaults: dict[str, int] = field(default_factory=dict)  # dest -> configured length


def parse_args(
    parser: argparse.ArgumentParser,
    argv: Sequence[str] | None,
    environ: Mapping[str, str],
) -> argparse.Namespace:
    """``parser.parse_args`` with env and config file values; bad config is a usage error."""
    import sys

    args_list = list(sys.argv[1:] if argv is None else argv)
    try:
        resolved = resolve(parser, args_list, environ)
    except ConfigError as exc:
        parser.error(str(exc))
    args = parser.parse_args(args_list)
    for dest, configured in resolved.list_defaults.items():
        value = getattr(args, dest, None)
        if isinstance(value, list) and len(value) > configured:
            # argparse appended command-line items to the configured list: cli replaces.
            setattr(args, dest, value[configured:])
    return args


def resolve(
    parser: argparse.ArgumentParser, argv: Sequence[str], environ: Mapping[str, str]
) -> Resolved:
    """Set the chosen subcommand's defaults from ``environ`` and the config file."""
    config_path = _config_path(argv) or environ.get(CONFIG_ENV) or None
    subparsers = subcommand_parsers(parser)
    command = _command(argv, subparsers)
    resolved = Resolved(command=command, config_path=config_path)
    table = ConfigFile.load(config_path, subparsers) if config_path else None
    if command is None:
        return resolved
    sub = subparsers[command]
    for action in _options(sub):
        found = _from_env(action, command, environ)
        if found is None and table is not None:
            found = table.lookup(command, action)
        if found is None:
            continue
        value, source = found
        _set_default(action, value, resolved)
        resolved.sources[action.dest] = source
    return resolved


# -- argv scanning ----------------------------------------------------------


def _config_path(argv: Sequence[str]) -> str | None:
    for index, token in enumerate(argv):
        if token == "--":
            break
        if token == "--config" and index + 1 < len(argv):
            return argv[index + 1]
        if token.startswith("--config="):
            return token.split("=", 1)[1]
    return None


def subcommand_parsers(parser: argparse.ArgumentParser) -> dict[str, argparse.ArgumentParser]:
    """The parser of every subcommand of ``parser``, by name (empty without subcommands)."""
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            return dict(action.choices)
    return {}


def _command(argv: Sequence[str], subparsers: Mapping[str, Any]) -> str | None:
    """The first bare word, skipping the global ``--config FILE``."""
    skip = False
    for token in argv:
        if skip:
            skip = False
        elif token == "--config":
            skip = True
        elif not token.startswith("-"):
            return token if token in subparsers else None
    return None


def _options(sub: argparse.ArgumentParser) -> list[argparse.Action]:
    return [a for a in sub._actions if not isinstance(a, _SKIP) and a.dest != "config"]


def option_name(action: argparse.Action) -> str:
    """``log-format`` for ``--log-format``; the dest for a positional."""
    longs = [s for s in action.option_strings if s.startswith("--")]
    if not longs:
        return action.dest.replace("_", "-")
    return max(longs, key=len)[2:]


def env_names(command: str, action: argparse.Action) -> tuple[str, str]:
    """The command-scoped and the plain variable, e.g. SIOPROXY_RECORD_OUT, SIOPROXY_OUT."""
    key = option_name(action).replace("-", "_").upper()
    scoped = command.replace("-", "_").upper()
    return f"{ENV_PREFIX}{scoped}_{key}", f"{ENV_PREFIX}{key}"


# -- the environment --------------------------------------------------------


def _from_env(
    action: argparse.Action, command: str, environ: Mapping[str, str]
) -> tuple[Any, str] | None:
    for name in env_names(command, action):
        if name in environ:
            return _env_value(action, environ[name], name), f"env {name}"
    return None


def _env_value(action: argparse.Action, text: str, name: str) -> Any:
    if _is_flag(action):
        word = text.strip().lower()
        if word in _TRUE or word in _FALSE:
            return action.const if word in _TRUE else not action.const
        raise ConfigError(None, None, f"{name}={text!r}: expected true/false, 1/0, yes/no")
    if _is_list(action):
        return [_convert(action, item.strip(), name) for item in text.split(",") if item.strip()]
    return _convert(action, text, name)


def _convert(action: argparse.Action, value: Any, where: str) -> Any:
    kind = action.type
    try:
        converted = kind(value) if callable(kind) else value
    except argparse.ArgumentTypeError as exc:  # a bounded type's own sentence
        raise ConfigError(None, None, f"{where}: {exc}") from None
    except (TypeError, ValueError, OverflowError) as exc:
        raise ConfigError(None, None, f"{where}: bad value {value!r} ({exc})") from None
    if action.choices is not None and converted not in action.choices:
        choices = ", ".join(map(str, action.choices))
        raise ConfigError(None, None, f"{where}: {value!r} is not one of {choices}")
    return converted


def _is_flag(action: argparse.Action) -> bool:
    return isinstance(action, argparse._StoreConstAction) and isinstance(action.const, bool)


def _is_list(action: argparse.Action) -> bool:
    return isinstance(action, argparse._AppendAction) or action.nargs in ("*", "+")


def _set_default(action: argparse.Action, value: Any, resolved: Resolved) -> None:
    action.default = value
    action.required = False
    if not action.option_strings and action.nargs is None:
        action.nargs = "?"  # a configured positional may be left out on the command line
    if isinstance(action, argparse._AppendAction):
        resolved.list_defaults[action.dest] = len(value)


# -- the TOML file ----------------------------------------------------------


class ConfigFile:
    """A parsed config file: top-level keys and ``[command]`` tables, with line numbers."""

    def __init__(self, path: str, text: str, data: dict[str, Any]) -> None:
        self.path = path
        self._lines = text.splitlines()
        self._data = data

    @classmethod
    def load(cls, path: str, subparsers: Mapping[str, argparse.ArgumentParser]) -> ConfigFile:
        try:
            with open(path, "rb") as handle:
                raw = handle.read()
        except OSError as exc:
            raise ConfigError(path, None, f"cannot read config file: {exc.strerror}") from None
        text = raw.decode("utf-8", "replace")
        try:
            data = tomllib.loads(text)
        except tomllib.TOMLDecodeError as exc:
            match = _TOML_LINE.search(str(exc))
            # tomllib says "at end of document" for an unfinished last value.
            line = int(match.group(1)) if match else max(len(text.splitlines()), 1)
            raise ConfigError(path, line, f"bad TOML: {exc}") from None
        config = cls(path, text, data)
        config._check_keys(subparsers)
        return config

    def line_of(self, table: str | None, key: str) -> int | None:
        """The line where ``key`` is set, inside ``[table]`` or at top level."""
        current: str | None = None
        pattern = re.compile(rf"^\s*[\"']?{re.escape(key)}[\"']?\s*=")
        for number, line in enumerate(self._lines, start=1):
            header = re.match(r"^\s*\[\s*([^\]]+?)\s*\]", line)
            if header:
                current = header.group(1).strip("\"'")
            elif current == table and pattern.match(line):
                return number
        return None

    def _error(self, table: str | None, key: str, reason: str) -> ConfigError:
        line = self.line_of(table, key)
        if line is None and table is not None:
            line = self._table_line(table)
        return ConfigError(self.path, line, reason)

    def _table_line(self, table: str) -> int | None:
        for number, line in enumerate(self._lines, start=1):
            if re.match(rf"^\s*\[\s*[\"']?{re.escape(table)}[\"']?\s*\]", line):
                return number
        return None

    def _check_keys(self, subparsers: Mapping[str, argparse.ArgumentParser]) -> None:
        known = {_norm(option_name(a)) for sub in subparsers.values() for a in _options(sub)}
        for key, value in self._data.items():
            if isinstance(value, dict):
                if key not in subparsers:
                    reason = f"unknown table [{key}] (not a command)"
                    raise ConfigError(self.path, self._table_line(key), reason)
                own = {_norm(option_name(a)) for a in _options(subparsers[key])}
                for sub_key in value:
                    if _norm(sub_key) not in own:
                        reason = f"unknown option {sub_key!r} for {key}"
                        raise self._error(key, sub_key, reason)
            elif _norm(key) not in known:
                raise self._error(None, key, f"unknown option {key!r}")

    def lookup(self, command: str, action: argparse.Action) -> tuple[Any, str] | None:
        name = _norm(option_name(action))
        section = self._data.get(command)
        for table, values in ((command, section), (None, self._data)):
            if not isinstance(values, dict):
                continue
            for key, value in values.items():
                if not isinstance(value, dict) and _norm(key) == name:
                    return self._value(action, table, key, value)
        return None

    def _value(
        self, action: argparse.Action, table: str | None, key: str, value: Any
    ) -> tuple[Any, str]:
        line = self.line_of(table, key)
        where = f"{self.path}:{line}" if line is not None else self.path
        try:
            return _toml_value(action, value, key), where
        except ConfigError as exc:
            raise ConfigError(self.path, line, exc.reason) from None


def _norm(key: str) -> str:
    return key.replace("_", "-").lower()


def _toml_value(action: argparse.Action, value: Any, key: str) -> Any:
    if _is_flag(action):
        if not isinstance(value, bool):
            raise ConfigError(None, None, f"{key} must be true or false, not {value!r}")
        return value if action.const else not value
    if _is_list(action):
        items = value if isinstance(value, list) else [value]
        return [_toml_scalar(action, item, key) for item in items]
    return _toml_scalar(action, value, key)


def _toml_scalar(action: argparse.Action, value: Any, key: str) -> Any:
    if isinstance(value, dict | list | bool):
        raise ConfigError(None, None, f"{key}: expected a single value, not {value!r}")
    if isinstance(value, int | float) and action.type in (None, str):
        value = str(value)  # ``listen = 8080`` means the port
    return _convert(action, value, key)


# -- bounded numeric option types ----------------------------------------------
#
# Used as argparse ``type=`` so one check covers the command line, SIOPROXY_*
# variables and the config file (which ``_convert`` runs through the same
# callable). TOML gives ints and floats, the others strings.


def bounded_int(low: int, high: int) -> Callable[[Any], int]:
    """An argparse type: an integer from ``low`` to ``high`` (an integral float is fine)."""

    def convert(value: Any) -> int:
        number: int | None = None
        if isinstance(value, int) and not isinstance(value, bool):
            number = value
        elif _integral(value):
            number = int(value)
        if number is None or not low <= number <= high:
            raise argparse.ArgumentTypeError(
                f"must be an integer from {low:,} to {high:,}, got {_shown(value)}"
            )
        return number

    convert.__name__ = "integer"
    return convert


def bounded_float(low: float, high: float) -> Callable[[Any], float]:
    """An argparse type: a finite number from ``low`` to ``high`` (no nan, no inf)."""

    def convert(value: Any) -> float:
        number: float | None = None
        if isinstance(value, int | float) and not isinstance(value, bool):
            number = float(value)
        elif isinstance(value, str) and len(value) < 40:
            try:
                number = float(value)
            except ValueError:
                number = None
        if number is None or not math.isfinite(number) or not low <= number <= high:
            raise argparse.ArgumentTypeError(
                f"must be a number from {low:g} to {high:g}, got {_shown(value)}"
            )
        return number

    convert.__name__ = "number"
    return convert


def _integral(value: Any) -> bool:
    """An integral finite float, or a string of at most 30 digits."""
    if isinstance(value, float):
        return math.isfinite(value) and value.is_integer()
    return isinstance(value, str) and re.fullmatch(r"\s*[-+]?\d{1,30}\s*", value) is not None


def _shown(value: Any) -> str:
    return shorten(repr(value), 40)
