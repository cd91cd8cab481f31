"""Every ```console example of the 0.9 part of docs/packets.md, run through the codec."""

from __future__ import annotations

import json
import shlex
from pathlib import Path
from typing import Any

import pytest

from sioproxy.codec.legacy import decode_packet, encode_packet
from sioproxy.codec.legacy_dict import packet_from_dict, packet_to_dict
from sioproxy.codec.legacy_framing import decode_payload, encode_payload

DOC = Path(__file__).resolve().parents[2] / "docs" / "packets.md"
MODERN_MARKER = "<!-- modern section: see below -->"


def _legacy_part() -> str:
    text = DOC.read_text(encoding="utf-8")
    start = text.index("## Socket.IO 0.9")
    end = text.find(MODERN_MARKER, start)
    return text[start : end if end >= 0 else len(text)]


def console_examples(text: str) -> list[tuple[list[str], list[str]]]:
    """(argv, output lines) for every ``$`` line of every ```console block."""
    examples: list[tuple[list[str], list[str]]] = []
    in_block = False
    for line in text.splitlines():
        if line.startswith("```"):
            in_block = line == "```console"
            continue
        if not in_block:
            continue
        if line.startswith("$ "):
            examples.append((shlex.split(line[2:]), []))
        elif examples:
            examples[-1][1].append(line)
    return examples


EXAMPLES = console_examples(_legacy_part())


def run(argv: list[str]) -> Any:
    """What ``sioproxy decode/encode --protocol 0.9`` prints, without the CLI."""
    assert argv[0] == "sioproxy"
    assert argv[1] in ("decode", "encode")
    options = argv[2:-1]
    assert options[:2] == ["--protocol", "0.9"]
    assert set(options[2:]) <= {"--payload"}
    arg = argv[-1]
    if argv[1] == "decode":
        if "--payload" in options:
            return [packet_to_dict(p) for p in decode_payload(arg)]
        return packet_to_dict(decode_packet(arg))
    obj = json.loads(arg)
    if isinstance(obj, list):
        return encode_payload([encode_packet(packet_from_dict(d)) for d in obj])
    return encode_packet(packet_from_dict(obj))


def expected_output(lines: list[str]) -> Any:
    text = "\n".join(lines)
    try:
        return json.loads(text)
    except ValueError:
        return text


@pytest.mark.parametrize(("argv", "output"), EXAMPLES, ids=[" ".join(a[1:]) for a, _ in EXAMPLES])
def test_doc_example(argv: list[str], output: list[str]) -> None:
    assert output, f"no output under {argv}"
    assert run(argv) == expected_output(output)


def test_doc_covers_every_type_both_ways() -> None:
    decoded = {
        run(argv)["type"] for argv, _ in EXAMPLES if argv[1] == "decode" and "--payload" not in argv
    }
    encoded = {
        json.loads(argv[-1])["type"]
        for argv, _ in EXAMPLES
        if argv[1] == "encode" and argv[-1].startswith("{")
    }
    names = {
        "disconnect",
        "connect",
        "heartbeat",
        "message",
        "json",
        "event",
        "ack",
        "error",
        "noop",
    }
    assert decoded == names
    assert encoded == names
    assert any("--payload" in argv for argv, _ in EXAMPLES)


def test_doc_ends_with_modern_marker() -> None:
    text = DOC.read_text(encoding="utf-8")
    assert MODERN_MARKER in text
    assert text.index("## Socket.IO 0.9") < text.index(MODERN_MARKER)


def test_parser_finds_examples() -> None:
    sample = "```console\n$ sioproxy decode --protocol 0.9 '2::'\n{\"a\": 1}\n```\n```\n$ no\n```\n"
    assert console_examples(sample) == [
        (["sioproxy", "decode", "--protocol", "0.9", "2::"], ['{"a": 1}'])
    ]
    assert len(EXAMPLES) >= 30
