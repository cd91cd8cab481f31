"""RFC 6901 JSON pointers over plain JSON values (dicts and lists): the one home.

Layer: shared leaf, standard library only; never twisted. Every pointer
sioproxy takes is parsed here: rule edits and conditions (``pipeline``),
``--ignore`` and ``--capture`` (replay), ``--redact-pointer``, ``--assign
auth:/POINTER`` and the ``$ref`` of an AsyncAPI document.

A pointer is parsed once (``parse``) into a tuple of reference tokens; the
operations then walk the document without re-parsing. ``""`` is the whole
document. ``~1`` stands for ``/`` and ``~0`` for ``~`` (decoded in that
order, RFC 6901 section 4). An array index is ``0`` or digits without a
leading zero; ``-`` names the slot after the last element and is only
meaningful for ``set``. ``Pointer.covers`` reads a ``*`` token as any one
key or index (``/args/*/ts``); the other operations take ``*`` literally.
Option parsers turn ``PointerError`` into a ``ConfigError`` naming their
option.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

__all__ = [
    "WILDCARD",
    "Pointer",
    "PointerError",
    "delete",
    "exists",
    "find",
    "format_tokens",
    "get",
    "parse",
    "set_value",
]

#: In ``Pointer.covers``, a token that stands for any one key or index.
WILDCARD = "*"

_INDEX = re.compile(r"(?:0|[1-9][0-9]*)\Z")
_BAD_ESCAPE = re.compile(r"~(?![01])")


class PointerError(ValueError):
    """A malformed pointer, or an operation that cannot be done on this document."""


class Pointer:
    """A parsed JSON pointer; ``text`` is its spelling, ``tokens`` the reference tokens."""

    __slots__ = ("text", "tokens")

    def __init__(self, text: str, tokens: tuple[str, ...]) -> None:
        self.text = text
        self.tokens = tokens

    def __repr__(self) -> str:
        return f"Pointer({self.text!r})"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Pointer) and other.text == self.text

    def __hash__(self) -> int:
        return hash(self.text)

    def covers(self, tokens: tuple[str, ...]) -> bool:
        """True when ``tokens`` is this pointer or lies beneath it, ``*`` matching any token."""
        mine = self.tokens
        if len(mine) > len(tokens):
            return False
        return all(p in (WILDCARD, t) for p, t in zip(mine, tokens, strict=False))


def parse(text: str) -> Pointer:
    """Parse ``text``; raises PointerError when it is not an RFC 6901 pointer."""
    if not isinstance(text, str):
        raise PointerError(f"a JSON pointer must be a string, got {type(text).__name__}")
    if text == "":
        return Pointer(text, ())
    if not text.startswith("/"):
        raise PointerError(f"JSON pointer {text!r} must be empty or start with '/'")
    if _BAD_ESCAPE.search(text):
        raise PointerError(f"JSON pointer {text!r}: '~' must be followed by 0 or 1")
    tokens = tuple(t.replace("~1", "/").replace("~0", "~") for t in text[1:].split("/"))
    return Pointer(text, tokens)


def format_tokens(tokens: Sequence[str]) -> str:
    """The pointer text of ``tokens``: ``("a/b", "0")`` -> ``/a~1b/0``."""
    return "".join("/" + t.replace("~", "~0").replace("/", "~1") for t in tokens)


def _index(token: str, size: int, *, allow_end: bool) -> int | None:
    """The list index a token names, or None when it names no element."""
    if token == "-":
        return size if allow_end else None
    if not _INDEX.match(token):
        return None
    i = int(token)
    if i < size or (allow_end and i == size):
        return i
    return None


def _step(node: Any, token: str) -> tuple[bool, Any]:
    if type(node) is dict:
        return (True, node[token]) if token in node else (False, None)
    if type(node) is list:
        i = _index(token, len(node), allow_end=False)
        return (False, None) if i is None else (True, node[i])
    return False, None


def _walk(doc: Any, tokens: tuple[str, ...]) -> tuple[bool, Any]:
    node = doc
    for token in tokens:
        found, node = _step(node, token)
        if not found:
            return False, None
    return True, node


def find(doc: Any, pointer: Pointer) -> tuple[bool, Any]:
    """``(True, value)`` for the value ``pointer`` names, else ``(False, None)``."""
    return _walk(doc, pointer.tokens)


def exists(doc: Any, pointer: Pointer) -> bool:
    """True when ``pointer`` names a value in ``doc``."""
    return _walk(doc, pointer.tokens)[0]


def get(doc: Any, pointer: Pointer, default: Any = None) -> Any:
    """The value ``pointer`` names, or ``default`` when there is none."""
    found, value = _walk(doc, pointer.tokens)
    return value if found else default


def set_value(doc: Any, pointer: Pointer, value: Any, *, create: bool = True) -> Any:
    """Set the value at ``pointer`` in place and return the (possibly new) document.

    With ``create`` a missing object member is added and ``-`` (or the length)
    appends to an array; without it only an existing value is replaced and a
    missing one raises PointerError. The parent must exist either way: this is
    RFC 6902 ``add`` / ``replace``, not ``mkdir -p``.
    """
    if not pointer.tokens:
        return value
    found, parent = _walk(doc, pointer.tokens[:-1])
    last = pointer.tokens[-1]
    if not found:
        raise PointerError(f"{pointer.text}: parent does not exist")
    if type(parent) is dict:
        if not create and last not in parent:
            raise PointerError(f"{pointer.text}: no such member")
        parent[last] = value
    elif type(parent) is list:
        i = _index(last, len(parent), allow_end=create)
        if i is None:
            raise PointerError(f"{pointer.text}: no such array element")
        if i == len(parent):
            parent.append(value)
        else:
            parent[i] = value
    else:
        raise PointerError(f"{pointer.text}: parent is a {type(parent).__name__}, not a container")
    return doc


def delete(doc: Any, pointer: Pointer) -> bool:
    """Remove the value at ``pointer`` in place; False when there was none.

    Deleting the whole document (``""``) is refused: a packet view cannot vanish.
    """
    if not pointer.tokens:
        raise PointerError('cannot delete the whole packet (use action = "drop")')
    found, parent = _walk(doc, pointer.tokens[:-1])
    if not found:
        return False
    last = pointer.tokens[-1]
    if type(parent) is dict:
        return parent.pop(last, _MISSING) is not _MISSING
    if type(parent) is list:
        i = _index(last, len(parent), allow_end=False)
        if i is None:
            return False
        del parent[i]
        return True
    return False


_MISSING = object()
