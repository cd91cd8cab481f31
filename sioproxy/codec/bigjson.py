"""Big JSON payloads decoded without Python's cyclic garbage collector walking them.

Layer: pure codec, standard library and the base layer only.

Decoding JSON allocates a list or dict per array or object, and the
collections those allocations start walk every object of the process: a
1 MB event of ``[[0]],[[0]],...`` (330,000 lists) took 58-69 ms in json's
C scanner alone, 22-24 ms of it scanning, the rest collecting (200-256 ms
in a process of 400,000 objects). Nothing decoded is garbage yet, so those
collections find nothing. Past ``BIG`` characters (a Socket.IO payload,
the JSON of a 0.9 packet) the scan runs inside ``bulkwork.collector_paused``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Final, ParamSpec, TypeVar

from sioproxy.bulkwork import collector_paused

__all__ = ["BIG", "paused"]

P = ParamSpec("P")
R = TypeVar("R")

# Payloads at least this long are decoded with the collector paused: about
# 10,000 containers at most, so smaller ones start a handful of collections.
BIG: Final = 1 << 16


def paused(decode: Callable[P, R], *args: P.args, **kwargs: P.kwargs) -> R:
    """``decode(*args, **kwargs)`` (json's ``scan_once``, ``json.loads``) with the
    cyclic collector paused (``bulkwork.collector_paused``)."""
    with collector_paused():
        return decode(*args, **kwargs)
