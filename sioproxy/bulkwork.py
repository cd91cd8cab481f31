"""Building many objects at once without the cyclic garbage collector.

Layer: base (standard library only). Every 700 new containers start a
collection, and as they pile up some collections are full ones that walk
every object of the process, the ones just made included. When a piece of
work makes many objects that all stay alive and form no cycles, those
collections find nothing and cost most of the time:

* decoding a big JSON payload (``codec/bigjson.py``): json's scan of 1 MB of
  ``[[0]],`` took 58-69 ms, 22-24 ms of it scanning;
* reading a recording, inferring its causes, building a replay script: one
  entry, cause or step per recorded packet (docs/performance.md, round 9).

``collector_paused`` runs such work with the collector off, then moves what
it made to the oldest generation at once (``gc.freeze()`` then
``gc.unfreeze()``: two list moves), so no young collection walks it right
after either. The objects are freed by reference counting as usual. Objects
of the program that were young then are moved along: a cycle among them is
collected at the next full collection instead of a young one
(docs/reliability.md).
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager

__all__ = ["collector_paused"]


@contextmanager
def collector_paused() -> Iterator[None]:
    """No cyclic garbage collection inside; the collector is left as it was.

    Only for work that makes no garbage cycles (one made inside waits for a
    later full collection). A collector switched off by the program
    (``gc.disable()``), or an enclosing block, is left alone; objects the
    program froze (``gc.freeze()``) stay frozen, and then the new objects
    stay young.
    """
    if not gc.isenabled():
        yield
        return
    gc.disable()
    try:
        yield
    finally:
        if not gc.get_freeze_count():
            gc.freeze()
            gc.unfreeze()
        gc.enable()
