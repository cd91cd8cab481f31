"""The live checker in-process: the live observer's events of each generation, no sockets.

The spec is inferred from one run of the traffic; a second run with a changed
payload must be reported the same way ``sioproxy check`` reports the recording.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable

import pytest

from sioproxy.contracts import Contract, build_document
from sioproxy.contracts.live import LiveChecker
from sioproxy.contracts.observe import observe
from sioproxy.pipeline import Pipeline, parse_rules
from sioproxy.proxy.live import LiveObserver
from sioproxy.proxy.observer import RequestInfo
from sioproxy.recording.live_recorder import entry_for
from sioproxy.session import PacketSeen, SessionEvent
from sioproxy.types import Direction

C2S, S2C = Direction.C2S, Direction.S2C


def _request(query: str, path: str = "/socket.io/") -> RequestInfo:
    return RequestInfo(
        method="GET", path=path, query=query, headers=(), client="127.0.0.1:1", scheme="http"
    )


def eio4(obs: LiveObserver, total: str) -> None:
    obs.on_ws_open(1, _request("EIO=4&transport=websocket"), None)
    obs.on_ws_message(1, S2C, b'0{"sid":"S","upgrades":[],"pingInterval":1,"pingTimeout":1}', False)
    obs.on_ws_message(1, C2S, b'40{"token":"t0k3n"}', False)
    obs.on_ws_message(1, S2C, b'40{"sid":"x"}', False)
    obs.on_ws_message(1, C2S, b'421["add",2,3]', False)
    obs.on_ws_message(1, S2C, f"431[{total}]".encode(), False)
    obs.on_ws_message(1, S2C, b'451-["file",{"_placeholder":true,"num":0}]', False)
    obs.on_ws_message(1, S2C, b"\x01\x02", True)
    obs.on_ws_message(1, C2S, b'42/admin?x=1,["echo","a"]', False)
    obs.on_ws_close(1, C2S, 1000, None)


def legacy(obs: LiveObserver, total: str) -> None:
    obs.on_http_request(1, _request("", "/socket.io/1/"), b"")
    obs.on_http_response(1, _request("", "/socket.io/1/"), 200, (), b"L:60:60:websocket")
    obs.on_ws_open(2, _request("", "/socket.io/1/websocket/L"), None)
    obs.on_ws_message(2, S2C, b"1::", False)
    obs.on_ws_message(2, C2S, b"3:::plain", False)
    obs.on_ws_message(2, C2S, b'5:1+::{"name":"add","args":[2,3]}', False)
    obs.on_ws_message(2, S2C, f"6:::1+[{total}]".encode(), False)
    obs.on_ws_close(2, C2S, 1000, None)


def _events(traffic: Callable[[LiveObserver, str], None], total: str) -> list[SessionEvent]:
    events: list[SessionEvent] = []
    observer = LiveObserver(clock=itertools.count(0.0, 0.001).__next__, sinks=[events.append])
    traffic(observer, total)
    return events


def _contract(traffic: Callable[[LiveObserver, str], None]) -> Contract:
    entries = [entry_for(e) for e in _events(traffic, "5")]
    return Contract(build_document(observe(entries), {}))


@pytest.mark.parametrize("traffic", [eio4, legacy])
def test_the_traffic_the_spec_was_inferred_from_passes(
    traffic: Callable[[LiveObserver, str], None],
) -> None:
    checker = LiveChecker(_contract(traffic))
    for event in _events(traffic, "5"):
        checker(event)
    assert checker.checked >= 3
    assert (checker.total(), checker.findings) == (0, [])


@pytest.mark.parametrize("traffic", [eio4, legacy])
def test_a_changed_ack_is_logged_counted_and_noted(
    traffic: Callable[[LiveObserver, str], None],
) -> None:
    logged: list[str] = []
    counted: list[tuple[str, str, str]] = []
    checker = LiveChecker(
        _contract(traffic), log=logged.append, count=lambda *labels: counted.append(labels)
    )
    events = _events(traffic, '"5"')
    for event in events:
        checker(event)
    assert counted == [("/", "add", "s2c")]
    assert checker.violations == {("/", "add", "s2c"): 1}
    reason = '/0: expected integer, got string "5" (schema: type: "integer")'
    assert len(logged) == 1
    assert logged[0].endswith(f"s2c / ack of add: spec violation: {reason}")
    notes = [e.note for e in events if isinstance(e, PacketSeen) and e.note]
    assert notes == [f"spec violation: {reason}"]


def test_binary_text_swap_and_unknown_events() -> None:
    checker = LiveChecker(_contract(eio4))
    events: list[SessionEvent] = []
    observer = LiveObserver(clock=itertools.count(0.0, 0.001).__next__, sinks=[events.append])
    observer.on_ws_open(1, _request("EIO=4&transport=websocket"), None)
    observer.on_ws_message(1, S2C, b'42["file","text"]', False)
    observer.on_ws_message(1, C2S, b'42["nope"]', False)
    observer.on_ws_message(1, C2S, b'40{"token":5}', False)
    for event in events:
        checker(event)
    assert sorted(checker.violations) == [
        ("/", "(connect)", "c2s"),
        ("/", "file", "s2c"),
        ("/", "nope", "c2s"),
    ]


def test_rewritten_packets_are_checked_as_sent_injected_ones_skipped() -> None:
    rules = parse_rules(
        '[[rules]]\nevent = "add"\nset = { "/args/0" = "two" }\n'
        '[[rules.inject]]\npacket = { name = "never", args = [] }\n'
    )
    events: list[SessionEvent] = []
    observer = LiveObserver(
        clock=itertools.count(0.0, 0.001).__next__,
        sinks=[events.append],
        pipeline=Pipeline(rules),
    )
    eio4(observer, "5")
    fates = {e.fate.value for e in events if isinstance(e, PacketSeen) and e.fate is not None}
    assert {"rewritten", "injected"} <= fates
    checker = LiveChecker(_contract(eio4))
    for event in events:
        checker(event)
    assert checker.findings == []
