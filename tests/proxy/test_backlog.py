"""Events of a huge polling body reach the sinks a slice per reactor turn, in wire order."""

from __future__ import annotations

from collections.abc import Callable, Iterator

from sioproxy.proxy.backlog import MAX_WAITING, MAX_WAITING_BYTES, PUBLISH_SLICE, SlicedPublisher
from sioproxy.proxy.live import LiveObserver
from sioproxy.proxy.observer import RequestInfo
from sioproxy.session import PacketSeen, SessionEvent
from sioproxy.types import Direction

HEADERS = (("host", "proxy"),)
OPEN = b'0{"sid":"s1","upgrades":[],"pingInterval":25000,"pingTimeout":20000,"maxPayload":1000000}'
NOOPS = 3 * PUBLISH_SLICE + 10


class Turns:
    """The reactor's call_later(0, fn), run by hand: one call is one later turn."""

    def __init__(self) -> None:
        self.pending: list[Callable[[], None]] = []

    def call_later(self, delay: float, fn: Callable[[], None]) -> None:
        assert delay == 0.0
        self.pending.append(fn)

    def call_after_io(self, fn: Callable[[], None]) -> None:
        self.pending.append(fn)

    def ws_send(self, *args: object) -> bool:
        return False

    def ws_close(self, *args: object) -> None:
        return None

    def run_one(self) -> None:
        self.pending.pop(0)()


def _request(method: str, query: str) -> RequestInfo:
    return RequestInfo(
        method=method, path="/socket.io/", query=query, headers=HEADERS, client="c:1", scheme="http"
    )


def _observer(seen: list[SessionEvent], turns: Turns | None) -> LiveObserver:
    observer = LiveObserver(clock=lambda: 0.0, sinks=[seen.append])
    if turns is not None:
        observer.attach(turns)
    get = _request("GET", "EIO=4&transport=polling")
    observer.on_http_request(1, get, b"")
    observer.on_http_response(1, get, 200, (), OPEN)
    return observer


def _post_noops(observer: LiveObserver) -> None:
    body = b"6\x1e" * NOOPS + b'42["after"]'
    post = _request("POST", "EIO=4&transport=polling&sid=s1")
    observer.on_http_request(2, post, body)


def _packets(seen: list[SessionEvent]) -> list[PacketSeen]:
    return [event for event in seen if isinstance(event, PacketSeen)]


def test_a_huge_body_is_published_one_slice_per_turn() -> None:
    seen: list[SessionEvent] = []
    turns = Turns()
    observer = _observer(seen, turns)
    turns.run_one()  # the handshake
    before = len(_packets(seen))
    _post_noops(observer)
    assert len(_packets(seen)) == before  # observed once the relayed body is out
    turn_count = 0
    while turns.pending:
        published = len(seen)
        turns.run_one()
        turn_count += 1
        assert len(seen) - published <= PUBLISH_SLICE
    assert turn_count == 4  # 3,011 events: 4 slices
    assert len(_packets(seen)) - before == NOOPS + 1
    assert observer.backlog_steps == 0


def test_a_polling_body_is_observed_in_a_later_turn_in_wire_order() -> None:
    """Relayed first: neither body is decoded in the turn that forwards it."""
    seen: list[SessionEvent] = []
    turns = Turns()
    observer = _observer(seen, turns)
    while turns.pending:
        turns.run_one()
    before = len(_packets(seen))
    post = _request("POST", "EIO=4&transport=polling&sid=s1")
    assert observer.on_http_request(2, post, b'42["up"]') is None
    get = _request("GET", "EIO=4&transport=polling&sid=s1")
    observer.on_http_request(3, get, b"")
    assert observer.on_http_response(3, get, 200, (), b'42["down"]') is None
    observer.on_ws_message(4, Direction.C2S, b"2probe", False)
    assert len(_packets(seen)) == before
    assert observer.backlog_steps == 4
    turns.run_one()
    assert [p.raw for p in _packets(seen)[before:]] == ['42["up"]', '42["down"]']
    assert not turns.pending


def test_without_a_reactor_handle_a_polling_body_is_observed_at_once() -> None:
    """``--flush-interval 0``: the line is written before the relay sends."""
    seen: list[SessionEvent] = []
    observer = LiveObserver(clock=lambda: 0.0, sinks=[seen.append], send_first=False)
    observer.attach(Turns())
    get = _request("GET", "EIO=4&transport=polling")
    observer.on_http_request(1, get, b"")
    observer.on_http_response(1, get, 200, (), OPEN)
    observer.on_http_request(2, _request("POST", "EIO=4&transport=polling&sid=s1"), b'42["a"]')
    assert [p.raw for p in _packets(seen)][-1] == '42["a"]'


def test_what_arrives_meanwhile_waits_its_turn() -> None:
    seen: list[SessionEvent] = []
    turns = Turns()
    observer = _observer(seen, turns)
    _post_noops(observer)
    post = _request("POST", "EIO=4&transport=polling&sid=s1")
    observer.on_http_request(3, post, b'42["later"]')
    assert observer.backlog_steps > 0
    while turns.pending:
        turns.run_one()
    packets = _packets(seen)
    assert [p.seq for p in packets] == sorted(p.seq for p in packets)
    assert packets[-2].raw == '42["after"]'
    assert packets[-1].raw == '42["later"]'


def test_shutdown_publishes_everything_before_the_close() -> None:
    seen: list[SessionEvent] = []
    turns = Turns()
    observer = _observer(seen, turns)
    _post_noops(observer)
    observer.shutdown()
    assert _packets(seen)[-1].raw == '42["after"]'
    assert type(seen[-1]).__name__ == "ConnectionClosed"
    assert observer.backlog_steps == 0


def test_without_a_reactor_handle_everything_is_published_at_once() -> None:
    seen: list[SessionEvent] = []
    observer = _observer(seen, None)
    before = len(_packets(seen))
    _post_noops(observer)
    assert len(_packets(seen)) - before == NOOPS + 1
    assert all(p.direction is Direction.C2S for p in _packets(seen)[before:])


def test_a_peer_faster_than_the_recorder_is_published_at_once() -> None:
    """Bounded memory: past MAX_WAITING observations, the backlog is flushed."""
    seen: list[SessionEvent] = []
    turns = Turns()
    observer = _observer(seen, turns)
    _post_noops(observer)
    post = _request("POST", "EIO=4&transport=polling&sid=s1")
    for exchange in range(MAX_WAITING + 1):
        observer.on_http_request(10 + exchange, post, b'42["burst"]')
    waiting = observer.backlog_steps
    assert waiting < 10  # flushed when the backlog went past MAX_WAITING
    bursts = [p for p in _packets(seen) if p.raw == '42["burst"]']
    assert len(bursts) == MAX_WAITING + 1 - waiting


# -- observations whose events need prework (a huge message, recording.slices) --


def _prepared_publisher(published: list[str], turns: Turns | None) -> SlicedPublisher:
    publisher = SlicedPublisher(lambda events: published.extend(map(str, events)))
    if turns is not None:
        publisher.attach(lambda fn: turns.call_later(0.0, fn))
    return publisher


def _steps(log: list[str], name: str, count: int) -> Callable[[object], Iterator[None]]:
    def prework(events: object) -> Iterator[None]:
        for n in range(count):
            log.append(f"{name} step {n}")
            yield

    return prework


def test_prework_runs_a_step_per_turn_and_later_observations_wait() -> None:
    turns, published = Turns(), []
    publisher = _prepared_publisher(published, turns)
    publisher.run_prepared(lambda: ["big"], _steps(published, "big", 3), size=1 << 20)
    publisher.run(lambda: ["small"])
    assert published == []  # even the step waits for a later turn
    for _ in range(3):
        turns.run_one()
    assert published == ["big step 0", "big step 1", "big step 2"]
    turns.run_one()
    assert published[3:] == ["big", "small"]
    assert not turns.pending
    assert not publisher.busy


def test_prework_without_slicing_or_at_flush_runs_at_once() -> None:
    published: list[str] = []
    publisher = _prepared_publisher(published, None)
    publisher.run_prepared(lambda: ["big"], _steps(published, "big", 2))
    assert published == ["big step 0", "big step 1", "big"]
    turns, published = Turns(), []
    publisher = _prepared_publisher(published, turns)
    publisher.run_prepared(lambda: ["big"], _steps(published, "big", 5))
    turns.run_one()
    publisher.flush()
    assert published == [*(f"big step {n}" for n in range(5)), "big"]


def test_bytes_waiting_behind_are_bounded() -> None:
    turns, published = Turns(), []
    publisher = _prepared_publisher(published, turns)
    publisher.run_prepared(lambda: ["big"], _steps(published, "big", 100))
    half = MAX_WAITING_BYTES // 2
    publisher.run(lambda: ["m1"], size=half)
    publisher.run(lambda: ["m2"], size=half)
    assert publisher.busy
    publisher.run(lambda: ["m3"], size=1)
    assert not publisher.busy  # over the limit: everything was published at once
    assert published[-4:] == ["big", "m1", "m2", "m3"]


def test_the_byte_bound_leaves_room_for_two_of_the_largest_messages() -> None:
    """With --max-body raised, a second huge message waits in slices too."""
    observer = LiveObserver(clock=lambda: 0.0, sinks=[], max_packet_bytes=40_000_000)
    publisher = observer._backlog
    turns, published = Turns(), []
    publisher._publish = lambda events: published.extend(map(str, events))
    publisher.attach(lambda fn: turns.call_later(0.0, fn))
    publisher.run_prepared(lambda: ["big"], _steps(published, "big", 10))
    publisher.run_prepared(lambda: ["big2"], _steps(published, "big2", 10), size=40_000_000)
    publisher.run(lambda: ["small"], size=1_000)
    assert publisher.busy  # 40 MB waiting is under 2 x 40 MB: still in slices
    publisher.run(lambda: ["more"], size=40_000_001)
    assert not publisher.busy  # past it: everything at once
    assert [p for p in published if "step" not in p] == ["big", "big2", "small", "more"]
