"""The inspector's HTTP server: the page, server-sent events, pictures and /metrics.

Layer: edge (Twisted). Everything it shows comes from the pure parts:
recording lines (:mod:`sioproxy.web.lines`) kept in a
:class:`~sioproxy.web.ring.Ring`.

``GET /events`` is an ``text/event-stream``: one ``data:`` line per row (the
recording entry's JSON line; the page makes the row, static/rows.js), its
``id:`` the ring id. Each page has a cursor into the ring and is written to
only while its connection is not pushing back: the stream registers as a
push producer, and while Twisted has paused it (the socket buffer is full)
nothing is written and the page falls behind in the ring. Rows the ring lets
go before the page read them are counted (``event: dropped``, and
``sioproxy_web_dropped_total`` in ``/metrics``). So the relay's cost per
packet is one ring append and, with pages attached, one scheduled write
pass per reactor turn, whatever the browsers do.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable
from typing import Any

from twisted.internet import task
from twisted.internet.interfaces import IPushProducer
from twisted.web.resource import NoResource, Resource
from twisted.web.server import NOT_DONE_YET, Site
from zope.interface import implementer  # type: ignore[import-untyped]

from sioproxy.errors import SioProxyError
from sioproxy.textsafe import escape_controls
from sioproxy.web.pages import PacketPage, PicturesPage, refuse
from sioproxy.web.report import static_text
from sioproxy.web.ring import Ring
from sioproxy.web.sequence import pictures_of

BATCH = 500  # rows written per reactor turn to one page: the relay keeps its turns short
# New rows wait this long to go out together: one write (and one send) per page per
# interval instead of one per packet, which is what a page costs a busy proxy.
COALESCE_SECONDS = 0.05
STATIC = {
    "style.css": "text/css",
    "app.js": "text/javascript",
    "filter.js": "text/javascript",
    "rows.js": "text/javascript",
    "diff.js": "text/javascript",
    "detail.js": "text/javascript",
    "sequence.js": "text/javascript",
}


class WebHub:
    """The ring, the pages attached to it and the counters /metrics shows."""

    def __init__(self, reactor: Any, ring: Ring, names: list[str] | None = None) -> None:
        self.reactor = reactor
        self.ring = ring
        self.names = names or []
        self.streams: set[EventStream] = set()
        self.dropped_total = 0
        self.sent_total = 0
        self.replay: dict[str, Any] = {"marks": {}}
        # What --web adds to the observer (proxy), or to the recorder (record: ``tap``).
        self.sink: Callable[[Any], Any] | None = self.publish
        self.tap: Callable[[bytes, bool], None] | None = None
        # What the downloads are made from: the files read again, the ring's entries, ...
        self.recordings: Callable[[], list[Any]] | None = None
        self.diff: Any = None  # a `sioproxy diff --report` file's view (sioproxy.web.diffview)
        # /packet: (file, seq) -> the entry for the detail pane (sioproxy.web.packets)
        self.packet: Callable[[int, int], str | None] | None = None
        ring.listen(self._appended)

    def publish(self, item: Any) -> None:
        self.ring.append(item)

    def _appended(self, _row_id: int) -> None:
        for stream in self.streams:
            stream.wake()

    def replay_update(self, marks: dict[str, str], miss: Any = None) -> None:
        """``replay --web``: recorded packets now played/waiting/unplayed, and a miss."""
        self.replay["marks"].update(marks)
        data: dict[str, Any] = {"marks": marks}
        if miss is not None:
            self.replay.setdefault("misses", []).append(miss)
            data["miss"] = miss
        for stream in self.streams:
            stream.send_event("replay", escape_controls(json.dumps(data, ensure_ascii=False)))

    def dropped(self) -> int:
        """Rows pages lost: counted ones, and those the ring let go past a stalled page."""
        stalled = sum(max(0, self.ring.first_id - 1 - s.cursor) for s in self.streams)
        return self.dropped_total + stalled

    def metrics(self) -> str:
        lines = [
            "# TYPE sioproxy_web_rows_total counter",
            f"sioproxy_web_rows_total {self.ring.last_id}",
            "# TYPE sioproxy_web_dropped_total counter",
            f"sioproxy_web_dropped_total {self.dropped()}",
            "# TYPE sioproxy_web_evicted_total counter",
            f"sioproxy_web_evicted_total {self.ring.evicted}",
            "# TYPE sioproxy_web_sent_total counter",
            f"sioproxy_web_sent_total {self.sent_total}",
            "# TYPE sioproxy_web_pages gauge",
            f"sioproxy_web_pages {len(self.streams)}",
        ]
        return "\n".join(lines) + "\n"

    def pictures_job(
        self, conn: tuple[int, str] | None = None
    ) -> Callable[[], list[tuple[str, str]]]:
        """The pictures per session, or the one of connection ``(file, conn)``, to be made
        by the returned function: it works on a copy of the ring's lines taken now, so it
        may run in a thread (turning 100,000 lines back into rows takes seconds)."""
        held, _ = self.ring.since(0)
        lines, names = [line for _, line in held], list(self.names)
        return lambda: pictures_of(lines, names, conn)


@implementer(IPushProducer)
class EventStream:
    """One page's ``/events`` connection."""

    def __init__(self, hub: WebHub, request: Any, last_seen: int) -> None:
        self.hub = hub
        self.request = request
        self.cursor = last_seen
        self.paused = False
        self.dropped = 0
        self._scheduled: Any = None
        self.closed = False

    def start(self) -> None:
        self.request.registerProducer(self, True)
        self.request.notifyFinish().addBoth(lambda _: self.stopProducing())
        self.hub.streams.add(self)
        state = self.hub.replay
        if state["marks"] or state.get("misses"):  # replay --web: where the run is now
            self.send_event("replay", escape_controls(json.dumps(state, ensure_ascii=False)))
        if self.hub.diff is not None:  # sioproxy web REPORT: the diff view and its row marks
            self.send_event("diff", escape_controls(json.dumps(self.hub.diff, ensure_ascii=False)))
        self.wake(0)

    def wake(self, delay: float = COALESCE_SECONDS) -> None:
        if self._scheduled is None and not self.paused and not self.closed:
            self._scheduled = self.hub.reactor.callLater(delay, self._pump)

    def _pump(self) -> None:
        self._scheduled = None
        if self.paused or self.closed:
            return
        rows, missed = self.hub.ring.since(self.cursor, BATCH)
        if missed:
            self.dropped += missed
            self.hub.dropped_total += missed
            payload = {"dropped": self.dropped, "evicted": self.hub.ring.evicted}
            self.send_event("dropped", json.dumps(payload))
        if rows:
            self.request.write(b"".join([b"id: %d\ndata: %s\n\n" % row for row in rows]))
            self.cursor = rows[-1][0]
            self.hub.sent_total += len(rows)
        if self.cursor < self.hub.ring.last_id:
            self.wake(0)  # catching up: the next batch on the next turn

    def send_event(self, name: str, data: str) -> None:
        if not self.closed:
            self.request.write(f"event: {name}\ndata: {data}\n\n".encode())

    def pauseProducing(self) -> None:  # noqa: N802 - twisted names it
        self.paused = True

    def resumeProducing(self) -> None:  # noqa: N802 - twisted names it
        self.paused = False
        self.wake(0)

    def stopProducing(self) -> None:  # noqa: N802 - twisted names it
        self.closed = True
        self.hub.streams.discard(self)
        if self._scheduled is not None and self._scheduled.active():
            self._scheduled.cancel()
        self._scheduled = None


class _Text(Resource):
    isLeaf = True  # noqa: N815 - twisted.web's name

    def __init__(self, body: Callable[[], str], content_type: str) -> None:
        super().__init__()  # type: ignore[no-untyped-call]
        self._body = body
        self._type = content_type

    def render_GET(self, request: Any) -> bytes:  # noqa: N802 - twisted names it
        request.setHeader(b"content-type", f"{self._type}; charset=utf-8".encode())
        request.setHeader(b"cache-control", b"no-store")
        return self._body().encode("utf-8")


class _Events(Resource):
    isLeaf = True  # noqa: N815 - twisted.web's name

    def __init__(self, hub: WebHub) -> None:
        super().__init__()  # type: ignore[no-untyped-call]
        self._hub = hub

    def render_GET(self, request: Any) -> Any:  # noqa: N802 - twisted names it
        request.setHeader(b"content-type", b"text/event-stream; charset=utf-8")
        request.setHeader(b"cache-control", b"no-store")
        last = request.getHeader(b"last-event-id") or b"0"
        try:
            last_seen = max(0, int(last))
        except ValueError:
            last_seen = 0
        request.write(b"retry: 1000\n\n")
        EventStream(self._hub, request, last_seen).start()
        return NOT_DONE_YET


class _Download(Resource):
    """``/download.jsonl`` and ``/download.har``: the page's filtered view as a file."""

    isLeaf = True  # noqa: N815 - twisted.web's name

    def __init__(self, hub: WebHub, form: str) -> None:
        super().__init__()  # type: ignore[no-untyped-call]
        self._hub = hub
        self._form = form

    def render_GET(self, request: Any) -> bytes:  # noqa: N802 - twisted names it
        from sioproxy.web.download import filter_error, har_text, jsonl_text, selected

        args = request.args
        text = (args.get(b"filter") or [b""])[0].decode("utf-8", "replace")
        show_all = (args.get(b"all") or [b"0"])[0] == b"1"
        request.setHeader(b"cache-control", b"no-store")
        if self._hub.recordings is None:
            return refuse(request, 404, "nothing to download here")
        try:
            picked = selected(self._hub.recordings(), text, show_all)
        except SioProxyError as exc:  # a bad filter, or a file that cannot be read
            return refuse(request, 400, filter_error(exc))
        body = jsonl_text(picked) if self._form == "jsonl" else har_text(picked)
        kind = "application/x-ndjson" if self._form == "jsonl" else "application/json"
        request.setHeader(b"content-type", f"{kind}; charset=utf-8".encode())
        name = f"sioproxy-view.{self._form}"
        request.setHeader(b"content-disposition", f'attachment; filename="{name}"'.encode())
        return body.encode("utf-8")


class _Static(Resource):
    def getChild(self, path: bytes, request: Any) -> Resource:  # noqa: N802 - twisted names it
        name = path.decode("utf-8", "replace")
        if name not in STATIC:
            return NoResource()
        return _Text(lambda: static_text(name), STATIC[name])


class _Root(Resource):
    def __init__(self, hub: WebHub) -> None:
        super().__init__()  # type: ignore[no-untyped-call]
        put: Any = self.putChild  # twisted's stubs want IResource; these are Resources
        put(b"", _Text(lambda: static_text("index.html"), "text/html"))
        put(b"static", _Static())  # type: ignore[no-untyped-call]
        put(b"events", _Events(hub))
        put(b"metrics", _Text(hub.metrics, "text/plain"))
        put(b"download.jsonl", _Download(hub, "jsonl"))
        put(b"download.har", _Download(hub, "har"))
        put(b"pictures.json", PicturesPage(hub))
        put(b"packet", PacketPage(hub))


class _QuietSite(Site):
    def log(self, request: Any) -> None:
        return None  # stdout is the command's log


async def start_web(reactor: Any, listen: str, hub: WebHub) -> tuple[str, Any]:
    """Listen on ``listen`` (HOST:PORT, default host 127.0.0.1); returns (url, port)."""
    from sioproxy.net.endpoints import describe_listening, listen_endpoint

    site = _QuietSite(_Root(hub))  # type: ignore[no-untyped-call]
    site.displayTracebacks = False
    endpoint: Any = listen_endpoint(reactor, listen)
    port = await endpoint.listen(site)
    return describe_listening(port, listen), port


async def serve_files(
    reactor: Any, args: argparse.Namespace, paths: list[str], diff: dict[str, Any] | None
) -> int:
    """``sioproxy web FILE...``: serve the recordings ``paths``, following what is appended
    to them, and the view of a ``diff --report`` file (:mod:`sioproxy.web.diffview`).

    Returns the exit status: 2 when the port cannot be had or a file is damaged.
    """
    from twisted.internet import defer
    from twisted.internet.error import CannotListenError

    from sioproxy.recording import read_recording
    from sioproxy.web.follow import FileFollower
    from sioproxy.web.packets import file_lookup

    follower = FileFollower(paths)
    hub = WebHub(reactor, Ring(args.web_ring, follower.encode), names=follower.names)
    hub.diff = diff
    follower.poll_into(hub.publish)  # what is already there, before the page can ask
    if paths:
        hub.recordings = lambda: [read_recording(path) for path in paths]
        hub.packet = file_lookup(paths, follower.redactor)
    try:
        url, _port = await start_web(reactor, args.listen, hub)
    except (OSError, CannotListenError) as exc:
        line = f"sioproxy {args.command}: cannot listen on {args.listen}: {exc}"
        print(escape_controls(line), file=sys.stderr)
        return 2
    print(f"sioproxy listening on {url}", flush=True)
    done: defer.Deferred[int] = defer.Deferred()

    def tick() -> None:
        try:
            follower.poll_into(hub.publish)
        except SioProxyError as exc:  # a damaged line: one line on stderr, exit 2
            print(escape_controls(f"sioproxy {args.command}: {exc}"), file=sys.stderr, flush=True)
            loop.stop()
            done.callback(2)

    loop = task.LoopingCall(tick)
    loop.clock = reactor
    loop.start(args.follow_interval, now=False)
    return await done


async def open_web(
    reactor: Any, command: str, listen: str, hub: WebHub, announce: Callable[[str], None]
) -> Any:
    """``--web``: listen and say ``sioproxy web on URL``; None (reason on stderr) on failure."""
    from twisted.internet.error import CannotListenError

    try:
        url, port = await start_web(reactor, listen, hub)
    except (OSError, CannotListenError, SioProxyError) as exc:
        line = f"sioproxy {command}: cannot start web on {listen}: {exc}"
        print(escape_controls(line), file=sys.stderr, flush=True)
        return None
    announce(f"sioproxy web on {url}")
    sys.stdout.flush()
    return port
