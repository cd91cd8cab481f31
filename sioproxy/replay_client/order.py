"""Cross-connection order: the recorded connections of one client play together.

Layer: pure (sans-IO); never twisted. A recording of several clients is a
conversation: bob hears alice's broadcast only if he joined the room before
she spoke. So the replayers of one group (every recorded connection, played
at once) share a ``PlayOrder``: each reports its *frontier*, the recorded
``seq`` of its earliest step not yet played (a client packet not sent, a
server packet neither received nor given up; the ``open`` entry before the
connection started). A connection opens, and sends a client packet, only when
every other connection's frontier is past that packet's ``seq``: everything
recorded before it, on any connection, has been played. The server packets
its own packets cause (a broadcast to bob) are then expected where they were
recorded (docs/replay-client.md, "Several connections").

Bounded: a connection that never catches up (its server packet never comes)
holds the others at most ``max_wait`` seconds per packet; the packet then
goes anyway and ``releases`` counts it, with a note. A connection that ended
no longer holds anyone.

A reconnection that recovers another connection's session (socket.io 4.6+,
``sioproxy.recording.recovery``) opens only once that connection has ended
live, and the recorded time away after it: the server keeps the session only
after the drop, and sends on recovery what it broadcast meanwhile.
"""

from __future__ import annotations

import heapq
import math
from dataclasses import dataclass

from sioproxy.recording.causes import DEFAULT_MAX_WAIT

__all__ = ["PlayOrder", "Release"]


@dataclass(frozen=True, slots=True)
class Release:
    """A packet that went after ``max_wait`` without the connections it waited for."""

    conn: str
    seq: int
    behind: tuple[str, ...]
    max_wait: float

    def note(self) -> str:
        # A recording of hundreds of clients can hold many back: name a few.
        named = ", ".join(self.behind[:_NAMED])
        more = len(self.behind) - _NAMED
        who = f"{named} and {more} more" if more > 0 else named
        return (
            f"seq {self.seq} sent after --max-wait {self.max_wait:g} s: "
            f"{who} had not played what came before it"
        )


_NAMED = 10  # connections a release note names


class PlayOrder:
    """The frontiers of one group of connections; see the module docstring."""

    def __init__(self, max_wait: float = DEFAULT_MAX_WAIT) -> None:
        self.max_wait = max_wait
        self._frontier: dict[str, float] = {}
        # Heaps that keep every answer below O(log n) in the number of connections
        # (a recording of hundreds of clients); an entry that no longer says the
        # current value is stale and skipped when it comes to the top.
        self._low_frontiers: list[tuple[float, str]] = []  # (frontier, conn)
        self._since: dict[str, tuple[int, float]] = {}  # conn -> (waiting seq, since)
        self._waiting: dict[str, int] = {}  # conn -> the seq it waits to play
        self._low_waits: list[tuple[int, str]] = []  # (seq, conn)
        self._woken: list[str] = []
        self.releases: list[Release] = []
        self._after: dict[str, tuple[str, float]] = {}  # reconnection -> (dropped conn, away)
        self._ended: dict[str, float] = {}

    def join(
        self, conn: str, opened_seq: int, *, after: str | None = None, away: float = 0.0
    ) -> None:
        """Register a connection before anything plays; it holds back what follows its open.

        ``after``: the connection whose session it recovers, ``away`` seconds after it ended.
        """
        self._set_frontier(conn, opened_seq)
        if after is not None:
            self._after[conn] = (after, away)

    def ended(self, conn: str, now: float) -> None:
        """``conn``'s live connection is over: its reconnections may open ``away`` later."""
        self._ended[conn] = now
        self.finish(conn)
        waiting = [c for c, (dropped, _) in self._after.items() if dropped == conn]
        self._woken += [c for c in waiting if c not in self._woken]

    def reconnect_at(self, conn: str) -> float | None:
        """When reconnection ``conn`` may open (inf: not yet known; None: it needs no wait)."""
        after = self._after.get(conn)
        if after is None or after[0] not in self._frontier:
            return None  # not a reconnection, or the dropped connection is not played
        end = self._ended.get(after[0])
        return math.inf if end is None else end + after[1]

    def advance(self, conn: str, frontier: float) -> None:
        """``conn`` has played everything before ``frontier`` (``math.inf``: all of it)."""
        if self._frontier.get(conn) == frontier:
            return
        self._set_frontier(conn, frontier)
        if frontier == math.inf:
            self._waiting.pop(conn, None)  # done: it will not ask to play again
        if self._waiting:
            woken = sorted(self._unblocked(but=conn))
            self._woken += [w for w in woken if w not in self._woken]

    def finish(self, conn: str) -> None:
        self.advance(conn, math.inf)

    def behind(self, conn: str, seq: int) -> list[str]:
        """The other connections that have not yet played everything before ``seq``."""
        return [c for c, f in self._frontier.items() if f < seq and c != conn]

    def may_play(self, conn: str, seq: int, now: float) -> bool:
        """Whether ``conn`` may play its step ``seq`` now; False registers it as waiting."""
        if self._lowest_but(conn) >= seq:
            self._since.pop(conn, None)
            self._waiting.pop(conn, None)
            return True
        waited_seq, since = self._since.get(conn, (seq, now))
        if waited_seq != seq:
            since = now
        if now - since >= self.max_wait:
            self._since.pop(conn, None)
            behind = tuple(self.behind(conn, seq))
            self.releases.append(Release(conn, seq, behind, self.max_wait))
            return True
        self._since[conn] = (seq, since)
        if self._waiting.get(conn) != seq:
            self._waiting[conn] = seq
            heapq.heappush(self._low_waits, (seq, conn))
        return False

    def deadline(self, conn: str) -> float | None:
        """When ``conn``'s current wait ends by ``max_wait`` (None: it does not wait)."""
        waiting = self._since.get(conn)
        return None if waiting is None else waiting[1] + self.max_wait

    def _set_frontier(self, conn: str, frontier: float) -> None:
        self._frontier[conn] = frontier
        heapq.heappush(self._low_frontiers, (frontier, conn))

    def _two_lowest(self) -> list[tuple[float, str]]:
        """The lowest frontier and the lowest of another connection (fewer if there are not)."""
        heap, current = self._low_frontiers, self._frontier
        found: list[tuple[float, str]] = []
        while heap and len(found) < 2:
            entry = heapq.heappop(heap)
            frontier, conn = entry
            if current.get(conn) == frontier and all(conn != c for _, c in found):
                found.append(entry)
        for entry in found:
            heapq.heappush(heap, entry)
        return found

    def _lowest_but(self, conn: str) -> float:
        """The lowest frontier among the other connections (inf: there are none)."""
        lowest = [f for f, c in self._two_lowest() if c != conn]
        return lowest[0] if lowest else math.inf

    def _unblocked(self, *, but: str) -> list[str]:
        """Waiting connections (other than ``but``) that nobody is behind any more.

        A connection waiting to play seq s may once every *other* frontier is
        at least s: with f1 the lowest frontier and f2 the lowest of another
        connection, every wait up to f1, and the lowest connection's own wait
        up to f2. They stop waiting. ``but`` keeps waiting: it is the one
        playing now, and checks again itself.
        """
        two = self._two_lowest()
        if not two:
            return []
        lowest, lowest_conn = two[0]
        second = two[1][0] if len(two) > 1 else math.inf
        heap, waiting = self._low_waits, self._waiting
        woken: list[str] = []
        kept: list[tuple[int, str]] = []
        while heap and heap[0][0] <= lowest:
            seq, conn = heapq.heappop(heap)
            if waiting.get(conn) != seq:
                continue  # stale: woken, or waiting for another seq since
            if conn == but:
                kept.append((seq, conn))
            else:
                del waiting[conn]
                woken.append(conn)
        for entry in kept:
            heapq.heappush(heap, entry)
        own = waiting.get(lowest_conn)
        if own is not None and own <= second and lowest_conn != but:
            del waiting[lowest_conn]
            woken.append(lowest_conn)
        return woken

    def take_woken(self) -> list[str]:
        """The waiting connections some other connection's progress may let go."""
        woken, self._woken = self._woken, []
        return woken
