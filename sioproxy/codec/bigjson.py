"""Big JSON payloads decoded with Python's cyclic garbage collector paused.

Layer: pure codec, standard library only.

Decoding JSON allocates a list or dict per array or object. Every 700 such
allocations start a collection, and as they pile up some of those are full
ones that walk every object of the process, the ones just decoded included:
a 1 MB event of ``[[0]],[[0]],...`` (330,000 lists) took 58-69 ms in
json's C scanner alone, 22-24 ms of it scanning, the rest collecting (more
in a process with a bigger heap). Nothing decoded is garbage yet, so those
collections find nothing. Past ``BIG`` characters the scan runs with the
collector paused; the next allocation after it runs one young-generation
collection over what was decoded (about 12 ms for those 330,000 lists), and
the usual thresholds go on from there (docs/reliability.md).
"""

from __future__ import annotations

import gc
from collections.abc import Callable
from typing import Any, Final

__all__ = ["BIG", "scan_paused"]

# Payloads at least this long are scanned with the collector paused: about
# 10,000 containers at most, so smaller ones start a handful of collections.
BIG: Final = 1 << 16


def scan_paused(
    scan: Callable[[str, int], tuple[Any, int]], text: str, start: int
) -> tuple[Any, int]:
    """``scan(text, start)`` (json's ``scan_once``) with the cyclic collector paused.

    A collector already switched off (``gc.disable()`` by the embedding
    program) stays off.
    """
    if not gc.isenabled():
        return scan(text, start)
    gc.disable()
    try:
        return scan(text, start)
    finally:
        gc.enable()
