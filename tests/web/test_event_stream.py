"""The /events writer with a stalled page: nothing written while paused, losses counted.

Twisted-side unit test: a fake request and a ``task.Clock`` reactor, no sockets.
"""

from __future__ import annotations

from typing import Any

from twisted.internet import defer, task

from sioproxy.web.ring import Ring
from sioproxy.web.server import COALESCE_SECONDS, EventStream, WebHub


class FakeRequest:
    def __init__(self) -> None:
        self.written: list[bytes] = []
        self.producer: Any = None
        self.finished: defer.Deferred[None] = defer.Deferred()

    def write(self, data: bytes) -> None:
        self.written.append(data)

    def registerProducer(self, producer: Any, streaming: bool) -> None:  # noqa: N802
        self.producer = producer

    def notifyFinish(self) -> defer.Deferred[None]:  # noqa: N802
        return self.finished

    def text(self) -> str:
        return b"".join(self.written).decode()


def ids(text: str) -> list[int]:
    return [int(line[4:]) for line in text.splitlines() if line.startswith("id: ")]


def test_a_stalled_page_gets_nothing_and_its_losses_are_counted() -> None:
    clock = task.Clock()
    hub = WebHub(clock, Ring(5, lambda n: b'{"n":%d}' % n))
    request = FakeRequest()
    stream = EventStream(hub, request, 0)
    stream.start()
    hub.publish(1)
    clock.advance(COALESCE_SECONDS)
    assert ids(request.text()) == [1]
    stream.pauseProducing()  # the browser stopped reading: the socket buffer is full
    before = len(request.written)
    for n in range(2, 12):
        hub.publish(n)
        clock.advance(COALESCE_SECONDS)
    assert len(request.written) == before  # the relay's appends never wait on the page
    assert hub.dropped() == 5  # rows 2..6 are gone from the ring before the page read them
    assert "sioproxy_web_dropped_total 5" in hub.metrics()
    stream.resumeProducing()
    clock.advance(0)
    text = b"".join(request.written[before:]).decode()
    assert 'event: dropped\ndata: {"dropped": 5, "evicted": 6}' in text
    assert ids(text) == [7, 8, 9, 10, 11]
    assert hub.dropped() == 5
    request.finished.callback(None)  # the page went away
    assert hub.streams == set()
    hub.publish(12)
    clock.advance(COALESCE_SECONDS)
    assert ids(b"".join(request.written).decode())[-1] == 11


def test_new_rows_go_out_together_once_per_interval() -> None:
    clock = task.Clock()
    hub = WebHub(clock, Ring(100, lambda n: b"%d" % n))
    request = FakeRequest()
    EventStream(hub, request, 0).start()
    clock.advance(0)
    request.written.clear()
    for n in range(10):
        hub.publish(n)
    assert request.written == []
    clock.advance(COALESCE_SECONDS)
    assert len(request.written) == 1  # one write for ten rows
    assert ids(request.text()) == list(range(1, 11))
