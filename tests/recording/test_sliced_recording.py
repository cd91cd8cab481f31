"""A huge packet recorded in slices across reactor turns (recording.slices, proxy.backlog).

Past ``codec.limits.MAX_DECODE_CHARS`` a packet is not decoded; its secret
scan, its line's JSON literal and the write are done one slice per turn by
``LiveRecorder.prework``. The file must hold the very lines the one-turn
entry path writes, secrets redacted the same, and the slicing must really
spread the work over turns.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from sioproxy.codec.limits import MAX_DECODE_CHARS
from sioproxy.proxy.live import LiveObserver
from sioproxy.proxy.observer import RequestInfo
from sioproxy.recording.live_recorder import LiveRecorder, entry_for
from sioproxy.recording.reader import read_recording
from sioproxy.recording.redact import Redactor
from sioproxy.recording.script import build_script, event_name
from sioproxy.recording.slices import SLICE_CHARS, has_utf8_form, windows
from sioproxy.recording.writer import encode_line
from sioproxy.session import SessionEvent
from sioproxy.types import Direction
from tests.proxy.test_backlog import Turns

C2S, S2C = Direction.C2S, Direction.S2C
OPEN = '{"sid":"S1","upgrades":[],"pingInterval":25000,"pingTimeout":20000}'
SECRET = "q7-opaque-v4lue-99"  # remembered from the CONNECT below, then swept everywhere
BIG = MAX_DECODE_CHARS + 3 * SLICE_CHARS // 2  # over the decoding limit: recorded raw


def filler(size: int, unit: str = "x") -> str:
    return (unit * (size // len(unit) + 1))[:size]


def at_boundary(word: str, before: int, size: int = BIG) -> str:
    """``size`` characters with ``word`` across the second slice boundary of the
    packet text (``"4" + text``): ``before`` of its characters before it."""
    text = filler(size)
    cut = 2 * SLICE_CHARS - 1 - before
    return text[:cut] + word + text[cut + len(word) :]


TEXTS = {
    "plain": filler(BIG),
    # escapes, control characters, non-ASCII and astral characters, cut anywhere
    "escapes": filler(BIG, '"\\\n\x01\x1f/é€😀ab'),
    "key name across a boundary": at_boundary('"Token":"zz-some-value-zz"', 3),
    "secret across a boundary": at_boundary(SECRET, 9),
}


def run_turns(turns: Turns) -> int:
    """Play the reactor's later turns until none is left; how many there were."""
    count = 0
    while turns.pending:
        turns.run_one()
        count += 1
    return count


def feed(obs: LiveObserver, texts: list[str], turns: Turns | None = None) -> list[int]:
    """A WebSocket session: CONNECT with a token, then each text as a message both ways.

    Returns the reactor turns each message took (with ``turns``)."""
    obs.on_ws_open(1, _request(), None)
    obs.on_ws_message(1, S2C, f"0{OPEN}".encode(), False)
    obs.on_ws_message(1, C2S, ('40{"token":"' + SECRET + '"}').encode(), False)
    obs.on_ws_message(1, S2C, b'40{"sid":"x1"}', False)
    taken = []
    for text in texts:
        for direction in (C2S, S2C):
            obs.on_ws_message(1, direction, f"4{text}".encode(), False)
            obs.on_ws_message(1, direction, b'42["small"]', False)
            if turns is not None:
                taken.append(run_turns(turns))
    return taken


def _legacy_handshake() -> RequestInfo:
    return _request("/socket.io/1/", "t=1")


def _request(path: str = "/socket.io/", query: str = "EIO=4&transport=websocket") -> RequestInfo:
    return RequestInfo(
        method="GET",
        path=path,
        query=query,
        headers=(("Host", "x"),),
        client="c",
        scheme="http",
    )


def reference_lines(texts: list[str]) -> list[bytes]:
    """The one-turn entry path: entry_for -> redact_entry -> encode_line."""
    redactor, lines = Redactor(), []

    def sink(event: SessionEvent) -> None:
        lines.append(encode_line(redactor.redact_entry(entry_for(event)).to_json()))

    obs = LiveObserver(clock=lambda: 0.25, sinks=[sink])
    feed(obs, texts)
    obs.shutdown()
    return lines


def record_sliced(path: Path, texts: list[str]) -> list[int]:
    recorder = LiveRecorder.open(str(path), upstream="http://up", flush_interval=0.1)
    obs = LiveObserver(clock=lambda: 0.25, sinks=[recorder.event])
    obs.add_prework(recorder.prework)
    turns = Turns()
    obs.attach(turns)
    taken = feed(obs, texts, turns)
    obs.shutdown()
    recorder.close()
    return taken


@pytest.mark.parametrize("name", list(TEXTS))
def test_the_sliced_line_is_the_one_turn_line(tmp_path: Path, name: str) -> None:
    path = tmp_path / "rec.jsonl"
    record_sliced(path, [TEXTS[name]])
    lines = path.read_bytes().splitlines(keepends=True)[1:]
    assert lines == reference_lines([TEXTS[name]])
    recording = read_recording(path)
    raws = [p.raw for p in recording.packets() if isinstance(p.raw, str) and len(p.raw) > BIG]
    assert len(raws) == 2
    assert all("longer than" in (p.error or "") for p in recording.packets() if p.raw in raws)
    assert SECRET not in path.read_text()


def test_a_clean_huge_message_takes_a_turn_per_slice(tmp_path: Path) -> None:
    taken = record_sliced(tmp_path / "rec.jsonl", [TEXTS["plain"], TEXTS["escapes"]])
    slices = -(-(BIG + 1) // SLICE_CHARS)
    # key names, remembered secrets (and UTF-8 when not ASCII), write: a slice a turn
    assert all(turns >= 3 * slices for turns in taken), taken


def test_a_huge_message_with_a_secret_is_redacted_at_once(tmp_path: Path) -> None:
    taken = record_sliced(tmp_path / "rec.jsonl", [TEXTS["secret across a boundary"]])
    slices = -(-(BIG + 1) // SLICE_CHARS)
    assert all(turns < 3 * slices for turns in taken), taken
    text = (tmp_path / "rec.jsonl").read_text()
    assert SECRET not in text
    assert "[REDACTED:auth.token]" in text


def test_later_messages_wait_for_the_huge_one(tmp_path: Path) -> None:
    """Wire order: the small message after a huge one gets the next seq and the next line."""
    path = tmp_path / "rec.jsonl"
    record_sliced(path, [TEXTS["plain"]])
    entries = [json.loads(line) for line in path.read_text().splitlines()[1:]]
    seqs = [e["seq"] for e in entries]
    assert seqs == sorted(seqs)
    raws = [e.get("raw", "")[:12] for e in entries if e["kind"] == "packet"]
    assert raws[-4:] == ["4xxxxxxxxxxx", '42["small"]', "4xxxxxxxxxxx", '42["small"]']


def test_windows_cover_every_short_substring() -> None:
    text = "".join(chr(97 + i % 26) for i in range(1000))
    for overlap in (0, 3, 7):
        found = set()
        for window in windows(text, overlap, size=64):
            found |= {window[i : i + overlap + 1] for i in range(len(window) - overlap)}
        assert found == {text[i : i + overlap + 1] for i in range(len(text) - overlap)}


def test_lone_surrogates_have_no_utf8_form() -> None:
    def result(text: str) -> bool:
        steps = has_utf8_form(text)
        while True:
            try:
                next(steps)
            except StopIteration as done:
                return bool(done.value)

    assert result(filler(3 * SLICE_CHARS, "é"))
    assert not result(filler(3 * SLICE_CHARS) + "\ud800")


# -- the replay programs decode what the live proxy left raw for its size --------


@pytest.mark.parametrize("legacy", [False, True], ids=["eio4", "0.9"])
def test_a_packet_left_raw_for_its_size_is_a_step_of_the_replay_script(
    tmp_path: Path, legacy: bool
) -> None:
    path = tmp_path / "rec.jsonl"
    recorder = LiveRecorder.open(str(path), upstream="http://up")
    obs = LiveObserver(clock=lambda: 0.25, sinks=[recorder.event], max_decode=100)
    big_args = '["' + "x" * 200 + '"]'
    if legacy:
        obs.on_http_request(1, _legacy_handshake(), b"")
        obs.on_http_response(1, _legacy_handshake(), 200, (), b"H1:60:60:websocket")
        obs.on_ws_open(1, _request("/socket.io/1/websocket/H1", ""), None)
        big = '5:1+::{"name":"upload","args":' + big_args + "}"
        answer = '6:::1+["ok"]'
    else:
        obs.on_ws_open(1, _request(), None)
        obs.on_ws_message(1, S2C, f"0{OPEN}".encode(), False)
        obs.on_ws_message(1, C2S, b"40", False)
        obs.on_ws_message(1, S2C, b'40{"sid":"x1"}', False)
        big = f'421["upload",{big_args[1:]}'
        answer = '431["ok"]'
    obs.on_ws_message(1, C2S, big.encode(), False)
    obs.on_ws_message(1, S2C, answer.encode(), False)
    obs.shutdown()
    recorder.close()
    recording = read_recording(path)
    (raw_entry,) = [p for p in recording.packets() if p.raw == big]
    assert raw_entry.packet is None
    assert "longer than 100 characters" in (raw_entry.error or "")
    script = build_script(recording, "c1")
    (step,) = [s for s in script.steps if event_name(s.packet) == "upload"]
    assert step.packet.id == 1
    assert step.index in script.answered_by  # the recorded ack answers it
