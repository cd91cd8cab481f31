"""``sioproxy show`` on fixture recordings: text, colour, heartbeats, ack links, JSON."""

from __future__ import annotations

import argparse
import io
import json
from pathlib import Path

import pytest

from sioproxy.cli import inspect_cmds
from sioproxy.errors import ConfigError
from sioproxy.inspect.show import ShowOptions, answers, render, want_color
from sioproxy.recording import read_recording

DATA = Path(__file__).parent / "data"
EIO4 = DATA / "eio4_session.jsonl"

EXPECTED_EIO4 = (DATA / "eio4_session.show.txt").read_text(encoding="utf-8")


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="sioproxy")
    sub = parser.add_subparsers(dest="command", required=True)
    inspect_cmds.add_parsers(sub)
    return parser


def run(argv: list[str]) -> int:
    args = _parser().parse_args(argv)
    status: int = args.handler(args)
    return status


def test_show_plain_text(capsys: pytest.CaptureFixture[str]) -> None:
    assert run(["show", str(EIO4), "--color", "never"]) == 0
    assert capsys.readouterr().out == EXPECTED_EIO4


def test_show_all_includes_heartbeats_and_probes(capsys: pytest.CaptureFixture[str]) -> None:
    assert run(["show", str(EIO4), "--all"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == 19
    assert lines[6] == '#7       0.032 c1 -> websocket ping "probe"'
    assert lines[8] == "#9       0.034 c1 -> websocket upgrade"
    assert lines[16] == "#17     25.000 c1 <- websocket ping"


def test_show_colour_wraps_fields_in_ansi(capsys: pytest.CaptureFixture[str]) -> None:
    assert run(["show", str(EIO4), "--color", "always", "--filter", "event:hello"]) == 0
    out = capsys.readouterr().out
    assert out == (
        "\x1b[2m#10      0.520\x1b[0m c1 \x1b[32m->\x1b[0m websocket / \x1b[1mevent\x1b[0m "
        '\x1b[1;35m"hello"\x1b[0m id=1 ["world 😀"] \x1b[34m↪ answered by #11\x1b[0m\n'
    )


def test_show_legacy_recording(capsys: pytest.CaptureFixture[str]) -> None:
    assert run(["show", str(DATA / "legacy_session.jsonl"), "--filter", "nsp:/chat"]) == 0
    assert capsys.readouterr().out.splitlines() == [
        "#3       0.020 c1 -> xhr-polling /chat connect",
        '#4       0.020 c1 -> xhr-polling /chat event "join" id=1 ["lobby"] ↪ answered by #6',
        "#5       0.040 c1 <- xhr-polling /chat connect",
        '#6       0.040 c1 <- xhr-polling /chat ack id=1 ["ok"] ↩ #4',
    ]


def test_show_json_prints_selected_entries(capsys: pytest.CaptureFixture[str]) -> None:
    assert run(["show", str(EIO4), "--json", "--filter", "type:ack", "--color", "always"]) == 0
    lines = capsys.readouterr().out.splitlines()
    objs = [json.loads(line) for line in lines]
    assert [(o["seq"], o["ack_of"]) for o in objs] == [(11, 10), (13, 12)]
    assert "\x1b" not in "".join(lines)


def test_args_are_truncated(capsys: pytest.CaptureFixture[str]) -> None:
    assert run(["show", str(EIO4), "--max-args", "10", "--filter", "event:join"]) == 0
    out = capsys.readouterr().out
    assert 'id=2 [{"room... ↪' in out


def test_bad_filter_is_a_config_error() -> None:
    with pytest.raises(ConfigError, match="column 8"):
        run(["show", str(EIO4), "--filter", "nsp:/a foo:b"])


def test_rewritten_packets_are_marked() -> None:
    line = (
        '{"kind":"packet","seq":2,"conn":"c1","t":0.7,"dir":"c2s","transport":"websocket",'
        '"raw":"42[\\"b\\"]","packet":{"eio":"message","sio":{"type":"event","nsp":"/",'
        '"data":["b"]}},"original":{"raw":"42[\\"a\\"]"},"note":"rule a-to-b"}'
    )
    recording = read_recording(EIO4)
    from sioproxy.recording import entry_from_json

    entry = entry_from_json(json.loads(line), path="x", line=1)
    (text,) = render([entry], ShowOptions())
    assert text.endswith('event "b" (rewritten: rule a-to-b)')
    assert answers(recording.entries) == {10: 11, 12: 13}


class _Tty(io.StringIO):
    def isatty(self) -> bool:
        return True


@pytest.mark.parametrize(
    ("mode", "tty", "env", "expected"),
    [
        ("auto", True, {}, True),
        ("auto", True, {"NO_COLOR": "1"}, False),
        ("auto", False, {}, False),
        ("always", False, {"NO_COLOR": "1"}, True),
        ("never", True, {}, False),
    ],
)
def test_want_color(mode: str, tty: bool, env: dict[str, str], expected: bool) -> None:
    stream = _Tty() if tty else io.StringIO()
    assert want_color(mode, stream, env) is expected


def test_docs_example_lines_are_real_output(capsys: pytest.CaptureFixture[str]) -> None:
    doc = (Path(__file__).parents[2] / "docs" / "inspect.md").read_text(encoding="utf-8")
    block = doc.split("$ sioproxy show rec.jsonl", 1)[1].split("```", 1)[0]
    shown = [line for line in block.splitlines() if line.startswith("#")]
    assert len(shown) >= 5
    assert run(["show", str(EIO4)]) == 0
    output = capsys.readouterr().out.splitlines()
    assert all(line in output for line in shown)


def test_show_causes_prints_why_each_server_packet_waits(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert run(["show", str(EIO4), "--color", "never", "--causes"]) == 0
    lines = capsys.readouterr().out.splitlines()
    connect = lines.index(next(x for x in lines if x.startswith("#4 ")))
    assert lines[connect + 1].strip() == "cause connect: waits for #3: answers the CONNECT #3"
    binary = lines.index(next(x for x in lines if x.startswith("#14 ")))
    assert lines[binary + 1].strip() == (
        "cause reply: waits for #10: follows #10 in '/';"
        " also after #12 while the client is in '/chat'"
    )
    # client packets and connection events get no cause line
    assert sum(x.strip().startswith("cause ") for x in lines) == 6


def test_show_causes_with_follow_is_a_config_error() -> None:
    with pytest.raises(ConfigError, match="--causes"):
        run(["show", str(EIO4), "--causes", "--follow"])
