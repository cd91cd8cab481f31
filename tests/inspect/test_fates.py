"""A recording made through rules: each packet's fate, read back and honoured.

``data/rules_session.jsonl`` was written by ``sioproxy record --rules`` between
socket.io-client 4 and a socket.io 4 server (tests/proxy/rewrite/clients/fault_client.js)
with three rules: drop the server's ``echo``, rewrite the first ``ack_me`` from
``x`` to ``y``, and inject a ``probe`` request toward the client (its answer is
consumed). The same file without ``fate``/``rule``/``delay`` is what sioproxy
wrote before those keys existed: it must be read the same way.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from sioproxy.errors import ConfigError, RecordingError
from sioproxy.inspect.filters import compile_filter
from sioproxy.inspect.har import export_har
from sioproxy.inspect.show import ShowOptions, render
from sioproxy.recording import packet_fate, read_recording
from sioproxy.recording.model import Recording
from sioproxy.recording.script import build_script, wire_text
from sioproxy.types import Fate, Side

DATA = Path(__file__).parent / "data"
RULES = DATA / "rules_session.jsonl"


def _without_fate_keys(tmp_path: Path) -> Path:
    lines = []
    for line in RULES.read_text("utf-8").splitlines():
        obj = json.loads(line)
        for key in ("fate", "rule", "delay"):
            obj.pop(key, None)
        lines.append(json.dumps(obj, ensure_ascii=False, separators=(",", ":")))
    path = tmp_path / "older.jsonl"
    path.write_text("\n".join(lines) + "\n", "utf-8")
    return path


@pytest.fixture(params=["current", "older"])
def recording(request: pytest.FixtureRequest, tmp_path: Path) -> Recording:
    return read_recording(RULES if request.param == "current" else _without_fate_keys(tmp_path))


def _fates(rec: Recording) -> list[tuple[int, str, Fate | None]]:
    return [(e.seq, e.dir.value, packet_fate(e)) for e in rec.packets() if packet_fate(e)]


def test_fates_read_from_the_keys_or_from_older_notes(recording: Recording) -> None:
    assert _fates(recording) == [
        (6, "s2c", Fate.DROPPED),
        (7, "s2c", Fate.INJECTED),
        (8, "c2s", Fate.DROPPED),  # the answer to the injected request, consumed
        (10, "c2s", Fate.REWRITTEN),
    ]


def test_fate_keys_round_trip() -> None:
    rec = read_recording(RULES)
    injected = rec.find_seq(7)
    assert injected is not None
    obj: dict[str, Any] = injected.to_json()  # type: ignore[union-attr]
    assert (obj["fate"], obj["rule"], obj["delay"]) == ("injected", "probe the client", 0.05)
    lines = RULES.read_text("utf-8").splitlines()
    assert json.loads(lines[7]) == obj


def test_an_unknown_fate_is_a_reading_error(tmp_path: Path) -> None:
    text = RULES.read_text("utf-8").replace('"fate":"dropped"', '"fate":"lost"', 1)
    bad = tmp_path / "bad.jsonl"
    bad.write_text(text, "utf-8")
    with pytest.raises(RecordingError, match=r'bad.jsonl:7: packet entry: "fate" must be one of'):
        read_recording(bad)


def _steps(rec: Recording, side: Side) -> list[tuple[str, str]]:
    return [(s.dir.value, wire_text(s.packet)) for s in build_script(rec, "c1", side).steps]


def test_the_stand_in_plays_what_the_client_saw(recording: Recording) -> None:
    assert _steps(recording, Side.CLIENT) == [
        ("c2s", "40"),
        ("s2c", '40{"sid":"6oPHHNXJcTxORXGiAAAA"}'),
        ("c2s", '42["echo","hi"]'),
        ("s2c", '421000["probe","from the proxy"]'),  # injected: the client got it
        ("c2s", '431000["probe-answer"]'),  # consumed: the client sent it
        ("c2s", '420["ack_me","x"]'),  # as the client sent it, before the rewrite
        ("s2c", '430["y","ack"]'),
        ("c2s", '421["ack_me","final"]'),
        ("s2c", '431["final","ack"]'),
        ("c2s", "41"),
    ]
    script = build_script(recording, "c1")
    assert {a: script.answers[a] for a in script.answers} == {4: 3, 6: 5, 8: 7}
    assert any("seq 6: skipped, dropped" in n for n in script.notes)


def test_the_replay_client_plays_what_the_server_saw(recording: Recording) -> None:
    assert _steps(recording, Side.SERVER) == [
        ("c2s", "40"),
        ("s2c", '40{"sid":"6oPHHNXJcTxORXGiAAAA"}'),
        ("c2s", '42["echo","hi"]'),
        ("s2c", '42["echo","hi"]'),  # dropped by the proxy, but the server sent it
        ("c2s", '420["ack_me","y"]'),  # as the server received it
        ("s2c", '430["y","ack"]'),
        ("c2s", '421["ack_me","final"]'),
        ("s2c", '431["final","ack"]'),
        ("c2s", "41"),
    ]


def test_show_names_each_fate() -> None:
    lines = list(render(read_recording(RULES).entries, ShowOptions()))
    tails = [line.split(" ", 3)[-1] for line in lines if "(" in line]
    assert any(t.endswith("(dropped by rule 'no echo')") for t in tails), tails
    assert any(t.endswith("(injected 0.05 s by rule 'probe the client')") for t in tails)
    assert any(
        t.endswith("""(rewritten by rule 'x to y'; sent: 420["ack_me","x"])""") for t in tails
    )


def test_show_of_an_older_recording_names_the_fate_with_its_note(tmp_path: Path) -> None:
    lines = list(render(read_recording(_without_fate_keys(tmp_path)).entries, ShowOptions()))
    assert any(
        line.endswith("(dropped: not forwarded: dropped by rule 'no echo')") for line in lines
    )


def test_har_export_shows_the_client_side(recording: Recording) -> None:
    har = export_har(recording)
    (ws,) = [e for e in har["log"]["entries"] if e.get("_resourceType") == "websocket"]
    messages = [(m["type"], m["data"]) for m in ws["_webSocketMessages"]]
    assert ("send", '42["echo","hi"]') in messages
    assert ("receive", '42["echo","hi"]') not in messages  # dropped before the client
    assert ("receive", '421000["probe","from the proxy"]') in messages
    assert ("send", '431000["probe-answer"]') in messages
    assert ("send", '420["ack_me","x"]') in messages
    assert all('"y"]' not in data for kind, data in messages if kind == "send")


def test_show_filters_by_fate_and_rule(recording: Recording) -> None:
    def seqs(expr: str) -> list[int]:
        options = ShowOptions(filter=compile_filter(expr))
        return [int(line.split()[0][1:]) for line in render(recording.entries, options)]

    assert seqs("fate:dropped") == [6, 8]
    assert seqs("fate:* dir:c2s") == [8, 10]
    assert seqs("-fate:* type:ack") == [11, 13]
    if recording.packets()[4].fate is not None:  # older files carry no rule name
        assert seqs('rule:"x to y"') == [10]
    with pytest.raises(ConfigError, match="fate must be dropped or injected or rewritten"):
        compile_filter("fate:lost")
