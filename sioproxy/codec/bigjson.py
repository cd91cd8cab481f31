"""Big JSON payloads decoded without Python's cyclic garbage collector walking them.

Layer: pure codec, standard library only.

Decoding JSON allocates a list or dict per array or object. Every 700 such
allocations start a collection, and as they pile up some of those are full
ones that walk every object of the process, the ones just decoded included:
a 1 MB event of ``[[0]],[[0]],...`` (330,000 lists) took 58-69 ms in json's
C scanner alone, 22-24 ms of it scanning, the rest collecting (200-256 ms
in a process of 400,000 objects). Nothing decoded is garbage yet, so those
collections find nothing. Past ``BIG`` characters (a Socket.IO payload,
the JSON of a 0.9 packet) the scan runs with the collector paused, and what
it made then goes to the oldest generation at once (``gc.freeze()`` then
``gc.unfreeze()``: two list moves): no young collection walks it while the
packet is logged and recorded, and it is freed by reference counting as
usual. Objects of the program that were young then
are moved along; a cycle among them is collected at the next full
collection instead of a young one (docs/reliability.md).
"""

from __future__ import annotations

import gc
from collections.abc import Callable
from typing import Final, ParamSpec, TypeVar

__all__ = ["BIG", "paused"]

P = ParamSpec("P")
R = TypeVar("R")

# Payloads at least this long are decoded with the collector paused: about
# 10,000 containers at most, so smaller ones start a handful of collections.
BIG: Final = 1 << 16


def paused(decode: Callable[P, R], *args: P.args, **kwargs: P.kwargs) -> R:
    """``decode(*args, **kwargs)`` (json's ``scan_once``, ``json.loads``) with the
    cyclic collector paused.

    A collector switched off by the program (``gc.disable()``) stays off,
    and objects it froze (``gc.freeze()``) stay frozen: then the new objects
    stay young.
    """
    if not gc.isenabled():
        return decode(*args, **kwargs)
    gc.disable()
    try:
        return decode(*args, **kwargs)
    finally:
        if not gc.get_freeze_count():
            gc.freeze()
            gc.unfreeze()
        gc.enable()
