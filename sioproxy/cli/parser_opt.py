"""``--parser``: the Socket.IO parser of proxy, record, replay, replay-client and diff.

Layer: command line (imports application code, no twisted). ``msgpack`` is
socket.io-msgpack-parser (docs/protocol.md#c9); ``module:Class`` or
``path/to/file.py:Class`` an application's own parser (docs/packets.md,
"Custom parsers"). Without the option the proxy tells msgpack from the
default parser per connection, and the replay tools speak the recording's.
"""

from __future__ import annotations

import argparse
import importlib
import importlib.util
import sys
from pathlib import Path

from sioproxy.codec.custom_parser import DictParser
from sioproxy.codec.parsers import MSGPACK, WireParser
from sioproxy.errors import ConfigError


def add_parser_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--parser",
        metavar="msgpack|MODULE:CLASS",
        help="the Socket.IO parser: msgpack (socket.io-msgpack-parser), or a class of your own"
        " (docs/packets.md); default: detected per connection, or the recording's",
    )


def parser_from_args(args: argparse.Namespace) -> WireParser | None:
    """The ``--parser`` of ``args``; ConfigError (one line) when it cannot be loaded."""
    spec = getattr(args, "parser", None)
    if spec is None:
        return None
    if spec == MSGPACK.name:
        return MSGPACK
    return load_parser(spec)


def load_parser(spec: str) -> WireParser:
    module_name, _, class_name = spec.rpartition(":")
    if not module_name or not class_name.isidentifier():
        raise ConfigError(None, None, f"--parser {spec!r}: expected msgpack or MODULE:CLASS")
    try:
        if module_name.endswith(".py"):
            module = _from_file(Path(module_name))
        else:
            module = importlib.import_module(module_name)
        cls = getattr(module, class_name)
        inner = cls()
    except Exception as exc:
        raise ConfigError(None, None, f"--parser {spec!r}: {type(exc).__name__}: {exc}") from None
    for method in ("decode", "encode"):
        if not callable(getattr(inner, method, None)):
            raise ConfigError(None, None, f"--parser {spec!r}: {class_name} has no {method}()")
    return DictParser(inner)


def _from_file(path: Path) -> object:
    name = f"sioproxy_parser_{path.stem}"
    loader_spec = importlib.util.spec_from_file_location(name, path)
    if loader_spec is None or loader_spec.loader is None:
        raise ImportError(f"cannot load {path}")
    module = importlib.util.module_from_spec(loader_spec)
    sys.modules[name] = module
    loader_spec.loader.exec_module(module)
    return module
