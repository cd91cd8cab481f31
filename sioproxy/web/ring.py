"""A bounded ring of rows with ids, and the drop-and-count of a slow reader.

Layer: pure (web). Standard library only; never twisted.

The proxy keeps the last ``capacity`` rows (``--web-ring``, default 100,000):
memory stays bounded however long it runs. Rows are stored as the proxy saw
them and turned into the page's line (UTF-8 JSON, :mod:`sioproxy.web.lines`)
only when a page asks (``encode``), so a proxy with no page attached pays one
``deque.append`` per packet (``record --web`` appends the recorder's own
line). With ``keep_items`` the item stays next to its JSON (``proxy --web``
makes the page's downloads from it); otherwise the JSON is all that is kept
once made. Ids start at 1 and never repeat; a page that reconnects sends the
last id it saw (``Last-Event-ID``) and gets what followed, or, if the ring
has moved past it, everything still held and the number it missed.

A page that reads slower than packets come (or a stalled browser) simply
falls behind in the ring; when the ring lets rows go before the page read
them they are counted as dropped for that page (``since`` returns how many).
Nothing per page grows, and the relay never waits for a page.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable
from typing import Any

DEFAULT_CAPACITY = 100_000


class Ring:
    """The last ``capacity`` items; ``encode`` turns an item into its line of JSON (bytes).

    Ids are consecutive, so a slot needs no id of its own: two deques in step
    hold the items and their JSON lines. No object per slot means fewer for
    the garbage collector to walk, which is most of what an idle ring costs.
    """

    def __init__(
        self, capacity: int, encode: Callable[[Any], bytes], *, keep_items: bool = False
    ) -> None:
        if capacity < 1:
            raise ValueError("capacity must be at least 1")
        self.capacity = capacity
        self._encode = encode
        self._keep_items = keep_items
        self._items: deque[Any] = deque(maxlen=capacity)  # None once encoded (unless kept)
        self._texts: deque[bytes | None] = deque(maxlen=capacity)
        self.last_id = 0
        self.evicted = 0
        self._listeners: tuple[Callable[[int], None], ...] = ()

    def __len__(self) -> int:
        return len(self._items)

    @property
    def first_id(self) -> int:
        return self.last_id - len(self._items) + 1

    def append(self, item: Any) -> int:
        if len(self._items) == self.capacity:
            self.evicted += 1
        self.last_id += 1
        self._items.append(item)
        self._texts.append(None)
        for listener in self._listeners:
            listener(self.last_id)
        return self.last_id

    def listen(self, listener: Callable[[int], None]) -> Callable[[], None]:
        """Call ``listener(id)`` after each append; returns the function that stops it."""
        self._listeners += (listener,)

        def stop() -> None:
            self._listeners = tuple(x for x in self._listeners if x is not listener)

        return stop

    def since(
        self, last_seen: int, limit: int | None = None
    ) -> tuple[list[tuple[int, bytes]], int]:
        """Rows after id ``last_seen`` (at most ``limit``), and how many were lost to the ring."""
        first = self.first_id
        start = max(last_seen + 1, first)
        missed = max(0, start - last_seen - 1) if last_seen < self.last_id else 0
        index = start - first
        end = len(self._items) if limit is None else min(len(self._items), index + limit)
        return [(first + i, self._text(i)) for i in range(max(index, 0), end)], missed

    def get(self, row_id: int) -> bytes | None:
        """The JSON line of ``row_id``, or None once the ring has let it go."""
        index = row_id - self.first_id
        if index < 0 or index >= len(self._items):
            return None
        return self._text(index)

    def items(self) -> list[Any]:
        """The items still held, oldest first (None for an encoded one without ``keep_items``)."""
        return list(self._items)

    def _text(self, index: int) -> bytes:
        text = self._texts[index]
        if text is None:
            text = self._texts[index] = self._encode(self._items[index])
            if not self._keep_items:
                self._items[index] = None  # fewer live objects for the garbage collector to walk
        return text


def same_line(line: bytes) -> bytes:
    """The ``encode`` of a ring whose items are page lines already."""
    return line
