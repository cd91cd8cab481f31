"""LiveObserver decodes only as deep as its consumers need (docs/performance.md)."""

from __future__ import annotations

from sioproxy.proxy.live import LiveObserver
from sioproxy.proxy.observer import RequestInfo
from sioproxy.session import PacketSeen, SessionEvent
from sioproxy.types import Direction

WS = RequestInfo(
    method="GET",
    path="/socket.io/",
    query="EIO=4&transport=websocket",
    headers=(),
    client="127.0.0.1:5000",
    scheme="http",
)
POLL = RequestInfo(
    method="GET",
    path="/socket.io/",
    query="EIO=4&transport=polling",
    headers=(),
    client="127.0.0.1:5000",
    scheme="http",
)
OPEN = b'0{"sid":"abc","upgrades":[],"pingInterval":25000,"pingTimeout":20000,"maxPayload":1}'


def _run(observer: LiveObserver) -> None:
    observer.on_ws_open(1, WS, None)
    assert observer.on_ws_message(1, Direction.S2C, OPEN, False) is None
    assert observer.on_ws_message(1, Direction.C2S, b'42["ack",{"seq":1}]', False) is None


def test_without_sinks_frames_are_counted_not_decoded() -> None:
    observer = LiveObserver(clock=lambda: 0.0, sinks=[])
    _run(observer)
    assert observer.tracker.connections["c1"].sid is None  # the OPEN packet was not decoded
    assert observer.counters["frames_s2c"] == 1
    assert observer.counters["frames_c2s"] == 1
    assert observer.counters["packets_c2s"] == 0
    assert observer.wants_body(POLL) is False  # polling bodies stream through


def test_with_a_sink_every_packet_is_decoded() -> None:
    seen: list[SessionEvent] = []
    observer = LiveObserver(clock=lambda: 0.0, sinks=[seen.append])
    _run(observer)
    assert observer.tracker.connections["c1"].sid == "abc"
    packets = [e for e in seen if isinstance(e, PacketSeen)]
    assert [p.event_name for p in packets] == [None, "ack"]
    assert observer.wants_body(POLL) is True


def test_a_failing_sink_drops_nothing_from_the_others() -> None:
    """Each sink is isolated: the log, the recorder, the metrics (sioproxy.proxy.live)."""
    from sioproxy.failures import FailureLog

    reports: list[str] = []
    before: list[SessionEvent] = []
    after: list[SessionEvent] = []

    def broken(event: SessionEvent) -> None:
        raise RecursionError("maximum recursion depth exceeded")

    observer = LiveObserver(
        clock=lambda: 0.0,
        sinks=[before.append, broken, after.append],
        failures=FailureLog(reports.append, lambda: 0.0),
    )
    _run(observer)  # the hot path (one whole text packet) and the general one
    assert [type(e) for e in before] == [type(e) for e in after]
    assert len([e for e in after if isinstance(e, PacketSeen)]) == 2
    assert observer.counters["internal_errors"] == len(after)
    assert len(reports) == 1  # the same failure again is only counted
    assert "test_a_failing_sink_drops_nothing_from_the_others.<locals>.broken failed" in reports[0]
