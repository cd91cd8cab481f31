"""LiveObserver with a rewrite pipeline, driven in-process (no sockets, no reactor)."""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence

from sioproxy.codec import payload
from sioproxy.codec.engineio import EioPacket, EioType
from sioproxy.pipeline import Pipeline, parse_rules
from sioproxy.proxy.live import LiveObserver
from sioproxy.proxy.observer import RequestInfo
from sioproxy.recording.live_recorder import entry_for
from sioproxy.session import PacketSeen, SessionEvent
from sioproxy.types import Direction, Fate

C2S, S2C = Direction.C2S, Direction.S2C
OPEN = '{"sid":"abc","upgrades":["websocket"],"pingInterval":25000,"pingTimeout":5000}'


class FakeControl:
    """RelayControl that records what the observer sends and runs timers on demand."""

    def __init__(self) -> None:
        self.sent: list[tuple[int, Direction, list[tuple[bytes, bool]]]] = []
        self.timers: list[tuple[float, Callable[[], None]]] = []
        self.closed: list[int] = []

    def call_later(self, delay: float, fn: Callable[[], None]) -> None:
        self.timers.append((delay, fn))

    def call_after_io(self, fn: Callable[[], None]) -> None:
        self.timers.append((0.0, fn))

    def ws_send(
        self, ws_id: int, direction: Direction, messages: Sequence[tuple[bytes, bool]]
    ) -> bool:
        self.sent.append((ws_id, direction, list(messages)))
        return True

    def ws_close(self, ws_id: int, code: int, reason: str) -> None:
        self.closed.append(ws_id)

    def run_timers(self) -> None:
        timers, self.timers = self.timers, []
        for _, fn in timers:
            fn()


def make(rules: str | None) -> tuple[LiveObserver, list[SessionEvent], FakeControl]:
    events: list[SessionEvent] = []
    pipeline = Pipeline(parse_rules(rules)) if rules is not None else None
    obs = LiveObserver(clock=lambda: 0.0, sinks=[events.append], pipeline=pipeline)
    control = FakeControl()
    obs.attach(control)
    return obs, events, control


def req(method: str, query: str) -> RequestInfo:
    return RequestInfo(
        method=method,
        path="/socket.io/",
        query=query,
        headers=(),
        client="127.0.0.1:1",
        scheme="http",
    )


def body3(*texts: str, version: int = 3) -> bytes:
    packets = [EioPacket(type=EioType(int(t[0])), data=t[1:] or None) for t in texts]
    return payload.encode_payload(packets, version)


def polling_open(obs: LiveObserver, version: int = 3) -> bytes | None:
    q = f"EIO={version}&transport=polling"
    obs.on_http_request(1, req("GET", q), b"")
    return obs.on_http_response(1, req("GET", q), 200, (), body3("0" + OPEN, "40", version=version))


def get(obs: LiveObserver, xid: int, body: bytes, version: int = 3) -> bytes | None:
    q = f"EIO={version}&transport=polling&sid=abc"
    obs.on_http_request(xid, req("GET", q), b"")
    return obs.on_http_response(xid, req("GET", q), 200, (), body)


def ws_open(obs: LiveObserver, ws_id: int = 7) -> None:
    obs.on_ws_open(ws_id, req("GET", "EIO=4&transport=websocket"), None)
    assert obs.on_ws_message(ws_id, S2C, b"0" + OPEN.encode(), False) is None


def packets(events: list[SessionEvent]) -> list[PacketSeen]:
    return [e for e in events if isinstance(e, PacketSeen)]


ECHO_RULE = """
[[rules]]
name = "smile"
dir = "s2c"
event = "echo"
set = { "/args/0" = "😀" }
"""


def test_eio3_polling_body_rewritten_with_utf16_lengths_rest_kept() -> None:
    obs, events, _ = make(ECHO_RULE)
    assert polling_open(obs) is None  # nothing to change: original bytes
    out = get(obs, 2, body3('42["echo","hi"]', '42["other","ü"]'))
    assert out == '15:42["echo","😀"]15:42["other","ü"]'.encode()
    rewritten = [p for p in packets(events) if p.original is not None]
    assert len(rewritten) == 1
    entry = entry_for(rewritten[0]).to_json()
    assert entry["raw"] == '42["echo","😀"]'
    assert entry["original"]["raw"] == '42["echo","hi"]'
    assert entry["note"] == "rewritten by rule 'smile'"
    seqs = [e.seq for e in events]
    assert seqs == sorted(set(seqs))


def test_rules_that_match_nothing_forward_every_byte() -> None:
    obs, events, _ = make(ECHO_RULE.replace('"echo"', '"nothing"'))
    assert polling_open(obs) is None
    assert get(obs, 2, body3('42["echo","hi"]')) is None
    assert [p.note for p in packets(events)] == [None, None, None]


def test_drop_leaves_noop_and_records_why() -> None:
    obs, events, _ = make('[[rules]]\nevent = "echo"\naction = "drop"\n')
    polling_open(obs)
    assert get(obs, 2, body3('42["echo","hi"]')) == b"1:6"
    assert packets(events)[-1].note == "not forwarded: dropped by rule 'rule 1'"


def test_refuse_upgrade_removes_websocket_from_open_packet() -> None:
    obs, events, _ = make('[[rules]]\naction = "refuse_upgrade"\n')
    out = polling_open(obs)
    assert out is not None
    first = payload.decode_payload(out, 3)[0]
    assert first.type is EioType.OPEN
    assert json.loads(str(first.data))["upgrades"] == []
    assert packets(events)[0].original is not None


def test_s2c_injection_from_a_post_rides_the_next_get() -> None:
    rules = """
[[rules]]
dir = "c2s"
event = "echo"
[[rules.inject]]
dir = "reverse"
packet = { name = "welcome", args = ["😀"] }
"""
    obs, events, _ = make(rules)
    polling_open(obs)
    q = "EIO=3&transport=polling&sid=abc"
    post = body3('42["echo","hi"]')
    assert obs.on_http_request(3, req("POST", q), post) in (None, post)
    obs.on_http_response(3, req("POST", q), 200, (), b"ok")
    out = get(obs, 4, body3("2"))
    assert out == '1:218:42["welcome","😀"]'.encode()
    injected = packets(events)[-1]
    assert injected.note == "injected by rule 'rule 1'"
    assert injected.direction is S2C


def test_ws_binary_packet_held_until_whole_then_forwarded_unchanged() -> None:
    obs, _, _ = make(ECHO_RULE)
    ws_open(obs)
    header = b'451-["bin",{"_placeholder":true,"num":0}]'
    assert obs.on_ws_message(7, S2C, header, False) == []
    assert obs.on_ws_message(7, S2C, b"\x01\x02", True) == [(header, False), (b"\x01\x02", True)]


def test_ws_binary_packet_rewritten_keeps_attachment() -> None:
    obs, _, _ = make(ECHO_RULE)
    ws_open(obs)
    header = b'451-["echo",{"_placeholder":true,"num":0},"x"]'
    assert obs.on_ws_message(7, S2C, header, False) == []
    out = obs.on_ws_message(7, S2C, b"\x01\x02", True)
    assert out == [('451-["echo","😀","x"]'.encode(), False), (b"\x01\x02", True)]


def test_ws_delay_and_reverse_injection_use_the_relay_control() -> None:
    rules = """
[[rules]]
dir = "s2c"
event = "slow"
delay = 250

[[rules]]
dir = "c2s"
event = "hello"
[[rules.inject]]
dir = "reverse"
packet = { name = "hi-back" }
"""
    obs, events, control = make(rules)
    ws_open(obs)
    assert obs.on_ws_message(7, S2C, b'42["slow",1]', False) == []
    assert control.sent == []
    assert [d for d, _ in control.timers] == [0.25]
    control.run_timers()
    assert control.sent == [(7, S2C, [(b'42["slow",1]', False)])]
    delayed = packets(events)[-1]
    assert delayed.note == "delayed 0.25 s by rule 'rule 1'"
    assert (delayed.fate, delayed.rule, delayed.delay) == (Fate.DELAYED, "rule 1", 0.25)
    out = obs.on_ws_message(7, C2S, b'42["hello"]', False)
    assert out == [(b'42["hello"]', False)]
    assert control.sent[-1] == (7, S2C, [(b'42["hi-back"]', False)])


def test_ws_close_connection_sends_close_packets_and_closes_socket() -> None:
    obs, _, control = make('[[rules]]\nevent = "bye"\naction = "close_connection"\n')
    ws_open(obs)
    assert obs.on_ws_message(7, C2S, b'42["bye"]', False) == [(b"1", False)]
    assert control.sent == [(7, S2C, [(b"1", False)])]
    control.run_timers()
    assert control.closed == [7]


def test_withheld_ack_dropped_and_injected_ack_consumed() -> None:
    rules = """
[[rules]]
dir = "c2s"
event = "ack_me"
withhold_ack = true

[[rules]]
dir = "s2c"
event = "echo"
[[rules.inject]]
packet = { name = "probe", id = 0 }
"""
    obs, events, _ = make(rules)
    ws_open(obs)
    assert obs.on_ws_message(7, C2S, b'420["ack_me","x"]', False) is None
    assert obs.on_ws_message(7, S2C, b'430["x","ack"]', False) == []
    out = obs.on_ws_message(7, S2C, b'42["echo"]', False)
    assert out == [(b'42["echo"]', False), (b'421000["probe"]', False)]
    assert obs.on_ws_message(7, C2S, b'431000["ok"]', False) == []
    notes = [p.note for p in packets(events) if p.note]
    assert notes[0].startswith("not forwarded: ack / 0 withheld")
    assert notes[-1] == "consumed by the proxy: the answer to a request it injected (rule 'rule 2')"


def test_observer_is_passive_only_without_an_active_pipeline() -> None:
    """A passive observer lets the relay send before observing: never with rules that can act."""
    assert make(None)[0].passive is True
    assert make(ECHO_RULE)[0].passive is False


def test_observer_not_passive_when_lines_must_be_written_before_relaying() -> None:
    observer = LiveObserver(clock=lambda: 0.0, sinks=[], send_first=False)
    assert observer.passive is False


def test_bodies_and_packets_over_the_decoding_limits_pass_rules_untouched() -> None:
    """Past a decoding limit nothing is decoded, so no rule applies: the bytes go on as sent."""
    from sioproxy.codec.limits import MAX_JSON_DEPTH, MAX_PACKETS_PER_BODY

    obs, events, _ = make(ECHO_RULE.replace('"s2c"', '"c2s"'))
    assert polling_open(obs, version=4) is None
    many = "\x1e".join(['42["echo","hi"]'] * (MAX_PACKETS_PER_BODY + 1)).encode()
    query = "EIO=4&transport=polling&sid=abc"
    assert obs.on_http_request(2, req("POST", query), many) is None
    deep = "[" * (MAX_JSON_DEPTH + 1) + "]" * (MAX_JSON_DEPTH + 1)
    ws_open(obs)
    assert obs.on_ws_message(7, C2S, f'42["echo",{deep}]'.encode(), False) is None
    rewritten = obs.on_ws_message(7, C2S, b'42["echo","hi"]', False)
    assert rewritten == [('42["echo","😀"]'.encode(), False)]  # the rule itself works
    undecoded = [p for p in packets(events) if p.error is not None]
    assert [p.raw for p in undecoded] == [many.decode(), f'42["echo",{deep}]']
