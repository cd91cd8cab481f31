"""Why each recorded server packet was sent: its causes, from Socket.IO semantics.

Layer: pure (recording). Imports the standard library, ``sioproxy.types`` and
the recording model; never twisted. The inference works on the packets' dict
forms (docs/recording-format.md), so it needs no codec and runs on any
recording when it is loaded: nothing new is stored in the file.

For every application packet the server sent (as ``view`` saw it), in this
order of preference:

* ``connect``: a CONNECT reply or CONNECT_ERROR (0.9: the endpoint's ``1::/ns``
  or an error) waits for that namespace's CONNECT request on its connection;
* ``ack``: an acknowledgement waits for the request it answers (``ack_of``,
  else the latest unanswered request of the same namespace and id);
* ``reply``: a packet that followed a client packet of the same namespace on
  its connection waits for the latest such packet;
* ``cross``: a packet that followed another connection's client packet of the
  same namespace, with no client packet of its own connection in between,
  within ``window`` seconds, also waits for that packet (a broadcast);
* ``push``: none of those: it is timed from the previous server packet of its
  connection (or the connection's start).

Where the evidence is ambiguous the weaker dependency is taken, the one that
cannot hold a packet back for something a live client may never send: a
packet that followed a client packet of *another* namespace on its own
connection depends on its own namespace only (so a client that joins fewer
namespaces still gets its replies). That latest client packet is kept as
``also``, with ``gate`` the CONNECT of its namespace: a replay waits for it
too while the live client has joined that namespace, so a client doing all
the recorded client did keeps the recorded order. An ack recorded within
``BURST_GAP`` of its request has no ``also``: the server answered at once, and
the client packets recorded in between were in flight (the client sent them
before it had the ack), so that order is the transport's batching, not a
wait; holding the ack for them would make a pipelining client (many emits in
flight) wait for a whole recorded batch each time (docs/performance.md). ``Cause.reason`` says what
was chosen and why, for ``sioproxy show --causes`` and ``replay --verbose``.

What a packet is to the inference is ``app_view.py``'s; the ``Cause`` type and
its text are ``cause_model.py``'s, imported from here too.
"""

from __future__ import annotations

import bisect
import dataclasses
import itertools
import math
from collections import deque
from collections.abc import Mapping
from dataclasses import dataclass

from sioproxy.bulkwork import collector_paused
from sioproxy.recording.app_view import AppView, app_view
from sioproxy.recording.cause_model import Cause, CauseKind, Dependency, describe_cause, ns_name
from sioproxy.recording.delivery import as_seen_by
from sioproxy.recording.model import OpenEvent, PacketEntry, Recording
from sioproxy.types import Direction, Side

__all__ = [
    "BURST_GAP",
    "DEFAULT_MAX_WAIT",
    "DEFAULT_WINDOW",
    "Cause",
    "CauseKind",
    "Dependency",
    "describe_cause",
    "infer_causes",
]

#: Default ``--cause-window``: how long after another connection's client
#: packet a server packet still counts as caused by it.
DEFAULT_WINDOW = 1.0
#: Default ``--max-wait`` of both replays: how long a packet waits for another
#: connection's cause before it goes anyway, with a note.
DEFAULT_MAX_WAIT = 5.0
# One server handler's writes to a connection are recorded this close together
# (50 ms leaves room for a loaded proxy; a human's next action is slower).
BURST_GAP = 0.05


@dataclass(slots=True)
class _Seen:
    """What has been seen so far while walking the recording in seq order."""

    last_client: dict[str, int]
    last_nsp: dict[str, str]
    last_in_ns: dict[tuple[str, str], int]
    connects: dict[tuple[str, str], int]
    requests: dict[tuple[str, str, int], int]
    recent: dict[str, deque[tuple[float, int, str]]]
    last_server: dict[str, int] = dataclasses.field(default_factory=dict)
    last_server_t: dict[str, float] = dataclasses.field(default_factory=dict)
    # The latest client packet that is no ack: an answer to the server's own
    # request does not make the server broadcast, so it does not hide a cross cause.
    last_not_ack: dict[str, int] = dataclasses.field(default_factory=dict)
    # Server packets by their wire text: copies of one broadcast share it.
    copies: dict[str | bytes, list[tuple[int, str, float]]] = dataclasses.field(
        default_factory=dict
    )
    # Client request seq -> the seq of the server's ack of it (``ack_of``).
    acked_at: dict[int, int] = dataclasses.field(default_factory=dict)
    # Client packet seq -> its time (an ack's distance from its request).
    client_t: dict[int, float] = dataclasses.field(default_factory=dict)


def infer_causes(
    recording: Recording, *, window: float = DEFAULT_WINDOW, view: Side = Side.CLIENT
) -> dict[int, Cause]:
    """Server packet seq -> its ``Cause``, for every application packet the server sent.

    ``view`` picks the side whose conversation is replayed (docs/recording-format.md,
    Fate): the stand-in server replays the client's, the replay client the server's.
    """
    with collector_paused():  # a cause per server packet, all kept, no cycles (bulkwork.py)
        return _infer_causes(recording, window, view)


def _infer_causes(recording: Recording, window: float, view: Side) -> dict[int, Cause]:
    generations = {e.conn: e.generation for e in recording.entries if isinstance(e, OpenEvent)}
    seen = _Seen({}, {}, {}, {}, {}, {})
    causes: dict[int, Cause] = {}
    client_seqs: dict[int, str] = {}
    packets: list[tuple[PacketEntry, AppView]] = []
    for recorded in recording.packets():
        entry, _ = as_seen_by(recorded, view)
        generation = generations.get(recorded.conn)
        app = app_view(entry.packet, generation) if entry and generation else None
        if entry is not None and app is not None:
            packets.append((entry, app))
            if entry.dir is Direction.S2C:
                seen.copies.setdefault(entry.raw, []).append((entry.seq, entry.conn, entry.t))
    seen.acked_at = _acks_of_requests(packets)
    for entry, app in packets:
        if entry.dir is Direction.C2S:
            _note_client(seen, entry, app, window)
            client_seqs[entry.seq] = entry.conn
        else:
            cause = _cause_of(seen, entry, app, window, client_seqs)
            if not _answered_at_once(seen, cause, entry):
                cause = _with_also(seen, cause)
            causes[entry.seq] = cause
            seen.last_server[entry.conn] = entry.seq
            seen.last_server_t[entry.conn] = entry.t
    return causes


def _with_also(seen: _Seen, cause: Cause) -> Cause:
    """The cause, with its connection's latest client packet when it is not one of its own."""
    latest = seen.last_client.get(cause.conn)
    if latest is None or any(d.seq == latest for d in cause.after if d.conn == cause.conn):
        return cause
    nsp = seen.last_nsp[cause.conn]
    gate = seen.connects.get((cause.conn, nsp))
    reason = f"{cause.reason}; also after #{latest} while the client is in {ns_name(nsp)}"
    return dataclasses.replace(cause, also=latest, gate=gate, reason=reason)


def _answered_at_once(seen: _Seen, cause: Cause, entry: PacketEntry) -> bool:
    """Whether ``cause`` is an ack's, recorded within ``BURST_GAP`` of its request."""
    if cause.kind is not CauseKind.ACK or not cause.after:
        return False
    request_t = seen.client_t.get(cause.after[0].seq)
    return request_t is not None and entry.t - request_t <= BURST_GAP


def _note_client(seen: _Seen, entry: PacketEntry, app: AppView, window: float) -> None:
    conn, seq = entry.conn, entry.seq
    seen.client_t[seq] = entry.t
    seen.last_client[conn] = seq
    seen.last_nsp[conn] = app.nsp
    if app.kind != "ack":
        seen.last_not_ack[conn] = seq
    seen.last_in_ns[conn, app.nsp] = seq
    if app.kind == "connect":
        seen.connects[conn, app.nsp] = seq
    elif app.kind == "request" and app.id is not None:
        seen.requests[conn, app.nsp, app.id] = seq
    recent = seen.recent.setdefault(app.nsp, deque())
    if app.kind != "ack":  # an answer to the server's request makes no broadcast
        recent.append((entry.t, seq, conn))
    while recent and recent[0][0] < entry.t - window:
        recent.popleft()


def _cause_of(
    seen: _Seen, entry: PacketEntry, app: AppView, window: float, client_seqs: Mapping[int, str]
) -> Cause:
    conn, seq, nsp = entry.conn, entry.seq, app.nsp
    if app.kind == "connect":
        request = seen.connects.get((conn, nsp))
        if request is not None:
            return _cause(entry, CauseKind.CONNECT, (request,), f"answers the CONNECT #{request}")
        return _push(entry, f"a CONNECT for {ns_name(nsp)} the client never sent")
    if app.kind == "ack":
        request = _ack_request(seen, entry, app, client_seqs)
        if request is not None:
            return _cause(entry, CauseKind.ACK, (request,), f"acknowledges #{request}")
        return _push(entry, "an ack of no recorded client request")
    own = seen.last_in_ns.get((conn, nsp))
    cross = _cross_cause(seen, entry, nsp, window)
    after = [Dependency(conn, own)] if own is not None else []
    reason = f"follows #{own} in {ns_name(nsp)}" if own is not None else ""
    if cross is not None and own is not None and _continues_burst(seen, entry, own, cross[0]):
        answered = seen.last_server[conn]
        reason += (
            f" (not after {cross[0].conn} #{cross[0].seq}: #{answered} already answered"
            f" #{own} and no other connection got the same packet: weaker, cannot deadlock)"
        )
        cross = None
    if cross is not None and own is not None and _inside_handler(seen, entry, own, cross[0]):
        reason += (
            f" (not after {cross[0].conn} #{cross[0].seq}: the server acked #{own} only after"
            " this packet, so its handler was still running, and no other connection got"
            " the same packet: weaker, cannot deadlock)"
        )
        cross = None
    if cross is not None and _answers_own_ack(seen, entry, cross[0]):
        reason += (
            f" (not after {cross[0].conn} #{cross[0].seq}: the first packet after this"
            " connection's ack of a server request, as an ack callback sends it, and no other"
            " connection got the same packet: weaker, cannot deadlock)"
        )
        cross = None
    if cross is not None:
        after.append(cross[0])
        reason = "; ".join(r for r in (reason, cross[1]) if r)
        return Cause(conn=conn, seq=seq, kind=CauseKind.CROSS, after=tuple(after), reason=reason)
    if own is None:
        return _push(entry, f"no client packet in {ns_name(nsp)} before it")
    return Cause(conn=conn, seq=seq, kind=CauseKind.REPLY, after=tuple(after), reason=reason)


def _ack_request(
    seen: _Seen, entry: PacketEntry, app: AppView, client_seqs: Mapping[int, str]
) -> int | None:
    """The request an ack answers: ``ack_of`` when it is a client packet of this connection."""
    if entry.ack_of is not None and client_seqs.get(entry.ack_of) == entry.conn:
        return entry.ack_of
    if app.id is None:
        return None
    return seen.requests.pop((entry.conn, app.nsp, app.id), None)


def _continues_burst(seen: _Seen, entry: PacketEntry, own: int, dep: Dependency) -> bool:
    """Whether the packet is more likely the rest of the server's answer to ``own``.

    The server had already answered ``own`` on this connection after the other
    connection's packet (a proxy can record a burst of one handler around
    another client's packet), and the packet is no copy of a broadcast.
    """
    answered = seen.last_server.get(entry.conn)
    if answered is None or answered < own:
        return False
    if answered < dep.seq and not _same_burst(seen, entry, dep):
        return False
    return not _has_copy(seen, entry, dep.seq)


def _same_burst(seen: _Seen, entry: PacketEntry, dep: Dependency) -> bool:
    """The server's answer began before the other packet and goes on right after it.

    The proxy sees another client's packet on its way *to* the server; one
    handler's writes (an ack, then a ``confirm`` request) can be recorded
    around it. Taken as the same burst when this packet comes within
    ``BURST_GAP`` of the connection's previous server packet and the server
    has sent nothing yet on the other connection since its packet.
    """
    gap = entry.t - seen.last_server_t.get(entry.conn, -math.inf)
    return gap <= BURST_GAP and seen.last_server.get(dep.conn, 0) < dep.seq


def _acks_of_requests(packets: list[tuple[PacketEntry, AppView]]) -> dict[int, int]:
    """Client request seq -> the seq of the server's ack: by ``ack_of``, else by id."""
    acked: dict[int, int] = {}
    waiting: dict[tuple[str, str, int], int] = {}
    for entry, app in packets:
        if entry.dir is Direction.C2S and app.kind == "request" and app.id is not None:
            waiting[entry.conn, app.nsp, app.id] = entry.seq
        elif entry.dir is Direction.S2C and app.kind == "ack":
            request = entry.ack_of
            if request is None and app.id is not None:
                request = waiting.pop((entry.conn, app.nsp, app.id), None)
            if request is not None:
                acked[request] = entry.seq
    return acked


def _inside_handler(seen: _Seen, entry: PacketEntry, own: int, dep: Dependency) -> bool:
    """Whether the packet came while the server still handled ``own`` (acked after it).

    A server request sent from the handler of the client's own request (a
    confirmation asked for while joining) is part of that answer, whatever
    another client sent meanwhile; unless another connection got a copy (a
    broadcast of the other client's packet).
    """
    acked = seen.acked_at.get(own)
    return acked is not None and acked > entry.seq and not _has_copy(seen, entry, dep.seq)


def _answers_own_ack(seen: _Seen, entry: PacketEntry, dep: Dependency) -> bool:
    """Whether the packet is the first the server sent after the client's own ack.

    The client's latest packet answered a server request (its ack callback may
    emit, e.g. a "confirmed"); another client's packet that came in between
    is taken as its cause only when another connection got a copy (a broadcast).
    """
    latest = seen.last_client.get(entry.conn, 0)
    is_ack = latest > seen.last_not_ack.get(entry.conn, 0)
    first_since = seen.last_server.get(entry.conn, 0) < latest
    return is_ack and first_since and not _has_copy(seen, entry, dep.seq)


def _cross_cause(
    seen: _Seen, entry: PacketEntry, nsp: str, window: float
) -> tuple[Dependency, str] | None:
    """Another connection's latest client packet in ``nsp`` since this one's own last."""
    own_last = seen.last_not_ack.get(entry.conn, 0)
    candidates = [
        (seq, conn)
        for t, seq, conn in reversed(seen.recent.get(nsp, ()))
        if seq > own_last and conn != entry.conn and entry.t - t <= window
    ]
    if not candidates:
        return None
    seq, conn = candidates[0]
    if seq < seen.last_client.get(entry.conn, 0) and not _has_copy(seen, entry, seq):
        return None  # its own ack came after: rather an answer to that, unless a broadcast
    reason = f"follows {conn}'s #{seq} in {ns_name(nsp)} within {window:g} s"
    others = sorted({f"{c} #{s}" for s, c in candidates[1:]})
    if others:
        reason += f" (the latest; also after {', '.join(others)})"
    return Dependency(conn, seq), reason


def _cause(entry: PacketEntry, kind: CauseKind, seqs: tuple[int, ...], reason: str) -> Cause:
    after = tuple(Dependency(entry.conn, s) for s in seqs)
    return Cause(conn=entry.conn, seq=entry.seq, kind=kind, after=after, reason=reason)


def _push(entry: PacketEntry, why: str) -> Cause:
    return Cause(
        conn=entry.conn,
        seq=entry.seq,
        kind=CauseKind.PUSH,
        reason=f"push ({why}): timed from the previous server packet",
    )


def _has_copy(seen: _Seen, entry: PacketEntry, after: int) -> bool:
    """Whether another connection got the same packet after client packet ``after``.

    Copies are listed in seq order: the search starts after ``after`` and
    usually stops at once. Scanning them all, for each of a broadcast's copies,
    was quadratic in the clients a broadcast reaches (150 clients: 55 million
    steps, most of a replay's start-up).
    """
    copies = seen.copies.get(entry.raw, ())
    start = bisect.bisect_right(copies, after, key=_copy_seq)
    return any(conn != entry.conn for _seq, conn, _t in itertools.islice(copies, start, None))


def _copy_seq(copy: tuple[int, str, float]) -> int:
    return copy[0]
