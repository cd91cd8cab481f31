"""Fast construction of frozen, slotted dataclasses, generated from their fields.

Layer: base (standard library only). A frozen dataclass's generated
``__init__`` stores each field with ``object.__setattr__``; on the hot paths
(one packet object per frame relayed) that is most of the cost of building
one. The functions here are generated from ``dataclasses.fields(cls)``, the
way ``dataclasses`` generates ``__init__``, so a field added to the class is
set by them too: it cannot be forgotten.

* ``slot_init(cls)``: an ``__init__`` with the same keyword-only signature
  that stores through the slot descriptors (about half the cost).
* ``replacer(cls, *names)``: ``dataclasses.replace(obj, **changes)`` for the
  fields ``names``, as a function ``(obj, *values)``: the other init fields
  are copied, the non-init ones get their defaults, as ``replace`` does. No
  ``__post_init__`` runs: ``obj`` is finished already, so only pass values
  it would leave as they are. About ten times cheaper than ``replace``.
* ``draft_builder(cls)``: a function that fills a plain twin class with the
  same slots and then gives the object its real class (``__class__``
  assignment is allowed between identical layouts). No ``__init__`` and no
  ``__post_init__`` run, so callers pass every derived value themselves;
  fields declared ``init=False`` are parameters too. About five times cheaper.

A field with a ``default_factory`` takes ``None`` for "a fresh default".
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from typing import Any

__all__ = ["draft_builder", "replacer", "slot_init"]


def _parameters(
    cls: type, globs: dict[str, Any], *, with_non_init: bool
) -> tuple[list[str], list[str], list[str]]:
    """(parameter texts, setup lines, field names) for every field of ``cls``."""
    params: list[str] = []
    setup: list[str] = []
    names: list[str] = []
    for f in dataclasses.fields(cls):
        if not f.init and not with_non_init:
            continue
        name = f.name
        names.append(name)
        if f.default is not dataclasses.MISSING:
            globs[f"_default_{name}"] = f.default
            params.append(f"{name}=_default_{name}")
        elif f.default_factory is not dataclasses.MISSING:
            globs[f"_factory_{name}"] = f.default_factory
            params.append(f"{name}=None")
            setup.append(f"    if {name} is None: {name} = _factory_{name}()")
        else:
            params.append(name)
    return params, setup, names


def _compile(source: str, globs: dict[str, Any], name: str) -> Any:
    namespace: dict[str, Any] = {}
    exec(source, globs, namespace)  # the same technique as dataclasses' own __init__
    return namespace[name]


def slot_init(cls: type) -> Callable[..., None]:
    """An ``__init__`` for ``cls`` storing each field through its slot descriptor."""
    globs: dict[str, Any] = {}
    params, setup, _ = _parameters(cls, globs, with_non_init=False)
    body = [*setup]
    for f in dataclasses.fields(cls):
        globs[f"_set_{f.name}"] = getattr(cls, f.name).__set__
        if f.init:
            body.append(f"    _set_{f.name}(self, {f.name})")
        elif f.default is not dataclasses.MISSING:  # like dataclasses: the default is set
            globs[f"_default_{f.name}"] = f.default
            body.append(f"    _set_{f.name}(self, _default_{f.name})")
        elif f.default_factory is not dataclasses.MISSING:
            globs[f"_factory_{f.name}"] = f.default_factory
            body.append(f"    _set_{f.name}(self, _factory_{f.name}())")
    source = f"def __init__(self, *, {', '.join(params)}):\n" + "\n".join(body or ["    pass"])
    init: Callable[..., None] = _compile(source, globs, "__init__")
    init.__qualname__ = f"{cls.__qualname__}.__init__"
    return init


def _twin_globals(cls: type) -> dict[str, Any]:
    """What a generated builder needs: ``object.__new__``, a plain class with
    ``cls``'s slots to fill, and ``cls`` to give the filled object."""
    return {
        "_new": object.__new__,
        "_draft": type(f"_{cls.__name__}Draft", (), {"__slots__": cls.__slots__}),  # type: ignore[attr-defined]
        "_cls": cls,
    }


def draft_builder(cls: type) -> Callable[..., Any]:
    """A function taking every field of ``cls`` by keyword, returning a finished instance."""
    globs = _twin_globals(cls)
    params, setup, names = _parameters(cls, globs, with_non_init=True)
    body = [*setup, "    o = _new(_draft)"]
    body += [f"    o.{name} = {name}" for name in names]
    body += ["    o.__class__ = _cls", "    return o"]
    source = f"def build(*, {', '.join(params)}):\n" + "\n".join(body)
    build: Callable[..., Any] = _compile(source, globs, "build")
    build.__qualname__ = f"build_{cls.__name__}"
    return build


def replacer(cls: type, *names: str) -> Callable[..., Any]:
    """``dataclasses.replace(obj, **dict(zip(names, values)))`` as ``fn(obj, *values)``."""
    globs = _twin_globals(cls)
    fields = {f.name: f for f in dataclasses.fields(cls)}
    unknown = [name for name in names if name not in fields or not fields[name].init]
    if unknown:
        raise TypeError(f"{cls.__name__} has no init field {unknown[0]!r}")
    body = ["    d = _new(_draft)"]
    for name, f in fields.items():
        if name in names:
            body.append(f"    d.{name} = {name}")
        elif f.init:
            body.append(f"    d.{name} = o.{name}")
        elif f.default is not dataclasses.MISSING:
            globs[f"_default_{name}"] = f.default
            body.append(f"    d.{name} = _default_{name}")
        else:
            globs[f"_factory_{name}"] = f.default_factory
            body.append(f"    d.{name} = _factory_{name}()")
    body += ["    d.__class__ = _cls", "    return d"]
    source = f"def replace(o, {', '.join(names)}):\n" + "\n".join(body)
    replace: Callable[..., Any] = _compile(source, globs, "replace")
    replace.__qualname__ = f"replace_{cls.__name__}"
    return replace
