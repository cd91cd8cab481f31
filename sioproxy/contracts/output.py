"""Reading and writing AsyncAPI documents as YAML or JSON, byte-stable.

Layer: pure (contracts). The format follows the file name: ``.json`` is JSON
(two-space indent), anything else YAML (block style, keys in the document's
order, Unicode as itself). The same document always gives the same bytes.
"""

from __future__ import annotations

import json
import os
from typing import Any

import yaml

from sioproxy.errors import SioProxyError


class SpecError(SioProxyError):
    """An AsyncAPI document that cannot be read or used; names the file."""

    def __init__(self, path: str, reason: str) -> None:
        super().__init__(f"{path}: {reason}")
        self.path = path
        self.reason = reason


def is_json(path: str | os.PathLike[str]) -> bool:
    return os.fspath(path).lower().endswith(".json")


class _Dumper(yaml.SafeDumper):
    """Block style, lists indented under their key (as most YAML is written)."""

    def increase_indent(self, flow: bool = False, indentless: bool = False) -> None:
        super().increase_indent(flow, False)


def dumps(doc: Any, *, as_json: bool) -> str:
    if as_json:
        return json.dumps(doc, ensure_ascii=False, indent=2) + "\n"
    text: str = yaml.dump(
        doc,
        Dumper=_Dumper,
        sort_keys=False,
        allow_unicode=True,
        default_flow_style=False,
        width=100,
    )
    return text


def write_document(doc: Any, path: str) -> None:
    text = dumps(doc, as_json=is_json(path))
    try:
        with open(path, "w", encoding="utf-8") as out:
            out.write(text)
    except OSError as exc:
        raise SpecError(path, f"cannot write: {exc.strerror or exc}") from exc


def load_document(path: str) -> dict[str, Any]:
    """A document from a YAML or JSON file; SpecError when it is not one."""
    try:
        with open(path, encoding="utf-8") as file:
            text = file.read()
    except OSError as exc:
        raise SpecError(path, f"cannot open: {exc.strerror or exc}") from exc
    except UnicodeDecodeError as exc:
        raise SpecError(path, f"not UTF-8 text: {exc.reason}") from exc
    try:
        doc = json.loads(text) if is_json(path) else yaml.safe_load(text)
    except (ValueError, yaml.YAMLError, RecursionError) as exc:
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise SpecError(path, f"not valid {'JSON' if is_json(path) else 'YAML'}: {first}") from exc
    if not isinstance(doc, dict):
        raise SpecError(path, "not an AsyncAPI document (expected a mapping at the top)")
    version = doc.get("asyncapi")
    if not isinstance(version, str) or not version.startswith("3."):
        raise SpecError(path, f'not an AsyncAPI 3 document ("asyncapi": {version!r})')
    return doc
